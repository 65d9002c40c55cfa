{%- from "nova/map.jinja" import nova with context %}
{%- from "nova/confdir.jinja" import config_dir_after with context %}
{%- from "nova/settings.jinja" import nova_settings, workers with context %}
{%- from "common/topology.jinja" import passwords, authtoken, uwsgi_section, db_url with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- from "tls_proxy/map.jinja" import proxy_settings with context %}
{#- Worker counts of at least 1 (the model refuses 0): 1 runs nova-conductor
    and nova-scheduler in their own process (oslo.service's launch() takes a
    ServiceLauncher for one worker), 0 would fork one per CPU
    (nova/cmd/conductor.py, scheduler.py: workers or get_worker_count()). #}
{%- set settings = salt['slsutil.merge'](nova_settings, {
      'keystone_authtoken': authtoken('nova', 'nova') | load_json,
      'DEFAULT': {'osapi_compute_workers': workers.api,
                  'metadata_workers': workers.metadata},
      'conductor': {'workers': workers.conductor},
      'scheduler': {'workers': workers.scheduler,
                    'discover_hosts_in_cells_interval': -1},
      'neutron': {'service_metadata_proxy': True,
                  'metadata_proxy_shared_secret': passwords.metadata_secret},
    }) %}
{#- Behind tls_proxy: its headers (tls_proxy/map.jinja). #}
{%- do settings.update(proxy_settings('nova') | load_json) %}
include:
  - nova.user
  - nova.retired
  - nova.db
  - keystone.identity

# Configuration first: Debian's nova packages start their services from
# postinst and must find a working nova.conf.
nova-controller-config:
  openstack_config.present:
    - name: {{ nova.config_file }}
    - settings: {{ settings | json }}
    - user: root
    - group: {{ nova.group }}
    - mode: '0640'
    - require:
      - file: nova-config-dir

nova-controller-packages:
  pkg.installed:
    - pkgs: {{ nova.controller_packages | json }}
    - require:
      - openstack_config: nova-controller-config
{{ config_dir_after('nova-controller-packages') }}
{%- for file in nova.api_uwsgi_files %}

nova-uwsgi-{{ file }}:
  openstack_config.present:
    - name: {{ file }}
    # uwsgi's .ini, not oslo.config: "$" is uwsgi's, no escaping
    - oslo: False
    - settings:
        # nova-api: its public endpoint too (an https-socket); the metadata
        # API serves the OVN metadata agents on the management network only.
        uwsgi: {{ uwsgi_section(workers.metadata) if 'metadata' in file
                  else uwsgi_section(workers.api, 'nova', nova.tls_dir) }}
    - require:
      - pkg: nova-controller-packages
    - watch_in:
      - service: nova-controller-service-{{ 'nova-api-metadata' if 'metadata' in file else 'nova-api' }}
{%- endfor %}
{%- if nova.api_uwsgi_files %}
{{ public_tls('nova-api', nova.tls_dir, nova.group, [{'pkg': 'nova-controller-packages'}],
              [{'service': 'nova-controller-service-nova-api'}]) }}
{%- endif %}

nova-api-db-synced:
  nova_manage.db_synced:
    - name: api
    - config_file: {{ nova.config_file }}
    - require:
      - pkg: nova-controller-packages
      - openstack_db: nova-db-nova_api

# cell0's database named here, not left to nova's default: only then is
# the mapping compared, and a rotated nova_db password reaches it.
nova-cell0:
  nova_manage.cell_present:
    - name: cell0
    - database_connection: {{ db_url('nova_cell0', 'nova', 'nova_db') | json }}
    - config_file: {{ nova.config_file }}
    - require:
      - nova_manage: nova-api-db-synced
      - openstack_db: nova-db-nova_cell0

nova-cell1:
  nova_manage.cell_present:
    - name: cell1
    - config_file: {{ nova.config_file }}
    - require:
      - nova_manage: nova-cell0

nova-db-synced:
  nova_manage.db_synced:
    - name: main
    - config_file: {{ nova.config_file }}
    - require:
      - nova_manage: nova-cell1
      - openstack_db: nova-db-nova
{%- for service in nova.controller_services %}

nova-controller-service-{{ service }}:
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - nova_manage: nova-db-synced
      - keystone_init: keystone-identity
    - watch:
      - openstack_config: nova-controller-config
{%- endfor %}
