"""
The reader of gluster's XML answers (_utils/saltext_openstack_gluster.py),
shared by the gluster execution module (test_gluster_module.py: its
commands and errors) and cluster/verify.py (test_verify_logic.py: its
adaptors): the opening of an answer, the four readers on real glusterfs
10.3 answers (tests/unit/data/gluster), and where each side finds it.
"""
import pathlib
import shutil
import subprocess
import sys

import pytest
import salt.loader
import salt.utils.path
from minion_opts import forgotten
from minion_opts import loaded_globals as _globals
from minion_opts import minion_opts as make_minion_opts

from saltext_openstack._utils import saltext_openstack_gluster as gx

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data" / "gluster"
SYNCED = "saltext_openstack_gluster"
HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def sample(name):
    return (DATA / f"{name}.xml").read_text()


def answer(*xml):
    return HEADER + "<cliOutput>" + "".join(xml) + "</cliOutput>"


# --- the opening: <cliOutput>, opRet, opErrstr ------------------------------------


def test_a_successful_answer_is_its_root():
    root = gx.answer(sample("volume_info"))
    assert root.tag == "cliOutput" and root.findtext("opRet") == "0"
    # surrounding whitespace (a shell's output) is no matter
    assert gx.answer("\n  " + sample("heal_info") + "\n").tag == "cliOutput"


@pytest.mark.parametrize("xml, stderr, message", [
    ("<opRet>-1</opRet><opErrno>30800</opErrno><opErrstr>Volume nope does not exist</opErrstr>",
     "", "Volume nope does not exist"),
    ("<opRet>-1</opRet><opErrno>30800</opErrno><opErrstr/><output>Set volume unsuccessful</output>",
     "", "Set volume unsuccessful"),
    ("<opRet>-1</opRet><opErrno>30800</opErrno><opErrstr/>", "some stderr", "some stderr"),
    ("<opRet>-1</opRet><opErrno>2</opErrno><opErrstr> </opErrstr>", "", "opRet -1, opErrno 2"),
    # no opRet at all: not a success
    ("<opErrno>0</opErrno>", "", "opRet -1, opErrno 0"),
])
def test_an_operation_gluster_refused_is_an_error_with_its_words(xml, stderr, message):
    with pytest.raises(gx.GlusterError) as info:
        gx.answer(answer(xml), stderr)
    assert str(info.value) == message
    assert info.value.xml is True


@pytest.mark.parametrize("stdout, stderr, message", [
    ("Connection failed. Please check if gluster daemon is operational.\n", "",
     "Connection failed. Please check if gluster daemon is operational."),
    ("", "replica count should be greater than 1\n\nUsage: ...",
     "replica count should be greater than 1\n\nUsage: ..."),
    ("", "", "no output"),
    (None, None, "no output"),
    ("<html/>", "", "<html/>"),                      # XML, but not gluster's
    ("<cliOutput><opRet>0", "", "<cliOutput><opRet>0"),  # cut short
])
def test_no_xml_answer_is_an_error_with_what_gluster_printed(stdout, stderr, message):
    with pytest.raises(gx.GlusterError) as info:
        gx.answer(stdout, stderr)
    assert str(info.value) == message
    assert info.value.xml is False


def test_parse_xml_is_none_for_anything_but_cli_output():
    assert gx.parse_xml(sample("peer_status")).tag == "cliOutput"
    for text in (None, "", "Connection failed", "<html/>", "<cliOutput>"):
        assert gx.parse_xml(text) is None


@pytest.mark.parametrize("value, default, expected", [
    ("7", None, 7), ("-1", None, -1), ("N/A", None, None), ("-", 0, 0), (None, 3, 3)])
def test_integer(value, default, expected):
    assert gx.integer(value, default) == expected


def test_text_is_stripped_and_defaults_when_the_tag_is_absent():
    root = gx.parse_xml(answer("<output>  hi \n</output><opErrstr/>"))
    assert gx.text(root, "output") == "hi"
    assert gx.text(root, "opErrstr", "x") == ""
    assert gx.text(root, "missing") is None
    assert gx.text(root, "missing", "x") == "x"


# --- the readers, on real answers --------------------------------------------------


def test_read_volumes():
    volumes = gx.read_volumes(gx.answer(sample("volume_info")))
    assert list(volumes) == ["t1", "d1"]
    assert volumes["t1"] == {
        "name": "t1",
        "id": "0b4bd08f-0df2-4cc1-9e89-e51ceee98ad1",
        "status": "started",
        "status_str": "started",
        "type": "Replicate",
        "replica": 2,
        "arbiter": 0,
        "disperse": 0,
        "brick_count": 2,
        "subvolumes": 1,
        "bricks": ["vm:/tmp/glx/b1", "vm:/tmp/glx/b2"],
        "options": {"network.ping-timeout": "7", "nfs.disable": "on"},
    }
    d1 = volumes["d1"]
    assert (d1["status"], d1["status_str"], d1["type"]) == ("stopped", "created",
                                                            "Distributed-Replicate")
    assert (d1["replica"], d1["brick_count"], d1["subvolumes"], d1["options"]) == (3, 6, 2, {})
    assert d1["bricks"] == [f"h:/b/{n}" for n in range(1, 7)]


