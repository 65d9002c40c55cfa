"""
openstack_ovs against a real Open vSwitch database: trixie's ovsdb-server
on a database made from the installed vswitch.ovsschema (a throwaway server,
see ovsdb_server.py), driven by the real ovs-vsctl the module runs.  Every
change is read back from the database with ovs-vsctl get/list, not only
from the module's return.

There is no ovs-vswitchd: the minion's environment has ``OVS_RUNDIR`` (the
server's socket) and ``OPENSTACK_OVS_NO_WAIT`` (ovs-vsctl ``--no-wait``).
"""
import json

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from ovsdb_server import OvsdbServer  # tests/functional is on sys.path

CHASSIS = {
    "external_ids": {
        "system-id": "compute1",
        "ovn-remote": "tcp:192.0.2.10:6642,tcp:192.0.2.11:6642",
        "ovn-encap-type": "geneve",
    },
    "other_config": {"userspace-tso-enable": True},
}


@pytest.fixture(scope="module")
def ovsdb():
    with OvsdbServer() as server, pytest.MonkeyPatch.context() as mp:
        # what Salt's cmd.run_all hands ovs-vsctl: this server, no waiting
        # for an ovs-vswitchd there is none of
        mp.setenv("OVS_RUNDIR", str(server.rundir))
        mp.setenv("OPENSTACK_OVS_NO_WAIT", "1")
        yield server


@pytest.fixture(autouse=True)
def clean_db(ovsdb):
    """No bridge; the Open_vSwitch record's maps hold only the key ovs-ctl
    keeps there (which the states must leave alone)."""
    for bridge in ovsdb.bridges():
        ovsdb.vsctl("del-br", bridge)
    ovsdb.vsctl("clear", "Open_vSwitch", ".", "external_ids", "other_config")
    ovsdb.vsctl("set", "Open_vSwitch", ".", "external_ids:hostname=test-host")
    yield


@pytest.fixture
def ovs(loaders):
    return loaders.modules.openstack_ovs


def snapshot(ovsdb):
    """The tables the module touches, as ovs-vsctl lists them."""
    return {
        table: json.loads(ovsdb.vsctl("--format=json", "list", table))
        for table in ("Open_vSwitch", "Bridge", "Port", "Interface")
    }


# ---------------------------------------------------------------------------
# Execution module
# ---------------------------------------------------------------------------


def test_the_server_is_the_one_ovs_vsctl_uses(ovs, ovsdb):
    assert ovs.record("Open_vSwitch", ".", "external_ids") == {
        "external_ids": {"hostname": "test-host"}
    }
    ovsdb.vsctl("set", "Open_vSwitch", ".", "external_ids:probe=seen")
    assert ovs.record("Open_vSwitch", ".", ["external_ids"])["external_ids"]["probe"] == "seen"


def test_record_reads_columns_of_a_real_record(ovs, ovsdb):
    assert ovs.record("Bridge", "br-nope", ["datapath_type"]) is None
    ovsdb.vsctl("add-br", "br-r")
    ovsdb.vsctl("set", "Bridge", "br-r", "other_config:a=b", "external_ids:k=v")
    assert ovs.record("Bridge", "br-r", "datapath_type,other_config,external_ids,datapath_id") == {
        "datapath_type": "",
        "other_config": {"a": "b"},
        "external_ids": {"k": "v"},
        "datapath_id": None,  # an empty optional column
    }


def test_set_values_sets_changes_and_removes_single_keys(ovs, ovsdb):
    assert ovs.set_values("Open_vSwitch", ".", CHASSIS) is True
    assert ovsdb.map("Open_vSwitch", ".", "external_ids") == {
        "hostname": "test-host",
        "system-id": "compute1",
        "ovn-remote": "tcp:192.0.2.10:6642,tcp:192.0.2.11:6642",
        "ovn-encap-type": "geneve",
    }
    assert ovsdb.get("Open_vSwitch", ".", "other_config:userspace-tso-enable") == "true"

    ovs.set_values("Open_vSwitch", ".", {"external_ids": {"ovn-encap-type": "vxlan",
                                                          "system-id": None}})
    assert ovsdb.get("Open_vSwitch", ".", "external_ids:ovn-encap-type") == "vxlan"
    assert ovsdb.get("Open_vSwitch", ".", "external_ids:system-id") is None
    assert ovsdb.get("Open_vSwitch", ".", "external_ids:hostname") == "test-host"
    # removing a key that is not there is no error
    ovs.set_values("Open_vSwitch", ".", {"external_ids": {"system-id": None}})


