{%- from "tls_proxy/map.jinja" import tls_proxy with context %}
{%- from "common/topology.jinja" import topo, my_address, tls_paths with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{#- One frontend per API of the map: its public_port, and its plain port on
    this host's management address as the backend. #}
{%- set apis = [] %}
{%- for name in tls_proxy.apis %}
{%-   if name not in topo.endpoints %}
{{ raise("tls_proxy:apis: " ~ name ~ " is not an API of the model's endpoints ("
         ~ topo.endpoints | join(', ') ~ ")") }}
{%-   endif %}
{%-   do apis.append({'name': name,
                      'port': topo.endpoints[name].public_port,
                      'backend': my_address ~ ':' ~ topo.endpoints[name].port}) %}
{%- endfor %}
# The public endpoints of the APIs that do not serve them themselves
# (tls_proxy:apis): haproxy on each API's public_port, terminating TLS with
# the controller's certificate and passing the requests on to the API's
# plain port with "X-Forwarded-Proto: https" (each of these APIs reads it:
# [oslo_middleware] enable_proxy_headers_parsing, set by its formula).
tls-proxy-package:
  pkg.installed:
    - name: {{ tls_proxy.package }}
{{ public_tls('tls-proxy', tls_proxy.tls_dir, tls_proxy.group, [{'pkg': 'tls-proxy-package'}],
              [{'service': 'tls-proxy-service'}]) }}

tls-proxy-config:
  file.managed:
    - name: {{ tls_proxy.config_file }}
    - source: salt://tls_proxy/files/haproxy.cfg.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0644'
    - check_cmd: haproxy -c -q -f
    - context:
        apis: {{ apis | json }}
        cert: {{ (tls_paths(tls_proxy.tls_dir) | load_json).cert | json }}
    - require:
      - pkg: tls-proxy-package
      - file: tls-proxy-public-tls-cert
      - file: tls-proxy-public-tls-key

# A changed configuration or pair is taken up with a reload: haproxy's
# master starts new workers and the old ones finish the requests they
# hold (an image upload through Glance's endpoint is not cut).
tls-proxy-service:
  service.running:
    - name: {{ tls_proxy.service }}
    - enable: true
    - reload: true
    - watch:
      - file: tls-proxy-config
