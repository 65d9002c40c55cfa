"""
Validate the ``openstack`` pillar and turn it into the cloud's topology model.

Every formula of this project renders from one pillar key, ``openstack``
(see ``pillar/openstack.sls``, the documented example).  The formulas do not
read addresses, roles or sizes from it directly: ``common/topology.jinja``
(which the formulas' SLS files import; their ``map.jinja`` files only merge
package and service names) calls

.. code-block:: jinja

    {% set topo = salt['openstack_pillar.topology']() %}

which validates the whole pillar first.  A bad pillar therefore makes every
state fail to render with one message listing *all* the problems, each named
by its full colon-separated pillar key, and a highstate is refused before
anything on any host is touched::

    Invalid pillar:
      openstack:hosts:compute1:address: '10.0.0.300' is not a valid IP address
      openstack:passwords:nova: missing or empty

The message never contains a password value, only key names.  The model
holds no password either: the formulas read ``openstack:passwords``
themselves.

This module holds the public functions; the checks are in ``_utils/``:
``saltext_openstack_model_validator`` (the walk and the field checks), its
mixins ``saltext_openstack_model_network`` (networks, hosts, OVN,
firewall, passwords), ``saltext_openstack_model_storage`` (gluster,
cinder's backends, Ceph) and ``saltext_openstack_model_services`` (the
other services), and ``saltext_openstack_model`` (the constants and
helpers; those named here are ``openstack_pillar.NAME`` too).

Secrets per role
----------------
A minion's pillar holds only the passwords its roles use
(:data:`ROLE_SECRETS`; the master's ``openstack_secrets`` ext_pillar
narrows it with :func:`narrow_secrets`), so on a minion the validator
requires those only; on the master (the orchestration) and for ``data``
given explicitly it requires every one.  The orchestrations' host map
(:func:`host_map`) requires none: roles are not secrets.

Required keys
-------------
``hosts`` (each with ``roles`` and ``address``), ``networks:management``
(``cidr``, ``interface``), ``networks:provider`` (``cidr``, ``interface``,
``gateway``, ``allocation_start``, ``allocation_end``) and every password
of :data:`REQUIRED_PASSWORDS` (and, with an rbd backend, those of
:data:`CONDITIONAL_PASSWORDS`).  Nothing about the site's real networks is
guessed.  The management, provider and self-service networks and the
firewall's source networks are IPv4: IPv6 is refused with the key named
(:data:`IPV6_REFUSED`).

Defaults
--------
Every other key is optional; the defaults mirror the example pillar::

    release                                 2025.1
    region                                  RegionOne
    domain                                  "" (no domain: a host's fqdn is its minion id)
    networks:provider:name                  provider (the Neutron network and subnet)
    networks:provider:physical_network      provider
    networks:selfservice:name               selfservice (the Neutron network and subnet)
    networks:selfservice:cidr               172.16.1.0/24
    networks:selfservice:gateway            the first address of that cidr
    networks:selfservice:dns_nameservers    []
    networks:provider:dns_nameservers       []
    networks:provider:mtu, selfservice:mtu  none (Neutron's: 1500 and 1442); else 68 to
                                            those (see "MTU" below)
    networks:datapath_type                  system (or netdev: see "Open vSwitch" below)
    networks:geneve_vni_ranges              "1:1000"
    gateway_nat:enabled                     false
    firewall:enabled                        true
    firewall:ssh_from                       [networks:management:cidr]
    firewall:public_from                    [0.0.0.0/0]
    admin:email                             admin@<domain> (admin@localhost without one)
    demo:project, demo:user                 demo, demo
    dashboard:hosts                         [] (extra names or IPv4 addresses users
                                            reach the dashboard by, e.g. a public
                                            DNS name; the gateways' own are always in)
    gluster:volume                          nova-instances
    gluster:brick_dir                       /srv/gluster/nova-instances
    gluster:replica                         see "GlusterFS bricks" below
    gluster:arbiter                         false
    gluster:force                           true
    gluster:options                         the example's five options (a given
                                            mapping replaces them, it is not merged);
                                            quorum and auth.allow: see "GlusterFS
                                            access and quorum" below
    gluster:brick_hosts                     see "GlusterFS bricks" below
    nova:virt_type                          kvm
    nova:uid, nova:gid                      64060, 64060
    nova:live_migration_scheme              ssh
    nova:live_migration_permit_post_copy    true
    nova:cpu_allocation_ratio               4.0
    nova:ram_allocation_ratio               1.0
    cinder:volume_group                     cinder-volumes
    cinder:loop_file_size_gb                10
    cinder:lvm_type                         auto
    cinder:backends                         one lvm backend named lvm, with the two
                                            keys above (see "Cinder backends and
                                            Ceph" below)
    cinder:backends:N:volume_type           the backend's name
    cinder:default_volume_type              the first backend's volume type
    ceph                                    none (an existing Ceph cluster: see
                                            "Cinder backends and Ceph")
    glance:images                           []
    workers:api, conductor, scheduler, metadata   2, 1, 1, 1
    workers:rpc                             1 (neutron's RPC workers; 0: none, and
                                            neutron-rpc-server stopped)
    workers:glance                          workers:api (glance-api's worker
                                            processes; 0: served from its own
                                            process)
    tls:days                                365 (validity of each host's certificate
                                            from the master's CA; see "TLS
                                            certificates" below)
    tls:public, tls:public_ca               none (every public endpoint serves the
                                            master CA's certificate; see "TLS
                                            certificates")
    flavors                                 m1.nano (1 vcpu, 128 MiB, 1 GB) and
                                            m1.small (1, 2048, 20); a given mapping
                                            of name: {vcpus, ram (MiB), disk (GB)}
                                            replaces them.  Optional per flavor:
                                            ephemeral (GB) 0, swap (MiB) 0, public
                                            true, description (none: not managed;
                                            one line of at most 65535 characters,
                                            Nova's limit), extra_specs {} (exactly
                                            these)
    security_groups                         the admin project's default group with
                                            the guide's ICMP and SSH rules; a given
                                            mapping of name: {description, rules,
                                            remove_unlisted (false)} replaces it.
                                            Names and descriptions: at most 255
                                            characters (Neutron's), no control
                                            characters.
                                            Rules as openstack_cloud takes them:
                                            direction, ethertype, protocol, port or
                                            port_range_min/max (ICMP: icmp_type and
                                            icmp_code, 0-255, a code needs a type;
                                            port is refused there), remote_ip_prefix
                                            or remote_group (a group of this
                                            mapping, or default)
    quotas                                  {} (none managed); a mapping of project
                                            name: {limit: integer, -1 unlimited},
                                            limits of Nova (cores, instances, ram,
                                            key_pairs, metadata_items,
                                            server_groups, server_group_members)
                                            and Neutron (networks, subnets, ports,
                                            routers, floating_ips, security_groups,
                                            security_group_rules); limits not
                                            listed are not managed

Open vSwitch and OVN
--------------------
Neutron uses ML2/OVN: the controller holds OVN's northbound and
southbound databases (``ovn:nb_connection``, ``ovn:sb_connection`` in the
model, on the controller's management address, over mutual TLS with the
hosts' certificates from the master's CA), every compute and gateway
is an OVN chassis named by its minion id (``hosts:<id>:chassis``), with
Geneve tunnels from its management address.  The gateways hold the
provider bridge (``ovn:bridges:provider``) with the provider interface and
the host's ``provider_address``.

``networks:datapath_type`` picks Open vSwitch's datapath: ``system`` (the
kernel module, real hosts) or ``netdev`` (userspace, for hosts without the
module, e.g. containers).  Userspace tunnels need the tunnel address on an
OVS bridge: with ``netdev`` each chassis moves its management address from
the management interface onto ``ovn:bridges:tunnel``;
``hosts:<id>:management_device`` says where a host's management address
lives.

``networks:vxlan_vni_ranges`` (linuxbridge's VXLAN, before ML2/OVN) is
refused with a pointer to ``networks:geneve_vni_ranges``.

MTU
---
The formulas leave Neutron's ``global_physnet_mtu`` at its default,
:data:`PHYSNET_MTU` (1500): the flat provider network's MTU is at most
that, a self-service (Geneve) network's at most that less the Geneve
overhead, 58 (ML2's ``max_header_size``, :data:`GENEVE_MAX_HEADER_SIZE`,
and the outer IPv4 header): 1442.  Neutron refuses a larger MTU, so the
pillar does, naming the key (:data:`MTU_CEILINGS`).

GlusterFS bricks
----------------
The shared instance volume is mounted at ``/var/lib/nova/instances`` on
every compute (``mount_hosts``).  Its bricks, by default, are the computes
in natural-sort order (``compute2`` before ``compute10``), truncated to the
largest multiple of the replica count: with replica 3, a fourth and fifth
compute mount the volume but add no brick; the sixth adds the second replica
set (``compute4``, ``compute5``, ``compute6``).  The default replica count is
3 with three or more computes, else the number of computes, so growing from
two to three computes raises replica 2 to 3 (``gluster volume add-brick VOL
replica 3 compute3:/brick``).  An explicit ``brick_hosts`` list is used as
given: its length must be a multiple of the replica count, and the default
replica count is then computed from its length.  Bricks name hosts by minion
id; the hosts resolve each other through ``/etc/hosts`` (see
:func:`hosts_entries`).

GlusterFS access and quorum
---------------------------
Three volume options come from the topology, on top of ``gluster:options``:

- ``auth.allow``: loopback and the management addresses of the computes
  (every brick host and every host that mounts), in the computes' order.
  No other host can mount the volume, whatever the firewall lets through.
  It is refused in ``gluster:options`` (as is ``auth.reject``): the host
  list is the one source.  A compute added later is allowed when the
  volume is next applied (its admission, see ``glusterfs.admit``).
- ``cluster.quorum-type: auto`` (client quorum) on replicated volumes:
  writes need more than half of a replica set, or exactly half including
  its first brick.  With replica 2 the first brick's host going down makes
  the volume read-only until it returns: split-brain of instance disks is
  refused rather than risked.  Replica 3, or ``arbiter: true`` (replica 3
  arbiter 1: a third, metadata-only brick), keeps writing with any one
  brick down.
- ``cluster.server-quorum-type``: ``server`` with three or more brick
  hosts (glusterd stops a host's bricks when it sees fewer than half of the
  pool), else ``none``: with two, losing either would stop both.
  ``gluster:options`` may set either quorum option to override it.

TLS certificates
----------------
Each host of the host map receives its own key and certificate in its
pillar (``openstack_tls``: ``cert``, ``key``, ``ca_cert``) from a CA that
the master keeps (``_modules/openstack_tls.py``; the ``openstack_secrets``
ext_pillar hands them out).  :func:`tls_request` says what a host's
certificate carries: its minion id, short name and fqdn, its management
and provider addresses, and on a gateway the ``dashboard:hosts`` names and
addresses.  ``tls:days`` (31 to 3650, default 365) is how long a new
certificate is good for; one is made anew 30 days before its end, or when
its names change.  The model holds no key.

An operator may give a controller's or a gateway's public endpoints a
certificate of their own: ``tls:public:<minion id>`` with ``cert`` (PEM,
the host's certificate first, then the intermediates), ``key`` (its PEM
private key, unencrypted) and optionally ``ca`` (the CA that signed the
chain; default ``tls:public_ca``; none: a CA the system store trusts).
Refused, naming the key: what is not PEM, a private key in ``cert``, an
encrypted key or one that is not the certificate's, a certificate (or
intermediate, or CA) that is expired or not yet valid, a chain out of
order or not signed by the CA, a ``ca`` that is not a CA certificate, a
subjectAltName without the minion id (the catalog's public URLs and the
console's URL) or, on a gateway, a ``dashboard:hosts`` entry, and a host
outside the host map or without a public role (:data:`PUBLIC_TLS_ROLES`).
On a minion only its own ``key`` is required (the master's filter gives it
no other, :func:`narrow_secrets`).  The model's ``tls:public`` gives every
controller and gateway its issuer (``cloud``: the master CA's pair from
``openstack_tls``; ``operator``), the chain and CA as PEM and the chain's
end of validity; ``tls:public_cas`` the operator's CAs the hosts trust.
The key never enters the model: the formulas read it from the pillar.

Public endpoints
----------------
Every API of the controller answers twice (``endpoints`` in the model):
plain HTTP on its usual port, for the services and Salt on the management
network (the catalog's ``internal`` and ``admin`` URLs, opened to the
management network only), and HTTPS with the controller's certificate on
its ``public_port`` (13000 + the usual port's last digits: 13000 Keystone,
13292 Glance, 13778 Placement, 13774 Nova, 13696 Neutron, 13776 Cinder),
the catalog's ``public`` URL and the only API ports opened to
``firewall:public_from``.

The model
---------
A plain, JSON-serialisable dict in a fixed order; host lists are in natural
order of minion ids::

    release, region, domain
    controller   {id, address, fqdn}
    endpoints    {keystone|glance|placement|nova|neutron|cinderv3: {type, port,
                  public_port, internal, public, internal_root, public_root}}
    gateways     [minion ids]            computes  [minion ids]
    hosts        {id: {address, roles, fqdn, shortname, provider_address,
                       chassis (minion id on computes and gateways, else None),
                       management_device, provider_device (gateways: the
                       provider bridge, else None)}}
    roles        {controller: [..], gateway: [..], compute: [..]}
    management   {cidr, prefixlen, netmask, interface}
    networks     {management, provider {cidr, prefixlen, name, interface,
                  physical_network, gateway, allocation_start, allocation_end,
                  dns_nameservers, mtu}, selfservice {cidr, prefixlen, name, gateway,
                  dns_nameservers, mtu}, datapath_type, geneve_vni_ranges}
    ovn          {nb_connection, sb_connection ("ssl:ADDRESS:PORT"), nb_listen,
                  sb_listen ("pssl:PORT:ADDRESS"),
                  encap_type, geneve_max_header_size, bridges {integration, tunnel,
                  provider}}
    gateway_nat  {enabled}               firewall  {enabled, ssh_from, public_from}
    admin        {email}                 demo      {project, user}
    dashboard    {allowed_hosts: every gateway's id, short name, fqdn, address and
                  provider_address, then dashboard:hosts}
    gluster      {volume, brick_dir, mount_point, replica, arbiter, brick_hosts,
                  bricks ["host:/dir"], force, mount_hosts, options}
    nova, workers                        as in the pillar, with defaults
    cinder       {volume_group, loop_file_size_gb, lvm_type, backends [{name,
                  type: lvm, volume_type, backend_name, volume_group, lvm_type}
                  or {name, type: rbd, volume_type, backend_name, pool, user,
                  ceph_conf, secret_uuid}] (backend_name: cinder.conf's
                  volume_backend_name, the name but LVM for the lvm backend
                  named lvm),
                  default_volume_type, rbd (whether a backend is of type rbd:
                  what the formulas test for the Ceph client side)}
    ceph         None, or {fsid, monitors [addresses], mon_host ("a,b"), conf,
                  user (the rbd backends' cephx user, None without one),
                  keyring (its path, None without one), libvirt_secret_uuid}
    flavors      {name: {vcpus, ram, disk, ephemeral, swap, public, description,
                         extra_specs}}
    security_groups {name: {description, remove_unlisted, rules: [{direction,
                    ethertype, protocol, port_range_min, port_range_max (ICMP:
                    type and code), remote_ip_prefix, remote_group}]}}
    glance       {images: [{name, source, source_hash, disk_format, container_format,
                                visibility, kernel, ramdisk, properties}]}
    tls          {days, public {controller or gateway id: {issuer (cloud|operator),
                  cert, ca, not_after}}, public_cas [PEM]}

Addresses and networks are normalized strings (``10.0.0.0/8`` for
``10.0.0.0/255.0.0.0``, ``/32`` added to a bare firewall address).

Cinder backends and Ceph
------------------------
``cinder:backends`` is a list (cinder.conf's ``enabled_backends`` in its
order; a list rather than a mapping so that a name given twice is refused
instead of YAML keeping the last) of backends, each a mapping with
``name`` and ``type``:

- ``name``: a cinder.conf section and a volume type's name: letters,
  digits, ``_`` and ``-``, not starting with ``-``, at most 64 characters,
  not a section cinder.conf has for itself (``DEFAULT``, ``database``...:
  :data:`CINDER_SECTIONS`), unique without regard to case;
- ``type: lvm``: ``volume_group`` and ``lvm_type``, by default the
  top-level ``cinder:volume_group`` and ``cinder:lvm_type`` (so a pillar
  without ``backends`` keeps its meaning: one lvm backend named ``lvm``);
  two lvm backends on one volume group are refused;
- ``type: rbd``: a pool of an existing Ceph cluster, ``pool`` (default
  ``volumes``) and ``user`` (the cephx user id, without ``client.``;
  default ``cinder``).  Every rbd backend uses the one cluster of
  ``openstack:ceph`` and one user (nova's ``[libvirt] rbd_user`` is one);
- ``volume_type`` (either type): the Cinder volume type made for the
  backend (``cloud.volume_types``, extra spec ``volume_backend_name`` =
  its ``backend_name``: its name, ``LVM`` for the lvm backend named
  ``lvm``), default the backend's name: letters, digits and ``. _ -``,
  not starting with ``.`` or ``-``, at most 64 characters, not Cinder's
  own ``__DEFAULT__``, unique without regard to case.

``cinder:default_volume_type`` (cinder.conf's ``[DEFAULT]
default_volume_type``, the type of a volume created without one) is one
of the backends' volume types, by default the first backend's.

A key of the other type's is refused.  ``openstack:ceph`` names the
existing cluster, required with an rbd backend: ``fsid`` (a UUID, as
``ceph fsid`` prints it), ``monitors`` (a non-empty list of IPv4
addresses, each optionally with ``:port``; IPv6 and msgr2 address vectors
are refused) and ``libvirt_secret_uuid`` (the UUID of the libvirt secret
holding the key on every compute; default a uuid5 of the fsid and
``client.<user>``, the same on every run).  The cephx key of that user
is a secret, ``passwords:ceph_cinder_key`` (``ceph auth get-key
client.cinder``), required with an rbd backend only, on the controller
(cinder-volume) and the computes (the libvirt secret): the gateway never
gets it.  It must decode as a cephx key (base64 of 28 bytes: type AES,
creation time, length 16, the 16-byte secret).  The model's
``cinder:backends`` entries are complete (an rbd one with ``ceph_conf``
and ``secret_uuid``); its ``ceph`` holds no key.

Glance images
-------------
``glance:images`` entries name a file of the image cache and go into shell
commands: ``name``, ``kernel`` and ``ramdisk`` are letters, digits and
``. _ + -`` (no ``/``, not starting with ``.`` or ``-``); ``kernel`` and
``ramdisk`` name other images of the list; ``source`` is an http, https,
ftp or salt URL or a normalized absolute path, without whitespace;
``properties`` is a mapping of names to strings or numbers, not one of
Glance's own fields (``kernel_id``: give ``kernel``); ``visibility`` is
public (the default), private, shared or community. The
``openstack_cloud.image_present`` state keeps them (cloud.images).

Unknown keys
------------
Keys this module does not know are ignored (other formulas may read their
own), except a key that looks like a typo of a missing known key of the same
mapping (``replcia`` for ``replica``), which is reported.
"""
from salt.exceptions import CommandExecutionError

