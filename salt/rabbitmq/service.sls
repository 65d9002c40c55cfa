{%- from "rabbitmq/map.jinja" import rabbitmq with context %}
include:
  - rabbitmq.config

# A changed socket restarts it (and so epmd.service, which requires it)
# before the node restarts and registers again.
rabbitmq-epmd-socket:
  service.running:
    - name: {{ rabbitmq.epmd_socket }}
    - enable: true
    - watch:
      - file: rabbitmq-epmd-loopback

rabbitmq-service:
  service.running:
    - name: {{ rabbitmq.service }}
    - enable: true
    - require:
      - service: rabbitmq-epmd-socket
    - watch:
      - file: rabbitmq-config
      - file: rabbitmq-epmd-loopback
