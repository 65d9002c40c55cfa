"""
The plans of ``openstack_cloud``: the wanted cloud resources checked and
normalized (``*_spec``), the services' objects in the same terms
(``*_view``), and the API calls that turn one into the other with the
changes they make (``plan_*``). Pure: no API call, no Salt dunder, so that
every decision is unit-tested against the objects as the Nova and Neutron
APIs (2025.1) return them.

A change the service cannot make in place (a used flavor's sizes, a
network's provider attributes, a subnet's CIDR) raises
``CommandExecutionError`` before any call is planned. Imported like
``saltext_openstack_api`` (see there), not a loader module.
"""
import dataclasses
import ipaddress
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
    service: str  # "nova" or "neutron"
    method: str
    path: tuple  # strings and Refs
    body: dict = None
    register: str = None  # record the created object's id under this Ref key
    resource: str = None  # the object's key in the response


@dataclasses.dataclass
class Plan:
    steps: list = dataclasses.field(default_factory=list)
    changes: dict = dataclasses.field(default_factory=dict)


def _refuse(kind, name, problems, advice):
    """The error of a change the service cannot make; nothing was written."""
    return CommandExecutionError(
        "{} {}: {}; {} Nothing was changed: {}".format(
            kind, name, "; ".join(problems),
            "it cannot change in place." if len(problems) == 1 else "they cannot change in place.",
            advice,
        )  # fmt: skip
    )


def _diff(current, wanted):
    """{field: {old, new}} of the wanted fields that differ from ``current``."""
    return {
        key: {"old": current.get(key), "new": value}
        for key, value in wanted.items()
        if current.get(key) != value
    }


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


def _integer(value, what, minimum=0):
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


def _flag(value, what):
    if value is None or isinstance(value, bool):
        return value
    raise CommandExecutionError(f"{what} must be true or false, got {value!r}")


def _text(value, what):
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
    value = _text(value, what)
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


def _spec_value(value):
    """An extra spec value as Nova stores it: a string (true/false for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flavor_spec(name, vcpus, ram, disk, ephemeral=0, swap=0, public=True, description=None,
                extra_specs=None, flavor_id=None):  # fmt: skip
    """The wanted flavor, checked: ``{name, fixed: {...}, description, extra_specs, id}``."""
    if not isinstance(name, str) or not name.strip():
        raise CommandExecutionError(f"A flavor name must be a non-empty string, got {name!r}")
    where = f"flavor {name}"
    fixed = {
        "vcpus": _integer(vcpus, f"{where}: vcpus", 1),
        "ram": _integer(ram, f"{where}: ram", 1),
        "disk": _integer(disk, f"{where}: disk"),
        "ephemeral": _integer(ephemeral, f"{where}: ephemeral"),
        "swap": _integer(swap, f"{where}: swap"),
        "public": _flag(public, f"{where}: public"),
    }
    if fixed["public"] is None:
        fixed["public"] = True
    if extra_specs is not None:
        if not isinstance(extra_specs, dict):
            raise CommandExecutionError(f"{where}: extra_specs must be a mapping")
        extra_specs = {str(k): _spec_value(v) for k, v in extra_specs.items()}
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
    changes = _diff(current["fixed"], spec["fixed"])
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
            raise _refuse("flavor", name, problems,
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
# Networks
# --------------------------------------------------------------------------

#: Our argument -> Neutron's attribute.
NETWORK_FIELDS = {
    "shared": "shared",
    "external": "router:external",
    "mtu": "mtu",
    "admin_state_up": "admin_state_up",
    "port_security_enabled": "port_security_enabled",
    "description": "description",
    "provider_network_type": "provider:network_type",
    "provider_physical_network": "provider:physical_network",
    "provider_segmentation_id": "provider:segmentation_id",
}
NETWORK_FIXED = ("provider_network_type", "provider_physical_network", "provider_segmentation_id")
#: The smallest MTU of a network: IPv4's minimum (RFC 791).
MTU_MIN = 68


def neutron_name(value, what):
    """A Neutron name: non-empty, at most :data:`NEUTRON_NAME_MAX`, no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise CommandExecutionError(f"A {what} name must be a non-empty string, got {value!r}")
    if len(value) > NEUTRON_NAME_MAX:
        raise CommandExecutionError(f"A {what} name has at most {NEUTRON_NAME_MAX} characters, "
                                    f"got {len(value)}")  # fmt: skip
    control = control_character(value)
    if control:
        raise CommandExecutionError(f"A {what} name must not contain control characters, "
                                    f"got {value!r} ({control})")  # fmt: skip
    return value


def _neutron_description(value, what):
    return description_text(value, what, NEUTRON_DESCRIPTION_MAX)