def test_bridges_and_ports(ovs, ovsdb):
    assert ovs.bridge_add("br-k") is True
    assert ovs.bridge_add("br-u", "netdev") is True
    assert ovs.bridge_add("br-u", "netdev") is True  # --may-exist
    assert ovsdb.bridges() == ["br-k", "br-u"]
    assert ovsdb.get("Bridge", "br-k", "datapath_type") == ""
    assert ovsdb.get("Bridge", "br-u", "datapath_type") == "netdev"

    assert ovs.ports("br-u") == []
    # an interface the host does not have: only ovs-vswitchd would mind
    assert ovs.port_add("br-u", "test-eth1") is True
    assert ovs.port_add("br-u", "test-eth1") is True
    assert ovs.ports("br-u") == ["test-eth1"]
    assert ovsdb.vsctl("list-ports", "br-u").split() == ["test-eth1"]

    assert ovs.bridge_delete("br-u") is True
    assert ovs.bridge_delete("br-u") is True  # --if-exists
    assert ovsdb.bridges() == ["br-k"]
    assert ovsdb.vsctl("list", "Port", "test-eth1", check=False) == ""


def test_errors_carry_ovs_vsctls_own_message(ovs, ovsdb):
    with pytest.raises(CommandExecutionError, match="no row \"br-x\" in table Bridge"):
        ovs.set_values("Bridge", "br-x", {"datapath_type": "netdev"})
    with pytest.raises(CommandExecutionError, match="no bridge named br-x"):
        ovs.ports("br-x")
    with pytest.raises(CommandExecutionError, match="Bridge does not contain a column"):
        ovs.record("Bridge", "br-x", ["no_such_column"])
    with pytest.raises(SaltInvocationError):
        ovs.bridge_add("br x")
    assert ovsdb.bridges() == []


def test_non_string_columns_are_written_as_their_type(ovs, ovsdb):
    ovsdb.vsctl("add-br", "br-t")
    ovs.set_values("Bridge", "br-t", {"stp_enable": True, "other_config": {"stp-priority": 4096}})
    assert ovsdb.get("Bridge", "br-t", "stp_enable") == "true"
    assert ovsdb.get("Bridge", "br-t", "other_config:stp-priority") == "4096"
    ovsdb.vsctl("add-port", "br-t", "test-eth2")
    ovs.set_values("Interface", "test-eth2", {"mtu_request": 9000})
    assert ovsdb.get("Interface", "test-eth2", "mtu_request") == "9000"
    assert ovs.record("Interface", "test-eth2", ["mtu_request"]) == {"mtu_request": 9000}
    # strings that look like another type stay strings
    ovs.set_values("Bridge", "br-t", {"external_ids": {"n": 7, "flag": False, "empty": ""}})
    assert ovsdb.map("Bridge", "br-t", "external_ids") == {"n": "7", "flag": "false", "empty": ""}


# ---------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------


def test_bridge_present_creates_then_changes_nothing(run_state, ovsdb):
    before = snapshot(ovsdb)
    predicted = run_state("openstack_ovs.bridge_present", name="br-ex", test=True)
    assert predicted["result"] is None, predicted
    assert predicted["changes"] == {
        "bridge": {"old": None, "new": "br-ex"},
        "datapath_type": {"old": None, "new": "system"},
    }
    assert snapshot(ovsdb) == before

    ret = run_state("openstack_ovs.bridge_present", name="br-ex")
    assert ret["result"] is True, ret
    assert ret["changes"] == predicted["changes"]
    assert ovsdb.bridges() == ["br-ex"]
    assert ovsdb.get("Bridge", "br-ex", "datapath_type") == "system"
    # add-br made the bridge's own port and internal interface
    assert ovsdb.get("Port", "br-ex", "name") == "br-ex"
    assert ovsdb.get("Interface", "br-ex", "type") == "internal"

    after = snapshot(ovsdb)
    for test in (True, False):
        again = run_state("openstack_ovs.bridge_present", name="br-ex", test=test)
        assert again["result"] is True and again["changes"] == {}, again
        assert again["comment"] == "Bridge br-ex is as wanted"
    assert snapshot(ovsdb) == after


def test_bridge_present_netdev_with_other_config(run_state, ovsdb):
    args = {"name": "br-phy", "datapath_type": "netdev",
            "other_config": {"disable-in-band": True, "mac-table-size": 4096}}
    ret = run_state("openstack_ovs.bridge_present", **args)
    assert ret["result"] is True, ret
    assert set(ret["changes"]) == {"bridge", "datapath_type", "other_config"}
    assert ovsdb.get("Bridge", "br-phy", "datapath_type") == "netdev"
    assert ovsdb.map("Bridge", "br-phy", "other_config") == {
        "disable-in-band": "true", "mac-table-size": "4096"}
    again = run_state("openstack_ovs.bridge_present", **args)
    assert again["result"] is True and again["changes"] == {}, again


