{%- from "keystone/map.jinja" import keystone with context %}

keystone-packages:
  pkg.installed:
    - pkgs: {{ keystone.packages | json }}