def network_spec(name, project=None, **fields):
    """The wanted network: ``{name, project, fields}`` (given fields only)."""
    neutron_name(name, "network")
    where = f"network {name}"
    checks = {
        "shared": _flag, "external": _flag, "admin_state_up": _flag,
        "port_security_enabled": _flag, "description": _neutron_description,
        "provider_network_type": _text, "provider_physical_network": _text,
    }  # fmt: skip
    wanted = {}
    for key, value in fields.items():
        if key not in NETWORK_FIELDS:
            raise CommandExecutionError(f"{where}: unknown attribute {key}")
        if value is None:
            continue
        if key == "mtu":
            value = _integer(value, f"{where}: mtu", MTU_MIN)
        elif key == "provider_segmentation_id":
            value = _integer(value, f"{where}: provider_segmentation_id", 1)
        else:
            value = checks[key](value, f"{where}: {key}")
        wanted[key] = value
    return {"name": name, "project": project, "fields": wanted}


def network_view(network):
    """Neutron's network in :func:`network_spec`'s terms."""
    return {ours: network.get(theirs) for ours, theirs in NETWORK_FIELDS.items()}


def plan_network(spec, current, project_id):
    """The plan bringing ``current`` (Neutron's network, or None) to ``spec``. Pure."""
    plan = Plan()
    wanted = spec["fields"]
    if current is None:
        body = {"name": spec["name"], "project_id": project_id}
        body.update({NETWORK_FIELDS[k]: v for k, v in wanted.items()})
        plan.steps.append(Step("neutron", "POST", ("/v2.0/networks",), {"network": body},
                               register="network", resource="network"))  # fmt: skip
        plan.changes["network"] = {"old": None, "new": dict(wanted)}
        return plan
    changes = _diff(network_view(current), wanted)
    fixed = [f"{k} is {c['old']!r} in Neutron, {c['new']!r} wanted"
             for k, c in changes.items() if k in NETWORK_FIXED]  # fmt: skip
    if fixed:
        raise _refuse("network", spec["name"], fixed,
                      "delete the network (its ports and subnets first) or give the wanted "
                      "one a new name.")  # fmt: skip
    if changes:
        body = {NETWORK_FIELDS[k]: c["new"] for k, c in changes.items()}
        plan.steps.append(Step("neutron", "PUT", (f"/v2.0/networks/{current['id']}",),
                               {"network": body}))  # fmt: skip
        plan.changes.update(changes)
    return plan


# --------------------------------------------------------------------------
# Subnets
# --------------------------------------------------------------------------

SUBNET_MUTABLE = (
    "gateway_ip", "allocation_pools", "dns_nameservers", "enable_dhcp", "host_routes",
    "description",
)  # fmt: skip


def _address(value, what):
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise CommandExecutionError(f"{what}: {value!r} is not an IP address") from None


def _cidr(value, what):
    try:
        return str(ipaddress.ip_network(str(value).strip()))
    except ValueError as exc:
        raise CommandExecutionError(f"{what}: {value!r} is not a network CIDR ({exc})") from None


def _pools(pools, what):
    if not isinstance(pools, list):
        raise CommandExecutionError(f"{what}: allocation_pools must be a list of {{start, end}}")
    result = []
    for pool in pools:
        if not isinstance(pool, dict) or set(pool) != {"start", "end"}:
            raise CommandExecutionError(f"{what}: each allocation pool is {{start, end}}, got {pool!r}")
        result.append({"start": _address(pool["start"], what), "end": _address(pool["end"], what)})
    return sorted(result, key=lambda p: ipaddress.ip_address(p["start"]))


def _routes(routes, what):
    if not isinstance(routes, list):
        raise CommandExecutionError(f"{what}: host_routes must be a list of {{destination, nexthop}}")
    result = []
    for route in routes:
        if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
            raise CommandExecutionError(f"{what}: each host route is {{destination, nexthop}}")
        result.append({"destination": _cidr(route["destination"], what),
                       "nexthop": _address(route["nexthop"], what)})  # fmt: skip
    return sorted(result, key=lambda r: (r["destination"], r["nexthop"]))


def subnet_spec(name, network, cidr, project=None, **fields):
    """The wanted subnet: ``{name, network, project, cidr, ip_version, fields}``."""
    neutron_name(name, "subnet")
    neutron_name(network, "network")
    where = f"subnet {name}"
    cidr = _cidr(cidr, f"{where}: cidr")
    wanted = {}
    for key, value in fields.items():
        if key not in SUBNET_MUTABLE:
            raise CommandExecutionError(f"{where}: unknown attribute {key}")
        if value is None:
            continue
        if key == "gateway_ip":
            value = None if str(value).lower() == "none" else _address(value, f"{where}: gateway_ip")
        elif key == "allocation_pools":
            value = _pools(value, where)
        elif key == "dns_nameservers":
            if not isinstance(value, list):
                raise CommandExecutionError(f"{where}: dns_nameservers must be a list")
            value = [_address(v, f"{where}: dns_nameservers") for v in value]
        elif key == "host_routes":
            value = _routes(value, where)
        elif key == "enable_dhcp":
            value = _flag(value, f"{where}: enable_dhcp")
        else:
            value = _neutron_description(value, f"{where}: {key}")
        wanted[key] = value
    return {
        "name": name,
        "network": network,
        "project": project,
        "cidr": cidr,
        "ip_version": ipaddress.ip_network(cidr).version,
        "fields": wanted,
    }


