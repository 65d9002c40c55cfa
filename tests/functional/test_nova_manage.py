"""
The nova_manage execution and state modules against the real nova-manage
(Debian's nova 26) and a real, throwaway MariaDB.

Every nova-manage call costs two to four seconds, so the scenario is built
once per module by chained fixtures (API schema -> cell0 -> cell1 -> main
schema -> host discovery -> updates), each running its state in test mode,
for real, then again; the tests only look at what was recorded.

No RabbitMQ is needed: nova-manage builds an oslo.messaging transport from
transport_url at start-up but never connects for these commands.
"""

import json
import logging
import os
import pathlib
import re
import tempfile
import threading
import time

import pytest
from salt.exceptions import CommandExecutionError

from mariadb_server import MariaDBServer, free_port

# '$' exercises oslo.config's "$$" escaping in nova.conf and in the
# temporary override files.
DB_PASSWORD = "N0va$db_Secret"
RABBIT_PASSWORD = "R4bbit-Secret"
OTHER_RABBIT_PASSWORD = "0ther-Rabbit-Pw"
SECRETS = (DB_PASSWORD, RABBIT_PASSWORD, OTHER_RABBIT_PASSWORD)
CELL0_UUID = "00000000-0000-0000-0000-000000000000"
DATABASES = ("nova_api", "nova", "nova_cell0", "nova_cell2")


def _conf_value(value):
    return value.replace("$", "$$")


