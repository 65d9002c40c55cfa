{%- from "glance/map.jinja" import glance with context %}

glance-packages:
  pkg.installed:
    - pkgs: {{ glance.packages | json }}
