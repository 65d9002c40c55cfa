"""
The pure logic of cluster/dashboard.py (the browser check of issue 10):
URLs, the pillar's credentials, Horizon's instances table, noVNC's status
and the result in verify.py's format.  The browser part runs on the test
cluster's tester (cluster/run dashboard).
"""
import json
import pathlib
import sys

import pytest
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "cluster"))
dashboard = load("cluster/dashboard.py", "dashboard")
import verify  # noqa: E402 - cluster/verify.py, on the path above

URL = "http://192.168.56.11/horizon"


def test_urls_from_the_printed_url():
    urls = dashboard.dashboard_urls(URL)
    assert urls["login"] == URL  # loaded exactly as printed
    assert urls["login_form"] == (
        "http://192.168.56.11/horizon/auth/login/?next=/horizon/project/instances/")
    assert urls["logout"] == "http://192.168.56.11/horizon/auth/logout/"
    assert urls["instances"] == "http://192.168.56.11/horizon/project/instances/"
    assert urls["console"].format(id="abc") == (
        "http://192.168.56.11/horizon/project/instances/abc/?tab=instance_details__console")
    assert dashboard.dashboard_urls("https://cloud.example.org:8443/")["instances"] == (
        "https://cloud.example.org:8443/project/instances/")


@pytest.mark.parametrize("bad", ["192.168.56.11/horizon", "ftp://x/horizon", "http:///horizon", ""])
def test_urls_refuse_what_is_not_http(bad):
    with pytest.raises(ValueError):
        dashboard.dashboard_urls(bad)


def test_on_login_page():
    assert dashboard.on_login_page(URL + "/auth/login/?next=/horizon/", URL)
    assert dashboard.on_login_page(URL + "/auth/login/", URL + "/")
    assert not dashboard.on_login_page(URL + "/project/", URL)
    assert not dashboard.on_login_page("http://192.168.56.11/auth/login/", URL)


def _salt_answer(passwords, demo=None):
    pillar = {"passwords": passwords, "hosts": {}}
    if demo is not None:
        pillar["demo"] = demo
    return "[WARNING ] noise\n" + json.dumps({"local": pillar})


def test_credentials_from_pillar():
    creds = dashboard.credentials_from_pillar(_salt_answer(
        {"demo": "d-pw", "admin": "a-pw", "nova": "x"}, {"user": "alice", "project": "p1"}))
    assert creds == {"demo": {"user": "alice", "project": "p1", "password": "d-pw"},
                     "admin": {"user": "admin", "project": "admin", "password": "a-pw"}}
    defaults = dashboard.credentials_from_pillar(_salt_answer({"demo": "d", "admin": "a"}))
    assert defaults["demo"] == {"user": "demo", "project": "demo", "password": "d"}


@pytest.mark.parametrize("passwords, missing", [
    ({"admin": "a-pw"}, "demo"),
    ({"demo": "", "admin": "a-pw"}, "demo"),
    ({"demo": "d-pw", "admin": "******"}, "admin"),  # masked: unmask=True was forgotten
])
def test_credentials_refused_without_a_password(passwords, missing):
    with pytest.raises(ValueError, match=f"openstack:passwords:{missing} ") as excinfo:
        dashboard.credentials_from_pillar(_salt_answer(passwords))
    for value in passwords.values():
        if value and set(value) != {"*"}:
            assert value not in str(excinfo.value)


def test_credentials_refused_without_pillar():
    with pytest.raises(ValueError, match="no openstack pillar"):
        dashboard.credentials_from_pillar('{"local": ""}')


# Horizon 25's instances table (openstack_dashboard/dashboards/project/
# instances/tables.py, rendered by horizon/tables), trimmed.
INSTANCES = """
<html><body>
<table id="instances" class="table table-striped datatable">
 <thead>
  <tr class="table_caption"><th class="table_header" colspan="13">
    <div class="table_actions"><a href="#">Launch Instance</a></div></th></tr>
  <tr class="tablesorter-headerRow">
   <th class="multi_select_column"><input type="checkbox"></th>
   <th>Instance Name</th><th>Image Name</th><th>IP Address</th><th>Flavor</th>
   <th>Key Pair</th><th>Status</th><th>Availability Zone</th><th>Task</th>
   <th>Power State</th><th>Age</th><th>Actions</th>
  </tr>
 </thead>
 <tbody>
  <tr id="instances__row__11111111-aaaa" class="ajax-update status_up"
      data-display="verify-instance" data-object-id="11111111-aaaa"
      data-update-interval="2500">
   <td class="multi_select_column"><input type="checkbox"></td>
   <td class="sortable anchor normal_column">
    <a href="/horizon/project/instances/11111111-aaaa/">verify-instance</a></td>
   <td>verify-guest</td>
   <td><ul><li>172.16.1.23, 203.0.113.150</li></ul></td>
   <td>m1.nano</td><td>verify-1a2b</td>
   <td class="status_up">Active</td>
   <td>nova</td><td>None</td><td>Running</td><td>5 minutes</td>
   <td class="actions_column"><table class="nested"><tr><td>Create Snapshot</td></tr></table></td>
  </tr>
  <tr id="instances__row__2222" data-display="other" data-object-id="2222">
   <td class="multi_select_column"><input type="checkbox"></td>
   <td>other</td><td>-</td><td></td><td>m1.nano</td><td>-</td>
   <td class="status_unknown">Error</td><td>nova</td><td>None</td><td>No State</td>
   <td>1 minute</td><td></td>
  </tr>
 </tbody>
</table>
<table id="other"><tbody><tr data-object-id="x" data-display="verify-instance">
 <td>Shutoff</td></tr></tbody></table>
</body></html>
"""

