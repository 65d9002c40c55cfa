"""
Neutron's plans for ``openstack_cloud``: networks, subnets, routers and
security groups, checked (``*_spec``) and planned (``plan_*``) on the
vocabulary of ``saltext_openstack_cloud`` (see there). Pure: no API call,
no Salt dunder. Imported like ``saltext_openstack_api`` (see there), not a
loader module.
"""
import ipaddress

from salt.exceptions import CommandExecutionError

# The shared plan vocabulary (Ref, Step, Plan, the checked values),
# synced or installed with this file.
try:
    import saltext_openstack_cloud as cp
except ImportError:
    from saltext_openstack._utils import saltext_openstack_cloud as cp


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_cloud_network is imported by openstack_cloud directly")


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
    """A Neutron name: non-empty, at most :data:`saltext_openstack_cloud.NEUTRON_NAME_MAX`, no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise CommandExecutionError(f"A {what} name must be a non-empty string, got {value!r}")
    if len(value) > cp.NEUTRON_NAME_MAX:
        raise CommandExecutionError(f"A {what} name has at most {cp.NEUTRON_NAME_MAX} characters, "
                                    f"got {len(value)}")  # fmt: skip
    control = cp.control_character(value)
    if control:
        raise CommandExecutionError(f"A {what} name must not contain control characters, "
                                    f"got {value!r} ({control})")  # fmt: skip
    return value


def _neutron_description(value, what):
    return cp.description_text(value, what, cp.NEUTRON_DESCRIPTION_MAX)


def network_spec(name, project=None, **fields):
    """The wanted network: ``{name, project, fields}`` (given fields only)."""
    neutron_name(name, "network")
    where = f"network {name}"
    checks = {
        "shared": cp.flag, "external": cp.flag, "admin_state_up": cp.flag,
        "port_security_enabled": cp.flag, "description": _neutron_description,
        "provider_network_type": cp.text_value, "provider_physical_network": cp.text_value,
    }  # fmt: skip
    wanted = {}
    for key, value in fields.items():
        if key not in NETWORK_FIELDS:
            raise CommandExecutionError(f"{where}: unknown attribute {key}")
        if value is None:
            continue
        if key == "mtu":
            value = cp.integer(value, f"{where}: mtu", MTU_MIN)
        elif key == "provider_segmentation_id":
            value = cp.integer(value, f"{where}: provider_segmentation_id", 1)
        else:
            value = checks[key](value, f"{where}: {key}")
        wanted[key] = value
    return {"name": name, "project": project, "fields": wanted}


def network_view(network):
    """Neutron's network in :func:`network_spec`'s terms."""
    return {ours: network.get(theirs) for ours, theirs in NETWORK_FIELDS.items()}


def plan_network(spec, current, project_id):
    """The plan bringing ``current`` (Neutron's network, or None) to ``spec``. Pure."""
    plan = cp.Plan()
    wanted = spec["fields"]
    if current is None:
        body = {"name": spec["name"], "project_id": project_id}
        body.update({NETWORK_FIELDS[k]: v for k, v in wanted.items()})
        plan.steps.append(cp.Step("neutron", "POST", ("/v2.0/networks",), {"network": body},
                               register="network", resource="network"))  # fmt: skip
        plan.changes["network"] = {"old": None, "new": dict(wanted)}
        return plan
    changes = cp.diff(network_view(current), wanted)
    fixed = [f"{k} is {c['old']!r} in Neutron, {c['new']!r} wanted"
             for k, c in changes.items() if k in NETWORK_FIXED]  # fmt: skip
    if fixed:
        raise cp.refuse("network", spec["name"], fixed,
                      "delete the network (its ports and subnets first) or give the wanted "
                      "one a new name.")  # fmt: skip
    if changes:
        body = {NETWORK_FIELDS[k]: c["new"] for k, c in changes.items()}
        plan.steps.append(cp.Step("neutron", "PUT", (f"/v2.0/networks/{current['id']}",),
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
            value = cp.flag(value, f"{where}: enable_dhcp")
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
    plan = cp.Plan()
    wanted = spec["fields"]
    if current is None:
        body = {"name": spec["name"], "network_id": network_id, "project_id": project_id,
                "cidr": spec["cidr"], "ip_version": spec["ip_version"], **wanted}  # fmt: skip
        plan.steps.append(cp.Step("neutron", "POST", ("/v2.0/subnets",), {"subnet": body},
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
        raise cp.refuse("subnet", spec["name"], fixed,
                      "delete the subnet (its ports first) or give the wanted one a new name.")
    changes = cp.diff(subnet_view(current), wanted)
    if changes:
        body = {k: c["new"] for k, c in changes.items()}
        plan.steps.append(cp.Step("neutron", "PUT", (f"/v2.0/subnets/{current['id']}",),
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
        fields["admin_state_up"] = cp.flag(admin_state_up, f"{where}: admin_state_up")
    if description is not None:
        fields["description"] = _neutron_description(description, f"{where}: description")
    return {
        "name": name,
        "project": project,
        "external_network": external_network,
        "enable_snat": cp.flag(enable_snat, f"{where}: enable_snat"),
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
    plan = cp.Plan()
    gateway = None
    if spec["external_network"] is not None:
        gateway = {"network_id": gateway_network}
        if spec["enable_snat"] is not None:
            gateway["enable_snat"] = spec["enable_snat"]
    if current is None:
        body = {"name": spec["name"], "project_id": project_id, **spec["fields"]}
        if gateway:
            body["external_gateway_info"] = gateway
        plan.steps.append(cp.Step("neutron", "POST", ("/v2.0/routers",), {"router": body},
                               register="router", resource="router"))  # fmt: skip
        new = dict(spec["fields"])
        if gateway:
            new["external_network"] = spec["external_network"]
            if spec["enable_snat"] is not None:
                new["enable_snat"] = spec["enable_snat"]
        if spec["interfaces"]:
            new["interfaces"] = list(spec["interfaces"])
        plan.changes["router"] = {"old": None, "new": new}
        router = cp.Ref("router")
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
            plan.steps.append(cp.Step("neutron", "PUT", (f"/v2.0/routers/{router}",),
                                   {"router": updates}))  # fmt: skip
    added = []
    for subnet in spec["interfaces"] or ():
        if subnets[subnet] in attached:
            continue
        plan.steps.append(cp.Step("neutron", "PUT", ("/v2.0/routers/", router, "/add_router_interface"),
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
    return None if value is None else cp.integer(value, what)


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
        "remove_unlisted": bool(cp.flag(remove_unlisted, f"{where}: remove_unlisted")),
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
    plan = cp.Plan()
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
        plan.steps.append(cp.Step("neutron", "POST", ("/v2.0/security-group-rules",),
                               {"security_group_rule": body}))  # fmt: skip
        added.append(rule_label(rule))
    if spec["remove_unlisted"]:
        for key, rule in have.items():
            if key in wanted:
                continue
            if rule.get("id") is not None:
                plan.steps.append(cp.Step("neutron", "DELETE",
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
    plan = cp.Plan()
    name = spec["name"]
    if current is None:
        body = {"name": name, "project_id": project_id}
        if spec["description"] is not None:
            body["description"] = spec["description"]
        plan.steps.append(cp.Step("neutron", "POST", ("/v2.0/security-groups",),
                               {"security_group": body}, register="group",
                               resource="security_group"))  # fmt: skip
        new = {"description": spec["description"]} if spec["description"] is not None else {}
        plan.changes["security_group"] = {"old": None, "new": new}
        group_ids = dict(groups, **{name: cp.Ref("group")})
        rules = plan_rules(spec, cp.Ref("group"), NEW_GROUP_RULES, group_ids, {cp.Ref("group"): name})
    else:
        if spec["description"] is not None and current.get("description") != spec["description"]:
            plan.steps.append(cp.Step("neutron", "PUT", (f"/v2.0/security-groups/{current['id']}",),
                                   {"security_group": {"description": spec["description"]}}))  # fmt: skip
            plan.changes["description"] = {"old": current.get("description"),
                                           "new": spec["description"]}  # fmt: skip
        names = {group_id: group_name for group_name, group_id in groups.items()}
        rules = plan_rules(spec, current["id"], current.get("security_group_rules", []),
                           groups, names)  # fmt: skip
    plan.steps.extend(rules.steps)
    plan.changes.update(rules.changes)
    return plan
