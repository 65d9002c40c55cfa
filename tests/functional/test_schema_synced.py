"""
openstack_db's service schemas against the real programs: trixie's
``placement-manage``, ``cinder-manage``, ``keystone-manage``,
``glance-manage`` and ``neutron-db-manage`` (packages placement-common,
cinder-common, keystone, glance-common, neutron-common) on a real MariaDB
(mariadb_server.py), the state's check being one start of the service's
own interpreter (heads of the installed migrations, revisions of the
``alembic_version`` table, URL read from the config file by oslo.config),
run as the service's user.  Neutron's config is two files, as its server
reads them and salt/neutron/server.sls passes them: ``neutron.conf`` (the
URL) and ``ml2_conf.ini``, in that order.

The scenario of issue 11 item 12: the database and its user exist but the
schema was never made (a first run failed between creating the database
and migrating it).  The state migrates it whatever ran before; at head it
runs nothing (the manage program is not started); test mode predicts both;
a database one revision behind is migrated.  The password stays in the
config file (0640, the service's group): never on a command line, never in
a return.
"""
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import tempfile
from typing import NamedTuple

import pytest
from salt.exceptions import CommandExecutionError

from mariadb_server import MariaDBServer, free_port  # tests/functional is on sys.path
from saltext_openstack._modules.openstack_db import SCHEMAS
from saltext_openstack._utils import saltext_openstack_schemacache as schemacache

PASSWORD = "schema-S3cret_pw"
# ML2's file as salt/neutron/server.sls writes it (no [database]: the URL is
# in neutron.conf)
ML2_CONF = """[ml2]
type_drivers = flat,geneve
tenant_network_types = geneve
mechanism_drivers = ovn
extension_drivers = port_security
[ml2_type_flat]
flat_networks = physnet1
[ml2_type_geneve]
vni_ranges = 1:65536
max_header_size = 38
"""


class Service(NamedTuple):
    section: str  # the config section of the database URL
    versions: str  # where the migrations are, in the package (walked down)
    sync: list  # the manage program's sync command
    more_files: tuple = ()  # (name, text) of the config files after the URL's


SERVICES = {
    "placement": Service("placement_database", "db/sqlalchemy/alembic/versions", ["db", "sync"]),
    "cinder": Service("database", "db/migrations/versions", ["db", "sync"]),
    "keystone": Service("database", "common/sql/migrations/versions", ["db_sync"]),
    "glance": Service("database", "db/sqlalchemy/alembic_migrations/versions", ["db_sync"]),
    # the release directories under versions/ hold expand/ and contract/
    "neutron": Service("database", "db/migration/alembic_migrations/versions",
                       ["upgrade", "heads"], (("ml2_conf.ini", ML2_CONF),)),
}  # fmt: skip


@pytest.fixture(scope="module")
def mariadb():
    with MariaDBServer() as server:
        yield server


def _traversable_dir():
    """A directory the services' users can traverse (pytest's tmp_path
    is 0700, root's)."""
    path = tempfile.mkdtemp(prefix="schema-synced-")
    os.chmod(path, 0o711)
    return pathlib.Path(path)


@pytest.fixture
def conf_dir():
    path = _traversable_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _config(mariadb, conf_dir, service, password=PASSWORD, url=None, database=None,
            account=None):  # fmt: skip
    """An empty database (default ``<service>_schema``) and its user (default
    ``<service>``), as openstack_db.present leaves them, and a config file
    naming it, as the packages ship it: root:<service> 0640 (it holds the
    password).  With the service's other config files after it (neutron's
    ml2_conf.ini, as root:neutron 0640 as the formula writes it) the list
    of the paths, in the order the service reads them; else the one path."""
    database = database or f"{service}_schema"
    account = account or service
    mariadb.execute(f"DROP DATABASE IF EXISTS `{database}`")
    mariadb.create_database(database)
    mariadb.create_user(account, password, databases=[database])
    url = url or mariadb.url(account, password, database)
    files = [(f"{service}.conf",
              f"[DEFAULT]\ndebug = true\n[{SERVICES[service].section}]\nconnection = {url}\n")]
    paths = []
    for name, text in files + list(SERVICES[service].more_files):
        path = conf_dir / name
        path.write_text(text)
        os.chown(path, 0, grp_id(service))
        os.chmod(path, 0o640)
        paths.append(str(path))
    return paths if len(paths) > 1 else paths[0]


