{%- from "horizon/map.jinja" import horizon with context %}
include:
  - horizon.config

horizon-service:
  service.running:
    - name: {{ horizon.service }}
    - enable: true
    - watch:
      - file: horizon-config
