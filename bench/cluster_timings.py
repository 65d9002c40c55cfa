#!/usr/bin/env python3
"""Print the test cluster's phase timings (bench/results/cluster.json,
written by `make cluster`): box build, machines up, cold orchestration,
re-run, add-compute.  The cold deploy and the re-run are the project's
headline performance figures."""
import json
import pathlib
import sys

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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
