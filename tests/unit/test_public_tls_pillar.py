"""
Operator-provided certificates for the public endpoints (pillar
openstack:tls:public:<host>, openstack:tls:public_ca): the validator's
model and every refusal, on real certificates and keys made here
(tests/operator_pki.py).
"""
import json

import pytest
from salt.exceptions import CommandExecutionError

from operator_pki import DAY, NOW, Issuer, key_pem
from saltext_openstack._modules import openstack_pillar

CONTROLLER = "openstack:tls:public:controller"
GATEWAY = "openstack:tls:public:gateway"


@pytest.fixture(scope="module")
def root():
    return Issuer("Operator Root CA")


@pytest.fixture(scope="module")
def intermediate(root):
    return Issuer("Operator Issuing CA", parent=root)


def controller_pair(intermediate, names=("controller", "controller.cloud.test"), **kwargs):
    cert, key = intermediate.issue(names, ["192.168.56.10"], **kwargs)
    return {"cert": cert + intermediate.pem, "key": key}


def with_public(pillar, entries, public_ca=None):
    pillar["tls"] = {"days": 365, "public": entries}
    if public_ca:
        pillar["tls"]["public_ca"] = public_ca
    return pillar


def refusal(data, key, fragment):
    """The problem lines naming ``key``; one holds ``fragment``.  No
    private key of ``data`` shows in the message."""
    with pytest.raises(CommandExecutionError) as excinfo:
        openstack_pillar.validate(data)
    message = str(excinfo.value)
    for entry in data["tls"]["public"].values():
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            for line in entry["key"].splitlines():
                if "-----" not in line and line.strip():
                    assert line not in message
    named = [line.strip() for line in message.splitlines()
             if line.strip().startswith(key + ": ")]
    assert any(fragment in line for line in named), message
    return named


# -- accepted -------------------------------------------------------------------


def test_operator_chain_is_in_the_model_without_its_key(pillar, root, intermediate):
    pair = controller_pair(intermediate)
    model = openstack_pillar.validate(with_public(pillar, {"controller": pair}, root.pem))
    entry = model["tls"]["public"]["controller"]
    assert entry["issuer"] == "operator"
    assert entry["cert"] == pair["cert"]
    assert entry["ca"] == root.pem
    assert entry["not_after"].startswith((NOW + 90 * DAY).strftime("%Y-%m-%d"))
    # Hosts without an entry keep the master's CA; computes serve nothing public.
    assert model["tls"]["public"]["gateway"]["issuer"] == "cloud"
    assert set(model["tls"]["public"]) == {"controller", "gateway"}
    assert model["tls"]["public_cas"] == [root.pem]
    body = pair["key"].splitlines()[1]
    assert body not in json.dumps(model)


def test_a_hosts_own_ca_wins_over_public_ca(pillar, root, intermediate):
    other = Issuer("Other CA")
    gateway_cert, gateway_key = other.issue(["gateway"])
    model = openstack_pillar.validate(with_public(pillar, {
        "controller": controller_pair(intermediate),
        "gateway": {"cert": gateway_cert, "key": gateway_key, "ca": other.pem}}, root.pem))
    assert model["tls"]["public"]["gateway"]["ca"] == other.pem
    assert model["tls"]["public_cas"] == [root.pem, other.pem]


def test_without_a_ca_the_chain_is_taken_as_publicly_trusted(pillar, intermediate):
    model = openstack_pillar.validate(with_public(pillar, {
        "controller": controller_pair(intermediate)}))
    assert model["tls"]["public"]["controller"]["ca"] is None
    assert model["tls"]["public_cas"] == []


def test_the_root_may_end_the_chain(pillar, root, intermediate):
    pair = controller_pair(intermediate)
    pair["cert"] += root.pem
    model = openstack_pillar.validate(with_public(pillar, {"controller": pair}, root.pem))
    assert model["tls"]["public"]["controller"]["issuer"] == "operator"


