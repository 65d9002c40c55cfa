"""
Pure logic of cluster/tempest.py: counts, first error lines, the JUnit XML
and the verify-style result from the tests of a subunit stream.  The
stream parsing itself needs python3-subunit (the tester has it).
"""
import pathlib
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