# The validator, the pillar's constants and its pure helpers (_utils/):
# synced to extmods/utils, which the loader puts on sys.path while it
# loads this module (on a minion and on the master alike), or part of the
# pip-installed package.
try:
    import saltext_openstack_model as model
    import saltext_openstack_model_validator as validator
except ImportError:
    try:
        from saltext_openstack._utils import saltext_openstack_model as model
        from saltext_openstack._utils import saltext_openstack_model_validator as validator
    except ImportError:  # pragma: no cover - synced or installed with this module
        model = validator = None

__virtualname__ = "openstack_pillar"

# What formulas, tests, cluster/ and the docs read as openstack_pillar.NAME
# (constants only: a function imported here would be a CLI function).
if model is not None:
    API_ENDPOINTS = model.API_ENDPOINTS
    CINDER_SECTIONS = model.CINDER_SECTIONS
    CONDITIONAL_PASSWORDS = model.CONDITIONAL_PASSWORDS
    DATABASE_PASSWORDS = model.DATABASE_PASSWORDS
    GENEVE_MAX_HEADER_SIZE = model.GENEVE_MAX_HEADER_SIZE
    IPV6_REFUSED = model.IPV6_REFUSED
    MTU_CEILINGS = model.MTU_CEILINGS
    NETWORK_NAMES = model.NETWORK_NAMES
    PASSWORD_LIMITS = model.PASSWORD_LIMITS
    PHYSNET_MTU = model.PHYSNET_MTU
    PUBLIC_TLS_ROLES = model.PUBLIC_TLS_ROLES
    REQUIRED_PASSWORDS = model.REQUIRED_PASSWORDS
    ROLE_SECRETS = model.ROLE_SECRETS
    ROLES = model.ROLES


