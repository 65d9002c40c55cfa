{%- from "common/topology.jinja" import passwords with context %}
include:
  - mariadb

glance-db:
  openstack_db.present:
    - name: glance
    - user: glance
    - password: {{ passwords.glance_db | json }}
    - require:
      - service: mariadb-service
