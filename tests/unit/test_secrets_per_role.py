"""
Secrets per role (issue 11, item 5): the allow-list in openstack_pillar, the
master's ext_pillar that applies it, the validator's scope on a minion and
the pillar top's refusal to hand out the pillar without the filter.  The
real master applying them is tests/integration/test_secrets.py.
"""
import copy
import pathlib

import pytest
import salt.utils.dictupdate
import yaml
from cryptography import x509
from salt.exceptions import CommandExecutionError
from operator_pki import Issuer
from source_module import load

from saltext_openstack._modules import openstack_pillar

REPO = pathlib.Path(__file__).resolve().parents[2]
ALL = {name for name, _ in openstack_pillar.REQUIRED_PASSWORDS}


@pytest.fixture
def pillar():
    with (REPO / "pillar" / "openstack.sls").open() as handle:
        return yaml.safe_load(handle)["openstack"]


@pytest.fixture
def ext_pillar_module():
    return load("_pillar/openstack_secrets.py", "openstack_secrets_under_test")


def _passwords(data):
    return set(data.get("passwords", {}))


# -- the allow-list -------------------------------------------------------


def test_every_required_password_is_some_roles():
    allowed = set(openstack_pillar.allowed_secrets(openstack_pillar.ROLES))
    assert ALL <= allowed, ALL - allowed


def test_computes_and_gateways_get_no_administrative_secret():
    for role in ("compute", "gateway"):
        names = set(openstack_pillar.ROLE_SECRETS[role])
        assert not names & {"admin", "demo", "keystone_db", "neutron_db", "glance_db",
                            "placement_db", "cinder_db", "cinder", "glance"}, role
    assert "nova_db" not in openstack_pillar.ROLE_SECRETS["compute"]
    assert "horizon_secret_key" not in openstack_pillar.ROLE_SECRETS["controller"]
    assert "memcache_secret_key" in openstack_pillar.ROLE_SECRETS["controller"]


def test_role_secrets_lists_names_per_role():
    table = openstack_pillar.role_secrets()
    assert set(table) == set(openstack_pillar.ROLES)
    assert table["compute"] == ["ceph_cinder_key", "metadata_secret", "neutron", "nova",
                                "placement", "rabbitmq"]
    assert "ceph_cinder_key" in table["controller"]
    assert "ceph_cinder_key" not in table["gateway"]


# -- narrowing ------------------------------------------------------------


@pytest.mark.parametrize("minion_id, role", [("compute1", "compute"), ("gateway", "gateway"),
                                              ("controller", "controller")])
def test_a_host_keeps_only_its_roles_secrets(pillar, minion_id, role):
    before = copy.deepcopy(pillar)
    narrowed = openstack_pillar.narrow_secrets(pillar, minion_id)
    assert _passwords(narrowed) == ALL & set(openstack_pillar.ROLE_SECRETS[role])
    for name in _passwords(narrowed):
        assert narrowed["passwords"][name] == pillar["passwords"][name]
    assert {k: v for k, v in narrowed.items() if k != "passwords"} == {
        k: v for k, v in pillar.items() if k != "passwords"}
    assert pillar == before  # the caller's data is not changed


def test_a_host_with_several_roles_keeps_their_union(pillar):
    pillar["hosts"]["compute1"]["roles"] = ["gateway", "compute"]
    assert _passwords(openstack_pillar.narrow_secrets(pillar, "compute1")) == ALL & (
        set(openstack_pillar.ROLE_SECRETS["gateway"]) | set(openstack_pillar.ROLE_SECRETS["compute"]))


@pytest.mark.parametrize("hosts", [
    None, "not a map", {"stranger": {"roles": ["compute"]}}, {"compute1": None},
    {"compute1": {"roles": "compute"}}, {"compute1": {"roles": [{"compute": 1}, "storage"]}},
])
def test_an_unknown_or_malformed_host_gets_no_secret(pillar, hosts):
    pillar["hosts"] = hosts
    assert openstack_pillar.narrow_secrets(pillar, "compute1")["passwords"] == {}


