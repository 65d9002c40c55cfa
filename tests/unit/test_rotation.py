"""
cluster/rotation.py's new secrets: each one the validator accepts for its
pillar key, and RabbitMQ's module for its password; unit tier (the phase
itself runs on the cluster: cluster/run rotate).
"""
import copy
import pathlib
import sys

import pytest
import yaml

from saltext_openstack._modules import openstack_pillar, openstack_rabbitmq

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "cluster"))
rotation = pytest.importorskip("rotation")  # imports verify.py, beside it
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())


def test_every_new_secret_validates_and_differs():
    data = copy.deepcopy(EXAMPLE["openstack"])
    names = [name for name, _ in openstack_pillar.REQUIRED_PASSWORDS]
    limits = openstack_pillar.password_limits()
    for _ in range(20):
        fresh = {name: rotation.new_secret(name, limits) for name in names}
        data["passwords"] = fresh
        model = openstack_pillar.validate(data)
        assert model  # the validator raised nothing
        openstack_rabbitmq._check_password(fresh["rabbitmq"])
        assert len(set(fresh.values())) == len(names)
        assert all(value.endswith("$") and set(value) & set(rotation.AWKWARD)
                   for name, value in fresh.items() if name not in limits)


def test_the_limits_come_from_the_validator():
    limits = openstack_pillar.password_limits()
    assert set(limits) == set(openstack_pillar.PASSWORD_LIMITS) | {"ceph_cinder_key"}
    assert all(limit["why"] for limit in limits.values())
    assert {name for name, limit in limits.items() if limit.get("external")} == {"ceph_cinder_key"}
    assert rotation.excluded_characters(limits) == {"keystone_db": "/@:$", "rabbitmq": "/",
                                                    "ceph_cinder_key": "/@:$"}
    # a key another system issues gets no value made here
    with pytest.raises(SystemExit, match="ceph_cinder_key.*issued by the Ceph cluster"):
        rotation.new_secret("ceph_cinder_key", limits)
    # a rule the rotation cannot meet stops it, naming the key and why
    with pytest.raises(SystemExit, match="no new value for nova_db within its limits: digits"):
        rotation.new_secret("nova_db", {"nova_db": {"refused": "[0-9a-z]", "why": "digits"}})


def test_write_private_is_0600_from_the_start(tmp_path):
    path = tmp_path / "old.json"
    # a temporary file an earlier run left behind, readable by all
    (tmp_path / "old.json.tmp").write_text("stale")
    (tmp_path / "old.json.tmp").chmod(0o644)
    rotation.write_private(str(path), "{}")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == "{}"
    assert not (tmp_path / "old.json.tmp").exists()
