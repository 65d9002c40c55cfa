{%- from "placement/map.jinja" import placement with context %}
include:
  - placement.config
  - placement.db

# Migrates whenever the schema is behind the installed placement (a first
# install, an upgrade, or a run that failed after creating the database);
# at head nothing runs.  placement-manage reads the database URL from its
# config file.
placement-db-sync:
  openstack_db.schema_synced:
    - name: placement
    - config_file: {{ placement.config_file }}
    - user: {{ placement.user }}
    - require:
      - openstack_config: placement-config
      - openstack_db: placement-db

placement-service:
  service.running:
    - name: {{ placement.service }}
    - enable: true
    - require:
      - openstack_db: placement-db-sync
    - watch:
      - openstack_config: placement-config
{%- if placement.uwsgi_file %}
      - openstack_config: placement-uwsgi-config
{%- endif %}