def test_unlisted_password_names_are_dropped_too(pillar):
    pillar["passwords"]["my_own_secret"] = "x" * 12
    assert "my_own_secret" not in openstack_pillar.narrow_secrets(pillar, "controller")["passwords"]


def _with_operator_pairs(pillar):
    """The pillar with operator certificates (tls:public) for the controller
    and the gateway, and a (refused) one for compute1; their keys by host."""
    root = Issuer("Operator Root CA")
    keys = {}
    public = {}
    for host in ("controller", "gateway", "compute1"):
        cert, key = root.issue([host])
        public[host] = {"cert": cert, "key": key}
        keys[host] = key
    pillar["tls"] = {"days": 365, "public": public, "public_ca": root.pem,
                     "junk": "kept as it is"}
    public["stranger"] = "-----BEGIN PRIVATE KEY-----\nnot a mapping"
    return pillar, keys


def _operator_keys(data):
    """The operator keys a pillar's tls:public holds, by host."""
    public = ((data or {}).get("tls") or {}).get("public") or {}
    return {host: entry["key"] for host, entry in public.items()
            if isinstance(entry, dict) and "key" in entry}


@pytest.mark.parametrize("minion_id, kept", [
    ("controller", {"controller"}), ("gateway", {"gateway"}), ("compute1", set()),
    ("compute2", set()), ("stranger", set())])
def test_a_host_keeps_only_its_own_operator_key(pillar, minion_id, kept):
    """Only a controller or gateway keeps its own key; every host keeps the
    certificates; what is not a mapping is dropped."""
    pillar, keys = _with_operator_pairs(pillar)
    before = copy.deepcopy(pillar)
    narrowed = openstack_pillar.narrow_secrets(pillar, minion_id)
    assert _operator_keys(narrowed) == {host: keys[host] for host in kept}
    public = narrowed["tls"]["public"]
    assert set(public) == {"controller", "gateway", "compute1"}
    assert all(public[host]["cert"] == pillar["tls"]["public"][host]["cert"] for host in public)
    assert narrowed["tls"]["public_ca"] == pillar["tls"]["public_ca"]
    assert narrowed["tls"]["junk"] == "kept as it is"
    assert pillar == before


# -- the ext_pillar ---------------------------------------------------------


def _run_ext_pillar(module, minion_id, compiled, functions, master_id="saltmaster_master",
                    pki_dir=None, override=None):
    """The filter run as Salt runs it: handed the pillar files' render
    merged with what the minion sent (`override`); its own render of the
    pillar files (a real master's, in tests/integration/test_secrets.py)
    stands in as the render alone.  Returns (the compiled pillar, edited
    in place, what it returned to be merged)."""
    module.__opts__ = {"id": master_id, "pki_dir": str(pki_dir) if pki_dir else None}
    module.__salt__ = functions
    files = copy.deepcopy(compiled.get("openstack"))
    module._from_pillar_files = lambda _minion_id: (
        files if isinstance(files, dict) and isinstance(files.get("passwords"), dict) else None)
    if override:
        compiled = salt.utils.dictupdate.merge(compiled, override)
    return compiled, module.ext_pillar(minion_id, compiled)


@pytest.fixture
def on_master(tmp_path):
    """The execution functions the filter calls, the CA in a temporary pki_dir."""
    tls = load("_modules/openstack_tls.py", "openstack_tls_for_the_filter")
    tls.__opts__ = {"pki_dir": str(tmp_path / "pki"), "id": "saltmaster_master"}
    return {"openstack_pillar.narrow_secrets": openstack_pillar.narrow_secrets,
            "openstack_pillar.tls_request": openstack_pillar.tls_request,
            "openstack_tls.issue": tls.issue,
            "openstack_tls.ca_certificate": tls.ca_certificate}


def test_ext_pillar_narrows_the_compiled_pillar(ext_pillar_module, pillar, on_master):
    compiled, _ = _run_ext_pillar(ext_pillar_module, "compute1",
                                  {"openstack": pillar, "other": 1}, on_master)
    assert _passwords(compiled["openstack"]) == ALL & set(openstack_pillar.ROLE_SECRETS["compute"])
    assert compiled["other"] == 1 and compiled["openstack"]["hosts"] == pillar["hosts"]


