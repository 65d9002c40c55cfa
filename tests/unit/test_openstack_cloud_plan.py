"""
openstack_cloud's plans (_utils/saltext_openstack_cloud{,_network,_image}.py): what each
resource's drift turns into, against objects shaped as the Nova (2.86),
Neutron (v2.0) and Cinder (v3) API reference shows them. Pure: no service, no Salt loader.
"""
import copy

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._utils import saltext_openstack_cloud as cp
from saltext_openstack._utils import saltext_openstack_cloud_image as ci
from saltext_openstack._utils import saltext_openstack_cloud_network as cn

# -- objects as the services return them --------------------------------------

NOVA_FLAVOR = {
    "OS-FLV-DISABLED:disabled": False,
    "disk": 20,
    "OS-FLV-EXT-DATA:ephemeral": 0,
    "os-flavor-access:is_public": True,
    "id": "7",
    "links": [{"href": "http://nova.test/v2.1/flavors/7", "rel": "self"}],
    "name": "m1.small",
    "ram": 2048,
    "swap": 0,
    "rxtx_factor": 1.0,
    "vcpus": 1,
    "description": None,
    "extra_specs": {"hw:cpu_policy": "shared"},
}

NEUTRON_NETWORK = {
    "admin_state_up": True,
    "id": "net-1",
    "mtu": 1500,
    "name": "provider",
    "port_security_enabled": True,
    "project_id": "p-admin",
    "provider:network_type": "flat",
    "provider:physical_network": "provider",
    "provider:segmentation_id": None,
    "router:external": True,
    "shared": True,
    "status": "ACTIVE",
    "subnets": ["sub-1"],
    "description": "",
}

NEUTRON_SUBNET = {
    "name": "provider",
    "enable_dhcp": True,
    "network_id": "net-1",
    "project_id": "p-admin",
    "dns_nameservers": [],
    "allocation_pools": [{"start": "203.0.113.100", "end": "203.0.113.199"}],
    "host_routes": [],
    "ip_version": 4,
    "gateway_ip": "203.0.113.1",
    "cidr": "203.0.113.0/24",
    "id": "sub-1",
    "description": "",
}


def neutron_rule(rule_id, **fields):
    rule = {"direction": "ingress", "ethertype": "IPv4", "id": rule_id, "port_range_max": None,
            "port_range_min": None, "protocol": None, "remote_group_id": None,
            "remote_ip_prefix": None, "security_group_id": "sg-default",
            "project_id": "p-admin", "description": ""}  # fmt: skip
    rule.update(fields)
    return rule


# the admin project's default group after the old CLI formula ran: Neutron's
# four rules, then ICMP and SSH with the CLI's default 0.0.0.0/0 prefix
DEFAULT_GROUP = {
    "id": "sg-default",
    "name": "default",
    "description": "Default security group",
    "project_id": "p-admin",
    "security_group_rules": [
        neutron_rule("r-e4", direction="egress"),
        neutron_rule("r-e6", direction="egress", ethertype="IPv6"),
        neutron_rule("r-i4", remote_group_id="sg-default"),
        neutron_rule("r-i6", ethertype="IPv6", remote_group_id="sg-default"),
        neutron_rule("r-icmp", protocol="icmp", remote_ip_prefix="0.0.0.0/0"),
        neutron_rule("r-ssh", protocol="tcp", port_range_min=22, port_range_max=22,
                     remote_ip_prefix="0.0.0.0/0"),
    ],
}
GUIDE_RULES = [{"protocol": "icmp"}, {"protocol": "tcp", "port": 22}]


def calls(plan):
    return [(s.service, s.method, "".join(str(p) for p in s.path)) for s in plan.steps]


# -- flavors -------------------------------------------------------------------


def small(**changes):
    args = dict(name="m1.small", vcpus=1, ram=2048, disk=20,
                extra_specs={"hw:cpu_policy": "shared"})  # fmt: skip
    args.update(changes)
    return cp.flavor_spec(**args)


def test_new_flavor_is_created_with_its_extra_specs():
    plan = cp.plan_flavor(small(description="general"), None)
    assert calls(plan) == [("nova", "POST", "/flavors"),
                           ("nova", "POST", "/flavors/Ref(key='flavor')/os-extra_specs")]  # fmt: skip
    assert plan.steps[0].body == {"flavor": {
        "name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20,
        "OS-FLV-EXT-DATA:ephemeral": 0, "swap": 0, "os-flavor-access:is_public": True,
        "description": "general"}}  # fmt: skip
    assert plan.steps[1].body == {"extra_specs": {"hw:cpu_policy": "shared"}}
    assert plan.changes == {"flavor": {"old": None, "new": {
        "vcpus": 1, "ram": 2048, "disk": 20, "ephemeral": 0, "swap": 0, "public": True,
        "extra_specs": {"hw:cpu_policy": "shared"}, "description": "general"}}}  # fmt: skip


@pytest.mark.parametrize("swap", [0, ""])  # "" before microversion 2.75
def test_unchanged_flavor_plans_nothing(swap):
    plan = cp.plan_flavor(small(), cp.flavor_view(dict(NOVA_FLAVOR, swap=swap)))
    assert (plan.steps, plan.changes) == ([], {})


