"""
Pure logic of cluster/tempest.py: counts, first error lines, the JUnit XML
and the verify-style result from the tests of a subunit stream.  The
stream parsing itself needs python3-subunit (the tester has it).  Setup
failures run the real script with a real failing `tempest` (a script on
PATH); the CLUSTER_TEMPEST_* validation is pure logic.
"""
import json
import pathlib
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data" / "tempest"


sys.path.insert(0, str(REPO / "cluster"))   # tempest.py imports verify, tempest_conf
tr = load("cluster/tempest.py", "tempest_run_under_test")

TRACEBACK = """Traceback (most recent call last):
  File "/usr/lib/python3/dist-packages/tempest/scenario/test_server_multinode.py", line 85, in test_schedule_to_all_nodes
    waiters.wait_for_server_status(self.os_admin.servers_client,
tempest.lib.exceptions.TimeoutException: Request timed out
Details: (TestServerMultinode:test_schedule_to_all_nodes) Server 1234 failed to reach ACTIVE status
"""

TESTS = [
    {"id": "tempest.api.compute.test_versions.TestVersions.test_list_api_versions[id-6c0a,smoke]",
     "status": "success", "seconds": 0.5, "details": {}},
    {"id": "tempest.scenario.test_server_multinode.TestServerMultinode."
           "test_schedule_to_all_nodes[compute,id-9cec,network,smoke]",
     "status": "fail", "seconds": 301.0, "details": {"traceback": TRACEBACK}},
    {"id": "tempest.api.object_storage.test_account_services.AccountTest.test_list_containers"
           "[id-3499,smoke]",
     "status": "skip", "seconds": 0.0, "details": {"reason": "Swift support is required"}},
    {"id": "setUpClass (tempest.api.identity.admin.v3.test_credentials.CredentialsTestJSON)",
     "status": "fail", "seconds": 0.0, "details": {"traceback": "Traceback (most recent call "
                                                                 "last):\n  File \"x\"\nValueError: boom\n"}},
    {"id": "tempest.api.network.test_extensions.NetworksApiExtensions.test_list_show_extensions"
           "[id-ef28,network,smoke]",
     "status": "xfail", "seconds": 1.0, "details": {}},
]


def test_counts():
    assert tr.counts(TESTS) == {"passed": 2, "failed": 2, "skipped": 1, "ran": 4}
    assert tr.counts([]) == {"passed": 0, "failed": 0, "skipped": 0, "ran": 0}


def test_first_error_line_is_the_exception_line():
    assert tr.first_error_line(TESTS[1]) == (
        "tempest.lib.exceptions.TimeoutException: Request timed out Details: "
        "(TestServerMultinode:test_schedule_to_all_nodes) Server 1234 failed to reach ACTIVE status")
    assert tr.first_error_line({"details": {"reason": "\nno traceback\n"}}) == "no traceback"
    bad = {"details": {"traceback": "Traceback (most recent call last):\n  File \"x\"\n"
                                    "tempest.lib.exceptions.BadRequest: Bad request\n"
                                    "Details: {'code': 400, 'message': 'Can not find requested image'}\n"}}
    assert tr.first_error_line(bad) == ("tempest.lib.exceptions.BadRequest: Bad request "
                                        "Details: {'code': 400, 'message': 'Can not find requested image'}")
    assert "no error text" in tr.first_error_line({"details": {}})


def test_test_name_drops_tags():
    assert tr.test_name(TESTS[0]["id"]) == \
        "tempest.api.compute.test_versions.TestVersions.test_list_api_versions"
    assert tr.test_name(TESTS[3]["id"]) == TESTS[3]["id"]


def test_summary_lines_list_each_failure():
    lines = tr.summary_lines(TESTS)
    assert lines[0] == "tempest: 4 ran, 2 passed, 2 failed, 1 skipped"
    assert any("test_schedule_to_all_nodes: tempest.lib.exceptions.TimeoutException" in line
               for line in lines)
    assert any(line.startswith("FAILED setUpClass (") and "ValueError: boom" in line
               for line in lines)


