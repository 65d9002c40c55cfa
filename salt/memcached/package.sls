{%- from "memcached/map.jinja" import memcached with context %}

memcached-packages:
  pkg.installed:
    - pkgs: {{ memcached.packages | json }}
