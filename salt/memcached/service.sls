{%- from "memcached/map.jinja" import memcached with context %}
include:
  - memcached.config

memcached-service:
  service.running:
    - name: {{ memcached.service }}
    - enable: true
    - watch:
      - file: memcached-config