def test_junit_xml():
    root = ET.fromstring(tr.junit_xml(TESTS))
    assert root.tag == "testsuite"
    assert root.get("tests") == "5" and root.get("failures") == "2" and root.get("skipped") == "1"
    cases = root.findall("testcase")
    assert cases[0].get("classname") == "tempest.api.compute.test_versions.TestVersions"
    assert cases[0].get("name") == "test_list_api_versions"
    fail = cases[1].find("failure")
    assert fail.get("message").startswith("tempest.lib.exceptions.TimeoutException")
    assert "Traceback" in fail.text
    assert cases[2].find("skipped").get("message") == "Swift support is required"
    assert cases[3].find("failure") is not None


def test_result_is_verify_format():
    res = tr.tempest_result(TESTS, 12.34, "concurrency 2")
    assert res["check"] == "tempest" and res["result"] == "FAIL"
    assert res["seconds"] == 12.3
    assert res["detail"].startswith("smoke: 4 ran, 2 passed, 2 failed, 1 skipped; failed: ")
    assert "test_schedule_to_all_nodes" in res["detail"] and res["detail"].endswith("concurrency 2")
    ok = tr.tempest_result([TESTS[0], TESTS[2]], 1, "")
    assert ok["result"] == "PASS"
    # None ran: not a pass.
    assert tr.tempest_result([TESTS[2]], 1)["result"] == "FAIL"
    err = tr.tempest_result([], 1, error="tempest.conf could not be generated")
    assert err["result"] == "FAIL" and "could not" in err["detail"]
    # verify.py's table and merge take it.
    table = tr.verify.render_table([res])
    assert "tempest" in table and "FAIL" in table


def test_latest_stream(tmp_path):
    assert tr.latest_stream(str(tmp_path)) is None
    (tmp_path / "next-stream").write_text("2\n")
    (tmp_path / "1").write_bytes(b"x")
    assert tr.latest_stream(str(tmp_path)) == str(tmp_path / "1")


def test_exclusions_are_only_the_kernel_bound_and_upstream_ones():
    """Every regex of the exclusion file carries its reason: volumes (the
    kernel lacks device-mapper and iSCSI) or an upstream bug with its
    reference."""
    lines = [line for line in (REPO / "cluster" / "tempest-exclude.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        regex, _, reason = line.partition("#")
        assert regex.strip() and reason.strip(), line
        assert ("device-mapper" in reason or "iSCSI" in reason
                or ("upstream" in reason and "LP#" in reason)), line


@pytest.mark.parametrize("name", ["sample.subunit", "sample-v1.subunit"])
def test_read_subunit_stream(name):
    """sample.subunit: `python3 -m subunit.run` (trixie's python3-subunit
    1.4.2) of three unittest tests: one passes, one fails, one is skipped;
    sample-v1.subunit: the same through subunit-2to1 (stestr's repository
    keeps v1 streams)."""
    # python-subunit is a test requirement (setup.cfg): no skip
    tests = {t["id"].rsplit(".", 1)[-1]: t for t in tr.read_subunit((DATA / name).read_bytes())}
    assert {k: t["status"] for k, t in tests.items()} == \
        {"test_passes": "success", "test_fails": "fail", "test_skipped": "skip"}
    assert tr.first_error_line(tests["test_fails"]) == \
        "RuntimeError: Server 1234 failed to reach ACTIVE status within 300 s"
    assert tr.skip_reason(tests["test_skipped"]) == "Swift support is required"


# --- setup failures: real commands, no mock ---------------------------------

def _fake_tempest(bindir, body):
    """A `tempest` executable (a shell script) in bindir."""
    bindir.mkdir(exist_ok=True)
    exe = bindir / "tempest"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return exe


def _run_tempest_py(tmp_path, bindir, *extra):
    """cluster/tempest.py in its own process, PATH = bindir then /usr/bin:/bin."""
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    out = tmp_path / "out"
    doc = tmp_path / "verify-tempest.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "cluster" / "tempest.py"), "--workspace",
         str(tmp_path / "ws"), "--out", str(out), "--json", str(doc), *extra],
        capture_output=True, text=True, env=env, timeout=60, check=False)
    return proc, (json.loads(doc.read_text()) if doc.exists() else None)


