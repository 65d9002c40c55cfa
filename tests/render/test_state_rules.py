"""
Rules every rendered state of the tree follows (render-based: each role's
highstate and the orchestration-only SLS are rendered by Salt's own loader
with the example pillar, then the state data is checked):

* every ``cmd.run`` / ``cmd.wait`` / ``cmd.script`` is guarded by
  ``unless``, ``onlyif``, ``creates`` or ``onchanges`` (``cmd.wait``: by its
  ``watch``), or is ``stateful`` (it reports ``changed=no`` itself);
* a ``service.running`` is restarted only through ``watch`` on a config or
  package state of its own formula: no ``listen``/``onchanges`` restart, no
  ``watch_in`` from another formula, no ``systemctl restart`` in a command.

Unit tier: no daemon, the states are only rendered.
"""
import importlib.util
import pathlib

import pytest
import yaml
from minion_opts import minion_opts as make_minion_opts
from minion_opts import render_states
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]
MINIONS = ("controller", "gateway", "compute1", "compute2")
# SLS the orchestration applies that no role's highstate includes.
ORCHESTRATION_ONLY = {"controller": ["cloud", "cloud.verify", "nova.discover"], "compute1": ["glusterfs.volume"]}
GUARDS = ("unless", "onlyif", "creates", "onchanges")
REQUISITES = ("require", "watch", "onchanges", "listen", "prereq", "onfail")
# openstack_ovs: Open vSwitch's own settings (the ovn formula's config).
RESTART_SOURCES = ("openstack_config", "file", "pkg", "openstack_ovs")


