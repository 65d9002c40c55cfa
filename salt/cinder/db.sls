{%- from "common/topology.jinja" import passwords with context %}
include:
  - mariadb

cinder-db:
  openstack_db.present:
    - name: cinder
    - user: cinder
    - password: {{ passwords.cinder_db | json }}
    - require:
      - service: mariadb-service