def test_failing_tempest_init_is_a_setup_failure(tmp_path):
    """`tempest init` exiting 1: exit 2, no traceback, the check FAILs with
    the command and its output's last lines."""
    _fake_tempest(tmp_path / "bin", "echo 'Creating workspace'\n"
                                    "echo \"tempest: cannot create $2: Permission denied\" >&2\n"
                                    "exit 1\n")
    proc, doc = _run_tempest_py(tmp_path, tmp_path / "bin")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    (res,) = doc["results"]
    assert (res["check"], res["result"], doc["exit_code"]) == ("tempest", "FAIL", 2)
    assert res["detail"].startswith(f"tempest init {tmp_path / 'ws'} exited 1: ")
    assert res["detail"].endswith("Creating workspace | tempest: cannot create "
                                  f"{tmp_path / 'ws'}: Permission denied")
    assert "exited 1" in proc.stdout


def test_missing_tempest_is_a_setup_failure(tmp_path):
    (tmp_path / "empty").mkdir()
    proc, doc = _run_tempest_py(tmp_path, tmp_path / "empty")
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert "tempest init" in doc["results"][0]["detail"]
    assert "could not start" in doc["results"][0]["detail"]


def test_conf_that_cannot_be_generated_is_a_setup_failure(tmp_path):
    """`tempest init` works (the fake makes etc/), the openrc is missing."""
    _fake_tempest(tmp_path / "bin", 'mkdir -p "$2/etc"\n')
    proc, doc = _run_tempest_py(tmp_path, tmp_path / "bin", "--",
                                "--openrc", str(tmp_path / "no-openrc"))
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert doc["results"][0]["detail"].startswith("tempest.conf could not be generated: ")
    assert "no-openrc" in doc["results"][0]["detail"]


def test_output_tail_is_bounded_and_keeps_the_end():
    assert tr.output_tail("") == "(no output)"
    assert tr.output_tail("a\n\n b \nc\n", lines=2) == "b | c"
    long = tr.output_tail("x" * 2000 + "END", limit=100)
    assert len(long) == 100 and long.endswith("END") and long.startswith("...")


# --- CLUSTER_TEMPEST_* into the tester's shell string -----------------------

def _command(env, url="http://192.168.56.11/horizon"):
    return tr.remote_command(env, "/vagrant/cluster/tempest.py", "/vagrant/.cluster/v.json",
                             "/vagrant/.cluster/tempest/facts.json", "/root/admin-openrc", url)


def test_remote_command_defaults_and_values():
    words = shlex.split(_command({}))
    assert words[:2] == ["python3", "/vagrant/cluster/tempest.py"]
    assert words[words.index("--concurrency") + 1] == "2"
    assert words[words.index("--build-timeout") + 1] == "300"
    assert "--validation" in words and words[words.index("--image-ssh-user") + 1] == "root"
    words = shlex.split(_command({"CLUSTER_TEMPEST_VALIDATION": "0",
                                  "CLUSTER_TEMPEST_CONCURRENCY": "4",
                                  "CLUSTER_TEMPEST_BUILD_TIMEOUT": "600"}))
    assert "--no-validation" in words and "--image-ssh-user" not in words
    assert words[words.index("--concurrency") + 1] == "4"
    assert words[words.index("--build-timeout") + 1] == "600"
    # parse_args takes what it prints
    args = tr.parse_args(words[2:])
    assert args.concurrency == 4 and args.conf_args.build_timeout == 600


def test_remote_command_quotes_every_word():
    url = "http://x/horizon;touch /tmp/pwned $(id)"
    words = shlex.split(_command({}, url))
    assert words[words.index("--dashboard-url") + 1] == url


@pytest.mark.parametrize("name, value, fragment", [
    ("CLUSTER_TEMPEST_CONCURRENCY", "2; touch /tmp/pwned", "must be a whole number >= 1"),
    ("CLUSTER_TEMPEST_CONCURRENCY", "0", "must be a whole number >= 1"),
    ("CLUSTER_TEMPEST_CONCURRENCY", "-1", "must be a whole number >= 1"),
    ("CLUSTER_TEMPEST_BUILD_TIMEOUT", "300s", "must be a whole number >= 1"),
    ("CLUSTER_TEMPEST_BUILD_TIMEOUT", "３００", "must be a whole number >= 1"),
    ("CLUSTER_TEMPEST_VALIDATION", "yes", "must be 0 or 1"),
    ("CLUSTER_TEMPEST_VALIDATION", "1 --regex x", "must be 0 or 1"),
    ("CLUSTER_TEMPEST_CONCURENCY", "2", "unknown (known: CLUSTER_TEMPEST_BUILD_TIMEOUT"),
])
def test_bad_tempest_environment_is_refused_naming_the_variable(name, value, fragment):
    with pytest.raises(ValueError) as refused:
        _command({name: value})
    assert str(refused.value).startswith(name)
    assert fragment in str(refused.value)


