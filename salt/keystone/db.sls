{%- from "common/topology.jinja" import passwords with context %}
include:
  - mariadb

keystone-db:
  openstack_db.present:
    - name: keystone
    - user: keystone
    - password: {{ passwords.keystone_db | json }}
    - require:
      - service: mariadb-service
