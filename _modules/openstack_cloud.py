"""
Cloud resources declared, not scripted: Nova flavors, Neutron networks,
subnets, routers and security groups, and Glance images, over the
services' APIs, in-process.

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
================  ==========================================  =========================================

Arguments left to ``None`` are not managed: the cloud's value stays (and
Neutron's or Nova's default applies at creation).

Nova cannot change a flavor's sizes in place (a flavor is immutable but for
its description and extra specs). Replacing a flavor that servers use
would leave them on a flavor id that no longer exists, so that is refused
with the servers named; give the new sizes a new flavor name instead.

Names are the keys: a flavor by its name (Nova's names are unique), a
network, subnet, router or security group by its name in its project (the
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
import functools
import hashlib
import json
import logging
import os
import time

from salt.exceptions import CommandExecutionError

# The shared OpenStack client and this module's pure plans (_utils/):
# synced to extmods/utils, which the loader puts on sys.path while it
# loads this module, or part of the pip-installed package.
try:
    import saltext_openstack_api as api
    import saltext_openstack_cloud as cp
except ImportError:
    from saltext_openstack._utils import saltext_openstack_api as api
    from saltext_openstack._utils import saltext_openstack_cloud as cp

log = logging.getLogger(__name__)

__virtualname__ = "openstack_cloud"

AUTH_KEY = "openstack_cloud:auth"
AUTH_ARGS = api.AUTH_ARGS + ("interface",)

#: Nova microversion: 2.61 lists extra specs with the flavors, 2.75 answers
#: swap 0 instead of "", 2.86 validates the extra specs Nova knows.
NOVA_MICROVERSION = "2.86"

#: Placement microversion (1.0 has what compute_drain/compute_forget read).
PLACEMENT_MICROVERSION = "1.10"

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
    return _run(kwargs, test, lambda cloud: _flavor(cloud, spec, test))


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
    spec = cp.network_spec(name, project, shared=shared, external=external, mtu=mtu,
                        provider_network_type=provider_network_type,
                        provider_physical_network=provider_physical_network,
                        provider_segmentation_id=provider_segmentation_id,
                        admin_state_up=admin_state_up,
                        port_security_enabled=port_security_enabled,
                        description=description)  # fmt: skip
    return _run(kwargs, test, lambda cloud: _network(cloud, spec, test))


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
    spec = cp.subnet_spec(name, network, cidr, project, gateway_ip=gateway_ip,
                       allocation_pools=allocation_pools, dns_nameservers=dns_nameservers,
                       enable_dhcp=enable_dhcp, host_routes=host_routes,
                       description=description)  # fmt: skip
    return _run(kwargs, test, lambda cloud: _subnet(cloud, spec, test))


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
    spec = cp.router_spec(name, project, external_network=external_network,
                       enable_snat=enable_snat, interfaces=interfaces,
                       admin_state_up=admin_state_up, description=description)  # fmt: skip
    return _run(kwargs, test, lambda cloud: _router(cloud, spec, test))


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
    spec = cp.security_group_spec(name, project, description, rules, remove_unlisted)
    return _run(kwargs, test, lambda cloud: _security_group(cloud, spec, test))


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
    spec = cp.image_spec(name, filename, disk_format, container_format, visibility, kernel,
                         ramdisk, properties)  # fmt: skip
    return _run(kwargs, test, lambda cloud: _image(cloud, spec, test))


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
    return _run(kwargs, test, lambda cloud: _quota(cloud, spec, test))


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
    return _run(kwargs, False, lambda cloud: _health(cloud, wanted_types, hosts))


def _health(cloud, service_types, computes):
    problems = []
    catalog = {service.get("type") for service in cloud.session.catalog}
    problems += [f"catalog: no {kind} service" for kind in service_types if kind not in catalog]

    def check(what, work):
        try:
            work()
        except (CommandExecutionError, ValueError) as exc:
            problems.append(f"{what}: {exc}")

    def nova():
        services = cloud.nova.list("/os-services", "services")
        up = {s.get("host") for s in services
              if s.get("binary") == "nova-compute" and s.get("state") == "up"}  # fmt: skip
        problems.extend(f"nova-compute on {host} is not up" for host in computes if host not in up)
        # A service an operator disabled (maintenance, retirement) may be down.
        down = sorted(f"{s.get('binary')} on {s.get('host')}" for s in services
                      if s.get("state") != "up" and s.get("status") != "disabled")  # fmt: skip
        if down:
            problems.append("compute services down: " + ", ".join(down))

    def neutron():
        agents = cloud.neutron.list("/v2.0/agents", "agents")
        if not agents:
            problems.append("network agents: none")
        dead = sorted(f"{a.get('agent_type')} on {a.get('host')}" for a in agents
                      if a.get("alive") is not True)  # fmt: skip
        if dead:
            problems.append("network agents not alive: " + ", ".join(dead))

    check("compute services", nova)
    check("network agents", neutron)
    check("image list", lambda: cloud.glance.request("GET", "/v2/images", params={"limit": 1}))
    return {
        "problems": problems,
        "summary": f"the cloud answers: the admin logs in, {len(service_types)} services in the "
                   f"catalog, {len(computes)} compute(s) up, network agents alive, images listed",
    }


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
    return _run(kwargs, test, lambda cloud: _drain(cloud, host, float(timeout),
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
    return _run(kwargs, test, lambda cloud: _forget(cloud, host, bool(only_if_down), test))


def _servers_on(cloud, host):
    return [s for s in cloud.nova.list("/servers/detail", "servers",
                                       params={"all_tenants": "True", "host": host})
            if cp.short_host(s.get("OS-EXT-SRV-ATTR:host")) == cp.short_host(host)]


def _providers(cloud):
    return cloud.placement.list("/resource_providers", "resource_providers")


def _drain(cloud, host, timeout, interval, test):
    services = cloud.nova.list("/os-services", "services")
    servers = _servers_on(cloud, host)
    room = {}
    if servers:
        others = {cp.short_host(s.get("host")) for s in services
                  if s.get("binary") == "nova-compute" and s.get("state") == "up"
                  and s.get("status") == "enabled"
                  and cp.short_host(s.get("host")) != cp.short_host(host)}  # fmt: skip
        for provider in _providers(cloud):
            name = cp.short_host(provider.get("name"))
            if name in others:
                base = f"/resource_providers/{provider['uuid']}"
                inventories = cloud.placement.request("GET", base + "/inventories")
                usages = cloud.placement.request("GET", base + "/usages")
                room[name] = cp.provider_room(inventories.get("inventories", {}),
                                              usages.get("usages", {}))
    plan = cp.plan_drain(host, services, servers, room)
    changes = {}
    if plan["disable"]:
        changes["disabled"] = {"old": "enabled", "new": "disabled"}
    if plan["migrate"]:
        changes["migrated"] = sorted(s.get("name") or s["id"] for s in servers)
    if test or not changes:
        return changes
    for service in cp.host_services(services, host):
        if service.get("status") != "disabled":
            cloud.nova.request("PUT", f"/os-services/{service['id']}",
                               {"status": "disabled", "disabled_reason": "drained by Salt"})
    for server_id in plan["migrate"]:
        _live_migrate_away(cloud, host, server_id, timeout, interval)
    return changes


def _live_migrate_away(cloud, host, server_id, timeout, interval):
    earlier = {m.get("id") for m in _live_migrations(cloud, server_id)}
    cloud.nova.request("POST", f"/servers/{server_id}/action",
                       {"os-migrateLive": {"host": None, "block_migration": "auto"}})
    deadline = time.monotonic() + timeout
    while True:
        server = cloud.nova.request("GET", f"/servers/{server_id}")["server"]
        where = cp.short_host(server.get("OS-EXT-SRV-ATTR:host"))
        settled = server.get("OS-EXT-STS:task_state") is None
        moved = where != cp.short_host(host)
        ours = [m for m in _live_migrations(cloud, server_id) if m.get("id") not in earlier]
        # Done once the migration record is: the source's nova-compute
        # finishes after the server shows its new host (it releases the
        # source's allocations), and retiring stops that service next.
        completed = any(m.get("status") == "completed" for m in ours)
        if settled and moved and completed and server.get("status") in cp.MOVABLE_STATUSES:
            return
        ended = any(m.get("status") in ("error", "failed", "cancelled") for m in ours)
        if server.get("status") == "ERROR" or (settled and not moved and ended):
            fault = (server.get("fault") or {}).get("message", "")
            raise CommandExecutionError(
                f"the live migration of server {server.get('name')} ({server_id}) away from "
                f"{host} failed: it is {server.get('status')} on {where}"
                + (f" ({fault})" if fault else "") + "; openstack server migration list says why")
        if time.monotonic() > deadline:
            raise CommandExecutionError(
                f"server {server.get('name')} ({server_id}) is still on {where} "
                f"({server.get('status')}, task {server.get('OS-EXT-STS:task_state')}) "
                f"{timeout:.0f} s after its live migration away from {host} was asked for")
        time.sleep(interval)


def _live_migrations(cloud, server_id):
    return cloud.nova.list("/os-migrations", "migrations",
                           params={"instance_uuid": server_id, "migration_type": "live-migration"})


def _forget(cloud, host, only_if_down, test):
    services = cloud.nova.list("/os-services", "services")
    servers = _servers_on(cloud, host)
    providers = [dict(p) for p in cp.host_providers(_providers(cloud), host)]
    for provider in providers:
        held = cloud.placement.request("GET", f"/resource_providers/{provider['uuid']}/allocations")
        provider["allocations"] = len([c for c in held.get("allocations") or {}
                                       if not _evacuated_elsewhere(cloud, c, host)])
    agents = cloud.neutron.list("/v2.0/agents", "agents")
    plan = cp.plan_forget(host, services, servers, providers, agents, only_if_down)
    changes = {}
    if plan["services"]:
        changes["services"] = sorted(f"{s.get('binary')} on {s.get('host')}"
                                     for s in cp.host_services(services, host))
    if plan["providers"]:
        changes["resource_providers"] = sorted(p.get("name") for p in providers)
    if plan["agents"]:
        changes["agents"] = sorted(f"{a.get('agent_type')} on {a.get('host')}"
                                   for a in agents if a["id"] in plan["agents"])
    if test or not changes:
        return changes
    for service_id in plan["services"]:
        _delete(cloud.nova, f"/os-services/{service_id}")
    # Nova deletes its compute node's provider with the service: delete
    # only what is still there.
    left = {p["uuid"] for p in _providers(cloud)}
    for uuid in plan["providers"]:
        if uuid in left:
            _delete(cloud.placement, f"/resource_providers/{uuid}")
    for agent_id in plan["agents"]:
        _delete(cloud.neutron, f"/v2.0/agents/{agent_id}")
    return changes


def _evacuated_elsewhere(cloud, consumer, host):
    """
    Whether allocation consumer ``consumer`` is a server now on another
    compute: one evacuated from ``host`` (a dead compute), whose
    allocation there Nova deletes with ``host``'s service record.
    """
    try:
        server = cloud.nova.request("GET", f"/servers/{consumer}")["server"]
    except api.OpenStackError as exc:
        if exc.status == 404:  # a migration's consumer, or no server at all
            return False
        raise
    where = cp.short_host(server.get("OS-EXT-SRV-ATTR:host"))
    return bool(where) and where != cp.short_host(host)


def _delete(service, path):
    """DELETE ``path``; gone already (404) is as good: under ML2/OVN a
    host's agents are views of one chassis, deleted with the first."""
    try:
        service.request("DELETE", path)
    except api.OpenStackError as exc:
        if exc.status != 404:
            raise


