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

Secrets per role
----------------
A minion's pillar holds only the passwords its roles use
(:data:`ROLE_SECRETS`; the master's ``openstack_secrets`` ext_pillar
narrows it with :func:`narrow_secrets`), so on a minion the validator
requires those only; on the master (the orchestration) and for ``data``
given explicitly it requires every one.

Required keys
-------------
``hosts`` (each with ``roles`` and ``address``), ``networks:management``
(``cidr``, ``interface``), ``networks:provider`` (``cidr``, ``interface``,
``gateway``, ``allocation_start``, ``allocation_end``) and every password
of :data:`REQUIRED_PASSWORDS`.  Nothing about the site's real networks is
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
    glance:images                           []
    workers:api, conductor, scheduler, metadata   2, 1, 1, 1
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
    nova, cinder, workers                as in the pillar, with defaults
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
import collections.abc
import copy
import difflib
import posixpath
import re

from salt.exceptions import CommandExecutionError

try:
    import datetime

    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - Salt itself requires cryptography
    HAS_CRYPTOGRAPHY = False

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - netaddr is a dependency
    HAS_NETADDR = False

# Security-group rules are checked by the code that applies them
# (_utils/saltext_openstack_cloud.py): synced with saltutil.sync_all, or
# part of the pip-installed package.
try:
    import saltext_openstack_cloud as cloud_plan
except ImportError:
    try:
        from saltext_openstack._utils import saltext_openstack_cloud as cloud_plan
    except ImportError:  # pragma: no cover - synced or installed with this module
        cloud_plan = None

__virtualname__ = "openstack_pillar"

ROOT = "openstack"

#: Host roles, in the order the model lists them.
ROLES = ("controller", "gateway", "compute")

#: Every password the formulas need: pillar key under
#: ``openstack:passwords`` and what it protects.  MariaDB's root account
#: keeps unix-socket authentication (mariadb/config.sls): no password.
REQUIRED_PASSWORDS = (
    ("rabbitmq", "RabbitMQ openstack user"),
    ("admin", "Keystone admin user"),
    ("keystone_db", "keystone database user"),
    ("glance_db", "glance database user"),
    ("glance", "Keystone glance service user"),
    ("placement_db", "placement database user"),
    ("placement", "Keystone placement service user"),
    ("nova_db", "nova databases user"),
    ("nova", "Keystone nova service user"),
    ("neutron_db", "neutron database user"),
    ("neutron", "Keystone neutron service user"),
    ("cinder_db", "cinder database user"),
    ("cinder", "Keystone cinder service user"),
    ("metadata_secret", "nova/neutron metadata proxy shared secret"),
    ("horizon_secret_key", "dashboard (Django) SECRET_KEY"),
    ("memcache_secret_key", "key of the token cache ([keystone_authtoken] ENCRYPT)"),
    ("demo", "Keystone demo user"),
)

#: Secrets that are keys rather than passwords, and their shortest length.
#: Whoever knows Horizon's SECRET_KEY can sign a session cookie (sessions are
#: signed cookies, and Horizon unpickles them) and whoever knows the token
#: cache's key can forge cached token validations: a short or guessable key
#: is refused (Django's own deployment check wants 50 characters).
SECRET_KEY_MIN_LENGTH = {"horizon_secret_key": 50, "memcache_secret_key": 32}

#: The passwords of MariaDB accounts (the services log in through PyMySQL).
DATABASE_PASSWORDS = tuple(name for name, _ in REQUIRED_PASSWORDS if name.endswith("_db"))

#: Characters a 2025.1 client cannot pass on in a password, however the
#: formulas quote it (both found by the test cluster's rotate phase):
#: password key -> (a pattern of what is refused, why).
#:
#: - keystone_db: keystone-manage hands ``[database] connection`` to
#:   alembic's configuration unescaped (keystone/common/sql/upgrades.py,
#:   _find_alembic_conf), whose ConfigParser reads the '%' of a URL-quoted
#:   character as interpolation, so db_sync fails.
#: - rabbitmq: oslo.messaging rebuilds the transport URL for kombu with
#:   urllib's quote(), which leaves '/' as it is (impl_rabbit,
#:   _transform_transport_url), so kombu reads the password's rest as the
#:   host and port and every service fails to start.
PASSWORD_LIMITS = {
    "keystone_db": (re.compile(r"[^A-Za-z0-9._~-]"),
                    "may hold only letters, digits and - . _ ~: keystone-manage db_sync "
                    "passes the database URL to alembic unescaped, where the '%' of a "
                    "URL-quoted character breaks it"),
    "rabbitmq": (re.compile(r"/"),
                 "may not hold '/': oslo.messaging rebuilds the transport URL for kombu "
                 "leaving '/' unquoted, so every service would misread the URL"),
}

#: The secrets of ``openstack:passwords`` each role's formulas read: the
#: per-role allow-list, stated here only.  The master's pillar filter
#: (``_pillar/openstack_secrets.py``) gives a minion the secrets of its roles
#: and no other, the validator on a minion requires only those (the master,
#: where the orchestration renders, keeps and checks them all), and the
#: cluster's verification (``cluster/verify.py``, check ``secrets``) finds a
#: host holding another.  A compute's nova.conf has no database section
#: (nova.compute.install drops it); the gateway's noVNC proxy checks console
#: tokens in the cell database, so it has the nova database password.
ROLE_SECRETS = {
    "controller": (
        "rabbitmq", "admin", "demo", "keystone_db", "glance_db", "glance", "placement_db",
        "placement", "nova_db", "nova", "neutron_db", "neutron", "cinder_db", "cinder",
        "metadata_secret", "memcache_secret_key",
    ),
    "compute": ("rabbitmq", "nova", "placement", "neutron", "metadata_secret"),
    "gateway": ("rabbitmq", "nova", "nova_db", "placement", "neutron", "horizon_secret_key"),
}

#: The ext_pillar (``_pillar/openstack_secrets.py``) that narrows
#: ``openstack:passwords`` per minion on the master.
SECRETS_FILTER = "openstack_secrets"

#: Why IPv6 networks are refused (docs/operations.md, "Pillar validation", says so).
IPV6_REFUSED = ("IPv6 is not supported (the firewall's nftables rules match 'ip saddr' and "
                "the subnets the formulas create are IPv4): give an IPv4 network")

#: Where every compute mounts the shared instance volume.
GLUSTER_MOUNT_POINT = "/var/lib/nova/instances"

DEFAULT_GLUSTER_OPTIONS = {
    "network.ping-timeout": "10",
    "performance.quick-read": "off",
    "performance.read-ahead": "off",
    "performance.io-cache": "off",
    "cluster.eager-lock": "enable",
}

VIRT_TYPES = ("kvm", "qemu", "lxc")
#: One API of the controller's catalog (:data:`API_ENDPOINTS`): its service
#: type, plain port on the management network, public TLS port, the path of
#: its catalog URL, the catalog's description, and the service user Keystone
#: holds for it (None: the API has none of its own).
Api = collections.namedtuple("Api", "type port public_port path description user")
#: The controller's APIs, by catalog name: the one service catalog that the
#: keystone formula registers, the firewall and the TLS proxy open, the
#: formulas point at (``openstack_pillar.endpoints``) and cluster/verify.py
#: checks.  The public ports follow TripleO's 13000-range convention.
API_ENDPOINTS = {
    "keystone": Api("identity", 5000, 13000, "/v3", "OpenStack Identity", None),
    "glance": Api("image", 9292, 13292, "", "OpenStack Image", "glance"),
    "placement": Api("placement", 8778, 13778, "", "Placement API", "placement"),
    "nova": Api("compute", 8774, 13774, "/v2.1", "OpenStack Compute", "nova"),
    "neutron": Api("network", 9696, 13696, "", "OpenStack Networking", "neutron"),
    "cinderv3": Api("volumev3", 8776, 13776, "/v3/%(project_id)s", "OpenStack Block Storage",
                    "cinder"),
}
#: The noVNC console proxy, which every gateway runs: its port (HTTPS, the
#: gateway's certificate) and the page the computes hand to browsers (on
#: the first gateway).
CONSOLE_PORT = 6080
CONSOLE_PATH = "/vnc_auto.html"
#: Validity of a host's certificate from the master's CA (openstack_tls),
#: which makes a new one when fewer than TLS_RENEW_DAYS remain.
TLS_DAYS = 365
TLS_RENEW_DAYS = 30
TLS_MAX_DAYS = 3650
#: An operator's certificate for a host's public endpoints
#: (``tls:public:<host>``): the chain (the host's certificate first, then
#: intermediates), its private key, and the CA that signed it when the
#: hosts and clients do not already trust it (else ``tls:public_ca``).
PUBLIC_TLS_KEYS = ("cert", "key", "ca")
#: The roles whose hosts serve public endpoints (APIs; dashboard, console).
PUBLIC_TLS_ROLES = ("controller", "gateway")
LIVE_MIGRATION_SCHEMES = ("ssh",)
#: Schemes Nova knows that the formulas do not deploy: refused with why.
UNDEPLOYED_MIGRATION_SCHEMES = {
    "tls": "would move libvirt's control connection to its TLS listener, which the "
           "formulas do not deploy: nova would fail every live migration; use ssh (the "
           "migration stream itself is encrypted with QEMU's native TLS either way)",
}
WORKER_KINDS = ("api", "conductor", "scheduler", "metadata")
DEFAULT_WORKERS = {"api": 2, "conductor": 1, "scheduler": 1, "metadata": 1}
GENEVE_VNI_MAX = 16777215
DATAPATH_TYPES = ("system", "netdev")
#: cinder's [lvm] lvm_type: auto (thin when LVM supports it), thin, or
#: default (thick).
LVM_TYPES = ("auto", "thin", "default")
OVN_NB_PORT = 6641
OVN_SB_PORT = 6642
#: The Open vSwitch bridges the formulas make (integration: ovn-controller's).
OVN_BRIDGES = {"integration": "br-int", "tunnel": "br-phy", "provider": "br-ex"}
#: The OpenStack releases the formulas deploy (their options, packages and
#: services are 2025.1's).
RELEASES = ("2025.1",)
#: Keys of earlier versions that now mean nothing: key -> what replaced it.
RETIRED_KEYS = {
    ("networks", "vxlan_vni_ranges"): "retired with linuxbridge's VXLAN: self-service networks "
                                      "are Geneve under ML2/OVN; use networks:geneve_vni_ranges",
}
MAX_ID = 2**32 - 2

