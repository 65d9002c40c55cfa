"""
The pure planners of the ``gluster`` states: checking ``volume_present``'s
arguments, how new bricks join a volume, how a host leaves one
(``host_retired``) and which bricks of its replica sets are not in sync.
Functions of the volume (a ``gluster.volume_info`` entry) and the
arguments only; they raise SaltInvocationError for what the states refuse,
with the states' messages. Unit-tested (tests/unit/test_gluster_state.py).

Not in ``saltext_openstack_gluster``, which must stay free of any Salt
import (cluster/verify.py imports it with a plain python3). Not a Salt
loader module: the state imports it directly, synced (``extmods/utils``)
or pip-installed (``saltext_openstack._utils``), as it imports the other
shared files (README, "Shared code").
"""
from salt.exceptions import SaltInvocationError


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_gluster_plan is imported by the gluster states directly")


def plan_add_bricks(info, new_bricks, replica):
    """
    Decide how ``new_bricks`` join the existing volume ``info`` (a
    gluster.volume_info entry).  Return the replica count to pass to
    add-brick (None: keep the current one), or raise SaltInvocationError
    when the bricks cannot be added without removing anything.
    """
    current = info["replica"]
    sets = info["subvolumes"] or 1
    count = len(new_bricks)
    if replica is None or replica == current:
        if count % current:
            raise SaltInvocationError(
                "cannot add {} brick(s) to volume {} (replica {}): new bricks "
                "form new replica sets, so their number must be a multiple of "
                "{}; to raise the replica count set replica".format(
                    count, info["name"], current, current
                )
            )
        return None
    if replica < current:
        raise SaltInvocationError(
            "volume {} has replica {}; lowering it to {} would remove bricks, "
            "which this state never does".format(info["name"], current, replica)
        )
    needed = sets * (replica - current)
    if count != needed:
        raise SaltInvocationError(
            "raising volume {} ({} x {}) to replica {} needs exactly {} new "
            "brick(s) (one per replica set per added copy), got {}".format(
                info["name"], sets, current, replica, needed, count
            )
        )
    return replica


def validate(bricks, replica, arbiter, options):
    if not bricks:
        raise SaltInvocationError("bricks must list at least one host:/path")
    if len(set(bricks)) != len(bricks):
        raise SaltInvocationError("bricks lists the same brick twice")
    if replica is not None:
        if isinstance(replica, bool) or not str(replica).isdigit() or int(replica) < 1:
            raise SaltInvocationError(
                "replica must be a positive integer, not {!r}".format(replica)
            )
        if int(replica) > len(bricks):
            raise SaltInvocationError(
                "replica {} is larger than the number of bricks ({})".format(
                    replica, len(bricks)
                )
            )
    if arbiter and (replica is None or int(replica) < 3):
        raise SaltInvocationError("an arbiter needs replica 3")
    if not isinstance(options, dict):
        raise SaltInvocationError("options must be a dict of option: value")


def bricks_of(info, host, keys=None, *, split_brick):
    """
    Indexes (in volume order) of the bricks of volume ``info`` on ``host``;
    ``keys`` and ``split_brick`` as for plan_host_retired.
    """
    keys = keys or {}
    leaving = keys.get(host, host.lower())
    hosts = [split_brick(brick)[0] for brick in info["bricks"]]
    return [i for i, name in enumerate(hosts) if keys.get(name, name.lower()) == leaving]


def plan_host_retired(info, host, spares=(), keys=None, *, split_brick):
    """
    Decide how ``host`` leaves volume ``info`` (a gluster.volume_info entry);
    pure logic.

    ``spares`` are the usable spare hosts in order of preference (this host
    or connected peers); ``keys`` maps host names to an identity (names of
    one machine share a key; a name missing from it is its own identity).
    ``split_brick`` splits a brick into ``(host, path)`` (the gluster
    execution module's ``gluster.split_brick``).

    Return ``{"bricks": [the host's bricks], "replaced": {old: new},
    "removed": [...], "replica": {"old": R, "new": R - n} or None}``, every
    part empty when the host holds no brick of the volume.  Raise
    SaltInvocationError when the host cannot leave without losing data or
    without a layout this state does not make.
    """
    keys = keys or {}

    def key(name):
        return keys.get(name, name.lower())

    name = info["name"]
    bricks = info["bricks"]
    mine = bricks_of(info, host, keys, split_brick=split_brick)
    plan = {"bricks": [bricks[i] for i in mine], "replaced": {}, "removed": [], "replica": None}
    if not mine:
        return plan

    replica = info["replica"]
    sets = info["subvolumes"] or 1
    refused = "cannot retire {} from volume {}: ".format(host, name)
    if info.get("disperse"):
        raise SaltInvocationError(
            refused + "it is a dispersed volume, which this state does not handle"
        )
    if replica < 2:
        raise SaltInvocationError(
            refused + "the volume is not replicated (replica 1), so brick(s) {} "
            "hold the only copy of their files".format(", ".join(plan["bricks"]))
        )
    for number in sorted({i // replica for i in mine}):
        if all(i in mine for i in range(number * replica, (number + 1) * replica)):
            raise SaltInvocationError(
                refused + "it holds every brick of replica set {} ({}), so no "
                "other copy of those files exists".format(
                    number + 1, ", ".join(bricks[number * replica:(number + 1) * replica])
                )
            )

    used = {key(split_brick(brick)[0]) for brick in bricks}
    free = []
    for spare in spares:
        if key(spare) not in used:
            used.add(key(spare))
            free.append(spare)
    for i in mine:
        if free:
            path = split_brick(bricks[i])[1]
            plan["replaced"][bricks[i]] = "{}:{}".format(free.pop(0), path)
        else:
            plan["removed"].append(bricks[i])
    if not plan["removed"]:
        return plan

    left = ", ".join(plan["removed"])
    if info.get("arbiter"):
        raise SaltInvocationError(
            refused + "no spare host for brick(s) {}, and the volume has an arbiter "
            "(replica {} arbiter {}): lowering its replica count is not done here; "
            "list a spare".format(left, replica, info["arbiter"])
        )
    if sets > 1:
        raise SaltInvocationError(
            refused + "no spare host for brick(s) {}: the remaining hosts cannot hold "
            "replica {} of this distributed-replicated volume ({} x {}), and the "
            "replica count is only lowered on a single replica set; list a "
            "spare".format(left, replica, sets, replica)
        )
    plan["replica"] = {"old": replica, "new": replica - len(plan["removed"])}
    return plan


def unsynced_bricks(info, leaving, heal):
    """
    The bricks of the replica sets holding ``leaving`` that are not in sync
    according to ``heal`` (gluster.volume_heal_info): pending entries, or
    not readable.  Pure logic; returns readable reasons.
    """
    replica = info["replica"]
    bricks = info["bricks"]
    sets = {bricks.index(brick) // replica for brick in leaving}
    by_brick = {entry["brick"]: entry for entry in heal}
    reasons = []
    for i, brick in enumerate(bricks):
        if i // replica not in sets:
            continue
        entry = by_brick.get(brick)
        if entry is None:
            reasons.append("{} is not in the heal report".format(brick))
        elif not entry["connected"] or entry["entries"] is None:
            reasons.append("{} cannot be read ({})".format(brick, entry["status"]))
        elif entry["entries"]:
            reasons.append("{} has {} entries pending heal".format(brick, entry["entries"]))
    return reasons
