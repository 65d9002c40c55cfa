"""openstack_host.nova_ssh_keys reads real key files."""
import subprocess

import pytest

from saltext_openstack._modules import openstack_host


@pytest.fixture
def host_keys(tmp_path):
    for kind in ("ed25519", "ecdsa"):
        key = tmp_path / f"ssh_host_{kind}_key"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "root@host", "-f", str(key)],
            check=True,
        )
    return tmp_path


def test_host_keys_without_comments(host_keys):
    keys = openstack_host.nova_ssh_keys(
        user="no-such-user-here", host_key_glob=str(host_keys / "ssh_host_*_key.pub")
    )
    assert keys["user_key"] is None
    assert [k.split()[0] for k in keys["host_keys"]] == ["ecdsa-sha2-nistp256", "ssh-ed25519"]
    assert all("root@host" not in k for k in keys["host_keys"])


def test_missing_files_give_empty_list(tmp_path):
    keys = openstack_host.nova_ssh_keys(user="root", host_key_glob=str(tmp_path / "*.pub"))
    assert keys["host_keys"] == []