def test_read_volumes_of_a_pool_without_volumes():
    empty = answer("<opRet>0</opRet><opErrno>0</opErrno><opErrstr/>",
                   "<volInfo><volumes><count>0</count></volumes></volInfo>")
    assert gx.read_volumes(gx.answer(empty)) == {}


def test_read_volumes_brick_name_from_the_text_when_there_is_no_name_element():
    old = answer("<opRet>0</opRet><volInfo><volumes><volume><name>v</name>",
                 "<replicaCount>1</replicaCount><bricks><brick>h:/b</brick></bricks>",
                 "</volume></volumes></volInfo>")
    vol = gx.read_volumes(gx.answer(old))["v"]
    assert (vol["bricks"], vol["brick_count"], vol["subvolumes"]) == (["h:/b"], 1, 1)


def test_read_peers():
    peers = gx.read_peers(gx.answer(sample("peer_status")))
    assert peers == {
        "135269c2-bba5-400c-b403-0a5b1d893f39": {
            "uuid": "135269c2-bba5-400c-b403-0a5b1d893f39",
            "hostname": "198.51.100.2",
            "hostnames": ["198.51.100.2", "node2"],
            "connected": True,
            "state": "Peer in Cluster",
        },
        "9a0c4b7e-3a55-4f35-8a57-2d1e0c8b6f10": {
            "uuid": "9a0c4b7e-3a55-4f35-8a57-2d1e0c8b6f10",
            "hostname": "node3",
            "hostnames": ["node3"],
            "connected": False,
            "state": "Peer in Cluster",
        },
    }
    assert gx.read_peers(gx.answer(answer("<opRet>0</opRet><peerStatus/>"))) == {}


def test_read_volume_status_splits_bricks_and_daemons():
    status = gx.read_volume_status(gx.answer(sample("volume_status")))
    uuid = "4cc72c2f-1708-4fdd-bd36-1ce0b250e97c"
    assert status == {"t1": {
        "bricks": [
            {"brick": "vm:/tmp/glx/b1", "peer_uuid": uuid, "online": True, "port": 55787,
             "pid": 10386},
            {"brick": "vm:/tmp/glx/b2", "peer_uuid": uuid, "online": False, "port": None,
             "pid": -1},
        ],
        "daemons": [
            {"name": "Self-heal Daemon", "host": "localhost", "peer_uuid": uuid, "online": True,
             "pid": 10419},
        ],
    }}


def test_read_heal_info():
    assert gx.read_heal_info(gx.answer(sample("heal_info"))) == [
        {"brick": "vm:/tmp/glx/b1", "status": "Connected", "connected": True, "entries": 3},
        {"brick": "vm:/tmp/glx/b2", "status": "Transport endpoint is not connected",
         "connected": False, "entries": None},
    ]


# --- where each side finds it -------------------------------------------------------


@pytest.fixture
def gluster_cli(monkeypatch):
    """The gluster module's __virtual__ finds its program."""
    which = salt.utils.path.which
    monkeypatch.setattr(salt.utils.path, "which", lambda name: (
        "/usr/sbin/gluster" if name == "gluster" else which(name)))


def test_the_synced_module_uses_the_synced_copy(tmp_path, gluster_cli):
    opts = make_minion_opts(tmp_path / "root", "synced", tmp_path / "pillar")
    extmods = pathlib.Path(opts["extension_modules"])
    for kind in ("modules", "utils"):
        (extmods / kind).mkdir(parents=True)
    shutil.copy(REPO / "_modules" / "gluster.py", extmods / "modules")
    shutil.copy(REPO / "_utils" / f"{SYNCED}.py", extmods / "utils")
    with forgotten(SYNCED):
        utils = salt.loader.utils(opts)
        used = _globals(salt.loader.minion_mods(opts, utils=utils), "gluster")["gx"]
    assert used.__file__ == str(extmods / "utils" / f"{SYNCED}.py")
    assert used is not gx


def test_the_installed_module_uses_the_package_s_copy(tmp_path, gluster_cli):
    opts = make_minion_opts(tmp_path / "root", "installed", tmp_path / "pillar")
    utils = salt.loader.utils(opts)
    assert _globals(salt.loader.minion_mods(opts, utils=utils), "gluster")["gx"] is gx


def test_verify_on_the_controller_reads_the_repository_s_copy(tmp_path):
    """The controller runs /vagrant/cluster/verify.py with the system python3:
    no Salt, no saltext_openstack package; verify.py puts /vagrant/_utils on
    sys.path.  A copy of cluster/ and _utils/ alone, run without the
    venv's site-packages (-S) and without the tests' sys.path (-I)."""
    for part in ("cluster", "_utils"):
        shutil.copytree(REPO / part, tmp_path / part,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path / 'cluster')!r})\n"
        "import verify, verifylib.parse\n"
        "print(verifylib.parse.gx.__file__)\n"
        "print('salt' in sys.modules, 'saltext_openstack' in sys.modules)\n"
        "print(verify.parse_gluster_heal_info(sys.stdin.read()))\n"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", script], input=sample("heal_info"),
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str(tmp_path / "_utils" / f"{SYNCED}.py")
    assert lines[1] == "False False"
    assert "'entries': 3" in lines[2] and "'entries': None" in lines[2]
