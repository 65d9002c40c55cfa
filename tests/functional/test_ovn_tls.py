"""
OVN's databases over mutual TLS, as the formulas set them up, against a
real ovsdb-server (trixie's, a throwaway one: see ovsdb_server.py).

The server runs with the SSL options Debian's ovn-ctl gives the databases'
ovsdb-server (``--private-key=db:<schema>,SSL,private_key`` and the like,
its remotes from the database); this one serves the ``Open_vSwitch``
schema (ovn-central is not in the functional root), whose SSL table is the
one ovn-controller reads and has the same columns as OVN's.  The files and
the set-ssl command are the ones ovn.chassis renders for compute1 (with
``openstack:lookup:ovn:tls_dir`` pointing at a temporary directory), the
certificates come from the project's CA module (openstack_tls), and the
listener is ``pssl:`` like the model's ``nb_listen``/``sb_listen``.

A client with a certificate from the cloud's CA is served; one without a
certificate, one with a certificate from another CA (same CA name,
another key) and a plain ``tcp:`` client are refused.  cluster/verify.py's
probe gives the same verdicts.
"""
import copy
import pathlib
import socket
import ssl
import subprocess
import sys
import time

import pytest
import yaml
from minion_opts import pillar_loaders, render_states, state_args
from ovsdb_server import OvsdbServer  # tests/functional is on sys.path
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
sys.path.insert(0, str(REPO / "cluster"))  # verify.py's sibling salt_output.py
verify = load("cluster/verify.py", "verify_ovn_tls")

# ovn-ctl's options for a database's ovsdb-server (run_nb_ovsdb and
# run_sb_ovsdb with no file given: the SSL table's), for this schema.
SSL_FROM_DB = [f"--{option}=db:Open_vSwitch,SSL,{column}"
               for option, column in (("private-key", "private_key"),
                                      ("certificate", "certificate"), ("ca-cert", "ca_cert"))]
LIST_DBS = b'{"method": "list_dbs", "params": [], "id": 0}'


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sh(command, server):
    return subprocess.run(command, shell=True, env=server.env(), capture_output=True,  # noqa: S602
                          text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ovn-pki")


@pytest.fixture(scope="module")
def loaders(tmp_path_factory, tls_dir):
    pillar = copy.deepcopy(EXAMPLE)
    pillar["openstack"].setdefault("lookup", {})["ovn"] = {"tls_dir": str(tls_dir)}
    return pillar_loaders(tmp_path_factory, "compute1", pillar, tag="ovn-tls")


@pytest.fixture(scope="module")
def chassis(loaders, tls_dir):
    """ovn.chassis as compute1 renders it, its TLS files written as its
    file.managed states say."""
    states = render_states(loaders, ["ovn.chassis"])
    for suffix in ("private-key", "certificate", "ca-cert"):
        args = state_args(states, f"ovn-tls-{suffix}", "file")
        path = pathlib.Path(args["name"])
        assert path.parent == tls_dir
        path.write_text(args["contents"])
        path.chmod(int(args["mode"], 8))
    return states


@pytest.fixture(scope="module")
def files(chassis):
    return {suffix: state_args(chassis, f"ovn-tls-{suffix}", "file")["name"]
            for suffix in ("private-key", "certificate", "ca-cert")}


@pytest.fixture(scope="module")
def intruder(loaders, tmp_path_factory):
    """A key and certificate from another CA (the same CA name: only the
    signature tells them apart)."""
    pair = loaders.modules.openstack_tls.issue(
        "compute1", ["compute1"], ["127.0.0.1"], 60,
        directory=str(tmp_path_factory.mktemp("other-ca") / "openstack_ca"))
    directory = tmp_path_factory.mktemp("intruder")
    for kind in ("key", "cert"):
        (directory / kind).write_text(pair[kind])
    return directory


@pytest.fixture(scope="module")
def server(chassis):
    """The server, its SSL table set by the formula's own command, then a
    pssl: listener on a free port; (server, port)."""
    ssl_state = state_args(chassis, "ovn-chassis-ssl", "cmd")
    # No ovs-vswitchd here: ovs-vsctl must not wait for it to reconfigure.
    set_ssl = ssl_state["name"].replace("ovs-vsctl ", "ovs-vsctl --no-wait ", 1)
    with OvsdbServer(extra_args=[
            "--remote=db:Open_vSwitch,Open_vSwitch,manager_options", *SSL_FROM_DB]) as srv:
        assert _sh(ssl_state["unless"], srv).returncode != 0, "unless holds before set-ssl"
        done = _sh(set_ssl, srv)
        assert done.returncode == 0, done.stderr
        assert _sh(ssl_state["unless"], srv).returncode == 0, srv.vsctl("get-ssl")
        port = _free_port()
        srv.vsctl("set-manager", f"pssl:{port}:127.0.0.1")
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no pssl listener on {port}:\n{srv.log_tail()}") from None
                time.sleep(0.1)
        yield srv, port


def _list_dbs(port, *options, scheme="ssl"):
    return subprocess.run(["ovsdb-client", "--timeout=10", *options, "list-dbs",
                           f"{scheme}:127.0.0.1:{port}"],
                          capture_output=True, text=True, timeout=60, check=False)


def _python_client(port, ca_cert, pair=None):
    """list_dbs over TLS from Python's ssl (neutron's OVSDB client is
    Python): the answer, or None when the server refuses."""
    context = ssl.create_default_context(cafile=ca_cert)
    context.check_hostname = False  # OVSDB's clients do not check names either
    if pair:
        context.load_cert_chain(*pair)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw) as tls:
            tls.sendall(LIST_DBS)
            return tls.recv(65536) or None
    except (ssl.SSLError, OSError):
        return None


