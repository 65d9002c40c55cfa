"""
openstack_db against a real MariaDB (Debian's mariadbd, throwaway, see
mariadb_server.py), reached like production: the ``mariadb`` client over
the unix socket as root, SQL on stdin.  Logins as the managed users are real
client logins (password in a 0600 option file, over TCP and the socket).
"""
import json
import logging

import pytest
import salt.utils.timed_subprocess
from salt.exceptions import CommandExecutionError

from mariadb_server import MariaDBServer  # tests/functional is on sys.path

from saltext_openstack._utils import saltext_openstack_schema as schema

NASTY_PASSWORD = "p'a\"s\\s;%`--x \\n #é"
NASTY_USER = "o'k\\us\"er;%"
NASTY_DATABASE = "we'ird`db;_%\\x"


@pytest.fixture(scope="module")
def mariadb():
    with MariaDBServer() as server:
        yield server


@pytest.fixture
def conn(mariadb):
    return {"socket": mariadb.socket}


@pytest.fixture
def db(loaders):
    return loaders.modules.openstack_db


@pytest.fixture
def argv_spy(monkeypatch):
    """Record the argv and stdin of every program Salt's cmd module runs."""
    calls = []
    original = salt.utils.timed_subprocess.TimedProc.__init__

    def init(self, args, **kwargs):
        calls.append((list(args) if isinstance(args, (list, tuple)) else [args], kwargs.get("stdin")))
        original(self, args, **kwargs)

    monkeypatch.setattr(salt.utils.timed_subprocess.TimedProc, "__init__", init)
    return calls


def can_login(mariadb, user, password, tcp=True, database=None):
    try:
        sql = "SELECT 1"
        if database:
            sql = "CREATE TABLE IF NOT EXISTS `{}`.t (a int); SELECT 1".format(
                database.replace("`", "``")
            )
        return mariadb.execute(sql, user=user, password=password, tcp=tcp).strip() == "1"
    except RuntimeError as exc:
        assert "Access denied" in str(exc)
        return False


def assert_secret_free(returns, *passwords):
    text = json.dumps(returns)
    for password in passwords:
        assert password not in text
        assert json.dumps(password)[1:-1] not in text


# ---------------------------------------------------------------------------
# Execution module
# ---------------------------------------------------------------------------


def test_database_functions(db, conn):
    assert db.database_exists("exec_db", **conn) is False
    assert db.database_create("exec_db", **conn) is True
    assert db.database_exists("exec_db", **conn) is True
    assert db.database_exists("EXEC_DB", **conn) is False
    with pytest.raises(CommandExecutionError, match="database exists"):
        db.database_create("exec_db", **conn)
    db.database_create("exec_latin", character_set="latin1", collate="latin1_swedish_ci", **conn)


def test_user_functions(db, conn, mariadb):
    assert db.user_exists("exec_user", "%", **conn) is False
    assert db.user_password_matches("exec_user", "%", "pw1", **conn) is False
    assert db.grants("exec_user", "%", **conn) == []
    assert db.user_create("exec_user", "%", "pw1", **conn) is True
    assert db.user_exists("exec_user", "%", **conn) is True
    assert db.user_exists("exec_user", "localhost", **conn) is False
    assert db.user_password_matches("exec_user", "%", "pw1", **conn) is True
    assert db.user_password_matches("exec_user", "%", "pw2", **conn) is False
    with pytest.raises(CommandExecutionError, match="CREATE USER failed"):
        db.user_create("exec_user", "%", "pw1", **conn)
    assert can_login(mariadb, "exec_user", "pw1")

    assert db.user_set_password("exec_user", "%", "pw2", **conn) is True
    assert db.user_password_matches("exec_user", "%", "pw2", **conn) is True
    assert can_login(mariadb, "exec_user", "pw2")
    assert not can_login(mariadb, "exec_user", "pw1")


def test_grant_functions(db, conn, mariadb):
    db.database_create("grant_me", **conn)
    db.user_create("grantee", "%", "pw", **conn)
    assert [g["privileges"] for g in db.grants("grantee", "%", **conn)] == [["USAGE"]]
    assert db.has_all_privileges("grant_me", "grantee", "%", **conn) is False
    assert db.grant_all("grant_me", "grantee", "%", **conn) is True
    grants = db.grants("grantee", "%", **conn)
    assert {
        "privileges": ["ALL PRIVILEGES"],
        "database": "grant\\_me",
        "database_name": "grant_me",
        "table": "*",
        "object_type": None,
        "grant_option": False,
    } in grants
    # The hash of the password is never returned.
    assert "*" not in json.dumps([g.get("database") for g in grants if g["database"] != "*"])
    assert "PASSWORD" not in json.dumps(grants)
    assert db.has_all_privileges("grant_me", "grantee", "%", **conn) is True
    assert can_login(mariadb, "grantee", "pw", database="grant_me")


