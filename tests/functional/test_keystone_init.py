"""
keystone_init against a real Keystone (Debian's keystone 22, served by
uwsgi on 127.0.0.1 with a SQLite database, see keystone_server.py): every
test that writes gets a fresh clone of one bootstrapped database; the tests
that must write nothing share one. bcrypt runs with 4 rounds instead of 12
to save CPU; the benchmark keeps Keystone's default.
"""
import copy
import json
import pathlib
import secrets
import socket
import subprocess
import sys

import pytest
import requests
import yaml
from salt.exceptions import CommandExecutionError

from keystone_server import KeystoneServer  # tests/functional is on sys.path

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
FULL_CLOUD = yaml.safe_load((DATA / "keystone_init_full_cloud.yaml").read_text())
SERVICE_USERS = ("glance", "nova", "placement", "neutron", "cinder")
SERVICE_TYPES = {
    "glance": "image",
    "nova": "compute",
    "placement": "placement",
    "neutron": "network",
    "cinderv3": "volumev3",
}


HASH_ROUNDS = 4


@pytest.fixture(scope="session")
def keystone_seed(tmp_path_factory):
    """One bootstrapped (not served) Keystone database, cloned by each test."""
    admin_password = "admin-" + secrets.token_hex(8)
    workdir = tmp_path_factory.mktemp("keystone-seed")
    return KeystoneServer(workdir, admin_password, password_hash_rounds=HASH_ROUNDS).prepare()


def _serve(keystone_seed, workdir):
    return KeystoneServer(
        workdir, None, seed=keystone_seed, password_hash_rounds=HASH_ROUNDS
    ).start()


@pytest.fixture
def keystone(keystone_seed, tmp_path):
    """A fresh Keystone, just bootstrapped."""
    server = _serve(keystone_seed, tmp_path / "keystone")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def untouched_keystone(keystone_seed, tmp_path_factory):
    """A bootstrapped Keystone shared by the tests that must not write to it."""
    server = _serve(keystone_seed, tmp_path_factory.mktemp("keystone"))
    yield server
    server.stop()


@pytest.fixture
def cloud():
    return copy.deepcopy(FULL_CLOUD)


@pytest.fixture
def keystone_init(loaders, repo_root):
    # The loader may run a copy synced into extension_modules: make sure it
    # is the working tree's module.
    loaded = pathlib.Path(loaders.modules.file_mapping["keystone_init"][0])
    assert loaded.read_bytes() == (repo_root / "_modules" / "keystone_init.py").read_bytes()
    return loaders.modules.keystone_init


def _secrets(config, keystone):
    return [user["password"] for user in config["users"].values()] + [keystone.admin_password]


def assert_no_secret(data, secret_values):
    text = json.dumps(data, default=str)
    for secret in secret_values:
        assert secret not in text


class Api:
    """An independent admin reader of the Keystone v3 API."""

    def __init__(self, keystone):
        self.url = keystone.url
        self.session = requests.Session()
        body = _password_auth({"name": "admin", "domain": {"id": "default"}}, keystone.admin_password)
        body["auth"]["scope"] = {"project": {"name": "admin", "domain": {"id": "default"}}}
        response = self.session.post(f"{self.url}/auth/tokens", json=body, timeout=30)
        assert response.status_code == 201, response.text
        self.session.headers["X-Auth-Token"] = response.headers["X-Subject-Token"]

    def list(self, collection, **params):
        response = self.session.get(f"{self.url}/{collection}", params=params, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()[collection]

    def one(self, collection, **params):
        (found,) = self.list(collection, **params)
        return found


# the roles keystone-manage bootstrap makes (Keystone 27, 2025.1)
BOOTSTRAP_ROLES = {"admin", "manager", "member", "reader", "service"}


def _password_auth(user, password):
    user = dict(user, password=password)
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}


def login(keystone, name, password, project=None):
    """The HTTP status of a password login as ``name`` (scoped to ``project``)."""
    body = _password_auth({"name": name, "domain": {"id": "default"}}, password)
    if project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    return requests.post(f"{keystone.url}/auth/tokens", json=body, timeout=30).status_code


