"""
Decision logic of the gluster states (their pure planners in
_utils/saltext_openstack_gluster_plan.py), with the gluster execution module
replaced by an in-memory pool (what the real glusterd does is covered by
tests/functional/test_gluster.py).
"""

import pathlib
import shutil

import pytest
import salt.loader
from minion_opts import forgotten
from minion_opts import minion_opts as make_minion_opts
from minion_opts import synced
from source_module import load
from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_openstack._utils import saltext_openstack_gluster_plan as glplan

REPO = pathlib.Path(__file__).resolve().parents[2]
LOCAL = "192.0.2.250"  # what the fake considers "this host"


class FakePool:
    """The subset of the gluster execution module the states use."""

    def __init__(self, module):
        self.module = module
        self.volumes = {}
        self.peers = {}
        self.calls = []
        self.fail = {}
        self.heal = {}  # volume -> heal report (default: every brick in sync)

    def _call(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        if name in self.fail:
            raise CommandExecutionError(self.fail[name])

    def add_volume(self, name, bricks, replica=1, status="started", options=None,
                   arbiter=0, disperse=0):
        self.volumes[name] = {
            "name": name,
            "status": status,
            "replica": replica,
            "arbiter": arbiter,
            "disperse": disperse,
            "bricks": list(bricks),
            "brick_count": len(bricks),
            "subvolumes": len(bricks) // replica,
            "options": dict(options or {}),
        }

    def add_peer(self, *hostnames, connected=True):
        uuid = f"uuid-{len(self.peers)}"
        self.peers[uuid] = {
            "uuid": uuid,
            "hostname": hostnames[0],
            "hostnames": list(hostnames),
            "connected": connected,
            "state": "Peer in Cluster",
        }

    # execution module functions
    def volume_info(self, name=None):
        self._call("volume_info", name)
        if name is None:
            return dict(self.volumes)
        return {name: self.volumes[name]} if name in self.volumes else {}

    def peer_status(self):
        self._call("peer_status")
        return self.peers

    def peer_probe(self, host):
        self._call("peer_probe", host)
        self.add_peer(host)
        return {"host": host, "probed": True, "message": "success"}

    def volume_create(self, name, bricks, replica=None, force=False, arbiter=None):
        self._call("volume_create", name, bricks, replica=replica, force=force, arbiter=arbiter)
        self.add_volume(name, bricks, replica or 1, status="stopped")
        return True

    def volume_start(self, name):
        self._call("volume_start", name)
        self.volumes[name]["status"] = "started"
        return True

    def volume_set(self, name, option, value):
        self._call("volume_set", name, option, value)
        self.volumes[name]["options"][option] = self.module.option_value(value)
        return True

    def add_bricks(self, name, bricks, replica=None, force=False, arbiter=None):
        self._call("add_bricks", name, bricks, replica=replica, force=force, arbiter=arbiter)
        vol = self.volumes[name]
        vol["bricks"] += bricks
        vol["replica"] = replica or vol["replica"]
        vol["subvolumes"] = len(vol["bricks"]) // vol["replica"]
        return True

    def volume_heal_info(self, name):
        self._call("volume_heal_info", name)
        if name in self.heal:
            return self.heal[name]
        return [{"brick": brick, "status": "Connected", "connected": True, "entries": 0}
                for brick in self.volumes[name]["bricks"]]

    def remove_bricks(self, name, bricks, replica=None, force=True):
        self._call("remove_bricks", name, bricks, replica=replica, force=force)
        vol = self.volumes[name]
        vol["bricks"] = [brick for brick in vol["bricks"] if brick not in bricks]
        vol["replica"] = replica or vol["replica"]
        vol["brick_count"] = len(vol["bricks"])
        vol["subvolumes"] = len(vol["bricks"]) // vol["replica"]
        return True

    def replace_brick(self, name, old, new):
        self._call("replace_brick", name, old, new)
        vol = self.volumes[name]
        vol["bricks"][vol["bricks"].index(old)] = new
        return True

    def peer_detach(self, host, force=False):
        self._call("peer_detach", host, force=force)
        for uuid, peer in list(self.peers.items()):
            if host in peer["hostnames"]:
                del self.peers[uuid]
        return True

    def loader_dict(self):
        salt = {
            "gluster." + name: getattr(self, name)
            for name in ("volume_info", "peer_status", "peer_probe", "volume_create",
                         "volume_start", "volume_set", "add_bricks", "volume_heal_info",
                         "remove_bricks", "replace_brick", "peer_detach")
        }
        for name in ("split_brick", "normalize_brick", "option_value", "option_values_equal"):
            salt["gluster." + name] = getattr(self.module, name)
        return salt

    def changed(self):
        """Calls that change something."""
        return [call for call in self.calls
                if call[0] not in ("volume_info", "peer_status", "volume_heal_info")]


@pytest.fixture
def pool():
    return FakePool(load("_modules/gluster.py", "gluster_module_for_state_tests"))


@pytest.fixture
def opts():
    return {"test": False}


@pytest.fixture
def states(pool, opts, monkeypatch):
    module = load("_states/gluster.py", "gluster_state_under_test")
    module.__salt__ = pool.loader_dict()
    module.__opts__ = opts
    monkeypatch.setattr(module, "_is_local", lambda host: host in (LOCAL, "localhost"))
    resolved = {"node2": {"10.0.0.2"}, "10.0.0.2": {"10.0.0.2"}}
    monkeypatch.setattr(module, "_addresses", lambda host: resolved.get(host, set()))
    monkeypatch.setattr(module, "PEER_CONNECT_TIMEOUT", 0)
    monkeypatch.setattr(module, "HEAL_SYNC_TIMEOUT", 0)
    return module


def b(*labels, host=LOCAL):
    return [f"{host}:/srv/{label}" for label in labels]


# --- peered -------------------------------------------------------------------


def test_peered_self(states, pool):
    ret = states.peered(LOCAL)
    assert (ret["result"], ret["changes"]) == (True, {})
    assert pool.calls == []


def test_peered_probes_a_new_peer(states, pool):
    ret = states.peered("node2")
    assert ret["result"] is True
    assert ret["changes"] == {"probed": "node2", "uuid": "uuid-0"}
    ret = states.peered("node2")
    assert (ret["result"], ret["changes"]) == (True, {})
    assert [c[0] for c in pool.changed()] == ["peer_probe"]


def test_peered_test_mode(states, pool, opts):
    opts["test"] = True
    ret = states.peered("node2")
    assert (ret["result"], ret["changes"]) == (None, {"probed": "node2"})
    assert pool.changed() == []


def test_peered_matches_peer_by_address(states, pool, opts):
    pool.add_peer("10.0.0.2")
    for test in (True, False):
        opts["test"] = test
        ret = states.peered("node2")
        assert (ret["result"], ret["changes"]) == (True, {})
    assert pool.changed() == []


def test_peered_disconnected_peer_fails(states, pool):
    pool.add_peer("node2", connected=False)
    ret = states.peered("node2")
    assert ret["result"] is False
    assert "not connected" in ret["comment"]
    assert pool.changed() == []


def test_peered_probe_failure(states, pool):
    pool.fail["peer_probe"] = "gluster peer probe node2 failed: Probe returned with Transport endpoint is not connected"
    ret = states.peered("node2")
    assert ret["result"] is False
    assert "Transport endpoint is not connected" in ret["comment"]


def test_peered_probe_never_connects(states, pool, monkeypatch):
    monkeypatch.setattr(pool, "peer_probe", lambda host: (
        pool.add_peer(host, connected=False) or {"host": host, "probed": True, "message": "success"}
    ))
    states.__salt__["gluster.peer_probe"] = pool.peer_probe
    ret = states.peered("node2")
    assert ret["result"] is False
    assert ret["changes"] == {"probed": "node2"}
    assert "did not become a connected peer" in ret["comment"]


# --- volume_present: new volume --------------------------------------------------


def test_create_test_mode_predicts_and_runs_nothing(states, pool, opts):
    opts["test"] = True
    ret = states.volume_present("v", b("1", "2"), replica=2, options={"nfs.disable": True})
    assert ret["result"] is None
    assert ret["changes"] == {
        "created": {"bricks": b("1", "2"), "replica": 2},
        "started": True,
        "options": {"nfs.disable": {"old": None, "new": "on"}},
    }
    assert pool.changed() == []


def test_create_start_and_options(states, pool):
    ret = states.volume_present("v", b("1/", "2"), replica=2, force=True,
                                options={"network.ping-timeout": 10})
    assert ret["result"] is True, ret
    assert pool.changed() == [
        ("volume_create", ("v", b("1", "2")), {"replica": 2, "force": True, "arbiter": None}),
        ("volume_start", ("v",), {}),
        ("volume_set", ("v", "network.ping-timeout", 10), {}),
    ]
    ret = states.volume_present("v", b("1", "2"), replica=2, force=True,
                                options={"network.ping-timeout": 10})
    assert (ret["result"], ret["changes"]) == (True, {})


def test_create_without_start(states, pool):
    ret = states.volume_present("v", b("1"), start=False)
    assert ret["changes"] == {"created": {"bricks": b("1"), "replica": 1}}
    assert pool.volumes["v"]["status"] == "stopped"


@pytest.mark.parametrize(
    "bricks, kwargs, message",
    [
        (b("1"), {"replica": 2}, "replica 2 is larger than the number of bricks (1)"),
        (b("1", "2", "3"), {"replica": 2}, "not a multiple of replica 2"),
        (b("1", "1"), {}, "same brick twice"),
        ([], {}, "at least one"),
        (["nopath"], {}, "host:/absolute/path"),
        (b("1", "2"), {"replica": "two"}, "replica must be a positive integer"),
        (b("1", "2", "3"), {"replica": 3, "arbiter": 1, "options": ["x"]}, "options must be a dict"),
        (b("1", "2"), {"replica": 2, "arbiter": 1}, "arbiter needs replica 3"),
    ],
)
def test_invalid_requests(states, pool, bricks, kwargs, message, opts):
    for test in (True, False):
        opts["test"] = test
        ret = states.volume_present("v", bricks, **kwargs)
        assert ret["result"] is False
        assert message in ret["comment"]
    assert pool.changed() == []


def test_create_needs_connected_peers(states, pool, opts):
    pool.add_peer("node3", connected=False)
    bricks = b("1") + ["node2:/srv/1", "node3:/srv/1"]
    for test in (True, False):
        opts["test"] = test
        ret = states.volume_present("v", bricks, replica=3)
        assert ret["result"] is False
        assert "node2, node3 are not connected peers" in ret["comment"]
    pool.add_peer("node2")
    pool.peers["uuid-0"]["connected"] = True
    opts["test"] = False
    assert states.volume_present("v", bricks, replica=3)["result"] is True


def test_create_in_test_mode_before_peering(states, pool, opts):
    """In a dry run the peered states only say they would probe: not a failure."""
    opts["test"] = True
    ret = states.volume_present("v", b("1") + ["node2:/srv/1"], replica=2)
    assert ret["result"] is None
    assert "would be created once node2 are connected peers" in ret["comment"]
    assert ret["changes"] == {"created": {"bricks": b("1") + ["node2:/srv/1"], "replica": 2}}
    assert pool.changed() == []


def test_gluster_not_running_in_test_mode(states, pool, opts):
    pool.fail["volume_info"] = (
        "gluster volume info failed (exit code 1): Connection failed. "
        "Please check if gluster daemon is operational."
    )
    pool.fail["peer_status"] = pool.fail["volume_info"]
    opts["test"] = True
    ret = states.volume_present("v", b("1"))
    assert ret["result"] is None
    assert "once glusterd runs" in ret["comment"]
    assert states.peered("node2")["result"] is None
    opts["test"] = False
    assert states.volume_present("v", b("1"))["result"] is False
    assert states.peered("node2")["result"] is False


def test_gluster_failure_keeps_what_was_done(states, pool):
    pool.fail["volume_start"] = "gluster volume start v failed: boom"
    ret = states.volume_present("v", b("1"), options={"a.b": "1"})
    assert ret["result"] is False
    assert ret["comment"] == "gluster volume start v failed: boom"
    assert ret["changes"] == {"created": {"bricks": b("1"), "replica": 1}}


def test_volume_info_failure(states, pool):
    pool.fail["volume_info"] = "gluster volume info failed (exit code 1): Connection failed."
    ret = states.volume_present("v", b("1"))
    assert ret["result"] is False
    assert "Connection failed" in ret["comment"]


# --- volume_present: existing volume ----------------------------------------------


def test_existing_volume_in_test_mode_is_true(states, pool, opts):
    # Salt's own glusterfs.volume_present answers None here; this one must not.
    pool.add_volume("v", b("1", "2"), replica=2, options={"network.ping-timeout": "10"})
    opts["test"] = True
    ret = states.volume_present("v", b("1", "2"), replica=2,
                                options={"network.ping-timeout": 10})
    assert (ret["result"], ret["changes"]) == (True, {})
    assert "desired state" in ret["comment"]


def test_only_differing_options_are_set(states, pool):
    pool.add_volume("v", b("1"), options={
        "network.ping-timeout": "10", "performance.io-cache": "off",
        "cluster.eager-lock": "enable"})
    ret = states.volume_present("v", b("1"), options={
        "ping-timeout": "10",           # short name of a set option
        "performance.io-cache": False,  # same value, other spelling
        "cluster.eager-lock": "on",     # boolean synonym
        "performance.read-ahead": "off",
    })
    assert ret["result"] is True
    assert ret["changes"] == {
        "options": {"performance.read-ahead": {"old": None, "new": "off"}}
    }
    assert [c[0] for c in pool.changed()] == ["volume_set"]


def test_starts_stopped_volume_unless_start_false(states, pool):
    pool.add_volume("v", b("1"), status="stopped")
    ret = states.volume_present("v", b("1"), start=False)
    assert (ret["result"], ret["changes"]) == (True, {})
    ret = states.volume_present("v", b("1"))
    assert ret["changes"] == {"started": True}


def test_raise_replica_with_one_brick(states, pool, opts):
    pool.add_volume("v", b("1", "2"), replica=2)
    opts["test"] = True
    ret = states.volume_present("v", b("1", "2", "3"), replica=3, force=True)
    assert ret["result"] is None
    assert ret["changes"] == {"bricks_added": b("3"), "replica": {"old": 2, "new": 3}}
    assert pool.changed() == []
    opts["test"] = False
    ret = states.volume_present("v", b("1", "2", "3"), replica=3, force=True)
    assert ret["result"] is True
    assert ret["changes"] == {"bricks_added": b("3"), "replica": {"old": 2, "new": 3}}
    assert pool.changed() == [
        ("add_bricks", ("v", b("3")), {"replica": 3, "force": True, "arbiter": None})
    ]


def test_raise_replica_to_arbiter(states, pool):
    pool.add_volume("v", b("1", "2"), replica=2)
    ret = states.volume_present("v", b("1", "2", "3"), replica=3, arbiter=1)
    assert ret["result"] is True
    assert pool.changed()[0][2]["arbiter"] == 1


def test_add_replica_set_as_new_subvolume(states, pool):
    pool.add_volume("v", b("1", "2"), replica=2)
    ret = states.volume_present("v", b("1", "2", "3", "4"))
    assert ret["changes"] == {"bricks_added": b("3", "4")}
    assert pool.changed() == [
        ("add_bricks", ("v", b("3", "4")), {"replica": None, "force": False, "arbiter": None})
    ]


@pytest.mark.parametrize(
    "volume, replica, wanted, kwargs, message",
    [
        # 1 x 2 plus one brick without asking for replica 3
        (b("1", "2"), 2, b("1", "2", "3"), {}, "must be a multiple of 2; to raise the replica count set replica"),
        # 2 x 2 to replica 3 needs one brick per set
        (b("1", "2", "3", "4"), 2, b("1", "2", "3", "4", "5"), {"replica": 3},
         "needs exactly 2 new brick(s)"),
        # lowering the replica count
        (b("1", "2", "3"), 3, b("1", "2", "3", "4"), {"replica": 1}, "would remove bricks"),
        # raising without bricks
        (b("1", "2", "3", "4"), 2, b("1", "2", "3", "4"), {"replica": 3},
         "raising it to 3 needs new bricks"),
    ],
)
def test_impossible_growth(states, pool, opts, volume, replica, wanted, kwargs, message):
    pool.add_volume("v", volume, replica=replica)
    for test in (True, False):
        opts["test"] = test
        ret = states.volume_present("v", wanted, **kwargs)
        assert ret["result"] is False, ret
        assert message in ret["comment"]
    assert pool.changed() == []


def test_new_brick_on_unknown_host_fails(states, pool):
    pool.add_volume("v", b("1", "2"), replica=2)
    ret = states.volume_present("v", b("1", "2") + ["node9:/srv/3"], replica=3)
    assert ret["result"] is False
    assert "node9 are not connected peers" in ret["comment"]
    assert pool.changed() == []


def test_existing_bricks_on_a_down_peer_do_not_matter(states, pool):
    pool.add_peer("node2", connected=False)
    pool.add_volume("v", b("1") + ["node2:/srv/1"], replica=2)
    ret = states.volume_present("v", b("1") + ["node2:/srv/1"], replica=2)
    assert (ret["result"], ret["changes"]) == (True, {})


def test_unlisted_bricks_are_kept_and_reported(states, pool, opts):
    pool.add_volume("v", b("1", "2"), replica=2)
    for test in (True, False):
        opts["test"] = test
        ret = states.volume_present("v", b("1"))
        assert (ret["result"], ret["changes"]) == (True, {})
        assert f"{b('2')[0]} which are not in the bricks list" in ret["comment"]
    assert pool.changed() == []


def test_unlisted_bricks_reported_alongside_changes(states, pool):
    pool.add_volume("v", b("1", "2"), replica=2, status="stopped")
    ret = states.volume_present("v", b("2"), options={"a.b": "c"})
    assert ret["result"] is True
    assert set(ret["changes"]) == {"started", "options"}
    assert "never removes bricks" in ret["comment"]


def test_plan_add_bricks_directly(states):
    info = {"name": "v", "replica": 3, "subvolumes": 2}
    assert glplan.plan_add_bricks(info, ["a", "b", "c"], None) is None
    assert glplan.plan_add_bricks(info, ["a", "b", "c"], 3) is None
    assert glplan.plan_add_bricks(info, ["a", "b"], 4) == 4
    with pytest.raises(SaltInvocationError):
        glplan.plan_add_bricks(info, ["a"], 4)


# --- host_retired: the plan (pure logic) -------------------------------------------


def vol(bricks, replica, arbiter=0, disperse=0, name="v"):
    return {"name": name, "bricks": list(bricks), "replica": replica, "arbiter": arbiter,
            "disperse": disperse, "subvolumes": len(bricks) // replica}


def plan(states, info, host, spares=(), keys=None):
    return glplan.plan_host_retired(info, host, spares, keys,
                                    split_brick=states.__salt__["gluster.split_brick"])


def test_plan_host_without_bricks(states):
    assert plan(states, vol(["a:/b", "b:/b"], 2), "c", ["d"]) == {
        "bricks": [], "replaced": {}, "removed": [], "replica": None}


@pytest.mark.parametrize(
    "bricks, replica, host, removed, new_replica",
    [
        (["a:/b", "b:/b"], 2, "b", ["b:/b"], 1),
        (["a:/b", "b:/b", "c:/b"], 3, "a", ["a:/b"], 2),
        # two bricks of the host in one set: both go, replica 3 -> 1
        (["a:/b1", "b:/b1", "b:/b2"], 3, "b", ["b:/b1", "b:/b2"], 1),
        (["a:/b", "B:/b"], 2, "b", ["B:/b"], 1),  # host names are case-insensitive
    ],
)
def test_plan_lowers_the_replica_of_a_single_set(states, bricks, replica, host, removed,
                                                 new_replica):
    assert plan(states, vol(bricks, replica), host) == {
        "bricks": removed, "replaced": {}, "removed": removed,
        "replica": {"old": replica, "new": new_replica}}


def test_plan_replaces_with_the_first_free_spare(states):
    info = vol(["a:/b", "b:/b", "c:/x"], 3)
    # a holds a brick already, c is the host itself: d takes the brick
    assert plan(states, info, "c", ["a", "c", "d", "e"]) == {
        "bricks": ["c:/x"], "replaced": {"c:/x": "d:/x"}, "removed": [], "replica": None}


def test_plan_spare_counts_as_used(states):
    # the host holds two bricks of the set, one spare (listed twice): one
    # brick moves, the other goes with the replica count lowered
    info = vol(["a:/b1", "c:/b1", "c:/b2"], 3)
    assert plan(states, info, "c", ["d", "d"]) == {
        "bricks": ["c:/b1", "c:/b2"], "replaced": {"c:/b1": "d:/b1"},
        "removed": ["c:/b2"], "replica": {"old": 3, "new": 2}}


def test_plan_replaces_on_a_distributed_replicated_volume(states):
    info = vol(["a:/1", "b:/1", "a:/2", "c:/2"], 2)
    assert plan(states, info, "a", ["d", "e"]) == {
        "bricks": ["a:/1", "a:/2"], "replaced": {"a:/1": "d:/1", "a:/2": "e:/2"},
        "removed": [], "replica": None}


def test_plan_replaces_on_an_arbiter_volume(states):
    info = vol(["a:/b", "b:/b", "c:/arb"], 3, arbiter=1)
    assert plan(states, info, "c", ["d"])["replaced"] == {"c:/arb": "d:/arb"}


def test_plan_matches_hosts_by_identity(states):
    # the volume knows the hosts by address, the caller by name
    info = vol(["10.0.0.1:/b", "10.0.0.2:/b"], 2)
    keys = {"10.0.0.1": "uuid-1", "node1": "uuid-1", "10.0.0.2": "uuid-2",
            "node2": "uuid-2", "node3": "uuid-3"}
    assert plan(states, info, "node2", ["node1", "node3"], keys)["replaced"] == {
        "10.0.0.2:/b": "node3:/b"}


@pytest.mark.parametrize(
    "info, host, spares, message",
    [
        (vol(["a:/b", "b:/b"], 1), "b", ["c"],
         "cannot retire b from volume v: the volume is not replicated (replica 1), "
         "so brick(s) b:/b hold the only copy"),
        (vol(["b:/b"], 1), "b", [], "not replicated (replica 1)"),
        (vol(["a:/b", "b:/b", "c:/b"], 1, disperse=3), "b", ["d"], "dispersed volume"),
        (vol(["b:/b1", "b:/b2"], 2), "b", ["c", "d"],
         "it holds every brick of replica set 1 (b:/b1, b:/b2)"),
        (vol(["a:/1", "c:/1", "b:/2", "b:/2b"], 2), "b", [],
         "every brick of replica set 2"),
        (vol(["a:/1", "b:/1", "a:/2", "c:/2"], 2, name="nova"), "a", [],
         "cannot retire a from volume nova: no spare host for brick(s) a:/1, a:/2: the "
         "remaining hosts cannot hold replica 2 of this distributed-replicated volume (2 x 2)"),
        # one spare for two sets: still one brick without a place
        (vol(["a:/1", "b:/1", "a:/2", "c:/2"], 2), "a", ["d"],
         "no spare host for brick(s) a:/2: the remaining hosts cannot hold replica 2"),
        (vol(["a:/1", "b:/1", "c:/1", "d:/1", "e:/1", "f:/1"], 3), "e", ["a"],
         "cannot hold replica 3"),
        (vol(["a:/b", "b:/b", "c:/arb"], 3, arbiter=1), "c", [],
         "the volume has an arbiter (replica 3 arbiter 1): lowering its replica count"),
    ],
)
def test_plan_refusals(states, info, host, spares, message):
    with pytest.raises(SaltInvocationError) as exc:
        plan(states, info, host, spares)
    assert message in str(exc.value)


def heal(*entries):
    return [{"brick": brick, "status": status, "connected": status == "Connected",
             "entries": count} for brick, status, count in entries]


def test_unsynced_bricks(states):
    info = vol(["a:/1", "b:/1", "c:/2", "d:/2"], 2)
    clean = heal(("a:/1", "Connected", 0), ("b:/1", "Connected", 0),
                 ("c:/2", "Connected", 5), ("d:/2", "Transport endpoint is not connected", None))
    # only the host's replica set counts
    assert glplan.unsynced_bricks(info, ["b:/1"], clean) == []
    assert glplan.unsynced_bricks(info, ["d:/2"], clean) == [
        "c:/2 has 5 entries pending heal",
        "d:/2 cannot be read (Transport endpoint is not connected)",
    ]
    # pending on the leaving brick (data the others lack) or on the others
    for pending in ("a:/1", "b:/1"):
        report = [dict(e, entries=2 if e["brick"] == pending else e["entries"]) for e in clean]
        assert glplan.unsynced_bricks(info, ["b:/1"], report) == [
            f"{pending} has 2 entries pending heal"]
    assert glplan.unsynced_bricks(info, ["b:/1"], clean[1:]) == [
        "a:/1 is not in the heal report"]


# --- host_retired: the state ---------------------------------------------------------


def two_hosts(pool, connected=True, replica=2):
    pool.add_peer("node2", "10.0.0.2", connected=connected)
    bricks = b("1") + ["node2:/srv/1"] + (b("2") if replica == 3 else [])
    pool.add_volume("v", bricks, replica=replica)


def test_retire_lowers_replica_and_detaches(states, pool, opts):
    two_hosts(pool)
    expected = {"bricks_removed": ["node2:/srv/1"], "replica": {"old": 2, "new": 1},
                "detached": "node2"}
    opts["test"] = True
    ret = states.host_retired("v", "node2")
    assert (ret["result"], ret["changes"]) == (None, expected), ret
    assert "node2 would be retired from volume v" in ret["comment"]
    assert pool.changed() == []
    opts["test"] = False
    ret = states.host_retired("v", "node2")
    assert (ret["result"], ret["changes"]) == (True, expected), ret
    assert pool.changed() == [
        ("remove_bricks", ("v", ["node2:/srv/1"]), {"replica": 1, "force": True}),
        ("peer_detach", ("node2",), {"force": False}),
    ]
    assert pool.volumes["v"]["bricks"] == b("1")
    for test in (True, False):
        opts["test"] = test
        ret = states.host_retired("v", "node2")
        assert (ret["result"], ret["changes"]) == (True, {}), ret
        assert "nothing to retire" in ret["comment"]
    assert len(pool.changed()) == 2


def test_retire_by_address(states, pool):
    """The volume knows node2 by name, the caller by address (or the reverse)."""
    two_hosts(pool)
    ret = states.host_retired("v", "10.0.0.2")
    assert ret["result"] is True, ret
    assert ret["changes"]["bricks_removed"] == ["node2:/srv/1"]


def test_retire_to_a_spare(states, pool, opts):
    two_hosts(pool)
    pool.add_peer("node3")
    pool.add_peer("node4")
    expected = {"bricks_replaced": {"node2:/srv/1": "node3:/srv/1"}, "detached": "node2"}
    opts["test"] = True
    ret = states.host_retired("v", "node2", spares=["node2", LOCAL, "node3", "node4"])
    assert (ret["result"], ret["changes"]) == (None, expected), ret
    assert pool.changed() == []
    opts["test"] = False
    ret = states.host_retired("v", "node2", spares=["node2", LOCAL, "node3", "node4"])
    assert (ret["result"], ret["changes"]) == (True, expected), ret
    assert pool.changed() == [
        ("replace_brick", ("v", "node2:/srv/1", "node3:/srv/1"), {}),
        ("peer_detach", ("node2",), {"force": False}),
    ]
    assert pool.volumes["v"]["bricks"] == b("1") + ["node3:/srv/1"]
    assert pool.volumes["v"]["replica"] == 2


def test_retire_local_spare(states, pool):
    pool.add_peer("node2")
    pool.add_peer("node3")
    pool.add_volume("v", ["node2:/srv/1", "node3:/srv/1"], replica=2)
    ret = states.host_retired("v", "node3", spares=["localhost"])
    assert ret["changes"]["bricks_replaced"] == {"node3:/srv/1": "localhost:/srv/1"}


def test_retire_skips_a_disconnected_spare(states, pool):
    two_hosts(pool, replica=3)
    pool.add_peer("node3", connected=False)
    ret = states.host_retired("v", "node2", spares=["node3", "node9"])
    assert ret["result"] is True, ret
    assert ret["changes"]["replica"] == {"old": 3, "new": 2}
    assert "spare node3 skipped: not a connected peer" in ret["comment"]
    assert "spare node9 skipped" in ret["comment"]


def test_retire_replace_then_remove(states, pool):
    pool.add_peer("node2")
    pool.add_peer("node3")
    pool.add_volume("v", b("1") + ["node2:/srv/1", "node2:/srv/2"], replica=3)
    ret = states.host_retired("v", "node2", spares=["node3"])
    assert ret["result"] is True, ret
    assert [c[0] for c in pool.changed()] == ["replace_brick", "remove_bricks", "peer_detach"]
    assert ret["changes"] == {
        "bricks_replaced": {"node2:/srv/1": "node3:/srv/1"},
        "bricks_removed": ["node2:/srv/2"], "replica": {"old": 3, "new": 2},
        "detached": "node2"}


def test_only_if_disconnected_leaves_a_connected_member(states, pool, opts):
    two_hosts(pool)
    for test in (True, False):
        opts["test"] = test
        ret = states.host_retired("v", "node2", only_if_disconnected=True)
        assert (ret["result"], ret["changes"]) == (True, {}), ret
        assert "node2 is a connected member of the pool: nothing to replace" == ret["comment"]
    assert pool.changed() == []


def test_dead_host_is_retired_without_heal_check(states, pool):
    two_hosts(pool, connected=False)
    # what a surviving brick shows: the writes the dead one missed
    pool.heal["v"] = heal((b("1")[0], "Connected", 7),
                          ("node2:/srv/1", "Transport endpoint is not connected", None))
    ret = states.host_retired("v", "node2", only_if_disconnected=True)
    assert ret["result"] is True, ret
    assert pool.changed() == [
        ("remove_bricks", ("v", ["node2:/srv/1"]), {"replica": 1, "force": True}),
        ("peer_detach", ("node2",), {"force": True}),
    ]
    assert "volume_heal_info" not in [c[0] for c in pool.calls]


@pytest.mark.parametrize(
    "report, message",
    [
        (heal((b("1")[0], "Connected", 3), ("node2:/srv/1", "Connected", 0)),
         f"{b('1')[0]} has 3 entries pending heal"),
        (heal((b("1")[0], "Connected", 0), ("node2:/srv/1", "Connected", 1)),
         "node2:/srv/1 has 1 entries pending heal"),
        (heal((b("1")[0], "Connected", 0),
              ("node2:/srv/1", "Transport endpoint is not connected", None)),
         "node2:/srv/1 cannot be read (Transport endpoint is not connected)"),
    ],
)
def test_connected_host_with_pending_heal_is_refused(states, pool, opts, report, message):
    two_hosts(pool)
    pool.heal["v"] = report
    for test in (True, False):
        opts["test"] = test
        ret = states.host_retired("v", "node2")
        assert (ret["result"], ret["changes"]) == (False, {}), ret
        assert ("cannot retire node2 from volume v yet: its replica set is not in "
                "sync") in ret["comment"]
        assert message in ret["comment"]
        assert "retry once self-heal is done" in ret["comment"]
    assert pool.changed() == []


def test_entries_of_a_moment_are_waited_for(states, pool, monkeypatch):
    """A write in flight (a guest's console log) lists an entry for a
    moment: heal info is asked again until clean, within HEAL_SYNC_TIMEOUT."""
    two_hosts(pool)
    reports = [heal((b("1")[0], "Connected", 1), ("node2:/srv/1", "Connected", 0)),
               heal((b("1")[0], "Connected", 0), ("node2:/srv/1", "Connected", 0))]
    asked = []

    def heal_info(name):
        asked.append(name)
        return reports[min(len(asked), len(reports)) - 1]

    states.__salt__["gluster.volume_heal_info"] = heal_info
    monkeypatch.setattr(states, "HEAL_SYNC_TIMEOUT", 30)
    monkeypatch.setattr(states, "HEAL_SYNC_INTERVAL", 0)
    ret = states.host_retired("v", "node2")
    assert ret["result"] is True, ret
    assert asked == ["v", "v"]
    assert [c[0] for c in pool.changed()] == ["remove_bricks", "peer_detach"]


def test_heal_info_failure_refuses(states, pool):
    two_hosts(pool)
    pool.fail["volume_heal_info"] = "gluster volume heal v info failed: Volume v is not started"
    ret = states.host_retired("v", "node2")
    assert (ret["result"], ret["changes"]) == (False, {})
    assert "pending heals cannot be checked" in ret["comment"]
    assert "is not started" in ret["comment"]
    assert pool.changed() == []


@pytest.mark.parametrize(
    "setup, host, kwargs, message",
    [
        (lambda pool: pool.add_volume("v", b("1", "2"), replica=2), LOCAL, {},
         f"{LOCAL} is this host: run gluster.host_retired on a host that stays in the pool"),
        (lambda pool: pool.add_volume("v", b("1") + ["node2:/srv/1"]), "node2", {},
         "not replicated (replica 1)"),
        (lambda pool: pool.add_volume("v", b("1") + ["node2:/srv/1"], replica=2), "node2", {},
         "holds brick(s) node2:/srv/1 but is not a peer of this pool"),
        (lambda pool: (two_hosts(pool), pool.add_volume("w", ["node2:/srv/w"])), "node2", {},
         "cannot retire node2: it also holds bricks of volume(s) w; retire it from those first"),
        (lambda pool: two_hosts(pool), "node 2", {}, "host must be a host name"),
        (lambda pool: two_hosts(pool), "node2", {"spares": [None]}, "spares must be a list"),
        (lambda pool: (pool.add_peer("node2"), pool.add_peer("node3"),
                       pool.add_volume("v", b("1", "2") + ["node2:/srv/1", "node3:/srv/1"],
                                       replica=2)),
         "node2", {}, "cannot hold replica 2 of this distributed-replicated volume (2 x 2)"),
    ],
)
def test_retire_refusals_change_nothing(states, pool, opts, setup, host, kwargs, message):
    setup(pool)
    for test in (True, False):
        opts["test"] = test
        ret = states.host_retired("v", host, **kwargs)
        assert (ret["result"], ret["changes"]) == (False, {}), ret
        assert message in ret["comment"]
    assert pool.changed() == []


def test_retire_peer_without_bricks_only_detaches(states, pool):
    two_hosts(pool)
    pool.add_peer("node3", connected=False)
    ret = states.host_retired("v", "node3")
    assert (ret["result"], ret["changes"]) == (True, {"detached": "node3"}), ret
    assert pool.changed() == [("peer_detach", ("node3",), {"force": True})]


def test_retire_from_an_absent_volume(states, pool):
    pool.add_peer("node2")
    ret = states.host_retired("v", "node2")
    assert (ret["result"], ret["changes"]) == (True, {"detached": "node2"}), ret
    assert "volume v does not exist" in ret["comment"]
    ret = states.host_retired("v", "node2")
    assert (ret["result"], ret["changes"]) == (True, {}), ret


def test_retire_failure_keeps_what_was_done(states, pool):
    two_hosts(pool)
    pool.add_peer("node3")
    pool.fail["peer_detach"] = "gluster peer detach node2 failed: boom"
    ret = states.host_retired("v", "node2", spares=["node3"])
    assert ret["result"] is False
    assert ret["comment"] == "gluster peer detach node2 failed: boom"
    assert ret["changes"] == {"bricks_replaced": {"node2:/srv/1": "node3:/srv/1"}}


def test_retire_gluster_not_running(states, pool, opts):
    pool.fail["volume_info"] = (
        "gluster volume info failed (exit code 1): Connection failed. "
        "Please check if gluster daemon is operational."
    )
    opts["test"] = True
    ret = states.host_retired("v", "node2")
    assert (ret["result"], ret["changes"]) == (None, {})
    assert "once glusterd runs" in ret["comment"]
    opts["test"] = False
    assert states.host_retired("v", "node2")["result"] is False


@pytest.mark.parametrize("is_synced", [True, False])
def test_the_states_import_the_planners_beside_them(tmp_path, is_synced):
    """saltutil.sync_all puts _states/ in extmods/states and _utils/ in
    extmods/utils: the synced gluster states import the synced planners;
    pip-installed, the package's."""
    opts = make_minion_opts(tmp_path / "root", "gluster", tmp_path / "pillar")
    names = ("saltext_openstack_gluster_plan", "saltext_openstack_state")
    if is_synced:
        extmods = synced(opts, utils=names)
        (extmods / "states").mkdir()
        shutil.copy(REPO / "_states" / "gluster.py", extmods / "states")
    with forgotten(*names):
        utils = salt.loader.utils(opts)
        mods = salt.loader.minion_mods(opts, utils=utils)
        states = salt.loader.states(opts, mods, utils, {})
        function = states["gluster.volume_present"]
        used = getattr(function, "func", function).__globals__["glplan"]
        if is_synced:
            assert used.__file__ == str(extmods / "utils" / "saltext_openstack_gluster_plan.py")
        else:
            assert used is glplan
