{%- from "common/map.jinja" import common with context %}
include:
  - common.package
{#- A container shares its host's kernel clock and may not set it. #}
{%- if grains.get('virtual') not in common.clockless_virtual %}

common-time-service:
  service.running:
    - name: {{ common.chrony_service }}
    - enable: true
    - require:
      - pkg: common-packages
{%- endif %}