# RFC 1123 host name: dot-separated labels of letters, digits and inner '-'.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# The last label must not be all digits (RFC 3696; "10" reads as an address).
HOSTNAME_RE = re.compile(r"^(?:{0}\.)*(?![0-9]+$){0}$".format(_LABEL))
# A dotted-quad IPv4 address (each part 0-255, no leading zeros).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_RE = re.compile(r"^{0}(?:\.{0}){{3}}$".format(_OCTET))
# gluster's cli_validate_volname(): alphanumeric, '-' and '_', no leading
# '-'.  Gluster allows 256 characters; 64 keeps the volfile names it builds
# from volume, host and brick path well under NAME_MAX.
GLUSTER_VOLUME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
GLUSTER_RESERVED_VOLUMES = (
    "volume", "type", "subvolumes", "option", "end-volume", "all",
    "volume_not_in_ring", "description", "force", "snap-max-hard-limit",
    "snap-max-soft-limit", "auto-delete", "activate-on-create",
)
#: Volume options the formulas set from the host list; refused in
#: gluster:options (one source for who may mount the volume).
GLUSTER_TOPOLOGY_OPTIONS = ("auth.allow", "auth.reject")
GLUSTER_OPTION_RE = re.compile(r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$")
BRICK_DIR_RE = re.compile(r"^/[A-Za-z0-9._+@/-]*$")
#: System directories a brick or mount point must never be: with ``force``
#: gluster would take them over, chown them to nova and replicate them.
SYSTEM_DIRS = (
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/media", "/mnt", "/opt",
    "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
    "/usr/local", "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock",
    "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp",
    "/var/lib/nova", "/var/lib/glusterd", "/var/lib/mysql", "/var/lib/libvirt",
    "/var/lib/glance", "/var/lib/cinder", "/var/lib/rabbitmq",
)
#: Trees nothing of gluster may live in (pseudo file systems, the OS, root's
#: home, gluster's and the services' own state).
SYSTEM_TREES = (
    "/bin", "/boot", "/dev", "/etc", "/proc", "/root", "/run", "/sbin", "/sys", "/usr",
    "/tmp", "/var/tmp", "/var/run", "/var/lock", "/var/log", "/var/lib/glusterd",
    "/var/lib/mysql", "/var/lib/libvirt", "/var/lib/rabbitmq",
)
LIB_DIR_RE = re.compile(r"^/lib[^/]*(?:/|$)")
# lvm(8): letters, digits and + _ . -, not starting with '-', at most 127.
LVM_VG_RE = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$")
# Linux dev_valid_name(): 1-15 bytes, no '/', ':' or whitespace.
INTERFACE_RE = re.compile(r"^[^/:\s]{1,15}$")
PHYSNET_RE = re.compile(r"^[^:,\s]{1,64}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
# Keystone's limits: region ids 255, project names 64, user names 255.
# Region ids go into shell (admin-openrc) and YAML: letters, digits, '_',
# '.' and '-' only.
REGION_RE = re.compile(r"^[A-Za-z0-9_.-]{1,255}$")
PROJECT_RE = re.compile(r"^.{1,64}$")
USER_RE = re.compile(r"^.{1,255}$")
VNI_RANGE_RE = re.compile(r"^(\d+):(\d+)$")
# Glance image names name a file of the image cache and go into shell
# commands: no '/', no whitespace, not '.' or '..'.
IMAGE_NAME_RE = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9_.+-]{0,254}$")
IMAGE_URL_RE = re.compile(r"^(?:https?|ftp|salt)://[^/\s]\S*$")
IMAGE_PROPERTY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,254}$")
# Flavor names: letters, digits and . _ -.
FLAVOR_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")
#: A flavor's optional keys and their defaults (sizes in GB, swap in MiB).
FLAVOR_DEFAULTS = {"ephemeral": 0, "swap": 0, "public": True, "description": None,
                   "extra_specs": {}}  # fmt: skip
DEFAULT_FLAVORS = {
    "m1.nano": {"vcpus": 1, "ram": 128, "disk": 1, **FLAVOR_DEFAULTS},
    "m1.small": {"vcpus": 1, "ram": 2048, "disk": 20, **FLAVOR_DEFAULTS},
}
# Nova's extra spec keys; values are strings of at most 255 characters.
EXTRA_SPEC_KEY_RE = re.compile(r"^[A-Za-z0-9_:. -]{1,255}$")
#: Neutron's global_physnet_mtu, the underlay's MTU: the formulas leave it
#: (and ML2's path_mtu and physical_network_mtus) at Neutron's default,
#: standard Ethernet's.  The largest MTU of the flat provider network.
PHYSNET_MTU = 1500
#: OVN's Geneve header with its options: ML2's [ml2_type_geneve]
#: max_header_size, rendered by neutron.server from the model
#: (ovn:geneve_max_header_size); Neutron's default, 30, is too small for OVN.
GENEVE_MAX_HEADER_SIZE = 38
#: The outer IP header Neutron also takes off a tunnel network's MTU
#: (IP_HEADER_LENGTH[4]): the Geneve tunnels cross the management
#: network, which is IPv4.
IPV4_HEADER_SIZE = 20
#: The largest MTU Neutron gives each network (none given: it takes this):
#: the provider network is flat, self-service networks are Geneve.
#: The Neutron names of the networks (and their subnets) salt/cloud/networks.sls
#: makes, unless networks:provider:name or networks:selfservice:name say otherwise.
NETWORK_NAMES = {"provider": "provider", "selfservice": "selfservice"}
MTU_CEILINGS = {
    "provider": PHYSNET_MTU,
    "selfservice": PHYSNET_MTU - GENEVE_MAX_HEADER_SIZE - IPV4_HEADER_SIZE,
}
#: The guide's rules: ICMP and SSH into the admin project's default group;
#: Neutron's own rules of that group stay (remove_unlisted: false).
DEFAULT_SECURITY_GROUPS = {
    "default": {
        "description": None,
        "remove_unlisted": False,
        "rules": [{"protocol": "icmp"}, {"protocol": "tcp", "port": 22}],
    },
}
# One printable token: no whitespace or control characters.
SAFE_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")

_REQUIRED = object()

# The known keys of each fixed mapping, for typo detection.
_KNOWN_KEYS = {
    (): (
        "release", "region", "domain", "hosts", "networks", "gateway_nat",
        "firewall", "passwords", "admin", "demo", "gluster", "nova", "cinder",
        "glance", "workers", "flavors", "dashboard", "security_groups", "tls", "quotas",
    ),
    ("host",): ("roles", "address", "provider_address"),
    ("networks",): (
        "management", "provider", "selfservice", "datapath_type", "geneve_vni_ranges",
    ),
    ("networks", "management"): ("cidr", "interface"),
    ("networks", "provider"): (
        "cidr", "name", "interface", "physical_network", "gateway", "allocation_start",
        "allocation_end", "dns_nameservers", "mtu",
    ),
    ("networks", "selfservice"): ("cidr", "name", "gateway", "dns_nameservers", "mtu"),
    ("gateway_nat",): ("enabled",),
    ("tls",): ("days", "public", "public_ca"),
    ("public_tls",): PUBLIC_TLS_KEYS,
    ("firewall",): ("enabled", "ssh_from", "public_from"),
    ("passwords",): tuple(name for name, _ in REQUIRED_PASSWORDS),
    ("admin",): ("email",),
    ("dashboard",): ("hosts",),
    ("demo",): ("project", "user"),
    ("gluster",): (
        "volume", "brick_dir", "replica", "arbiter", "force", "options", "brick_hosts",
    ),
    ("nova",): (
        "virt_type", "uid", "gid", "live_migration_scheme",
        "live_migration_permit_post_copy", "cpu_allocation_ratio", "ram_allocation_ratio",
    ),
    ("cinder",): ("volume_group", "loop_file_size_gb", "lvm_type"),
    ("glance",): ("images",),
    ("image",): (
        "name", "source", "source_hash", "disk_format", "container_format", "visibility",
        "kernel", "ramdisk", "properties",
    ),
    ("workers",): WORKER_KINDS,
    ("flavor",): (
        "vcpus", "ram", "disk", "ephemeral", "swap", "public", "description", "extra_specs",
    ),
    ("security_group",): ("description", "rules", "remove_unlisted"),
    ("quota",): (
        "cores", "instances", "ram", "key_pairs", "metadata_items", "server_groups",
        "server_group_members", "networks", "subnets", "ports", "routers", "floating_ips",
        "security_groups", "security_group_rules",
    ),
}


def __virtual__():
    if not HAS_NETADDR:
        return (False, "openstack_pillar needs the netaddr Python library")
    if not HAS_CRYPTOGRAPHY:
        return (False, "openstack_pillar needs the python cryptography package")
    if cloud_plan is None:
        return (False, "openstack_pillar needs saltext_openstack_cloud from _utils: run "
                       "saltutil.sync_all (sync_modules alone does not sync it)")
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
    return _Validator(data, secrets, own_id).run()


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


def password_limits():
    """
    Return the secrets of ``openstack:passwords`` whose alphabet is narrower
    than the others': for each, ``refused`` (a regular expression matching
    one character it may not hold) and ``why``.  The validator's own rules
    (what 2025.1's clients cannot pass on); no secret is read.  The test
    cluster's rotate phase makes its new passwords by them.

    CLI Example::

        salt-call openstack_pillar.password_limits
    """
    return {name: {"refused": pattern.pattern, "why": why}
            for name, (pattern, why) in PASSWORD_LIMITS.items()}


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
    model = validate(data)
    return [[host["address"], _host_names(host)] for host in model["hosts"].values()]


def role_secrets():
    """
    Return the per-role allow-list of secrets: role -> the names under
    ``openstack:passwords`` its formulas read (:data:`ROLE_SECRETS`).  Names
    only, never a value.

    CLI Example::

        salt-call openstack_pillar.role_secrets
    """
    return {role: sorted(names) for role, names in ROLE_SECRETS.items()}


def host_roles(data, minion_id):
    """
    Return the known roles of ``minion_id`` in the host map of ``data`` (the
    value of the ``openstack`` pillar key), in :data:`ROLES` order; none when
    the host is not listed or its entry is malformed (the validator reports
    that).

    CLI Example::

        salt-call openstack_pillar.host_roles "{hosts: {c1: {roles: [compute]}}}" c1
    """
    hosts = data.get("hosts") if _is_mapping(data) else None
    entry = hosts.get(minion_id) if _is_mapping(hosts) else None
    roles = entry.get("roles") if _is_mapping(entry) else None
    if not isinstance(roles, (list, tuple)):
        return []
    return [role for role in ROLES if role in [r for r in roles if isinstance(r, str)]]