EMPTY = """<table id="instances"><thead><tr><th></th><th>Instance Name</th><th>Status</th></tr>
</thead><tbody><tr class="empty odd"><td colspan="3">No items to display.</td></tr></tbody>
</table>"""


def test_instance_rows():
    rows = dashboard.instance_rows(INSTANCES)
    assert [(r["id"], r["name"], r["status"]) for r in rows] == [
        ("11111111-aaaa", "verify-instance", "Active"), ("2222", "other", "Error")]
    assert rows[0]["cells"]["IP Address"] == "172.16.1.23, 203.0.113.150"
    assert rows[0]["cells"]["Power State"] == "Running"
    assert dashboard.instance_rows(EMPTY) == []


def test_find_instance():
    rows = dashboard.instance_rows(INSTANCES)
    assert dashboard.find_instance(rows, "verify-instance")["id"] == "11111111-aaaa"
    with pytest.raises(dashboard.StepFailed, match=r"listed: verify-instance \(Active\), "
                                                   r"other \(Error\)"):
        dashboard.find_instance(rows, "missing")
    with pytest.raises(dashboard.StepFailed, match="2 instances called other"):
        dashboard.find_instance(rows + rows[1:], "other")
    with pytest.raises(dashboard.StepFailed, match=r"listed: none"):
        dashboard.find_instance([], "verify-instance")


@pytest.mark.parametrize("status, state", [
    ("Connected (unencrypted) to QEMU (instance-00000001)", "connected"),
    ("Connected to QEMU (instance-00000001)", "connected"),  # vnc_lite.html
    ("  Connected (encrypted) to\n QEMU ", "connected"),
    ("Connecting...", "pending"),
    ("Loading", "pending"),
    ("", "pending"),
    (None, "pending"),
    ("Failed to connect to server", "failed"),
    ("Disconnected", "failed"),
    ("Something went wrong, connection is closed", "failed"),
])
def test_console_state(status, state):
    assert dashboard.console_state(status) == state


def test_an_https_dashboard_must_embed_an_https_console():
    page = "https://192.168.56.11/horizon"
    assert dashboard.mixed_content(page, "https://gateway:6080/vnc_auto.html?x=1") is None
    assert "not HTTPS" in dashboard.mixed_content(page, "http://gateway:6080/vnc_auto.html")
    assert "not HTTPS" in dashboard.mixed_content(page, None)
    # a plain dashboard (a cloud without TLS) asks nothing of its console
    assert dashboard.mixed_content("http://gw/horizon", "http://gw:6080/vnc_auto.html") is None


def test_plain_url_of_the_dashboard():
    assert dashboard.plain_url("https://192.168.56.11/horizon") == "http://192.168.56.11/horizon"
    assert dashboard.plain_url("https://cloud.test:8443/horizon/") == "http://cloud.test/horizon/"


@pytest.mark.parametrize("status,location,problem", [
    (301, "https://192.168.56.11/horizon", None),
    (302, "https://192.168.56.11/horizon/", None),
    (200, None, "answers HTTP 200, not a redirect"),
    (301, "http://192.168.56.11/horizon", "redirects to"),
    (301, "https://evil.test/horizon", "redirects to"),
    (301, "https://192.168.56.11/", "redirects to"),
])
def test_plain_http_must_redirect_to_the_same_place_over_https(status, location, problem):
    found = dashboard.redirect_problem("https://192.168.56.11/horizon", status, location)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_console_target():
    assert dashboard.console_target(
        "http://gateway:6080/vnc_auto.html?path=%3Ftoken%3Dabc") == ("gateway", 6080,
                                                                    "vnc_auto.html")
    assert dashboard.console_target("https://cloud.test/vnc_lite.html") == (
        "cloud.test", 443, "vnc_lite.html")
    with pytest.raises(dashboard.StepFailed, match="not an http"):
        dashboard.console_target("about:blank")