def test_full_cloud_is_created_then_left_alone(keystone, keystone_init, cloud):
    changes = keystone_init.apply(cloud, **keystone.auth)

    assert changes["projects"] == {"service": "created"}
    # Keystone 27's bootstrap makes every role the cloud names (admin,
    # manager, member, reader, service): none to create
    assert "roles" not in changes
    assert changes["users"] == {name: "created" for name in SERVICE_USERS}
    assert changes["grants"] == {
        name: ["admin on project service", "service on project service"] for name in SERVICE_USERS
    }
    assert changes["services"] == {name: "created" for name in SERVICE_TYPES}
    assert len(changes["endpoints"]) == 15
    assert "regions" not in changes  # RegionOne came with the bootstrap
    assert_no_secret(changes, _secrets(cloud, keystone))

    api = Api(keystone)
    service_project = api.one("projects", name="service")
    assert service_project["description"] == "Service Project"
    roles = {role["id"]: role["name"] for role in api.list("roles")}
    for name in SERVICE_USERS:
        user = api.one("users", name=name)
        assert user["default_project_id"] == service_project["id"]
        granted = api.list("role_assignments", **{"user.id": user["id"]})
        assert sorted(roles[a["role"]["id"]] for a in granted) == ["admin", "service"]
        assert {a["scope"]["project"]["id"] for a in granted} == {service_project["id"]}
        password = cloud["users"][name]["password"]
        assert login(keystone, name, password, project="service") == 201
    assert api.one("users", name="glance")["email"] == "glance@example.org"
    for name, type_ in SERVICE_TYPES.items():
        service = api.one("services", name=name)
        assert service["type"] == type_
        endpoints = api.list("endpoints", service_id=service["id"])
        assert {(e["interface"], e["region_id"], e["url"]) for e in endpoints} == {
            (interface, "RegionOne", url)
            for interface, url in cloud["services"][name]["endpoints"].items()
        }

    # The openstack CLI, as an independent reader.
    users = {u["Name"] for u in json.loads(keystone.openstack("user", "list", "-f", "json"))}
    assert users == {"admin", *SERVICE_USERS}
    endpoints = json.loads(keystone.openstack("endpoint", "list", "-f", "json"))
    listed = {(e["Service Name"], e["Interface"], e["URL"]) for e in endpoints}
    for name in SERVICE_TYPES:
        for interface, url in cloud["services"][name]["endpoints"].items():
            assert (name, interface, url) in listed
    assert len(endpoints) == 18  # 15 + the 3 identity endpoints of the bootstrap

    assert keystone_init.apply(cloud, **keystone.auth) == {}
    assert keystone_init.plan(cloud, **keystone.auth) == {}


def test_password_change_rotates_only_that_user(keystone, keystone_init, cloud):
    keystone_init.apply(cloud, **keystone.auth)
    old = cloud["users"]["nova"]["password"]
    new = "nova-Rotated-" + secrets.token_hex(4)
    cloud["users"]["nova"]["password"] = new

    expected = {"users": {"nova": {"password": "updated"}}}
    assert keystone_init.plan(cloud, **keystone.auth) == expected
    assert login(keystone, "nova", old) == 201  # plan wrote nothing
    assert keystone_init.apply(cloud, **keystone.auth) == expected

    assert login(keystone, "nova", new, project="service") == 201
    assert login(keystone, "nova", old) == 401
    assert login(keystone, "glance", cloud["users"]["glance"]["password"]) == 201
    assert keystone_init.apply(cloud, **keystone.auth) == {}


