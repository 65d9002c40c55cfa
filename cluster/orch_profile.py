#!/usr/bin/env python3
"""Where an orchestration's time goes: its slowest states.

    orch_profile.py jids ORCH.json
        the job ids of the orchestration's salt.state steps, on one line
    orch_profile.py fetch [--config-dir /etc/salt] JID...
        (on the master, with Salt's Python) the minions' returns of those
        jobs from the master's job cache, each state cut down to what a
        profile needs, as one JSON document {jid: {minion: {state key: {...}}}}
    orch_profile.py report ORCH.json [--jobs JOBS.json] [--name NAME]
                           [--results cluster.json] [--top 15]
        prints the slowest states (host, state id, step id, seconds); with
        --results, stores them there under "profile"/NAME

ORCH.json is `salt-run --out=json state.orchestrate`'s output.  Each step
names the job it ran (`__jid__`), but a salt.state step carries its states'
returns only for the minions where something changed: a zero-change re-run
says nothing about where its time went.  The master's job cache has every
minion's full return, so the profile comes from there (`fetch`, run on the
master: one `vagrant ssh` for all the steps).  Without it (the cache did
not answer, or the job had expired) the profile is made of what the
orchestration's output holds, and says it is partial.  A salt.function step
(saltutil.sync_all, mine.update) has no states: it counts as one row, the
step's own duration.
"""
import argparse
import json
import pathlib
import sys

from salt_output import parse_salt_json, state_key  # cluster/salt_output.py, beside this file

TOP = 15
# what `fetch` keeps of each state's return
KEEP = ("__id__", "__sls__", "__run_num__", "start_time", "duration", "result")


def read_salt_json(path):
    """The JSON document Salt wrote to PATH, or None: PATH unreadable, or
    no document in it.  salt-run may print log lines before the document."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except OSError:
        return None
    if "{" not in text:
        return None
    try:
        return parse_salt_json(text)
    except ValueError:
        return None


def load_orchestration(path):
    """ORCH.json ({} when unreadable)."""
    return read_salt_json(path) or {}


def load_jobs(path):
    """`fetch`'s document, or None when the job cache did not answer."""
    return read_salt_json(path) if path else None


def steps(doc):
    """[(step key, step)] in the order they ran."""
    data = doc.get("data", doc) if isinstance(doc, dict) else {}
    found = {}
    for value in (data.values() if isinstance(data, dict) else ()):
        if isinstance(value, dict):
            found.update((k, v) for k, v in value.items() if isinstance(v, dict))
    return sorted(found.items(), key=lambda kv: kv[1].get("__run_num__", 0))


def _kind(key):
    """salt.state steps end in _|-state, salt.function ones in _|-function"""
    return key.rsplit("_|-", 1)[-1]


def jids(doc):
    """The jobs of the orchestration's salt.state steps, in the order they ran."""
    # Salt's job ids are digits only: anything else is not passed on (they
    # travel in a remote shell's command line).
    return [str(step["__jid__"]) for key, step in steps(doc)
            if _kind(key) == "state" and str(step.get("__jid__") or "").isdigit()]


def _seconds(ms):
    try:
        return round(float(ms) / 1000.0, 2)
    except (TypeError, ValueError):
        return 0.0


def state_rows(step, returns):
    """One row per state of {minion: {state key: return}}."""
    rows = []
    for host, states in sorted(returns.items()):
        if not isinstance(states, dict):
            continue  # a render error: a list of strings, no states ran
        for key, ret in states.items():
            if not isinstance(ret, dict):
                continue
            sid, fun = state_key(key, ret)
            rows.append({"host": host, "state": sid, "function": fun, "step": step,
                         "seconds": _seconds(ret.get("duration", 0))})
    return rows


def profile(doc, jobs=None):
    """(rows of every state, the steps whose returns came only from the
    orchestration's output).  jobs: `fetch`'s document, or None."""
    rows, without_cache = [], []
    for key, step in steps(doc):
        sid = state_key(key, step)[0]
        kind = _kind(key)
        inner = (step.get("changes") or {}).get("ret")
        inner = inner if isinstance(inner, dict) else {}
        if kind == "state":
            jid = step.get("__jid__")
            if not jid:
                continue  # did not run (a requisite failed): no job
            cached = (jobs or {}).get(str(jid)) or {}
            if not cached:
                without_cache.append(sid)
            # the cache has every minion that returned; the output may
            # still have one the cache lost
            rows.extend(state_rows(sid, {**inner, **cached}))
        else:
            hosts = ",".join(sorted(inner)) or "(master)"
            rows.append({"host": hosts, "state": step.get("name") or sid,
                         "function": f"salt.{kind}", "step": sid,
                         "seconds": _seconds(step.get("duration", 0))})
    return rows, without_cache


