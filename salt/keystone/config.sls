{%- from "keystone/map.jinja" import keystone with context %}
{%- from "common/topology.jinja" import topo, db_url, memcached_servers, uwsgi_section with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- from "tls_proxy/map.jinja" import proxy_section with context %}
{%- set workers = topo.workers.api %}
include:
  - keystone.package

keystone-config:
  openstack_config.present:
    - name: {{ keystone.config_file }}
    - settings:
        database:
          connection: {{ db_url('keystone', 'keystone', 'keystone_db') | json }}
        token:
          provider: fernet
        # dogpile's memcached entries are pickles, neither signed nor
        # encrypted: memcached listens on the controller's loopback only.
        cache:
          enabled: true
          backend: dogpile.cache.memcached
          memcache_servers: {{ memcached_servers }}
        # [oslo_middleware] when tls_proxy fronts it (tls_proxy/map.jinja)
        {{ proxy_section('keystone') }}
    - user: root
    - group: {{ keystone.group }}
    - mode: '0640'
    - require:
      - pkg: keystone-packages
{%- if keystone.uwsgi_file %}

# Debian's uwsgi default of 8 processes x 32 threads (lazy-apps: 8 copies
# of Keystone) is sized for big controllers; the worker count comes from
# pillar, as for the other APIs.  The public endpoint: an https-socket
# with the controller's certificate (common/topology.jinja).
keystone-uwsgi-config:
  openstack_config.present:
    - name: {{ keystone.uwsgi_file }}
    # uwsgi's .ini, not oslo.config: "$" is uwsgi's, no escaping
    - oslo: False
    - settings:
        uwsgi: {{ uwsgi_section(workers, 'keystone', keystone.tls_dir) }}
    - require:
      - pkg: keystone-packages
{{ public_tls('keystone', keystone.tls_dir, keystone.group, [{'pkg': 'keystone-packages'}],
              [{'service': 'keystone-service'}]) }}
{%- endif %}
{%- if keystone.wsgi_link %}

keystone-wsgi-link:
  file.symlink:
    - name: {{ keystone.wsgi_link.name }}
    - target: {{ keystone.wsgi_link.target }}
    - require:
      - pkg: keystone-packages
{%- endif %}
