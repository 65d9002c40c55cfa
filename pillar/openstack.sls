# Example pillar for a four-host cloud: controller, gateway, compute1, compute2.
#
# Everything the formulas deploy comes from here: hosts and their roles,
# addresses, networks, passwords, sizes.  Edit it and re-run the
# orchestration (or highstate) to change the cloud; changing a password here
# and re-running is how a credential is rotated.
#
# Every password below is an obviously-example value: replace them all
# before deploying anything real (e.g. `openssl rand -hex 16`), and keep the
# real file out of version control or encrypt it with Salt's GPG renderer.
openstack:
  # OpenStack 2025.1 (Epoxy): Debian 13's own packages (RDO 2025.1 on RHEL).
  release: '2025.1'
  region: RegionOne
  # DNS-style domain appended to host names in /etc/hosts (optional).
  domain: cloud.test

  # minion id -> roles and management address.  Roles: controller (exactly
  # one), gateway (the network node; at least one), compute (any number).
  # One host may hold several roles, e.g. roles: [gateway, compute].
  hosts:
    controller:
      roles: [controller]
      address: 192.168.56.10
    gateway:
      roles: [gateway]
      address: 192.168.56.11
      # Address on the provider (public) network; optional.  It lives on
      # the provider bridge br-ex, which holds the provider interface.
      provider_address: 203.0.113.11
    compute1:
      roles: [compute]
      address: 192.168.56.21
    compute2:
      roles: [compute]
      address: 192.168.56.22

  networks:
    # Management network: every API, RabbitMQ, MariaDB, GlusterFS, OVN
    # database, Geneve tunnel and live-migration traffic runs here.
    # `interface` is the interface holding each host's `address` (with
    # datapath_type netdev, OVN chassis move it onto the bridge br-phy).
    management:
      cidr: 192.168.56.0/24
      interface: eth1
    # Provider (external) network on the gateway: the flat network that
    # routers SNAT to and floating IPs come from.  `interface` becomes a
    # port of the OVS bridge br-ex, mapped to `physical_network`.
    # `name` (optional, default provider) is the Neutron network's and its
    # subnet's name, the one floating IPs come from (verify and Tempest
    # read it from the model).
    provider:
      cidr: 203.0.113.0/24
      interface: eth2
      physical_network: provider
      gateway: 203.0.113.1
      allocation_start: 203.0.113.100
      allocation_end: 203.0.113.199
      # Optional: DNS servers of the provider subnet (default none) and
      # the network's MTU (default: Neutron's, 1500, also the largest).
      # dns_nameservers: [203.0.113.53]
      # mtu: 1500
    # Self-service (tenant) network created for the verification instance.
    # `name` (optional, default selfservice): its and its subnet's Neutron
    # name, another than the provider network's.
    selfservice:
      cidr: 172.16.1.0/24
      gateway: 172.16.1.1
      dns_nameservers: []
      # MTU (default: Neutron's, 1442, also the largest: 1500 less Geneve's 58)
      # mtu: 1442
    # Geneve network identifiers for self-service networks (ML2/OVN).
    geneve_vni_ranges: "1:1000"
    # Open vSwitch datapath: system (the kernel module; real hosts) or
    # netdev (userspace, where the kernel has no openvswitch module).
    datapath_type: system

  # The guide's NAT gateway: the gateway host forwards and masquerades the
  # management network towards the provider interface so that hosts without
  # their own uplink reach package mirrors.  Off by default.
  gateway_nat:
    enabled: false

  firewall:
    # false: no firewall of ours (a host that had one stops its unit, which
    # deletes the table, and loses the unit and rules files).
    enabled: true
    # Networks from which SSH (22) is accepted on every host.  Default: the
    # management network only (networks:management:cidr); list it too when
    # adding the networks administrators log in from, e.g.
    # ssh_from: [192.168.56.0/24, 198.51.100.0/24]
    # Networks from which the dashboard and public APIs are reachable.
    public_from: [0.0.0.0/0]

  # TLS certificates: the Salt master makes a CA of the cloud's own
  # (/etc/salt/pki/master/openstack_ca, root only) and hands each host its
  # own key and a certificate naming it, through its pillar (openstack_tls);
  # a certificate is renewed 30 days before its end.
  tls:
    days: 365
    # Your own certificates for the public endpoints (optional), by minion
    # id of a controller (the APIs' public ports) or a gateway (the
    # dashboard on 443, the console proxy on 6080); a host without an entry
    # keeps the master CA's.  cert: PEM, the host's certificate first, then
    # the intermediates; its subjectAltName must name the minion id (the
    # catalog's and the console's URLs use it) and, on a gateway, every
    # dashboard:hosts entry.  key: its PEM private key, without a
    # passphrase; only that host receives it.  The CA that signed the
    # chain, when the hosts and clients do not trust it already (a private
    # CA), goes in public_ca, or in an entry's own `ca`; every host then
    # trusts it, and /root/admin-openrc's OS_CACERT becomes the system
    # bundle.  Keep the keys out of version control (Salt's GPG renderer).
    # public_ca: |
    #   -----BEGIN CERTIFICATE-----
    #   ...
    # public:
    #   gateway:
    #     cert: |
    #       -----BEGIN CERTIFICATE-----
    #       ... (gateway's certificate, then intermediates)
    #     key: |
    #       -----BEGIN PRIVATE KEY-----
    #       ...

  passwords:
    rabbitmq: example-rabbit
    admin: example-admin
    keystone_db: example-keystone-db
    glance_db: example-glance-db
    glance: example-glance
    placement_db: example-placement-db
    placement: example-placement
    nova_db: example-nova-db
    nova: example-nova
    neutron_db: example-neutron-db
    neutron: example-neutron
    cinder_db: example-cinder-db
    cinder: example-cinder
    metadata_secret: example-metadata-secret
    horizon_secret_key: example-horizon-secret-key-replace-with-50-random-chars
    memcache_secret_key: example-memcache-secret-key-replace-me
    demo: example-demo
    # With an rbd backend (cinder:backends): `ceph auth get-key client.cinder`
    # ceph_cinder_key: AQ...==

  # The admin's e-mail and the demo project created for verification.
  admin:
    email: admin@cloud.test
  demo:
    project: demo
    user: demo

  # Shared instance storage: one GlusterFS volume over the computes' bricks,
  # mounted at /var/lib/nova/instances on every compute.
  gluster:
    volume: nova-instances
    brick_dir: /srv/gluster/nova-instances
    # Default: 3 when there are three or more computes, else the number of
    # computes.  Must not exceed the number of bricks.
    # replica: 2
    # Use an arbiter brick (replica 3 arbiter 1): the third brick of every
    # set holds metadata only.
    arbiter: false
    # Directory bricks on the root filesystem need force.
    force: true
    options:
      network.ping-timeout: "10"
      # Recommended for VM images on GlusterFS.
      performance.quick-read: "off"
      performance.read-ahead: "off"
      performance.io-cache: "off"
      cluster.eager-lock: enable

  nova:
    # kvm (default), qemu (no hardware virtualisation) or lxc.
    virt_type: kvm
    # The nova user and group have the same ids on every compute so that
    # files on the shared instances directory keep their owner.
    uid: 64060
    gid: 64060
    # Live migration over SSH between computes (keys distributed by Salt),
    # on the management network only.
    live_migration_scheme: ssh
    # Post-copy finishes migrations of busy guests; QEMU needs userfaultfd
    # for it (unavailable in containers).
    live_migration_permit_post_copy: true
    cpu_allocation_ratio: 4.0
    ram_allocation_ratio: 1.0

  cinder:
    volume_group: cinder-volumes
    # Size of a loop-file backed volume group created when no such volume
    # group exists (0 = do not create one).
    loop_file_size_gb: 10
    # auto (thin pool when LVM supports it), thin, or default (thick
    # volumes: no thin pool, which needs device-mapper's thin target).
    lvm_type: auto
    # Cinder's backends, in order (default: one lvm backend named lvm with
    # the settings above).  An rbd backend puts volumes on an existing Ceph
    # cluster, openstack:ceph below, with the key
    # openstack:passwords:ceph_cinder_key (README, "Block storage: LVM or
    # an existing Ceph"):
    # Each backend gets a volume type, volume_type (default: its name); a
    # volume created without a type gets default_volume_type (default: the
    # first backend's type).
    # backends:
    #   - {name: lvm, type: lvm}
    #   - {name: ceph, type: rbd, pool: volumes, user: cinder, volume_type: ceph}
    # default_volume_type: lvm

  # The existing Ceph cluster of the rbd backends (not used by default):
  # ceph:
  #   fsid: a7f64266-0894-4f1e-a635-d0aeaca0e993
  #   monitors: [192.168.56.30, 192.168.56.31:6789]
  #   # libvirt_secret_uuid: default derived from the fsid and the user

  glance:
    images: []
    # - name: cirros
    #   source: http://mirror.example.test/cirros-0.6.2-x86_64-disk.img
    #   source_hash: sha256=...
    #   disk_format: qcow2
    #   visibility: public     # or private, shared, community

  # Flavors (default: m1.nano and m1.small).  Nova cannot change a
  # flavor's sizes in place: an unused flavor is replaced, keeping its id;
  # one that servers use fails its state, unchanged (give new sizes a new
  # name).  extra_specs are exactly the listed ones.
  # flavors:
  #   m1.nano: {vcpus: 1, ram: 128, disk: 1}
  #   m1.small:
  #     vcpus: 1
  #     ram: 2048
  #     disk: 20
  #     extra_specs: {"hw:cpu_policy": shared}

  # The admin project's security groups (default: the guide's ICMP and SSH
  # into the default group).  Listed rules are ensured; with
  # remove_unlisted the group's other rules are deleted, Neutron's own
  # egress and same-group rules too unless listed.  ICMP rules take
  # icmp_type and icmp_code (0-255; none: every type), not port.  Names
  # and descriptions: at most 255 characters, one line.
  # security_groups:
  #   default:
  #     rules:
  #       - {protocol: icmp}
  #       - {protocol: tcp, port: 22}
  #   web:
  #     description: HTTP from anywhere, PostgreSQL from the web servers
  #     remove_unlisted: true
  #     rules:
  #       - {direction: egress}
  #       - {direction: egress, ethertype: IPv6}
  #       - {protocol: tcp, port: 80}
  #       - {protocol: tcp, port: 5432, remote_group: web}
  #       - {protocol: icmp, icmp_type: 8}   # echo request (ping) only

  # Per-project quotas (default: none managed).  Only the listed limits
  # are set, -1 is unlimited: Nova's cores, instances, ram (MiB),
  # key_pairs, metadata_items, server_groups, server_group_members and
  # Neutron's networks, subnets, ports, routers, floating_ips,
  # security_groups, security_group_rules.
  # quotas:
  #   demo: {cores: 8, instances: 4, ram: 8192, ports: 50}

  # API and conductor worker counts: small defaults keep the controller
  # around 1.3 GB of RAM; raise them on a real controller.  Each process
  # is a whole copy of its service; 1 runs nova's conductor and scheduler
  # in their own process.  0 is taken by two kinds only:
  #   glance: glance-api's worker processes (default: as many as api);
  #           0 serves from glance-api's own process, forking none.
  #   rpc:    neutron's RPC workers (default 1); 0 runs none and stops
  #           neutron-rpc-server: enough for ML2/OVN while no agent but
  #           OVN's metadata agent is deployed (it speaks no RPC).
  workers:
    api: 2
    conductor: 1
    scheduler: 1
    metadata: 1
    # glance: 2
    rpc: 1

# Each compute publishes its nova SSH key and host keys for live migration.
mine_functions:
  openstack_nova_ssh:
    mine_function: openstack_host.nova_ssh_keys
