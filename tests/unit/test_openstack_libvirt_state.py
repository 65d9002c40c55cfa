"""
Logic of openstack_libvirt.secret_present against an in-memory virsh (a
real libvirtd is not run on the test host; the test cluster's computes run
the state for real): idempotence, test mode, redefinition, and the key
never on a command line, only in a 0600 file that is gone afterwards.
"""
import base64
import os
import stat
import xml.etree.ElementTree as ET

import pytest
from source_module import load

UUID = "a5f237b0-bbf4-5bac-9040-ea6db55c0513"
USAGE = "client.cinder secret"
KEY = "AQDJQ2yZK53MHhAA6Z+gxABOLED1xlX6h9XE4g=="


class FakeVirsh:
    """cmd.run_all for virsh's secret commands, with libvirt's rules that
    matter here: a private secret's value cannot be read back; --file
    values are base64."""

    def __init__(self):
        self.secrets = {}  # uuid -> {"xml": str, "private": str, "value": bytes}
        self.argvs = []
        self.files = []  # (mode, owner uid, contents) of each --file when read
        self.kwargs = []

    def run_all(self, argv, **kwargs):
        self.argvs.append(list(argv))
        self.kwargs.append(kwargs)
        assert argv[0] == "virsh" and kwargs["python_shell"] is False
        command, args = argv[1], argv[2:]
        if command == "secret-dumpxml":
            if args[0] not in self.secrets:
                return self._err("error: failed to get secret '{}'".format(args[0]))
            return self._ok(self.secrets[args[0]]["xml"])
        if command == "secret-list":
            rows = "".join(" {}   {} {}\n".format(uuid, *self._usage(secret["xml"]))
                           for uuid, secret in self.secrets.items())
            return self._ok(" UUID                                   Usage\n"
                            "-" * 60 + "\n" + rows)
        if command == "secret-define":
            secret = ET.fromstring(self._read(args[1]))
            uuid = secret.findtext("uuid")
            old = self.secrets.get(uuid)
            usage = self._usage(ET.tostring(secret, encoding="unicode"))
            if any(self._usage(other["xml"]) == usage for key, other in self.secrets.items()
                   if key != uuid):
                return self._err("error: a secret with UUID x already defined for use with "
                                 "{} {}".format(*usage))
            if old and old["private"] != secret.get("private"):
                return self._err("error: cannot change private flag on existing secret")
            self.secrets[uuid] = {"xml": ET.tostring(secret, encoding="unicode"),
                                  "private": secret.get("private"),
                                  "value": old["value"] if old else None}
            return self._ok("Secret {} created".format(uuid))
        if command == "secret-undefine":
            del self.secrets[args[0]]
            return self._ok("")
        if command == "secret-set-value":
            assert args[1] == "--file"
            self.secrets[args[0]]["value"] = base64.b64decode(self._read(args[2]), validate=True)
            return self._ok("Secret value set")
        if command == "secret-get-value":
            secret = self.secrets[args[0]]
            if secret["private"] != "no" or secret["value"] is None:
                return self._err("error: secret is private or has no value")
            return self._ok(base64.b64encode(secret["value"]).decode() + "\n")
        raise AssertionError(argv)

    @staticmethod
    def _usage(xml):
        node = ET.fromstring(xml).find("usage")
        return node.get("type"), node.findtext("name")

    def _read(self, path):
        info = os.stat(path)
        with open(path, encoding="utf-8") as handle:
            contents = handle.read()
        self.files.append((stat.S_IMODE(info.st_mode), info.st_uid, path, contents))
        return contents

    @staticmethod
    def _ok(stdout):
        return {"retcode": 0, "stdout": stdout, "stderr": ""}

    @staticmethod
    def _err(stderr):
        return {"retcode": 1, "stdout": "", "stderr": stderr}


@pytest.fixture
def virsh():
    return FakeVirsh()


@pytest.fixture
def states(virsh, monkeypatch):
    module = load("_states/openstack_libvirt.py", "openstack_libvirt_state_under_test")
    module.__salt__ = {"cmd.run_all": virsh.run_all}
    module.__opts__ = {"test": False}
    monkeypatch.setattr(module.salt.utils.path, "which", lambda name: "/usr/bin/" + name)
    return module


