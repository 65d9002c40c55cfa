"""
Day 2 on the compute hosts: openstack_cloud.compute_drain and
compute_forget (and their states) against tests/fake_cloud.py's Nova,
placement and Neutron; the plans' refusals as pure logic.  Nova cannot run
on a test host: the real thing is the cluster's retire and replace phases.
"""
import copy

import pytest
import requests
from salt.exceptions import CommandExecutionError

from fake_cloud import IDENTITY, PLACEMENT, FakeCloud, mount
from saltext_openstack._modules import openstack_cloud as oc
from saltext_openstack._states import openstack_cloud as ocs
from saltext_openstack._utils import saltext_openstack_cloud as cp

PASSWORD = "admin-secret"
AUTH = {"auth_url": IDENTITY, "password": PASSWORD}
NANO = {"vcpus": 1, "ram": 128, "disk": 1}


def _inventory(vcpus=2, ram=2048, ratio=4.0):
    return {"VCPU": {"total": vcpus, "reserved": 0, "allocation_ratio": ratio},
            "MEMORY_MB": {"total": ram, "reserved": 512, "allocation_ratio": 1.0}}


@pytest.fixture
def fake(monkeypatch):
    cloud = FakeCloud(PASSWORD)
    mount(monkeypatch, cloud, requests)
    for module in (oc, ocs):
        monkeypatch.setattr(module, "__opts__", {}, raising=False)
        monkeypatch.setattr(module, "__pillar__", {}, raising=False)
        monkeypatch.setattr(module, "__context__", {}, raising=False)
    monkeypatch.setattr(oc, "RETRY_PAUSES", ())
    cloud.catalog_urls["placement"] = PLACEMENT
    monkeypatch.setattr(ocs, "__salt__", {"openstack_cloud.compute_drain": oc.compute_drain,
                                          "openstack_cloud.compute_forget": oc.compute_forget},
                        raising=False)
    cloud.services[:] = [
        {"binary": "nova-conductor", "host": "controller", "state": "up", "status": "enabled"},
    ] + [{"binary": "nova-compute", "host": f"compute{n}", "state": "up", "status": "enabled"}
         for n in (1, 2, 3)]  # fmt: skip
    cloud.providers[:] = [{"uuid": f"rp-{n}", "name": f"compute{n}", "inventories": _inventory()}
                          for n in (1, 2, 3)]
    cloud.agents[:] = [{"agent_type": kind, "host": f"compute{n}", "alive": True}
                       for n in (1, 2, 3) for kind in ("OVN Controller agent", "OVN Metadata agent")]
    cloud.servers[:] = [
        {"id": "s-1", "name": "web", "host": "compute3", "status": "ACTIVE", "flavor": dict(NANO)},
        {"id": "s-2", "name": "db", "host": "compute3", "status": "ACTIVE", "flavor": dict(NANO)},
        {"id": "s-3", "name": "other", "host": "compute1", "status": "ACTIVE", "flavor": dict(NANO)},
    ]  # fmt: skip
    return cloud


def _hosts(fake):
    return {s["id"]: s["host"] for s in fake.servers}


def test_drain_disables_then_moves_every_server_and_is_then_a_no_op(fake):
    changes = oc.compute_drain("compute3", interval=0, **AUTH)
    assert changes == {"disabled": {"old": "enabled", "new": "disabled"}, "migrated": ["db", "web"]}
    assert _hosts(fake) == {"s-1": "compute1", "s-2": "compute1", "s-3": "compute1"}
    svc = [s for s in fake.services if s["host"] == "compute3"][0]
    assert svc["status"] == "disabled" and svc["disabled_reason"] == "drained by Salt"
    writes = fake.writes()
    assert writes[0] == ("PUT", "/v2.1/os-services/svc-nova-compute-compute3")
    assert writes[1:] == [("POST", "/v2.1/servers/s-1/action"), ("POST", "/v2.1/servers/s-2/action")]
    del fake.calls[:]
    assert oc.compute_drain("compute3", interval=0, **AUTH) == {}
    assert fake.writes() == []


def test_drain_in_test_mode_predicts_and_writes_nothing(fake):
    before = copy.deepcopy(fake.servers)
    changes = oc.compute_drain("compute3", test=True, **AUTH)
    assert changes == {"disabled": {"old": "enabled", "new": "disabled"}, "migrated": ["db", "web"]}
    assert fake.writes() == [] and fake.servers == before
    assert {s["status"] for s in fake.services} == {"enabled"}


