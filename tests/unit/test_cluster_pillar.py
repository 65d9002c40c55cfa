"""
The test cluster's pillar (cluster/pillar over pillar/, as the cluster's
master serves them) with the drift phase's overlay (cluster/pillar/
overlay.sls serving cluster/drift-pillar.yaml) and client.cinder's key
file (cluster/run's), through Salt's loader and the validator.
"""
import pathlib
import re

import yaml
from minion_opts import cluster_minion_opts
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]
CEPH_PORTS = [3300, 6789, "6800-7568"]


def _loaders(tmp_path, overlay=None, ceph_key=True):
    return Loaders(cluster_minion_opts(tmp_path, "controller", overlay=overlay,
                                       ceph_key=ceph_key, test=True))


def _cluster_model(tmp_path, overlay=None, ceph_key=True):
    loaders = _loaders(tmp_path, overlay, ceph_key)
    try:
        return loaders.modules.openstack_pillar.topology()
    finally:
        loaders.reset_state()


def test_the_drift_phases_overlay_changes_only_what_it_lists(tmp_path):
    """cluster/drift-pillar.yaml as the drift phase serves it (overlay.sls):
    its lists replace the example's, its mappings merge into it."""
    plain = _cluster_model(tmp_path / "plain")
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
    workers = _cluster_model(tmp_path)["workers"]
    assert workers == {"api": 1, "conductor": 1, "scheduler": 1, "metadata": 1,
                       "rpc": 0, "glance": 0}


def _run_setting(name):
    """A ``name=value`` line of cluster/run."""
    text = (REPO / "cluster" / "run").read_text()
    return re.search(rf"^{name}=(\S+)$", text, re.M).group(1)


def test_the_rbd_backend_uses_the_ceph_cluster_run_makes(tmp_path):
    """Issue 15: volumes on the test-only Ceph (cluster/ceph.sh), the
    default type; its fsid and monitor are those cluster/run gives
    ceph.sh, the monitor the controller's management address."""
    model = _cluster_model(tmp_path)
    cinder = model["cinder"]
    assert [(b["name"], b["type"]) for b in cinder["backends"]] == [("lvm", "lvm"), ("ceph", "rbd")]
    assert cinder["default_volume_type"] == "ceph" and cinder["rbd"] is True
    assert cinder["backends"][1]["pool"] == "volumes" and cinder["backends"][1]["user"] == "cinder"
    assert model["ceph"]["fsid"] == _run_setting("ceph_fsid")
    assert model["ceph"]["monitors"] == [_run_setting("ceph_mon_addr")]
    assert model["ceph"]["monitors"] == [model["hosts"]["controller"]["address"]]


def test_without_the_key_file_the_cluster_has_lvm_alone(tmp_path):
    """No key file (cluster/run's image phase not run: a plain `vagrant
    up`): no test Ceph, so no rbd backend, no openstack:ceph, no Ceph port
    opened and no key; the lvm backend is the default, as before issue 15."""
    model = _cluster_model(tmp_path, ceph_key=False)
    cinder = model["cinder"]
    assert [(b["name"], b["type"]) for b in cinder["backends"]] == [("lvm", "lvm")]
    assert cinder["rbd"] is False and cinder["default_volume_type"] == "lvm"
    loaders = _loaders(tmp_path / "raw", ceph_key=False)
    try:
        raw = loaders.modules.pillar.get("openstack", unmask=True)
    finally:
        loaders.reset_state()
    assert "ceph" not in raw and "lookup" not in raw
    assert "ceph_cinder_key" not in raw.get("passwords", {})


def test_the_vagrantfile_makes_the_same_ceph(tmp_path):
    """A plain `vagrant up` runs cluster/ceph.sh from the Vagrantfile: the
    same fsid as cluster/run's and the pillar's, the same key file."""
    text = (REPO / "Vagrantfile").read_text()
    assert re.search(r"^CEPH_FSID = '([0-9a-f-]+)'$", text, re.M).group(1) == _run_setting("ceph_fsid")
    assert re.search(r"^CEPH_KEY = '\.cluster/([^']+)'$", text, re.M).group(1) == \
        pathlib.PurePath(_run_setting("ceph_key")).name


def test_the_controller_firewall_keeps_its_defaults_and_opens_ceph(tmp_path):
    """A lookup list replaces the formula's default list: the cluster's
    copy must be salt/firewall/defaults.yaml's, plus the test Ceph's
    ports (monitor 3300 and 6789, OSD and manager 6800-7568).  Fails when
    the defaults change without the copy."""
    defaults = yaml.safe_load((REPO / "salt" / "firewall" / "defaults.yaml").read_text())
    want = defaults["firewall"]["ports"]["controller"]["management"]["tcp"] + CEPH_PORTS
    loaders = _loaders(tmp_path)
    try:
        lookup = loaders.modules.pillar.get("openstack:lookup:firewall", unmask=True)
    finally:
        loaders.reset_state()
    assert lookup == {"ports": {"controller": {"management": {"tcp": want}}}}