def slowest(rows, top=TOP):
    """The TOP slowest rows, slowest first (ties: host, state)."""
    return sorted(rows, key=lambda r: (-r["seconds"], r["host"], r["state"], r["step"]))[:top]


def partial_reason(doc, jobs, without_cache):
    """Why the profile misses states, or None when it is complete."""
    if not without_cache:
        return None
    ran = sum(1 for key, step in steps(doc) if _kind(key) == "state" and step.get("__jid__"))
    why = ("the master's job cache did not answer" if jobs is None
           else f"the master's job cache had no returns for {', '.join(without_cache)}")
    return (f"partial: {why}; {len(without_cache)} of {ran} state steps from the orchestration's "
            "output alone, which lists no state of a host that changed nothing")


def label(row):
    return f"{row['state']} ({row['function']})" if row.get("function") else row["state"]


def format_rows(rows):
    """The table `report` and bench/cluster_timings.py print."""
    lines = []
    for row in rows:
        host = row["host"] if "," not in row["host"] else f"{row['host'].count(',') + 1} hosts"
        lines.append(f"    {host:<12} {label(row):<52.52} {row['step']:<28.28}"
                     f" {row['seconds']:8.1f} s")
    return lines


def report(orch_path, jobs_path=None, name=None, results=None, top=TOP, out=sys.stdout):
    doc = load_orchestration(orch_path)
    if steps(doc):
        jobs = load_jobs(jobs_path)
        rows, without_cache = profile(doc, jobs)
        reason = partial_reason(doc, jobs, without_cache)
        top_rows = slowest(rows, top)
        source = reason or "from the master's job cache"
        print(f"  the {len(top_rows)} slowest of {len(rows)} states ({source}):", file=out)
        for line in format_rows(top_rows):
            print(line, file=out)
    else:
        top_rows, reason = [], "partial: the orchestration's output has no steps"
        print(f"  profile: {reason}", file=out)
    if results and name:
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        import results as results_file  # pylint: disable=import-outside-toplevel

        results_file.set_profile(results, name, top_rows, reason)
    return 0


def slim(ret):
    """A minion's return of a state job, each state cut down to KEEP."""
    if not isinstance(ret, dict):
        return str(ret)[:2000]
    return {key: ({k: state[k] for k in KEEP if k in state} if isinstance(state, dict)
                  else str(state)[:2000])
            for key, state in ret.items()}


def fetch(job_ids, config_dir="/etc/salt"):
    """{jid: {minion: slim return}} from the master's job cache (the
    returner jobs.lookup_jid reads: ext_job_cache, else master_job_cache),
    one loader for all the jobs."""
    import salt.config  # pylint: disable=import-outside-toplevel
    import salt.loader  # pylint: disable=import-outside-toplevel

    opts = salt.config.master_config(str(pathlib.Path(config_dir) / "master"))
    returner = opts.get("ext_job_cache") or opts["master_job_cache"]
    get_jid = salt.loader.returners(opts, {})[f"{returner}.get_jid"]
    found = {}
    for jid in job_ids:
        found[jid] = {minion: slim(ret.get("return") if isinstance(ret, dict) else ret)
                      for minion, ret in (get_jid(jid) or {}).items()}
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("jids")
    p.add_argument("orchestration")
    p = sub.add_parser("fetch")
    p.add_argument("--config-dir", default="/etc/salt")
    p.add_argument("jid", nargs="*")
    p = sub.add_parser("report")
    p.add_argument("orchestration")
    p.add_argument("--jobs")
    p.add_argument("--name")
    p.add_argument("--results")
    p.add_argument("--top", type=int, default=TOP)
    args = ap.parse_args(argv)
    if args.command == "jids":
        print(" ".join(jids(load_orchestration(args.orchestration))))
        return 0
    if args.command == "fetch":
        json.dump(fetch(args.jid, args.config_dir), sys.stdout, default=str)
        sys.stdout.write("\n")
        return 0
    return report(args.orchestration, args.jobs, args.name, args.results, args.top)


if __name__ == "__main__":
    sys.exit(main())
