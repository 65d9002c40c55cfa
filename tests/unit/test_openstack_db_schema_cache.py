"""
openstack_db's cheap schema check (``schema_cached``, used by
``schema_status`` and nova_manage's ``db_status``): the heads remembered
after one start of the service's interpreter, per installed code; the
revisions read as root with the client; any doubt is the slow check.
Pure logic: the status script and the client are faked (the real ones run
in tests/functional/test_schema_synced.py and test_nova_manage.py).
"""
import json
import os
import stat

import pytest

from saltext_openstack._modules import openstack_db as db
from saltext_openstack._states import openstack_db as state

HEAD = "a082b8bb98d0"
OLD = "b5c396305c25"
URL = "mysql+pymysql://placement:pw@127.0.0.1:3306/placement"


class Cloud:
    """Stands for cmd.run_all: the status script (answering from
    ``heads``, ``rows``, ``synced_sets``) and the mariadb client (answering
    ``port`` and ``rows``)."""

    def __init__(self, code_paths):
        self.code_paths = [str(path) for path in code_paths]
        self.heads, self.rows, self.synced_sets, self.port = [HEAD], [HEAD], [], 3306
        self.client_error = None
        self.starts, self.sql, self.client_argv = 0, [], []
        self.config_files = None

    def __call__(self, argv, **kwargs):
        if "-c" in argv:
            self.starts += 1
            self.config_files = json.loads(argv[-1])["config_files"]
            rows = sorted(self.rows)
            synced = bool(rows) and (rows == sorted(self.heads) or rows in self.synced_sets)
            databases = {name: {"current": rows or None, "unknown": [], "synced": synced}
                         for name in json.loads(argv[-1])["databases"]}  # fmt: skip
            answer = {"heads": self.heads, "databases": databases,
                      "code": {"version": "13.0.0", "paths": self.code_paths}}  # fmt: skip
            return {"retcode": 0, "stdout": json.dumps(answer) + "\n", "stderr": ""}
        assert argv[0] == "/usr/bin/mariadb", argv
        self.sql.append(kwargs["stdin"])
        self.client_argv.append(argv)
        if self.client_error:
            return {"retcode": 1, "stdout": "", "stderr": self.client_error}
        out = f"\t{self.port}\n" + "".join(f"main\t{row}\n" for row in self.rows)
        return {"retcode": 0, "stdout": out, "stderr": ""}


@pytest.fixture
def cloud(monkeypatch, tmp_path):
    versions = tmp_path / "site" / "placement" / "db" / "versions"
    versions.mkdir(parents=True)
    (versions / f"{HEAD}_init.py").write_text(f"revision = '{HEAD}'\n")
    dist = tmp_path / "site" / "openstack_placement-13.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Version: 13.0.0\n")
    program = tmp_path / "bin" / "placement-manage"
    program.parent.mkdir()
    program.write_text("#! /usr/bin/python3\n")
    conf = tmp_path / "placement.conf"
    conf.write_text(f"[placement_database]\nconnection = {URL}\n")
    fake = Cloud([versions, dist])
    fake.dist, fake.conf, fake.cachedir = dist, str(conf), tmp_path / "cache"
    fake.cachedir.mkdir(mode=0o700)
    paths = {"placement-manage": str(program), "mariadb": "/usr/bin/mariadb"}
    monkeypatch.setattr(db.salt.utils.path, "which", paths.get)
    monkeypatch.setattr(db, "__salt__", {"cmd.run_all": fake}, raising=False)
    monkeypatch.setattr(db, "__opts__", {"cachedir": str(fake.cachedir)}, raising=False)
    # the files were made just now: trust them (the real ones are older)
    monkeypatch.setattr(db.schemacache, "SETTLE_NS", -(10**12))
    return fake


def _status(cloud, **conn):
    return db.schema_status("placement", config_file=cloud.conf, user="placement", **conn)


