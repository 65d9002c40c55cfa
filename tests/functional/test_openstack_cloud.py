"""
openstack_cloud through Salt's loader against a real Keystone (Debian's,
see keystone_server.py): the password login, the token's service catalog,
project names resolved by Keystone, one login per state run, Keystone's
own errors. The compute and network endpoints that keystone_init puts in
that catalog are tests/fake_cloud.py served over HTTP on 127.0.0.1, which
accepts only tokens this Keystone validates: Nova and Neutron cannot run
on a test host outside the cluster (they need their databases, RabbitMQ,
OVN and libvirt); they are proven on the cluster.
"""
import json
import pathlib
import secrets
import socket

import pytest
import requests

from fake_cloud import FakeCloud, Served
from keystone_server import KeystoneServer  # tests/functional is on sys.path

HASH_ROUNDS = 4


@pytest.fixture(scope="module")
def keystone(tmp_path_factory):
    password = "admin-" + secrets.token_hex(8)
    seed = KeystoneServer(tmp_path_factory.mktemp("keystone-seed"), password,
                          password_hash_rounds=HASH_ROUNDS).prepare()  # fmt: skip
    server = KeystoneServer(tmp_path_factory.mktemp("keystone"), None, seed=seed,
                            password_hash_rounds=HASH_ROUNDS).start()  # fmt: skip
    yield server
    server.stop()


def _validates(keystone):
    """Whether Keystone takes a token (a token may validate itself)."""

    def check(token):
        response = requests.get(f"{keystone.url}/auth/tokens", timeout=30,
                                headers={"X-Auth-Token": token, "X-Subject-Token": token})  # fmt: skip
        return response.status_code == 200

    return check


@pytest.fixture(scope="module")
def cloud(keystone, loaders_module):
    """The fake Nova and Neutron, in this Keystone's catalog (by keystone_init)."""
    fake = FakeCloud(password=None)
    with Served(fake, check_token=_validates(keystone)) as served:
        config = {
            "projects": {"demo": "Demo Project"},
            "services": {
                "nova": {"type": "compute", "endpoints": {
                    i: served.url + "/v2.1" for i in ("public", "internal", "admin")}},
                "neutron": {"type": "network", "endpoints": {
                    i: served.url for i in ("public", "internal", "admin")}},
            },
        }  # fmt: skip
        loaders_module.modules.keystone_init.apply(config, **keystone.auth)
        yield fake


@pytest.fixture(scope="module")
def loaders_module(tmp_path_factory):
    from minion_opts import minion_opts  # pylint: disable=import-outside-toplevel
    from saltfactories.utils.functional import Loaders  # pylint: disable=import-outside-toplevel

    root = tmp_path_factory.mktemp("salt-minion-cloud")
    loaders = Loaders(minion_opts(root, "cloud-minion", root / "pillar"))
    yield loaders
    loaders.reset_state()


@pytest.fixture
def openstack_cloud(loaders_module, repo_root):
    loaded = pathlib.Path(loaders_module.modules.file_mapping["openstack_cloud"][0])
    assert loaded.read_bytes() == (repo_root / "_modules" / "openstack_cloud.py").read_bytes()
    return loaders_module.modules.openstack_cloud


def _auth_lines(auth):
    return "".join(f"    - {key}: {json.dumps(value)}\n" for key, value in auth.items())


def _sls(auth):
    """Four resources of the example cloud, as one state run."""
    return (
        "provider-net:\n  openstack_cloud.network_present:\n    - name: provider\n"
        "    - shared: true\n"
        "    - external: true\n    - provider_network_type: flat\n"
        "    - provider_physical_network: provider\n" + _auth_lines(auth)
        + "provider-subnet:\n  openstack_cloud.subnet_present:\n    - name: provider\n"
        "    - network: provider\n    - cidr: 203.0.113.0/24\n"
        "    - allocation_pools: [{start: 203.0.113.100, end: 203.0.113.199}]\n"
        + _auth_lines(auth) + "    - require:\n      - openstack_cloud: provider-net\n"
        "m1.nano:\n  openstack_cloud.flavor_present:\n    - vcpus: 1\n    - ram: 128\n"
        "    - disk: 1\n" + _auth_lines(auth)
        + "default:\n  openstack_cloud.security_group_present:\n"
        "    - rules: [{protocol: icmp}, {protocol: tcp, port: 22}]\n" + _auth_lines(auth)
    )


