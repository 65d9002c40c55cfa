"""
The openstack_ovs execution and state modules against an in-memory
ovs-vsctl: the commands they build, how they read ovs-vsctl's JSON, and
that a second run changes nothing.
"""
import json
import shlex

import pytest
from source_module import load
from salt.exceptions import CommandExecutionError, SaltInvocationError




def _atom(text):
    return json.loads(text) if text.startswith('"') else text


class FakeVsctl:
    """The ovs-vsctl commands the module uses, on an in-memory database."""

    def __init__(self):
        self.tables = {
            "Open_vSwitch": {".": {"external_ids": {"hostname": "h"}, "other_config": {}}},
            "Bridge": {},
        }
        self.ports = {}
        self.commands = []

    def run_all(self, cmd, python_shell=False, ignore_retcode=False):
        assert python_shell is False and cmd[0] == "ovs-vsctl"
        args = [arg for arg in cmd[1:] if not arg.startswith("--timeout=")]
        self.commands.append(args)
        out = []
        try:
            for command in self._split(args):
                out.append(self._one(command))
        except KeyError as exc:
            return {"retcode": 1, "stdout": "", "stderr": "ovs-vsctl: no row {}".format(exc)}
        return {"retcode": 0, "stdout": "".join(o for o in out if o), "stderr": ""}

    @staticmethod
    def _split(args):
        command = []
        for arg in args:
            if arg == "--":
                yield command
                command = []
            else:
                command.append(arg)
        yield command

    def _one(self, command):
        options = [a for a in command if a.startswith("--")]
        words = [a for a in command if not a.startswith("--")]
        verb = words[0]
        if verb == "list":
            table, name = words[1], words[2]
            columns = next(o for o in options if o.startswith("--columns=")).split("=", 1)[1]
            row = self.tables[table].get(name)
            if row is None:
                assert "--if-exists" in options
                return json.dumps({"data": [], "headings": columns.split(",")})
            data = [self._json(row.get(column)) for column in columns.split(",")]
            return json.dumps({"data": [data], "headings": columns.split(",")})
        if verb == "set":
            row = self.tables[words[1]][words[2]]
            for setting in words[3:]:
                target, value = setting.split("=", 1)
                if ":" in target:
                    column, key = target.split(":", 1)
                    row.setdefault(column, {})[key] = _atom(value)
                else:
                    row[target] = _atom(value)
            return ""
        if verb == "remove":
            self.tables[words[1]][words[2]][words[3]].pop(words[4], None)
            return ""
        if verb == "add-br":
            self.tables["Bridge"].setdefault(words[1], {"datapath_type": "", "other_config": {}})
            self.ports.setdefault(words[1], [])
            return ""
        if verb == "del-br":
            self.tables["Bridge"].pop(words[1], None)
            self.ports.pop(words[1], None)
            return ""
        if verb == "list-ports":
            return "".join(port + "\n" for port in self.ports[words[1]])
        if verb == "add-port":
            if words[2] not in self.ports[words[1]]:
                self.ports[words[1]].append(words[2])
            return ""
        raise AssertionError("unexpected command " + shlex.join(command))

    @staticmethod
    def _json(value):
        if isinstance(value, dict):
            return ["map", [[k, v] for k, v in sorted(value.items())]]
        return value if value is not None else ["set", []]


@pytest.fixture
def vsctl():
    return FakeVsctl()


@pytest.fixture
def mod(vsctl, monkeypatch):
    module = load("_modules/openstack_ovs.py", "openstack_ovs_mod")
    module.__salt__ = {"cmd.run_all": vsctl.run_all}
    monkeypatch.setattr(module.salt.utils.path, "which", lambda program: "/usr/bin/" + program)
    return module


@pytest.fixture
def state(mod, tmp_path):
    module = load("_states/openstack_ovs.py", "openstack_ovs_state")
    module.__opts__ = {"test": False}
    macs = {"eth1": "52:54:00:00:00:01"}
    module.__salt__ = {
        "openstack_ovs." + name: getattr(mod, name)
        for name in ("record", "differences", "set_values", "bridge_add", "bridge_delete",
                     "ports", "port_add", "installed")
    }
    module.__salt__["openstack_ovs.interface_mac"] = macs.__getitem__
    return module