def test_bridge_present_sets_the_datapath_type_of_an_existing_bridge(run_state, ovsdb):
    ovsdb.vsctl("add-br", "br-int")
    ovsdb.vsctl("set", "Bridge", "br-int", "other_config:keep=me")
    before = snapshot(ovsdb)
    predicted = run_state("openstack_ovs.bridge_present", name="br-int",
                          datapath_type="netdev", test=True)
    assert predicted["result"] is None, predicted
    assert predicted["changes"] == {"datapath_type": {"old": "", "new": "netdev"}}
    assert snapshot(ovsdb) == before

    ret = run_state("openstack_ovs.bridge_present", name="br-int", datapath_type="netdev")
    assert ret["result"] is True and ret["changes"] == predicted["changes"], ret
    assert ovsdb.get("Bridge", "br-int", "datapath_type") == "netdev"
    assert ovsdb.map("Bridge", "br-int", "other_config") == {"keep": "me"}
    # the same bridge: its uuid did not change
    assert ovsdb.get("Bridge", "br-int", "_uuid") == before["Bridge"]["data"][0][0][1]
    again = run_state("openstack_ovs.bridge_present", name="br-int", datapath_type="netdev")
    assert again["changes"] == {}, again


def test_bridge_present_adds_ports_and_keeps_others(run_state, ovsdb):
    ovsdb.vsctl("add-br", "br-p", "--", "set", "Bridge", "br-p", "datapath_type=netdev")
    ovsdb.vsctl("add-port", "br-p", "patch-to-br-int")
    ret = run_state("openstack_ovs.bridge_present", name="br-p", datapath_type="netdev",
                    ports=["test-eth3"])
    assert ret["result"] is True, ret
    assert ret["changes"] == {"ports": {"old": ["patch-to-br-int"],
                                        "new": ["patch-to-br-int", "test-eth3"]}}
    assert sorted(ovsdb.vsctl("list-ports", "br-p").split()) == ["patch-to-br-int", "test-eth3"]
    again = run_state("openstack_ovs.bridge_present", name="br-p", datapath_type="netdev",
                      ports=["test-eth3"])
    assert again["changes"] == {}, again


def test_bridge_absent(run_state, ovsdb):
    assert run_state("openstack_ovs.bridge_absent", name="br-gone")["changes"] == {}
    ovsdb.vsctl("add-br", "br-gone")
    ovsdb.vsctl("add-port", "br-gone", "test-eth4")
    before = snapshot(ovsdb)
    predicted = run_state("openstack_ovs.bridge_absent", name="br-gone", test=True)
    assert predicted["result"] is None, predicted
    assert predicted["changes"] == {"bridge": {"old": "br-gone (system)", "new": None}}
    assert snapshot(ovsdb) == before

    ret = run_state("openstack_ovs.bridge_absent", name="br-gone")
    assert ret["result"] is True and ret["changes"] == predicted["changes"], ret
    assert ovsdb.bridges() == []
    # its ports and interfaces went with it
    assert snapshot(ovsdb)["Port"]["data"] == []
    assert snapshot(ovsdb)["Interface"]["data"] == []
    for test in (True, False):
        again = run_state("openstack_ovs.bridge_absent", name="br-gone", test=test)
        assert again["result"] is True and again["changes"] == {}, again


def test_bridge_absent_keeps_the_wanted_datapath_type(run_state, ovsdb):
    ovsdb.vsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev")
    ret = run_state("openstack_ovs.bridge_absent", name="br-int", keep_datapath_type="netdev")
    assert ret["result"] is True and ret["changes"] == {}, ret
    assert ovsdb.bridges() == ["br-int"]
    ret = run_state("openstack_ovs.bridge_absent", name="br-int", keep_datapath_type="system")
    assert ret["changes"] == {"bridge": {"old": "br-int (netdev)", "new": None}}, ret
    assert ovsdb.bridges() == []


