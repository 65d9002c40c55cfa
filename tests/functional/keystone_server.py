"""
A throwaway Keystone (Debian's keystone package) on 127.0.0.1, for the
functional tests and the benchmark of ``keystone_init``.

The first server of a run is set up the way the formulas will do it:
``keystone-manage db_sync``, ``fernet_setup``, ``credential_setup`` and
``bootstrap`` (admin password through ``OS_BOOTSTRAP_PASSWORD`` in the
environment, never on a command line) against a temporary keystone.conf
using SQLite. That costs several seconds, so later servers can be cloned
from it (``KeystoneServer(..., seed=first)``): a copy of the database and
of the key repositories, the identity endpoints pointed at the new port.
Each server is uwsgi (the server Debian uses, with its python3 plugin)
running keystone-wsgi-public in one process of one thread: requests are
served one at a time.  Keystone 27 writes ``last_active_at`` on every
password login, and SQLite admits one writer: with several threads,
``keystone_init``'s parallel password checks met "database is locked"
(HTTP 500).  A real cloud's Keystone is on MariaDB.

    seed = KeystoneServer(tmp_path / "seed", "admin-pw").prepare()   # not served
    server = KeystoneServer(tmp_path / "ks", None, seed=seed).start()
    server.openstack("user", "list")
    server.stop()
"""
import contextlib
import grp
import os
import pathlib
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import time

import requests

KEYSTONE_MANAGE = "keystone-manage"
UWSGI = "uwsgi"
WSGI_SCRIPT = "/usr/bin/keystone-wsgi-public"
POLICY_DIR = "/etc/keystone/policy.d"
REGION = "RegionOne"
START_TIMEOUT = 60
IDLE_EXIT = 900  # seconds without a request after which uwsgi exits

KEYSTONE_CONF = """\
[DEFAULT]
log_file = {workdir}/keystone.log
[database]
connection = sqlite:///{workdir}/keystone.db
[fernet_tokens]
key_repository = {workdir}/fernet-keys
[credential]
key_repository = {workdir}/credential-keys
[oslo_policy]
policy_dirs = {policy_dirs}
{identity}"""

UWSGI_INI = """\
[uwsgi]
plugins = python3
http11-socket = 127.0.0.1:{port}
wsgi-file = {wsgi_script}
env = {env}
master = true
processes = 1
threads = 1
lazy-apps = true
need-app = true
die-on-term = true
buffer-size = 65535
# As the formulas serve it (common/topology.jinja uwsgi_section): a client
# keeping its connection would hold the one worker until uwsgi's socket
# timeout (keystonemiddleware in glance_server.py waited 5 s per token).
add-header = Connection: close
# A safety net if the test run dies without stopping it: exit when idle.
idle = {idle}
die-on-idle = true
"""


class KeystoneError(RuntimeError):
    """Keystone could not be set up or started."""


