"""
openstack_cloud through Salt's loader against a real Keystone (Debian's,
see keystone_server.py): the password login, the token's service catalog,
project names resolved by Keystone, one login per state run, Keystone's
own errors. The compute, network and volumev3 endpoints that keystone_init
puts in that catalog are tests/fake_cloud.py served over HTTP on
127.0.0.1, which accepts only tokens this Keystone validates: Nova,
Neutron and Cinder cannot run on a test host outside the cluster (they
need their databases, RabbitMQ, OVN, libvirt and a volume backend); they
are proven on the cluster. Images are kept in a
real Glance (Debian's glance-api with a file store, glance_server.py)
behind the same Keystone.
"""
import hashlib
import json
import logging
import pathlib
import secrets
import socket

import pytest
import requests
import yaml

from fake_cloud import FakeCloud, Served
from glance_server import GlanceServer
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
    """The fake Nova, Neutron and Cinder, in this Keystone's catalog (by keystone_init)."""
    fake = FakeCloud(password=None)
    with Served(fake, check_token=_validates(keystone)) as served:
        config = {
            "projects": {"demo": "Demo Project"},
            "services": {
                "nova": {"type": "compute", "endpoints": {
                    i: served.url + "/v2.1" for i in ("public", "internal", "admin")}},
                "neutron": {"type": "network", "endpoints": {
                    i: served.url for i in ("public", "internal", "admin")}},
                # Cinder's v3 root is per project, as the formulas register it
                "cinderv3": {"type": "volumev3", "endpoints": {
                    i: served.url + "/volume/v3/%(project_id)s"
                    for i in ("public", "internal", "admin")}},
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
    # A dry run: the admin's password is only "to be bootstrapped" by the
    # states before these (Keystone's real 401 on the login: not ready).
    dry = _run_test(loaders_module, text)
    assert {s["result"] for s in dry.values()} == {None}, dry
    assert "once the admin logs in" in dry["provider-net"]["comment"]
    assert "not-the-admin-password" not in json.dumps(dry, default=str)


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


# -- images, in a real Glance ---------------------------------------------------


@pytest.fixture(scope="module")
def glance(keystone, loaders_module, tmp_path_factory):
    """Debian's Glance with a file store, its service user and endpoints in Keystone."""
    password = "glance-" + secrets.token_hex(8)
    server = GlanceServer(keystone.url, "glance", password,
                          parent_dir=tmp_path_factory.mktemp("glance"))  # fmt: skip
    config = {
        "projects": {"service": "Service Project"},
        "roles": ["admin", "service"],
        "users": {"glance": {"password": password, "project": "service",
                             "roles": {"service": ["admin", "service"]}}},
    }  # fmt: skip
    loaders_module.modules.keystone_init.apply(config, **keystone.auth)
    server.start()
    urls = dict.fromkeys(("public", "internal", "admin"), server.url)
    loaders_module.modules.keystone_init.apply(
        {"services": {"glance": {"type": "image", "endpoints": urls}}}, **keystone.auth)
    yield server
    server.stop()


def _token(keystone):
    response = requests.post(f"{keystone.url}/auth/tokens", timeout=30, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": keystone.admin_password}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})  # fmt: skip
    return response.headers["X-Subject-Token"]


class GlanceApi:
    """Glance's v2 API as the admin, to look at and tamper with its images."""

    def __init__(self, server, keystone):
        self.url = server.url + "/v2"
        self.headers = {"X-Auth-Token": _token(keystone)}

    def call(self, method, path, **kwargs):
        response = requests.request(method, self.url + path, headers={**self.headers,
                                    **kwargs.pop("headers", {})}, timeout=60, **kwargs)  # fmt: skip
        assert response.status_code < 400, (method, path, response.status_code, response.text)
        return response.json() if response.content else {}

    def image(self, name):
        (image,) = self.call("GET", "/images", params={"name": name})["images"]
        return image

    def names(self):
        return sorted(i["name"] for i in self.call("GET", "/images")["images"])


@pytest.fixture(scope="module")
def glance_api(glance, keystone):
    return GlanceApi(glance, keystone)


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    """A kernel, a ramdisk and a root disk (random bytes: 3 MiB for the root disk)."""
    root = tmp_path_factory.mktemp("image-cache")
    files = {}
    for name, size in (("vmlinuz", 200_000), ("initrd", 100_000), ("root", 3 << 20)):
        files[name] = root / name
        files[name].write_bytes(secrets.token_bytes(size))
    return files


def _image_sls(auth, files, **root_args):
    """The cluster's three images (cluster/pillar/cluster.sls), as cloud.images declares them."""
    def state(name, args):
        lines = "".join(f"    - {key}: {json.dumps(value)}\n" for key, value in args.items())
        return f"{name}:\n  openstack_cloud.image_present:\n{lines}" + _auth_lines(auth)

    root = {"filename": str(files["root"]), "disk_format": "raw", "kernel": "verify-kernel",
            "ramdisk": "verify-initrd", "properties": {"os_distro": "debian", "hw:rng": True},
            **root_args}  # fmt: skip
    return (
        state("verify-kernel", {"filename": str(files["vmlinuz"]), "disk_format": "aki",
                                "container_format": "aki", "properties": {}})
        + state("verify-initrd", {"filename": str(files["initrd"]), "disk_format": "ari",
                                  "container_format": "ari", "properties": {}})
        + state("verify-guest", root)
        + "    - require:\n      - openstack_cloud: verify-kernel\n"
        "      - openstack_cloud: verify-initrd\n"
    )  # fmt: skip


def _sha512(path):
    return hashlib.sha512(pathlib.Path(path).read_bytes()).hexdigest()


def _writes(glance, since):
    """The writes Glance served since ``glance.mark()`` gave ``since``."""
    served = glance.requests()[since:glance.mark()]
    return [r for r in served if r[0] in ("POST", "PUT", "PATCH", "DELETE")]


def _results(ret):
    return {i: (s["result"], s["changes"]) for i, s in ret.items()}


def test_images_are_predicted_uploaded_checked_and_left_alone(
    keystone, glance, glance_api, loaders_module, image_files, openstack_cloud
):
    text = _image_sls(keystone.auth, image_files)
    served = glance.mark()
    dry = _run_test(loaders_module, text)
    assert {i: s["result"] for i, s in dry.items()} == dict.fromkeys(dry, None), dry
    assert dry["verify-guest"]["comment"] == "Would create image verify-guest"
    assert dry["verify-guest"]["changes"] == {"image": {"old": None, "new": {
        "disk_format": "raw", "container_format": "bare", "visibility": "public",
        "kernel": "(image verify-kernel, to be created)",
        "ramdisk": "(image verify-initrd, to be created)",
        "properties": {"hw:rng": "true", "os_distro": "debian"}, "size": 3 << 20}}}
    assert _writes(glance, served) == [] and glance_api.names() == []

    first = _run(loaders_module, text)
    assert {i: s["result"] for i, s in first.items()} == dict.fromkeys(first, True), first
    kernel, initrd = glance_api.image("verify-kernel"), glance_api.image("verify-initrd")
    guest = glance_api.image("verify-guest")
    assert first["verify-guest"]["changes"]["image"]["new"]["kernel"] == kernel["id"]
    assert (guest["status"], guest["size"], guest["os_hash_algo"]) == ("active", 3 << 20, "sha512")
    assert guest["os_hash_value"] == _sha512(image_files["root"])
    assert guest["checksum"] == hashlib.md5(image_files["root"].read_bytes()).hexdigest()
    assert (guest["kernel_id"], guest["ramdisk_id"]) == (kernel["id"], initrd["id"])
    assert (guest["disk_format"], guest["container_format"], guest["visibility"]) == (
        "raw", "bare", "public")
    assert (guest["os_distro"], guest["hw:rng"]) == ("debian", "true")
    assert (kernel["disk_format"], kernel["container_format"]) == ("aki", "aki")
    stored = glance.store / guest["id"]
    assert stored.read_bytes() == image_files["root"].read_bytes()

    served = glance.mark()
    assert _results(_run_test(loaders_module, text)) == dict.fromkeys(first, (True, {}))
    again = _run(loaders_module, text)
    assert _results(again) == dict.fromkeys(first, (True, {}))
    assert again["verify-guest"]["comment"] == "Image verify-guest is as declared"
    assert _writes(glance, served) == []  # no upload, no patch: reads only
    assert glance_api.image("verify-guest")["updated_at"] == guest["updated_at"]
    text_out = json.dumps([dry, first, again], default=str)
    assert keystone.admin_password not in text_out and glance.password not in text_out


def _run_test(loaders, text):
    """``text`` in test mode (state.template_str has no ``test``: state.high)."""
    high = {}
    for state_id, body in yaml.safe_load(text).items():
        ((function, args),) = body.items()
        module, name = function.split(".")
        high[state_id] = {module: [name, *args], "__sls__": "images", "__env__": "base"}
    ret = loaders.modules.state.high(high, test=True)
    raw = ret.raw if hasattr(ret, "raw") else ret
    assert isinstance(raw, dict), raw
    return {state["__id__"]: state for state in raw.values()}


def _single(loaders, auth, name, test=False, **args):
    ret = loaders.modules.state.single("openstack_cloud.image_present", name=name, test=test,
                                       **args, **auth)  # fmt: skip
    raw = ret.raw if hasattr(ret, "raw") else ret
    (state,) = raw.values()
    return state


def test_a_partial_upload_is_redone(keystone, glance, glance_api, loaders_module, tmp_path):
    data = tmp_path / "partial.img"
    data.write_bytes(secrets.token_bytes(500_000))
    queued = glance_api.call("POST", "/images", json={
        "name": "partial", "disk_format": "raw", "container_format": "bare"})  # fmt: skip
    assert queued["status"] == "queued"
    args = {"filename": str(data), "disk_format": "raw"}
    dry = _single(loaders_module, keystone.auth, "partial", test=True, **args)
    assert dry["result"] is None
    assert dry["changes"] == {
        "image": "replaced: a partial upload (status queued); deleted and uploaded again",
        "status": {"old": "queued", "new": "active"},
        "visibility": {"old": "shared", "new": "public"},
    }
    ret = _single(loaders_module, keystone.auth, "partial", **args)
    assert (ret["result"], ret["changes"]) == (True, dry["changes"]), ret
    assert ret["comment"] == "Replaced image partial: status, visibility"
    image = glance_api.image("partial")
    assert image["id"] != queued["id"] and image["status"] == "active"
    assert image["os_hash_value"] == _sha512(data)
    assert _single(loaders_module, keystone.auth, "partial", **args)["changes"] == {}


def test_other_data_in_glance_is_replaced(keystone, glance, glance_api, loaders_module, tmp_path):
    data = tmp_path / "changed.img"
    data.write_bytes(secrets.token_bytes(300_000))
    old = glance_api.call("POST", "/images", json={
        "name": "changed", "disk_format": "raw", "container_format": "bare",
        "visibility": "public"})  # fmt: skip
    glance_api.call("PUT", f"/images/{old['id']}/file", data=secrets.token_bytes(300_000),
                    headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    old = glance_api.image("changed")
    ret = _single(loaders_module, keystone.auth, "changed", filename=str(data), disk_format="raw")
    assert ret["result"] is True, ret
    assert ret["changes"]["image"] == (f"replaced: its data differs from {data} (sha512 "
                                       "differs); deleted and uploaded again")  # fmt: skip
    assert ret["changes"]["data"] == {"old": f"300000 bytes, sha512 {old['os_hash_value']}",
                                      "new": f"300000 bytes of {data}"}  # fmt: skip
    assert glance_api.image("changed")["os_hash_value"] == _sha512(data)


def _client_writes(caplog, url):
    """The write calls the module itself sent to ``url`` (Glance), from its
    client's debug log ("openstack_cloud: PATCH URL -> HTTP 200 ..."), which
    does not depend on uwsgi's request log being read in time."""
    words = (r.getMessage().split() for r in caplog.records
             if r.name.endswith("saltext_openstack_api"))
    return [w[1] for w in words if len(w) > 2 and w[2].startswith(url)
            and w[1] in ("POST", "PUT", "PATCH", "DELETE")]


def test_drift_is_corrected_in_place_and_formats_are_refused(
    keystone, glance, glance_api, loaders_module, tmp_path, caplog
):
    data = tmp_path / "drift.img"
    data.write_bytes(secrets.token_bytes(100_000))
    args = {"filename": str(data), "disk_format": "raw", "properties": {"os_distro": "debian"}}
    assert _single(loaders_module, keystone.auth, "drift", **args)["result"] is True
    image = glance_api.image("drift")
    glance_api.call("PATCH", f"/images/{image['id']}", json=[
        {"op": "replace", "path": "/os_distro", "value": "ubuntu"},
        {"op": "replace", "path": "/visibility", "value": "private"},
        {"op": "add", "path": "/unlisted", "value": "kept"},
    ], headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})  # fmt: skip
    expected = {"visibility": {"old": "private", "new": "public"},
                "properties": {"os_distro": {"old": "ubuntu", "new": "debian"}}}  # fmt: skip
    served = glance.mark()
    dry = _single(loaders_module, keystone.auth, "drift", test=True, **args)
    assert (dry["result"], dry["changes"]) == (None, expected)
    assert _writes(glance, served) == []
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    ret = _single(loaders_module, keystone.auth, "drift", **args)
    assert (ret["result"], ret["changes"]) == (True, expected)
    assert ret["comment"] == "Updated image drift: properties, visibility"
    assert _client_writes(caplog, glance.url) == ["PATCH"]
    fixed = glance_api.image("drift")
    assert fixed["id"] == image["id"]
    assert (fixed["os_distro"], fixed["visibility"], fixed["unlisted"]) == (
        "debian", "public", "kept")

    served = glance.mark()
    refused = _single(loaders_module, keystone.auth, "drift", **dict(args, disk_format="qcow2"))
    assert refused["result"] is False and refused["changes"] == {}
    assert refused["comment"].startswith(
        "image drift: disk_format is 'raw' in Glance, 'qcow2' wanted; it cannot change in "
        "place. Nothing was changed: ")
    assert _writes(glance, served) == []
    assert glance_api.image("drift")["updated_at"] == fixed["updated_at"]


def test_a_missing_kernel_fails_before_any_write(keystone, glance, loaders_module, tmp_path):
    data = tmp_path / "orphan.img"
    data.write_bytes(b"x" * 10)
    served = glance.mark()
    ret = _single(loaders_module, keystone.auth, "orphan", filename=str(data), kernel="nokernel")
    assert ret["result"] is False
    assert ret["comment"] == "image orphan: its kernel, image nokernel, does not exist"
    assert _writes(glance, served) == []


def test_quotas_of_a_project_named_in_keystone(keystone, cloud, loaders_module):
    """quota_present through the loader: the state's limits, Keystone's project id."""
    def apply():
        ret = loaders_module.modules.state.single(
            "openstack_cloud.quota_present", name="demo", cores=8, ports=-1, **keystone.auth)
        raw = ret.raw if hasattr(ret, "raw") else ret
        (state,) = raw.values()
        return state

    first = apply()
    assert (first["result"], first["comment"]) == (True, "Updated quota demo: cores, ports")
    assert first["changes"] == {"cores": {"old": 20, "new": 8}, "ports": {"old": 500, "new": -1}}
    (project_id,) = cloud.nova_quotas
    assert project_id != "p-demo" and cloud.nova_quotas[project_id] == {"cores": 8}
    assert cloud.neutron_quotas[project_id] == {"port": -1}
    again = apply()
    assert (again["result"], again["changes"], again["comment"]) == (
        True, {}, "Quota demo is as declared")


# -- Cinder volume types ----------------------------------------------------------


def _volume_types_sls(auth):
    """What cloud.volume_types renders for an lvm and an rbd backend."""
    return "".join(
        f"cloud-volume-type-{name}:\n  openstack_cloud.volume_type_present:\n"
        f"    - name: {name}\n    - public: true\n"
        f"    - extra_specs: {{volume_backend_name: {name}}}\n" + _auth_lines(auth)
        for name in ("lvm", "ceph"))


def test_volume_types_in_the_projects_cinder(keystone, cloud, loaders_module):
    """volume_type_present through the loader, at the catalog's per-project
    Cinder URL: created, predicted, left alone, a drifted spec corrected."""
    text = _volume_types_sls(keystone.auth)
    dry = _run_test(loaders_module, text)
    assert {i: s["result"] for i, s in dry.items()} == {
        "cloud-volume-type-lvm": None, "cloud-volume-type-ceph": None}
    assert dry["cloud-volume-type-ceph"]["comment"] == "Would create volume type ceph"
    first = _run(loaders_module, text)
    assert {i: s["result"] for i, s in first.items()} == dict.fromkeys(first, True), first
    assert first["cloud-volume-type-lvm"]["changes"] == dry["cloud-volume-type-lvm"]["changes"]
    made = {t["name"]: t for t in cloud.volume_types.values()}
    assert made["ceph"]["extra_specs"] == {"volume_backend_name": "ceph"}
    # the catalog's %(project_id)s is Keystone's id of the admin project
    paths = {p for m, p, _, _ in cloud.calls if m == "POST" and p.endswith("/types")}
    (path,) = paths
    assert path.startswith("/volume/v3/") and "%(" not in path and "p-admin" not in path
    again = _run(loaders_module, text)
    assert {i: (s["result"], s["changes"]) for i, s in again.items()} == dict.fromkeys(
        again, (True, {}))
    assert {i: s["result"] for i, s in _run_test(loaders_module, text).items()} == dict.fromkeys(
        again, True)
    made["ceph"]["extra_specs"]["volume_backend_name"] = "lvm"
    fixed = _run(loaders_module, text)
    assert fixed["cloud-volume-type-ceph"]["changes"] == {
        "extra_specs": {"volume_backend_name": {"old": "lvm", "new": "ceph"}}}
    assert made["ceph"]["extra_specs"] == {"volume_backend_name": "ceph"}


def test_a_volume_type_differing_only_in_case_is_refused(keystone, cloud, loaders_module):
    """Cinder compares type names without case: Gold beside gold fails, in
    a dry run too, naming both, before any write."""

    def sls(name):
        return (f"cloud-volume-type-{name}:\n  openstack_cloud.volume_type_present:\n"
                f"    - name: {name}\n" + _auth_lines(keystone.auth))

    made = _run(loaders_module, sls("gold"))
    assert made["cloud-volume-type-gold"]["result"] is True, made
    writes = len(cloud.writes())
    for run in (_run_test, _run):
        (ret,) = run(loaders_module, sls("Gold")).values()
        assert (ret["result"], ret["changes"]) == (False, {}), ret
        assert "Cinder already has volume type gold" in ret["comment"]
        assert "cinder:backends:N:volume_type" in ret["comment"]
    assert len(cloud.writes()) == writes
