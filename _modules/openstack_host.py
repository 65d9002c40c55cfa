"""
Host facts the formulas share through Salt's mine.

The computes' ``nova`` users trust each other for live migration over SSH:
each compute publishes its nova public key and its SSH host keys with
``openstack_host.nova_ssh_keys`` (a mine function set in pillar), and the
``nova.migration`` state writes ``authorized_keys`` and ``known_hosts`` from
the mine.

What is published goes to every compute's ``authorized_keys``: the user's
key is read as root but never through a link.  ``~/.ssh`` and the key file
are opened without following symbolic links, the file must be a regular
file owned by the user, and its content must look like one public key;
otherwise the user key is None and the reason is logged.  A nova user that
links ``id_ed25519.pub`` to ``/etc/shadow`` publishes nothing.
"""
import errno
import glob
import logging
import os
import pwd
import re
import stat

__virtualname__ = "openstack_host"

HOST_KEY_GLOB = "/etc/ssh/ssh_host_*_key.pub"


def __virtual__():
    return __virtualname__


log = logging.getLogger(__name__)

# "type base64 [comment]" on one line; a public key file is small.
_PUBLIC_KEY = re.compile(r"(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}")
_MAX_KEY_SIZE = 16384
_NOFOLLOW = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _parse_key(text):
    lines = text.strip().splitlines()
    if len(lines) != 1:
        return None
    # "type base64 [comment]": the comment is not part of the key.
    key = " ".join(lines[0].split()[:2])
    return key if _PUBLIC_KEY.fullmatch(key) else None


def _read_key(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return _parse_key(handle.read(_MAX_KEY_SIZE))
    except (OSError, UnicodeDecodeError):
        return None


def _read_user_key(home, uid):
    """
    ``home/.ssh/id_ed25519.pub`` without following a link the user could
    have placed: ``.ssh`` and the file are opened with O_NOFOLLOW, and the
    file must be a regular file owned by ``uid`` with a single link.
    """
    path = os.path.join(home, ".ssh", "id_ed25519.pub")
    ssh_fd = fd = None
    try:
        ssh_fd = os.open(os.path.join(home, ".ssh"), _NOFOLLOW | os.O_DIRECTORY)
        fd = os.open("id_ed25519.pub", _NOFOLLOW, dir_fd=ssh_fd)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != uid or info.st_nlink != 1:
            log.warning(
                "openstack_host: %s is not a regular file of uid %s with one link: not published",
                path,
                uid,
            )
            return None
        key = _parse_key(os.read(fd, _MAX_KEY_SIZE).decode("utf-8", "replace"))
        if key is None:
            log.warning("openstack_host: %s is not one SSH public key: not published", path)
        return key
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            log.warning("openstack_host: %s: a symbolic link on the way: not published", path)
        return None
    finally:
        for handle in (fd, ssh_fd):
            if handle is not None:
                os.close(handle)


def nova_ssh_keys(user="nova", host_key_glob=HOST_KEY_GLOB):
    """
    Return the public SSH key of ``user`` (``~/.ssh/id_ed25519.pub``; None
    when it has none yet, or when the file is a link, not owned by the user
    or not a public key) and this host's SSH host public keys.

    CLI Example::

        salt 'compute*' openstack_host.nova_ssh_keys
    """
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        entry = None
    user_key = _read_user_key(entry.pw_dir, entry.pw_uid) if entry else None
    host_keys = [key for key in map(_read_key, sorted(glob.glob(host_key_glob))) if key]
    return {"user_key": user_key, "host_keys": host_keys}