def test_the_second_check_starts_no_interpreter(cloud):
    first = _status(cloud)
    assert cloud.starts == 1 and cloud.sql == []  # nothing cached yet: no client either
    second = _status(cloud, socket="/run/x.sock")
    assert cloud.starts == 1 and first == second
    assert second == {"service": "placement", "version": HEAD, "head": HEAD, "synced": True,
                      "unknown": []}  # fmt: skip
    (sql,) = cloud.sql
    assert "SELECT '', @@port;" in sql and "`placement`.alembic_version" in sql
    cache_file = cloud.cachedir / "openstack_db" / "schema_heads.json"
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    (entry,) = json.loads(cache_file.read_text())["entries"].values()
    assert entry["heads"] == [HEAD] and entry["version"] == "13.0.0"
    assert set(cloud.code_paths) <= set(entry["paths"])


def test_another_installed_version_computes_the_heads_again(cloud):
    _status(cloud)
    cloud.dist.rename(cloud.dist.parent / "openstack_placement-14.0.0.dist-info")
    cloud.code_paths[-1] = str(cloud.dist.parent / "openstack_placement-14.0.0.dist-info")
    cloud.heads = cloud.rows = ["c0ffee000014"]
    assert _status(cloud)["head"] == "c0ffee000014" and cloud.starts == 2
    assert _status(cloud)["synced"] is True and cloud.starts == 2


def test_a_database_behind_the_heads_is_the_slow_check(cloud):
    _status(cloud)
    cloud.rows = [OLD]
    status = _status(cloud)
    assert cloud.starts == 2 and status["synced"] is False and status["version"] == OLD
    cloud.rows = []
    assert _status(cloud)["synced"] is False and cloud.starts == 3


def test_a_set_found_synced_is_remembered(cloud):
    """glance: two heads, the contract head's row alone is synced."""
    cloud.heads = ["2024_1_contract01", "2024_1_expand01"]
    cloud.rows = cloud.synced_sets = ["2024_1_contract01"]
    cloud.synced_sets = [["2024_1_contract01"]]
    assert _status(cloud)["synced"] is True and cloud.starts == 1
    status = _status(cloud)
    assert status["synced"] is True and cloud.starts == 1
    assert status["version"] == "2024_1_contract01"
    assert status["head"] == "2024_1_contract01 2024_1_expand01"


@pytest.mark.parametrize("doubt", ["port", "client error", "host", "substitution", "conf.d",
                                   "environment", "cache unsafe", "no config file"])  # fmt: skip
def test_any_doubt_is_the_slow_check(cloud, monkeypatch, tmp_path, doubt):
    _status(cloud)
    conf = cloud.conf
    if doubt == "port":
        cloud.port = 3307  # another server behind the socket
    elif doubt == "client error":
        cloud.client_error = "ERROR 2002 (HY000): Can't connect to local server"
    elif doubt == "host":
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(f"[placement_database]\nconnection = {URL.replace('127.0.0.1', '192.0.2.1')}\n")
    elif doubt == "substitution":
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write("[placement_database]\nconnection = $url\n")
    elif doubt == "conf.d":
        monkeypatch.setattr(db.schemacache, "home", lambda user: str(tmp_path))
        (tmp_path / "placement.conf.d").mkdir()
        (tmp_path / "placement.conf.d" / "db.conf").write_text("[placement_database]\n")
    elif doubt == "environment":
        monkeypatch.setenv("OS_PLACEMENT_DATABASE__CONNECTION", "sqlite://")
    elif doubt == "cache unsafe":
        os.chmod(cloud.cachedir / "openstack_db" / "schema_heads.json", 0o644)
    else:
        conf = None
    db.schema_status("placement", config_file=conf, user="placement")
    assert cloud.starts == 2


@pytest.mark.parametrize("second, cheap", [
    ("[ml2]\nmechanism_drivers = ovn\n", True),  # neutron's ml2_conf.ini: no URL
    ("[database]\nconnection = " + URL + "\n", True),  # the same URL again
    ("[database]\nconnection = " + URL.replace("127.0.0.1", "192.0.2.1") + "\n", False),
    ("[database]\nconnection = $url\n", False),  # a later $ value: unknown
    (None, False),  # a file that cannot be read
])  # fmt: skip
def test_several_config_files_are_read_in_order(cloud, monkeypatch, tmp_path, second, cheap):
    """neutron reads neutron.conf and ml2_conf.ini: the cheap check reads
    the URL from both, the later file's replacing the earlier one's; a
    doubt in either is the slow check, which gives both to oslo.config."""
    with open(cloud.conf, "w", encoding="utf-8") as handle:
        handle.write(f"[database]\nconnection = {URL}\n")
    ml2 = tmp_path / "ml2_conf.ini"
    if second is not None:
        ml2.write_text(second)
    files = [cloud.conf, str(ml2)]
    # placement's fake code, its URL in [database] as neutron's
    monkeypatch.setitem(db.SCHEMAS, "placement", dict(db.SCHEMAS["placement"], group="database"))
    for _ in range(2):
        status = db.schema_status("placement", config_file=files, user="neutron")
    assert status["synced"] is True
    assert cloud.starts == (1 if cheap else 2)
    assert cloud.config_files == files


