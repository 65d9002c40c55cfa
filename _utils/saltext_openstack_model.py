"""
The ``openstack`` pillar's vocabulary, shared by ``openstack_pillar`` and
its validator (``saltext_openstack_model_validator`` and its three
mixins, ``_network``, ``_storage`` and ``_services``): the constants (roles, secrets per role,
the API catalog, defaults, limits), the patterns, the known keys of each
mapping, and the pure helpers the checks and the public functions share.
What each key means and the model's shape: ``_modules/openstack_pillar.py``.

This is not a Salt loader module: ``openstack_pillar`` imports it directly,
synced (``extmods/utils``) or pip-installed
(``saltext_openstack._utils.saltext_openstack_model``), like the other
files of ``_utils/`` (see ``saltext_openstack_api``).
"""
import collections.abc
import re
import uuid

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - Salt itself requires cryptography
    HAS_CRYPTOGRAPHY = False

# Security-group rules, names and images are checked by the code that
# applies them (_utils/saltext_openstack_cloud*.py), synced or installed
# with this file. The mixins read the last two as ``model.cloud_image`` and
# ``model.cloud_network``.
try:
    import saltext_openstack_cloud as cloud_plan
    import saltext_openstack_cloud_image as cloud_image  # noqa: F401
    import saltext_openstack_cloud_network as cloud_network  # noqa: F401
except ImportError:
    from saltext_openstack._utils import saltext_openstack_cloud as cloud_plan
    from saltext_openstack._utils import saltext_openstack_cloud_image as cloud_image  # noqa: F401
    from saltext_openstack._utils import saltext_openstack_cloud_network as cloud_network  # noqa: F401


def __virtual__():
    # Salt's utils loader also finds this file in extmods/utils: it is
    # imported by openstack_pillar, not used through __utils__.
    return (False, "saltext_openstack_model is imported by openstack_pillar directly")


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

#: Secrets required only when the model uses what they protect: key under
#: ``openstack:passwords``, what it is, and when it is required.
#: ``ceph_cinder_key``: the cephx key of the Ceph user of the rbd backends
#: (``client.<user>``, ``ceph auth get-key client.cinder``), required when
#: ``cinder:backends`` has an rbd backend.
CONDITIONAL_PASSWORDS = (
    ("ceph_cinder_key", "cephx key of the rbd backends' Ceph user"),
)
#: Secrets the cloud does not issue, so cannot rotate by itself: each
#: with what rotating it means.  ``openstack_pillar.password_limits`` marks
#: them ``external`` (the test cluster's rotate phase keeps them).
EXTERNAL_SECRETS = {
    "ceph_cinder_key": "issued by the Ceph cluster: make a new key there (ceph auth "
                       "get-or-create-key) and put it in pillar; a re-run passes it on",
}

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
        "metadata_secret", "memcache_secret_key", "ceph_cinder_key",
    ),
    # ceph_cinder_key: the libvirt secret QEMU attaches rbd volumes with.
    "compute": ("rabbitmq", "nova", "placement", "neutron", "metadata_secret", "ceph_cinder_key"),
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
#: ``openstack:workers``: api (every API's uwsgi or WSGI processes), nova's
#: conductor, scheduler and metadata API, neutron's RPC workers (rpc) and
#: glance-api's worker processes (glance).
WORKER_KINDS = ("api", "conductor", "scheduler", "metadata", "rpc", "glance")
#: None: as many as ``workers:api``.
DEFAULT_WORKERS = {"api": 2, "conductor": 1, "scheduler": 1, "metadata": 1, "rpc": 1,
                   "glance": None}
