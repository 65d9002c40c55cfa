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
    # Not shipped by every package (RHEL's), and absent before the package
    # is installed (a dry run on a fresh host predicts it instead of failing).
    - create_if_missing: true
    - require:
      - pkg: rabbitmq-packages
