{%- from "rabbitmq/map.jinja" import rabbitmq with context %}
include:
  - rabbitmq.config

rabbitmq-service:
  service.running:
    - name: {{ rabbitmq.service }}
    - enable: true
    - watch:
      - file: rabbitmq-config
