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

# The dashboard's WSGI daemon runs openstack:workers:api processes (the
# packaged directive sets none: mod_wsgi's default, one).  The packaged
# line (trixie's has no other option), or this state's own, becomes the
# packaged directive, the count and display-name (the processes show as
# (wsgi:<group>) in ps); any other option on that line would be dropped.
# A second run finds it as written.
horizon-wsgi-processes:
  file.replace:
    - name: {{ horizon.wsgi_site }}
    - pattern: '^([ \t]*){{ horizon.wsgi_daemon | regex_escape }}([ \t].*)?$'
    - repl: '\g<1>{{ horizon.wsgi_daemon }} processes={{ topo.workers.api }} display-name=%{GROUP}'
    - count: 1
    # A dry run before the package is installed has no file to look at.
    - ignore_if_missing: {{ opts.get('test', False) | json }}
    - require:
      - pkg: horizon-packages
