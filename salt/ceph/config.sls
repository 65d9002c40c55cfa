{%- from "ceph/map.jinja" import ceph with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- if topo.cinder.rbd %}
{#- ceph.conf: where the cluster is, nothing secret (the key is in the
    keyring, ceph.keyring). #}
include:
  - ceph.package

ceph-config:
  file.managed:
    - name: {{ topo.ceph.conf }}
    - user: root
    - group: root
    - mode: '0644'
    - contents: |
        # Managed by Salt (ceph.config) from pillar openstack:ceph.
        [global]
        fsid = {{ topo.ceph.fsid }}
        mon_host = {{ topo.ceph.mon_host }}
    - require:
      - pkg: ceph-packages
{%- endif %}