def test_description_and_extra_specs_change_in_place():
    current = cp.flavor_view(dict(NOVA_FLAVOR, extra_specs={"hw:cpu_policy": "shared",
                                                            "hw:watchdog_action": "reset"}))  # fmt: skip
    plan = cp.plan_flavor(small(description="new", extra_specs={"hw:cpu_policy": "dedicated",
                                                                "hw_rng:allowed": True}),
                          current)  # fmt: skip
    assert calls(plan) == [
        ("nova", "PUT", "/flavors/7"),
        ("nova", "POST", "/flavors/7/os-extra_specs"),
        ("nova", "DELETE", "/flavors/7/os-extra_specs/hw:watchdog_action"),
    ]
    assert plan.steps[1].body == {"extra_specs": {"hw:cpu_policy": "dedicated",
                                                  "hw_rng:allowed": "true"}}  # fmt: skip
    assert plan.changes == {
        "description": {"old": None, "new": "new"},
        "extra_specs": {
            "hw:cpu_policy": {"old": "shared", "new": "dedicated"},
            "hw:watchdog_action": {"old": "reset", "new": None},
            "hw_rng:allowed": {"old": None, "new": "true"},
        },
    }


def test_extra_specs_not_given_are_not_managed():
    current = cp.flavor_view(dict(NOVA_FLAVOR, extra_specs={"hw:watchdog_action": "reset"}))
    assert cp.plan_flavor(small(extra_specs=None), current).steps == []


def test_unused_flavor_with_new_sizes_is_replaced_keeping_its_id():
    plan = cp.plan_flavor(small(ram=4096, vcpus=2), cp.flavor_view(NOVA_FLAVOR), users=[])
    assert calls(plan) == [
        ("nova", "DELETE", "/flavors/7"),
        ("nova", "POST", "/flavors"),
        ("nova", "POST", "/flavors/Ref(key='flavor')/os-extra_specs"),
    ]
    assert plan.steps[1].body["flavor"]["id"] == "7"
    assert plan.steps[1].body["flavor"]["ram"] == 4096
    assert plan.changes["ram"] == {"old": 2048, "new": 4096}
    assert plan.changes["vcpus"] == {"old": 1, "new": 2}
    assert plan.changes["flavor"].startswith("replaced")


def test_used_flavor_with_new_sizes_is_refused_naming_the_servers():
    with pytest.raises(CommandExecutionError) as exc:
        cp.plan_flavor(small(ram=4096), cp.flavor_view(NOVA_FLAVOR), users=["web1", "db1"])
    message = str(exc.value)
    assert message.startswith("flavor m1.small: ram 2048 -> 4096;")
    assert "2 server(s) use it (db1, web1)" in message
    assert "Nothing was changed" in message


@pytest.mark.parametrize("field, value", [("disk", 40), ("ephemeral", 1), ("swap", 512),
                                          ("public", False), ("flavor_id", "70")])  # fmt: skip
def test_every_fixed_field_needs_a_replacement(field, value):
    spec = small(**{field: value})
    fixed = cp.flavor_fixed_changes(spec, cp.flavor_view(NOVA_FLAVOR))
    assert list(fixed) == ["id" if field == "flavor_id" else field]
    with pytest.raises(CommandExecutionError, match="Nothing was changed"):
        cp.plan_flavor(spec, cp.flavor_view(NOVA_FLAVOR), users=["vm"])


@pytest.mark.parametrize(
    "args, message",
    [
        ({"vcpus": 0}, "vcpus must be >= 1"),
        ({"ram": "2G"}, "ram must be an integer"),
        ({"public": "yes"}, "public must be true or false"),
        ({"extra_specs": ["x"]}, "extra_specs must be a mapping"),
        ({"name": ""}, "A flavor name must be a non-empty string"),
    ],
)
def test_bad_flavor_arguments(args, message):
    with pytest.raises(CommandExecutionError, match=message):
        small(**args)


# -- networks -----------------------------------------------------------------

PROVIDER = dict(shared=True, external=True, provider_network_type="flat",
                provider_physical_network="provider")  # fmt: skip


def test_new_network_body_uses_neutrons_attribute_names():
    plan = cn.plan_network(cn.network_spec("provider", **PROVIDER, mtu=1500), None, "p-admin")
    assert plan.steps[0].body == {"network": {
        "name": "provider", "project_id": "p-admin", "shared": True, "router:external": True,
        "provider:network_type": "flat", "provider:physical_network": "provider",
        "mtu": 1500}}  # fmt: skip
    assert plan.changes["network"]["old"] is None


def test_network_drift_is_corrected_in_place():
    current = dict(NEUTRON_NETWORK, shared=False, mtu=1450)
    plan = cn.plan_network(cn.network_spec("provider", **PROVIDER, mtu=1500), current, "p-admin")
    assert calls(plan) == [("neutron", "PUT", "/v2.0/networks/net-1")]
    assert plan.steps[0].body == {"network": {"shared": True, "mtu": 1500}}
    assert plan.changes == {"shared": {"old": False, "new": True},
                            "mtu": {"old": 1450, "new": 1500}}  # fmt: skip


def test_unmanaged_network_attributes_are_left_alone():
    plan = cn.plan_network(cn.network_spec("provider"), dict(NEUTRON_NETWORK, mtu=9000), "p")
    assert (plan.steps, plan.changes) == ([], {})


def test_provider_attribute_change_is_refused():
    spec = cn.network_spec("provider", **dict(PROVIDER, provider_physical_network="physnet2"),
                           mtu=1400)  # fmt: skip
    with pytest.raises(CommandExecutionError) as exc:
        cn.plan_network(spec, NEUTRON_NETWORK, "p-admin")
    assert str(exc.value) == (
        "network provider: provider_physical_network is 'provider' in Neutron, 'physnet2' "
        "wanted; it cannot change in place. Nothing was changed: delete the network (its "
        "ports and subnets first) or give the wanted one a new name."
    )