def __virtual__():
    if model is None:
        return (False, "openstack_pillar needs saltext_openstack_model, "
                       "saltext_openstack_model_validator and saltext_openstack_cloud* from "
                       "_utils: run saltutil.sync_all (sync_modules alone does not sync them)")
    if not validator.HAS_NETADDR:
        return (False, "openstack_pillar needs the netaddr Python library")
    if not model.HAS_CRYPTOGRAPHY:
        return (False, "openstack_pillar needs the python cryptography package")
    return __virtualname__


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def validate(data=None):
    """
    Validate the ``openstack`` pillar and return the topology model.

    data
        The value of the ``openstack`` pillar key to validate.  Default: the
        minion's own pillar (``__pillar__``).  Given, every password of
        :data:`REQUIRED_PASSWORDS` is required; the minion's own pillar must
        hold those its roles use (:data:`ROLE_SECRETS`, which is all the
        master's pillar filter gives it), or every one where the caller is
        the master (the orchestration renders there, with all of them).

    All problems are collected first; if there is any, raises
    ``CommandExecutionError`` whose message starts with ``Invalid pillar:``
    and lists one problem a line, each naming its full pillar key.  Never
    includes a password value.

    CLI Example::

        salt-call openstack_pillar.validate
        salt '*' openstack_pillar.validate
    """
    secrets = own_id = None
    if data is None:
        data = _minion_pillar()
        secrets = _own_secrets(data)
        own_id = __opts__.get("id")  # pylint: disable=undefined-variable
    return validator.Validator(data, secrets, own_id).run()


