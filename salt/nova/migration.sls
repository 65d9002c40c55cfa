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
include:
  - nova.user

nova-ssh-dir:
  file.directory:
    - name: {{ nova.home }}/.ssh
    - user: {{ nova.user }}
    - group: {{ nova.group }}
    - mode: '0700'
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

nova-ssh-authorized-keys:
  file.managed:
    - name: {{ nova.home }}/.ssh/authorized_keys
    - user: {{ nova.user }}
    - group: {{ nova.group }}
    - mode: '0600'
    - contents: |
        # Managed by Salt: nova on every compute, from the management network only.
{%- for id, keys in mine | dictsort %}
{%-   if keys and keys.get('user_key') %}
        restrict,from="{{ mgmt }}" {{ keys.user_key }}
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
    - contents: |
        # Managed by Salt: host keys of every compute.
{%- for id, keys in mine | dictsort %}
{%-   for host_key in (keys or {}).get('host_keys', []) %}
        {{ id }},{{ topo.hosts[id].address if id in topo.hosts else id }} {{ host_key }}
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
