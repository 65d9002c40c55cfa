"""
What the state modules share (_utils/saltext_openstack_state.py): a
state's first return and its ends, and the state return of a missing
program, shared by the gluster, nova_manage, openstack_db and openstack_rabbitmq
states: each loaded by Salt's own state loader, synced as
saltutil.sync_all puts them (extmods) or pip-installed, with none of the
programs on this machine's PATH that their execution modules need.
"""
import pathlib
import shutil

import pytest
import salt.loader
import salt.utils.path
from minion_opts import forgotten
from minion_opts import loaded_globals as _globals
from minion_opts import minion_opts as make_minion_opts

from saltext_openstack._utils import saltext_openstack_state as state_utils

REPO = pathlib.Path(__file__).resolve().parents[2]
SYNCED = "saltext_openstack_state"
# saltutil.sync_all syncs every file of _utils/: each module imports all of
# its files in one try, so a file missing would take them all from the package.
UTILS = sorted(p.stem for p in (REPO / "_utils").glob("*.py") if p.stem != "__init__")
STATES = {
    "gluster": "the gluster command (package glusterfs-server)",
    "nova_manage": "nova-manage (package nova-common)",
    "openstack_db": "the mariadb client (package mariadb-client)",
    "openstack_rabbitmq": "rabbitmqctl (package rabbitmq-server)",
}


@pytest.fixture
def no_programs(monkeypatch):
    """None of the programs the execution modules' __virtual__ look for."""
    monkeypatch.setattr(salt.utils.path, "which", lambda name: None)
    with forgotten(*UTILS):
        yield


def _states(tmp_path, test, synced):
    opts = make_minion_opts(tmp_path / "root", "state-utils", tmp_path / "pillar")
    opts["test"] = test
    if synced:
        extmods = pathlib.Path(opts["extension_modules"])
        for kind in ("modules", "states", "utils"):
            (extmods / kind).mkdir(parents=True, exist_ok=True)
        for module in STATES:
            shutil.copy(REPO / "_modules" / f"{module}.py", extmods / "modules")
            shutil.copy(REPO / "_states" / f"{module}.py", extmods / "states")
        for name in UTILS:
            shutil.copy(REPO / "_utils" / f"{name}.py", extmods / "utils")
    utils = salt.loader.utils(opts)
    mods = salt.loader.minion_mods(opts, utils=utils)
    return mods, salt.loader.states(opts, mods, utils, {})


@pytest.mark.parametrize("synced", [True, False], ids=["synced", "installed"])
@pytest.mark.parametrize("test", [True, False], ids=["dry-run", "run"])
def test_each_state_says_its_program_is_missing(tmp_path, no_programs, synced, test):
    mods, states = _states(tmp_path, test, synced)
    for module, program in STATES.items():
        assert not [name for name in mods if name.startswith(module + ".")], module
        glob = _globals(states, module)
        if synced:
            assert glob["state_utils"].__file__.startswith(str(tmp_path)), module
        else:
            assert glob["state_utils"] is state_utils
        # (called in the loader's context: __salt__ and __opts__ are its own)
        ret = states.run(glob["_unavailable"], "thing", "make the thing")
        if test:
            assert ret == {"name": "thing", "result": None, "changes": {},
                           "comment": f"Would make the thing once {program} is installed"}
        else:
            assert ret == {"name": "thing", "result": False, "changes": {},
                           "comment": f"Cannot make the thing: {program} is not installed"}


def test_a_loaded_probe_means_no_answer():
    assert state_utils.unavailable({"x.probe": print}, {}, "x.probe", "x", "n", "do") is None


def test_a_state_starts_as_a_success_without_changes():
    assert state_utils.ret("n") == {"name": "n", "result": True, "changes": {}, "comment": ""}
    assert state_utils.ret("n") is not state_utils.ret("n")


@pytest.mark.parametrize("test", [True, False], ids=["dry-run", "run"])
def test_noted_says_the_notes_of_the_changes(test):
    ret = state_utils.ret("n")
    ret["changes"]["user"] = "created"
    assert state_utils.noted(ret, ["user n created", "password set"], test, "as wanted") is ret
    assert ret == {"name": "n", "result": None if test else True, "changes": {"user": "created"},
                   "comment": "user n created; password set"}


@pytest.mark.parametrize("test", [True, False], ids=["dry-run", "run"])
def test_noted_without_changes_says_so(test):
    ret = state_utils.noted(state_utils.ret("n"), [], test, "n is as wanted")
    assert ret == {"name": "n", "result": True, "changes": {}, "comment": "n is as wanted"}


def test_failed_says_what_was_done_then_the_error():
    ret = state_utils.ret("n")
    ret["changes"]["user"] = "created"
    assert state_utils.failed(ret, ValueError("no grant"), ["user n created"]) is ret
    assert ret == {"name": "n", "result": False, "changes": {"user": "created"},
                   "comment": "user n created; no grant"}
    assert state_utils.failed(state_utils.ret("n"), ValueError("boom"))["comment"] == "boom"


def test_unavailable_in_reads_the_modules_loader_globals_at_each_call():
    module_globals = {}
    check = state_utils.unavailable_in(module_globals, "x.probe", "x (package x)")
    module_globals.update(__salt__={}, __opts__={"test": True})
    assert check("n", "do it")["comment"] == "Would do it once x (package x) is installed"
    module_globals["__salt__"] = {"x.probe": print}
    assert check("n", "do it") is None