def allowed_secrets(roles):
    """
    Return the names of the secrets a host with ``roles`` may hold, sorted:
    the union of their :data:`ROLE_SECRETS`.

    CLI Example::

        salt-call openstack_pillar.allowed_secrets '[gateway, compute]'
    """
    return sorted({name for role in roles if isinstance(role, str)
                   for name in ROLE_SECRETS.get(role, ())})


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
    if not _is_mapping(data):
        return data
    narrowed = {key: value for key, value in data.items() if key != "passwords"}
    passwords = data.get("passwords")
    if _is_mapping(passwords):
        allowed = set(allowed_secrets(host_roles(data, minion_id)))
        narrowed["passwords"] = {name: value for name, value in passwords.items()
                                 if name in allowed}
    tls = data.get("tls")
    if _is_mapping(tls) and "public" in tls:
        own = set(host_roles(data, minion_id)) & set(PUBLIC_TLS_ROLES)
        public = tls["public"] if _is_mapping(tls["public"]) else {}
        narrowed["tls"] = dict(tls, public={
            host: entry if host == minion_id and own else
            {name: value for name, value in entry.items() if name != "key"}
            for host, entry in public.items() if _is_mapping(entry)})
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
    if controller is None:
        return None
    result = {}
    for name, api in API_ENDPOINTS.items():
        internal = "http://{}:{}".format(controller, api.port)
        public = "https://{}:{}".format(controller, api.public_port)
        result[name] = {"type": api.type, "port": api.port, "public_port": api.public_port,
                        "description": api.description, "user": api.user,
                        "internal_root": internal, "public_root": public,
                        "internal": internal + api.path, "public": public + api.path}
    return result


def console(gateway):
    """
    The noVNC console proxy of the gateway ``gateway`` (a minion id, the
    name its certificate carries): ``port`` and ``url`` (HTTPS, the page
    nova-compute hands to browsers).  None without a gateway.
    """
    if gateway is None:
        return None
    return {"port": CONSOLE_PORT,
            "url": "https://{}:{}{}".format(gateway, CONSOLE_PORT, CONSOLE_PATH)}


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
        model = validate(data)
    except CommandExecutionError:
        return None
    host = model["hosts"].get(minion_id)
    if host is None:
        return None
    names, addresses = [], []

    def add(value):
        if value is None:
            return
        target = addresses if IPV4_RE.match(value) else names
        if value.lower() not in [v.lower() for v in target]:
            target.append(value)

    for value in _host_identities(minion_id, host):
        add(value)
    # A gateway's: the dashboard's names of dashboard:hosts too.
    for value in _public_names(minion_id, model["hosts"], model["gateways"],
                               model["dashboard"]):
        add(value)
    return {"names": names, "addresses": addresses, "days": model["tls"]["days"]}


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
            if not (_is_mapping(run) and set(run) <= set(excluded))]
    places = [index for index, run in enumerate(runs)
              if _is_mapping(run) and SECRETS_FILTER in run]
    if SECRETS_FILTER in excluded or not places:
        raise CommandExecutionError(
            "openstack pillar withheld: the master does not filter openstack:passwords per "
            "role (no openstack_secrets ext_pillar): " + how)
    # Salt merges each ext_pillar's data in the order listed: one after the
    # filter (git_pillar, vault, gpg: where sites keep passwords) could
    # merge every secret back.
    at = places[-1]
    after = sorted({str(key) for run in runs[at:]
                    for key in (run if _is_mapping(run) else [run])} - {SECRETS_FILTER})
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
    if SECRETS_FILTER not in loader:  # (its ext_pillar function)
        raise CommandExecutionError(
            "openstack pillar withheld: the openstack_secrets ext_pillar is configured but "
            "not installed on the master: " + how)
    return True


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _minion_pillar():
    # Read __pillar__ itself: __salt__["pillar.get"] masks secrets on Salt 3008.
    return __pillar__.get(ROOT)  # pylint: disable=undefined-variable


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


def _key(path):
    """
    The colon-separated pillar key of ``path`` (a tuple under ``openstack``);
    a part with a control character is quoted (``'web\\nservers'``), so that
    the key stays on its line of the message.
    """
    return ":".join((ROOT,) + tuple(_key_part(part) for part in path))


def _key_part(part):
    text = str(part)
    return repr(text) if cloud_plan.CONTROL_RE.search(text) else text


def _natural_key(text):
    """Sort key putting ``compute2`` before ``compute10``."""
    parts = re.split(r"(\d+)", text)
    return [int(part) if index % 2 else part.lower() for index, part in enumerate(parts)], text


def _natural_sorted(names):
    return sorted(names, key=_natural_key)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_mapping(value):
    return isinstance(value, collections.abc.Mapping)


def _type_name(value):
    """What a value is, for messages, without showing it."""
    if isinstance(value, bool):
        return "a boolean"
    if _is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if _is_mapping(value):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a " + type(value).__name__


