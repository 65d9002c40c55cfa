#!/usr/bin/env python3
"""
Tempest's smoke set against the cloud, from a machine outside it (issue
10).  Runs ON THE TESTER as root (cluster/run tempest), or on any host with
Debian's tempest, python3-openstacksdk and python3-subunit:

    python3 cluster/tempest.py [--workspace DIR] [--out DIR] [--json PATH]
        [--exclude-list FILE] [--concurrency N] [--regex REGEX]
        [-- tempest_conf.py options, e.g. --facts F --no-validation]

1. tempest_conf.py generates tempest.conf from the cloud (admin openrc,
   facts, options); it is written into the workspace (`tempest init`),
   mode 0600, and a copy without the password goes to OUT/tempest.conf;
2. `tempest run --smoke --exclude-list FILE --concurrency N` (or --regex);
3. the run's subunit stream is kept as OUT/tempest.subunit, and a JUnit XML
   written from it (python3-subunit) as OUT/tempest-junit.xml;
3b. when one to RETRY_LIMIT tests failed, they run once more, alone
   (`--load-list`; stream OUT/tempest-retry.subunit).  A test that then
   passes counts as passed and is named as flaky in the output, the
   check's detail and the JSON ("flaky"); one that fails again fails the
   run.  `--no-retry` (CLUSTER_TEMPEST_RETRY=0) turns this off.  With
   `--reset-dir DIR` (cluster/run's), the chassis are reset first
   (request_reset: cluster/chassis-reset.sh on each, answered by
   cluster/run) and the detail says "retry N s after a chassis reset";
4. it prints passed/failed/skipped counts and each failing test id with its
   first error line, and writes verify.py's JSON (check `tempest`, the
   counts in its detail) to --json for cluster/run's merged table.

Exit status: 0 every test that ran passed, 1 a test failed (or none ran),
2 Tempest could not be set up (`tempest init` or another setup command
failed, configuration, credentials): the check `tempest` FAILs with the
command's last output lines, never a traceback.

    python3 cluster/tempest.py remote-command --script PATH --json PATH
        --facts PATH --openrc PATH --dashboard-url URL

prints the command line cluster/run runs on the tester (one string for its
remote shell): the CLUSTER_TEMPEST_* environment variables
(`TEMPEST_ENV`) validated, every word quoted.  A bad value is refused
(exit 2) naming the variable.
"""
import argparse
import io
import os
import shlex
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import results  # noqa: E402  cluster/results.py: the result document
import verify  # noqa: E402  cluster/verify.py: make_result, PASS/FAIL
import tempest_conf  # noqa: E402

PASSED = ("success", "xfail")
FAILED = ("fail", "uxsuccess")
SKIPPED = ("skip",)


# --------------------------------------------------------------------------
# Pure logic (unit-tested in tests/unit/test_tempest_run.py)
# --------------------------------------------------------------------------

def read_subunit(data):
    """
    [{"id", "status", "seconds", "details": {name: text}}] from a subunit
    byte stream (v2, or v1 as stestr's repository keeps it), in the order
    the tests finished.  Needs python3-subunit.
    """
    import subunit
    import testtools
    import testtools.content

    tests = []

    def on_test(test):
        if test["status"] in ("exists", None):
            return
        if test["status"] == "inprogress":
            # Started, never finished: its worker died.  A failure, never
            # silently dropped (a passing retry must not hide it).
            test = dict(test, status="fail", details={
                "reason": testtools.content.text_content(
                    "started but never finished (its worker stopped)")})
        start, end = (test.get("timestamps") or [None, None])[:2]
        secs = (end - start).total_seconds() if start and end else 0.0
        details = {}
        for name, content in (test.get("details") or {}).items():
            try:
                details[name] = content.as_text()
            except Exception:  # noqa: BLE001 - binary attachments
                continue
        tests.append({"id": test["id"], "status": test["status"], "seconds": round(secs, 2),
                      "details": details})

    result = testtools.StreamToDict(on_test)
    if data[:1] == b"\xb3":  # subunit v2's signature byte
        stream = subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout")
    else:
        # stestr's repository keeps v1 ("time: ...", "test: ..." lines).
        stream = subunit.ProtocolTestCase(io.BytesIO(data))
        result = testtools.ExtendedToStreamDecorator(result)
    result.startTestRun()
    try:
        stream.run(result)
    finally:
        result.stopTestRun()
    return tests