def test_remote_command_cli_refuses_with_exit_2(tmp_path):
    cmd = [sys.executable, str(REPO / "cluster" / "tempest.py"), "remote-command",
           "--script", "/vagrant/cluster/tempest.py", "--json", "/j", "--facts", "/f",
           "--openrc", "/o", "--dashboard-url", "http://x/horizon"]
    bad = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "CLUSTER_TEMPEST_CONCURRENCY": "2 && id"})
    assert bad.returncode == 2 and bad.stdout == ""
    assert "CLUSTER_TEMPEST_CONCURRENCY='2 && id': must be a whole number >= 1" in bad.stderr
    good = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "CLUSTER_TEMPEST_CONCURRENCY": "3"})
    assert good.returncode == 0 and "--concurrency 3 " in good.stdout


# --- one retry of a few failed tests ------------------------------------------

def _t(name, status, error=None):
    details = {"traceback": f"Traceback (most recent call last):\n  File \"x\"\n{error}\n"} if error else {}
    return {"id": f"tempest.scenario.test_x.TestX.{name}[id-1,smoke]", "status": status,
            "seconds": 1.0, "details": details}


def test_retry_ids_are_the_failed_tests_with_their_tags():
    tests = [_t("test_a", "success"), _t("test_b", "fail", "E: b"), _t("test_c", "skip"),
             _t("test_d", "uxsuccess")]
    assert tr.retry_ids(tests) == ["tempest.scenario.test_x.TestX.test_b[id-1,smoke]",
                                   "tempest.scenario.test_x.TestX.test_d[id-1,smoke]"]
    assert tr.retry_ids([_t("test_a", "success")]) == []


def test_many_failures_or_a_class_fixture_are_not_retried():
    """Past RETRY_LIMIT failures the cloud is broken; a setUpClass cannot be selected."""
    many = [_t(f"test_{i}", "fail", "E") for i in range(tr.RETRY_LIMIT + 1)]
    assert tr.retry_ids(many) == []
    assert tr.retry_ids(many[:tr.RETRY_LIMIT]) == [t["id"] for t in many[:tr.RETRY_LIMIT]]
    assert tr.retry_ids([_t("test_a", "fail", "E"), TESTS[3]]) == []


def test_merge_retry_replaces_only_retried_failures_and_names_the_flaky():
    first = [_t("test_a", "success"), _t("test_b", "fail", "TimeoutException: Request timed out"),
             _t("test_c", "fail", "AssertionError: 1 != 2"), _t("test_d", "fail", "E: d")]
    retried = [_t("test_b", "success"), _t("test_c", "fail", "AssertionError: 1 != 3"),
               _t("test_a", "fail", "E: not retried")]          # a pass is never replaced
    merged, flaky = tr.merge_retry(first + [_t("test_e", "fail", "E: e")],
                                   retried + [_t("test_e", "skip")])   # skipped: still failed
    assert [t["status"] for t in merged] == ["success", "success", "fail", "fail", "fail"]
    assert tr.first_error_line(merged[4]) == "E: e"
    merged = merged[:4]
    assert tr.first_error_line(merged[2]) == "AssertionError: 1 != 3"   # the retry's error
    assert tr.first_error_line(merged[3]) == "E: d"                      # not rerun: kept
    assert flaky == [("tempest.scenario.test_x.TestX.test_b", "TimeoutException: Request timed out")]
    assert tr.counts(merged) == {"passed": 2, "failed": 2, "skipped": 0, "ran": 4}
    assert tr.verdict(merged) == tr.verify.FAIL


