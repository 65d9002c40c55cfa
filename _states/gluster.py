"""
GlusterFS trusted pool and volumes, idempotently.

.. code-block:: yaml

    node2:
      gluster.peered: []

    nova-instances:
      gluster.volume_present:
        - bricks:
          - node1:/srv/gluster/nova-instances
          - node2:/srv/gluster/nova-instances
        - replica: 2
        - force: true
        - options:
            network.ping-timeout: "10"

``volume_present`` never removes bricks, never lowers a replica count and
never stops or deletes a volume: those lose data or redundancy.  When the
volume holds bricks that are not in ``bricks`` they are kept, the state
still succeeds (result True) and the comment says which bricks were left
alone.

``host_retired`` is the explicit, checked way to take a host out of a
volume and of the pool (a compute retired or replaced): its bricks move to
a spare host or the replica count is lowered, and it refuses, changing
nothing, whenever that would lose the only copy of some data.

.. code-block:: yaml

    nova-instances:
      gluster.host_retired:
        - host: node3
        - spares:
          - node4

Uses the project's ``gluster`` execution module only (not Salt's core
``glusterfs`` module, removed in Salt 3008).
"""
import ipaddress
import logging
import re
import socket
import time

import salt.utils.network
from salt.exceptions import CommandExecutionError, SaltInvocationError

# What the extension's states share (their first return, their ends, a missing program),
# and the pure planners of these states (_utils/, imported as saltext_openstack_schema is).
try:
    import saltext_openstack_gluster_plan as glplan
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_gluster_plan as glplan
    from saltext_openstack._utils import saltext_openstack_state as state_utils

log = logging.getLogger(__name__)

__virtualname__ = "gluster"
# The states' return when the execution module is not loaded (its program is
# missing: a new host in a dry run, before the package is installed).
_unavailable = state_utils.unavailable_in(
    globals(), "gluster.peer_status", "the gluster command (package glusterfs-server)")

# How long peered waits for a freshly probed peer to become connected.
PEER_CONNECT_TIMEOUT = 30
# How long host_retired waits for the leaving host's replica sets to be in
# sync (heal info clean), asking every HEAL_SYNC_INTERVAL seconds.
HEAL_SYNC_TIMEOUT = 120
HEAL_SYNC_INTERVAL = 5


def __virtual__():
    return __virtualname__  # also without the program: each state says so (_unavailable)


def _addresses(host):
    """The IP addresses ``host`` resolves to (empty when it does not)."""
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError, OSError):
        return set()


def _is_local(host):
    """True when ``host`` names this machine (a local or loopback address)."""
    if host.lower() in ("localhost", socket.gethostname().lower()):
        return True
    local = set(salt.utils.network.ip_addrs(include_loopback=True))
    local |= set(salt.utils.network.ip_addrs6(include_loopback=True))
    for address in _addresses(host):
        address = address.split("%", 1)[0]
        try:
            if ipaddress.ip_address(address).is_loopback:
                return True
        except ValueError:
            continue
        if address in local:
            return True
    return False


# gluster's errors when glusterd is not running (yet).
_NOT_RUNNING = re.compile(r"Connection failed|daemon is operational|glusterd.socket")


def _not_running_in_test(ret, exc, would):
    """
    In test mode, before the run that installs and starts glusterd, nothing
    can be asked: report ``would`` with result None instead of failing.
    """
    if __opts__["test"] and _NOT_RUNNING.search(str(exc)):
        ret["result"] = None
        ret["comment"] = "{} once glusterd runs ({})".format(would, str(exc).splitlines()[0])
        return True
    return False


def _find_peer(peers, host):
    """
    The peer (from gluster.peer_status) known as ``host``: by one of its
    names first, else by a shared address.
    """
    wanted = host.lower()
    for peer in peers.values():
        if wanted in (name.lower() for name in peer["hostnames"]):
            return peer
    addresses = _addresses(host)
    if addresses:
        for peer in peers.values():
            for name in peer["hostnames"]:
                if addresses & _addresses(name):
                    return peer
    return None


