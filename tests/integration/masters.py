"""
The configuration every test master and minion shares: this repository's
state tree, a pillar directory, and the per-role secrets filter an
operator configures (README, "Deploying on real hosts"): without it the
pillar top withholds the openstack pillar.  Masters and minions load
Salt's modules with lazy_loader_strict_matching, as the README sets it.
"""
import pathlib

from minion_opts import LOADER, SECRETS_FILTER

REPO = pathlib.Path(__file__).resolve().parents[2]


def minion_overrides(minion_id):
    """salt_minion_daemon overrides for ``minion_id``."""
    return {"id": minion_id, **LOADER}


def master_overrides(pillar_dir, cachedir, **extra):
    """salt_master_daemon overrides for a master serving ``pillar_dir``."""
    return {
        **LOADER,
        "file_roots": {"base": [str(REPO / "salt")]},
        "pillar_roots": {"base": [str(pillar_dir)]},
        "ext_pillar": SECRETS_FILTER,
        "cachedir": str(cachedir),
        **extra,
    }
