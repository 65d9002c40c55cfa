{%- from "mariadb/map.jinja" import mariadb with context %}
{%- from "common/topology.jinja" import my_address with context %}
include:
  - mariadb.package

# MariaDB listens on the management address only; the firewall admits the
# management network.  root keeps unix-socket authentication (no password).
mariadb-config:
  openstack_config.present:
    - name: {{ mariadb.config_file }}
    # a MariaDB option file, not oslo.config: no "$" escaping
    - oslo: False
    - settings:
        mysqld: {{ salt['slsutil.merge'](mariadb.settings, {'bind-address': my_address}) | json }}
    - user: root
    - group: root
    - mode: '0644'
    - require:
      - pkg: mariadb-packages
