"""
openstack_db's service schemas against the real programs: trixie's
``placement-manage`` and ``cinder-manage`` (packages placement-common and
cinder-common) on a real MariaDB (mariadb_server.py), with the head read
from the installed migrations by the programs' own interpreter.

The scenario of issue 11 item 12: the database and its user exist but the
schema was never made (a first run failed between creating the database
and migrating it).  The state migrates it whatever ran before; at head it
runs nothing; test mode predicts both.  The password stays in the config
file: never on a command line, never in a return.
"""
import json
import os
import pathlib
import subprocess

import pytest
import salt.utils.timed_subprocess

from mariadb_server import MariaDBServer  # tests/functional is on sys.path

PASSWORD = "schema-S3cret_pw"
# service -> (config section of the database URL, where the migrations are)
SERVICES = {
    "placement": ("placement_database", "db/sqlalchemy/alembic/versions"),
    "cinder": ("database", "db/migrations/versions"),
}


@pytest.fixture(scope="module")
def mariadb():
    with MariaDBServer() as server:
        yield server


@pytest.fixture
def argv_spy(monkeypatch):
    """Record the argv of every program Salt's cmd module runs."""
    calls = []
    original = salt.utils.timed_subprocess.TimedProc.__init__

    def init(self, args, **kwargs):
        calls.append(list(args) if isinstance(args, (list, tuple)) else [args])
        original(self, args, **kwargs)

    monkeypatch.setattr(salt.utils.timed_subprocess.TimedProc, "__init__", init)
    return calls


def _config(mariadb, tmp_path, service):
    """An empty database and its user, as openstack_db.present leaves them,
    and a config file naming it (0600: it holds the password)."""
    database = f"{service}_schema"
    mariadb.create_database(database)
    mariadb.create_user(service, PASSWORD, databases=[database])
    section = SERVICES[service][0]
    path = tmp_path / f"{service}.conf"
    path.write_text(f"[{section}]\nconnection = {mariadb.url(service, PASSWORD, database)}\n")
    os.chmod(path, 0o600)
    return str(path)


def _shipped_revisions(service):
    """The revision ids of the installed package's migration files."""
    code = (f"import importlib.util; print(importlib.util.find_spec({service!r})"
            ".submodule_search_locations[0])")  # fmt: skip
    package_dir = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True,
                                 text=True, check=True).stdout.strip()  # fmt: skip
    versions = pathlib.Path(package_dir) / SERVICES[service][1]
    return {p.name.split("_", 1)[0] for p in versions.glob("*_*.py")}


def _state(loaders, **kwargs):
    ret = loaders.modules.state.single("openstack_db.schema_synced", **kwargs)
    raw = ret.raw if hasattr(ret, "raw") else ret
    assert isinstance(raw, dict) and len(raw) == 1, raw
    return next(iter(raw.values()))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_an_empty_database_is_migrated_then_left_alone(loaders, mariadb, tmp_path, argv_spy,
                                                       service):  # fmt: skip
    db = loaders.modules.openstack_db
    conf = _config(mariadb, tmp_path, service)
    status = db.schema_status(service, config_file=conf)
    assert status["version"] is None and status["synced"] is False
    head = status["head"]
    assert head in _shipped_revisions(service)

    runs = {"test": _state(loaders, name=service, config_file=conf, test=True),
            "first": _state(loaders, name=service, config_file=conf),
            "second": _state(loaders, name=service, config_file=conf),
            "test-at-head": _state(loaders, name=service, config_file=conf, test=True)}
    assert runs["test"]["result"] is None, runs["test"]
    assert runs["test"]["changes"] == {"old": None, "new": head}
    assert runs["first"]["result"] is True, runs["first"]
    assert runs["first"]["changes"] == {"old": None, "new": head}
    assert db.schema_version(service, config_file=conf) == head
    for run in ("second", "test-at-head"):
        assert runs[run]["result"] is True and runs[run]["changes"] == {}, runs[run]
        assert runs[run]["comment"] == f"The {service} database is at revision {head}"
    tables = mariadb.execute(f"SHOW TABLES FROM `{service}_schema`").split()
    assert "alembic_version" in tables and len(tables) > 5

    syncs = [argv for argv in argv_spy if argv[-2:] == ["db", "sync"]]
    assert len(syncs) == 1  # the first run's, only
    assert all(PASSWORD not in " ".join(map(str, argv)) for argv in argv_spy)
    assert PASSWORD not in json.dumps(runs)


def test_a_database_that_cannot_be_reached_fails_without_the_password(loaders, mariadb,
                                                                      tmp_path):  # fmt: skip
    conf = _config(mariadb, tmp_path, "placement")
    pathlib.Path(conf).write_text(pathlib.Path(conf).read_text().replace(PASSWORD, "wrong-pw"))
    ret = _state(loaders, name="placement", config_file=conf)
    assert ret["result"] is False
    assert "Cannot read the placement schema version" in ret["comment"]
    assert "Access denied" in ret["comment"]
    assert "wrong-pw" not in ret["comment"]
    # In a dry run the same answer is "not ready yet" (the states that set
    # the password come first in that run).
    assert _state(loaders, name="placement", config_file=conf, test=True)["result"] is None

