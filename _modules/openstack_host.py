"""
Host facts the formulas share through Salt's mine.

The computes' ``nova`` users trust each other for live migration over SSH:
each compute publishes its nova public key and its SSH host keys with
``openstack_host.nova_ssh_keys`` (a mine function set in pillar), and the
``nova.migration`` state writes ``authorized_keys`` and ``known_hosts`` from
the mine.
"""
import glob
import os
import pwd

__virtualname__ = "openstack_host"

HOST_KEY_GLOB = "/etc/ssh/ssh_host_*_key.pub"


def __virtual__():
    return __virtualname__


def _read_key(path):
    try:
        with open(path, encoding="utf-8") as handle:
            fields = handle.read().split()
    except OSError:
        return None
    # "type base64 [comment]": the comment is not part of the key.
    return " ".join(fields[:2]) if len(fields) >= 2 else None


def nova_ssh_keys(user="nova", host_key_glob=HOST_KEY_GLOB):
    """
    Return the public SSH key of ``user`` (``~/.ssh/id_ed25519.pub``; None
    when it has none yet) and this host's SSH host public keys.

    CLI Example::

        salt 'compute*' openstack_host.nova_ssh_keys
    """
    try:
        home = pwd.getpwnam(user).pw_dir
    except KeyError:
        home = None
    user_key = _read_key(os.path.join(home, ".ssh", "id_ed25519.pub")) if home else None
    host_keys = [key for key in map(_read_key, sorted(glob.glob(host_key_glob))) if key]
    return {"user_key": user_key, "host_keys": host_keys}
