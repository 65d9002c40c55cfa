"""
openstack_db's service schemas (placement, cinder, keystone, glance,
neutron): the
status from one start of the service's interpreter (the status script),
the sync with the manage program; and the ``schema_synced`` state's
decisions.  Pure logic: the programs are faked (the real ones run in
tests/functional/test_schema_synced.py).
"""
import inspect
import json
import sys

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_openstack._modules import openstack_db as db
from saltext_openstack._states import openstack_db as state
from saltext_openstack._utils.saltext_openstack_schema import NotReadyError

HEAD = "a082b8bb98d0"
OLD = "b5c396305c25"


class Programs:
    """Stands for cmd.run_all: answers by the program's action, records
    argv and keyword arguments."""

    def __init__(self, current=None, heads=(HEAD,), fail=None, answer=None):
        self.current, self.heads, self.fail, self.answer = current, list(heads), fail, answer
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        if "-c" in argv:  # the status script
            if self.answer is not None:
                return self.answer
            spec = json.loads(argv[-1])
            databases = {
                name: {"current": self.current, "unknown": [],
                       "synced": sorted(self.current or ()) == sorted(self.heads)}
                for name in spec["databases"]
            }  # fmt: skip
            return {"retcode": 0, "stderr": "",
                    "stdout": json.dumps({"heads": self.heads, "databases": databases}) + "\n"}
        if self.fail == argv[-1]:
            return {"retcode": 1, "stdout": "", "stderr": (
                "Traceback (most recent call last):\n  File x\n"
                "oslo_db.exception.DBError: (1045, \"Access denied\") "
                "mysql+pymysql://placement:S3cret@ctl/placement")}  # fmt: skip
        return {"retcode": 0, "stdout": "", "stderr": ""}


@pytest.fixture
def programs(monkeypatch, tmp_path):
    fake = Programs()
    for name in ("placement-manage", "cinder-manage", "keystone-manage", "glance-manage",
                 "neutron-db-manage"):
        script = tmp_path / name
        script.write_text("#! /usr/bin/python3\n")
    monkeypatch.setattr(db.salt.utils.path, "which",
                        lambda name: str(tmp_path / name) if "manage" in name else None)  # fmt: skip
    monkeypatch.setattr(db, "__salt__", {"cmd.run_all": fake}, raising=False)
    monkeypatch.setattr(db, "__opts__", {"cachedir": str(tmp_path / "cache")}, raising=False)
    return fake


def test_interpreter_of_the_manage_program(tmp_path, monkeypatch):
    script = tmp_path / "x-manage"
    script.write_text("#! /usr/bin/python3\nimport sys\n")
    assert db._interpreter(str(script)) == "/usr/bin/python3"
    script.write_text("#!/usr/bin/env python3.12 -u\n")
    monkeypatch.setattr(db.salt.utils.path, "which", lambda name: None)
    assert db._interpreter(str(script)) == "python3.12"


def test_status_is_one_start_of_the_interpreter_as_the_service_user(programs):
    programs.current = [OLD]
    status = db.schema_status("placement", config_file="/etc/placement/placement.conf",
                              user="placement")  # fmt: skip
    assert status == {"service": "placement", "version": OLD, "head": HEAD, "synced": False,
                      "unknown": []}  # fmt: skip
    ((argv, kwargs),) = programs.calls
    # isolated (-I) and from /: nothing the service's user could plant on
    # the import path
    assert argv[:3] == ["/usr/bin/python3", "-I", "-c"] and kwargs["cwd"] == "/"
    assert json.loads(argv[4]) == {
        "package": "placement", "alembic_ini": "db/sqlalchemy/alembic.ini", "recursive": False,
        "project": "placement", "prog": "placement-manage",
        "config_files": ["/etc/placement/placement.conf"],
        "databases": {"main": {"group": "placement_database"}}}  # fmt: skip
    assert kwargs["runas"] == "placement" and kwargs["output_loglevel"] == "quiet"
    assert kwargs["python_shell"] is False


def test_keystone_two_heads_and_no_config_file(programs):
    programs.heads = ["47147121", "c88cdce8f248"]
    programs.current = ["47147121", "c88cdce8f248"]
    status = db.schema_status("keystone")
    assert status["synced"] is True and status["version"] == status["head"] == "47147121 c88cdce8f248"
    ((argv, kwargs),) = programs.calls
    spec = json.loads(argv[4])
    assert spec["recursive"] is True and spec["config_files"] == []
    assert spec["alembic_ini"] == "common/sql/alembic.ini" and "runas" not in kwargs


