"""
``salt-run state.orchestrate openstack test=True`` through the real master:
it succeeds, runs its steps in the issue's order, and every step targets
the minions the pillar host map gives it.

In test mode the minions execute on this host, which has none of the
OpenStack services running: every state must answer "would" (result None)
or "as wanted", never fail.  Debian grains only: with Rocky grains the
minions' pkg states would ask this Debian host's dnf.
"""
import json
import pathlib
import re
import subprocess
import sys
import time

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]

# The guide's order, as requisites: each step and the steps it waits for.
# After the common step three lanes run at once (the controller; the
# computes' GlusterFS, libvirt and install lane; the gateway's NAT), and a
# step starts only when every step it requires has succeeded.
REQUIRES = {
    "openstack-sync-modules": [],
    "openstack-validate-pillar": ["openstack-sync-modules"],
    "openstack-common": ["openstack-validate-pillar"],
    "openstack-controller": ["openstack-common"],
    "openstack-gateway-nat": ["openstack-common"],
    "openstack-gluster-servers": ["openstack-common"],
    "openstack-gluster-volume": ["openstack-gluster-servers"],
    "openstack-gluster-mounts": ["openstack-gluster-volume"],
    "openstack-libvirt": ["openstack-gluster-mounts"],
    "openstack-install": ["openstack-libvirt", "openstack-gateway-nat"],
    "openstack-computes": ["openstack-controller", "openstack-install"],
    "openstack-migration-keys": ["openstack-computes"],
    "openstack-migration-trust": ["openstack-migration-keys"],
    "openstack-gateway-services": ["openstack-controller", "openstack-install"],
    "openstack-discover-hosts": ["openstack-computes"],
    "openstack-computes-enrolled": ["openstack-discover-hosts", "openstack-migration-trust"],
    "openstack-cloud-resources": ["openstack-discover-hosts", "openstack-gateway-services"],
    "openstack-verify": ["openstack-cloud-resources"],
}
# The steps that wait for nothing but the common step's predecessors run one
# after another; every later step runs in a process of its own.
SERIAL = ["openstack-sync-modules", "openstack-validate-pillar", "openstack-common"]


def _natural(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _expected_targets():
    """Each step's targets, computed from the example pillar's host map."""
    hosts = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())["openstack"]["hosts"]

    def having(role):
        return sorted((h for h, v in hosts.items() if role in v["roles"]), key=_natural)

    everyone, computes = sorted(hosts), having("compute")
    controller, gateways = having("controller"), having("gateway")
    return {
        "openstack-sync-modules": everyone,
        "openstack-validate-pillar": everyone,
        "openstack-common": everyone,
        "openstack-gateway-nat": gateways,
        "openstack-gluster-servers": computes,
        "openstack-gluster-volume": computes[:1],
        "openstack-gluster-mounts": computes,
        "openstack-libvirt": computes,
        "openstack-install": sorted(set(computes) | set(gateways), key=_natural),
        "openstack-controller": controller,
        "openstack-computes": computes,
        "openstack-migration-keys": computes,
        "openstack-migration-trust": computes,
        "openstack-gateway-services": gateways,
        "openstack-discover-hosts": controller,
        "openstack-computes-enrolled": computes,
        "openstack-cloud-resources": controller,
        "openstack-verify": controller,
    }


def _targeted(step):
    """The minions a step ran on, from the runner's return."""
    comment = step.get("comment", "")
    found = re.search(r"would be executed on target (\S+)", comment)
    if found:  # salt.function in test mode
        return sorted(found.group(1).split(","))
    minions = set((step.get("changes") or {}).get("ret", {}))
    for pattern in (r"No changes made to ([^.]+)\.", r"Updating ([^.]+)\.", r"Run failed on minions: ([^\n]+)"):
        for match in re.findall(pattern, comment):
            minions.update(m.strip() for m in match.split(","))
    return sorted(minions)


