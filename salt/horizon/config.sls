{%- from "horizon/map.jinja" import horizon with context %}
{%- from "common/topology.jinja" import topo, keystone_url with context %}
include:
  - horizon.package

# Our own drop-in beside the packaged local_settings.py; it holds the
# session secret, so it is readable by the web server's group only.
horizon-config:
  file.managed:
    - name: {{ horizon.settings_file }}
    - source: salt://horizon/files/local_settings.py.jinja
    - template: jinja
    - user: root
    - group: {{ horizon.group }}
    - mode: '0640'
    - show_changes: false
    - context:
        keystone_url: {{ keystone_url }}/v3
        # Every name and address users reach the dashboard by (the model's
        # dashboard:allowed_hosts: the gateways' names and addresses).
        allowed_hosts: {{ topo.dashboard.allowed_hosts | json }}
    - require:
      - pkg: horizon-packages
