"""
docs/formulas.md lists every state file of the state tree: each .sls under
salt/ (outside the `_`-prefixed code directories) has a table row whose
first column is its backticked sls name, and every sls name in that column
has a file.
"""
import pathlib
import re

import pytest

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[2]
STATE_TREE = REPO / "salt"
DOC = REPO / "docs" / "formulas.md"
# What Salt accepts as an sls name here: dotted parts of letters, digits,
# "_" and "-" (reactor.compute-enrol).
SLS_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def sls_name(relative):
    """The sls name Salt gives a file of the state tree: a/b/init.sls -> a.b,
    a/b.sls -> a.b, top.sls -> top."""
    parts = list(pathlib.PurePosixPath(relative).with_suffix("").parts)
    if len(parts) > 1 and parts[-1] == "init":
        parts.pop()
    return ".".join(parts)


def _state_files():
    """sls name -> path, for every .sls outside salt/_modules, _states, ..."""
    found = {}
    for path in sorted(STATE_TREE.rglob("*.sls")):
        relative = path.relative_to(STATE_TREE)
        if relative.parts[0].startswith("_"):
            continue
        found[sls_name(relative.as_posix())] = relative.as_posix()
    return found


def _documented():
    """The backticked sls names in the first column of the doc's table rows."""
    names = []
    for line in DOC.read_text().splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        first = line.strip("|").split("|")[0]
        names.extend(n for n in re.findall(r"`([^`]+)`", first) if SLS_NAME.fullmatch(n))
    return names


@pytest.mark.parametrize(
    ("relative", "name"),
    [
        ("top.sls", "top"),
        ("glance/init.sls", "glance"),
        ("glance/config.sls", "glance.config"),
        ("nova/compute/install.sls", "nova.compute.install"),
        ("neutron/ovn_metadata/init.sls", "neutron.ovn_metadata"),
        ("reactor/compute-enrol.sls", "reactor.compute-enrol"),
    ],
)
def test_sls_name(relative, name):
    assert sls_name(relative) == name


def test_state_tree_found():
    files = _state_files()
    # The walk sees nested formulas and leaves the code directories out.
    assert {"top", "nova.compute.install", "neutron.ovn_metadata"} <= set(files)
    assert not [name for name in files if name.startswith("_")]


def test_every_sls_documented():
    documented = set(_documented())
    missing = sorted(f"{name} (salt/{path})" for name, path in _state_files().items()
                     if name not in documented)
    assert not missing, "docs/formulas.md has no table row for: " + ", ".join(missing)


def test_every_documented_sls_exists():
    files = _state_files()
    extra = sorted({name for name in _documented() if name not in files})
    assert not extra, "docs/formulas.md lists sls with no file under salt/: " + ", ".join(extra)
