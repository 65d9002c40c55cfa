#!/usr/bin/env python3
"""Print the test cluster's phase timings (bench/results/cluster.json,
written by `make cluster`): box build, machines up, cold orchestration,
re-run, add-compute.  The cold deploy and the re-run are the project's
headline performance figures.  Then each orchestration's profile, its
slowest states (cluster/orch_profile.py): where that time went.  Then the
cloud-resources benchmark (bench/cloud_resources.py, `cluster/run
bench-resources`): the states against the CLI loop they replaced.

    cluster_timings.py [--resources] [FILE]

--resources prints the benchmark alone."""
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
    "bench_resources": "cloud-resources benchmark (states and CLI, cleanups)",
    "add_compute": "add a compute (up + highstate + enrolment)",
    "verify_scaleout": "verify the added compute (an instance boots)",
    "total": "total",
}


def resources_lines(bench):
    """The cloud-resources benchmark, side by side, with the ratio."""
    if not bench:
        return ["cloud-resources benchmark: not run (cluster/run bench-resources)"]
    best, ratio = bench["best"], bench["ratio_cli_to_states"]
    lines = [f"cloud-resources benchmark ({bench.get('date')}): {bench['resources']} resources, "
             f"best of {bench['rounds']} round(s)",
             f"  {'':<24} {'states':>9} {'CLI loop':>9} {'CLI/states':>11}"]
    for phase, label in (("cold", "from nothing (cold)"), ("warm", "all present (warm)")):
        lines.append(f"  {label:<24} {best['states'][phase + '_s']:8.1f}s "
                     f"{best['cli'][phase + '_s']:8.1f}s {ratio[phase]:10.1f}x")
    return lines


def main(argv):
    args = argv[1:]
    only_resources = "--resources" in args
    args = [a for a in args if a != "--resources"]
    path = pathlib.Path(args[0] if args else pathlib.Path(__file__).parent / "results" / "cluster.json")
    if not path.exists():
        print(f"{path}: no cluster run recorded (make cluster)")
        return 0
    doc = json.loads(path.read_text())
    if only_resources:
        print("\n".join(resources_lines(doc.get("resources_bench"))))
        return 0
    print(f"test cluster on {doc.get('host')} ({doc.get('computes')} computes, {doc.get('date')})")
    for key, secs in doc.get("phases_s", {}).items():
        print(f"  {LABELS.get(key, key):<48} {float(secs):8.1f} s")
    partial = doc.get("profile_partial") or {}
    for key, rows in (doc.get("profile") or {}).items():
        note = f"; {partial[key]}" if key in partial else ""
        print(f"profile of the {LABELS.get(key, key)}: its {len(rows)} slowest states{note}")
        for line in orch_profile.format_rows(rows):
            print(line)
    print("\n".join(resources_lines(doc.get("resources_bench"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