def _failures(step):
    """``minion: state id: comment`` of every failed state of a salt.state step."""
    out = []
    for minion, states in ((step.get("changes") or {}).get("ret") or {}).items():
        if not isinstance(states, dict):
            out.append(f"{minion}: {states}")
            continue
        for state_id, state in states.items():
            if isinstance(state, dict) and state.get("result") is False:
                out.append(f"{minion}: {state_id}: {state.get('comment')}")
    return out


@pytest.fixture(scope="module")
def orchestration(cluster):
    if cluster["name"] != "debian13":
        pytest.skip("the dry run executes on this Debian host: Debian grains only")
    started = time.monotonic()
    ret = cluster["salt_run_cli"].run("state.orchestrate", "openstack", "test=True")
    elapsed = time.monotonic() - started
    print(f"state.orchestrate openstack test=True: {elapsed:.1f} s")
    assert isinstance(ret.data, dict), ret
    runs = ret.data.get("data", ret.data)
    assert len(runs) == 1, runs
    steps = next(iter(runs.values()))
    assert isinstance(steps, dict), f"the orchestration did not render: {steps}"
    for step in sorted(steps.values(), key=lambda step: step["__run_num__"]):
        print(f"  {step['__id__']}: {step.get('duration', 0) / 1000:.1f} s")
    return ret, {step["__id__"]: step for step in steps.values()}


def test_orchestration_succeeds_in_test_mode(orchestration):
    ret, steps = orchestration
    failed = {
        step_id: [step.get("comment")] + _failures(step)
        for step_id, step in steps.items()
        if step.get("result") is False
    }
    assert not failed, json.dumps(failed, indent=1, default=str)[:20000]
    assert ret.returncode == 0, ret


def _clock(step):
    """A step's start and end, in seconds of the day."""
    hours, minutes, seconds = step["start_time"].split(":")
    start = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return start, start + step.get("duration", 0) / 1000


def test_every_step_waits_for_what_it_requires(orchestration):
    """No step starts before every step it requires has finished."""
    _, steps = orchestration
    assert sorted(steps) == sorted(REQUIRES)
    early = {}
    for step_id, needs in REQUIRES.items():
        start, _ = _clock(steps[step_id])
        for need in needs:
            _, end = _clock(steps[need])
            if start < end:
                early[step_id] = f"started {end - start:.3f} s before {need} ended"
    assert not early, early


def test_the_requisites_are_the_guides_order(cluster):
    """The rendered orchestration: each step's requisites, and which steps
    run in a process of their own (the three lanes after the common step)."""
    if cluster["name"] != "debian13":
        pytest.skip("Debian grains only, as the dry run")
    ret = cluster["salt_run_cli"].run("state.orchestrate_show_sls", "openstack")
    assert isinstance(ret.data, dict), ret
    high = next(iter(ret.data.values())) if len(ret.data) == 1 and not any(
        k.startswith("openstack-") for k in ret.data) else ret.data
    found, parallel, states, queued = {}, [], [], []
    for step_id, body in high.items():
        if not step_id.startswith("openstack-"):
            continue
        args = {}
        for value in next(v for k, v in body.items() if not k.startswith("__")):
            if isinstance(value, dict):
                args.update(value)
        found[step_id] = sorted(next(iter(req.values())) for req in args.get("require", []))
        if args.get("parallel"):
            parallel.append(step_id)
        if "state" in body.get("salt", ()):  # salt.state (salt.function: "function")
            states.append(step_id)
        if args.get("queue"):
            queued.append(step_id)
    assert found == {step_id: sorted(needs) for step_id, needs in REQUIRES.items()}
    assert sorted(parallel) == sorted(set(REQUIRES) - set(SERIAL))
    # a host with several roles is the target of two parallel steps at once:
    # its second state run waits (queue) instead of being refused
    assert sorted(queued) == sorted(set(states) - set(SERIAL)) and "openstack-controller" in queued


