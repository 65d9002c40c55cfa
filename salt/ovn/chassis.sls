{%- from "ovn/map.jinja" import ovn with context %}
{%- from "ovn/macros.jinja" import ssl_table with context %}
{%- from "common/topology.jinja" import topo, me, my_address with context %}
{%- set provider = topo.networks.provider %}
{%- set gateway = 'gateway' in me.roles %}
# An OVN chassis (computes and gateways): ovn-controller, named by the
# minion id, tunnelling Geneve from the management address, connected to
# the southbound database over mutual TLS (ovn-remote ssl:, the host's
# certificate from the local database's SSL table).  Its settings are in
# place before ovn-host is installed, as ovn-controller makes br-int (with
# the datapath type configured) as soon as it runs.
include:
  - ovn.tls
  - ovn.openvswitch
{%- if topo.networks.datapath_type == 'netdev' %}
  - ovn.tunnel
{%- endif %}
{{ ssl_table('ovn-chassis-ssl', 'ovs-vsctl', [{'service': 'ovn-openvswitch-service'}, {'sls': 'ovn.tls'}]) }}

ovn-chassis-settings:
  openstack_ovs.record_present:
    - name: .
    - table: Open_vSwitch
    - values:
        external_ids:
          system-id: {{ me.chassis | json }}
          ovn-remote: {{ topo.ovn.sb_connection | json }}
          ovn-encap-type: {{ topo.ovn.encap_type }}
          ovn-encap-ip: {{ my_address | json }}
          ovn-bridge: {{ topo.ovn.bridges.integration }}
          ovn-bridge-datapath-type: {{ topo.networks.datapath_type }}
          # Gateways: router ports to the provider network are scheduled here.
          ovn-cms-options: {{ 'enable-chassis-as-gw' if gateway else 'null' }}
          ovn-bridge-mappings: {{ (provider.physical_network ~ ':' ~ topo.ovn.bridges.provider) | json if gateway else 'null' }}
    - require:
      - file: ovn-system-id
      - service: ovn-openvswitch-service
      # ssl: in ovn-remote only once ovn-controller has the files.
      - cmd: ovn-chassis-ssl

# A br-int of another datapath type (ovn-controller started before its
# settings, or the datapath switched) goes; ovn-controller makes it again.
ovn-integration-bridge:
  openstack_ovs.bridge_absent:
    - name: {{ topo.ovn.bridges.integration }}
    - keep_datapath_type: {{ topo.networks.datapath_type }}
    - require:
      - openstack_ovs: ovn-chassis-settings

ovn-host-packages:
  pkg.installed:
    - pkgs: {{ ovn.host_packages | json }}
    - require:
      - openstack_ovs: ovn-chassis-settings

ovn-host-service:
  service.running:
    - name: {{ ovn.controller_service }}
    - enable: true
    - require:
      - openstack_ovs: ovn-integration-bridge
    - watch:
      - pkg: ovn-host-packages
      - openstack_ovs: ovn-chassis-settings