def present(states, **kwargs):
    return states.secret_present(UUID, USAGE, KEY, **kwargs)


def assert_key_never_shown(virsh, ret):
    assert not any(KEY in arg for argv in virsh.argvs for arg in argv)
    assert KEY not in repr(ret)
    assert all(kwargs["output_loglevel"] == "quiet" for kwargs in virsh.kwargs)


def test_defines_then_sets_the_value_through_0600_files_that_are_removed(states, virsh):
    ret = present(states)
    assert ret["result"] is True
    assert ret["changes"] == {"definition": "defined", "value": "set (not shown)"}
    assert [argv[1] for argv in virsh.argvs] == [
        "secret-dumpxml", "secret-list", "secret-define", "secret-set-value"]
    assert virsh.secrets[UUID]["value"] == base64.b64decode(KEY)
    definition, value = virsh.files
    assert KEY not in definition[3] and value[3] == KEY
    assert {(mode, uid) for mode, uid, _, _ in virsh.files} == {(0o600, os.getuid())}
    assert not any(os.path.exists(path) for _, _, path, _ in virsh.files)
    assert_key_never_shown(virsh, ret)


def test_the_definition_holds_uuid_and_usage_only(states):
    secret = ET.fromstring(states._secret_xml(UUID, USAGE))
    assert secret.attrib == {"ephemeral": "no", "private": "no"}
    assert secret.findtext("uuid") == UUID
    assert secret.find("usage").attrib == {"type": "ceph"}
    assert secret.findtext("usage/name") == USAGE
    assert states._same_definition(states._secret_xml(UUID, USAGE), UUID.upper(), USAGE)
    assert not states._same_definition(states._secret_xml(UUID, "other"), UUID, USAGE)
    assert not states._same_definition("<secret", UUID, USAGE)


@pytest.mark.parametrize("test", [False, True])
def test_a_second_run_changes_nothing(states, virsh, test):
    present(states)
    states.__opts__["test"] = test
    virsh.argvs.clear()
    ret = present(states)
    assert ret["result"] is True and ret["changes"] == {}
    assert [argv[1] for argv in virsh.argvs] == ["secret-dumpxml", "secret-get-value"]
    assert_key_never_shown(virsh, ret)


def test_test_mode_predicts_and_touches_nothing(states, virsh):
    states.__opts__["test"] = True
    ret = present(states)
    assert ret["result"] is None
    assert ret["changes"] == {"definition": "defined", "value": "set (not shown)"}
    assert virsh.secrets == {} and virsh.files == []


def test_a_new_key_is_set_without_redefining(states, virsh):
    present(states)
    virsh.secrets[UUID]["value"] = b"old"
    states.__opts__["test"] = True
    assert present(states)["changes"] == {"value": "set (not shown)"}
    states.__opts__["test"] = False
    virsh.argvs.clear()
    ret = present(states)
    assert ret["changes"] == {"value": "set (not shown)"}
    assert [argv[1] for argv in virsh.argvs] == [
        "secret-dumpxml", "secret-get-value", "secret-set-value"]
    assert virsh.secrets[UUID]["value"] == base64.b64decode(KEY)


def test_a_private_secret_of_that_uuid_is_redefined(states, virsh):
    """A private secret cannot be read back (nor made public in place):
    it is undefined, defined again and given the value."""
    virsh.secrets[UUID] = {"xml": states._secret_xml(UUID, USAGE).replace(
        "private=\"no\"", "private=\"yes\""), "private": "yes", "value": b"x"}
    ret = present(states)
    assert ret["result"] is True
    assert ret["changes"] == {"definition": "redefined", "value": "set (not shown)"}
    assert virsh.secrets[UUID]["private"] == "no"
    assert present(states)["changes"] == {}


def test_a_virsh_failure_is_reported_without_the_key(states, virsh):
    def refuse(argv, **kwargs):
        if argv[1] == "secret-define":
            return {"retcode": 1, "stdout": "", "stderr": "error: usage in use by another"}
        return FakeVirsh.run_all(virsh, argv, **kwargs)
    states.__salt__["cmd.run_all"] = refuse
    ret = present(states)
    assert ret["result"] is False
    assert "virsh secret-define failed: error: usage in use by another" in ret["comment"]
    assert_key_never_shown(virsh, ret)


