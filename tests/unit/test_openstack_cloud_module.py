"""
The openstack_cloud execution module against tests/fake_cloud.py (Nova and
Neutron as their 2025.1 API reference shows them, see there): the example
cloud applied, re-applied without a call that writes, predicted exactly in
test mode; drift corrected or refused without a write; one login per run.
"""
import copy
import json

import pytest
import requests
from salt.exceptions import CommandExecutionError

from fake_cloud import IDENTITY, VOLUME, FakeCloud, mount, neutron_error
from saltext_openstack._modules import openstack_cloud as oc
from saltext_openstack._utils import saltext_openstack_api as api
from saltext_openstack._utils import saltext_openstack_cloud as cp
from saltext_openstack._utils import saltext_openstack_cloud_calls as calls

PASSWORD = "admin-secret"
AUTH = {"auth_url": IDENTITY, "password": PASSWORD}


@pytest.fixture
def fake(monkeypatch):
    cloud = FakeCloud(PASSWORD)
    mount(monkeypatch, cloud, requests)
    monkeypatch.setattr(oc, "__opts__", {}, raising=False)
    monkeypatch.setattr(oc, "__pillar__", {}, raising=False)
    monkeypatch.setattr(oc, "__context__", {}, raising=False)
    monkeypatch.setattr(oc, "RETRY_PAUSES", ())
    return cloud


# What the cloud formulas declare from the example pillar (cloud/*.sls).
EXAMPLE = [
    ("flavor_present", "m1.nano", {"vcpus": 1, "ram": 128, "disk": 1, "extra_specs": {}}),
    ("flavor_present", "m1.small", {"vcpus": 1, "ram": 2048, "disk": 20, "extra_specs": {}}),
    ("network_present", "provider", {"shared": True, "external": True,
                                     "provider_network_type": "flat",
                                     "provider_physical_network": "provider"}),
    ("subnet_present", "provider", {"network": "provider", "cidr": "203.0.113.0/24",
                                    "gateway_ip": "203.0.113.1", "dns_nameservers": [],
                                    "allocation_pools": [{"start": "203.0.113.100",
                                                          "end": "203.0.113.199"}]}),
    ("network_present", "selfservice", {"shared": False, "external": False}),
    ("subnet_present", "selfservice", {"network": "selfservice", "cidr": "172.16.1.0/24",
                                       "gateway_ip": "172.16.1.1", "dns_nameservers": []}),
    ("router_present", "router", {"external_network": "provider", "interfaces": ["selfservice"]}),
    ("security_group_present", "default", {"rules": [{"protocol": "icmp"},
                                                     {"protocol": "tcp", "port": 22}]}),
]  # fmt: skip


def apply(example=EXAMPLE, test=False):
    return [getattr(oc, function)(name, test=test, **copy.deepcopy(args), **AUTH)
            for function, name, args in example]  # fmt: skip


def test_example_cloud_created_then_left_alone(fake):
    first = apply()
    assert first[0] == {"flavor": {"old": None, "new": {
        "vcpus": 1, "ram": 128, "disk": 1, "ephemeral": 0, "swap": 0, "public": True,
        "extra_specs": {}}}}  # fmt: skip
    assert first[6] == {"router": {"old": None, "new": {"external_network": "provider",
                                                        "interfaces": ["selfservice"]}}}  # fmt: skip
    assert first[7] == {"rules": {"added": ["ingress IPv4 icmp from any",
                                            "ingress IPv4 tcp 22 from any"]}}  # fmt: skip
    assert all(first)
    router = next(iter(fake.routers.values()))
    provider = next(n for n in fake.networks.values() if n["name"] == "provider")
    assert router["external_gateway_info"]["network_id"] == provider["id"]
    assert [p["device_owner"] for p in fake.ports.values()] == ["network:router_interface"]
    writes = len(fake.writes())
    assert apply() == [{}] * len(EXAMPLE)
    assert len(fake.writes()) == writes  # the second run wrote nothing
    assert fake.logins == 1  # one login served both runs


def test_test_mode_predicts_the_changes_and_writes_nothing(fake):
    predicted = apply(test=True)
    assert fake.writes() == []
    assert predicted == apply()


