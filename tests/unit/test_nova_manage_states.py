"""
nova_manage states: decision logic, with the execution module replaced by
fakes (the real thing is exercised in tests/functional/test_nova_manage.py).
"""

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._states import nova_manage

HEAD = "ccb0fa1a2252"
CELL0 = "00000000-0000-0000-0000-000000000000"


class Fake:
    """Execution functions returning canned values, recording their calls."""

    def __init__(self, **results):
        self.results = results
        self.calls = []

    def function(self, name):
        def _call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            result = self.results[name]
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


def _status(version, cell0=False, cell0_version=None):
    synced = version == HEAD and (not cell0 or cell0_version == HEAD)
    status = {"database": "main", "version": version, "head": HEAD, "synced": synced}
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
    api = {"database": "api", "version": "d67eeaabee36", "head": HEAD, "synced": False}
    fake = install(db_status=api, api_db_sync=True)
    ret = nova_manage.db_synced("api", config_file="/x/nova.conf")
    assert ret["result"] is True
    assert ret["changes"] == {"old": "d67eeaabee36", "new": HEAD}
    assert fake.called() == ["db_status", "api_db_sync"]
    assert fake.calls[1][2] == {"config_file": "/x/nova.conf"}


def test_db_synced_main_without_cell0(install):
    fake = install(db_status=_status(None), db_sync=True)
    ret = nova_manage.db_synced("main")
    assert ret["changes"] == {"old": None, "new": HEAD}
    assert fake.called() == ["db_status", "db_sync"]


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