def test_name(test_id):
    """A test id without its tags ("...test_x[id-...,smoke]" -> "...test_x")."""
    return test_id.split("[", 1)[0]


def short_name(test_id):
    """A test's method name ("...TestX.test_b[id-1]" -> "test_b"); a class
    fixture's kind and class ("setUpClass (tempest....TestX)" -> "setUpClass TestX")."""
    name = test_name(test_id)
    if " (" in name:
        fixture, _, cls = name.partition(" (")
        return f"{fixture} {cls.rstrip(')').rsplit('.', 1)[-1]}"
    return name.rsplit(".", 1)[-1]


def counts(tests):
    c = {"passed": 0, "failed": 0, "skipped": 0}
    for t in tests:
        if t["status"] in PASSED:
            c["passed"] += 1
        elif t["status"] in FAILED:
            c["failed"] += 1
        elif t["status"] in SKIPPED:
            c["skipped"] += 1
    c["ran"] = c["passed"] + c["failed"]
    return c


def first_error_line(test):
    """
    The line that names the error: the exception line of the traceback
    ("tempest.exceptions.BuildErrorException: Server ... failed to build"),
    else the first non-empty line of any detail.
    """
    text = test["details"].get("traceback") or ""
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(text.splitlines()):
        if line and not line[0].isspace() and not line.startswith("Traceback"):
            # Tempest's REST errors say what went wrong on the next line.
            if i + 1 < len(lines) and lines[i + 1].startswith("Details:"):
                return f"{line.strip()} {lines[i + 1]}"
            return line.strip()
    for name in ("traceback", "reason", "pythonlogging:''"):
        for line in (test["details"].get(name) or "").splitlines():
            if line.strip():
                return line.strip()
    return "(no error text in the subunit stream)"


def skip_reason(test):
    return (test["details"].get("reason") or "").strip()


def junit_xml(tests, name="tempest"):
    """A JUnit XML document (str) of the tests: failures with their traceback, skips with their reason."""
    c = counts(tests)
    suite = ET.Element("testsuite", name=name, tests=str(len(tests)), failures=str(c["failed"]),
                       errors="0", skipped=str(c["skipped"]),
                       time=f"{sum(t['seconds'] for t in tests):.2f}")
    for t in tests:
        tid = test_name(t["id"])
        classname, _, method = tid.rpartition(".")
        if not classname:  # "setUpClass (tempest.api....Class)"
            classname, method = tid, tid
        case = ET.SubElement(suite, "testcase", classname=classname, name=method,
                             time=f"{t['seconds']:.2f}")
        if t["status"] in FAILED:
            fail = ET.SubElement(case, "failure", message=first_error_line(t)[:500],
                                 type="uxsuccess" if t["status"] == "uxsuccess" else "failure")
            fail.text = t["details"].get("traceback") or ""
        elif t["status"] in SKIPPED:
            ET.SubElement(case, "skipped", message=skip_reason(t)[:500])
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def summary_lines(tests):
    """Human lines: the counts, then each failing test with its first error line."""
    c = counts(tests)
    lines = [f"tempest: {c['ran']} ran, {c['passed']} passed, {c['failed']} failed, "
             f"{c['skipped']} skipped"]
    for t in tests:
        if t["status"] in FAILED:
            lines.append(f"FAILED {test_name(t['id'])}: {first_error_line(t)}")
    return lines


