"""
The test cluster's pillar (cluster/pillar over pillar/, as the cluster's
master serves them) with the drift phase's overlay (cluster/pillar/
overlay.sls serving cluster/drift-pillar.yaml), through Salt's loader and
the validator.
"""
import pathlib

from minion_opts import minion_opts
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]


def _cluster_model(tmp_path, overlay):
    opts = minion_opts(tmp_path / "root", "controller", REPO / "pillar", test=True,
                       pillar_roots={"base": [str(REPO / "cluster/pillar"),
                                              str(REPO / "pillar")]},
                       cluster_pillar_overlay=str(overlay))
    loaders = Loaders(opts)
    try:
        return loaders.modules.openstack_pillar.topology()
    finally:
        loaders.reset_state()


def test_the_drift_phases_overlay_changes_only_what_it_lists(tmp_path):
    """cluster/drift-pillar.yaml as the drift phase serves it (overlay.sls):
    its lists replace the example's, its mappings merge into it."""
    plain = _cluster_model(tmp_path / "plain", tmp_path / "absent.yaml")
    drifted = _cluster_model(tmp_path / "drift", REPO / "cluster" / "drift-pillar.yaml")
    assert plain["flavors"]["m1.small"]["ram"] == 2048
    assert drifted["flavors"]["m1.small"]["ram"] == 1024
    assert drifted["flavors"]["m1.small"]["extra_specs"] == {"hw:cpu_policy": "shared"}
    assert drifted["flavors"]["m1.nano"] == plain["flavors"]["m1.nano"]
    provider = drifted["networks"]["provider"]
    assert (provider["allocation_start"], provider["allocation_end"]) == (
        plain["networks"]["provider"]["allocation_start"], "203.0.113.189")
    assert {k: v for k, v in provider.items() if k != "allocation_end"} == {
        k: v for k, v in plain["networks"]["provider"].items() if k != "allocation_end"}
    rules = drifted["security_groups"]["default"]["rules"]
    assert rules[:2] == plain["security_groups"]["default"]["rules"]
    assert [(r["protocol"], r["port_range_min"]) for r in rules[2:]] == [("tcp", 8080)]
    same = {k for k in plain if k not in ("flavors", "networks", "security_groups")}
    assert {k: drifted[k] for k in same} == {k: plain[k] for k in same}


def test_the_test_cluster_runs_no_forked_worker_it_can_spare(tmp_path):
    """Issue 14: one process per API, glance-api without a forked worker,
    no Neutron RPC worker (neutron-rpc-server stopped)."""
    workers = _cluster_model(tmp_path, tmp_path / "absent.yaml")["workers"]
    assert workers == {"api": 1, "conductor": 1, "scheduler": 1, "metadata": 1,
                       "rpc": 0, "glance": 0}
