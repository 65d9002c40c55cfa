"""
Operator-provided public certificates through the real master: with
openstack:tls:public giving the controller and the gateway an operator's
pair (signed by an operator CA made here), each host's pillar holds the
certificates but only its own key (a compute none), the master's own
pillar validates whole, and each role's highstate places its own pair on
its public endpoints and trusts the operator's CA.
"""
import pathlib
import shutil
import sys

import pytest
import yaml
from masters import master_overrides, minion_overrides
from minion_opts import state_args
from operator_pki import Issuer
from saltfactories.utils import random_string
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
MINIONS = ("controller", "gateway", "compute1")
sys.path.insert(0, str(REPO / "cluster"))  # verify.py's siblings
verify = load("cluster/verify.py", "verify_for_operator_tls")


@pytest.fixture(scope="module")
def pki():
    root = Issuer("Operator Root CA")
    pairs = {}
    for host, address in (("controller", "192.168.56.10"), ("gateway", "192.168.56.11")):
        cert, key = root.issue([host], [address])
        pairs[host] = {"cert": cert, "key": key}
    return {"ca": root.pem, "pairs": pairs}


@pytest.fixture(scope="module")
def operator_cluster(salt_factories, tmp_path_factory, pki):
    pillar_dir = tmp_path_factory.mktemp("operator-pillar")
    shutil.copy(REPO / "pillar" / "top.sls", pillar_dir / "top.sls")
    data = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
    data["openstack"]["tls"] = {"days": 365, "public_ca": pki["ca"], "public": pki["pairs"]}
    (pillar_dir / "openstack.sls").write_text(yaml.safe_dump(data, sort_keys=False))
    root = tmp_path_factory.mktemp("operator-master")
    master = salt_factories.salt_master_daemon(
        random_string("master-"), overrides=master_overrides(pillar_dir, root / "cache"))
    minions = [master.salt_minion_daemon(m, overrides=minion_overrides(m)) for m in MINIONS]
    with master.started():
        for minion in minions:
            minion.start()
        try:
            yield {"master": master, "salt_cli": master.salt_cli(timeout=180),
                   "salt_run_cli": master.salt_run_cli(timeout=300)}
        finally:
            for minion in minions:
                minion.terminate()


@pytest.mark.parametrize("minion_id", MINIONS)
def test_each_host_receives_only_its_own_operator_key(operator_cluster, pki, minion_id):
    ret = operator_cluster["salt_cli"].run("pillar.get", "openstack:tls:public", "unmask=True",
                                           minion_tgt=minion_id)
    assert ret.returncode == 0, ret
    public = ret.data
    assert {host: entry["cert"] for host, entry in public.items()} == {
        host: pair["cert"] for host, pair in pki["pairs"].items()}
    keys = {host: entry["key"] for host, entry in public.items() if "key" in entry}
    own = {minion_id: pki["pairs"][minion_id]["key"]} if minion_id in pki["pairs"] else {}
    assert keys == own
    # Nowhere else in its pillar either.
    ret = operator_cluster["salt_cli"].run("pillar.items", "unmask=True", minion_tgt=minion_id)
    text = yaml.safe_dump(ret.data)
    for host, pair in pki["pairs"].items():
        assert (pair["key"].splitlines()[2] in text) == (host == minion_id), host


def test_the_masters_pillar_keeps_every_key_and_validates(operator_cluster, pki):
    master_id = operator_cluster["master"].config["id"]
    ret = operator_cluster["salt_run_cli"].run("pillar.show_pillar", master_id)
    assert ret.returncode == 0, ret
    public = ret.data["openstack"]["tls"]["public"]
    assert {host: entry.get("key") for host, entry in public.items()} == {
        host: pair["key"] for host, pair in pki["pairs"].items()}


def test_verify_scans_for_the_operators_keys(operator_cluster, pki):
    """verify's leak scan looks for each operator key too, read from the
    master's own pillar outside any job."""
    master = operator_cluster["master"]
    found = verify.master_secrets(sys.executable, master.config_file)
    for host, pair in pki["pairs"].items():
        assert found[f"operator TLS key of {host}"] == verify.pem_key_line(pair["key"])
        assert found[f"operator TLS key of {host}"] in pair["key"]


@pytest.mark.parametrize("minion_id, directory", [("controller", "/etc/keystone"),
                                                  ("controller", "/etc/haproxy"),
                                                  ("gateway", "/etc/apache2"),
                                                  ("gateway", "/etc/nova")])
def test_each_public_endpoint_gets_its_hosts_operator_pair(operator_cluster, pki, minion_id,
                                                           directory):
    ret = operator_cluster["salt_cli"].run("state.show_highstate", minion_tgt=minion_id)
    assert isinstance(ret.data, dict), ret
    files = {state_args(ret.data, state_id, "file").get("name"): state_args(ret.data, state_id,
                                                                             "file")
             for state_id, body in ret.data.items() if "file" in body}
    assert files[f"{directory}/public-tls.crt"]["contents"] == pki["pairs"][minion_id]["cert"]
    key = files[f"{directory}/public-tls.key"]
    assert key["contents"] == pki["pairs"][minion_id]["key"]
    assert key["show_changes"] is False and key["mode"] == "0640"
    ca = files["/usr/local/share/ca-certificates/openstack-public-ca-1.crt"]
    assert ca["contents"] == pki["ca"]


def test_a_compute_trusts_the_operators_ca_and_serves_nothing_public(operator_cluster, pki):
    ret = operator_cluster["salt_cli"].run("state.show_highstate", minion_tgt="compute1")
    assert isinstance(ret.data, dict), ret
    assert state_args(ret.data, "common-public-ca-1", "file")["contents"] == pki["ca"]
    assert not [state_id for state_id in ret.data if "public-tls" in state_id]
