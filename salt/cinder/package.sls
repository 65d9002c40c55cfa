{%- from "cinder/map.jinja" import cinder with context %}

cinder-packages:
  pkg.installed:
    - pkgs: {{ cinder.packages | json }}
