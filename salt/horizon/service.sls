{%- from "horizon/map.jinja" import horizon with context %}
include:
  - horizon.config

horizon-service:
  service.running:
    - name: {{ horizon.service }}
    - enable: true
    - watch:
      - file: horizon-config
      - file: horizon-wsgi-processes
{%- if grains['os_family'] == 'Debian' %}
      - file: horizon-default-ssl-site
      - file: horizon-wsgi-group

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

# The same package's site defines the WSGIDaemonProcess horizon but runs
# the dashboard in a sub-interpreter of Apache's own processes: there
# trixie's python3-cryptography (Rust, PyO3) fails to import ("PyO3
# modules ... may only be initialized once per interpreter process") and
# every page answers 500.  Run it in its daemon, in the main interpreter.
horizon-wsgi-group:
  file.managed:
    - name: /etc/apache2/conf-available/openstack-dashboard-wsgi.conf
    - contents: |
        # Managed by Salt (horizon formula).
        <Directory /usr/share/openstack-dashboard>
            WSGIProcessGroup horizon
            WSGIApplicationGroup %{GLOBAL}
        </Directory>
    - require:
      - pkg: horizon-packages

horizon-wsgi-group-enabled:
  file.symlink:
    - name: /etc/apache2/conf-enabled/openstack-dashboard-wsgi.conf
    - target: ../conf-available/openstack-dashboard-wsgi.conf
    - require:
      - file: horizon-wsgi-group
    - watch_in:
      - service: horizon-service
{%- endif %}
