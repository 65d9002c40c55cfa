{%- from "glance/map.jinja" import glance with context %}
{%- from "common/topology.jinja" import topo, db_url, authtoken, my_address with context %}
{%- from "tls_proxy/map.jinja" import proxy_section with context %}
{#- openstack:workers:glance (default: workers:api) worker processes; 0:
    glance-api serves from its own process and forks none
    (glance/common/wsgi.py Server.start_wsgi).  Debian runs glance-api
    without uwsgi, where this option is the one that counts. #}
{%- set workers = topo.workers.glance %}
include:
  - glance.package

glance-config:
  openstack_config.present:
    - name: {{ glance.config_file }}
    - settings:
        DEFAULT:
          bind_host: {{ my_address }}
          workers: {{ workers }}
          # one file store, named fs (Glance's multi-store configuration;
          # the single-store options are deprecated)
          enabled_backends: fs:file
        database:
          connection: {{ db_url('glance', 'glance', 'glance_db') | json }}
        keystone_authtoken: {{ authtoken('glance', 'glance') }}
        paste_deploy:
          flavor: keystone
        # [oslo_middleware] when tls_proxy fronts it (tls_proxy/map.jinja)
        {{ proxy_section('glance') }}
        glance_store:
          default_backend: fs
        fs:
          filesystem_store_datadir: {{ glance.images_dir }}
    - user: root
    - group: {{ glance.group }}
    - mode: '0640'
    - require:
      - pkg: glance-packages

glance-retired-options:
  openstack_config.absent:
    - name: {{ glance.config_file }}
    - settings: {{ glance.retired_options | json }}
    - require:
      - pkg: glance-packages
