"""
Manage a GlusterFS trusted pool and its volumes.

Every call runs ``gluster --mode=script --xml ...`` and reads gluster's XML
answer; nothing is parsed from the human-readable output.  A failed gluster
operation raises :class:`salt.exceptions.CommandExecutionError` carrying
gluster's own error text (``opErrstr``, or what the CLI printed when it could
not produce XML, e.g. when glusterd is not running).

This module does not depend on Salt's core ``glusterfs`` module (removed in
Salt 3008).

Bricks are strings ``host:/absolute/path``; the host must be written the way
the volume knows it (the same name or address on every call), as gluster
itself does.

:depends: the ``gluster`` command line tool (Debian: glusterfs-server or
    glusterfs-cli) talking to a running glusterd.
"""
import logging
import posixpath

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

# The readers of gluster's XML answers (_utils/, shared with
# cluster/verify.py): synced to extmods/utils, which the loader puts on
# sys.path while it loads this module, or part of the pip-installed package.
try:
    import saltext_openstack_gluster as gx
except ImportError:
    from saltext_openstack._utils import saltext_openstack_gluster as gx

log = logging.getLogger(__name__)

__virtualname__ = "gluster"

# ``opErrno`` values of ``peer probe`` that mean "nothing was probed" (gluster's
# GF_PROBE_LOCALHOST and GF_PROBE_FRIEND); opRet is 0 for both.
_PROBE_LOCALHOST = 1
_PROBE_ALREADY_PEER = 2

_TRUE_WORDS = frozenset(("on", "yes", "true", "enable", "enabled"))
_FALSE_WORDS = frozenset(("off", "no", "false", "disable", "disabled"))


def __virtual__():
    if salt.utils.path.which("gluster"):
        return __virtualname__
    return (
        False,
        "the gluster module needs the gluster command line tool "
        "(install glusterfs-server)",
    )


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _gluster(*args):
    """
    Run ``gluster --mode=script --xml <args>`` and return the parsed
    ``<cliOutput>`` element.  Raise CommandExecutionError when gluster reports
    a failure.

    In XML mode gluster exits 0 even when the operation failed, so ``opRet``
    is what decides; when the CLI did not get as far as printing XML (bad
    syntax, glusterd unreachable) its text output is the error.
    """
    cmd = ["gluster", "--mode=script", "--xml"] + [str(arg) for arg in args]
    res = __salt__["cmd.run_all"](cmd, python_shell=False, ignore_retcode=True)
    try:
        return gx.answer(res.get("stdout"), res.get("stderr"))
    except gx.GlusterError as exc:
        if exc.xml:
            raise CommandExecutionError(
                "gluster {} failed: {}".format(" ".join(cmd[3:]), exc)
            ) from None
        raise CommandExecutionError(
            "gluster {} failed (exit code {}): {}".format(
                " ".join(cmd[3:]), res.get("retcode"), exc
            )
        ) from None


def _gluster_forced(*args, force=False):
    """Run gluster ``args``, ending with gluster's ``force`` when ``force``; True."""
    _gluster(*args, *(["force"] if force else []))
    return True


def split_brick(brick):
    """
    Split a brick ``host:/path`` into ``(host, path)``, with the path
    normalised the way gluster stores it (no trailing slash, no ``//``).
    Raise SaltInvocationError for anything else.

    CLI Example::

        salt '*' gluster.split_brick node1:/srv/gluster/brick
    """
    if not isinstance(brick, str):
        raise SaltInvocationError(
            "a brick must be a string host:/path, not {!r}".format(brick)
        )
    host, sep, path = brick.strip().partition(":/")
    if not sep or not host or any(char.isspace() for char in host + path):
        raise SaltInvocationError(
            "invalid brick {!r}: expected host:/absolute/path".format(brick)
        )
    path = posixpath.normpath("/" + path)
    if path == "/" or path.startswith("//"):
        raise SaltInvocationError(
            "invalid brick {!r}: the brick path must be a directory below /".format(
                brick
            )
        )
    return host, path


def normalize_brick(brick):
    """
    Return a brick in the form gluster reports it (``host:/path`` with a
    normalised path).

    CLI Example::

        salt '*' gluster.normalize_brick node1:/srv/gluster/brick/
    """
    return "{}:{}".format(*split_brick(brick))


def _brick_list(bricks):
    if isinstance(bricks, str):
        bricks = [bricks]
    if not bricks:
        raise SaltInvocationError("at least one brick is required")
    normalized = [normalize_brick(brick) for brick in bricks]
    seen = set()
    for brick in normalized:
        if brick in seen:
            raise SaltInvocationError("brick {} is listed twice".format(brick))
        seen.add(brick)
    return normalized


def _count(value, what, minimum):
    number = gx.integer(value)
    if number is None or isinstance(value, bool) or number < minimum:
        raise SaltInvocationError(
            "{} must be an integer >= {}, not {!r}".format(what, minimum, value)
        )
    return number


