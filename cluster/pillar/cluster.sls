{#-
    Overrides of pillar/openstack.sls for the Vagrant test cluster.

    Computes beyond compute1 and compute2 (which the example pillar has)
    enter the host map once the salt-master has accepted their key
    (COMPUTES=3 vagrant up compute3): the address follows the Vagrantfile,
    192.168.56.(20+N).  A compute whose machine does not exist is never
    listed, so the orchestration never targets an absent minion.
#}
{%- set pki = '/etc/salt/pki/master/minions' %}
{%- set accepted = salt['file.readdir'](pki) if salt['file.directory_exists'](pki) else [] %}
{%- set extra = [] %}
{%- for n in range(3, 80) %}
{%-   if ('compute%d' % n) in accepted %}{% do extra.append(n) %}{% endif %}
{%- endfor %}
{#- The test-only Ceph (cluster/ceph.sh, run by cluster/run's ceph phase,
    or by the controller's `ceph` provisioner of a plain `vagrant up`) and
    its client.cinder key, made by cluster/run (its image phase) in the
    cluster's state directory, 0600 (the option cluster_ceph_key names
    another file: the tests').  Without that file there is no test Ceph:
    the cluster has its lvm backend alone (volume create then NOT
    RUNNABLE here, as verify says). #}
{%- set ceph_key = salt['config.get']('cluster_ceph_key', '/vagrant/.cluster/ceph-cinder.key') %}
{%- set test_ceph = salt['file.file_exists'](ceph_key) %}
openstack:
  networks:
    # This kernel has no openvswitch (nor geneve) module: Open vSwitch's
    # userspace datapath, with the tunnel address on br-phy.
    datapath_type: netdev
  firewall:
    # SSH from the management network (the default) and from where `vagrant
    # ssh` connects: the lxc provider's lxcbr0 (lxc-net's default
    # 10.0.3.0/24, the machines' eth0), VirtualBox's NAT (10.0.2.0/24) and
    # vagrant-libvirt's management network (192.168.121.0/24).
    ssh_from: [192.168.56.0/24, 10.0.3.0/24, 10.0.2.0/24, 192.168.121.0/24]
  # One process per API (the example pillar's default is 2): the test
  # cluster's few clients do not need more, and each is a whole copy of
  # its service (issue 14: memory).  glance-api serves from its own
  # process (glance: 0) and Neutron runs no RPC worker (rpc: 0; no agent
  # here speaks RPC under ML2/OVN), so neutron-rpc-server is stopped.
  workers:
    api: 1
    glance: 0
    rpc: 0
  nova:
    # No usable hardware virtualisation in these containers: QEMU TCG.
    virt_type: qemu
    # QEMU cannot use userfaultfd inside these containers ("Postcopy is
    # not supported" when a migration starts).
    live_migration_permit_post_copy: false
  cinder:
    # No device-mapper in this kernel: cinder-volume's thin pool cannot be
    # created and the service reported down.  Thick LVM initialises on the
    # volume group alone (creating a volume still needs device-mapper, and
    # attaching one iSCSI: verify names both).
    lvm_type: default
{%- if test_ceph %}
    # Volumes that work here: rbd on the test-only Ceph (needs no kernel
    # support).  The default type, so that a volume made without one
    # (Tempest's, an operator's `openstack volume create`) lands where it
    # can be created; lvm stays, as a second backend, configured and up.
    backends:
      - {name: lvm, type: lvm}
      - {name: ceph, type: rbd, pool: volumes, user: cinder}
    default_volume_type: ceph
{%- endif %}
  glance:
    # The verification guest (cluster/build-image.sh, run by cluster/run
    # before the orchestration): a Debian kernel and a busybox initramfs
    # as AKI/ARI images, and a tiny raw root disk that boots with them.
    images:
      - name: verify-kernel
        source: /vagrant/.cluster/image/vmlinuz
        disk_format: aki
        container_format: aki
      - name: verify-initrd
        source: /vagrant/.cluster/image/initrd.img
        disk_format: ari
        container_format: ari
      - name: verify-guest
        source: /vagrant/.cluster/image/root.img
        disk_format: raw
        kernel: verify-kernel
        ramdisk: verify-initrd
{#- The gateway's public certificate from the cluster's "operator CA"
    (cluster/operator-tls.sh, run by cluster/run before the machines come
    up): the dashboard and the console proxy present it instead of the
    master CA's, and every host trusts that CA. #}
{%- set operator_tls = '/vagrant/.cluster/operator-tls/' %}
{%- if salt['file.file_exists'](operator_tls ~ 'gateway.crt') %}
  tls:
    public_ca: {{ salt['file.read'](operator_tls ~ 'ca.crt') | json }}
    public:
      gateway:
        cert: {{ salt['file.read'](operator_tls ~ 'gateway.crt') | json }}
        key: {{ salt['file.read'](operator_tls ~ 'gateway.key') | json }}
{%- endif %}
{%- if test_ceph %}
  # cluster/run's ceph_fsid and ceph_mon_addr (the controller's management
  # address), the Vagrantfile's CEPH_FSID: tests/unit/test_cluster_pillar.py
  # holds them equal.
  ceph:
    fsid: 5e0c1a2b-38ce-4f00-9c1d-0c1a2b3c4d5e
    monitors: [192.168.56.10]
  lookup:
    firewall:
      ports:
        controller:
          management:
            # salt/firewall/defaults.yaml's list (a lookup list replaces
            # the default's; tests/unit/test_cluster_pillar.py fails when
            # the two part), then the test Ceph's: 3300 and 6789 its
            # monitor (msgr2, msgr1), 6800-7568 its OSD and manager.
            tcp: [3306, 5672, 8775, 3260, 4505, 4506, 6642, 3300, 6789, '6800-7568']
  passwords:
    ceph_cinder_key: {{ salt['file.read'](ceph_key) | trim | json }}
{%- endif %}
{%- if extra %}
  hosts:
{%-   for n in extra %}
    compute{{ n }}:
      roles: [compute]
      address: 192.168.56.{{ 20 + n }}
{%-   endfor %}
{%- endif %}
