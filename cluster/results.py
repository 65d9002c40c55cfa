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