def test_test_mode_on_a_half_made_cloud(fake):
    """Dependencies to be created by earlier states are predicted, not errors."""
    predicted = apply(EXAMPLE[6:7], test=True)
    assert predicted == [{"router": {"old": None, "new": {"external_network": "provider",
                                                          "interfaces": ["selfservice"]}}}]  # fmt: skip
    with pytest.raises(CommandExecutionError, match="external network provider, subnet "
                                                    "selfservice does not exist"):  # fmt: skip
        apply(EXAMPLE[6:7])
    assert fake.writes() == []


def _edit(name, function="subnet_present", **changes):
    example = copy.deepcopy(EXAMPLE)
    for entry in example:
        if entry[0] == function and entry[1] == name:
            entry[2].update(changes)
    return example


def test_drift_is_corrected_and_reported(fake):
    apply()
    fake.calls.clear()
    example = _edit("provider", allocation_pools=[{"start": "203.0.113.120", "end": "203.0.113.140"}])
    example = [e if e[1] != "m1.small" else (e[0], e[1], dict(e[2], extra_specs={"hw:cpu_policy": "shared"}))
               for e in example]  # fmt: skip
    changes = apply(example)
    assert changes[1] == {"extra_specs": {"hw:cpu_policy": {"old": None, "new": "shared"}}}
    assert changes[3] == {"allocation_pools": {
        "old": [{"start": "203.0.113.100", "end": "203.0.113.199"}],
        "new": [{"start": "203.0.113.120", "end": "203.0.113.140"}]}}  # fmt: skip
    assert sum(1 for c in changes if c) == 2
    subnet = next(s for s in fake.subnets.values() if s["name"] == "provider")
    assert subnet["allocation_pools"] == [{"start": "203.0.113.120", "end": "203.0.113.140"}]
    assert apply(example) == [{}] * len(EXAMPLE)


def test_subnet_cidr_change_fails_and_changes_nothing(fake):
    apply()
    fake.calls.clear()
    example = _edit("selfservice", cidr="172.16.2.0/24", gateway_ip="172.16.2.1")
    with pytest.raises(CommandExecutionError) as exc:
        oc.subnet_present("selfservice", test=False, **example[5][2], **AUTH)
    assert "cidr is 172.16.1.0/24 in Neutron, 172.16.2.0/24 wanted" in str(exc.value)
    assert fake.writes() == []


def test_provider_change_fails_and_changes_nothing(fake):
    apply()
    fake.calls.clear()
    with pytest.raises(CommandExecutionError, match="provider_physical_network is 'provider'"):
        oc.network_present("provider", shared=True, mtu=1400, provider_network_type="flat",
                           provider_physical_network="physnet2", **AUTH)  # fmt: skip
    assert fake.writes() == []


def test_flavor_resized_when_unused_refused_when_used(fake):
    apply()
    old_id = next(f["id"] for f in fake.flavors.values() if f["name"] == "m1.small")
    changes = oc.flavor_present("m1.small", 2, 4096, 20, extra_specs={"hw:cpu_policy": "shared"},
                                **AUTH)  # fmt: skip
    assert changes["ram"] == {"old": 2048, "new": 4096}
    assert changes["flavor"].startswith("replaced")
    (flavor,) = [f for f in fake.flavors.values() if f["name"] == "m1.small"]
    assert (flavor["id"], flavor["vcpus"], flavor["ram"]) == (old_id, 2, 4096)
    assert flavor["extra_specs"] == {"hw:cpu_policy": "shared"}

    fake.servers.append({"id": "vm-1", "name": "web1", "flavor_id": old_id})
    fake.calls.clear()
    with pytest.raises(CommandExecutionError) as exc:
        oc.flavor_present("m1.small", 2, 8192, 20, test=True, **AUTH)
    assert "1 server(s) use it (web1)" in str(exc.value)
    with pytest.raises(CommandExecutionError):
        oc.flavor_present("m1.small", 2, 8192, 20, **AUTH)
    assert fake.writes() == []
    assert fake.flavors[old_id]["ram"] == 4096


