{%- from "cinder/map.jinja" import cinder with context %}
{%- from "common/topology.jinja" import topo, passwords, controller, my_address, transport_url, authtoken, db_url, uwsgi_section with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- from "tls_proxy/map.jinja" import proxy_section with context %}
{%- set vg = topo.cinder.volume_group %}
{%- set loop_gb = topo.cinder.loop_file_size_gb %}
# Block storage on the controller: API, scheduler and an LVM backend
# exported over iSCSI.
include:
  - mariadb
  - keystone.identity

cinder-db:
  openstack_db.present:
    - name: cinder
    - user: cinder
    - password: {{ passwords.cinder_db | json }}
    - require:
      - service: mariadb-service

cinder-packages:
  pkg.installed:
    - pkgs: {{ cinder.packages | json }}

cinder-config:
  openstack_config.present:
    - name: {{ cinder.config_file }}
    - settings:
        DEFAULT:
          transport_url: {{ transport_url | json }}
          auth_strategy: keystone
          my_ip: {{ my_address }}
          enabled_backends: lvm
          glance_api_servers: {{ topo.endpoints.glance.internal_root }}
          osapi_volume_workers: {{ topo.workers.api }}
        database:
          connection: {{ db_url('cinder', 'cinder', 'cinder_db') | json }}
        keystone_authtoken: {{ authtoken('cinder', 'cinder') }}
        oslo_concurrency:
          lock_path: /var/lib/cinder/tmp
        # [oslo_middleware] when tls_proxy fronts it (tls_proxy/map.jinja)
        {{ proxy_section('cinderv3') }}
        # nova's internal endpoint, on the management network
        nova:
          interface: internal
        lvm:
          volume_driver: cinder.volume.drivers.lvm.LVMVolumeDriver
          volume_group: {{ vg }}
          lvm_type: {{ topo.cinder.lvm_type }}
          target_protocol: iscsi
          target_helper: {{ cinder.target_helper }}
          target_ip_address: {{ my_address }}
    - user: root
    - group: {{ cinder.group }}
    - mode: '0640'
    - require:
      - pkg: cinder-packages
{%- if cinder.api_uwsgi_file %}

# Debian serves cinder-api with uwsgi: the API worker count, and the
# answers' "Connection: close" (common/topology.jinja, uwsgi_section).
cinder-api-uwsgi-config:
  openstack_config.present:
    - name: {{ cinder.api_uwsgi_file }}
    # uwsgi's .ini, not oslo.config: "$" is uwsgi's, no escaping
    - oslo: False
    - settings:
        uwsgi: {{ uwsgi_section(topo.workers.api, 'cinderv3', cinder.tls_dir) }}
    - require:
      - pkg: cinder-packages
    - watch_in:
      - service: cinder-service-{{ cinder.services[0] }}
{{ public_tls('cinder-api', cinder.tls_dir, cinder.group, [{'pkg': 'cinder-packages'}],
              [{'service': 'cinder-service-' ~ cinder.services[0]}]) }}
{%- endif %}
{%- if loop_gb %}

# A loop-file backed volume group for test clouds, created only when the
# volume group does not exist.  After a reboot the loop device is gone: the
# same file is attached again and its volume group found, never re-created.
cinder-volume-group:
  cmd.run:
    - name: |
        set -e
        test -e {{ cinder.loop_file }} || truncate -s {{ loop_gb }}G {{ cinder.loop_file }}
        dev=$(losetup -j {{ cinder.loop_file }} | cut -d: -f1 | head -n1)
        [ -n "$dev" ] || dev=$(losetup --find --show {{ cinder.loop_file }})
        if ! vgs {{ vg }} >/dev/null 2>&1; then
          pvs "$dev" >/dev/null 2>&1 || pvcreate "$dev"
          vgcreate {{ vg }} "$dev"
        fi
    - unless: vgs {{ vg }}
    - require:
      - pkg: cinder-packages
    - require_in:
      - service: cinder-service-{{ cinder.services[2] }}
{%- endif %}

# Migrates whenever the schema is behind the installed cinder (as
# placement's); cinder-manage reads the database URL from cinder.conf.
cinder-db-sync:
  openstack_db.schema_synced:
    - name: cinder
    - config_file: {{ cinder.config_file }}
    - user: {{ cinder.user }}
    - require:
      - openstack_config: cinder-config
      - openstack_db: cinder-db
{%- for service in cinder.services %}

cinder-service-{{ service }}:
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - openstack_db: cinder-db-sync
      - keystone_init: keystone-identity
    - watch:
      - openstack_config: cinder-config
{%- endfor %}
