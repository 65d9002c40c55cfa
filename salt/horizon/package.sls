{%- from "horizon/map.jinja" import horizon with context %}

horizon-packages:
  pkg.installed:
    - pkgs: {{ horizon.packages | json }}
