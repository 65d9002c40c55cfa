{%- from "common/topology.jinja" import passwords with context %}
include:
  - mariadb
{%- for db in ('nova_api', 'nova', 'nova_cell0') %}

nova-db-{{ db }}:
  openstack_db.present:
    - name: {{ db }}
    - user: nova
    - password: {{ passwords.nova_db | json }}
    - require:
      - service: mariadb-service
{%- endfor %}
