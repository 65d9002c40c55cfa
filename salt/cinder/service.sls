{%- from "cinder/map.jinja" import cinder with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set vg = topo.cinder.volume_group %}
{%- set loop_gb = topo.cinder.loop_file_size_gb %}
{%- set lvm_groups = topo.cinder.backends | selectattr('type', 'equalto', 'lvm')
                                          | map(attribute='volume_group') | list %}
{%- set rbd = topo.cinder.rbd %}
include:
  - cinder.package
  - cinder.config
  - cinder.db
  - keystone.identity
{%- if loop_gb and vg in lvm_groups %}

# A loop-file backed volume group for test clouds, created only when the
# volume group does not exist (and an lvm backend uses it).  After a reboot the loop device is gone: the
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
{%-   if rbd and service == cinder.services[2] %}
      # cinder-volume: ceph.conf and the cephx keyring of its rbd backends
      - sls: ceph.client
{%-   endif %}
{%- endfor %}