#: The kinds that take 0, and what 0 means (2025.1's sources).  For the
#: others 0 is refused by the service (nova's metadata_workers and
#: osapi_compute_workers: min=1; uwsgi and mod_wsgi need a process) or
#: means one process per CPU (nova's conductor and scheduler), and 1
#: already runs the service in its own process (oslo.service's launch()).
ZERO_WORKERS = {
    # neutron/service.py _get_rpc_workers: no RPC worker; ML2/OVN with no
    # agent needs none (doc/source/admin/config-wsgi.rst).
    "rpc": "no RPC worker: neutron-rpc-server is stopped (ML2/OVN without agents needs none)",
    # glance/common/wsgi.py Server.start_wsgi: workers == 0 serves from a
    # green thread of glance-api's own process.
    "glance": "glance-api serves in its own process, forking no worker",
}
GENEVE_VNI_MAX = 16777215
DATAPATH_TYPES = ("system", "netdev")
#: cinder's [lvm] lvm_type: auto (thin when LVM supports it), thin, or
#: default (thick).
LVM_TYPES = ("auto", "thin", "default")
#: The kinds of ``cinder:backends`` entries.
CINDER_BACKEND_TYPES = ("lvm", "rbd")
#: The backends when ``cinder:backends`` is absent: today's one LVM backend,
#: section ``[lvm]`` of cinder.conf.
DEFAULT_CINDER_BACKENDS = [{"name": "lvm", "type": "lvm"}]
#: A backend's name is a cinder.conf section, a volume type's name (and
#: goes into shell commands): letters, digits, '_' and '-', not starting
#: with '-', at most 64 characters.
CINDER_BACKEND_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
#: Sections of cinder.conf a backend's name must not take (the formula's
#: own and oslo.config's DEFAULT; compared without case).
CINDER_SECTIONS = (
    "default", "database", "keystone_authtoken", "oslo_concurrency", "oslo_middleware",
    "nova", "backend_defaults", "backend", "coordination", "key_manager",
    "oslo_messaging_notifications", "oslo_messaging_rabbit", "oslo_policy", "privsep",
    "service_user", "profiler", "barbican", "ssl", "cors", "healthcheck", "os_brick",
    "oslo_reports", "oslo_versionedobjects", "vault", "fc-zone-manager", "oslo_limit",
    "glance", "castellan", "audit_middleware_notifications", "oslo_messaging_amqp",
    "oslo_messaging_kafka", "cinder_kms",
)
#: A volume type's name (a backend's ``volume_type``, default its name;
#: ``cinder:default_volume_type``): what Cinder's API and the verification
#: pass around: letters, digits and . _ -, not starting with '.' or '-', at
#: most 64 characters.
VOLUME_TYPE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
#: The type Cinder makes for itself (the default ``default_volume_type``):
#: a backend's type must not take it (compared without case).
CINDER_OWN_VOLUME_TYPE = "__DEFAULT__"
#: The keys every ``cinder:backends`` entry may have, whatever its type.
CINDER_BACKEND_COMMON_KEYS = ("name", "type", "volume_type")
#: Ceph pool names and cephx user ids the formulas accept: letters, digits
#: and . _ -, not starting with '.' or '-' (they go into file names and the
#: keyring's section header).
CEPH_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
CEPH_CONF = "/etc/ceph/ceph.conf"
#: A cephx key: base64 of 28 bytes: type (le16, 1 = AES), created (8
#: bytes), length (le16, 16), then the 16-byte secret: 40 characters,
#: starting "AQ".
CEPHX_KEY_BYTES = 28
#: Ceph's monitor ports: msgr2 and the legacy protocol.
CEPH_MON_PORTS = (3300, 6789)


def ceph_keyring(user):
    """Where the keyring of cephx user ``user`` goes."""
    return "/etc/ceph/ceph.client.{}.keyring".format(user)


def libvirt_secret_uuid(fsid, user):
    """The libvirt secret's UUID for ``client.<user>`` of the cluster
    ``fsid``: a uuid5 in the fsid's namespace, the same on every run."""
    return str(uuid.uuid5(uuid.UUID(fsid), "client." + user))
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

REQUIRED = object()

