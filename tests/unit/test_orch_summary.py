"""
cluster/orch_summary.py on real ``salt-run --out=json state.orchestrate
openstack`` output from the LXC test cluster: rerun.json is a complete
second run (zero changes), cold-trimmed.json a first run with each host's
states cut down to two per step.
"""
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest
from minion_opts import write_local_minion_config
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data" / "orch"
SCRIPT = REPO / "cluster" / "orch_summary.py"
sys.path.insert(0, str(REPO / "cluster"))
orch_summary = load("cluster/orch_summary.py", "orch_summary_under_test")


def _run(path, *args):
    return subprocess.run([sys.executable, str(SCRIPT), str(path), *args],
                          capture_output=True, text=True, check=False)


def test_rerun_without_changes_passes_and_is_check_8(tmp_path):
    out = tmp_path / "idem.json"
    proc = _run(DATA / "rerun.json", "--expect-no-changes=1", "--verify-json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "16 orchestration steps, 0 states with changes" in proc.stdout
    res = json.loads(out.read_text())["results"]
    assert [(r["check"], r["number"], r["result"]) for r in res] == [("idempotency", 8, "PASS")]
    assert "16 steps, 0 changes" in res[0]["detail"]


def test_cold_run_changes_are_fine_unless_none_expected(tmp_path):
    proc = _run(DATA / "cold-trimmed.json")
    assert proc.returncode == 0, proc.stdout
    assert "openstack-controller" in proc.stdout and "controller 2 states/2 changed" in proc.stdout
    out = tmp_path / "idem.json"
    proc = _run(DATA / "cold-trimmed.json", "--expect-no-changes=1", "--verify-json", str(out))
    assert proc.returncode == 1
    assert "CHANGED on a run that should change nothing:" in proc.stdout
    res = json.loads(out.read_text())["results"][0]
    assert res["result"] == "FAIL" and "0 failed, 27 changed" in res["detail"]


def test_a_failed_state_names_host_and_state(tmp_path):
    doc = json.loads((DATA / "cold-trimmed.json").read_text())
    steps = doc["data"]["controller_master"]
    step = next(s for s in steps.values() if s["__id__"] == "openstack-gateway-services")
    state_key, state = next(iter(step["changes"]["ret"]["gateway"].items()))
    state.update(result=False, comment="E: Unable to locate package ovn-central")
    step["result"] = False
    path = tmp_path / "failed.json"
    path.write_text(json.dumps(doc))
    proc = _run(path)
    assert proc.returncode == 1
    assert "FAIL openstack-gateway-services" in proc.stdout
    assert f"gateway: {state['__id__']}" in proc.stdout
    assert "Unable to locate package ovn-central" in proc.stdout


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_output_is_an_error(tmp_path, text):
    path = tmp_path / "empty.json"
    path.write_text(text)
    proc = _run(path)
    assert proc.returncode != 0 and "is empty" in (proc.stdout + proc.stderr)


def test_output_without_json_is_an_error(tmp_path):
    path = tmp_path / "noise.json"
    path.write_text("[ERROR   ] Salt request timed out. The master is not responding.\n")
    proc = _run(path)
    assert proc.returncode != 0 and "holds no JSON answer: [ERROR" in (proc.stdout + proc.stderr)


def test_warnings_before_the_json_are_skipped(tmp_path):
    doc = json.loads((DATA / "cold-trimmed.json").read_text())
    path = tmp_path / "warned.json"
    path.write_text("[WARNING ] Some deprecation {braces} here\n" + json.dumps(doc))
    assert _run(path).returncode == 0


def test_orchestration_that_did_not_render(tmp_path):
    path = tmp_path / "norender.json"
    path.write_text(json.dumps({"data": {"controller_master": [
        "Rendering SLS 'base:openstack' failed: openstack:hosts:compute1:address: not an IP"]}}))
    proc = _run(path)
    assert proc.returncode == 1 and "did not run" in proc.stdout and "not an IP" in proc.stdout


APT_404 = ("An error was encountered while installing package(s): "
           "E: The repository 'http://deb.debian.org/debian trixie Release' "
           "does not have a Release file.")


def _fail_common(doc, comment_of):
    """openstack-common fails on every host (first state: comment_of(host),
    the others: requisite failed); every later step did not run."""
    steps = doc["data"]["controller_master"]
    seen = False
    for step in sorted(steps.values(), key=lambda s: s["__run_num__"]):
        if step["__id__"] == "openstack-common":
            seen = True
            step["result"] = False
            for host, states in step["changes"]["ret"].items():
                for i, state in enumerate(states.values()):
                    state["result"] = False
                    state["comment"] = comment_of(host) if i == 0 else \
                        "One or more requisite failed: openstack.common.common-packages"
        elif seen:
            step.update(result=False, changes={},
                        comment="One or more requisite failed: openstack.openstack-common")
    return doc


def test_packages_that_could_not_be_fetched_are_the_mirror(tmp_path):
    doc = _fail_common(json.loads((DATA / "cold-trimmed.json").read_text()), lambda h: APT_404)
    path = tmp_path / "mirror.json"
    path.write_text(json.dumps(doc))
    proc = _run(path)
    assert proc.returncode == 3, proc.stdout
    assert "does not have a Release file" in proc.stdout
    assert "could not be fetched: the package mirror" in proc.stdout


def test_a_mirror_failure_beside_another_failure_is_a_failure(tmp_path):
    doc = _fail_common(json.loads((DATA / "cold-trimmed.json").read_text()),
                       lambda h: APT_404 if h != "gateway" else "file.managed: template error")
    path = tmp_path / "both.json"
    path.write_text(json.dumps(doc))
    proc = _run(path)
    assert proc.returncode == 1, proc.stdout
    assert "the package mirror" not in proc.stdout


def test_a_missing_package_alone_is_not_the_mirror(tmp_path):
    doc = _fail_common(json.loads((DATA / "cold-trimmed.json").read_text()),
                       lambda h: "E: Unable to locate package ovn-centrl")
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(doc))
    assert _run(path).returncode == 1


