#!/usr/bin/env python3
"""The test cluster's result files: the one writer of each.

bench/results/cluster.json, the test cluster's figures:

    results.py phases FILE HOST COMPUTES [NAME=SECONDS...]

writes the host, the number of computes, the date and the phase timings
(`phases_s`, in the order given) and keeps every other key of the file: the
orchestrations' profiles (orch_profile.py, `set_profile`) survive
cluster/run rewriting the timings after each phase.

    results.py bench-resources FILE DOCUMENT

keeps bench/cloud_resources.py's document (DOCUMENT, a JSON file) under
"resources_bench", with the date it was measured.

    results.py memory FILE DIR

replaces "memory_mib" with each machine's resident memory: DIR holds one
MACHINE.ps per machine, the output of `ps -eo rss=,pss=,unit=,comm=` in
it (each process's RSS and PSS in KiB, the systemd unit whose cgroup holds
it and its command), summed by kind (`memory_split`).

floor.py keeps the package floor under "floor" (`set_floor`).

    results.py reset FILE

empties the file for a new run of the cluster, keeping "floor" alone: a
benchmark of its own, run apart (`cluster/run floor`), with its own date.

The checks' result documents (.cluster/verify-*.json): verify.py,
dashboard.py and tempest.py build theirs with `verify_document` and write
them with `write_document`; `verify.py --report` merges them the same way.

Each write replaces the file at once (a temporary file renamed over it).
"""
import json
import os
import pathlib
import sys
import time


