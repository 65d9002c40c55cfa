"""
openstack_cloud's states: their return (name, result, changes, comment) for
each outcome of the execution module, typed errors in a dry run of a new
cloud, and the states over the real module against tests/fake_cloud.py.
"""
import json

import pytest
import requests
from salt.exceptions import CommandExecutionError

from fake_cloud import IDENTITY, VOLUME, FakeCloud, mount
from saltext_openstack._modules import openstack_cloud as module
from saltext_openstack._states import openstack_cloud as state
from saltext_openstack._utils import saltext_openstack_api as api

FUNCTIONS = ("flavor_present", "network_present", "subnet_present", "router_present",
             "security_group_present", "volume_type_present")  # fmt: skip


@pytest.fixture
def fake(monkeypatch):
    calls = []
    outcome = {"value": {}}

    def make(function):
        def call(name, test=False, **kwargs):
            calls.append((function, name, test, kwargs))
            if isinstance(outcome["value"], Exception):
                raise outcome["value"]
            return outcome["value"]

        return call

    opts = {"test": False}
    salt = {f"openstack_cloud.{f}": make(f) for f in FUNCTIONS}
    monkeypatch.setattr(state, "__salt__", salt, raising=False)
    monkeypatch.setattr(state, "__opts__", opts, raising=False)
    return calls, outcome, opts


CREATED = {"flavor": {"old": None, "new": {"vcpus": 1, "ram": 128, "disk": 1}}}


def test_created(fake):
    calls, outcome, _ = fake
    outcome["value"] = CREATED
    ret = state.flavor_present("m1.nano", 1, 128, 1, auth_url=IDENTITY, __id__="x", __sls__="s")
    assert ret == {"name": "m1.nano", "result": True, "changes": CREATED,
                   "comment": "Created flavor m1.nano"}  # fmt: skip
    (function, name, test, kwargs) = calls[0]
    assert (function, name, test) == ("flavor_present", "m1.nano", False)
    assert kwargs["auth_url"] == IDENTITY and "__id__" not in kwargs and "test" not in kwargs


def test_test_mode_predicts(fake):
    calls, outcome, opts = fake
    opts["test"] = True
    outcome["value"] = {"mtu": {"old": 1450, "new": 1500}, "shared": {"old": False, "new": True}}
    ret = state.network_present("provider", mtu=1500, shared=True, test=True)
    assert ret["result"] is None
    assert ret["changes"] == outcome["value"]
    assert ret["comment"] == "Would update network provider: mtu, shared"
    assert calls[0][2] is True


def test_replaced_and_nothing_to_do(fake):
    _, outcome, _ = fake
    outcome["value"] = {"flavor": "replaced: unused, ...", "ram": {"old": 1, "new": 2}}
    assert state.flavor_present("f", 1, 2, 1)["comment"] == "Replaced flavor f: ram"
    outcome["value"] = {}
    ret = state.security_group_present("default", rules=[])
    assert ret == {"name": "default", "result": True, "changes": {},
                   "comment": "Security group default is as declared"}  # fmt: skip


@pytest.mark.parametrize(
    "error",
    [
        api.OpenStackUnreachable("Neutron: cannot reach http://controller:9696/v2.0/networks"),
        api.NotInCatalog("The service catalog has no public endpoint of type network"),
        api.LoginRefused("Keystone: authentication as admin failed: ... (HTTP 401)", 401),
    ],
)
def test_a_cloud_not_up_yet_is_none_in_test_mode_only(fake, error):
    _, outcome, opts = fake
    outcome["value"] = error
    opts["test"] = True
    ret = state.subnet_present("s", "n", "10.0.0.0/24")
    assert ret["result"] is None
    assert ret["comment"].startswith("Would create or check subnet s once")
    opts["test"] = False
    ret = state.subnet_present("s", "n", "10.0.0.0/24")
    assert ret["result"] is False
    assert ret["comment"] == str(error)


@pytest.mark.parametrize("test", [True, False])
def test_refusals_and_other_api_errors_fail(fake, test):
    _, outcome, opts = fake
    opts["test"] = test
    outcome["value"] = CommandExecutionError("subnet s: cidr is ... Nothing was changed: ...")
    assert state.subnet_present("s", "n", "10.0.0.0/24")["result"] is False
    outcome["value"] = api.OpenStackError("Neutron: PUT /x failed: Conflict (HTTP 409)", 409)
    assert state.router_present("r")["result"] is False
    # a 401 after the login (a token revoked mid-run): no "not ready"
    outcome["value"] = api.OpenStackError("Nova: GET /flavors failed (HTTP 401)", 401)
    assert state.flavor_present("f", 1, 2, 1)["result"] is False


# -- over the real module -----------------------------------------------------


@pytest.fixture
def cloud(monkeypatch):
    fake_cloud = FakeCloud("admin-secret")
    mount(monkeypatch, fake_cloud, requests)
    opts = {"test": False}
    for mod in (module, state):
        monkeypatch.setattr(mod, "__opts__", opts, raising=False)
    monkeypatch.setattr(module, "__pillar__", {}, raising=False)
    monkeypatch.setattr(module, "__context__", {}, raising=False)
    monkeypatch.setattr(module, "RETRY_PAUSES", ())
    salt = {f"openstack_cloud.{f}": getattr(module, f) for f in FUNCTIONS + ("health",)}
    monkeypatch.setattr(state, "__salt__", salt, raising=False)
    return fake_cloud, opts