def subnet_view(subnet):
    """Neutron's subnet, normalized as :func:`subnet_spec` normalizes."""
    view = {key: subnet.get(key) for key in SUBNET_MUTABLE}
    view["allocation_pools"] = _pools(subnet.get("allocation_pools") or [], "Neutron")
    view["host_routes"] = _routes(subnet.get("host_routes") or [], "Neutron")
    view["dns_nameservers"] = [_address(v, "Neutron") for v in subnet.get("dns_nameservers") or []]
    if view["gateway_ip"] is not None:
        view["gateway_ip"] = _address(view["gateway_ip"], "Neutron")
    return view


def plan_subnet(spec, current, network_id, project_id):
    """
    The plan bringing ``current`` (Neutron's subnet, or None) to ``spec``;
    ``network_id`` is the id of ``spec``'s network (a placeholder string
    in a dry run where it is to be created). Pure.
    """
    plan = Plan()
    wanted = spec["fields"]
    if current is None:
        body = {"name": spec["name"], "network_id": network_id, "project_id": project_id,
                "cidr": spec["cidr"], "ip_version": spec["ip_version"], **wanted}  # fmt: skip
        plan.steps.append(Step("neutron", "POST", ("/v2.0/subnets",), {"subnet": body},
                               register="subnet", resource="subnet"))  # fmt: skip
        new = {"network": spec["network"], "cidr": spec["cidr"], **wanted}
        plan.changes["subnet"] = {"old": None, "new": new}
        return plan
    fixed = []
    if _cidr(current["cidr"], "Neutron") != spec["cidr"]:
        fixed.append(f"cidr is {current['cidr']} in Neutron, {spec['cidr']} wanted")
    elif current.get("ip_version") not in (None, spec["ip_version"]):
        fixed.append(f"ip_version is {current['ip_version']} in Neutron, {spec['ip_version']} wanted")
    if current.get("network_id") != network_id:
        fixed.append(f"it belongs to network {current.get('network_id')}, not to {spec['network']}")
    if fixed:
        raise _refuse("subnet", spec["name"], fixed,
                      "delete the subnet (its ports first) or give the wanted one a new name.")
    changes = _diff(subnet_view(current), wanted)
    if changes:
        body = {k: c["new"] for k, c in changes.items()}
        plan.steps.append(Step("neutron", "PUT", (f"/v2.0/subnets/{current['id']}",),
                               {"subnet": body}))  # fmt: skip
        plan.changes.update(changes)
    return plan


# --------------------------------------------------------------------------
# Routers
# --------------------------------------------------------------------------


def router_spec(name, project=None, external_network=None, enable_snat=None, interfaces=None,
                admin_state_up=None, description=None):  # fmt: skip
    """The wanted router."""
    neutron_name(name, "router")
    where = f"router {name}"
    if external_network is not None:
        neutron_name(external_network, "network")
    if interfaces is not None:
        if isinstance(interfaces, str) or not isinstance(interfaces, list):
            raise CommandExecutionError(f"{where}: interfaces must be a list of subnet names")
        interfaces = list(dict.fromkeys(neutron_name(i, "subnet") for i in interfaces))
    fields = {}
    if admin_state_up is not None:
        fields["admin_state_up"] = _flag(admin_state_up, f"{where}: admin_state_up")
    if description is not None:
        fields["description"] = _neutron_description(description, f"{where}: description")
    return {
        "name": name,
        "project": project,
        "external_network": external_network,
        "enable_snat": _flag(enable_snat, f"{where}: enable_snat"),
        "interfaces": interfaces,
        "fields": fields,
    }