# -- subnets ------------------------------------------------------------------

POOL = [{"start": "203.0.113.100", "end": "203.0.113.199"}]


def provider_subnet(**changes):
    args = dict(gateway_ip="203.0.113.1", allocation_pools=POOL, dns_nameservers=[])
    args.update(changes)
    return cn.subnet_spec("provider", "provider", args.pop("cidr", "203.0.113.0/24"), **args)


def test_new_subnet_body():
    plan = cn.plan_subnet(provider_subnet(), None, "net-1", "p-admin")
    assert plan.steps[0].body == {"subnet": {
        "name": "provider", "network_id": "net-1", "project_id": "p-admin",
        "cidr": "203.0.113.0/24", "ip_version": 4, "gateway_ip": "203.0.113.1",
        "allocation_pools": POOL, "dns_nameservers": []}}  # fmt: skip


def test_unchanged_subnet_plans_nothing():
    plan = cn.plan_subnet(provider_subnet(), NEUTRON_SUBNET, "net-1", "p-admin")
    assert (plan.steps, plan.changes) == ([], {})


def test_subnet_pool_dns_and_dhcp_drift_is_updated():
    pools = [{"start": "203.0.113.150", "end": "203.0.113.159"},
             {"start": "203.0.113.50", "end": "203.0.113.59"}]  # fmt: skip
    spec = provider_subnet(allocation_pools=pools, dns_nameservers=["9.9.9.9"],
                           enable_dhcp=False)  # fmt: skip
    plan = cn.plan_subnet(spec, NEUTRON_SUBNET, "net-1", "p-admin")
    assert calls(plan) == [("neutron", "PUT", "/v2.0/subnets/sub-1")]
    # pools are compared and sent in address order
    assert plan.steps[0].body == {"subnet": {
        "allocation_pools": [pools[1], pools[0]], "dns_nameservers": ["9.9.9.9"],
        "enable_dhcp": False}}  # fmt: skip


def test_subnet_without_gateway():
    spec = provider_subnet(gateway_ip="none")
    plan = cn.plan_subnet(spec, NEUTRON_SUBNET, "net-1", "p-admin")
    assert plan.steps[0].body == {"subnet": {"gateway_ip": None}}


@pytest.mark.parametrize(
    "spec, network, message",
    [
        (provider_subnet(cidr="198.51.100.0/24", gateway_ip="198.51.100.1", allocation_pools=None),
         "net-1", "cidr is 203.0.113.0/24 in Neutron, 198.51.100.0/24 wanted"),
        (provider_subnet(), "net-2", "it belongs to network net-1, not to provider"),
    ],
)
def test_subnet_cidr_or_network_change_is_refused(spec, network, message):
    with pytest.raises(CommandExecutionError) as exc:
        cn.plan_subnet(spec, NEUTRON_SUBNET, network, "p-admin")
    assert message in str(exc.value)
    assert "Nothing was changed" in str(exc.value)


def test_subnet_cidr_with_host_bits_is_refused():
    with pytest.raises(CommandExecutionError, match="has host bits set"):
        cn.subnet_spec("s", "n", "10.0.0.1/24")


# -- routers ------------------------------------------------------------------


def test_new_router_with_gateway_and_interfaces():
    spec = cn.router_spec("router", external_network="provider", interfaces=["selfservice"])
    plan = cn.plan_router(spec, None, "p-admin", "net-1", {"selfservice": "sub-2"})
    assert calls(plan) == [("neutron", "POST", "/v2.0/routers"),
                           ("neutron", "PUT", "/v2.0/routers/Ref(key='router')/add_router_interface")]  # fmt: skip
    assert plan.steps[0].body == {"router": {"name": "router", "project_id": "p-admin",
                                             "external_gateway_info": {"network_id": "net-1"}}}  # fmt: skip
    assert plan.steps[1].body == {"subnet_id": "sub-2"}
    assert plan.changes == {"router": {"old": None, "new": {"external_network": "provider",
                                                            "interfaces": ["selfservice"]}}}  # fmt: skip


def test_router_gateway_snat_and_each_missing_interface():
    router = {"id": "rt-1", "name": "router", "admin_state_up": True,
              "external_gateway_info": {"network_id": "net-old", "enable_snat": True}}  # fmt: skip
    spec = cn.router_spec("router", external_network="provider", enable_snat=False,
                          interfaces=["a", "b"])  # fmt: skip
    plan = cn.plan_router(spec, router, "p-admin", "net-1", {"a": "sub-a", "b": "sub-b"},
                          attached={"sub-a"}, old_gateway_name="old-ext")  # fmt: skip
    assert calls(plan) == [("neutron", "PUT", "/v2.0/routers/rt-1"),
                           ("neutron", "PUT", "/v2.0/routers/rt-1/add_router_interface")]  # fmt: skip
    assert plan.steps[0].body == {"router": {"external_gateway_info": {
        "network_id": "net-1", "enable_snat": False}}}  # fmt: skip
    assert plan.steps[1].body == {"subnet_id": "sub-b"}
    assert plan.changes == {"external_network": {"old": "old-ext", "new": "provider"},
                            "enable_snat": {"old": True, "new": False},
                            "interfaces": {"added": ["b"]}}  # fmt: skip