def topology(data=None):
    """
    Return the topology model of the cloud (see :func:`validate`).

    The formulas call this from ``common/topology.jinja``; a bad pillar raises the same
    ``Invalid pillar:`` error, so that no state renders.

    data
        The value of the ``openstack`` pillar key.  Default: the minion's own
        pillar.

    CLI Example::

        salt-call openstack_pillar.topology
    """
    return validate(data)


def host_map(data=None):
    """
    Return the hosts of the cloud by role, as the model has them:
    ``everyone`` (every host), ``controller``, ``gateways``, ``computes``
    (minion ids, in natural order) and ``brick_hosts`` (the model's
    ``gluster:brick_hosts``: see "GlusterFS bricks").  The orchestrations
    target their steps from it (``openstack/hostmap.jinja``, rendered on the
    master).

    Only what the roles come from is validated: the host map, the networks
    its addresses belong to and ``gluster``; a problem there raises the
    ``Invalid pillar:`` error of :func:`validate`, naming the key.  No
    secret is required or read (:func:`validate` checks those).

    data
        The value of the ``openstack`` pillar key.  Default: the minion's own
        pillar (the master's own, in an orchestration).

    CLI Example::

        salt-call openstack_pillar.host_map
        salt-run salt.cmd openstack_pillar.host_map
    """
    if data is None:
        data = _minion_pillar()
    checks = validator.Validator(data)
    return checks.run(checks.build_host_map)


