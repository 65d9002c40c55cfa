"""
Real glusterd daemons for the gluster functional tests.

Import the fixtures explicitly from the test module::

    from gluster_fixtures import glusterd, gluster_peer, ...

Layout (everything stays on this machine):

* a network namespace ``salttest-gluster`` joined to this host by a veth
  pair: ``salttgl0`` 198.51.100.241/30 here, ``salttgl1`` 198.51.100.242/30
  in the namespace (TEST-NET-2 addresses; 192.0.2.0/24 is this machine's own
  eth0 network, and the kernel has no ``dummy`` link type);
* glusterd "A" in this host's network namespace, so that the ``gluster`` CLI
  run by the module under test reaches it through the default
  /run/glusterd.socket; bricks of single-host tests are
  ``198.51.100.241:/...``;
* glusterd "B" (only for the two-host tests) inside the network namespace,
  reachable as 198.51.100.242.

Each glusterd runs as PID 1 of its own PID namespace, in a private mount
namespace where /var/lib/glusterd, /run/gluster and /var/log/glusterfs are
bind mounts of per-session temporary directories (B also gets a private
/run, so its glusterd.socket does not replace A's).  Nothing of the
machine's own /var/lib/glusterd is used or changed, and stopping is
exact: SIGKILL to ``unshare`` (``--kill-child``) kills the namespace's init,
and the kernel then kills every brick, self-heal and helper process glusterd
started in it.  ``unshare`` itself gets SIGKILL if the pytest process dies
(PR_SET_PDEATHSIG), so even a killed test run leaves no daemon behind.
"""
import contextlib
import ctypes
import fcntl
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

NETNS = "salttest-gluster"
HOST_IF = "salttgl0"
PEER_IF = "salttgl1"
HOST_ADDRESS = "198.51.100.241"
PEER_ADDRESS = "198.51.100.242"
# A client address in the namespace that no glusterd holds (outside the /30).
OUTSIDER_ADDRESS = "198.51.100.250"
PREFIX_LEN = 30
GLUSTERD_PORT = 24007
CLI_SOCKET = "/run/glusterd.socket"
VOLUME_PREFIX = "salttest-"
START_TIMEOUT = 30
LOCK_FILE = "/run/lock/salttest-gluster.lock"
LOCK_TIMEOUT = 900

_PR_SET_PDEATHSIG = 1


class NotMounted(Exception):
    """glusterfs_mount: the volume did not stay mounted (e.g. auth.allow)."""


