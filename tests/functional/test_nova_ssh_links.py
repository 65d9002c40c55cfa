"""
nova.migration's files in ``~nova/.ssh`` (issue 11, item 2): nova owns the
directory and could make ``authorized_keys`` or ``known_hosts`` -- or
``.ssh`` itself -- a symbolic link to a root file.  Salt's real
``file.managed`` and ``file.directory`` states, with the options the SLS
uses, replace the link and leave its target untouched.
"""
import json
import os
import stat

import pytest

SECRET = "root:$y$j9T$S3CR3T-HASH:19000:0:99999:7:::\n"
CONTENTS = '# Managed by Salt\nrestrict,from="10.0.0.0/24" ssh-ed25519 AAAAC3one nova@c1\n'
# as nova.migration writes authorized_keys and known_hosts
MANAGED = {"follow_symlinks": False, "show_changes": False}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown)")


def _fingerprint(path):
    info = os.stat(path)
    return (path.read_text(), info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode),
            info.st_mtime_ns, info.st_ino)


@pytest.fixture
def linked(tmp_path):
    """~nova/.ssh/authorized_keys, a link (owned by nobody) to a root 0600 file."""
    secret = tmp_path / "shadow"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    os.chown(ssh, 65534, 65534)
    link = ssh / "authorized_keys"
    link.symlink_to(secret)
    os.lchown(link, 65534, 65534)
    return secret, link


def _managed(run_state, link, **kwargs):
    return run_state(
        "file.managed",
        name=str(link),
        contents=CONTENTS,
        user="nobody",
        group="nogroup",
        mode="0600",
        **dict(MANAGED, **kwargs),
    )


@pytest.mark.parametrize("test", [True, False])
def test_a_link_is_replaced_by_a_regular_file_and_its_target_is_untouched(
    run_state, linked, test
):
    secret, link = linked
    before = _fingerprint(secret)
    ret = _managed(run_state, link, test=test)
    assert ret["result"] is (None if test else True), ret
    assert _fingerprint(secret) == before
    assert "S3CR3T" not in json.dumps(ret)
    if test:
        assert link.is_symlink()
        return
    assert not link.is_symlink()
    info = os.lstat(link)
    assert stat.S_ISREG(info.st_mode)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o600)
    assert link.read_text() == CONTENTS
    again = _managed(run_state, link)
    assert again["result"] is True and again["changes"] == {}, again


def test_without_the_option_salt_writes_through_the_link(run_state, linked):
    """Why the SLS sets follow_symlinks: False (Salt's default is True)."""
    secret, link = linked
    ret = _managed(run_state, link, follow_symlinks=True, show_changes=True)
    assert ret["result"] is True, ret
    assert link.is_symlink()
    assert secret.read_text() == CONTENTS
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.stat().st_uid == 65534
    assert "S3CR3T" in json.dumps(ret)  # the old content, in the diff


def test_a_linked_ssh_directory_is_replaced_by_a_directory(run_state, tmp_path):
    elsewhere = tmp_path / "root-ssh"
    elsewhere.mkdir(mode=0o700)
    (elsewhere / "authorized_keys").write_text("ssh-ed25519 AAAAC3root root@x\n")
    home = tmp_path / "home"
    home.mkdir()
    ssh = home / ".ssh"
    ssh.symlink_to(elsewhere)
    os.lchown(ssh, 65534, 65534)
    ret = run_state(
        "file.directory",
        name=str(ssh),
        user="nobody",
        group="nogroup",
        mode="0700",
        allow_symlink=False,
        force=True,
    )
    assert ret["result"] is True, ret
    assert not ssh.is_symlink() and ssh.is_dir()
    assert list(ssh.iterdir()) == []
    assert (elsewhere / "authorized_keys").read_text() == "ssh-ed25519 AAAAC3root root@x\n"
    info = os.stat(elsewhere)
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o700)


def test_without_show_changes_false_the_diff_shows_the_target(run_state, linked):
    """Why the SLS sets show_changes: False: the diff is read through the link."""
    secret, link = linked
    ret = _managed(run_state, link, show_changes=True)
    assert ret["result"] is True, ret
    assert not link.is_symlink()
    assert secret.read_text() == SECRET
    assert "S3CR3T" in json.dumps(ret)
