"""
openstack_config on real files: ``$`` escaping, links, extended
attributes, concurrent writers, section-name case, CRLF files and the
directory fsync (issue 11, items 1, 2 and 15).
"""
import multiprocessing
import os
import shutil
import signal
import stat
import subprocess

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import openstack_config as oc
from saltext_openstack._utils.saltext_openstack_ini import IniDocument

NOBODY = 65534
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown, lchown)")


# -- item 1: "$" in values -----------------------------------------------------
#
# oslo.config reads a value by first turning every "\$" into "$$", then
# substituting "$name" and reading "$$" as "$".  Every "$" is written "\$".

DOLLAR_PASSWORDS = [
    "pa$$word", "x$host", "$my_ip", "tail$", "a$$$b",
    # a backslash right before a "$": "$$" escaping broke these
    "a\\$b", "x\\$my_ip", "x\\$", "\\\\$", "\\${host}",
]


@pytest.mark.parametrize("password", DOLLAR_PASSWORDS)
def test_dollar_is_written_with_a_backslash_and_read_back(tmp_path, password):
    path = tmp_path / "nova.conf"
    oc.update(str(path), settings={"keystone_authtoken": {"password": password}})
    assert path.read_text() == (
        f"[keystone_authtoken]\npassword = {password.replace('$', chr(92) + '$')}\n"
    )
    assert oc.get(str(path), "keystone_authtoken", "password") == password
    # a second run: nothing to do, nothing written
    before = path.stat().st_mtime_ns
    assert oc.update(str(path), settings={"keystone_authtoken": {"password": password}}) == {}
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize("password", ["pa$$word", "x$host", "$my_ip", "tail$", "a$$$b"])
def test_a_value_an_older_run_wrote_with_doubled_dollars_is_kept(tmp_path, password):
    """Files written by the "$$" escaping read back right and are not rewritten."""
    path = tmp_path / "nova.conf"
    text = f"[keystone_authtoken]\npassword = {password.replace('$', '$$')}\n"
    path.write_text(text)
    assert oc.get(str(path), "keystone_authtoken", "password") == password
    assert oc.update(str(path), settings={"keystone_authtoken": {"password": password}}) == {}
    assert path.read_text() == text


@pytest.mark.parametrize("password", ["ab\\$cd", "x\\$my_ip", "x\\$"])
def test_a_doubled_dollar_after_a_backslash_is_rewritten(tmp_path, password):
    """What "$$" escaping wrote for these, oslo.config reads differently: fix it."""
    path = tmp_path / "nova.conf"
    path.write_text(f"[keystone_authtoken]\npassword = {password.replace('$', '$$')}\n")
    changes = oc.update(str(path), settings={"keystone_authtoken": {"password": password}})
    assert changes["options"]["keystone_authtoken"]["password"] == {
        "old": oc.MASK,
        "new": oc.MASK,
    }
    assert oc.get(str(path), "keystone_authtoken", "password") == password