def test_steps_target_the_pillar_host_map(orchestration):
    _, steps = orchestration
    expected = _expected_targets()
    assert {step_id: _targeted(steps[step_id]) for step_id in REQUIRES} == expected


def test_verification_is_read_only(orchestration):
    """The last step only reads: openstack_cloud.healthy, never a change."""
    _, steps = orchestration
    states = steps["openstack-verify"]["changes"].get("ret", {}).get("controller") or {}
    assert set(states) <= {"openstack_cloud_|-cloud-verify_|-cloud-verify_|-healthy"}, states
    assert not any(state.get("changes") for state in states.values()), states


def test_the_controller_installs_its_packages_first(orchestration):
    """openstack.install_controller: after the nova user (its uid), the
    controller's packages in one transaction, before any formula's state."""
    _, steps = orchestration
    states = steps["openstack-controller"]["changes"].get("ret", {}).get("controller") or {}
    order = [key.split("_|-")[1] for key in sorted(states, key=lambda k: states[k]["__run_num__"])]
    lane = order.index("openstack-controller-packages")
    assert {"nova-group", "nova-user"} <= set(order[:lane]), order[:lane + 1]
    assert set(order[:lane]) <= {"nova-group", "nova-user", "nova-config-dir"}, order[:lane + 1]


def test_the_job_cache_has_every_states_duration(cluster, orchestration, tmp_path):
    """cluster/orch_profile.py fetch, which cluster/run runs on the master
    for the profile: from the real master's job cache, every salt.state
    step's minions with each state's id and duration, also those a step's
    output leaves out; then the profile is whole."""
    ret, steps = orchestration
    jids = {step["__jid__"]: step_id for step_id, step in steps.items()
            if step_id not in ("openstack-sync-modules", "openstack-validate-pillar",
                               "openstack-migration-keys")}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(REPO / "cluster" / "orch_profile.py"), "fetch",
         "--config-dir", str(cluster["master"].config_dir), *jids],
        capture_output=True, text=True, timeout=120, check=False)
    print(f"orch_profile.py fetch, {len(jids)} jobs: {time.monotonic() - started:.1f} s")
    assert proc.returncode == 0, proc.stderr
    jobs = json.loads(proc.stdout)
    for jid, step_id in jids.items():
        assert sorted(jobs[jid]) == _targeted(steps[step_id]), step_id
        for minion, states in jobs[jid].items():
            assert isinstance(states, dict) and states, (step_id, minion, states)
            for state in states.values():
                assert state["__id__"] and isinstance(state["duration"], (int, float)), state
    orch = tmp_path / "orchestrate.json"
    orch.write_text(json.dumps(ret.data))
    (tmp_path / "jobs.json").write_text(proc.stdout)
    report = subprocess.run(
        [sys.executable, str(REPO / "cluster" / "orch_profile.py"), "report", str(orch),
         "--jobs", str(tmp_path / "jobs.json")],
        capture_output=True, text=True, timeout=60, check=True)
    print(report.stdout)
    assert "from the master's job cache" in report.stdout.splitlines()[0]
    assert len(report.stdout.splitlines()) == 16


# --- enrolling an added compute (reactor -> openstack.enrol) ----------------

ENROL_ORDER = [
    "enrol-validate-pillar",
    "enrol-hosts",
    "enrol-gluster-volume",
    "enrol-migration-keys",
    "enrol-migration-trust",
    "enrol-discover-hosts",
    "enrol-mark-enrolled",
]


def _enrol(cluster, compute, mods="openstack.enrol"):
    if cluster["name"] != "debian13":
        pytest.skip("the dry run executes on this Debian host: Debian grains only")
    ret = cluster["salt_run_cli"].run(
        "state.orchestrate", mods, f'pillar={{"compute": "{compute}"}}', "test=True")
    assert isinstance(ret.data, dict), ret
    runs = ret.data.get("data", ret.data)
    steps = next(iter(runs.values()))
    assert isinstance(steps, dict), f"{mods} did not render: {steps}"
    return ret, {step["__id__"]: step for step in steps.values()}


