"""
nova_manage states: decision logic, with the execution module replaced by
fakes (the real thing is exercised in tests/functional/test_nova_manage.py).
"""

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._states import nova_manage
from saltext_openstack._utils.saltext_openstack_schema import NotReadyError

HEAD = "ccb0fa1a2252"
CELL0 = "00000000-0000-0000-0000-000000000000"


class Seq(list):
    """Canned values returned one per call, in order (db_status read before
    and after a sync)."""


class Fake:
    """Execution functions returning canned values, recording their calls."""

    def __init__(self, **results):
        self.results = results
        self.calls = []

    def function(self, name):
        def _call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            result = self.results[name]
            if isinstance(result, Seq):
                result = result.pop(0)
            if isinstance(result, Exception):
                raise result
            return result

        return _call

    def salt(self):
        funcs = {f"nova_manage.{name}": self.function(name) for name in self.results}
        funcs.setdefault("nova_manage.list_cells", self.function("list_cells"))
        return funcs

    def called(self):
        return [name for name, _, _ in self.calls]


@pytest.fixture
def install(monkeypatch):
    def _install(test=False, **results):
        fake = Fake(**results)
        monkeypatch.setattr(nova_manage, "__salt__", fake.salt(), raising=False)
        monkeypatch.setattr(nova_manage, "__opts__", {"test": test}, raising=False)
        return fake

    return _install


def _status(version, cell0=False, cell0_version=None, unknown=()):
    synced = version == HEAD and (not cell0 or cell0_version == HEAD)
    status = {"database": "main", "version": version, "head": HEAD, "synced": synced,
              "unknown": list(unknown)}
    status["cell0"] = {"version": cell0_version, "head": HEAD} if cell0 else None
    return status


# -- db_synced ------------------------------------------------------------------


def test_db_synced_at_head_changes_nothing(install):
    fake = install(db_status=_status(HEAD, True, HEAD))
    ret = nova_manage.db_synced("main", config_file="/x/nova.conf")
    assert ret["result"] is True and ret["changes"] == {}
    assert fake.called() == ["db_status"]
    assert fake.calls[0][2] == {"config_file": "/x/nova.conf"}


def test_db_synced_test_mode_predicts_without_syncing(install):
    fake = install(test=True, db_status=_status(None, True, None))
    ret = nova_manage.db_synced("main")
    assert ret["result"] is None
    assert ret["changes"] == {"old": None, "new": HEAD, "cell0": {"old": None, "new": HEAD}}
    assert fake.called() == ["db_status"]


def test_db_synced_only_cell0_behind(install):
    install(test=True, db_status=_status(HEAD, True, None))
    ret = nova_manage.db_synced("main")
    assert ret["changes"] == {"cell0": {"old": None, "new": HEAD}}


def test_db_synced_api_runs_api_db_sync(install):
    api = {"database": "api", "version": "d67eeaabee36", "head": HEAD, "synced": False,
           "unknown": []}
    fake = install(db_status=Seq([api, dict(api, version=HEAD, synced=True)]), api_db_sync=True)
    ret = nova_manage.db_synced("api", config_file="/x/nova.conf")
    assert ret["result"] is True
    assert ret["changes"] == {"old": "d67eeaabee36", "new": HEAD}
    assert fake.called() == ["db_status", "api_db_sync", "db_status"]
    assert fake.calls[1][2] == {"config_file": "/x/nova.conf"}
    assert fake.calls[2][1] == ("api",) and fake.calls[2][2] == {"config_file": "/x/nova.conf"}


def test_db_synced_main_without_cell0(install):
    fake = install(db_status=Seq([_status(None), _status(HEAD)]), db_sync=True)
    ret = nova_manage.db_synced("main")
    assert ret["result"] is True and ret["changes"] == {"old": None, "new": HEAD}
    assert fake.called() == ["db_status", "db_sync", "db_status"]