def option_value(value):
    """
    Return the string gluster expects for an option value: Python booleans
    (YAML ``on``/``off``/``true``) become ``on``/``off``, everything else its
    string form.

    CLI Example::

        salt '*' gluster.option_value True
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value).strip()


def option_values_equal(current, wanted):
    """
    Tell whether a volume option's current value equals the wanted one,
    treating gluster's boolean spellings (on/yes/true/enable and
    off/no/false/disable) as equal.

    CLI Example::

        salt '*' gluster.option_values_equal enable on
    """
    if current is None:
        return False
    current = option_value(current).lower()
    wanted = option_value(wanted).lower()
    if current == wanted:
        return True
    for words in (_TRUE_WORDS, _FALSE_WORDS):
        if current in words and wanted in words:
            return True
    return False


# ---------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------


def peer_status():
    """
    Return the peers of this glusterd (this host itself excluded), as a dict
    keyed by peer UUID::

        {"<uuid>": {"uuid": "<uuid>", "hostname": "node2",
                    "hostnames": ["node2", "10.0.0.2"],
                    "connected": True, "state": "Peer in Cluster"}}

    CLI Example::

        salt '*' gluster.peer_status
    """
    return gx.read_peers(_gluster("peer", "status"))


def peer_probe(host):
    """
    Probe ``host`` into this glusterd's trusted pool.

    Returns a dict: ``probed`` is True when a new peer was probed and False
    when gluster had nothing to do (``host`` is this host, or already a
    peer); ``message`` is gluster's own answer.

    CLI Example::

        salt '*' gluster.peer_probe node2
    """
    if not host or not isinstance(host, str):
        raise SaltInvocationError("peer_probe needs a host name or address")
    root = _gluster("peer", "probe", host)
    errno = gx.integer(gx.text(root, "opErrno"), 0)
    return {
        "host": host,
        "probed": errno not in (_PROBE_LOCALHOST, _PROBE_ALREADY_PEER),
        "message": gx.text(root, "output", ""),
    }


# ---------------------------------------------------------------------------
# Volumes
# ---------------------------------------------------------------------------


def volume_info(name=None):
    """
    Return the volumes (or only volume ``name``) as a dict keyed by volume
    name.  A volume that does not exist is simply absent (``{}``).

    Per volume: ``name``, ``id``, ``status`` (``started`` or ``stopped``;
    ``status_str`` keeps gluster's created/started/stopped), ``type``
    (gluster's type string, e.g. ``Replicate``), ``replica`` (replica count,
    1 for plain distribute), ``arbiter``, ``disperse``, ``brick_count``,
    ``subvolumes`` (number of replica sets), ``bricks`` (``host:/path`` in
    volume order) and ``options`` (the options set on the volume, name ->
    value).

    CLI Example::

        salt '*' gluster.volume_info
        salt '*' gluster.volume_info nova-instances
    """
    # "volume info <name>" fails for a missing volume; listing all volumes and
    # filtering answers "absent" without interpreting error codes.
    volumes = gx.read_volumes(_gluster("volume", "info"))
    if name is None:
        return volumes
    return {name: volumes[name]} if name in volumes else {}


def volume_status(name):
    """
    Return the processes of started volume ``name``::

        {"bricks": [{"brick": "host:/path", "online": True, "port": 49152,
                     "pid": 1234, "peer_uuid": "..."}, ...],
         "daemons": [{"name": "Self-heal Daemon", "host": "node1",
                      "online": True, "pid": 1250, "peer_uuid": "..."}, ...]}

    CLI Example::

        salt '*' gluster.volume_status nova-instances
    """
    status = gx.read_volume_status(_gluster("volume", "status", name))
    if name not in status:
        raise CommandExecutionError("gluster reported no status for volume " + name)
    return status[name]


def volume_heal_info(name):
    """
    Return the self-heal backlog of replicated volume ``name``: one dict per
    brick, in volume order, with ``brick``, ``status`` (gluster's text),
    ``connected`` and ``entries`` (entries waiting to be healed; None when
    the brick cannot be reached).  All entries 0 and all bricks connected
    means the replicas are in sync.

    CLI Example::

        salt '*' gluster.volume_heal_info nova-instances
    """
    return gx.read_heal_info(_gluster("volume", "heal", name, "info"))


def _layout_args(replica, arbiter):
    args = []
    if replica is not None:
        replica = _count(replica, "replica", 1)
    if arbiter:
        arbiter = _count(arbiter, "arbiter", 1)
        if replica is None or replica < 3:
            raise SaltInvocationError("an arbiter needs replica 3")
    if replica is not None and (replica > 1 or arbiter):
        args += ["replica", replica]
        if arbiter:
            args += ["arbiter", arbiter]
    return replica, args


def volume_create(name, bricks, replica=None, force=False, arbiter=None):
    """
    Create volume ``name`` from ``bricks`` (list of ``host:/path``).  The
    volume is created stopped (see volume_start).

    replica
        Replica count; the number of bricks must be a multiple of it (a
        multiple > 1 gives a distributed-replicated volume).  None or 1:
        plain distribute.

    force
        Pass gluster's ``force`` (needed e.g. for bricks on the root
        filesystem).

    arbiter
        Arbiter count (1, with replica 3): the last brick of every set holds
        metadata only.

    CLI Example::

        salt '*' gluster.volume_create vol1 '["n1:/srv/b", "n2:/srv/b"]' replica=2 force=True
    """
    bricks = _brick_list(bricks)
    replica, layout = _layout_args(replica, arbiter)
    if replica is not None:
        if replica > len(bricks):
            raise SaltInvocationError(
                "replica {} is larger than the number of bricks ({})".format(
                    replica, len(bricks)
                )
            )
        if len(bricks) % replica:
            raise SaltInvocationError(
                "the number of bricks ({}) is not a multiple of replica {}".format(
                    len(bricks), replica
                )
            )
    return _gluster_forced("volume", "create", name, *layout, *bricks, force=force)


def volume_start(name, force=False):
    """
    Start volume ``name`` (``force`` also restarts bricks that are down on a
    started volume).

    CLI Example::

        salt '*' gluster.volume_start nova-instances
    """
    return _gluster_forced("volume", "start", name, force=force)


def volume_stop(name, force=False):
    """
    Stop volume ``name``; its data stays on the bricks.

    CLI Example::

        salt '*' gluster.volume_stop nova-instances
    """
    return _gluster_forced("volume", "stop", name, force=force)


def volume_set(name, option, value):
    """
    Set ``option`` of volume ``name`` to ``value`` (booleans become on/off).

    CLI Example::

        salt '*' gluster.volume_set nova-instances network.ping-timeout 10
    """
    if not option:
        raise SaltInvocationError("volume_set needs an option name")
    _gluster("volume", "set", name, option, option_value(value))
    return True


def add_bricks(name, bricks, replica=None, force=False, arbiter=None):
    """
    Add ``bricks`` to volume ``name``.

    Without ``replica`` (or with the volume's current replica count) the
    number of bricks must be a multiple of the replica count: they form new
    replica sets.  With a higher ``replica`` the bricks raise the replica
    count of every existing set (one new brick per set, e.g. replica 2 -> 3
    with one brick on a 1 x 2 volume).

    CLI Example::

        salt '*' gluster.add_bricks nova-instances '["n3:/srv/b"]' replica=3 force=True
    """
    bricks = _brick_list(bricks)
    _replica, layout = _layout_args(replica, arbiter)
    return _gluster_forced("volume", "add-brick", name, *layout, *bricks, force=force)


def remove_bricks(name, bricks, replica=None, force=True):
    """
    Remove ``bricks`` from volume ``name`` with gluster's ``force`` form
    (``volume remove-brick NAME [replica N] BRICK... force``): the bricks
    leave at once and no data is migrated off them.

    It is meant for lowering the replica count: with ``replica`` (lower than
    the volume's) one brick per replica set goes and the data stays on the
    other bricks of each set.  On a plain distribute volume (or without
    ``replica``, whole replica sets) the files of the removed bricks are no
    longer part of the volume.

    force
        Must be True: the migrating ``start``/``commit`` form is not offered
        here.

    CLI Example::

        salt '*' gluster.remove_bricks nova-instances '["n3:/srv/b"]' replica=2
    """
    if force is not True:
        raise SaltInvocationError(
            "remove_bricks only runs gluster's remove-brick ... force (no data "
            "migration); the start/commit form is not supported"
        )
    bricks = _brick_list(bricks)
    args = ["volume", "remove-brick", name]
    if replica is not None:
        args += ["replica", _count(replica, "replica", 1)]
    args += bricks + ["force"]
    _gluster(*args)
    return True


def replace_brick(name, old, new):
    """
    Replace brick ``old`` of volume ``name`` by ``new`` (``volume
    replace-brick NAME OLD NEW commit force``).  ``new`` starts empty; on a
    replicated volume self-heal then copies the data from the other bricks
    of its replica set.  ``old`` may be on a host that is down; ``new``
    must be on this host or a connected peer.

    CLI Example::

        salt '*' gluster.replace_brick nova-instances n2:/srv/b n4:/srv/b
    """
    old = normalize_brick(old)
    new = normalize_brick(new)
    if old == new:
        raise SaltInvocationError(
            "replace_brick needs two different bricks, got {} twice".format(old)
        )
    _gluster("volume", "replace-brick", name, old, new, "commit", "force")
    return True


def peer_detach(host, force=False):
    """
    Remove ``host`` from this glusterd's trusted pool.  gluster refuses while
    the host holds bricks of a volume.  ``force`` detaches a peer that is
    down (its glusterd cannot be told).

    CLI Example::

        salt '*' gluster.peer_detach node3
        salt '*' gluster.peer_detach node3 force=True
    """
    if not host or not isinstance(host, str):
        raise SaltInvocationError("peer_detach needs a host name or address")
    return _gluster_forced("peer", "detach", host, force=force)