def test_a_wildcard_covers_one_label_of_the_dashboards_names(pillar, root):
    pillar["dashboard"] = {"hosts": ["cloud.example.org"]}
    cert, key = root.issue(["gateway", "*.example.org"])
    model = openstack_pillar.validate(with_public(
        pillar, {"gateway": {"cert": cert, "key": key}}, root.pem))
    assert model["tls"]["public"]["gateway"]["issuer"] == "operator"
    pillar["dashboard"] = {"hosts": ["a.cloud.example.org"]}
    refusal(pillar, GATEWAY + ":cert", "does not name a.cloud.example.org")


def test_a_minion_needs_its_own_key_only(pillar, root, intermediate, monkeypatch):
    """On a minion the master's filter leaves only the host's own key: the
    others' entries validate without one; its own needs it."""
    gateway_cert, _ = root.issue(["gateway"])
    pair = controller_pair(intermediate)
    with_public(pillar, {"controller": pair, "gateway": {"cert": gateway_cert}}, root.pem)
    monkeypatch.setattr(openstack_pillar, "__pillar__", {"openstack": pillar}, raising=False)
    monkeypatch.setattr(openstack_pillar, "__opts__", {"id": "controller"}, raising=False)
    assert openstack_pillar.validate()["tls"]["public"]["gateway"]["issuer"] == "operator"
    monkeypatch.setattr(openstack_pillar, "__opts__", {"id": "gateway"}, raising=False)
    with pytest.raises(CommandExecutionError, match=GATEWAY + ":key: missing or empty"):
        openstack_pillar.validate()


# -- refused --------------------------------------------------------------------


@pytest.mark.parametrize("field, value, fragment", [
    ("cert", "hello", "is not a PEM certificate"),
    ("cert", ["x"], "must be a string (PEM), got a list"),
    ("cert", "KEY", "holds a private key"),
    ("key", "-----BEGIN PRIVATE KEY-----\nx", "is not a PEM private key"),
    ("key", 5, "must be a string (PEM), got a number"),
])
def test_refused_field(pillar, intermediate, field, value, fragment):
    pair = controller_pair(intermediate)
    if value == "KEY":
        value = pair["cert"] + pair["key"]
    refusal(with_public(pillar, {"controller": dict(pair, **{field: value})}),
            CONTROLLER + ":" + field, fragment)


def test_refused_key_missing(pillar, intermediate):
    pair = controller_pair(intermediate)
    del pair["key"]
    refusal(with_public(pillar, {"controller": pair}), CONTROLLER + ":key", "missing or empty")


def test_refused_key_encrypted(pillar, intermediate):
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel

    key = ec.generate_private_key(ec.SECP256R1())
    cert, _ = intermediate.issue(["controller"], key=key)
    refusal(with_public(pillar, {"controller": {"cert": cert,
                                                "key": key_pem(key, b"passphrase")}}),
            CONTROLLER + ":key", "is encrypted")


def test_refused_key_of_another_certificate(pillar, intermediate):
    pair = controller_pair(intermediate)
    other = controller_pair(intermediate)
    refusal(with_public(pillar, {"controller": dict(pair, key=other["key"])}),
            CONTROLLER + ":key", "is not the key of the certificate in " + CONTROLLER + ":cert")


