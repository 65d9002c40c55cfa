{%- from "common/topology.jinja" import passwords with context %}
include:
  - mariadb

placement-db:
  openstack_db.present:
    - name: placement
    - user: placement
    - password: {{ passwords.placement_db | json }}
    - require:
      - service: mariadb-service
