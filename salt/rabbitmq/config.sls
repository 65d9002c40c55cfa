{%- from "rabbitmq/map.jinja" import rabbitmq with context %}
{%- from "common/topology.jinja" import my_address with context %}
{%- set octets = rabbitmq.loopback.split('.') | join(',') %}
include:
  - rabbitmq.package

# AMQP on the management address only; the node's name, its distribution
# listener, the CLI's and epmd on loopback (rabbitmq/defaults.yaml says
# why).  The
# file is sourced by sh (server and CLI alike): the Erlang argument is
# quoted.
rabbitmq-config:
  file.keyvalue:
    - name: {{ rabbitmq.env_file }}
    - key_values:
        NODE_IP_ADDRESS: {{ my_address }}
        NODENAME: {{ rabbitmq.nodename | json }}
{%- set on_loopback = '"-kernel inet_dist_use_interface {' ~ octets ~ '}"' %}
        SERVER_ADDITIONAL_ERL_ARGS: {{ on_loopback | json }}
        # rabbitmqctl's own distribution listener (35672-35682, while it runs)
        CTL_ERL_ARGS: {{ on_loopback | json }}
    - separator: '='
    - append_if_not_found: true
    # Not shipped by every package (RHEL's), and absent before the package
    # is installed (a dry run on a fresh host predicts it instead of failing).
    - create_if_missing: true
    - require:
      - pkg: rabbitmq-packages

# epmd is socket-activated (the erlang package's epmd.socket, on every
# address): the socket listens on loopback alone.
rabbitmq-epmd-loopback:
  file.managed:
    - name: {{ rabbitmq.epmd_dropin }}
    - makedirs: true
    - user: root
    - group: root
    - mode: '0644'
    - contents: |
        # Salt (rabbitmq.config): epmd on loopback only.
        [Socket]
        ListenStream=
        ListenStream={{ rabbitmq.loopback }}:4369
