"""
Pure logic of the gluster execution module: brick strings, option values,
what its functions return from gluster's XML, building command lines,
turning failures into CommandExecutionError.  The XML samples are real
glusterfs 10.3 answers (tests/unit/data/gluster); the reader itself,
_utils/saltext_openstack_gluster.py: test_saltext_openstack_gluster.py.
"""
import importlib.util
import pathlib

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_openstack._utils import saltext_openstack_gluster as gx

MODULE_PATH = pathlib.Path(__file__).resolve().parents[2] / "_modules" / "gluster.py"


def load_gluster_module():
    spec = importlib.util.spec_from_file_location("gluster_module_under_test", MODULE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
OK = "<opRet>0</opRet><opErrno>0</opErrno><opErrstr/>"

# Real answers (gluster --xml, glusterfs 10.3), shared with the tests of
# _utils/saltext_openstack_gluster.py.
DATA = pathlib.Path(__file__).resolve().parent / "data" / "gluster"
VOLUME_INFO = (DATA / "volume_info.xml").read_text()
PEER_STATUS = (DATA / "peer_status.xml").read_text()
VOLUME_STATUS = (DATA / "volume_status.xml").read_text()
HEAL_INFO = (DATA / "heal_info.xml").read_text()


class FakeGlusterCli:
    """Stands in for cmd.run_all: records commands, replays answers."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, cmd, python_shell=None, **kwargs):
        self.calls.append({"cmd": cmd, "python_shell": python_shell, **kwargs})
        answer = self.answers.pop(0) if self.answers else HEADER + f"<cliOutput>{OK}</cliOutput>"
        if isinstance(answer, dict):
            return answer
        return {"retcode": 0, "stdout": answer, "stderr": ""}


@pytest.fixture
def gluster():
    return load_gluster_module()


@pytest.fixture
def cli(gluster):
    fake = FakeGlusterCli()
    gluster.__salt__ = {"cmd.run_all": fake}
    return fake


def answer(*xml):
    return HEADER + "<cliOutput>" + "".join(xml) + "</cliOutput>"


# --- bricks and option values ----------------------------------------------


@pytest.mark.parametrize(
    "brick, expected",
    [
        ("node1:/srv/brick", ("node1", "/srv/brick")),
        ("node1:/srv/brick/", ("node1", "/srv/brick")),
        ("node1:/srv//gluster/./brick", ("node1", "/srv/gluster/brick")),
        ("10.0.0.1:/b", ("10.0.0.1", "/b")),
        (" node1:/srv/brick ", ("node1", "/srv/brick")),
    ],
)
def test_split_brick(gluster, brick, expected):
    assert gluster.split_brick(brick) == expected


@pytest.mark.parametrize(
    "brick",
    ["node1", "node1:", "node1:relative/path", ":/srv/brick", "node1:/", "no de:/b", None, 3],
)
def test_split_brick_rejects(gluster, brick):
    with pytest.raises(SaltInvocationError):
        gluster.split_brick(brick)


def test_normalize_brick(gluster):
    assert gluster.normalize_brick("n1:/srv/b/") == "n1:/srv/b"


@pytest.mark.parametrize(
    "value, expected",
    [(True, "on"), (False, "off"), (10, "10"), ("64MB", "64MB"), (" off ", "off")],
)
def test_option_value(gluster, value, expected):
    assert gluster.option_value(value) == expected


@pytest.mark.parametrize(
    "current, wanted, equal",
    [
        ("on", True, True),
        ("enable", "on", True),
        ("off", "disable", True),
        ("Off", False, True),
        ("on", "off", False),
        ("10", 10, True),
        ("10", "42", False),
        (None, "on", False),
        ("1", "on", False),
    ],
)
def test_option_values_equal(gluster, current, wanted, equal):
    assert gluster.option_values_equal(current, wanted) is equal


# --- reading XML ----------------------------------------------------------------


def test_volume_info_reads_every_volume(gluster, cli):
    cli.answers = [VOLUME_INFO]
    volumes = gluster.volume_info()
    # every volume, as the reader gives it (its fields: test_saltext_openstack_gluster.py)
    assert volumes == gx.read_volumes(gx.answer(VOLUME_INFO))
    assert [(v["name"], v["status"], v["replica"]) for v in volumes.values()] == [
        ("t1", "started", 2), ("d1", "stopped", 3)]
    assert cli.calls[0]["cmd"] == ["gluster", "--mode=script", "--xml", "volume", "info"]
    assert cli.calls[0]["python_shell"] is False


def test_volume_info_by_name(gluster, cli):
    cli.answers = [VOLUME_INFO, VOLUME_INFO]
    assert list(gluster.volume_info("d1")) == ["d1"]
    assert gluster.volume_info("absent") == {}


def test_peer_status(gluster, cli):
    cli.answers = [PEER_STATUS]
    peers = gluster.peer_status()
    assert peers["135269c2-bba5-400c-b403-0a5b1d893f39"] == {
        "uuid": "135269c2-bba5-400c-b403-0a5b1d893f39",
        "hostname": "198.51.100.2",
        "hostnames": ["198.51.100.2", "node2"],
        "connected": True,
        "state": "Peer in Cluster",
    }
    assert peers["9a0c4b7e-3a55-4f35-8a57-2d1e0c8b6f10"]["connected"] is False


def test_peer_status_empty(gluster, cli):
    cli.answers = [answer(OK, "<peerStatus/>")]
    assert gluster.peer_status() == {}


def test_volume_status(gluster, cli):
    cli.answers = [VOLUME_STATUS]
    status = gluster.volume_status("t1")
    assert status["bricks"] == [
        {"brick": "vm:/tmp/glx/b1", "peer_uuid": "4cc72c2f-1708-4fdd-bd36-1ce0b250e97c",
         "online": True, "port": 55787, "pid": 10386},
        {"brick": "vm:/tmp/glx/b2", "peer_uuid": "4cc72c2f-1708-4fdd-bd36-1ce0b250e97c",
         "online": False, "port": None, "pid": -1},
    ]
    assert status["daemons"] == [
        {"name": "Self-heal Daemon", "host": "localhost",
         "peer_uuid": "4cc72c2f-1708-4fdd-bd36-1ce0b250e97c", "online": True, "pid": 10419}
    ]


def test_volume_heal_info(gluster, cli):
    cli.answers = [HEAL_INFO]
    assert gluster.volume_heal_info("t1") == [
        {"brick": "vm:/tmp/glx/b1", "status": "Connected", "connected": True, "entries": 3},
        {"brick": "vm:/tmp/glx/b2", "status": "Transport endpoint is not connected",
         "connected": False, "entries": None},
    ]
    assert cli.calls[0]["cmd"][3:] == ["volume", "heal", "t1", "info"]


@pytest.mark.parametrize(
    "errno, message, probed",
    [
        (0, "success", True),
        (1, "Probe on localhost not needed", False),
        (2, "Host node2 port 24007 already in peer list", False),
    ],
)
def test_peer_probe(gluster, cli, errno, message, probed):
    cli.answers = [answer(f"<opRet>0</opRet><opErrno>{errno}</opErrno><opErrstr/>",
                          f"<output>{message}</output>")]
    assert gluster.peer_probe("node2") == {"host": "node2", "probed": probed, "message": message}
    assert cli.calls[0]["cmd"][3:] == ["peer", "probe", "node2"]


# --- failures --------------------------------------------------------------------


def test_failure_raises_with_gluster_error_text(gluster, cli):
    # gluster exits 0 in XML mode even when the operation failed
    cli.answers = [answer("<opRet>-1</opRet><opErrno>30800</opErrno>",
                          "<opErrstr>Volume nope does not exist</opErrstr>")]
    with pytest.raises(CommandExecutionError, match="volume start nope failed: Volume nope does not exist"):
        gluster.volume_start("nope")


def test_failure_without_errstr_uses_output(gluster, cli):
    cli.answers = [answer("<opRet>-1</opRet><opErrno>30800</opErrno><opErrstr/>",
                          "<output>Set volume unsuccessful</output>")]
    with pytest.raises(CommandExecutionError, match="Set volume unsuccessful"):
        gluster.volume_set("v", "a.b", "1")


def test_failure_without_xml_uses_cli_text(gluster, cli):
    cli.answers = [{"retcode": 1, "stderr": "",
                    "stdout": "Connection failed. Please check if gluster daemon is operational."}]
    with pytest.raises(CommandExecutionError, match=r"exit code 1\): Connection failed"):
        gluster.peer_status()
    cli.answers = [{"retcode": 1, "stdout": "",
                    "stderr": "replica count should be greater than 1\n\nUsage: ..."}]
    with pytest.raises(CommandExecutionError, match="replica count should be greater than 1"):
        gluster.volume_info()


def test_unexpected_xml_is_an_error(gluster, cli):
    cli.answers = [{"retcode": 0, "stdout": "<html/>", "stderr": ""}]
    with pytest.raises(CommandExecutionError):
        gluster.volume_info()


# --- command lines ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, layout",
    [
        ({}, []),
        ({"replica": 1}, []),
        ({"replica": 2}, ["replica", "2"]),
        ({"replica": "2"}, ["replica", "2"]),
        ({"replica": 3, "arbiter": 1}, ["replica", "3", "arbiter", "1"]),
    ],
)
def test_volume_create_command(gluster, cli, kwargs, layout):
    bricks = ["a:/b1", "b:/b1", "c:/b1/", "a:/b2", "b:/b2", "c:/b2"]
    assert gluster.volume_create("v", bricks, **kwargs) is True
    assert cli.calls[0]["cmd"][3:] == (
        ["volume", "create", "v"] + layout
        + ["a:/b1", "b:/b1", "c:/b1", "a:/b2", "b:/b2", "c:/b2"]
    )


def test_volume_create_force(gluster, cli):
    gluster.volume_create("v", "a:/b", force=True)
    assert cli.calls[0]["cmd"][3:] == ["volume", "create", "v", "a:/b", "force"]


@pytest.mark.parametrize(
    "bricks, kwargs, match",
    [
        (["a:/b"], {"replica": 2}, "replica 2 is larger than the number of bricks \\(1\\)"),
        (["a:/b", "b:/b", "c:/b"], {"replica": 2}, "not a multiple of replica 2"),
        (["a:/b", "a:/b/"], {}, "listed twice"),
        ([], {}, "at least one brick"),
        (["a:/b", "b:/b"], {"replica": 0}, "replica must be an integer >= 1"),
        (["a:/b", "b:/b"], {"replica": True}, "replica must be an integer"),
        (["a:/b", "b:/b"], {"replica": 2, "arbiter": 1}, "arbiter needs replica 3"),
        (["a:b"], {}, "host:/absolute/path"),
    ],
)
def test_volume_create_validation(gluster, cli, bricks, kwargs, match):
    with pytest.raises(SaltInvocationError, match=match):
        gluster.volume_create("v", bricks, **kwargs)
    assert cli.calls == []


@pytest.mark.parametrize(
    "kwargs, tail",
    [
        ({}, ["c:/b"]),
        ({"replica": 3}, ["replica", "3", "c:/b"]),
        ({"replica": 3, "force": True}, ["replica", "3", "c:/b", "force"]),
        ({"replica": 3, "arbiter": 1}, ["replica", "3", "arbiter", "1", "c:/b"]),
    ],
)
def test_add_bricks_command(gluster, cli, kwargs, tail):
    gluster.add_bricks("v", ["c:/b"], **kwargs)
    assert cli.calls[0]["cmd"][3:] == ["volume", "add-brick", "v"] + tail


@pytest.mark.parametrize(
    "call, args, tail",
    [
        ("volume_start", ("v",), ["volume", "start", "v"]),
        ("volume_start", ("v", True), ["volume", "start", "v", "force"]),
        ("volume_stop", ("v",), ["volume", "stop", "v"]),
        ("volume_set", ("v", "performance.io-cache", False),
         ["volume", "set", "v", "performance.io-cache", "off"]),
        ("volume_set", ("v", "network.ping-timeout", 10),
         ["volume", "set", "v", "network.ping-timeout", "10"]),
    ],
)
def test_simple_commands(gluster, cli, call, args, tail):
    assert getattr(gluster, call)(*args) is True
    assert cli.calls[0]["cmd"][3:] == tail


@pytest.mark.parametrize(
    "call, args, kwargs, tail",
    [
        ("remove_bricks", ("v", ["b:/b1/"]), {"replica": 2},
         ["volume", "remove-brick", "v", "replica", "2", "b:/b1", "force"]),
        ("remove_bricks", ("v", "b:/b1"), {},
         ["volume", "remove-brick", "v", "b:/b1", "force"]),
        ("remove_bricks", ("v", ["b:/b1", "c:/b1"]), {"replica": "1"},
         ["volume", "remove-brick", "v", "replica", "1", "b:/b1", "c:/b1", "force"]),
        ("replace_brick", ("v", "b:/b1", "d:/b1/"), {},
         ["volume", "replace-brick", "v", "b:/b1", "d:/b1", "commit", "force"]),
        ("peer_detach", ("node3",), {}, ["peer", "detach", "node3"]),
        ("peer_detach", ("node3",), {"force": True}, ["peer", "detach", "node3", "force"]),
    ],
)
def test_retire_commands(gluster, cli, call, args, kwargs, tail):
    assert getattr(gluster, call)(*args, **kwargs) is True
    assert cli.calls[0]["cmd"][3:] == tail


@pytest.mark.parametrize(
    "call, args, kwargs, match",
    [
        ("remove_bricks", ("v", ["b:/b1"]), {"force": False}, "only runs .* force"),
        ("remove_bricks", ("v", []), {}, "at least one brick"),
        ("remove_bricks", ("v", ["b:/b1", "b:/b1/"]), {}, "listed twice"),
        ("remove_bricks", ("v", ["b:/b1"]), {"replica": 0}, "replica must be an integer >= 1"),
        ("remove_bricks", ("v", ["b1"]), {}, "host:/absolute/path"),
        ("replace_brick", ("v", "b:/b1", "b:/b1/"), {}, "two different bricks"),
        ("replace_brick", ("v", "b:/b1", "d:b1"), {}, "host:/absolute/path"),
        ("peer_detach", ("",), {}, "needs a host"),
        ("peer_detach", (None,), {}, "needs a host"),
    ],
)
def test_retire_commands_validation(gluster, cli, call, args, kwargs, match):
    with pytest.raises(SaltInvocationError, match=match):
        getattr(gluster, call)(*args, **kwargs)
    assert cli.calls == []


def test_peer_detach_failure(gluster, cli):
    cli.answers = [answer("<opRet>-1</opRet><opErrno>0</opErrno>",
                          "<opErrstr>Peer node3 hosts one or more bricks. If the peer is in "
                          "not recoverable state then use either replace-brick or "
                          "remove-brick command with force to remove all bricks from "
                          "the peer and attempt the peer detach again.</opErrstr>")]
    with pytest.raises(CommandExecutionError,
                       match="peer detach node3 failed: Peer node3 hosts one or more bricks"):
        gluster.peer_detach("node3")


def test_virtual_without_gluster(gluster, monkeypatch):
    monkeypatch.setattr(gluster.salt.utils.path, "which", lambda name: None)
    ok, reason = gluster.__virtual__()
    assert ok is False
    assert "gluster" in reason


def test_virtual_with_gluster(gluster, monkeypatch):
    monkeypatch.setattr(gluster.salt.utils.path, "which", lambda name: "/usr/sbin/" + name)
    assert gluster.__virtual__() == "gluster"


def test_every_public_function_has_a_cli_example(gluster):
    public = [
        name for name, obj in vars(gluster).items()
        if callable(obj) and not name.startswith("_")
        and getattr(obj, "__module__", None) == gluster.__name__
    ]
    assert "volume_present" not in public
    assert {"peer_probe", "peer_status", "volume_info", "volume_create", "volume_start",
            "volume_set", "add_bricks", "volume_status", "volume_heal_info",
            "remove_bricks", "replace_brick", "peer_detach"} <= set(public)
    for name in public:
        assert "CLI Example::" in (getattr(gluster, name).__doc__ or ""), name