def test_a_rerun_that_changed_something_is_never_excused_as_the_mirror(tmp_path):
    doc = _fail_common(json.loads((DATA / "cold-trimmed.json").read_text()), lambda h: APT_404)
    path = tmp_path / "mirror.json"
    path.write_text(json.dumps(doc))
    assert _run(path, "--expect-no-changes=1").returncode == 1


TRANSPORT = "Authentication error occurred: message authentication failed"
REQUISITE = "One or more requisite failed: openstack.common.common-packages"


@pytest.mark.parametrize("comments, mirror, transport", [
    ([APT_404], True, False),
    ([APT_404, REQUISITE, "E: Unable to locate package ovn-central"], True, False),
    ([TRANSPORT, REQUISITE], False, True),
    ([APT_404, TRANSPORT], False, False),      # two causes: neither alone
    ([APT_404, "template error"], False, False),
    ([REQUISITE], False, False),               # consequences with no cause
    ([], False, False),
])
def test_only_failures_of_one_cause(comments, mirror, transport):
    failed = [(f"compute{i}", "common-packages", c) for i, c in enumerate(comments)]
    assert orch_summary.only_failures_of(orch_summary.FETCH_ERRORS, failed) is mirror
    assert orch_summary.only_failures_of(orch_summary.TRANSPORT_ERRORS, failed) is transport
    assert orch_summary.mirror_failure(failed) is mirror
    assert orch_summary.transport_failure(failed) is transport


def test_salts_transport_failing_alone_is_worth_a_second_run(tmp_path):
    """rerun-transport.json: a real re-run on the test cluster where one
    minion could not authenticate the master's reply while rendering
    (saltstack/salt#69193); every other failure is a requisite of it."""
    proc = _run(DATA / "rerun-transport.json", "--expect-no-changes=1",
                "--verify-json", str(tmp_path / "idem.json"))
    assert proc.returncode == 4, proc.stdout
    assert "FAIL openstack-install" in proc.stdout
    assert "message authentication failed" in proc.stdout
    assert "Salt's transport" in proc.stdout
    # still a failed check 8 unless the second run passes
    res = json.loads((tmp_path / "idem.json").read_text())["results"]
    assert res[0]["result"] == "FAIL"