# --------------------------------------------------------------------------
# Session: one login per run, kept in __context__
# --------------------------------------------------------------------------


class Cloud:
    """The authenticated session and the APIs of its catalog."""

    def __init__(self, session, interface="public"):
        self.session = session
        self.interface = interface
        self._projects = {}

    @functools.cached_property
    def nova(self):
        headers = {"OpenStack-API-Version": f"compute {NOVA_MICROVERSION}"}
        return self.session.service("compute", "Nova", self.interface, headers)

    def _unversioned(self, service_type, name, version):
        """The service at its root: the paths name the version (``/v2.0/...``)."""
        service = self.session.service(service_type, name, self.interface)
        if service.url.endswith(version):
            service.url = service.url[: -len(version)]
        return service

    @functools.cached_property
    def neutron(self):
        return self._unversioned("network", "Neutron", "/v2.0")

    @functools.cached_property
    def placement(self):
        headers = {"OpenStack-API-Version": f"placement {PLACEMENT_MICROVERSION}"}
        return self.session.service("placement", "Placement", self.interface, headers)

    @functools.cached_property
    def glance(self):
        return self._unversioned("image", "Glance", "/v2")

    def project_id(self, name):
        """The id of project ``name`` (None: the authenticated project)."""
        if name is None:
            return self.session.project_id
        if name not in self._projects:
            found = self.session.identity().request("GET", "/projects", params={"name": name})
            projects = found.get("projects", [])
            if len(projects) != 1:
                raise CommandExecutionError(
                    f"Keystone has {len(projects)} projects named {name}: name exactly one"
                )
            self._projects[name] = projects[0]["id"]
        return self._projects[name]


