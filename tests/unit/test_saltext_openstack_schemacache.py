"""
The cheap schema check's pure parts (_utils/saltext_openstack_schemacache.py):
the code's key and fingerprint (a version change recomputes), the synced
revision sets, the cache file's safety (no symlink followed, 0600, 0700
directory), reading the database URL without oslo.config and deciding
whether the config file alone tells it.
"""
import json
import os
import pwd
import stat

import pytest

from saltext_openstack._utils import saltext_openstack_schemacache as cache


@pytest.fixture
def code(tmp_path):
    """An installed service's migrations and its package metadata."""
    package = tmp_path / "site" / "placement"
    versions = package / "db" / "alembic" / "versions"
    versions.mkdir(parents=True)
    (versions / "a082b8bb98d0_init.py").write_text("revision = 'a082b8bb98d0'\n")
    (package / "db" / "alembic.ini").write_text("[alembic]\n")
    dist = tmp_path / "site" / "openstack_placement-13.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Version: 13.0.0\n")
    return {"versions": versions, "ini": package / "db" / "alembic.ini", "dist": dist}


def _paths(code):
    return [code["versions"], code["ini"], code["dist"]]


# -- key and fingerprint ------------------------------------------------------


def test_the_key_names_program_package_ini_and_listing():
    key = cache.code_key("/usr/bin/placement-manage", "placement", "db/alembic.ini", False)
    assert json.loads(key) == ["/usr/bin/placement-manage", "placement", "db/alembic.ini", False]
    others = {
        cache.code_key("/usr/bin/cinder-manage", "placement", "db/alembic.ini", False),
        cache.code_key("/usr/bin/placement-manage", "nova", "db/alembic.ini", False),
        cache.code_key("/usr/bin/placement-manage", "placement", "db/api/alembic.ini", False),
        cache.code_key("/usr/bin/placement-manage", "placement", "db/alembic.ini", True),
    }
    assert key not in others and len(others) == 4


def test_the_fingerprint_is_stable_and_follows_no_symlink(code, tmp_path):
    digest, newest = cache.fingerprint(_paths(code))
    assert digest and newest > 0
    assert cache.fingerprint(reversed(_paths(code)))[0] == digest
    # Python's bytecode is left out: the service writes it
    (code["versions"] / "__pycache__").mkdir()
    (code["versions"] / "__pycache__" / "x.pyc").write_bytes(b"x")
    assert cache.fingerprint(_paths(code))[0] == digest
    # a symlink is fingerprinted as a link, its target is not read
    outside = tmp_path / "outside"
    outside.mkdir()
    (code["versions"] / "link").symlink_to(outside)
    linked = cache.fingerprint(_paths(code))[0]
    assert linked != digest
    (outside / "new.py").write_text("x")
    assert cache.fingerprint(_paths(code))[0] == linked


def test_a_missing_path_has_no_fingerprint(code):
    assert cache.fingerprint(_paths(code) + [code["dist"].parent / "gone"]) == (None, None)


def _entry(code, heads=("a082b8bb98d0",)):
    digest, _ = cache.fingerprint(_paths(code))
    return cache.new_entry("13.0.0", _paths(code), digest, heads)


def test_an_entry_holds_while_the_code_is_the_same(code):
    entry = _entry(code)
    assert entry["paths"] == sorted(str(p) for p in _paths(code))
    assert cache.valid_entry(entry) is True
    assert cache.valid_entry(json.loads(json.dumps(entry))) is True


def test_a_new_package_version_invalidates_the_entry(code):
    """An upgrade renames the metadata directory and rewrites the
    migrations: either way the entry no longer holds."""
    entry = _entry(code)
    code["dist"].rename(code["dist"].parent / "openstack_placement-14.0.0.dist-info")
    assert cache.valid_entry(entry) is False
    code["dist"].mkdir()
    assert cache.valid_entry(entry) is False  # same name, another directory (inode, ctime)


def test_a_rewritten_or_added_migration_invalidates_the_entry(code):
    entry = _entry(code)
    (code["versions"] / "b5c396305c25_next.py").write_text("revision = 'b5c396305c25'\n")
    assert cache.valid_entry(entry) is False


@pytest.mark.parametrize("entry", [None, "x", {}, {"paths": [], "heads": []},
                                   {"paths": ["/nonexistent"], "heads": ["a"],
                                    "fingerprint": "x"}])  # fmt: skip
