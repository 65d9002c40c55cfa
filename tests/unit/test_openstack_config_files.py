"""
openstack_config on real files: ``$`` escaping and links (issue 11,
items 1 and 2).
"""
import os
import signal
import stat

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import openstack_config as oc

NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown, lchown)")


# -- item 1: "$" in values -----------------------------------------------------

DOLLAR_PASSWORDS = ["pa$$word", "x$host", "$my_ip", "tail$", "a$$$b"]


@pytest.mark.parametrize("password", DOLLAR_PASSWORDS)
def test_dollar_is_written_doubled_and_read_back(tmp_path, password):
    path = tmp_path / "nova.conf"
    oc.update(str(path), settings={"keystone_authtoken": {"password": password}})
    assert path.read_text() == (
        f"[keystone_authtoken]\npassword = {password.replace('$', '$$')}\n"
    )
    assert oc.get(str(path), "keystone_authtoken", "password") == password
    # an escaped value compares equal to the wanted one: nothing to do
    before = path.stat().st_mtime_ns
    assert oc.update(str(path), settings={"keystone_authtoken": {"password": password}}) == {}
    assert path.stat().st_mtime_ns == before


def test_unescaped_dollar_of_an_older_run_is_rewritten(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[database]\nconnection = mysql+pymysql://nova:pa$word@db/nova\n")
    changes = oc.update(
        str(path), settings={"database": {"connection": "mysql+pymysql://nova:pa$word@db/nova"}}
    )
    assert "connection" in changes["options"]["database"]
    assert "pa$word" not in str(changes)
    assert path.read_text() == "[database]\nconnection = mysql+pymysql://nova:pa$$word@db/nova\n"


def test_dollar_in_multi_valued_options(tmp_path):
    path = tmp_path / "x.conf"
    oc.update(str(path), settings={"pci": {"alias": ["a$b", "c"]}})
    assert path.read_text() == "[pci]\nalias = a$$b\nalias = c\n"
    assert oc.get(str(path), "pci", "alias") == ["a$b", "c"]


def test_escape_is_the_shared_function():
    assert oc.escape("pa$word") == "pa$$word"
    assert oc.escape(5) == "5"


# -- item 2: links ---------------------------------------------------------------


@pytest.fixture
def root_only(tmp_path):
    """A root-owned 0600 file outside the config directory (like /etc/shadow)."""
    secret = tmp_path / "shadow"
    secret.write_text("root:$y$hash:19000:0:99999:7:::\n")
    secret.chmod(0o600)
    return secret


def _unchanged(path, text, mode=0o600):
    st = os.lstat(path)
    return path.read_text() == text and stat.S_IMODE(st.st_mode) == mode


@as_root
def test_a_symlink_as_the_file_is_refused(tmp_path, root_only):
    confdir = tmp_path / "nova"
    confdir.mkdir()
    link = confdir / "nova.conf"
    link.symlink_to(root_only)
    os.lchown(link, NOBODY, NOBODY)  # placed by the service user
    text = root_only.read_text()
    with pytest.raises(CommandExecutionError, match="symbolic link"):
        oc.update(str(link), settings={"DEFAULT": {"debug": True}}, group=NOBODY, mode="0640")
    assert _unchanged(root_only, text)
    assert link.is_symlink()
    with pytest.raises(CommandExecutionError, match="symbolic link"):
        oc.get(str(link), "", "root")


def test_a_root_owned_symlink_as_the_file_is_refused_too(tmp_path, root_only):
    link = tmp_path / "nova.conf"
    link.symlink_to(root_only)
    with pytest.raises(CommandExecutionError, match="symbolic link"):
        oc.set_(str(link), "DEFAULT", "debug", True)
    assert _unchanged(root_only, root_only.read_text())


@as_root
def test_a_directory_symlink_of_another_user_is_refused(tmp_path, root_only):
    (tmp_path / "etc").mkdir()
    somewhere = tmp_path / "etc" / "nova"
    somewhere.symlink_to(tmp_path)
    os.lchown(somewhere, NOBODY, NOBODY)
    with pytest.raises(CommandExecutionError, match="owned by uid 65534"):
        oc.set_(str(somewhere / "shadow"), "DEFAULT", "debug", True)
    assert _unchanged(root_only, root_only.read_text())


def test_a_root_owned_directory_symlink_is_followed(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    if os.geteuid() == 0:
        os.lchown(tmp_path / "alias", 0, 0)
    else:
        pytest.skip("links are owned by their creator: needs root")
    oc.set_(str(tmp_path / "alias" / "x.conf"), "DEFAULT", "debug", True)
    assert (real / "x.conf").read_text() == "[DEFAULT]\ndebug = true\n"


def test_a_hard_link_is_refused(tmp_path, root_only):
    confdir = tmp_path / "nova"
    confdir.mkdir()
    os.link(root_only, confdir / "nova.conf")
    with pytest.raises(CommandExecutionError, match="2 hard links"):
        oc.update(str(confdir / "nova.conf"), mode="0644")
    assert _unchanged(root_only, root_only.read_text())


def _timeout(signum, frame):
    raise TimeoutError("blocked opening a FIFO")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "nova.conf"
    os.mkfifo(fifo)
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(5)
    try:
        with pytest.raises(CommandExecutionError, match="not a regular file"):
            oc.set_(str(fifo), "DEFAULT", "debug", True)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