def test_without_virsh_test_mode_predicts_and_a_run_fails(states, monkeypatch):
    monkeypatch.setattr(states.salt.utils.path, "which", lambda name: None)
    states.__opts__["test"] = True
    assert present(states)["result"] is None
    states.__opts__["test"] = False
    ret = present(states)
    assert ret["result"] is False and "virsh is not installed" in ret["comment"]


@pytest.mark.parametrize("value", ["", None, "   "])
def test_an_empty_value_is_refused(states, virsh, value):
    ret = states.secret_present(UUID, USAGE, value)
    assert ret["result"] is False and virsh.argvs == []


def test_a_secret_defined_without_a_value_gets_it(states, virsh):
    """A run stopped between define and set, or a secret defined by hand:
    secret-get-value fails, which means "not held", not a failure (the
    hostile review's finding: every later run failed)."""
    virsh.secrets[UUID] = {"xml": states._secret_xml(UUID, USAGE), "private": "no",
                           "value": None}
    states.__opts__["test"] = True
    assert present(states)["changes"] == {"value": "set (not shown)"}
    states.__opts__["test"] = False
    ret = present(states)
    assert ret["result"] is True and ret["changes"] == {"value": "set (not shown)"}
    assert virsh.secrets[UUID]["value"] == base64.b64decode(KEY)
    assert present(states)["changes"] == {}
    assert_key_never_shown(virsh, ret)


def test_a_new_uuid_replaces_the_secret_that_has_the_usage(states, virsh):
    """libvirt holds one secret per usage: moved to a new UUID (a new fsid,
    libvirt_secret_uuid set in pillar), the old UUID's secret goes."""
    old = "0b5f0f9a-6a47-4a3c-8a8e-3d0c9e0e0001"
    virsh.secrets[old] = {"xml": states._secret_xml(old, USAGE), "private": "no",
                          "value": b"old"}
    other = "0b5f0f9a-6a47-4a3c-8a8e-3d0c9e0e0002"
    virsh.secrets[other] = {"xml": states._secret_xml(other, "client.glance secret"),
                            "private": "no", "value": b"glance"}
    states.__opts__["test"] = True
    ret = present(states)
    assert ret["result"] is None
    assert ret["changes"] == {"replaced": old, "definition": "defined",
                              "value": "set (not shown)"}
    assert "replaces " + old in ret["comment"] and old in virsh.secrets
    states.__opts__["test"] = False
    ret = present(states)
    assert ret["result"] is True and ret["changes"]["replaced"] == old
    assert sorted(virsh.secrets) == sorted([UUID, other])
    assert virsh.secrets[UUID]["value"] == base64.b64decode(KEY)
    assert present(states)["changes"] == {}
    assert_key_never_shown(virsh, ret)


def test_virsh_unchecked_returns_the_result_and_raises_nothing(states, virsh):
    """check=False (how _defined and _holds ask): cmd.run_all's result as
    it is, a failure included; the output is never logged either way."""
    ret = states._virsh("secret-dumpxml", UUID, check=False)
    assert ret == {"retcode": 1, "stdout": "",
                   "stderr": "error: failed to get secret '{}'".format(UUID)}
    virsh.secrets[UUID] = {"xml": states._secret_xml(UUID, USAGE), "private": "no",
                           "value": None}
    ret = states._virsh("secret-dumpxml", UUID, check=False)
    assert ret["retcode"] == 0 and ret["stdout"] == virsh.secrets[UUID]["xml"]
    assert virsh.argvs == [["virsh", "secret-dumpxml", UUID]] * 2
    assert all(kwargs == {"python_shell": False, "ignore_retcode": True,
                          "output_loglevel": "quiet"} for kwargs in virsh.kwargs)


def test_virsh_checked_returns_the_output_or_raises_its_error(states, virsh):
    virsh.secrets[UUID] = {"xml": states._secret_xml(UUID, USAGE), "private": "no",
                           "value": None}
    assert states._virsh("secret-dumpxml", UUID) == virsh.secrets[UUID]["xml"]
    with pytest.raises(RuntimeError, match=r"^virsh secret-get-value failed: error: secret "
                                           r"is private or has no value$"):
        states._virsh("secret-get-value", UUID)
