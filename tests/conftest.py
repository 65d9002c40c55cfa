"""
Shared fixtures.

Tiers, chosen by directory (and usable with ``-m``):

* ``tests/unit``        -- pure logic, no external program;
* ``tests/render``      -- the state tree and orchestration rendered through
  Salt's own loader (no master, no minion): requisites, rules, rendered
  values; slower than unit, no root needed either;
* ``tests/functional``  -- the custom modules against the real programs they
  wrap (glusterd, Keystone, nova-manage with MariaDB, real INI files), run
  through Salt's own loader in-process;
* ``tests/integration`` -- a real salt-master with real minions
  (pytest-salt-factories) serving the state tree and pillar of this repo.
"""
import copy
import hashlib
import pathlib
import sys

import pytest
import salt.utils.timed_subprocess
import yaml
from minion_opts import minion_opts as make_minion_opts
from saltfactories.utils.functional import Loaders

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE_PILLAR = REPO_ROOT / "pillar" / "openstack.sls"


def pytest_sessionstart(session):
    """
    Importing Salt installs a "deferred" stderr handler that keeps every
    log record in memory until Salt's logging is configured -- which tests
    never do -- and writes them all to the stderr pytest has already closed
    at exit ("Logging error ... I/O operation on closed file"). pytest
    captures and reports logs itself: hand the records over and drop it.
    """
    import salt._logging.impl  # pylint: disable=import-outside-toplevel

    salt._logging.impl.shutdown_temp_handler()


def pytest_collection_modifyitems(items):
    for item in items:
        parts = pathlib.Path(str(item.fspath)).relative_to(REPO_ROOT).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in (
            "unit",
            "render",
            "functional",
            "integration",
        ):
            item.add_marker(getattr(pytest.mark, parts[1]))


@pytest.fixture(scope="session")
def salt_factories_default_root_dir():
    """
    salt-factories' root, one per virtualenv.  It writes its daemons' start
    scripts once, under ``<root>/scripts``, never rewrites them, and they put
    the generating virtualenv's site-packages first on ``sys.path``.  The
    default root, /tmp, is shared by every checkout on a machine: the
    integration tier here ran the Salt of an older checkout's virtualenv
    (3007.16 under the 3008.4 pin) until this.  Short, for unix sockets.
    """
    digest = hashlib.sha1(sys.prefix.encode()).hexdigest()[:10]
    root = pathlib.Path("/tmp") / f"saltfactories-{digest}"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def minion_opts(tmp_path_factory):
    """Options of a masterless minion that loads this project's modules."""
    root = tmp_path_factory.mktemp("salt-minion")
    return make_minion_opts(root, "functional-minion", root / "pillar")


@pytest.fixture(scope="session")
def loaders(minion_opts):
    """Salt's real loaders (``__salt__``, states, utils) for the minion."""
    return Loaders(minion_opts)


@pytest.fixture(autouse=True)
def _reset_loaders_state(request):
    yield
    if "loaders" in request.fixturenames:
        request.getfixturevalue("loaders").reset_state()


@pytest.fixture
def run_state(loaders):
    """
    Run one state through Salt's state machinery (``state.single``), exactly
    as ``salt-call state.single`` would, and return the single state's
    result as a plain dict (name, result, changes, comment).

        ret = run_state("openstack_config.present", name=path, settings=..., test=True)
    """

    def _run(fun, **kwargs):
        ret = loaders.modules.state.single(fun, **kwargs)
        raw = ret.raw if hasattr(ret, "raw") else ret
        assert isinstance(raw, dict), raw
        assert len(raw) == 1, raw
        return next(iter(raw.values()))

    return _run


@pytest.fixture
def argv_spy(monkeypatch):
    """Record the argv of every program Salt's cmd module runs."""
    calls = []
    original = salt.utils.timed_subprocess.TimedProc.__init__

    def init(self, args, **kwargs):
        calls.append(list(args) if isinstance(args, (list, tuple)) else [args])
        original(self, args, **kwargs)

    monkeypatch.setattr(salt.utils.timed_subprocess.TimedProc, "__init__", init)
    return calls


@pytest.fixture(scope="module")
def example():
    """The example pillar's ``openstack`` value (pillar/openstack.sls)."""
    with EXAMPLE_PILLAR.open() as handle:
        return yaml.safe_load(handle)["openstack"]


@pytest.fixture
def pillar(example):
    """A fresh, mutable copy of the example pillar's ``openstack`` value."""
    return copy.deepcopy(example)