def test_a_transport_failure_beside_another_failure_is_a_failure(tmp_path):
    doc = json.loads((DATA / "rerun-transport.json").read_text())
    steps = next(iter(doc["data"].values()))
    common = next(s for s in steps.values() if s["__id__"] == "openstack-common")
    common["result"] = False
    common["comment"] = "Run failed on minions: gateway"
    common["changes"] = {"ret": {"gateway": {
        "file_|-x_|-/etc/x_|-managed": {"__id__": "x", "result": False,
                                        "comment": "template error", "changes": {}}}}}
    path = tmp_path / "both.json"
    path.write_text(json.dumps(doc))
    proc = _run(path)
    assert proc.returncode == 1, proc.stdout
    assert "Salt's transport" not in proc.stdout


def _salt_call_state(tmp_path, sls):
    """A real ``salt-call --local --out=json state.apply`` of SLS."""
    roots = tmp_path / "roots"
    roots.mkdir(parents=True)
    (roots / "t.sls").write_text(textwrap.dedent(sls))
    conf = write_local_minion_config(tmp_path / "conf", tmp_path / "root", "compute3",
                                     file_roots={"base": [str(roots)]})
    salt_call = pathlib.Path(sys.executable).parent / "salt-call"
    proc = subprocess.run([str(salt_call), "--local", "--config-dir", str(conf), "--out", "json",
                           "state.apply", "t"], capture_output=True, text=True, timeout=120,
                          check=False)
    out = tmp_path / "highstate.json"
    out.write_text(proc.stdout)
    return out


def test_one_minions_state_run_is_judged_like_an_orchestration(tmp_path):
    out = _salt_call_state(tmp_path, f"""\
        common-packages:
          test.configurable_test_state:
            - result: False
            - changes: False
            - comment: "{APT_404}"
        firewall-packages:
          test.succeed_without_changes:
            - require:
              - test: common-packages
        other:
          test.succeed_with_changes: []
        """)
    proc = _run(out, "--minion", "compute3")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "FAIL state.highstate" in proc.stdout
    assert "compute3 3 states/1 changed" in proc.stdout
    assert "compute3: common-packages (test.configurable_test_state)" in proc.stdout
    assert "the package mirror" in proc.stdout


def test_one_minions_clean_run_passes_and_a_render_error_fails(tmp_path):
    out = _salt_call_state(tmp_path, """\
        fine:
          test.succeed_without_changes: []
        """)
    proc = _run(out, "--minion", "compute3", "--expect-no-changes=1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok   state.highstate" in proc.stdout
    broken = _salt_call_state(tmp_path / "b", "fine: [unclosed\n")
    proc = _run(broken, "--minion", "compute3")
    assert proc.returncode == 1 and "did not run" in proc.stdout, proc.stdout


def _changed_ids():
    """The ids of the states cold-trimmed.json changes (on any host)."""
    from salt_output import state_key  # noqa: PLC0415 - cluster/ is on sys.path above

    doc = json.loads((DATA / "cold-trimmed.json").read_text())
    ids = set()
    for step_key, step in doc["data"]["controller_master"].items():
        if not step_key.endswith("_|-state"):  # a salt.function step's answer
            continue
        for states in ((step.get("changes") or {}).get("ret") or {}).values():
            ids.update(state_key(key, ret)[0] for key, ret in states.items()
                       if isinstance(ret, dict) and ret.get("changes"))
    assert len(ids) > 2
    return sorted(ids)


def test_expected_changes_exactly():
    proc = _run(DATA / "cold-trimmed.json", "--expect-changes", ",".join(_changed_ids()))
    assert proc.returncode == 0, proc.stdout


def test_an_expected_change_missing_fails():
    ids = _changed_ids() + ["cloud-flavor-m1.small"]
    proc = _run(DATA / "cold-trimmed.json", "--expect-changes", ",".join(ids))
    assert proc.returncode == 1
    assert "NOT CHANGED, though it should have: cloud-flavor-m1.small" in proc.stdout


def test_an_unexpected_change_fails():
    ids = _changed_ids()
    proc = _run(DATA / "cold-trimmed.json", "--expect-changes", ",".join(ids[1:]))
    assert proc.returncode == 1
    assert "CHANGED, though only the expected states should have:" in proc.stdout
    assert f": {ids[0]} (" in proc.stdout
    assert "NOT CHANGED" not in proc.stdout
