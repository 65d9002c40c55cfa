{%- from "nova/map.jinja" import nova with context %}
{%- from "nova/confdir.jinja" import config_dir_after with context %}
{%- from "nova/settings.jinja" import nova_settings with context %}
{%- from "common/topology.jinja" import topo, my_address with context %}
{%- from "ovn/map.jinja" import ovn with context %}
{%- set virt_type = topo.nova.virt_type %}
{#- Live migration is peer to peer: the source's libvirtd (root) connects to
    the destination's.  Over SSH it logs in as nova with nova's own key
    (nova.migration), never as root. #}
{%- set scheme = topo.nova.live_migration_scheme %}
{%- if scheme == 'ssh' %}
{%-   set migration = {'live_migration_uri': 'qemu+ssh://' ~ nova.user ~ '@%s/system?keyfile='
                                            ~ nova.home ~ '/.ssh/id_ed25519&no_tty=1'} %}
{%- else %}
{%-   set migration = {'live_migration_scheme': scheme} %}
{%- endif %}
{#- The migration stream (memory, device state) goes over QEMU's own TLS
    with the hosts' certificates from the master's CA (libvirt.tls). #}
{%- set libvirt = {'virt_type': virt_type,
                   'live_migration_inbound_addr': my_address,
                   'live_migration_with_native_tls': True,
                   'live_migration_permit_post_copy':
                       topo.nova.live_migration_permit_post_copy} %}
{%- do libvirt.update(migration) %}
{#- Volumes of an rbd backend (cinder:backends): QEMU attaches them through
    librbd as this cephx user, with the key of the libvirt secret
    (ceph.libvirt). #}
{%- set rbd = topo.cinder.rbd %}
{%- if rbd %}
{%-   do libvirt.update({'rbd_user': topo.ceph.user,
                         'rbd_secret_uuid': topo.ceph.libvirt_secret_uuid}) %}
{%- endif %}
{#- [os_vif_ovs]: os-vif plugs instances into br-int through the local OVS
    database (its default, tcp:127.0.0.1:6640, is not listened on). #}
{%- set settings = salt['slsutil.merge'](nova_settings, {
      'DEFAULT': {'compute_driver': 'libvirt.LibvirtDriver',
                  'instances_path': topo.gluster.mount_point,
                  'mkisofs_cmd': nova.mkisofs_cmd,
                  'cpu_allocation_ratio': topo.nova.cpu_allocation_ratio,
                  'ram_allocation_ratio': topo.nova.ram_allocation_ratio},
      'libvirt': libvirt,
      'vnc': {'novncproxy_base_url': topo.console.url},
      'os_vif_ovs': {'ovsdb_connection': ovn.ovsdb_connection},
    }) %}
{%- do settings.pop('database') %}
{%- do settings.pop('api_database') %}
{#- nova.compute's install part: configuration and packages, nothing that
    starts a service or needs the controller.  The orchestration runs it on
    the computes while the controller is set up; nova.compute includes it. #}
include:
  - nova.user
  - nova.retired
  - libvirt
  - glusterfs.mount
{%- if rbd %}
  # ceph.conf, the keyring, QEMU's rbd driver and the libvirt secret
  - ceph.client
  - ceph.libvirt
{%- endif %}

# Configuration before the packages: Debian's nova-compute starts from its
# postinst and retries the message queue forever without a valid config.
nova-compute-config:
  openstack_config.present:
    - name: {{ nova.config_file }}
    - settings: {{ settings | json }}
    - user: root
    - group: {{ nova.group }}
    - mode: '0640'
    - require:
      - file: nova-config-dir

nova-compute-packages:
  pkg.installed:
    - pkgs: {{ (nova.compute_packages[virt_type] + nova.config_drive_packages) | json }}
    - require:
      - openstack_config: nova-compute-config
      - service: libvirt-service
      - cmd: glusterfs-instances-mount
{{ config_dir_after('nova-compute-packages') }}