def test_rule_deleted_by_hand_is_restored_and_edited_rule_replaced(fake):
    apply()
    ssh = next(r for r in fake.rules.values() if r["port_range_min"] == 22)
    del fake.rules[ssh["id"]]
    assert apply(EXAMPLE[7:]) == [{"rules": {"added": ["ingress IPv4 tcp 22 from any"]}}]

    # the pillar's SSH port edited, with remove_unlisted (and Neutron's own
    # default rules listed so that they stay)
    rules = [{"protocol": "icmp"}, {"protocol": "tcp", "port": 2222},
             {"direction": "egress"}, {"direction": "egress", "ethertype": "IPv6"},
             {"remote_group": "default"}, {"remote_group": "default", "ethertype": "IPv6"}]  # fmt: skip
    changes = oc.security_group_present("default", rules=rules, remove_unlisted=True, **AUTH)
    assert changes == {"rules": {"added": ["ingress IPv4 tcp 2222 from any"],
                                 "removed": ["ingress IPv4 tcp 22 from any"]}}  # fmt: skip
    ports = sorted(r["port_range_min"] or 0 for r in fake.rules.values())
    assert ports == [0, 0, 0, 0, 0, 2222]
    assert oc.security_group_present("default", rules=rules, remove_unlisted=True, **AUTH) == {}


def test_new_group_with_remove_unlisted_converges_in_one_run(fake):
    rules = [{"protocol": "tcp", "port": 80}, {"remote_group": "web"}]
    changes = oc.security_group_present("web", description="HTTP", rules=rules,
                                        remove_unlisted=True, **AUTH)  # fmt: skip
    assert changes["rules"]["removed"] == ["egress IPv4 any to any", "egress IPv6 any to any"]
    group = next(g for g in fake.groups.values() if g["name"] == "web")
    mine = [r for r in fake.rules.values() if r["security_group_id"] == group["id"]]
    assert sorted(((r["protocol"], r["remote_group_id"]) for r in mine), key=str) == sorted(
        [("tcp", None), (None, group["id"])], key=str)
    assert oc.security_group_present("web", description="HTTP", rules=rules,
                                     remove_unlisted=True, **AUTH) == {}  # fmt: skip


def test_router_interface_added_on_its_own(fake):
    apply()
    oc.network_present("backend", **AUTH)
    oc.subnet_present("backend", "backend", "172.16.9.0/24", **AUTH)
    changes = oc.router_present("router", external_network="provider",
                                interfaces=["selfservice", "backend"], **AUTH)  # fmt: skip
    assert changes == {"interfaces": {"added": ["backend"]}}
    adds = [c for c in fake.calls if c[1].endswith("/add_router_interface")]
    assert [c[3] for c in adds][-1] == {"subnet_id": next(
        s["id"] for s in fake.subnets.values() if s["name"] == "backend")}
    assert len(adds) == 2  # selfservice's, once, at creation


def _router_writes(fake):
    return [(m, p) for m, p in fake.writes() if p.startswith("/v2.0/routers")]


def test_a_router_left_half_made_is_completed_never_made_twice(fake, monkeypatch):
    """Issue 11 item 12: the router was created (with its gateway) and
    adding the subnet's interface failed; the next run adds the interface
    alone, and a third changes nothing.  One router throughout."""
    apply(EXAMPLE[:6])
    answer = fake.routers_api

    def interface_fails_once(method, rest, query, data):
        if rest[1:] == ["add_router_interface"] and not getattr(fake, "failed", False):
            fake.failed = True
            raise neutron_error(500, "HTTPInternalServerError", "Request Failed: internal "
                                                                "server error.")  # fmt: skip
        return answer(method, rest, query, data)

    monkeypatch.setattr(fake, "routers_api", interface_fails_once)
    with pytest.raises(CommandExecutionError, match="internal server error"):
        apply(EXAMPLE[6:7])
    (router,) = fake.routers.values()
    assert router["external_gateway_info"] is not None
    assert not fake.ports
    fake.calls.clear()
    assert apply(EXAMPLE[6:7]) == [{"interfaces": {"added": ["selfservice"]}}]
    assert _router_writes(fake) == [
        ("PUT", f"/v2.0/routers/{router['id']}/add_router_interface")]
    assert apply(EXAMPLE[6:7]) == [{}]
    assert list(fake.routers) == [router["id"]]
    assert [p["device_owner"] for p in fake.ports.values()] == ["network:router_interface"]