def test_router_in_place_plans_nothing():
    router = {"id": "rt-1", "name": "router",
              "external_gateway_info": {"network_id": "net-1", "enable_snat": True}}  # fmt: skip
    spec = cn.router_spec("router", external_network="provider", interfaces=["a"])
    plan = cn.plan_router(spec, router, "p", "net-1", {"a": "sub-a"}, attached={"sub-a"})
    assert (plan.steps, plan.changes) == ([], {})


# -- security groups ----------------------------------------------------------


@pytest.mark.parametrize(
    "neutron, ours",
    [
        ({"protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}, {"protocol": "icmp"}),
        ({"protocol": "1"}, {"protocol": "icmp"}),
        ({"protocol": "ipv6-icmp", "ethertype": "IPv6"}, {"protocol": "icmp", "ethertype": "IPv6"}),
        ({"protocol": "58", "ethertype": "IPv6", "remote_ip_prefix": "::/0"},
         {"protocol": "icmpv6", "ethertype": "IPv6"}),
        ({"protocol": "tcp"}, {"protocol": "6", "port_range_min": 1, "port_range_max": 65535}),
        ({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}, {"protocol": "tcp", "port": 22}),
        ({"remote_ip_prefix": "10.0.0.0/8"}, {"remote_ip_prefix": "10.0.0.0/8"}),
    ],
)
def test_rules_neutron_counts_as_the_same(neutron, ours):
    have = cn.rule_key(neutron_rule("r", **neutron))
    want = cn.rule_key(dict(cn.rule_spec(ours, "rule"), remote_group_id=None))
    assert have == want


@pytest.mark.parametrize(
    "neutron, ours",
    [
        ({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}, {"protocol": "tcp", "port": 2222}),
        ({"protocol": "icmp"}, {"protocol": "icmp", "ethertype": "IPv6"}),
        ({"protocol": "tcp"}, {"protocol": "udp"}),
        ({"remote_ip_prefix": "10.0.0.0/8"}, {"remote_ip_prefix": "10.0.0.0/16"}),
        ({"direction": "egress"}, {}),
    ],
)
def test_rules_neutron_counts_as_different(neutron, ours):
    have = cn.rule_key(neutron_rule("r", **neutron))
    want = cn.rule_key(dict(cn.rule_spec(ours, "rule"), remote_group_id=None))
    assert have != want


def test_the_cli_formulas_rules_are_already_there():
    spec = cn.security_group_spec("default", rules=GUIDE_RULES)
    plan = cn.plan_security_group(spec, DEFAULT_GROUP, {"default": "sg-default"}, "p-admin")
    assert (plan.steps, plan.changes) == ([], {})


def test_a_rule_deleted_by_hand_is_restored():
    group = copy.deepcopy(DEFAULT_GROUP)
    group["security_group_rules"] = [r for r in group["security_group_rules"] if r["id"] != "r-ssh"]
    spec = cn.security_group_spec("default", rules=GUIDE_RULES)
    plan = cn.plan_security_group(spec, group, {"default": "sg-default"}, "p-admin")
    assert calls(plan) == [("neutron", "POST", "/v2.0/security-group-rules")]
    assert plan.steps[0].body == {"security_group_rule": {
        "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22,
        "port_range_max": 22, "security_group_id": "sg-default"}}  # fmt: skip
    assert plan.changes == {"rules": {"added": ["ingress IPv4 tcp 22 from any"]}}


def test_unlisted_rules_stay_unless_remove_unlisted():
    rules = [{"protocol": "icmp"}, {"protocol": "tcp", "port": 2222}]
    kept = cn.plan_security_group(cn.security_group_spec("default", rules=rules),
                                  DEFAULT_GROUP, {"default": "sg-default"}, "p")  # fmt: skip
    assert kept.changes == {"rules": {"added": ["ingress IPv4 tcp 2222 from any"]}}
    pruned = cn.plan_security_group(
        cn.security_group_spec("default", rules=rules + [{"remote_group": "default"}],
                               remove_unlisted=True),
        DEFAULT_GROUP, {"default": "sg-default"}, "p")  # fmt: skip
    assert calls(pruned) == [("neutron", "POST", "/v2.0/security-group-rules")] + [
        ("neutron", "DELETE", f"/v2.0/security-group-rules/{rule}")
        for rule in ("r-e4", "r-e6", "r-i6", "r-ssh")
    ]
    assert pruned.changes["rules"]["removed"] == [
        "egress IPv4 any to any", "egress IPv6 any to any",
        "ingress IPv6 any from group default", "ingress IPv4 tcp 22 from 0.0.0.0/0",
    ]  # fmt: skip


def test_new_group_rules_against_neutrons_egress_rules():
    spec = cn.security_group_spec("web", description="HTTP in", remove_unlisted=True,
                                  rules=[{"protocol": "tcp", "port": 80},
                                         {"remote_group": "web"}])  # fmt: skip
    plan = cn.plan_security_group(spec, None, {"default": "sg-default"}, "p-admin")
    assert calls(plan) == [("neutron", "POST", "/v2.0/security-groups")] + [
        ("neutron", "POST", "/v2.0/security-group-rules")] * 2
    assert plan.steps[2].body["security_group_rule"]["remote_group_id"] == cp.Ref("group")
    assert plan.changes == {
        "security_group": {"old": None, "new": {"description": "HTTP in"}},
        "rules": {"added": ["ingress IPv4 tcp 80 from any", "ingress IPv4 any from group web"],
                  "removed": ["egress IPv4 any to any", "egress IPv6 any to any"]},
    }  # fmt: skip


def test_unknown_remote_group_is_refused():
    spec = cn.security_group_spec("default", rules=[{"remote_group": "db"}])
    with pytest.raises(CommandExecutionError, match="remote_group db is not a security group"):
        cn.plan_security_group(spec, DEFAULT_GROUP, {"default": "sg-default"}, "p")


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"protocol": "tcp", "ports": 22}, "unknown key(s) ports"),
        ({"port": 22}, "protocol any has no ports"),
        ({"protocol": "icmp", "port_range_min": 300}, "ICMP type and code are 0 to 255"),
        ({"protocol": "gre", "port": 1}, "protocol gre has no ports"),
        ({"ethertype": "IPv4", "remote_ip_prefix": "2001:db8::/32"}, "is not IPv4"),
        ({"protocol": 256}, "protocol number 256 is not between 0 and 255"),
    ],
)
def test_bad_rules(rule, message):
    with pytest.raises(CommandExecutionError) as exc:
        cn.rule_spec(rule, "rule 0")
    assert str(exc.value).startswith("rule 0: ")
    assert message in str(exc.value)