def plan_router(spec, current, project_id, gateway_network, subnets, attached=(),
                old_gateway_name=None):  # fmt: skip
    """
    The plan bringing ``current`` (Neutron's router, or None) to ``spec``.

    gateway_network
        The id of ``spec``'s external network (None when not managed).
    subnets
        {subnet name: id} of ``spec``'s interfaces.
    attached
        The subnet ids the router has an interface on.
    old_gateway_name
        The name of the network of the current gateway (for the report).

    Pure.
    """
    plan = Plan()
    gateway = None
    if spec["external_network"] is not None:
        gateway = {"network_id": gateway_network}
        if spec["enable_snat"] is not None:
            gateway["enable_snat"] = spec["enable_snat"]
    if current is None:
        body = {"name": spec["name"], "project_id": project_id, **spec["fields"]}
        if gateway:
            body["external_gateway_info"] = gateway
        plan.steps.append(Step("neutron", "POST", ("/v2.0/routers",), {"router": body},
                               register="router", resource="router"))  # fmt: skip
        new = dict(spec["fields"])
        if gateway:
            new["external_network"] = spec["external_network"]
            if spec["enable_snat"] is not None:
                new["enable_snat"] = spec["enable_snat"]
        if spec["interfaces"]:
            new["interfaces"] = list(spec["interfaces"])
        plan.changes["router"] = {"old": None, "new": new}
        router = Ref("router")
    else:
        router = current["id"]
        updates = {k: v for k, v in spec["fields"].items() if current.get(k) != v}
        for key in updates:
            plan.changes[key] = {"old": current.get(key), "new": updates[key]}
        info = current.get("external_gateway_info") or {}
        if gateway:
            if info.get("network_id") != gateway_network:
                updates["external_gateway_info"] = gateway
                plan.changes["external_network"] = {
                    "old": old_gateway_name or info.get("network_id"),
                    "new": spec["external_network"],
                }
            if spec["enable_snat"] is not None and info.get("enable_snat") != spec["enable_snat"]:
                updates["external_gateway_info"] = gateway
                plan.changes["enable_snat"] = {"old": info.get("enable_snat"),
                                               "new": spec["enable_snat"]}  # fmt: skip
        if updates:
            plan.steps.append(Step("neutron", "PUT", (f"/v2.0/routers/{router}",),
                                   {"router": updates}))  # fmt: skip
    added = []
    for subnet in spec["interfaces"] or ():
        if subnets[subnet] in attached:
            continue
        plan.steps.append(Step("neutron", "PUT", ("/v2.0/routers/", router, "/add_router_interface"),
                               {"subnet_id": subnets[subnet]}))  # fmt: skip
        added.append(subnet)
    if added and current is not None:
        plan.changes["interfaces"] = {"added": added}
    return plan


# --------------------------------------------------------------------------
# Security groups
# --------------------------------------------------------------------------

#: IANA protocol numbers of the names Neutron accepts (and its aliases).
PROTOCOLS = {
    "icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "egp": 8, "udp": 17, "dccp": 33,
    "ipv6-encap": 41, "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46, "gre": 47, "esp": 50,
    "ah": 51, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ospf": 89,
    "pgm": 113, "vrrp": 112, "sctp": 132, "udplite": 136,
}  # fmt: skip
#: Protocols with ports (Neutron refuses ports on the others but ICMP).
PORT_PROTOCOLS = {6, 17, 33, 132, 136}
IPV6_ICMP = 58
ICMP = {1, IPV6_ICMP}
RULE_KEYS = ("direction", "ethertype", "protocol", "port", "port_range_min", "port_range_max",
             "icmp_type", "icmp_code", "remote_ip_prefix", "remote_group")  # fmt: skip
#: The rules Neutron gives every new group but ``default`` (egress anywhere).
NEW_GROUP_RULES = (
    {"direction": "egress", "ethertype": "IPv4", "protocol": None, "port_range_min": None,
     "port_range_max": None, "remote_ip_prefix": None, "remote_group_id": None},
    {"direction": "egress", "ethertype": "IPv6", "protocol": None, "port_range_min": None,
     "port_range_max": None, "remote_ip_prefix": None, "remote_group_id": None},
)  # fmt: skip


def protocol_number(protocol, ethertype="IPv4"):
    """The IP protocol number of a Neutron protocol value; None is any."""
    if protocol is None or str(protocol).lower() in ("", "any"):
        return None
    text = str(protocol).lower()
    number = PROTOCOLS.get(text)
    if number is None:
        try:
            number = int(text)
        except ValueError:
            raise CommandExecutionError(f"unknown protocol {protocol!r}") from None
        if not 0 <= number <= 255:
            raise CommandExecutionError(f"protocol number {number} is not between 0 and 255")
    if ethertype == "IPv6" and number == 1:  # Neutron's legacy IPv6 ICMP names
        number = 58
    return number


def _port(value, what):
    return None if value is None else _integer(value, what)