def test_endpoint_url_change_updates_only_that_endpoint(keystone, keystone_init, cloud):
    keystone_init.apply(cloud, **keystone.auth)
    api = Api(keystone)
    before = {e["id"]: e for e in api.list("endpoints")}
    cloud["services"]["nova"]["endpoints"]["public"] = "https://nova.example.org:8774/v2.1"

    changes = keystone_init.apply(cloud, **keystone.auth)

    assert changes == {
        "endpoints": {
            "nova/public/RegionOne": {
                "url": {
                    "old": "http://controller:8774/v2.1",
                    "new": "https://nova.example.org:8774/v2.1",
                }
            }
        }
    }
    after = {e["id"]: e for e in api.list("endpoints")}
    assert after.keys() == before.keys()  # updated in place, nothing created
    changed = {i for i in after if after[i]["url"] != before[i]["url"]}
    assert len(changed) == 1
    (endpoint,) = (after[i] for i in changed)
    assert endpoint["interface"] == "public"
    assert endpoint["url"] == "https://nova.example.org:8774/v2.1"
    assert keystone_init.apply(cloud, **keystone.auth) == {}


def test_state_test_mode_predicts_without_writing_or_leaking(keystone, run_state, cloud):
    hidden = _secrets(cloud, keystone)
    api = Api(keystone)

    ret = run_state(
        "keystone_init.present", name="identity", config=cloud, test=True, **keystone.auth
    )
    assert ret["result"] is None
    assert ret["changes"]["users"] == {name: "created" for name in SERVICE_USERS}
    assert len(ret["changes"]["endpoints"]) == 15
    assert "Would change Keystone" in ret["comment"]
    assert_no_secret(ret, hidden)
    assert [u["name"] for u in api.list("users")] == ["admin"]
    assert api.list("projects", name="service") == []
    assert [s["type"] for s in api.list("services")] == ["identity"]

    ret = run_state("keystone_init.present", name="identity", config=cloud, **keystone.auth)
    assert ret["result"] is True
    assert ret["changes"]["users"] == {name: "created" for name in SERVICE_USERS}
    assert_no_secret(ret, hidden)

    ret = run_state("keystone_init.present", name="identity", config=cloud, **keystone.auth)
    assert ret["result"] is True
    assert ret["changes"] == {}

    # A pending password change, in test mode: predicted, not written, not shown.
    new = "cinder-Rotated-" + secrets.token_hex(4)
    cloud["users"]["cinder"]["password"] = new
    ret = run_state(
        "keystone_init.present", name="identity", config=cloud, test=True, **keystone.auth
    )
    assert ret["result"] is None
    assert ret["changes"] == {"users": {"cinder": {"password": "updated"}}}
    assert_no_secret(ret, hidden + [new])
    assert login(keystone, "cinder", new) == 401


def test_wrong_admin_password_is_keystones_error(
    untouched_keystone, keystone_init, run_state, cloud
):
    keystone = untouched_keystone
    auth = dict(keystone.auth, password="not-the-admin-password")
    with pytest.raises(CommandExecutionError) as excinfo:
        keystone_init.plan(cloud, **auth)
    message = str(excinfo.value)
    assert "The request you have made requires authentication." in message
    assert "HTTP 401" in message
    assert "not-the-admin-password" not in message

    ret = run_state("keystone_init.present", name="identity", config=cloud, **auth)
    assert ret["result"] is False
    assert "HTTP 401" in ret["comment"]
    assert_no_secret(ret, _secrets(cloud, keystone) + ["not-the-admin-password"])
    # A dry run: the admin is not bootstrapped with that password yet (the
    # bootstrap state before it only "would" run): None, with Keystone's words.
    dry = run_state("keystone_init.present", name="identity", config=cloud, test=True, **auth)
    assert dry["result"] is None and dry["changes"] == {}, dry
    assert "once the admin logs in" in dry["comment"] and "HTTP 401" in dry["comment"]
    assert_no_secret(dry, _secrets(cloud, keystone) + ["not-the-admin-password"])


def test_unreachable_keystone_in_a_dry_run(run_state, cloud):
    """No Keystone yet (a dry run of a new controller): None.  (A real run
    fails: test_bootstrapped_unreachable_keystone, after its waits.)"""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    auth = dict(auth_url=f"http://127.0.0.1:{port}/v3", username="admin",
                password="pw-" + secrets.token_hex(4), project_name="admin")
    dry = run_state("keystone_init.present", name="identity", config=cloud, test=True, **auth)
    assert dry["result"] is None and "cannot reach" in dry["comment"], dry
    assert auth["password"] not in str(dry)