# -- descriptions and names ----------------------------------------------------

#: Each resource's description as its spec takes it, with the API's limit.
DESCRIBED = [
    (lambda d: cp.flavor_spec("m1.x", 1, 64, 1, description=d), cp.NOVA_DESCRIPTION_MAX),
    (lambda d: cn.network_spec("net", description=d), cp.NEUTRON_DESCRIPTION_MAX),
    (lambda d: cn.subnet_spec("sub", "net", "10.0.0.0/24", description=d),
     cp.NEUTRON_DESCRIPTION_MAX),
    (lambda d: cn.router_spec("router", description=d), cp.NEUTRON_DESCRIPTION_MAX),
    (lambda d: cn.security_group_spec("web", description=d), cp.NEUTRON_DESCRIPTION_MAX),
]  # fmt: skip


def test_api_description_limits():
    # Nova's flavor description (2.55) and Neutron's DESCRIPTION_FIELD_SIZE
    assert (cp.NOVA_DESCRIPTION_MAX, cp.NEUTRON_DESCRIPTION_MAX) == (65535, 255)


@pytest.mark.parametrize("spec, maximum", DESCRIBED)
def test_a_description_up_to_the_apis_limit_is_taken(spec, maximum):
    text = "Web servers: HTTP(S) in, é ok " + "x" * (maximum - 30)
    assert len(text) == maximum
    assert text in str(spec(text))
    assert "''" in str(spec(""))  # an empty description clears it


@pytest.mark.parametrize("spec, maximum", DESCRIBED)
def test_a_description_over_the_apis_limit_is_refused(spec, maximum):
    with pytest.raises(CommandExecutionError,
                       match=f": description: {maximum + 1} characters, more than the {maximum}"):
        spec("x" * (maximum + 1))


@pytest.mark.parametrize("spec, _", DESCRIBED)
@pytest.mark.parametrize("char", ["\n", "\t", "\r", "\x00", "\x1b", "\x7f", "\x85"])
def test_a_description_with_a_control_character_is_refused(spec, _, char):
    with pytest.raises(CommandExecutionError,
                       match=rf"description: has a control character \(U\+{ord(char):04X} at "
                             r"position 3\)"):
        spec("two" + char + "lines")


@pytest.mark.parametrize("make, kind", [
    (lambda n: cn.network_spec(n), "network"),
    (lambda n: cn.subnet_spec(n, "net", "10.0.0.0/24"), "subnet"),
    (lambda n: cn.router_spec(n), "router"),
    (lambda n: cn.security_group_spec(n), "security group"),
    (lambda n: cn.rule_spec({"remote_group": n}, "rule 0"), "remote group"),
])  # fmt: skip
def test_neutron_names_refuse_control_characters_and_over_255(make, kind):
    assert make("web servers é" + "x" * 242)  # 255 characters
    with pytest.raises(CommandExecutionError, match=f"A {kind} name has at most 255 characters"):
        make("x" * 256)
    with pytest.raises(CommandExecutionError,
                       match=rf"A {kind} name must not contain control characters, got "
                             r"'web\\nservers' \(U\+000A at position 3\)"):
        make("web\nservers")


# -- ICMP type and code ----------------------------------------------------------


@pytest.mark.parametrize("rule, low, high", [
    ({"protocol": "icmp"}, None, None),
    ({"protocol": "icmp", "icmp_type": 8}, 8, None),
    ({"protocol": "icmp", "icmp_type": 3, "icmp_code": 4}, 3, 4),
    ({"protocol": "icmp", "icmp_type": 0, "icmp_code": 0}, 0, 0),
    ({"protocol": "ipv6-icmp", "ethertype": "IPv6", "icmp_type": 128}, 128, None),
    ({"protocol": "1", "icmp_type": "8"}, 8, None),
    # Neutron's own names stay: they are what rule_spec gives back
    ({"protocol": "icmp", "port_range_min": 8, "port_range_max": 0}, 8, 0),
])  # fmt: skip
def test_icmp_type_and_code_are_neutrons_port_range(rule, low, high):
    spec = cn.rule_spec(rule, "rule 0")
    assert (spec["port_range_min"], spec["port_range_max"]) == (low, high)
    assert cn.rule_spec(spec, "rule 0") == spec  # the state gets the rule in this form


@pytest.mark.parametrize("protocol", ["ipv6-icmp", "icmpv6", "58"])
def test_icmpv6_is_ipv6_unless_said_otherwise(protocol):
    spec = cn.rule_spec({"protocol": protocol, "icmp_type": 128}, "rule 0")
    assert spec["ethertype"] == "IPv6"
    assert cn.rule_spec(spec, "rule 0") == spec


