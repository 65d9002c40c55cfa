{%- from "horizon/map.jinja" import horizon with context %}
{%- from "common/topology.jinja" import tls_paths with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- set paths = tls_paths(horizon.tls_dir) | load_json %}
# The dashboard over HTTPS with the gateway's certificate from the master's
# CA: a virtual host on 443 (the packaged site's WSGIScriptAlias is
# server-wide, so it serves the dashboard), and one on 80 that redirects
# every request to it.  The packaged port-80 site is taken out.
include:
  - horizon.service
{{ public_tls('horizon', horizon.tls_dir, horizon.tls_group, [{'pkg': 'horizon-packages'}],
              [{'service': 'horizon-service'}]) }}
{%- for module in horizon.tls_modules %}

horizon-tls-module-{{ module }}:
  file.symlink:
    - name: {{ horizon.tls_modules_dir }}/{{ module }}
    - target: ../mods-available/{{ module }}
    - require:
      - pkg: horizon-packages
    - watch_in:
      - service: horizon-service
{%- endfor %}

horizon-tls-site:
  file.managed:
    - name: {{ horizon.tls_site }}
    - source: salt://horizon/files/dashboard-tls.conf.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0644'
    - context:
        cert: {{ paths.cert | json }}
        key: {{ paths.key | json }}
    - require:
      - pkg: horizon-packages
    - watch_in:
      - service: horizon-service
{%- if horizon.tls_site_link %}

horizon-tls-site-enabled:
  file.symlink:
    - name: {{ horizon.tls_site_link }}
    - target: ../sites-available/{{ horizon.tls_site.rsplit('/', 1)[1] }}
    - require:
      - file: horizon-tls-site
    - watch_in:
      - service: horizon-service
{%- endif %}
{%- if horizon.plain_site_link %}

horizon-plain-site-disabled:
  file.absent:
    - name: {{ horizon.plain_site_link }}
    - require:
      - pkg: horizon-packages
    - watch_in:
      - service: horizon-service
{%- endif %}