def _write_nova_conf(path, transport_url, api_url, main_url):
    path.write_text(
        "[DEFAULT]\n"
        f"transport_url = {_conf_value(transport_url)}\n"
        "[api_database]\n"
        f"connection = {_conf_value(api_url)}\n"
        "max_retries = 0\n"
        "[database]\n"
        f"connection = {_conf_value(main_url)}\n"
        "max_retries = 0\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


def _assert_no_secret(obj):
    text = json.dumps(obj, default=str)
    for secret in SECRETS:
        assert secret not in text, f"a password leaked: {text}"


# --------------------------------------------------------------------------
# Watchers: argv of every process, and every log record, for the whole module
# --------------------------------------------------------------------------


class _ArgvWatcher(threading.Thread):
    """Polls /proc/*/cmdline and records nova-manage runs and secret hits."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop_event = threading.Event()
        self.nova_manage_runs = set()
        self.leaks = []

    def run(self):
        while not self.stop_event.is_set():
            for proc in pathlib.Path("/proc").glob("[0-9]*"):
                try:
                    argv = (proc / "cmdline").read_bytes().decode("utf-8", "replace")
                except OSError:
                    continue
                if "nova-manage" in argv:
                    self.nova_manage_runs.add((proc.name, argv))
                if any(secret in argv for secret in SECRETS):
                    self.leaks.append(argv.replace("\0", " "))
            time.sleep(0.05)


@pytest.fixture(scope="module")
def argv_watcher():
    watcher = _ArgvWatcher()
    watcher.start()
    yield watcher
    watcher.stop_event.set()
    watcher.join()


class _RecordingHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.messages = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # pylint: disable=broad-except
            self.messages.append(str(record.msg))


@pytest.fixture(scope="module")
def log_records():
    root = logging.getLogger()
    handler = _RecordingHandler()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.messages
    root.removeHandler(handler)
    root.setLevel(old_level)


# --------------------------------------------------------------------------
# The database, nova.conf and helpers
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mariadb():
    with MariaDBServer() as server:
        for database in DATABASES:
            server.create_database(database)
        server.create_user("nova", DB_PASSWORD, databases=DATABASES)
        yield server


@pytest.fixture(scope="module")
def urls(mariadb):
    def db(name):
        # '$' needs no %-encoding in a URL's user info
        return f"mysql+pymysql://nova:{DB_PASSWORD}@127.0.0.1:{mariadb.port}/{name}"

    return {
        "api": db("nova_api"),
        "main": db("nova"),
        "cell0": db("nova_cell0"),
        "cell2": db("nova_cell2"),
        "transport": f"rabbit://openstack:{RABBIT_PASSWORD}@127.0.0.1:5672/",
        "masked": lambda name: f"mysql+pymysql://nova:****@127.0.0.1:{mariadb.port}/{name}",
    }


@pytest.fixture(scope="module")
def nova_conf(urls, tmp_path_factory):
    path = tmp_path_factory.mktemp("nova") / "nova.conf"
    return _write_nova_conf(path, urls["transport"], urls["api"], urls["main"])


@pytest.fixture(scope="module")
def returns():
    """Everything the modules returned, checked for passwords at the end."""
    return []


@pytest.fixture(scope="module")
def nm(loaders, nova_conf, returns, argv_watcher, log_records):
    """Call an execution function with the test nova.conf, record the return."""

    def _call(fun, *args, **kwargs):
        kwargs.setdefault("config_file", nova_conf)
        ret = getattr(loaders.modules.nova_manage, fun)(*args, **kwargs)
        returns.append(ret)
        return ret

    return _call


@pytest.fixture(scope="module")
def state(loaders, nova_conf, returns, argv_watcher, log_records):
    """Run a nova_manage state through state.single, record the return."""

    def _run(fun, **kwargs):
        kwargs.setdefault("config_file", nova_conf)
        ret = loaders.modules.state.single(f"nova_manage.{fun}", **kwargs)
        raw = ret.raw if hasattr(ret, "raw") else ret
        assert isinstance(raw, dict) and len(raw) == 1, raw
        result = next(iter(raw.values()))
        returns.append(result)
        return result

    return _run


def _three_runs(state, fun, **kwargs):
    return {
        "test": state(fun, test=True, **kwargs),
        "first": state(fun, **kwargs),
        "second": state(fun, **kwargs),
    }


# --------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_synced(state, nm):
    runs = _three_runs(state, "db_synced", name="api")
    runs["head"] = nm("db_head", "api")
    return runs


@pytest.fixture(scope="module")
def cell0(api_synced, state, urls):
    # given explicitly, with its password: goes through a temporary file
    return _three_runs(state, "cell_present", name="cell0", database_connection=urls["cell0"])


@pytest.fixture(scope="module")
def cell1(cell0, state):
    # transport and database taken from nova.conf
    return _three_runs(state, "cell_present", name="cell1")


@pytest.fixture(scope="module")
def main_synced(cell1, state, nm):
    runs = _three_runs(state, "db_synced", name="main")
    runs["head"] = nm("db_head", "main")
    return runs


@pytest.fixture(scope="module")
def cells(main_synced, nm):
    return {cell["name"]: cell for cell in nm("list_cells")}


@pytest.fixture(scope="module")
def hosts(cells, nm, state, mariadb):
    found = {"before": nm("list_hosts")}
    found["test"] = state("hosts_discovered", name="discover", test=True)
    found["none"] = state("hosts_discovered", name="discover")
    # What a starting nova-compute does: register its compute node.
    mariadb.execute(
        "INSERT INTO compute_nodes (created_at, vcpus, memory_mb, local_gb,"
        " vcpus_used, memory_mb_used, local_gb_used, hypervisor_type,"
        " hypervisor_version, cpu_info, host, hypervisor_hostname, uuid,"
        " deleted, mapped) VALUES (NOW(), 2, 2048, 20, 0, 0, 0, 'QEMU',"
        " 7000000, '{}', 'compute-fake-1', 'compute-fake-1', UUID(), 0, 0);",
        database="nova",
    )
    found["first"] = state("hosts_discovered", name="discover")
    found["second"] = state("hosts_discovered", name="discover")
    found["after"] = nm("list_hosts")
    # With the hosts that must be mapped: compute-fake-2 has not registered.
    both = ["compute-fake-1", "compute-fake-2"]
    found["mapped"] = state("hosts_discovered", name="discover", hosts=both[:1], timeout=60)
    found["predicted"] = state("hosts_discovered", name="discover", hosts=both, test=True)
    found["timeout"] = state("hosts_discovered", name="discover", hosts=both, timeout=3, interval=1)
    mariadb.execute(
        "INSERT INTO compute_nodes (created_at, vcpus, memory_mb, local_gb,"
        " vcpus_used, memory_mb_used, local_gb_used, hypervisor_type,"
        " hypervisor_version, cpu_info, host, hypervisor_hostname, uuid,"
        " deleted, mapped) VALUES (NOW(), 2, 2048, 20, 0, 0, 0, 'QEMU',"
        " 7000000, '{}', 'compute-fake-2', 'compute-fake-2', UUID(), 0, 0);",
        database="nova",
    )
    found["late"] = state("hosts_discovered", name="discover", hosts=both, timeout=60, interval=1)
    found["again"] = state("hosts_discovered", name="discover", hosts=both, timeout=60)
    found["finally"] = nm("list_hosts")
    return found


@pytest.fixture(scope="module")
def updates(hosts, state, urls):
    moved = f"rabbit://openstack:{RABBIT_PASSWORD}@127.0.0.2:5672/"
    new_password = f"rabbit://openstack:{OTHER_RABBIT_PASSWORD}@127.0.0.2:5672/"
    cell0_url = urls["cell0"] + "?charset=utf8"
    return {
        "cell1": _three_runs(state, "cell_present", name="cell1", transport_url=moved),
        "password": state("cell_present", name="cell1", transport_url=new_password, test=True),
        "cell0": _three_runs(state, "cell_present", name="cell0", database_connection=cell0_url),
        "cell2": _three_runs(
            state,
            "cell_present",
            name="cell2",
            transport_url=new_password.replace("127.0.0.2", "127.0.0.3"),
            database_connection=urls["cell2"],
        ),
    }


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_api_db_synced(api_synced):
    head = api_synced["head"]
    assert re.fullmatch(r"[0-9a-f]{12}", head)
    test = api_synced["test"]
    assert test["result"] is None
    assert test["changes"] == {"old": None, "new": head}
    first = api_synced["first"]
    # "old" is still None: the test run migrated nothing
    assert first["result"] is True, first
    assert first["changes"] == {"old": None, "new": head}
    second = api_synced["second"]
    assert second["result"] is True
    assert second["changes"] == {}
    assert head in second["comment"]


def test_cell0_present(cell0, urls, nova_conf, loaders):
    test = cell0["test"]
    assert test["result"] is None
    assert test["changes"]["new"]["name"] == "cell0"
    first = cell0["first"]
    assert first["result"] is True, first
    assert first["changes"]["old"] is None  # the test run created nothing
    assert first["changes"]["new"]["uuid"] == CELL0_UUID
    assert first["changes"]["new"]["database_connection"] == urls["masked"]("nova_cell0")
    second = cell0["second"]
    assert second["result"] is True and second["changes"] == {}, second


def test_cell1_present(cell1):
    test = cell1["test"]
    assert test["result"] is None
    assert test["changes"]["new"]["transport_url"] == "rabbit://openstack:****@127.0.0.1:5672/"
    first = cell1["first"]
    assert first["result"] is True, first
    assert re.fullmatch(r"[0-9a-f-]{36}", first["changes"]["new"]["uuid"])
    assert cell1["second"]["changes"] == {}
    assert cell1["second"]["result"] is True


def test_main_db_synced_with_cell0(main_synced):
    head = main_synced["head"]
    test = main_synced["test"]
    assert test["result"] is None
    assert test["changes"] == {"old": None, "new": head, "cell0": {"old": None, "new": head}}
    first = main_synced["first"]
    assert first["result"] is True, first
    assert first["changes"] == test["changes"]
    assert main_synced["second"]["changes"] == {}
    assert main_synced["second"]["result"] is True


def test_at_head_no_nova_manage_starts_and_cell0_behind_is_migrated(main_synced, state, nm,
                                                                    mariadb, argv_spy):
    """The schema checks are one start of nova's Python, reading the
    databases' alembic_version rows (cell0's URL from its mapping): at head
    nova-manage is not started; cell0 one migration behind (its last one
    undone by hand) is seen and migrated by "db sync"."""
    head = main_synced["head"]
    for name in ("api", "main"):
        ret = state("db_synced", name=name)
        assert ret["result"] is True and ret["changes"] == {}, ret
    assert argv_spy
    assert not any(os.path.basename(str(argv[0])) == "nova-manage" for argv in argv_spy)

    # nova 31's last main migration adds console_auth_tokens.tls_port
    previous = "d60bddf7a903"
    assert head == "2903cd72dc14"
    mariadb.execute("ALTER TABLE console_auth_tokens DROP COLUMN tls_port;"
                    f"UPDATE alembic_version SET version_num = '{previous}'",
                    database="nova_cell0")  # fmt: skip
    status = nm("db_status", "main")
    assert status["synced"] is False and status["version"] == head
    assert status["cell0"] == {"version": previous, "head": head}
    ret = state("db_synced", name="main")
    assert ret["result"] is True and ret["changes"] == {"cell0": {"old": previous, "new": head}}
    assert nm("db_status", "main")["synced"] is True
    assert "tls_port" in mariadb.execute("SHOW COLUMNS FROM console_auth_tokens",
                                         database="nova_cell0")  # fmt: skip


def test_at_head_nova_s_python_is_not_started_either(main_synced, state, nm, mariadb,
                                                      argv_spy):  # fmt: skip
    """Once nova's heads are remembered (the slow checks above), databases
    at head are told by the mariadb client alone, as root over the socket
    (cell0's URL read from its mapping in nova_api); cell0 behind is the
    slow check again, and a migration."""
    head = main_synced["head"]
    for name in ("api", "main"):
        nm("db_status", name)  # the slow check remembers the heads
    del argv_spy[:]
    for name in ("api", "main"):
        for test in (False, True):
            ret = state("db_synced", name=name, socket=mariadb.socket, test=test)
            assert ret["result"] is True and ret["changes"] == {}, ret
    status = nm("db_status", "main", socket=mariadb.socket)
    assert status["synced"] is True and status["cell0"] == {"version": head, "head": head}
    programs = {os.path.basename(str(argv[0])) for argv in argv_spy}
    assert programs == {"mariadb"}, argv_spy

    mariadb.execute("UPDATE alembic_version SET version_num = 'd60bddf7a903'",
                    database="nova_cell0")  # fmt: skip
    del argv_spy[:]
    status = nm("db_status", "main", socket=mariadb.socket)
    assert status["synced"] is False and status["cell0"]["version"] == "d60bddf7a903"
    assert {os.path.basename(str(argv[0])) for argv in argv_spy} != {"mariadb"}
    # only the row moved back: the migration to head would fail on its column
    mariadb.execute(f"UPDATE alembic_version SET version_num = '{head}'", database="nova_cell0")
    assert nm("db_status", "main", socket=mariadb.socket)["synced"] is True


def test_list_cells_masked(cells, urls):
    assert set(cells) == {"cell0", "cell1"}
    assert cells["cell0"] == {
        "name": "cell0",
        "uuid": CELL0_UUID,
        "transport_url": "none:///",
        "database_connection": urls["masked"]("nova_cell0"),
        "disabled": False,
    }
    assert cells["cell1"]["transport_url"] == "rabbit://openstack:****@127.0.0.1:5672/"
    assert cells["cell1"]["database_connection"] == urls["masked"]("nova")
    assert cells["cell1"]["disabled"] is False


def test_hosts_discovery(hosts, cells):
    assert hosts["before"] == []
    assert hosts["test"]["result"] is None
    assert hosts["test"]["changes"] == {}
    assert hosts["none"]["result"] is True
    assert hosts["none"]["changes"] == {}
    assert hosts["first"]["result"] is True
    assert hosts["first"]["changes"] == {"mapped": ["compute-fake-1"]}
    assert "cell1" in hosts["first"]["comment"]
    assert hosts["second"]["changes"] == {}
    assert hosts["after"] == [
        {"cell_name": "cell1", "cell_uuid": cells["cell1"]["uuid"], "hostname": "compute-fake-1"}
    ]


def test_hosts_discovery_until_the_listed_hosts_are_mapped(hosts, cells):
    """hosts=: nothing runs when they are mapped, test mode names the
    others, a host that never registers fails the state after the timeout
    (naming it), one that registers is mapped, and the next run is quiet."""
    assert (hosts["mapped"]["result"], hosts["mapped"]["changes"]) == (True, {})
    assert hosts["mapped"]["comment"] == "Every compute host is mapped: compute-fake-1"
    assert hosts["predicted"]["result"] is None
    assert hosts["predicted"]["changes"] == {"mapped": ["compute-fake-2"]}
    assert hosts["timeout"]["result"] is False and hosts["timeout"]["changes"] == {}
    assert "not mapped after 3 s: compute-fake-2" in hosts["timeout"]["comment"]
    assert hosts["late"]["result"] is True
    assert hosts["late"]["changes"] == {"mapped": ["compute-fake-2"]}
    assert (hosts["again"]["result"], hosts["again"]["changes"]) == (True, {})
    assert sorted(h["hostname"] for h in hosts["finally"]) == ["compute-fake-1", "compute-fake-2"]
    assert {h["cell_uuid"] for h in hosts["finally"]} == {cells["cell1"]["uuid"]}


def test_cell_transport_update(updates):
    runs = updates["cell1"]
    expected = {
        "transport_url": {
            "old": "rabbit://openstack:****@127.0.0.1:5672/",
            "new": "rabbit://openstack:****@127.0.0.2:5672/",
        }
    }
    assert runs["test"]["result"] is None
    assert runs["test"]["changes"] == expected
    assert runs["first"]["result"] is True, runs["first"]
    assert runs["first"]["changes"] == expected  # so the test run wrote nothing
    assert runs["second"]["changes"] == {}


def test_password_only_change_is_reported_masked(updates):
    ret = updates["password"]
    assert ret["result"] is None
    assert ret["changes"] == {
        "transport_url": {
            "old": "rabbit://openstack:****@127.0.0.2:5672/",
            "new": "rabbit://openstack:****@127.0.0.2:5672/",
            "credentials_changed": True,
        }
    }


def test_cell0_database_update_keeps_none_transport(updates, urls, nm):
    runs = updates["cell0"]
    assert runs["first"]["result"] is True, runs["first"]
    assert runs["first"]["changes"] == {
        "database_connection": {
            "old": urls["masked"]("nova_cell0"),
            "new": urls["masked"]("nova_cell0") + "?charset=utf8",
        }
    }
    assert runs["second"]["changes"] == {}
    cell0 = next(c for c in nm("list_cells") if c["uuid"] == CELL0_UUID)
    assert cell0["transport_url"] == "none:///"


def test_cell_created_with_urls_differing_from_nova_conf(updates, urls):
    runs = updates["cell2"]
    assert runs["test"]["result"] is None
    assert runs["first"]["result"] is True, runs["first"]
    assert runs["first"]["changes"]["new"]["database_connection"] == urls["masked"]("nova_cell2")
    assert runs["first"]["changes"]["new"]["transport_url"] == (
        "rabbit://openstack:****@127.0.0.3:5672/"
    )
    assert runs["second"]["changes"] == {}


def _copy_conf(nova_conf, path):
    path.write_text(pathlib.Path(nova_conf).read_text(encoding="utf-8"), encoding="utf-8")
    path.chmod(0o600)
    return str(path)


def _mappings(nova_manage, config_file, cell1_uuid, **conn):
    """Everything the checks read, for one config file (its own
    __context__ cache entry)."""
    return {
        "cells": nova_manage.list_cells(config_file=config_file, **conn),
        "hosts": nova_manage.list_hosts(config_file=config_file, **conn),
        "cell1 hosts": nova_manage.list_hosts(cell1_uuid, config_file=config_file, **conn),
        "cell0": nova_manage.check_cell("cell0", config_file=config_file, **conn),
        "cell1": nova_manage.check_cell("cell1", config_file=config_file, **conn),
    }


def test_the_mappings_read_by_sql_agree_with_nova_manage(updates, cells, nova_conf, loaders,
                                                          mariadb, argv_spy, returns, tmp_path):
    """The checks read cell_mappings and host_mappings of nova_api (nova's
    own schema, made by api_db sync above) with the mariadb client, as
    root over the socket: no nova-manage starts, and the answers are
    nova-manage's (list_cells --verbose, list_hosts), passwords masked.
    Reaching no server, the client gives way to nova-manage."""
    nova_manage = loaders.modules.nova_manage
    cell1_uuid = cells["cell1"]["uuid"]
    # a disabled cell, as "nova-manage cell_v2 update_cell --disable" leaves it
    mariadb.execute("UPDATE cell_mappings SET disabled = 1 WHERE name = 'cell2'",
                    database="nova_api")  # fmt: skip
    try:
        del argv_spy[:]
        by_sql = _mappings(nova_manage, _copy_conf(nova_conf, tmp_path / "sql.conf"), cell1_uuid,
                           socket=mariadb.socket)  # fmt: skip
        assert {os.path.basename(str(argv[0])) for argv in argv_spy} == {"mariadb"}, argv_spy
        del argv_spy[:]
        by_nova_manage = _mappings(nova_manage, _copy_conf(nova_conf, tmp_path / "nm.conf"),
                                   cell1_uuid, socket=str(tmp_path / "no-server.sock"))
        assert "nova-manage" in {os.path.basename(str(argv[0])) for argv in argv_spy}
    finally:
        mariadb.execute("UPDATE cell_mappings SET disabled = 0 WHERE name = 'cell2'",
                        database="nova_api")  # fmt: skip
    returns.extend([by_sql, by_nova_manage])
    assert by_sql == by_nova_manage
    assert [cell["name"] for cell in by_sql["cells"]] == ["cell0", "cell1", "cell2"]
    assert [cell["disabled"] for cell in by_sql["cells"]] == [False, False, True]
    assert [host["hostname"] for host in by_sql["hosts"]] == ["compute-fake-1", "compute-fake-2"]
    assert by_sql["cell1 hosts"] == by_sql["hosts"]
    assert by_sql["cell1"]["differences"]["transport_url"]["old"] == (
        "rabbit://openstack:****@127.0.0.2:5672/")
    _assert_no_secret([by_sql, by_nova_manage])


def test_the_mappings_of_a_database_without_schema_are_a_clear_error(mariadb, urls, loaders,
                                                                     tmp_path):  # fmt: skip
    """An API database with no tables (api_db sync not run yet) is the
    client's error, not an empty list; an API database that does not
    exist is NotReadyError, as nova-manage's "Unknown database" is."""
    mariadb.create_database("nova_api_empty")
    nova_manage = loaders.modules.nova_manage
    empty = _write_nova_conf(tmp_path / "empty.conf", urls["transport"],
                             urls["api"].replace("/nova_api", "/nova_api_empty"), urls["main"])
    with pytest.raises(CommandExecutionError, match="1146") as error:
        nova_manage.list_cells(config_file=empty, socket=mariadb.socket)
    assert "cannot read nova's cell and host mappings" in str(error.value)
    assert not getattr(error.value, "not_ready", False)
    missing = _write_nova_conf(tmp_path / "missing.conf", urls["transport"],
                               urls["api"].replace("/nova_api", "/nova_api_missing"), urls["main"])
    with pytest.raises(CommandExecutionError, match="Unknown database 'nova_api_missing'") as error:
        nova_manage.list_hosts(config_file=missing, socket=mariadb.socket)
    assert error.value.not_ready is True


def test_db_sync_unreachable_database(loaders, tmp_path, returns):
    port = free_port()
    bad = f"mysql+pymysql://nova:{DB_PASSWORD}@127.0.0.1:{port}"
    conf = _write_nova_conf(
        tmp_path / "nova.conf",
        f"rabbit://openstack:{RABBIT_PASSWORD}@127.0.0.1:5672/",
        f"{bad}/nova_api",
        f"{bad}/nova",
    )
    with pytest.raises(CommandExecutionError) as error:
        loaders.modules.nova_manage.db_sync(config_file=conf)
    message = str(error.value)
    assert "Could not access cell0" in message
    assert "Can't connect to MySQL server" in message
    returns.append(message)

    ret = loaders.modules.state.single("nova_manage.db_synced", name="api", config_file=conf)
    ret = next(iter((ret.raw if hasattr(ret, "raw") else ret).values()))
    assert ret["result"] is False
    assert "Can't connect to MySQL server" in ret["comment"]
    returns.append(ret)


def test_bad_state_name(state):
    ret = state("db_synced", name="nova")
    assert ret["result"] is False
    assert "'api' or 'main'" in ret["comment"]


def test_no_secret_anywhere(updates, returns, argv_watcher, log_records):
    """Last: nothing returned, logged or put on a command line holds a password."""
    assert len(returns) > 20
    _assert_no_secret(returns)
    _assert_no_secret(log_records)
    assert any("nova-manage" in m for m in log_records)  # the log was recorded
    assert argv_watcher.nova_manage_runs, "the argv watcher saw no nova-manage"
    assert argv_watcher.leaks == []
    leftovers = [p for p in os.listdir(tempfile.gettempdir()) if p.startswith("nova-manage-")]
    assert leftovers == []
