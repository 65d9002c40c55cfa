{%- from "keystone/map.jinja" import keystone with context %}
include:
  - keystone.config
  - keystone.db

# Schema upgrades only when the database is behind the installed code.
keystone-db-sync:
  cmd.run:
    - name: keystone-manage db_sync
    - runas: {{ keystone.user }}
    - unless: keystone-manage db_sync --check
    - require:
      - openstack_config: keystone-config
      - openstack_db: keystone-db

keystone-fernet-setup:
  cmd.run:
    - name: keystone-manage fernet_setup --keystone-user {{ keystone.user }} --keystone-group {{ keystone.group }}
    - creates: /etc/keystone/fernet-keys/0
    - require:
      - cmd: keystone-db-sync

keystone-credential-setup:
  cmd.run:
    - name: keystone-manage credential_setup --keystone-user {{ keystone.user }} --keystone-group {{ keystone.group }}
    - creates: /etc/keystone/credential-keys/0
    - require:
      - cmd: keystone-db-sync

keystone-service:
  service.running:
    - name: {{ keystone.service }}
    - enable: true
    - require:
      - cmd: keystone-fernet-setup
      - cmd: keystone-credential-setup
    - watch:
      - openstack_config: keystone-config
{%- if keystone.uwsgi_file %}
      - openstack_config: keystone-uwsgi-config
{%- endif %}
{%- if keystone.wsgi_link %}
      - file: keystone-wsgi-link
{%- endif %}
