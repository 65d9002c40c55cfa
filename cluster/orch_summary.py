#!/usr/bin/env python3
"""Summarise `salt-run --out=json state.orchestrate` output.

    orch_summary.py FILE [--expect-no-changes=1] [--verify-json PATH]
    orch_summary.py FILE --expect-changes ID[,ID...]
    orch_summary.py FILE --minion ID     (FILE: salt-call --out=json state.highstate)

Prints one line per orchestration step (result, duration, states and
changes per host), then every failed state as `host: state id: comment`
and, with --expect-no-changes=1, every state that changed something.
Exit status 1 when a step failed (or something changed where nothing
should have), 0 otherwise; 3 when the only failures are packages that
could not be fetched (apt's network errors, and the states that failed
because of them): the package mirror, not the formulas, and worth a
second run once the mirror answers (cluster/run does that, once); 4 when
the only failures are Salt's transport failing to authenticate the
master's reply (TRANSPORT_ERRORS), also worth a second run, once.  With
--verify-json (and --expect-no-changes=1) the outcome is also written as
verify.py's check 8, "idempotency", for `verify.py --report`.  With
--expect-changes, the states that changed must be exactly the ones of
those ids (on any host), each of them: exit status 1 otherwise, naming
the ones that did not change and the ones that did but should not.
"""
import argparse
import json
import re
import sys

import results  # cluster/results.py, beside this file: the result document
from salt_output import parse_salt_json, state_key  # cluster/salt_output.py, beside this file
from verify import make_result  # cluster/verify.py, beside this file: check 8's result

# apt's own words when it could not fetch (indexes or packages)
FETCH_ERRORS = re.compile(
    r"does not have a Release file|Failed to fetch|Unable to fetch some archives"
    r"|Could not connect to|Unable to connect to|Temporary failure resolving"
    r"|Could not resolve|Hash Sum mismatch|Error reading from server"
    r"|Connection failed|Connection timed out")
# what follows from a failed fetch: a package missing from empty indexes,
# a state whose requisite failed
CONSEQUENCES = re.compile(r"Unable to locate package|One or more requisite failed")
MIRROR_FAILURE = 3
# Salt's own request channel: a minion could not authenticate the master's
# encrypted reply even after authenticating again (salt.crypt's
# AuthenticationError; saltstack/salt#69193, seen once in many cluster
# runs, in the middle of a step).  Salt, not the formulas: a second run
# converges.  Nothing else may have failed.
TRANSPORT_ERRORS = re.compile(r"message authentication failed")
TRANSPORT_FAILURE = 4