def test_a_flaky_test_passes_but_is_named_in_the_detail():
    merged, flaky = tr.merge_retry([_t("test_b", "fail", "TimeoutException: Request timed out")],
                                   [_t("test_b", "success")])
    res = tr.tempest_result(merged, 10.0, tr.flaky_detail(flaky))
    assert res["result"] == tr.verify.PASS
    assert res["detail"] == ("smoke: 1 ran, 1 passed, 0 failed, 0 skipped; passed only on its "
                             "retry: test_b (first run: TimeoutException: Request timed out)")


def _stestr_tempest(bindir, stream):
    """A `tempest` that writes `stream` as the next run of ./.stestr, prints, exits 1."""
    return _fake_tempest(bindir, f"""d=.stestr; mkdir -p $d
n=$(cat $d/next-stream 2>/dev/null || echo 0)
cp {shlex.quote(str(stream))} $d/$n; echo $((n + 1)) > $d/next-stream
echo "ran $*"; exit 1
""")


def test_run_tempest_reads_the_new_stream_and_appends_its_log(tmp_path):
    """A real process writing a real subunit stream into a stestr directory."""
    exe = _stestr_tempest(tmp_path / "bin", DATA / "sample-v1.subunit")
    ws, log = tmp_path / "ws", tmp_path / "run.log"
    ws.mkdir()
    log.write_text("first run\n")
    rc, tests = tr.run_tempest([str(exe), "run", "--load-list", "x"], str(ws), str(log),
                               str(tmp_path / "kept.subunit"), mode="a")
    assert rc == 1
    assert sorted(t["id"].rsplit(".", 1)[-1] for t in tests) == \
        ["test_fails", "test_passes", "test_skipped"]
    assert (tmp_path / "kept.subunit").read_bytes() == (DATA / "sample-v1.subunit").read_bytes()
    assert log.read_text() == "first run\nran run --load-list x\n"


def test_run_tempest_without_a_new_stream_is_refused(tmp_path):
    exe = _fake_tempest(tmp_path / "bin", "echo 'no tests'; exit 1\n")
    (tmp_path / "ws").mkdir()
    with pytest.raises(tr.RunFailed, match="left no new subunit stream .*no tests"):
        tr.run_tempest([str(exe), "run"], str(tmp_path / "ws"), str(tmp_path / "run.log"),
                       str(tmp_path / "kept.subunit"))


def test_retry_can_be_turned_off():
    words = shlex.split(_command({}))
    assert "--no-retry" not in words
    # the retry asks cluster/run for the chassis reset, in .cluster/tempest/reset
    assert words[words.index("--reset-dir") + 1] == "/vagrant/.cluster/tempest/reset"
    assert tr.parse_args(words[2:]).reset_dir == tr.RESET_DIR
    words = shlex.split(_command({"CLUSTER_TEMPEST_RETRY": "0"}))
    assert "--no-retry" in words and "--reset-dir" not in words
    assert tr.parse_args(words[2:]).reset_dir is None
    assert tr.parse_args(words[2:]).retry is False
    assert tr.parse_args([]).retry is True
    with pytest.raises(ValueError, match="CLUSTER_TEMPEST_RETRY='no': must be 0 or 1"):
        tr.tempest_env({"CLUSTER_TEMPEST_RETRY": "no"})


# --- main(): a run and its retry, end to end against a `tempest` executable ---

def _v2_stream(tests):
    """A subunit v2 byte stream: each (id, status, traceback) started, then ended
    with `status` ("inprogress": started and never finished)."""
    import datetime
    import io

    import subunit

    buf = io.BytesIO()
    out = subunit.StreamResultToBytes(buf)
    when = datetime.datetime(2026, 12, 3, tzinfo=datetime.timezone.utc)
    for tid, status, tb in tests:
        out.status(test_id=tid, test_status="inprogress", timestamp=when)
        if status == "inprogress":
            continue
        extra = {"file_name": "traceback", "file_bytes": tb.encode(),
                 "mime_type": "text/plain;charset=utf8"} if tb else {}
        out.status(test_id=tid, test_status=status, timestamp=when, **extra)
    return buf.getvalue()


ID = "tempest.scenario.test_x.TestX.test_{}[id-1,smoke]"
TB = "Traceback (most recent call last):\n  File \"x\"\nTimeoutException: Request timed out\n"
FIRST = [(ID.format("a"), "success", None), (ID.format("b"), "fail", TB)]