def _icmp_type_code(rule, low, high, protocol, where):
    """
    An ICMP rule's type and code, Neutron's port_range_min and max:
    ``icmp_type`` and ``icmp_code``, or Neutron's own names. ``port`` is
    refused: Neutron would read ``port: 8`` as type 8 *and code 8*.
    """
    if rule.get("port") is not None:
        raise CommandExecutionError(
            f"{where}: protocol {protocol} has no ports: give icmp_type (and icmp_code), e.g. "
            "icmp_type: 8 for echo requests (port would set type and code to the same number)")
    icmp_type, icmp_code = rule.get("icmp_type"), rule.get("icmp_code")
    if icmp_type is not None or icmp_code is not None:
        if low is not None or high is not None:
            raise CommandExecutionError(
                f"{where}: give icmp_type/icmp_code or port_range_min/max, not both")
        if icmp_type is None:
            raise CommandExecutionError(f"{where}: icmp_code needs an icmp_type")
        low = _port(icmp_type, f"{where}: icmp_type")
        high = _port(icmp_code, f"{where}: icmp_code")
    if low is None and high is not None:
        raise CommandExecutionError(f"{where}: an ICMP code (port_range_max) needs a type")
    if any(v is not None and not 0 <= v <= 255 for v in (low, high)):
        raise CommandExecutionError(f"{where}: ICMP type and code are 0 to 255")
    return low, high


def rule_spec(rule, where):
    """
    One wanted rule, checked and completed: the body Neutron gets, by group
    name, itself a rule this takes back unchanged (the state gets the
    pillar's rules in this form). ICMP's ``icmp_type`` and ``icmp_code``
    become Neutron's ``port_range_min`` and ``port_range_max``.
    """
    if not isinstance(rule, dict):
        raise CommandExecutionError(f"{where}: a rule is a mapping, got {rule!r}")
    unknown = sorted(set(rule) - set(RULE_KEYS))
    if unknown:
        raise CommandExecutionError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                                    f"allowed: {', '.join(RULE_KEYS)}")  # fmt: skip
    direction = rule.get("direction") or "ingress"
    if direction not in ("ingress", "egress"):
        raise CommandExecutionError(f"{where}: direction must be ingress or egress")
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        try:
            network = ipaddress.ip_network(str(prefix), strict=True)
        except ValueError as exc:
            raise CommandExecutionError(f"{where}: remote_ip_prefix {prefix!r}: {exc}") from None
        prefix = str(network)
    ethertype = rule.get("ethertype") or (f"IPv{network.version}" if prefix else "IPv4")
    if ethertype not in ("IPv4", "IPv6"):
        raise CommandExecutionError(f"{where}: ethertype must be IPv4 or IPv6")
    if prefix and ethertype != f"IPv{network.version}":
        raise CommandExecutionError(f"{where}: remote_ip_prefix {prefix} is not {ethertype}")
    if prefix is not None and rule.get("remote_group") is not None:
        raise CommandExecutionError(f"{where}: give remote_ip_prefix or remote_group, not both")
    protocol = rule.get("protocol")
    protocol = None if protocol is None or str(protocol).lower() == "any" else str(protocol).lower()
    try:
        number = protocol_number(protocol, ethertype)
    except CommandExecutionError as exc:
        raise CommandExecutionError(f"{where}: {exc}") from None
    if number == IPV6_ICMP and ethertype != "IPv6":
        # Neutron refuses ICMPv6 with ethertype IPv4: IPv6 unless said otherwise
        if rule.get("ethertype") or prefix:
            raise CommandExecutionError(f"{where}: protocol {protocol} is IPv6, not {ethertype}")
        ethertype = "IPv6"
    low = _port(rule.get("port_range_min"), f"{where}: port_range_min")
    high = _port(rule.get("port_range_max"), f"{where}: port_range_max")
    if number in ICMP:
        low, high = _icmp_type_code(rule, low, high, protocol, where)
    elif rule.get("icmp_type") is not None or rule.get("icmp_code") is not None:
        raise CommandExecutionError(f"{where}: icmp_type and icmp_code are for protocol icmp "
                                    f"or ipv6-icmp, not {protocol or 'any'}")  # fmt: skip
    elif rule.get("port") is not None:
        if low is not None or high is not None:
            raise CommandExecutionError(f"{where}: give port or port_range_min/max, not both")
        low = high = _port(rule["port"], f"{where}: port")
    if number in PORT_PROTOCOLS:
        if high is None:
            high = low
        if low is not None and not 1 <= low <= high <= 65535:
            raise CommandExecutionError(f"{where}: ports must be 1 <= min <= max <= 65535")
    elif number not in ICMP and (low is not None or high is not None):
        raise CommandExecutionError(f"{where}: protocol {protocol or 'any'} has no ports")
    remote_group = rule.get("remote_group")
    if remote_group is not None:
        try:
            neutron_name(remote_group, "remote group")
        except CommandExecutionError as exc:
            raise CommandExecutionError(f"{where}: {exc}") from None
    return {
        "direction": direction,
        "ethertype": ethertype,
        "protocol": protocol,
        "port_range_min": low,
        "port_range_max": high,
        "remote_ip_prefix": prefix,
        "remote_group": remote_group,
    }


