"""
cluster/cephx_key.py: the key the test cluster's pillar gives the rbd
backends' Ceph user (cluster/ceph.sh gives it to client.cinder); unit tier.
"""
import base64
import importlib.util
import pathlib
import struct
import subprocess
import sys

import pytest

from saltext_openstack._modules import openstack_pillar

REPO = pathlib.Path(__file__).resolve().parents[2]
# By its path (a missing or broken file fails here, it is not skipped),
# without putting cluster/ on sys.path for the other tests.
_SPEC = importlib.util.spec_from_file_location("cephx_key", REPO / "cluster" / "cephx_key.py")
cephx_key = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cephx_key)


def test_layout_of_a_known_key():
    """Type 1, the creation time, length 16, the secret: what Ceph's
    CryptoKey::encode writes (compare the documentation's example key)."""
    key = cephx_key.new_key(now=1_700_000_000.25, secret=bytes(range(16)))
    raw = base64.b64decode(key, validate=True)
    assert len(raw) == 28 and len(key) == 40 and key.startswith("AQ")
    assert struct.unpack("<HIIH", raw[:12]) == (1, 1_700_000_000, 250_000_000, 16)
    assert raw[12:] == bytes(range(16))


def test_keys_differ_and_refuse_a_wrong_secret():
    assert len({cephx_key.new_key() for _ in range(50)}) == 50
    with pytest.raises(ValueError, match="16 bytes"):
        cephx_key.new_key(secret=b"short")


def test_the_pillar_validator_accepts_it(pillar):
    """openstack_pillar.validate's cephx key check takes what the generator
    makes (an lvm and an rbd backend, as the test cluster would have)."""
    pillar["cinder"]["backends"] = [{"name": "lvm", "type": "lvm"},
                                    {"name": "ceph", "type": "rbd", "pool": "volumes", "user": "cinder"}]
    pillar["ceph"] = {"fsid": "a7f64266-0894-4f1e-a635-d0aeaca0e993", "monitors": ["192.0.2.5"]}
    for _ in range(10):
        pillar["passwords"]["ceph_cinder_key"] = cephx_key.new_key()
        model = openstack_pillar.validate(pillar)
        assert model["ceph"]["user"] == "cinder"


def test_command_line_prints_one_key():
    out = subprocess.run([sys.executable, str(REPO / "cluster" / "cephx_key.py")],
                         check=True, capture_output=True, text=True).stdout
    assert len(out.splitlines()) == 1
    assert len(base64.b64decode(out.strip(), validate=True)) == 28