def _die_with_parent():
    """preexec_fn: SIGKILL this child when the pytest process dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _run(*cmd, check=True):
    return subprocess.run(
        [str(part) for part in cmd],
        check=check,
        capture_output=True,
        text=True,
        timeout=120,
    )


def gluster_cli(*args, remote_host=None):
    """
    Run the gluster CLI directly (fixture plumbing only; the tests go through
    the Salt module) and return the parsed XML, or None without XML.
    """
    cmd = ["gluster", "--mode=script", "--xml"]
    if remote_host:
        cmd.append("--remote-host=" + remote_host)
    proc = _run(*cmd, *args, check=False)
    try:
        return ET.fromstring(proc.stdout)
    except ET.ParseError:
        return None


def _cli_ok(*args, remote_host=None):
    root = gluster_cli(*args, remote_host=remote_host)
    return root is not None and root.findtext("opRet") == "0"


def _port_in_use(address, port):
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(1)
        return sock.connect_ex((address, port)) == 0


def _delete_network():
    _run("ip", "netns", "delete", NETNS, check=False)
    _run("ip", "link", "delete", HOST_IF, check=False)


@contextlib.contextmanager
def _machine_lock():
    """
    Serialise test sessions on this machine: the network namespace, the
    addresses and port 24007 exist once per machine, and several pytest
    runs (e.g. engineers sharing the machine) may start these fixtures.
    """
    with open(LOCK_FILE, "a+") as lock:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"another test session has held {LOCK_FILE} for "
                        f"{LOCK_TIMEOUT} s (its gluster tests are still running)"
                    )
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def gluster_net():
    """The veth pair and network namespace; yields the two addresses."""
    if shutil.which("gluster") is None or shutil.which("glusterd") is None:
        pytest.fail("gluster/glusterd are not installed (glusterfs-server)")
    with _machine_lock():
        yield from _network()


def _network():
    _delete_network()  # leftovers of an interrupted run
    try:
        _run("ip", "netns", "add", NETNS)
        _run("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", PEER_IF,
             "netns", NETNS)
        _run("ip", "addr", "add", f"{HOST_ADDRESS}/{PREFIX_LEN}", "dev", HOST_IF)
        _run("ip", "link", "set", HOST_IF, "up")
        _run("ip", "-n", NETNS, "addr", "add", f"{PEER_ADDRESS}/{PREFIX_LEN}",
             "dev", PEER_IF)
        _run("ip", "-n", NETNS, "link", "set", PEER_IF, "up")
        _run("ip", "-n", NETNS, "link", "set", "lo", "up")
    except subprocess.CalledProcessError as exc:
        _delete_network()
        pytest.fail(f"cannot set up the test network: {exc.cmd}: {exc.stderr}")
    try:
        yield {"host": HOST_ADDRESS, "peer": PEER_ADDRESS, "netns": NETNS}
    finally:
        _delete_network()


class Glusterd:
    """One glusterd in its own PID and mount namespaces."""

    def __init__(self, name, root, netns=None, private_run=False):
        self.name = name
        self.root = pathlib.Path(root)
        self.netns = netns
        self.private_run = private_run
        self.state_dir = self.root / "lib"
        self.run_dir = self.root / "run"
        self.log_dir = self.root / "log"
        self.proc = None
        self.pid_ns = None

    def start(self):
        for path in (self.state_dir, self.run_dir, self.log_dir):
            path.mkdir(parents=True, exist_ok=True)
        # Option groups (``volume set <vol> group virt``) but no hook scripts:
        # the packaged hooks would edit Samba/CTDB configuration.
        groups = pathlib.Path("/var/lib/glusterd/groups")
        if groups.is_dir():
            shutil.copytree(groups, self.state_dir / "groups", dirs_exist_ok=True)
        mounts = []
        if self.private_run:
            mounts.append("mount -t tmpfs salttest-run /run && mkdir -p /run/gluster")
        else:
            mounts.append(f"mkdir -p /run/gluster && mount --bind {self.run_dir} /run/gluster")
        mounts += [
            f"mount --bind {self.state_dir} /var/lib/glusterd",
            "mkdir -p /var/log/glusterfs",
            f"mount --bind {self.log_dir} /var/log/glusterfs",
            "exec glusterd --no-daemon",
        ]
        cmd = []
        if self.netns:
            cmd += ["nsenter", f"--net=/run/netns/{self.netns}"]
        cmd += [
            "unshare", "--pid", "--fork", "--kill-child", "--mount",
            "--propagation", "private", "--mount-proc",
            "sh", "-ec", " && ".join(mounts),
        ]
        self.output = open(self.root / "glusterd.out", "wb")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self, remote_host=None):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if _cli_ok("pool", "list", remote_host=remote_host):
                self.pid_ns = self._child_pid_ns()
                return
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"glusterd {self.name} did not start:\n{self.diagnostics()}")

    def _child_pid_ns(self):
        """The PID namespace unshare created (None until it has)."""
        try:
            child_ns = os.readlink(f"/proc/{self.proc.pid}/ns/pid_for_children")
        except OSError:
            return None
        return child_ns if child_ns != os.readlink("/proc/self/ns/pid") else None

    def diagnostics(self):
        parts = []
        for path in (self.root / "glusterd.out", self.log_dir / "glusterd.log"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-40:]
                parts.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(parts)

    def _ns_processes(self):
        if not self.pid_ns:
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{entry}/ns/pid") == self.pid_ns:
                        pids.append(int(entry))
        return pids

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def restart_fresh(self, remote_host=None):
        """
        Stop glusterd, forget its pool and volumes (it comes back with a new
        UUID, as a reinstalled host would) and start it again.
        """
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.start()
        self.wait_ready(remote_host=remote_host)

    def stop(self):
        """Kill glusterd and everything it started; wait until they are gone."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while self._ns_processes() and time.monotonic() < deadline:
            time.sleep(0.2)
        left = self._ns_processes()
        self.output.close()
        self.proc = None
        assert not left, f"processes of glusterd {self.name} survived: {left}"