def test_db_synced_a_sync_short_of_head_fails(install):
    """nova-manage exited 0 but cell0 is still behind: reported, not hidden
    (it would run again on every run)."""
    install(db_status=Seq([_status(None, True, None), _status(HEAD, True, "d67eeaabee36")]),
            db_sync=True)
    ret = nova_manage.db_synced("main")
    assert ret["result"] is False
    assert ret["changes"] == {"old": None, "new": HEAD,
                              "cell0": {"old": None, "new": "d67eeaabee36"}}
    assert f"not at head {HEAD}" in ret["comment"] and "cell0 d67eeaabee36" in ret["comment"]


@pytest.mark.parametrize("test", [False, True])
def test_db_synced_refuses_a_schema_newer_than_nova(install, test):
    """A revision the installed nova does not ship (nova downgraded): nothing
    runs, in test mode too, and the comment names it."""
    fake = install(test=test, db_status=_status("f00dbeef0001", True, HEAD,
                                                unknown=["f00dbeef0001"]), db_sync=True)
    ret = nova_manage.db_synced("main")
    assert ret["result"] is False and ret["changes"] == {}
    assert "f00dbeef0001" in ret["comment"] and "does not ship" in ret["comment"]
    assert fake.called() == ["db_status"]


def test_db_synced_sync_failure(install):
    failure = CommandExecutionError("ERROR: Could not access cell0.")
    install(db_status=_status(None), db_sync=failure)
    ret = nova_manage.db_synced("main")
    assert ret["result"] is False and ret["changes"] == {}
    assert "Could not access cell0" in ret["comment"]


def test_db_synced_error_and_bad_name(install):
    install(db_status=CommandExecutionError("nova-manage db version failed: boom"))
    ret = nova_manage.db_synced("main")
    assert ret["result"] is False and "boom" in ret["comment"]
    ret = nova_manage.db_synced("cell1")
    assert ret["result"] is False and ret["changes"] == {}


# -- cell_present ---------------------------------------------------------------


def _check(name, exists=False, uuid=None, differences=None, db="mysql+pymysql://nova:****@h/nova"):
    return {
        "name": name,
        "exists": exists,
        "uuid": uuid,
        "wanted": {
            "transport_url": "none:///" if name == "cell0" else "rabbit://o:****@h:5672/",
            "database_connection": None if name == "cell0" else db,
        },
        "current": None,
        "differences": differences or {},
    }


def test_cell0_created_with_map_cell0(install):
    fake = install(
        check_cell=_check("cell0"),
        map_cell0={"name": "cell0", "uuid": CELL0, "created": True},
    )
    ret = nova_manage.cell_present("cell0")
    assert ret["result"] is True
    assert ret["changes"]["old"] is None
    assert ret["changes"]["new"]["uuid"] == CELL0
    assert fake.called() == ["check_cell", "map_cell0"]
    assert fake.calls[1][2]["database_connection"] is None


def test_cell_created_with_create_cell(install):
    fake = install(check_cell=_check("cell1"), create_cell="5e5e0c5b-0000-4000-8000-000000000001")
    ret = nova_manage.cell_present("cell1", transport_url="rabbit://o:pw@h:5672/")
    assert ret["changes"]["new"] == {
        "name": "cell1",
        "uuid": "5e5e0c5b-0000-4000-8000-000000000001",
        "transport_url": "rabbit://o:****@h:5672/",
        "database_connection": "mysql+pymysql://nova:****@h/nova",
    }
    name, args, kwargs = fake.calls[1]
    assert (name, args) == ("create_cell", ("cell1",))
    assert kwargs["transport_url"] == "rabbit://o:pw@h:5672/"
    assert "pw@" not in repr(ret)


def test_cell_test_mode_creates_nothing(install):
    fake = install(test=True, check_cell=_check("cell1"))
    ret = nova_manage.cell_present("cell1")
    assert ret["result"] is None
    assert ret["changes"]["new"]["name"] == "cell1"
    assert fake.called() == ["check_cell"]


