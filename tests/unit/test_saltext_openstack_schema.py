"""
What the schema states share with their execution modules
(_utils/saltext_openstack_schema.py): where the modules find it (synced or
pip-installed, one NotReadyError for both sides of a call) and its helpers.
The states' own decisions: test_openstack_db_schema.py and
test_nova_manage_states.py; the real programs: tests/functional.
"""
import pathlib
import shutil
import sys

import pytest
import salt.loader
import salt.utils.path
from minion_opts import minion_opts as make_minion_opts
from salt.exceptions import CommandExecutionError

from saltext_openstack._utils import saltext_openstack_schema as schema

REPO = pathlib.Path(__file__).resolve().parents[2]
SYNCED = "saltext_openstack_schema"


@pytest.fixture
def fresh_job():
    """A minion job's process: the synced copy not imported yet; forgotten
    again afterwards."""
    saved = sys.modules.pop(SYNCED, None)
    yield
    sys.modules.pop(SYNCED, None)
    if saved is not None:
        sys.modules[SYNCED] = saved


def _globals(loader, module):
    function = next(loader[name] for name in loader if name.startswith(module + "."))
    return getattr(function, "func", function).__globals__


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
    shutil.copy(REPO / "_utils" / f"{SYNCED}.py", extmods / "utils")
    mods, states = _loaders(opts)
    used = [_globals(loader, module)["schema"]
            for loader in (mods, states) for module in ("openstack_db", "nova_manage")]  # fmt: skip
    assert used[0].__file__ == str(extmods / "utils" / f"{SYNCED}.py")
    assert all(module is used[0] for module in used)
    assert used[0] is not schema


def test_installed_modules_and_states_use_the_package_s_copy(tmp_path, fresh_job, programs):
    opts = make_minion_opts(tmp_path / "root", "installed", tmp_path / "pillar")
    mods, states = _loaders(opts)
    for loader in (mods, states):
        for module in ("openstack_db", "nova_manage"):
            assert _globals(loader, module)["schema"] is schema


def test_it_is_no_utils_loader_module(tmp_path):
    opts = make_minion_opts(tmp_path / "root", "utils", tmp_path / "pillar")
    (pathlib.Path(opts["extension_modules"]) / "utils").mkdir(parents=True)
    shutil.copy(REPO / "_utils" / f"{SYNCED}.py", pathlib.Path(opts["extension_modules"]) / "utils")
    utils = salt.loader.utils(opts)
    assert not [name for name in utils if name.startswith(SYNCED + ".")]
    assert "imported by the extension's modules" in str(utils.missing_modules[SYNCED])


def test_not_ready_is_a_command_execution_error():
    """Everything that catches CommandExecutionError (Salt's state
    machinery, the states outside test mode) fails on it as before."""
    assert issubclass(schema.NotReadyError, CommandExecutionError)


@pytest.mark.parametrize("message, reason", [
    ("nova-manage is not installed", "nova-manage is not installed"),
    ("nova-manage api_db version failed (exit code 1): An error has occurred:\n"
     "  oslo_db.exception.CantStartEngineError: No sql_connection parameter  \n\n",
     "oslo_db.exception.CantStartEngineError: No sql_connection parameter"),
    ("", ""),
])  # fmt: skip
def test_the_reason_is_the_message_s_last_line(message, reason):
    assert schema.not_ready_reason(schema.NotReadyError(message)) == reason