def security_group_spec(name, project=None, description=None, rules=None, remove_unlisted=False):
    """The wanted group with its rules (None: rules not managed)."""
    neutron_name(name, "security group")
    where = f"security group {name}"
    if rules is not None:
        if not isinstance(rules, list):
            raise CommandExecutionError(f"{where}: rules must be a list")
        rules = [rule_spec(rule, f"{where}, rule {index}") for index, rule in enumerate(rules)]
    return {
        "name": name,
        "project": project,
        "description": _neutron_description(description, f"{where}: description"),
        "rules": rules,
        "remove_unlisted": bool(_flag(remove_unlisted, f"{where}: remove_unlisted")),
    }


def rule_key(rule):
    """
    What makes two rules the same for Neutron: direction, ethertype,
    protocol number, ports, remote prefix (any: none or /0) and remote
    group id. The whole port range of a port protocol is no range.
    """
    number = protocol_number(rule.get("protocol"), rule.get("ethertype"))
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if number in PORT_PROTOCOLS and (low, high) == (1, 65535):
        low = high = None
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        network = ipaddress.ip_network(prefix, strict=False)
        prefix = None if network.prefixlen == 0 else str(network)
    return (rule["direction"], rule["ethertype"], number, low, high, prefix,
            rule.get("remote_group_id"))  # fmt: skip


def rule_label(rule, group_names=None):
    """``ingress IPv4 tcp 22 from 0.0.0.0/0``: a rule for people."""
    group_names = group_names or {}
    protocol = rule.get("protocol") or "any"
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    number = protocol_number(rule.get("protocol"), rule["ethertype"])
    ports = ""
    if number in ICMP:
        if low is not None:
            ports = f" type {low}" + (f" code {high}" if high is not None else "")
    elif low is not None:
        ports = f" {low}" if low == high else f" {low}-{high}"
    remote = rule.get("remote_ip_prefix")
    group = rule.get("remote_group") or rule.get("remote_group_id")
    if group is not None:
        source = f"group {group_names.get(group, group)}"
    else:
        source = remote or "any"
    towards = "from" if rule["direction"] == "ingress" else "to"
    return f"{rule['direction']} {rule['ethertype']} {protocol}{ports} {towards} {source}"


def plan_rules(spec, group_id, current_rules, group_ids, group_names=None):
    """
    The rule steps of a group: create the listed rules that are missing,
    then (``remove_unlisted``) delete the rules not listed. ``group_ids``:
    {group name: id} for ``remote_group``; ``current_rules``: Neutron's.
    Pure.
    """
    plan = Plan()
    if spec["rules"] is None:
        return plan
    group_names = dict(group_names or {})
    have = {}
    for rule in current_rules:
        have.setdefault(rule_key(rule), rule)
    wanted = {}
    for rule in spec["rules"]:
        resolved = dict(rule, remote_group_id=None)
        if rule["remote_group"] is not None:
            if rule["remote_group"] not in group_ids:
                raise CommandExecutionError(
                    f"security group {spec['name']}: remote_group {rule['remote_group']} is "
                    "not a security group of the project"
                )
            resolved["remote_group_id"] = group_ids[rule["remote_group"]]
        wanted.setdefault(rule_key(resolved), resolved)
    added, removed = [], []
    for key, rule in wanted.items():
        if key in have:
            continue
        body = {k: rule[k] for k in ("direction", "ethertype", "protocol", "port_range_min",
                                     "port_range_max", "remote_ip_prefix", "remote_group_id")}  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        body["security_group_id"] = group_id
        plan.steps.append(Step("neutron", "POST", ("/v2.0/security-group-rules",),
                               {"security_group_rule": body}))  # fmt: skip
        added.append(rule_label(rule))
    if spec["remove_unlisted"]:
        for key, rule in have.items():
            if key in wanted:
                continue
            if rule.get("id") is not None:
                plan.steps.append(Step("neutron", "DELETE",
                                       (f"/v2.0/security-group-rules/{rule['id']}",)))  # fmt: skip
            removed.append(rule_label(rule, group_names))
    rules = {}
    if added:
        rules["added"] = added
    if removed:
        rules["removed"] = removed
    if rules:
        plan.changes["rules"] = rules
    return plan


def plan_security_group(spec, current, groups, project_id):
    """
    The plan bringing ``current`` (Neutron's group with its rules, or None)
    to ``spec``; ``groups``: the project's groups {name: id}. A new group's
    rules are planned against the egress rules Neutron gives it
    (:data:`NEW_GROUP_RULES`), whose removal, if any, the caller makes
    once it has their ids. Pure.
    """
    plan = Plan()
    name = spec["name"]
    if current is None:
        body = {"name": name, "project_id": project_id}
        if spec["description"] is not None:
            body["description"] = spec["description"]
        plan.steps.append(Step("neutron", "POST", ("/v2.0/security-groups",),
                               {"security_group": body}, register="group",
                               resource="security_group"))  # fmt: skip
        new = {"description": spec["description"]} if spec["description"] is not None else {}
        plan.changes["security_group"] = {"old": None, "new": new}
        group_ids = dict(groups, **{name: Ref("group")})
        rules = plan_rules(spec, Ref("group"), NEW_GROUP_RULES, group_ids, {Ref("group"): name})
    else:
        if spec["description"] is not None and current.get("description") != spec["description"]:
            plan.steps.append(Step("neutron", "PUT", (f"/v2.0/security-groups/{current['id']}",),
                                   {"security_group": {"description": spec["description"]}}))  # fmt: skip
            plan.changes["description"] = {"old": current.get("description"),
                                           "new": spec["description"]}  # fmt: skip
        names = {group_id: group_name for group_name, group_id in groups.items()}
        rules = plan_rules(spec, current["id"], current.get("security_group_rules", []),
                           groups, names)  # fmt: skip
    plan.steps.extend(rules.steps)
    plan.changes.update(rules.changes)
    return plan


