"""
A throwaway RabbitMQ node for functional tests, on loopback.

The node is ``rabbit-test@localhost`` (by default) with its database and
logs in a temporary directory, AMQP and Erlang distribution listening on
127.0.0.1 only, on free ports, with no plugin (no management API) and an
empty configuration. It is started with the real ``rabbitmq-server`` script
in the background and driven with ``rabbitmqctl -n NODE``, exactly what the
``openstack_rabbitmq`` module runs.

.. code-block:: python

    from rabbitmq_server import RabbitMQServer  # tests/functional is on sys.path

    @pytest.fixture(scope="module")
    def rabbitmq():
        with RabbitMQServer() as server:
            yield server

    rabbitmq.node                          # "rabbit-test@localhost"
    rabbitmq.ctl("list_users")             # CompletedProcess
    rabbitmq.amqp_login("nova", "secret")  # True / False, a real AMQP login

The Erlang cookie: rabbitmqctl must present the node's cookie. Run as root,
Debian's ``rabbitmqctl`` is a wrapper that re-runs itself as the
``rabbitmq`` user, whose cookie is ``/var/lib/rabbitmq/.erlang.cookie``;
otherwise the cookie is ``~/.erlang.cookie``. The node runs as the current
user with ``HOME`` set to its temporary directory, holding a copy of that
cookie (created, as Erlang would, when there is none yet).

epmd (Erlang's port mapper, port 4369) is started by the node when it is
not running, bound to loopback (``ERL_EPMD_ADDRESS``); it is stopped with
the node when it was started for it and no other node uses it.
"""

import os
import pathlib
import pwd
import secrets
import shutil
import socket
import struct
import subprocess
import time

from temp_daemon import TempDaemon

NODENAME = "rabbit-test@localhost"
# The real server script behind Debian's wrapper (which would su to rabbitmq).
DEBIAN_SERVER_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server"
DEBIAN_WRAPPER = "/usr/lib/rabbitmq/bin/rabbitmq-script-wrapper"
# rabbitmqctl's own distribution listener takes a port in 35672-35682 by
# default (RABBITMQ_DIST_PORT 25672 + 10000): never give those to the node.
_CLI_DIST_PORTS = range(35672, 35683)


