"""
What the schema states share with their execution modules
(_utils/saltext_openstack_schema.py): where the modules find it (synced or
pip-installed, one NotReadyError for both sides of a call) and its helpers.
The states' own decisions: test_openstack_db_schema.py and
test_nova_manage_states.py; the real programs: tests/functional.
"""
import pathlib
import shutil

import pytest
import salt.loader
import salt.utils.path
from minion_opts import forgotten
from minion_opts import loaded_globals as _globals
from minion_opts import minion_opts as make_minion_opts
from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_openstack._utils import saltext_openstack_schema as schema

REPO = pathlib.Path(__file__).resolve().parents[2]
SYNCED = "saltext_openstack_schema"
# nova_manage imports the secret masker and its output reader with it,
# openstack_db the masker and its SQL text, their states what the states
# share, each module in one try: sync_all syncs them all.
MASK = "saltext_openstack_mask"
NOVA = "saltext_openstack_nova"
SQL = "saltext_openstack_sql"
STATE = "saltext_openstack_state"
# and the cache of the cheap schema check, with them (openstack_db: and the
# slow check's script)
CACHE = "saltext_openstack_schemacache"
READ = "saltext_openstack_schema_read"


@pytest.fixture
def fresh_job():
    """A minion job's process: the synced copy not imported yet."""
    with forgotten(SYNCED, MASK, NOVA, SQL, STATE, CACHE, READ):
        yield


@pytest.fixture
def programs(monkeypatch):
    """The programs the execution modules' __virtual__ look for."""
    which = salt.utils.path.which
    monkeypatch.setattr(salt.utils.path, "which", lambda name: (
        f"/usr/bin/{name}" if name in ("mariadb", "nova-manage") else which(name)))


def _loaders(opts):
    utils = salt.loader.utils(opts)
    mods = salt.loader.minion_mods(opts, utils=utils)
    return mods, salt.loader.states(opts, mods, utils, {})


def test_synced_modules_and_states_share_the_synced_copy(tmp_path, fresh_job, programs):
    """saltutil.sync_all: _modules/, _states/ and _utils/ in extmods; the
    execution modules that raise NotReadyError and the states that catch it
    import the same synced file, so the class is one."""
    opts = make_minion_opts(tmp_path / "root", "synced", tmp_path / "pillar")
    extmods = pathlib.Path(opts["extension_modules"])
    for kind in ("modules", "states", "utils"):
        (extmods / kind).mkdir(parents=True)
    for kind in ("modules", "states"):
        for module in ("openstack_db", "nova_manage"):
            shutil.copy(REPO / f"_{kind}" / f"{module}.py", extmods / kind)
    for name in (SYNCED, MASK, NOVA, SQL, STATE, CACHE, READ):
        shutil.copy(REPO / "_utils" / f"{name}.py", extmods / "utils")
    mods, states = _loaders(opts)
    used = [_globals(loader, module)["schema"]
            for loader in (mods, states) for module in ("openstack_db", "nova_manage")]  # fmt: skip
    assert used[0].__file__ == str(extmods / "utils" / f"{SYNCED}.py")
    assert all(module is used[0] for module in used)
    assert used[0] is not schema


def test_a_partial_sync_takes_every_file_from_the_package(tmp_path, fresh_job, programs):
    """extmods/utils without one of nova_manage's files (a partial sync):
    its one try/except takes all of them from the package, never a synced
    masker beside an installed output reader."""
    opts = make_minion_opts(tmp_path / "root", "partial", tmp_path / "pillar")
    extmods = pathlib.Path(opts["extension_modules"])
    for kind in ("modules", "utils"):
        (extmods / kind).mkdir(parents=True)
    shutil.copy(REPO / "_modules" / "nova_manage.py", extmods / "modules")
    for name in (SYNCED, MASK):
        shutil.copy(REPO / "_utils" / f"{name}.py", extmods / "utils")
    mods, _ = _loaders(opts)
    used = _globals(mods, "nova_manage")
    assert [used[name].__name__ for name in ("mask", "novatext", "schema")] == [
        "saltext_openstack._utils." + name for name in (MASK, NOVA, SYNCED)]
    assert used["schema"] is schema


def test_installed_modules_and_states_use_the_package_s_copy(tmp_path, fresh_job, programs):
    opts = make_minion_opts(tmp_path / "root", "installed", tmp_path / "pillar")
    mods, states = _loaders(opts)
    for loader in (mods, states):
        for module in ("openstack_db", "nova_manage"):
            assert _globals(loader, module)["schema"] is schema


def test_not_ready_is_a_command_execution_error():
    """Everything that catches CommandExecutionError (Salt's state
    machinery, the states outside test mode) fails on it as before."""
    assert issubclass(schema.NotReadyError, CommandExecutionError)


def test_not_ready_is_told_by_its_mark_not_its_class():
    """The same file imported by another name (synced, pip-installed) is
    another class: the states still see a NotReadyError by its mark."""
    import importlib.util  # pylint: disable=import-outside-toplevel
    spec = importlib.util.spec_from_file_location("another_copy", schema.__file__)
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    assert other.NotReadyError is not schema.NotReadyError
    assert schema.is_not_ready(other.NotReadyError("x"))
    assert not schema.is_not_ready(CommandExecutionError("x"))


@pytest.mark.parametrize("message, reason", [
    ("nova-manage is not installed", "nova-manage is not installed"),
    ("nova-manage api_db version failed (exit code 1): An error has occurred:\n"
     "  oslo_db.exception.CantStartEngineError: No sql_connection parameter  \n\n",
     "oslo_db.exception.CantStartEngineError: No sql_connection parameter"),
    ("", ""),
])  # fmt: skip
def test_the_reason_is_the_message_s_last_line(message, reason):
    assert schema.not_ready_reason(schema.NotReadyError(message)) == reason


