{%- from "keystone/map.jinja" import keystone with context %}
include:
  - keystone.config
  - keystone.db

# Migrates (keystone-manage db_sync) whenever the schema is behind the
# installed keystone: both heads, expand and contract, are compared with
# the database's alembic_version rows by one start of keystone's Python, as
# keystone (it reads keystone.conf as keystone does); at head nothing runs.
keystone-db-sync:
  openstack_db.schema_synced:
    - name: keystone
    - config_file: {{ keystone.config_file }}
    - user: {{ keystone.user }}
    - require:
      - openstack_config: keystone-config
      - openstack_db: keystone-db

keystone-fernet-setup:
  cmd.run:
    - name: keystone-manage fernet_setup --keystone-user {{ keystone.user }} --keystone-group {{ keystone.group }}
    - creates: /etc/keystone/fernet-keys/0
    - require:
      - openstack_db: keystone-db-sync

keystone-credential-setup:
  cmd.run:
    - name: keystone-manage credential_setup --keystone-user {{ keystone.user }} --keystone-group {{ keystone.group }}
    - creates: /etc/keystone/credential-keys/0
    - require:
      - openstack_db: keystone-db-sync

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
