#!/usr/bin/env python3
"""Print the test cluster's phase timings (bench/results/cluster.json,
written by `make cluster`): box build, machines up, cold orchestration,
re-run, add-compute.  The cold deploy and the re-run are the project's
headline performance figures.  Then each orchestration's profile, its
slowest states (cluster/orch_profile.py): where that time went.  Then the
cloud-resources benchmark (bench/cloud_resources.py, `cluster/run
bench-resources`): the states against the CLI loop they replaced.  Then
each machine's resident memory at the end of the run (cluster/results.py
memory_split), the package floor (cluster/floor.py, `make bench-floor`)
and the goals of issue 14 beside what was measured.

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
    "ceph": "test-only Ceph for rbd volumes (cluster/ceph.sh)",
    "orchestrate_cold": "cold orchestration (deploy)",
    "orchestrate_rerun": "re-run (zero changes)",
    "image": "verification guest image (build, or cached)",
    "verify": "verify (checks 1-7, 11, 12)",
    "faults": "faults: compute stopped, restarted, volume healed",
    "drift": "drift corrected, then zero changes",
    "rotate": "every secret rotated, then zero changes",
    "bench_resources": "cloud-resources benchmark (states and CLI, cleanups)",
    "add_compute": "add a compute (up + highstate + enrolment)",
    "verify_scaleout": "verify the added compute (an instance boots)",
    "replace": "replace a dead compute (destroyed, re-enrolled)",
    "retire": "retire the added compute",
    "memory": "memory of each machine (ps by unit)",
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


# Issue 14's goals for the 4-host cloud: (label, limit, unit).
GOALS = {
    "rerun": ("zero-change re-run", 30, "s"),
    "add_compute": ("add a compute", 120, "s"),
    "cloud_rss": ("cloud services' RSS, all hosts", 3072, "MiB"),
    "controller_rss": ("cloud services' RSS, controller", 1536, "MiB"),
    "floor_ratio": ("cold orchestration / package floor", 1.3, "x"),
}


def _pss(split, kind):
    """A machine's PSS of `kind`, None where the run recorded RSS alone."""
    return (split.get("pss") or {}).get(kind)


def memory_lines(memory):
    """Each machine's RSS by kind (MiB), the cloud's PSS, its largest cloud
    units, the totals."""
    if not memory:
        return ["memory: not recorded (make cluster records it at its end)"]
    lines = ["memory at the end of the run (MiB; RSS, and PSS, which counts a shared page once):",
             f"  {'machine':<30} {'cloud':>7} {'PSS':>7} {'salt':>7} {'guests':>7} {'system':>7}"
             f" {'testceph':>8}  largest cloud units (RSS/PSS)"]
    for name, split in memory.items():
        top = ", ".join(f"{unit} {mib[0]:.0f}" + (f"/{mib[1]:.0f}" if len(mib) > 1 else "")
                        for unit, *mib in split.get("top", []))
        pss = _pss(split, "cloud")
        lines.append(f"  {name:<30} {split['cloud']:7.0f} {'-' if pss is None else f'{pss:.0f}':>7} "
                     f"{split['salt']:7.0f} {split['guests']:7.0f} {split['system']:7.0f} "
                     f"{split.get('test_ceph', 0):8.0f}  {top}")
    # (test_ceph: the test cluster's own Ceph; absent from runs before it)
    total = {k: sum(s.get(k, 0) for s in memory.values())
             for k in ("cloud", "salt", "guests", "system", "test_ceph")}
    pss = _cloud_pss(memory)
    lines.append(f"  {'all machines':<30} {total['cloud']:7.0f} {'-' if pss is None else f'{pss:.0f}':>7} "
                 f"{total['salt']:7.0f} {total['guests']:7.0f} {total['system']:7.0f} "
                 f"{total['test_ceph']:8.0f}")
    return lines


def _cloud_pss(memory):
    """The cloud services' PSS over all machines; None unless every machine has it."""
    values = [_pss(split, "cloud") for split in memory.values()]
    return None if not values or None in values else sum(values)


def floor_lines(floor):
    """The package floor (cluster/floor.py): apt-get alone on fresh
    machines, all at once, against the cold orchestration on fresh
    machines from the same apt cache."""
    if not floor:
        return ["package floor: not measured (make bench-floor)"]
    lines = [f"package floor ({floor.get('date')}): one plain apt-get per machine, all at once, warm apt cache",
             f"  {'machine':<30} {'requested':>9} {'apt-get':>9}"]
    for name, host in floor["hosts"].items():
        lines.append(f"  {name:<30} {host['packages']:9d} {host['apt_s']:8.1f}s")
    lines.append(f"  {'floor (all at once)':<30} {'':>9} {floor['floor_s']:8.1f}s")
    attempts = floor.get("attempts", 1)
    lines.append(f"  {'cold orchestration, same cache':<30} {'':>9} {floor['orchestrate_cold_s']:8.1f}s"
                 + (f" ({attempts} attempts)" if attempts > 1 else ""))
    ratio = floor.get("ratio")
    lines.append(f"  ratio {'-' if ratio is None else f'{ratio:.2f}'} (goal <= {floor.get('goal_ratio')})")
    rows = floor.get("profile") or []
    if rows:
        lines.append(f"  profile of that cold orchestration: its {len(rows)} slowest states")
        lines.extend(orch_profile.format_rows(rows))
    return lines


def goal_lines(doc):
    """Issue 14's goals and the run's figures: met, missed or not measured;
    beside each RSS figure its PSS."""
    phases = doc.get("phases_s") or {}
    memory = doc.get("memory_mib") or {}
    controller = memory.get("controller") or {}
    measured = {"rerun": (phases.get("orchestrate_rerun"), None),
                "add_compute": (phases.get("add_compute"), None),
                "cloud_rss": ((sum(s["cloud"] for s in memory.values()), _cloud_pss(memory))
                              if memory else (None, None)),
                "controller_rss": (controller.get("cloud"), _pss(controller, "cloud"))}
    measured["floor_ratio"] = ((doc.get("floor") or {}).get("ratio"), None)
    lines = ["goals (issue 14):"]
    for key, (label, limit, unit) in GOALS.items():
        value, pss = measured[key]
        verdict = ("not measured" if value is None
                   else f"{float(value):.{2 if unit == 'x' else 0}f} {unit}: "
                        f"{'met' if value <= limit else 'missed'}")
        if value is not None and pss is not None:
            verdict += f" (PSS {pss:.0f} {unit})"
        lines.append(f"  {label:<38} <= {limit:>5} {unit:<4} {verdict}")
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
    print("\n".join(memory_lines(doc.get("memory_mib"))))
    print("\n".join(floor_lines(doc.get("floor"))))
    print("\n".join(goal_lines(doc)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
