{%- from "placement/map.jinja" import placement with context %}
include:
  - placement.config
  - placement.db

# placement-manage has no dry run: the sync runs when the database or the
# package changed (first install, upgrade).
placement-db-sync:
  cmd.run:
    - name: placement-manage db sync
    - runas: {{ placement.user }}
    - onchanges:
      - openstack_db: placement-db
      - pkg: placement-packages
    - require:
      - openstack_config: placement-config

placement-service:
  service.running:
    - name: {{ placement.service }}
    - enable: true
    - require:
      - cmd: placement-db-sync
    - watch:
      - openstack_config: placement-config
{%- if placement.uwsgi_file %}
      - openstack_config: placement-uwsgi-config
{%- endif %}
