"""
``cluster/run mirror-check``: the check ``make cluster`` makes before the
box, that the three suites' InRelease files answer through the machines'
apt proxy; retried, and explained when they do not.  A stub mirror and a
stub proxy on loopback stand in for Debian's archive and apt-cacher-ng.
"""
import http.server
import os
import pathlib
import re
import subprocess
import threading

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
# the machines' release (cluster/debian.sh): its suites are the ones checked
SUITE = re.search(r"^debian_suite=(\w+)$", (REPO / "cluster" / "debian.sh").read_text(), re.M).group(1)


class _Stub:
    """An HTTP server on loopback answering each GET with the next status of
    ``codes`` (the last one repeats), recording the requested paths."""

    def __init__(self, codes):
        self.codes, self.paths = list(codes), []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                stub.paths.append(self.path)
                code = stub.codes.pop(0) if len(stub.codes) > 1 else stub.codes[0]
                body = b"Origin: Debian\n" if code == 200 else b""
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stubs():
    made = []

    def make(codes):
        made.append(_Stub(codes))
        return made[-1]

    yield make
    for stub in made:
        stub.close()


def _check(mirror, proxy, tries=3):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(CLUSTER_APT_PROXY=proxy.url, DEBIAN_MIRROR=f"{mirror.url}/debian",
               DEBIAN_SECURITY_MIRROR=f"{mirror.url}/debian-security",
               CLUSTER_MIRROR_TRIES=str(tries), CLUSTER_MIRROR_INTERVAL="0")
    return subprocess.run(["bash", str(REPO / "cluster" / "run"), "mirror-check"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_indexes_answering_through_the_proxy_pass_at_once(stubs):
    mirror, proxy = stubs([200]), stubs([200])
    proc = _check(mirror, proxy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "attempt" not in proc.stdout
    # every suite asked for, through the proxy (absolute URIs), none directly
    assert sorted(p.split("/dists/")[1] for p in proxy.paths) == [
        f"{SUITE}-security/InRelease", f"{SUITE}-updates/InRelease", f"{SUITE}/InRelease"]
    assert all(p.startswith(mirror.url) for p in proxy.paths)
    assert mirror.paths == []


def test_a_mirror_that_flaps_is_waited_for(stubs):
    mirror, proxy = stubs([200]), stubs([503, 200])
    proc = _check(mirror, proxy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "attempt 1 of 3:" in proc.stdout and ": 503" in proc.stdout
    assert "answering through" in proc.stdout and "(attempt 2)" in proc.stdout


def test_a_proxy_that_answers_404_fails_with_a_diagnosis(stubs):
    mirror, proxy = stubs([200]), stubs([404])
    proc = _check(mirror, proxy, tries=2)
    assert proc.returncode != 0
    out = proc.stdout
    assert "attempt 2 of 2:" in out and "attempt 3" not in out
    # the same index: 200 from the mirror itself, 404 through the proxy
    assert f"200 / 404  {mirror.url}/debian/dists/{SUITE}/InRelease" in out
    assert "127.0.0.1 resolves to: 127.0.0.1" in out
    assert "does not answer through the apt proxy" in out