def password_limits():
    """
    Return the secrets of ``openstack:passwords`` whose alphabet is narrower
    than the others': for each, ``refused`` (a regular expression matching
    one character it may not hold) and ``why``.  The validator's own rules
    (what 2025.1's clients cannot pass on); no secret is read.  The test
    cluster's rotate phase makes its new passwords by them.  A secret another
    system issues (a cephx key) has ``external: True``, every character
    refused, and ``why`` says how it is rotated.

    CLI Example::

        salt-call openstack_pillar.password_limits
    """
    limits = {name: {"refused": pattern.pattern, "why": why}
              for name, (pattern, why) in model.PASSWORD_LIMITS.items()}
    # Keys another system issues: no value made here is right.
    limits.update({name: {"refused": ".", "why": why, "external": True}
                   for name, why in model.EXTERNAL_SECRETS.items()})
    return limits


def hosts_entries(data=None):
    """
    Return the ``/etc/hosts`` entries of every host of the cloud.

    A list of ``[address, [fqdn, shortname]]`` pairs (only ``[name]`` when
    the fqdn and short name are the same), in natural order of minion ids.
    Validates the pillar first, like :func:`validate`.

    data
        The value of the ``openstack`` pillar key.  Default: the minion's own
        pillar.

    CLI Example::

        salt-call openstack_pillar.hosts_entries
    """
    topo = validate(data)
    return [[host["address"], model.host_names(host)] for host in topo["hosts"].values()]


