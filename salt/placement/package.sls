{%- from "placement/map.jinja" import placement with context %}

placement-packages:
  pkg.installed:
    - pkgs: {{ placement.packages | json }}