# -- schema_verdict: the sequence both schema states run -------------------------

HEAD, OLD = "c0ffee000002", "c0ffee000001"
# Each comment names the fields known when it is given.
TEXTS = {
    "not_ready": "not ready: {name} {label} ({reason})",
    "unreadable": "unreadable: {label}: {error}",
    "synced": "synced: {label} {version}",
    "short": "short: {label} {version} -> {reached}, not {head}",
    "migrated": "migrated: {label} {version} -> {reached}",
}


class Database:
    """status() answers the statuses in turn (then the last one again);
    sync() counts its calls; either raises the error it is given."""

    def __init__(self, *statuses, sync_error=None):
        self.statuses, self.sync_error = list(statuses), sync_error
        self.reads, self.syncs = 0, 0

    def status(self):
        self.reads += 1
        answer = self.statuses[min(self.reads, len(self.statuses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sync(self):
        self.syncs += 1
        if self.sync_error:
            raise self.sync_error


def _at(version, unknown=(), **more):
    return dict(version=version, head=HEAD, synced=version == HEAD, unknown=list(unknown), **more)


def _verdict(database, test=False, **kwargs):
    kwargs.setdefault("texts", TEXTS)
    kwargs.setdefault("words", {"code": "xcode", "heads": "heads"})
    return schema.schema_verdict("x", "x database", database.status, database.sync, test=test,
                                 **kwargs)  # fmt: skip


def test_not_ready_is_none_in_test_mode_and_false_outside():
    database = Database(schema.NotReadyError("x failed:\nUnknown database 'x'\n"))
    assert _verdict(database, test=True) == {
        "name": "x", "result": None, "changes": {},
        "comment": "not ready: x x database (Unknown database 'x')"}  # fmt: skip
    assert _verdict(database) == {
        "name": "x", "result": False, "changes": {},
        "comment": "unreadable: x database: x failed:\nUnknown database 'x'\n"}  # fmt: skip
    assert database.syncs == 0


@pytest.mark.parametrize("error", [CommandExecutionError("boom"), SaltInvocationError("boom")])
def test_other_errors_fail_in_test_mode_too(error):
    for test in (True, False):
        ret = _verdict(Database(error), test=test)
        assert (ret["result"], ret["changes"], ret["comment"]) == (
            False, {}, "unreadable: x database: boom")


@pytest.mark.parametrize("test", [True, False])
def test_revisions_the_code_does_not_ship_are_refused_before_anything(test):
    database = Database(_at("f00d", unknown=["f00d", "beef"]))
    ret = _verdict(database, test=test)
    assert ret["result"] is False and ret["changes"] == {} and database.syncs == 0
    assert ret["comment"] == (
        "The x database is at revision(s) f00d beef, which the installed xcode does not "
        f"ship (its heads: {HEAD}): not migrating; install the release that made them")


@pytest.mark.parametrize("test", [True, False])
def test_synced_runs_nothing(test):
    database = Database(_at(HEAD))
    assert _verdict(database, test=test) == {
        "name": "x", "result": True, "changes": {}, "comment": f"synced: x database {HEAD}"}
    assert (database.reads, database.syncs) == (1, 0)


def test_test_mode_predicts_with_the_state_s_functions():
    database = Database(_at(OLD, cell0=OLD))
    ret = _verdict(database, test=True,
                   predict=lambda before: {"version": before["head"], "cell0": before["head"]},
                   changes=lambda before, after: {"cell0": (before["cell0"], after["cell0"])})
    assert ret == {"name": "x", "result": None, "changes": {"cell0": (OLD, HEAD)},
                   "comment": f"The x database would be migrated to revision {HEAD}"}
    assert database.syncs == 0
    # by default: the database at the heads, {"old", "new"}
    ret = _verdict(Database(_at(None)), test=True)
    assert ret["changes"] == {"old": None, "new": HEAD}


def test_a_sync_is_judged_by_the_status_read_again():
    database = Database(_at(None), _at(HEAD))
    assert _verdict(database) == {"name": "x", "result": True,
                                  "changes": {"old": None, "new": HEAD},
                                  "comment": f"migrated: x database None -> {HEAD}"}
    assert (database.reads, database.syncs) == (2, 1)


def test_a_sync_short_of_the_heads_fails_with_what_it_reached():
    database = Database(_at(None), _at(OLD, cell0=None))
    ret = _verdict(database, describe=lambda after: f"{after['version']} (described)")
    assert ret == {"name": "x", "result": False, "changes": {"old": None, "new": OLD},
                   "comment": f"short: x database None -> {OLD} (described), not {HEAD}"}


@pytest.mark.parametrize("sync_error, statuses", [
    (CommandExecutionError("sync failed"), [_at(OLD)]),
    (None, [_at(OLD), CommandExecutionError("sync failed")]),  # the status read again
])  # fmt: skip
def test_a_failed_sync_or_second_read_fails_without_changes(sync_error, statuses):
    database = Database(*statuses, sync_error=sync_error)
    assert _verdict(database) == {"name": "x", "result": False, "changes": {},
                                  "comment": "Failed to migrate the x database: sync failed"}
    assert database.syncs == 1


@pytest.mark.parametrize("current, expected", [
    (None, None), ([], None), (["a1"], "a1"), (["contract01", "expand01"], "contract01 expand01"),
])  # fmt: skip
def test_revisions_as_one_string(current, expected):
    assert schema.revisions(current) == expected