# --------------------------------------------------------------------------
# Images (Glance v2)
# --------------------------------------------------------------------------

#: Glance's formats (2025.1 defaults of ``[image_format]``) and visibilities.
IMAGE_DISK_FORMATS = (
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
)  # fmt: skip
IMAGE_CONTAINER_FORMATS = ("bare", "ovf", "aki", "ari", "ami", "ova", "docker", "compressed")
IMAGE_VISIBILITIES = ("public", "private", "shared", "community")
#: Statuses of an image whose data did not (all) arrive: a partial upload,
#: deleted and uploaded again.
IMAGE_PARTIAL = ("queued", "saving", "killed", "uploading", "importing")
#: Statuses of an image with its data.
IMAGE_WITH_DATA = ("active", "deactivated")
#: Glance's own fields of an image: everything else is a property.
IMAGE_CORE = frozenset({
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
    "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk",
    "disk_format", "container_format", "created_at", "updated_at", "tags", "direct_url",
    "locations", "self", "file", "schema", "stores", "kernel_id", "ramdisk_id",
})  # fmt: skip


def _choice(value, choices, what):
    if value not in choices:
        raise CommandExecutionError(f"{what} must be one of {', '.join(choices)}, got {value!r}")
    return value


def image_spec(name, filename, disk_format="qcow2", container_format="bare",
               visibility="public", kernel=None, ramdisk=None, properties=None):  # fmt: skip
    """
    The wanted image, checked: ``{name, file, fields: {disk_format,
    container_format, visibility}, kernel, ramdisk, properties}``.
    ``properties`` None: not managed; property values are strings (as
    Glance keeps them, true/false for booleans).
    """
    if not isinstance(name, str) or not name.strip() or control_character(name):
        raise CommandExecutionError(f"An image name must be a non-empty line of text, got {name!r}")
    where = f"image {name}"
    if not isinstance(filename, str) or not filename.startswith("/"):
        raise CommandExecutionError(f"{where}: filename must be an absolute path, got {filename!r}")
    fields = {
        "disk_format": _choice(disk_format, IMAGE_DISK_FORMATS, f"{where}: disk_format"),
        "container_format": _choice(container_format, IMAGE_CONTAINER_FORMATS,
                                    f"{where}: container_format"),
        "visibility": _choice(visibility, IMAGE_VISIBILITIES, f"{where}: visibility"),
    }  # fmt: skip
    for key, ref in (("kernel", kernel), ("ramdisk", ramdisk)):
        if ref is not None and (not isinstance(ref, str) or not ref or ref == name):
            raise CommandExecutionError(f"{where}: {key} must name another image, got {ref!r}")
    if properties is not None:
        if not isinstance(properties, dict):
            raise CommandExecutionError(f"{where}: properties must be a mapping")
        reserved = sorted(str(k) for k in properties if k in IMAGE_CORE)
        if reserved:
            raise CommandExecutionError(
                f"{where}: {', '.join(reserved)} are Glance's own fields, not properties "
                "(kernel_id and ramdisk_id: give kernel and ramdisk by image name)")
        properties = {str(k): _spec_value(v) for k, v in properties.items()}
    return {"name": name, "file": filename, "fields": fields, "kernel": kernel,
            "ramdisk": ramdisk, "properties": properties}  # fmt: skip


def image_view(image):
    """Glance's image in :func:`image_spec`'s terms, with its data's size and digest."""
    return {
        "id": image["id"],
        "status": image.get("status"),
        "fields": {k: image.get(k) for k in ("disk_format", "container_format", "visibility")},
        "kernel_id": image.get("kernel_id"),
        "ramdisk_id": image.get("ramdisk_id"),
        "properties": {k: v for k, v in image.items() if k not in IMAGE_CORE},
        "size": image.get("size"),
        "digest": image_digest(image),
    }


def image_digest(image):
    """``(algorithm, hex)`` of an image's data as Glance computed it, or None."""
    if image.get("os_hash_algo") and image.get("os_hash_value"):
        return (image["os_hash_algo"], image["os_hash_value"])
    if image.get("checksum"):
        return ("md5", image["checksum"])
    return None


