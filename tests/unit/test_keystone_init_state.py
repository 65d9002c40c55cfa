"""keystone_init.present with a stand-in execution module (no Keystone)."""
import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._states import keystone_init as state

CHANGES = {
    "projects": {"service": "created"},
    "users": {"nova": "created", "glance": {"password": "updated"}},
    "grants": {"nova": ["admin on project service", "service on project service"]},
}


@pytest.fixture
def fake(monkeypatch):
    calls = []
    outcome = {"value": CHANGES}

    def apply(config, test=False, **auth):
        calls.append((config, test, auth))
        if isinstance(outcome["value"], Exception):
            raise outcome["value"]
        return outcome["value"]

    opts = {"test": False}
    monkeypatch.setattr(state, "__salt__", {"keystone_init.apply": apply}, raising=False)
    monkeypatch.setattr(state, "__opts__", opts, raising=False)
    return calls, outcome, opts


def test_summary_names_and_counts():
    assert state._summary(CHANGES) == (
        "projects: 1 created (service); users: 1 created (nova), 1 updated (glance); "
        "grants: 2 added"
    )


def test_changes_applied(fake):
    calls, _, _ = fake
    ret = state.present("identity", config="keystone_init:config", auth_url="http://k/v3")
    assert ret == {
        "name": "identity",
        "result": True,
        "changes": CHANGES,
        "comment": "Changed Keystone: " + state._summary(CHANGES),
    }
    assert calls == [("keystone_init:config", False, {"auth_url": "http://k/v3"})]


def test_test_mode_predicts(fake):
    calls, _, opts = fake
    opts["test"] = True
    ret = state.present("identity", __id__="identity", __sls__="keystone")
    assert ret["result"] is None
    assert ret["changes"] == CHANGES
    assert ret["comment"].startswith("Would change Keystone: ")
    assert calls == [(None, True, {})]  # Salt's own keywords are not passed on


def test_nothing_to_do(fake):
    _, outcome, opts = fake
    outcome["value"] = {}
    for test in (False, True):
        opts["test"] = test
        ret = state.present("identity")
        assert ret["result"] is True
        assert ret["changes"] == {}
        assert "already as configured" in ret["comment"]


def test_failure(fake):
    _, outcome, _ = fake
    outcome["value"] = CommandExecutionError("Keystone: authentication as admin failed: nope")
    ret = state.present("identity")
    assert ret["result"] is False
    assert ret["changes"] == {}
    assert ret["comment"] == "Keystone: authentication as admin failed: nope"