def test_error_line_drops_the_stack_trace():
    class WebDriverException(Exception):
        def __init__(self, msg):
            super().__init__(msg)
            self.msg = msg
    exc = WebDriverException("timeout: Timed out receiving message\n  (Session info)\n#0 0x55")
    assert dashboard.error_line(exc) == (
        "WebDriverException: timeout: Timed out receiving message")
    assert dashboard.error_line(ValueError("")) == "ValueError: "


def test_screenshot_names_hold_the_step_only():
    assert dashboard.screenshot_name(1, "login") == "01-login.png"
    assert dashboard.screenshot_name(12, "wrong password/x") == "12-wrong-password-x.png"


def test_result_document_is_verify_format_and_merges():
    doc = dashboard.result_document(0, 42.04, URL, verify.PASS, "a\nb", ["/x/01-login.png"])
    res = doc["results"][0]
    assert res["check"] == "dashboard" and res["result"] == verify.PASS
    assert res["seconds"] == 42.0 and res["detail"] == "a b"
    assert res["title"] == dashboard.TITLE
    assert doc["exit_code"] == verify.EXIT_OK and doc["summary"][verify.PASS] == 1
    assert doc["url"] == URL and doc["screenshots"] == ["/x/01-login.png"]
    failed = dashboard.result_document(0, 1, URL, verify.FAIL, "wrong password logged in", [])
    assert failed["exit_code"] == verify.EXIT_FAIL
    checks = {"results": [verify.make_result("identity", verify.PASS, 1, "")]}
    merged = verify.merge_results([checks, failed])
    assert [r["check"] for r in merged] == ["identity", "dashboard"]
    assert "dashboard" in verify.render_table(merged)


# --- the waits: transient WebDriver errors retried until the deadline -------
# Selenium's hierarchy by name (the logic reads class names, needs no Selenium).

class WebDriverException(Exception):
    def __init__(self, msg=""):
        super().__init__(msg)
        self.msg = msg


class StaleElementReferenceException(WebDriverException):
    pass


class NoSuchElementException(WebDriverException):
    pass


class InvalidSessionIdException(WebDriverException):
    pass


class FakeClock:
    """time.monotonic and time.sleep of a wait, without waiting."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def _wait(condition, timeout=10, poll=1.0):
    clock = FakeClock()
    try:
        return dashboard.wait_until(condition, timeout, poll, clock.clock, clock.sleep), clock
    finally:
        _wait.clock = clock


def _answers(*answers):
    """A condition giving (or raising) each answer in turn, the last one forever."""
    left = list(answers)

    def condition():
        answer = left.pop(0) if len(left) > 1 else left[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer
    return condition


def test_transient_is_every_webdriver_error_but_a_dead_session():
    assert dashboard.transient(StaleElementReferenceException("stale"))
    assert dashboard.transient(NoSuchElementException("no #id_username"))
    assert dashboard.transient(WebDriverException("javascript error: x is undefined"))
    assert not dashboard.transient(InvalidSessionIdException("invalid session id"))
    assert not dashboard.transient(ValueError("x"))
    assert not dashboard.transient(dashboard.StepFailed("instance verify-instance not listed"))


def test_wait_retries_transient_errors_until_the_condition_holds():
    value, clock = _wait(_answers(StaleElementReferenceException("stale element"),
                                  NoSuchElementException("no such element"), [], ["row"]))
    assert value == ["row"]
    assert clock.sleeps == [1.0, 1.0, 1.0]


def test_wait_gives_up_at_the_deadline_with_the_last_error():
    with pytest.raises(dashboard.WaitTimedOut) as timed_out:
        _wait(_answers(None, StaleElementReferenceException("stale element reference\n#0 0x55"),
                       False), timeout=5, poll=2)
    assert str(timed_out.value) == (
        "not within 5 s (last error: StaleElementReferenceException: stale element reference)")
    assert sum(_wait.clock.sleeps) == 5  # 2 + 2 + the last second, then once more
    with pytest.raises(dashboard.WaitTimedOut, match=r"^not within 3 s$"):
        _wait(_answers(None), timeout=3)


def test_wait_stops_at_once_on_an_error_that_is_not_transient():
    for error in (InvalidSessionIdException("invalid session id"),
                  dashboard.StepFailed("2 instances called verify-instance")):
        with pytest.raises(type(error)):
            _wait(_answers(StaleElementReferenceException("stale"), error, ["never"]))
        assert _wait.clock.sleeps == [1.0]


def test_result_document_of_a_check_that_could_not_start():
    doc = dashboard.result_document(0, 1, URL, verify.FAIL, "could not start: no chromedriver", [],
                                    code=verify.EXIT_ERROR)
    assert doc["exit_code"] == verify.EXIT_ERROR and doc["summary"][verify.FAIL] == 1