def test_ext_pillar_gives_a_host_its_own_certificate(ext_pillar_module, pillar, on_master):
    _, merged = _run_ext_pillar(ext_pillar_module, "gateway", {"openstack": pillar}, on_master)
    tls = merged["openstack_tls"]
    cert = x509.load_pem_x509_certificate(tls["cert"].encode())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(tls["ca_cert"].encode()))
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alt.get_values_for_type(x509.DNSName) == ["gateway", "gateway.cloud.test"]
    assert [str(a) for a in alt.get_values_for_type(x509.IPAddress)] == [
        pillar["hosts"]["gateway"]["address"], pillar["hosts"]["gateway"]["provider_address"]]
    assert "PRIVATE KEY" in tls["key"]
    _, again = _run_ext_pillar(ext_pillar_module, "gateway", {"openstack": pillar}, on_master)
    assert again == merged


def test_what_a_minion_sends_never_decides_what_it_gets(ext_pillar_module, pillar, on_master):
    """salt-call ... pillar='{...}' is merged in before the ext_pillars run: a
    compute that names itself controller and gateway, with the controller's
    names for the dashboard, still gets a compute's secrets and a
    certificate with its own names only."""
    override = {"openstack": {
        "hosts": {"compute1": {"roles": ["controller", "gateway", "compute"]}},
        "dashboard": {"hosts": ["controller.cloud.test", "192.168.56.10", "deb.debian.org"]},
        "passwords": {"admin": "guess"}}}
    compiled, merged = _run_ext_pillar(ext_pillar_module, "compute1", {"openstack": pillar},
                                       on_master, override=override)
    assert _passwords(compiled["openstack"]) == ALL & set(openstack_pillar.ROLE_SECRETS["compute"])
    cert = x509.load_pem_x509_certificate(merged["openstack_tls"]["cert"].encode())
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alt.get_values_for_type(x509.DNSName) == ["compute1", "compute1.cloud.test"]


def test_secrets_only_from_another_source_are_withheld(ext_pillar_module, pillar, on_master):
    ext_pillar_module.__opts__ = {"id": "saltmaster_master", "pki_dir": None}
    ext_pillar_module.__salt__ = on_master
    ext_pillar_module._from_pillar_files = lambda _minion_id: None  # not in the files
    compiled = {"openstack": copy.deepcopy(pillar)}
    with pytest.raises(RuntimeError, match="from the pillar files only"):
        ext_pillar_module.ext_pillar("controller", compiled)
    assert "passwords" not in compiled["openstack"]


def test_ext_pillar_gives_no_certificate_outside_the_map_or_to_a_bad_pillar(
        ext_pillar_module, pillar, on_master):
    _, merged = _run_ext_pillar(ext_pillar_module, "stranger", {"openstack": pillar}, on_master)
    assert merged == {}
    bad = copy.deepcopy(pillar)
    bad["hosts"]["compute1"]["address"] = "10.0.0.300"
    compiled, merged = _run_ext_pillar(ext_pillar_module, "compute1", {"openstack": bad},
                                       on_master)
    assert merged == {}  # the formulas refuse to render, naming the key
    assert _passwords(compiled["openstack"]) == ALL & set(openstack_pillar.ROLE_SECRETS["compute"])


@pytest.mark.parametrize("minion_id", ["controller", "gateway", "compute1", "compute2"])
def test_ext_pillar_gives_each_host_its_own_operator_key_only(
        ext_pillar_module, pillar, on_master, minion_id):
    """What the filter leaves in the compiled pillar holds no operator key
    but the host's own (a controller's or gateway's), even when the
    minion sends another tls:public with its request."""
    pillar, keys = _with_operator_pairs(pillar)
    override = {"openstack": {"tls": {"public": {minion_id: {"key": "sent"}}}}}
    compiled, _ = _run_ext_pillar(ext_pillar_module, minion_id, {"openstack": pillar},
                                  on_master, override=override)
    own = {minion_id: keys[minion_id]} if minion_id in ("controller", "gateway") else {}
    assert _operator_keys(compiled["openstack"]) == own
    text = repr(compiled)
    for host, key in keys.items():
        assert (key.splitlines()[2] in text) == (host in own), host


