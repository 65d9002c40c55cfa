{%- from "neutron/map.jinja" import neutron with context %}
{%- from "common/topology.jinja" import controller, passwords with context %}
# The gateway is the network node: routers (SNAT to the provider network,
# floating IPs), DHCP and the metadata proxy for self-service networks.
include:
  - neutron.linuxbridge

neutron-network-node-packages:
  pkg.installed:
    - pkgs: {{ neutron.network_node_packages | json }}
    - require:
      - openstack_config: neutron-agent-config

neutron-l3-config:
  openstack_config.present:
    - name: {{ neutron.l3_file }}
    - settings:
        DEFAULT:
          interface_driver: linuxbridge
    - require:
      - pkg: neutron-network-node-packages

neutron-dhcp-config:
  openstack_config.present:
    - name: {{ neutron.dhcp_file }}
    - settings:
        DEFAULT:
          interface_driver: linuxbridge
          dhcp_driver: neutron.agent.linux.dhcp.Dnsmasq
          enable_isolated_metadata: true
    - require:
      - pkg: neutron-network-node-packages

neutron-metadata-config:
  openstack_config.present:
    - name: {{ neutron.metadata_file }}
    - settings:
        DEFAULT:
          nova_metadata_host: {{ controller }}
          metadata_proxy_shared_secret: {{ passwords.metadata_secret | json }}
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-network-node-packages
{%- for service in neutron.network_node_services %}

neutron-network-node-service-{{ service }}:
  service.running:
    - name: {{ service }}
    - enable: true
    - watch:
      - openstack_config: neutron-agent-config
{%-   if 'l3' in service %}
      - openstack_config: neutron-l3-config
{%-   elif 'dhcp' in service %}
      - openstack_config: neutron-dhcp-config
{%-   else %}
      - openstack_config: neutron-metadata-config
{%-   endif %}
{%- endfor %}
