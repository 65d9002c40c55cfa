{%- from "memcached/map.jinja" import memcached with context %}
{%- from "common/topology.jinja" import memcached_address with context %}
include:
  - memcached.package

# Loopback only: every client is on the controller (common/topology.jinja),
# and what memcached holds (Keystone's cache: pickles) is neither signed
# nor encrypted.
memcached-config:
  file.replace:
    - name: {{ memcached.config_file }}
    - pattern: {{ memcached.listen_pattern | json }}
    - repl: {{ memcached.listen_line | replace('ADDRESS', memcached_address) | json }}
    - append_if_not_found: true
    # The package ships the file; a dry run before it is installed has none.
    - ignore_if_missing: {{ opts.get('test', False) | json }}
    - require:
      - pkg: memcached-packages