def test_a_broken_entry_does_not_hold(entry):
    assert cache.valid_entry(entry) is False


# -- synced revision sets ----------------------------------------------------------


def test_the_heads_are_synced_and_nothing_else_unless_learned(code):
    entry = _entry(code, heads=["47147121", "c88cdce8f248"])
    assert cache.is_synced(entry, ["c88cdce8f248", "47147121"]) is True
    assert cache.is_synced(entry, ["47147121"]) is False
    assert cache.is_synced(entry, ["47147121", "99de3849d860"]) is False
    assert cache.is_synced(entry, []) is False and cache.is_synced(entry, None) is False


def test_a_set_the_slow_check_found_synced_is_learned_once(code):
    """glance: two heads, one row (the contract head depends on the expand
    head)."""
    entry = _entry(code, heads=["2024_1_contract01", "2024_1_expand01"])
    assert cache.is_synced(entry, ["2024_1_contract01"]) is False
    assert cache.learn_synced(entry, ["2024_1_contract01"]) is True
    assert cache.learn_synced(entry, ["2024_1_contract01"]) is False
    assert cache.learn_synced(entry, ["2024_1_expand01", "2024_1_contract01"]) is False  # heads
    assert cache.learn_synced(entry, []) is False
    assert cache.is_synced(entry, ["2024_1_contract01"]) is True
    for number in range(cache.MAX_SYNCED + 3):
        cache.learn_synced(entry, [f"r{number}"])
    assert len(entry["synced"]) == cache.MAX_SYNCED


# -- the cache file -------------------------------------------------------------


@pytest.fixture
def cachedir(tmp_path):
    path = tmp_path / "cache"
    path.mkdir(mode=0o755)
    return path


def _data():
    return {"format": cache.FORMAT, "entries": {"k": {"heads": ["a"]}}}


def test_stored_atomically_0600_in_a_0700_directory(cachedir):
    path = cachedir / "openstack_db" / "schema_heads.json"
    assert cache.load(str(path)) == {"format": cache.FORMAT, "entries": {}}
    cache.store(str(path), _data())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert cache.load(str(path)) == _data()
    assert os.listdir(path.parent) == ["schema_heads.json"]  # no temporary file left


def test_a_symlinked_cache_file_is_refused_and_replaced_not_followed(cachedir, tmp_path):
    path = cachedir / "openstack_db" / "schema_heads.json"
    path.parent.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps(_data()))
    target.chmod(0o600)
    path.symlink_to(target)
    assert cache.load(str(path))["entries"] == {}
    cache.store(str(path), {"format": cache.FORMAT, "entries": {}})
    assert not path.is_symlink() and json.loads(target.read_text()) == _data()