def test_grant_is_for_exactly_one_database(db, conn, mariadb):
    """``_`` in GRANT ... ON db.* is a wildcard: the module escapes it."""
    db.database_create("ab_c", **conn)
    db.database_create("abXc", **conn)
    db.user_create("exact", "%", "pw", **conn)
    db.grant_all("ab_c", "exact", "%", **conn)
    assert can_login(mariadb, "exact", "pw", database="ab_c")
    with pytest.raises(RuntimeError, match="denied"):
        mariadb.execute("CREATE TABLE abXc.t (a int)", user="exact", password="pw", tcp=True)


def test_wildcard_grant_is_not_taken_for_the_database(db, conn, mariadb):
    db.database_create("wild_db", **conn)
    db.user_create("wild", "%", "pw", **conn)
    mariadb.execute("GRANT ALL PRIVILEGES ON `wild_db`.* TO 'wild'@'%'")
    (grant,) = [g for g in db.grants("wild", "%", **conn) if g["database"] != "*"]
    assert grant["database"] == "wild_db"
    assert grant["database_name"] is None
    assert db.has_all_privileges("wild_db", "wild", "%", **conn) is False


def test_nasty_names_and_password(db, conn, mariadb):
    db.database_create(NASTY_DATABASE, **conn)
    assert db.database_exists(NASTY_DATABASE, **conn)
    db.user_create(NASTY_USER, "%", NASTY_PASSWORD, **conn)
    assert db.user_exists(NASTY_USER, "%", **conn)
    assert db.user_password_matches(NASTY_USER, "%", NASTY_PASSWORD, **conn)
    assert not db.user_password_matches(NASTY_USER, "%", NASTY_PASSWORD[:-1], **conn)
    db.grant_all(NASTY_DATABASE, NASTY_USER, "%", **conn)
    assert db.has_all_privileges(NASTY_DATABASE, NASTY_USER, "%", **conn)
    assert can_login(mariadb, NASTY_USER, NASTY_PASSWORD, database=NASTY_DATABASE)
    # A line break can be a password too (not in a client option file).
    db.user_set_password(NASTY_USER, "%", "two\nlines\r\0\x1a", **conn)
    assert db.user_password_matches(NASTY_USER, "%", "two\nlines\r\0\x1a", **conn)
    assert not db.user_password_matches(NASTY_USER, "%", NASTY_PASSWORD, **conn)


def test_error_text_is_mariadbs_without_the_password(db, conn):
    with pytest.raises(CommandExecutionError) as info:
        db.user_set_password("nobody", "%", "secret-in-error", **conn)
    assert "ERROR 1396" in str(info.value)
    assert "secret-in-error" not in str(info.value)


def test_unreachable_server(db, tmp_path):
    with pytest.raises(CommandExecutionError, match="Can't connect") as info:
        db.database_exists("x", socket=str(tmp_path / "nothing.sock"))
    # the typed "not ready yet" (a dry run's states before MariaDB's)
    assert schema.is_not_ready(info.value)


def test_other_errors_are_not_not_ready(db, conn):
    with pytest.raises(CommandExecutionError, match="ERROR 1396") as info:
        db.user_set_password("nobody", "%", "x", **conn)
    assert not schema.is_not_ready(info.value)


def test_defaults_file(db, mariadb, tmp_path):
    defaults = tmp_path / "client.cnf"
    defaults.write_text("[client]\nuser=root\nsocket={}\n".format(mariadb.socket))
    defaults.chmod(0o600)
    assert db.database_exists("mysql", defaults_file=str(defaults)) is True


def test_no_password_on_any_command_line(db, conn, argv_spy):
    db.user_create("argv_user", "%", "argv-secret-1", **conn)
    db.user_set_password("argv_user", "%", "argv-secret-2", **conn)
    assert db.user_password_matches("argv_user", "%", "argv-secret-2", **conn)
    assert len(argv_spy) == 3
    for argv, stdin in argv_spy:
        assert not any("argv-secret" in arg for arg in argv)
        assert "argv-secret" in stdin


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------


