"""
Cloud resources declared, not scripted: Nova flavors, Neutron networks,
subnets, routers and security groups, Glance images and Cinder volume
types, over the services' APIs, in-process.

Each function compares what the cloud holds with what is wanted, plans the
API calls that close the gap and, unless ``test=True``, makes them, then
returns the changes (``{}``: nothing to do). The plan is made from one
listing per kind of object, and every refusal is raised before the first
write, so a refused call changes nothing.

What happens on drift
=====================

================  ==========================================  =========================================
resource          corrected in place                          refused (the call fails, nothing written)
================  ==========================================  =========================================
flavor            description, extra specs (the listed set;   vcpus, ram, disk, ephemeral, swap,
                  unlisted specs are removed)                 public or id differ *and* a server uses
                                                              the flavor. Unused, it is replaced:
                                                              deleted and created again, same id.
network           shared, external, MTU, admin state, port    provider attributes (network type,
                  security, description                       physical network, segmentation id)
subnet            gateway, allocation pools, DNS servers,     CIDR, IP version, network
                  DHCP, host routes, description
router            external gateway (network, SNAT), each      -
                  listed interface (added on its own),
                  admin state, description
security group    description; the listed rules are           -
                  ensured, unlisted ones removed only with
                  ``remove_unlisted=True``
quota             every listed limit                          -
image             visibility, kernel and ramdisk (by image    disk and container format of an image
                  name), the listed properties (unlisted      whose data is the file's. Its data:
                  ones are kept); a partial upload (queued,   replaced (deleted, uploaded again) when
                  saving, killed) or data that differs from   it differs from the file
                  the file: replaced
volume type       public, description, the listed extra       -
                  specs (unlisted ones are kept)
================  ==========================================  =========================================

Arguments left to ``None`` are not managed: the cloud's value stays (and
Neutron's or Nova's default applies at creation).

Nova cannot change a flavor's sizes in place (a flavor is immutable but for
its description and extra specs). Replacing a flavor that servers use
would leave them on a flavor id that no longer exists, so that is refused
with the servers named; give the new sizes a new flavor name instead.

Names are the keys: a flavor or a volume type by its name (Nova's and
Cinder's names are unique), a network, subnet, router or security group by its name in its project (the
authenticated project unless ``project`` names another, Default domain).
Two objects of the same name in a project are an error, not a guess.

Compute hosts on day 2
======================

``compute_drain`` (disable a compute, live-migrate its servers away) and
``compute_forget`` (delete its nova-compute records, resource providers
and network agents) are the cloud's side of retiring or replacing a
compute (orchestrations ``openstack.retire`` and ``openstack.replace``);
their refusals, too, are raised before the first write.

Authentication
==============

The admin credentials are keyword arguments, as for ``keystone_init``:
``auth_url``, ``username`` (default ``admin``), ``password``,
``project_name`` (default ``admin``), ``user_domain_name``,
``project_domain_name`` (or the ``_id`` forms), ``region`` (the catalog
region of the endpoints), ``interface`` (the catalog interface, default
``public``), ``verify`` and ``timeout``. Each one not given comes from the
dict ``openstack_cloud:auth`` of the minion configuration, else of pillar.

One login serves a whole state run: the authenticated session (with its
service catalog) is kept in ``__context__`` under a digest of the
credentials, and logged in again once when a kept token is refused (HTTP
401) or its catalog lacks the service (registered since the login). No password or token appears in a return, an error or the log.
"""
import hashlib
import json
import logging
import time

# The shared OpenStack client, this module's pure plans and the calls that
# carry them out (_utils/): synced to extmods/utils, which the loader puts
# on sys.path while it loads this module, or part of the pip-installed
# package.
try:
    import saltext_openstack_api as api
    import saltext_openstack_cloud as cp
    import saltext_openstack_cloud_calls as calls
    import saltext_openstack_cloud_image as ci
    import saltext_openstack_cloud_network as cn
except ImportError:
    from saltext_openstack._utils import saltext_openstack_api as api
    from saltext_openstack._utils import saltext_openstack_cloud as cp
    from saltext_openstack._utils import saltext_openstack_cloud_calls as calls
    from saltext_openstack._utils import saltext_openstack_cloud_image as ci
    from saltext_openstack._utils import saltext_openstack_cloud_network as cn