@pytest.fixture(scope="module")
def synced(loaders, mariadb):
    """``synced(service)``: the config file(s) of a database
    (``<service>_synced``, its own account) the service's manage program
    migrated, made once per module (neutron's upgrade takes a minute or
    two).  The tests that use it only read it."""
    path = _traversable_dir()
    made = {}

    def get(service):
        if service not in made:
            conf = _config(mariadb, path, service, database=f"{service}_synced",
                           account=f"{service}_synced")  # fmt: skip
            loaders.modules.openstack_db.schema_sync(service, config_file=conf, user=service)
            made[service] = conf
        return made[service]

    yield get
    shutil.rmtree(path, ignore_errors=True)


def grp_id(service):
    import grp

    return grp.getgrnam(service).gr_gid


def _versions_dir(service):
    """The installed package's migrations directory."""
    package = SCHEMAS[service]["package"]
    code = (f"import importlib.util; print(importlib.util.find_spec({package!r})"
            ".submodule_search_locations[0])")  # fmt: skip
    package_dir = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True,
                                 text=True, check=True).stdout.strip()  # fmt: skip
    return pathlib.Path(package_dir) / SERVICES[service].versions


def _shipped_revisions(service):
    """The revision ids of the installed package's migration files, in its
    versions directory and those under it (neutron's releases, keystone's
    branches)."""
    revision = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
    return {m.group(1) for p in _versions_dir(service).rglob("*.py")
            for m in revision.finditer(p.read_text())}  # fmt: skip


def _started(argv_spy, service):
    """The argv of the manage program's starts."""
    program = SCHEMAS[service]["program"]
    return [argv for argv in argv_spy if os.path.basename(str(argv[0])) == program]


