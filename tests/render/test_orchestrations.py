"""
The orchestrations (salt/openstack/{init,admit,enrol,replace,retire}.sls)
rendered by Salt's own loader: their targets come from the model
(``openstack_pillar.host_map`` through openstack/hostmap.jinja), not from
the raw pillar.  Rendered as the master renders them: under an id outside
the host map, with the pillar's own ``compute`` given on the command line.

The cloud here has three computes and ``gluster:replica: 2``: the model's
``brick_hosts`` are compute1 and compute2 (a multiple of the replica
count), compute3 mounts the volume without a brick.

Unit tier: no daemon.  The orchestrations run against real minions in
tests/integration/test_orchestrate.py.
"""
import copy
import pathlib

import pytest
import yaml
from minion_opts import minion_opts as make_minion_opts
from minion_opts import pillar_loaders
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]
MASTER = "saltmaster_master"


def _three_computes(example):
    pillar = copy.deepcopy(example)
    pillar["hosts"]["compute3"] = {"roles": ["compute"], "address": "192.168.56.23"}
    pillar["gluster"]["replica"] = 2
    return pillar


def _targets(states):
    """{step id: [minion ids]} of a rendered orchestration."""
    targets = {}
    for state_id, body in states.items():
        for arg in body.get("salt", []):
            if isinstance(arg, dict) and "tgt" in arg:
                targets[state_id] = arg["tgt"].split(",")
    return targets


@pytest.fixture(scope="module")
def orchestrate(tmp_path_factory, example):
    """orchestrate(sls, compute=None, pillar=None): the rendered states (a
    dict), or the render's errors (a list)."""
    cached = {}

    def render(sls, compute=None, pillar=None):
        pillar = _three_computes(example) if pillar is None else pillar
        key = yaml.safe_dump(pillar)
        if key not in cached:
            cached[key] = pillar_loaders(tmp_path_factory, MASTER, {"openstack": pillar},
                                         tag="orch")
        loaders = cached[key]
        try:
            extra = {} if compute is None else {"pillar": {"compute": compute}}
            return loaders.modules.state.show_sls(sls, **extra)
        finally:
            loaders.reset_state()

    return render


def test_the_deployment_targets_the_models_roles(orchestrate):
    targets = _targets(orchestrate("openstack"))
    computes = ["compute1", "compute2", "compute3"]
    # Every host, in the model's (natural) order.
    assert targets["openstack-common"] == computes + ["controller", "gateway"]
    assert targets["openstack-controller"] == ["controller"]
    assert targets["openstack-gateway-nat"] == ["gateway"]
    for step in ("openstack-gluster-servers", "openstack-gluster-mounts", "openstack-computes"):
        assert targets[step] == computes, step
    # The first of the model's brick hosts creates and grows the volume.
    assert targets["openstack-gluster-volume"] == ["compute1"]


def _sls(states, step):
    """The SLS list of an orchestration step."""
    (sls,) = [arg["sls"] for arg in states[step]["salt"] if isinstance(arg, dict) and "sls" in arg]
    return [sls] if isinstance(sls, str) else sls


def test_volume_types_are_made_in_the_controllers_step(orchestrate):
    """cinder.conf's default_volume_type names one of them: made right after
    Cinder, not in the later resources step (test_cloud_formulas)."""
    states = orchestrate("openstack")
    controller = _sls(states, "openstack-controller")
    assert controller[controller.index("cinder") + 1] == "cloud.volume_types"
    assert "cloud.volume_types" not in _sls(states, "openstack-cloud-resources")


def test_admitting_a_compute_without_a_brick(orchestrate):
    """compute3 holds no brick with replica 2 and three computes: it is
    admitted by the first brick host all the same (auth.allow, the pool)."""
    targets = _targets(orchestrate("openstack.admit", "compute3"))
    assert targets == {"enrol-validate-pillar": ["controller"],
                       "enrol-hosts": ["compute1", "compute2", "controller", "gateway"],
                       "enrol-gluster-volume": ["compute1"]}
    targets = _targets(orchestrate("openstack.enrol", "compute3"))
    assert targets["enrol-migration-trust"] == ["compute1", "compute2", "compute3"]
    assert targets["enrol-mark-enrolled"] == ["compute3"]


