"""
uwsgi's ``--http-socket`` as Debian 13 runs the OpenStack APIs, with and
without the formulas' ``add-header = Connection: close``.

Debian's init scripts serve Keystone, nova-api, neutron-api, placement-api
and cinder-api with ``uwsgi --ini <service>-uwsgi.ini --http-socket
IP:PORT``; the ini has ``rem-header = Content-Length``, master, lazy-apps,
thunder-lock and several processes of many threads.  That socket closes
the connection after every answer, without saying so: after an answer
without a body (204, HEAD) Python's http.client keeps the connection, and
the next request of a ``requests.Session`` may be written into a socket
the server has closed ("Connection reset by peer", errno 104, under load).

A real uwsgi (Debian's, with its python3 plugin) serves a tiny WSGI app
(204 to PUT, 200 with a small body to GET and HEAD) from an ini made of
Debian's keystone-uwsgi.ini (the lines that only matter on a real host
left out) and the [uwsgi] section the keystone formula renders, written
by the formula's own module (``openstack_config.update``, ``oslo=False``):

* with that section, several threads each with its own session alternate
  PUT, HEAD and GET: no connection error, and every answer says
  ``Connection: close`` (so http.client never keeps a connection);
* without it (the control), a 204 or HEAD answer leaves the session's pool
  holding a connection that the server has closed: the hazard itself,
  shown deterministically rather than by counting racy resets.

The same uwsgi serves the formula's public endpoint too: its
``https-socket`` (moved to a free loopback port, with a pair the
project's CA module issues, ``openstack_tls.issue``) answers over TLS with
a certificate that validates against that CA, tells the application the
scheme is https (the links Keystone and the others write), and gives no
HTTP answer in clear on the TLS port.
"""
import copy
import pathlib
import select
import shutil
import socket
import subprocess
import threading
import time

import pytest
import requests
import urllib3
import yaml
from mariadb_server import free_port  # tests/functional is on sys.path
from minion_opts import pillar_loaders, render_states, state_args
from temp_daemon import TempDaemon

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
UWSGI = "uwsgi"
PYTHON3_PLUGIN = "/usr/lib/uwsgi/plugins/python3_plugin.so"

THREADS = 4
REQUESTS_PER_THREAD = 90  # PUT, HEAD, GET in turn: 360 requests in all
BODY = b"ok\n"

APP = '''\
BODY = {body!r}


def application(environ, start_response):
    method = environ["REQUEST_METHOD"]
    if environ.get("PATH_INFO") == "/scheme":
        scheme = environ["wsgi.url_scheme"].encode()
        start_response("200 OK", [("Content-Length", str(len(scheme)))])
        return [scheme]
    if method == "PUT":
        environ["wsgi.input"].read()
        start_response("204 No Content", [])
        return [b""]
    start_response(
        "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]
    )
    return [b""] if method == "HEAD" else [BODY]
'''

# Debian 13's /etc/keystone/keystone-uwsgi.ini without what only a real
# host needs (apparmor, uid/gid, logto, chdir, env, name) and with fewer
# threads (a small test box); the app and a safety net if the test run
# dies without stopping it (exit when idle).
DEBIAN_INI = """\
[uwsgi]
buffer-size = 65535
rem-header = Content-Length
master = true
thunder-lock = true
plugins = python3
lazy-apps = true
no-orphans = true
die-on-term = true
close-on-exec = true
close-on-exec2 = true
enable-threads = true
processes = 8
threads = 8
listen = 100
wsgi-file = {app}
need-app = true
idle = 600
die-on-idle = true
"""


@pytest.fixture(scope="module")
def salt_loaders(tmp_path_factory):
    """Salt's loaders of the controller with the example pillar."""
    return pillar_loaders(tmp_path_factory, "controller", copy.deepcopy(EXAMPLE), tag="uwsgi")


@pytest.fixture(scope="module")
def formula_section(salt_loaders):
    """The [uwsgi] settings keystone.config renders for the controller."""
    states = render_states(salt_loaders, ["keystone.config"])
    settings = state_args(states, "keystone-uwsgi-config", "openstack_config")
    return settings["settings"]["uwsgi"]


