{%- from "nova/map.jinja" import nova with context %}
{%- from "nova/confdir.jinja" import config_dir_after with context %}
{%- from "nova/settings.jinja" import nova_settings with context %}
{%- from "common/topology.jinja" import topo, my_address, tls_paths with context %}
{%- set paths = tls_paths(nova.tls_dir) | load_json %}
{#- The proxy serves HTTPS and WSS only, with the gateway's certificate
    (written by nova.consoleproxy, which starts it): the dashboard's page is
    HTTPS, and a plain console inside it would be mixed content. #}
{%- set settings = salt['slsutil.merge'](nova_settings, {
      'DEFAULT': {'ssl_only': True, 'cert': paths.cert, 'key': paths.key},
      'vnc': {'novncproxy_host': my_address, 'novncproxy_port': topo.console.port} }) %}
{#- nova.consoleproxy's install part: configuration and packages, nothing
    that starts a service.  The orchestration runs it on the gateways while
    the controller is set up; nova.consoleproxy includes it. #}
include:
  - nova.user
  - nova.retired

# The noVNC proxy on the gateway validates console tokens in the cell
# database, so it gets the database settings too.
nova-consoleproxy-config:
  openstack_config.present:
    - name: {{ nova.config_file }}
    - settings: {{ settings | json }}
    - user: root
    - group: {{ nova.group }}
    - mode: '0640'
    - require:
      - file: nova-config-dir

nova-consoleproxy-packages:
  pkg.installed:
    - pkgs: {{ nova.consoleproxy_packages | json }}
    - require:
      - openstack_config: nova-consoleproxy-config
{{ config_dir_after('nova-consoleproxy-packages') }}

{%- if nova.consoleproxy_defaults_file %}

# Debian's nova-consoleproxy serves one console type, chosen in
# /etc/default/nova-consoleproxy (packaged default: spicehtml5); the
# novncproxy unit exits at once under any other type.
nova-consoleproxy-type:
  file.keyvalue:
    - name: {{ nova.consoleproxy_defaults_file }}
    - key_values:
        NOVA_CONSOLE_PROXY_TYPE: novnc
    - separator: '='
    - append_if_not_found: true
    # The package ships it; a dry run before the install must not fail.
    - create_if_missing: true
    - require:
      - pkg: nova-consoleproxy-packages
{%- endif %}