def test_a_bare_router_gets_its_gateway_and_interface(fake):
    """A router that exists without gateway and interface (a hand-made one,
    or the old shell chain stopped after its create): completed in place,
    in test mode predicted first, with no second router."""
    apply(EXAMPLE[:6])
    fake.routers_api("POST", [], {}, {"router": {"name": "router", "project_id": "p-admin"}})
    (router,) = fake.routers.values()
    fake.calls.clear()
    predicted = apply(EXAMPLE[6:7], test=True)
    assert fake.writes() == []
    changes = apply(EXAMPLE[6:7])
    assert changes == predicted
    assert set(changes[0]) == {"external_network", "interfaces"}
    assert changes[0]["interfaces"] == {"added": ["selfservice"]}
    assert ("POST", "/v2.0/routers") not in _router_writes(fake)
    provider = next(n for n in fake.networks.values() if n["name"] == "provider")
    assert fake.routers[router["id"]]["external_gateway_info"]["network_id"] == provider["id"]
    assert apply(EXAMPLE[6:7]) == [{}]
    assert list(fake.routers) == [router["id"]]


def test_two_objects_of_one_name_are_an_error(fake):
    oc.network_present("twin", **AUTH)
    fake.networks_api("POST", [], {}, {"network": {"name": "twin", "project_id": "p-admin"}})
    with pytest.raises(CommandExecutionError, match="2 networks are named twin in project p-admin"):
        oc.network_present("twin", mtu=1400, **AUTH)


def test_other_projects_by_name(fake):
    oc.network_present("demo-net", project="demo", **AUTH)
    (network,) = [n for n in fake.networks.values() if n["name"] == "demo-net"]
    assert network["project_id"] == "p-demo"
    with pytest.raises(CommandExecutionError, match="Keystone has 0 projects named nosuch"):
        oc.network_present("x", project="nosuch", **AUTH)


def test_an_expired_token_is_renewed_once(fake):
    apply(EXAMPLE[:1])
    fake.tokens.clear()  # Keystone revoked it (or it expired)
    assert apply(EXAMPLE[:1]) == [{}]
    assert fake.logins == 2


def test_a_service_registered_after_the_login_is_found_by_logging_in_again(fake):
    network = fake.catalog_urls.pop("network")
    apply(EXAMPLE[:1])  # the kept session's catalog has no network endpoint
    fake.catalog_urls["network"] = network
    assert oc.network_present("n1", **AUTH)["network"]["old"] is None
    assert fake.logins == 2


def test_a_service_missing_from_a_new_login_is_an_error_at_once(fake):
    fake.catalog_urls.pop("network")
    apply(EXAMPLE[:1])
    with pytest.raises(api.NotInCatalog, match="type network"):
        oc.network_present("n1", **AUTH)
    assert fake.logins == 2  # the kept session's, then one new login: no loop


def test_no_secret_in_returns_or_errors(fake):
    text = json.dumps(apply(test=True)) + json.dumps(apply())
    with pytest.raises(api.OpenStackError) as exc:
        oc.flavor_present("m1.nano", 1, 128, 1, auth_url=IDENTITY, password="wrong-pass")
    text += str(exc.value)
    assert exc.value.status == 401
    for secret in (PASSWORD, "wrong-pass", "token-1"):
        assert secret not in text


def test_credentials_from_the_minion_configuration(fake, monkeypatch):
    monkeypatch.setattr(oc, "__opts__", {"openstack_cloud": {"auth": AUTH}}, raising=False)
    assert oc.network_present("n1")["network"]["old"] is None
    with pytest.raises(CommandExecutionError, match="Unknown argument.*pasword"):
        oc.network_present("n1", pasword="x")


def test_missing_endpoint_is_typed(fake):
    fake.catalog_urls = {"compute": "http://nova.test/v2.1", "network": "http://neutron.test"}
    session = api.Session(dict(AUTH, username="admin", project_name="admin"))
    session.catalog = [s for s in session.catalog if s["type"] != "network"]
    cloud = calls.Cloud(session)
    with pytest.raises(api.NotInCatalog, match="type network"):
        cloud.neutron  # pylint: disable=pointless-statement


