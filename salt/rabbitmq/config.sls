{%- from "rabbitmq/map.jinja" import rabbitmq with context %}
{%- from "common/topology.jinja" import my_address with context %}
include:
  - rabbitmq.package

# AMQP on the management address only.
rabbitmq-config:
  file.keyvalue:
    - name: {{ rabbitmq.env_file }}
    - key_values:
        NODE_IP_ADDRESS: {{ my_address }}
    - separator: '='
    - append_if_not_found: true
    - require:
      - pkg: rabbitmq-packages
