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
import time

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]

# The issue's order: common -> gateway NAT -> GlusterFS servers, volume,
# mounts -> libvirt -> controller -> computes -> gateway services -> host
# discovery -> cloud resources (security-group rules) -> verification.
ORDER = [
    "openstack-sync-modules",
    "openstack-validate-pillar",
    "openstack-common",
    "openstack-gateway-nat",
    "openstack-gluster-servers",
    "openstack-gluster-volume",
    "openstack-gluster-mounts",
    "openstack-libvirt",
    "openstack-controller",
    "openstack-computes",
    "openstack-migration-keys",
    "openstack-migration-trust",
    "openstack-gateway-services",
    "openstack-discover-hosts",
    "openstack-cloud-resources",
    "openstack-verify",
]


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
        "openstack-controller": controller,
        "openstack-computes": computes,
        "openstack-migration-keys": computes,
        "openstack-migration-trust": computes,
        "openstack-gateway-services": gateways,
        "openstack-discover-hosts": controller,
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
    if cluster["name"] != "debian12":
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


def test_steps_run_in_the_issue_order(orchestration):
    _, steps = orchestration
    by_run = sorted(steps, key=lambda step_id: steps[step_id]["__run_num__"])
    assert by_run == ORDER


def test_steps_target_the_pillar_host_map(orchestration):
    _, steps = orchestration
    expected = _expected_targets()
    assert {step_id: _targeted(steps[step_id]) for step_id in ORDER} == expected


def test_verification_is_read_only(orchestration):
    """The last step only reads: a stateful script that reports changed=no."""
    _, steps = orchestration
    states = steps["openstack-verify"]["changes"].get("ret", {}).get("controller") or {}
    assert list(states) in ([], ["cmd_|-cloud-verify_|-salt://cloud/files/verify.sh.jinja_|-script"]), states