def test_a_plan_is_applied_unless_test(fake):
    """calls._apply: the plan's changes either way, its calls made only when not test."""
    session = api.Session(dict(AUTH, username="admin", project_name="admin"))
    cloud = calls.Cloud(session)
    plan = cp.Plan(steps=[cp.Step("neutron", "POST", ("/v2.0/networks",),
                                  {"network": {"name": "n1"}}, register="n", resource="network")],
                   changes={"network": {"old": None, "new": {}}})  # fmt: skip
    assert calls._apply(cloud, plan, test=True) == plan.changes
    assert fake.writes() == [] and not fake.networks
    assert calls._apply(cloud, plan, test=False) == plan.changes
    assert [n["name"] for n in fake.networks.values()] == ["n1"]


def test_a_service_that_drops_is_planned_again_in_real_runs_only(fake, monkeypatch):
    monkeypatch.setattr(oc, "RETRY_PAUSES", (0, 0))
    handle = fake.handle
    failures = {"left": 2}

    def flaky(method, url, headers, body):
        if failures["left"]:
            failures["left"] -= 1
            raise requests.ConnectionError("connection refused")
        return handle(method, url, headers, body)

    fake.handle = flaky
    with pytest.raises(api.OpenStackUnreachable, match="Keystone: cannot reach"):
        oc.network_present("n1", test=True, **AUTH)
    failures["left"] = 2
    assert oc.network_present("n1", **AUTH)["network"]["old"] is None
    assert failures["left"] == 0


def test_dry_run_predicts_a_rule_naming_a_group_created_earlier_in_the_run(fake):
    """default names web, which cloud.security's web state (required first)
    creates in a real run: test mode predicts the rule instead of failing,
    writes nothing; a real run without web still fails, naming it."""
    apply()
    writes = len([c for c in fake.calls if c[0] != "GET"])
    rules = [{"protocol": "icmp"}, {"protocol": "tcp", "port": 22}, {"remote_group": "web"}]
    changes = oc.security_group_present("default", rules=rules, test=True, **AUTH)
    assert changes == {"rules": {"added": ["ingress IPv4 any from group web"]}}
    assert len([c for c in fake.calls if c[0] != "GET"]) == writes
    with pytest.raises(CommandExecutionError, match="remote_group web"):
        oc.security_group_present("default", rules=rules, **AUTH)
    oc.security_group_present("web", rules=[], **AUTH)
    assert oc.security_group_present("default", rules=rules, **AUTH) == changes


def test_quotas_set_then_left_alone_and_predicted(fake):
    limits = {"cores": 8, "instances": 4, "ram": 8192, "ports": 50, "security_group_rules": -1}
    predicted = oc.quota_present("demo", test=True, **limits, **AUTH)
    assert fake.writes() == []
    assert predicted == {"cores": {"old": 20, "new": 8}, "instances": {"old": 10, "new": 4},
                         "ram": {"old": 51200, "new": 8192}, "ports": {"old": 500, "new": 50},
                         "security_group_rules": {"old": 100, "new": -1}}  # fmt: skip
    assert oc.quota_present("demo", **limits, **AUTH) == predicted
    assert fake.nova_quotas["p-demo"] == {"cores": 8, "instances": 4, "ram": 8192}
    assert fake.neutron_quotas["p-demo"] == {"port": 50, "security_group_rule": -1}
    before = len(fake.writes())
    assert oc.quota_present("demo", **limits, **AUTH) == {}
    assert len(fake.writes()) == before
    assert oc.quota_present("demo", ports=60, **AUTH) == {"ports": {"old": 50, "new": 60}}
    assert fake.nova_quotas["p-demo"] == {"cores": 8, "instances": 4, "ram": 8192}


# -- health: the orchestration's last step (cloud.verify) ------------------------

TYPES = ["compute", "network", "image"]


