#!/usr/bin/env python3
"""
The dashboard in a real browser (issue 10): headless Chromium, driven by
Selenium through Debian's chromium-driver, logs in to Horizon and opens the
verification instance's console.  Runs ON THE TESTER (outside the cloud, as
a user's machine) as root:

    python3 /vagrant/cluster/dashboard.py --url URL --credentials FILE \\
        [--json PATH] [--screenshots DIR] [--server-name NAME]

URL is the dashboard's address exactly as `cluster/run` prints it (its
`dashboard_url`).  FILE (mode 0600, never a password in argv) is the JSON
that

    salt-call --out=json pillar.get openstack unmask=True | dashboard.py --credentials-from-pillar

writes: the demo user, project and password and the admin password.

Steps, each with a screenshot in DIR (NN-step.png):

  1 login        URL answers with Horizon's login form (not 400 Bad Request);
                 an https URL: the certificate validates (the cloud's CA in
                 the tester's NSS database, cluster/run) and the same URL
                 over plain HTTP redirects to it
  2 wrong        the demo user with a wrong password is refused: Horizon's
                 error shown, still on the login page
  3 demo         the demo user with the pillar password logs in to its
                 project; its Project > Compute > Instances page renders
  4 instances    verify.py's instance (--server-name, default verify-instance)
                 lives in the admin project (verify.py runs with the admin
                 credentials): signed in as admin, Project > Compute >
                 Instances lists it Active
  5 console      its Console tab embeds the gateway's noVNC proxy (https under
                 an https dashboard), and noVNC's status reads "Connected"

The result is one check, `dashboard`, in verify.py's JSON format (--json);
`verify.py --report` merges it with the other runs.  Exit status: 0 PASS,
1 FAIL (the reason on stderr and in the JSON), 2 the check could not start
(no credentials, Selenium or Chromium missing).
"""
import argparse
import html.parser
import json
import os
import pathlib
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results  # noqa: E402 - results.py of this directory: the result document
import verify  # noqa: E402 - verify.py of this directory: results, table, redaction

CHECK = "dashboard"
TITLE = "Horizon in Chromium: login, instance, console"
ADMIN_USER = "admin"
ADMIN_PROJECT = "admin"
CONSOLE_TAB = "instance_details__console"
# What noVNC's status line says.  nova's novncproxy_base_url names
# vnc_auto.html, which trixie's novnc (1.6) links to the full client,
# vnc.html: its #noVNC_status reads "Connected (unencrypted) to QEMU
# (instance-...)"; it does not connect by itself (autoconnect is off) but
# shows a Connect button, which the check clicks as a user would.
# vnc_lite.html connects at once and its #status reads "Connected to ...".
CONNECTED = ("connected (", "connected to ")
CONSOLE_FAILED = ("failed to connect", "disconnected", "something went wrong",
                  "server disconnected", "connection closed")


class StepFailed(Exception):
    """A step found the dashboard wrong: the check fails with this reason."""


# --------------------------------------------------------------------------
# Pure logic (unit-tested in tests/unit/test_dashboard_logic.py)
# --------------------------------------------------------------------------

def dashboard_urls(base):
    """The pages the check opens, from the dashboard's URL as printed."""
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {base!r}")
    root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return {
        "login": base,
        # after login straight to the instances, not the slow overview
        "login_form": root + "/auth/login/?next=" + urllib.parse.quote(
            parts.path.rstrip("/") + "/project/instances/"),
        "logout": root + "/auth/logout/",
        "instances": root + "/project/instances/",
        "instance": root + "/project/instances/{id}/",
        "console": root + "/project/instances/{id}/?tab=" + CONSOLE_TAB,
    }


def on_login_page(url, base):
    """True when the browser's URL is Horizon's login page under base."""
    path = urllib.parse.urlsplit(url).path
    root = urllib.parse.urlsplit(base).path.rstrip("/")
    return path.startswith(root + "/auth/login")


