"""
The shared OpenStack client (_utils/saltext_openstack_api.py): where the
modules find it (synced or pip-installed), its errors, its catalog
lookups and its paging. Keystone itself: tests/functional.
"""
import pathlib
import socket
import struct
import sys
import threading

import pytest
import requests
import salt.loader
from minion_opts import minion_opts as make_minion_opts
from minion_opts import synced
from salt.exceptions import CommandExecutionError

from fake_cloud import IDENTITY, FakeCloud, mount
from saltext_openstack._utils import saltext_openstack_api as api

REPO = pathlib.Path(__file__).resolve().parents[2]


def _loaded_api(opts, module):
    """The ``api`` a module loaded by Salt's own loader imported."""
    mods = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
    function = mods[f"{module}.__virtual__"] if f"{module}.__virtual__" in mods else None
    function = function or next(mods[name] for name in mods if name.startswith(module + "."))
    return getattr(function, "func", function).__globals__["api"], mods


SYNCED = ("saltext_openstack_api", "saltext_openstack_cloud", "saltext_openstack_cloud_calls",
          "saltext_openstack_cloud_image", "saltext_openstack_cloud_network",
          "saltext_openstack_identity")
#: openstack_cloud's own files of _utils/, beside the client.
CLOUD_FILES = ("cp", "calls", "ci", "cn")
#: openstack_cloud's CLI functions.
CLOUD_FUNCTIONS = sorted((
    "flavor_present", "network_present", "subnet_present", "router_present",
    "security_group_present", "image_present", "quota_present", "health", "compute_drain",
    "compute_forget", "volume_type_present"))


@pytest.fixture
def fresh_job():
    """
    A minion job's process as Salt forks it: the synced client not
    imported yet (once imported, a process keeps it until it ends).
    Afterwards the synced copies are forgotten again.
    """
    saved = {name: sys.modules.pop(name) for name in SYNCED if name in sys.modules}
    yield
    for name in SYNCED:
        sys.modules.pop(name, None)
    sys.modules.update(saved)


@pytest.mark.parametrize("module", ["keystone_init", "openstack_cloud"])
def test_synced_modules_import_the_synced_client(tmp_path, module, fresh_job):
    """
    saltutil.sync_all puts _modules/ in extmods/modules and _utils/ in
    extmods/utils: the loader loads the synced module, which imports the
    synced client (not the pip-installed package's).
    """
    opts = make_minion_opts(tmp_path / "root", "synced", tmp_path / "pillar")
    extmods = synced(opts, [module], SYNCED)
    loaded, mods = _loaded_api(opts, module)
    assert mods.file_mapping[module][0] == str(extmods / "modules" / f"{module}.py")
    assert loaded.__file__ == str(extmods / "utils" / "saltext_openstack_api.py")


def test_synced_keystone_init_imports_the_synced_plans(tmp_path, fresh_job):
    """keystone_init's plans (_utils/saltext_openstack_identity.py), synced
    beside the client, are the synced copy, and use the synced client."""
    opts = make_minion_opts(tmp_path / "root", "synced", tmp_path / "pillar")
    extmods = synced(opts, ["keystone_init"], SYNCED)
    loaded, mods = _loaded_api(opts, "keystone_init")
    function = mods["keystone_init.plan"]
    identity = getattr(function, "func", function).__globals__["identity"]
    assert identity.__file__ == str(extmods / "utils" / "saltext_openstack_identity.py")
    assert identity.api is loaded


def test_synced_openstack_cloud_imports_the_synced_plans_and_calls(tmp_path, fresh_job):
    """openstack_cloud's plans (saltext_openstack_cloud, _network, _image)
    and the calls that carry them out (_calls), synced beside the client,
    are the synced copies, and use each other's synced copies."""
    opts = make_minion_opts(tmp_path / "root", "synced", tmp_path / "pillar")
    extmods = synced(opts, ["openstack_cloud"], SYNCED)
    loaded, mods = _loaded_api(opts, "openstack_cloud")
    function = mods["openstack_cloud.flavor_present"]
    used = getattr(function, "func", function).__globals__
    for alias in CLOUD_FILES:
        name = pathlib.Path(used[alias].__file__).name
        assert used[alias].__file__ == str(extmods / "utils" / name)
    calls = used["calls"]
    assert (calls.api, calls.cp, calls.ci, calls.cn) == (loaded, used["cp"], used["ci"], used["cn"])
    assert used["cn"].cp is used["cp"] and used["ci"].cp is used["cp"]
    # Only its own functions: nothing of _utils (calls.execute, calls.file_digest...)
    # became a CLI function.
    assert sorted(f for f in mods if f.startswith("openstack_cloud.")) == [
        "openstack_cloud." + name for name in CLOUD_FUNCTIONS]


