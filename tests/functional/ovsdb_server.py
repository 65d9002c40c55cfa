"""
A throwaway Open vSwitch database server for functional tests.

A real ``ovsdb-server`` on a real ``Open_vSwitch`` database (created by
``ovsdb-tool`` from the installed ``vswitch.ovsschema`` and initialised by
``ovs-vsctl init``, as ``ovs-ctl`` does), in a fresh temporary directory,
listening on a unix socket there only, run in the foreground as a child of
the test and stopped (and its directory deleted) with it.  No ovs-vswitchd:
writes must not wait for it (``ovs-vsctl --no-wait``).

.. code-block:: python

    from ovsdb_server import OvsdbServer  # tests/functional is on sys.path

    @pytest.fixture(scope="module")
    def ovsdb():
        with OvsdbServer() as server:
            yield server

    ovsdb.rundir                                    # ovs-vsctl's OVS_RUNDIR
    ovsdb.vsctl("list-br")                          # stdout
    ovsdb.get("Bridge", "br-ex", "datapath_type")   # "netdev"
    ovsdb.map("Open_vSwitch", ".", "external_ids")  # {"hostname": "h"}

ovs-vsctl's default database is ``unix:$OVS_RUNDIR/db.sock``: with
``OVS_RUNDIR`` set to :attr:`OvsdbServer.rundir` in its environment, a
plain ``ovs-vsctl`` (what the ``openstack_ovs`` module runs) talks to this
server, never to the host's.
"""

import json
import os
import pathlib
import shutil
import subprocess
import time

from temp_daemon import TempDaemon

SCHEMA = pathlib.Path("/usr/share/openvswitch/vswitch.ovsschema")


def _program(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not path:
        raise RuntimeError(f"{name} is not installed (Debian package openvswitch-switch)")
    return path


def _value(text):
    """One value as ``ovs-vsctl get`` prints it (quoted only when it must be)."""
    text = text.strip()
    return json.loads(text) if text.startswith('"') else text


class OvsdbServer(TempDaemon):
    """An ovsdb-server with an Open_vSwitch database in a temporary directory."""

    dir_attr = "rundir"
    dir_prefix = "ovsdb-"  # short: a unix socket path has at most 107 bytes
    start_timeout = 30
    stop_timeout = 10
    kill_group = True

    def __init__(self, parent_dir=None, extra_args=()):
        """``extra_args``: more ovsdb-server options (remotes, SSL files)."""
        super().__init__(parent_dir)
        self.extra_args = list(extra_args)

    @property
    def socket(self):
        return self.rundir / "db.sock"

    # -- life cycle -----------------------------------------------------------

    def _start(self, timeout):
        """Create the database, start the server and wait until it answers."""
        if not SCHEMA.is_file():
            raise RuntimeError(f"no {SCHEMA} (Debian package openvswitch-switch)")
        database = self.rundir / "conf.db"
        subprocess.run(
            [_program("ovsdb-tool"), "create", str(database), str(SCHEMA)],
            capture_output=True, text=True, check=True,
        )
        with open(self.rundir / "ovsdb-server.out", "wb") as out:
            self.process = subprocess.Popen(
                [
                    _program("ovsdb-server"), str(database),
                    "--remote=punix:" + str(self.socket),
                    "--unixctl=" + str(self.rundir / "ovsdb-server.ctl"),
                    "--no-chdir",
                    "--log-file=" + str(self.rundir / "ovsdb-server.log"),
                    *self.extra_args,
                ],
                cwd=self.rundir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"ovsdb-server exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"ovsdb-server made no socket:\n{self.log_tail()}")
            time.sleep(0.05)
        # the Open_vSwitch table's single record, as ovs-ctl makes it
        self.vsctl("init")

    def log_tail(self, lines=40):
        text = ""
        for name in ("ovsdb-server.out", "ovsdb-server.log"):
            try:
                text += (self.rundir / name).read_text(errors="replace")
            except OSError:
                pass
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    # -- clients ----------------------------------------------------------------

    def env(self):
        """The environment for a program that must use this server."""
        return {**os.environ, "OVS_RUNDIR": str(self.rundir)}

    def vsctl(self, *args, check=True):
        """Run ``ovs-vsctl --no-wait --db=unix:SOCKET ARGS``: its stdout."""
        proc = subprocess.run(
            [_program("ovs-vsctl"), "--no-wait", "--timeout=10",
             "--db=unix:" + str(self.socket), *args],
            capture_output=True, text=True, check=False,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"ovs-vsctl {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def bridges(self):
        """``ovs-vsctl list-br``."""
        return self.vsctl("list-br").split()

    def get(self, table, record, column):
        """One column (or ``column:key``) by ``ovs-vsctl --if-exists get``;
        None for a map key that is not there."""
        out = self.vsctl("--if-exists", "get", table, record, column)
        return _value(out) if out.strip() else None

    def map(self, table, record, column):
        """A map column as a dict, from ``ovs-vsctl --format=json list``."""
        out = json.loads(self.vsctl("--format=json", "--columns=" + column, "list", table, record))
        kind, pairs = out["data"][0][0]
        assert kind == "map", out
        return dict(pairs)
