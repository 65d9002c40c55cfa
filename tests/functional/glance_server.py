"""
A throwaway Glance (Debian's glance-api package, 2025.1) on 127.0.0.1 for
the functional tests of ``openstack_cloud.image_present``: its API served
by uwsgi with glance-wsgi-api, as Debian serves it, a file store and an
SQLite database (``glance-manage db_sync``) in a temporary directory, and
keystonemiddleware validating every token against a real Keystone
(keystone_server.py) as the service user given.

    with GlanceServer(keystone.url, "glance", "pw") as glance:
        glance.url            # http://127.0.0.1:PORT, the catalog's endpoint
        since = glance.mark()  # requests served so far (uwsgi's log)
        glance.requests()[since:glance.mark()]   # [(method, path)] since
"""
import pathlib
import re
import secrets
import shutil
import subprocess
import time

import requests

from mariadb_server import free_port
from keystone_server import IDLE_EXIT, UWSGI_INI, log_tail
from temp_daemon import TempDaemon

WSGI_SCRIPT = "/usr/bin/glance-wsgi-api"
PASTE_INI = "/etc/glance/glance-api-paste.ini"

GLANCE_CONF = """\
[DEFAULT]
log_file = {workdir}/glance.log
enabled_backends = file:file
node_staging_uri = file://{workdir}/staging
[database]
connection = sqlite:///{workdir}/glance.db
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = {workdir}/images/
[os_glance_staging_store]
filesystem_store_datadir = {workdir}/staging/
[os_glance_tasks_store]
filesystem_store_datadir = {workdir}/tasks/
[keystone_authtoken]
www_authenticate_uri = {auth_url}
auth_url = {auth_url}
auth_type = password
username = {username}
password = {password}
project_name = service
user_domain_name = Default
project_domain_name = Default
[paste_deploy]
flavor = keystone
config_file = {paste_ini}
"""

# keystone_server's uwsgi section (one worker, one thread, Connection:
# close) with Debian's glance-api-uwsgi.ini's chunked-input settings; the
# app reads glance-api.conf from OS_GLANCE_CONFIG_DIR.
UWSGI_INI = UWSGI_INI + """\
http-chunked-input = true
http-raw-body = true
wsgi-manage-chunked-input = true
"""

#: uwsgi's request log line: "... [date] PUT /v2/images/ID/file => generated ..."
REQUEST_RE = re.compile(r"\] ([A-Z]+) (/\S*) => ")


class GlanceError(RuntimeError):
    """Glance could not be set up or started."""


def _require(program):
    path = shutil.which(program)
    if path is None:
        raise GlanceError(f"{program} not found: install Debian's glance-api package "
                          "(.ci/functional-packages)")  # fmt: skip
    return path


class GlanceServer(TempDaemon):
    """One Glance API with its own database and file store."""

    dir_attr, dir_prefix = "workdir", "glance-"
    kill_group = True

    def __init__(self, auth_url, username, password, parent_dir=None):
        super().__init__(parent_dir)
        self.auth_url = auth_url
        self.username = username
        self.password = password
        self.port = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self):
        """The file store's directory (one file per image id)."""
        return self.workdir / "images"

    def requests(self):
        """``[(method, path)]`` of the requests uwsgi has logged, in order."""
        text = (self.workdir / "uwsgi.log").read_text(errors="replace")
        return REQUEST_RE.findall(text)

    def mark(self, timeout=10):
        """
        The number of requests answered so far. uwsgi logs a request after
        its answer has gone: a marker request is sent and awaited in the log.
        """
        marker = f"/?mark={secrets.token_hex(4)}"
        requests.get(self.url + marker, timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logged = [path for _, path in self.requests()]
            if marker in logged:
                return logged.index(marker) + 1
            time.sleep(0.05)
        raise GlanceError(f"uwsgi did not log {marker} in {timeout} s")

    def _start(self, timeout):
        if not pathlib.Path(WSGI_SCRIPT).exists():
            raise GlanceError(f"{WSGI_SCRIPT} not found: install Debian's glance-api package")
        self.port = free_port()
        for sub in ("images", "staging", "tasks"):
            (self.workdir / sub).mkdir()
        conf = self.workdir / "glance-api.conf"
        conf.write_text(GLANCE_CONF.format(
            workdir=self.workdir, auth_url=self.auth_url, username=self.username,
            password=self.password, paste_ini=PASTE_INI))  # fmt: skip
        conf.chmod(0o600)
        sync = subprocess.run([_require("glance-manage"), "--config-file", str(conf), "db_sync"],
                              capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        if sync.returncode:
            raise GlanceError(f"glance-manage db_sync failed:\n{sync.stderr[-2000:]}")
        ini = self.workdir / "uwsgi.ini"
        ini.write_text(UWSGI_INI.format(port=self.port, wsgi_script=WSGI_SCRIPT, idle=IDLE_EXIT,
                                        env=f"OS_GLANCE_CONFIG_DIR={self.workdir}"))  # fmt: skip
        with open(self.workdir / "uwsgi.log", "ab") as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [_require("uwsgi"), "--ini", str(ini)], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(self.url + "/", timeout=2).status_code in (200, 300):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise GlanceError(f"Glance did not answer on {self.url}:\n"
                          f"{log_tail(self.workdir / 'uwsgi.log')}\n"
                          f"{log_tail(self.workdir / 'glance.log')}")  # fmt: skip