def role_secrets():
    """
    Return the per-role allow-list of secrets: role -> the names under
    ``openstack:passwords`` its formulas read (:data:`ROLE_SECRETS`).  Names
    only, never a value.

    CLI Example::

        salt-call openstack_pillar.role_secrets
    """
    return {role: sorted(names) for role, names in model.ROLE_SECRETS.items()}


def host_roles(data, minion_id):
    """
    Return the known roles of ``minion_id`` in the host map of ``data`` (the
    value of the ``openstack`` pillar key), in :data:`ROLES` order; none when
    the host is not listed or its entry is malformed (the validator reports
    that).

    CLI Example::

        salt-call openstack_pillar.host_roles "{hosts: {c1: {roles: [compute]}}}" c1
    """
    hosts = data.get("hosts") if model.is_mapping(data) else None
    entry = hosts.get(minion_id) if model.is_mapping(hosts) else None
    roles = entry.get("roles") if model.is_mapping(entry) else None
    if not isinstance(roles, (list, tuple)):
        return []
    return [role for role in model.ROLES if role in [r for r in roles if isinstance(r, str)]]


def allowed_secrets(roles):
    """
    Return the names of the secrets a host with ``roles`` may hold, sorted:
    the union of their :data:`ROLE_SECRETS`.

    CLI Example::

        salt-call openstack_pillar.allowed_secrets '[gateway, compute]'
    """
    return sorted({name for role in roles if isinstance(role, str)
                   for name in model.ROLE_SECRETS.get(role, ())})