@pytest.fixture(scope="session")
def glusterd(gluster_net, tmp_path_factory):
    """
    A glusterd for the tests, reached by the plain ``gluster`` CLI (what the
    module runs).  Yields its Glusterd; ``.address`` is the brick host.
    """
    if _port_in_use("127.0.0.1", GLUSTERD_PORT):
        pytest.fail(
            "a glusterd is already listening on port 24007; the functional "
            "tests start their own isolated glusterd and do not touch a "
            "foreign one: stop it first"
        )
    daemon = Glusterd("A", tmp_path_factory.mktemp("glusterd-a"))
    daemon.address = gluster_net["host"]
    daemon.start()
    try:
        daemon.wait_ready()
        yield daemon
    finally:
        daemon.stop()
        # glusterd leaves its (now dead) CLI socket behind
        if not _port_in_use("127.0.0.1", GLUSTERD_PORT):
            with contextlib.suppress(OSError):
                os.unlink(CLI_SOCKET)


@pytest.fixture(scope="session")
def gluster_peer(glusterd, gluster_net, tmp_path_factory):
    """
    A second glusterd in the network namespace (address 198.51.100.242),
    not yet probed.  Torn down before ``glusterd`` (reverse setup order).
    """
    daemon = Glusterd(
        "B", tmp_path_factory.mktemp("glusterd-b"), netns=gluster_net["netns"],
        private_run=True,
    )
    daemon.address = gluster_net["peer"]
    daemon.start()
    try:
        daemon.wait_ready(remote_host=daemon.address)
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def gluster_volumes(glusterd):
    """
    Hand out test volume names (``salttest-<label>``); stop and delete those
    volumes after the test so that their brick processes do not pile up.
    """
    names = []

    def new(label):
        name = VOLUME_PREFIX + label
        names.append(name)
        return name

    yield new
    for name in names:
        gluster_cli("volume", "stop", name, "force")
        gluster_cli("volume", "delete", name)


@pytest.fixture
def brick_dir(tmp_path):
    """Brick paths ``<tmp>/bricks/<label>`` (the parent exists, gluster makes the rest)."""
    root = tmp_path / "bricks"
    root.mkdir()

    def path(label):
        return str(root / label)

    return path


@pytest.fixture
def gluster_outsider(gluster_net):
    """
    A client that is not in any glusterd's pool: OUTSIDER_ADDRESS in the
    namespace, the source of its connections to the host's address.
    (glusterd hands its own host and its pool's peers a volume file with
    the trusted credentials, which auth.allow does not restrict.)  Yields
    {address, netns}; the address and routes go after the test.
    """
    netns = gluster_net["netns"]
    steps = [
        (["ip", "-n", netns, "addr", "add", f"{OUTSIDER_ADDRESS}/32", "dev", PEER_IF],
         ["ip", "-n", netns, "addr", "del", f"{OUTSIDER_ADDRESS}/32", "dev", PEER_IF]),
        (["ip", "route", "add", f"{OUTSIDER_ADDRESS}/32", "dev", HOST_IF],
         ["ip", "route", "del", f"{OUTSIDER_ADDRESS}/32", "dev", HOST_IF]),
        (["ip", "-n", netns, "route", "add", f"{HOST_ADDRESS}/32", "dev", PEER_IF,
          "src", OUTSIDER_ADDRESS],
         ["ip", "-n", netns, "route", "del", f"{HOST_ADDRESS}/32", "dev", PEER_IF]),
    ]
    done = []
    try:
        for add, delete in steps:
            _run(*add)
            done.append(delete)
        yield {"address": OUTSIDER_ADDRESS, "netns": netns}
    finally:
        for delete in reversed(done):
            _run(*delete, check=False)


@pytest.fixture
def glusterfs_mount(tmp_path):
    """Mount a volume with the FUSE client; unmounted after the test."""
    mounted = []

    def mount(server, volume, netns=None):
        """The client runs in network namespace ``netns`` when given."""
        target = tmp_path / f"mnt-{volume}"
        target.mkdir(exist_ok=True)  # a refused mount may be tried again
        prefix = ["nsenter", f"--net=/run/netns/{netns}"] if netns else []
        done = _run(*prefix, "mount", "-t", "glusterfs", f"{server}:/{volume}", target,
                    check=False)
        # A refused client shows either way, depending on timing:
        # mount.glusterfs fails outright, or it returns 0 before the bricks
        # have answered and the client then unmounts again (or answers
        # ENOTCONN).
        listed = done.returncode == 0 and _run("ls", target, check=False).returncode == 0
        if not listed or _run("findmnt", "-n", "-t", "fuse.glusterfs", target,
                              check=False).returncode:
            _run("umount", "-l", target, check=False)
            raise NotMounted(f"{server}:/{volume} is not mounted at {target} "
                             f"(mount exit {done.returncode}: {done.stderr.strip()})")
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        if _run("umount", target, check=False).returncode:
            _run("umount", "-l", target, check=False)
