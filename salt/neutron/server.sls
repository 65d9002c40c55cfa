{%- from "neutron/map.jinja" import neutron with context %}
{%- from "common/topology.jinja" import topo, transport_url, authtoken, service_auth, db_url, my_address, uwsgi_section with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- from "tls_proxy/map.jinja" import proxy_settings with context %}
{%- from "neutron/ovn.jinja" import ovn_options with context %}
{%- set networks = topo.networks %}
{%- set workers = topo.workers %}
{#- ML2/OVN: no Neutron agents but the OVN metadata agent on the computes;
    routers (ovn-router: OVN's L3 plugin), DHCP and security groups are
    OVN's own, in the databases of ovn.central.  No agent reports its state
    over RPC either (the metadata agent reports through OVN's southbound
    database), so neutron-rpc-server runs no state-report worker
    (rpc_state_report_workers defaults to 1: a whole copy of Neutron, idle)
    and openstack:workers:rpc RPC workers (default 1).  With rpc: 0 there
    is no RPC worker at all (neutron/service.py _get_rpc_workers; neutron's
    config-wsgi.rst: ML2/OVN without agents needs none, and neutron-api
    stops its notifications to agents), and neutron-rpc-server, which would
    have nothing to run and exit, is stopped and disabled (as devstack does). #}
{%- set settings = {
      'DEFAULT': {'transport_url': transport_url,
                  'auth_strategy': 'keystone',
                  'core_plugin': 'ml2',
                  'service_plugins': 'ovn-router',
                  'bind_host': my_address,
                  'api_workers': workers.api,
                  'rpc_workers': workers.rpc,
                  'rpc_state_report_workers': 0,
                  'notify_nova_on_port_status_changes': True,
                  'notify_nova_on_port_data_changes': True},
      'keystone_authtoken': authtoken('neutron', 'neutron') | load_json,
      'oslo_concurrency': {'lock_path': '/var/lib/neutron/tmp'},
      'database': {'connection': db_url('neutron', 'neutron', 'neutron_db')},
      'nova': salt['slsutil.merge'](service_auth('nova', 'nova') | load_json, {'endpoint_type': 'internal'}),
    } %}
{#- Behind tls_proxy: its headers (tls_proxy/map.jinja). #}
{%- do settings.update(proxy_settings('neutron') | load_json) %}
{%- set ovn_settings = ovn_options(('nb', 'sb')) | load_json %}
{%- do ovn_settings.update({'ovn_metadata_enabled': true}) %}
include:
  - neutron.db
  - keystone.identity
  - ovn.central
  - neutron.ovn_tls

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
          type_drivers: flat,geneve
          tenant_network_types: geneve
          mechanism_drivers: ovn
          extension_drivers: port_security
        ml2_type_flat:
          flat_networks: {{ networks.provider.physical_network }}
        ml2_type_geneve:
          vni_ranges: {{ networks.geneve_vni_ranges | json }}
          # OVN's Geneve header with its options (38 bytes), so self-service
          # networks get MTU 1442 on a 1500 underlay; the pillar's MTU
          # ceilings count with the same value (openstack_pillar).
          max_header_size: {{ topo.ovn.geneve_max_header_size }}
        # Both databases over mutual TLS with neutron's copy of the
        # host's certificate (neutron/ovn_tls.sls).
        ovn: {{ ovn_settings | json }}
    - user: root
    - group: {{ neutron.group }}
    - mode: '0640'
    - require:
      - pkg: neutron-server-packages
{%- if neutron.plugin_link %}

neutron-plugin-link:
  file.symlink:
    - name: {{ neutron.plugin_link }}
    - target: {{ neutron.ml2_file }}
    - require:
      - openstack_config: neutron-ml2-config
{%- endif %}
{%- if neutron.api_uwsgi_file %}

neutron-api-uwsgi-config:
  openstack_config.present:
    - name: {{ neutron.api_uwsgi_file }}
    # uwsgi's .ini, not oslo.config: "$" is uwsgi's, no escaping
    - oslo: False
    - settings:
        uwsgi: {{ uwsgi_section(workers.api, 'neutron', neutron.tls_dir) }}
    - require:
      - pkg: neutron-server-packages
{{ public_tls('neutron-api', neutron.tls_dir, neutron.group, [{'pkg': 'neutron-server-packages'}],
              [{'service': 'neutron-server-service-' ~ neutron.server_services[0]}]) }}
{%- endif %}

# Neutron's expand and contract heads, as neutron-db-manage reads them,
# from the two config files neutron-db-manage is given ([database] connection is in
# neutron.conf); the sync is "neutron-db-manage upgrade heads".  At the
# heads nothing starts (openstack_db.schema_synced: neutron's Python is
# not loaded, the revisions are read as root).
neutron-db-sync:
  openstack_db.schema_synced:
    - name: neutron
    - config_file: {{ [neutron.config_file, neutron.ml2_file] | json }}
    - user: {{ neutron.user }}
    - require:
      - openstack_config: neutron-server-config
      - openstack_config: neutron-ml2-config
      - openstack_db: neutron-db
{%- for service in neutron.server_services %}

neutron-server-service-{{ service }}:
{%- if service == neutron.rpc_service and workers.rpc == 0 %}
  service.dead:
    - name: {{ service }}
    - enable: false
    - require:
      - openstack_config: neutron-server-config
{%- else %}
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - openstack_db: neutron-db-sync
      - keystone_init: keystone-identity
      # The OVN mechanism driver connects to both databases at start.
      - cmd: ovn-nb-connection
      - cmd: ovn-sb-connection
    - watch:
      - openstack_config: neutron-server-config
      - openstack_config: neutron-ml2-config
      # The OVN clients read the certificate and key at start.
      - file: neutron-ovn-tls-private-key
      - file: neutron-ovn-tls-certificate
      - file: neutron-ovn-tls-ca-cert
{%- if neutron.plugin_link %}
      - file: neutron-plugin-link
{%- endif %}
{%- if neutron.api_uwsgi_file %}
      - openstack_config: neutron-api-uwsgi-config
{%- endif %}
{%- endif %}
{%- endfor %}
