"""
In test mode, a state whose backend is not installed or not running yet
(the states before it in the same dry run only say "would install/start")
answers result None with the reason; outside test mode the same error fails
the state.  Backends are faked: each raises the error its real module
raises in that situation.
"""
import importlib.util
import pathlib

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._utils.saltext_openstack_api import OpenStackUnreachable
from saltext_openstack._utils.saltext_openstack_schema import NotReadyError

REPO = pathlib.Path(__file__).resolve().parents[2]


def _state(name, salt_functions, test):
    spec = importlib.util.spec_from_file_location(f"dry_run_{name}", REPO / "_states" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__salt__ = salt_functions
    module.__opts__ = {"test": test}
    return module


def _raises(message, error=CommandExecutionError):
    def fun(*args, **kwargs):
        raise error(message)

    return fun


def _not_ready(message):
    """What openstack_db's, openstack_rabbitmq's and nova_manage's functions
    raise when the service is not set up yet (the typed error, whatever its
    text)."""
    return _raises(message, NotReadyError)


CASES = {
    "mariadb-not-running": (
        "openstack_db",
        {"openstack_db.database_exists": _not_ready(
            "MariaDB: ERROR 2002 (HY000): Can't connect to local server through socket "
            "'/run/mysqld/mysqld.sock' (2)")},
        lambda m: m.present("nova", password="secret"),
    ),
    "rabbitmq-not-running": (
        "openstack_rabbitmq",
        # (list_users: the state's probe, rabbitmqctl is installed)
        {"openstack_rabbitmq.list_users": None,
         "openstack_rabbitmq.check_user": _not_ready(
            "rabbitmqctl export_definitions failed (exit code 69): Error: unable to "
            "perform an operation on node 'rabbit@host'.")},
        lambda m: m.user_present("openstack", "secret"),
    ),
    "rabbitmq-absent-not-running": (
        "openstack_rabbitmq",
        {"openstack_rabbitmq.list_users": None,
         "openstack_rabbitmq.user_exists": _not_ready("rabbitmqctl not found")},
        lambda m: m.user_absent("guest"),
    ),
    "nova-conf-without-database": (
        "nova_manage",
        {"nova_manage.db_status": _not_ready(
            "nova-manage api_db version failed (exit code 255): An error has occurred:\n"
            "oslo_db.exception.CantStartEngineError: No sql_connection parameter is established")},
        lambda m: m.db_synced("api"),
    ),
    "nova-conf-without-database-url": (
        "nova_manage",
        {"nova_manage.db_status": _not_ready(
            "cannot read the schema of nova (db/api/alembic.ini): ValueError: [api_database] "
            "connection is not set in /etc/nova/nova.conf")},
        lambda m: m.db_synced("api"),
    ),
    "nova-cells-without-database": (
        "nova_manage",
        {"nova_manage.check_cell": _not_ready("nova-manage is not installed")},
        lambda m: m.cell_present("cell1"),
    ),
    "placement-manage-not-installed": (
        "openstack_db",
        {"openstack_db.database_exists": None,
         "openstack_db.schema_status": _not_ready("placement-manage is not installed")},
        lambda m: m.schema_synced("placement", user="placement"),
    ),
    "cinder-conf-without-database": (
        "openstack_db",
        {"openstack_db.database_exists": None,
         "openstack_db.schema_status": _not_ready(
             "cinder-manage db version failed: oslo_db.exception.CantStartEngineError: "
             "No sql_connection parameter is established")},
        lambda m: m.schema_synced("cinder", user="cinder"),
    ),
    "keystone-not-running": (
        "keystone_init",
        {"keystone_init.apply": _raises(
            "Keystone: cannot reach http://controller:5000/v3 (ConnectionError: refused)",
            OpenStackUnreachable)},
        lambda m: m.present("openstack", config={}, auth_url="http://controller:5000/v3"),
    ),
    "keystone-admin-not-bootstrapped": (
        "keystone_init",
        {"keystone_init.apply": _not_ready(
            "Keystone: authentication as admin failed: The request you have made requires "
            "authentication. (HTTP 401 Unauthorized)")},
        lambda m: m.present("openstack", config={}, auth_url="http://controller:5000/v3"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dry_run_before_install_is_none(case):
    name, functions, call = CASES[case]
    ret = call(_state(name, functions, test=True))
    assert ret["result"] is None, ret
    assert ret["comment"], ret
    ret = call(_state(name, functions, test=False))
    assert ret["result"] is False, ret


@pytest.mark.parametrize(
    "message",
    [
        "MariaDB: ERROR 1045 (28000): Access denied for user 'root'@'localhost'",
        "MariaDB: ERROR 1064 (42000): You have an error in your SQL syntax",
    ],
)
def test_other_database_errors_fail_in_test_mode_too(message):
    ret = _state("openstack_db", {"openstack_db.database_exists": _raises(message)}, test=True).present(
        "nova", password="secret"
    )
    assert ret["result"] is False


@pytest.mark.parametrize("name, functions, call", [
    ("openstack_db", {"openstack_db.database_exists": _raises(
        "MariaDB: ERROR 2002 (HY000): Can't connect")}, lambda m: m.present("nova", password="x")),
    ("keystone_init", {"keystone_init.apply": _raises(
        "Keystone: authentication as admin failed: (HTTP 401 Unauthorized)")},
     lambda m: m.present("openstack", config={}, auth_url="http://controller:5000/v3")),
    ("openstack_rabbitmq", {"openstack_rabbitmq.list_users": None,
                            "openstack_rabbitmq.user_exists": _raises("rabbitmqctl not found")},
     lambda m: m.user_absent("guest")),
])
def test_the_error_s_type_decides_not_its_text(name, functions, call):
    """Only the modules' NotReadyError is "not ready": the same words in a
    plain CommandExecutionError fail the dry run."""
    assert call(_state(name, functions, test=True))["result"] is False


def test_config_owner_missing_in_test_mode(tmp_path):
    calls = []

    def update(name, test=False, user=None, group=None, **kwargs):
        calls.append((user, group))
        if group == "glance":
            raise CommandExecutionError("group 'glance' does not exist")
        return {"file": "created", "options": {"DEFAULT": {"debug": {"old": None, "new": "false"}}}}

    path = str(tmp_path / "glance-api.conf")
    state = _state("openstack_config", {"openstack_config.update": update}, test=True)
    ret = state.present(path, settings={"DEFAULT": {"debug": False}}, user="root", group="glance", mode="0640")
    assert ret["result"] is None
    assert ret["changes"]["group"] == {"new": "glance"}
    assert "group 'glance' does not exist yet" in ret["comment"]
    assert calls == [("root", "glance"), (None, None)]
    state = _state("openstack_config", {"openstack_config.update": update}, test=False)
    assert state.present(path, settings={"DEFAULT": {"debug": False}}, group="glance")["result"] is False
