"""
A throwaway MariaDB server for functional tests.

It lives in a fresh temporary directory, listens on 127.0.0.1 on a free
port (and on a unix socket in that directory), has real grant tables and is
deleted when stopped. Passwords never go on a command line: SQL is fed on
stdin and client credentials through a 0600 ``--defaults-file``.

.. code-block:: python

    from mariadb_server import MariaDBServer  # tests/functional is on sys.path

    @pytest.fixture(scope="module")
    def mariadb():
        with MariaDBServer() as server:
            server.create_database("nova")
            server.create_user("nova", "secret", databases=["nova"])
            yield server

    url = mariadb.url("nova", "secret", "nova")   # mysql+pymysql://...
    mariadb.execute("SELECT 1", user="nova", password="secret")

Requires the ``mariadb-server`` and ``mariadb-client`` programs. Run as
root, the server runs as the ``mysql`` user (mariadbd refuses root), so the
temporary directory is made traversable (0711) and its data and run
directories belong to ``mysql``.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time

from temp_daemon import TempDaemon

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]+$")

# Safe for a throwaway server, and much faster schema migrations.
FAST_OPTIONS = (
    "--skip-log-bin",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-doublewrite=0",
    "--innodb-buffer-pool-size=64M",
    "--innodb-log-file-size=32M",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_general_ci",
    "--skip-name-resolve",
)


def _program(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not path:
        raise RuntimeError(f"{name} is not installed (Debian package mariadb-server)")
    return path


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def quote(value):
    """``value`` as an SQL string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _identifier(name):
    if not _IDENTIFIER.match(name):
        raise ValueError(f"unsafe SQL identifier {name!r}")
    return name


class MariaDBServer(TempDaemon):
    """A MariaDB server in a temporary directory, on 127.0.0.1."""

    dir_attr = "base_dir"
    dir_prefix = "mariadb-"
    start_timeout = 60
    stop_timeout = 30

    def __init__(self, port=None, host="127.0.0.1", extra_args=FAST_OPTIONS, parent_dir=None):
        super().__init__(parent_dir)
        self.host = host
        self.port = port
        self.extra_args = list(extra_args)

    # -- paths ------------------------------------------------------------

    @property
    def data_dir(self):
        return os.path.join(self.base_dir, "data")

    @property
    def run_dir(self):
        return os.path.join(self.base_dir, "run")

    @property
    def tmp_dir(self):
        return os.path.join(self.base_dir, "tmp")

    @property
    def socket(self):
        return os.path.join(self.run_dir, "mysqld.sock")

    @property
    def error_log(self):
        return os.path.join(self.run_dir, "error.log")

    # -- life cycle ---------------------------------------------------------

    def _start(self, timeout):
        """Initialise the data directory, start mariadbd and wait for it."""
        user_args = []
        os.mkdir(self.data_dir, 0o700)
        os.mkdir(self.run_dir, 0o700)
        # a private tmpdir: concurrent servers must not share temporary files
        os.mkdir(self.tmp_dir, 0o700)
        if os.geteuid() == 0:
            account = pwd.getpwnam("mysql")
            os.chmod(self.base_dir, 0o711)
            for path in (self.data_dir, self.run_dir, self.tmp_dir):
                os.chown(path, account.pw_uid, account.pw_gid)
            user_args = ["--user=mysql"]

        install = subprocess.run(
            [
                _program("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.data_dir}",
                f"--tmpdir={self.tmp_dir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user_args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if install.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{install.stdout}")

        self.port = self.port or free_port(self.host)
        with open(os.path.join(self.base_dir, "mariadbd.out"), "wb") as out:
            self.process = subprocess.Popen(
                [
                    _program("mariadbd"),
                    "--no-defaults",
                    f"--datadir={self.data_dir}",
                    f"--tmpdir={self.tmp_dir}",
                    f"--socket={self.socket}",
                    f"--port={self.port}",
                    f"--bind-address={self.host}",
                    f"--pid-file={os.path.join(self.run_dir, 'mysqld.pid')}",
                    f"--log-error={self.error_log}",
                    *user_args,
                    *self.extra_args,
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait(timeout)

    def _wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mariadbd exited with {self.process.returncode}:\n{self._log_tail()}"
                )
            try:
                self.execute("SELECT 1")
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except (RuntimeError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"mariadbd did not answer within {timeout}s:\n{self._log_tail()}")

    def _log_tail(self, lines=30):
        try:
            with open(self.error_log, encoding="utf-8", errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return "(no error log)"

    # -- SQL ------------------------------------------------------------------

    def execute(self, sql, database=None, user="root", password=None, tcp=False):
        """
        Run SQL with the ``mariadb`` client and return its tab-separated
        output. The SQL goes on stdin, the credentials into a 0600 defaults
        file. ``tcp`` connects to 127.0.0.1:port instead of the socket
        (what a remote client like nova does).
        """
        options = {"user": user}
        if password is not None:
            options["password"] = password
        if tcp:
            options.update(host=self.host, port=str(self.port), protocol="TCP")
        else:
            options["socket"] = self.socket
        fd, defaults = tempfile.mkstemp(prefix="client-", suffix=".cnf", dir=self.base_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp: 0600
                handle.write("[client]\n")
                for key, value in options.items():
                    handle.write(f'{key}="{_option_value(value)}"\n')
            argv = [
                _program("mariadb"),
                f"--defaults-file={defaults}",
                "--batch",
                "--skip-column-names",
            ]
            if database:
                argv.append(_identifier(database))
            proc = subprocess.run(
                argv, input=sql, capture_output=True, text=True, check=False, timeout=120
            )
        finally:
            os.unlink(defaults)
        if proc.returncode != 0:
            raise RuntimeError(f"mariadb client failed: {proc.stderr.strip()}")
        return proc.stdout

    def create_database(self, name):
        self.execute(f"CREATE DATABASE IF NOT EXISTS `{_identifier(name)}`;")

    def create_user(self, user, password, databases=(), hosts=("127.0.0.1", "localhost")):
        """Create ``user`` with ``password`` and all privileges on ``databases``."""
        statements = []
        for host in hosts:
            account = f"{quote(_identifier(user))}@{quote(host)}"
            statements.append(f"CREATE OR REPLACE USER {account} IDENTIFIED BY {quote(password)};")
            for database in databases:
                statements.append(
                    f"GRANT ALL PRIVILEGES ON `{_identifier(database)}`.* TO {account};"
                )
        self.execute("\n".join(statements))

    def url(self, user, password, database, driver="mysql+pymysql"):
        """An SQLAlchemy URL reaching ``database`` over TCP."""
        from urllib.parse import quote as urlquote

        return (
            f"{driver}://{urlquote(user, safe='')}:{urlquote(password, safe='')}"
            f"@{self.host}:{self.port}/{database}"
        )


def _option_value(value):
    """Escape a value for a double-quoted MySQL option file entry."""
    value = str(value)
    if "\n" in value:
        raise ValueError("newline in a client option")
    return value.replace("\\", "\\\\").replace('"', '\\"')
