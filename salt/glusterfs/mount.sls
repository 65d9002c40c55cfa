{%- from "glusterfs/map.jinja" import glusterfs with context %}
{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import topo with context %}
{%- set gluster = topo.gluster %}
{%- set servers = gluster.brick_hosts %}
# The shared instances directory: every compute mounts the replicated volume
# at nova's instances path, so every compute sees every instance's disk and
# live migration needs no block copy.  Any brick host can serve the volume
# file (backup-volfile-servers).
include:
  - nova.user

glusterfs-client-packages:
  pkg.installed:
    - pkgs: {{ glusterfs.client_packages | json }}

glusterfs-instances-dir:
  file.directory:
    - name: {{ nova.instances_dir }}
    - makedirs: true
    - require:
      - user: nova-user

glusterfs-instances-mount:
  mount.mounted:
    - name: {{ nova.instances_dir }}
    - device: {{ servers[0] }}:/{{ gluster.volume }}
    - fstype: glusterfs
    - opts: {{ glusterfs.mount_options }}{% if servers | length > 1 %},backup-volfile-servers={{ servers[1:] | join(':') }}{% endif %}
    - persist: true
    - mkmnt: true
{%- if servers | length > 1 %}
    # A mount option of the FUSE client only: /proc/mounts never shows it,
    # so without this every run would see it as changed and remount.
    - hidden_opts:
      - backup-volfile-servers={{ servers[1:] | join(':') }}
{%- endif %}
    - require:
      - pkg: glusterfs-client-packages
      - file: glusterfs-instances-dir

# Ownership of the mounted volume's root: the same uid/gid on every compute.
glusterfs-instances-owner:
  file.directory:
    - name: {{ nova.instances_dir }}
    - user: {{ nova.user }}
    - group: {{ nova.group }}
    - mode: '0755'
    - require:
      - mount: glusterfs-instances-mount
