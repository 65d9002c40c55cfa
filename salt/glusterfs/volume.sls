{%- from "common/topology.jinja" import topo with context %}
{%- set gluster = topo.gluster %}
# Runs on the first brick host, which is already in the trusted pool: it
# probes the other brick hosts and creates (or grows) the replicated volume.
# Bricks are only ever added, never removed.
include:
  - glusterfs.server
{%- for host in gluster.brick_hosts %}
{%-   if host != grains['id'] %}

glusterfs-peer-{{ host }}:
  gluster.peered:
    - name: {{ host }}
    - require:
      - service: glusterfs-service
    - require_in:
      - gluster: glusterfs-volume
{%-   endif %}
{%- endfor %}

glusterfs-volume:
  gluster.volume_present:
    - name: {{ gluster.volume }}
    - bricks: {{ gluster.bricks | json }}
    - replica: {{ gluster.replica }}
{%- if gluster.arbiter %}
    # replica 3 arbiter 1: the third brick of every set holds metadata only.
    - arbiter: 1
{%- endif %}
    - force: {{ gluster.force }}
    - start: true
    - options: {{ gluster.options | json }}
    - require:
      - service: glusterfs-service
