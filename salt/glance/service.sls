{%- from "glance/map.jinja" import glance with context %}
include:
  - glance.config
  - glance.db

# Migrates (glance-manage db_sync: expand, data migrations, contract)
# whenever the schema is behind the installed glance; at head nothing runs.
# Synced when both heads are reached: the contract head's row stands for
# the expand head it depends on, as "glance-manage db check" reads it.
# Check and sync read the database URL from glance-api.conf.
glance-db-sync:
  openstack_db.schema_synced:
    - name: glance
    - config_file: {{ glance.config_file }}
    - user: {{ glance.user }}
    - require:
      - openstack_config: glance-config
      - openstack_db: glance-db
{%- for service in glance.services %}

glance-service-{{ service }}:
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - openstack_db: glance-db-sync
    - watch:
      - openstack_config: glance-config
      - openstack_config: glance-retired-options
{%- endfor %}