@pytest.mark.parametrize("first, first_rc, retry, retry_rc, code, detail_part", [
    # the flaky test: passed alone, named
    (FIRST, 1, [(ID.format("b"), "success", None)], 0, 0,
     "passed only on its retry: test_b (first run: TimeoutException: Request timed out)"),
    # failed again
    (FIRST, 1, [(ID.format("b"), "fail", TB)], 1, 1, "1 failed"),
    # skipped on the retry: the first failure stands
    (FIRST, 1, [(ID.format("b"), "skip", None)], 0, 1, "failed: test_b"),
    # the retry ran nothing
    (FIRST, 1, [], 0, 1, "failed: test_b"),
    # the retry's tests pass but it exits 1
    (FIRST, 1, [(ID.format("b"), "success", None)], 1, 1, "the retry exited 1 with no test failed"),
    # a test the first run started and never finished is a failure, retried
    (FIRST[:1] + [(ID.format("c"), "inprogress", None)], 1,
     [(ID.format("c"), "inprogress", None)], 1, 1, "never finished"),
    # a class fixture failed: no retry
    (FIRST[:1] + [("setUpClass (tempest.scenario.test_x.TestX)", "fail", TB)], 1, None, 0, 1,
     "failed: setUpClass TestX;"),
])
def test_main_retries_and_reports_honestly(tmp_path, monkeypatch, capsys, first, first_rc,
                                           retry, retry_rc, code, detail_part):
    """main() with a `tempest` that writes real subunit streams into .stestr;
    only the cloud (tempest.conf's source) is left out."""
    (tmp_path / "first").write_bytes(_v2_stream(first))
    if retry is not None:
        (tmp_path / "retry").write_bytes(_v2_stream(retry))
    _fake_tempest(tmp_path / "bin", f"""mkdir -p .stestr; n=$(cat .stestr/next-stream 2>/dev/null || echo 0)
case "$*" in *--load-list*) s={tmp_path}/retry; rc={retry_rc};; *) s={tmp_path}/first; rc={first_rc};; esac
[ -f "$s" ] && cp "$s" .stestr/$n && echo $((n + 1)) > .stestr/next-stream
echo "ran $*"; exit $rc
""")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.setattr(tr, "setup", lambda args: ("", {"auth_url": "https://c:13000/v3"}))
    out, ws = tmp_path / "out", tmp_path / "ws"
    out.mkdir()
    ws.mkdir()
    (out / "tempest-retry.subunit").write_bytes(b"an earlier run's")
    got = tr.main(["--workspace", str(ws), "--out", str(out), "--json", str(tmp_path / "r.json")])
    doc = json.loads((tmp_path / "r.json").read_text())
    (res,) = doc["results"]
    assert (got, res["result"]) == (code, "PASS" if code == 0 else "FAIL"), res["detail"]
    assert detail_part in res["detail"] + "".join(f["error"] for f in doc["failed"])
    if code == 0 or "the retry exited" in detail_part:
        assert doc["flaky"] == [{"test": tr.test_name(ID.format("b")),
                                 "first_error": "TimeoutException: Request timed out"}]
        assert "FLAKY tempest.scenario.test_x.TestX.test_b" in capsys.readouterr().out
    else:
        assert doc["failed"] and doc["flaky"] == []
    assert (out / "tempest-retry.subunit").exists() == bool(retry is not None and tr.retry_ids(
        tr.read_subunit(_v2_stream(first))))
    assert ET.parse(out / "tempest-junit.xml").getroot().get("failures") == str(len(doc["failed"]))


# --- the chassis reset before the retry (cluster/run answers) -----------------

def _answer_reset(reset_dir, text, after=0.2):
    """A thread standing in for cluster/run: once the request file is there,
    it writes done (through a temporary file, as cluster/run does)."""
    import threading
    import time

    def answer():
        deadline = time.monotonic() + 30
        while not (reset_dir / "request").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(after)
        (reset_dir / "done.tmp").write_text(text)
        (reset_dir / "done.tmp").rename(reset_dir / "done")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


