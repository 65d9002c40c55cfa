"""
Operator-provided public certificates as the formulas render them: the
controller's APIs, the gateway's dashboard and console proxy serve the
operator's pair where the pillar gives one (openstack:tls:public:<host>),
every host trusts the operator's CAs next to the cloud's, and the admin
openrc's OS_CACERT validates both.  Rendered by Salt's own loader with the
example pillar plus real certificates (tests/operator_pki.py); no daemon.
"""
import copy
import pathlib

import pytest
import yaml
from cryptography import x509
from minion_opts import pillar_loaders, render_states, state_args
from operator_pki import Issuer

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CLOUD_CA = "/usr/local/share/ca-certificates/openstack-cloud-ca.crt"
PUBLIC_CA = "/usr/local/share/ca-certificates/openstack-public-ca-{}.crt"
# Where each role serves a public endpoint: the pair's directory and the
# group that reads the key.
CONTROLLER_PAIRS = {"/etc/keystone": "keystone", "/etc/nova": "nova",
                    "/etc/placement": "placement", "/etc/neutron": "neutron",
                    "/etc/cinder": "cinder", "/etc/haproxy": "haproxy"}
GATEWAY_PAIRS = {"/etc/apache2": "root", "/etc/nova": "nova"}


@pytest.fixture(scope="module")
def pki():
    root = Issuer("Operator Root CA")
    issuing = Issuer("Operator Issuing CA", parent=root)
    other = Issuer("Gateway CA")
    cert, key = issuing.issue(["controller", "controller.cloud.test"], ["192.168.56.10"])
    gw_cert, gw_key = other.issue(["gateway"], ["192.168.56.11"])
    return {"root": root, "other": other,
            "controller": {"cert": cert + issuing.pem, "key": key},
            "gateway": {"cert": gw_cert, "key": gw_key, "ca": other.pem}}


def _pillar(pki, hosts=("controller", "gateway")):
    data = copy.deepcopy(EXAMPLE)
    data["openstack"]["tls"] = {"days": 365, "public_ca": pki["root"].pem,
                                "public": {host: dict(pki[host]) for host in hosts}}
    return data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, pki):
    return {host: render_states(pillar_loaders(tmp_path_factory, host, _pillar(pki),
                                               tag=f"operator-{host}"), highstate=True)
            for host in ("controller", "gateway", "compute1")}


def _managed(states):
    return {args["name"]: args for args in (state_args(states, state_id, "file")
                                            for state_id, body in states.items()
                                            if "file" in body) if "name" in args}


@pytest.mark.parametrize("host, pairs", [("controller", CONTROLLER_PAIRS),
                                         ("gateway", GATEWAY_PAIRS)])
def test_public_endpoints_serve_the_operators_pair(rendered, pki, host, pairs):
    files = _managed(rendered[host])
    for directory, group in pairs.items():
        cert, key = files[f"{directory}/public-tls.crt"], files[f"{directory}/public-tls.key"]
        assert cert["contents"] == pki[host]["cert"], directory
        assert key["contents"] == pki[host]["key"], directory
        assert (key["user"], key["group"], key["mode"]) == ("root", group, "0640"), directory
        assert key["show_changes"] is False and cert["show_changes"] is False


def test_no_key_is_ever_shown_in_a_diff(rendered):
    for host, states in rendered.items():
        for name, args in _managed(states).items():
            if "PRIVATE KEY" in str(args.get("contents", "")):
                assert args.get("show_changes") is False, f"{host}: {name}"


def test_a_host_without_an_entry_keeps_the_master_cas_pair(tmp_path_factory, pki):
    states = render_states(pillar_loaders(tmp_path_factory, "controller",
                                          _pillar(pki, hosts=("gateway",)), tag="gw-only"),
                           highstate=True)
    files = _managed(states)
    cert = x509.load_pem_x509_certificate(files["/etc/keystone/public-tls.crt"]["contents"].encode())
    # The master CA's certificate (masterless: the minion's own CA), the
    # one common.ca trusts.
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(
        files[CLOUD_CA]["contents"].encode()))
    openrc = state_args(states, "keystone-admin-openrc", "file")["context"]
    assert openrc["cacert"] == BUNDLE  # the gateway's is the operator's


@pytest.mark.parametrize("host", ["controller", "gateway", "compute1"])
def test_every_host_trusts_the_operators_cas(rendered, pki, host):
    states = rendered[host]
    files = _managed(states)
    assert files[PUBLIC_CA.format(1)]["contents"] == pki["root"].pem
    assert files[PUBLIC_CA.format(2)]["contents"] == pki["other"].pem
    trust = state_args(states, "common-ca-trust", "cmd")
    assert trust["unless"] == " && ".join(
        [f"openssl verify -CAfile {BUNDLE} {CLOUD_CA}"]
        + [f"openssl verify -partial_chain -CAfile {BUNDLE} {PUBLIC_CA.format(n)}"
           for n in (1, 2)])
    stale = state_args(states, "common-public-ca-stale", "file")
    assert stale["name"] == "/usr/local/share/ca-certificates"
    assert stale["matches"] == [r"openstack\-public\-ca\-[0-9]+\.crt$"]
    assert stale["exclude"] == [r"openstack\-public\-ca\-1\.crt$",
                                r"openstack\-public\-ca\-2\.crt$"]
    untrust = state_args(states, "common-ca-untrust", "cmd")
    assert untrust["onchanges"] == [{"file": "common-public-ca-stale"}]


def test_admin_openrc_names_the_bundle_that_holds_every_ca(rendered):
    openrc = state_args(rendered["controller"], "keystone-admin-openrc", "file")["context"]
    assert openrc["cacert"] == BUNDLE


def test_computes_get_no_public_pair(rendered):
    assert not [name for name in _managed(rendered["compute1"]) if "public-tls" in name]