def peered(name):
    """
    Make host ``name`` a connected peer of this host's glusterd pool.

    Nothing changes when ``name`` is this host or already a connected peer.
    A peer that is known but disconnected fails the state (its glusterd is
    down or unreachable; probing again would not help).

    name
        Host name or address of the peer, as the other hosts will know it.
    """
    missing = _unavailable(name, "probe peer " + str(name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    if _is_local(name):
        ret["comment"] = "{} is this host: nothing to probe".format(name)
        return ret
    try:
        peer = _find_peer(__salt__["gluster.peer_status"](), name)
    except CommandExecutionError as exc:
        if _not_running_in_test(ret, exc, "{} would be probed".format(name)):
            ret["changes"] = {"probed": name}
            return ret
        return state_utils.failed(ret, exc)
    if peer is not None:
        if peer["connected"]:
            ret["comment"] = "{} is already a connected peer ({})".format(
                name, peer["state"]
            )
        else:
            ret["result"] = False
            ret["comment"] = (
                "{} is in the pool but not connected (state: {}): is its "
                "glusterd running and reachable?".format(name, peer["state"])
            )
        return ret

    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = {"probed": name}
        ret["comment"] = "{} would be probed".format(name)
        return ret

    try:
        probe = __salt__["gluster.peer_probe"](name)
    except CommandExecutionError as exc:
        return state_utils.failed(ret, exc)
    if not probe["probed"]:
        ret["comment"] = "Nothing to probe: {}".format(probe["message"])
        return ret

    ret["changes"] = {"probed": name}
    try:
        peer = _wait_connected(name)
    except CommandExecutionError as exc:
        ret["result"] = False
        ret["comment"] = "Probed {}, then: {}".format(name, exc)
        return ret
    if peer is None:
        ret["result"] = False
        ret["comment"] = (
            "Probed {} but it did not become a connected peer within {} "
            "seconds".format(name, PEER_CONNECT_TIMEOUT)
        )
    else:
        ret["changes"]["uuid"] = peer["uuid"]
        ret["comment"] = "Probed {}: {}".format(name, peer["state"])
    return ret


def _wait_connected(host):
    deadline = time.monotonic() + PEER_CONNECT_TIMEOUT
    while True:
        peer = _find_peer(__salt__["gluster.peer_status"](), host)
        if peer and peer["connected"] and peer["state"] == "Peer in Cluster":
            return peer
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)


def _check_hosts(bricks, peers):
    """Hosts of ``bricks`` that are neither this host nor connected peers."""
    bad = []
    for brick in bricks:
        host = __salt__["gluster.split_brick"](brick)[0]
        if host in bad or _is_local(host):
            continue
        peer = _find_peer(peers, host)
        if peer is None or not peer["connected"]:
            bad.append(host)
    return bad


def _probed_later_in_test(bad, peers):
    """
    Whether, in test mode, the bad brick hosts are only not probed yet: none
    is in the pool at all, so the gluster.peered states of the same run only
    said they would probe them (and on a new deployment the names resolve
    only once common.hosts has written /etc/hosts).  A known but
    disconnected peer fails in test mode too.
    """
    return bool(__opts__["test"]) and not any(_find_peer(peers, host) for host in bad)


def _option_changes(current, wanted):
    """
    Options of ``wanted`` whose value differs from ``current`` (the options
    set on the volume), as {option: {"old": ..., "new": ...}}.  A short name
    (``ping-timeout``) matches the full name gluster reports
    (``network.ping-timeout``).
    """
    changes = {}
    for option, value in wanted.items():
        old = current.get(option)
        if old is None and "." not in option:
            matches = [key for key in current if key.endswith("." + option)]
            if len(matches) == 1:
                old = current[matches[0]]
        if not __salt__["gluster.option_values_equal"](old, value):
            changes[option] = {
                "old": old,
                "new": __salt__["gluster.option_value"](value),
            }
    return changes


def volume_present(
    name,
    bricks,
    replica=None,
    force=False,
    start=True,
    options=None,
    arbiter=None,
):
    """
    Make sure GlusterFS volume ``name`` exists with ``bricks``, is started and
    has ``options``.

    bricks
        List of ``host:/path``; every host must be this host or a connected
        peer (see gluster.peered).  The brick directories' parent must
        exist.  On an existing volume, bricks not yet in it are added (see
        replica); bricks in the volume but not in this list are kept and
        reported in the comment.

    replica
        Replica count (None or 1: plain distribute).  Must not exceed the
        number of bricks.  On an existing volume: when it is higher than the
        volume's, the new bricks raise the replica count (e.g. 2 -> 3 with
        one more brick per set); otherwise new bricks must come in whole
        replica sets and are added as new distribute subvolumes.

    force
        Pass gluster's ``force`` to create and add-brick (bricks on the root
        filesystem need it).

    start
        Start the volume if it is not started (a started volume is never
        stopped).

    options
        Dict of volume options; only those whose value differs from the
        value set on the volume are set.

    arbiter
        Arbiter count (1, with replica 3), used when creating the volume or
        raising its replica count.
    """
    missing = _unavailable(name, "set up volume " + str(name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    options = options or {}
    try:
        if isinstance(bricks, str):
            bricks = [bricks]
        wanted = [__salt__["gluster.normalize_brick"](b) for b in bricks or []]
        glplan.validate(wanted, replica, arbiter, options)
        replica = int(replica) if replica is not None else None
        info = __salt__["gluster.volume_info"](name).get(name)
        peers = None
        if info is None:
            peers = __salt__["gluster.peer_status"]()
    except (CommandExecutionError, SaltInvocationError) as exc:
        if isinstance(exc, CommandExecutionError) and _not_running_in_test(
            ret, exc, "volume {} would be created or checked".format(name)
        ):
            ret["changes"] = {"created": {"bricks": wanted, "replica": replica or 1}}
            return ret
        return state_utils.failed(ret, exc)

    if info is None:
        return _create(ret, wanted, replica, force, start, options, arbiter, peers)
    return _update(ret, info, wanted, replica, force, start, options, arbiter)


def _create(ret, bricks, replica, force, start, options, arbiter, peers):
    name = ret["name"]
    if replica and len(bricks) % replica:
        ret["result"] = False
        ret["comment"] = (
            "the number of bricks ({}) is not a multiple of replica {}".format(
                len(bricks), replica
            )
        )
        return ret
    bad = _check_hosts(bricks, peers)
    if bad and _probed_later_in_test(bad, peers):
        ret["result"] = None
        ret["changes"] = {"created": {"bricks": bricks, "replica": replica or 1}}
        ret["comment"] = (
            "Volume {} would be created once {} are connected peers (not yet "
            "in this host's pool)".format(name, ", ".join(bad))
        )
        return ret
    if bad:
        ret["result"] = False
        ret["comment"] = (
            "cannot create volume {}: brick host(s) {} are not connected peers "
            "of this host's gluster pool (probe them first with "
            "gluster.peered)".format(name, ", ".join(bad))
        )
        return ret

    changes = {"created": {"bricks": bricks, "replica": replica or 1}}
    if arbiter:
        changes["created"]["arbiter"] = arbiter
    if start:
        changes["started"] = True
    if options:
        changes["options"] = _option_changes({}, options)

    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = changes
        ret["comment"] = "Volume {} would be created{}".format(
            name, " and started" if start else ""
        )
        return ret

    steps = [
        (
            "created",
            lambda: __salt__["gluster.volume_create"](
                name, bricks, replica=replica, force=force, arbiter=arbiter
            ),
        )
    ]
    if start:
        steps.append(("started", lambda: __salt__["gluster.volume_start"](name)))
    return _apply(ret, changes, steps, options)


def _update(ret, info, bricks, replica, force, start, options, arbiter):
    name = ret["name"]
    warnings = []
    changes = {}
    steps = []

    extra = [b for b in info["bricks"] if b not in bricks]
    if extra:
        warnings.append(
            "volume {} also has brick(s) {} which are not in the bricks list; "
            "they were left in place (this state never removes "
            "bricks)".format(name, ", ".join(extra))
        )

    new_bricks = [b for b in bricks if b not in info["bricks"]]
    try:
        if new_bricks:
            add_replica = glplan.plan_add_bricks(info, new_bricks, replica)
            peers = __salt__["gluster.peer_status"]()
            bad = _check_hosts(new_bricks, peers)
            if bad and _probed_later_in_test(bad, peers):
                warnings.append(
                    "bricks would be added once {} are connected peers (not yet in this "
                    "host's pool)".format(", ".join(bad))
                )
            elif bad:
                raise SaltInvocationError(
                    "cannot add bricks to volume {}: brick host(s) {} are not "
                    "connected peers of this host's gluster pool (probe them "
                    "first with gluster.peered)".format(name, ", ".join(bad))
                )
            changes["bricks_added"] = new_bricks
            if add_replica:
                changes["replica"] = {"old": info["replica"], "new": add_replica}
            add_arbiter = arbiter if add_replica and not info["arbiter"] else None
            steps.append(
                (
                    "bricks_added",
                    lambda: __salt__["gluster.add_bricks"](
                        name,
                        new_bricks,
                        replica=add_replica,
                        force=force,
                        arbiter=add_arbiter,
                    ),
                )
            )
        elif replica is not None and replica > info["replica"]:
            raise SaltInvocationError(
                "volume {} has replica {}; raising it to {} needs new bricks "
                "in the bricks list".format(name, info["replica"], replica)
            )
        elif replica is not None and replica < info["replica"]:
            warnings.append(
                "volume {} has replica {}, more than the requested {}; left "
                "as is (this state never lowers the replica count)".format(
                    name, info["replica"], replica
                )
            )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return state_utils.failed(ret, exc)

    if start and info["status"] != "started":
        changes["started"] = True
        steps.append(("started", lambda: __salt__["gluster.volume_start"](name)))

    option_changes = _option_changes(info["options"], options)
    if option_changes:
        changes["options"] = option_changes

    if not changes:
        ret["comment"] = "\n".join(
            ["Volume {} is in the desired state".format(name)] + warnings
        )
        return ret

    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = changes
        ret["comment"] = "\n".join(
            ["Volume {} would be updated: {}".format(name, ", ".join(sorted(changes)))]
            + warnings
        )
        return ret

    ret = _apply(ret, changes, steps, {k: options[k] for k in option_changes})
    if warnings:
        ret["comment"] = "\n".join([ret["comment"]] + warnings)
    return ret


def _apply(ret, changes, steps, options):
    """
    Run ``steps`` (key, callable) then set ``options``; record in
    ret["changes"] only what was done, and stop at the first failure.
    """
    name = ret["name"]
    try:
        for key, step in steps:
            step()
            ret["changes"][key] = changes[key]
            if key == "bricks_added" and "replica" in changes:
                ret["changes"]["replica"] = changes["replica"]
        for option, value in options.items():
            __salt__["gluster.volume_set"](name, option, value)
            ret["changes"].setdefault("options", {})[option] = changes["options"][
                option
            ]
    except (CommandExecutionError, SaltInvocationError) as exc:
        return state_utils.failed(ret, exc)
    ret["comment"] = "Volume {}: {}".format(name, ", ".join(sorted(ret["changes"])))
    return ret


# ---------------------------------------------------------------------------
# Retiring a host
# ---------------------------------------------------------------------------


def _host_keys(names, peers):
    """Identity of every host name: "local", the pool peer's UUID or the name."""
    keys = {}
    for name in names:
        if name in keys:
            continue
        if _is_local(name):
            keys[name] = "local"
        else:
            peer = _find_peer(peers, name)
            keys[name] = peer["uuid"] if peer else name.lower()
    return keys


def _wait_in_sync(name, host, info, leaving):
    """
    Why the replica sets of the bricks ``leaving`` are not in sync ([]: they
    are), asking heal info again for up to HEAL_SYNC_TIMEOUT seconds: on a
    volume in use (a guest writing its console log) an entry can be listed
    for the moment of a write, and self-heal catches up a few seconds after
    a peer came back.
    """
    deadline = time.monotonic() + HEAL_SYNC_TIMEOUT
    while True:
        try:
            heal = __salt__["gluster.volume_heal_info"](name)
        except CommandExecutionError as exc:
            raise SaltInvocationError(
                "cannot retire {} from volume {}: its pending heals cannot be "
                "checked: {}".format(host, name, exc)
            ) from exc
        reasons = glplan.unsynced_bricks(info, leaving, heal)
        if not reasons or time.monotonic() >= deadline:
            return reasons
        time.sleep(HEAL_SYNC_INTERVAL)


def host_retired(name, host, spares=(), only_if_disconnected=False):
    """
    Make sure volume ``name`` no longer uses ``host`` and the trusted pool
    no longer holds it: the explicit way to retire or replace a brick host
    (``volume_present`` never removes bricks).  Run it on a host that stays
    in the pool.

    Each brick of ``host`` in the volume either

    * moves to the first host of ``spares`` that holds no brick of the
      volume (``replace-brick ... commit force`` to ``SPARE:<same path>``;
      self-heal then fills it from the other bricks of its set), the spare
      then counting as used; or
    * with no spare left, is removed and the replica count lowered by one
      (``remove-brick replica R-1 ... force``): only on a volume with a
      single replica set, no arbiter, and R > 1.

    Then ``host`` is detached from the pool (``force`` when it is
    disconnected).  A host that is neither in the pool nor holds a brick:
    nothing to do.

    Refused, before any change (result False, the comment says why): the
    volume is not replicated or dispersed; ``host`` holds every brick of a
    replica set; no spare is left on a distributed-replicated or arbiter
    volume; ``host`` holds bricks of other volumes (the detach would fail);
    ``host`` holds bricks but is not a peer; ``host`` is this host.

    While ``host`` is connected, every brick of its replica sets (its own
    and the others) must be readable with no entry pending heal (``volume
    heal NAME info``): entries pending on its brick are data the others
    lack, entries on the others a heal still running; refused otherwise
    (retry once self-heal is done).  When ``host`` is disconnected nothing
    can be read from it and that check is skipped: entries pending on the
    other bricks of its set are then the writes the dead brick missed, and
    those bricks (the good copies) stay, so they do not block.

    name
        The volume.

    host
        The host to retire, as the volume and the pool know it (or a name
        resolving to the same address).

    spares
        Hosts (this host or connected peers) that may take over the bricks,
        in order of preference; listed hosts that already hold a brick of
        the volume, or are not connected peers, are skipped.

    only_if_disconnected
        Only act when ``host`` is not a connected peer (replacing a dead
        host): a connected member is left alone, result True.
    """
    missing = _unavailable(name, "retire {} from volume {}".format(host, name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    try:
        if not host or not isinstance(host, str) or any(c.isspace() for c in host):
            raise SaltInvocationError("host must be a host name or address, not {!r}".format(host))
        if isinstance(spares, str):
            spares = [spares]
        spares = list(spares or [])
        if not all(spare and isinstance(spare, str) for spare in spares):
            raise SaltInvocationError("spares must be a list of host names")
        if _is_local(host):
            raise SaltInvocationError(
                "{} is this host: run gluster.host_retired on a host that stays in "
                "the pool".format(host)
            )
        volumes = __salt__["gluster.volume_info"]()
        peers = __salt__["gluster.peer_status"]()
    except (CommandExecutionError, SaltInvocationError) as exc:
        if isinstance(exc, CommandExecutionError) and _not_running_in_test(
            ret, exc, "{} would be checked for retirement".format(host)
        ):
            return ret
        return state_utils.failed(ret, exc)

    peer = _find_peer(peers, host)
    if only_if_disconnected and peer is not None and peer["connected"]:
        ret["comment"] = "{} is a connected member of the pool: nothing to replace".format(host)
        return ret

    notes = []
    info = volumes.get(name)
    try:
        names = [host] + spares
        for vol in volumes.values():
            names += [__salt__["gluster.split_brick"](brick)[0] for brick in vol["bricks"]]
        keys = _host_keys(names, peers)
        others = sorted(
            vol["name"] for vol in volumes.values()
            if vol["name"] != name
            and glplan.bricks_of(vol, host, keys, split_brick=__salt__["gluster.split_brick"])
        )
        if others:
            raise SaltInvocationError(
                "cannot retire {}: it also holds bricks of volume(s) {}; retire it "
                "from those first".format(host, ", ".join(others))
            )
        usable = []
        for spare in spares:
            if keys[spare] == keys[host]:
                continue
            spare_peer = _find_peer(peers, spare)
            if keys[spare] == "local" or (spare_peer and spare_peer["connected"]):
                usable.append(spare)
            else:
                notes.append("spare {} skipped: not a connected peer".format(spare))
        if info is None:
            notes.append("volume {} does not exist".format(name))
            plan = {"bricks": [], "replaced": {}, "removed": [], "replica": None}
        else:
            plan = glplan.plan_host_retired(info, host, usable, keys, split_brick=__salt__["gluster.split_brick"])
        if plan["bricks"] and peer is None:
            raise SaltInvocationError(
                "cannot retire {} from volume {}: it holds brick(s) {} but is not a "
                "peer of this pool".format(host, name, ", ".join(plan["bricks"]))
            )
        if plan["bricks"] and peer["connected"]:
            reasons = _wait_in_sync(name, host, info, plan["bricks"])
            if reasons:
                raise SaltInvocationError(
                    "cannot retire {} from volume {} yet: its replica set is not in "
                    "sync ({}); retry once self-heal is done".format(
                        host, name, "; ".join(reasons)
                    )
                )
    except (CommandExecutionError, SaltInvocationError) as exc:
        return state_utils.failed(ret, exc)

    if peer is None and not plan["bricks"]:
        ret["comment"] = "\n".join(
            ["{} is not in the pool and holds no brick of volume {}: nothing to "
             "retire".format(host, name)] + notes
        )
        return ret

    changes = {}
    steps = []
    for old, new in plan["replaced"].items():
        steps.append(
            ("bricks_replaced", old, new,
             lambda old=old, new=new: __salt__["gluster.replace_brick"](name, old, new))
        )
    if plan["removed"]:
        changes["bricks_removed"] = plan["removed"]
        changes["replica"] = plan["replica"]
        steps.append(
            ("bricks_removed", None, None,
             lambda: __salt__["gluster.remove_bricks"](
                 name, plan["removed"], replica=plan["replica"]["new"], force=True))
        )
    if plan["replaced"]:
        changes["bricks_replaced"] = dict(plan["replaced"])
    if peer is not None:
        changes["detached"] = peer["hostname"]
        steps.append(
            ("detached", None, None,
             lambda: __salt__["gluster.peer_detach"](
                 peer["hostname"], force=not peer["connected"]))
        )

    if __opts__["test"]:
        ret["result"] = None
        ret["changes"] = changes
        ret["comment"] = "\n".join(
            ["{} would be retired from volume {}: {}".format(
                host, name, ", ".join(sorted(changes)))] + notes
        )
        return ret

    try:
        for key, old, new, step in steps:
            step()
            if key == "bricks_replaced":
                ret["changes"].setdefault(key, {})[old] = new
            else:
                ret["changes"][key] = changes[key]
                if key == "bricks_removed":
                    ret["changes"]["replica"] = changes["replica"]
    except (CommandExecutionError, SaltInvocationError) as exc:
        return state_utils.failed(ret, exc)
    ret["comment"] = "\n".join(
        ["{} retired from volume {}: {}".format(host, name, ", ".join(sorted(ret["changes"])))]
        + notes
    )
    return ret
