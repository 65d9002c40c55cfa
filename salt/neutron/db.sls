{%- from "common/topology.jinja" import passwords with context %}
include:
  - mariadb

neutron-db:
  openstack_db.present:
    - name: neutron
    - user: neutron
    - password: {{ passwords.neutron_db | json }}
    - require:
      - service: mariadb-service