def credentials_from_pillar(text):
    """
    The check's credentials from `salt-call --out=json pillar.get openstack
    unmask=True`: {"demo": {user, project, password}, "admin": {user,
    project, password}}.  Raises ValueError naming the missing key (never
    a value).
    """
    data = verify.parse_salt_json(text).get("local")
    if not isinstance(data, dict):
        raise ValueError("no openstack pillar in salt-call's answer")
    passwords = data.get("passwords") or {}
    demo = data.get("demo") or {}
    creds = {
        "demo": {"user": demo.get("user") or "demo", "project": demo.get("project") or "demo",
                 "password": passwords.get("demo")},
        "admin": {"user": ADMIN_USER, "project": ADMIN_PROJECT,
                  "password": passwords.get("admin")},
    }
    for who in ("demo", "admin"):
        value = creds[who]["password"]
        if not isinstance(value, str) or not value or set(value) == {"*"}:
            raise ValueError(f"openstack:passwords:{who} missing, empty or masked")
    return creds


class _TableParser(html.parser.HTMLParser):
    """Rows of one Horizon data table (<table id=...>): headers and cells."""

    def __init__(self, table_id):
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.depth = 0  # nesting of <table> inside ours; 0: outside
        self.headers = []
        self.rows = []
        self.cell = None
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            if self.depth:
                self.depth += 1
            elif attrs.get("id") == self.table_id:
                self.depth = 1
            return
        if self.depth != 1:
            return
        if tag == "thead":
            self.in_head = True
        elif tag == "tr" and self.in_head:
            self.headers = []  # the last header row names the columns (not the caption's)
        elif tag == "tr":
            self.rows.append({"id": attrs.get("data-object-id"),
                              "name": attrs.get("data-display"), "cells": []})
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
            return
        if self.depth != 1:
            return
        if tag == "thead":
            self.in_head = False
        elif tag in ("td", "th") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            if self.in_head:
                self.headers.append(text)
            elif self.rows:
                self.rows[-1]["cells"].append(text)
            self.cell = None

    def handle_data(self, data):
        if self.depth == 1 and self.cell is not None:
            self.cell.append(data)


def instance_rows(page, table_id="instances"):
    """
    Horizon's instances table as [{id, name, status, cells {header: text}}]:
    rows without an object id (the "No items to display." row) left out.
    """
    parser = _TableParser(table_id)
    parser.feed(page)
    rows = []
    headers = parser.headers
    for row in parser.rows:
        if not row["id"]:
            continue
        # Horizon's first column is the row's checkbox, its header empty
        # too: cells line up with the headers from the start.
        cells = dict(zip(headers, row["cells"]))
        rows.append({"id": row["id"], "name": row["name"] or cells.get("Instance Name"),
                     "status": cells.get("Status"), "cells": cells})
    return rows


def find_instance(rows, name):
    """The row of the instance called name; StepFailed when absent or ambiguous."""
    found = [r for r in rows if r["name"] == name]
    if not found:
        listed = ", ".join(f"{r['name']} ({r['status']})" for r in rows) or "none"
        raise StepFailed(f"instance {name} not listed (listed: {listed})")
    if len(found) > 1:
        raise StepFailed(f"{len(found)} instances called {name}")
    return found[0]


def console_state(status):
    """noVNC's status line -> "connected", "failed" or "pending"."""
    text = " ".join((status or "").split()).lower()
    if any(text.startswith(word) for word in CONNECTED):
        return "connected"
    if any(word in text for word in CONSOLE_FAILED):
        return "failed"
    return "pending"