def test_ext_pillar_withholds_operator_keys_when_it_cannot_narrow(ext_pillar_module, pillar):
    pillar, _ = _with_operator_pairs(pillar)
    compiled = {"openstack": pillar}
    with pytest.raises(KeyError):  # no openstack_pillar.narrow_secrets
        _run_ext_pillar(ext_pillar_module, "gateway", compiled, {})
    assert "PRIVATE KEY" not in repr(compiled)


def test_ext_pillar_leaves_the_masters_own_pillar_whole(ext_pillar_module, pillar, on_master):
    compiled, merged = _run_ext_pillar(ext_pillar_module, "saltmaster_master",
                                       {"openstack": pillar}, on_master)
    assert _passwords(compiled["openstack"]) == ALL
    assert set(merged["openstack_tls"]) == {"ca_cert"}  # no host's key


def _master_pki(tmp_path, accepted=(), pending=()):
    for sub, names in (("minions", accepted), ("minions_pre", pending)):
        (tmp_path / sub).mkdir()
        for name in names:
            (tmp_path / sub / name).write_text("-----BEGIN PUBLIC KEY-----\n")
    return tmp_path


def test_ext_pillar_keeps_the_masters_pillar_beside_other_minions_keys(
        ext_pillar_module, pillar, tmp_path, on_master):
    # Only a pending (unaccepted) key carries the master's id: no minion has it.
    pki = _master_pki(tmp_path, accepted=["controller", "compute1"], pending=["saltmaster_master"])
    compiled, _ = _run_ext_pillar(ext_pillar_module, "saltmaster_master", {"openstack": pillar},
                                  on_master, pki_dir=pki)
    assert _passwords(compiled["openstack"]) == ALL


def test_ext_pillar_refuses_a_minion_with_the_masters_id(ext_pillar_module, pillar, tmp_path,
                                                         on_master):
    """An accepted minion key named as the master: its pillar would be
    compiled under the master's id, so nothing under that id gets a secret
    (the orchestration stops too), and the error names the key to delete."""
    pki = _master_pki(tmp_path, accepted=["controller", "saltmaster_master"])
    compiled = {"openstack": pillar}
    with pytest.raises(RuntimeError) as err:
        _run_ext_pillar(ext_pillar_module, "saltmaster_master", compiled, on_master, pki_dir=pki)
    assert "passwords" not in compiled["openstack"]
    assert compiled["openstack"]["hosts"] == pillar["hosts"]
    assert str(pki / "minions" / "saltmaster_master") in str(err.value)
    assert "salt-key -d saltmaster_master" in str(err.value)


def test_ext_pillar_withholds_every_secret_when_it_cannot_narrow(ext_pillar_module, pillar):
    compiled = {"openstack": pillar}
    with pytest.raises(KeyError):  # Salt reports it as a pillar error
        _run_ext_pillar(ext_pillar_module, "controller", compiled, {})
    assert "passwords" not in compiled["openstack"]
    assert compiled["openstack"]["hosts"] == pillar["hosts"]


def test_ext_pillar_ignores_a_pillar_without_passwords(ext_pillar_module):
    compiled = {"openstack": {"hosts": {}}, "x": 1}
    assert _run_ext_pillar(ext_pillar_module, "compute1", dict(compiled), {}) == (compiled, {})


# -- the validator's scope ----------------------------------------------------


def _validate_as(monkeypatch, pillar, opts):
    monkeypatch.setattr(openstack_pillar, "__pillar__", {"openstack": pillar}, raising=False)
    monkeypatch.setattr(openstack_pillar, "__opts__", opts, raising=False)
    return openstack_pillar.validate()


def test_a_compute_validates_without_the_admin_password(monkeypatch, pillar):
    narrowed = openstack_pillar.narrow_secrets(pillar, "compute1")
    assert "admin" not in narrowed["passwords"]
    model = _validate_as(monkeypatch, narrowed, {"id": "compute1", "__role": "minion"})
    assert model["computes"] == ["compute1", "compute2"]


