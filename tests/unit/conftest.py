"""Fixtures shared by the unit tests."""
import copy
import pathlib

import pytest
import yaml

EXAMPLE_PILLAR = pathlib.Path(__file__).resolve().parents[2] / "pillar" / "openstack.sls"


@pytest.fixture(scope="module")
def example():
    """The example pillar's ``openstack`` value (pillar/openstack.sls)."""
    with EXAMPLE_PILLAR.open() as handle:
        return yaml.safe_load(handle)["openstack"]


@pytest.fixture
def pillar(example):
    """A fresh, mutable copy of the example pillar's ``openstack`` value."""
    return copy.deepcopy(example)


@pytest.fixture
def shadow(tmp_path):
    """A 0600 file like /etc/shadow (root-owned when run as root), that no
    module may read, publish or write through a link."""
    secret = tmp_path / "shadow"
    secret.write_text("root:$y$j9T$hash:19000:0:99999:7:::\nnova:!:19000::::::\n")
    secret.chmod(0o600)
    return secret
