{%- from "glusterfs/map.jinja" import glusterfs with context %}
{%- from "common/topology.jinja" import topo with context %}
# Every compute runs glusterd (so that any compute can hold a brick); the
# brick directory exists on the hosts that hold one.
glusterfs-server-packages:
  pkg.installed:
    - pkgs: {{ glusterfs.server_packages | json }}

glusterfs-service:
  service.running:
    - name: {{ glusterfs.service }}
    - enable: true
    - require:
      - pkg: glusterfs-server-packages
{%- if grains['id'] in topo.gluster.brick_hosts %}

glusterfs-brick-dir:
  file.directory:
    - name: {{ topo.gluster.brick_dir }}
    # No owner here: the brick's root is the volume's root, which
    # glusterfs.mount gives to nova through the mount; setting root here
    # undid that on every run (and the mount state re-did it).
    - mode: '0755'
    - makedirs: true
{%- endif %}