log = logging.getLogger(__name__)

__virtualname__ = "openstack_cloud"

AUTH_KEY = "openstack_cloud:auth"
AUTH_ARGS = api.AUTH_ARGS + ("interface",)

# Pauses before planning again when a service does not answer (real runs).
RETRY_PAUSES = (2, 5, 10)

_CONTEXT_KEY = "openstack_cloud.session"


def __virtual__():
    return __virtualname__


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def flavor_present(
    name,
    vcpus,
    ram,
    disk,
    ephemeral=0,
    swap=0,
    public=True,
    description=None,
    extra_specs=None,
    flavor_id=None,
    test=False,
    **kwargs,
):
    """
    Make sure the Nova flavor ``name`` exists with these sizes and extra
    specs; return the changes (``{}``: nothing to do).

    vcpus, ram, disk
        Virtual CPUs, RAM in MiB, root disk in GB.

    ephemeral, swap
        Ephemeral disk in GB, swap in MiB (default 0).

    public
        Visible to every project (default true).

    description
        Updated in place; ``None``: not managed.

    extra_specs
        A mapping: exactly these extra specs (others are removed);
        ``None``: not managed.

    flavor_id
        The id at creation (default: Nova makes one). A flavor replaced
        because its sizes changed keeps its id unless this names another.

    CLI Example::

        salt-call openstack_cloud.flavor_present m1.nano 1 128 1
        salt-call openstack_cloud.flavor_present m1.small 1 2048 20 extra_specs='{"hw:cpu_policy": "shared"}' test=True
    """
    spec = cp.flavor_spec(name, vcpus, ram, disk, ephemeral, swap, public, description,
                       extra_specs, flavor_id)  # fmt: skip
    return _run(kwargs, test, lambda cloud: calls.ensure_flavor(cloud, spec, test))


def network_present(
    name,
    project=None,
    shared=None,
    external=None,
    mtu=None,
    provider_network_type=None,
    provider_physical_network=None,
    provider_segmentation_id=None,
    admin_state_up=None,
    port_security_enabled=None,
    description=None,
    test=False,
    **kwargs,
):
    """
    Make sure the Neutron network ``name`` exists with these attributes;
    return the changes. A provider attribute that differs from Neutron's is
    refused: Neutron cannot change it in place.

    project
        The owning project's name (default: the authenticated project).

    shared, external, mtu, admin_state_up, port_security_enabled, description
        Corrected in place when they differ; ``None``: not managed.

    provider_network_type, provider_physical_network, provider_segmentation_id
        ``flat``/``vlan``/``geneve``..., the physical network, the VLAN or
        tunnel id; ``None``: Neutron chooses (a self-service network).

    CLI Example::

        salt-call openstack_cloud.network_present provider shared=True external=True provider_network_type=flat provider_physical_network=provider
        salt-call openstack_cloud.network_present selfservice mtu=1442 test=True
    """
    spec = cn.network_spec(name, project, shared=shared, external=external, mtu=mtu,
                        provider_network_type=provider_network_type,
                        provider_physical_network=provider_physical_network,
                        provider_segmentation_id=provider_segmentation_id,
                        admin_state_up=admin_state_up,
                        port_security_enabled=port_security_enabled,
                        description=description)  # fmt: skip
    return _run(kwargs, test, lambda cloud: calls.ensure_network(cloud, spec, test))


def subnet_present(
    name,
    network,
    cidr,
    project=None,
    gateway_ip=None,
    allocation_pools=None,
    dns_nameservers=None,
    enable_dhcp=None,
    host_routes=None,
    description=None,
    test=False,
    **kwargs,
):
    """
    Make sure the Neutron subnet ``name`` of network ``network`` exists with
    this CIDR and these settings; return the changes. A different CIDR, IP
    version or network is refused: Neutron cannot change them.

    cidr
        The subnet's range (``172.16.1.0/24``); its IP version follows.

    gateway_ip
        An address, or ``none`` for no gateway; ``None``: not managed
        (Neutron's default at creation: the first address).

    allocation_pools
        A list of ``{start, end}``; ``None``: not managed.

    dns_nameservers
        A list of addresses, in order; ``None``: not managed.

    enable_dhcp, host_routes, description
        ``host_routes`` is a list of ``{destination, nexthop}``; ``None``:
        not managed.

    CLI Example::

        salt-call openstack_cloud.subnet_present selfservice selfservice 172.16.1.0/24 gateway_ip=172.16.1.1
        salt-call openstack_cloud.subnet_present provider provider 203.0.113.0/24 allocation_pools='[{"start": "203.0.113.100", "end": "203.0.113.199"}]' test=True
    """
    spec = cn.subnet_spec(name, network, cidr, project, gateway_ip=gateway_ip,
                       allocation_pools=allocation_pools, dns_nameservers=dns_nameservers,
                       enable_dhcp=enable_dhcp, host_routes=host_routes,
                       description=description)  # fmt: skip
    return _run(kwargs, test, lambda cloud: calls.ensure_subnet(cloud, spec, test))


