"""
The master's CA (_modules/openstack_tls.py), on real keys and files: each
host's certificate carries its names and addresses, verifies against the
CA, is handed out unchanged until it must change, and the CA is made once
however many master workers ask at the same time.
"""
import datetime
import multiprocessing
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from salt.exceptions import CommandExecutionError
from source_module import load


@pytest.fixture
def tls(tmp_path):
    module = load("_modules/openstack_tls.py", "openstack_tls_under_test")
    module.__opts__ = {"pki_dir": str(tmp_path / "pki"), "id": "saltmaster_master"}
    return module


def _ca_dir(tls):
    return os.path.join(tls.__opts__["pki_dir"], "openstack_ca")


def _cert(pem):
    return x509.load_pem_x509_certificate(pem.encode())


def _alt(cert):
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value


def test_a_hosts_certificate_names_it_and_verifies_against_the_ca(tls):
    got = tls.issue("gateway", ["gateway", "gateway.cloud.test"], ["192.168.56.11", "203.0.113.11"])
    cert, ca = _cert(got["cert"]), _cert(got["ca_cert"])
    cert.verify_directly_issued_by(ca)
    assert _alt(cert).get_values_for_type(x509.DNSName) == ["gateway", "gateway.cloud.test"]
    assert [str(a) for a in _alt(cert).get_values_for_type(x509.IPAddress)] == [
        "192.168.56.11", "203.0.113.11"]
    usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usages) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    key = serialization.load_pem_private_key(got["key"].encode(), password=None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    left = cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=364) < left <= datetime.timedelta(days=365)
    assert "saltmaster_master" in ca.subject.rfc4514_string()


def test_keys_are_root_only_on_the_master(tls):
    tls.issue("compute1", ["compute1"], ["192.168.56.21"])
    ca_dir = _ca_dir(tls)
    assert stat.S_IMODE(os.stat(ca_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(ca_dir, "issued")).st_mode) == 0o700
    for name in ("ca.key", "issued/compute1.key"):
        assert stat.S_IMODE(os.stat(os.path.join(ca_dir, name)).st_mode) == 0o600, name
    assert not [n for n in os.listdir(ca_dir) if n.startswith(".tmp-")]


def test_the_same_certificate_is_handed_out_again(tls):
    first = tls.issue("compute1", ["compute1", "compute1.cloud.test"], ["192.168.56.21"])
    again = tls.issue("compute1", ["compute1.cloud.test", "compute1"], ["192.168.56.21"])
    assert again == first


def test_new_names_make_a_new_key_and_certificate(tls):
    first = tls.issue("gateway", ["gateway"], ["192.168.56.11"])
    moved = tls.issue("gateway", ["gateway", "dashboard.example.org"], ["192.168.56.11"])
    assert moved["key"] != first["key"] and moved["ca_cert"] == first["ca_cert"]
    assert "dashboard.example.org" in _alt(_cert(moved["cert"])).get_values_for_type(x509.DNSName)


def test_a_certificate_near_its_end_is_renewed(tls, monkeypatch):
    first = tls.issue("compute1", ["compute1"], ["192.168.56.21"], days=40)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=11)
    monkeypatch.setattr(tls, "_now", lambda: later)
    renewed = tls.issue("compute1", ["compute1"], ["192.168.56.21"], days=40)
    assert renewed["cert"] != first["cert"]
    assert _cert(renewed["cert"]).not_valid_after_utc > _cert(first["cert"]).not_valid_after_utc


def test_a_new_ca_reissues_every_certificate(tls):
    first = tls.issue("compute1", ["compute1"], ["192.168.56.21"])
    for name in ("ca.key", "ca.crt"):
        os.rename(os.path.join(_ca_dir(tls), name), os.path.join(_ca_dir(tls), name + ".old"))
    again = tls.issue("compute1", ["compute1"], ["192.168.56.21"])
    assert again["ca_cert"] != first["ca_cert"] and again["cert"] != first["cert"]
    _cert(again["cert"]).verify_directly_issued_by(_cert(again["ca_cert"]))