def _config_files(argv):
    """The ``--config-file`` values of a manage program's argv, in order."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--config-file"]


def _python_starts(argv_spy):
    """What started besides the mariadb client: the status script (the
    service's Python, through su as the service's user), a manage program."""
    return [argv for argv in argv_spy if os.path.basename(str(argv[0])) not in ("mariadb", "mysql")]


def _status_checks(argv_spy):
    """The starts of the status script (``python3 -I -c``)."""
    return [argv for argv in argv_spy if "-I" in argv and "-c" in argv]


def _state(loaders, **kwargs):
    ret = loaders.modules.state.single("openstack_db.schema_synced", **kwargs)
    raw = ret.raw if hasattr(ret, "raw") else ret
    assert isinstance(raw, dict) and len(raw) == 1, raw
    return next(iter(raw.values()))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_an_empty_database_is_migrated_then_left_alone(loaders, mariadb, conf_dir, argv_spy,
                                                       service):  # fmt: skip
    db = loaders.modules.openstack_db
    conf = _config(mariadb, conf_dir, service)
    status = db.schema_status(service, config_file=conf, user=service)
    assert status["version"] is None and status["synced"] is False
    head = status["head"]
    assert set(head.split()) <= _shipped_revisions(service)
    assert _started(argv_spy, service) == []

    def state(**kwargs):
        return _state(loaders, name=service, config_file=conf, user=service, **kwargs)

    runs = {"test": state(test=True), "first": state()}
    first_starts = len(argv_spy)
    runs.update({"second": state(), "test-at-head": state(test=True)})
    assert runs["test"]["result"] is None, runs["test"]
    assert runs["test"]["changes"] == {"old": None, "new": head}
    assert runs["first"]["result"] is True, runs["first"]
    status = db.schema_status(service, config_file=conf, user=service)
    assert status["synced"] is True and status["unknown"] == []
    # what the sync left, read again: the heads, but glance's one row (its
    # contract head depends on its expand head)
    assert runs["first"]["changes"] == {"old": None, "new": status["version"]}
    assert status["version"] == (head if service != "glance" else "2024_1_contract01")
    for run in ("second", "test-at-head"):
        assert runs[run]["result"] is True and runs[run]["changes"] == {}, runs[run]
        assert runs[run]["comment"] == f"The {service} database is at revision {status['version']}"
    tables = mariadb.execute(f"SHOW TABLES FROM `{service}_schema`").split()
    assert "alembic_version" in tables and len(tables) > 5

    # the first run's sync only; at head the manage program is not started
    assert _started(argv_spy, service) == _started(argv_spy[:first_starts], service)
    (sync,) = _started(argv_spy, service)
    assert sync[-len(SERVICES[service].sync):] == SERVICES[service].sync
    # each config file given, in order (neutron: both, neutron.conf first)
    assert _config_files(sync) == schemacache.config_files(conf)
    assert len(_config_files(sync)) == 1 + len(SERVICES[service].more_files)
    assert all(PASSWORD not in " ".join(map(str, argv)) for argv in argv_spy)
    assert PASSWORD not in json.dumps(runs)


# service -> Python printing the heads its own alembic configuration gives
# (its version directories, listed in its code), run as root
OWN_HEADS = {
    "keystone": ("from alembic.script import ScriptDirectory\n"
                 "import keystone.conf\n"
                 "from keystone.common import sql\n"
                 "from keystone.common.sql import upgrades\n"
                 "keystone.conf.configure()\n"
                 "sql.initialize()\n"
                 "keystone.conf.CONF([], project='keystone', default_config_files=[])\n"
                 "print(' '.join(sorted(ScriptDirectory.from_config("
                 "upgrades.get_alembic_config()).get_heads())))"),
    # neutron-db-manage's own config for neutron (cli.get_alembic_configs):
    # versions/ and each release's expand/ and contract/
    "neutron": ("from alembic.config import Config\n"
                "from alembic.script import ScriptDirectory\n"
                "from neutron.db.migration import cli\n"
                "config = Config(cli.neutron_alembic_ini)\n"
                "config.set_main_option('script_location',"
                " cli._get_subproject_script_location('neutron'))\n"
                "cli._set_version_locations(config)\n"
                "print(' '.join(sorted(ScriptDirectory.from_config(config).get_heads())))"),
}  # fmt: skip


@pytest.mark.parametrize("service", sorted(OWN_HEADS))
def test_expand_and_contract_are_two_heads_and_two_rows(loaders, mariadb, synced, service):
    """keystone's and neutron's expand and contract branches: two heads,
    found in their release/branch directories, and two rows once synced;
    the heads are the ones the service's own alembic configuration gives,
    and for neutron the ones its EXPAND_HEAD and CONTRACT_HEAD files name."""
    db = loaders.modules.openstack_db
    conf = synced(service)
    status = db.schema_status(service, config_file=conf, user=service)
    rows = mariadb.execute(f"SELECT version_num FROM {service}_synced.alembic_version").split()
    assert sorted(rows) == status["version"].split() == status["head"].split()
    assert len(rows) == 2 and status["synced"] is True and status["unknown"] == []
    own = subprocess.run(["/usr/bin/python3", "-c", OWN_HEADS[service]], capture_output=True,
                         text=True, check=True).stdout.split()  # fmt: skip
    assert own == status["head"].split()
    if service == "neutron":
        versions = _versions_dir(service)
        files = [(versions / name).read_text().strip() for name in ("EXPAND_HEAD", "CONTRACT_HEAD")]
        assert sorted(files) == status["head"].split()


# service -> the rows of a database one step behind the code (its last
# migration may run again: keystone's skips a missing index, glance's
# contract is empty), what the state's "old" reads then
BEHIND = {
    "keystone": ("UPDATE alembic_version SET version_num = '99de3849d860' "
                 "WHERE version_num = 'c88cdce8f248'", "47147121 99de3849d860"),
    # after "glance-manage db expand": contract pending
    "glance": ("INSERT INTO alembic_version VALUES ('2024_1_expand01');"
               "UPDATE alembic_version SET version_num = '2023_1_contract01' "
               "WHERE version_num = '2024_1_contract01'", "2023_1_contract01 2024_1_expand01"),
}


@pytest.mark.parametrize("cheap", [False, True], ids=["", "cheap-check"])
@pytest.mark.parametrize("service", sorted(BEHIND))
def test_a_database_one_revision_behind_is_migrated(loaders, mariadb, conf_dir, argv_spy,
                                                    service, cheap):  # fmt: skip
    """With the cheap check (the heads remembered, the server reachable as
    root over its socket) too: rows short of the heads are never "synced",
    the slow check runs, the state predicts and migrates as without it."""
    db = loaders.modules.openstack_db
    conf = _config(mariadb, conf_dir, service)
    conn = {"socket": mariadb.socket} if cheap else {}
    db.schema_sync(service, config_file=conf, user=service)
    head = db.schema_status(service, config_file=conf, user=service)["head"]  # remembered
    sql, old = BEHIND[service]
    mariadb.execute(sql, database=f"{service}_schema")
    del argv_spy[:]

    def state(**kwargs):
        return _state(loaders, name=service, config_file=conf, user=service, **conn, **kwargs)

    predicted, ret, again = state(test=True), state(), state()
    runs = list(argv_spy)
    assert predicted["result"] is None and predicted["changes"] == {"old": old, "new": head}
    now = db.schema_status(service, config_file=conf, user=service)["version"]
    assert ret["result"] is True and ret["changes"] == {"old": old, "new": now}, ret
    assert again["result"] is True and again["changes"] == {}, again
    assert len(_started(argv_spy, service)) == 1
    if cheap:
        # the prediction's check, the sync's first one and the sync are
        # started; the re-read after the sync and the last run are not
        starts = _python_starts(runs)
        assert len(_status_checks(runs)) == 2 and starts[-1] == _started(runs, service)[0], starts
        last = max(i for i, argv in enumerate(runs) if argv in starts)
        assert runs[last + 1:] and all(os.path.basename(str(argv[0])) in ("mariadb", "mysql")
                                       for argv in runs[last + 1:])  # fmt: skip


def test_a_schema_newer_than_the_code_is_refused(loaders, mariadb, conf_dir, argv_spy):
    """A revision the installed cinder does not ship (as after a package
    downgrade): the state fails with the revision named and starts no
    manage program, in test mode too; the database is left as it was."""
    db = loaders.modules.openstack_db
    conf = _config(mariadb, conf_dir, "cinder")
    db.schema_sync("cinder", config_file=conf, user="cinder")
    mariadb.execute("UPDATE alembic_version SET version_num = 'f00dbeef0001'",
                    database="cinder_schema")
    status = db.schema_status("cinder", config_file=conf, user="cinder")
    assert status["unknown"] == ["f00dbeef0001"] and status["synced"] is False
    del argv_spy[:]
    for test in (True, False):
        ret = _state(loaders, name="cinder", config_file=conf, user="cinder", test=test)
        assert ret["result"] is False and ret["changes"] == {}, ret
        assert "f00dbeef0001, which the installed cinder does not ship" in ret["comment"]
    assert _started(argv_spy, "cinder") == []
    assert mariadb.execute("SELECT version_num FROM cinder_schema.alembic_version").split() == [
        "f00dbeef0001"]


def test_dollar_escapes_are_read_as_the_service_reads_them(loaders, mariadb, conf_dir):
    """oslo.config reads ``$$`` as one ``$``: the check reaches the
    database with the real password, and masks it in its errors."""
    password = "Pa$word-9"
    url = f"mysql+pymysql://placement:{password}@{mariadb.host}:{mariadb.port}/placement_schema"
    conf = _config(mariadb, conf_dir, "placement", password=password,
                   url=url.replace("$", "$$"))  # fmt: skip
    db = loaders.modules.openstack_db
    assert db.schema_status("placement", config_file=conf, user="placement")["version"] is None
    mariadb.create_user("placement", "other-pw", databases=["placement_schema"])
    ret = _state(loaders, name="placement", config_file=conf, user="placement")
    assert ret["result"] is False and "Access denied" in ret["comment"], ret
    assert password not in ret["comment"] and "Pa$$word" not in ret["comment"]


def test_a_database_that_cannot_be_reached_fails_without_the_password(loaders, mariadb,
                                                                      conf_dir):  # fmt: skip
    conf = _config(mariadb, conf_dir, "placement")
    pathlib.Path(conf).write_text(pathlib.Path(conf).read_text().replace(PASSWORD, "wrong-pw"))
    ret = _state(loaders, name="placement", config_file=conf)
    assert ret["result"] is False
    assert "Cannot read the placement schema version" in ret["comment"]
    assert "Access denied" in ret["comment"]
    assert "wrong-pw" not in ret["comment"]
    # In a dry run the same answer is "not ready yet" (the states that set
    # the password come first in that run).
    assert _state(loaders, name="placement", config_file=conf, test=True)["result"] is None



@pytest.mark.parametrize("case", ["no config file", "no connection", "no such database",
                                  "no server", "not a URL"])  # fmt: skip
def test_not_set_up_yet_is_typed_where_it_is_detected(loaders, mariadb, conf_dir, case):
    """
    The status script, in placement's own interpreter, classifies its
    errors by type and driver code (oslo.config's missing file, its unset
    connection, MariaDB's 1044/1049 and 2003): NotReadyError, for which
    the state's dry run answers None (a real run False).  Any other error
    (an URL SQLAlchemy cannot read) fails the dry run too.
    """
    conf = _config(mariadb, conf_dir, "placement")
    path = pathlib.Path(conf)
    url = mariadb.url("placement", PASSWORD, "placement_schema")
    if case == "no config file":
        conf = str(conf_dir / "missing.conf")
    elif case == "no connection":
        path.write_text("[DEFAULT]\ndebug = true\n")
    else:
        url = {"no such database": url.replace("placement_schema", "placement_none"),
               "no server": url.replace(f":{mariadb.port}/", f":{free_port()}/"),
               "not a URL": "not a URL"}[case]  # fmt: skip
        path.write_text(f"[placement_database]\nconnection = {url}\n")
    with pytest.raises(CommandExecutionError) as error:
        loaders.modules.openstack_db.schema_status("placement", config_file=conf, user="placement")
    not_ready = case != "not a URL"
    assert (type(error.value).__name__ == "NotReadyError") is not_ready, error.value
    dry_run = _state(loaders, name="placement", config_file=conf, user="placement", test=True)
    assert dry_run["result"] is (None if not_ready else False), dry_run
    assert _state(loaders, name="placement", config_file=conf, user="placement")["result"] is False


# --------------------------------------------------------------------------
# The cheap check: the heads remembered, the revisions read as root
# --------------------------------------------------------------------------


def _cache_file(minion_opts):
    return pathlib.Path(minion_opts["cachedir"]) / "openstack_db" / "schema_heads.json"


def _entry(minion_opts, service):
    """The cache entry of ``service``'s code, and the whole cache."""
    data = schemacache.load(str(_cache_file(minion_opts)))
    known = SCHEMAS[service]
    wanted = [service, known["alembic_ini"], known.get("recursive", False)]
    (key,) = [key for key in data["entries"] if json.loads(key)[1:] == wanted]
    return key, data


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_at_head_the_service_s_python_is_not_started(loaders, minion_opts, synced, argv_spy,
                                                      mariadb, service):  # fmt: skip
    """Once the slow check has run for the installed code, a database at its
    heads is told by the mariadb client alone (as root over the socket):
    the same status, the same state returns, in test mode too.  Neutron's
    URL is read from its two config files as neutron-db-manage reads them."""
    db = loaders.modules.openstack_db
    conf = synced(service)
    slow = db.schema_status(service, config_file=conf, user=service)  # remembers the heads
    assert slow["synced"] is True
    cache_file = _cache_file(minion_opts)
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600 and cache_file.stat().st_uid == 0
    assert stat.S_IMODE(cache_file.parent.stat().st_mode) == 0o700
    key, data = _entry(minion_opts, service)
    assert data["entries"][key]["heads"] == slow["head"].split()
    assert PASSWORD not in cache_file.read_text()

    del argv_spy[:]
    fast = db.schema_status(service, config_file=conf, user=service, socket=mariadb.socket)
    runs = [_state(loaders, name=service, config_file=conf, user=service, socket=mariadb.socket,
                   test=test) for test in (False, True)]  # fmt: skip
    assert fast == slow
    for ret in runs:
        assert ret["result"] is True and ret["changes"] == {}, ret
        assert ret["comment"] == f"The {service} database is at revision {slow['version']}"
    assert argv_spy and _python_starts(argv_spy) == [], argv_spy
    assert all(PASSWORD not in " ".join(map(str, argv)) for argv in argv_spy)


def test_a_later_config_file_s_url_replaces_an_earlier_one_s(loaders, mariadb, conf_dir,
                                                             synced, argv_spy):  # fmt: skip
    """
    oslo.config reads neutron's config files in order, a later file's
    [database] connection replacing an earlier one's: so do the status
    script (neutron's oslo.config) and the cheap check (the files read as
    root).  Two neutron.conf files, one naming the synced database, the
    other an empty one, given in both orders with ml2_conf.ini: the later
    one's database is the one told, with the cheap check (then no Python
    start when it is the synced one) and without it.
    """
    db = loaders.modules.openstack_db
    at_head, ml2 = synced("neutron")
    empty = _config(mariadb, conf_dir, "neutron")[0]  # neutron_schema, no schema
    head = db.schema_status("neutron", config_file=[at_head, ml2], user="neutron")["head"]
    assert len(head.split()) == 2  # (the heads are remembered now)
    del argv_spy[:]
    for files, version in (([empty, at_head, ml2], head), ([at_head, empty, ml2], None)):
        for conn in ({}, {"socket": mariadb.socket}):
            before = len(argv_spy)
            status = db.schema_status("neutron", config_file=files, user="neutron", **conn)
            assert status["version"] == version and status["head"] == head, (conn, status)
            assert status["synced"] is (version is not None)
            runs = argv_spy[before:]
            if conn and version:  # the cheap check: the mariadb client alone
                assert runs and _python_starts(runs) == [], runs
            else:  # the status script (no socket; or no schema, no cheap answer)
                assert len(_status_checks(runs)) == 1, runs
        predicted = _state(loaders, name="neutron", config_file=files, user="neutron",
                           socket=mariadb.socket, test=True)  # fmt: skip
        assert predicted["changes"] == ({} if version else {"old": None, "new": head}), predicted
        assert predicted["result"] is (True if version else None), predicted
    assert _started(argv_spy, "neutron") == []
    assert all(PASSWORD not in " ".join(map(str, argv)) for argv in argv_spy)
    assert mariadb.execute("SHOW TABLES FROM neutron_schema").split() == []


def test_another_installed_version_computes_the_heads_again(loaders, minion_opts, mariadb,
                                                            conf_dir, argv_spy):  # fmt: skip
    """The entry is bound to the installed files: with the package's
    metadata directory of another version (as after an upgrade) the heads
    are computed again, once, by the service's Python."""
    db = loaders.modules.openstack_db
    conf = _config(mariadb, conf_dir, "placement")
    db.schema_sync("placement", config_file=conf, user="placement")
    db.schema_status("placement", config_file=conf, user="placement")
    key, data = _entry(minion_opts, "placement")
    entry = data["entries"][key]
    (metadata,) = [p for p in entry["paths"] if p.endswith((".dist-info", ".egg-info"))]
    assert entry["version"] and entry["version"] in metadata and os.path.isdir(metadata)
    entry["paths"] = [p if p != metadata else metadata.replace(entry["version"], "0.0.1")
                      for p in entry["paths"]]  # fmt: skip
    schemacache.store(str(_cache_file(minion_opts)), data)

    del argv_spy[:]
    status = db.schema_status("placement", config_file=conf, user="placement",
                              socket=mariadb.socket)  # fmt: skip
    assert status["synced"] is True and len(_status_checks(argv_spy)) == 1, argv_spy
    key, data = _entry(minion_opts, "placement")
    assert metadata in data["entries"][key]["paths"]
    del argv_spy[:]
    assert db.schema_status("placement", config_file=conf, user="placement",
                            socket=mariadb.socket) == status  # fmt: skip
    assert _python_starts(argv_spy) == []
