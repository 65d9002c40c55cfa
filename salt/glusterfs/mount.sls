{%- from "glusterfs/map.jinja" import glusterfs, mounted with context %}
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
    - name: {{ gluster.mount_point }}
    - makedirs: true
    - require:
      - user: nova-user

{%- set opts = glusterfs.mount_options ~ ((',backup-volfile-servers=' ~ servers[1:] | join(':'))
                                          if servers | length > 1 else '') %}
# /etc/fstab holds the mount's options; the list of backup volfile servers
# grows with every compute added.  A mounted share is never remounted for
# that (instances run from it): only the entry changes, used at the next
# mount.  (mount.mounted would unmount and mount again whenever the options
# differ from those it mounted with.)
glusterfs-instances-fstab:
  file.replace:
    - name: /etc/fstab
    - pattern: '^[^#\s]+\s+{{ gluster.mount_point | regex_escape }}\s.*$'
    - repl: '{{ servers[0] }}:/{{ gluster.volume }} {{ gluster.mount_point }} glusterfs {{ opts }} 0 0'
    - append_if_not_found: true
    - require:
      - pkg: glusterfs-client-packages
      - file: glusterfs-instances-dir

# mount.glusterfs returns 0 before the bricks have accepted the client: a
# client they refuse (auth.allow) unmounts again a moment later, or answers
# ENOTCONN.  So the mount counts once its root lists and it is still there.
glusterfs-instances-mount:
  cmd.run:
    - name: >-
        mount {{ gluster.mount_point }}
        && ls {{ gluster.mount_point }} >/dev/null
        && {{ mounted(gluster.mount_point) }} >/dev/null
        || { {{ mounted(gluster.mount_point) }} >/dev/null
        && umount -l {{ gluster.mount_point }};
        echo "{{ gluster.mount_point }}: the volume did not stay mounted
        (auth.allow refused this host, or no brick answered)" >&2; exit 1; }
    - unless: {{ mounted(gluster.mount_point) }}
    - require:
      - file: glusterfs-instances-fstab

# Ownership of the mounted volume's root: the same uid/gid on every compute.
glusterfs-instances-owner:
  file.directory:
    - name: {{ gluster.mount_point }}
    - user: {{ nova.user }}
    - group: {{ nova.group }}
    - mode: '0755'
    - require:
      - cmd: glusterfs-instances-mount