def _require(program):
    path = shutil.which(program)
    if path is None:
        raise KeystoneError(
            f"{program} not found: install Debian's keystone package (.ci/install-system-deps)"
        )
    return path


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(path, lines=30):
    """The last ``lines`` lines of a log file ('' if it cannot be read)."""
    try:
        return "\n".join(pathlib.Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class KeystoneServer:
    """One Keystone with its own SQLite database, served by uwsgi on a free port."""

    def __init__(
        self, workdir, admin_password, seed=None, password_hash_rounds=None, bootstrap=True
    ):
        """
        ``seed``: a prepared server whose database and keys are cloned.
        ``bootstrap``: False leaves a new database without ``keystone-manage
        bootstrap`` (no admin user, no catalog), as a fresh install is.
        ``password_hash_rounds``: bcrypt's cost (Keystone's default, 12, when
        None); tests lower it to 4 to save CPU on every password hash.
        """
        self.workdir = pathlib.Path(workdir)
        self.admin_password = admin_password
        self.seed = seed
        self.password_hash_rounds = password_hash_rounds
        self.bootstrap = bootstrap
        self.port = None
        self.process = None

    @property
    def url(self):
        """The identity v3 endpoint, e.g. http://127.0.0.1:35357/v3."""
        return f"http://127.0.0.1:{self.port}/v3"

    @property
    def config_file(self):
        """Its keystone.conf (for ``keystone-manage --config-file``)."""
        return self.workdir / "keystone.conf"

    @property
    def auth(self):
        """keystone_init keyword arguments for the admin user."""
        return {
            "auth_url": self.url,
            "username": "admin",
            "password": self.admin_password,
            "project_name": "admin",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        }

    def openstack_env(self):
        """The environment for the ``openstack`` CLI (password in OS_PASSWORD, not argv)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(
            OS_AUTH_URL=self.url,
            OS_USERNAME="admin",
            OS_PASSWORD=self.admin_password,
            OS_PROJECT_NAME="admin",
            OS_USER_DOMAIN_NAME="Default",
            OS_PROJECT_DOMAIN_NAME="Default",
            OS_IDENTITY_API_VERSION="3",
            OS_INTERFACE="public",
            OS_REGION_NAME=REGION,
        )
        return env

    def openstack(self, *args):
        """Run ``openstack ARGS`` against this Keystone and return its stdout."""
        proc = subprocess.run(
            [_require("openstack"), *args],
            env=self.openstack_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode:
            raise KeystoneError(f"openstack {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    # -- setup ------------------------------------------------------------

    def _manage(self, *args, env=None):
        cmd = [_require(KEYSTONE_MANAGE), "--config-file", str(self.workdir / "keystone.conf")]
        proc = subprocess.run(
            [*cmd, *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        # keystone-manage prints a harmless "Exception ignored ... getcurrent"
        # from eventlet at exit; only the exit code tells.
        if proc.returncode:
            raise KeystoneError(
                f"keystone-manage {args[0]} failed ({proc.returncode}):\n"
                f"{proc.stderr[-2000:]}\n{log_tail(self.workdir / 'keystone.log')}"
            )

    def _write_config(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        policy_dirs = POLICY_DIR if os.path.isdir(POLICY_DIR) else ""
        if not policy_dirs:
            # An empty value would make oslo.policy read the working directory.
            policy_dirs = str(self.workdir / "policy.d")
            os.makedirs(policy_dirs, exist_ok=True)
        identity = ""
        if self.password_hash_rounds:
            identity = f"[identity]\npassword_hash_rounds = {self.password_hash_rounds}\n"
        (self.workdir / "keystone.conf").write_text(
            KEYSTONE_CONF.format(workdir=self.workdir, policy_dirs=policy_dirs, identity=identity)
        )

    def _bootstrap(self):
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        owner = ("--keystone-user", user, "--keystone-group", group)
        self._manage("db_sync")
        self._manage("fernet_setup", *owner)
        self._manage("credential_setup", *owner)
        if self.bootstrap:
            self._manage(
                "bootstrap",
                "--bootstrap-username", "admin",
                "--bootstrap-project-name", "admin",
                "--bootstrap-role-name", "admin",
                "--bootstrap-region-id", REGION,
                "--bootstrap-admin-url", self.url,
                "--bootstrap-internal-url", self.url,
                "--bootstrap-public-url", self.url,
                env={"OS_BOOTSTRAP_PASSWORD": self.admin_password},
            )  # fmt: skip
        # Write-ahead logging: a read transaction left open by one uwsgi
        # worker must not make another worker's commit fail with "database
        # is locked". The mode is stored in the database file (and clones).
        with contextlib.closing(sqlite3.connect(self.workdir / "keystone.db")) as db:
            db.execute("PRAGMA journal_mode=WAL")

    def _clone(self):
        """Copy the seed's database and keys; point the identity endpoints here."""
        source = self.seed.workdir
        for keys in ("fernet-keys", "credential-keys"):
            shutil.copytree(source / keys, self.workdir / keys)
        shutil.copy2(source / "keystone.db", self.workdir / "keystone.db")
        with contextlib.closing(sqlite3.connect(self.workdir / "keystone.db")) as db, db:
            db.execute("UPDATE endpoint SET url = ? WHERE url = ?", (self.url, self.seed.url))

    # -- serving ----------------------------------------------------------

    def prepare(self):
        """Set up (or clone) the database, without serving it; return self."""
        if self.port is None:
            self.port = _free_port()
            self._write_config()
            if self.seed is not None:
                self.admin_password = self.seed.admin_password
                self._clone()
            else:
                self._bootstrap()
        return self

    def start(self):
        """Prepare the database if needed and serve it; return self once it answers."""
        _require(UWSGI)
        self.prepare()
        ini = self.workdir / "uwsgi.ini"
        ini.write_text(
            UWSGI_INI.format(
                port=self.port, wsgi_script=WSGI_SCRIPT, idle=IDLE_EXIT,
                env=f"OS_KEYSTONE_CONFIG_FILES={self.workdir}/keystone.conf",
            )  # fmt: skip
        )
        log = open(self.workdir / "uwsgi.log", "ab")  # pylint: disable=consider-using-with
        with log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [_require(UWSGI), "--ini", str(ini)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise KeystoneError(
            f"Keystone did not answer on {self.url}:\n{log_tail(self.workdir / 'uwsgi.log')}"
            f"\n{log_tail(self.workdir / 'keystone.log')}"
        )

    def stop(self):
        """Stop uwsgi (its master and workers, which are in their own session)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # The master and its workers: the process group it leads.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