def _auth(kwargs):
    return api.auth_settings(kwargs, AUTH_KEY, (__opts__, __pillar__), AUTH_ARGS)


def _connect(auth):
    session = api.Session(auth, agent=__virtualname__)
    return Cloud(session, auth.get("interface", "public"))


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


# --------------------------------------------------------------------------
# Reading the cloud, executing plans (the plans: saltext_openstack_cloud)
# --------------------------------------------------------------------------


def _resolve(value, ids):
    if isinstance(value, cp.Ref):
        return ids[value.key]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    return value


def execute(cloud, plan):
    """Make the calls of ``plan``; return the ids of the objects created."""
    ids = {}
    for done, step in enumerate(plan.steps):
        client = getattr(cloud, step.service)
        path = "".join(str(_resolve(part, ids)) for part in step.path)
        body = _resolve(step.body, ids) if step.body is not None else None
        try:
            data = client.request(step.method, path, body)
        except CommandExecutionError as exc:
            if not done:
                raise
            error = type(exc)(f"{exc} ({done} of {len(plan.steps)} changes were applied before)")
            if hasattr(exc, "status"):
                error.status = exc.status
            raise error from None
        if step.register:
            ids[step.register] = data[step.resource]["id"]
    return ids


def _flavor(cloud, spec, test):
    flavors = cloud.nova.list("/flavors/detail", "flavors", params={"is_public": "None"})
    found = [f for f in flavors if f.get("name") == spec["name"]]
    current = cp.flavor_view(found[0]) if found else None
    users = ()
    if current is not None and cp.flavor_fixed_changes(spec, current):
        servers = cloud.nova.list(
            "/servers", "servers", params={"all_tenants": "True", "flavor": current["id"]}
        )
        users = [s.get("name") or s["id"] for s in servers]
    plan = cp.plan_flavor(spec, current, users)
    if not test:
        execute(cloud, plan)
    return plan.changes


