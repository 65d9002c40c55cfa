{%- from "memcached/map.jinja" import memcached with context %}
{%- from "common/topology.jinja" import my_address with context %}
include:
  - memcached.package

memcached-config:
  file.replace:
    - name: {{ memcached.config_file }}
    - pattern: {{ memcached.listen_pattern | json }}
    - repl: {{ memcached.listen_line | replace('ADDRESS', my_address) | json }}
    - append_if_not_found: true
    - require:
      - pkg: memcached-packages