def result_detail(tests, extra=""):
    """The `tempest` check's one-line detail: counts, then the failed tests' short names."""
    c = counts(tests)
    detail = (f"smoke: {c['ran']} ran, {c['passed']} passed, {c['failed']} failed, "
              f"{c['skipped']} skipped")
    failed = [short_name(t["id"]) for t in tests if t["status"] in FAILED]
    if failed:
        detail += "; failed: " + ", ".join(failed)
    return detail + (f"; {extra}" if extra else "")


#: A run with more failed tests than this is not retried: that many
#: failures say the cloud is broken, not that a test met bad luck.
RETRY_LIMIT = 3


def retry_ids(tests, limit=RETRY_LIMIT):
    """
    The ids (with their tags, as `tempest run --load-list` wants them) of
    the failed tests to run once more, alone: none when more than `limit`
    failed, and never a class fixture ("setUpClass (tempest....)"), which
    no id list can select.
    """
    failed = [t["id"] for t in tests if t["status"] in FAILED]
    if len(failed) > limit or any(" " in tid for tid in failed):
        return []
    return failed


def merge_retry(tests, retried):
    """
    (tests, flaky): `tests` with each failed test's result replaced by its
    retry's pass or failure, and [(name, the first run's error line)] of
    the tests that failed and then passed.  A test the retry did not run,
    or skipped, keeps its first failure.
    """
    again = {t["id"]: t for t in retried}
    merged, flaky = [], []
    for t in tests:
        second = again.get(t["id"]) if t["status"] in FAILED else None
        if second is None:
            merged.append(t)
            continue
        if second["status"] in PASSED:
            merged.append(second)
            flaky.append((test_name(t["id"]), first_error_line(t)))
        elif second["status"] in FAILED:
            merged.append(second)
        else:  # skipped on the retry: the first run's failure stands
            merged.append(t)
    return merged, flaky


def flaky_detail(flaky):
    """The detail's words for tests that passed only on their retry."""
    return "; ".join(f"passed only on its retry: {short_name(name)} (first run: {error})"
                     for name, error in flaky)


#: Seconds the retry waits for cluster/run's chassis reset.  Its own
#: bounds (120 s per chassis, 150 s for OVN, 180 s for the agents) stay
#: below this for up to ten chassis: a reset never overlaps the retry.
RESET_WAIT = 1800


