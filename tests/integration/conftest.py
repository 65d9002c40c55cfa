"""
A real salt-master serving this repository's state tree and pillar, with the
example pillar's four minions (controller, gateway, compute1, compute2) on
loopback.  One cluster per OS family: Debian 13, the deployed target, and
Rocky 9 (each with its release grains overridden in the minion config, so
the rendering is the same on a Debian 12 or a Debian 13 test host).
"""
import pathlib
import shutil

import pytest
from masters import master_overrides, minion_overrides
from saltfactories.utils import random_string

REPO = pathlib.Path(__file__).resolve().parents[2]
MINION_IDS = ("controller", "gateway", "compute1", "compute2")

DEBIAN13_GRAINS = {
    "os": "Debian",
    "os_family": "Debian",
    "osfullname": "Debian GNU/Linux",
    "osmajorrelease": 13,
    "osrelease": "13",
    "oscodename": "trixie",
}

ROCKY9_GRAINS = {
    "os": "Rocky",
    "os_family": "RedHat",
    "osfullname": "Rocky Linux",
    "osmajorrelease": 9,
    "osrelease": "9.4",
    "oscodename": "Blue Onyx",
}


def _minion_environ(state_root):
    """The minions' environment: apt without its binary caches.

    The four minions run on this one host, and in test mode each one's pkg
    states ask apt (``pkg.latest_version``: ``apt-get update``, then
    ``apt-cache policy``) at the same moment.  Salt waits out the lists
    lock, but two apt processes rebuilding /var/cache/apt/pkgcache.bin at
    once race: "E: Problem renaming the file /var/cache/apt/pkgcache.bin.XXX
    to /var/cache/apt/pkgcache.bin - rename (2: No such file or directory)"
    fails a state.  Seen on a Debian 13 host; hosts whose apt has the caches
    off already (Debian's container images: docker-clean) never race.  On
    real machines each minion has its own apt.
    """
    conf = state_root / "apt-no-binary-caches.conf"
    conf.write_text('Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n')
    return {"APT_CONFIG": str(conf)}


def _cluster(salt_factories, tmp_path_factory, pillar_dir, grains=None):
    state_root = tmp_path_factory.mktemp("state-root")
    apt_environ = _minion_environ(state_root)
    master = salt_factories.salt_master_daemon(
        random_string("master-"),
        overrides=master_overrides(pillar_dir, state_root / "cache", log_level_logfile="info"),
    )
    minions = {}
    for minion_id in MINION_IDS:
        overrides = minion_overrides(minion_id)
        if grains:
            overrides["grains"] = dict(grains)
        minion = master.salt_minion_daemon(minion_id, overrides=overrides)
        # a copy: the factories share one environ dict among all daemons
        minion.environ = {**minion.environ, **apt_environ}
        minions[minion_id] = minion
    return master, minions


@pytest.fixture(scope="session")
def example_pillar_dir(tmp_path_factory):
    """A copy of pillar/ that tests may not change: the shipped example."""
    target = tmp_path_factory.mktemp("pillar") / "pillar"
    shutil.copytree(REPO / "pillar", target)
    return target


@pytest.fixture(scope="package", params=["debian13", "rocky9"])
def cluster(request, salt_factories, tmp_path_factory, example_pillar_dir):
    grains = ROCKY9_GRAINS if request.param == "rocky9" else DEBIAN13_GRAINS
    master, minions = _cluster(salt_factories, tmp_path_factory, example_pillar_dir, grains)
    with master.started():
        started = []
        try:
            for minion in minions.values():
                minion.start()
                started.append(minion)
            yield {
                "name": request.param,
                "master": master,
                "minions": minions,
                "salt_cli": master.salt_cli(timeout=180),
                # A hang, not a speed limit: the whole orchestration's dry
                # run takes about 2 minutes on a quiet 2-core host, and
                # went past 10 beside a cluster's cold orchestration in CI.
                "salt_run_cli": master.salt_run_cli(timeout=1800),
            }
        finally:
            for minion in started:
                minion.terminate()
