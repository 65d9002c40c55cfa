"""
Secrets per role through the real master (issue 11, item 5): with the
openstack_secrets ext_pillar configured as the README says, each minion's
pillar holds only the secrets its roles use, the master's own pillar (the
orchestration's) holds them all and is validated whole, every role's
highstate renders exactly as it would with every secret, and without the
filter the pillar top withholds the openstack pillar altogether.
"""
import contextlib
import json
import pathlib
import sys

import pytest
import yaml
from cryptography import x509
from masters import master_overrides
from saltfactories.utils import random_string
from source_module import load

from saltext_openstack._modules import openstack_pillar

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())["openstack"]
ALL = set(EXAMPLE["passwords"])
sys.path.insert(0, str(REPO / "cluster"))  # verify.py's siblings
verify = load("cluster/verify.py", "verify_for_secrets")


@pytest.fixture
def debian(cluster):
    if cluster["name"] != "debian13":
        pytest.skip("the pillar does not depend on the OS family")
    return cluster


def _allowed(minion_id):
    return set(openstack_pillar.allowed_secrets(EXAMPLE["hosts"][minion_id]["roles"])) & ALL


@pytest.mark.parametrize("minion_id", ["controller", "gateway", "compute1", "compute2"])
def test_each_minion_holds_only_its_roles_secrets(debian, minion_id):
    ret = debian["salt_cli"].run("pillar.items", minion_tgt=minion_id)
    assert ret.returncode == 0, ret
    held = set(ret.data["openstack"]["passwords"])
    assert held == _allowed(minion_id), f"{minion_id}: {sorted(held)}"
    if minion_id.startswith("compute") or minion_id == "gateway":
        assert not held & {"admin", "demo", "keystone_db", "neutron_db", "cinder_db"}
    if minion_id == "controller":
        assert held == ALL - {"horizon_secret_key"}
    # Everything else of the pillar is there (Salt 3008 masks the values).
    assert set(ret.data["openstack"]) == set(EXAMPLE)
    assert set(ret.data["openstack"]["hosts"]) == set(EXAMPLE["hosts"])


def test_the_masters_own_pillar_keeps_every_secret(debian):
    master_id = debian["master"].config["id"]
    ret = debian["salt_run_cli"].run("pillar.show_pillar", master_id)
    assert ret.returncode == 0, ret
    assert set(ret.data["openstack"]["passwords"]) == ALL


def test_verify_scans_for_every_secret_of_the_masters_pillar(debian):
    """verify's leak scan looks for the master's secrets, all of them (the
    controller's own pillar lacks the gateway's Horizon key), compiled by
    the master's Salt outside any job."""
    master = debian["master"]
    found = verify.master_secrets(sys.executable, master.config_file)
    assert set(found) == ALL
    assert found["horizon_secret_key"] == EXAMPLE["passwords"]["horizon_secret_key"]


@contextlib.contextmanager
def _minion_key_named_as_the_master(master):
    """A minion key accepted under the master's own id (what salt-key -a
    does for a minion configured with that id)."""
    key = pathlib.Path(master.config["pki_dir"]) / "minions" / master.config["id"]
    key.write_text((pathlib.Path(master.config["pki_dir"]) / "master.pub").read_text())
    try:
        yield key
    finally:
        key.unlink()


def test_a_minion_with_the_masters_id_gets_no_secret(debian):
    """Salt compiles such a minion's pillar under the master's id, the one
    that keeps every secret: while the key is accepted nothing under that
    id gets a secret, the orchestration included, and the error names the
    key; deleting the key gives the master its pillar back."""
    master = debian["master"]
    with _minion_key_named_as_the_master(master) as key:
        ret = debian["salt_run_cli"].run("pillar.show_pillar", master.config["id"])
        assert "passwords" not in ret.data.get("openstack", {}), ret
        assert str(key) in json.dumps(ret.data.get("_errors")), ret
        with pytest.raises(verify.CheckFailed, match="did not compile \\(1 pillar errors"):
            verify.master_secrets(sys.executable, master.config_file)
    assert set(verify.master_secrets(sys.executable, master.config_file)) == ALL


@pytest.mark.parametrize("minion_id", ["controller", "gateway", "compute1"])
def test_each_host_gets_its_own_certificate_from_the_masters_ca(debian, minion_id):
    """The filter hands each host its own key and a certificate naming it,
    signed by the CA the master keeps in its pki_dir: the same on every
    pillar refresh (states placing it change nothing)."""
    master = debian["master"]
    ca_dir = pathlib.Path(master.config["pki_dir"]) / "openstack_ca"
    got = []
    for _ in range(2):
        ret = debian["salt_cli"].run("pillar.get", "openstack_tls", "unmask=True",
                                     minion_tgt=minion_id)
        assert ret.returncode == 0, ret
        got.append(ret.data)
    assert got[0] == got[1]
    tls = got[0]
    assert tls["ca_cert"] == (ca_dir / "ca.crt").read_text()
    assert tls["key"] == (ca_dir / "issued" / f"{minion_id}.key").read_text()
    cert = x509.load_pem_x509_certificate(tls["cert"].encode())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(tls["ca_cert"].encode()))
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert minion_id in alt.get_values_for_type(x509.DNSName)
    address = EXAMPLE["hosts"][minion_id]["address"]
    assert address in [str(a) for a in alt.get_values_for_type(x509.IPAddress)]