def request_reset(reset_dir, names, wait=RESET_WAIT, poll=2.0,
                  clock=time.monotonic, sleep=time.sleep):
    """
    Ask for the chassis reset before the retry and wait for it: `names`
    (the tests to run again) go to RESET_DIR/request; cluster/run, which
    watches that directory on the host (the tester's /vagrant), runs
    cluster/chassis-reset.sh on every chassis and writes RESET_DIR/done,
    a line per machine.  Returns that text, or None when nothing answered
    within `wait` seconds (the retry then runs without).
    """
    os.makedirs(reset_dir, exist_ok=True)
    done = os.path.join(reset_dir, "done")
    if os.path.exists(done):
        os.unlink(done)                      # an earlier run's
    tmp = os.path.join(reset_dir, "request.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("".join(f"{name}\n" for name in names))
    os.replace(tmp, os.path.join(reset_dir, "request"))
    deadline = clock() + wait
    while True:
        try:
            with open(done, encoding="utf-8") as fh:
                return fh.read().strip()
        except FileNotFoundError:
            if clock() >= deadline:
                return None
            sleep(poll)


def reset_note(answer):
    """The detail's words for the chassis reset before the retry, from
    cluster/run's answer (None: none answered): what went wrong in it is
    said, never only that there was one."""
    if answer is None:
        return " (a chassis reset was asked for: no answer)"
    failed = [line for line in answer.splitlines()
              if "(exit " in line or "failed" in line or ": no" in line]
    if not answer.strip():
        return " after a chassis reset (no lines in its answer)"
    if failed:
        return " after an incomplete chassis reset (" + "; ".join(failed) + ")"
    return " after a chassis reset"


def verdict(tests):
    """verify.py's result: FAIL when a test failed or none ran."""
    c = counts(tests)
    return verify.FAIL if c["failed"] or not c["ran"] else verify.PASS


def tempest_result(tests, seconds, extra="", error=None):
    """verify.py's result dict for the `tempest` check."""
    if error:
        res = verify.make_result("tempest", verify.FAIL, seconds, error)
    else:
        res = verify.make_result("tempest", verdict(tests), seconds, result_detail(tests, extra))
    res["title"] = "Tempest smoke set (Debian's tempest)"
    return res


class SetupFailed(Exception):
    """Tempest could not be set up: the check fails with this reason."""


def output_tail(text, lines=6, limit=600):
    """A command's last non-empty output lines, on one line, at most `limit`
    characters (the end kept)."""
    kept = [line.strip() for line in (text or "").splitlines() if line.strip()][-lines:]
    tail = " | ".join(kept) or "(no output)"
    return tail if len(tail) <= limit else "..." + tail[-(limit - 3):]


def run_setup(cmd, **kwargs):
    """
    A setup command (`tempest init`): its output, or SetupFailed naming the
    command, its exit status (or why it could not start) and its output's
    tail.
    """
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", check=False, **kwargs)
    except OSError as exc:
        raise SetupFailed(f"{shlex.join(cmd)} could not start: {exc}") from None
    if proc.returncode != 0:
        raise SetupFailed(f"{shlex.join(cmd)} exited {proc.returncode}: {output_tail(proc.stdout)}")
    return proc.stdout


#: cluster/run's environment for the phase: variable -> (kind, default,
#: what it sets).  A flag is 0 or 1; a count is a whole number >= 1.
TEMPEST_ENV = {
    "CLUSTER_TEMPEST_VALIDATION": ("flag", "1", "SSH into Tempest's servers"),
    "CLUSTER_TEMPEST_CONCURRENCY": ("count", "2", "Tempest's workers"),
    "CLUSTER_TEMPEST_BUILD_TIMEOUT": ("count", "300", "build_timeout in seconds"),
    "CLUSTER_TEMPEST_RETRY": ("flag", "1", "run a few failed tests once more, alone"),
}


def tempest_env(env):
    """
    {variable: int} of TEMPEST_ENV from `env` (defaults for unset or empty
    ones).  ValueError naming the variable for a value that is no flag or
    count, and for an unknown CLUSTER_TEMPEST_* variable (a typo would
    otherwise be ignored).
    """
    for name in sorted(env):
        if name.startswith("CLUSTER_TEMPEST_") and name not in TEMPEST_ENV:
            raise ValueError(f"{name}: unknown (known: {', '.join(sorted(TEMPEST_ENV))})")
    values = {}
    for name, (kind, default, what) in TEMPEST_ENV.items():
        text = env.get(name) or default
        if kind == "flag" and text not in ("0", "1"):
            raise ValueError(f"{name}={text!r}: must be 0 or 1 ({what})")
        if kind == "count" and not (text.isascii() and text.isdigit() and int(text) >= 1):
            raise ValueError(f"{name}={text!r}: must be a whole number >= 1 ({what})")
        values[name] = int(text)
    return values


#: Where cluster/run answers the retry's chassis reset (request_reset): its
#: .cluster/tempest/reset, as the tester sees it.
RESET_DIR = "/vagrant/.cluster/tempest/reset"


def remote_command(env, script, json_path, facts, openrc, dashboard_url):
    """The command line (this script at `script` on the tester) cluster/run
    runs there, for its remote shell: the environment's values validated
    (tempest_env), every word quoted."""
    values = tempest_env(env)
    cmd = ["python3", script, "--json", json_path, "--concurrency", str(values["CLUSTER_TEMPEST_CONCURRENCY"])]
    if values["CLUSTER_TEMPEST_RETRY"]:
        cmd += ["--reset-dir", RESET_DIR]
    else:
        cmd += ["--no-retry"]
    cmd += ["--", "--openrc", openrc, "--facts", facts]
    if values["CLUSTER_TEMPEST_VALIDATION"]:
        # Tempest logs in to its servers over SSH (floating IP, its key
        # pair; the guest's dropbear, cluster/build-image.sh) as root.
        cmd += ["--validation", "--image-ssh-user", "root"]
    else:
        cmd += ["--no-validation"]
    cmd += ["--dashboard-url", dashboard_url,
            "--build-timeout", str(values["CLUSTER_TEMPEST_BUILD_TIMEOUT"])]
    return shlex.join(cmd)


def latest_stream(stestr_dir):
    """Path of the newest run's subunit file in a stestr repository, or None."""
    try:
        with open(os.path.join(stestr_dir, "next-stream"), encoding="utf-8") as fh:
            last = int(fh.read().strip()) - 1
    except (OSError, ValueError):
        return None
    path = os.path.join(stestr_dir, str(last))
    return path if last >= 0 and os.path.exists(path) else None


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

def log(msg):
    print(f"[tempest] {msg}", flush=True)


def write_json(path, checks, started, seconds, extra=None, code=None):
    results.write_document(path, results.verify_document(checks, started, seconds, code=code,
                                                         **(extra or {})))


def parse_remote_args(argv):
    p = argparse.ArgumentParser(prog="tempest.py remote-command",
                                description="Print the tester's command line (CLUSTER_TEMPEST_* "
                                            "validated, every word quoted).")
    for opt in ("--script", "--json", "--facts", "--openrc", "--dashboard-url"):
        p.add_argument(opt, required=True)
    return p.parse_args(argv)


def print_remote_command(argv, env):
    args = parse_remote_args(argv)
    try:
        print(remote_command(env, args.script, args.json, args.facts, args.openrc,
                             args.dashboard_url))
    except ValueError as exc:
        print(f"tempest: {exc}", file=sys.stderr)
        return 2
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(description="Tempest's smoke set against the cloud.",
                                epilog="Arguments after -- go to tempest_conf.py.")
    p.add_argument("--workspace", default="/root/tempest-workspace")
    p.add_argument("--out", default="/vagrant/.cluster/tempest",
                   help="subunit stream, JUnit XML, redacted tempest.conf, log")
    p.add_argument("--json", help="verify.py-style result file (check tempest)")
    p.add_argument("--exclude-list", default=os.path.join(HERE, "tempest-exclude.txt"))
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--regex", help="run these tests instead of --smoke")
    p.add_argument("--list", action="store_true", help="only list the tests the run would run")
    p.add_argument("--no-retry", dest="retry", action="store_false",
                   help="do not run failed tests once more")
    p.add_argument("--reset-dir",
                   help="before the retry, ask the host watching this directory to reset "
                        "the chassis (cluster/run; cluster/chassis-reset.sh) and wait for it")
    own, rest = [], []
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        own, rest = argv[:i], argv[i + 1:]
    else:
        own = argv
    args = p.parse_args(own)
    args.conf_args = tempest_conf.parse_args(rest)
    return args


def setup(args):
    """
    The workspace (`tempest init`, once), the output directory and
    tempest.conf (0600 in the workspace, a copy without the password in
    OUT): (conf text, the cloud's answers).  SetupFailed says what failed.
    """
    # 1. The workspace: `tempest init` needs no cloud, so a broken Tempest
    # is told before the cloud is asked anything.
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise SetupFailed(f"--out {args.out}: {exc}") from None
    etc = os.path.join(args.workspace, "etc")
    if not os.path.isdir(etc):
        run_setup(["tempest", "init", args.workspace])
        if not os.path.isdir(etc):
            raise SetupFailed(f"tempest init {args.workspace} made no {etc}")
    # 2. The configuration.
    try:
        conf_text, cloud = tempest_conf.generate(args.conf_args)
    except (OSError, ValueError, SystemExit) as exc:
        raise SetupFailed(f"tempest.conf could not be generated: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the cloud's answers
        raise SetupFailed(f"tempest.conf could not be generated: {type(exc).__name__}: "
                          f"{exc}") from None
    try:
        tempest_conf.write_private(os.path.join(etc, "tempest.conf"), conf_text)
        with open(os.path.join(args.out, "tempest.conf"), "w", encoding="utf-8") as fh:
            fh.write(tempest_conf.redact_conf(conf_text))
    except OSError as exc:
        raise SetupFailed(f"tempest.conf could not be written: {exc}") from None
    return conf_text, cloud


class RunFailed(Exception):
    """`tempest run` left no result to read."""


def run_tempest(cmd, workspace, log_path, keep_as, mode="w"):
    """
    (exit status, tests) of `cmd` (a `tempest run`) in `workspace`, its
    output shown and written to `log_path`, its subunit stream copied to
    `keep_as`; RunFailed when it could not start or left no new stream.
    """
    log("$ " + " ".join(cmd))
    # The workspace outlives runs: only a stream this run wrote counts.
    before = latest_stream(os.path.join(workspace, ".stestr"))
    try:
        with open(log_path, mode, encoding="utf-8") as logf:
            proc = subprocess.Popen(cmd, cwd=workspace, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, errors="replace")
            for line in proc.stdout:
                sys.stdout.write(line)
                logf.write(line)
            rc = proc.wait()
    except OSError as exc:
        raise RunFailed(f"{shlex.join(cmd)} could not start: {exc}") from None
    stream = latest_stream(os.path.join(workspace, ".stestr"))
    if not stream or stream == before:
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            tail = output_tail(fh.read())
        raise RunFailed(f"tempest run left no new subunit stream (exit {rc}; {log_path}): {tail}")
    try:
        shutil.copyfile(stream, keep_as)
        with open(stream, "rb") as fh:
            tests = read_subunit(fh.read())
    except Exception as exc:  # noqa: BLE001 - a stream python3-subunit cannot read, a full disk
        raise RunFailed(f"the subunit stream {stream} could not be kept or read: "
                        f"{type(exc).__name__}: {exc}") from None
    return rc, tests


def write_junit(out, tests):
    """The tests' JUnit XML in `out`."""
    with open(os.path.join(out, "tempest-junit.xml"), "w", encoding="utf-8") as fh:
        fh.write(junit_xml(tests))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["remote-command"]:
        return print_remote_command(argv[1:], os.environ)
    args = parse_args(argv)
    started = time.time()
    t0 = time.monotonic()

    def fail_setup(msg):
        log(msg)
        if args.json:
            write_json(args.json, [tempest_result([], time.monotonic() - t0, error=msg)],
                       started, time.monotonic() - t0, code=2)
        return 2

    try:
        conf_text, cloud = setup(args)
    except SetupFailed as exc:
        return fail_setup(str(exc))
    log(f"tempest.conf generated in {time.monotonic() - t0:.1f} s (copy without the password: "
        f"{args.out}/tempest.conf)")
    vol = ", ".join(f"{s.get('binary')}@{s.get('host')} {s.get('state')}"
                    for s in cloud.get("volume_services") or [])
    if vol:
        log(f"cinder services: {vol}")

    # 3. The run.
    cmd = ["tempest", "run", "--concurrency", str(args.concurrency)]
    cmd += ["--regex", args.regex] if args.regex else ["--smoke"]
    if args.exclude_list:
        cmd += ["--exclude-list", args.exclude_list]
    if args.list:
        cmd += ["--list-tests"]
        try:
            return subprocess.run(cmd, cwd=args.workspace, check=False).returncode
        except OSError as exc:
            return fail_setup(f"{shlex.join(cmd)} could not start: {exc}")
    log_path = os.path.join(args.out, "tempest-run.log")
    retry_stream = os.path.join(args.out, "tempest-retry.subunit")
    t_run = time.monotonic()
    try:
        if os.path.exists(retry_stream):
            os.unlink(retry_stream)          # an earlier run's
        rc, tests = run_tempest(cmd, args.workspace, log_path,
                                os.path.join(args.out, "tempest.subunit"))
        run_secs = time.monotonic() - t_run
        log(f"tempest run exited {rc} after {run_secs:.1f} s")
        write_junit(args.out, tests)
    except (RunFailed, OSError) as exc:
        return fail_setup(str(exc))

    # 4b. A few failed tests run once more, alone: the cluster's guests
    # boot under QEMU's emulation on two shared cores, and a test that
    # passes alone is reported by name as flaky, never hidden.
    flaky, retry_note, exit_error, reset, reset_words = [], "", None, None, ""
    again = retry_ids(tests) if args.retry else []
    if again:
        if args.reset_dir:
            log("asking cluster/run to reset the chassis first (cluster/chassis-reset.sh)")
            try:
                reset = request_reset(args.reset_dir, [test_name(tid) for tid in again])
            except OSError as exc:
                log(f"the chassis reset could not be asked for: {exc}")
            if reset is None:
                log("no chassis reset answered: the retry runs without")
            else:
                for line in reset.splitlines():
                    log(f"chassis reset: {line}")
            reset_words = reset_note(reset)
        log(f"running the {len(again)} failed test(s) once more, alone")
        list_path = os.path.join(args.workspace, "retry-list.txt")
        t_retry = time.monotonic()
        try:
            with open(list_path, "w", encoding="utf-8") as fh:
                fh.write("\n".join(again) + "\n")
            rc_retry, retried = run_tempest(
                ["tempest", "run", "--concurrency", "1", "--load-list", list_path],
                args.workspace, log_path, retry_stream, mode="a")
        except (RunFailed, OSError) as exc:
            log(f"the retry could not run: {exc}")
        else:
            tests, flaky = merge_retry(tests, retried)
            retry_note = f"; retry {time.monotonic() - t_retry:.0f} s"
            retry_note += reset_words
            if not any(t["status"] in FAILED for t in tests):
                if rc_retry != 0:
                    exit_error = (f"the retry exited {rc_retry} with no test failed "
                                  f"({log_path})")
                else:
                    rc = 0
            try:
                write_junit(args.out, tests)
            except OSError as exc:
                return fail_setup(str(exc))

    # 5. The verdict.
    print()
    for line in summary_lines(tests):
        print(line)
    secs = time.monotonic() - t0
    extra = f"concurrency {args.concurrency}, run {run_secs:.0f} s{retry_note}"
    if flaky:
        extra = f"{flaky_detail(flaky)}; {extra}"
    res = tempest_result(tests, secs, extra)
    if rc != 0 and res["result"] == verify.PASS:
        res = tempest_result(tests, secs, error=exit_error or (
            f"tempest run exited {rc} with no test failed ({log_path})"))
    if args.json:
        write_json(args.json, [res], started, secs,
                   {"auth_url": cloud.get("auth_url"), "counts": counts(tests),
                    "flaky": [{"test": name, "first_error": error} for name, error in flaky],
                    "chassis_reset": reset.splitlines() if reset else [],
                    "failed": [{"id": test_name(t["id"]), "error": first_error_line(t)}
                               for t in tests if t["status"] in FAILED]})
    for name, error in flaky:
        log(f"FLAKY {name}: failed in the run ({error}), passed alone on its retry")
    log(f"{res['result']}: {res['detail']}")
    return 0 if res["result"] == verify.PASS else 1


if __name__ == "__main__":
    sys.exit(main())