def test_a_compute_still_needs_its_own_secrets(monkeypatch, pillar):
    narrowed = openstack_pillar.narrow_secrets(pillar, "compute1")
    narrowed["passwords"]["nova"] = ""
    with pytest.raises(CommandExecutionError) as excinfo:
        _validate_as(monkeypatch, narrowed, {"id": "compute1", "__role": "minion"})
    assert "openstack:passwords:nova: missing or empty" in str(excinfo.value)
    assert "openstack:passwords:admin" not in str(excinfo.value)


def test_a_host_outside_the_map_needs_no_secret(monkeypatch, pillar):
    del pillar["passwords"]
    assert _validate_as(monkeypatch, pillar, {"id": "stranger", "__role": "minion"})


def test_the_master_validates_every_secret(monkeypatch, pillar):
    del pillar["passwords"]["horizon_secret_key"]
    with pytest.raises(CommandExecutionError) as excinfo:
        _validate_as(monkeypatch, pillar, {"id": "saltmaster_master", "__role": "master"})
    assert "openstack:passwords:horizon_secret_key: missing or empty" in str(excinfo.value)


def test_given_data_is_validated_whole(monkeypatch, pillar):
    monkeypatch.setattr(openstack_pillar, "__opts__", {"id": "compute1"}, raising=False)
    del pillar["passwords"]["admin"]
    with pytest.raises(CommandExecutionError, match="openstack:passwords:admin"):
        openstack_pillar.validate(pillar)


# -- the pillar top's gate -----------------------------------------------------


@pytest.fixture
def master_opts(minion_opts):
    return dict(minion_opts, ext_pillar=[{"openstack_secrets": {}}])


def _ready(monkeypatch, opts):
    monkeypatch.setattr(openstack_pillar, "__opts__", opts, raising=False)
    monkeypatch.setattr(openstack_pillar, "__salt__", {}, raising=False)
    return openstack_pillar.secrets_filter_ready()


def test_the_gate_opens_with_the_filter_configured_and_installed(monkeypatch, master_opts):
    # The ext_pillar comes from the saltext_openstack entry point (_pillar/).
    assert _ready(monkeypatch, master_opts) is True


def test_the_gate_opens_with_the_filter_after_other_ext_pillars(monkeypatch, master_opts):
    opts = dict(master_opts, ext_pillar=[{"git": "main x"}, {"openstack_secrets": {}}])
    assert _ready(monkeypatch, opts) is True
    # one excluded after it does not run at all
    opts = dict(master_opts, ext_pillar=[{"openstack_secrets": {}}, {"git": "main x"}],
                exclude_ext_pillar=["git"])
    assert _ready(monkeypatch, opts) is True


@pytest.mark.parametrize("change, message", [
    ({"ext_pillar": []}, "no openstack_secrets ext_pillar"),
    ({"ext_pillar": [{"git": "x"}]}, "no openstack_secrets ext_pillar"),
    ({"exclude_ext_pillar": ["openstack_secrets"]}, "no openstack_secrets ext_pillar"),
    ({"ext_pillar_first": True}, "ext_pillar_first"),
    ({"ext_pillar": [{"openstack_secrets": {}}, {"git": "main https://example.invalid/p.git"}]},
     r"must be the last ext_pillar \(one after it, git, could merge"),
    ({"ext_pillar": [{"openstack_secrets": {}, "vault": "path=secret/os"}]},
     "must be the last ext_pillar"),
    ({"ext_pillar": [{"openstack_secrets": {}}], "module_dirs": [], "disable_pillars": ["openstack_secrets"]},
     "not installed on the master"),
])
def test_the_gate_stays_shut_without_the_filter(monkeypatch, master_opts, change, message):
    with pytest.raises(CommandExecutionError, match=message) as excinfo:
        _ready(monkeypatch, dict(master_opts, **change))
    assert "openstack pillar withheld" in str(excinfo.value)