def _run(loaders, text):
    ret = loaders.modules.state.template_str(text)
    raw = ret.raw if hasattr(ret, "raw") else ret
    assert isinstance(raw, dict), raw
    return {state["__id__"]: state for state in raw.values()}


def test_a_state_run_logs_in_once_with_a_real_token(keystone, cloud, loaders_module, openstack_cloud):
    before = set(cloud.tokens)
    first = _run(loaders_module, _sls(keystone.auth))
    assert {i: s["result"] for i, s in first.items()} == dict.fromkeys(first, True), first
    assert first["provider-net"]["comment"] == "Created network provider"
    assert first["m1.nano"]["changes"]["flavor"]["old"] is None
    assert first["default"]["changes"] == {"rules": {"added": ["ingress IPv4 icmp from any",
                                                               "ingress IPv4 tcp 22 from any"]}}  # fmt: skip
    new_tokens = set(cloud.tokens) - before
    assert len(new_tokens) == 1  # four states, one login, validated by Keystone
    network = next(n for n in cloud.networks.values() if n["name"] == "provider")
    admin = requests.post(f"{keystone.url}/auth/tokens", timeout=30, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": keystone.admin_password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})  # fmt: skip
    assert network["project_id"] == admin.json()["token"]["project"]["id"]

    again = _run(loaders_module, _sls(keystone.auth))
    assert {i: (s["result"], s["changes"]) for i, s in again.items()} == dict.fromkeys(
        again, (True, {}))
    assert all(s["comment"].endswith("is as declared") for s in again.values())
    text = json.dumps([first, again], default=str)
    assert keystone.admin_password not in text
    assert not [token for token in cloud.tokens if token in text]


def test_projects_by_name_come_from_keystone(keystone, cloud, openstack_cloud):
    changes = openstack_cloud.network_present("demo-net", project="demo", **keystone.auth)
    assert changes["network"]["old"] is None
    network = next(n for n in cloud.networks.values() if n["name"] == "demo-net")
    projects = requests.get(f"{keystone.url}/projects", params={"name": "demo"}, timeout=30,
                            headers={"X-Auth-Token": next(iter(cloud.tokens))}).json()  # fmt: skip
    assert network["project_id"] == projects["projects"][0]["id"] != "p-demo"


def test_wrong_password_is_keystones_401(keystone, cloud, loaders_module):
    auth = dict(keystone.auth, password="not-the-admin-password")
    # (no requisite here: Salt's template_str trips over a failed one)
    text = "\n".join(part for part in _sls(auth).split("\n") if "require" not in part
                     and "openstack_cloud: provider-net" not in part)  # fmt: skip
    ret = _run(loaders_module, text)
    assert {s["result"] for s in ret.values()} == {False}
    comment = ret["provider-net"]["comment"]
    assert comment.startswith("Keystone: authentication as admin failed: ")
    assert "HTTP 401" in comment
    assert "not-the-admin-password" not in json.dumps(ret, default=str)


def test_a_service_not_serving_yet(keystone, loaders_module, cloud):
    """In a dry run of a new cloud, an endpoint that refuses is 'would', not a failure."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {"services": {"neutron": {"type": "network", "region": "RegionTwo",
                                       "endpoints": {"public": f"http://127.0.0.1:{port}"}}}}  # fmt: skip
    loaders_module.modules.keystone_init.apply(config, **keystone.auth)
    auth = dict(keystone.auth, region="RegionTwo")
    ret = loaders_module.modules.state.single("openstack_cloud.network_present", name="closed",
                                              test=True, **auth)  # fmt: skip
    raw = ret.raw if hasattr(ret, "raw") else ret
    (dry,) = raw.values()
    assert dry["result"] is None
    assert dry["comment"].startswith("Would create or check network closed once the cloud answers")
    assert f"Neutron: cannot reach http://127.0.0.1:{port}/v2.0/networks" in dry["comment"]
    real = _run(loaders_module, "closed:\n  openstack_cloud.flavor_present:\n    - vcpus: 1\n"
                                "    - ram: 1\n    - disk: 0\n" + _auth_lines(auth))["closed"]  # fmt: skip
    assert real["result"] is False
    assert "no public endpoint of type compute in region RegionTwo" in real["comment"]
