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
      - file: horizon-default-ssl-site

# Debian's openstack-dashboard-apache, with its debconf default (no vhost of
# its own), enables Apache's default-ssl site without mod_ssl: apache2 then
# refuses to start (Invalid command 'SSLEngine').  The dashboard is served
# under its URL path on the plain HTTP site.  (What a2dissite does; a file
# state also answers a dry run before apache2 is installed.)
horizon-default-ssl-site:
  file.absent:
    - name: /etc/apache2/sites-enabled/default-ssl.conf
    - require:
      - pkg: horizon-packages
{%- endif %}