def test_request_reset_writes_the_names_and_returns_the_answer(tmp_path):
    reset_dir = tmp_path / "reset"
    reset_dir.mkdir()
    (reset_dir / "done").write_text("an earlier run's answer")
    # the earlier answer is removed before the request is written
    thread = _answer_reset(reset_dir, "compute1: reset: sb=connected\nevery chassis caught up: yes\n")
    got = tr.request_reset(str(reset_dir), ["tempest.a.A.test_x", "tempest.b.B.test_y"],
                           wait=20, poll=0.05)
    thread.join()
    assert got == "compute1: reset: sb=connected\nevery chassis caught up: yes"
    assert (reset_dir / "request").read_text() == "tempest.a.A.test_x\ntempest.b.B.test_y\n"
    assert not (reset_dir / "request.tmp").exists()


def test_request_reset_without_an_answer_gives_up_after_the_wait(tmp_path):
    now = [0.0]
    slept = []

    def sleep(secs):
        slept.append(secs)
        now[0] += secs

    got = tr.request_reset(str(tmp_path / "new"), ["t"], wait=10, poll=2,
                           clock=lambda: now[0], sleep=sleep)
    assert got is None
    assert sum(slept) == 10 and (tmp_path / "new" / "request").read_text() == "t\n"


def test_main_retries_after_the_chassis_reset_and_says_so(tmp_path, monkeypatch, capsys):
    """The retry waits for cluster/run's answer, which the detail, the log
    and the JSON then name; the flaky test stays named."""
    (tmp_path / "first").write_bytes(_v2_stream(FIRST))
    (tmp_path / "retry").write_bytes(_v2_stream([(ID.format("b"), "success", None)]))
    reset_dir = tmp_path / "reset"
    _fake_tempest(tmp_path / "bin", f"""mkdir -p .stestr; n=$(cat .stestr/next-stream 2>/dev/null || echo 0)
case "$*" in *--load-list*) [ -f {reset_dir}/done ] || exit 9; s={tmp_path}/retry;; *) s={tmp_path}/first;; esac
cp "$s" .stestr/$n && echo $((n + 1)) > .stestr/next-stream
case "$*" in *--load-list*) exit 0;; *) exit 1;; esac
""")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.setattr(tr, "setup", lambda args: ("", {"auth_url": "https://c:13000/v3"}))
    out, ws = tmp_path / "out", tmp_path / "ws"
    out.mkdir()
    ws.mkdir()
    reset_dir.mkdir()
    thread = _answer_reset(reset_dir, "compute1: reset: sb=connected ovn-controller=restarted\n")
    got = tr.main(["--workspace", str(ws), "--out", str(out), "--json", str(tmp_path / "r.json"),
                   "--reset-dir", str(reset_dir)])
    thread.join()
    doc = json.loads((tmp_path / "r.json").read_text())
    (res,) = doc["results"]
    assert got == 0 and res["result"] == "PASS"
    assert "passed only on its retry: test_b" in res["detail"]
    assert "after a chassis reset" in res["detail"]
    assert doc["chassis_reset"] == ["compute1: reset: sb=connected ovn-controller=restarted"]
    assert (reset_dir / "request").read_text() == tr.test_name(ID.format("b")) + "\n"
    printed = capsys.readouterr().out
    assert "chassis reset: compute1: reset: sb=connected" in printed
    assert "FLAKY tempest.scenario.test_x.TestX.test_b" in printed


@pytest.mark.parametrize("answer, words", [
    ("gateway: reset: sb=connected ovn-controller=restarted metadata-agent=not here\n"
     "every network agent alive: yes, after 12 s", " after a chassis reset"),
    (None, " (a chassis reset was asked for: no answer)"),
    ("", " after a chassis reset (no lines in its answer)"),
    ("compute1: reset: sb=no answer ovn-controller=restart failed (exit 1) metadata-agent=restarted"
     " (exit 1)\nevery network agent alive: no (exit 1): OVN Metadata agent compute1 dead; ",
     " after an incomplete chassis reset (compute1: reset: sb=no answer ovn-controller=restart "
     "failed (exit 1) metadata-agent=restarted (exit 1); every network agent alive: no (exit 1): "
     "OVN Metadata agent compute1 dead; )"),
])
def test_the_detail_says_how_the_chassis_reset_went(answer, words):
    assert tr.reset_note(answer) == words
