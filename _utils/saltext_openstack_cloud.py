"""
The plans of ``openstack_cloud``: the wanted cloud resources checked and
normalized (``*_spec``), the services' objects in the same terms
(``*_view``), and the API calls that turn one into the other with the
changes they make (``plan_*``). Pure: no API call, no Salt dunder, so that
every decision is unit-tested against the objects as the Nova, Neutron and
Glance APIs (2025.1) return them.

This file holds what the plans share (``Ref``, ``Step``, ``Plan``, the
checked values), Nova's: flavors, quotas (Neutron's too) and the compute
hosts on day 2, and Cinder's volume types. Neutron's networks, subnets, routers and security
groups: ``saltext_openstack_cloud_network``; Glance's images:
``saltext_openstack_cloud_image``. The calls that read the cloud and
carry the plans out: ``saltext_openstack_cloud_calls``.

A change the service cannot make in place (a used flavor's sizes, a
network's provider attributes, a subnet's CIDR) raises
``CommandExecutionError`` before any call is planned. Imported like
``saltext_openstack_api`` (see there), not a loader module.
"""
import dataclasses
import re
import urllib.parse

from salt.exceptions import CommandExecutionError


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_cloud is imported by openstack_cloud directly")


# --------------------------------------------------------------------------
# Plans: the API calls to make and the changes they make
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ref:
    """The id of an object created earlier in the same plan."""

    key: str


@dataclasses.dataclass
class Step:
    service: str  # "nova", "neutron" or "cinder"
    method: str
    path: tuple  # strings and Refs
    body: dict = None
    register: str = None  # record the created object's id under this Ref key
    resource: str = None  # the object's key in the response


@dataclasses.dataclass
class Plan:
    steps: list = dataclasses.field(default_factory=list)
    changes: dict = dataclasses.field(default_factory=dict)


def refuse(kind, name, problems, advice):
    """The error of a change the service cannot make; nothing was written."""
    return CommandExecutionError(
        "{} {}: {}; {} Nothing was changed: {}".format(
            kind, name, "; ".join(problems),
            "it cannot change in place." if len(problems) == 1 else "they cannot change in place.",
            advice,
        )  # fmt: skip
    )


def diff(current, wanted):
    """{field: {old, new}} of the wanted fields that differ from ``current``."""
    return {
        key: {"old": current.get(key), "new": value}
        for key, value in wanted.items()
        if current.get(key) != value
    }


# --------------------------------------------------------------------------
# Checked values, shared by the plans of every service
# --------------------------------------------------------------------------


def integer(value, what, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, bool) or str(int(value)) != str(value).strip():
                raise ValueError(value)
            value = int(value)
        except (TypeError, ValueError):
            raise CommandExecutionError(f"{what} must be an integer, got {value!r}") from None
    if value < minimum:
        raise CommandExecutionError(f"{what} must be >= {minimum}, got {value}")
    return value


def flag(value, what):
    if value is None or isinstance(value, bool):
        return value
    raise CommandExecutionError(f"{what} must be true or false, got {value!r}")


def text_value(value, what):
    if value is None or isinstance(value, str):
        return value
    raise CommandExecutionError(f"{what} must be a string, got {value!r}")


#: Control characters (Unicode's Cc: C0, DEL and C1), refused in names and
#: descriptions: Nova's API refuses them, and a newline or an escape garbles
#: the state output and logs the text is shown in.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: The longest description each API takes: Nova's flavor description
#: (microversion 2.55), Neutron's ``description`` of every resource
#: (``DESCRIPTION_FIELD_SIZE``).
NOVA_DESCRIPTION_MAX = 65535
NEUTRON_DESCRIPTION_MAX = 255
#: The longest Neutron name (``NAME_FIELD_SIZE``).
NEUTRON_NAME_MAX = 255


def control_character(text):
    """``'U+000A at position 3'``: the first control character of ``text``, or None."""
    match = CONTROL_RE.search(text)
    if match is None:
        return None
    return f"U+{ord(match.group()):04X} at position {match.start()}"


def description_text(value, what, maximum):
    """
    A description (None: not managed) as the API takes it: a string of at
    most ``maximum`` characters (:data:`NOVA_DESCRIPTION_MAX`,
    :data:`NEUTRON_DESCRIPTION_MAX`) without control characters.
    """
    value = text_value(value, what)
    if value is None:
        return None
    if len(value) > maximum:
        raise CommandExecutionError(
            f"{what}: {len(value)} characters, more than the {maximum} the API takes")
    control = control_character(value)
    if control:
        raise CommandExecutionError(
            f"{what}: has a control character ({control}); give one line of printable text")
    return value