def _healthy_cloud(fake):
    fake.catalog_urls["image"] = "http://glance.test/v2"
    fake.services[:] = [
        {"binary": "nova-scheduler", "host": "controller", "state": "up", "status": "enabled"},
        {"binary": "nova-compute", "host": "compute1", "state": "up", "status": "enabled"},
        {"binary": "nova-compute", "host": "compute2", "state": "up", "status": "enabled"},
    ]  # fmt: skip
    fake.agents[:] = [
        {"agent_type": "OVN Controller Gateway agent", "host": "gateway", "alive": True},
        {"agent_type": "OVN Controller agent", "host": "compute1", "alive": True},
    ]  # fmt: skip


def test_health_of_a_cloud_that_answers(fake):
    _healthy_cloud(fake)
    found = oc.health(service_types=TYPES, computes=["compute1", "compute2"], **AUTH)
    assert found["problems"] == []
    assert "3 services in the catalog, 2 compute(s) up" in found["summary"]
    assert fake.writes() == [] and fake.logins == 1
    gets = [path for method, path, _, _ in fake.calls if method == "GET"]
    assert gets == ["/v2.1/os-services", "/v2.0/agents", "/v2/images"]


def test_health_names_every_problem(fake):
    _healthy_cloud(fake)
    del fake.catalog_urls["image"]
    fake.services[2]["state"] = "down"
    fake.agents[1]["alive"] = False
    found = oc.health(service_types=TYPES + ["volumev3"], computes=["compute1", "compute2", "compute3"],
                      **AUTH)  # fmt: skip
    assert found["problems"] == [
        "catalog: no image service",
        "catalog: no volumev3 service",
        "nova-compute on compute2 is not up",
        "nova-compute on compute3 is not up",
        "compute services down: nova-compute on compute2",
        "network agents not alive: OVN Controller agent on compute1",
        "image list: The service catalog has no public endpoint of type image",
    ]


def test_health_without_agents_or_with_a_wrong_password(fake):
    _healthy_cloud(fake)
    fake.agents.clear()
    assert oc.health(service_types=TYPES, **AUTH)["problems"] == ["network agents: none"]
    with pytest.raises(CommandExecutionError, match="authentication as admin"):
        oc.health(service_types=TYPES, auth_url=IDENTITY, password="wrong")


def test_health_leaves_a_disabled_service_alone(fake):
    """A compute an operator disabled (maintenance, retirement) may be down."""
    _healthy_cloud(fake)
    fake.services.append({"binary": "nova-compute", "host": "compute3", "state": "down",
                          "status": "disabled"})  # fmt: skip
    assert oc.health(service_types=TYPES, computes=["compute1", "compute2"], **AUTH)["problems"] == []
    fake.services[-1]["status"] = "enabled"
    assert oc.health(service_types=TYPES, computes=["compute1", "compute2"], **AUTH)["problems"] == [
        "compute services down: nova-compute on compute3"]


# -- Cinder volume types ---------------------------------------------------------

VOLUME_TYPES = [
    ("volume_type_present", "lvm", {"extra_specs": {"volume_backend_name": "lvm"}}),
    ("volume_type_present", "ceph", {"extra_specs": {"volume_backend_name": "ceph"}}),
]


def test_volume_types_created_predicted_then_left_alone(fake):
    fake.catalog_urls["volumev3"] = VOLUME
    predicted = apply(VOLUME_TYPES, test=True)
    assert fake.writes() == []
    assert predicted == [{"volume_type": {"old": None, "new": {
        "public": True, "extra_specs": {"volume_backend_name": name}}}} for name in ("lvm", "ceph")]
    assert apply(VOLUME_TYPES) == predicted
    made = {t["name"]: t for t in fake.volume_types.values()}
    assert sorted(made) == ["__DEFAULT__", "ceph", "lvm"]  # Cinder's own is left alone
    assert made["ceph"]["extra_specs"] == {"volume_backend_name": "ceph"}
    assert made["ceph"]["is_public"] is True
    writes = len(fake.writes())
    assert apply(VOLUME_TYPES) == [{}, {}]
    assert apply(VOLUME_TYPES, test=True) == [{}, {}]
    assert len(fake.writes()) == writes


