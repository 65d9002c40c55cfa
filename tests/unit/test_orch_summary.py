"""
cluster/orch_summary.py on real ``salt-run --out=json state.orchestrate
openstack`` output from the LXC test cluster: rerun.json is a complete
second run (zero changes), cold-trimmed.json a first run with each host's
states cut down to two per step.
"""
import copy
import json
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data" / "orch"
SCRIPT = REPO / "cluster" / "orch_summary.py"


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
    assert res["result"] == "FAIL" and "0 failed, 25 changed" in res["detail"]


def test_a_failed_state_names_host_and_state(tmp_path):
    doc = json.loads((DATA / "cold-trimmed.json").read_text())
    steps = doc["data"]["controller_master"]
    step = next(s for s in steps.values() if s["__id__"] == "openstack-gateway-services")
    state_key, state = next(iter(step["changes"]["ret"]["gateway"].items()))
    state.update(result=False, comment="E: Unable to locate package neutron-l3-agent")
    step["result"] = False
    path = tmp_path / "failed.json"
    path.write_text(json.dumps(doc))
    proc = _run(path)
    assert proc.returncode == 1
    assert "FAIL openstack-gateway-services" in proc.stdout
    assert f"gateway: {state['__id__']}" in proc.stdout
    assert "Unable to locate package neutron-l3-agent" in proc.stdout


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_output_is_an_error(tmp_path, text):
    path = tmp_path / "empty.json"
    path.write_text(text)
    proc = _run(path)
    assert proc.returncode != 0 and "is empty" in (proc.stdout + proc.stderr)


def test_orchestration_that_did_not_render(tmp_path):
    path = tmp_path / "norender.json"
    path.write_text(json.dumps({"data": {"controller_master": [
        "Rendering SLS 'base:openstack' failed: openstack:hosts:compute1:address: not an IP"]}}))
    proc = _run(path)
    assert proc.returncode == 1 and "did not run" in proc.stdout and "not an IP" in proc.stdout