CHASSIS = {"external_ids": {"system-id": "compute1", "ovn-remote": "tcp:192.0.2.10:6642",
                            "ovn-cms-options": None},
           "other_config": {"userspace-tso-enable": True}}


def test_record_reads_maps_and_empty_columns(mod, vsctl):
    vsctl.tables["Bridge"]["br-ex"] = {"datapath_type": "netdev", "other_config": {"a": "b"}}
    assert mod.record("Bridge", "br-ex", "datapath_type,other_config") == {
        "datapath_type": "netdev", "other_config": {"a": "b"}}
    assert mod.record("Bridge", "br-nope", ["datapath_type"]) is None


def test_differences_compare_only_the_keys_given(mod):
    current = {"external_ids": {"system-id": "old", "hostname": "h", "ovn-cms-options": "x"},
               "datapath_type": ""}
    wanted = {"external_ids": {"system-id": "compute1", "hostname": "h", "ovn-cms-options": None},
              "datapath_type": "netdev", "other_config": {"userspace-tso-enable": True}}
    assert mod.differences(current, wanted) == {
        "external_ids": {"system-id": "compute1", "ovn-cms-options": None},
        "datapath_type": "netdev",
        "other_config": {"userspace-tso-enable": "true"},
    }


def test_set_values_is_one_transaction_with_quoted_values(mod, vsctl):
    mod.set_values("Open_vSwitch", ".", {"external_ids": {"ovn-remote": "tcp:192.0.2.10:6642",
                                                          "hostname": None}})
    assert vsctl.commands == [["set", "Open_vSwitch", ".", 'external_ids:ovn-remote="tcp:192.0.2.10:6642"',
                               "--", "remove", "Open_vSwitch", ".", "external_ids", "hostname"]]


def test_plain_words_are_written_bare_for_non_string_columns(mod, vsctl):
    vsctl.tables["Bridge"]["br-t"] = {"stp_enable": False, "other_config": {}}
    mod.set_values("Bridge", "br-t", {"stp_enable": True, "other_config": {"a": 7, "b": ""}})
    assert vsctl.commands[-1] == ["set", "Bridge", "br-t", 'other_config:a=7',
                                  'other_config:b=""', "stp_enable=true"]


def test_no_wait_only_when_the_environment_asks(mod, monkeypatch):
    argv = []
    mod.__salt__ = {"cmd.run_all": lambda cmd, **kw: argv.append(cmd) or
                    {"retcode": 0, "stdout": "", "stderr": ""}}
    monkeypatch.delenv("OPENSTACK_OVS_NO_WAIT", raising=False)
    mod.bridge_delete("br-x")
    monkeypatch.setenv("OPENSTACK_OVS_NO_WAIT", "1")
    mod.bridge_delete("br-x")
    assert argv[0] == ["ovs-vsctl", "--timeout=30", "--if-exists", "del-br", "br-x"]
    assert argv[1] == ["ovs-vsctl", "--timeout=30", "--no-wait", "--if-exists", "del-br", "br-x"]


def test_names_are_checked_before_any_command(mod, vsctl):
    with pytest.raises(SaltInvocationError, match="not a plain OVSDB name"):
        mod.set_values("Open_vSwitch", ".", {"external_ids": {"a b": "c"}})
    with pytest.raises(SaltInvocationError):
        mod.bridge_add("br;rm", "netdev")
    assert vsctl.commands == []


def test_failures_carry_ovs_vsctls_message(mod):
    with pytest.raises(CommandExecutionError, match="no row 'br-x'"):
        mod.set_values("Bridge", "br-x", {"datapath_type": "netdev"})


def test_record_present_sets_then_reports_no_change(state, vsctl):
    ret = state.record_present(".", "Open_vSwitch", CHASSIS)
    assert ret["result"] is True, ret
    assert ret["changes"]["external_ids"] == {
        "old": {"system-id": None, "ovn-remote": None},
        "new": {"system-id": "compute1", "ovn-remote": "tcp:192.0.2.10:6642"}}
    row = vsctl.tables["Open_vSwitch"]["."]
    assert row["external_ids"]["hostname"] == "h"  # other keys stay
    assert row["other_config"] == {"userspace-tso-enable": "true"}
    again = state.record_present(".", "Open_vSwitch", CHASSIS)
    assert again["result"] is True and again["changes"] == {}, again


