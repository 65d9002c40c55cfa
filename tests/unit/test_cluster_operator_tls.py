"""
The test cluster's operator CA (cluster/operator-tls.sh, run with the real
openssl): the gateway's certificate it makes is one the validator accepts
as openstack:tls:public:gateway with the CA as openstack:tls:public_ca
(what cluster/pillar/cluster.sls gives the cloud); it is kept on a second
run and made anew when it no longer chains to the CA.
"""
import pathlib
import shutil
import subprocess

import pytest

from saltext_openstack._modules import openstack_pillar

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "cluster" / "operator-tls.sh"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _run(directory):
    return subprocess.run(["bash", str(SCRIPT), str(directory)], check=True,
                          capture_output=True, text=True).stdout


def test_the_cluster_gateway_certificate_validates(tmp_path, pillar):
    out = tmp_path / "operator-tls"
    assert "made" in _run(out)
    assert (out / "gateway.key").stat().st_mode & 0o777 == 0o600
    pillar["tls"] = {"public_ca": (out / "ca.crt").read_text(), "public": {"gateway": {
        "cert": (out / "gateway.crt").read_text(), "key": (out / "gateway.key").read_text()}}}
    entry = openstack_pillar.validate(pillar)["tls"]["public"]["gateway"]
    assert entry["issuer"] == "operator"
    assert entry["ca"] == (out / "ca.crt").read_text()

    cert = (out / "gateway.crt").read_text()
    assert "kept" in _run(out)
    assert (out / "gateway.crt").read_text() == cert
    (out / "ca.crt").unlink()  # a new CA: a new certificate from it
    (out / "ca.key").unlink()
    assert "made" in _run(out)
    assert (out / "gateway.crt").read_text() != cert
