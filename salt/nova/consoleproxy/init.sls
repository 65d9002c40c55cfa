{%- from "nova/map.jinja" import nova with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{#- The noVNC console proxy (configuration and packages in
    nova.consoleproxy.install). #}
include:
  - nova.consoleproxy.install
{{ public_tls('nova-consoleproxy', nova.tls_dir, nova.group, [{'pkg': 'nova-consoleproxy-packages'}],
              [{'service': 'nova-consoleproxy-service'}]) }}

nova-consoleproxy-service:
  service.running:
    - name: {{ nova.consoleproxy_service }}
    - enable: true
    - require:
      - pkg: nova-consoleproxy-packages
    - watch:
      - openstack_config: nova-consoleproxy-config
{%- if nova.consoleproxy_defaults_file %}
      - file: nova-consoleproxy-type
{%- endif %}
