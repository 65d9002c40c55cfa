{%- from "glance/map.jinja" import glance with context %}
{%- from "common/topology.jinja" import db_url, authtoken, my_address with context %}
{%- set workers = pillar.get('openstack', {}).get('workers', {}).get('api', 2) %}
include:
  - glance.package

glance-config:
  openstack_config.present:
    - name: {{ glance.config_file }}
    - settings:
        DEFAULT:
          bind_host: {{ my_address }}
          workers: {{ workers }}
        database:
          connection: {{ db_url('glance', 'glance', 'glance_db') | json }}
        keystone_authtoken: {{ authtoken('glance', 'glance') }}
        paste_deploy:
          flavor: keystone
        glance_store:
          stores: file,http
          default_store: file
          filesystem_store_datadir: {{ glance.images_dir }}
    - user: root
    - group: {{ glance.group }}
    - mode: '0640'
    - require:
      - pkg: glance-packages
