"""
Every file of _utils/ is imported by the extension's modules directly
(README, "Shared code"): synced into extmods/utils, Salt's utils loader
finds it too, and each one refuses to be a __utils__ module, saying why.
"""
import pathlib
import shutil

import pytest
import salt.loader
from minion_opts import minion_opts as make_minion_opts

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = sorted(p.stem for p in (REPO / "_utils").glob("*.py") if p.stem != "__init__")


def test_there_are_shared_files():
    assert "saltext_openstack_api" in SHARED and "saltext_openstack_state" in SHARED


@pytest.mark.parametrize("name", SHARED)
def test_it_is_no_utils_loader_module(tmp_path, name):
    opts = make_minion_opts(tmp_path / "root", "utils", tmp_path / "pillar")
    utils_dir = pathlib.Path(opts["extension_modules"]) / "utils"
    utils_dir.mkdir(parents=True)
    shutil.copy(REPO / "_utils" / f"{name}.py", utils_dir)
    utils = salt.loader.utils(opts)
    assert not [fun for fun in utils if fun.startswith(name + ".")]
    assert f"{name} is imported by " in str(utils.missing_modules[name])
