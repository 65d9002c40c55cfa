{%- from "keystone/map.jinja" import keystone with context %}
{%- from "common/topology.jinja" import topo, passwords, keystone_url, region with context %}
include:
  - keystone.service

# `keystone-manage bootstrap` creates the admin project, user and role and
# the identity endpoints; it runs only while the admin password from pillar
# does not authenticate (first run, or after a rotation).  The password goes
# through the environment (OS_BOOTSTRAP_PASSWORD), never the command line.
keystone-bootstrap:
  keystone_init.bootstrapped:
    - name: admin
    - password: {{ passwords.admin | json }}
    - auth_url: {{ keystone_url }}/v3
    - region: {{ region | json }}
    - public_url: {{ topo.endpoints.keystone.public | json }}
    - internal_url: {{ topo.endpoints.keystone.internal | json }}
    - admin_url: {{ topo.endpoints.keystone.internal | json }}
    - config_file: {{ keystone.config_file }}
    - runas: {{ keystone.user }}
    - require:
      - service: keystone-service