def test_cell_present_unchanged(install):
    fake = install(check_cell=_check("cell1", exists=True, uuid="u-1"))
    ret = nova_manage.cell_present("cell1")
    assert ret["result"] is True and ret["changes"] == {}
    assert fake.called() == ["check_cell"]


def test_cell_update_passes_the_state_arguments(install):
    difference = {"database_connection": {"old": "a", "new": "b"}}
    fake = install(
        check_cell=_check("cell1", exists=True, uuid="u-1", differences=difference),
        update_cell=True,
    )
    ret = nova_manage.cell_present("cell1", database_connection="mysql://n:pw@h/b")
    assert ret["result"] is True
    assert ret["changes"] == difference
    assert "restart" in ret["comment"]
    name, args, kwargs = fake.calls[1]
    assert (name, args) == ("update_cell", ("u-1",))
    # None: nova-manage takes the transport from config_file, as compared
    assert kwargs["transport_url"] is None
    assert kwargs["database_connection"] == "mysql://n:pw@h/b"


def test_cell0_update_keeps_none_transport(install):
    difference = {"database_connection": {"old": "a", "new": "b"}}
    fake = install(
        check_cell=_check("cell0", exists=True, uuid=CELL0, differences=difference),
        update_cell=True,
    )
    nova_manage.cell_present("cell0", database_connection="mysql://n:pw@h/c0")
    assert fake.calls[1][2]["transport_url"] == "none:///"


def test_cell_update_test_mode(install):
    difference = {"transport_url": {"old": "x", "new": "x", "credentials_changed": True}}
    fake = install(
        test=True, check_cell=_check("cell1", exists=True, uuid="u-1", differences=difference)
    )
    ret = nova_manage.cell_present("cell1")
    assert ret["result"] is None and ret["changes"] == difference
    assert fake.called() == ["check_cell"]


def test_cell_error_is_reported(install):
    install(
        check_cell=_check("cell2"),
        create_cell=CommandExecutionError("transport_url already exists for another cell"),
    )
    ret = nova_manage.cell_present("cell2")
    assert ret["result"] is False
    assert "already exists" in ret["comment"]


# -- hosts_discovered ---------------------------------------------------------------


def test_hosts_discovered_test_mode_runs_nothing(install):
    fake = install(test=True, discover_hosts=[])
    ret = nova_manage.hosts_discovered("discover")
    assert ret["result"] is None and ret["changes"] == {}
    assert fake.called() == []


def test_hosts_discovered_reports_new_hosts(install):
    install(
        discover_hosts=[
            {"hostname": "cmp2", "cell_name": "cell1", "cell_uuid": "u-1"},
            {"hostname": "cmp1", "cell_name": None, "cell_uuid": "u-2"},
        ]
    )
    ret = nova_manage.hosts_discovered("discover")
    assert ret["changes"] == {"mapped": ["cmp1", "cmp2"]}
    assert "cmp2 to cell cell1" in ret["comment"] and "cmp1 to cell u-2" in ret["comment"]


def test_hosts_discovered_nothing_new(install):
    install(discover_hosts=[])
    ret = nova_manage.hosts_discovered("discover")
    assert ret["result"] is True and ret["changes"] == {}


# -- hosts_discovered with hosts: read the mappings first, discover until mapped --


def _host(name, cell="cell1"):
    return {"hostname": name, "cell_name": cell, "cell_uuid": "u-1"}


@pytest.fixture
def discovery(monkeypatch):
    """list_hosts answers ``mapped``; each discover_hosts call returns the
    next of ``rounds`` (then nothing); sleeps are recorded, not slept."""

    def _install(mapped, rounds=(), test=False):
        calls, sleeps, rounds = [], [], list(rounds)

        def list_hosts(**kwargs):
            calls.append("list_hosts")
            return [_host(name) for name in mapped]

        def discover_hosts(**kwargs):
            calls.append("discover_hosts")
            found = rounds.pop(0) if rounds else []
            if isinstance(found, Exception):
                raise found
            return [_host(name) for name in found]

        funcs = {"nova_manage.list_hosts": list_hosts, "nova_manage.discover_hosts": discover_hosts,
                 "nova_manage.list_cells": lambda **kw: []}
        monkeypatch.setattr(nova_manage, "__salt__", funcs, raising=False)
        monkeypatch.setattr(nova_manage, "__opts__", {"test": test}, raising=False)
        monkeypatch.setattr(nova_manage.time, "sleep", sleeps.append)
        return calls, sleeps

    return _install