def test_drain_refuses_without_room_and_changes_nothing(fake):
    # compute1 and compute2 have 2 x 4 = 8 vCPUs each (one used on compute1).
    fake.servers[0]["flavor"] = {"vcpus": 15, "ram": 128, "disk": 1}
    with pytest.raises(CommandExecutionError,
                       match=r"cannot hold its 2 server\(s\): VCPU 16 needed, 15 free") as err:
        oc.compute_drain("compute3", interval=0, **AUTH)
    assert "compute1, compute2" in str(err.value)
    assert fake.writes() == []
    fake.servers[0]["flavor"] = {"vcpus": 1, "ram": 4000, "disk": 1}
    with pytest.raises(CommandExecutionError, match="MEMORY_MB 4128 needed, 2944 free"):
        oc.compute_drain("compute3", interval=0, **AUTH)
    assert fake.writes() == []


def test_drain_refuses_a_stopped_server_or_no_other_compute(fake):
    fake.servers[1]["status"] = "SHUTOFF"
    with pytest.raises(CommandExecutionError, match=r"db \(s-2\) is SHUTOFF"):
        oc.compute_drain("compute3", **AUTH)
    fake.servers[1]["status"] = "ACTIVE"
    for service in fake.services:
        if service["host"] in ("compute1", "compute2"):
            service["status"] = "disabled"
    with pytest.raises(CommandExecutionError, match="no other nova-compute is up and enabled"):
        oc.compute_drain("compute3", **AUTH)
    assert fake.writes() == []


def test_a_failed_live_migration_is_an_error_naming_the_server(fake):
    fake.migration_fails_to.update({"compute1"})
    with pytest.raises(CommandExecutionError, match=r"live migration of server web \(s-1\) away "
                                                    r"from compute3 failed: it is ACTIVE on compute3"):
        oc.compute_drain("compute3", interval=0, **AUTH)


def test_forget_deletes_service_provider_and_agents_then_is_a_no_op(fake):
    oc.compute_drain("compute3", interval=0, **AUTH)
    predicted = oc.compute_forget("compute3", test=True, **AUTH)
    assert predicted == {
        "services": ["nova-compute on compute3"],
        "resource_providers": ["compute3"],
        "agents": ["OVN Controller agent on compute3", "OVN Metadata agent on compute3"],
    }
    del fake.calls[:]
    assert oc.compute_forget("compute3", **AUTH) == predicted
    assert not [s for s in fake.services if s["host"] == "compute3"]
    assert [p["name"] for p in fake.providers] == ["compute1", "compute2"]
    assert {a["host"] for a in fake.agents} == {"compute1", "compute2"}
    # Nova deleted the provider with the service: no DELETE of it here.
    assert not [w for w in fake.writes() if "resource_providers" in w[1]]
    assert oc.compute_forget("compute3", **AUTH) == {}


def test_forget_deletes_a_provider_left_behind(fake):
    fake.servers[:] = []
    fake.services[:] = [s for s in fake.services if s["host"] != "compute2"]
    assert oc.compute_forget("compute2", **AUTH) == {
        "resource_providers": ["compute2"],
        "agents": ["OVN Controller agent on compute2", "OVN Metadata agent on compute2"],
    }
    assert ("DELETE", "/placement/resource_providers/rp-2") in fake.writes()


def test_forget_refuses_servers_or_allocations_and_changes_nothing(fake):
    with pytest.raises(CommandExecutionError, match=r"2 server\(s\) are still on it .*drain it first"):
        oc.compute_forget("compute3", **AUTH)
    fake.servers[:] = []
    fake.stray_allocations["rp-3"] = ["c-1"]
    with pytest.raises(CommandExecutionError, match=r"compute3 \(rp-3\) still holds allocations"):
        oc.compute_forget("compute3", **AUTH)
    assert fake.writes() == []


def test_states_report_and_predict(fake, monkeypatch):
    monkeypatch.setitem(ocs.__opts__, "test", True)
    ret = ocs.compute_drained("compute3", **AUTH)
    assert ret["result"] is None and ret["comment"] == (
        "Would drain compute3: disabled; migrated: db, web")
    monkeypatch.setitem(ocs.__opts__, "test", False)
    ret = ocs.compute_drained("compute3", **AUTH)
    assert ret["result"] is True and ret["comment"].startswith("Drained compute3")
    ret = ocs.compute_drained("compute3", **AUTH)
    assert ret == {"name": "compute3", "result": True, "changes": {},
                   "comment": "Compute compute3 is as declared"}
    ret = ocs.compute_absent("compute3", **AUTH)
    assert ret["result"] is True and ret["comment"].startswith("Forgot compute3: agents: ")
    assert ocs.compute_absent("compute3", **AUTH)["changes"] == {}


