"""
The gluster execution and state modules against a real glusterd (and, for
the pool tests, a second glusterd in a network namespace); see
gluster_fixtures.py for how they are run.
"""
import socket
import time

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_openstack._utils import saltext_openstack_model_validator

from gluster_fixtures import (  # noqa: F401  (fixtures)
    NotMounted,
    brick_dir,
    gluster_net,
    gluster_outsider,
    gluster_peer,
    gluster_cli,
    gluster_volumes,
    glusterd,
    glusterfs_mount,
)


@pytest.fixture
def gluster(loaders, glusterd):
    """The gluster execution module, loaded by Salt's loader."""
    return loaders.modules.gluster


def _bricks(host, brick_dir, *labels):
    return [f"{host}:{brick_dir(label)}" for label in labels]


# ---------------------------------------------------------------------------
# Execution module
# ---------------------------------------------------------------------------


def test_volume_lifecycle(gluster, glusterd, gluster_volumes, brick_dir):
    name = gluster_volumes("lifecycle")
    bricks = _bricks(glusterd.address, brick_dir, "b1", "b2")

    assert gluster.volume_info(name) == {}
    assert gluster.volume_create(name, bricks, replica=2, force=True) is True

    info = gluster.volume_info(name)[name]
    assert info["status"] == "stopped"
    assert info["status_str"] == "created"
    assert info["type"] == "Replicate"
    assert info["replica"] == 2
    assert info["bricks"] == bricks
    assert info["subvolumes"] == 1

    assert gluster.volume_start(name) is True
    gluster.volume_set(name, "network.ping-timeout", 7)
    gluster.volume_set(name, "performance.quick-read", False)

    info = gluster.volume_info()[name]
    assert info["status"] == "started"
    assert info["options"]["network.ping-timeout"] == "7"
    assert info["options"]["performance.quick-read"] == "off"

    status = gluster.volume_status(name)
    assert [b["brick"] for b in status["bricks"]] == bricks
    assert all(b["online"] and b["pid"] for b in status["bricks"])
    assert any(d["name"] == "Self-heal Daemon" for d in status["daemons"])

    heal = gluster.volume_heal_info(name)
    assert [b["brick"] for b in heal] == bricks
    assert all(b["connected"] and b["entries"] == 0 for b in heal)

    assert gluster.volume_stop(name) is True
    assert gluster.volume_info(name)[name]["status"] == "stopped"