def spec_value(value):
    """An extra spec value as Nova stores it: a string (true/false for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def extra_specs_value(extra_specs, where):
    """Extra specs (a flavor's, a volume type's) as the APIs store them: a
    mapping of strings; None: not managed."""
    if extra_specs is None:
        return None
    if not isinstance(extra_specs, dict):
        raise CommandExecutionError(f"{where}: extra_specs must be a mapping")
    return {str(k): spec_value(v) for k, v in extra_specs.items()}


# --------------------------------------------------------------------------
# Flavors
# --------------------------------------------------------------------------

#: Our field -> Nova's; none of these can change in place.
FLAVOR_FIXED = {
    "vcpus": "vcpus",
    "ram": "ram",
    "disk": "disk",
    "ephemeral": "OS-FLV-EXT-DATA:ephemeral",
    "swap": "swap",
    "public": "os-flavor-access:is_public",
}


def flavor_spec(name, vcpus, ram, disk, ephemeral=0, swap=0, public=True, description=None,
                extra_specs=None, flavor_id=None):  # fmt: skip
    """The wanted flavor, checked: ``{name, fixed: {...}, description, extra_specs, id}``."""
    if not isinstance(name, str) or not name.strip():
        raise CommandExecutionError(f"A flavor name must be a non-empty string, got {name!r}")
    where = f"flavor {name}"
    fixed = {
        "vcpus": integer(vcpus, f"{where}: vcpus", 1),
        "ram": integer(ram, f"{where}: ram", 1),
        "disk": integer(disk, f"{where}: disk"),
        "ephemeral": integer(ephemeral, f"{where}: ephemeral"),
        "swap": integer(swap, f"{where}: swap"),
        "public": flag(public, f"{where}: public"),
    }
    if fixed["public"] is None:
        fixed["public"] = True
    extra_specs = extra_specs_value(extra_specs, where)
    return {
        "name": name,
        "fixed": fixed,
        "description": description_text(description, f"{where}: description",
                                        NOVA_DESCRIPTION_MAX),
        "extra_specs": extra_specs,
        "id": None if flavor_id is None else str(flavor_id),
    }


def flavor_view(flavor):
    """Nova's flavor in :func:`flavor_spec`'s terms (swap "" is 0 before 2.75)."""
    fixed = {ours: flavor.get(theirs) for ours, theirs in FLAVOR_FIXED.items()}
    fixed["swap"] = fixed["swap"] or 0
    return {
        "name": flavor["name"],
        "fixed": fixed,
        "description": flavor.get("description"),
        "extra_specs": dict(flavor.get("extra_specs") or {}),
        "id": flavor["id"],
    }


def flavor_fixed_changes(spec, current):
    """{field: {old, new}} of the fields Nova cannot change in place."""
    changes = diff(current["fixed"], spec["fixed"])
    if spec["id"] is not None and spec["id"] != current["id"]:
        changes["id"] = {"old": current["id"], "new": spec["id"]}
    return changes


def _flavor_body(spec, flavor_id):
    fixed = spec["fixed"]
    body = {"name": spec["name"], **{FLAVOR_FIXED[k]: v for k, v in fixed.items()}}
    if flavor_id is not None:
        body["id"] = flavor_id
    if spec["description"] is not None:
        body["description"] = spec["description"]
    return {"flavor": body}


def _new_flavor(plan, spec, flavor_id):
    plan.steps.append(Step("nova", "POST", ("/flavors",), _flavor_body(spec, flavor_id),
                           register="flavor", resource="flavor"))  # fmt: skip
    if spec["extra_specs"]:
        plan.steps.append(Step("nova", "POST", ("/flavors/", Ref("flavor"), "/os-extra_specs"),
                               {"extra_specs": spec["extra_specs"]}))  # fmt: skip


def plan_flavor(spec, current, users=()):
    """
    The plan bringing ``current`` (a :func:`flavor_view`, or None) to
    ``spec``. ``users``: the servers on the flavor (needed only when a
    fixed field changes); then a used flavor is refused, an unused one
    replaced. Pure: no API call.
    """
    plan = Plan()
    name = spec["name"]
    if current is None:
        _new_flavor(plan, spec, spec["id"])
        new = {**spec["fixed"], "extra_specs": spec["extra_specs"] or {}}
        if spec["description"] is not None:
            new["description"] = spec["description"]
        plan.changes["flavor"] = {"old": None, "new": new}
        return plan
    fixed = flavor_fixed_changes(spec, current)
    if fixed:
        if users:
            shown = ", ".join(sorted(users)[:5]) + (", ..." if len(users) > 5 else "")
            problems = [f"{key} {c['old']!r} -> {c['new']!r}" for key, c in fixed.items()]
            raise refuse("flavor", name, problems,
                          f"{len(users)} server(s) use it ({shown}). Give the new sizes a new "
                          "flavor name, or resize or delete those servers first.")  # fmt: skip
        plan.steps.append(Step("nova", "DELETE", (f"/flavors/{_quote(current['id'])}",)))
        _new_flavor(plan, spec, spec["id"] or current["id"])
        plan.changes.update(fixed)
        plan.changes["flavor"] = "replaced: unused, deleted and created again (Nova cannot change {} in place)".format(
            ", ".join(fixed))  # fmt: skip
        if spec["description"] is not None and spec["description"] != current["description"]:
            plan.changes["description"] = {"old": current["description"],
                                           "new": spec["description"]}  # fmt: skip
        if spec["extra_specs"] is not None:
            plan.changes.update(_extra_spec_changes(current["extra_specs"], spec["extra_specs"]))
        return plan
    path = f"/flavors/{_quote(current['id'])}"
    if spec["description"] is not None and spec["description"] != current["description"]:
        plan.steps.append(Step("nova", "PUT", (path,), {"flavor": {"description": spec["description"]}}))
        plan.changes["description"] = {"old": current["description"], "new": spec["description"]}
    if spec["extra_specs"] is not None:
        have, want = current["extra_specs"], spec["extra_specs"]
        update = {k: v for k, v in want.items() if have.get(k) != v}
        if update:
            plan.steps.append(Step("nova", "POST", (path + "/os-extra_specs",), {"extra_specs": update}))
        for key in sorted(set(have) - set(want)):
            plan.steps.append(Step("nova", "DELETE", (f"{path}/os-extra_specs/{_quote(key)}",)))
        plan.changes.update(_extra_spec_changes(have, want))
    return plan


def _extra_spec_changes(have, want):
    keys = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
    if not keys:
        return {}
    return {"extra_specs": {k: {"old": have.get(k), "new": want.get(k)} for k in keys}}


def _quote(segment):
    return urllib.parse.quote(str(segment), safe=":")


# --------------------------------------------------------------------------
# Volume types (Cinder v3)
# --------------------------------------------------------------------------

#: The longest volume type name and description Cinder takes (its
#: ``volume_types`` columns).
CINDER_NAME_MAX = 255
CINDER_DESCRIPTION_MAX = 255


def volume_type_spec(name, public=True, description=None, extra_specs=None):
    """The wanted volume type, checked: ``{name, public, description, extra_specs}``."""
    if not isinstance(name, str) or not name.strip():
        raise CommandExecutionError(f"A volume type name must be a non-empty string, got {name!r}")
    where = f"volume type {name}"
    if len(name) > CINDER_NAME_MAX or control_character(name):
        raise CommandExecutionError(
            f"{where}: a name is one line of at most {CINDER_NAME_MAX} characters")
    public = flag(public, f"{where}: public")
    extra_specs = extra_specs_value(extra_specs, where)
    return {
        "name": name,
        "public": True if public is None else public,
        "description": description_text(description, f"{where}: description",
                                        CINDER_DESCRIPTION_MAX),
        "extra_specs": extra_specs,
    }


def volume_type_view(volume_type):
    """Cinder's volume type (an admin's listing) in :func:`volume_type_spec`'s terms."""
    public = volume_type.get("os-volume-type-access:is_public", volume_type.get("is_public"))
    return {
        "name": volume_type["name"],
        "id": volume_type["id"],
        "public": public,
        "description": volume_type.get("description"),
        "extra_specs": dict(volume_type.get("extra_specs") or {}),
    }


