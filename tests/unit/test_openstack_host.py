"""openstack_host.nova_ssh_keys reads real key files."""
import os
import pwd
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


# -- the user key: never through a link (issue 11, item 2) ---------------------


@pytest.fixture
def nova_home(tmp_path, monkeypatch):
    """A real home with a real ed25519 key; only the passwd lookup points at it."""
    home = tmp_path / "nova-home"
    (home / ".ssh").mkdir(parents=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nova@c1", "-f", str(home / ".ssh" / "id_ed25519")],
        check=True,
    )
    real = pwd.getpwuid(os.getuid())
    entry = pwd.struct_passwd((*real[:5], str(home), real.pw_shell))
    monkeypatch.setattr(openstack_host.pwd, "getpwnam", lambda name: entry)
    return home


def keys(tmp_path):
    return openstack_host.nova_ssh_keys(user="nova", host_key_glob=str(tmp_path / "none*"))


def test_user_key_is_published(nova_home, tmp_path):
    key = keys(tmp_path)["user_key"]
    assert key.startswith("ssh-ed25519 ") and "nova@c1" not in key


def test_key_linked_to_a_secret_is_not_published(nova_home, tmp_path, shadow):
    pub = nova_home / ".ssh" / "id_ed25519.pub"
    pub.unlink()
    pub.symlink_to(shadow)
    assert keys(tmp_path)["user_key"] is None


def test_ssh_dir_linked_elsewhere_is_not_followed(nova_home, tmp_path):
    elsewhere = tmp_path / "root-ssh"
    (nova_home / ".ssh").rename(elsewhere)
    (nova_home / ".ssh").symlink_to(elsewhere)
    assert keys(tmp_path)["user_key"] is None


def test_hard_link_or_other_owner_is_not_published(nova_home, tmp_path, shadow):
    pub = nova_home / ".ssh" / "id_ed25519.pub"
    pub.unlink()
    os.link(shadow, pub)
    assert keys(tmp_path)["user_key"] is None
    pub.unlink()
    pub.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB nova@c1\n")
    if os.geteuid() == 0:
        os.chown(pub, 65534, 65534)
        assert keys(tmp_path)["user_key"] is None


def test_content_that_is_not_one_public_key_is_not_published(nova_home, tmp_path):
    pub = nova_home / ".ssh" / "id_ed25519.pub"
    pub.write_text("root:$y$j9T$hash:19000:0:99999:7:::\n")
    assert keys(tmp_path)["user_key"] is None
    pub.write_text("ssh-ed25519 AAAA nova\nssh-ed25519 BBBB other\n")
    assert keys(tmp_path)["user_key"] is None
