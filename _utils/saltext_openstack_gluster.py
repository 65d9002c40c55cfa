"""
Reading gluster's ``--xml`` answers, for the ``gluster`` execution module
and for cluster/verify.py (cluster/verifylib/parse.py): the ``<cliOutput>``
root and its ``opRet``/``opErrstr`` (a failure is a :class:`GlusterError`,
which each caller turns into its own error), and the readers of
``peer status``, ``volume info``, ``volume status`` and ``volume heal VOL
info``.  Pure functions of the text gluster printed.

Standard library only, and no Salt import: cluster/verify.py runs on the
test cluster's controller with the system ``python3`` (no Salt there),
from ``/vagrant/cluster/verify.py``, and finds this file in
``/vagrant/_utils`` (verify.py puts it on ``sys.path``).

Not a Salt loader module: the module imports it directly, synced
(``extmods/utils``) or pip-installed (``saltext_openstack._utils``), as it
imports the other shared files (README, "Shared code").
"""
import xml.etree.ElementTree as ET


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_gluster is imported by the gluster module directly")


class GlusterError(Exception):
    """
    gluster reported a failure; the text is gluster's own message.  ``xml``
    is False when gluster printed no XML answer at all (bad syntax,
    glusterd unreachable): the text is then what it printed instead.
    """

    def __init__(self, message, xml=True):
        super().__init__(message)
        self.xml = xml


def parse_xml(text):
    """Return the ``<cliOutput>`` root of gluster's XML answer, or None."""
    text = (text or "").strip()
    if not text.startswith("<"):
        return None
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    if root.tag != "cliOutput":
        return None
    return root


def answer(stdout, stderr=""):
    """
    The ``<cliOutput>`` root of a successful answer.  Raise GlusterError
    when there is no XML answer, or when its ``opRet`` is not 0: in XML mode
    gluster exits 0 even when the operation failed, so ``opRet`` decides.
    The message is ``opErrstr``, else ``output``, else ``stderr``.
    """
    stdout = (stdout or "").strip()
    stderr = (stderr or "").strip()
    root = parse_xml(stdout)
    if root is None:
        raise GlusterError(stderr or stdout or "no output", xml=False)
    op_ret = integer(root.findtext("opRet"), default=-1)
    if op_ret != 0:
        raise GlusterError(
            (root.findtext("opErrstr") or "").strip()
            or (root.findtext("output") or "").strip()
            or stderr
            or "opRet {}, opErrno {}".format(op_ret, root.findtext("opErrno"))
        )
    return root


def integer(text, default=None):
    """``int(text)``, or ``default`` for None and words (gluster's ``N/A``, ``-``)."""
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def text(element, tag, default=None):
    """The stripped text of ``element``'s child ``tag``, or ``default`` without one."""
    value = element.findtext(tag)
    if value is None:
        return default
    return value.strip()


def read_peers(root):
    """``peer status``: {uuid: {uuid, hostname, hostnames, connected, state}}."""
    peers = {}
    for peer in root.iter("peer"):
        uuid = text(peer, "uuid")
        hostname = text(peer, "hostname")
        hostnames = [
            (name.text or "").strip()
            for name in peer.findall("hostnames/hostname")
            if (name.text or "").strip()
        ]
        if hostname and hostname not in hostnames:
            hostnames.insert(0, hostname)
        peers[uuid] = {
            "uuid": uuid,
            "hostname": hostname,
            "hostnames": hostnames,
            "connected": text(peer, "connected") == "1",
            "state": text(peer, "stateStr"),
        }
    return peers


def read_volumes(root):
    """``volume info``: {name: {name, id, status, status_str, type, replica,
    arbiter, disperse, brick_count, subvolumes, bricks, options}}."""
    volumes = {}
    for vol in root.iter("volume"):
        name = text(vol, "name")
        if name is None:
            continue
        bricks = []
        for brick in vol.findall("bricks/brick"):
            # <brick uuid="...">host:/path<name>host:/path</name>...</brick>
            brick_name = text(brick, "name") or (brick.text or "").strip()
            bricks.append(brick_name)
        options = {}
        for option in vol.findall("options/option"):
            options[text(option, "name")] = text(option, "value", "")
        status_str = text(vol, "statusStr", "")
        brick_count = integer(text(vol, "brickCount"), len(bricks))
        replica = integer(text(vol, "replicaCount"), 1) or 1
        volumes[name] = {
            "name": name,
            "id": text(vol, "id"),
            "status": "started" if text(vol, "status") == "1" else "stopped",
            "status_str": status_str.lower(),
            "type": text(vol, "typeStr"),
            "replica": replica,
            "arbiter": integer(text(vol, "arbiterCount"), 0),
            "disperse": integer(text(vol, "disperseCount"), 0),
            "brick_count": brick_count,
            # number of replica sets (distribute subvolumes)
            "subvolumes": max(brick_count // replica, 1) if brick_count else 0,
            "bricks": bricks,
            "options": options,
        }
    return volumes


def read_volume_status(root):
    """``volume status [VOL]``: {volume: {"bricks": [{brick, peer_uuid, online,
    port, pid}], "daemons": [{name, host, peer_uuid, online, pid}]}}."""
    status = {}
    for vol in root.iter("volume"):
        name = text(vol, "volName")
        bricks = []
        daemons = []
        for node in vol.findall("node"):
            online = text(node, "status") == "1"
            port = integer(text(node, "port"))
            pid = integer(text(node, "pid"))
            path = text(node, "path", "")
            if path.startswith("/"):
                bricks.append(
                    {
                        "brick": "{}:{}".format(text(node, "hostname"), path),
                        "peer_uuid": text(node, "peerid"),
                        "online": online,
                        "port": port,
                        "pid": pid,
                    }
                )
            else:
                # daemons: <hostname> is the daemon's name, <path> its host
                daemons.append(
                    {
                        "name": text(node, "hostname"),
                        "host": path,
                        "peer_uuid": text(node, "peerid"),
                        "online": online,
                        "pid": pid,
                    }
                )
        status[name] = {"bricks": bricks, "daemons": daemons}
    return status


def read_heal_info(root):
    """``volume heal VOL info``: [{brick, status, connected, entries}] in volume
    order; entries is None when gluster could not count (brick down: ``-``)."""
    bricks = []
    for brick in root.findall("healInfo/bricks/brick"):
        status = text(brick, "status", "")
        bricks.append(
            {
                "brick": text(brick, "name"),
                "status": status,
                "connected": status.lower() == "connected",
                # "-" when the brick cannot be reached
                "entries": integer(text(brick, "numberOfEntries")),
            }
        )
    return bricks