@pytest.mark.parametrize("compute, volume_on", [
    ("compute3", "compute1"),  # no brick: the pool forgets it
    ("compute2", "compute1"),  # a brick: it moves to compute3 (glusterfs.retire's spare)
    ("compute1", "compute2"),  # the first brick host: the next one acts
])
def test_retiring_a_compute(orchestrate, compute, volume_on):
    targets = _targets(orchestrate("openstack.retire", compute))
    others = [c for c in ("compute1", "compute2", "compute3") if c != compute]
    assert targets["retire-check-volume"] == targets["retire-volume"] == [volume_on]
    assert targets["retire-stop-services"] == [compute]
    assert targets["retire-migration-trust"] == others
    assert sorted(targets["retire-sync-modules"]) == sorted({"controller", volume_on, compute})


@pytest.mark.parametrize("compute", ["compute2", "compute3"])
def test_replacing_a_compute(orchestrate, compute):
    targets = _targets(orchestrate("openstack.replace", compute))
    assert targets["replace-volume"] == ["compute1"]
    assert targets["replace-sync-modules"] == ["controller", "compute1"]


def test_replace_refuses_the_models_first_brick_host(orchestrate):
    states = orchestrate("openstack.replace", "compute1")
    assert list(states) == ["replace-refused"]
    assert "first brick host" in str(states["replace-refused"])


def test_the_first_brick_host_is_the_models_in_natural_order(orchestrate, example):
    """compute9 before compute10, as the model (and glusterfs.volume) sort
    them; the raw pillar's sort put compute10 first."""
    pillar = copy.deepcopy(example)
    hosts = pillar["hosts"]
    hosts["compute9"], hosts["compute10"] = hosts.pop("compute1"), hosts.pop("compute2")
    targets = _targets(orchestrate("openstack", pillar=pillar))
    assert targets["openstack-gluster-volume"] == ["compute9"]
    assert targets["openstack-gluster-servers"] == ["compute9", "compute10"]
    states = orchestrate("openstack.replace", "compute9", pillar=pillar)
    assert list(states) == ["replace-refused"]


@pytest.mark.parametrize("sls", ["openstack.admit", "openstack.retire", "openstack.replace"])
def test_a_bad_host_map_is_refused_while_rendering(orchestrate, example, sls):
    """The validator's message, naming the key, is the render's error."""
    pillar = _three_computes(example)
    pillar["gluster"]["replica"] = 4
    errors = orchestrate(sls, "compute3", pillar=pillar)
    assert isinstance(errors, list), errors
    text = "\n".join(errors)
    assert "Invalid pillar:" in text
    assert "openstack:gluster:replica: 4 is larger than the number of bricks (3)" in text


def test_the_host_map_needs_no_secret(orchestrate, example):
    """The day-2 orchestrations render without a password in the master's
    pillar (the validate step on the controller checks those)."""
    pillar = _three_computes(example)
    del pillar["passwords"]
    assert _targets(orchestrate("openstack.retire", "compute3", pillar=pillar))[
        "retire-volume"] == ["compute1"]


def test_without_the_module_the_render_says_to_sync(tmp_path, example):
    """A master that has not run saltutil.sync_all (nor pip-installed the
    extension) has no openstack_pillar: the render stops and says what to
    run."""
    pillar_root = tmp_path / "pillar"
    pillar_root.mkdir()
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - openstack\n")
    (pillar_root / "openstack.sls").write_text(yaml.safe_dump({"openstack": example}))
    opts = make_minion_opts(tmp_path / "root", MASTER, pillar_root, test=True, ext_pillar=[],
                            disable_modules=["openstack_pillar"])
    loaders = Loaders(opts)
    try:
        assert "openstack_pillar.host_map" not in loaders.modules
        for sls in ("openstack", "openstack.admit", "openstack.retire"):
            errors = loaders.modules.state.show_sls(sls, pillar={"compute": "compute2"})
            assert isinstance(errors, list), errors
            assert "run `salt-run saltutil.sync_all` on the master" in "\n".join(errors), errors
    finally:
        loaders.reset_state()
