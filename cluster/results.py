#!/usr/bin/env python3
"""bench/results/cluster.json, the test cluster's figures: the one writer.

    results.py phases FILE HOST COMPUTES [NAME=SECONDS...]

writes the host, the number of computes, the date and the phase timings
(`phases_s`, in the order given) and keeps every other key of the file: the
orchestrations' profiles (orch_profile.py, `set_profile`) survive
cluster/run rewriting the timings after each phase.  Each write replaces
the file at once (a temporary file renamed over it).
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


def _number(text):
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def main(argv):
    if len(argv) < 4 or argv[0] != "phases":
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
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