# The known keys of each fixed mapping, for typo detection.
KNOWN_KEYS = {
    (): (
        "release", "region", "domain", "hosts", "networks", "gateway_nat",
        "firewall", "passwords", "admin", "demo", "gluster", "nova", "cinder",
        "glance", "workers", "flavors", "dashboard", "security_groups", "tls", "quotas",
        "ceph",
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
    ("passwords",): tuple(name for name, _ in REQUIRED_PASSWORDS + CONDITIONAL_PASSWORDS),
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
    ("cinder",): (
        "volume_group", "loop_file_size_gb", "lvm_type", "backends", "default_volume_type",
    ),
    ("cinder_backend",): CINDER_BACKEND_COMMON_KEYS + ("volume_group", "lvm_type", "pool", "user"),
    ("ceph",): ("fsid", "monitors", "libvirt_secret_uuid"),
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

def endpoints(controller):
    """The catalog of the controller ``controller``: see ``openstack_pillar.endpoints``."""
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
    """The console proxy of the gateway ``gateway``: see ``openstack_pillar.console``."""
    if gateway is None:
        return None
    return {"port": CONSOLE_PORT,
            "url": "https://{}:{}{}".format(gateway, CONSOLE_PORT, CONSOLE_PATH)}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def pillar_key(path):
    """
    The colon-separated pillar key of ``path`` (a tuple under ``openstack``);
    a part with a control character is quoted (``'web\\nservers'``), so that
    the key stays on its line of the message.
    """
    return ":".join((ROOT,) + tuple(key_part(part) for part in path))


def key_part(part):
    text = str(part)
    return repr(text) if cloud_plan.CONTROL_RE.search(text) else text


def natural_key(text):
    """Sort key putting ``compute2`` before ``compute10``."""
    parts = re.split(r"(\d+)", text)
    return [int(part) if index % 2 else part.lower() for index, part in enumerate(parts)], text


def natural_sorted(names):
    return sorted(names, key=natural_key)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_mapping(value):
    return isinstance(value, collections.abc.Mapping)


def type_name(value):
    """What a value is, for messages, without showing it."""
    if isinstance(value, bool):
        return "a boolean"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if is_mapping(value):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a " + type(value).__name__


def show(value):
    """A (non-secret) value as quoted in messages, cut at 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def overlaps(first, second):
    return (
        first.version == second.version
        and first.first <= second.last
        and second.first <= first.last
    )


def reserved_role(address, network):
    """Why ``address`` cannot be a host of ``network``, or None if it can."""
    if network.version == 4 and network.prefixlen <= 30:
        if address == network.network:
            return "the network address"
        if address == network.broadcast:
            return "the broadcast address"
    if network.version == 6 and network.prefixlen <= 126 and address == network.network:
        return "the subnet-router anycast (network) address"
    return None


def system_dir(path):
    """Why ``path`` (normalized, absolute) is a system directory, or None."""
    if path in SYSTEM_DIRS:
        return "a system directory"
    if LIB_DIR_RE.match(path):
        return "inside the system's libraries"
    for tree in SYSTEM_TREES:
        if path.startswith(tree + "/"):
            return "inside the system directory " + tree
    return None


def public_names(host_id, hosts, gateways, dashboard):
    """
    The names clients reach ``host_id``'s public endpoints by: its minion
    id (the catalog's public URLs, the console's URL), and on a gateway the
    dashboard's names of the pillar's ``dashboard:hosts`` (the dashboard's
    allowed hosts less every gateway's own names and addresses).
    """
    names = [host_id]
    if host_id in gateways:
        own = {str(value).lower() for gateway in gateways
               for value in host_identities(gateway, hosts[gateway]) if value}
        names += [name for name in dashboard["allowed_hosts"] if name.lower() not in own]
    return names


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def signed_by(cert, issuer):
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def san_covers(alt, name):
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


def san_text(alt):
    values = [str(value) for value in alt.get_values_for_type(x509.DNSName)]
    values += [str(value) for value in alt.get_values_for_type(x509.IPAddress)]
    return ", ".join(values) or "empty"


def fqdn(host_id, domain):
    """A minion id with a dot is taken as already qualified."""
    if "." in host_id or not domain:
        return host_id
    return "{}.{}".format(host_id, domain)


def host_identities(host_id, host):
    """Every name and address a host is known by in the model: its minion
    id, short name, fqdn, management and provider address (None when it
    has none)."""
    return (host_id, host["shortname"], host["fqdn"], host["address"], host["provider_address"])


def host_names(host):
    names = [host["fqdn"]]
    if host["shortname"] != host["fqdn"]:
        names.append(host["shortname"])
    return names


def network_fields(network):
    if network is None:
        return {"cidr": None, "prefixlen": None}
    return {"cidr": str(network), "prefixlen": network.prefixlen}


def host_devices(host_id, roles, networks):
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


def str_or_none(value):
    return None if value is None else str(value)


def root_problem(data):
    """The problem with the ``openstack`` value as a whole, if any."""
    if data is None:
        return "missing"
    if not is_mapping(data):
        return "must be a mapping, got " + type_name(data)
    if not data:
        return "empty"
    return None
