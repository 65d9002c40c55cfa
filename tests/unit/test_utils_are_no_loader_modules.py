"""
Every file of _utils/ is imported by the extension's modules directly
(README, "Shared code"): synced into extmods/utils, Salt's utils loader
finds it too, and each one refuses to be a __utils__ module, saying why.
Each module imports all of its _utils/ files in one try/except.
"""
import ast
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


def _utils_imports(node):
    """The _utils/ files a try's body (synced) or except (package) imports."""
    names = []
    for stmt in node:
        if isinstance(stmt, ast.Import):
            names += [(a.name, a.asname) for a in stmt.names if a.name.startswith("saltext_openstack_")]
        elif isinstance(stmt, ast.ImportFrom) and stmt.module == "saltext_openstack._utils":
            names += [(a.name, a.asname) for a in stmt.names]
    return names


MODULES = sorted(str(p.relative_to(REPO)) for kind in ("_modules", "_states", "_pillar", "_utils")
                 for p in (REPO / kind).glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("path", MODULES)
def test_its_utils_imports_are_one_try(path):
    """One try/except for all of a module's _utils/ files (the rule in
    saltext_openstack_api's docstring): a partial sync takes them all from
    the package, never a mix. The except imports the same files under the
    same names, and no _utils/ file is imported outside that try."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    tries = [node for node in tree.body if isinstance(node, ast.Try) and _utils_imports(node.body)]
    assert len(tries) <= 1, "{}: {} try/except pairs import _utils/ files".format(path, len(tries))
    for node in tries:
        synced = _utils_imports(node.body)
        packaged = [stmt for handler in node.handlers for stmt in handler.body]
        nested = [stmt for stmt in packaged if isinstance(stmt, ast.Try)]
        packaged += [inner for stmt in nested for inner in stmt.body]
        assert sorted(synced) == sorted(_utils_imports(packaged)), path
    outside = [node for node in tree.body if not isinstance(node, ast.Try)]
    assert not _utils_imports(outside), path
