{%- from "nova/map.jinja" import nova with context %}
{%- from "common/topology.jinja" import topo with context %}
{#-
    Live migration over SSH between computes, on the management network
    only: each compute's nova user has its own key; Salt's mine publishes
    the public keys and SSH host keys, and every compute trusts exactly the
    other computes (authorized_keys restricted to the management network,
    known_hosts pinned).  Nothing here uses unauthenticated libvirt TCP.
#}
{%- set mine = salt['mine.get'](topo.computes | join(','), 'openstack_nova_ssh', tgt_type='list') %}
{%- set mgmt = topo.management.cidr %}
{#- One SSH public key, as openstack_host.nova_ssh_keys publishes it:
    "type base64" (an optional comment without spaces).  The mine is filled
    by each compute: a compromised one could send a newline and a second
    line (another key, options such as command=) or anything else; every
    value that is not exactly one such key is dropped. #}
{%- set ssh_key = '(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._:+-]+)?\\Z' %}
include:
  - nova.user

# nova owns its home: it could make .ssh a symbolic link (to /root/.ssh,
# say) and have root write the files below there.  A link is replaced by a
# real directory (allow_symlink: False with force: True).
nova-ssh-dir:
  file.directory:
    - name: {{ nova.home }}/.ssh
    - user: {{ nova.user }}
    - group: {{ nova.group }}
    - mode: '0700'
    - allow_symlink: False
    - force: True
    - require:
      - user: nova-user

nova-ssh-key:
  cmd.run:
    - name: ssh-keygen -q -t ed25519 -N '' -C nova@{{ grains['id'] }} -f {{ nova.home }}/.ssh/id_ed25519
    - runas: {{ nova.user }}
    - creates: {{ nova.home }}/.ssh/id_ed25519
    - require:
      - file: nova-ssh-dir

# authorized_keys: `restrict` (no port, agent or X11 forwarding, no pty, no
# ~/.ssh/rc) and `from=` the management network.  Nothing more is needed:
# libvirt's qemu+ssh runs a command (virt-ssh-helper or nc) over the
# session, nova's resize runs commands and scp/rsync, and the migration
# stream goes straight to the destination's QEMU (not tunnelled in SSH).
# The public keys reach the other computes through Salt's mine
# (`openstack_nova_ssh`, see pillar mine_functions): the orchestration
# updates the mine after this state and then re-applies it everywhere.
#
# nova owns ~/.ssh: it could make authorized_keys or known_hosts a symbolic
# link to any file (/etc/passwd).  With follow_symlinks: False, Salt
# replaces such a link by a regular file (its copy renames a new file over
# the name) and never writes through it; show_changes: False keeps the
# link target's content (read for the diff) out of the state's return.

nova-ssh-authorized-keys:
  file.managed:
    - name: {{ nova.home }}/.ssh/authorized_keys
    - user: {{ nova.user }}
    - group: {{ nova.group }}
    - mode: '0600'
    - follow_symlinks: False
    - show_changes: False
    - contents: |
        # Managed by Salt: nova on every compute, from the management network only.
{%- for id, keys in mine | dictsort %}
{%-   set user_key = keys.get('user_key') if keys is mapping else none %}
{%-   if user_key is string and user_key | regex_match(ssh_key) is not none %}
        restrict,from="{{ mgmt }}" {{ user_key }}
{%-   endif %}
{%- endfor %}
    - require:
      - file: nova-ssh-dir

nova-ssh-known-hosts:
  file.managed:
    - name: {{ nova.home }}/.ssh/known_hosts
    - user: {{ nova.user }}
    - group: {{ nova.group }}
    - mode: '0644'
    - follow_symlinks: False
    - show_changes: False
    - contents: |
        # Managed by Salt: host keys of every compute.
{%- for id, keys in mine | dictsort %}
{%-   set host_keys = keys.get('host_keys') if keys is mapping else none %}
{%-   for host_key in (host_keys if host_keys is sequence and host_keys is not string else []) %}
{%-     if host_key is string and host_key | regex_match(ssh_key) is not none %}
        {{ id }},{{ topo.hosts[id].address if id in topo.hosts else id }} {{ host_key }}
{%-     endif %}
{%-   endfor %}
{%- endfor %}
    - require:
      - file: nova-ssh-dir

# The source's libvirtd (root) opens the migration connection itself
# (peer to peer: qemu+ssh://nova@<destination>/system with nova's key, see
# live_migration_uri in nova.compute).  Root's ssh checks the destination
# against nova's pinned known_hosts, for logins as nova only.
nova-ssh-client-config:
  file.managed:
    - name: /etc/ssh/ssh_config.d/openstack-nova-migration.conf
    - user: root
    - group: root
    - mode: '0644'
    - makedirs: true
    - contents: |
        # Managed by Salt (nova.migration): libvirtd's live-migration
        # connections to another compute's nova user.
        Match localuser root user {{ nova.user }}
            UserKnownHostsFile {{ nova.home }}/.ssh/known_hosts
            StrictHostKeyChecking yes
            BatchMode yes