def test_half_a_ca_is_refused_not_replaced(tls):
    tls.ca_certificate()
    os.unlink(os.path.join(_ca_dir(tls), "ca.key"))
    with pytest.raises(CommandExecutionError, match="only one of ca.key and ca.crt"):
        tls.issue("compute1", ["compute1"], [])
    assert not os.path.exists(os.path.join(_ca_dir(tls), "ca.key"))


def test_a_ca_certificate_of_another_key_is_refused(tls, tmp_path):
    tls.ca_certificate()
    other = load("_modules/openstack_tls.py", "openstack_tls_other")
    other.__opts__ = {"pki_dir": str(tmp_path / "other"), "id": "x"}
    other.ca_certificate()
    os.replace(os.path.join(tmp_path, "other", "openstack_ca", "ca.crt"),
               os.path.join(_ca_dir(tls), "ca.crt"))
    with pytest.raises(CommandExecutionError, match="is not the certificate of"):
        tls.ca_certificate()


@pytest.mark.parametrize("minion_id, names, addresses, days, fragment", [
    ("../etc/x", ["x"], [], 365, "not a usable minion id"),
    ("a/b", ["x"], [], 365, "not a usable minion id"),
    ("", ["x"], [], 365, "not a usable minion id"),
    ("c1", [], [], 365, "at least one host name"),
    ("c1", ["c1"], ["10.0.0.300"], 365, "does not appear to be an IPv4 or IPv6 address"),
    ("c1", ["c1"], [], 30, "days must be an integer above 30"),
    ("c1", ["c1"], [], True, "days must be an integer above 30"),
])
def test_bad_requests_are_refused(tls, minion_id, names, addresses, days, fragment):
    with pytest.raises(CommandExecutionError, match=fragment):
        tls.issue(minion_id, names, addresses, days)
    assert not os.path.exists(_ca_dir(tls))


def _ask_for_the_ca(pki_dir, queue):
    module = load("_modules/openstack_tls.py", "openstack_tls_worker")
    module.__opts__ = {"pki_dir": pki_dir, "id": "m"}
    queue.put(module.ca_certificate())


def test_workers_asking_at_once_get_one_ca(tmp_path):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_ask_for_the_ca, args=(str(tmp_path), queue))
               for _ in range(6)]
    for worker in workers:
        worker.start()
    answers = {queue.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(timeout=60)
    assert len(answers) == 1
    with open(os.path.join(tmp_path, "openstack_ca", "ca.crt"), encoding="ascii") as stream:
        assert answers == {stream.read()}


def test_describe_reads_a_certificate_never_a_key(tls):
    got = tls.issue("controller", ["controller"], ["192.168.56.10"])
    info = tls.describe(got["cert"])
    assert info["subject"] == "CN=controller"
    assert info["names"] == ["controller"] and info["addresses"] == ["192.168.56.10"]
    with pytest.raises(CommandExecutionError, match="not a PEM certificate"):
        tls.describe(got["key"])


def test_long_ids_are_cut_in_the_common_name_only(tls):
    tls.__opts__["id"] = "openstack-controller-01.datacenter.example.corp_master"
    name = "compute-" + "x" * 70
    got = tls.issue(name, [name[:63]], [])
    cert, ca = _cert(got["cert"]), _cert(got["ca_cert"])
    assert cert.subject.rfc4514_string() == "CN=" + name[:64]
    assert len(ca.subject.rfc4514_string()) == len("CN=") + 64
    assert tls.issue(name, [name[:63]], []) == got


def test_a_ca_near_its_end_is_reported_not_used_on_every_refresh(tls, monkeypatch):
    tls.ca_certificate()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3640)
    monkeypatch.setattr(tls, "_now", lambda: later)
    with pytest.raises(CommandExecutionError, match="move ca.key and ca.crt away"):
        tls.issue("compute1", ["compute1"], [])