def test_a_symlinked_cache_directory_is_refused(cachedir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (cachedir / "openstack_db").symlink_to(elsewhere)
    path = cachedir / "openstack_db" / "schema_heads.json"
    with pytest.raises(cache.UnsafeCacheError):
        cache.store(str(path), _data())
    assert os.listdir(elsewhere) == []
    (elsewhere / "schema_heads.json").write_text(json.dumps(_data()))
    (elsewhere / "schema_heads.json").chmod(0o600)
    assert cache.load(str(path))["entries"] == {}


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_cache_file_others_may_read_or_write_is_ignored(cachedir, mode):
    path = cachedir / "openstack_db" / "schema_heads.json"
    cache.store(str(path), _data())
    path.chmod(mode)
    assert cache.load(str(path))["entries"] == {}


def test_a_cache_directory_others_may_write_is_refused(cachedir):
    path = cachedir / "openstack_db" / "schema_heads.json"
    cache.store(str(path), _data())
    path.parent.chmod(0o770)
    assert cache.load(str(path))["entries"] == {}
    with pytest.raises(cache.UnsafeCacheError):
        cache.store(str(path), _data())
    path.parent.chmod(0o700)
    cachedir.chmod(0o777)
    assert cache.load(str(path))["entries"] == {}


@pytest.mark.parametrize("text", ["not json", "[]", '{"format": 0, "entries": {}}',
                                  '{"format": 1, "entries": []}'])  # fmt: skip
def test_an_unreadable_or_foreign_cache_is_empty(cachedir, text):
    path = cachedir / "openstack_db" / "schema_heads.json"
    cache.store(str(path), _data())
    path.write_text(text)
    assert cache.load(str(path)) == {"format": cache.FORMAT, "entries": {}}


# -- where the database is -------------------------------------------------------


def test_options_are_read_as_oslo_config_reads_them_or_left_out(tmp_path):
    conf = tmp_path / "x.conf"
    conf.write_text("[database]\nconnection = 'mysql+pymysql://x:Pa$$w@ctl/x'\n"
                    "[api_database]\nconnection = mysql+pymysql://x:$secret@ctl/x\n")  # fmt: skip
    options = [("database", "connection"), ("api_database", "connection"), ("x", "y")]
    assert cache.read_options(str(conf), options) == {
        ("database", "connection"): "mysql+pymysql://x:Pa$w@ctl/x"}
    assert cache.read_options(str(tmp_path / "missing.conf"), options) == {}


def test_several_files_are_read_in_order_the_last_value_wins(tmp_path):
    """neutron.conf then ml2_conf.ini, as oslo.config reads several
    --config-file: a later value replaces an earlier one, a later value
    oslo.config would substitute makes it unknown, and an unreadable file
    makes everything unknown."""
    first, second = tmp_path / "neutron.conf", tmp_path / "ml2_conf.ini"
    first.write_text("[database]\nconnection = mysql://n:p@ctl/neutron\n[a]\nb = 1\n")
    second.write_text("[ml2]\nmechanism_drivers = ovn\n")
    options = [("database", "connection"), ("a", "b")]
    files = [str(first), str(second)]
    assert cache.config_files(files) == files and cache.config_files(None) == []
    assert cache.config_files(str(first)) == [str(first)]
    assert cache.read_options(files, options) == {("database", "connection"): "mysql://n:p@ctl/neutron",
                                                  ("a", "b"): "1"}  # fmt: skip
    second.write_text("[database]\nconnection = mysql://n:p@other/neutron\n")
    assert cache.read_options(files, options)[("database", "connection")] == "mysql://n:p@other/neutron"
    second.write_text("[database]\nconnection = $url\n")
    assert cache.read_options(files, options) == {("a", "b"): "1"}
    second.unlink()
    assert cache.read_options(files, options) == {}


@pytest.mark.parametrize("url, location", [
    ("mysql+pymysql://keystone:p%40ss@ctl/keystone", ("ctl", 3306, "keystone")),
    ("mysql+pymysql://k:p@127.0.0.1:3307/keystone?charset=utf8", ("127.0.0.1", 3307, "keystone")),
    ("mysql://k:p@CTL/nova_cell0", ("ctl", 3306, "nova_cell0")),
    ("mariadb+pymysql://k:p@ctl/nova", ("ctl", 3306, "nova")),
    ("mysql+pymysql://k:p@ctl/x?unix_socket=/tmp/other.sock", None),
    ("mysql+pymysql://k:p@ctl/x?read_default_file=/tmp/my.cnf", None),
    ("mysql+pymysql://{username}:{password}@ctl/nova_cell0", None),
    ("postgresql://k:p@ctl/x", None),
    ("sqlite:////var/lib/nova/nova.sqlite", None),
    ("mysql+pymysql://k:p@ctl/", None),
    ("mysql+pymysql://k:p@/x", None),
    ("mysql+pymysql://k:p@ctl:notaport/x", None),
    ("none:///", None),
    (None, None),
])  # fmt: skip
def test_mysql_location(url, location):
    assert cache.mysql_location(url) == location


def test_local_hosts():
    assert cache.is_local_host("127.0.0.1") is True
    assert cache.is_local_host("192.0.2.1") is False  # TEST-NET-1: nobody's
    assert cache.is_local_host("no-such-host.invalid") is False


def test_what_oslo_config_would_read_besides_the_file(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".nova" / "nova.conf.d").mkdir(parents=True)
    assert cache.oslo_overrides("nova", ["nova-manage"], [str(home)], {}) == []  # empty
    (home / ".nova" / "nova.conf.d" / "README").write_text("x")
    assert cache.oslo_overrides("nova", ["nova-manage"], [str(home)], {}) == []  # no *.conf
    (home / "nova-manage.conf.d").mkdir()
    (home / "nova-manage.conf.d" / "10-db.conf").write_text("[database]\n")
    assert cache.oslo_overrides("nova", ["nova-manage"], [str(home)], {"PATH": "/bin"}) == [
        str(home / "nova-manage.conf.d")]
    found = cache.oslo_overrides("x", [], [str(tmp_path)], {"OS_DATABASE__CONNECTION": "y"})
    assert found == ["OS_DATABASE__CONNECTION"]


def test_the_home_of_a_user_or_root_directory():
    assert cache.home("root") == "/root"
    assert cache.home("no-such-user-here") == "/"
    assert cache.home(None) == pwd.getpwuid(os.geteuid()).pw_dir


def test_where_the_databases_are_cell0_read_from_its_mapping(tmp_path):
    """nova's cell0: the URL of its mapping in the API database, read with
    the module's client (``run``); unmapped: None; a socket URL: uncertain."""
    from saltext_openstack._utils import saltext_openstack_sql as sqltext

    conf = tmp_path / "nova.conf"
    conf.write_text("[api_database]\nconnection = mysql+pymysql://nova:pw@127.0.0.1/nova_api\n"
                    "[database]\nconnection = mysql+pymysql://nova:pw@127.0.0.1:3307/nova\n")
    databases = {"main": {"group": "database"},
                 "cell0": {"cell0_of": "api_database", "uuid": "0" * 8}}
    asked = []

    def run(rows):
        return lambda sql: asked.append(sql) or rows

    found = cache.locations(databases, str(conf), run([["mysql://n@localhost/nova_cell0"]]), sqltext)
    assert found == {"main": ("127.0.0.1", 3307, "nova"),
                     "api of cell0": ("127.0.0.1", 3306, "nova_api"),
                     "cell0": ("localhost", 3306, "nova_cell0")}
    assert asked == ["SELECT database_connection FROM `nova_api`.cell_mappings"
                     " WHERE uuid = '00000000';\n"]
    assert cache.locations(databases, str(conf), run([]), sqltext)["cell0"] is None
    assert cache.locations(databases, str(conf),
                           run([["mysql://n@/x?unix_socket=/s"]]), sqltext) is None


# -- what the slow check leaves -------------------------------------------------


def _answer(code, heads, synced=None):
    databases = {"main": {"current": synced, "unknown": [], "synced": True}} if synced else {}
    return {"code": {"version": "13.0.0", "paths": [str(p) for p in _paths(code)]},
            "heads": heads, "databases": databases}


def test_remember_keeps_an_entry_equal_to_the_fresh_one(code, tmp_path):
    """The slow check's answer is remembered once: the same code, paths
    (however given) and heads again leave the file alone; other heads
    replace the entry."""
    cache_file = str(tmp_path / "cache" / "schema.json")
    program = tmp_path / "placement-manage"
    program.write_text("#!/usr/bin/python3\n")
    later = os.lstat(program).st_ctime_ns + 10 * cache.SETTLE_NS
    cache.remember(cache_file, "k", _answer(code, ["b", "a"]), lambda: [program], later)
    entry = cache.load(cache_file)["entries"]["k"]
    assert entry["heads"] == ["a", "b"] and str(program) in entry["paths"]
    assert entry == cache.new_entry("13.0.0", _paths(code) + [program], entry["fingerprint"],
                                    ["a", "b"])  # fmt: skip
    written = os.stat(cache_file).st_ino  # store() renames a new file over it
    # the paths as Path objects, twice, in another order: the same entry
    again = _answer(code, ["a", "b"])
    again["code"]["paths"] = list(reversed(_paths(code))) + [code["ini"]]
    cache.remember(cache_file, "k", again, lambda: [str(program)], later)
    assert os.stat(cache_file).st_ino == written
    # a revision set found synced is learnt into the kept entry
    cache.remember(cache_file, "k", _answer(code, ["a", "b"], synced=["a"]), lambda: [program],
                   later)  # fmt: skip
    assert cache.load(cache_file)["entries"]["k"]["synced"] == [["a"]]
    # other heads: a new entry, the synced sets of the old code forgotten
    cache.remember(cache_file, "k", _answer(code, ["c"]), lambda: [program], later)
    assert cache.load(cache_file)["entries"]["k"]["heads"] == ["c"]
    assert cache.load(cache_file)["entries"]["k"]["synced"] == []


def test_remember_nothing_for_code_changed_during_the_check(code, tmp_path):
    cache_file = str(tmp_path / "cache" / "schema.json")
    now = cache.fingerprint(_paths(code))[1]
    cache.remember(cache_file, "k", _answer(code, ["a"]), lambda: [], now)
    assert not os.path.exists(cache_file)


def test_the_group_of_a_database_or_its_cell0():
    assert cache._group({"group": "database"}) == "database"
    assert cache._group({"cell0_of": "api_database", "uuid": "x"}) == "api_database"