def test_states_over_the_module(cloud):
    fake_cloud, opts = cloud
    auth = {"auth_url": IDENTITY, "password": "admin-secret"}
    opts["test"] = True
    dry = state.network_present("selfservice", mtu=1442, **auth)
    assert (dry["result"], dry["comment"]) == (None, "Would create network selfservice")
    assert fake_cloud.writes() == []
    opts["test"] = False
    done = state.network_present("selfservice", mtu=1442, **auth)
    assert (done["result"], done["changes"]) == (True, dry["changes"])
    again = state.network_present("selfservice", mtu=1442, **auth)
    assert (again["result"], again["changes"]) == (True, {})
    refused = state.subnet_present("s", "nosuch", "10.0.0.0/24", **auth)
    assert refused["result"] is False
    assert "network nosuch does not exist" in refused["comment"]
    bad = state.network_present("n", auth_url=IDENTITY, password="not-this-one")
    assert bad["result"] is False and "HTTP 401" in bad["comment"]
    opts["test"] = True
    try:
        not_yet = state.network_present("n", auth_url=IDENTITY, password="not-this-one")
    finally:
        opts["test"] = False
    assert not_yet["result"] is None and "once the admin logs in" in not_yet["comment"]
    text = json.dumps([dry, done, again, refused, bad, not_yet])
    assert "admin-secret" not in text and "not-this-one" not in text


def test_volume_type_state_over_the_module(cloud):
    fake_cloud, opts = cloud
    fake_cloud.catalog_urls["volumev3"] = VOLUME
    auth = {"auth_url": IDENTITY, "password": "admin-secret"}
    specs = {"volume_backend_name": "ceph"}
    opts["test"] = True
    dry = state.volume_type_present("ceph", extra_specs=specs, **auth)
    assert (dry["result"], dry["comment"]) == (None, "Would create volume type ceph")
    assert fake_cloud.writes() == []
    opts["test"] = False
    done = state.volume_type_present("ceph", extra_specs=specs, **auth)
    assert (done["result"], done["changes"], done["comment"]) == (
        True, dry["changes"], "Created volume type ceph")
    next(t for t in fake_cloud.volume_types.values()
         if t["name"] == "ceph")["extra_specs"]["volume_backend_name"] = "lvm"
    fixed = state.volume_type_present("ceph", extra_specs=specs, **auth)
    assert (fixed["result"], fixed["comment"]) == (True, "Updated volume type ceph: extra_specs")
    again = state.volume_type_present("ceph", extra_specs=specs, **auth)
    assert (again["result"], again["changes"], again["comment"]) == (
        True, {}, "Volume type ceph is as declared")


def test_a_volume_type_differing_only_in_case_fails_the_dry_run_too(cloud):
    """lvm beside Cinder's LVM: the real run would fail, so the dry run says so (False)."""
    fake_cloud, opts = cloud
    fake_cloud.catalog_urls["volumev3"] = VOLUME
    auth = {"auth_url": IDENTITY, "password": "admin-secret"}
    state.volume_type_present("LVM", **auth)
    writes = len(fake_cloud.writes())
    for test in (True, False):
        opts["test"] = test
        ret = state.volume_type_present("lvm", **auth)
        assert (ret["result"], ret["changes"]) == (False, {})
        assert "already has volume type LVM" in ret["comment"]
        assert "cinder:backends:N:volume_type" in ret["comment"]
    assert len(fake_cloud.writes()) == writes


def test_healthy_reports_problems_never_changes(cloud):
    fake_cloud, opts = cloud
    auth = {"auth_url": IDENTITY, "password": "admin-secret"}
    fake_cloud.catalog_urls["image"] = "http://glance.test/v2"
    fake_cloud.services.append({"binary": "nova-compute", "host": "c1", "state": "up",
                                "status": "enabled"})  # fmt: skip
    fake_cloud.agents.append({"agent_type": "OVN Controller agent", "host": "c1", "alive": True})
    opts["test"] = True
    dry = state.healthy("verify", service_types=["compute"], computes=["c1"], **auth)
    assert (dry["result"], dry["changes"]) == (None, {}) and fake_cloud.calls == []
    opts["test"] = False
    good = state.healthy("verify", service_types=["compute"], computes=["c1"], **auth)
    assert (good["result"], good["changes"]) == (True, {})
    assert good["comment"].startswith("The cloud answers: the admin logs in")
    sick = state.healthy("verify", service_types=["volumev3"], computes=["c1", "c2"], **auth)
    assert (sick["result"], sick["changes"]) == (False, {})
    assert sick["comment"] == "catalog: no volumev3 service; nova-compute on c2 is not up"
    bad = state.healthy("verify", auth_url=IDENTITY, password="not-this-one")
    assert bad["result"] is False and bad["comment"].startswith("The cloud does not answer: ")
    assert "not-this-one" not in json.dumps([good, sick, bad])
