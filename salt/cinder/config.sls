{%- from "cinder/map.jinja" import cinder with context %}
{%- from "common/topology.jinja" import topo, my_address, transport_url, authtoken, db_url, uwsgi_section with context %}
{%- from "common/tls.jinja" import public_tls with context %}
{%- from "tls_proxy/map.jinja" import proxy_section with context %}
{#- One section per backend of the model's cinder:backends, named by it, in
    enabled_backends' order.  volume_backend_name is the model's
    backend_name on every backend: the extra spec of its volume type
    (cloud.volume_types) selects it.  It is the backend's name, but LVM
    for the default backend lvm: what the LVM driver reports without one,
    so the volumes of a cloud deployed before keep their pool (host@lvm#LVM).  default_volume_type: the model's cinder:default_volume_type,
    one of those types (made by cloud.volume_types).  A backend taken out
    of the list loses its section too (cinder-stale-backends). #}
{%- set backends = topo.cinder.backends %}
{%- set sections = [] %}
{%- for backend in backends %}
{%-   if backend.type == 'lvm' %}
{%-     set section = {'volume_driver': 'cinder.volume.drivers.lvm.LVMVolumeDriver',
                       'volume_group': backend.volume_group, 'lvm_type': backend.lvm_type,
                       'target_protocol': 'iscsi', 'target_helper': cinder.target_helper,
                       'target_ip_address': my_address,
                       'volume_backend_name': backend.backend_name} %}
{%-   else %}
{%-     set section = {'volume_driver': 'cinder.volume.drivers.rbd.RBDDriver',
                       'rbd_pool': backend.pool, 'rbd_user': backend.user,
                       'rbd_ceph_conf': backend.ceph_conf,
                       'rbd_secret_uuid': backend.secret_uuid,
                       'volume_backend_name': backend.backend_name} %}
{%-   endif %}
{%-   do sections.append((backend.name, section)) %}
{%- endfor %}
{%- set rbd = topo.cinder.rbd %}
include:
  - cinder.package
{%- if rbd %}
  # ceph.conf and the cephx keyring cinder-volume's RBD driver reads
  - ceph.client
{%- endif %}

cinder-config:
  openstack_config.present:
    - name: {{ cinder.config_file }}
    - settings:
        DEFAULT:
          transport_url: {{ transport_url | json }}
          auth_strategy: keystone
          my_ip: {{ my_address }}
          enabled_backends: {{ backends | map(attribute='name') | join(',') | json }}
          default_volume_type: {{ topo.cinder.default_volume_type | json }}
          glance_api_servers: {{ topo.endpoints.glance.internal_root }}
          osapi_volume_workers: {{ topo.workers.api }}
        database:
          connection: {{ db_url('cinder', 'cinder', 'cinder_db') | json }}
        keystone_authtoken: {{ authtoken('cinder', 'cinder') }}
        oslo_concurrency:
          lock_path: /var/lib/cinder/tmp
        # [oslo_middleware] when tls_proxy fronts it (tls_proxy/map.jinja)
        {{ proxy_section('cinderv3') }}
        # nova's internal endpoint, on the management network
        nova:
          interface: internal
{%- for name, section in sections %}
        {{ name | json }}: {{ section | json }}
{%- endfor %}
    - user: root
    - group: {{ cinder.group }}
    - mode: '0640'
    - require:
      - pkg: cinder-packages

# The section of a backend taken out of cinder:backends: every section that
# sets volume_driver and is not one of the model's backends goes, with the
# rbd user or volume group it named.  [DEFAULT], [backend_defaults]
# (cinder's own defaults of every backend, volume_driver among them) and
# the sections without a volume_driver (the package's, an operator's)
# stay.  cinder reads only the sections of enabled_backends: no restart.
cinder-stale-backends:
  openstack_config.sections_absent:
    - name: {{ cinder.config_file }}
    - having: volume_driver
    - keep: {{ (backends | map(attribute='name') | list + ['backend_defaults']) | json }}
    - require:
      - openstack_config: cinder-config
{%- if cinder.api_uwsgi_file %}

# Debian serves cinder-api with uwsgi: the API worker count, and the
# answers' "Connection: close" (common/topology.jinja, uwsgi_section).
# Restarts cinder-api (cinder.service) through watch_in, as the TLS pair.
cinder-api-uwsgi-config:
  openstack_config.present:
    - name: {{ cinder.api_uwsgi_file }}
    # uwsgi's .ini, not oslo.config: "$" is uwsgi's, no escaping
    - oslo: False
    - settings:
        uwsgi: {{ uwsgi_section(topo.workers.api, 'cinderv3', cinder.tls_dir) }}
    - require:
      - pkg: cinder-packages
    - watch_in:
      - service: cinder-service-{{ cinder.services[0] }}
{{ public_tls('cinder-api', cinder.tls_dir, cinder.group, [{'pkg': 'cinder-packages'}],
              [{'service': 'cinder-service-' ~ cinder.services[0]}]) }}
{%- endif %}