def router_present(
    name,
    project=None,
    external_network=None,
    enable_snat=None,
    interfaces=None,
    admin_state_up=None,
    description=None,
    test=False,
    **kwargs,
):
    """
    Make sure the Neutron router ``name`` exists, with its external gateway
    on ``external_network`` and an interface on each subnet of
    ``interfaces``; return the changes. Each interface is added on its own:
    one already there is left alone, and interfaces not listed are kept.

    external_network
        The name of an external network; ``None``: not managed.

    enable_snat
        SNAT on the gateway; ``None``: not managed (Neutron's default,
        true, at creation).

    interfaces
        Names of subnets of the router's project; ``None``: not managed.

    CLI Example::

        salt-call openstack_cloud.router_present router external_network=provider interfaces='[selfservice]'
    """
    spec = cn.router_spec(name, project, external_network=external_network,
                       enable_snat=enable_snat, interfaces=interfaces,
                       admin_state_up=admin_state_up, description=description)  # fmt: skip
    return _run(kwargs, test, lambda cloud: calls.ensure_router(cloud, spec, test))


def security_group_present(
    name,
    project=None,
    description=None,
    rules=None,
    remove_unlisted=False,
    test=False,
    **kwargs,
):
    """
    Make sure the Neutron security group ``name`` exists with (at least)
    ``rules``; return the changes. Neutron makes the ``default`` group of a
    project itself; other groups are created. Rules cannot be changed in
    Neutron, only added and deleted: a rule edited in pillar is a new rule,
    and the old one goes away only with ``remove_unlisted``.

    rules
        A list of mappings: ``direction`` (ingress, the default, or egress),
        ``ethertype`` (IPv4, the default, or IPv6; follows
        ``remote_ip_prefix`` when that is given), ``protocol`` (a name:
        tcp, udp, icmp, ipv6-icmp, sctp...; a number; ``any`` or none),
        ``port`` or ``port_range_min``/``port_range_max``; for ICMP
        ``icmp_type`` and ``icmp_code`` (0-255, a code needs a type), which
        are Neutron's ``port_range_min``/``port_range_max`` there: ``port``
        is refused for ICMP (it would set type and code to one number).
        ``remote_ip_prefix`` or ``remote_group`` (a group name of the
        project, the group itself included). ``0.0.0.0/0`` and no prefix
        are the same rule, as Neutron counts them.

    description
        At most 255 characters (Neutron's limit), no control characters;
        the same for the descriptions of networks, subnets and routers
        (flavors: 65535, Nova's).

    remove_unlisted
        Delete the group's rules that ``rules`` does not list (including
        the egress rules Neutron gives every group: list them to keep
        them).

    CLI Example::

        salt-call openstack_cloud.security_group_present default rules='[{"protocol": "icmp"}, {"protocol": "tcp", "port": 22}]'
    """
    spec = cn.security_group_spec(name, project, description, rules, remove_unlisted)
    return _run(kwargs, test, lambda cloud: calls.ensure_security_group(cloud, spec, test))