def _program(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not path:
        raise RuntimeError(f"{name} is not installed (Debian package rabbitmq-server)")
    return path


def free_port(exclude=()):
    """A free TCP port on 127.0.0.1, not in ``exclude`` nor rabbitmqctl's range."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _CLI_DIST_PORTS and port not in exclude:
            return port


def cli_cookie_path():
    """The Erlang cookie file rabbitmqctl uses when run by this user."""
    wrapped = os.path.realpath(shutil.which("rabbitmqctl") or "") == DEBIAN_WRAPPER
    if os.geteuid() == 0 and wrapped:
        return pathlib.Path(pwd.getpwnam("rabbitmq").pw_dir) / ".erlang.cookie"
    return pathlib.Path(os.path.expanduser("~")) / ".erlang.cookie"


def _ensure_cookie(path):
    if path.exists():
        return path.read_bytes()
    cookie = secrets.token_hex(16).upper().encode()
    path.write_bytes(cookie)
    path.chmod(0o400)
    if os.geteuid() == 0 and path.parent == pathlib.Path(pwd.getpwnam("rabbitmq").pw_dir):
        account = pwd.getpwnam("rabbitmq")
        os.chown(path, account.pw_uid, account.pw_gid)
    return cookie


def _epmd_names():
    """Names registered with epmd, or None when epmd is not running."""
    proc = subprocess.run(
        [_program("epmd"), "-names"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return None
    return [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("name ")]


class RabbitMQServer(TempDaemon):
    """A RabbitMQ node in a temporary directory, on 127.0.0.1."""

    dir_attr = "base_dir"
    dir_prefix = "rabbitmq-"
    start_timeout = 90
    stop_timeout = 60
    kill_group = True

    def __init__(self, nodename=NODENAME, parent_dir=None, conf_env=None):
        """``conf_env``: {key: value} for the node's ``rabbitmq-env.conf``
        (``KEY=VALUE`` lines, as the rabbitmq formula writes them); the
        node's name and its additional Erlang arguments then come from
        there alone, not from this class's defaults (``nodename`` must name
        the same node)."""
        super().__init__(parent_dir)
        self.node = nodename
        self.conf_env = dict(conf_env or {})
        self.port = None
        self.dist_port = None
        self._started_epmd = False

    # -- life cycle -----------------------------------------------------------

    def _start(self, timeout):
        """Start the node and wait until it has booted."""
        base = self.base_dir
        for sub in ("mnesia", "log"):
            (base / sub).mkdir()
        cookie = base / ".erlang.cookie"
        cookie.write_bytes(_ensure_cookie(cli_cookie_path()))
        cookie.chmod(0o400)
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text("")
        (base / "rabbitmq-env.conf").write_text(
            "".join(f"{key}={value}\n" for key, value in self.conf_env.items())
        )

        self.port = free_port()
        self.dist_port = free_port(exclude=(self.port,))
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RABBITMQ_", "ERL_"))
        }
        env.update(
            HOME=str(base),
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_PID_FILE=str(base / "rabbitmq.pid"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(base / "rabbitmq.conf"),
            RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"),
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
            ERL_EPMD_ADDRESS="127.0.0.1",
        )
        if self.conf_env:
            # The file decides these (or leaves RabbitMQ's defaults).
            del env["RABBITMQ_NODENAME"], env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]
        self._started_epmd = _epmd_names() is None
        script = DEBIAN_SERVER_SCRIPT
        if not os.access(script, os.X_OK):
            script = _program("rabbitmq-server")
        with open(base / "rabbitmq-server.out", "wb") as out:
            self.process = subprocess.Popen(
                [script],
                cwd=base,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait(timeout)

    def _wait(self, timeout):
        deadline = time.monotonic() + timeout
        name = self.node.split("@")[0]
        # Until epmd knows the node, await_startup gives up at once.
        while name not in (_epmd_names() or ()):
            self._check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.node} did not register with epmd:\n{self.log_tail()}")
            time.sleep(0.2)
        proc = self.ctl(
            "await_startup", "--timeout", str(max(1, int(deadline - time.monotonic()))),
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{self.node} did not start: {proc.stderr.strip()}\n{self.log_tail()}"
            )
        with socket.create_connection(("127.0.0.1", self.port), timeout=5):
            pass

    def _check_alive(self):
        if self.process.poll() is not None:
            raise RuntimeError(
                f"rabbitmq-server exited with {self.process.returncode}:\n{self.log_tail()}"
            )

    def log_tail(self, lines=40):
        try:
            text = (self.base_dir / "rabbitmq-server.out").read_text(errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])

    def _terminate(self, timeout):
        self.ctl("stop", check=False, timeout=timeout)

    def stop(self, timeout=None):
        """Stop the node (and epmd if it was started for it); delete its files."""
        super().stop(timeout)
        if self._started_epmd and _epmd_names() == []:
            # Refuses (and leaves epmd alone) if some node registered since.
            subprocess.run([_program("epmd"), "-kill"], capture_output=True, check=False)
        self._started_epmd = False

    # -- clients ----------------------------------------------------------------

    def ctl(self, *args, stdin="", check=True, timeout=60):
        """Run ``rabbitmqctl -n NODE -q <args>`` (stdin: ``stdin``)."""
        proc = subprocess.run(
            [_program("rabbitmqctl"), "-n", self.node, "-q", *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {args[0]} failed: {proc.stderr.strip()}")
        return proc

    def ctl_as_configured(self, *args, timeout=60, background=False):
        """Run the real ``rabbitmqctl`` script with no ``-n``: the node is
        the one its ``rabbitmq-env.conf`` names, as a CLI on the host finds
        it (Debian's wrapper would switch to the rabbitmq user and read
        /etc/rabbitmq instead).  ``background``: return the running
        process (a Popen) instead of waiting for it."""
        script = "/usr/lib/rabbitmq/bin/rabbitmqctl"
        if not os.access(script, os.X_OK):
            script = _program("rabbitmqctl")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RABBITMQ_", "ERL_"))
        }
        env.update(HOME=str(self.base_dir),
                   RABBITMQ_CONF_ENV_FILE=str(self.base_dir / "rabbitmq-env.conf"))
        if background:  # a Popen, for watching the CLI while it runs
            return subprocess.Popen([script, "-q", *args], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        return subprocess.run([script, "-q", *args], env=env, capture_output=True, text=True,
                              check=False, timeout=timeout, stdin=subprocess.DEVNULL)

    def listeners(self, port):
        """The local addresses listening on TCP ``port`` (IPv4 and IPv6),
        from /proc/net/tcp{,6}."""
        found = []
        for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
            try:
                lines = pathlib.Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                address, _, hexport = fields[1].partition(":")
                if fields[3] != "0A" or int(hexport, 16) != port:  # 0A: LISTEN
                    continue
                raw = bytes.fromhex(address)
                # The kernel prints each 32-bit word in host (little-endian) order.
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, size, 4))
                found.append(socket.inet_ntop(socket.AF_INET if size == 4 else socket.AF_INET6,
                                              words))
        return found

    def amqp_login(self, user, password, timeout=10):
        """
        Log in over AMQP 0-9-1 (PLAIN) on 127.0.0.1: True when the broker
        accepts the credentials (answers Connection.Tune), False when it
        refuses them (Connection.Close, ACCESS_REFUSED).
        """
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            class_method = _read_method(sock)
            if class_method != (10, 10):  # Connection.Start
                raise RuntimeError(f"unexpected AMQP method {class_method}")
            capabilities = _table({"authentication_failure_close": b"t\x01"})
            response = b"\0" + user.encode() + b"\0" + password.encode()
            payload = (
                struct.pack(">HH", 10, 11)  # Connection.StartOk
                + _table({"capabilities": b"F" + capabilities})
                + _shortstr(b"PLAIN")
                + struct.pack(">I", len(response))
                + response
                + _shortstr(b"en_US")
            )
            sock.sendall(struct.pack(">BHI", 1, 0, len(payload)) + payload + b"\xce")
            class_method = _read_method(sock)
        if class_method == (10, 30):  # Connection.Tune
            return True
        if class_method == (10, 50):  # Connection.Close
            return False
        raise RuntimeError(f"unexpected AMQP method {class_method}")


def _shortstr(data):
    return struct.pack(">B", len(data)) + data


def _table(fields):
    body = b"".join(_shortstr(name.encode()) + value for name, value in fields.items())
    return struct.pack(">I", len(body)) + body


def _recv_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        data += chunk
    return data


def _read_method(sock):
    """(class id, method id) of the next method frame."""
    while True:
        kind, _channel, size = struct.unpack(">BHI", _recv_exactly(sock, 7))
        payload = _recv_exactly(sock, size + 1)[:-1]
        if kind == 1:
            return struct.unpack(">HH", payload[:4])
