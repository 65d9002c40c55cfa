{%- from "glance/map.jinja" import glance with context %}
{%- from "common/topology.jinja" import topo, my_address, tls_paths with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- set proxy = glance.public_proxy %}
# Glance's public endpoint: haproxy on the API's public_port, terminating
# TLS with the controller's certificate and passing the requests on to
# glance-api's plain port with "X-Forwarded-Proto: https" (glance reads it:
# [oslo_middleware] enable_proxy_headers_parsing, glance.config).
include:
  - glance.service

glance-public-proxy-package:
  pkg.installed:
    - name: {{ proxy.package }}
{{ public_tls('glance', proxy.tls_dir, proxy.group, [{'pkg': 'glance-public-proxy-package'}],
              [{'service': 'glance-public-proxy'}]) }}

glance-public-proxy-config:
  file.managed:
    - name: {{ proxy.config_file }}
    - source: salt://glance/files/haproxy.cfg.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0644'
    - check_cmd: haproxy -c -q -f
    - context:
        port: {{ topo.endpoints.glance.public_port }}
        backend: {{ (my_address ~ ':' ~ topo.endpoints.glance.port) | json }}
        cert: {{ (tls_paths(proxy.tls_dir) | load_json).cert | json }}
    - require:
      - pkg: glance-public-proxy-package
      - file: glance-public-tls-cert
      - file: glance-public-tls-key

glance-public-proxy:
  service.running:
    - name: {{ proxy.service }}
    - enable: true
    - require:
      - service: glance-service-{{ glance.services[0] }}
    - watch:
      - file: glance-public-proxy-config
