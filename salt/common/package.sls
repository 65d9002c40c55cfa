{%- from "common/map.jinja" import common with context %}
{%- if common.repo_packages %}

common-repo-packages:
  pkg.installed:
    - pkgs: {{ common.repo_packages | json }}
    - require_in:
      - pkg: common-packages
{%- endif %}

common-packages:
  pkg.installed:
    - pkgs: {{ common.packages | json }}
