"""
The configuration every test master shares: this repository's state tree,
a pillar directory, and the per-role secrets filter an operator configures
(README, "Deploying on real hosts"): without it the pillar top withholds
the openstack pillar.
"""
import pathlib

from minion_opts import SECRETS_FILTER

REPO = pathlib.Path(__file__).resolve().parents[2]


def master_overrides(pillar_dir, cachedir, **extra):
    """salt_master_daemon overrides for a master serving ``pillar_dir``."""
    return {
        "file_roots": {"base": [str(REPO / "salt")]},
        "pillar_roots": {"base": [str(pillar_dir)]},
        "ext_pillar": SECRETS_FILTER,
        "cachedir": str(cachedir),
        **extra,
    }