def test_icmp_type_rule_matches_neutrons_and_its_body():
    neutron = neutron_rule("r-ping", protocol="icmp", port_range_min=8)
    ours = cn.rule_spec({"protocol": "icmp", "icmp_type": 8}, "rule 0")
    assert cn.rule_key(dict(ours, remote_group_id=None)) == cn.rule_key(neutron)
    spec = cn.security_group_spec("web", rules=[{"protocol": "icmp", "icmp_type": 8},
                                                {"protocol": "icmp"}])  # fmt: skip
    plan = cn.plan_security_group(spec, None, {}, "p")
    assert [s.body["security_group_rule"] for s in plan.steps[1:]] == [
        {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp", "port_range_min": 8,
         "security_group_id": cp.Ref("group")},
        {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp",
         "security_group_id": cp.Ref("group")},
    ]  # fmt: skip
    assert plan.changes["rules"]["added"] == ["ingress IPv4 icmp type 8 from any",
                                              "ingress IPv4 icmp from any"]  # fmt: skip


@pytest.mark.parametrize("rule, message", [
    ({"protocol": "icmp", "port": 8}, "protocol icmp has no ports: give icmp_type (and icmp_code)"),
    ({"protocol": "ipv6-icmp", "ethertype": "IPv6", "port": 128},
     "protocol ipv6-icmp has no ports: give icmp_type"),
    ({"protocol": "icmp", "port": 8, "icmp_type": 8}, "has no ports: give icmp_type"),
    ({"protocol": "icmp", "icmp_code": 0}, "icmp_code needs an icmp_type"),
    ({"protocol": "icmp", "icmp_type": 8, "port_range_min": 8},
     "give icmp_type/icmp_code or port_range_min/max, not both"),
    ({"protocol": "icmp", "icmp_type": 256}, "ICMP type and code are 0 to 255"),
    ({"protocol": "icmp", "icmp_type": 3, "icmp_code": -1}, "icmp_code must be >= 0"),
    ({"protocol": "icmp", "icmp_type": "echo"}, "icmp_type must be an integer"),
    ({"protocol": "tcp", "icmp_type": 8}, "icmp_type and icmp_code are for protocol icmp or "
                                          "ipv6-icmp, not tcp"),
    ({"icmp_code": 0}, "are for protocol icmp or ipv6-icmp, not any"),
    # Neutron refuses ICMPv6 over IPv4
    ({"protocol": "ipv6-icmp", "ethertype": "IPv4"}, "protocol ipv6-icmp is IPv6, not IPv4"),
    ({"protocol": "icmpv6", "remote_ip_prefix": "10.0.0.0/8"}, "protocol icmpv6 is IPv6, not IPv4"),
])  # fmt: skip
def test_bad_icmp_rules(rule, message):
    with pytest.raises(CommandExecutionError) as exc:
        cn.rule_spec(rule, "rule 0")
    assert str(exc.value).startswith("rule 0: ")
    assert message in str(exc.value)


# -- images (Glance v2) --------------------------------------------------------

# An image as Glance 2025.1 returns it (GET /v2/images/{id}), with two
# properties and a kernel and ramdisk.
GLANCE_IMAGE = {
    "id": "img-1",
    "name": "guest",
    "status": "active",
    "visibility": "public",
    "protected": False,
    "os_hidden": False,
    "checksum": "c" * 32,
    "os_hash_algo": "sha512",
    "os_hash_value": "a" * 128,
    "owner": "p-admin",
    "size": 1024,
    "virtual_size": 1024,
    "min_ram": 0,
    "min_disk": 0,
    "disk_format": "raw",
    "container_format": "bare",
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:01Z",
    "tags": [],
    "self": "/v2/images/img-1",
    "file": "/v2/images/img-1/file",
    "schema": "/v2/schemas/image",
    "stores": "file",
    "kernel_id": "k-1",
    "ramdisk_id": "r-1",
    "os_distro": "debian",
    "hw_rng_model": "virtio",
}
SAME_FILE = {"size": 1024, "hashes": {"sha512": "a" * 128}}
REFS = {"kernel_id": "k-1", "ramdisk_id": "r-1"}


def _image_spec(**changes):
    args = {"disk_format": "raw", "kernel": "vmlinuz", "ramdisk": "initrd",
            "properties": {"os_distro": "debian"}}  # fmt: skip
    args.update(changes)
    return ci.image_spec("guest", "/var/cache/images/guest", **args)


def _glance(**changes):
    return ci.image_view({**copy.deepcopy(GLANCE_IMAGE), **changes})


def test_image_as_declared_plans_nothing():
    plan = ci.plan_image(_image_spec(), _glance(), REFS, SAME_FILE)
    assert (plan.delete, plan.create, plan.upload, plan.patch, plan.changes) == (
        None, None, False, [], {})  # fmt: skip


def test_new_image_is_created_and_uploaded_with_its_properties():
    plan = ci.plan_image(_image_spec(properties={"hw:rng": True}), None, REFS,
                         {"size": 10, "hashes": {}})  # fmt: skip
    assert plan.create == {"name": "guest", "disk_format": "raw", "container_format": "bare",
                           "visibility": "public", "kernel_id": "k-1", "ramdisk_id": "r-1",
                           "hw:rng": "true"}  # fmt: skip
    assert plan.upload and plan.delete is None and plan.patch == []
    assert plan.changes == {"image": {"old": None, "new": {
        "disk_format": "raw", "container_format": "bare", "visibility": "public",
        "kernel": "k-1", "ramdisk": "r-1", "properties": {"hw:rng": "true"}, "size": 10}}}


