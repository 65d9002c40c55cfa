"""
The calls of ``openstack_cloud``: the services of one authenticated
session (``Cloud``), the reads each plan is made from, and the plans
(``saltext_openstack_cloud``, ``_network``, ``_image``) carried out:
``ensure_*`` read the cloud, plan and, unless ``test``, execute; ``health``
and the compute hosts' ``drain`` and ``forget`` likewise. No Salt dunder:
``openstack_cloud`` keeps the arguments, the credentials and the session
of a run (``__context__``), and hands a ``Cloud`` to these.

An image's data is uploaded streamed and hashed on the way
(``HashingReader``), then Glance's checksum of what it received is
checked against the file's. Imported like ``saltext_openstack_api`` (see
there), not a loader module.
"""
import functools
import hashlib
import json
import os
import time

from salt.exceptions import CommandExecutionError

# The shared OpenStack client and the plans, synced or installed with this file.
try:
    import saltext_openstack_api as api
    import saltext_openstack_cloud as cp
    import saltext_openstack_cloud_image as ci
    import saltext_openstack_cloud_network as cn
except ImportError:
    from saltext_openstack._utils import saltext_openstack_api as api
    from saltext_openstack._utils import saltext_openstack_cloud as cp
    from saltext_openstack._utils import saltext_openstack_cloud_image as ci
    from saltext_openstack._utils import saltext_openstack_cloud_network as cn

#: Nova microversion: 2.61 lists extra specs with the flavors, 2.75 answers
#: swap 0 instead of "", 2.86 validates the extra specs Nova knows.
NOVA_MICROVERSION = "2.86"

#: Placement microversion (1.0 has what compute_drain/compute_forget read).
PLACEMENT_MICROVERSION = "1.10"


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_cloud_calls is imported by openstack_cloud directly")


# --------------------------------------------------------------------------
# The cloud: the services of one authenticated session
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

    @functools.cached_property
    def cinder(self):
        """Cinder v3 at the project's root (the catalog's ``.../v3/<project id>``)."""
        return self.session.service("volumev3", "Cinder", self.interface)

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


# --------------------------------------------------------------------------
# Carrying out the plans, reading the cloud for them
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


def _apply(cloud, plan, test):
    """``plan``'s changes, made unless ``test``."""
    if not test:
        execute(cloud, plan)
    return plan.changes


def ensure_flavor(cloud, spec, test):
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
    return _apply(cloud, plan, test)


def ensure_volume_type(cloud, spec, test):
    # An admin lists the private types too with is_public=None.
    listed = cloud.cinder.list("/types", "volume_types", params={"is_public": "None"})
    name = spec["name"]
    # Cinder's database compares type names without case: lvm and LVM are one name to it.
    alike = [t for t in listed if (t.get("name") or "").lower() == name.lower()]
    found = _one([t for t in alike if t["name"] == name], "volume type", name, "any")
    if found is None and alike:
        others = ", ".join(sorted(t["name"] for t in alike))
        raise CommandExecutionError(
            f"volume type {name}: Cinder already has volume type {others}, a name that "
            f"differs only in case, and compares names without case: it cannot create {name}. "
            "Nothing was changed: rename one of them (in pillar: cinder:backends:N:volume_type)"
        )
    current = cp.volume_type_view(found) if found is not None else None
    plan = cp.plan_volume_type(spec, current)
    return _apply(cloud, plan, test)


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


def ensure_network(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    current = _find(cloud, "networks", "network", spec["name"], project_id)
    plan = cn.plan_network(spec, current, project_id)
    return _apply(cloud, plan, test)


def ensure_subnet(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    network = _find(cloud, "networks", "network", spec["network"], project_id)
    if network is None and not test:
        raise CommandExecutionError(
            f"subnet {spec['name']}: network {spec['network']} does not exist (in project "
            f"{spec['project'] or 'of the credentials'})"
        )
    network_id = network["id"] if network else f"(network {spec['network']}, to be created)"
    current = _find(cloud, "subnets", "subnet", spec["name"], project_id)
    plan = cn.plan_subnet(spec, current, network_id, project_id)
    return _apply(cloud, plan, test)


#: The device owners of a router's interface ports (not its gateway's).
ROUTER_INTERFACE_OWNERS = (
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
)


def ensure_router(cloud, spec, test):
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
    plan = cn.plan_router(spec, current, project_id, gateway_network, subnets, attached,
                       old_gateway_name)  # fmt: skip
    return _apply(cloud, plan, test)


def ensure_security_group(cloud, spec, test):
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
    plan = cn.plan_security_group(spec, current, groups, project_id)
    if test or not plan.steps:
        return plan.changes
    if current is not None:
        return _apply(cloud, plan, test)
    # A new group: create it, then plan its rules against the ones
    # Neutron really gave it (their ids are needed to remove them).
    created = execute(cloud, cp.Plan(steps=plan.steps[:1]))["group"]
    group = cloud.neutron.request("GET", f"/v2.0/security-groups/{created}")["security_group"]
    groups[spec["name"]] = created
    rules = cn.plan_rules(spec, created, group.get("security_group_rules", []), groups,
                       {created: spec["name"]})  # fmt: skip
    execute(cloud, rules)
    changes = {"security_group": plan.changes["security_group"]}
    changes.update(rules.changes)
    return changes


def ensure_quota(cloud, spec, test):
    project_id = cloud.project_id(spec["project"])
    current = {}
    for service in cp.quota_services(spec):
        path, key = cp.QUOTA_API[service]
        current[service] = getattr(cloud, service).request("GET", path + project_id)[key]
    plan = cp.plan_quota(spec, current, project_id)
    return _apply(cloud, plan, test)


# --------------------------------------------------------------------------
# Images: the upload streamed and hashed, then checked
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
    """:func:`saltext_openstack_cloud_image.plan_image`'s ``local``: the file's size and hashes."""
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


def ensure_image(cloud, spec, test):
    glance = cloud.glance
    found = _find_image(glance, spec["name"])
    current = ci.image_view(found) if found is not None else None
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
    plan = ci.plan_image(spec, current, refs, local)
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
    digest = ci.image_digest(uploaded)
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


# --------------------------------------------------------------------------
# Health: what the guide's verification checks
# --------------------------------------------------------------------------


def health(cloud, service_types, computes):
    """``openstack_cloud.health``'s checks (see there), each made even when another fails."""
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


# --------------------------------------------------------------------------
# Compute hosts on day 2: drained, then forgotten (the plans: saltext_openstack_cloud)
# --------------------------------------------------------------------------


def _servers_on(cloud, host):
    return [s for s in cloud.nova.list("/servers/detail", "servers",
                                       params={"all_tenants": "True", "host": host})
            if cp.short_host(s.get("OS-EXT-SRV-ATTR:host")) == cp.short_host(host)]


def _providers(cloud):
    return cloud.placement.list("/resource_providers", "resource_providers")


def drain(cloud, host, timeout, interval, test):
    """``openstack_cloud.compute_drain`` (see there): the changes, made unless ``test``."""
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


def forget(cloud, host, only_if_down, test):
    """``openstack_cloud.compute_forget`` (see there): the changes, made unless ``test``."""
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