class UwsgiServer(TempDaemon):
    """uwsgi serving APP over ``--http-socket``, as Debian's init scripts start it."""

    dir_attr, dir_prefix = "workdir", "uwsgi-"
    start_timeout = 60
    stop_timeout = 15
    kill_group = True

    def __init__(self, section, write_ini, parent_dir=None, tls=None):
        """``section``: [uwsgi] settings put into Debian's ini by ``write_ini(path, settings)``;
        ``tls``: the pair (``openstack_tls.issue``) its https-socket serves, on a free
        loopback port (``https_url``), instead of the paths and port the formula names."""
        super().__init__(parent_dir)
        self.section = section
        self.write_ini = write_ini
        self.tls = tls
        self.port = None
        self.https_port = None

    @property
    def https_url(self):
        return f"https://localhost:{self.https_port}/"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def _start(self, timeout):
        uwsgi = shutil.which(UWSGI)
        if uwsgi is None or not pathlib.Path(PYTHON3_PLUGIN).exists():
            raise RuntimeError(
                "uwsgi with its python3 plugin is missing: install Debian's uwsgi-plugin-python3"
                " (.ci/install-system-deps)"
            )
        app = self.workdir / "app.py"
        app.write_text(APP.format(body=BODY))
        ini = self.workdir / "api-uwsgi.ini"
        ini.write_text(DEBIAN_INI.format(app=app))
        section = dict(self.section or {})
        if self.tls and "https-socket" in section:
            cert, key = self.workdir / "public-tls.crt", self.workdir / "public-tls.key"
            cert.write_text(self.tls["cert"])
            key.write_text(self.tls["key"])
            key.chmod(0o600)
            self.https_port = free_port()
            section["https-socket"] = f"127.0.0.1:{self.https_port},{cert},{key}"
        if section:
            self.write_ini(str(ini), {"uwsgi": section})
        self.port = free_port()
        with open(self.workdir / "uwsgi.log", "ab") as log:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [uwsgi, "--ini", str(ini), "--http-socket", f"127.0.0.1:{self.port}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        log_text = (self.workdir / "uwsgi.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"uwsgi did not answer on {self.url}:\n{log_text}")


def _server(tmp_path, salt_loaders, section, tls=None):
    return UwsgiServer(section, salt_loaders.modules.openstack_config.update, tmp_path, tls)


@pytest.fixture(scope="module")
def tls_pair(salt_loaders, tmp_path_factory):
    """A certificate for localhost from a CA of the project's own module."""
    return salt_loaders.modules.openstack_tls.issue(
        "controller", ["localhost"], ["127.0.0.1"], 60,
        directory=str(tmp_path_factory.mktemp("ca") / "openstack_ca"))


@pytest.fixture(scope="module")
def closing_server(tmp_path_factory, salt_loaders, formula_section, tls_pair):
    """uwsgi with the formula's [uwsgi] section (its https-socket on loopback)."""
    with _server(tmp_path_factory.mktemp("closing"), salt_loaders, formula_section,
                 tls_pair) as server:
        yield server


@pytest.fixture(scope="module")
def debian_server(tmp_path_factory, salt_loaders):
    """uwsgi with Debian's ini alone (the control)."""
    with _server(tmp_path_factory.mktemp("debian"), salt_loaders, None) as server:
        yield server


def _open_pooled_connections(session, url):
    """The connections the session's pools keep for ``url`` with their socket open."""
    manager = session.get_adapter(url).poolmanager
    pools = [manager.pools[key] for key in manager.pools.keys()]
    return [
        conn
        for pool in pools
        if pool.port == urllib3.util.parse_url(url).port
        for conn in list(pool.pool.queue)
        if conn is not None and conn.sock is not None
    ]


def _closed_by_peer(sock, timeout=5):
    """True once the server has closed ``sock``'s connection (EOF), within ``timeout``."""
    readable, _, _ = select.select([sock], [], [], timeout)
    return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""