@pytest.mark.parametrize("status", ["queued", "saving", "killed", "uploading", "importing"])
def test_partial_upload_is_replaced(status):
    plan = ci.plan_image(_image_spec(), _glance(status=status, size=None, checksum=None,
                                                os_hash_algo=None, os_hash_value=None),
                         REFS, SAME_FILE)  # fmt: skip
    assert (plan.delete, plan.upload) == ("img-1", True)
    assert plan.create["name"] == "guest" and plan.patch == []
    assert plan.changes["image"] == (f"replaced: a partial upload (status {status}); "
                                     "deleted and uploaded again")  # fmt: skip
    assert plan.changes["status"] == {"old": status, "new": "active"}


@pytest.mark.parametrize("local, why", [
    ({"size": 1024, "hashes": {"sha512": "b" * 128}}, "sha512 differs"),
    ({"size": 999, "hashes": {}}, "size 1024 in Glance, 999 bytes in the file"),
])  # fmt: skip
def test_active_image_with_other_data_is_replaced(local, why):
    plan = ci.plan_image(_image_spec(), _glance(), REFS, local)
    assert (plan.delete, plan.upload) == ("img-1", True)
    assert plan.changes["image"] == ("replaced: its data differs from /var/cache/images/guest "
                                     f"({why}); deleted and uploaded again")  # fmt: skip
    assert plan.changes["data"]["old"] == "1024 bytes, sha512 " + "a" * 128


def test_md5_checksum_is_compared_when_glance_has_no_os_hash():
    glance = _glance(os_hash_algo=None, os_hash_value=None)
    same = ci.plan_image(_image_spec(), glance, REFS, {"size": 1024, "hashes": {"md5": "c" * 32}})
    assert same.changes == {}
    other = ci.plan_image(_image_spec(), glance, REFS, {"size": 1024, "hashes": {"md5": "d" * 32}})
    assert other.delete == "img-1"


def test_drift_is_patched_in_place():
    spec = _image_spec(visibility="private", properties={"os_distro": "ubuntu", "a/b~c": 1})
    plan = ci.plan_image(spec, _glance(kernel_id=None), REFS, SAME_FILE)
    assert (plan.image_id, plan.delete, plan.create, plan.upload) == ("img-1", None, None, False)
    assert plan.patch == [
        {"op": "replace", "path": "/visibility", "value": "private"},
        {"op": "add", "path": "/kernel_id", "value": "k-1"},
        {"op": "add", "path": "/a~1b~0c", "value": "1"},
        {"op": "replace", "path": "/os_distro", "value": "ubuntu"},
    ]
    assert plan.changes == {
        "visibility": {"old": "public", "new": "private"},
        "kernel": {"old": None, "new": "k-1"},
        "properties": {"a/b~c": {"old": None, "new": "1"},
                       "os_distro": {"old": "debian", "new": "ubuntu"}},
    }  # fmt: skip


def test_unlisted_properties_and_unmanaged_fields_are_kept():
    spec = _image_spec(kernel=None, ramdisk=None, properties=None)
    assert ci.plan_image(spec, _glance(os_distro="x"), {}, SAME_FILE).changes == {}


@pytest.mark.parametrize("field, value", [("disk_format", "qcow2"), ("container_format", "ovf")])
def test_format_of_the_same_data_is_refused(field, value):
    with pytest.raises(CommandExecutionError) as error:
        ci.plan_image(_image_spec(**{field: value}), _glance(), REFS, SAME_FILE)
    old = GLANCE_IMAGE[field]
    assert str(error.value).startswith(
        f"image guest: {field} is {old!r} in Glance, {value!r} wanted; it cannot change in "
        "place. Nothing was changed: ")


def test_format_changes_with_new_data_replace_the_image():
    plan = ci.plan_image(_image_spec(disk_format="qcow2"), _glance(), REFS,
                         {"size": 5, "hashes": {}})  # fmt: skip
    assert plan.delete == "img-1" and plan.create["disk_format"] == "qcow2"
    assert plan.changes["disk_format"] == {"old": "raw", "new": "qcow2"}


def test_dry_run_without_the_file_says_the_data_is_not_checked():
    plan = ci.plan_image(_image_spec(), _glance(), REFS, None)
    assert plan.changes == {"data": "not checked: /var/cache/images/guest is not downloaded yet"}
    assert ci.plan_image(_image_spec(), None, REFS, None).changes["image"]["new"].get("size") is None


def test_image_in_another_status_is_refused():
    with pytest.raises(CommandExecutionError, match="has status pending_delete; nothing was"):
        ci.plan_image(_image_spec(), _glance(status="pending_delete"), REFS, SAME_FILE)


@pytest.mark.parametrize("args, fragment", [
    ({"disk_format": "qcow3"}, "disk_format must be one of"),
    ({"visibility": "all"}, "visibility must be one of public, private, shared, community"),
    ({"kernel": "guest"}, "kernel must name another image"),
    ({"properties": {"kernel_id": "x", "size": 1}}, "kernel_id, size are Glance's own fields"),
    ({"properties": ["a"]}, "properties must be a mapping"),
])  # fmt: skip
def test_image_spec_refuses(args, fragment):
    with pytest.raises(CommandExecutionError, match=fragment):
        _image_spec(**args)
    with pytest.raises(CommandExecutionError, match="filename must be an absolute path"):
        ci.image_spec("guest", "guest.img")