def narrow_secrets(data, minion_id):
    """
    Return a copy of ``data`` (the value of the ``openstack`` pillar key)
    whose ``passwords`` hold only the secrets the roles of ``minion_id`` use:
    none for a host outside the host map; and whose ``tls:public`` keeps
    the operator's private key (``key``) of ``minion_id``'s own entry only,
    when it is a controller or a gateway (:data:`PUBLIC_TLS_ROLES`): the
    other entries keep their certificates, and an entry that is not a
    mapping is dropped.  The master's pillar filter
    (``_pillar/openstack_secrets.py``) calls it for every minion's pillar.
    Other keys are shared, not copied.

    CLI Example::

        salt-run salt.cmd openstack_pillar.narrow_secrets "{...}" compute1
    """
    if not model.is_mapping(data):
        return data
    narrowed = {key: value for key, value in data.items() if key != "passwords"}
    passwords = data.get("passwords")
    if model.is_mapping(passwords):
        allowed = set(allowed_secrets(host_roles(data, minion_id)))
        narrowed["passwords"] = {name: value for name, value in passwords.items()
                                 if name in allowed}
    tls = data.get("tls")
    if model.is_mapping(tls) and "public" in tls:
        own = set(host_roles(data, minion_id)) & set(model.PUBLIC_TLS_ROLES)
        public = tls["public"] if model.is_mapping(tls["public"]) else {}
        narrowed["tls"] = dict(tls, public={
            host: entry if host == minion_id and own else
            {name: value for name, value in entry.items() if name != "key"}
            for host, entry in public.items() if model.is_mapping(entry)})
    return narrowed


def endpoints(controller):
    """
    The catalog of the controller ``controller`` (a minion id, the name its
    certificate carries): for each API of :data:`API_ENDPOINTS`, its
    ``type``, ``port``, ``public_port``, ``description`` and service ``user``
    (None for Keystone itself), the ``internal`` URL (plain HTTP on the
    management network, for the services and Salt) and the
    ``public`` URL (HTTPS, with the host's certificate from the master's
    CA), each with its catalog path, and the ``internal_root`` and
    ``public_root`` without it.  None without a controller.
    """
    return model.endpoints(controller)


def console(gateway):
    """
    The noVNC console proxy of the gateway ``gateway`` (a minion id, the
    name its certificate carries): ``port`` and ``url`` (HTTPS, the page
    nova-compute hands to browsers).  None without a gateway.
    """
    return model.console(gateway)