def _bodiless(session, url, method):
    response = session.request(method, url, data=b"x" if method == "PUT" else None, timeout=10)
    assert response.status_code == (204 if method == "PUT" else 200)
    assert response.content == b""
    return response


def test_formula_sets_connection_close(formula_section):
    """The section the test serves with is the formula's: it has the header."""
    assert formula_section["add-header"] == "Connection: close"
    assert formula_section["processes"] == EXAMPLE["openstack"]["workers"]["api"] == 2


def test_formula_serves_the_public_endpoint_over_tls(formula_section):
    """Keystone's public port, with the pair common/tls.jinja writes."""
    assert formula_section["https-socket"] == (
        "0.0.0.0:13000,/etc/keystone/public-tls.crt,/etc/keystone/public-tls.key")


def test_https_socket_answers_with_a_certificate_of_the_ca(closing_server, tls_pair, tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text(tls_pair["ca_cert"])
    response = requests.get(closing_server.https_url, verify=str(ca), timeout=10)
    assert (response.status_code, response.content) == (200, BODY)
    assert response.headers["Connection"].lower() == "close"
    # what the application sees: the links it writes say https
    assert requests.get(closing_server.https_url + "scheme", verify=str(ca), timeout=10).content \
        == b"https"
    assert requests.get(closing_server.url + "scheme", timeout=10).content == b"http"
    # and a client without the CA refuses it
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(closing_server.https_url, timeout=10)


def test_https_socket_gives_no_answer_in_clear(closing_server):
    plain = closing_server.https_url.replace("https://", "http://")
    try:
        status = requests.get(plain, timeout=10).status_code
    except requests.RequestException:
        status = None
    assert status is None


def test_threads_meet_no_reset_and_every_answer_closes(closing_server):
    url = closing_server.url
    errors, not_closing, statuses = [], [], []
    lock = threading.Lock()

    def client(index):
        with requests.Session() as session:
            for i in range(REQUESTS_PER_THREAD):
                method = ("PUT", "HEAD", "GET")[(index + i) % 3]
                try:
                    response = session.request(
                        method, url, data=b"x" if method == "PUT" else None, timeout=10
                    )
                except requests.ConnectionError as exc:
                    with lock:
                        errors.append(f"{method}: {exc}")
                    continue
                with lock:
                    statuses.append((method, response.status_code, response.content))
                    if response.headers.get("Connection", "").lower() != "close":
                        not_closing.append((method, dict(response.headers)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert not_closing == []
    assert len(statuses) == THREADS * REQUESTS_PER_THREAD
    expected = {"PUT": (204, b""), "HEAD": (200, b""), "GET": (200, BODY)}
    assert [s for s in statuses if s[1:] != expected[s[0]]] == []


@pytest.mark.parametrize("method", ["PUT", "HEAD"])
def test_bodiless_answer_with_header_leaves_no_connection(closing_server, method):
    """http.client closes its side: the next request opens a new connection."""
    with requests.Session() as session:
        response = _bodiless(session, closing_server.url, method)
        assert response.headers["Connection"].lower() == "close"
        assert response.raw._original_response.will_close is True  # pylint: disable=protected-access
        assert _open_pooled_connections(session, closing_server.url) == []


@pytest.mark.parametrize("method", ["PUT", "HEAD"])
def test_control_bodiless_answer_without_header_keeps_a_closed_connection(debian_server, method):
    """
    The hazard, without counting resets: uwsgi closes the connection, yet
    http.client marks it reusable and the session's pool keeps it open, so
    the session's next request would be written into a dead socket (a reset
    when the close has not arrived yet, a retry at best).
    """
    with requests.Session() as session:
        response = _bodiless(session, debian_server.url, method)
        assert "Connection" not in response.headers
        assert response.raw._original_response.will_close is False  # pylint: disable=protected-access
        kept = _open_pooled_connections(session, debian_server.url)
        assert len(kept) == 1
        assert _closed_by_peer(kept[0].sock)
