#!/usr/bin/env python3
"""Print the test cluster's phase timings (bench/results/cluster.json,
written by `make cluster`): box build, machines up, cold orchestration,
re-run, add-compute.  The cold deploy and the re-run are the project's
headline performance figures.  Then each orchestration's profile, its
slowest states (cluster/orch_profile.py): where that time went."""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "cluster"))
import orch_profile  # noqa: E402  pylint: disable=wrong-import-position

LABELS = {
    "deps": "host packages, lxc-net, apt proxy",
    "box": "box (build, or cached)",
    "machines_up": "machines up (vagrant up + salt provisioning)",
    "orchestrate_cold": "cold orchestration (deploy)",
    "orchestrate_rerun": "re-run (zero changes)",
    "image": "verification guest image (build, or cached)",
    "verify": "verify (checks 1-7, 11, 12)",
    "faults": "faults: compute stopped, restarted, volume healed",
    "add_compute": "add a compute (up + highstate + enrolment)",
    "verify_scaleout": "verify the added compute (an instance boots)",
    "total": "total",
}


def main(argv):
    path = pathlib.Path(argv[1] if len(argv) > 1 else pathlib.Path(__file__).parent / "results" / "cluster.json")
    if not path.exists():
        print(f"{path}: no cluster run recorded (make cluster)")
        return 0
    doc = json.loads(path.read_text())
    print(f"test cluster on {doc.get('host')} ({doc.get('computes')} computes, {doc.get('date')})")
    for key, secs in doc.get("phases_s", {}).items():
        print(f"  {LABELS.get(key, key):<48} {float(secs):8.1f} s")
    partial = doc.get("profile_partial") or {}
    for key, rows in (doc.get("profile") or {}).items():
        note = f"; {partial[key]}" if key in partial else ""
        print(f"profile of the {LABELS.get(key, key)}: its {len(rows)} slowest states{note}")
        for line in orch_profile.format_rows(rows):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