def plan_volume_type(spec, current):
    """
    The plan bringing ``current`` (a :func:`volume_type_view`, or None) to
    ``spec``: created with its extra specs in one call; public and the
    description corrected in place (one PUT), the listed extra specs that
    differ set (one POST); extra specs not listed are kept. Pure.
    """
    plan = Plan()
    if current is None:
        body = {"name": spec["name"], "os-volume-type-access:is_public": spec["public"]}
        new = {"public": spec["public"], "extra_specs": spec["extra_specs"] or {}}
        if spec["description"] is not None:
            body["description"] = new["description"] = spec["description"]
        if spec["extra_specs"]:
            body["extra_specs"] = spec["extra_specs"]
        plan.steps.append(Step("cinder", "POST", ("/types",), {"volume_type": body},
                               register="volume_type", resource="volume_type"))  # fmt: skip
        plan.changes["volume_type"] = {"old": None, "new": new}
        return plan
    path = f"/types/{_quote(current['id'])}"
    update = {}
    if spec["public"] != current["public"]:
        update["is_public"] = spec["public"]
        plan.changes["public"] = {"old": current["public"], "new": spec["public"]}
    if spec["description"] is not None and spec["description"] != current["description"]:
        update["description"] = spec["description"]
        plan.changes["description"] = {"old": current["description"], "new": spec["description"]}
    if update:
        plan.steps.append(Step("cinder", "PUT", (path,), {"volume_type": update}))
    if spec["extra_specs"] is not None:
        have = current["extra_specs"]
        wanted = {k: v for k, v in spec["extra_specs"].items() if have.get(k) != v}
        if wanted:
            plan.steps.append(Step("cinder", "POST", (path + "/extra_specs",),
                                   {"extra_specs": wanted}))  # fmt: skip
            plan.changes.update(_extra_spec_changes(have, {**have, **wanted}))
    return plan