def console_target(src):
    """Where the console iframe points: (host, port, page), port defaulted."""
    parts = urllib.parse.urlsplit(src or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StepFailed(f"the console iframe's source is not an http(s) URL: {src!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname, port, parts.path.rsplit("/", 1)[-1]


def mixed_content(page_url, src):
    """The problem when an HTTPS dashboard embeds a console that is not
    HTTPS (browsers block it, and the console's traffic would be in clear),
    else None."""
    if urllib.parse.urlsplit(page_url).scheme != "https":
        return None
    if urllib.parse.urlsplit(src or "").scheme != "https":
        return f"the HTTPS dashboard embeds a console that is not HTTPS: {src!r}"
    return None


def plain_url(url):
    """`url` with http instead of https and no explicit port (port 80)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(("http", parts.hostname, parts.path, parts.query, ""))


def redirect_problem(url, status, location):
    """What is wrong with the answer (status, Location) to the plain HTTP
    request for the HTTPS dashboard `url`: it must redirect to the same
    place over HTTPS (None when it does)."""
    want = urllib.parse.urlsplit(url)
    if status not in (301, 302, 307, 308):
        return f"{plain_url(url)} answers HTTP {status}, not a redirect to HTTPS"
    got = urllib.parse.urlsplit(location or "")
    if (got.scheme, got.hostname, got.path.rstrip("/")) != ("https", want.hostname,
                                                            want.path.rstrip("/")):
        return f"{plain_url(url)} redirects to {location!r}, not to {url}"
    return None


def error_line(exc):
    """An exception in one line: WebDriver's messages carry a stack trace."""
    text = getattr(exc, "msg", None) or str(exc)
    first = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}"


#: Selenium errors that end a wait at once: the browser or its session is
#: gone, or the check asked something malformed.  Every other WebDriver
#: error (a stale element while the page reloads, an element not there or
#: not clickable yet, a script run mid-navigation) is retried until the
#: deadline.
FATAL_WEBDRIVER_ERRORS = ("InvalidSessionIdException", "SessionNotCreatedException",
                          "NoSuchDriverException", "InvalidSelectorException",
                          "InvalidArgumentException", "NoSuchWindowException")


def transient(exc):
    """True for a Selenium error a wait retries (by class name along the
    class hierarchy: the logic needs no Selenium)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return "WebDriverException" in names and not names & set(FATAL_WEBDRIVER_ERRORS)


class WaitTimedOut(Exception):
    """A wait's deadline passed; `last_error`: the last transient error, if any."""

    def __init__(self, timeout, last_error=None):
        self.timeout = timeout
        self.last_error = last_error
        suffix = f" (last error: {error_line(last_error)})" if last_error else ""
        super().__init__(f"not within {timeout:.0f} s{suffix}")


def wait_until(condition, timeout, poll=1.0, clock=time.monotonic, sleep=time.sleep):
    """
    condition()'s first true value, asked every `poll` seconds until
    `timeout` seconds have passed (at least once, and once more at the
    deadline).  Transient Selenium errors (`transient`) count as "not yet"
    and the last one is kept for WaitTimedOut; any other exception ends
    the wait at once.
    """
    deadline = clock() + timeout
    last_error = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - sorted below
            if not transient(exc):
                raise
            last_error = exc
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimedOut(timeout, last_error)
        sleep(min(poll, remaining))


def screenshot_name(number, step):
    """NN-step.png: the step's name only (never a user input)."""
    safe = "".join(c if c.isalnum() or c == "-" else "-" for c in step.lower())
    return f"{number:02d}-{safe}.png"


def result_document(started, seconds, url, result, detail, screenshots, code=None):
    """verify.py's --json document with the one `dashboard` check (code:
    the exit status, when not the result's)."""
    res = verify.make_result(CHECK, result, seconds, detail)
    if res["title"] == CHECK:  # verify.py's CHECKS does not name it
        res["title"] = TITLE
    return results.verify_document([res], started, seconds, code=code, url=url,
                                   screenshots=list(screenshots))


# --------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------

def log(msg):
    print(f"[dashboard {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Browser:
    """Headless Chromium through chromium-driver, with the check's steps."""

    def __init__(self, args, creds):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By

        self.By = By
        self.args = args
        self.creds = creds
        self.urls = dashboard_urls(args.url)
        self.shots_dir = pathlib.Path(args.screenshots)
        self.shots = []
        self.step_no = 0
        self.step = None
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        # Root in a container: no sandbox, /dev/shm is small.
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,900", "--no-first-run",
                     "--password-store=basic"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
        self.driver.set_page_load_timeout(args.timeout)

    def close(self):
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001 - the browser may be gone already
            pass

    # -- helpers -----------------------------------------------------------
    def shot(self, step):
        self.step_no += 1
        path = self.shots_dir / screenshot_name(self.step_no, step)
        try:
            self.driver.save_screenshot(str(path))
            self.shots.append(str(path))
            log(f"screenshot {path}")
        except Exception as exc:  # noqa: BLE001 - a screenshot is evidence, not the check
            log(f"screenshot {path} failed: {exc}")

    def wait(self, what, fn, timeout=None):
        """fn()'s first true value (wait_until: transient WebDriver errors
        retried until the deadline); StepFailed saying what, why and where."""
        try:
            return wait_until(fn, timeout or self.args.timeout)
        except Exception as exc:  # noqa: BLE001 - WaitTimedOut, a fatal WebDriver error
            why = str(exc) if isinstance(exc, WaitTimedOut) else error_line(exc)
            raise StepFailed(f"{what}: {why} ({self.where()})") from exc

    def where(self):
        """The browser's URL and title, for a failure message."""
        try:
            return f"at {self.driver.current_url}, title {self.driver.title!r}"
        except Exception as exc:  # noqa: BLE001 - the browser may be gone
            return f"browser not answering: {error_line(exc)}"

    def find(self, selector):
        return self.driver.find_elements(self.By.CSS_SELECTOR, selector)

    def page_text(self):
        try:
            return self.driver.find_element(self.By.TAG_NAME, "body").text
        except Exception:  # noqa: BLE001
            return ""

    def open(self, url):
        self.driver.get(url)

    def login_form(self):
        return self.find("input#id_username") and self.find("input#id_password")

    def submit_login(self, user, password):
        self.wait("the login form", self.login_form)
        name = self.find("input#id_username")[0]
        name.clear()
        name.send_keys(user)
        field = self.find("input#id_password")[0]
        field.clear()
        field.send_keys(password)
        buttons = self.find("#loginBtn") or self.find("form button[type=submit]")
        if buttons:
            buttons[0].click()
        else:
            field.submit()

    def logged_in(self):
        return (not on_login_page(self.driver.current_url, self.args.url)
                and bool(self.find("a[href*='/auth/logout/']")))

    def current_project(self):
        """The project Horizon's header shows (the context menu's label)."""
        for sel in (".context-project", "#navbar-collapse .dropdown-toggle .context-project",
                    "span.context-project"):
            for el in self.find(sel):
                text = " ".join((el.get_attribute("textContent") or "").split())
                if text:
                    return text
        return None

    def switch_project(self, name):
        if self.current_project() == name:
            return
        for link in self.find("a[href*='/auth/switch/']"):
            if " ".join((link.get_attribute("textContent") or "").split()) == name:
                self.open(link.get_attribute("href"))
                self.wait(f"switching to project {name}",
                          lambda: self.current_project() == name)
                return
        raise StepFailed(f"project {name} is not in the project menu "
                         f"(current: {self.current_project()})")

    # -- the steps -----------------------------------------------------------
    def step_login_page(self):
        self.open(self.urls["login"])
        text = self.page_text()
        if "Bad Request" in self.driver.title or "Bad Request" in text[:200]:
            self.shot("login-bad-request")
            raise StepFailed(f"{self.args.url} answers Bad Request (Horizon's ALLOWED_HOSTS)")
        self.wait(f"Horizon's login form at {self.args.url}", self.login_form)
        self.shot("login")
        if urllib.parse.urlsplit(self.args.url).scheme != "https":
            return f"login form at {self.driver.current_url}"
        plain = plain_url(self.args.url)
        try:
            problem = redirect_problem(self.args.url, *verify.plain_answer(plain, timeout=15))
        except OSError as exc:
            problem = f"{plain}: {error_line(exc)}"
        if problem:
            raise StepFailed(problem)
        return f"login form at {self.driver.current_url} (over TLS; {plain} redirects there)"

    def step_wrong_password(self):
        demo = self.creds["demo"]
        wrong = "wrong-" + uuid.uuid4().hex
        self.submit_login(demo["user"], wrong)
        # Either the error appears on the login page, or (wrongly) we are in.
        self.wait("an answer to the wrong password",
                  lambda: self.logged_in() or (self.login_form() and self.login_error()))
        self.shot("wrong-password")
        if self.logged_in():
            raise StepFailed(f"a wrong password logged {demo['user']} in")
        if not on_login_page(self.driver.current_url, self.args.url):
            raise StepFailed(f"wrong password: left the login page for {self.driver.current_url}")
        return f"wrong password refused ({self.login_error()!r})"

    def login_error(self):
        for el in self.find(".alert-danger, .help-block.alert, .error, .errorlist"):
            text = " ".join((el.text or "").split())
            if text:
                return text
        return None

    def step_demo_login(self):
        demo = self.creds["demo"]
        self.open(self.urls["login_form"])
        self.submit_login(demo["user"], demo["password"])
        self.wait(f"{demo['user']} logged in",
                  lambda: self.logged_in() or self.login_error())
        if not self.logged_in():
            self.shot("demo-login-failed")
            raise StepFailed(f"{demo['user']} could not log in with the pillar password: "
                             f"{self.login_error()}")
        self.switch_project(demo["project"])
        self.open(self.urls["instances"])
        self.wait("the demo project's instances table", lambda: self.find("table#instances"))
        self.shot("demo-instances")
        rows = instance_rows(self.driver.page_source)
        return f"{demo['user']} in project {self.current_project()}: {len(rows)} instance(s)"

    def step_instance(self):
        self.open(self.urls["logout"])
        self.open(self.urls["login_form"])
        admin = self.creds["admin"]
        self.submit_login(admin["user"], admin["password"])
        self.wait(f"{admin['user']} logged in", lambda: self.logged_in() or self.login_error())
        if not self.logged_in():
            self.shot("admin-login-failed")
            raise StepFailed(f"{admin['user']} could not log in: {self.login_error()}")
        self.switch_project(admin["project"])
        self.open(self.urls["instances"])
        self.wait("the instances table", lambda: self.find("table#instances"))
        name = self.args.server_name

        def active():
            row = find_instance(instance_rows(self.driver.page_source), name)
            return row if (row["status"] or "").lower() == "active" else None
        try:
            row = self.wait(f"{name} Active", active, timeout=30)
        except StepFailed as exc:
            self.shot("instances")
            try:
                row = find_instance(instance_rows(self.driver.page_source), name)
                raise StepFailed(f"{name} is {row['status']}, not Active") from exc
            except StepFailed as inner:
                raise inner from exc
        self.shot("instances")
        self.instance = row
        return f"{name} Active ({row['id']}) in project {self.current_project()}"

    def step_console(self):
        self.open(self.urls["console"].format(id=self.instance["id"]))
        frame = self.wait("the console iframe", lambda: (self.find("iframe#console_embed")
                                                          or self.find("iframe"))[:1])[0]
        src = frame.get_attribute("src")
        host, port, page = console_target(src)
        problem = mixed_content(self.args.url, src)
        if problem:
            raise StepFailed(problem)
        self.driver.switch_to.frame(frame)
        status = {"text": ""}
        clicked = []

        def settled():
            if not clicked:
                buttons = [b for b in self.find("#noVNC_connect_button") if b.is_displayed()]
                if buttons:
                    # A script click: a plain one fails when the button is
                    # scrolled out of the iframe's view or covered (noVNC's
                    # "without HTTPS" banner), as seen on the cluster.
                    self.driver.execute_script("arguments[0].click();", buttons[0])
                    clicked.append(True)
            for sel in ("#noVNC_status", "#status"):
                for el in self.find(sel):
                    text = el.get_attribute("textContent") or ""
                    if text.strip():
                        status["text"] = " ".join(text.split())
            return console_state(status["text"]) != "pending"
        try:
            self.wait(f"noVNC at {host}:{port} connected", settled,
                      timeout=self.args.console_timeout)
        finally:
            self.driver.switch_to.default_content()
            time.sleep(1)  # the canvas' first frame into the screenshot
            self.shot("console")
        how = " after its Connect button" if clicked else ""
        if console_state(status["text"]) != "connected":
            raise StepFailed(f"noVNC at {host}:{port}/{page}{how}: {status['text']!r}")
        return f"noVNC {host}:{port}/{page}{how}: {status['text']}"

    STEPS = ("login_page", "wrong_password", "demo_login", "instance", "console")

    def run(self):
        details = []
        for step in self.STEPS:
            t0 = time.monotonic()
            log(f"step {step}")
            self.step = step
            detail = getattr(self, "step_" + step)()
            log(f"step {step}: ok ({time.monotonic() - t0:.1f} s) {detail}")
            details.append(detail)
        return details


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Horizon in headless Chromium: login (a wrong password refused), the "
                    "verification instance Active, its noVNC console connected.",
        epilog="Exit status: 0 PASS, 1 FAIL, 2 the check could not start.")
    p.add_argument("--url", help="the dashboard's URL, as cluster/run prints it")
    p.add_argument("--credentials", metavar="FILE",
                   help="JSON from --credentials-from-pillar (mode 0600)")
    p.add_argument("--json", metavar="PATH", help="write the result as verify.py's JSON to PATH")
    p.add_argument("--screenshots", metavar="DIR", default="/vagrant/.cluster/dashboard")
    p.add_argument("--server-name", default="verify-instance",
                   help="verify.py's instance (its --server-name)")
    p.add_argument("--timeout", type=float, default=180, help="page and element waits (s)")
    p.add_argument("--console-timeout", type=float, default=90)
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    p.add_argument("--credentials-from-pillar", action="store_true",
                   help="run nothing: read salt-call --out=json pillar.get openstack "
                        "unmask=True on stdin, write the credentials JSON to stdout")
    args = p.parse_args(argv)
    if not args.credentials_from_pillar and not (args.url and args.credentials):
        p.error("--url and --credentials are required")
    return args


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if args.credentials_from_pillar:
        try:
            creds = credentials_from_pillar(sys.stdin.read())
        except ValueError as exc:
            print(f"dashboard: {exc}", file=sys.stderr)
            return verify.EXIT_ERROR
        json.dump(creds, sys.stdout)
        return verify.EXIT_OK
    started = time.time()
    try:
        with open(args.credentials, encoding="utf-8") as fh:
            creds = json.load(fh)
        secrets = {who: creds[who]["password"] for who in ("demo", "admin")}
        dashboard_urls(args.url)
        shots = pathlib.Path(args.screenshots)
        shots.mkdir(parents=True, exist_ok=True)
        for old in shots.glob("[0-9][0-9]-*.png"):
            old.unlink()
        browser = Browser(args, creds)
    except Exception as exc:  # noqa: BLE001 - whatever stops the check from starting
        reason = f"could not start: {type(exc).__name__}: {exc}"
        print(f"dashboard: {reason}", file=sys.stderr)
        doc = result_document(started, time.time() - started, args.url, verify.FAIL, reason, [],
                              code=verify.EXIT_ERROR)
        results.write_document(args.json, doc)
        return verify.EXIT_ERROR
    try:
        try:
            details = browser.run()
            result, detail = verify.PASS, "; ".join(details)
        except StepFailed as exc:
            result, detail = verify.FAIL, f"step {browser.step}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a browser error is a failure too
            result, detail = verify.FAIL, f"step {browser.step}: {error_line(exc)}"
            browser.shot("error")
    finally:
        browser.close()
    detail = verify.redact(detail, secrets.values())
    doc = result_document(started, time.time() - started, args.url, result, detail, browser.shots)
    results.write_document(args.json, doc)
    print()
    print(verify.render_table(doc["results"]))
    if result != verify.PASS:
        print(f"dashboard: FAIL: {detail}", file=sys.stderr)
    return doc["exit_code"]


if __name__ == "__main__":
    sys.exit(main())