def test_enrol_a_compute_in_test_mode(cluster):
    """What the reactor runs when a compute's highstate asks to be enrolled."""
    ret, steps = _enrol(cluster, "compute2")
    assert sorted(steps, key=lambda s: steps[s]["__run_num__"]) == ENROL_ORDER
    failed = {s: [st.get("comment")] + _failures(st) for s, st in steps.items()
              if st.get("result") is False}
    assert not failed, json.dumps(failed, indent=1, default=str)[:20000]
    expected = _expected_targets()
    assert _targeted(steps["enrol-gluster-volume"]) == expected["openstack-gluster-volume"]
    # Not the new compute: its highstate waits for the admission.
    assert _targeted(steps["enrol-hosts"]) == sorted(
        set(expected["openstack-common"]) - {"compute2"})
    assert _targeted(steps["enrol-migration-trust"]) == expected["openstack-migration-trust"]
    assert _targeted(steps["enrol-discover-hosts"]) == expected["openstack-discover-hosts"]
    # only the compute enrolled stops asking
    assert _targeted(steps["enrol-mark-enrolled"]) == ["compute2"]
    assert ret.returncode == 0, ret


def test_admit_a_compute_in_test_mode(cluster):
    """What the reactor runs when a new compute's mount waits for the
    volume: the first part of the enrolment, nothing on the new compute."""
    ret, steps = _enrol(cluster, "compute2", "openstack.admit")
    assert sorted(steps, key=lambda s: steps[s]["__run_num__"]) == ENROL_ORDER[:3]
    assert all(st.get("result") is not False for st in steps.values()), steps
    expected = _expected_targets()
    assert _targeted(steps["enrol-gluster-volume"]) == expected["openstack-gluster-volume"]
    assert "compute2" not in _targeted(steps["enrol-hosts"])
    assert ret.returncode == 0, ret


@pytest.mark.parametrize("mods", ["openstack.enrol", "openstack.admit"])
def test_enrol_refuses_a_minion_that_is_not_a_compute(cluster, mods):
    """A minion whose key is accepted but that pillar lists as something
    else (or not at all) cannot enrol or admit itself: nothing runs."""
    for minion in ("gateway", "intruder"):
        ret, steps = _enrol(cluster, minion, mods)
        assert list(steps) == ["enrol-refused"], steps
        step = steps["enrol-refused"]
        assert step["result"] is False
        # The refusal is the state's name: shown in test mode too.
        assert f"not enrolling {minion}" in step["name"] and "compute role" in step["name"]
        assert ret.returncode != 0


def test_reactor_enrols_the_sender_not_the_claimed_id(tmp_path):
    """The reactor SLS takes the compute from the event's authenticated
    sender (data['id']), never from the payload."""
    import salt.config  # noqa: PLC0415
    import salt.utils.templates  # noqa: PLC0415

    sls = (REPO / "salt" / "reactor" / "compute-enrol.sls").read_text()
    for tag, mods in (("openstack/compute/enrol", "openstack.enrol"),
                      ("openstack/compute/admit", "openstack.admit")):
        rendered = salt.utils.templates.render_jinja_tmpl(
            sls, {"tag": tag,
                  "data": {"id": "compute3", "tag": tag, "data": {"id": "controller"}},
                  "opts": dict(salt.config.DEFAULT_MASTER_OPTS, cachedir=str(tmp_path)),
                  "saltenv": "base", "sls": "reactor.compute-enrol"})
        doc = yaml.safe_load(rendered)
        args = doc["compute-enrol"]["runner.state.orchestrate"][0]["args"]
        assert args[0] == {"mods": mods}
        assert args[1] == {"pillar": {"compute": "compute3"}}


# --- day 2: retiring a compute, replacing a dead one -------------------------