def test_a_drifted_volume_type_is_corrected_in_place(fake):
    fake.catalog_urls["volumev3"] = VOLUME
    apply(VOLUME_TYPES)
    ceph = next(t for t in fake.volume_types.values() if t["name"] == "ceph")
    ceph["extra_specs"].update(volume_backend_name="lvm", thin_provisioning_support="<is> True")
    ceph["is_public"] = False  # listed by an admin with is_public=None only
    fake.calls.clear()
    changes = apply(VOLUME_TYPES)
    assert changes == [{}, {"public": {"old": False, "new": True},
                            "extra_specs": {"volume_backend_name": {"old": "lvm", "new": "ceph"}}}]
    assert [(m, p) for m, p in fake.writes()] == [
        ("PUT", f"/volume/v3/p-admin/types/{ceph['id']}"),
        ("POST", f"/volume/v3/p-admin/types/{ceph['id']}/extra_specs")]
    assert ceph["extra_specs"] == {"volume_backend_name": "ceph",
                                   "thin_provisioning_support": "<is> True"}  # unlisted: kept
    assert apply(VOLUME_TYPES) == [{}, {}]


def test_a_volume_type_named_exactly_is_left_alone_whatever_its_case(fake):
    """The default lvm backend's type keeps the name LVM: found by its exact name."""
    fake.catalog_urls["volumev3"] = VOLUME
    specs = {"volume_backend_name": "LVM"}
    assert oc.volume_type_present("LVM", extra_specs=specs, **AUTH)["volume_type"]["old"] is None
    writes = len(fake.writes())
    assert oc.volume_type_present("LVM", extra_specs=specs, **AUTH) == {}
    assert oc.volume_type_present("LVM", extra_specs=specs, test=True, **AUTH) == {}
    assert len(fake.writes()) == writes


@pytest.mark.parametrize("test", [False, True])
def test_a_volume_type_differing_only_in_case_is_refused(fake, test):
    """Cinder compares type names without case: lvm beside an existing LVM
    is refused before any write, naming both, in a dry run too (the real
    run would fail the same way)."""
    fake.catalog_urls["volumev3"] = VOLUME
    oc.volume_type_present("LVM", extra_specs={"volume_backend_name": "LVM"}, **AUTH)
    writes = len(fake.writes())
    with pytest.raises(CommandExecutionError) as exc:
        oc.volume_type_present("lvm", extra_specs={"volume_backend_name": "lvm"}, test=test,
                               **AUTH)  # fmt: skip
    assert str(exc.value) == (
        "volume type lvm: Cinder already has volume type LVM, a name that differs only in case, "
        "and compares names without case: it cannot create lvm. Nothing was changed: rename one "
        "of them (in pillar: cinder:backends:N:volume_type)")  # fmt: skip
    assert len(fake.writes()) == writes
    # Cinder's own type too
    with pytest.raises(CommandExecutionError, match="has volume type __DEFAULT__"):
        oc.volume_type_present("__default__", test=test, **AUTH)


def test_the_fake_cinder_refuses_a_name_differing_only_in_case(fake):
    """What the check above spares the operator: Cinder's own 409."""
    fake.catalog_urls["volumev3"] = VOLUME
    oc.volume_type_present("LVM", **AUTH)
    session = api.Session(dict(AUTH, username="admin", project_name="admin"))
    with pytest.raises(api.OpenStackError) as exc:
        calls.Cloud(session).cinder.request("POST", "/types", {"volume_type": {"name": "lvm"}})
    assert exc.value.status == 409
    ceph = calls.Cloud(session).cinder.request("POST", "/types", {"volume_type": {"name": "ceph"}})
    path = f"/types/{ceph['volume_type']['id']}"
    with pytest.raises(api.OpenStackError) as exc:
        calls.Cloud(session).cinder.request("PUT", path, {"volume_type": {"name": "Lvm"}})
    assert exc.value.status == 409
    renamed = calls.Cloud(session).cinder.request("PUT", path, {"volume_type": {"name": "CEPH"}})
    assert renamed["volume_type"]["name"] == "CEPH"  # its own name, in another case


def test_volume_types_without_cinder_in_the_catalog_fail_typed(fake):
    with pytest.raises(api.NotInCatalog, match="no public endpoint of type volumev3"):
        oc.volume_type_present("lvm", **AUTH)
    assert fake.writes() == []