NEUTRON_FILES = ["/etc/neutron/neutron.conf", "/etc/neutron/plugins/ml2/ml2_conf.ini"]


def test_neutron_two_heads_from_both_config_files(programs):
    """neutron: its expand and contract heads (two rows), the releases'
    directories under versions/ walked, both files the server reads given
    to oslo.config in order, as the service's user."""
    programs.heads = ["5c85685d616d", "ad80a9f07c5c"]
    programs.current = ["ad80a9f07c5c", "5c85685d616d"]
    status = db.schema_status("neutron", config_file=NEUTRON_FILES, user="neutron")
    assert status == {"service": "neutron", "version": "ad80a9f07c5c 5c85685d616d",
                      "head": "5c85685d616d ad80a9f07c5c", "synced": True, "unknown": []}
    ((argv, kwargs),) = programs.calls
    assert json.loads(argv[4]) == {
        "package": "neutron", "alembic_ini": "db/migration/alembic.ini", "recursive": True,
        "project": "neutron", "prog": "neutron-db-manage", "config_files": NEUTRON_FILES,
        "databases": {"main": {"group": "database"}}}  # fmt: skip
    assert kwargs["runas"] == "neutron"


def test_neutron_sync_is_upgrade_heads_with_both_config_files(programs):
    assert db.schema_sync("neutron", config_file=NEUTRON_FILES, user="neutron") is True
    ((argv, kwargs),) = programs.calls
    assert argv[0].endswith("/neutron-db-manage")
    assert argv[1:] == ["--config-file", NEUTRON_FILES[0], "--config-file", NEUTRON_FILES[1],
                        "upgrade", "heads"]  # fmt: skip
    assert kwargs["runas"] == "neutron" and kwargs["python_shell"] is False


def _revision(path, revision, down, labels=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"revision = {revision!r}\ndown_revision = {down!r}\n"
                    f"branch_labels = {labels!r}\n"
                    "def upgrade():\n    pass\n")  # fmt: skip