def test_present_lifecycle(run_state, db, conn, mariadb, caplog):
    caplog.set_level(logging.DEBUG)
    returns = []

    def present(password, test=False):
        ret = run_state(
            "openstack_db.present",
            name="nova_api",
            user="nova",
            password=password,
            test=test,
            **conn
        )
        returns.append(ret)
        return ret

    created = {
        "database": "created",
        "nova@localhost": {"user": "created", "grants": "ALL PRIVILEGES ON nova_api.*"},
        "nova@%": {"user": "created", "grants": "ALL PRIVILEGES ON nova_api.*"},
    }

    # test=True predicts everything and writes nothing.
    ret = present("first-pw", test=True)
    assert ret["result"] is None
    assert ret["changes"] == created
    assert "would be created" in ret["comment"]
    assert not db.database_exists("nova_api", **conn)
    assert not db.user_exists("nova", "%", **conn)

    ret = present("first-pw")
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == created
    assert can_login(mariadb, "nova", "first-pw", database="nova_api")
    assert can_login(mariadb, "nova", "first-pw", tcp=False, database="nova_api")

    ret = present("first-pw")
    assert ret["result"] is True
    assert ret["changes"] == {}
    ret = present("first-pw", test=True)
    assert ret["result"] is True
    assert ret["changes"] == {}

    # Rotation: test mode predicts, then only the passwords change.
    rotated = {
        "nova@localhost": {"password": "changed"},
        "nova@%": {"password": "changed"},
    }
    ret = present("second-pw", test=True)
    assert ret["result"] is None
    assert ret["changes"] == rotated
    assert can_login(mariadb, "nova", "first-pw")

    ret = present("second-pw")
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == rotated
    for tcp in (True, False):
        assert can_login(mariadb, "nova", "second-pw", tcp=tcp, database="nova_api")
        assert not can_login(mariadb, "nova", "first-pw", tcp=tcp)

    assert present("second-pw")["changes"] == {}
    for host in ("localhost", "%"):
        assert db.has_all_privileges("nova_api", "nova", host, **conn)

    assert_secret_free(returns, "first-pw", "second-pw")
    assert "first-pw" not in caplog.text
    assert "second-pw" not in caplog.text


def test_present_restores_a_lost_grant_and_host(run_state, db, conn, mariadb):
    ret = run_state("openstack_db.present", name="glance", password="g-pw", hosts="%", **conn)
    assert ret["result"] is True, ret["comment"]
    assert set(ret["changes"]) == {"database", "glance@%"}
    mariadb.execute("REVOKE ALL PRIVILEGES ON `glance`.* FROM 'glance'@'%'")
    ret = run_state(
        "openstack_db.present", name="glance", password="g-pw", hosts=["%", "10.0.0.%"], **conn
    )
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == {
        "glance@%": {"grants": "ALL PRIVILEGES ON glance.*"},
        "glance@10.0.0.%": {"user": "created", "grants": "ALL PRIVILEGES ON glance.*"},
    }
    assert can_login(mariadb, "glance", "g-pw", database="glance")


def test_present_nasty(run_state, conn, mariadb):
    kwargs = dict(name=NASTY_DATABASE + "2", user=NASTY_USER + "2", password=NASTY_PASSWORD)
    first = run_state("openstack_db.present", **kwargs, **conn)
    assert first["result"] is True, first["comment"]
    second = run_state("openstack_db.present", **kwargs, **conn)
    assert second["changes"] == {}
    assert can_login(mariadb, NASTY_USER + "2", NASTY_PASSWORD, database=NASTY_DATABASE + "2")
    assert_secret_free([first, second], NASTY_PASSWORD)


def test_present_needs_a_password(run_state, conn):
    ret = run_state("openstack_db.present", name="nopw", **conn)
    assert ret["result"] is False
    assert "password is required" in ret["comment"]


def test_present_failure_is_reported(run_state, tmp_path):
    ret = run_state(
        "openstack_db.present", name="x", password="fail-pw", socket=str(tmp_path / "no.sock")
    )
    assert ret["result"] is False
    assert "Can't connect" in ret["comment"]
    assert "fail-pw" not in json.dumps(ret)
    # a dry run before MariaDB runs: everything would be done
    ret = run_state(
        "openstack_db.present", name="x", password="fail-pw", socket=str(tmp_path / "no.sock"),
        test=True,
    )
    assert ret["result"] is None and ret["changes"]["database"] == "created", ret
    assert "once MariaDB is running" in ret["comment"]
    assert "fail-pw" not in json.dumps(ret)