def _show(value):
    """A (non-secret) value as quoted in messages, cut at 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _overlaps(first, second):
    return (
        first.version == second.version
        and first.first <= second.last
        and second.first <= first.last
    )


def _reserved_role(address, network):
    """Why ``address`` cannot be a host of ``network``, or None if it can."""
    if network.version == 4 and network.prefixlen <= 30:
        if address == network.network:
            return "the network address"
        if address == network.broadcast:
            return "the broadcast address"
    if network.version == 6 and network.prefixlen <= 126 and address == network.network:
        return "the subnet-router anycast (network) address"
    return None


def _system_dir(path):
    """Why ``path`` (normalized, absolute) is a system directory, or None."""
    if path in SYSTEM_DIRS:
        return "a system directory"
    if LIB_DIR_RE.match(path):
        return "inside the system's libraries"
    for tree in SYSTEM_TREES:
        if path.startswith(tree + "/"):
            return "inside the system directory " + tree
    return None


def _public_names(host_id, hosts, gateways, dashboard):
    """
    The names clients reach ``host_id``'s public endpoints by: its minion
    id (the catalog's public URLs, the console's URL), and on a gateway the
    dashboard's names of the pillar's ``dashboard:hosts`` (the dashboard's
    allowed hosts less every gateway's own names and addresses).
    """
    names = [host_id]
    if host_id in gateways:
        own = {str(value).lower() for gateway in gateways
               for value in _host_identities(gateway, hosts[gateway]) if value}
        names += [name for name in dashboard["allowed_hosts"] if name.lower() not in own]
    return names


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def _signed_by(cert, issuer):
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _san_covers(alt, name):
    """Whether the subjectAltName ``alt`` matches ``name`` (a host name or an
    IPv4 address) as a TLS client checks it: an address against the IP
    entries, a name against the DNS entries, case-insensitively, a ``*.``
    entry standing for one whole leftmost label."""
    if IPV4_RE.match(name):
        return any(str(address) == name for address in alt.get_values_for_type(x509.IPAddress))
    name = name.lower().rstrip(".")
    for entry in alt.get_values_for_type(x509.DNSName):
        entry = entry.lower().rstrip(".")
        if entry == name:
            return True
        if entry.startswith("*.") and "." in name and name.split(".", 1)[1] == entry[2:]:
            return True
    return False


def _san_text(alt):
    values = [str(value) for value in alt.get_values_for_type(x509.DNSName)]
    values += [str(value) for value in alt.get_values_for_type(x509.IPAddress)]
    return ", ".join(values) or "empty"


def _fqdn(host_id, domain):
    """A minion id with a dot is taken as already qualified."""
    if "." in host_id or not domain:
        return host_id
    return "{}.{}".format(host_id, domain)


def _host_identities(host_id, host):
    """Every name and address a host is known by in the model: its minion
    id, short name, fqdn, management and provider address (None when it
    has none)."""
    return (host_id, host["shortname"], host["fqdn"], host["address"], host["provider_address"])


def _host_names(host):
    names = [host["fqdn"]]
    if host["shortname"] != host["fqdn"]:
        names.append(host["shortname"])
    return names


def _network_fields(network):
    if network is None:
        return {"cidr": None, "prefixlen": None}
    return {"cidr": str(network), "prefixlen": network.prefixlen}


def _host_devices(host_id, roles, networks):
    """A host's OVN chassis name and where its management and provider
    addresses live (see "Open vSwitch and OVN")."""
    chassis = host_id if "compute" in roles or "gateway" in roles else None
    management = (networks.get("management") or {}).get("interface")
    if chassis and networks.get("datapath_type") == "netdev":
        management = OVN_BRIDGES["tunnel"]
    return {
        "chassis": chassis,
        "management_device": management,
        "provider_device": OVN_BRIDGES["provider"] if "gateway" in roles else None,
    }


def _str_or_none(value):
    return None if value is None else str(value)


def _root_problem(data):
    """The problem with the ``openstack`` value as a whole, if any."""
    if data is None:
        return "missing"
    if not _is_mapping(data):
        return "must be a mapping, got " + _type_name(data)
    if not data:
        return "empty"
    return None


class _Validator:
    """
    Walks the pillar once, collecting problems and building the model.

    Each section method returns its part of the model; a value that failed a
    check is None in it (the model is only returned when nothing failed).
    Paths are tuples of keys under ``openstack``.
    """

    def __init__(self, data, secrets=None, own_id=None):
        self.data = data
        # The passwords required: None means every one of REQUIRED_PASSWORDS.
        self.secrets = secrets
        # Whose operator TLS key (tls:public:<host>:key) is required: every
        # host's (secrets None), else this minion's own only (the master's
        # filter gives a host no other).
        self.own_id = own_id
        self.problems = []
        self.nets = {}  # valid networks by name ("management", ...): IPNetwork
        self.provider_gateway = None
        self.pool = None  # provider allocation range: (first, last) IPAddress

    # -- running -------------------------------------------------------------

    def run(self):
        problem = _root_problem(self.data)
        if problem:
            self.problems.append("{}: {}".format(ROOT, problem))
        else:
            model = self.build()
        if self.problems:
            raise CommandExecutionError(
                "Invalid pillar:\n" + "\n".join("  " + line for line in self.problems)
            )
        return model

    def problem(self, path, message):
        self.problems.append("{}: {}".format(_key(path), message))

    def build(self):
        self.typos(self.data, (), ())
        release = self.release()
        region = self.text(self.data, (), "region", "RegionOne", REGION_RE,
                           "a valid region id (letters, digits, '_', '.' and '-', at most "
                           "255 characters)")
        domain = self.text(self.data, (), "domain", "", HOSTNAME_RE, "a valid DNS domain name")
        networks = self.networks()
        hosts = self.hosts(domain, networks)
        roles = {role: [h for h, host in hosts.items() if role in host["roles"]] for role in ROLES}
        self.passwords()
        dashboard = self.dashboard(hosts, roles["gateway"])
        return {
            "release": release,
            "region": region,
            "domain": domain,
            "controller": self.controller(hosts, roles["controller"]),
            "endpoints": endpoints(roles["controller"][0] if roles["controller"] else None),
            "gateways": roles["gateway"],
            "console": console(roles["gateway"][0] if roles["gateway"] else None),
            "computes": roles["compute"],
            "hosts": hosts,
            "roles": roles,
            "management": networks["management"],
            "networks": networks,
            "ovn": self.ovn(hosts, roles["controller"]),
            "gateway_nat": self.gateway_nat(),
            "firewall": self.firewall(),
            "admin": self.admin(domain),
            "demo": self.demo(),
            "dashboard": dashboard,
            "gluster": self.gluster(hosts, roles["compute"]),
            "nova": self.nova(),
            "cinder": self.cinder(),
            "glance": self.glance(),
            "workers": self.workers(),
            "flavors": self.flavors(),
            "security_groups": self.security_groups(),
            "quotas": self.quotas(),
            "tls": self.tls(hosts, roles, dashboard),
        }

    # -- generic fields --------------------------------------------------------

    def typos(self, mapping, path, schema):
        """Report unknown keys that look like a typo of a missing known key."""
        known = _KNOWN_KEYS[schema]
        missing = [name for name in known if name not in mapping]
        for name in mapping:
            if isinstance(name, str) and name not in known:
                close = difflib.get_close_matches(name, missing, n=1, cutoff=0.75)
                if close:
                    self.problem(path + (name,), "unknown key: did you mean {!r}?".format(close[0]))

    def section(self, path, parent=None, required=False):
        """The mapping at ``path``: ``{}`` when optional and missing, None if bad."""
        value = (self.data if parent is None else parent).get(path[-1])
        if value is None:
            if required:
                self.problem(path, "missing")
                return None
            return {}
        if not _is_mapping(value):
            self.problem(path, "must be a mapping, got " + _type_name(value))
            return None
        if path in _KNOWN_KEYS:
            self.typos(value, path, path)
        return value

    def value(self, section, path, name, default):
        """``section[name]``, or the default when missing; None after a problem."""
        value = None if section is None else section.get(name)
        if value is not None and not (default is _REQUIRED and value == ""):
            return value
        if default is not _REQUIRED:
            return copy.deepcopy(default)
        if section is not None:  # a bad section was reported already
            self.problem(path + (name,), "missing or empty")
        return None

    def text(self, section, path, name, default=_REQUIRED, pattern=None, what=None,
             nospace=False):
        value = self.value(section, path, name, default)
        key = path + (name,)
        if value is None or value == default:
            return value
        if not isinstance(value, str):
            self.problem(key, "must be a string, got " + _type_name(value))
        elif not value.strip() or value != value.strip():
            self.problem(key, "{} is empty or has surrounding whitespace".format(_show(value)))
        elif nospace and re.search(r"\s", value):
            self.problem(key, "{} must not contain whitespace".format(_show(value)))
        elif pattern is not None and not pattern.match(value):
            self.problem(key, "{} is not {}".format(_show(value), what))
        else:
            return value
        return None

    def description(self, section, path, maximum):
        """
        A resource's ``description`` (None: not managed), as its API takes
        it: one line of at most ``maximum`` characters (see
        ``saltext_openstack_cloud.description_text``).
        """
        value = self.text(section, path, "description", None)
        if value is None:
            return None
        try:
            return cloud_plan.description_text(value, _key(path + ("description",)), maximum)
        except CommandExecutionError as exc:
            self.problems.append(str(exc))
            return None

    def choice(self, section, path, name, default, choices):
        value = self.value(section, path, name, default)
        if value is not None and value not in choices:
            self.problem(path + (name,), "{} is not one of {}".format(
                _show(value), ", ".join(choices)))
            return None
        return value

    def flag(self, section, path, name, default):
        value = self.value(section, path, name, default)
        if value is not None and not isinstance(value, bool):
            self.problem(path + (name,), "{} must be true or false".format(_show(value)))
            return None
        return value

    def integer(self, section, path, name, default, minimum, maximum=None):
        value = self.value(section, path, name, default)
        if value is None:
            return None
        if not _is_int(value):
            self.problem(path + (name,), "{} must be an integer".format(_show(value)))
            return None
        if value < minimum or (maximum is not None and value > maximum):
            if maximum is None:
                bound = ">= {}".format(minimum)
            else:
                bound = "between {} and {}".format(minimum, maximum)
            self.problem(path + (name,), "{} must be {}".format(value, bound))
            return None
        return value

    def ratio(self, section, path, name, default):
        value = self.value(section, path, name, default)
        if value is not None and (not _is_number(value) or value <= 0):
            self.problem(path + (name,), "{} must be a positive number".format(_show(value)))
            return None
        return None if value is None else float(value)

    def items(self, section, path, name, default):
        """A list (``default`` when missing), or None after a problem."""
        value = self.value(section, path, name, default)
        if value is not None and not isinstance(value, (list, tuple)):
            self.problem(path + (name,), "must be a list, got " + _type_name(value))
            return None
        return value

    # -- addresses ---------------------------------------------------------------

    def parse_ip(self, value, path):
        if not isinstance(value, str):
            self.problem(path, "must be an IP address string, got " + _type_name(value))
            return None
        try:
            return netaddr.IPAddress(value)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            self.problem(path, "{} is not a valid IP address".format(_show(value)))
            return None

    def parse_cidr(self, value, path, bare_address=False):
        """A network address with its prefix (``bare_address``: or an address)."""
        if not isinstance(value, str):
            self.problem(path, "must be a CIDR string, got " + _type_name(value))
            return None
        try:
            if value != value.strip():
                raise ValueError(value)
            if "/" not in value and not bare_address:
                netaddr.IPAddress(value)
                self.problem(path, "{} has no prefix length (e.g. '{}/24')".format(
                    _show(value), value))
                return None
            network = netaddr.IPNetwork(value)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            self.problem(path, "{} is not a valid CIDR".format(_show(value)))
            return None
        if network.ip != network.network:
            self.problem(path, "{} has host bits set: did you mean '{}'?".format(
                _show(value), network.cidr))
            return None
        return network.cidr

    def address(self, section, path, name, default=_REQUIRED, within=None):
        """An IP address; with ``within``, a usable host address of that network."""
        value = self.value(section, path, name, default)
        if value is None:
            return None
        address = self.parse_ip(value, path + (name,))
        if address is None or within not in self.nets:
            return address
        return address if self.inside(address, path + (name,), within) else None

    def inside(self, address, path, net_name):
        network = self.nets[net_name]
        net_key = _key(("networks", net_name, "cidr"))
        reserved = _reserved_role(address, network)
        if address not in network:
            self.problem(path, "'{}' is not inside {} ({})".format(address, net_key, network))
        elif reserved:
            self.problem(path, "'{}' is {} of {} ({})".format(address, reserved, net_key, network))
        return address in network and not reserved

    def network(self, section, path, net_name, default=_REQUIRED):
        """Parse ``cidr`` of a network section and register it under ``net_name``."""
        value = self.value(section, path, "cidr", default)
        network = None if value is None else self.parse_cidr(value, path + ("cidr",))
        if network is not None and network.version != 4:
            self.problem(path + ("cidr",), "{} is IPv6: {}".format(_show(value), IPV6_REFUSED))
            return None
        if network is not None:
            self.nets[net_name] = network
        return network

    # -- networks ----------------------------------------------------------------

    def networks(self):
        section = self.section(("networks",), required=True)
        result = {
            "management": self.management(section),
            "provider": self.provider(section),
            "selfservice": self.selfservice(section),
            "datapath_type": self.choice(section, ("networks",), "datapath_type", "system",
                                         DATAPATH_TYPES),
            "geneve_vni_ranges": self.vni_ranges(section),
        }
        self.distinct_network_names(result)
        self.retired(section, ("networks",))
        self.overlapping_networks()
        return result

    def network_section(self, networks, name, required):
        if networks is None:
            return None
        return self.section(("networks", name), parent=networks, required=required)

    def release(self):
        release = self.text(self.data, (), "release", RELEASES[0], nospace=True)
        if release is not None and release not in RELEASES:
            self.problem(("release",), "{} is not a release these formulas deploy ({}): "
                         "their options, packages and services are those of {}".format(
                             _show(release), ", ".join(RELEASES), RELEASES[0]))
            return None
        return release

    def interface(self, section, path):
        name = self.text(section, path, "interface", pattern=INTERFACE_RE,
                         what="a valid Linux interface name (1-15 characters, no '/', ':' "
                              "or whitespace)")
        if name in OVN_BRIDGES.values():
            self.problem(path + ("interface",), "{} is an Open vSwitch bridge the formulas "
                         "make ({}): name the host's own interface".format(
                             _show(name), ", ".join(sorted(OVN_BRIDGES.values()))))
            return None
        return name

    def management(self, networks):
        path = ("networks", "management")
        section = self.network_section(networks, "management", True)
        if section is None:
            return None
        network = self.network(section, path, "management")
        result = _network_fields(network)
        result["netmask"] = None if network is None else str(network.netmask)
        result["interface"] = self.interface(section, path)
        return result

    def provider(self, networks):
        path = ("networks", "provider")
        section = self.network_section(networks, "provider", True)
        if section is None:
            return None
        result = _network_fields(self.network(section, path, "provider"))
        result["name"] = self.neutron_network_name(section, path)
        result["interface"] = self.interface(section, path)
        management = networks.get("management")
        if result["interface"] and _is_mapping(management) and \
                result["interface"] == management.get("interface"):
            self.problem(path + ("interface",), "{} is also {}: the provider interface is "
                                                "handed to the bridge and must not carry the "
                                                "management address".format(
                                                    _show(result["interface"]),
                                                    _key(("networks", "management", "interface"))))
            result["interface"] = None
        result["physical_network"] = self.text(
            section, path, "physical_network", "provider", PHYSNET_RE,
            "a valid physical network name (no ':', ',' or whitespace)")
        result.update(self.provider_range(section, path))
        result["dns_nameservers"] = self.nameservers(section, path)
        result["mtu"] = self.mtu(section, path)
        return result

    def provider_range(self, section, path):
        gateway = self.address(section, path, "gateway", within="provider")
        start = self.address(section, path, "allocation_start", within="provider")
        end = self.address(section, path, "allocation_end", within="provider")
        if start is not None and end is not None:
            if start > end:
                self.problem(path + ("allocation_end",),
                             "'{}' is before allocation_start '{}'".format(end, start))
            else:
                self.pool = (start, end)
        if gateway is not None and self.pool and self.pool[0] <= gateway <= self.pool[1]:
            self.problem(path + ("gateway",), "'{}' is inside the allocation range {} - {}".format(
                gateway, *self.pool))
        self.provider_gateway = gateway
        return {
            "gateway": _str_or_none(gateway),
            "allocation_start": _str_or_none(start),
            "allocation_end": _str_or_none(end),
        }

    def selfservice(self, networks):
        path = ("networks", "selfservice")
        section = self.network_section(networks, "selfservice", False)
        if section is None:
            return None
        network = self.network(section, path, "selfservice", "172.16.1.0/24")
        default_gateway = None
        if network is not None:
            default_gateway = str(netaddr.IPAddress(network.first + 1, network.version))
        result = _network_fields(network)
        result["name"] = self.neutron_network_name(section, path)
        result["gateway"] = _str_or_none(
            self.address(section, path, "gateway", default_gateway, within="selfservice"))
        result["dns_nameservers"] = self.nameservers(section, path)
        result["mtu"] = self.mtu(section, path)
        return result

    def distinct_network_names(self, networks):
        """The provider and self-service networks (and their subnets, named
        alike) need names of their own: Neutron finds them by name."""
        provider, selfservice = networks.get("provider"), networks.get("selfservice")
        if not (provider and selfservice) or provider.get("name") is None:
            return
        if selfservice.get("name") == provider["name"]:
            self.problem(("networks", "selfservice", "name"),
                         "{} is also {}: the two networks (and their subnets) need names "
                         "of their own".format(_show(provider["name"]),
                                               _key(("networks", "provider", "name"))))
            selfservice["name"] = None

    def neutron_network_name(self, section, path):
        """The Neutron name of a network and its subnet (:data:`NETWORK_NAMES`)."""
        name = self.value(section, path, "name", NETWORK_NAMES[path[-1]])
        if name is None:
            return None
        if self.neutron_name(name, path + ("name",), "network"):
            return name
        return None

    def mtu(self, section, path):
        """
        A network's MTU in Neutron (None: Neutron's own), at most what
        Neutron allows on it (:data:`MTU_CEILINGS`): it refuses more.
        """
        value = self.integer(section, path, "mtu", None, cloud_plan.MTU_MIN)
        ceiling = MTU_CEILINGS[path[-1]]
        if value is None or value <= ceiling:
            return value
        if path[-1] == "provider":
            why = ("the flat provider network's largest: Neutron's global_physnet_mtu, "
                   "which the formulas leave at its default")
        else:
            why = ("a Geneve network's largest: Neutron's global_physnet_mtu {} less {} "
                   "(max_header_size {} and the outer IPv4 header {})".format(
                       PHYSNET_MTU, PHYSNET_MTU - ceiling, GENEVE_MAX_HEADER_SIZE,
                       IPV4_HEADER_SIZE))
        self.problem(path + ("mtu",), "{} is more than {}, {}".format(value, ceiling, why))
        return None

    def nameservers(self, section, path):
        servers = self.items(section, path, "dns_nameservers", [])
        if servers is None:
            return None
        path = path + ("dns_nameservers",)
        parsed = [self.parse_ip(value, path + (index,)) for index, value in enumerate(servers)]
        return [str(address) for address in parsed if address is not None]

    def retired(self, section, path):
        for name in section or ():
            reason = RETIRED_KEYS.get(path + (name,))
            if reason:
                self.problem(path + (name,), reason)

    def vni_ranges(self, networks):
        path = ("networks",)
        value = self.value(networks, path, "geneve_vni_ranges", "1:1000")
        key = path + ("geneve_vni_ranges",)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(key, "must be a string like \"1:1000\", got {}: quote it in YAML "
                              "(unquoted 1:30 reads as the number 90)".format(_type_name(value)))
            return None
        for part in value.split(","):
            match = VNI_RANGE_RE.match(part.strip())
            low, high = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
            if not 1 <= low <= high <= GENEVE_VNI_MAX:
                self.problem(key, "{} is not a range 'first:last' with 1 <= first <= last <= {}"
                                  .format(_show(part.strip()), GENEVE_VNI_MAX))
                return None
        return value

    def overlapping_networks(self):
        names = [name for name in ("management", "provider", "selfservice") if name in self.nets]
        for index, name in enumerate(names):
            for earlier in names[:index]:
                if _overlaps(self.nets[earlier], self.nets[name]):
                    self.problem(("networks", name, "cidr"), "'{}' overlaps {} ('{}')".format(
                        self.nets[name], _key(("networks", earlier, "cidr")), self.nets[earlier]))

    # -- hosts -------------------------------------------------------------------

    def hosts(self, domain, networks):
        section = self.section(("hosts",), required=True)
        if not section:
            if section is not None:
                self.problem(("hosts",), "empty: a controller, a gateway and a compute are needed")
            return {}
        ids = _natural_sorted(host_id for host_id in section if self.host_id(host_id))
        result = {}
        for host_id in ids:
            host = self.host(host_id, section[host_id], domain)
            if host is not None:
                host.update(_host_devices(host_id, host["roles"], networks))
                result[host_id] = host
        self.same_name_hosts(ids)
        self.shared_addresses(result, "address")
        self.shared_addresses(result, "provider_address")
        self.role_counts(result)
        return result

    def host_id(self, host_id):
        """Check a minion id; False if it cannot be used at all."""
        if not isinstance(host_id, str):
            self.problem(("hosts", host_id),
                         "minion ids must be strings, got " + _type_name(host_id))
            return False
        if len(host_id) > 253 or not HOSTNAME_RE.match(host_id):
            self.problem(("hosts", host_id), "not a valid host name (RFC 1123: labels of letters, "
                                              "digits and inner '-', separated by '.'); it goes "
                                              "into /etc/hosts")
        return True

    def host(self, host_id, entry, domain):
        path = ("hosts", host_id)
        if not _is_mapping(entry):
            self.problem(path, "must be a mapping with roles and address, got " + _type_name(entry))
            return None
        self.typos(entry, path, ("host",))
        return {
            "address": _str_or_none(self.address(entry, path, "address", within="management")),
            "roles": self.host_roles(entry, path),
            "fqdn": _fqdn(host_id, domain),
            "shortname": host_id.split(".")[0],
            "provider_address": _str_or_none(self.provider_address(entry, path)),
        }

    def host_roles(self, entry, path):
        roles = self.items(entry, path, "roles", _REQUIRED)
        if roles is None:
            return []
        if not roles:
            self.problem(path + ("roles",), "empty: give at least one of " + ", ".join(ROLES))
        for role in roles:
            if role not in ROLES:
                self.problem(path + ("roles",), "unknown role {} (allowed: {})".format(
                    _show(role), ", ".join(ROLES)))
        return [role for role in ROLES if role in roles]

    def provider_address(self, entry, path):
        address = self.address(entry, path, "provider_address", None, within="provider")
        key = path + ("provider_address",)
        if address is not None and address == self.provider_gateway:
            self.problem(key, "'{}' is the provider gateway".format(address))
        elif address is not None and self.pool and self.pool[0] <= address <= self.pool[1]:
            self.problem(key, "'{}' is inside the provider allocation range {} - {} (neutron "
                              "hands those out as floating IPs)".format(address, *self.pool))
        return address

    def same_name_hosts(self, ids):
        """Minion ids naming the same host: case only, or the same short name."""
        seen = {}
        for host_id in ids:
            names = [host_id.lower(), host_id.split(".")[0].lower()]
            other = next((seen[name] for name in names if name in seen), None)
            if other is not None:
                self.problem(("hosts", host_id), "same host name as {} (host names are "
                                                  "case-insensitive and short names go into "
                                                  "/etc/hosts)".format(other))
            for name in names:
                seen.setdefault(name, host_id)

    def shared_addresses(self, hosts, field):
        owners = {}
        for host_id, host in hosts.items():
            address = host[field]
            if address in owners:
                self.problem(("hosts", host_id, field),
                             "'{}' is also the {} of {}".format(address, field, owners[address]))
            elif address is not None:
                owners[address] = host_id

    def role_counts(self, hosts):
        count = {role: [h for h, host in hosts.items() if role in host["roles"]] for role in ROLES}
        if not count["controller"]:
            self.problem(("hosts",), "no host has the controller role (exactly one is needed)")
        elif len(count["controller"]) > 1:
            self.problem(("hosts",), "more than one controller: {} (exactly one is needed)".format(
                ", ".join(count["controller"])))
        for role in ("gateway", "compute"):
            if not count[role]:
                self.problem(("hosts",), "no host has the {} role (at least one is needed)".format(
                    role))

    @staticmethod
    def controller(hosts, controllers):
        if not controllers:
            return None
        host = hosts[controllers[0]]
        return {"id": controllers[0], "address": host["address"], "fqdn": host["fqdn"]}

    # -- OVN -----------------------------------------------------------------------

    @staticmethod
    def ovn(hosts, controllers):
        address = hosts[controllers[0]]["address"] if controllers else None
        if address and ":" in address:  # IPv6, as OVSDB's connection methods write it
            address = "[{}]".format(address)
        return {
            # Mutual TLS both ways: the databases present the controller's
            # certificate and take only clients with one from the cloud's CA
            # (ovn/central.sls).
            "nb_connection": "ssl:{}:{}".format(address, OVN_NB_PORT),
            "sb_connection": "ssl:{}:{}".format(address, OVN_SB_PORT),
            "nb_listen": "pssl:{}:{}".format(OVN_NB_PORT, address),
            "sb_listen": "pssl:{}:{}".format(OVN_SB_PORT, address),
            "encap_type": "geneve",
            "geneve_max_header_size": GENEVE_MAX_HEADER_SIZE,
            "bridges": dict(OVN_BRIDGES),
        }

    # -- firewall, passwords, identities -------------------------------------------

    def gateway_nat(self):
        path = ("gateway_nat",)
        return {"enabled": self.flag(self.section(path), path, "enabled", False)}

    def firewall(self):
        path = ("firewall",)
        section = self.section(path)
        enabled = self.flag(section, path, "enabled", True)
        # SSH by default from the management network only (None when that
        # network was refused already: nothing more to report).
        management = self.nets.get("management")
        return {
            "enabled": enabled,
            "ssh_from": self.sources(section, path, "ssh_from", enabled,
                                     [str(management)] if management is not None else None),
            "public_from": self.sources(section, path, "public_from", enabled, ["0.0.0.0/0"]),
        }

    def sources(self, section, path, name, enabled, default):
        entries = self.items(section, path, name, default)
        if entries is None:
            return None
        if enabled and not entries:
            self.problem(path + (name,), "empty: the firewall would accept these ports from "
                                         "nowhere; give at least one network (e.g. 0.0.0.0/0)")
        result = []
        for index, value in enumerate(entries):
            network = self.parse_cidr(value, path + (name, index), bare_address=True)
            if network is not None and network.version != 4:
                self.problem(path + (name, index), "{} is IPv6: {}".format(
                    _show(value), IPV6_REFUSED))
            elif network is not None:
                result.append(str(network))
        return result

    def passwords(self):
        path = ("passwords",)
        required = [name for name, _ in REQUIRED_PASSWORDS
                    if self.secrets is None or name in self.secrets]
        section = self.section(path)
        if section == {} and required:
            self.problem(path, "missing; required: " + ", ".join(required))
        elif section is not None:
            for name in required:
                self.password(section.get(name), path + (name,))

    def password(self, value, path):
        """Check one password; messages name its kind, never its value."""
        if value is None or value == "":
            self.problem(path, "missing or empty")
        elif isinstance(value, bool):
            self.problem(path, "must be a string, got a boolean (YAML reads unquoted yes, no, "
                               "on, off, true and false as booleans): quote it")
        elif _is_number(value):
            self.problem(path, "must be a string, got a number (YAML reads unquoted digits as "
                               "a number): quote it")
        elif not isinstance(value, str):
            self.problem(path, "must be a string, got " + _type_name(value))
        elif value != value.strip() or cloud_plan.CONTROL_RE.search(value):
            self.problem(path, "has surrounding whitespace or control characters")
        elif len(value) < SECRET_KEY_MIN_LENGTH.get(path[-1], 0):
            self.problem(path, "is {} characters long: a key needs at least {} (random, e.g. "
                               "'openssl rand -base64 48')".format(
                                   len(value), SECRET_KEY_MIN_LENGTH[path[-1]]))
        elif path[-1] in DATABASE_PASSWORDS and not value.isascii():
            self.problem(path, "has non-ASCII characters: PyMySQL sends a database password "
                               "as latin-1, so the service could not log in to MariaDB")
        elif path[-1] in PASSWORD_LIMITS and PASSWORD_LIMITS[path[-1]][0].search(value):
            self.problem(path, PASSWORD_LIMITS[path[-1]][1])

    def admin(self, domain):
        path = ("admin",)
        default = "admin@" + (domain or "localhost")
        email = self.text(self.section(path), path, "email", default, EMAIL_RE,
                          "a valid e-mail address")
        return {"email": email}

    def demo(self):
        path = ("demo",)
        section = self.section(path)
        return {
            "project": self.text(section, path, "project", "demo", PROJECT_RE,
                                 "a valid project name (at most 64 characters)"),
            "user": self.text(section, path, "user", "demo", USER_RE,
                              "a valid user name (at most 255 characters)"),
        }

    def dashboard(self, hosts, gateways):
        """
        Every name and address users reach the dashboard (Horizon, on every
        gateway) by: Django's ALLOWED_HOSTS.  Each gateway's minion id,
        short name, fqdn, management and provider address, then the
        pillar's ``dashboard:hosts`` (e.g. a public DNS name in front).
        """
        path = ("dashboard",)
        extra = self.items(self.section(path), path, "hosts", [])
        names = []
        for host_id in gateways:
            names += _host_identities(host_id, hosts[host_id])
        # Other hosts' names and addresses: never the dashboard's.
        others = {str(value).lower(): host_id for host_id, host in hosts.items()
                  if host_id not in gateways
                  for value in _host_identities(host_id, host) if value}
        for index, value in enumerate(extra or []):
            key = path + ("hosts", index)
            if not isinstance(value, str):
                self.problem(key, "must be a host name or an IPv4 address, got " +
                             _type_name(value))
            elif len(value) > 253 or not (HOSTNAME_RE.match(value) or IPV4_RE.match(value)):
                self.problem(key, "{} is not a host name (RFC 1123) or an IPv4 "
                                  "address".format(_show(value)))
            elif value.lower() in others:
                self.problem(key, "{} is a name or address of {}, which is not a gateway: "
                                  "it would go into the gateways' certificates".format(
                                      _show(value), others[value.lower()]))
            else:
                names.append(value)
        allowed = []
        for name in names:
            if name is not None and name.lower() not in [a.lower() for a in allowed]:
                allowed.append(name)
        return {"allowed_hosts": allowed}

    # -- gluster -------------------------------------------------------------------

    def gluster(self, hosts, computes):
        path = ("gluster",)
        section = self.section(path)
        result = {
            "volume": self.gluster_volume(section, path),
            "brick_dir": self.brick_dir(section, path),
            "mount_point": GLUSTER_MOUNT_POINT,
        }
        result.update(self.bricks(section, path, hosts, computes))
        result["bricks"] = [
            "{}:{}".format(host, result["brick_dir"]) for host in result["brick_hosts"]
        ]
        result["force"] = self.flag(section, path, "force", True)
        result["mount_hosts"] = list(computes)
        options = self.gluster_options(section, path)
        if options is not None:
            options = dict(self.gluster_quorum_options(result), **options)
            options["auth.allow"] = self.gluster_auth_allow(hosts, computes)
        result["options"] = options
        return result

    @staticmethod
    def gluster_quorum_options(gluster):
        """The quorum options the topology implies (see the module docstring)."""
        options = {}
        if (gluster["replica"] or 1) > 1:
            options["cluster.quorum-type"] = "auto"
        peers = len(set(gluster["brick_hosts"]))
        options["cluster.server-quorum-type"] = "server" if peers >= 3 else "none"
        return options

    @staticmethod
    def gluster_auth_allow(hosts, computes):
        """auth.allow: loopback, then every compute's management address."""
        allowed = ["127.0.0.1"]
        for host_id in computes:
            address = (hosts.get(host_id) or {}).get("address")
            if address and address not in allowed:
                allowed.append(address)
        return ",".join(allowed)

    def gluster_volume(self, section, path):
        volume = self.text(section, path, "volume", "nova-instances", GLUSTER_VOLUME_RE,
                           "a valid gluster volume name (letters, digits, '-' and '_', not "
                           "starting with '-', at most 64 characters)")
        if volume is not None and volume.lower() in GLUSTER_RESERVED_VOLUMES:
            self.problem(path + ("volume",), "{} is reserved by gluster".format(_show(volume)))
            return None
        return volume

    def brick_dir(self, section, path):
        value = self.text(section, path, "brick_dir", "/srv/gluster/nova-instances",
                          BRICK_DIR_RE, "an absolute path (letters, digits and . _ + @ - /)")
        mount = GLUSTER_MOUNT_POINT
        if value is None:
            return None
        if value == "/" or posixpath.normpath(value) != value:
            self.problem(path + ("brick_dir",), "{} must be a normalized absolute path other "
                                                "than '/' (no trailing '/', '//', '.' or '..')"
                                                .format(_show(value)))
        elif _system_dir(value):
            self.problem(path + ("brick_dir",), "{} is {}: the brick would take it over "
                                                "(chown to nova, replicate it between hosts)"
                                                .format(_show(value), _system_dir(value)))
        elif value == mount or value.startswith(mount + "/") or mount.startswith(value + "/"):
            self.problem(path + ("brick_dir",), "{} must not contain or be inside the volume's "
                                                "mount point {}".format(_show(value), mount))
        else:
            return value
        return None

    def bricks(self, section, path, hosts, computes):
        """replica, arbiter and brick_hosts (see the module documentation)."""
        explicit = self.brick_hosts(section, path, hosts)
        candidates = computes if explicit is None else explicit
        replica = self.integer(section, path, "replica", min(3, len(candidates)) or 1, 1)
        arbiter = self.flag(section, path, "arbiter", False)
        result = {"replica": replica, "arbiter": arbiter, "brick_hosts": []}
        if replica is None:
            return result
        if arbiter and replica != 3:
            self.problem(path + ("arbiter",), "needs replica 3 (replica is {})".format(replica))
        if candidates and replica > len(candidates):
            self.problem(path + ("replica",), "{} is larger than the number of bricks ({})"
                                              .format(replica, len(candidates)))
        elif explicit and len(explicit) % replica:
            self.problem(path + ("brick_hosts",), "{} bricks are not a multiple of replica {}"
                                                  .format(len(explicit), replica))
        else:
            result["brick_hosts"] = list(candidates[: len(candidates) // replica * replica])
        return result

    def brick_hosts(self, section, path, hosts):
        """The explicit brick_hosts list, or None when not given."""
        entries = self.items(section, path, "brick_hosts", None)
        path = path + ("brick_hosts",)
        if entries is not None and not entries:
            self.problem(path, "empty: leave it out to use every compute")
        seen = set()
        for index, host_id in enumerate(entries or ()):
            if not isinstance(host_id, str) or host_id not in hosts:
                self.problem(path + (index,), "{} is not a host of {}".format(
                    _show(host_id), _key(("hosts",))))
            elif "compute" not in hosts[host_id]["roles"]:
                self.problem(path + (index,), "{} is not a compute host".format(_show(host_id)))
            elif host_id in seen:
                self.problem(path + (index,), "{} is listed twice".format(_show(host_id)))
            else:
                seen.add(host_id)
        return None if entries is None else [h for h in entries if isinstance(h, str)]

    def gluster_options(self, section, path):
        options = self.value(section, path, "options", DEFAULT_GLUSTER_OPTIONS)
        if not _is_mapping(options):
            self.problem(path + ("options",), "must be a mapping, got " + _type_name(options))
            return None
        result = {}
        for name in sorted(options, key=str):
            value = options[name]
            if not isinstance(name, str) or not GLUSTER_OPTION_RE.match(name):
                self.problem(path + ("options", name),
                             "not a gluster option name (like network.ping-timeout)")
            elif name.lower() in GLUSTER_TOPOLOGY_OPTIONS:
                self.problem(path + ("options", name),
                             "is set by the formulas from openstack:hosts (the "
                             "computes' management addresses); remove it")
            elif isinstance(value, bool):  # YAML reads unquoted on/off as booleans
                result[name] = "on" if value else "off"
            elif _is_number(value) or (isinstance(value, str) and value):
                result[name] = str(value)
            else:
                self.problem(path + ("options", name),
                             "must be a string or number, got " + _type_name(value))
        return result

    # -- services --------------------------------------------------------------------

    def nova(self):
        path = ("nova",)
        section = self.section(path)
        return {
            "virt_type": self.choice(section, path, "virt_type", "kvm", VIRT_TYPES),
            "uid": self.integer(section, path, "uid", 64060, 1, MAX_ID),
            "gid": self.integer(section, path, "gid", 64060, 1, MAX_ID),
            "live_migration_scheme": self.live_migration_scheme(section, path),
            "live_migration_permit_post_copy": self.flag(
                section, path, "live_migration_permit_post_copy", True),
            "cpu_allocation_ratio": self.ratio(section, path, "cpu_allocation_ratio", 4.0),
            "ram_allocation_ratio": self.ratio(section, path, "ram_allocation_ratio", 1.0),
        }

    def tls(self, hosts, roles, dashboard):
        path = ("tls",)
        section = self.section(path)
        days = self.integer(section, path, "days", TLS_DAYS, TLS_RENEW_DAYS + 1, TLS_MAX_DAYS)
        public_ca = self.tls_ca(section, path + ("public_ca",))
        public = {host_id: {"issuer": "cloud", "cert": None, "ca": None, "not_after": None}
                  for host_id in hosts
                  if any(role in hosts[host_id]["roles"] for role in PUBLIC_TLS_ROLES)}
        entries = self.section(path + ("public",), section) if section is not None else None
        for host_id, entry in (entries or {}).items():
            key = path + ("public", host_id)
            if host_id not in hosts:
                self.problem(key, "{} is not a host of openstack:hosts".format(_show(host_id)))
            elif host_id not in public:
                self.problem(key, "{} is a {} host: only a controller's or a gateway's "
                                  "endpoints are public".format(
                                      host_id, " and ".join(hosts[host_id]["roles"])))
            elif not _is_mapping(entry):
                self.problem(key, "must be a mapping (cert, key, ca), got " + _type_name(entry))
            else:
                names = _public_names(host_id, hosts, roles["gateway"], dashboard)
                public[host_id] = self.public_tls(entry, key, host_id, names, public_ca)
        cas = []
        for entry in public.values():
            if entry and entry["ca"] and entry["ca"] not in cas:
                cas.append(entry["ca"])
        return {"days": days, "public": public, "public_cas": cas}

    def public_tls(self, entry, path, host_id, names, public_ca):
        """
        An operator's certificate for ``host_id``'s public endpoints: the
        model's entry (issuer, the chain and CA as normalized PEM, the
        end of validity), or None after a problem.  The key is checked,
        never kept in the model.
        """
        for name in entry:
            if name not in PUBLIC_TLS_KEYS:
                self.problem(path + (name,), "unknown key: an entry holds {}".format(
                    ", ".join(PUBLIC_TLS_KEYS)))
        chain = self.tls_chain(entry, path + ("cert",))
        own_ca = self.tls_ca(entry, path + ("ca",))
        ca_path, ca = (path + ("ca",), own_ca) if entry.get("ca") is not None else (
            ("tls", "public_ca"), public_ca)
        private = entry.get("key")
        key = None
        if private is None or private == "":
            if self.secrets is None or host_id == self.own_id:
                self.problem(path + ("key",), "missing or empty")
        else:
            key = self.tls_key(private, path + ("key",))
        if chain is None or (entry.get("ca") is not None and own_ca is None):
            return None
        problems = len(self.problems)
        self.tls_issued(chain, path + ("cert",), ca, ca_path)
        self.tls_names(chain[0], path + ("cert",), names)
        if key is not None and _spki(key.public_key()) != _spki(chain[0].public_key()):
            self.problem(path + ("key",), "is not the key of the certificate in {}".format(
                _key(path + ("cert",))))
        if len(self.problems) > problems:
            return None
        return {"issuer": "operator", "cert": "".join(_pem(cert) for cert in chain),
                "ca": _pem(ca) if ca is not None else None,
                "not_after": chain[0].not_valid_after_utc.isoformat()}

    def tls_chain(self, entry, path):
        """The certificates of ``path`` (PEM, the host's first), valid now."""
        value = entry.get(path[-1])
        if value is None or value == "":
            self.problem(path, "missing or empty")
            return None
        if not isinstance(value, str):
            self.problem(path, "must be a string (PEM), got " + _type_name(value))
            return None
        if "PRIVATE KEY" in value:
            self.problem(path, "holds a private key: {} goes to every host, the key belongs in "
                               "{}".format(_key(path), _key(path[:-1] + ("key",))))
            return None
        try:
            chain = x509.load_pem_x509_certificates(value.encode())
        except ValueError:
            self.problem(path, "is not a PEM certificate (-----BEGIN CERTIFICATE-----): give "
                               "the host's certificate first, then its intermediates")
            return None
        return chain if self.tls_dates(chain, path) else None

    def tls_ca(self, section, path):
        """The CA certificate of ``path`` (optional): one PEM CA, valid now."""
        value = None if section is None else section.get(path[-1])
        if value is None:
            return None
        chain = self.tls_chain(section, path)
        if chain is None:
            return None
        if len(chain) != 1:
            self.problem(path, "holds {} certificates: give the one CA that signed the chain's "
                               "last certificate".format(len(chain)))
            return None
        try:
            is_ca = chain[0].extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            self.problem(path, "{} is not a CA certificate (basicConstraints CA:TRUE)".format(
                chain[0].subject.rfc4514_string()))
            return None
        return chain[0]

    def tls_dates(self, chain, path):
        now = datetime.datetime.now(datetime.timezone.utc)
        good = True
        for index, cert in enumerate(chain):
            which = "the certificate" if len(chain) == 1 else "certificate {} ({})".format(
                index + 1, cert.subject.rfc4514_string())
            if cert.not_valid_after_utc <= now:
                self.problem(path, "{} expired on {:%Y-%m-%d %H:%M} UTC".format(
                    which, cert.not_valid_after_utc))
                good = False
            elif cert.not_valid_before_utc > now:
                self.problem(path, "{} is not valid before {:%Y-%m-%d %H:%M} UTC".format(
                    which, cert.not_valid_before_utc))
                good = False
        return good

    def tls_issued(self, chain, path, ca, ca_path):
        """Each certificate of ``chain`` signed by the next; the last by ``ca``."""
        for index, (cert, issuer) in enumerate(zip(chain, chain[1:])):
            if not _signed_by(cert, issuer):
                self.problem(path, "certificate {} is not signed by certificate {}: give the "
                                   "host's certificate first, then each one's issuer".format(
                                       index + 1, index + 2))
                return
        last = chain[-1]
        if ca is not None and _pem(last) != _pem(ca) and not _signed_by(last, ca):
            self.problem(path, "is not signed by the CA of {} ({})".format(
                _key(ca_path), ca.subject.rfc4514_string()))

    def tls_names(self, cert, path, names):
        """The certificate covers every name clients use for the host."""
        try:
            alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            self.problem(path, "has no subjectAltName: it must name {}".format(", ".join(names)))
            return
        missing = [name for name in names if not _san_covers(alt, name)]
        if missing:
            self.problem(path, "does not name {} (its subjectAltName: {}): the catalog's "
                               "public URLs, the console and the dashboard use {}".format(
                                   ", ".join(missing), _san_text(alt), ", ".join(names)))

    def tls_key(self, value, path):
        """The private key of ``path`` (PEM, unencrypted), or None."""
        if not isinstance(value, str):
            self.problem(path, "must be a string (PEM), got " + _type_name(value))
            return None
        encrypted = ("is encrypted: give it without a passphrase (openssl pkey -in KEY -out "
                     "PLAIN): the services read it unattended")
        if "ENCRYPTED" in value:
            self.problem(path, encrypted)
            return None
        try:
            return serialization.load_pem_private_key(value.encode(), password=None)
        except TypeError:
            self.problem(path, encrypted)
        except (ValueError, UnsupportedAlgorithm):
            # Never the library's message: it could quote the key.
            self.problem(path, "is not a PEM private key (-----BEGIN PRIVATE KEY-----)")
        return None

    def live_migration_scheme(self, section, path):
        value = self.value(section, path, "live_migration_scheme", "ssh")
        if isinstance(value, str) and value in UNDEPLOYED_MIGRATION_SCHEMES:
            self.problem(path + ("live_migration_scheme",), "{} {}".format(
                _show(value), UNDEPLOYED_MIGRATION_SCHEMES[value]))
            return None
        return self.choice(section, path, "live_migration_scheme", "ssh",
                           LIVE_MIGRATION_SCHEMES)

    def cinder(self):
        path = ("cinder",)
        section = self.section(path)
        group = self.text(section, path, "volume_group", "cinder-volumes", LVM_VG_RE,
                          "a valid LVM volume group name (letters, digits and + _ . -, not "
                          "starting with '-', at most 127 characters)")
        if group in (".", ".."):
            self.problem(path + ("volume_group",),
                         "{} is not a valid LVM volume group name".format(_show(group)))
            group = None
        return {
            "volume_group": group,
            "loop_file_size_gb": self.integer(section, path, "loop_file_size_gb", 10, 0),
            "lvm_type": self.choice(section, path, "lvm_type", "auto", LVM_TYPES),
        }

    def glance(self):
        path = ("glance",)
        images = self.items(self.section(path), path, "images", [])
        result, names = [], set()
        for index, image in enumerate(images or ()):
            entry = self.image(image, path + ("images", index))
            if entry is not None and entry["name"] in names:
                self.problem(path + ("images", index, "name"),
                             "{} is listed twice".format(_show(entry["name"])))
            elif entry is not None:
                names.add(entry["name"])
                result.append(entry)
        self.image_references(result, path + ("images",))
        return {"images": None if images is None else result}

    def image(self, image, path):
        """One image: name and source required (see "Glance images")."""
        if not _is_mapping(image):
            self.problem(path, "must be a mapping with name and source, got " + _type_name(image))
            return None
        self.typos(image, path, ("image",))
        entry = {
            "name": self.image_name(image, path, "name", _REQUIRED),
            "source": self.image_source(image, path),
            "source_hash": self.text(image, path, "source_hash", None, SAFE_TOKEN_RE,
                                     "a hash (like sha256=...) or a URL, without whitespace"),
            "disk_format": self.choice(image, path, "disk_format", "qcow2",
                                       cloud_plan.IMAGE_DISK_FORMATS),
            "container_format": self.choice(image, path, "container_format", "bare",
                                            cloud_plan.IMAGE_CONTAINER_FORMATS),
            "visibility": self.choice(image, path, "visibility", "public",
                                      cloud_plan.IMAGE_VISIBILITIES),
            "kernel": self.image_name(image, path, "kernel", None),
            "ramdisk": self.image_name(image, path, "ramdisk", None),
            "properties": self.image_properties(image, path),
        }
        return None if entry["name"] is None else entry

    def image_name(self, image, path, name, default):
        """An image name: it names a file of the image cache and goes into shell."""
        return self.text(image, path, name, default, IMAGE_NAME_RE,
                         "a valid image name (letters, digits and . _ + -, not starting "
                         "with '.' or '-', no '/', at most 255 characters)")

    def image_source(self, image, path):
        source = self.text(image, path, "source", _REQUIRED, SAFE_TOKEN_RE,
                           "a URL or an absolute path, without whitespace")
        if source is None:
            return None
        if source.startswith("/"):
            if posixpath.normpath(source) != source or source == "/":
                self.problem(path + ("source",), "{} must be a normalized absolute path "
                                                 "(no '..', '.', '//' or trailing '/')"
                                                 .format(_show(source)))
                return None
        elif not IMAGE_URL_RE.match(source):
            self.problem(path + ("source",), "{} is not an absolute path or a URL (http, https, "
                                             "ftp or salt)".format(_show(source)))
            return None
        return source

    def image_properties(self, image, path):
        properties = self.value(image, path, "properties", {})
        path = path + ("properties",)
        if not _is_mapping(properties):
            self.problem(path, "must be a mapping, got " + _type_name(properties))
            return None
        result = {}
        for name in sorted(properties, key=str):
            value = properties[name]
            if not isinstance(name, str) or not IMAGE_PROPERTY_RE.match(name):
                self.problem(path + (name,), "not an image property name (letters, digits "
                                             "and _ . : -)")
            elif name in cloud_plan.IMAGE_CORE:
                self.problem(path + (name,), "is one of Glance's own fields, not a property"
                             + (" (give kernel or ramdisk: an image name)"
                                if name in ("kernel_id", "ramdisk_id") else ""))
            elif isinstance(value, bool):
                result[name] = "true" if value else "false"
            elif _is_number(value) or (isinstance(value, str) and value
                                        and not cloud_plan.CONTROL_RE.search(value)):
                result[name] = str(value)
            else:
                self.problem(path + (name,), "must be a non-empty string or a number, "
                                             "without control characters")
        return result

    def image_references(self, images, path):
        """kernel and ramdisk name other images of the list."""
        names = {entry["name"] for entry in images}
        for index, entry in enumerate(images):
            for key in ("kernel", "ramdisk"):
                ref = entry.get(key)
                if ref is not None and (ref not in names or ref == entry["name"]):
                    self.problem(path + (index, key), "{} is not another image of {}".format(
                        _show(ref), _key(path)))

    def workers(self):
        path = ("workers",)
        section = self.section(path)
        return {
            kind: self.integer(section, path, kind, DEFAULT_WORKERS[kind], 1)
            for kind in WORKER_KINDS
        }

    def flavors(self):
        path = ("flavors",)
        flavors = self.value(self.data, (), "flavors", DEFAULT_FLAVORS)
        if not _is_mapping(flavors):
            self.problem(path, "must be a mapping of flavor names to vcpus, ram and disk, "
                               "got " + _type_name(flavors))
            return None
        result = {}
        for name in sorted(flavors, key=str):
            key = path + (name,)
            flavor = flavors[name]
            if not isinstance(name, str) or not FLAVOR_NAME_RE.match(name):
                self.problem(key, "not a valid flavor name (letters, digits and . _ -, not "
                                  "starting with '.' or '-', at most 255 characters)")
            elif not _is_mapping(flavor):
                self.problem(key, "must be a mapping with vcpus, ram and disk, got "
                             + _type_name(flavor))
            else:
                self.typos(flavor, key, ("flavor",))
                fields = {
                    "vcpus": self.integer(flavor, key, "vcpus", _REQUIRED, 1, 4096),
                    "ram": self.integer(flavor, key, "ram", _REQUIRED, 1),
                    "disk": self.integer(flavor, key, "disk", _REQUIRED, 0),
                    "ephemeral": self.integer(flavor, key, "ephemeral", 0, 0),
                    "swap": self.integer(flavor, key, "swap", 0, 0),
                    "public": self.flag(flavor, key, "public", True),
                }
                required = list(fields.values())
                fields["description"] = self.description(flavor, key,
                                                         cloud_plan.NOVA_DESCRIPTION_MAX)
                fields["extra_specs"] = self.extra_specs(flavor, key)
                if None not in required and fields["extra_specs"] is not None:
                    result[name] = fields
        return result

    def extra_specs(self, flavor, path):
        """A flavor's extra specs: names to strings (Nova stores strings)."""
        specs = self.value(flavor, path, "extra_specs", {})
        path = path + ("extra_specs",)
        if not _is_mapping(specs):
            self.problem(path, "must be a mapping of extra spec names to values, got "
                         + _type_name(specs))
            return None
        result = {}
        for name in sorted(specs, key=str):
            value = specs[name]
            if not isinstance(name, str) or not EXTRA_SPEC_KEY_RE.match(name):
                self.problem(path + (name,), "not an extra spec name (letters, digits and "
                                             "_ : . - and space, at most 255 characters)")
            elif isinstance(value, bool):
                result[name] = "true" if value else "false"
            elif (_is_number(value) or isinstance(value, str)) and len(str(value)) <= 255 \
                    and not cloud_plan.CONTROL_RE.search(str(value)):
                result[name] = str(value)
            else:
                self.problem(path + (name,), "must be a string (at most 255 characters, no "
                                             "control characters), a number or a boolean")
        return None if len(result) != len(specs) else result

    def quotas(self):
        """openstack:quotas: project name -> {limit: integer >= -1} (see the table)."""
        path = ("quotas",)
        quotas = self.value(self.data, (), "quotas", {})
        if not _is_mapping(quotas):
            self.problem(path, "must be a mapping of project names to quota limits, got "
                         + _type_name(quotas))
            return None
        result = {}
        demo = self.data.get("demo") if _is_mapping(self.data.get("demo")) else {}
        known = ("admin", "service", demo.get("project", "demo"))
        for project in sorted(quotas, key=str):
            key = path + (project,)
            limits = quotas[project]
            if not isinstance(project, str) or not PROJECT_RE.match(project):
                self.problem(key, "not a project name (1 to 64 characters)")
            elif project not in known:
                self.problem(key, "not a project the formulas make (" + ", ".join(
                    str(name) for name in known) + "): Keystone would have no project of "
                    "that name when the quotas are set")
            elif not _is_mapping(limits):
                self.problem(key, "must be a mapping of quota names to integers, got "
                             + _type_name(limits))
            else:
                self.typos(limits, key, ("quota",))
                for name in limits:
                    if name not in cloud_plan.QUOTA_FIELDS and not difflib.get_close_matches(
                            str(name), list(cloud_plan.QUOTA_FIELDS), n=1, cutoff=0.75):
                        self.problem(key + (name,), "not a quota openstack_cloud sets (one of "
                                     + ", ".join(cloud_plan.QUOTA_FIELDS) + ")")
                checked = {name: self.integer(limits, key, name, None, -1)
                           for name in cloud_plan.QUOTA_FIELDS if name in limits}  # fmt: skip
                if None not in checked.values():
                    result[project] = checked
        return result

    def security_groups(self):
        """The admin project's security groups and their rules (by group name)."""
        path = ("security_groups",)
        groups = self.value(self.data, (), "security_groups", DEFAULT_SECURITY_GROUPS)
        if not _is_mapping(groups):
            self.problem(path, "must be a mapping of security group names to their "
                               "description, rules and remove_unlisted, got " + _type_name(groups))
            return None
        names = {"default"} | {name for name in groups if isinstance(name, str)}
        result = {}
        for name in sorted(groups, key=str):
            key = path + (name,)
            group = groups[name]
            if not self.security_group_name(name, key):
                continue
            if group is None:
                group = {}
            if not _is_mapping(group):
                self.problem(key, "must be a mapping with description, rules and "
                                  "remove_unlisted, got " + _type_name(group))
                continue
            self.typos(group, key, ("security_group",))
            entry = {
                "description": self.description(group, key, cloud_plan.NEUTRON_DESCRIPTION_MAX),
                "remove_unlisted": self.flag(group, key, "remove_unlisted", False),
                "rules": self.security_rules(group, key, names),
            }
            if entry["rules"] is not None and entry["remove_unlisted"] is not None:
                result[name] = entry
        self.security_group_cycles(path, result)
        return result

    def security_group_name(self, name, key):
        return self.neutron_name(name, key, "security group")

    def neutron_name(self, name, key, what):
        """A Neutron name (at most 255 characters, no control characters), not
        starting or ending with whitespace."""
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            self.problem(key, "not a valid {} name (at most {} characters, no "
                              "control characters, not starting or ending with whitespace)"
                              .format(what, cloud_plan.NEUTRON_NAME_MAX))
            return False
        try:
            cloud_plan.neutron_name(name, what)
        except CommandExecutionError as exc:
            self.problem(key, str(exc))
            return False
        return True

    def security_group_cycles(self, path, groups):
        """
        cloud.security makes a group's state require the groups its rules
        name as remote_group (other than itself), so that they exist first:
        groups that name each other, directly or round a ring, would be a
        requisite loop that Salt refuses.  Reported once per ring.
        """
        needs = {name: sorted({rule["remote_group"] for rule in group["rules"]
                               if rule["remote_group"] not in (None, name)
                               and rule["remote_group"] in groups})
                 for name, group in groups.items()}
        reported = set()
        for start in sorted(needs):
            trail, name = [start], start
            while True:
                ahead = [n for n in needs[name] if n not in reported]
                ring = next((n for n in ahead if n in trail), None)
                if ring is not None:
                    loop = trail[trail.index(ring):]
                    if not reported & set(loop):
                        reported.update(loop)
                        self.problem(path + (loop[0], "rules"), "the groups {} name each other "
                                     "as remote_group: a loop, as each must exist before the "
                                     "other (keep such rules in one of them)".format(
                                         " -> ".join(loop + [loop[0]])))
                    break
                if not ahead:
                    break
                name = ahead[0]
                trail.append(name)

    def security_rules(self, group, path, names):
        """
        A group's rules, checked as ``openstack_cloud`` applies them; a
        ``remote_group`` names a group of ``security_groups`` or default.
        """
        rules = self.items(group, path, "rules", [])
        if rules is None:
            return None
        path = path + ("rules",)
        result, seen, bad = [], {}, False
        for index, rule in enumerate(rules):
            key = path + (index,)
            try:
                checked = cloud_plan.rule_spec(rule, _key(key))
            except CommandExecutionError as exc:
                self.problems.append(str(exc))
                bad = True
                continue
            remote = checked["remote_group"]
            if remote is not None and remote not in names:
                self.problem(key + ("remote_group",), "{} is not a group of {}".format(
                    _show(remote), _key(("security_groups",))) + " (nor default)")
                bad = True
                continue
            same = cloud_plan.rule_key(dict(checked, remote_group_id=remote))
            if same in seen:
                self.problem(key, "the same rule as {}".format(_key(path + (seen[same],))))
                bad = True
                continue
            seen[same] = index
            result.append(checked)
        return None if bad else result