def test_add_bricks_raises_replica_then_adds_a_set(
    gluster, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("addbricks")
    host = glusterd.address
    gluster.volume_create(name, _bricks(host, brick_dir, "b1", "b2"), replica=2, force=True)

    gluster.add_bricks(name, _bricks(host, brick_dir, "b3"), replica=3, force=True)
    info = gluster.volume_info(name)[name]
    assert (info["replica"], info["subvolumes"], info["type"]) == (3, 1, "Replicate")

    gluster.add_bricks(name, _bricks(host, brick_dir, "b4", "b5", "b6"), force=True)
    info = gluster.volume_info(name)[name]
    assert info["bricks"] == _bricks(host, brick_dir, *"b1 b2 b3 b4 b5 b6".split())
    assert (info["replica"], info["subvolumes"]) == (3, 2)
    assert info["type"] == "Distributed-Replicate"


def test_gluster_errors_surface(gluster, glusterd, gluster_volumes, brick_dir):
    with pytest.raises(CommandExecutionError, match="Volume salttest-absent does not exist"):
        gluster.volume_start("salttest-absent")

    name = gluster_volumes("errors")
    gluster.volume_create(name, _bricks(glusterd.address, brick_dir, "b1"), force=True)
    with pytest.raises(CommandExecutionError, match="already exists"):
        gluster.volume_create(name, _bricks(glusterd.address, brick_dir, "b2"), force=True)
    with pytest.raises(CommandExecutionError, match="salttest.bogus does not exist"):
        gluster.volume_set(name, "salttest.bogus", "1")
    with pytest.raises(CommandExecutionError, match="is not started"):
        gluster.volume_status(name)
    gluster.volume_start(name)
    with pytest.raises(CommandExecutionError, match="already started"):
        gluster.volume_start(name)
    with pytest.raises(CommandExecutionError, match="not of type replicate"):
        gluster.volume_heal_info(name)
    # not this host and not a peer
    with pytest.raises(CommandExecutionError, match="salttest-nohost.invalid"):
        gluster.volume_create(
            gluster_volumes("nopeer"), ["salttest-nohost.invalid:/srv/brick"], force=True
        )


def test_module_argument_validation(gluster, glusterd, brick_dir):
    with pytest.raises(SaltInvocationError, match="larger than the number of bricks"):
        gluster.volume_create(
            "salttest-invalid", _bricks(glusterd.address, brick_dir, "b1"), replica=2
        )
    with pytest.raises(SaltInvocationError, match="host:/absolute/path"):
        gluster.volume_create("salttest-invalid", ["no-path-here"])
    assert gluster.volume_info("salttest-invalid") == {}


def test_peer_probe_self_is_a_noop(gluster, glusterd):
    ret = gluster.peer_probe(glusterd.address)
    assert ret["probed"] is False
    assert "localhost" in ret["message"]
    for peer in gluster.peer_status().values():
        assert glusterd.address not in peer["hostnames"]


# ---------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------


def test_volume_present_creates_then_is_idempotent(
    gluster, run_state, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("present")
    bricks = _bricks(glusterd.address, brick_dir, "b1", "b2")
    options = {"network.ping-timeout": "10", "performance.io-cache": False}
    kwargs = dict(name=name, bricks=bricks, replica=2, force=True, options=options)

    ret = run_state("gluster.volume_present", **kwargs)
    assert ret["result"] is True, ret
    assert ret["changes"] == {
        "created": {"bricks": bricks, "replica": 2},
        "started": True,
        "options": {
            "network.ping-timeout": {"old": None, "new": "10"},
            "performance.io-cache": {"old": None, "new": "off"},
        },
    }
    info = gluster.volume_info(name)[name]
    assert info["status"] == "started"
    assert info["bricks"] == bricks
    assert info["options"]["network.ping-timeout"] == "10"
    assert info["options"]["performance.io-cache"] == "off"

    ret = run_state("gluster.volume_present", **kwargs)
    assert (ret["result"], ret["changes"]) == (True, {}), ret

    ret = run_state("gluster.volume_present", test=True, **kwargs)
    assert (ret["result"], ret["changes"]) == (True, {}), ret

    # only the differing option is set; a short name matches the full one
    kwargs["options"] = {"ping-timeout": "10", "performance.io-cache": "on"}
    ret = run_state("gluster.volume_present", test=True, **kwargs)
    assert ret["result"] is None
    assert ret["changes"] == {"options": {"performance.io-cache": {"old": "off", "new": "on"}}}
    assert gluster.volume_info(name)[name]["options"]["performance.io-cache"] == "off"
    ret = run_state("gluster.volume_present", **kwargs)
    assert ret["result"] is True, ret
    assert ret["changes"] == {"options": {"performance.io-cache": {"old": "off", "new": "on"}}}
    assert gluster.volume_info(name)[name]["options"]["performance.io-cache"] == "on"
    ret = run_state("gluster.volume_present", **kwargs)
    assert (ret["result"], ret["changes"]) == (True, {}), ret


def test_volume_present_test_mode_creates_nothing(
    gluster, run_state, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("testmode")
    bricks = _bricks(glusterd.address, brick_dir, "b1", "b2")
    ret = run_state(
        "gluster.volume_present", name=name, bricks=bricks, replica=2, force=True,
        options={"network.ping-timeout": 10}, test=True,
    )
    assert ret["result"] is None, ret
    assert ret["changes"] == {
        "created": {"bricks": bricks, "replica": 2},
        "started": True,
        "options": {"network.ping-timeout": {"old": None, "new": "10"}},
    }
    assert gluster.volume_info(name) == {}


def test_volume_present_grows_the_volume(
    gluster, run_state, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("grow")
    host = glusterd.address
    two = _bricks(host, brick_dir, "b1", "b2")
    three = _bricks(host, brick_dir, "b1", "b2", "b3")
    six = _bricks(host, brick_dir, *"b1 b2 b3 b4 b5 b6".split())

    ret = run_state("gluster.volume_present", name=name, bricks=two, replica=2, force=True)
    assert ret["result"] is True, ret

    # one more brick on a 1 x 2 volume: replica 2 -> 3
    ret = run_state(
        "gluster.volume_present", name=name, bricks=three, replica=3, force=True, test=True
    )
    assert ret["result"] is None
    assert ret["changes"] == {
        "bricks_added": three[2:], "replica": {"old": 2, "new": 3}
    }
    assert gluster.volume_info(name)[name]["bricks"] == two
    ret = run_state("gluster.volume_present", name=name, bricks=three, replica=3, force=True)
    assert ret["result"] is True, ret
    assert ret["changes"] == {"bricks_added": three[2:], "replica": {"old": 2, "new": 3}}
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"]) == (three, 3)

    # a whole replica set more: a new distribute subvolume
    ret = run_state("gluster.volume_present", name=name, bricks=six, replica=3, force=True)
    assert ret["result"] is True, ret
    assert ret["changes"] == {"bricks_added": six[3:]}
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"], info["subvolumes"]) == (six, 3, 2)

    ret = run_state("gluster.volume_present", name=name, bricks=six, replica=3, force=True)
    assert (ret["result"], ret["changes"]) == (True, {}), ret

    # two bricks cannot join a replica 3 volume without changing its layout
    eight = six + _bricks(host, brick_dir, "b7", "b8")
    ret = run_state("gluster.volume_present", name=name, bricks=eight, force=True)
    assert ret["result"] is False
    assert "multiple of 3" in ret["comment"]
    assert gluster.volume_info(name)[name]["bricks"] == six


def test_volume_present_never_removes_bricks(
    gluster, run_state, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("keep")
    bricks = _bricks(glusterd.address, brick_dir, "b1", "b2")
    gluster.volume_create(name, bricks, replica=2, force=True)
    gluster.volume_start(name)

    for test in (True, False):
        ret = run_state(
            "gluster.volume_present", name=name, bricks=bricks[:1], replica=1,
            force=True, test=test,
        )
        assert (ret["result"], ret["changes"]) == (True, {}), ret
        assert bricks[1] in ret["comment"]
        assert "never removes bricks" in ret["comment"]
        assert "never lowers the replica count" in ret["comment"]
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"]) == (bricks, 2)


def test_volume_present_starts_a_stopped_volume(
    gluster, run_state, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("start")
    bricks = _bricks(glusterd.address, brick_dir, "b1")
    gluster.volume_create(name, bricks, force=True)

    ret = run_state("gluster.volume_present", name=name, bricks=bricks, start=False)
    assert (ret["result"], ret["changes"]) == (True, {}), ret
    ret = run_state("gluster.volume_present", name=name, bricks=bricks, test=True)
    assert (ret["result"], ret["changes"]) == (None, {"started": True}), ret
    assert gluster.volume_info(name)[name]["status"] == "stopped"
    ret = run_state("gluster.volume_present", name=name, bricks=bricks)
    assert (ret["result"], ret["changes"]) == (True, {"started": True}), ret
    assert gluster.volume_info(name)[name]["status"] == "started"


def test_volume_present_invalid_requests(
    gluster, run_state, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("invalid")
    local = _bricks(glusterd.address, brick_dir, "b1", "b2")

    ret = run_state("gluster.volume_present", name=name, bricks=local, replica=3, force=True)
    assert ret["result"] is False
    assert "replica 3 is larger than the number of bricks (2)" in ret["comment"]

    unknown = local[:1] + ["salttest-nohost.invalid:/srv/brick"]
    # A dry run: the peered states of the same run would probe the host first.
    ret = run_state(
        "gluster.volume_present", name=name, bricks=unknown, replica=2, force=True, test=True
    )
    assert ret["result"] is None
    assert "would be created once salttest-nohost.invalid are connected peers" in ret["comment"]
    ret = run_state("gluster.volume_present", name=name, bricks=unknown, replica=2, force=True)
    assert ret["result"] is False
    assert "salttest-nohost.invalid" in ret["comment"]
    assert "not connected peers" in ret["comment"]
    assert name not in gluster.volume_info()

    # The same for bricks added to an existing volume (a compute enrolled
    # later): predicted in a dry run, refused in a real run, nothing added.
    grow = gluster_volumes("grow-unpeered")
    two = _bricks(glusterd.address, brick_dir, "g1", "g2")
    assert run_state("gluster.volume_present", name=grow, bricks=two, replica=2,
                     force=True)["result"] is True
    more = two + ["salttest-nohost.invalid:/srv/g3"]
    ret = run_state("gluster.volume_present", name=grow, bricks=more, replica=3, force=True,
                    test=True)
    assert ret["result"] is None, ret
    assert ret["changes"]["bricks_added"] == ["salttest-nohost.invalid:/srv/g3"]
    assert "once salttest-nohost.invalid are connected peers" in ret["comment"]
    ret = run_state("gluster.volume_present", name=grow, bricks=more, replica=3, force=True)
    assert ret["result"] is False and "not connected peers" in ret["comment"]
    assert gluster.volume_info(grow)[grow]["bricks"] == two

    ret = run_state("gluster.volume_present", name=name, bricks=["nohostpath"])
    assert ret["result"] is False
    assert "host:/absolute/path" in ret["comment"]
    assert gluster.volume_info(name) == {}


def test_volume_present_reports_gluster_errors(
    gluster, run_state, glusterd, gluster_volumes, brick_dir
):
    name = gluster_volumes("glustererror")
    bricks = _bricks(glusterd.address, brick_dir, "b1")
    ret = run_state(
        "gluster.volume_present", name=name, bricks=bricks, force=True,
        options={"salttest.bogus": "1"},
    )
    assert ret["result"] is False
    assert "salttest.bogus does not exist" in ret["comment"]
    # what was done before the failure is reported
    assert set(ret["changes"]) == {"created", "started"}


def test_peered_self_is_no_change(run_state, glusterd):
    for host in (glusterd.address, socket.gethostname(), "localhost"):
        for test in (True, False):
            ret = run_state("gluster.peered", name=host, test=test)
            assert (ret["result"], ret["changes"]) == (True, {}), ret
            assert "this host" in ret["comment"]


# ---------------------------------------------------------------------------
# Two glusterd: pool and a volume replicated across both
# ---------------------------------------------------------------------------


def test_two_hosts_peer_and_replicate(
    gluster, run_state, glusterd, gluster_peer, gluster_volumes, brick_dir,
    glusterfs_mount,
):
    peer = gluster_peer.address

    ret = run_state("gluster.peered", name=peer, test=True)
    assert (ret["result"], ret["changes"]) == (None, {"probed": peer}), ret
    assert gluster.peer_status() == {}

    ret = run_state("gluster.peered", name=peer)
    assert ret["result"] is True, ret
    assert ret["changes"]["probed"] == peer
    (uuid, status), = gluster.peer_status().items()
    assert ret["changes"]["uuid"] == uuid
    assert status["hostnames"] == [peer]
    assert status["connected"] is True
    assert status["state"] == "Peer in Cluster"

    for test in (False, True):
        ret = run_state("gluster.peered", name=peer, test=test)
        assert (ret["result"], ret["changes"]) == (True, {}), ret
        assert "already a connected peer" in ret["comment"]

    name = gluster_volumes("twohosts")
    bricks = [f"{glusterd.address}:{brick_dir('a')}", f"{peer}:{brick_dir('b')}"]
    kwargs = dict(name=name, bricks=bricks, replica=2, force=True,
                  options={"network.ping-timeout": "5"})
    ret = run_state("gluster.volume_present", **kwargs)
    assert ret["result"] is True, ret
    assert set(ret["changes"]) == {"created", "started", "options"}
    ret = run_state("gluster.volume_present", **kwargs)
    assert (ret["result"], ret["changes"]) == (True, {}), ret

    status = gluster.volume_status(name)
    assert [b["brick"] for b in status["bricks"]] == bricks
    assert all(b["online"] for b in status["bricks"])

    mountpoint = glusterfs_mount(glusterd.address, name)
    (mountpoint / "instance.img").write_bytes(b"salttest" * 1024)
    for brick in bricks:
        path = brick.split(":", 1)[1]
        with open(f"{path}/instance.img", "rb") as copy:
            assert copy.read() == b"salttest" * 1024

    heal = gluster.volume_heal_info(name)
    assert [b["brick"] for b in heal] == bricks
    assert all(b["connected"] and b["entries"] == 0 for b in heal)


# ---------------------------------------------------------------------------
# Access and quorum, as the topology model sets them
# ---------------------------------------------------------------------------


def test_auth_allow_and_quorum_from_the_model(
    gluster, run_state, glusterd, gluster_outsider, gluster_volumes, brick_dir,
    glusterfs_mount,
):
    """The options openstack_pillar derives for the volume are ones gluster
    takes (idempotently), and auth.allow is enforced: a client outside the
    pool whose address is not listed cannot mount, one that is listed can."""
    validator = saltext_openstack_model_validator.Validator
    outsider, netns = gluster_outsider["address"], gluster_outsider["netns"]
    name = gluster_volumes("access")
    bricks = _bricks(glusterd.address, brick_dir, "a1", "a2")
    quorum = validator.gluster_quorum_options(
        {"replica": 2, "brick_hosts": ["c1", "c2", "c3"]})
    assert quorum == {"cluster.quorum-type": "auto", "cluster.server-quorum-type": "server"}
    others = validator.gluster_auth_allow({"c1": {"address": "198.51.100.9"}}, ["c1"])
    assert others == "127.0.0.1,198.51.100.9"
    kwargs = dict(name=name, bricks=bricks, replica=2, force=True,
                  options=dict(quorum, **{"auth.allow": others}))
    ret = run_state("gluster.volume_present", **kwargs)
    assert ret["result"] is True, ret
    assert set(ret["changes"]["options"]) == {"auth.allow", *quorum}
    ret = run_state("gluster.volume_present", **kwargs)
    assert (ret["result"], ret["changes"]) == (True, {}), ret

    with pytest.raises(NotMounted):
        glusterfs_mount(glusterd.address, name, netns=netns)

    allowed = validator.gluster_auth_allow(
        {"c1": {"address": "198.51.100.9"}, "c2": {"address": outsider}}, ["c1", "c2"])
    kwargs["options"]["auth.allow"] = allowed
    ret = run_state("gluster.volume_present", **kwargs)
    assert ret["result"] is True, ret
    assert ret["changes"] == {"options": {"auth.allow": {"old": others, "new": allowed}}}
    mountpoint = glusterfs_mount(glusterd.address, name, netns=netns)
    (mountpoint / "disk").write_bytes(b"allowed")
    for brick in bricks:
        with open(brick.split(":", 1)[1] + "/disk", "rb") as copy:
            assert copy.read() == b"allowed"


# ---------------------------------------------------------------------------
# Retiring a host (two glusterd)
# ---------------------------------------------------------------------------

CONNECT_TIMEOUT = 30


def _wait_peer(gluster, host, connected):
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        peers = [p for p in gluster.peer_status().values() if host in p["hostnames"]]
        if peers and peers[0]["connected"] is connected:
            return
        assert time.monotonic() < deadline, f"peer {host} not connected={connected}: {peers}"
        time.sleep(0.5)


def _wait_in_sync(gluster, name):
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        heal = gluster.volume_heal_info(name)
        if all(b["connected"] and b["entries"] == 0 for b in heal):
            return
        assert time.monotonic() < deadline, f"volume {name} not in sync: {heal}"
        time.sleep(0.5)


@pytest.fixture
def pooled_peer(gluster, run_state, glusterd, gluster_peer):
    """
    Glusterd B as a connected peer of A for one test.  Afterwards B is out of
    A's pool again, and running with a fresh state if the test killed it.
    List it before gluster_volumes: the test's volumes go first.
    """
    ret = run_state("gluster.peered", name=gluster_peer.address)
    assert ret["result"] is True, ret
    yield gluster_peer
    # what a failed test may have left: volumes with a brick on B, B in the pool
    for name, info in gluster.volume_info().items():
        if any(brick.startswith(gluster_peer.address + ":") for brick in info["bricks"]):
            gluster_cli("volume", "stop", name, "force")
            gluster_cli("volume", "delete", name)
    if any(gluster_peer.address in p["hostnames"] for p in gluster.peer_status().values()):
        gluster_cli("peer", "detach", gluster_peer.address, "force")
    if not gluster_peer.running:
        gluster_peer.restart_fresh(remote_host=gluster_peer.address)


def _replicated_over_both(run_state, gluster, glusterd, peer, name, brick_dir, mount):
    """A replica 2 volume with a brick on A and one on B, a file written into it."""
    bricks = [f"{glusterd.address}:{brick_dir('a')}", f"{peer}:{brick_dir('b')}"]
    ret = run_state("gluster.volume_present", name=name, bricks=bricks, replica=2, force=True)
    assert ret["result"] is True, ret
    mountpoint = mount(glusterd.address, name)
    (mountpoint / "instance.img").write_bytes(b"salttest" * 1024)
    _wait_in_sync(gluster, name)
    return bricks, mountpoint


def test_host_retired_lowers_the_replica_count(
    gluster, run_state, glusterd, pooled_peer, gluster_volumes, brick_dir, glusterfs_mount,
):
    peer = pooled_peer.address
    name = gluster_volumes("retire")
    bricks, mountpoint = _replicated_over_both(
        run_state, gluster, glusterd, peer, name, brick_dir, glusterfs_mount)
    expected = {"bricks_removed": bricks[1:], "replica": {"old": 2, "new": 1},
                "detached": peer}

    ret = run_state("gluster.host_retired", name=name, host=peer, test=True)
    assert (ret["result"], ret["changes"]) == (None, expected), ret
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"]) == (bricks, 2)
    _wait_peer(gluster, peer, connected=True)

    ret = run_state("gluster.host_retired", name=name, host=peer)
    assert (ret["result"], ret["changes"]) == (True, expected), ret
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"], info["status"]) == (bricks[:1], 1, "started")
    assert gluster.peer_status() == {}
    # the data stayed: on A's brick and through the client
    with open(bricks[0].split(":", 1)[1] + "/instance.img", "rb") as copy:
        assert copy.read() == b"salttest" * 1024
    assert (mountpoint / "instance.img").read_bytes() == b"salttest" * 1024

    for test in (True, False):
        ret = run_state("gluster.host_retired", name=name, host=peer, test=test)
        assert (ret["result"], ret["changes"]) == (True, {}), ret
        assert "nothing to retire" in ret["comment"]


def test_host_retired_replaces_only_a_dead_host(
    gluster, run_state, glusterd, pooled_peer, gluster_volumes, brick_dir, glusterfs_mount,
):
    peer = pooled_peer.address
    name = gluster_volumes("dead")
    bricks, mountpoint = _replicated_over_both(
        run_state, gluster, glusterd, peer, name, brick_dir, glusterfs_mount)

    # a connected member is left alone
    for test in (True, False):
        ret = run_state("gluster.host_retired", name=name, host=peer,
                        only_if_disconnected=True, test=test)
        assert (ret["result"], ret["changes"]) == (True, {}), ret
        assert "connected member of the pool: nothing to replace" in ret["comment"]
    assert gluster.volume_info(name)[name]["bricks"] == bricks
    _wait_peer(gluster, peer, connected=True)

    # B dies: its glusterd and brick are gone
    pooled_peer.stop()
    _wait_peer(gluster, peer, connected=False)
    expected = {"bricks_removed": bricks[1:], "replica": {"old": 2, "new": 1},
                "detached": peer}
    ret = run_state("gluster.host_retired", name=name, host=peer,
                    only_if_disconnected=True, test=True)
    assert (ret["result"], ret["changes"]) == (None, expected), ret
    assert gluster.volume_info(name)[name]["bricks"] == bricks

    ret = run_state("gluster.host_retired", name=name, host=peer, only_if_disconnected=True)
    assert (ret["result"], ret["changes"]) == (True, expected), ret
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"]) == (bricks[:1], 1)
    assert gluster.peer_status() == {}
    assert (mountpoint / "instance.img").read_bytes() == b"salttest" * 1024

    ret = run_state("gluster.host_retired", name=name, host=peer, only_if_disconnected=True)
    assert (ret["result"], ret["changes"]) == (True, {}), ret


def test_host_retired_refusals_change_nothing(
    gluster, run_state, glusterd, pooled_peer, gluster_volumes, brick_dir,
):
    peer = pooled_peer.address
    name = gluster_volumes("refuse")
    # plain distribute: B's brick holds the only copy of its files
    bricks = [f"{glusterd.address}:{brick_dir('a')}", f"{peer}:{brick_dir('b')}"]
    ret = run_state("gluster.volume_present", name=name, bricks=bricks, force=True)
    assert ret["result"] is True, ret
    for test in (True, False):
        ret = run_state("gluster.host_retired", name=name, host=peer, test=test)
        assert (ret["result"], ret["changes"]) == (False, {}), ret
        assert f"cannot retire {peer} from volume {name}" in ret["comment"]
        assert "not replicated (replica 1)" in ret["comment"]
        # the host running the state stays in the pool
        ret = run_state("gluster.host_retired", name=name, host=glusterd.address, test=test)
        assert (ret["result"], ret["changes"]) == (False, {}), ret
        assert "is this host" in ret["comment"]
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"]) == (bricks, 1)
    _wait_peer(gluster, peer, connected=True)


def test_replace_brick_and_remove_bricks(gluster, glusterd, gluster_volumes, brick_dir):
    """The module functions on one host (a spare host for host_retired
    needs a third glusterd: that branch is covered by the unit tests)."""
    name = gluster_volumes("replace")
    host = glusterd.address
    bricks = _bricks(host, brick_dir, "b1", "b2", "b3")
    gluster.volume_create(name, bricks, replica=3, force=True)
    gluster.volume_start(name)

    new = _bricks(host, brick_dir, "b4")[0]
    assert gluster.replace_brick(name, bricks[2], new) is True
    assert gluster.volume_info(name)[name]["bricks"] == bricks[:2] + [new]

    assert gluster.remove_bricks(name, [new], replica=2) is True
    info = gluster.volume_info(name)[name]
    assert (info["bricks"], info["replica"]) == (bricks[:2], 2)

    with pytest.raises(CommandExecutionError, match="remove-brick"):
        gluster.remove_bricks(name, [new], replica=1)
    with pytest.raises(CommandExecutionError, match="peer detach salttest-nohost.invalid"):
        gluster.peer_detach("salttest-nohost.invalid")