def test_record_present_sets_changes_removes_and_is_idempotent(run_state, ovsdb):
    ret = run_state("openstack_ovs.record_present", name="chassis", table="Open_vSwitch",
                    record=".", values=CHASSIS)
    assert ret["result"] is True, ret
    assert ret["changes"] == {
        "external_ids": {"old": {"system-id": None, "ovn-remote": None, "ovn-encap-type": None},
                         "new": CHASSIS["external_ids"]},
        "other_config": {"old": {"userspace-tso-enable": None},
                         "new": {"userspace-tso-enable": "true"}},
    }
    assert ovsdb.map("Open_vSwitch", ".", "external_ids") == {
        "hostname": "test-host", **CHASSIS["external_ids"]}
    assert ovsdb.map("Open_vSwitch", ".", "other_config") == {"userspace-tso-enable": "true"}
    again = run_state("openstack_ovs.record_present", name="chassis", table="Open_vSwitch",
                      record=".", values=CHASSIS)
    assert again["result"] is True and again["changes"] == {}, again

    changed = {"external_ids": {"ovn-encap-type": "vxlan", "system-id": None},
               "other_config": {"userspace-tso-enable": False}}
    ret = run_state("openstack_ovs.record_present", name="chassis", table="Open_vSwitch",
                    record=".", values=changed)
    assert ret["changes"] == {
        "external_ids": {"old": {"ovn-encap-type": "geneve", "system-id": "compute1"},
                         "new": {"ovn-encap-type": "vxlan", "system-id": None}},
        "other_config": {"old": {"userspace-tso-enable": "true"},
                         "new": {"userspace-tso-enable": "false"}},
    }, ret
    assert ovsdb.map("Open_vSwitch", ".", "external_ids") == {
        "hostname": "test-host", "ovn-remote": CHASSIS["external_ids"]["ovn-remote"],
        "ovn-encap-type": "vxlan"}
    assert ovsdb.get("Open_vSwitch", ".", "other_config:userspace-tso-enable") == "false"
    again = run_state("openstack_ovs.record_present", name="chassis", table="Open_vSwitch",
                      record=".", values=changed)
    assert again["result"] is True and again["changes"] == {}, again


def test_record_present_test_mode_predicts_and_writes_nothing(run_state, ovsdb):
    ovsdb.vsctl("set", "Open_vSwitch", ".", "external_ids:ovn-encap-type=vxlan",
                "external_ids:ovn-cms-options=enable-chassis-as-gw")
    values = {"external_ids": {"ovn-encap-type": "geneve", "ovn-cms-options": None},
              "other_config": {"userspace-tso-enable": True}}
    before = snapshot(ovsdb)
    predicted = run_state("openstack_ovs.record_present", name=".", table="Open_vSwitch",
                          values=values, test=True)
    assert predicted["result"] is None, predicted
    assert predicted["comment"] == "Would set external_ids, other_config in Open_vSwitch ."
    assert predicted["changes"] == {
        "external_ids": {"old": {"ovn-encap-type": "vxlan",
                                 "ovn-cms-options": "enable-chassis-as-gw"},
                         "new": {"ovn-encap-type": "geneve", "ovn-cms-options": None}},
        "other_config": {"old": {"userspace-tso-enable": None},
                         "new": {"userspace-tso-enable": "true"}},
    }
    assert snapshot(ovsdb) == before

    applied = run_state("openstack_ovs.record_present", name=".", table="Open_vSwitch",
                        values=values)
    assert applied["result"] is True and applied["changes"] == predicted["changes"], applied
    assert ovsdb.map("Open_vSwitch", ".", "external_ids") == {
        "hostname": "test-host", "ovn-encap-type": "geneve"}
    after = snapshot(ovsdb)
    nothing = run_state("openstack_ovs.record_present", name=".", table="Open_vSwitch",
                        values=values, test=True)
    assert nothing["result"] is True and nothing["changes"] == {}, nothing
    assert snapshot(ovsdb) == after


def test_record_present_on_a_bridge(run_state, ovsdb):
    ovsdb.vsctl("add-br", "br-ex")
    values = {"external_ids": {"bridge-id": "br-ex"}, "other_config": {"hwaddr": "52:54:00:00:00:01"}}
    ret = run_state("openstack_ovs.record_present", name="br-ex", table="Bridge", values=values)
    assert ret["result"] is True, ret
    assert ovsdb.get("Bridge", "br-ex", "other_config:hwaddr") == "52:54:00:00:00:01"
    assert ovsdb.get("Bridge", "br-ex", "external_ids:bridge-id") == "br-ex"
    again = run_state("openstack_ovs.record_present", name="br-ex", table="Bridge", values=values)
    assert again["changes"] == {}, again


def test_record_present_fails_on_a_missing_record(run_state, ovsdb):
    for test in (True, False):
        ret = run_state("openstack_ovs.record_present", name="br-x", table="Bridge",
                        values={"datapath_type": "netdev"}, test=test)
        assert ret["result"] is False, ret
        assert "no record br-x in table Bridge" in ret["comment"]
    assert ovsdb.bridges() == []