def image_present(
    name,
    filename,
    disk_format="qcow2",
    container_format="bare",
    visibility="public",
    kernel=None,
    ramdisk=None,
    properties=None,
    test=False,
    **kwargs,
):
    """
    Make sure the Glance image ``name`` exists with the data of the local
    file ``filename``, these formats, visibility and properties; return
    the changes. The data is uploaded streamed (never read whole into
    memory) and Glance's checksum of what it received is checked against
    the file's. An image whose upload did not finish (status queued,
    saving, killed) or whose data is not the file's (size or checksum) is
    deleted and uploaded again. A zero-change run reads the file once, to
    hash it, and uploads nothing.

    filename
        The image file, already downloaded (absolute path).

    disk_format, container_format
        Glance's formats (default qcow2, bare); they cannot change on an
        image whose data is the file's (the call fails, nothing written).

    visibility
        public (the default), private, shared or community; changed in place.

    kernel, ramdisk
        The names of other images (an AKI and an ARI), set as the image's
        ``kernel_id``/``ramdisk_id``; ``None``: not managed.

    properties
        A mapping: these properties are set (values as strings); others the
        image has are kept. ``None``: not managed.

    CLI Example::

        salt-call openstack_cloud.image_present cirros /var/cache/salt-openstack-images/cirros
        salt-call openstack_cloud.image_present guest /srv/guest.img disk_format=raw kernel=vmlinuz ramdisk=initrd properties='{"os_distro": "debian"}' test=True
    """
    spec = ci.image_spec(name, filename, disk_format, container_format, visibility, kernel,
                         ramdisk, properties)  # fmt: skip
    return _run(kwargs, test, lambda cloud: calls.ensure_image(cloud, spec, test))


def volume_type_present(
    name,
    public=True,
    description=None,
    extra_specs=None,
    test=False,
    **kwargs,
):
    """
    Make sure the Cinder volume type ``name`` exists with these extra specs;
    return the changes (``{}``: nothing to do). A volume of the type is
    scheduled to the backend whose ``volume_backend_name`` (cinder.conf)
    the extra spec of that name gives. Cinder compares type names without
    case: a type whose name differs from ``name`` only in case is refused
    (rename one of them), in test mode too.

    public
        Visible to every project (default true); corrected in place.

    description
        Updated in place; ``None``: not managed.

    extra_specs
        A mapping: these extra specs are set (values as strings); others the
        type has are kept. ``None``: not managed.

    CLI Example::

        salt-call openstack_cloud.volume_type_present lvm extra_specs='{"volume_backend_name": "lvm"}'
        salt-call openstack_cloud.volume_type_present ceph extra_specs='{"volume_backend_name": "ceph"}' test=True
    """
    spec = cp.volume_type_spec(name, public, description, extra_specs)
    return _run(kwargs, test, lambda cloud: calls.ensure_volume_type(cloud, spec, test))


def quota_present(
    name,
    cores=None,
    instances=None,
    ram=None,
    key_pairs=None,
    metadata_items=None,
    server_groups=None,
    server_group_members=None,
    networks=None,
    subnets=None,
    ports=None,
    routers=None,
    floating_ips=None,
    security_groups=None,
    security_group_rules=None,
    test=False,
    **kwargs,
):
    """
    Make sure project ``name`` (Default domain) has these Nova and Neutron
    quotas; return the changes. Each limit is an integer, -1 for
    unlimited; ``None``: not managed (the service's default stays).

    cores, instances, ram, key_pairs, metadata_items, server_groups, server_group_members
        Nova's (``ram`` in MiB).

    networks, subnets, ports, routers, floating_ips, security_groups, security_group_rules
        Neutron's.

    CLI Example::

        salt-call openstack_cloud.quota_present demo cores=20 instances=10 ram=51200 ports=100
    """
    spec = cp.quota_spec(name, cores=cores, instances=instances, ram=ram, key_pairs=key_pairs,
                         metadata_items=metadata_items, server_groups=server_groups,
                         server_group_members=server_group_members, networks=networks,
                         subnets=subnets, ports=ports, routers=routers,
                         floating_ips=floating_ips, security_groups=security_groups,
                         security_group_rules=security_group_rules)  # fmt: skip
    return _run(kwargs, test, lambda cloud: calls.ensure_quota(cloud, spec, test))