def test_unescaped_dollar_of_an_older_run_is_rewritten(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[database]\nconnection = mysql+pymysql://nova:pa$word@db/nova\n")
    changes = oc.update(
        str(path), settings={"database": {"connection": "mysql+pymysql://nova:pa$word@db/nova"}}
    )
    assert "connection" in changes["options"]["database"]
    assert "pa$word" not in str(changes)
    assert path.read_text() == "[database]\nconnection = mysql+pymysql://nova:pa\\$word@db/nova\n"


def test_a_substitution_is_not_the_literal_value(tmp_path):
    """"$my_ip" written by hand is a substitution, not the value "$my_ip"."""
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\nhost = $my_ip\n")
    assert oc.get(str(path), "DEFAULT", "host") == "$my_ip"
    assert oc.update(str(path), settings={"DEFAULT": {"host": "$my_ip"}}) != {}
    assert path.read_text() == "[DEFAULT]\nhost = \\$my_ip\n"


def test_dollar_in_multi_valued_options(tmp_path):
    path = tmp_path / "x.conf"
    oc.update(str(path), settings={"pci": {"alias": ["a$b", "c"]}})
    assert path.read_text() == "[pci]\nalias = a\\$b\nalias = c\n"
    assert oc.get(str(path), "pci", "alias") == ["a$b", "c"]


def test_escape_is_the_shared_function():
    assert oc.escape("pa$word") == "pa\\$word"
    assert oc.escape("a\\$b") == "a\\\\$b"
    assert oc.escape(5) == "5"


# -- item 1: only oslo.config files are escaped ----------------------------------


@pytest.mark.parametrize("value", ["$(HOME)/x", "pa$$word", "a\\$b"])
def test_oslo_false_writes_and_reads_values_verbatim(tmp_path, value):
    """MariaDB option files and uwsgi .ini: "$" is not oslo.config's there."""
    path = tmp_path / "keystone-uwsgi.ini"
    oc.update(str(path), settings={"uwsgi": {"chdir": value}}, oslo=False)
    assert path.read_text() == f"[uwsgi]\nchdir = {value}\n"
    assert oc.get(str(path), "uwsgi", "chdir", oslo=False) == value
    before = path.stat().st_mtime_ns
    assert oc.update(str(path), settings={"uwsgi": {"chdir": value}}, oslo=False) == {}
    assert path.stat().st_mtime_ns == before


def test_oslo_false_compares_values_verbatim(tmp_path):
    path = tmp_path / "99-openstack.cnf"
    path.write_text("[mysqld]\ninit_connect = SET @x='a$$b'\n")
    changes = oc.update(str(path), settings={"mysqld": {"init_connect": "SET @x='a$$b'"}},
                        oslo=False)
    assert changes == {}
    oc.set_(str(path), "mysqld", "init_connect", "a$b", oslo=False)
    assert path.read_text() == "[mysqld]\ninit_connect = a$b\n"


@pytest.mark.parametrize("oslo", ["no", 0, None])
def test_oslo_must_be_a_boolean(tmp_path, oslo):
    path = tmp_path / "x.ini"
    with pytest.raises(CommandExecutionError, match="oslo must be True or False"):
        oc.update(str(path), settings={"a": {"b": "c"}}, oslo=oslo)
    with pytest.raises(CommandExecutionError, match="oslo must be True or False"):
        oc.set_(str(path), "a", "b", "c", oslo=oslo)
    assert not path.exists()


# -- item 2: links ---------------------------------------------------------------


def _unchanged(path, text, mode=0o600):
    st = os.lstat(path)
    return path.read_text() == text and stat.S_IMODE(st.st_mode) == mode


@as_root
def test_a_symlink_as_the_file_is_refused(tmp_path, shadow):
    confdir = tmp_path / "nova"
    confdir.mkdir()
    link = confdir / "nova.conf"
    link.symlink_to(shadow)
    os.lchown(link, NOBODY, NOBODY)  # placed by the service user
    text = shadow.read_text()
    with pytest.raises(CommandExecutionError, match="symbolic link"):
        oc.update(str(link), settings={"DEFAULT": {"debug": True}}, group=NOBODY, mode="0640")
    assert _unchanged(shadow, text)
    assert link.is_symlink()
    with pytest.raises(CommandExecutionError, match="symbolic link"):
        oc.get(str(link), "", "root")


def test_a_root_owned_symlink_as_the_file_is_refused_too(tmp_path, shadow):
    link = tmp_path / "nova.conf"
    link.symlink_to(shadow)
    with pytest.raises(CommandExecutionError, match="symbolic link"):
        oc.set_(str(link), "DEFAULT", "debug", True)
    assert _unchanged(shadow, shadow.read_text())


@as_root
def test_a_directory_symlink_of_another_user_is_refused(tmp_path, shadow):
    (tmp_path / "etc").mkdir()
    somewhere = tmp_path / "etc" / "nova"
    somewhere.symlink_to(tmp_path)
    os.lchown(somewhere, NOBODY, NOBODY)
    with pytest.raises(CommandExecutionError, match="owned by uid 65534"):
        oc.set_(str(somewhere / "shadow"), "DEFAULT", "debug", True)
    assert _unchanged(shadow, shadow.read_text())


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


def test_a_hard_link_is_refused(tmp_path, shadow):
    confdir = tmp_path / "nova"
    confdir.mkdir()
    os.link(shadow, confdir / "nova.conf")
    with pytest.raises(CommandExecutionError, match="2 hard links"):
        oc.update(str(confdir / "nova.conf"), mode="0644")
    assert _unchanged(shadow, shadow.read_text())


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


# -- item 15: xattrs, lock, sections, CRLF, fsync ------------------------------------


def test_extended_attributes_are_kept(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = false\n")
    os.setxattr(path, "user.label", b"etc_t")
    acl = shutil.which("setfacl") and os.geteuid() == 0
    if acl:
        subprocess.run(["setfacl", "-m", f"u:{NOBODY}:r", str(path)], check=True)
        before = os.getxattr(path, "system.posix_acl_access")
    inode = path.stat().st_ino
    oc.set_(str(path), "DEFAULT", "debug", True)
    assert path.stat().st_ino != inode  # rewritten by rename
    assert os.getxattr(path, "user.label") == b"etc_t"
    if acl:
        assert os.getxattr(path, "system.posix_acl_access") == before


def _writer(path, worker, count):
    for index in range(count):
        oc.set_(path, "DEFAULT", f"key_{worker}_{index}", index)


def test_concurrent_writers_lose_no_option(tmp_path):
    path = str(tmp_path / "nova.conf")
    oc.set_(path, "DEFAULT", "start", 0)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(path, worker, 50)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    document = IniDocument(open(path, encoding="utf-8").read())
    missing = [
        (worker, index)
        for worker in range(4)
        for index in range(50)
        if document.values("DEFAULT", f"key_{worker}_{index}") != [str(index)]
    ]
    assert missing == []


def test_section_names_are_case_insensitive_like_oslo(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\n\n[Database]\nconnection = sqlite://\n")
    assert oc.get(str(path), "database", "connection") == "sqlite://"
    oc.update(str(path), settings={"database": {"connection": "mysql://db", "max_pool_size": 5}})
    assert path.read_text() == (
        "[DEFAULT]\n\n[Database]\nconnection = mysql://db\nmax_pool_size = 5\n"
    )
    assert oc.sections(str(path)) == ["DEFAULT", "Database"]
    assert oc.update(str(path), settings={"DATABASE": {"connection": "mysql://db"}}) == {}


def test_default_is_not_case_folded(tmp_path):
    """oslo.config lowercases group names but DEFAULT: [default] is another group."""
    path = tmp_path / "nova.conf"
    path.write_text("[default]\ndebug = true\n")
    oc.set_(str(path), "DEFAULT", "debug", False)
    assert path.read_text() == "[DEFAULT]\ndebug = false\n\n[default]\ndebug = true\n"


def test_crlf_files_stay_crlf(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_bytes(b"[DEFAULT]\r\ndebug = false\r\n\r\n[database]\r\n#connection = x\r\n")
    oc.update(
        str(path),
        settings={
            "DEFAULT": {"debug": True, "my_ip": "10.0.0.1"},
            "database": {"connection": "mysql://db"},
            "new": {"multi": ["a", "b"], "text": "one\ntwo"},
        },
    )
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data == (
        b"[DEFAULT]\r\ndebug = true\r\nmy_ip = 10.0.0.1\r\n\r\n[database]\r\n#connection = x\r\n"
        b"connection = mysql://db\r\n\r\n[new]\r\nmulti = a\r\nmulti = b\r\ntext = one\r\n    two\r\n"
    )
    assert oc.get(str(path), "new", "text") == "one\ntwo"


def test_the_directory_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    path = tmp_path / "nova.conf"
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.fstat(fd))
        real_fsync(fd)

    monkeypatch.setattr(oc.os, "fsync", fsync)
    oc.set_(str(path), "DEFAULT", "debug", True)
    assert stat.S_ISREG(synced[0].st_mode)  # the new file, before the rename
    assert stat.S_ISDIR(synced[-1].st_mode)  # then its directory
    assert synced[-1].st_ino == tmp_path.stat().st_ino


# -- whole sections: openstack_config.remove_sections ----------------------------

CINDER_CONF = (
    "[DEFAULT]\nenabled_backends = lvm\n\n"
    "[lvm]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n\n"
    "[ceph]\nvolume_driver = cinder.volume.drivers.rbd.RBDDriver\nrbd_user = cinder\n"
    "rbd_keyring_conf = /etc/ceph/ceph.client.cinder.keyring\nrbd_secret_uuid = S3cr3t-uuid\n\n"
    "[database]\nconnection = mysql+pymysql://cinder:DB_S3cr3t@ctl/cinder\n"
)


def test_remove_sections_writes_once_atomically_keeping_mode(tmp_path):
    path = tmp_path / "cinder.conf"
    path.write_text(CINDER_CONF)
    path.chmod(0o640)
    inode = path.stat().st_ino
    predicted = oc.remove_sections(str(path), "volume_driver", keep=["lvm"], test=True)
    assert path.read_text() == CINDER_CONF and path.stat().st_ino == inode
    changes = oc.remove_sections(str(path), "volume_driver", keep=["lvm"])
    assert changes == predicted == {"sections": {"ceph": {"old": {
        "volume_driver": "cinder.volume.drivers.rbd.RBDDriver",
        "rbd_user": "cinder",
        "rbd_keyring_conf": "******",
        "rbd_secret_uuid": "******",
    }, "new": None}}}
    assert path.read_text() == CINDER_CONF.replace(
        "[ceph]\nvolume_driver = cinder.volume.drivers.rbd.RBDDriver\nrbd_user = cinder\n"
        "rbd_keyring_conf = /etc/ceph/ceph.client.cinder.keyring\nrbd_secret_uuid = S3cr3t-uuid\n\n",
        "",
    )
    st = path.stat()
    assert st.st_ino != inode and stat.S_IMODE(st.st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["cinder.conf"]
    mtime = st.st_mtime_ns
    assert oc.remove_sections(str(path), "volume_driver", keep=["lvm"]) == {}
    assert path.stat().st_mtime_ns == mtime


def test_remove_sections_on_a_missing_file_does_nothing(tmp_path):
    path = tmp_path / "cinder.conf"
    assert oc.remove_sections(str(path), "volume_driver", keep="lvm") == {}
    assert not path.exists()


def test_remove_sections_refuses_a_symlink(tmp_path, shadow):
    shadow.write_text("[x]\nvolume_driver = y\n")
    link = tmp_path / "cinder.conf"
    link.symlink_to(shadow)
    with pytest.raises(CommandExecutionError, match="symbolic link"):
        oc.remove_sections(str(link), "volume_driver")
    assert _unchanged(shadow, "[x]\nvolume_driver = y\n")


@pytest.mark.parametrize(
    "having, keep, message",
    [
        (None, None, "having must be an option name"),
        ("a=b", None, "invalid option name"),
        ("", None, "invalid option name"),
        ("volume_driver", {"lvm": True}, "keep must be a list of section names"),
    ],
)
def test_remove_sections_rejects_bad_arguments(tmp_path, having, keep, message):
    path = tmp_path / "cinder.conf"
    path.write_text(CINDER_CONF)
    with pytest.raises(CommandExecutionError, match=message):
        oc.remove_sections(str(path), having, keep=keep)
    assert path.read_text() == CINDER_CONF