def test_the_script_finds_neutron_s_heads_in_its_release_directories(tmp_path, monkeypatch,
                                                                     capsys):  # fmt: skip
    """The status script, with the real alembic, on neutron's layout
    (neutron/db/migration/alembic.ini, versions/kilo_initial.py, then
    versions/<release>/{expand,contract}/, and the EXPAND_HEAD,
    CONTRACT_HEAD, README files beside them): the two heads, nothing
    imported from neutron itself but its migrations."""
    pytest.importorskip("alembic")
    migration = tmp_path / "site" / "neutron" / "db" / "migration"
    versions = migration / "alembic_migrations" / "versions"
    versions.mkdir(parents=True)
    for package in (tmp_path / "site" / "neutron", migration.parent, migration):
        (package / "__init__.py").write_text("")
    (migration / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/alembic_migrations\nsqlalchemy.url =\n")
    _revision(versions / "kilo_initial.py", "kilo", None)
    _revision(versions / "liberty" / "expand" / "354db87e3225_expand.py", "354db87e3225",
              "kilo", ("liberty_expand", "expand"))
    _revision(versions / "liberty" / "contract" / "30018084ec99_contract.py", "30018084ec99",
              "kilo", ("liberty_contract", "contract"))
    _revision(versions / "newton" / "contract" / "5c85685d616d_remove.py", "5c85685d616d",
              "30018084ec99")
    _revision(versions / "2025.1" / "expand" / "ad80a9f07c5c_qinq.py", "ad80a9f07c5c",
              "354db87e3225")
    for name, text in (("EXPAND_HEAD", "ad80a9f07c5c\n"), ("CONTRACT_HEAD", "5c85685d616d\n"),
                       ("README", "Generic single-database configuration.\n")):  # fmt: skip
        (versions / name).write_text(text)
    spec = {"package": "neutron", "alembic_ini": db.SCHEMAS["neutron"]["alembic_ini"],
            "recursive": db.SCHEMAS["neutron"]["recursive"], "databases": {}}
    monkeypatch.setattr("sys.argv", ["-c", json.dumps(spec)])
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [name for name in sys.modules if name.split(".")[0] == "neutron"]:
        monkeypatch.delitem(sys.modules, name)
    exec(compile(db.schema_read.STATUS_SCRIPT, "<status script>", "exec"), {})  # pylint: disable=exec-used
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["heads"] == ["5c85685d616d", "ad80a9f07c5c"]
    assert str(versions) in answer["code"]["paths"]


def test_no_schema_yet(programs):
    assert db.schema_version("glance", user="glance") is None
    assert db.schema_status("cinder")["synced"] is False


def test_several_heads_are_an_error_for_alembic_head(programs):
    programs.heads = ["aaa", "bbb"]
    with pytest.raises(CommandExecutionError, match="several heads: aaa bbb"):
        db.alembic_head("placement-manage", "placement", "db/sqlalchemy/alembic.ini")
    assert json.loads(programs.calls[0][0][-1])["databases"] == {}


def test_script_errors_are_readable_and_masked(programs):
    programs.answer = {"retcode": 1, "stderr": "", "stdout": json.dumps({"error": (
        "OperationalError: (1045, \"Access denied for user 'placement'\") "
        "mysql+pymysql://placement:S3cret@ctl/placement")}) + "\n"}  # fmt: skip
    with pytest.raises(CommandExecutionError) as error:
        db.schema_status("placement", user="placement")
    message = str(error.value)
    assert message.startswith("cannot read the schema of placement (db/sqlalchemy/alembic.ini): ")
    assert "Access denied" in message and "S3cret" not in message
    programs.answer = {"retcode": 1, "stdout": "", "stderr": (
        "Traceback (most recent call last):\n  File x\nImportError: no alembic "
        "sqlite://u:S3cret@x/")}  # fmt: skip
    with pytest.raises(CommandExecutionError, match="ImportError: no alembic") as error:
        db.schema_status("placement")
    assert "S3cret" not in str(error.value)


def test_sync_runs_the_service_s_own_command(programs):
    for service, action in (("placement", ["db", "sync"]), ("cinder", ["db", "sync"]),
                            ("keystone", ["db_sync"]), ("glance", ["db_sync"])):  # fmt: skip
        programs.calls.clear()
        assert db.schema_sync(service, config_file="/etc/x.conf", user=service) is True
        ((argv, kwargs),) = programs.calls
        assert argv[0].endswith(service + "-manage")
        assert argv[1:] == ["--config-file", "/etc/x.conf"] + action
        assert kwargs["runas"] == service


def test_failure_keeps_the_last_lines_and_masks_url_passwords(programs):
    programs.fail = "sync"
    with pytest.raises(CommandExecutionError) as error:
        db.schema_sync("placement", user="placement")
    message = str(error.value)
    assert message.startswith("placement-manage db sync failed: ")
    assert "Access denied" in message and "S3cret" not in message
    assert "mysql+pymysql://placement:****@ctl/placement" in message


@pytest.mark.parametrize("url", [
    "mysql+pymysql://placement:S3cret@ctl/placement",
    "mysql+pymysql://placement:p@ss@ctl/placement",  # "@" in the password
    "mysql+pymysql://placement:p@ss:w/rd@ctl/placement?charset=utf8",
])
def test_failure_masks_a_url_password_whole(url):
    """The extension's one masker (_utils/saltext_openstack_mask): no part of
    a password shows, even one holding "@", ":" or "/"."""
    password = url.split("placement:", 1)[1].rsplit("@ctl", 1)[0]
    message = db._failure({"retcode": 1, "stdout": "",
                           "stderr": f"Traceback\nOperationalError: (1045) {url} refused"})
    assert "mysql+pymysql://placement:****@ctl/placement" in message
    assert password not in message and "ss@" not in message


def test_unknown_service_and_missing_program(programs, monkeypatch):
    with pytest.raises(SaltInvocationError,
                       match="unknown service 'nova': one of cinder, glance, keystone, neutron, placement"):
        db.schema_status("nova")
    monkeypatch.setattr(db.salt.utils.path, "which", lambda name: None)
    with pytest.raises(NotReadyError, match="cinder-manage is not installed"):
        db.schema_sync("cinder")
    with pytest.raises(NotReadyError, match="keystone-manage is not installed"):
        db.schema_status("keystone")


@pytest.mark.parametrize("not_ready", [True, False, None])
def test_the_script_tells_not_ready_and_the_module_raises_the_typed_error(programs, not_ready):
    """The status script classifies its error where it happens (by type
    and driver error code); the module raises NotReadyError for it, a
    plain CommandExecutionError otherwise (an older answer without the key
    too)."""
    answer = {"error": "OperationalError: (2003, \"Can't connect to MySQL server on 'ctl'\")"}
    if not_ready is not None:
        answer["not_ready"] = not_ready
    programs.answer = {"retcode": 1, "stderr": "", "stdout": json.dumps(answer) + "\n"}
    with pytest.raises(CommandExecutionError, match="Can't connect") as error:
        db.schema_status("placement", user="placement")
    assert isinstance(error.value, NotReadyError) is bool(not_ready)


class _DriverError(Exception):
    """A DB-API error: (code, message)."""


class _DBAPIError(Exception):
    """SQLAlchemy's wrapper of a driver's error (``orig``)."""

    def __init__(self, code):
        super().__init__("wrapped")
        self.orig = _DriverError(code, "message")


def _script_functions(monkeypatch):
    """The status script's definitions (before its main block), run here."""
    monkeypatch.setattr("sys.argv", ["-c", "{}"])
    prelude = db.schema_read.STATUS_SCRIPT.split("\ntry:\n")[0]
    namespace = {}
    exec(compile(prelude, "<status script>", "exec"), namespace)  # pylint: disable=exec-used
    return namespace


@pytest.mark.parametrize("error, expected", [
    (_DBAPIError(1045), True),   # access denied: the user not created yet
    (_DBAPIError(1044), True),   # access denied to the database
    (_DBAPIError(1049), True),   # unknown database
    (_DBAPIError(2002), True),   # no server on the socket
    (_DBAPIError(2003), True),   # no server on TCP
    (_DBAPIError(1146), False),  # a table missing: a broken schema, not "not ready"
    (_DBAPIError(None), False),
    (ValueError("cell0's mapping has no database URL"), False),
    (ImportError("no alembic"), False),
])  # fmt: skip
def test_the_script_classifies_errors_by_type_and_code(monkeypatch, error, expected):
    functions = _script_functions(monkeypatch)
    assert functions["not_ready"](error) is expected
    assert functions["not_ready"](functions["not_set"]("[database] connection is not set")) is True


def test_an_odd_driver_error_is_not_ready_false_not_a_crash(monkeypatch):
    """A driver error whose first argument cannot be hashed: the script
    still answers (an error, not "not ready") instead of a traceback."""
    functions = _script_functions(monkeypatch)
    error = _DBAPIError(None)
    error.orig = _DriverError(["a", "list"], "message")
    assert functions["not_ready"](error) is False


def test_a_service_user_that_does_not_exist_yet_is_not_ready(programs, monkeypatch):
    """Salt refuses a runas user that does not exist; before the service's
    package is installed its user does not exist: not ready (a dry run
    says "would").  Salt's refusal for a user that exists goes through."""
    def refuse(argv, **kwargs):
        raise CommandExecutionError("User '{}' is not available".format(kwargs["runas"]))

    monkeypatch.setitem(db.__salt__, "cmd.run_all", refuse)
    with pytest.raises(NotReadyError, match="the user no-such-user-here does not exist yet"):
        db.schema_status("placement", user="no-such-user-here")
    with pytest.raises(CommandExecutionError, match="User 'root' is not available") as error:
        db.schema_status("placement", user="root")
    assert not isinstance(error.value, NotReadyError)


# -- the state ----------------------------------------------------------------


class Calls:
    """schema_status answers `status`, and after a sync `after` (default:
    at head, as a sync that worked leaves it)."""

    def __init__(self, status=None, sync_error=None, status_error=None, after=None):
        self.status, self.sync_error, self.status_error = status, sync_error, status_error
        self.after = after or _status(HEAD)
        self.synced = []

    def salt(self):
        def schema_status(name, config_file=None, user=None):
            if self.status_error:
                raise self.status_error
            return dict(self.after if self.synced else self.status, service=name)

        def schema_sync(name, config_file=None, user=None):
            if self.sync_error:
                raise self.sync_error
            self.synced.append((name, config_file, user))
            return True

        return {"openstack_db.database_exists": None, "openstack_db.schema_status": schema_status,
                "openstack_db.schema_sync": schema_sync}  # fmt: skip


def _run(monkeypatch, calls, test=False):
    monkeypatch.setattr(state, "__salt__", calls.salt(), raising=False)
    monkeypatch.setattr(state, "__opts__", {"test": test}, raising=False)
    return state.schema_synced("placement", config_file="/etc/p.conf", user="placement")


def _status(version, unknown=()):
    return {"version": version, "head": HEAD, "synced": version == HEAD, "unknown": list(unknown)}


@pytest.mark.parametrize("test", [False, True])
def test_state_refuses_a_schema_newer_than_the_code(monkeypatch, test):
    """A revision the installed code does not ship (the package downgraded,
    another host upgraded first): the old manage program would fail on
    every run, or (glance) report success and change nothing; refused with
    the revision named, nothing run, in test mode too."""
    calls = Calls(_status("f00dbeef0001", unknown=["f00dbeef0001"]))
    ret = _run(monkeypatch, calls, test=test)
    assert ret["result"] is False and ret["changes"] == {} and calls.synced == []
    assert ret["comment"] == (
        "The placement database is at revision(s) f00dbeef0001, which the installed "
        f"placement does not ship (its heads: {HEAD}): not migrating; install the "
        "release that made them")


def test_state_a_sync_short_of_head_fails(monkeypatch):
    """The manage program exited 0 but the schema is still behind: the
    state fails with what it reached (it would run again on every run)."""
    calls = Calls(_status(None), after=_status(OLD))
    ret = _run(monkeypatch, calls)
    assert ret["result"] is False and ret["changes"] == {"old": None, "new": OLD}
    assert ret["comment"] == (f"The placement database was migrated to revision {OLD} "
                              f"but the installed code's heads are {HEAD}")


def test_state_at_head_runs_nothing(monkeypatch):
    calls = Calls(_status(HEAD))
    for test in (True, False):
        ret = _run(monkeypatch, calls, test=test)
        assert ret["result"] is True and ret["changes"] == {}
        assert ret["comment"] == f"The placement database is at revision {HEAD}"
    assert calls.synced == []


@pytest.mark.parametrize("version", [None, OLD])
def test_state_behind_head_predicts_then_migrates(monkeypatch, version):
    """A database left without schema (a first run that failed after
    creating it) or behind an upgraded package is migrated, whatever ran
    before: nothing waits for a change of the package or the database."""
    calls = Calls(_status(version))
    predicted = _run(monkeypatch, calls, test=True)
    assert predicted["result"] is None and calls.synced == []
    assert predicted["changes"] == {"old": version, "new": HEAD}
    ret = _run(monkeypatch, calls)
    assert ret["result"] is True and ret["changes"] == predicted["changes"]
    assert calls.synced == [("placement", "/etc/p.conf", "placement")]


def test_state_sync_failure(monkeypatch):
    calls = Calls(_status(None), sync_error=CommandExecutionError("placement-manage db sync failed: x"))
    ret = _run(monkeypatch, calls)
    assert ret["result"] is False and ret["changes"] == {}
    assert "Failed to migrate the placement database: placement-manage db sync failed: x" == ret["comment"]


def test_state_unreadable_version_fails_outside_the_not_ready_cases(monkeypatch):
    calls = Calls(status_error=CommandExecutionError("placement-manage db version failed: boom"))
    for test in (True, False):
        ret = _run(monkeypatch, calls, test=test)
        assert ret["result"] is False and "Cannot read the placement schema version" in ret["comment"]


def test_public_functions_have_cli_examples():
    public = [name for name, func in vars(db).items() if inspect.isfunction(func)
              and not name.startswith("_") and func.__module__ == db.__name__]  # fmt: skip
    assert {"alembic_head", "schema_script", "schema_version", "schema_status",
            "schema_sync"} <= set(public)
    for name in public:
        assert "CLI Example::" in (vars(db)[name].__doc__ or ""), name


def test_state_synced_is_the_status_s_answer_not_version_equals_head(monkeypatch):
    """glance: two heads (expand, contract) and one row once synced, the
    contract head depending on the expand head."""
    calls = Calls({"version": "2024_1_contract01", "head": "2024_1_contract01 2024_1_expand01",
                   "synced": True})  # fmt: skip
    ret = _run(monkeypatch, calls)
    assert ret["result"] is True and ret["changes"] == {} and calls.synced == []
    assert ret["comment"] == "The placement database is at revision 2024_1_contract01"


@pytest.mark.parametrize("error", [
    "cannot read the schema of keystone (common/sql/alembic.ini): ValueError: [database] "
    "connection is not set in /etc/keystone/keystone.conf",
    "cannot read the schema of glance (x): ConfigFilesNotFoundError: Failed to find some config "
    "files: /etc/glance/glance-api.conf",
    "cannot read the schema of cinder (x): OperationalError: (pymysql.err.OperationalError) "
    "(2003, \"Can't connect to MySQL server on 'ctl'\")",
    "glance-manage is not installed",
])  # fmt: skip
def test_state_not_ready_in_test_mode(monkeypatch, error):
    calls = Calls(status_error=NotReadyError(error))
    ret = _run(monkeypatch, calls, test=True)
    assert ret["result"] is None and ret["changes"] == {}
    assert ret["comment"].startswith("The placement database would be migrated once")
    assert _run(monkeypatch, calls)["result"] is False