def health(service_types=(), computes=(), **kwargs):
    """
    Check, read-only, what the guide's verification checks, over the APIs
    with one login: the admin logs in; the catalog holds each of
    ``service_types``; the nova-compute service of each of ``computes`` is
    up and no enabled compute service is down; Neutron has agents and every one is
    alive; Glance lists images.  Each check is made even when another
    fails.

    Returns ``{"problems": [...], "summary": "..."}``: no problem, the cloud
    answers.  Fails (CommandExecutionError) only when the admin cannot log
    in or Keystone does not answer.

    CLI Example::

        salt-call openstack_cloud.health service_types='[identity, compute, network, image]' computes='[compute1, compute2]'
    """
    wanted_types, hosts = list(service_types or ()), list(computes or ())
    return _run(kwargs, False, lambda cloud: calls.health(cloud, wanted_types, hosts))


def compute_drain(host, timeout=600, interval=5, test=False, **kwargs):
    """
    Take compute ``host`` out of the scheduler's hands: disable its
    nova-compute service (reason "drained by Salt") and live-migrate every
    server on it to the other computes, one at a time, waiting for each to
    be ACTIVE elsewhere (``timeout`` seconds each).  The scheduler picks the
    destinations (the instances' disks are on the shared volume: no block
    migration).

    Refused before any change (see ``plan_drain`` in
    saltext_openstack_cloud): a server that is not running, or other
    computes (up, enabled) without the room for the servers' vCPUs and
    memory.  Returns the changes (``{}``: drained already); ``test=True``
    only plans.

    CLI Example::

        salt-call openstack_cloud.compute_drain compute3
    """
    return _run(kwargs, test, lambda cloud: calls.drain(cloud, host, float(timeout),
                                                   float(interval), test))


def compute_forget(host, only_if_down=False, test=False, **kwargs):
    """
    Forget compute ``host`` once it is drained and its services are
    stopped (or the machine is gone): delete its nova-compute service
    records (Nova deletes their resource providers and host mappings), any
    resource provider named after it left behind, and its network agents
    (ML2/OVN deletes their chassis).  Refused before any change while
    servers are on it or a provider named after it holds allocations.

    A replacement machine of the same name then registers as a new compute;
    a retired one can leave the pillar.  ``only_if_down=True`` (replacing
    a dead compute): nothing is done while Nova reports its nova-compute up
    (the old machine alive, or the replacement registered already).
    Returns the changes (``{}``: nothing left, or up with
    ``only_if_down``); ``test=True`` only plans.

    CLI Example::

        salt-call openstack_cloud.compute_forget compute3
        salt-call openstack_cloud.compute_forget compute2 only_if_down=True
    """
    return _run(kwargs, test, lambda cloud: calls.forget(cloud, host, bool(only_if_down), test))


# --------------------------------------------------------------------------
# Session: one login per run, kept in __context__
# --------------------------------------------------------------------------


def _auth(kwargs):
    return api.auth_settings(kwargs, AUTH_KEY, (__opts__, __pillar__), AUTH_ARGS)


def _connect(auth):
    session = api.Session(auth, agent=__virtualname__)
    return calls.Cloud(session, auth.get("interface", "public"))


def _run(kwargs, test, work):
    """
    ``work(cloud)`` with the run's session: a kept one, logged in again
    once if its token is refused; planned again after a service dropped
    the connection (real runs, :data:`RETRY_PAUSES`).
    """
    auth = _auth(kwargs)
    digest = hashlib.sha256(json.dumps(auth, sort_keys=True, default=str).encode()).hexdigest()
    sessions = __context__.setdefault(_CONTEXT_KEY, {})
    pauses = () if test else RETRY_PAUSES
    for attempt in range(len(pauses) + 1):
        cloud = sessions.get(digest)
        kept = cloud is not None
        try:
            if not kept:
                cloud = sessions[digest] = _connect(auth)
            return work(cloud)
        except (api.OpenStackError, api.NotInCatalog) as exc:
            stale = isinstance(exc, api.NotInCatalog) or exc.status == 401
            if not (kept and stale):
                raise
            # The kept token expired or was revoked, or its catalog lacks a
            # service registered since: log in again, once.
            log.debug("openstack_cloud: the kept session failed (%s); logging in again", exc)
            cloud = sessions[digest] = _connect(auth)
            return work(cloud)
        except api.OpenStackUnreachable as exc:
            sessions.pop(digest, None)
            if attempt == len(pauses):
                raise
            log.warning("openstack_cloud: %s; planning again in %ss", exc, pauses[attempt])
            time.sleep(pauses[attempt])
    return {}  # not reached
