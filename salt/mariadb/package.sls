{%- from "mariadb/map.jinja" import mariadb with context %}

mariadb-packages:
  pkg.installed:
    - pkgs: {{ mariadb.packages | json }}
