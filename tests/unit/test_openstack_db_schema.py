"""
openstack_db's service schemas (placement, cinder): the revision read from
``<service>-manage db version``, the head from the installed migrations, the
sync; and the ``schema_synced`` state's decisions.  Pure logic: the
programs are faked (the real ones run in tests/functional/
test_schema_synced.py).
"""
import inspect

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_openstack._modules import openstack_db as db
from saltext_openstack._states import openstack_db as state

HEAD = "a082b8bb98d0"
OLD = "b5c396305c25"


class Programs:
    """Stands for cmd.run_all: answers by the program's action, records
    argv and keyword arguments."""

    def __init__(self, version="None", head=HEAD, fail=None):
        self.version, self.head, self.fail = version, head, fail
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        if "-c" in argv:  # the interpreter computing the head
            return {"retcode": 0, "stdout": self.head + "\n", "stderr": ""}
        action = argv[-2:]
        if self.fail == action[-1]:
            return {"retcode": 1, "stdout": "", "stderr": (
                "Traceback (most recent call last):\n  File x\n"
                "oslo_db.exception.DBError: (1045, \"Access denied\") "
                "mysql+pymysql://placement:S3cret@ctl/placement")}  # fmt: skip
        if action == ["db", "version"]:
            return {"retcode": 0, "stderr": "", "stdout": (
                "2026-01-01 10:00:00.000 1 INFO placement [-] some log line\n"
                + self.version + "\n")}  # fmt: skip
        return {"retcode": 0, "stdout": "", "stderr": ""}


@pytest.fixture
def programs(monkeypatch, tmp_path):
    fake = Programs()
    for name in ("placement-manage", "cinder-manage"):
        script = tmp_path / name
        script.write_text("#! /usr/bin/python3\n")
    monkeypatch.setattr(db.salt.utils.path, "which",
                        lambda name: str(tmp_path / name) if "manage" in name else None)  # fmt: skip
    monkeypatch.setattr(db, "__salt__", {"cmd.run_all": fake}, raising=False)
    return fake


def test_revision_is_the_last_one_word_line():
    assert db._revision("2026-01-01 10:00:00.000 1 INFO x [-] y\nabc123\n") == "abc123"
    assert db._revision("None\n") is None
    with pytest.raises(CommandExecutionError, match="no revision"):
        db._revision("2026-01-01 10:00:00.000 1 ERROR x [-] boom\n")


def test_interpreter_of_the_manage_program(tmp_path, monkeypatch):
    script = tmp_path / "x-manage"
    script.write_text("#! /usr/bin/python3\nimport sys\n")
    assert db._interpreter(str(script)) == "/usr/bin/python3"
    script.write_text("#!/usr/bin/env python3.12 -u\n")
    monkeypatch.setattr(db.salt.utils.path, "which", lambda name: None)
    assert db._interpreter(str(script)) == "python3.12"


def test_status_reads_head_and_version_as_the_service_user(programs):
    programs.version = OLD
    status = db.schema_status("placement", config_file="/etc/placement/placement.conf",
                              user="placement")  # fmt: skip
    assert status == {"service": "placement", "version": OLD, "head": HEAD, "synced": False}
    (head_argv, head_kwargs), (argv, kwargs) = programs.calls
    assert head_argv[0] == "/usr/bin/python3" and head_argv[-2:] == [
        "placement", "db/sqlalchemy/alembic.ini"]
    assert argv[1:] == ["--config-file", "/etc/placement/placement.conf", "db", "version"]
    assert kwargs["runas"] == "placement" and kwargs["output_loglevel"] == "quiet"
    assert kwargs["python_shell"] is False


def test_cinder_and_no_config_file(programs):
    programs.version = HEAD
    assert db.schema_status("cinder")["synced"] is True
    (head_argv, _), (argv, kwargs) = programs.calls
    assert head_argv[-2:] == ["cinder", "db/alembic.ini"]
    assert argv[1:] == ["db", "version"] and "runas" not in kwargs


def test_several_heads_are_an_error(programs):
    programs.head = "aaa bbb"
    with pytest.raises(CommandExecutionError, match="several heads: aaa bbb"):
        db.alembic_head("placement-manage", "placement", "db/sqlalchemy/alembic.ini")


def test_failure_keeps_the_last_lines_and_masks_url_passwords(programs):
    programs.fail = "sync"
    with pytest.raises(CommandExecutionError) as error:
        db.schema_sync("placement", user="placement")
    message = str(error.value)
    assert message.startswith("placement-manage db sync failed: ")
    assert "Access denied" in message and "S3cret" not in message
    assert "mysql+pymysql://placement:****@ctl/placement" in message


def test_unknown_service_and_missing_program(programs, monkeypatch):
    with pytest.raises(SaltInvocationError, match="unknown service 'nova': one of cinder, placement"):
        db.schema_status("nova")
    monkeypatch.setattr(db.salt.utils.path, "which", lambda name: None)
    with pytest.raises(CommandExecutionError, match="cinder-manage is not installed"):
        db.schema_sync("cinder")


# -- the state ----------------------------------------------------------------


class Calls:
    def __init__(self, status=None, sync_error=None, status_error=None):
        self.status, self.sync_error, self.status_error = status, sync_error, status_error
        self.synced = []

    def salt(self):
        def schema_status(name, config_file=None, user=None):
            if self.status_error:
                raise self.status_error
            return dict(self.status, service=name)

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


def _status(version):
    return {"version": version, "head": HEAD, "synced": version == HEAD}


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
    assert {"alembic_head", "schema_version", "schema_status", "schema_sync"} <= set(public)
    for name in public:
        assert "CLI Example::" in (vars(db)[name].__doc__ or ""), name