# -- quotas --------------------------------------------------------------------


def test_quota_plan_puts_only_what_differs_per_service():
    spec = cp.quota_spec("demo", cores=20, instances=4, ports=-1, networks=None)
    current = {"nova": {"cores": 20, "instances": 10}, "neutron": {"port": 500, "network": 100}}
    plan = cp.plan_quota(spec, current, "p/1")
    assert cp.quota_services(spec) == ["nova", "neutron"]
    assert [(s.service, s.method, s.path, s.body) for s in plan.steps] == [
        ("nova", "PUT", ("/os-quota-sets/p%2F1",), {"quota_set": {"instances": 4}}),
        ("neutron", "PUT", ("/v2.0/quotas/p%2F1",), {"quota": {"port": -1}}),
    ]
    assert plan.changes == {"instances": {"old": 10, "new": 4}, "ports": {"old": 500, "new": -1}}
    same = {"nova": {"cores": 20, "instances": 4}, "neutron": {"port": -1}}
    assert cp.plan_quota(spec, same, "p1").steps == []


@pytest.mark.parametrize("limits, fragment", [
    ({"cores": -2}, "quota demo: cores must be >= -1, got -2"),
    ({"cores": "many"}, "quota demo: cores must be an integer"),
    ({"volumes": 1}, "unknown quota volumes; known: cores, instances"),
])  # fmt: skip
def test_quota_spec_refuses(limits, fragment):
    with pytest.raises(CommandExecutionError, match=fragment):
        cp.quota_spec("demo", **limits)


# -- Cinder volume types --------------------------------------------------------

CINDER_VOLUME_TYPE = {
    "id": "6685584b-1eac-4da6-b5c3-555430cf68ff",
    "name": "ceph",
    "description": None,
    "is_public": True,
    "os-volume-type-access:is_public": True,
    "qos_specs_id": None,
    "extra_specs": {"volume_backend_name": "ceph"},
}


def _volume_type(**changes):
    return cp.volume_type_view(dict(copy.deepcopy(CINDER_VOLUME_TYPE), **changes))


def test_new_volume_type_is_created_with_its_extra_specs_in_one_call():
    spec = cp.volume_type_spec("ceph", extra_specs={"volume_backend_name": "ceph"})
    plan = cp.plan_volume_type(spec, None)
    assert [(s.service, s.method, s.path, s.body) for s in plan.steps] == [
        ("cinder", "POST", ("/types",), {"volume_type": {
            "name": "ceph", "os-volume-type-access:is_public": True,
            "extra_specs": {"volume_backend_name": "ceph"}}})]
    assert plan.changes == {"volume_type": {"old": None, "new": {
        "public": True, "extra_specs": {"volume_backend_name": "ceph"}}}}


def test_volume_type_as_declared_plans_nothing():
    spec = cp.volume_type_spec("ceph", extra_specs={"volume_backend_name": "ceph"})
    plan = cp.plan_volume_type(spec, _volume_type())
    assert (plan.steps, plan.changes) == ([], {})


def test_a_drifted_backend_name_and_visibility_are_corrected_unlisted_specs_kept():
    spec = cp.volume_type_spec("ceph", description="Ceph RBD",
                               extra_specs={"volume_backend_name": "ceph"})
    current = _volume_type(**{"os-volume-type-access:is_public": False, "extra_specs": {
        "volume_backend_name": "lvm", "replication_enabled": "<is> False"}})
    plan = cp.plan_volume_type(spec, current)
    path = "/types/" + CINDER_VOLUME_TYPE["id"]
    assert [(s.method, s.path, s.body) for s in plan.steps] == [
        ("PUT", (path,), {"volume_type": {"is_public": True, "description": "Ceph RBD"}}),
        ("POST", (path + "/extra_specs",), {"extra_specs": {"volume_backend_name": "ceph"}})]
    assert plan.changes == {
        "public": {"old": False, "new": True},
        "description": {"old": None, "new": "Ceph RBD"},
        "extra_specs": {"volume_backend_name": {"old": "lvm", "new": "ceph"}}}


def test_volume_type_fields_not_given_are_not_managed():
    current = _volume_type(description="by hand", extra_specs={"x": "1"})
    plan = cp.plan_volume_type(cp.volume_type_spec("ceph"), current)
    assert (plan.steps, plan.changes) == ([], {})


@pytest.mark.parametrize("args, fragment", [
    ({"name": ""}, "A volume type name must be a non-empty string"),
    ({"name": None}, "A volume type name must be a non-empty string"),
    ({"name": "a\nb"}, "a name is one line of at most 255 characters"),
    ({"name": "x" * 256}, "a name is one line of at most 255 characters"),
    ({"name": "t", "public": "yes"}, "volume type t: public must be true or false"),
    ({"name": "t", "extra_specs": ["volume_backend_name"]}, "extra_specs must be a mapping"),
    ({"name": "t", "description": "x" * 256}, "more than the 255 the API takes"),
])
def test_volume_type_spec_refuses(args, fragment):
    with pytest.raises(CommandExecutionError, match=fragment):
        cp.volume_type_spec(**args)


def test_volume_type_extra_spec_values_are_strings():
    spec = cp.volume_type_spec("t", extra_specs={"volume_backend_name": "t", "multiattach": True})
    assert spec["extra_specs"] == {"volume_backend_name": "t", "multiattach": "true"}
