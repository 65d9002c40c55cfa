{%- from "horizon/map.jinja" import horizon with context %}
include:
  - horizon.config

horizon-service:
  service.running:
    - name: {{ horizon.service }}
    - enable: true
    - watch:
      - file: horizon-config
{%- if grains['os_family'] == 'Debian' %}
      - apache_site: horizon-default-ssl-site

# Debian's openstack-dashboard-apache, with its debconf default (no vhost of
# its own), enables Apache's default-ssl site without mod_ssl: apache2 then
# refuses to start (Invalid command 'SSLEngine').  The dashboard is served
# under its URL path on the plain HTTP site.
horizon-default-ssl-site:
  apache_site.disabled:
    - name: default-ssl
    - require:
      - pkg: horizon-packages
{%- endif %}