def test_state_refusal_is_a_failed_state_without_changes(fake):
    ret = ocs.compute_absent("compute3", **AUTH)
    assert ret["result"] is False and ret["changes"] == {}
    assert "drain it first" in ret["comment"]


# -- the plans, pure ------------------------------------------------------


def test_provider_room_counts_ratio_reserved_and_use():
    room = cp.provider_room(_inventory(vcpus=4, ram=4096, ratio=2.0), {"VCPU": 3, "MEMORY_MB": 100})
    assert room == {"VCPU": 5, "MEMORY_MB": 3484}
    assert cp.provider_room({}, {}) == {"VCPU": 0, "MEMORY_MB": 0}


def test_plan_drain_of_an_unknown_host():
    assert cp.plan_drain("compute9", [], [], {}) == {"disable": False, "migrate": []}
    with pytest.raises(CommandExecutionError, match="no nova-compute service on it"):
        cp.plan_drain("compute9", [], [{"id": "s", "name": "x", "status": "ACTIVE"}], {})


def test_hosts_match_by_short_name():
    services = [{"binary": "nova-compute", "host": "compute1.example.org"}]
    assert cp.host_services(services, "compute1") == services
    assert cp.host_providers([{"name": "compute10"}], "compute1") == []


def test_forget_only_if_down_leaves_a_live_compute_alone(fake):
    """Replacing a dead compute: an up nova-compute (the old machine alive,
    or the replacement registered) is never forgotten."""
    fake.servers[:] = []
    assert oc.compute_forget("compute2", only_if_down=True, **AUTH) == {}
    assert fake.writes() == []
    fake.services[2]["state"] = "down"
    assert oc.compute_forget("compute2", only_if_down=True, **AUTH)["services"] == [
        "nova-compute on compute2"]


def test_forget_takes_a_chassis_gone_with_its_first_agent(fake):
    """ML2/OVN deletes a host's chassis, and with it every agent of the
    host, when one of them is deleted: the next answers 404, as good."""
    fake.servers[:] = []
    fake.agents_share_chassis = True
    assert oc.compute_forget("compute3", **AUTH)["agents"] == [
        "OVN Controller agent on compute3", "OVN Metadata agent on compute3"]
    assert {a["host"] for a in fake.agents} == {"compute1", "compute2"}


def test_drain_waits_for_the_migration_record_to_complete(fake):
    """The server shows its new host before the source's nova-compute has
    finished (released its allocations): the drain waits for the record,
    since retiring stops that service next."""
    fake.migration_completes_late = True
    oc.compute_drain("compute3", interval=0, **AUTH)
    assert [m["status"] for m in fake.migrations] == ["completed", "completed"]
    listed = [q for m, p, q, _ in fake.calls if p == "/v2.1/os-migrations"]
    # per server: the listing before, one poll seeing "running", one "completed"
    assert len(listed) == 6


def test_forget_a_dead_compute_after_its_servers_were_evacuated(fake):
    """openstack server evacuate leaves the server's allocation on the dead
    compute's provider; Nova deletes it with the service record, so it is
    no reason to refuse.  A consumer that is no server still is."""
    fake.servers[:] = [{"id": "s-9", "name": "moved", "host": "compute1", "status": "ACTIVE",
                        "flavor": dict(NANO)}]
    fake.services[3]["state"] = "down"
    fake.stray_allocations["rp-3"] = ["s-9"]
    with pytest.raises(CommandExecutionError, match="still holds allocations"):
        fake.stray_allocations["rp-3"] = ["s-9", "migration-1"]
        oc.compute_forget("compute3", only_if_down=True, **AUTH)
    fake.stray_allocations["rp-3"] = ["s-9"]
    predicted = oc.compute_forget("compute3", only_if_down=True, test=True, **AUTH)
    assert predicted["services"] == ["nova-compute on compute3"]


def test_replacing_leaves_a_live_agent_alone(fake):
    """Before the replacement's nova-compute registers, its OVN agents may
    already be alive: only the dead machine's are deleted."""
    fake.servers[:] = []
    fake.services[3]["state"] = "down"
    fake.agents[4]["alive"] = False  # the dead machine's controller agent
    changes = oc.compute_forget("compute3", only_if_down=True, **AUTH)
    assert changes["agents"] == ["OVN Controller agent on compute3"]
    assert [a["agent_type"] for a in fake.agents if a["host"] == "compute3"] == ["OVN Metadata agent"]