def test_refused_expired(pillar, intermediate):
    pair = controller_pair(intermediate, not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    refusal(with_public(pillar, {"controller": pair}), CONTROLLER + ":cert",
            "certificate 1 (CN=controller) expired on")


def test_refused_not_yet_valid(pillar, intermediate):
    pair = controller_pair(intermediate, not_before=NOW + DAY)
    refusal(with_public(pillar, {"controller": pair}), CONTROLLER + ":cert",
            "is not valid before")


def test_refused_expired_intermediate(pillar, root):
    old = Issuer("Old Issuing CA", parent=root, not_before=NOW - 10 * DAY,
                 not_after=NOW - DAY)
    cert, key = old.issue(["controller"])
    refusal(with_public(pillar, {"controller": {"cert": cert + old.pem, "key": key}}),
            CONTROLLER + ":cert", "certificate 2 (CN=Old Issuing CA) expired on")


def test_refused_names_not_covered(pillar, intermediate):
    pair = controller_pair(intermediate, names=("api.example.org",))
    refusal(with_public(pillar, {"controller": pair}), CONTROLLER + ":cert",
            "does not name controller (its subjectAltName: api.example.org, 192.168.56.10)")


def test_refused_no_subject_alt_name(pillar, intermediate):
    pair = controller_pair(intermediate, san=False)
    refusal(with_public(pillar, {"controller": pair}), CONTROLLER + ":cert",
            "has no subjectAltName")


def test_refused_dashboard_name_not_covered(pillar, root):
    pillar["dashboard"] = {"hosts": ["cloud.example.org", "198.51.100.7"]}
    cert, key = root.issue(["gateway", "cloud.example.org"])
    refusal(with_public(pillar, {"gateway": {"cert": cert, "key": key}}),
            GATEWAY + ":cert", "does not name 198.51.100.7")


def test_refused_host_not_in_the_host_map(pillar, intermediate):
    refusal(with_public(pillar, {"stranger": controller_pair(intermediate)}),
            "openstack:tls:public:stranger", "'stranger' is not a host of openstack:hosts")


def test_refused_compute(pillar, root):
    cert, key = root.issue(["compute1"])
    refusal(with_public(pillar, {"compute1": {"cert": cert, "key": key}}),
            "openstack:tls:public:compute1",
            "compute1 is a compute host: only a controller's or a gateway's endpoints")


def test_refused_entry_not_a_mapping(pillar):
    refusal(with_public(pillar, {"controller": "cert.pem"}), CONTROLLER,
            "must be a mapping (cert, key, ca), got a string")


def test_refused_unknown_key(pillar, intermediate):
    pair = controller_pair(intermediate)
    pair["private_key"] = pair["key"]
    refusal(with_public(pillar, {"controller": pair}), CONTROLLER + ":private_key",
            "unknown key: an entry holds cert, key, ca")


def test_refused_chain_out_of_order(pillar, root, intermediate):
    cert, key = intermediate.issue(["controller"])
    refusal(with_public(pillar, {"controller": {"cert": cert + root.pem + intermediate.pem,
                                                "key": key}}),
            CONTROLLER + ":cert", "certificate 1 is not signed by certificate 2")


def test_refused_not_signed_by_the_ca(pillar, intermediate):
    stranger = Issuer("Stranger CA")
    refusal(with_public(pillar, {"controller": controller_pair(intermediate)}, stranger.pem),
            CONTROLLER + ":cert",
            "is not signed by the CA of openstack:tls:public_ca (CN=Stranger CA)")


def test_refused_not_signed_by_the_hosts_own_ca(pillar, root, intermediate):
    stranger = Issuer("Stranger CA")
    pair = dict(controller_pair(intermediate), ca=stranger.pem)
    refusal(with_public(pillar, {"controller": pair}, root.pem), CONTROLLER + ":cert",
            "is not signed by the CA of " + CONTROLLER + ":ca")


def test_refused_ca_that_is_no_ca(pillar, intermediate):
    leaf, _ = intermediate.issue(["someone"])
    refusal(with_public(pillar, {"controller": controller_pair(intermediate)}, leaf),
            "openstack:tls:public_ca", "is not a CA certificate")


def test_refused_ca_bundle(pillar, root, intermediate):
    refusal(with_public(pillar, {"controller": controller_pair(intermediate)},
                        root.pem + intermediate.pem),
            "openstack:tls:public_ca", "holds 2 certificates")


def test_refused_expired_ca(pillar, root):
    old = Issuer("Old Root", not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    cert, key = root.issue(["controller"])
    refusal(with_public(pillar, {"controller": {"cert": cert, "key": key, "ca": old.pem}}),
            CONTROLLER + ":ca", "expired on")


def test_refused_public_typo(pillar, intermediate):
    pillar["tls"] = {"pubilc": {"controller": controller_pair(intermediate)}}
    with pytest.raises(CommandExecutionError, match="openstack:tls:pubilc: unknown key: did "
                                                    "you mean 'public'"):
        openstack_pillar.validate(pillar)