def _render(tmp_path_factory, minion_id):
    root = tmp_path_factory.mktemp(f"render-{minion_id}")
    opts = make_minion_opts(root, minion_id, REPO / "pillar", test=True)
    return render_states(Loaders(opts), ORCHESTRATION_ONLY.get(minion_id, []), highstate=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """{minion: {state id: {module: [args], __sls__: ...}}}"""
    return {minion: _render(tmp_path_factory, minion) for minion in MINIONS}


def _states(rendered):
    """(minion, id, module, function, {arg: value}, sls) of every state."""
    for minion, states in rendered.items():
        for state_id, body in states.items():
            if not isinstance(body, dict):
                continue
            for module, args in body.items():
                if module.startswith("__") or not isinstance(args, list):
                    continue
                function = next(a for a in args if isinstance(a, str))
                kwargs = {}
                for arg in args:
                    if isinstance(arg, dict):
                        kwargs.update(arg)
                yield minion, state_id, module, function, kwargs, body.get("__sls__", "")


def _refs(value):
    """[(module, name or id)] of a requisite list."""
    refs = []
    for item in value or []:
        if isinstance(item, dict):
            refs.extend(item.items())
    return refs


def test_every_role_renders(rendered):
    assert all(len(states) > 10 for states in rendered.values())


def test_every_requisite_names_a_state_of_the_render(rendered):
    """A requisite (or its _in form) naming no state fails the whole run on
    the host ("Referenced state does not exist"); show_highstate does not
    check it."""
    missing = []
    for minion in rendered:
        states = list(_states({minion: rendered[minion]}))
        known = {(module, state_id) for _, state_id, module, _, _, _ in states}
        known |= {(module, kwargs["name"]) for _, _, module, _, kwargs, _ in states
                  if "name" in kwargs}
        for _, state_id, _, _, kwargs, _ in states:
            for key in REQUISITES + tuple(r + "_in" for r in REQUISITES):
                for module, ref in _refs(kwargs.get(key)):
                    if module != "sls" and (module, ref) not in known:
                        missing.append(f"{minion}: {state_id}: {key}: {module}: {ref}")
    assert missing == []


def test_commands_are_guarded(rendered):
    unguarded = []
    for minion, state_id, module, function, kwargs, sls in _states(rendered):
        if module != "cmd":
            continue
        if function in ("run", "script"):
            ok = any(kwargs.get(g) for g in GUARDS) or kwargs.get("stateful")
        elif function == "wait":
            ok = bool(kwargs.get("watch")) or any(kwargs.get(g) for g in GUARDS)
        else:
            ok = False
        if not ok:
            unguarded.append(f"{minion}: {sls}: {state_id} (cmd.{function})")
        name = str(kwargs.get("name", state_id))
        assert "systemctl restart" not in name and "service restart" not in name, (sls, state_id)
    assert not unguarded, "cmd states without unless/onlyif/creates/onchanges:\n" + "\n".join(
        sorted(set(unguarded))
    )


def test_services_restart_only_through_watch_on_their_own_config(rendered):
    problems = []
    for minion, states in rendered.items():
        by_ref = {}
        entries = list(_states({minion: states}))
        for _m, state_id, module, function, kwargs, sls in entries:
            # A command may trigger a restart when onlyif/unless decides it runs.
            guarded = any(kwargs.get(g) for g in ("onlyif", "unless"))
            by_ref[(module, state_id)] = (function, sls, guarded)
            by_ref.setdefault((module, str(kwargs.get("name", state_id))), (function, sls, guarded))
        services = {
            state_id: sls
            for _m, state_id, module, function, kwargs, sls in entries
            if module == "service" and function == "running"
        }
        for _m, state_id, module, function, kwargs, sls in entries:
            # Restart triggers declared on the service itself ...
            if state_id in services and module == "service":
                for req in ("listen", "onchanges"):
                    if kwargs.get(req):
                        problems.append(f"{minion}: {state_id} restarts through {req}")
                for ref_module, ref in _refs(kwargs.get("watch")):
                    target = by_ref.get((ref_module, ref))
                    if target is None:
                        problems.append(f"{minion}: {state_id} watches unknown {ref_module}: {ref}")
                        continue
                    if ref_module not in RESTART_SOURCES and not (
                        ref_module == "cmd" and target[2]
                    ):
                        problems.append(f"{minion}: {state_id} watches {ref_module}: {ref}")
                    if target[1].split(".")[0] != sls.split(".")[0]:
                        problems.append(f"{minion}: {state_id} ({sls}) watches {ref} of {target[1]}")
            # ... and restart triggers other states point at a service.
            for req in ("watch_in", "listen_in", "onchanges_in"):
                for ref_module, ref in _refs(kwargs.get(req)):
                    if ref_module == "service":
                        target = services.get(ref) or by_ref.get(("service", ref), (None, None))[1]
                        if req != "watch_in" or module not in RESTART_SOURCES or (
                            target and target.split(".")[0] != sls.split(".")[0]
                        ):
                            problems.append(f"{minion}: {state_id} ({sls}) {req} service {ref}")
    assert not problems, "\n".join(sorted(set(problems)))


def _bad_pillars():
    path = REPO / "tests" / "integration" / "bad_pillars.py"
    spec = importlib.util.spec_from_file_location("bad_pillars_for_unit", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", sorted(_bad_pillars().CASES))
def test_bad_pillar_cases_name_their_key(case):
    """Each integration bad-pillar case is refused by the validator, naming its key."""
    bad = _bad_pillars()
    spec = importlib.util.spec_from_file_location("openstack_pillar_for_cases", REPO / "_modules" / "openstack_pillar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    example = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())["openstack"]
    module.validate(example)
    with pytest.raises(Exception) as refused:
        module.validate(bad.bad_pillar(example, case))
    assert bad.CASES[case][1] + ":" in str(refused.value)


def test_config_directories_are_root_owned_and_not_writable_by_the_service(rendered):
    """
    A directory under /etc a service user can write lets it place links or
    files where root writes its configuration (issue 11, item 2): every
    managed one is root-owned, group and others without write.
    """
    problems = []
    for minion, state_id, module, function, kwargs, sls in _states(rendered):
        name = str(kwargs.get("name", state_id))
        if (module, function) != ("file", "directory") or not name.startswith("/etc/"):
            continue
        mode = int(str(kwargs.get("mode", "0755")), 8)
        if kwargs.get("user", "root") != "root" or mode & 0o022:
            problems.append(f"{minion}: {sls}: {state_id}: {kwargs.get('user')} {mode:04o}")
    assert not problems, "\n".join(sorted(set(problems)))