RETIRE_ORDER = [
    "retire-sync-modules",
    "retire-validate-pillar",
    "retire-check-servers",
    "retire-check-volume",
    "retire-drain",
    "retire-stop-services",
    "retire-forget",
    "retire-volume",
    "retire-mine",
    "retire-migration-trust",
]


def _ordered(steps):
    return sorted(steps, key=lambda s: steps[s]["__run_num__"])


def _no_failure(steps):
    failed = {s: [st.get("comment")] + _failures(st) for s, st in steps.items()
              if st.get("result") is False}
    assert not failed, json.dumps(failed, indent=1, default=str)[:20000]


@pytest.mark.parametrize("compute", ["compute1", "compute2"])
def test_retire_a_compute_in_test_mode(cluster, compute):
    """The checks first (in test mode even in a real run), then the drain on
    the controller, the compute's own services, the controller's records,
    the volume on a brick host that stays, the trust of the others."""
    ret, steps = _enrol(cluster, compute, "openstack.retire")
    assert _ordered(steps) == RETIRE_ORDER
    _no_failure(steps)
    expected = _expected_targets()
    others = [c for c in expected["openstack-computes"] if c != compute]
    for step in ("retire-check-servers", "retire-drain", "retire-forget"):
        assert _targeted(steps[step]) == expected["openstack-discover-hosts"], step
    for step in ("retire-check-volume", "retire-volume"):
        assert _targeted(steps[step]) == others[:1], step
    for step in ("retire-stop-services", "retire-mine"):
        assert _targeted(steps[step]) == [compute], step
    assert _targeted(steps["retire-migration-trust"]) == others
    assert _targeted(steps["retire-sync-modules"]) == sorted(
        expected["openstack-discover-hosts"] + others[:1] + [compute])
    assert ret.returncode == 0, ret


def test_retire_checks_in_test_mode_before_any_change():
    """The checks run with test: true and every change waits for both."""
    text = (REPO / "salt" / "openstack" / "retire.sls").read_text()
    for check in ("retire-check-servers", "retire-check-volume"):
        block = text.split(f"\n{check}:\n", 1)[1].split("\n\n", 1)[0]
        assert "    - test: true" in block, check
        assert f"      - salt: {check}" in text.split("\nretire-drain:\n", 1)[1].split("\n\n", 1)[0]


def test_replace_a_compute_in_test_mode(cluster):
    ret, steps = _enrol(cluster, "compute2", "openstack.replace")
    assert _ordered(steps) == ["replace-sync-modules", "replace-validate-pillar", "replace-volume",
                               "replace-forget"]
    # Not the dead compute: its minion is gone.
    assert _targeted(steps["replace-sync-modules"]) == ["compute1", "controller"]
    _no_failure(steps)
    expected = _expected_targets()
    assert _targeted(steps["replace-volume"]) == ["compute1"]
    assert _targeted(steps["replace-forget"]) == expected["openstack-discover-hosts"]
    assert ret.returncode == 0, ret


@pytest.mark.parametrize("mods", ["openstack.retire", "openstack.replace"])
def test_retire_and_replace_refuse_what_is_not_a_compute(cluster, mods):
    refused = mods.split(".")[1] + "-refused"
    for minion in ("gateway", "intruder"):
        ret, steps = _enrol(cluster, minion, mods)
        assert list(steps) == [refused], steps
        assert steps[refused]["result"] is False
        assert "compute role" in steps[refused]["name"]
        assert ret.returncode != 0


def test_replace_refuses_the_first_brick_host(cluster):
    """compute1 admits the other bricks: replacing it this way is refused,
    with what to do instead, and nothing runs."""
    ret, steps = _enrol(cluster, "compute1", "openstack.replace")
    assert list(steps) == ["replace-refused"], steps
    assert "first brick host" in steps["replace-refused"]["name"]
    assert ret.returncode != 0