def test_a_client_with_a_certificate_from_the_cloud_ca_is_served(server, files):
    _, port = server
    proc = _list_dbs(port, "-p", files["private-key"], "-c", files["certificate"],
                     "-C", files["ca-cert"])
    assert proc.returncode == 0, proc.stderr
    assert "Open_vSwitch" in proc.stdout.split()
    answer = _python_client(port, files["ca-cert"], (files["certificate"], files["private-key"]))
    assert answer is not None and b'"Open_vSwitch"' in answer


def test_a_client_without_a_certificate_is_refused(server, files):
    _, port = server
    assert _python_client(port, files["ca-cert"]) is None


def test_a_certificate_from_another_ca_is_refused(server, files, intruder):
    _, port = server
    proc = _list_dbs(port, "-p", str(intruder / "key"), "-c", str(intruder / "cert"),
                     "-C", files["ca-cert"])
    assert proc.returncode != 0
    assert "Open_vSwitch" not in proc.stdout
    assert _python_client(port, files["ca-cert"],
                          (str(intruder / "cert"), str(intruder / "key"))) is None


def test_a_plain_tcp_client_is_refused(server):
    _, port = server
    proc = _list_dbs(port, scheme="tcp")
    assert proc.returncode != 0
    assert "Open_vSwitch" not in proc.stdout


def test_the_cluster_probe_passes_tls_and_flags_a_plain_listener(server):
    srv, port = server
    ctl = f"ovs-vsctl --db=unix:{srv.socket}"

    def problems(target):
        proc = _sh(verify.ovn_tls_probe_command(ctl, target), srv)
        return verify.ovn_tls_problems({"here": {"stdout": proc.stdout, "stderr": proc.stderr}},
                                       target, "Open_vSwitch")

    assert problems(f"ssl:127.0.0.1:{port}") == []
    plain = _free_port()
    srv.vsctl("add", "Open_vSwitch", ".", "manager_options", "@m", "--",
              "--id=@m", "create", "Manager", f"target=ptcp\\:{plain}\\:127.0.0.1")
    try:
        deadline = time.monotonic() + 15
        while _list_dbs(plain, scheme="tcp").returncode != 0:
            assert time.monotonic() < deadline, srv.log_tail()
            time.sleep(0.2)
        found = problems(f"ssl:127.0.0.1:{plain}")
        assert any("answers a plain tcp: OVSDB client" in p for p in found), found
        assert any("cannot list" in p for p in found), found
    finally:
        srv.vsctl("set-manager", f"pssl:{port}:127.0.0.1")
