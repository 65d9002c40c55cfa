{%- from "glusterfs/map.jinja" import mounted with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set gluster = topo.gluster %}
# A compute's highstate, before it is enrolled: the volume lets only the
# computes it was last applied with mount it (auth.allow), so a compute new
# to pillar asks the master to admit it (reactor -> orchestrate
# openstack.admit: the first brick host probes it, adds its brick, and
# allows its address) and its mount waits for that, up to 10 minutes.
# Not fired once mounted, nor by the openstack orchestration (which applies
# glusterfs.volume before any mount and never this file).
include:
  - glusterfs.server
  - glusterfs.mount
{%- if not grains.get('openstack_enrolled') %}

glusterfs-admit-request:
  event.send:
    - name: openstack/compute/admit
    - data:
        id: {{ grains['id'] }}
    - unless: {{ mounted(gluster.mount_point) }}
    # The first brick host probes this host's glusterd and adds the brick
    # directory, both made by glusterfs.server.
    - require:
      - sls: glusterfs.server

extend:
  glusterfs-instances-mount:
    cmd:
      - require:
        - event: glusterfs-admit-request
      - retry:
          attempts: 40
          interval: 15
{%- endif %}
