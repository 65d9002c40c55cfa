{%- from "neutron/map.jinja" import neutron with context %}
{%- from "neutron/settings.jinja" import neutron_settings, networks with context %}
{%- from "common/topology.jinja" import passwords, service_auth, db_url, my_address with context %}
{%- set workers = pillar.get('openstack', {}).get('workers', {}) %}
{%- set settings = salt['slsutil.merge'](neutron_settings, {
      'DEFAULT': {'core_plugin': 'ml2',
                  'service_plugins': 'router',
                  'bind_host': my_address,
                  'api_workers': workers.get('api', 2),
                  'rpc_workers': 1,
                  'notify_nova_on_port_status_changes': True,
                  'notify_nova_on_port_data_changes': True},
      'database': {'connection': db_url('neutron', 'neutron', 'neutron_db')},
      'nova': service_auth('nova', 'nova') | load_json,
    }) %}
include:
  - neutron.db
  - keystone.identity

neutron-server-packages:
  pkg.installed:
    - pkgs: {{ neutron.server_packages | json }}

neutron-server-config:
  openstack_config.present:
    - name: {{ neutron.config_file }}
    - settings: {{ settings | json }}
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-server-packages

neutron-ml2-config:
  openstack_config.present:
    - name: {{ neutron.ml2_file }}
    - settings:
        ml2:
          type_drivers: flat,vlan,vxlan
          tenant_network_types: vxlan
          mechanism_drivers: linuxbridge,l2population
          extension_drivers: port_security
        ml2_type_flat:
          flat_networks: {{ networks.provider.physical_network }}
        ml2_type_vxlan:
          vni_ranges: {{ networks.vxlan_vni_ranges | json }}
        securitygroup:
          enable_ipset: true
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-server-packages
{%- if neutron.api_uwsgi_file %}

neutron-api-uwsgi-config:
  openstack_config.present:
    - name: {{ neutron.api_uwsgi_file }}
    - settings:
        uwsgi:
          processes: {{ workers.get('api', 2) }}
    - require:
      - pkg: neutron-server-packages
{%- endif %}

neutron-db-sync:
  cmd.run:
    - name: neutron-db-manage --config-file {{ neutron.config_file }} --config-file {{ neutron.ml2_file }} upgrade heads
    - runas: {{ neutron.user }}
    - unless: >-
        test "$(neutron-db-manage --config-file {{ neutron.config_file }}
        --config-file {{ neutron.ml2_file }} current 2>/dev/null | grep -c '(head)')" -ge 2
    - require:
      - openstack_config: neutron-server-config
      - openstack_config: neutron-ml2-config
      - openstack_db: neutron-db
{%- for service in neutron.server_services %}

neutron-server-service-{{ service }}:
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - cmd: neutron-db-sync
      - keystone_init: keystone-identity
    - watch:
      - openstack_config: neutron-server-config
      - openstack_config: neutron-ml2-config
{%- if neutron.api_uwsgi_file %}
      - openstack_config: neutron-api-uwsgi-config
{%- endif %}
{%- endfor %}
