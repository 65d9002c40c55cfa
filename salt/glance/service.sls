{%- from "glance/map.jinja" import glance with context %}
include:
  - glance.config
  - glance.db

glance-db-sync:
  cmd.run:
    - name: glance-manage db_sync
    - runas: {{ glance.user }}
    - unless: glance-manage db check
    - require:
      - openstack_config: glance-config
      - openstack_db: glance-db
{%- for service in glance.services %}

glance-service-{{ service }}:
  service.running:
    - name: {{ service }}
    - enable: true
    - require:
      - cmd: glance-db-sync
    - watch:
      - openstack_config: glance-config
      - openstack_config: glance-retired-options
{%- endfor %}
