{%- from "placement/map.jinja" import placement with context %}
{%- from "common/topology.jinja" import topo, db_url, authtoken, uwsgi_section with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- from "tls_proxy/map.jinja" import proxy_section with context %}
{%- set workers = topo.workers.api %}
include:
  - placement.package

placement-config:
  openstack_config.present:
    - name: {{ placement.config_file }}
    - settings:
        placement_database:
          connection: {{ db_url('placement', 'placement', 'placement_db') | json }}
        api:
          auth_strategy: keystone
        keystone_authtoken: {{ authtoken('placement', 'placement') }}
        # [oslo_middleware] when tls_proxy fronts it (tls_proxy/map.jinja)
        {{ proxy_section('placement') }}
    - user: root
    - group: {{ placement.group }}
    - mode: '0640'
    - require:
      - pkg: placement-packages
{%- if placement.uwsgi_file %}

# Debian's uwsgi default of 8 processes x 32 threads is sized for big
# controllers; the worker count comes from pillar.
placement-uwsgi-config:
  openstack_config.present:
    - name: {{ placement.uwsgi_file }}
    # uwsgi's .ini, not oslo.config: "$" is uwsgi's, no escaping
    - oslo: False
    - settings:
        uwsgi: {{ uwsgi_section(workers, 'placement', placement.tls_dir) }}
    - require:
      - pkg: placement-packages
{{ public_tls('placement-api', placement.tls_dir, placement.group, [{'pkg': 'placement-packages'}],
              [{'service': 'placement-service'}]) }}
{%- endif %}