def test_the_master_keeps_the_cas_key_and_its_pillar_no_hosts_key(debian):
    master = debian["master"]
    ret = debian["salt_run_cli"].run("pillar.show_pillar", master.config["id"])
    assert ret.returncode == 0, ret
    assert set(ret.data["openstack_tls"]) == {"ca_cert"}
    ca_key = pathlib.Path(master.config["pki_dir"]) / "openstack_ca" / "ca.key"
    assert ca_key.stat().st_mode & 0o777 == 0o600


def test_pillar_a_minion_sends_does_not_widen_what_it_gets(debian):
    """A compute's root can send pillar data with its request (salt-call
    ... pillar=...), merged in before the ext_pillars run: naming itself
    controller and gateway still gets it only a compute's secrets, and its
    certificate only its own names."""
    override = json.dumps({"openstack": {
        "hosts": {"compute1": {"roles": ["controller", "gateway", "compute"]}},
        "dashboard": {"hosts": ["controller.cloud.test", "192.168.56.10"]}}})
    cli = debian["minions"]["compute1"].salt_call_cli(timeout=180)
    ret = cli.run("pillar.items", f"pillar={override}")
    assert ret.returncode == 0, ret
    assert set(ret.data["openstack"]["passwords"]) == _allowed("compute1")
    ret = cli.run("pillar.items", "unmask=True", f"pillar={override}")
    assert ret.returncode == 0, ret
    cert = x509.load_pem_x509_certificate(ret.data["openstack_tls"]["cert"].encode())
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "controller.cloud.test" not in alt.get_values_for_type(x509.DNSName)
    assert "192.168.56.10" not in [str(a) for a in alt.get_values_for_type(x509.IPAddress)]


def test_a_minion_outside_the_host_map_gets_no_secret(debian):
    ret = debian["salt_run_cli"].run("pillar.show_pillar", "stranger")
    assert ret.returncode == 0, ret
    assert ret.data["openstack"]["passwords"] == {}
    assert "openstack_tls" not in ret.data


def test_a_compute_validates_without_the_admin_password(debian):
    ret = debian["salt_cli"].run("openstack_pillar.validate", minion_tgt="compute1")
    assert ret.returncode == 0, ret
    assert ret.data["computes"] == ["compute1", "compute2"]


def test_the_orchestration_validates_every_secret(debian):
    """The master renders the orchestration with all secrets and checks them
    all: an empty admin password (which no compute sees) is refused."""
    override = json.dumps({"openstack": {"passwords": {"admin": ""}}})
    ret = debian["salt_run_cli"].run("state.orchestrate", "openstack", "test=True",
                                      f"pillar={override}")
    assert ret.returncode != 0, ret
    text = json.dumps(ret.data)
    assert "Invalid pillar" in text and "openstack:passwords:admin: missing or empty" in text, text


@pytest.mark.parametrize("minion_id", ["controller", "gateway", "compute1"])
def test_a_role_renders_the_same_as_with_every_secret(debian, minion_id):
    """Nothing a role's formulas read is withheld: its highstate with the
    narrowed pillar equals the one with every password given back."""
    narrowed = debian["salt_cli"].run("state.show_highstate", minion_tgt=minion_id)
    full = debian["salt_cli"].run(
        "state.show_highstate",
        f"pillar={json.dumps({'openstack': {'passwords': EXAMPLE['passwords']}})}",
        minion_tgt=minion_id)
    assert isinstance(narrowed.data, dict), narrowed
    assert isinstance(full.data, dict), full
    assert narrowed.data == full.data


def test_without_the_filter_no_minion_gets_the_pillar(salt_factories, tmp_path, example_pillar_dir):
    overrides = master_overrides(example_pillar_dir, tmp_path / "cache")
    del overrides["ext_pillar"]
    master = salt_factories.salt_master_daemon(random_string("master-"), overrides=overrides)
    with master.started():
        ret = master.salt_run_cli(timeout=120).run("pillar.show_pillar", "compute1")
    assert ret.returncode == 0, ret
    assert "openstack" not in ret.data, sorted(ret.data)
    assert "openstack_secrets ext_pillar" in json.dumps(ret.data.get("_errors")), ret.data
