"""
How the execution modules classify their programs' and APIs' failures:
"not ready yet" (NotReadyError, OpenStackUnreachable or LoginRefused, read by
saltext_openstack_schema.is_not_ready: a dry run's states before the
service's own answer None) or a plain CommandExecutionError (a failure in
every mode).  The programs' outputs are the real ones; what runs them is
faked here.  Against the real servers: tests/functional (an unreachable
MariaDB socket and RabbitMQ node, a Keystone port with nothing behind it).
"""
import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import openstack_db as odb
from saltext_openstack._modules import openstack_rabbitmq as mq
from saltext_openstack._utils import saltext_openstack_api as api
from saltext_openstack._utils import saltext_openstack_schema as schema

SOCKET_2002 = ("ERROR 2002 (HY000): Can't connect to local server through socket "
               "'/run/mysqld/mysqld.sock' (2)")


def _db_client(monkeypatch, stderr, retcode=1):
    monkeypatch.setattr(odb, "_find_client", lambda client: "/usr/bin/mariadb")
    monkeypatch.setattr(odb, "__salt__", {"cmd.run_all": lambda cmd, **kw: {
        "retcode": retcode, "stdout": "", "stderr": stderr}}, raising=False)


@pytest.mark.parametrize("stderr", [
    SOCKET_2002,
    "ERROR 2003 (HY000): Can't connect to MySQL server on '192.0.2.1' (111)",
    "ERROR 2006 (HY000): MySQL server has gone away",
    # a warning line before the error (MariaDB 11 called as `mysql`)
    "mysql: Deprecated program name. It will be removed in a future release, "
    "use '/usr/bin/mariadb' instead\n" + SOCKET_2002,
])
def test_no_mariadb_server_is_not_ready(monkeypatch, stderr):
    _db_client(monkeypatch, stderr)
    with pytest.raises(CommandExecutionError) as info:
        odb.database_exists("nova")
    assert schema.is_not_ready(info.value), info.value
    assert "Can't connect" in str(info.value) or "gone away" in str(info.value)


@pytest.mark.parametrize("stderr", [
    "ERROR 1045 (28000): Access denied for user 'root'@'localhost'",
    "ERROR 1064 (42000): You have an error in your SQL syntax",
    # the code somewhere else than at a line's start is not the client's error
    "ERROR 1146 (42S02): Table 'x.ERROR 2002' doesn't exist",
])
def test_other_mariadb_errors_are_failures(monkeypatch, stderr):
    _db_client(monkeypatch, stderr)
    with pytest.raises(CommandExecutionError) as info:
        odb.database_exists("nova")
    assert not schema.is_not_ready(info.value)


def test_an_expected_error_after_a_warning_line_is_still_expected(monkeypatch):
    """ok_errors (grants(): 1141, no grant for that host) read line by line too."""
    _db_client(monkeypatch, "mysql: Deprecated program name. It will be removed in a future "
               "release, use '/usr/bin/mariadb' instead\nERROR 1141 (42000): There is no such "
               "grant defined for user 'nova' on host '%'")
    assert odb.grants("nova", "%") == []
    _db_client(monkeypatch, "ERROR 1045 (28000): Access denied for user 'root'@'localhost'")
    with pytest.raises(CommandExecutionError, match="ERROR 1045"):
        odb.grants("nova", "%")


def test_no_mariadb_client_is_not_ready(monkeypatch):
    # (Salt's loader gives every module __salt__; the client is never started)
    monkeypatch.setattr(odb, "__salt__", {"cmd.run_all": None}, raising=False)
    monkeypatch.setattr(odb, "_find_client", lambda client: None)
    with pytest.raises(schema.NotReadyError, match="MariaDB client mariadb or mysql not found"):
        odb.database_exists("nova")


@pytest.mark.parametrize("text, not_ready", [
    ("Error: unable to perform an operation on node 'rabbit@controller'. Please see "
     "diagnostics information and suggestions below.", True),
    ("Error:\n{:badrpc, :nodedown}", True),
    ("Error:\nUser \"nova\" does not exist", False),
    ("", False),
])
def test_rabbitmqctl_failures(text, not_ready):
    with pytest.raises(CommandExecutionError) as info:
        mq._rabbitmqctl_failed("list_users", {"retcode": 69, "stderr": text})  # pylint: disable=protected-access
    assert schema.is_not_ready(info.value) is not_ready
    assert "rabbitmqctl list_users failed (exit code 69)" in str(info.value)


AUTH = {"auth_url": "http://controller:5000/v3", "username": "admin", "password": "pw",
        "project_name": "admin"}


def _keystone_answers(monkeypatch, exc):
    """Keystone's answer to the login: ``exc``, as Session.send raises it."""
    def send(self, *args, **kwargs):
        raise exc
    monkeypatch.setattr(api.Session, "send", send)


def test_admin_refused_is_not_ready(monkeypatch):
    """A dry run of a new controller: bootstrap only "would" set the password."""
    _keystone_answers(monkeypatch, api.OpenStackError(
        "Keystone: authentication as admin failed: The request you have made requires "
        "authentication. (HTTP 401 Unauthorized)", status=401))
    with pytest.raises(api.LoginRefused) as info:
        api.Session(AUTH)
    assert schema.is_not_ready(info.value) and "HTTP 401" in str(info.value)
    assert info.value.status == 401 and isinstance(info.value, api.OpenStackError)


@pytest.mark.parametrize("exc, not_ready", [
    (api.OpenStackError("Keystone: authentication as admin failed (HTTP 403)", status=403), False),
    (api.OpenStackError("Keystone: authentication as admin failed (HTTP 500)", status=500), False),
    (api.OpenStackUnreachable("Keystone: cannot reach http://controller:5000 (ConnectionError)"),
     True),
])
def test_other_keystone_answers(monkeypatch, exc, not_ready):
    _keystone_answers(monkeypatch, exc)
    with pytest.raises(type(exc)) as info:
        api.Session(AUTH)
    assert type(info.value) is type(exc)
    assert schema.is_not_ready(info.value) is not_ready