# --------------------------------------------------------------------------
# Quotas (Nova's os-quota-sets, Neutron's quotas)
# --------------------------------------------------------------------------

#: Our quota name -> (the service, its name there). -1: unlimited.
QUOTA_FIELDS = {
    "cores": ("nova", "cores"),
    "instances": ("nova", "instances"),
    "ram": ("nova", "ram"),
    "key_pairs": ("nova", "key_pairs"),
    "metadata_items": ("nova", "metadata_items"),
    "server_groups": ("nova", "server_groups"),
    "server_group_members": ("nova", "server_group_members"),
    "networks": ("neutron", "network"),
    "subnets": ("neutron", "subnet"),
    "ports": ("neutron", "port"),
    "routers": ("neutron", "router"),
    "floating_ips": ("neutron", "floatingip"),
    "security_groups": ("neutron", "security_group"),
    "security_group_rules": ("neutron", "security_group_rule"),
}
#: Where each service keeps a project's quotas: (path, body key).
QUOTA_API = {"nova": ("/os-quota-sets/", "quota_set"), "neutron": ("/v2.0/quotas/", "quota")}


def quota_spec(project, **limits):
    """The wanted quotas of ``project``: ``{project, limits}`` (given ones only)."""
    if not isinstance(project, str) or not project.strip():
        raise CommandExecutionError(f"A project name must be a non-empty string, got {project!r}")
    wanted = {}
    for key, value in limits.items():
        if key not in QUOTA_FIELDS:
            raise CommandExecutionError(
                f"quota {project}: unknown quota {key}; known: {', '.join(QUOTA_FIELDS)}")
        if value is not None:
            wanted[key] = integer(value, f"quota {project}: {key}", -1)
    return {"project": project, "limits": wanted}


def quota_services(spec):
    """The services whose quotas ``spec`` manages, in :data:`QUOTA_API` order."""
    used = {QUOTA_FIELDS[key][0] for key in spec["limits"]}
    return [service for service in QUOTA_API if service in used]


def plan_quota(spec, current, project_id):
    """
    The plan bringing ``current`` (``{service: its quota mapping}``) to
    ``spec``: one PUT per service with the limits that differ. Pure.
    """
    plan = Plan()
    updates = {}
    for key, value in spec["limits"].items():
        service, field = QUOTA_FIELDS[key]
        old = current[service].get(field)
        if old != value:
            updates.setdefault(service, {})[field] = value
            plan.changes[key] = {"old": old, "new": value}
    for service, body in updates.items():
        path, wrapper = QUOTA_API[service]
        plan.steps.append(Step(service, "PUT", (path + _quote(project_id),), {wrapper: body}))
    return plan


# --------------------------------------------------------------------------
# Compute hosts on day 2: drained (disabled, servers moved), then forgotten
# --------------------------------------------------------------------------

#: The classes a drain checks the other computes' room for (the instances'
#: disks live on the shared GlusterFS volume: DISK_GB is not per host).
DRAIN_CLASSES = (("VCPU", "vcpus"), ("MEMORY_MB", "ram"))
#: Servers a live migration moves (a stopped or errored server is named,
#: never moved behind the operator's back).
MOVABLE_STATUSES = ("ACTIVE", "PAUSED")


def short_host(name):
    """``compute1`` for ``compute1`` or ``compute1.example.org``."""
    return str(name or "").split(".", 1)[0]


def host_services(services, host, binary="nova-compute"):
    """The ``binary`` services (os-services entries) of ``host``."""
    return [s for s in services
            if s.get("binary") == binary and short_host(s.get("host")) == short_host(host)]  # fmt: skip