def _one(objects, kind, name, project):
    """The single object named ``name``; None when there is none."""
    if len(objects) > 1:
        ids = ", ".join(sorted(o["id"] for o in objects))
        raise CommandExecutionError(
            f"{len(objects)} {kind}s are named {name} in project {project}: ({ids}); "
            "rename or delete all but one"
        )
    return objects[0] if objects else None


def _find(cloud, collection, kind, name, project_id, **filters):
    params = {"name": name, **filters}
    if project_id is not None:
        params["project_id"] = project_id
    found = cloud.neutron.request("GET", f"/v2.0/{collection}", params=params)[collection]
    # Neutron matches names exactly; keep the check in case of a proxy
    return _one([o for o in found if o.get("name") == name], kind, name, project_id)


def _network(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    current = _find(cloud, "networks", "network", spec["name"], project_id)
    plan = cp.plan_network(spec, current, project_id)
    if not test:
        execute(cloud, plan)
    return plan.changes


def _subnet(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    network = _find(cloud, "networks", "network", spec["network"], project_id)
    if network is None and not test:
        raise CommandExecutionError(
            f"subnet {spec['name']}: network {spec['network']} does not exist (in project "
            f"{spec['project'] or 'of the credentials'})"
        )
    network_id = network["id"] if network else f"(network {spec['network']}, to be created)"
    current = _find(cloud, "subnets", "subnet", spec["name"], project_id)
    plan = cp.plan_subnet(spec, current, network_id, project_id)
    if not test:
        execute(cloud, plan)
    return plan.changes


#: The device owners of a router's interface ports (not its gateway's).
ROUTER_INTERFACE_OWNERS = (
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
)


def _router(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    missing = []
    gateway_network = None
    if spec["external_network"] is not None:
        external = cloud.neutron.request(
            "GET", "/v2.0/networks",
            params={"name": spec["external_network"], "router:external": "True"},
        )["networks"]  # fmt: skip
        external = _one(external, "external network", spec["external_network"], "any")
        if external is None:
            missing.append(f"external network {spec['external_network']}")
            gateway_network = f"(network {spec['external_network']}, to be created)"
        else:
            gateway_network = external["id"]
    subnets = {}
    for name in spec["interfaces"] or ():
        subnet = _find(cloud, "subnets", "subnet", name, project_id)
        if subnet is None:
            missing.append(f"subnet {name}")
            subnets[name] = f"(subnet {name}, to be created)"
        else:
            subnets[name] = subnet["id"]
    if missing and not test:
        raise CommandExecutionError(f"router {spec['name']}: {', '.join(missing)} does not exist")
    current = _find(cloud, "routers", "router", spec["name"], project_id)
    attached = set()
    old_gateway_name = None
    if current is not None:
        ports = cloud.neutron.request("GET", "/v2.0/ports", params={"device_id": current["id"]})
        for port in ports["ports"]:
            if port.get("device_owner", "") in ROUTER_INTERFACE_OWNERS:
                attached.update(ip.get("subnet_id") for ip in port.get("fixed_ips", []))
        old = (current.get("external_gateway_info") or {}).get("network_id")
        if old and old != gateway_network and spec["external_network"] is not None:
            try:
                found = cloud.neutron.request("GET", f"/v2.0/networks/{old}")
                old_gateway_name = found["network"].get("name") or old
            except api.OpenStackError:
                old_gateway_name = old
    plan = cp.plan_router(spec, current, project_id, gateway_network, subnets, attached,
                       old_gateway_name)  # fmt: skip
    if not test:
        execute(cloud, plan)
    return plan.changes


def _security_group(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    # Listing a project's groups makes Neutron create its "default" group.
    listed = cloud.neutron.request("GET", "/v2.0/security-groups",
                                   params={"project_id": project_id})["security_groups"]  # fmt: skip
    current = _one([g for g in listed if g.get("name") == spec["name"]], "security group",
                   spec["name"], project_id)  # fmt: skip
    groups = {}
    for group in listed:
        groups.setdefault(group["name"], group["id"])
    if test:
        # A dry run: a remote_group that does not exist yet is one an
        # earlier state of the same run creates (the pillar validator
        # admits only declared groups and default), so predict with it.
        for rule in spec["rules"] or ():
            remote = rule["remote_group"]
            if remote is not None and remote != spec["name"] and remote not in groups:
                groups[remote] = cp.Ref(f"security group {remote}")
    plan = cp.plan_security_group(spec, current, groups, project_id)
    if test or not plan.steps:
        return plan.changes
    if current is not None:
        execute(cloud, plan)
        return plan.changes
    # A new group: create it, then plan its rules against the ones
    # Neutron really gave it (their ids are needed to remove them).
    created = execute(cloud, cp.Plan(steps=plan.steps[:1]))["group"]
    group = cloud.neutron.request("GET", f"/v2.0/security-groups/{created}")["security_group"]
    groups[spec["name"]] = created
    rules = cp.plan_rules(spec, created, group.get("security_group_rules", []), groups,
                       {created: spec["name"]})  # fmt: skip
    execute(cloud, rules)
    changes = {"security_group": plan.changes["security_group"]}
    changes.update(rules.changes)
    return changes


def _quota(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    current = {}
    for service in cp.quota_services(spec):
        path, key = cp.QUOTA_API[service]
        current[service] = getattr(cloud, service).request("GET", path + project_id)[key]
    plan = cp.plan_quota(spec, current, project_id)
    if not test:
        execute(cloud, plan)
    return plan.changes


# --------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------

#: Glance's JSON-patch media type (image updates).
GLANCE_PATCH = "application/openstack-images-v2.1-json-patch"
#: The digests computed while a file is uploaded: Glance's default
#: ``hashing_algorithm`` and its ``checksum``.
UPLOAD_HASHES = ("sha512", "md5")
CHUNK = 1 << 20


def _new_hash(algorithm):
    try:
        return hashlib.new(algorithm, usedforsecurity=False)
    except ValueError:
        raise CommandExecutionError(
            f"Glance hashes with {algorithm}, which this Python does not know"
        ) from None


class HashingReader:
    """
    A file read in chunks by ``requests`` (its ``len`` is the
    Content-Length), hashed on the way: the upload streams the file once.
    """

    def __init__(self, stream, size, algorithms):
        self.stream = stream
        self.size = size
        self.hashes = {a: _new_hash(a) for a in algorithms}

    def __len__(self):
        return self.size

    def read(self, amount=-1):
        chunk = self.stream.read(CHUNK if amount is None or amount < 0 else amount)
        for digest in self.hashes.values():
            digest.update(chunk)
        return chunk

    def hexdigests(self):
        return {a: h.hexdigest() for a, h in self.hashes.items()}


def file_digest(path, algorithm):
    """The hex digest of a file, read in chunks."""
    digest = _new_hash(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _find_image(glance, name):
    found = glance.request("GET", "/v2/images", params={"name": name, "limit": 1000})
    return _one([i for i in found.get("images", []) if i.get("name") == name], "image", name,
                "any")  # fmt: skip


def _local_file(spec, current, test):
    """:func:`saltext_openstack_cloud.plan_image`'s ``local``: the file's size and hashes."""
    try:
        size = os.stat(spec["file"]).st_size
    except FileNotFoundError:
        if test:
            return None
        raise CommandExecutionError(
            f"image {spec['name']}: {spec['file']} does not exist: download it first"
        ) from None
    except OSError as exc:
        raise CommandExecutionError(f"image {spec['name']}: {exc}") from None
    hashes = {}
    if current is not None and current["size"] == size and current["digest"] is not None:
        algorithm = current["digest"][0]
        hashes[algorithm] = file_digest(spec["file"], algorithm)
    return {"size": size, "hashes": hashes}


def _image(cloud, spec, test):
    glance = cloud.glance
    found = _find_image(glance, spec["name"])
    current = cp.image_view(found) if found is not None else None
    refs = {}
    for key in ("kernel", "ramdisk"):
        if spec[key] is None:
            continue
        image = _find_image(glance, spec[key])
        if image is None and not test:
            raise CommandExecutionError(
                f"image {spec['name']}: its {key}, image {spec[key]}, does not exist"
            )
        refs[key + "_id"] = image["id"] if image else f"(image {spec[key]}, to be created)"
    local = _local_file(spec, current, test)
    plan = cp.plan_image(spec, current, refs, local)
    if not test:
        _execute_image(glance, spec, plan)
    return plan.changes


def _execute_image(glance, spec, plan):
    name = spec["name"]
    if plan.delete:
        glance.request("DELETE", f"/v2/images/{plan.delete}")
    if plan.patch:
        glance.request("PATCH", f"/v2/images/{plan.image_id}",
                       headers={"Content-Type": GLANCE_PATCH}, data=json.dumps(plan.patch))
    if plan.create is None:
        return
    image = glance.request("POST", "/v2/images", plan.create)
    path = f"/v2/images/{image['id']}"
    with open(spec["file"], "rb") as stream:
        reader = HashingReader(stream, os.fstat(stream.fileno()).st_size, UPLOAD_HASHES)
        glance.request("PUT", path + "/file", data=reader,
                       headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    uploaded = glance.request("GET", path)
    digest = cp.image_digest(uploaded)
    sent = reader.hexdigests()
    if digest is not None and digest[0] not in sent:
        sent[digest[0]] = file_digest(spec["file"], digest[0])
    problem = None
    if uploaded.get("status") != "active":
        problem = f"its status is {uploaded.get('status')} after the upload, not active"
    elif digest is None or sent[digest[0]] != digest[1] or uploaded.get("size") != len(reader):
        problem = (f"Glance's checksum of what it received ({digest and ':'.join(digest)}, "
                   f"{uploaded.get('size')} bytes) is not the file's")  # fmt: skip
    if problem:
        glance.request("DELETE", path)
        raise CommandExecutionError(
            f"image {name}: the upload of {spec['file']} failed: {problem}. The image was "
            "deleted; the next run uploads it again"
        )
