"""
Decision logic of the gluster states, with the gluster execution module
replaced by an in-memory pool (what the real glusterd does is covered by
tests/functional/test_gluster.py).
"""

import pytest
from source_module import load
from salt.exceptions import CommandExecutionError, SaltInvocationError




LOCAL = "192.0.2.250"  # what the fake considers "this host"


class FakePool:
    """The subset of the gluster execution module the states use."""

    def __init__(self, module):
        self.module = module
        self.volumes = {}
        self.peers = {}
        self.calls = []
        self.fail = {}

    def _call(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        if name in self.fail:
            raise CommandExecutionError(self.fail[name])

    def add_volume(self, name, bricks, replica=1, status="started", options=None):
        self.volumes[name] = {
            "name": name,
            "status": status,
            "replica": replica,
            "arbiter": 0,
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

    def loader_dict(self):
        salt = {
            "gluster." + name: getattr(self, name)
            for name in ("volume_info", "peer_status", "peer_probe", "volume_create",
                         "volume_start", "volume_set", "add_bricks")
        }
        for name in ("split_brick", "normalize_brick", "option_value", "option_values_equal"):
            salt["gluster." + name] = getattr(self.module, name)
        return salt

    def changed(self):
        """Calls that change something."""
        return [call for call in self.calls
                if call[0] not in ("volume_info", "peer_status")]


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
    assert states._plan_add_bricks(info, ["a", "b", "c"], None) is None
    assert states._plan_add_bricks(info, ["a", "b", "c"], 3) is None
    assert states._plan_add_bricks(info, ["a", "b"], 4) == 4
    with pytest.raises(SaltInvocationError):
        states._plan_add_bricks(info, ["a"], 4)