def test_the_cache_cannot_be_redirected(cloud, tmp_path):
    """A symlink where the cache file is: neither read nor written through."""
    cache_file = cloud.cachedir / "openstack_db" / "schema_heads.json"
    _status(cloud)
    target = tmp_path / "target.json"
    os.replace(cache_file, target)
    cache_file.symlink_to(target)
    _status(cloud)
    assert cloud.starts == 2  # not read through the link
    assert not cache_file.is_symlink() and target.exists()


def test_the_cached_answer_is_the_script_s(cloud):
    """schema_cached answers as schema_script does (nova_manage reads both)."""
    args = ("placement-manage", "placement", "db/alembic.ini",
            {"main": {"group": "placement_database"}})  # fmt: skip
    slow = db.schema_script(*args, config_file=cloud.conf, user="placement")
    fast = db.schema_cached(*args, config_file=cloud.conf, user="placement")
    assert fast.pop("cached") is True and slow.pop("code")
    assert fast == slow


def test_the_state_passes_the_connection_and_says_the_same(cloud, monkeypatch):
    _status(cloud)
    salt = {"openstack_db.database_exists": None, "openstack_db.schema_status": db.schema_status}
    monkeypatch.setattr(state, "__salt__", salt, raising=False)
    for test in (False, True):
        monkeypatch.setattr(state, "__opts__", {"test": test}, raising=False)
        ret = state.schema_synced("placement", config_file=cloud.conf, user="placement",
                                  socket="/run/mysqld/mysqld.sock")  # fmt: skip
        assert ret["result"] is True and ret["changes"] == {}, ret
        assert ret["comment"] == f"The placement database is at revision {HEAD}"
    assert cloud.starts == 1
    assert [argv[1] for argv in cloud.client_argv] == ["--socket=/run/mysqld/mysqld.sock"] * 2


# -- nova_manage.db_status: the cached answer first ------------------------------


@pytest.mark.parametrize("cached", [True, False])
def test_nova_db_status_asks_the_cache_first(monkeypatch, cached):
    from saltext_openstack._modules import nova_manage

    asked = []
    answer = {"heads": [HEAD], "databases": {
        "main": {"current": [HEAD], "unknown": [], "synced": True}, "cell0": None}}

    def schema_cached(program, package, alembic_ini, databases, config_file=None, **conn):
        asked.append(("cached", program, package, alembic_ini, sorted(databases), conn))
        return answer if cached else None

    def schema_script(program, package, alembic_ini, databases=None, config_file=None):
        asked.append(("script", program, package, alembic_ini, sorted(databases), {}))
        return answer

    monkeypatch.setattr(nova_manage.salt.utils.path, "which",
                        lambda name: "/usr/bin/nova-manage" if name == "nova-manage" else None)
    monkeypatch.setattr(nova_manage, "__salt__", {"openstack_db.schema_cached": schema_cached,
                                                  "openstack_db.schema_script": schema_script},
                        raising=False)  # fmt: skip
    status = nova_manage.db_status("main", config_file="/etc/nova/nova.conf", socket="/s",
                                   __pub_fun="nova_manage.db_status")  # fmt: skip
    assert status == {"database": "main", "version": HEAD, "head": HEAD, "synced": True,
                      "unknown": [], "cell0": None}  # fmt: skip
    expected = [("cached", "/usr/bin/nova-manage", "nova", "db/main/alembic.ini",
                 ["cell0", "main"], {"socket": "/s"})]  # fmt: skip
    if not cached:
        expected.append(("script", "/usr/bin/nova-manage", "nova", "db/main/alembic.ini",
                         ["cell0", "main"], {}))  # fmt: skip
    assert asked == expected