def load(path):
    """The document, {} when the file is missing or not a JSON object."""
    try:
        doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def write(path, doc):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def set_phases(path, host, computes, phases, date=None):
    """phases: [(name, seconds)]; everything else in the file is kept."""
    doc = {"host": host, "computes": computes,
           "date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "phases_s": {name: seconds for name, seconds in phases}}
    doc.update((k, v) for k, v in load(path).items() if k not in doc)
    write(path, doc)


def set_profile(path, name, rows, partial=None):
    """The slowest states of orchestration NAME; partial: why states are
    missing (kept under "profile_partial"), None when complete."""
    doc = load(path)
    doc.setdefault("profile", {})[name] = rows
    notes = doc.get("profile_partial") or {}
    notes.pop(name, None)
    if partial:
        notes[name] = partial
    if notes:
        doc["profile_partial"] = notes
    else:
        doc.pop("profile_partial", None)
    write(path, doc)


def set_resources_bench(path, bench, date=None):
    """bench/cloud_resources.py's figures, under "resources_bench"."""
    if not isinstance(bench, dict) or "ratio_cli_to_states" not in bench:
        raise ValueError("not a bench/cloud_resources.py document")
    doc = load(path)
    doc["resources_bench"] = dict(
        bench, date=date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    write(path, doc)


# What a systemd unit's processes are, for the memory figures: Salt's
# daemons, the cloud's guests (libvirt's machine scopes), the base system
# (and the commands that measured it), the test cluster's own Ceph
# (cluster/ceph.sh: test infrastructure, in no cloud figure of issue 14);
# every other unit is a cloud service (the OpenStack APIs and agents,
# MariaDB, RabbitMQ, OVN, libvirt, GlusterFS...): an unknown unit counts
# against the cloud, never for it.
SALT_UNITS = ("salt-",)
TEST_CEPH_UNITS = ("ceph-",)
GUEST_UNITS = ("machine-qemu",)
# Commands whose kind is theirs wherever they run: the GlusterFS client of
# a share Salt mounted (cmd.run) sits in salt-minion.service; a guest
# outside a machine scope in libvirt's.
GUEST_COMMANDS = ("qemu-system", "qemu-kvm")
CLOUD_COMMANDS = ("glusterfs",)
SYSTEM_UNITS = ("init.scope", "systemd-", "dbus.", "ssh.", "console-getty.", "getty@",
                "cron.", "session-", "user@", "run-", "rsyslog.", "chrony.", "polkit.")


def unit_kind(unit, command=""):
    """"salt", "guests", "system", "test_ceph" or "cloud" for a process's
    systemd unit name ("-": in no unit, the system's) and command."""
    if command.startswith(GUEST_COMMANDS):
        return "guests"
    if command.startswith(CLOUD_COMMANDS):
        return "cloud"
    if unit == "-":
        return "system"
    for kind, prefixes in (("salt", SALT_UNITS), ("guests", GUEST_UNITS),
                           ("system", SYSTEM_UNITS), ("test_ceph", TEST_CEPH_UNITS)):
        if unit.startswith(prefixes):
            return kind
    return "cloud"


def memory_split(ps_text, top=5):
    """
    `ps -eo rss=,pss=,unit=,comm=` (RSS and PSS in KiB, unit, command; the
    command may be missing) -> {"cloud", "salt", "guests", "system", "test_ceph": MiB of
    RSS, "pss": {the same kinds: MiB of PSS}, "top": [[unit, RSS MiB, PSS
    MiB], ...] the `top` largest cloud units by RSS}.  ValueError on a line
    that is not "KIB KIB UNIT [COMMAND]".  "pss" is None when ps could not
    read a process's PSS (it prints 0 beside a non-zero RSS).

    RSS counts a page shared by several processes (a forked worker's copy
    of its parent, a library) once in each; PSS divides it among them, so
    PSS sums to what the machine really holds.
    """
    kinds = {"cloud": 0, "salt": 0, "guests": 0, "system": 0, "test_ceph": 0}
    pss = dict(kinds)
    units = {}
    unreadable = 0  # processes with an RSS whose PSS ps could not read (it prints 0)
    for line in ps_text.splitlines():
        if not line.strip():
            continue
        parts = line.split(None, 3)
        if len(parts) < 3 or not (parts[0].isdigit() and parts[1].isdigit()):
            raise ValueError(f"not 'RSS PSS UNIT [COMMAND]': {line!r}")
        rss_kib, pss_kib, unit = int(parts[0]), int(parts[1]), parts[2]
        unreadable += rss_kib > 0 and pss_kib == 0
        command = parts[3].strip() if len(parts) == 4 else ""
        kind = unit_kind(unit, command)
        kinds[kind] += rss_kib
        pss[kind] += pss_kib
        if kind == "cloud":
            if command.startswith(CLOUD_COMMANDS) and unit_kind(unit) != "cloud":
                unit = f"{command} (in {unit})"
            sums = units.setdefault(unit, [0, 0])
            sums[0] += rss_kib
            sums[1] += pss_kib
    split = {kind: round(kib / 1024, 1) for kind, kib in kinds.items()}
    # A PSS that misses processes would undercount: none rather than a wrong one.
    split["pss"] = (None if unreadable else
                    {kind: round(kib / 1024, 1) for kind, kib in pss.items()})
    split["top"] = [[unit, round(r / 1024, 1)] + ([] if unreadable else [round(p / 1024, 1)])
                    for unit, (r, p) in
                    sorted(units.items(), key=lambda item: (-item[1][0], item[0]))[:top]]
    return split


def set_memory(path, machines):
    """machines: {machine: memory_split(...)}; replaces "memory_mib"."""
    doc = load(path)
    doc["memory_mib"] = {name: machines[name] for name in sorted(machines)}
    write(path, doc)


def reset(path):
    """A new run's file: nothing but the package floor, when measured."""
    kept = {k: v for k, v in load(path).items() if k in KEPT}
    if kept:
        write(path, kept)
    else:
        pathlib.Path(path).unlink(missing_ok=True)


# What a new run of the cluster keeps (reset): the benchmarks run apart.
KEPT = ("floor",)


def set_floor(path, floor):
    """floor: floor.py's document (the package floor against the cold
    orchestration); replaces "floor", keeps the rest."""
    doc = load(path)
    doc["floor"] = floor
    write(path, doc)


# A check's result, and a run's exit status, in the checks' documents.
PASS = "PASS"
FAIL = "FAIL"
NOT_RUNNABLE = "NOT RUNNABLE"
SKIPPED = "SKIPPED"
RESULTS = (PASS, FAIL, NOT_RUNNABLE, SKIPPED)
EXIT_OK = 0
EXIT_FAIL = 1
EXIT_ERROR = 2


def summarize(results):
    """{result: how many checks had it}, every result named."""
    counts = {r: 0 for r in RESULTS}
    for res in results:
        counts[res["result"]] += 1
    return counts


def exit_code(results):
    """0 when no check failed, 1 otherwise."""
    return EXIT_FAIL if any(r["result"] == FAIL for r in results) else EXIT_OK


def verify_document(results, started=None, seconds=None, code=None, **extra):
    """
    A run's result document (the --json of verify.py, dashboard.py and
    tempest.py, and --report's merge): when it started (epoch seconds) and
    how long it took, when given, what else the caller adds (auth_url, url,
    error, merged_from...), then its results with their summary and exit
    code (computed from the results unless given, e.g. 2: the run could
    not start).
    """
    doc = {}
    if started is not None:
        doc["started"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    if seconds is not None:
        doc["seconds"] = round(seconds, 1)
    doc.update(extra)
    doc.update({"results": results, "summary": summarize(results),
                "exit_code": exit_code(results) if code is None else code})
    return doc


def write_document(path, doc):
    """A result document to path (nothing without one)."""
    if path:
        write(path, doc)


def _number(text):
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def main(argv):
    if len(argv) == 3 and argv[0] == "bench-resources":
        try:
            set_resources_bench(argv[1], json.loads(pathlib.Path(argv[2]).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            print(f"results.py bench-resources: {argv[2]}: {exc}", file=sys.stderr)
            return 2
        return 0
    if len(argv) == 2 and argv[0] == "reset":
        reset(argv[1])
        return 0
    if len(argv) == 3 and argv[0] == "memory":
        try:
            machines = {ps.stem: memory_split(ps.read_text(encoding="utf-8"))
                        for ps in sorted(pathlib.Path(argv[2]).glob("*.ps"))}
            if not machines:
                raise ValueError("no MACHINE.ps file")
        except (OSError, ValueError) as exc:
            print(f"results.py memory: {argv[2]}: {exc}", file=sys.stderr)
            return 2
        set_memory(argv[1], machines)
        return 0
    if len(argv) < 4 or argv[0] != "phases":
        print("\n".join(line.strip() for line in __doc__.splitlines()
                        if line.startswith("    results.py")), file=sys.stderr)
        return 2
    path, host, computes = argv[1:4]
    phases = []
    for item in argv[4:]:
        name, _, seconds = item.partition("=")
        phases.append((name, _number(seconds)))
    set_phases(path, host, _number(computes), phases)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