def test_every_host_mapped_runs_no_discovery(discovery):
    calls, _ = discovery(["cmp1", "cmp2"])
    ret = nova_manage.hosts_discovered("d", hosts=["cmp2", "cmp1"], timeout=300)
    assert (ret["result"], ret["changes"]) == (True, {})
    assert ret["comment"] == "Every compute host is mapped: cmp1, cmp2"
    assert calls == ["list_hosts"]


def test_test_mode_predicts_the_hosts_to_map(discovery):
    calls, _ = discovery(["cmp1"], test=True)
    ret = nova_manage.hosts_discovered("d", hosts=["cmp1", "cmp3", "cmp2"], timeout=300)
    assert (ret["result"], ret["changes"]) == (None, {"mapped": ["cmp2", "cmp3"]})
    assert calls == ["list_hosts"]


def test_discovery_repeats_until_every_host_is_mapped(discovery):
    calls, sleeps = discovery(["cmp1"], rounds=[[], ["cmp2"], [], ["cmp3"]])
    ret = nova_manage.hosts_discovered("d", hosts=["cmp1", "cmp2", "cmp3"], timeout=300, interval=5)
    assert (ret["result"], ret["changes"]) == (True, {"mapped": ["cmp2", "cmp3"]})
    assert calls == ["list_hosts"] + ["discover_hosts"] * 4
    assert sleeps == [5, 5, 5]
    assert "cmp2 to cell cell1" in ret["comment"]


def test_a_host_never_registered_fails_the_state_after_the_timeout(discovery, monkeypatch):
    clock = iter(range(0, 1000, 4))
    monkeypatch.setattr(nova_manage.time, "monotonic", lambda: next(clock))
    calls, sleeps = discovery([], rounds=[["cmp1"]])
    ret = nova_manage.hosts_discovered("d", hosts=["cmp1", "cmp2"], timeout=20, interval=5)
    assert ret["result"] is False
    assert ret["changes"] == {"mapped": ["cmp1"]}
    assert "not mapped after 20 s: cmp2" in ret["comment"]
    assert ret["comment"].startswith("Mapped cmp1 to cell cell1; ")
    assert 2 <= calls.count("discover_hosts") <= 5 and len(sleeps) == calls.count("discover_hosts") - 1


def test_a_failed_discovery_keeps_what_was_mapped_before(discovery):
    discovery([], rounds=[["cmp1"], CommandExecutionError("cell1's database is down")])
    ret = nova_manage.hosts_discovered("d", hosts=["cmp1", "cmp2"], timeout=300)
    assert ret["result"] is False and ret["changes"] == {"mapped": ["cmp1"]}
    assert ret["comment"] == "Host discovery failed: cell1's database is down"


def test_test_mode_before_nova_has_a_database(monkeypatch):
    """A dry run of a new cloud: the mappings cannot be read yet (None, not False)."""

    def list_hosts(**kwargs):
        raise NotReadyError("nova-manage cell_v2 list_hosts failed (exit code 1): "
                            "Unknown database 'nova_api'")  # fmt: skip

    monkeypatch.setattr(nova_manage, "__salt__", {"nova_manage.list_hosts": list_hosts,
                                                  "nova_manage.list_cells": list},
                        raising=False)  # fmt: skip
    for test, result in ((True, None), (False, False)):
        monkeypatch.setattr(nova_manage, "__opts__", {"test": test}, raising=False)
        ret = nova_manage.hosts_discovered("d", hosts=["cmp1"], timeout=300)
        assert (ret["result"], ret["changes"]) == (result, {}), ret