@pytest.mark.parametrize(
    "mistake, message",
    [
        ({"roles": {"nosuchproject": ["admin"]}}, "project nosuchproject (domain Default)"),
        ({"roles": {"service": ["nosuchrole"]}}, "role nosuchrole is neither"),
        ({"project": "nosuchproject"}, "project nosuchproject (domain Default)"),
        ({"domain": "nosuchdomain"}, "domain nosuchdomain is neither"),
    ],
)
def test_invalid_reference_fails_before_writing(
    untouched_keystone, keystone_init, cloud, mistake, message
):
    keystone = untouched_keystone
    cloud["users"]["neutron"].update(mistake)
    with pytest.raises(CommandExecutionError, match="Invalid keystone_init configuration") as exc:
        keystone_init.apply(cloud, **keystone.auth)
    assert message in str(exc.value)
    api = Api(keystone)
    assert [u["name"] for u in api.list("users")] == ["admin"]
    assert api.list("projects", name="service") == []
    assert {r["name"] for r in api.list("roles")} == BOOTSTRAP_ROLES


def test_domains_attributes_and_reenabling(keystone, keystone_init):
    config = {
        "regions": {"RegionTwo": {"description": "Second site"}},
        "domains": {"heat": {"description": "Stack projects and users"}},
        "projects": [{"name": "stacks", "domain": "heat"}],
        "roles": ["heat_stack_owner"],
        "users": {
            "heat_domain_admin": {
                "password": "heat-Domain-Pw-31",
                "domain": "heat",
                "email": "heat@example.org",
                "roles": [
                    {"domain": "heat", "role": "admin"},
                    {"project": "stacks", "project_domain": "heat", "role": "heat_stack_owner"},
                ],
            }
        },
        "services": {
            "heat": {
                "type": "orchestration",
                "region": "RegionTwo",
                "endpoints": {"public": "http://controller:8004/v1/%(tenant_id)s"},
            }
        },
    }
    changes = keystone_init.apply(config, **keystone.auth)
    assert changes["regions"] == {"RegionTwo": "created"}
    assert changes["domains"] == {"heat": "created"}
    assert changes["projects"] == {"stacks@heat": "created"}
    assert changes["grants"] == {
        "heat_domain_admin@heat": ["admin on domain heat", "heat_stack_owner on project stacks@heat"]
    }
    assert changes["endpoints"] == {"heat/public/RegionTwo": "created"}
    assert keystone_init.apply(config, **keystone.auth) == {}

    user = config["users"]["heat_domain_admin"]
    user.update(email="stacks@example.org", enabled=False)
    assert keystone_init.apply(config, **keystone.auth) == {
        "users": {
            "heat_domain_admin@heat": {
                "email": {"old": "heat@example.org", "new": "stacks@example.org"},
                "enabled": {"old": True, "new": False},
            }
        }
    }
    assert keystone_init.apply(config, **keystone.auth) == {}

    # Re-enabled, with a new password: set at once (it could not be checked).
    user.update(enabled=True, password="heat-Domain-Pw-32")
    assert keystone_init.apply(config, **keystone.auth) == {
        "users": {
            "heat_domain_admin@heat": {
                "enabled": {"old": False, "new": True},
                "password": "updated",
            }
        }
    }
    assert keystone_init.apply(config, **keystone.auth) == {}
    api = Api(keystone)
    heat = api.one("domains", name="heat")
    body = _password_auth({"name": "heat_domain_admin", "domain": {"id": heat["id"]}}, "heat-Domain-Pw-32")
    body["auth"]["scope"] = {"domain": {"id": heat["id"]}}
    assert requests.post(f"{keystone.url}/auth/tokens", json=body, timeout=30).status_code == 201


