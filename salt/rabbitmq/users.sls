{%- from "rabbitmq/map.jinja" import rabbitmq with context %}
{%- from "common/topology.jinja" import passwords with context %}
include:
  - rabbitmq.service

# The one account every OpenStack service uses; its password rotates with
# pillar (openstack:passwords:rabbitmq).
rabbitmq-user-openstack:
  openstack_rabbitmq.user_present:
    - name: {{ rabbitmq.user }}
    - password: {{ passwords.rabbitmq | json }}
    - require:
      - service: rabbitmq-service

# The well-known default account goes.
rabbitmq-user-guest:
  openstack_rabbitmq.user_absent:
    - name: guest
    - require:
      - service: rabbitmq-service
