{%- from "ceph/map.jinja" import ceph with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- if topo.cinder.rbd %}

ceph-packages:
  pkg.installed:
    - pkgs: {{ ceph.packages | json }}
{%- endif %}