def test_salt_call_reads_auth_and_config_from_pillar(keystone, cloud, tmp_path, repo_root):
    """The CLI path: auth and config from pillar, debug logs free of secrets."""
    pillar_dir = tmp_path / "pillar"
    pillar_dir.mkdir()
    (pillar_dir / "top.sls").write_text("base:\n  '*':\n    - keystone\n")
    pillar = {"keystone_init": {"auth": keystone.auth, "config": cloud}}
    (pillar_dir / "keystone.sls").write_text(yaml.safe_dump(pillar))
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "minion").write_text(
        yaml.safe_dump(
            {
                "id": "keystone-init-test",
                "file_client": "local",
                "root_dir": str(tmp_path / "root"),
                "pillar_roots": {"base": [str(pillar_dir)]},
                "file_roots": {"base": [str(repo_root / "salt")]},
            }
        )
    )
    salt_call = pathlib.Path(sys.executable).parent / "salt-call"

    def run(*args):
        proc = subprocess.run(
            [str(salt_call), "--local", "-c", str(conf_dir), "-l", "debug", "--out", "json", *args],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        for secret in _secrets(cloud, keystone):
            assert secret not in proc.stdout and secret not in proc.stderr
        assert "X-Auth-Token" not in proc.stderr and "X-Subject-Token" not in proc.stderr
        return json.loads(proc.stdout)["local"]

    planned = run("keystone_init.plan")
    assert planned["users"] == {name: "created" for name in SERVICE_USERS}
    applied = run("keystone_init.apply")
    assert applied == planned
    (state,) = run("state.single", "keystone_init.present", "name=identity").values()
    assert state["result"] is True
    assert state["changes"] == {}
    assert Api(keystone).one("users", name="placement")["enabled"] is True


# -- keystone_init.bootstrapped: keystone-manage bootstrap ----------------------


class ProcessWatcher:
    """Samples every process's command line while a block runs."""

    def __init__(self):
        import threading

        self.seen = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for proc in pathlib.Path("/proc").iterdir():
                if proc.name.isdigit():
                    try:
                        argv = (proc / "cmdline").read_bytes()
                    except OSError:
                        continue
                    if argv:
                        self.seen.add(argv.replace(b"\0", b" ").decode(errors="replace"))
            self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _bootstrapped(run_state, keystone, password, **kwargs):
    return run_state(
        "keystone_init.bootstrapped",
        name="admin",
        password=password,
        auth_url=keystone.url,
        region="RegionOne",
        public_url=keystone.url,
        internal_url=keystone.url,
        admin_url=keystone.url,
        config_file=str(keystone.config_file),
        **kwargs,
    )


def test_bootstrapped_leaves_a_working_admin_alone(untouched_keystone, run_state):
    keystone = untouched_keystone
    for test in (True, False):
        ret = _bootstrapped(run_state, keystone, keystone.admin_password, test=test)
        assert ret["result"] is True, ret
        assert ret["changes"] == {}
        assert "logs in" in ret["comment"]


def test_bootstrapped_rotates_the_admin_password(keystone, run_state):
    old = keystone.admin_password
    new = "admin-Rotated-" + secrets.token_hex(6)

    ret = _bootstrapped(run_state, keystone, new, test=True)
    assert ret["result"] is None
    assert ret["changes"] == {
        "bootstrap": {"user": "admin", "project": "admin", "role": "admin", "region": "RegionOne"}
    }
    assert "Would run keystone-manage bootstrap" in ret["comment"]
    assert_no_secret(ret, [old, new])
    assert login(keystone, "admin", old, project="admin") == 201

    with ProcessWatcher() as watcher:
        ret = _bootstrapped(run_state, keystone, new)
    assert ret["result"] is True, ret
    assert ret["changes"]["bootstrap"]["user"] == "admin"
    assert_no_secret(ret, [old, new])
    assert any("keystone-manage" in argv and " bootstrap" in argv for argv in watcher.seen)
    assert not [argv for argv in watcher.seen if new in argv]
    assert login(keystone, "admin", new, project="admin") == 201
    assert login(keystone, "admin", old, project="admin") == 401

    ret = _bootstrapped(run_state, keystone, new)
    assert ret["result"] is True
    assert ret["changes"] == {}


def test_bootstrapped_creates_admin_on_a_new_database(tmp_path, run_state):
    server = KeystoneServer(
        tmp_path / "fresh", None, password_hash_rounds=HASH_ROUNDS, bootstrap=False
    ).start()
    try:
        password = "admin-" + secrets.token_hex(6)
        ret = _bootstrapped(run_state, server, password)
        assert ret["result"] is True, ret
        assert ret["changes"]
        server.admin_password = password
        assert login(server, "admin", password, project="admin") == 201
        catalog = Api(server).list("services")
        assert [s["type"] for s in catalog] == ["identity"]
        ret = _bootstrapped(run_state, server, password)
        assert ret["changes"] == {}
    finally:
        server.stop()


def test_bootstrapped_unreachable_keystone(run_state, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v3"
    args = dict(name="admin", password="pw-" + secrets.token_hex(4), auth_url=url)

    ret = run_state("keystone_init.bootstrapped", test=True, **args)
    assert ret["result"] is None
    assert "does not answer yet" in ret["comment"]
    assert args["password"] not in str(ret)

    ret = run_state("keystone_init.bootstrapped", wait=0, **args)
    assert ret["result"] is False
    assert "cannot reach" in ret["comment"]
    assert ret["changes"] == {}


def test_bootstrapped_refuses_an_empty_password(run_state):
    ret = run_state(
        "keystone_init.bootstrapped", name="admin", password="", auth_url="http://127.0.0.1:1/v3"
    )
    assert ret["result"] is False
    assert "No password" in ret["comment"]


class _ResettingProxy:
    """
    A TCP proxy in front of the real Keystone that, once, forwards the
    ``drop_at``-th request starting with ``prefix`` to Keystone, waits for
    Keystone's answer and then resets the client's connection instead of
    relaying it: the change is made, the client sees "connection reset",
    as with a Keystone that was restarted under it.
    """

    def __init__(self, upstream_port, prefix, drop_at):
        self.upstream_port, self.prefix, self.drop_at = upstream_port, prefix, drop_at
        self.seen = 0
        self.dropped = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._stop = False
        import threading  # noqa: PLC0415

        self._threading = threading
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self._threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client):
        import select  # noqa: PLC0415

        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        try:
            while True:
                ready, _, _ = select.select([client, upstream], [], [], 30)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        if data.startswith(self.prefix):
                            self.seen += 1
                            if self.seen == self.drop_at and not self.dropped:
                                upstream.sendall(data)
                                upstream.recv(65536)  # Keystone has done it
                                self.dropped += 1
                                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                  b"\x01\x00\x00\x00\x00\x00\x00\x00")
                                return
                        upstream.sendall(data)
                    else:
                        client.sendall(data)
        finally:
            client.close()
            upstream.close()

    def close(self):
        self._stop = True
        self.server.close()


def test_dropped_connection_is_planned_again_without_duplicates(keystone, keystone_init, cloud):
    """Keystone resets the connection right after creating an endpoint (the
    cluster saw this from a Keystone just restarted): apply plans again from
    what Keystone holds, finishes, reports every change once and creates
    nothing twice."""
    proxy = _ResettingProxy(keystone.port, b"POST /v3/endpoints", drop_at=4)
    try:
        auth = dict(keystone.auth, auth_url=f"http://127.0.0.1:{proxy.port}/v3")
        changes = keystone_init.apply(cloud, **auth)
    finally:
        proxy.close()
    assert proxy.dropped == 1, "the proxy never reset a connection: the test tested nothing"
    assert changes["users"] == {name: "created" for name in SERVICE_USERS}
    assert changes["services"] == {name: "created" for name in SERVICE_TYPES}
    assert len(changes["endpoints"]) == 15
    endpoints = Api(keystone).list("endpoints")
    assert len(endpoints) == 18  # 15 + the bootstrap's 3: none created twice
    assert len({(e["service_id"], e["interface"], e["region_id"]) for e in endpoints}) == 18
    assert keystone_init.apply(cloud, **keystone.auth) == {}
