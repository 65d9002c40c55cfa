{%- from "rabbitmq/map.jinja" import rabbitmq with context %}

rabbitmq-packages:
  pkg.installed:
    - pkgs: {{ rabbitmq.packages | json }}