def load(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if not text.strip():
        raise SystemExit(f"orch_summary: {path} is empty (salt-run printed nothing)")
    data = parse_salt_json(text)  # salt-run may print warnings before the JSON
    if not data:
        raise SystemExit(f"orch_summary: {path} holds no JSON answer: {text.strip()[:300]}")
    return data


def state_label(key, ret):
    """pkg_|-id_|-name_|-installed -> "id (pkg.installed)"."""
    sid, fun = state_key(key, ret)
    return f"{sid} ({fun})" if fun else sid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--expect-no-changes", default="0")
    ap.add_argument("--verify-json", metavar="PATH")
    ap.add_argument("--expect-changes", metavar="ID,...",
                    help="the state ids that must change, and the only ones that may")
    ap.add_argument("--minion", metavar="ID",
                    help="FILE is one minion's salt-call --out=json state run")
    args = ap.parse_args()
    expect_none = args.expect_no_changes in ("1", "true", "yes")

    doc = load(args.file)
    if args.minion:
        doc = as_orchestration(doc, args.minion)
    data = doc.get("data", doc) if isinstance(doc, dict) else {}
    if not isinstance(data, dict) or not data:
        print(f"orch_summary: unexpected output: {str(doc)[:2000]}")
        return 1
    # {"<master>_master": {step key: step ret}}
    steps = {}
    for value in data.values():
        if isinstance(value, dict):
            steps.update(value)
        else:
            print(f"orch_summary: orchestration did not run: {value}")
            return 1

    failed, changed = [], []  # changed: (host, state id, label, changes)
    total_changes = 0
    for key, step in sorted(steps.items(), key=lambda kv: kv[1].get("__run_num__", 0)):
        name = state_label(key, step)
        ok = step.get("result")
        dur = step.get("duration", 0) / 1000.0
        inner = (step.get("changes") or {}).get("ret") or {}
        per_host = []
        is_state = key.startswith("salt_|-") and key.endswith("_|-state")
        if is_state and isinstance(inner, dict):
            for host, states in sorted(inner.items()):
                if not isinstance(states, dict):
                    failed.append((host, name, str(states)))
                    per_host.append(f"{host}: {states!s:.60}")
                    continue
                n = len(states)
                nchg = 0
                for skey, sret in states.items():
                    if not isinstance(sret, dict):
                        failed.append((host, skey, str(sret)))
                        continue
                    if sret.get("result") is False:
                        failed.append((host, state_label(skey, sret), sret.get("comment", "")))
                    if sret.get("changes"):
                        nchg += 1
                        changed.append((host, state_key(skey, sret)[0],
                                        state_label(skey, sret), sret.get("changes")))
                total_changes += nchg
                per_host.append(f"{host} {n} states/{nchg} changed")
        mark = "ok  " if ok else ("FAIL" if ok is False else "??? ")
        print(f"  {mark} {name:<34} {dur:7.1f}s  {', '.join(per_host)}")
        if ok is False and not is_state:
            failed.append(("(orchestration)", name, step.get("comment", "")))
        elif ok is False and not inner:
            failed.append(("(orchestration)", name, step.get("comment", "")))

    rc = 0
    if failed:
        rc = (MIRROR_FAILURE if mirror_failure(failed)
              else TRANSPORT_FAILURE if transport_failure(failed) else 1)
        print("FAILED states:")
        for host, sid, comment in failed:
            comment = str(comment).strip().replace("\n", "\n      ")
            print(f"  {host}: {sid}:\n      {comment[:3000]}")
        if rc == MIRROR_FAILURE:
            print("  (every failure is a package that could not be fetched: the package mirror)")
        if rc == TRANSPORT_FAILURE:
            print("  (every failure is Salt's transport: a minion could not authenticate"
                  " the master's reply, saltstack/salt#69193)")
    print(f"  {len(steps)} orchestration steps, {total_changes} states with changes")
    if expect_none and changed:
        rc = 1
        print("CHANGED on a run that should change nothing:")
        for host, _sid, label, chg in changed:
            print(f"  {host}: {label}: {json.dumps(chg, default=str)[:400]}")
    if args.expect_changes is not None:
        rc = max(rc, expected_changes(args.expect_changes, changed))
    if args.verify_json and expect_none:
        write_idempotency(args.verify_json, ok=rc == 0, steps=len(steps),
                          changed=[(host, label, chg) for host, _sid, label, chg in changed],
                          failed=failed)
    return rc


def expected_changes(spec, changed):
    """1 (and the differences printed) unless the states that changed
    (``changed``: [(host, state id, label, changes)]) are exactly the ids
    of ``spec`` (comma-separated), 0 otherwise."""
    want = {sid.strip() for sid in spec.split(",") if sid.strip()}
    unchanged = sorted(want - {sid for _host, sid, _label, _chg in changed})
    extra = [(host, label, chg) for host, sid, label, chg in changed if sid not in want]
    for sid in unchanged:
        print(f"NOT CHANGED, though it should have: {sid}")
    if extra:
        print("CHANGED, though only the expected states should have:")
        for host, label, chg in extra:
            print(f"  {host}: {label}: {json.dumps(chg, default=str)[:400]}")
    return 1 if unchanged or extra else 0


def as_orchestration(doc, minion):
    """One minion's state run ({"local": {state key: ret}}) as a one-step
    orchestration, so that it is summarised (and judged) the same way."""
    states = doc.get("local", doc) if isinstance(doc, dict) else doc
    if not isinstance(states, dict):
        return {"data": {"salt-call": [f"{minion}: {states}"]}}
    ok = all(isinstance(r, dict) and r.get("result") is not False for r in states.values())
    step = {"__id__": "state.highstate", "__run_num__": 0, "result": ok,
            "duration": sum(r.get("duration", 0) for r in states.values() if isinstance(r, dict)),
            "changes": {"ret": {minion: states}}}
    return {"data": {"salt-call": {"salt_|-state.highstate_|-highstate_|-state": step}}}


def only_failures_of(cause, failed):
    """True when CAUSE (a pattern of comments) failed at least once and
    every other failure is CAUSE too or follows from one (CONSEQUENCES).
    failed: [(host, state, comment)]."""
    comments = [str(comment) for _host, _sid, comment in failed]
    return (any(cause.search(c) for c in comments)
            and all(cause.search(c) or CONSEQUENCES.search(c) for c in comments))


def mirror_failure(failed):
    """True when apt could not fetch and nothing else went wrong."""
    return only_failures_of(FETCH_ERRORS, failed)


def transport_failure(failed):
    """True when Salt's request channel failed and nothing else did."""
    return only_failures_of(TRANSPORT_ERRORS, failed)


def write_idempotency(path, ok, steps, changed, failed):
    """The re-run's outcome as verify.py's check 8."""
    if ok:
        detail = f"second orchestration: {steps} steps, 0 changes, no service restarted"
    else:
        what = [f"{h}: {sid}" for h, sid, _ in (failed + changed)][:5]
        detail = (f"second orchestration: {len(failed)} failed, {len(changed)} changed: "
                  + "; ".join(what))
    res = make_result("idempotency", results.PASS if ok else results.FAIL, 0, detail)
    results.write_document(path, results.verify_document([res]))


if __name__ == "__main__":
    sys.exit(main())