def host_providers(providers, host):
    """The resource providers (placement) named after ``host``."""
    return [p for p in providers if short_host(p.get("name")) == short_host(host)]


def provider_room(inventories, usages):
    """{class: free units} of one resource provider: (total - reserved) x
    allocation ratio - used, for :data:`DRAIN_CLASSES`."""
    room = {}
    for rc, _ in DRAIN_CLASSES:
        inv = inventories.get(rc)
        if not inv:
            room[rc] = 0
            continue
        usable = int((inv.get("total", 0) - inv.get("reserved", 0)) * inv.get("allocation_ratio", 1.0))
        room[rc] = max(usable - int(usages.get(rc, 0)), 0)
    return room


def _server_label(server):
    return f"{server.get('name')} ({server.get('id')})"


def plan_drain(host, services, servers, room):
    """
    What draining ``host`` does: ``{"disable": bool, "migrate": [server ids]}``.

    ``services``: Nova's os-services; ``servers``: the servers on ``host``
    (all projects, with their ``flavor``); ``room``: {host: provider_room}
    of every *other* compute that is up and enabled.  Refused
    (CommandExecutionError, nothing planned) when a server cannot move
    live (not ACTIVE or PAUSED), or when the other computes together lack
    the servers' vCPUs or memory.
    """
    mine = host_services(services, host)
    if not mine:
        if servers:
            raise CommandExecutionError(
                f"cannot drain {host}: Nova has no nova-compute service on it, yet "
                f"{len(servers)} server(s) name it as their host")
        return {"disable": False, "migrate": []}
    disable = any(s.get("status") != "disabled" for s in mine)
    stuck = [s for s in servers if s.get("status") not in MOVABLE_STATUSES]
    if stuck:
        raise CommandExecutionError(
            f"cannot drain {host}: live migration moves running servers only; "
            + ", ".join(f"{_server_label(s)} is {s.get('status')}" for s in stuck)
            + ": start, move (openstack server migrate) or delete them first")
    if servers:
        if not room:
            raise CommandExecutionError(
                f"cannot drain {host}: no other nova-compute is up and enabled to take its "
                f"{len(servers)} server(s)")
        short = []
        for rc, field in DRAIN_CLASSES:
            need = sum(int((s.get("flavor") or {}).get(field) or 0) for s in servers)
            free = sum(r.get(rc, 0) for r in room.values())
            if need > free:
                short.append(f"{rc} {need} needed, {free} free")
        if short:
            raise CommandExecutionError(
                f"cannot drain {host}: the other computes ({', '.join(sorted(room))}) cannot "
                f"hold its {len(servers)} server(s): " + "; ".join(short))
    return {"disable": disable, "migrate": [s["id"] for s in servers]}


def plan_forget(host, services, servers, providers, agents, only_if_down=False):
    """
    What forgetting ``host`` deletes: ``{"services": [ids], "providers":
    [uuids], "agents": [ids]}``.  ``providers``: placement's resource
    providers, each with ``allocations`` (how many consumers it holds).
    Nova deletes a compute service's resource provider with the service;
    the ones named after ``host`` are listed because a provider left behind
    (no service) is deleted too.  Refused while servers still run on it
    (drain it first) or while a provider named after it holds allocations
    (nova-manage placement audit names their consumers).

    ``only_if_down`` (replacing a dead compute): a nova-compute of ``host``
    that Nova reports up is a live member, maybe the replacement itself:
    nothing is planned (all lists empty).
    """
    mine = host_services(services, host)
    if only_if_down and any(s.get("state") == "up" for s in mine):
        return {"services": [], "providers": [], "agents": []}
    if servers:
        raise CommandExecutionError(
            f"cannot forget {host}: {len(servers)} server(s) are still on it ("
            + ", ".join(_server_label(s) for s in servers[:5]) + "): drain it first")
    held = host_providers(providers, host)
    busy = [p for p in held if p.get("allocations")]
    if busy:
        raise CommandExecutionError(
            f"cannot forget {host}: resource provider "
            + ", ".join(f"{p.get('name')} ({p.get('uuid')})" for p in busy)
            + " still holds allocations (nova-manage placement audit names them)")
    return {
        "services": [s["id"] for s in mine],
        "providers": [p["uuid"] for p in held],
        # Replacing: only dead agents (the replacement's may be alive
        # already, before its nova-compute has registered).
        "agents": [a["id"] for a in agents if short_host(a.get("host")) == short_host(host)
                   and not (only_if_down and a.get("alive"))],
    }