def test_installed_openstack_cloud_imports_the_packages_plans_and_calls(tmp_path, fresh_job):
    """Without synced files, openstack_cloud uses the package's plans and calls."""
    opts = make_minion_opts(tmp_path / "root", "installed", tmp_path / "pillar")
    _, mods = _loaded_api(opts, "openstack_cloud")
    function = mods["openstack_cloud.flavor_present"]
    used = getattr(function, "func", function).__globals__
    for alias in CLOUD_FILES:
        assert used[alias].__name__.startswith("saltext_openstack._utils.saltext_openstack_cloud")
        assert pathlib.Path(used[alias].__file__).resolve().parent == REPO / "_utils"
    assert used["calls"].cp is used["cp"] and used["cn"].cp is used["cp"]


def test_installed_modules_import_the_packages_client(tmp_path, fresh_job):
    """Without synced files, the entry point's modules use the package's client."""
    opts = make_minion_opts(tmp_path / "root", "installed", tmp_path / "pillar")
    loaded, _ = _loaded_api(opts, "openstack_cloud")
    assert loaded is api
    assert pathlib.Path(loaded.__file__).resolve() == REPO / "_utils" / "saltext_openstack_api.py"


def test_file_roots_and_package_both_ship_utils():
    assert (REPO / "salt" / "_utils").resolve() == REPO / "_utils"
    setup = (REPO / "setup.cfg").read_text()
    assert "saltext_openstack._utils = _utils" in setup


# -- errors ---------------------------------------------------------------------


def _response(status, body=None, text=None):
    response = requests.Response()
    response.status_code = status
    response.reason = "Reason"
    if body is not None:
        import json  # pylint: disable=import-outside-toplevel

        response._content = json.dumps(body).encode()
    else:
        response._content = (text or "").encode()
    return response


@pytest.mark.parametrize(
    "body, text, expected",
    [
        ({"error": {"code": 401, "title": "Unauthorized", "message": "Needs auth."}}, None,
         "Keystone: POST /x failed: Needs auth. (HTTP 401 Unauthorized)"),
        ({"NeutronError": {"type": "SecurityGroupRuleExists", "message": "Rule exists.",
                           "detail": ""}}, None,
         "Keystone: POST /x failed: SecurityGroupRuleExists: Rule exists. (HTTP 409)"),
        ({"conflictingRequest": {"code": 409, "message": "Flavor exists."}}, None,
         "Keystone: POST /x failed: Flavor exists. (HTTP 409)"),
        (None, "<html>Bad Gateway</html>", "Keystone: POST /x failed: <html>Bad Gateway</html> (HTTP 409)"),
        (None, "", "Keystone: POST /x failed: Reason (HTTP 409)"),
    ],
)  # fmt: skip
def test_error_bodies_of_every_service(body, text, expected):
    status = 401 if body and "error" in body else 409
    error = api.api_error("Keystone", "POST /x", _response(status, body, text))
    assert isinstance(error, CommandExecutionError)
    assert error.status == status
    assert str(error) == expected


# -- session ------------------------------------------------------------------


@pytest.fixture
def fake(monkeypatch):
    cloud = FakeCloud()
    mount(monkeypatch, cloud, requests)
    return cloud


AUTH = {"auth_url": IDENTITY, "username": "admin", "password": "admin-secret",
        "project_name": "admin"}  # fmt: skip


def test_session_logs_in_once_and_finds_the_catalogs_endpoints(fake):
    session = api.Session(AUTH)
    assert (session.user_id, session.project_id) == ("u-admin", "p-admin")
    assert session.endpoint("compute") == "http://nova.test/v2.1"
    assert session.service("network", "Neutron").url == "http://neutron.test"
    assert fake.logins == 1
    with pytest.raises(api.NotInCatalog, match="no public endpoint of type volumev3"):
        session.endpoint("volumev3")