def test_record_present_test_mode_writes_nothing(state, vsctl):
    state.__opts__["test"] = True
    ret = state.record_present(".", "Open_vSwitch", CHASSIS)
    assert ret["result"] is None and ret["changes"], ret
    assert not [c for c in vsctl.commands if c[0] == "set"]


def test_states_before_open_vswitch_is_installed(state, mod, monkeypatch):
    monkeypatch.setattr(mod.salt.utils.path, "which", lambda program: None)
    state.__opts__["test"] = True
    ret = state.bridge_present("br-ex", "netdev", ports=["eth2"])
    assert ret["result"] is None, ret
    assert ret["comment"] == ("Would make bridge br-ex once Open vSwitch is installed "
                              "(ovs-vsctl (package openvswitch-switch) is not installed)")
    # No Open vSwitch, no bridge: absent holds, in both modes.
    for test in (True, False):
        state.__opts__["test"] = test
        ret = state.bridge_absent("br-int", keep_datapath_type="netdev")
        assert ret["result"] is True and not ret["changes"], ret
        assert "Open vSwitch is not installed" in ret["comment"]
    ret = state.record_present(".", "Open_vSwitch", CHASSIS)
    assert ret["result"] is False and "is not installed" in ret["comment"]


def test_other_errors_fail_in_test_mode_too(state, vsctl):
    state.__opts__["test"] = True
    ret = state.record_present("br-x", "Bridge", {"datapath_type": "netdev"})
    assert ret["result"] is False and "no record br-x in table Bridge" in ret["comment"]


def test_bridge_present_creates_pins_mac_and_keeps_other_ports(state, vsctl):
    ret = state.bridge_present("br-phy", "netdev", ports=["eth1"], hwaddr_from="eth1")
    assert ret["result"] is True, ret
    assert set(ret["changes"]) == {"bridge", "datapath_type", "other_config", "ports"}
    assert vsctl.tables["Bridge"]["br-phy"] == {
        "datapath_type": "netdev", "other_config": {"hwaddr": "52:54:00:00:00:01"}}
    vsctl.ports["br-phy"].append("patch-to-br-int")
    again = state.bridge_present("br-phy", "netdev", ports=["eth1"], hwaddr_from="eth1")
    assert again["result"] is True and again["changes"] == {}, again
    assert vsctl.ports["br-phy"] == ["eth1", "patch-to-br-int"]


def test_bridge_present_fixes_the_datapath_type(state, vsctl):
    vsctl.tables["Bridge"]["br-ex"] = {"datapath_type": "", "other_config": {}}
    vsctl.ports["br-ex"] = ["eth2"]
    ret = state.bridge_present("br-ex", "netdev", ports=["eth2"])
    assert ret["changes"] == {"datapath_type": {"old": "", "new": "netdev"}}, ret
    assert vsctl.tables["Bridge"]["br-ex"]["datapath_type"] == "netdev"


def test_bridge_present_names_a_missing_interface(state, mod):
    state.__salt__["openstack_ovs.interface_mac"] = mod.interface_mac
    ret = state.bridge_present("br-ex", "netdev", ports=["nosuch0"], hwaddr_from="nosuch0")
    assert ret["result"] is False and "no network interface nosuch0" in ret["comment"]


@pytest.mark.parametrize("have, deleted", [("", True), ("system", True), ("netdev", False)])
def test_bridge_absent_keeps_only_the_wanted_datapath_type(state, vsctl, have, deleted):
    vsctl.tables["Bridge"]["br-int"] = {"datapath_type": have, "other_config": {}}
    vsctl.ports["br-int"] = []
    ret = state.bridge_absent("br-int", keep_datapath_type="netdev")
    assert ret["result"] is True
    assert ("br-int" not in vsctl.tables["Bridge"]) is deleted
    assert bool(ret["changes"]) is deleted
    assert state.bridge_absent("br-int", keep_datapath_type="netdev")["changes"] == {}


def test_system_datapath_matches_the_empty_default(state, vsctl):
    vsctl.tables["Bridge"]["br-int"] = {"datapath_type": "", "other_config": {}}
    vsctl.ports["br-int"] = []
    assert state.bridge_absent("br-int", keep_datapath_type="system")["changes"] == {}