def tls_request(data, minion_id):
    """
    Return what the certificate of ``minion_id`` must carry, from the
    validated model of ``data`` (the value of the ``openstack`` pillar key):
    ``{"names": [...], "addresses": [...], "days": N}``; None for a host
    outside the host map or when ``data`` does not validate (the formulas
    then refuse to render, naming the key).  Names: the minion id, short
    name and fqdn, and on a gateway the pillar's ``dashboard:hosts`` names;
    addresses: the management and provider addresses, and a gateway's
    ``dashboard:hosts`` addresses.  The master's ``openstack_secrets``
    ext_pillar asks :mod:`openstack_tls` for that certificate.

    CLI Example::

        salt-run salt.cmd openstack_pillar.tls_request "{...}" gateway
    """
    try:
        topo = validate(data)
    except CommandExecutionError:
        return None
    host = topo["hosts"].get(minion_id)
    if host is None:
        return None
    names, addresses = [], []

    def add(value):
        if value is None:
            return
        target = addresses if model.IPV4_RE.match(value) else names
        if value.lower() not in [v.lower() for v in target]:
            target.append(value)

    for value in model.host_identities(minion_id, host):
        add(value)
    # A gateway's: the dashboard's names of dashboard:hosts too.
    for value in model.public_names(minion_id, topo["hosts"], topo["gateways"],
                                    topo["dashboard"]):
        add(value)
    return {"names": names, "addresses": addresses, "days": topo["tls"]["days"]}


def secrets_filter_ready():
    """
    Return True when this master narrows ``openstack:passwords`` per minion
    (the ``openstack_secrets`` ext_pillar is configured, loadable and runs
    after the pillar files); else raise ``CommandExecutionError`` saying
    what to configure.  The pillar top files call it, so that without the
    filter no minion gets the ``openstack`` pillar at all (and the master
    says why) instead of every secret.

    CLI Example::

        salt-run salt.cmd openstack_pillar.secrets_filter_ready
    """
    opts = __opts__  # pylint: disable=undefined-variable
    how = ("add `ext_pillar: [{openstack_secrets: {}}]` to the master's configuration and "
           "run `salt-run saltutil.sync_all` (README, \"Deploying on real hosts\")")
    excluded = opts.get("exclude_ext_pillar") or []
    runs = [run for run in opts.get("ext_pillar") or []
            if not (model.is_mapping(run) and set(run) <= set(excluded))]
    places = [index for index, run in enumerate(runs)
              if model.is_mapping(run) and model.SECRETS_FILTER in run]
    if model.SECRETS_FILTER in excluded or not places:
        raise CommandExecutionError(
            "openstack pillar withheld: the master does not filter openstack:passwords per "
            "role (no openstack_secrets ext_pillar): " + how)
    # Salt merges each ext_pillar's data in the order listed: one after the
    # filter (git_pillar, vault, gpg: where sites keep passwords) could
    # merge every secret back.
    at = places[-1]
    after = sorted({str(key) for run in runs[at:]
                    for key in (run if model.is_mapping(run) else [run])} - {model.SECRETS_FILTER})
    if after:
        raise CommandExecutionError(
            "openstack pillar withheld: the openstack_secrets ext_pillar must be the last "
            "ext_pillar (one after it, {}, could merge every secret back): move it to the "
            "end of the master's ext_pillar list, in an entry of its own".format(", ".join(after)))
    if opts.get("ext_pillar_first"):
        raise CommandExecutionError(
            "openstack pillar withheld: ext_pillar_first is set, so the openstack_secrets "
            "ext_pillar would run before the pillar files it filters: unset it")
    import salt.loader  # pylint: disable=import-outside-toplevel

    loader = salt.loader.pillars(opts, __salt__)  # pylint: disable=undefined-variable
    if model.SECRETS_FILTER not in loader:  # (its ext_pillar function)
        raise CommandExecutionError(
            "openstack pillar withheld: the openstack_secrets ext_pillar is configured but "
            "not installed on the master: " + how)
    return True


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _minion_pillar():
    # Read __pillar__ itself: __salt__["pillar.get"] masks secrets on Salt 3008.
    return __pillar__.get(model.ROOT)  # pylint: disable=undefined-variable


def _own_secrets(data):
    """
    The secrets the caller's own pillar must hold: None (every one) on the
    master, where the orchestration renders with the whole pillar; else
    those of this minion's roles (:data:`ROLE_SECRETS`).
    """
    opts = __opts__  # pylint: disable=undefined-variable
    if opts.get("__role") == "master":
        return None
    return set(allowed_secrets(host_roles(data, opts.get("id"))))