def test_session_region_must_match(fake):
    session = api.Session(dict(AUTH, region="RegionTwo"))
    with pytest.raises(api.NotInCatalog, match="type compute in region RegionTwo"):
        session.endpoint("compute")


def test_wrong_password_is_a_401_without_the_password(fake):
    with pytest.raises(api.OpenStackError) as exc:
        api.Session(dict(AUTH, password="wrong-secret"))
    assert exc.value.status == 401
    assert str(exc.value).startswith("Keystone: authentication as admin failed: ")
    assert "wrong-secret" not in str(exc.value)


def test_unreachable_service_is_typed(monkeypatch):
    def refuse(*args, **kwargs):
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(requests.Session, "request", refuse)
    with pytest.raises(api.OpenStackUnreachable, match="Keystone: cannot reach http://keystone.test/v3/auth/tokens"):
        api.Session(AUTH)


def test_list_follows_next_links(fake):
    session = api.Session(AUTH)
    pages = {
        None: {"servers": [{"id": "a"}], "servers_links": [{"rel": "next", "href": "http://nova.test/v2.1/servers?marker=a"}]},
        "a": {"servers": [{"id": "b"}], "servers_links": [{"rel": "next", "href": "http://nova.test/v2.1/servers?marker=b"}]},
        "b": {"servers": [{"id": "c"}]},
    }  # fmt: skip

    def nova(method, path, query, data, headers):
        return pages[query.get("marker")]

    fake.nova = nova
    service = session.service("compute", "Nova")
    assert [s["id"] for s in service.list("/servers", "servers")] == ["a", "b", "c"]


def test_auth_settings_accept_a_modules_extra_arguments():
    allowed = api.AUTH_ARGS + ("interface",)
    auth = api.auth_settings({"interface": "internal", **AUTH}, "x:auth", ({}, {}), allowed)
    assert auth["interface"] == "internal"
    with pytest.raises(CommandExecutionError, match="Unknown argument"):
        api.auth_settings({"interface": "internal", **AUTH}, "x:auth", ({}, {}))


# -- retries, over real TCP ----------------------------------------------------


class ResettingServer:
    """
    A TCP server on 127.0.0.1 that answers its connections in turn from
    ``script``: ``"reset"`` reads the request and drops the connection with a
    TCP reset (as a WSGI worker that dies does), ``"ok"`` answers 200 ``{}``.
    ``methods`` lists the request lines' methods it received.
    """

    def __init__(self, script):
        self.script = list(script)
        self.methods = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        for action in self.script:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed: the client stopped before the script's end
                return
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536)
            self.methods.append(request.split(b" ", 1)[0].decode())
            if action == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")  # fmt: skip
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    """The retries' pauses are the policy's business, not these tests'."""
    monkeypatch.setattr(api, "RETRY_BACKOFF", 0)


def _service(url):
    """A :class:`api.Service` on ``url`` with the client's real session."""
    session = api.Session.__new__(api.Session)
    session.agent, session.timeout = "test", 5
    session.http = api.http_session(True, "test")
    return api.Service(session, "Keystone", url)


def test_a_read_is_sent_again_after_a_reset():
    server = ResettingServer(["reset", "reset", "ok"])
    try:
        assert _service(server.url).request("GET", "/v3/projects") == {}
    finally:
        server.close()
    assert server.methods == ["GET"] * 3


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_write_that_may_have_arrived_is_not_sent_twice(method):
    # a second DELETE would answer 404, a second POST create twice: the
    # callers plan again instead
    server = ResettingServer(["reset", "ok"])
    try:
        with pytest.raises(api.OpenStackUnreachable, match=r"Keystone: cannot reach .*/v3/x \(ConnectionError"):
            _service(server.url).request(method, "/v3/x", {"x": {}} if method != "DELETE" else None)
    finally:
        server.close()
    assert server.methods == [method]


def test_resets_beyond_the_retries_are_an_unreachable_service():
    server = ResettingServer(["reset"] * (api.RETRIES + 1))
    try:
        with pytest.raises(api.OpenStackUnreachable):
            _service(server.url).request("GET", "/v3/users")
    finally:
        server.close()
    assert server.methods == ["GET"] * (api.RETRIES + 1)
