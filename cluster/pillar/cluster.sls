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
    # volume group alone (creating a volume still needs device-mapper,
    # which the verification reports as not runnable here).
    lvm_type: default
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
{%- if extra %}
  hosts:
{%-   for n in extra %}
    compute{{ n }}:
      roles: [compute]
      address: 192.168.56.{{ 20 + n }}
{%-   endfor %}
{%- endif %}