@dataclasses.dataclass
class ImagePlan:
    """What to do to the image ``image_id`` (None: there is none): delete
    it, create it (the body), upload the file, apply a JSON patch; and the
    changes that makes."""

    image_id: str = None
    delete: str = None
    create: dict = None
    upload: bool = False
    patch: list = dataclasses.field(default_factory=list)
    changes: dict = dataclasses.field(default_factory=dict)


def _pointer(key):
    """A JSON pointer (RFC 6901) to a top-level key."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _image_body(spec, refs):
    body = {"name": spec["name"], **spec["fields"], **refs}
    body.update(spec["properties"] or {})
    return body


def _data_differs(current, local):
    """Why the image's data is not the local file's (None: it is)."""
    if current["size"] != local["size"]:
        return f"size {current['size']} in Glance, {local['size']} bytes in the file"
    digest = current["digest"]
    if digest is None:
        return "Glance has no checksum of its data"
    algorithm, value = digest
    if local["hashes"].get(algorithm) != value:
        return f"{algorithm} differs"
    return None


def plan_image(spec, current, refs, local):
    """
    The plan bringing ``current`` (an :func:`image_view`, or None) to
    ``spec``. ``refs``: the ``kernel_id``/``ramdisk_id`` wanted (managed
    ones only). ``local``: ``{size, hashes: {algorithm: hex}}`` of the
    file (the hashes of ``current``'s digest algorithm when the sizes
    match), None when it is not downloaded yet (a dry run). Pure.

    A partial upload, or data that differs from the file, is replaced
    (deleted and created again). A different disk or container format of
    an image with the file's data is refused: Glance cannot change them.
    """
    plan = ImagePlan(image_id=current and current["id"])
    name = spec["name"]
    wanted = dict(spec["fields"])
    labels = {"kernel_id": "kernel", "ramdisk_id": "ramdisk"}
    if current is None:
        plan.create, plan.upload = _image_body(spec, refs), True
        new = {**wanted, **{labels[k]: v for k, v in refs.items()}}
        new["properties"] = dict(spec["properties"] or {})
        if local is not None:
            new["size"] = local["size"]
        plan.changes["image"] = {"old": None, "new": new}
        return plan
    status = current["status"]
    reason = None
    if status in IMAGE_PARTIAL:
        reason = f"a partial upload (status {status})"
        plan.changes["status"] = {"old": status, "new": "active"}
    elif status not in IMAGE_WITH_DATA:
        raise CommandExecutionError(
            f"image {name}: Glance's image {current['id']} has status {status}; "
            "nothing was changed: delete it or wait for Glance to finish")
    elif local is None:
        plan.changes["data"] = f"not checked: {spec['file']} is not downloaded yet"
    else:
        reason = _data_differs(current, local)
        if reason:
            digest = current["digest"]
            plan.changes["data"] = {"old": f"{current['size']} bytes"
                                    + (f", {digest[0]} {digest[1]}" if digest else ""),
                                    "new": f"{local['size']} bytes of {spec['file']}"}  # fmt: skip
            reason = f"its data differs from {spec['file']} ({reason})"
    fields = _diff(current["fields"], wanted)
    refs_changed = {labels[k]: {"old": current[k], "new": v}
                    for k, v in refs.items() if current[k] != v}  # fmt: skip
    props = {}
    if spec["properties"] is not None:
        have = current["properties"]
        props = {k: {"old": have.get(k), "new": v}
                 for k, v in sorted(spec["properties"].items()) if have.get(k) != v}  # fmt: skip
    if reason:
        plan.delete, plan.create, plan.upload = current["id"], _image_body(spec, refs), True
        plan.changes["image"] = f"replaced: {reason}; deleted and uploaded again"
    else:
        fixed = [f"{k} is {c['old']!r} in Glance, {c['new']!r} wanted"
                 for k, c in fields.items() if k != "visibility"]  # fmt: skip
        if fixed:
            raise _refuse("image", name, fixed,
                          "Glance keeps an image's formats with its data. Give the image a new "
                          "name, or delete it to have it uploaded again.")  # fmt: skip
        for key, change in fields.items():
            plan.patch.append({"op": "replace", "path": _pointer(key), "value": change["new"]})
        for key, value in refs.items():
            if current[key] != value:
                op = "add" if current[key] is None else "replace"
                plan.patch.append({"op": op, "path": _pointer(key), "value": value})
        for key, change in props.items():
            op = "add" if change["old"] is None else "replace"
            plan.patch.append({"op": op, "path": _pointer(key), "value": change["new"]})
    plan.changes.update(fields)
    plan.changes.update(refs_changed)
    if props:
        plan.changes["properties"] = props
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
            wanted[key] = _integer(value, f"quota {project}: {key}", -1)
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
