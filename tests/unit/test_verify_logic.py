"""
Pure logic of cluster/verify.py: openrc parsing, console-log markers,
gluster answers, the service table, check selection, result classification
and the final table.  Nothing here talks to a cloud: the checks themselves
only run against a real one (cluster/run).

console_local_qemu.txt is a real console of the verification guest booted by
`cluster/build-image.sh --test` (qemu TCG, user-mode network, metadata
stand-in).
"""
import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data" / "verify"
sys.path.insert(0, str(REPO / "cluster"))  # verify.py's sibling salt_output.py


def _load():
    spec = importlib.util.spec_from_file_location("verify_under_test", REPO / "cluster" / "verify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verify = _load()

LOCAL_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIbuildimagetest12507 verify@build-image"
LOCAL_BOOT_ID = "a50ee51c-68b5-42ff-a41b-9553581643dc"


@pytest.fixture
def local_console():
    return (DATA / "console_local_qemu.txt").read_text()


# --- openrc -----------------------------------------------------------------

def test_openrc_as_the_keystone_formula_writes_it():
    # salt/keystone/files/openrc.jinja, with a password holding a quote.
    text = """# Managed by Salt (keystone formula): admin credentials for the openstack CLI.
# Source it: . /root/admin-openrc
export OS_AUTH_URL=http://controller:5000/v3
export OS_IDENTITY_API_VERSION=3
export OS_PROJECT_NAME=admin
export OS_PROJECT_DOMAIN_NAME=Default
export OS_USERNAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_PASSWORD='it'\\''s $ecret "x"'
"""
    env = verify.parse_openrc(text)
    assert env["OS_PASSWORD"] == "it's $ecret \"x\""
    assert env["OS_AUTH_URL"] == "http://controller:5000/v3"
    assert env["OS_REGION_NAME"] == "RegionOne"
    args = verify.sdk_auth_args(env)
    assert args["password"] == env["OS_PASSWORD"]
    assert args["region_name"] == "RegionOne"
    assert args["identity_api_version"] == "3"


def test_openrc_ignores_other_variables_comments_and_logic():
    text = 'PATH=/x\nexport OS_USERNAME="demo"  # the demo user\nif true; then :; fi\n  OS_PASSWORD=p\n'
    assert verify.parse_openrc(text) == {"OS_USERNAME": "demo", "OS_PASSWORD": "p"}


def test_openrc_unbalanced_quote_names_the_line():
    with pytest.raises(ValueError, match="line 2: OS_PASSWORD"):
        verify.parse_openrc("export OS_USERNAME=a\nexport OS_PASSWORD='oops\n")


def test_auth_args_take_the_openrcs_ca():
    env = {"OS_AUTH_URL": "https://c:13000/v3", "OS_USERNAME": "a", "OS_PASSWORD": "p"}
    assert "cacert" not in verify.sdk_auth_args(env)
    assert verify.sdk_auth_args(dict(env, OS_CACERT="/ca.crt"))["cacert"] == "/ca.crt"


class _Session:
    """What public_endpoint_problems asks: one GET over TLS, its status."""

    def __init__(self, outcome):
        self.outcome, self.urls = outcome, []

    def __call__(self, url):
        self.urls.append(url)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def _refused(_url):
    raise ConnectionError("reset by peer")


def test_public_endpoint_over_tls_only_passes():
    session = _Session(300)
    assert verify.public_endpoint_problems(session, "https://c:13292", _refused) == []
    assert session.urls == ["https://c:13292"]


def test_public_endpoint_in_clear_is_a_problem():
    assert verify.public_endpoint_problems(_Session(200), "http://c:9292", _refused) == [
        "http://c:9292: not HTTPS"]


def test_public_endpoint_with_a_refused_certificate_is_a_problem():
    problems = verify.public_endpoint_problems(
        _Session(OSError("CERTIFICATE_VERIFY_FAILED")), "https://c:13000/v3", _refused)
    assert problems == ["https://c:13000/v3: unreachable: CERTIFICATE_VERIFY_FAILED"]


def test_public_port_answering_in_clear_is_a_problem():
    seen = []

    def plain(url):
        seen.append(url)
        return 200

    problems = verify.public_endpoint_problems(_Session(200), "https://c:13774/v2.1", plain)
    assert seen == ["http://c:13774/"]
    assert problems == ["http://c:13774/: answers in clear (HTTP 200)"]
    # an HTTP error in clear (a proxy's 400 "plain HTTP to an HTTPS port") is no answer
    assert verify.public_endpoint_problems(_Session(200), "https://c:13774", lambda _u: 400) == []


def test_an_https_url_without_port_is_probed_in_clear_on_443_not_80():
    """The dashboard (https://gateway/horizon): its port 443 must not answer
    in clear; port 80 redirects to HTTPS by design (found on the cluster)."""
    seen = []

    def plain(url):
        seen.append(url)
        return 400 if url.endswith(":443/") else 301

    assert verify.public_endpoint_problems(_Session(200), "https://gateway/horizon", plain) == []
    assert seen == ["http://gateway:443/"]


def test_public_trust_is_the_ca_the_model_names():
    public = {"controller": {"issuer": "cloud", "cert": None, "ca": None},
              "gateway": {"issuer": "operator", "cert": "C", "ca": "OPERATOR CA"},
              "gw2": {"issuer": "operator", "cert": "C", "ca": None}}
    assert verify.public_trust(public, "controller") == {"cafile": verify.TRUSTED_CA_FILE}
    assert verify.public_trust(public, "gateway") == {"cadata": "OPERATOR CA"}
    assert verify.public_trust(public, "gw2") == {}  # the system store
    with pytest.raises(ValueError, match="compute1 serves no public endpoint"):
        verify.public_trust(public, "compute1")
    assert verify.public_url_problems(public, "https://compute1:13000") == [
        "https://compute1:13000: compute1 serves no public endpoint in the model (tls:public)"]
    assert verify.gateway_public_urls(public, ["gateway", "gw2"],
                                      "https://gateway:6080/vnc_auto.html") == [
        "https://gateway/", "https://gw2/", "https://gateway:6080/vnc_auto.html"]


@pytest.fixture
def https_server(tmp_path):
    """A real HTTPS server on localhost with a certificate from an operator
    CA: (its URL, the CA's PEM)."""
    import http.server  # noqa: PLC0415
    import ssl  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from operator_pki import Issuer  # noqa: PLC0415

    ca = Issuer("Operator CA")
    cert, key = ca.issue(["localhost"])
    (tmp_path / "pair.pem").write_text(cert + key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "pair.pem")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}/", ca.pem
    finally:
        server.shutdown()
        server.server_close()


def test_tls_status_validates_against_the_named_ca(https_server):
    import ssl  # noqa: PLC0415

    from operator_pki import Issuer  # noqa: PLC0415

    url, ca = https_server
    assert verify.tls_status(url, {"cadata": ca}) < 500
    with pytest.raises(ssl.SSLCertVerificationError):
        verify.tls_status(url, {"cadata": Issuer("Another CA").pem})
    public = {"localhost": {"issuer": "operator", "cert": "C", "ca": ca}}
    assert verify.public_url_problems(public, url) == []
    cloud = {"localhost": {"issuer": "cloud", "cert": None, "ca": None}}
    problems = verify.public_url_problems(dict(cloud), url)
    assert len(problems) == 1 and "unreachable" in problems[0], problems


def test_auth_args_need_url_user_password():
    with pytest.raises(ValueError, match="OS_PASSWORD"):
        verify.sdk_auth_args({"OS_AUTH_URL": "u", "OS_USERNAME": "admin"})


def test_redact_hides_secrets_and_ignores_empty():
    assert verify.redact("auth failed for pw123 at x", ["pw123", ""]) == "auth failed for ****** at x"


# --- the console ----------------------------------------------------------------

def test_parse_real_console(local_console):
    info = verify.parse_console(local_console)
    assert info["boot_ids"] == [LOCAL_BOOT_ID]
    assert info["boot"][0].startswith("verification guest up: kernel 6.1.0-57-cloud-amd64")
    assert (info["address"], info["prefix"], info["router"]) == ("169.254.0.15", 16, "169.254.0.2")
    # qemu's user-mode DHCP server answers from its host address; eth0 stays at 1500
    assert (info["dhcp_server"], info["mtu"]) == ("169.254.0.2", 1500)
    assert info["uuid"] == "00000000-0000-4000-8000-000000000001"
    # repeated markers are not repeated in the lists
    assert info["userdata"] == ["#!/bin/sh", "echo local-test-1796137235-12507"]
    assert info["sshkey"] == LOCAL_KEY
    assert info["disks"] == {"vda": 1048576}
    assert info["alive"] == [{"n": 1, "uptime": 3.27, "boot_id": LOCAL_BOOT_ID}]
    assert verify.console_problems(
        info, address="169.254.0.15", userdata_token="local-test-1796137235-12507",
        public_key=LOCAL_KEY, server_id="00000000-0000-4000-8000-000000000001",
        dhcp_server="169.254.0.2", mtu=1500) == []


def test_guest_ssh_answer_is_dropbears_banner():
    # tcp_probe's answer for the guest's port 22: dropbear's identification
    # line as `cluster/build-image.sh --test` read it from the booted guest.
    assert verify.guest_ssh_answer_ok("OPEN SSH-2.0-dropbear_2022.83")
    assert verify.guest_ssh_answer_ok("OPEN SSH-2.0-dropbear_2025.88")
    # the banner the guest printed before it had an SSH server, and others
    assert not verify.guest_ssh_answer_ok("OPEN SSH-2.0-verify-guest 1b2c")
    assert not verify.guest_ssh_answer_ok("OPEN SSH-2.0-OpenSSH_9.2p1 Debian-2")
    assert not verify.guest_ssh_answer_ok("OPEN")
    for answer in ("FILTERED", "REFUSED", "ERROR [Errno 113] No route to host", ""):
        assert not verify.guest_ssh_answer_ok(answer)


def test_crlf_and_kernel_text_before_a_marker():
    text = ("[    1.0] Run /init\r\n[    2.5] random: crng init doneVERIFY-BOOT up boot_id=ab-12\r\n"
            "VERIFY-DHCP eth0 address=172.16.1.5/24 router=172.16.1.1\r\n"
            "VERIFY-ALIVE n=3 uptime=31.50 boot_id=ab-12\r\n")
    info = verify.parse_console(text)
    assert info["boot_ids"] == ["ab-12"]
    assert info["address"] == "172.16.1.5"
    assert info["alive"][-1] == {"n": 3, "uptime": 31.5, "boot_id": "ab-12"}


def test_problems_name_what_is_missing():
    assert verify.console_problems(verify.parse_console("no markers at all")) == [
        "no boot line (VERIFY-BOOT): the guest's init did not run"]
    text = "\n".join([
        "VERIFY-BOOT up boot_id=1",
        "VERIFY-DHCP eth0 address=172.16.1.9/24 router=172.16.1.1",
        "VERIFY-METADATA-FAILED openstack/latest/meta_data.json: wget: server returned error: HTTP/1.1 500",
        "VERIFY-USERDATA-NONE",
        "VERIFY-SSHKEY ssh-rsa AAAAother other@host",
    ])
    problems = verify.console_problems(verify.parse_console(text), address="172.16.1.5",
                                       userdata_token="tok", public_key="ssh-rsa AAAAmine me@x")
    assert problems == [
        "guest got 172.16.1.9 by DHCP, Neutron's port has 172.16.1.5",
        "metadata service: openstack/latest/meta_data.json: wget: server returned error: HTTP/1.1 500",
        "the guest found no user-data in the metadata service",
        "the SSH key the guest printed is not the key pair's public key",
        "the guest's init did not reach its loop (no VERIFY-ALIVE)",
    ]


def test_dhcp_failure_and_foreign_uuid():
    text = "VERIFY-BOOT up boot_id=1\nVERIFY-DHCP-FAILED eth0: no lease (udhcpc: no lease, failing)\n" \
           "VERIFY-UUID 11111111-2222-3333-4444-555555555555\nVERIFY-SSHKEY-NONE\n"
    problems = verify.console_problems(verify.parse_console(text), public_key="ssh-ed25519 AAAA k",
                                       server_id="99999999-2222-3333-4444-555555555555")
    assert problems[0] == "DHCP failed in the guest: eth0: no lease (udhcpc: no lease, failing)"
    assert "metadata service answered for instance 11111111" in problems[1]
    assert problems[2] == "the guest found no SSH key in the metadata service"


@pytest.mark.parametrize("tap", ["tap0123456789a", "tap5e13e4b3-42"])
def test_lease_probe_is_one_shell_command_for_the_tap(tap):
    cmd = verify.lease_probe_command(tap, "fa:16:3e:80:67:62")
    assert subprocess.run(["bash", "-n", "-c", cmd], check=False).returncode == 0
    assert f"get Interface {tap} " in cmd
    for what in ("ovn-installed=", "tap=", "dhcp-flows=", "pinctrl-packet-ins=", "offers=", "sb="):
        assert f"echo {what}" in cmd
    assert " dhcp-hits=" in cmd
    assert "'DHCPOFFER fa:16:3e:80:67:62'" in cmd


def test_lease_probe_counts_the_dhcp_flows_and_their_hits(tmp_path):
    # the tools it calls, as small scripts on PATH: only their output matters
    # here (the real ones on a live compute: cluster/README.md, verify)
    flows = ("cookie=0x1, table=27, n_packets=3, priority=100,udp actions=controller(userdata=00.00.00.02.00)\n"
             "cookie=0x2, table=27, n_packets=0, priority=100,udp actions=controller(userdata=00.00.00.02.00)\n"
             "cookie=0x3, table=0, n_packets=9, priority=0 actions=NORMAL\n")
    (tmp_path / "flows").write_text(flows)
    tools = {"ovs-ofctl": f"cat {tmp_path / 'flows'}", "ovs-vsctl": "echo 3", "ovn-appctl": "echo connected",
             "ovs-appctl": "true"}
    for name, body in tools.items():
        tool = tmp_path / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    cmd = verify.lease_probe_command("tap5e13e4b3-42", "fa:16:3e:80:67:62")
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=False,
                         env={"PATH": f"{tmp_path}:/usr/bin:/bin"}).stdout
    assert "dhcp-flows=2 dhcp-hits=3,0," in out


@pytest.mark.parametrize("tap", ["eth0", "tap$(id)", "tap0; reboot", "tap0123456789abc", ""])
def test_lease_probe_refuses_what_is_no_tap_name(tap):
    with pytest.raises(ValueError, match="not a tap name"):
        verify.lease_probe_command(tap, "fa:16:3e:80:67:62")


@pytest.mark.parametrize("mac", ["", None, "fa:16:3e:80:67", "fa:16:3e:80:67:62'; reboot #", "FA-16-3E-80-67-62"])
def test_lease_probe_refuses_what_is_no_mac(mac):
    with pytest.raises(ValueError, match="not a MAC address"):
        verify.lease_probe_command("tap5e13e4b3-42", mac)


def test_lost_lease_only_for_a_guest_that_booted_without_an_address():
    booted = "VERIFY-BOOT up boot_id=1\n"
    assert verify.lost_lease(verify.parse_console(
        booted + "VERIFY-DHCP-FAILED eth0: no lease (udhcpc: no lease, failing)\n"))
    assert verify.lost_lease(verify.parse_console(booted + "VERIFY-ALIVE n=1 uptime=30.0 boot_id=1\n"))
    # no boot line: the guest never ran, a second boot would not help
    assert not verify.lost_lease(verify.parse_console("no markers at all"))
    assert not verify.lost_lease(None)
    # a lease, whatever else went wrong (metadata): not a lost lease
    assert not verify.lost_lease(verify.parse_console(
        booted + "VERIFY-DHCP eth0 address=172.16.1.5/24 router=172.16.1.1\n"
        "VERIFY-METADATA-FAILED openstack/latest/meta_data.json: wget: can't connect\n"))


def test_a_retried_step_that_succeeded_is_not_a_problem():
    text = "\n".join([
        "VERIFY-BOOT up boot_id=1",
        "VERIFY-DHCP-FAILED eth0: no lease (udhcpc: no lease, failing)",
        "VERIFY-METADATA-FAILED openstack/latest/meta_data.json: wget: can't connect",
        "VERIFY-ALIVE n=1 uptime=30.0 boot_id=1",
        "VERIFY-DHCP eth0 address=172.16.1.5/24 router=172.16.1.1",
        "VERIFY-UUID 11111111-2222-3333-4444-555555555555",
        "VERIFY-USERDATA echo tok",
        "VERIFY-SSHKEY ssh-ed25519 AAAA k",
        "VERIFY-ALIVE n=2 uptime=40.0 boot_id=1",
    ])
    info = verify.parse_console(text)
    assert verify.console_problems(info, address="172.16.1.5", userdata_token="tok",
                                   public_key="ssh-ed25519 AAAA other",
                                   server_id="11111111-2222-3333-4444-555555555555") == []
    # and the other way round: a lost lease after a good one is reported
    info = verify.parse_console(text + "\nVERIFY-DHCP-FAILED eth0: no lease (x)\n")
    assert verify.console_problems(info)[0] == "DHCP failed in the guest: eth0: no lease (x)"


def test_lease_from_ovn_native_dhcp_with_the_network_mtu():
    text = ("VERIFY-BOOT up boot_id=1\n"
            "VERIFY-DHCP eth0 address=172.16.1.5/24 router=172.16.1.1 server=172.16.1.1 mtu=1442\n"
            "VERIFY-ALIVE n=1 uptime=9.0 boot_id=1\n")
    info = verify.parse_console(text)
    assert (info["router"], info["dhcp_server"], info["mtu"]) == ("172.16.1.1", "172.16.1.1", 1442)
    assert verify.console_problems(info, address="172.16.1.5", dhcp_server="172.16.1.1",
                                   mtu=1442) == []
    # a DHCP agent's dnsmasq (its own port's address) and a 1500 MTU on Geneve
    other = verify.parse_console(text.replace("server=172.16.1.1 mtu=1442",
                                              "server=172.16.1.2 mtu=1500"))
    assert verify.console_problems(other, address="172.16.1.5", dhcp_server="172.16.1.1",
                                   mtu=1442) == [
        "the lease came from DHCP server 172.16.1.2, not OVN's native DHCP (172.16.1.1, "
        "the subnet's gateway)",
        "guest MTU 1500, the network's is 1442"]
    # an image older than the server/mtu fields says so instead of passing
    old = verify.parse_console(text.replace(" server=172.16.1.1 mtu=1442", ""))
    assert verify.console_problems(old, dhcp_server="172.16.1.1", mtu=1442) == [
        "the lease came from DHCP server unknown, not OVN's native DHCP (172.16.1.1, "
        "the subnet's gateway)",
        "guest MTU unknown, the network's is 1442"]
    # a lost lease forgets the old one's values
    lost = verify.parse_console(text + "VERIFY-DHCP-FAILED eth0: no lease (x)\n")
    assert (lost["dhcp_server"], lost["mtu"]) == (None, None)


def test_key_comparison_ignores_the_comment():
    assert verify.key_body("ssh-rsa AAAAB3 Generated-by-Nova") == "ssh-rsa AAAAB3"
    info = verify.parse_console("VERIFY-BOOT b boot_id=1\nVERIFY-DHCP eth0 address=1.2.3.4/24\n"
                                "VERIFY-SSHKEY ssh-rsa AAAAB3\nVERIFY-ALIVE n=1 uptime=1.0 boot_id=1\n")
    assert verify.console_problems(info, public_key="ssh-rsa AAAAB3 Generated-by-Nova") == []


def test_still_running_after_migration():
    before = verify.parse_console("VERIFY-ALIVE n=4 uptime=40.1 boot_id=aaaa-1\n")
    after = verify.parse_console("VERIFY-BOOT x boot_id=aaaa-1\nVERIFY-ALIVE n=9 uptime=92.3 boot_id=aaaa-1\n")
    ok, why = verify.still_running(before, after)
    assert ok and why == "same boot aaaa-1, uptime 40 s -> 92 s"
    rebooted = verify.parse_console("VERIFY-ALIVE n=1 uptime=3.0 boot_id=bbbb-2\n")
    assert verify.still_running(before, rebooted) == (
        False, "the guest rebooted (boot_id aaaa-1 -> bbbb-2)")
    assert verify.still_running(before, verify.parse_console(""))[0] is False
    stale = verify.parse_console("VERIFY-ALIVE n=4 uptime=40.1 boot_id=aaaa-1\n")
    assert verify.still_running(before, stale) == (False, "uptime did not advance (40.1 -> 40.1)")


# --- gluster -------------------------------------------------------------------

HEADER = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

VOLUME_INFO = HEADER + """<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/>
  <volInfo><volumes>
    <volume><name>other</name><statusStr>Started</statusStr><replicaCount>1</replicaCount>
      <typeStr>Distribute</typeStr><bricks/></volume>
    <volume>
      <name>nova-instances</name><status>1</status><statusStr>Started</statusStr>
      <brickCount>2</brickCount><replicaCount>2</replicaCount><typeStr>Replicate</typeStr>
      <bricks>
        <brick uuid="u1">compute1:/srv/gluster/nova-instances<name>compute1:/srv/gluster/nova-instances</name><hostUuid>u1</hostUuid><isArbiter>0</isArbiter></brick>
        <brick uuid="u2">compute2:/srv/gluster/nova-instances<name>compute2:/srv/gluster/nova-instances</name><hostUuid>u2</hostUuid><isArbiter>0</isArbiter></brick>
      </bricks>
    </volume><count>2</count>
  </volumes></volInfo></cliOutput>
"""

VOLUME_STATUS = HEADER + """<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/>
  <volStatus><volumes><volume><volName>nova-instances</volName><nodeCount>3</nodeCount>
    <node><hostname>compute1</hostname><path>/srv/gluster/nova-instances</path><status>1</status>
      <port>55451</port><ports><tcp>55451</tcp><rdma>N/A</rdma></ports></node>
    <node><hostname>compute2</hostname><path>/srv/gluster/nova-instances</path><status>0</status>
      <port>N/A</port><ports><tcp>N/A</tcp><rdma>N/A</rdma></ports></node>
    <node><hostname>Self-heal Daemon</hostname><path>localhost</path><status>1</status>
      <port>N/A</port></node>
  </volume></volumes></volStatus></cliOutput>
"""

HEAL_XML = HEADER + """<cliOutput><healInfo><bricks>
  <brick hostUuid="u1"><name>compute1:/srv/gluster/nova-instances</name><status>Connected</status>
    <numberOfEntries>3</numberOfEntries></brick>
  <brick hostUuid="-"><name>compute2:/srv/gluster/nova-instances</name>
    <status>Transport endpoint is not connected</status><numberOfEntries>-</numberOfEntries></brick>
</bricks></healInfo><opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>
"""

HEAL_XML_CLEAN = HEADER + """<cliOutput><healInfo><bricks>
  <brick hostUuid="u1"><name>compute1:/srv/gluster/nova-instances</name><status>Connected</status>
    <numberOfEntries>0</numberOfEntries></brick>
  <brick hostUuid="u2"><name>compute2:/srv/gluster/nova-instances</name><status>Connected</status>
    <numberOfEntries>0</numberOfEntries></brick>
</bricks></healInfo><opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>
"""


def test_volume_info_picks_the_volume():
    info = verify.parse_gluster_volume_info(VOLUME_INFO, "nova-instances")
    assert info == {"type": "Replicate", "status": "started", "replica": 2, "bricks": [
        {"host": "compute1", "path": "/srv/gluster/nova-instances"},
        {"host": "compute2", "path": "/srv/gluster/nova-instances"}]}
    with pytest.raises(ValueError, match="volume nope not in"):
        verify.parse_gluster_volume_info(VOLUME_INFO, "nope")


def test_gluster_error_in_xml_raises():
    failed = HEADER + "<cliOutput><opRet>-1</opRet><opErrno>2</opErrno>" \
                      "<opErrstr>Volume nova-instances does not exist</opErrstr></cliOutput>"
    with pytest.raises(ValueError, match="does not exist"):
        verify.parse_gluster_volume_info(failed, "nova-instances")
    with pytest.raises(ValueError, match="does not exist"):
        verify.parse_gluster_volume_status(failed)
    with pytest.raises(ValueError, match="does not exist"):
        verify.parse_gluster_heal_info(failed)


def test_gluster_text_instead_of_xml_raises():
    # what the CLI prints when glusterd is down, --xml or not
    down = "Connection failed. Please check if gluster daemon is operational.\n"
    with pytest.raises(ValueError, match="no XML answer from gluster: Connection failed"):
        verify.parse_gluster_volume_info(down, "nova-instances")
    with pytest.raises(ValueError, match="no XML answer"):
        verify.parse_gluster_heal_info(down)


def test_volume_status_bricks_only():
    assert verify.parse_gluster_volume_status(VOLUME_STATUS) == [
        {"host": "compute1", "path": "/srv/gluster/nova-instances", "online": True, "port": 55451},
        {"host": "compute2", "path": "/srv/gluster/nova-instances", "online": False, "port": None}]


def test_heal_info():
    bricks = verify.parse_gluster_heal_info(HEAL_XML)
    assert bricks[0] == {"brick": "compute1:/srv/gluster/nova-instances", "status": "Connected",
                         "connected": True, "entries": 3}
    assert bricks[1]["entries"] is None
    assert verify.heal_problems(bricks) == [
        "compute1:/srv/gluster/nova-instances: 3 entries to heal",
        "compute2:/srv/gluster/nova-instances: Transport endpoint is not connected"]
    clean = verify.parse_gluster_heal_info(HEAL_XML_CLEAN)
    assert [b["entries"] for b in clean] == [0, 0]
    assert verify.heal_problems(clean) == []
    assert verify.heal_problems([]) == ["heal info listed no bricks"]


@pytest.mark.parametrize("pillar,computes,want", [
    ({}, 1, 1), ({}, 2, 2), ({}, 3, 3), ({}, 5, 3), ({"replica": 2}, 4, 2)])
def test_expected_replica_follows_the_pillar_rule(pillar, computes, want):
    assert verify.expected_replica(pillar, computes) == want


# --- the service table ------------------------------------------------------------

HOSTS = {
    "controller": {"roles": ["controller"], "address": "192.168.56.10"},
    "gateway": {"roles": ["gateway"], "address": "192.168.56.11"},
    "compute1": {"roles": ["compute"], "address": "192.168.56.21"},
    "compute2": {"roles": ["compute"], "address": "192.168.56.22"},
}


def _healthy():
    nova = [{"binary": b, "host": "controller", "state": "up", "status": "enabled"}
            for b in ("nova-conductor", "nova-scheduler")]
    nova += [{"binary": "nova-compute", "host": f"compute{i}.cloud.test", "state": "up",
              "status": "enabled"} for i in (1, 2)]
    # As neutron-server's ML2/OVN agent list reports them (host = chassis hostname).
    agents = [{"agent_type": "OVN Controller Gateway agent", "host": "gateway", "alive": True,
               "admin_state_up": True, "chassis": "gateway", "bridge_mappings": "provider:br-ex"}]
    for i in (1, 2):
        agents += [{"agent_type": t, "host": f"compute{i}.cloud.test", "alive": True,
                    "admin_state_up": True, "chassis": f"compute{i}", "bridge_mappings": ""}
                   for t in ("OVN Controller agent", "OVN Metadata agent")]
    return nova, agents


def test_service_table_healthy():
    nova, agents = _healthy()
    problems, summary = verify.service_table_problems(HOSTS, nova, agents, "provider")
    assert problems == []
    assert summary == "4 nova services, 5 OVN agents expected"


def test_service_table_names_each_problem():
    nova, agents = _healthy()
    nova[3]["state"] = "down"                       # compute2's nova-compute
    nova.append({"binary": "nova-compute", "host": "old-compute", "state": "down", "status": "enabled"})
    agents[1]["alive"] = False                      # compute1's controller agent
    agents = [a for a in agents if not (a["agent_type"] == "OVN Metadata agent"
                                        and a["host"].startswith("compute2"))]
    problems, _ = verify.service_table_problems(HOSTS, nova, agents, "provider")
    assert problems == [
        "nova-compute on compute2: state down",
        "OVN Controller agent on compute1: not alive",
        "OVN Metadata agent on compute2: not registered",
        "unexpected nova-compute on old-compute: state down",
    ]


def test_service_table_ovn_chassis_identity_gateway_flag_and_mapping():
    nova, agents = _healthy()
    agents[3]["chassis"] = "9b0c5a1e-box-system-id"   # compute2: the box's system-id
    problems, _ = verify.service_table_problems(HOSTS, nova, agents, "physnet1")
    assert problems == [
        "OVN Controller agent on compute2: chassis 9b0c5a1e-box-system-id, not compute2 "
        "(external_ids:system-id must be the minion id)",
        "OVN Controller Gateway agent on gateway: no bridge mapping for physnet1 "
        "(ovn-bridge-mappings: provider:br-ex)",
    ]
    # a gateway chassis without enable-chassis-as-gw is listed as a plain controller agent
    nova, agents = _healthy()
    agents[0]["agent_type"] = "OVN Controller agent"
    problems, _ = verify.service_table_problems(HOSTS, nova, agents, "provider")
    assert problems == [
        "OVN Controller Gateway agent on gateway: not registered (its chassis is an OVN "
        "Controller agent: ovn-cms-options lacks enable-chassis-as-gw)"]


def test_service_table_agents_ml2_ovn_does_not_use_are_problems_alive_or_not():
    nova, agents = _healthy()
    agents += [{"agent_type": "L3 agent", "host": "gateway", "alive": True, "admin_state_up": True},
               {"agent_type": "Linux bridge agent", "host": "compute1", "alive": False,
                "admin_state_up": True},
               # an OVN chassis gone for good (an old host) is reported, a live extra one not
               {"agent_type": "OVN Controller agent", "host": "old-compute", "alive": False,
                "admin_state_up": True},
               {"agent_type": "OVN Neutron agent", "host": "compute1", "alive": True,
                "admin_state_up": True}]
    problems, _ = verify.service_table_problems(HOSTS, nova, agents)
    assert problems == [
        "L3 agent on gateway (alive): not an ML2/OVN agent (OVN routes and serves DHCP and "
        "metadata itself)",
        "Linux bridge agent on compute1 (not alive): not an ML2/OVN agent (OVN routes and serves "
        "DHCP and metadata itself)",
        "unexpected OVN Controller agent on old-compute: not alive",
    ]


def test_expected_agents_per_roles():
    assert verify.expected_neutron_agents(["compute"]) == ["OVN Controller agent", "OVN Metadata agent"]
    assert verify.expected_neutron_agents(["gateway"]) == ["OVN Controller Gateway agent"]
    # one chassis per host: a gateway that is also a compute is a gateway chassis
    assert verify.expected_neutron_agents(["gateway", "compute"]) == [
        "OVN Controller Gateway agent", "OVN Metadata agent"]
    assert verify.expected_neutron_agents(["controller"]) == []


def test_bridge_mappings():
    assert verify.parse_bridge_mappings("provider:br-ex, physnet2:br-vlan") == {
        "provider": "br-ex", "physnet2": "br-vlan"}
    assert verify.parse_bridge_mappings("") == {}
    assert verify.parse_bridge_mappings(None) == {}
    assert verify.parse_bridge_mappings("garbage,:br-x") == {}


ENCAPS_CSV = """compute1,geneve,192.168.56.21
compute2,geneve,10.0.3.57
gateway,vxlan,192.168.56.11
"""


def test_encaps_geneve_from_the_management_address():
    encaps = verify.parse_ovn_encaps(ENCAPS_CSV + "\n")
    assert encaps[0] == {"chassis": "compute1", "type": "geneve", "ip": "192.168.56.21"}
    assert verify.encap_problems(HOSTS, encaps) == [
        "chassis compute2: Geneve from 10.0.3.57, not its management address 192.168.56.22",
        "chassis gateway: encapsulation vxlan, not geneve",
    ]
    assert verify.encap_problems(HOSTS, encaps[:1]) == [
        "no OVN chassis compute2 in the southbound database",
        "no OVN chassis gateway in the southbound database",
    ]
    good = [{"chassis": h, "type": "geneve", "ip": HOSTS[h]["address"]}
            for h in ("compute1", "compute2", "gateway")]
    assert verify.encap_problems(HOSTS, good) == []


SS_LISTENERS = """\
LISTEN 0      128        127.0.0.1:4369       0.0.0.0:*
LISTEN 0      128            [::1]:4369          [::]:*
LISTEN 0      128          0.0.0.0:25672      0.0.0.0:*
LISTEN 0      4096   192.168.56.10:5672       0.0.0.0:*
LISTEN 0      128                *:4369             *:*
"""


def test_erlang_ports_listen_on_loopback_only():
    assert verify.loopback_listener_problems(SS_LISTENERS) == [
        "epmd listens on *:4369, not on loopback only",
        "RabbitMQ's Erlang distribution listens on 0.0.0.0:25672, not on loopback only",
    ]
    good = "\n".join(line for line in SS_LISTENERS.splitlines()
                     if "127.0.0.1" in line or "[::1]" in line or ":5672 " in line)
    assert verify.loopback_listener_problems(good) == [
        "nothing listens on 25672 (RabbitMQ's Erlang distribution)"]
    good += "\nLISTEN 0 128 127.0.0.1:25672 0.0.0.0:*"
    assert verify.loopback_listener_problems(good) == []
    assert verify.loopback_listener_problems("") == [
        "nothing listens on 4369 (epmd)",
        "nothing listens on 25672 (RabbitMQ's Erlang distribution)"]


def test_minion_of_a_nova_host_name():
    assert verify.minion_of(HOSTS, "compute2.cloud.test") == "compute2"
    assert verify.minion_of(HOSTS, "compute2") == "compute2"
    assert verify.minion_of(HOSTS, "compute9") is None


def test_provider_side_is_the_first_gateway_with_a_provider_address():
    hosts = dict(HOSTS, gateway={"roles": ["gateway"], "address": "192.168.56.11",
                                 "provider_address": "203.0.113.11"})
    assert verify.provider_side(hosts) == ("gateway", "203.0.113.11")
    assert verify.provider_side(HOSTS) is None
    hosts["gw0"] = {"roles": ["gateway"], "address": "192.168.56.12"}
    assert verify.provider_side(hosts) == ("gateway", "203.0.113.11")


def test_route_get():
    on_link = "203.0.113.150 dev br-ex src 203.0.113.11 uid 0 \\    cache "
    assert verify.parse_route_get(on_link) == {"dev": "br-ex", "src": "203.0.113.11", "via": None}
    routed = "203.0.113.150 via 10.0.3.1 dev eth0 src 10.0.3.57 uid 0 \\    cache "
    assert verify.parse_route_get(routed) == {"dev": "eth0", "src": "10.0.3.57", "via": "10.0.3.1"}
    assert verify.parse_route_get("") == {"dev": None, "src": None, "via": None}
    assert verify.parse_route_get("x dev") == {"dev": None, "src": None, "via": None}


def test_choose_floating_ip_reuses_before_creating():
    marker = "verify.py verify-instance"
    on_port = {"id": "f1", "port_id": "p1", "floating_network_id": "ext", "description": ""}
    ours_free = {"id": "f2", "port_id": None, "floating_network_id": "ext", "description": marker}
    other_free = {"id": "f3", "port_id": None, "floating_network_id": "ext", "description": ""}
    ours_other_net = {"id": "f4", "port_id": None, "floating_network_id": "ext2",
                      "description": marker}
    ours_busy = {"id": "f5", "port_id": "p9", "floating_network_id": "ext", "description": marker}
    assert verify.choose_floating_ip([ours_free, on_port], "p1", "ext", marker) == (on_port, "reuse")
    assert verify.choose_floating_ip([other_free, ours_other_net, ours_busy, ours_free], "p1",
                                     "ext", marker) == (ours_free, "associate")
    assert verify.choose_floating_ip([other_free, ours_other_net, ours_busy], "p1", "ext",
                                     marker) == (None, "create")
    assert verify.choose_floating_ip([], "p1", "ext", marker) == (None, "create")


def test_roles_from_pillar_hosts():
    assert verify.roles_hosts(HOSTS, "compute") == ["compute1", "compute2"]
    both = {"gw": {"roles": ["gateway", "compute"]}}
    assert verify.roles_hosts(both, "compute") == ["gw"]
    assert verify.roles_hosts(None, "compute") == []


# --- selection, results, table, JSON ---------------------------------------------

def test_select_checks_by_name_and_number_in_table_order():
    assert verify.select_checks([]) == list(verify.DEFAULT_CHECKS)
    assert verify.select_checks(["7,identity", "4", "identity"]) == ["identity", "boot", "migration"]
    assert verify.select_checks(["heal", "10"]) == ["faults", "heal"]
    # the floating IP check (13) runs and is listed right after the security groups (5)
    assert verify.select_checks(["storage", "13", "secgroups"]) == ["secgroups", "floatingip", "storage"]
    assert verify.DEFAULT_CHECKS.index("floatingip") == verify.DEFAULT_CHECKS.index("secgroups") + 1
    assert set(verify.DEFAULT_CHECKS) == set(verify.CHECK_FUNCTIONS) == {n for _, n, _ in verify.CHECKS}
    with pytest.raises(ValueError, match="unknown check 'bogus'"):
        verify.select_checks(["bogus"])


def test_a_check_fails_naming_all_its_problems_or_passes():
    from verifylib.common import CheckFailed, fail_if
    assert fail_if([]) is None
    with pytest.raises(CheckFailed, match="^a down; b unreadable$"):
        fail_if(["a down", "b unreadable"])


def test_classification_and_exit_code():
    assert verify.classify(None) == verify.PASS
    assert verify.classify(verify.CheckFailed("x")) == verify.FAIL
    assert verify.classify(RuntimeError("api")) == verify.FAIL
    assert verify.classify(verify.NotRunnable("no dm")) == verify.NOT_RUNNABLE
    assert verify.classify(verify.Skipped("needs --compute")) == verify.SKIPPED
    runnable = [verify.make_result("identity", verify.PASS, 1, "ok"),
                verify.make_result("blockstorage", verify.NOT_RUNNABLE, 2, "no device-mapper"),
                verify.make_result("scaleout", verify.SKIPPED, 0, "needs --compute")]
    # NOT RUNNABLE is never a pass, but it is not a failure of the cloud either.
    assert verify.exit_code(runnable) == verify.EXIT_OK
    assert verify.exit_code(runnable + [verify.make_result("boot", verify.FAIL, 3, "x")]) == verify.EXIT_FAIL
    with pytest.raises(ValueError):
        verify.make_result("boot", "OK", 1, "")
    multi = verify.make_result("heal", verify.FAIL, 1, "heal has been unsuccessful:\nGlusterd  failed.")
    assert multi["detail"] == "heal has been unsuccessful: Glusterd failed."


def test_render_table():
    results = [verify.make_result("identity", verify.PASS, 1.23, "token validated"),
               verify.make_result("heal", verify.PASS, 0.5, "clean"),
               verify.make_result("blockstorage", verify.NOT_RUNNABLE, 2,
                                  "no device-mapper in this kernel " * 6)]
    table = verify.render_table(results, width=100)
    lines = table.splitlines()
    assert lines[0] == " # | check        | result       | secs | detail"
    assert lines[2].startswith(" 1 | identity     | PASS         |  1.2 | token validated")
    assert lines[3].startswith(" - | heal ")
    assert lines[4].startswith("11 | blockstorage | NOT RUNNABLE |  2.0 | no device-mapper")
    # the long detail is wrapped under its column
    assert lines[5].startswith("   |              |              |      | ")
    assert all(len(line) <= 100 for line in lines)
    assert lines[-1] == "2 PASS, 1 NOT RUNNABLE"
    json.dumps(results)  # what --json writes is plain data


# --- salt and nova-manage answers -----------------------------------------------------

def test_salt_json_single_and_concatenated_documents():
    one = '{"compute1": {"retcode": 0, "stdout": "x", "stderr": "", "pid": 3}}'
    assert verify.parse_salt_json(one)["compute1"]["stdout"] == "x"
    two = '{"compute1": {"retcode": 0}}\n{"compute2": "Minion did not return. [No response]"}\n'
    assert verify.parse_salt_json(two) == {"compute1": {"retcode": 0},
                                           "compute2": "Minion did not return. [No response]"}
    assert verify.parse_salt_json("") == {}


def test_salt_json_after_salts_log_lines():
    """salt-call can print log lines on stdout before its document."""
    text = '[WARNING ] unclosed MasterEvent\n{"local": {"region": "R1"}}\n'
    assert verify.parse_salt_json(text) == {"local": {"region": "R1"}}
    assert verify.parse_salt_json("No minions matched the target.") == {}


def test_list_hosts_table():
    text = """+-----------+--------------------------------------+----------+
| Cell Name |              Cell UUID               | Hostname |
+-----------+--------------------------------------+----------+
|   cell1   | 2f4b8a1e-7a53-4a7e-9c35-0b5d9c1f2e11 | compute1 |
|   cell1   | 2f4b8a1e-7a53-4a7e-9c35-0b5d9c1f2e11 | compute3 |
+-----------+--------------------------------------+----------+
"""
    assert verify.parse_list_hosts(text) == [("cell1", "compute1"), ("cell1", "compute3")]


# --- merging the cluster driver's runs (--report) ---------------------------

def _res(check, result, detail=""):
    return verify.make_result(check, result, 1.0, detail)


def test_merge_latest_run_of_a_check_wins_over_skipped():
    first = {"results": [_res("boot", verify.PASS), _res("faults", verify.SKIPPED, "needs --stopped"),
                         _res("heal", verify.FAIL, "3 entries")]}
    second = {"results": [_res("faults", verify.PASS, "readable from compute1"),
                          _res("boot", verify.SKIPPED)]}
    third = {"results": [_res("heal", verify.PASS, "no entries")]}
    merged = verify.merge_results([first, second, third])
    assert [(r["check"], r["result"]) for r in merged] == [
        ("boot", verify.PASS), ("faults", verify.PASS), ("heal", verify.PASS)]
    assert merged[1]["detail"] == "readable from compute1"


def test_merge_keeps_a_failure_nothing_ran_again_and_check_order():
    docs = [{"results": [_res("migration", verify.FAIL, "EIO"), _res("identity", verify.PASS)]},
            {"results": [_res("idempotency", verify.PASS)]}]
    merged = verify.merge_results(docs)
    assert [r["check"] for r in merged] == ["identity", "migration", "idempotency"]
    assert verify.exit_code(merged) == verify.EXIT_FAIL


def test_report_prints_the_merged_table_and_writes_json(tmp_path, capsys):
    a, b, out = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "all.json"
    a.write_text(json.dumps({"results": [_res("storage", verify.PASS, "replica 2"),
                                         _res("scaleout", verify.SKIPPED)], "exit_code": 0}))
    b.write_text(json.dumps({"results": [_res("scaleout", verify.PASS, "compute3 works")],
                             "exit_code": 0}))
    assert verify.main(["--report", str(a), str(b), "--json", str(out)]) == verify.EXIT_OK
    table = capsys.readouterr().out
    assert "compute3 works" in table and "2 PASS" in table and "SKIPPED" not in table
    doc = json.loads(out.read_text())
    assert doc["summary"][verify.PASS] == 2 and doc["exit_code"] == 0


def test_table_ends_with_each_failure_unwrapped():
    long = "probe instance got no DHCP lease " * 10
    table = verify.render_table([_res("storage", verify.PASS, "replica 2"),
                                 _res("scaleout", verify.FAIL, long),
                                 _res("faults", verify.SKIPPED, "needs --stopped")], width=80)
    lines = table.splitlines()
    assert lines[-2] == "1 PASS, 1 FAIL, 1 SKIPPED"
    assert lines[-1] == "FAIL scaleout: " + " ".join(long.split())
    passing = verify.render_table([_res("storage", verify.PASS, "replica 2")])
    assert passing.splitlines()[-1] == "1 PASS"


def test_report_of_a_run_that_could_not_start_is_an_error(tmp_path, capsys):
    a = tmp_path / "a.json"
    a.write_text(json.dumps({"error": "no credentials", "results": [], "exit_code": 2}))
    assert verify.main(["--report", str(a)]) == verify.EXIT_ERROR
    assert verify.main(["--report", str(tmp_path / "missing.json")]) == verify.EXIT_ERROR
    assert "missing.json" in capsys.readouterr().err


# --- the result document (cluster/results.py) ------------------------------

def test_verify_document_shape():
    doc = verify.verify_document([_res("storage", verify.PASS), _res("boot", verify.FAIL)],
                                 0, 12.34, auth_url="http://controller:5000/v3")
    assert list(doc) == ["started", "seconds", "auth_url", "results", "summary", "exit_code"]
    assert (doc["started"], doc["seconds"]) == ("1970-01-01T00:00:00Z", 12.3)
    assert doc["summary"] == {verify.PASS: 1, verify.FAIL: 1, verify.NOT_RUNNABLE: 0,
                              verify.SKIPPED: 0}
    assert doc["exit_code"] == verify.EXIT_FAIL
    assert verify.verify_document([], code=verify.EXIT_ERROR, error="x") == {
        "error": "x", "results": [], "summary": dict.fromkeys(verify.RESULTS, 0),
        "exit_code": verify.EXIT_ERROR}


def test_a_run_that_cannot_start_writes_an_error_document(tmp_path, capsys):
    out = tmp_path / "verify-checks.json"
    assert verify.main(["--openrc", str(tmp_path / "no-openrc"), "--json", str(out)]) == \
        verify.EXIT_ERROR
    doc = json.loads(out.read_text())
    assert doc["exit_code"] == verify.EXIT_ERROR and doc["results"] == []
    assert "no-openrc" in doc["error"] and "no-openrc" in capsys.readouterr().err
    # --report takes it as a run that could not start
    assert verify.main(["--report", str(out)]) == verify.EXIT_ERROR


# --- the model's networks ----------------------------------------------------

def test_model_networks_come_from_the_validators_model():
    """verify reads the networks' names and the physical network from the
    model the real validator builds (salt-call openstack_pillar.topology),
    its defaults when the pillar names none."""
    import yaml  # noqa: PLC0415
    from saltext_openstack._modules import openstack_pillar  # noqa: PLC0415

    pillar = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())["openstack"]
    assert verify.model_networks(openstack_pillar.validate(pillar)) == {
        "provider": "provider", "selfservice": "selfservice", "physical_network": "provider"}
    pillar["networks"]["provider"].update(name="ext-net", physical_network="physnet1")
    pillar["networks"]["selfservice"]["name"] = "tenant-net"
    assert verify.model_networks(openstack_pillar.validate(pillar)) == {
        "provider": "ext-net", "selfservice": "tenant-net", "physical_network": "physnet1"}


@pytest.mark.parametrize("answer, fragment", [
    ("'openstack_pillar.topology' is not available.", "not a model"),
    ({"networks": {"provider": {"physical_network": "provider"}, "selfservice": {}}},
     "names no provider, selfservice"),
])
def test_model_networks_refuse_what_is_no_model(answer, fragment):
    with pytest.raises(ValueError, match=fragment):
        verify.model_networks(answer)


def test_catalog_and_service_users_come_from_the_validators_model():
    """verify checks the catalog and the service users the keystone formula
    registers: both from the real validator's model (its endpoints, the one
    service catalog), never a list of verify's own."""
    import yaml  # noqa: PLC0415
    from saltext_openstack._modules import openstack_pillar  # noqa: PLC0415

    pillar = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())["openstack"]
    model = openstack_pillar.validate(pillar)
    assert verify.catalog(model) == {
        "identity": "keystone", "image": "glance", "placement": "placement",
        "compute": "nova", "network": "neutron", "volumev3": "cinderv3"}
    assert verify.service_users(model) == ("cinder", "glance", "neutron", "nova", "placement")
    # a catalog entry added to the model is checked with no change to verify
    model["endpoints"]["barbican"] = dict(model["endpoints"]["glance"], type="key-manager",
                                          user="barbican")
    assert verify.catalog(model)["key-manager"] == "barbican"
    assert "barbican" in verify.service_users(model)


@pytest.mark.parametrize("answer", [
    "'openstack_pillar.topology' is not available.",
    {"networks": {}},
    {"endpoints": None},
])
def test_catalog_refuses_a_model_without_endpoints(answer):
    with pytest.raises(ValueError, match="no.*endpoints|endpoints"):
        verify.catalog(answer)
    with pytest.raises(ValueError, match="endpoints"):
        verify.service_users(answer)


def test_network_option_defaults_to_the_model():
    assert verify.parse_args([]).network is None
    assert verify.parse_args(["--network", "other"]).network == "other"


# --- check 12: secrets -------------------------------------------------------

def test_secret_leaks_names_place_and_secret_never_the_value():
    secrets = {"nova_db": "example-nova-db", "admin": "s3cret-admin", "short": "abc"}
    sources = {
        "/var/cache/salt/master/jobs/1d/x/return.p": "... 'connection': 'mysql://nova:example-nova-db@c/nova'",
        "compute1: process list": "/usr/bin/python3 /usr/bin/nova-compute --config-file=/etc/nova/nova.conf\nabc",
        "gateway: process list": "sh -c OS_PASSWORD=s3cret-admin openstack server list",
    }
    leaks = verify.secret_leaks(sources, secrets)
    assert sorted(leaks) == [("/var/cache/salt/master/jobs/1d/x/return.p", "nova_db"),
                             ("gateway: process list", "admin")]
    assert verify.secret_leaks({"a": "clean text"}, secrets) == []


def test_tls_keys_are_scanned_for_by_a_line_a_json_quote_keeps(tmp_path):
    tls = load("_modules/openstack_tls.py", "openstack_tls_for_verify")
    tls.__opts__ = {"pki_dir": str(tmp_path), "id": "m"}
    key = tls.issue("compute1", ["compute1"], ["192.168.56.21"])["key"]
    tls.issue("gateway", ["gateway"], [])
    found = verify.tls_key_secrets(str(tmp_path / "openstack_ca" / "issued"))
    assert sorted(found) == ["TLS key of compute1", "TLS key of gateway"]
    job_return = json.dumps({"changes": {"diff": key}})  # newlines become \\n
    assert verify.secret_leaks({"job": job_return}, found) == [("job", "TLS key of compute1")]
    assert verify.tls_key_secrets(str(tmp_path / "none")) == {}


def test_operator_key_problems_name_a_host_holding_anothers_key():
    held = {"gateway": {"gateway": ["cert", "key"], "controller": ["cert"],
                        "compute1": ["cert", "key"], "compute2": "not readable"},
            "controller": {"controller": ["cert", "key"], "gateway": ["cert"]}}
    assert verify.operator_key_problems(held) == [
        "compute1 holds gateway's operator TLS key (openstack:tls:public:gateway:key)"]
    assert verify.pem_key_line("-----BEGIN PRIVATE KEY-----\nAAA\nBBB\n-----END-----\n") == "BBB"
    assert verify.pem_key_line("-----BEGIN X-----\n-----END X-----") is None


def test_horizon_process_problems_want_the_api_worker_count():
    answers = {"gateway": {"retcode": 0, "stdout": "2\n"},
               "gw2": {"retcode": 0, "stdout": "1\n"},
               "gw3": {"retcode": None, "stdout": "", "stderr": "no answer"}}
    assert verify.horizon_process_problems(answers, 2) == [
        "gw2: 1 dashboard WSGI processes, not 2 (openstack:workers:api)",
        "gw3: ? dashboard WSGI processes, not 2 (openstack:workers:api)"]
    assert verify.horizon_process_problems({"gateway": answers["gateway"]}, 2) == []


def test_ca_trust_problems_name_hosts_without_the_masters_ca():
    answers = {
        "compute1": {"retcode": 0, "stdout": "aa11\n", "stderr": ""},
        "compute2": {"retcode": 0, "stdout": "bb22\n", "stderr": ""},
        "gateway": {"retcode": 2, "stdout": "aa11\n",
                    "stderr": "error 18 at 0 depth lookup: self-signed certificate"},
        "controller": {"retcode": 1, "stdout": "", "stderr": "sha256sum: No such file"},
    }
    assert verify.ca_trust_problems(answers, "aa11") == [
        "compute2: /usr/local/share/ca-certificates/openstack-cloud-ca.crt is not the master's CA",
        "controller: the cloud's CA is not in its trust store (sha256sum: No such file)",
        "gateway: the cloud's CA is not in its trust store (error 18 at 0 depth lookup: "
        "self-signed certificate)",
    ]
    assert verify.ca_trust_problems({"c": answers["compute1"]}, "aa11") == []


def test_secret_file_problems_wants_0640_and_the_service_group():
    lines = [
        "/etc/nova/nova.conf 640 root nova",
        "/etc/neutron/neutron_ovn_metadata_agent.ini 644 root neutron",
        "/etc/glance/glance-api.conf 640 root root",
        "/etc/keystone/keystone.conf 600 keystone keystone",
        "/etc/cinder/cinder.conf 660 cinder cinder",
        "/etc/placement/placement.conf 600 root root",
        "garbage line",
    ]
    assert verify.secret_file_problems(lines) == [
        "/etc/neutron/neutron_ovn_metadata_agent.ini mode 0644",
        "/etc/glance/glance-api.conf group root, not glance",
        "/etc/cinder/cinder.conf mode 0660",
    ]


def test_secret_scope_names_the_host_and_the_extra_secrets():
    hosts = {"controller": {"roles": ["controller"]}, "gateway": {"roles": ["gateway"]},
             "compute1": {"roles": ["compute"]}, "both": {"roles": ["gateway", "compute"]}}
    role_secrets = {"controller": ["admin", "nova", "nova_db"], "gateway": ["horizon", "nova"],
                    "compute": ["metadata", "nova"]}
    held = {"controller": ["admin", "nova", "nova_db"], "gateway": ["horizon", "nova"],
            "compute1": ["nova", "admin", "nova_db", "metadata"], "both": ["horizon", "metadata"]}
    assert verify.secret_scope_problems(hosts, held, role_secrets) == [
        "compute1 (compute) holds admin, nova_db, which its roles do not use"]


def test_secret_scope_a_host_outside_every_role_may_hold_nothing():
    hosts = {"stray": {"roles": []}, "odd": "not a mapping"}
    held = {"stray": ["rabbitmq"], "odd": []}
    assert verify.secret_scope_problems(hosts, held, {"compute": ["rabbitmq"]}) == [
        "stray (no role) holds rabbitmq, which its roles do not use"]


def test_secret_scope_an_unread_pillar_is_a_problem():
    hosts = {"compute1": {"roles": ["compute"]}, "compute2": {"roles": ["compute"]}}
    held = {"compute1": ["nova"], "compute2": "Minion did not return. [No response]"}
    problems = verify.secret_scope_problems(hosts, held, {"compute": ["nova"]})
    assert problems == ["compute2: openstack:passwords not readable "
                        "('Minion did not return. [No response]')"]
    assert verify.secret_scope_problems({"c": {"roles": ["compute"]}}, {}, {}) == [
        "c: openstack:passwords not readable (None)"]


def test_secret_line_finds_ini_secrets_and_private_keys(tmp_path):
    """The pattern the secrets check gives grep -rlE on every host."""
    import subprocess  # noqa: PLC0415

    files = {
        "nova.conf": "[database]\nconnection = mysql+pymysql://nova:x@c/nova\n",
        "public-tls.key": "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n",
        "ec.key": "-----BEGIN EC PRIVATE KEY-----\nMHcC\n",
        "public-tls.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "api-paste.ini": "[filter:x]\npaste.filter_factory = a:b\n#password = \n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = subprocess.run(["grep", "-rlE", verify.SECRET_LINE, str(tmp_path)],
                           capture_output=True, text=True, check=False).stdout.split()
    assert sorted(pathlib.Path(f).name for f in found) == ["ec.key", "nova.conf", "public-tls.key"]
    assert verify.secret_file_problems([f"{tmp_path}/x.key 644 root root"],
                                       {str(tmp_path): "root"}) == [f"{tmp_path}/x.key mode 0644"]


def _native_tls_host(tmp_path, flag="True", verify_peer="1", other_ca=False):
    """A compute's nova.conf, qemu.conf and migration certificates as
    libvirt.tls and nova.compute write them, under tmp_path."""
    tls = load("_modules/openstack_tls.py", "openstack_tls_for_native_tls")
    tls.__opts__ = {"pki_dir": str(tmp_path / "pki"), "id": "m"}
    pair = tls.issue("compute1", ["compute1"], ["192.168.56.21"])
    certs = tmp_path / "libvirt-migrate"
    certs.mkdir()
    ca = pair["ca_cert"]
    if other_ca:
        other = load("_modules/openstack_tls.py", "openstack_tls_other_ca")
        other.__opts__ = {"pki_dir": str(tmp_path / "other"), "id": "m"}
        ca = other.issue("x", ["x"], [])["ca_cert"]
    for name, text in {"ca-cert.pem": ca, "server-cert.pem": pair["cert"],
                       "client-cert.pem": pair["cert"]}.items():
        (certs / name).write_text(text)
    (tmp_path / "nova.conf").write_text(f"[libvirt]\nlive_migration_with_native_tls = {flag}\n")
    (tmp_path / "qemu.conf").write_text(
        f'#migrate_tls_x509_verify = 1\nmigrate_tls_x509_cert_dir = "{certs}"\n'
        f"migrate_tls_x509_verify = {verify_peer}\n")
    command = (verify.NATIVE_TLS_COMMAND.replace("/etc/nova/nova.conf", str(tmp_path / "nova.conf"))
               .replace("/etc/libvirt/qemu.conf", str(tmp_path / "qemu.conf")))
    import subprocess  # noqa: PLC0415

    out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    return {"compute1": {"retcode": out.returncode, "stdout": out.stdout}}


@pytest.mark.parametrize("flag", ["True", "true"])  # openstack_config writes true
def test_native_tls_migration_set_up_passes(tmp_path, flag):
    assert verify.native_tls_problems(_native_tls_host(tmp_path, flag=flag)) == []


@pytest.mark.parametrize("change", [{"flag": "False"}, {"verify_peer": "0"}, {"other_ca": True}])
def test_native_tls_migration_missing_a_part_fails(tmp_path, change):
    problems = verify.native_tls_problems(_native_tls_host(tmp_path, **change))
    assert len(problems) == 1 and problems[0].startswith("compute1: the migration stream")


def test_plain_answer_reads_a_real_server_without_following_redirects():
    """A real HTTP server on loopback: the status and Location of one GET."""
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(301)
            self.send_header("Location", "https://127.0.0.1/horizon" + self.path)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        assert verify.plain_answer(f"http://127.0.0.1:{port}/horizon") == (
            301, "https://127.0.0.1/horizon/horizon")
        assert verify.plain_answer(f"http://127.0.0.1:{port}") == (301, "https://127.0.0.1/horizon/")
    finally:
        server.shutdown()
        server.server_close()


MODEL_FLAVORS = {
    "m1.nano": {"vcpus": 1, "ram": 128, "disk": 1, "ephemeral": 0, "swap": 0, "public": True,
                "description": None, "extra_specs": {}},
    "m1.small": {"vcpus": 1, "ram": 1024, "disk": 20, "ephemeral": 0, "swap": 0, "public": True,
                 "description": None, "extra_specs": {"hw:cpu_policy": "shared"}},
}


def _nova_flavor(name, **fields):
    flavor = {"name": name, "vcpus": 1, "ram": 128, "disk": 1, "ephemeral": 0, "swap": "",
              "is_public": True, "extra_specs": {}}
    flavor.update(fields)
    return flavor


def test_flavors_as_the_model_declares():
    good = [_nova_flavor("m1.nano"),
            _nova_flavor("m1.small", ram=1024, disk=20, extra_specs={"hw:cpu_policy": "shared"}),
            _nova_flavor("other", ram=1)]
    assert verify.flavor_problems(MODEL_FLAVORS, good) == []
    drifted = [_nova_flavor("m1.nano", swap=512, is_public=False),
               _nova_flavor("m1.small", ram=2048, disk=20)]
    assert verify.flavor_problems(MODEL_FLAVORS, drifted) == [
        "flavor m1.nano: swap 512, pillar 0",
        "flavor m1.nano: public False, pillar True",
        "flavor m1.small: ram 2048, pillar 1024",
        "flavor m1.small: extra_specs {}, pillar {'hw:cpu_policy': 'shared'}",
    ]
    assert verify.flavor_problems(MODEL_FLAVORS, good[:1] + good[:1]) == [
        "flavor m1.nano: 2 in Nova, not 1", "flavor m1.small: 0 in Nova, not 1"]


BACKENDS = [{"name": "lvm", "volume_type": "lvm", "backend_name": "LVM"},
            {"name": "ceph", "volume_type": "rbd", "backend_name": "ceph"}]


def _volume_type(name, backend, **fields):
    return {"id": f"vt-{name}", "name": name, "description": None, "is_public": True,
            "os-volume-type-access:is_public": True, "qos_specs_id": None,
            "extra_specs": {"volume_backend_name": backend}, **fields}


def test_each_backends_volume_type_selects_it():
    good = [_volume_type("__DEFAULT__", None, extra_specs={}), _volume_type("lvm", "LVM"),
            _volume_type("rbd", "ceph")]
    assert verify.volume_type_problems(BACKENDS, "lvm", good) == []
    drifted = [_volume_type("lvm", "lvm"),
               _volume_type("rbd", "ceph", **{"os-volume-type-access:is_public": False})]
    assert verify.volume_type_problems(BACKENDS, "rbd", drifted) == [
        "volume type lvm: volume_backend_name lvm, model LVM",
        "volume type rbd: public False, pillar True",
    ]
    assert verify.volume_type_problems(BACKENDS, "ceph", good[1:2] * 2) == [
        "volume type lvm: 2 in Cinder, not 1", "volume type rbd: 0 in Cinder, not 1",
        "default volume type ceph: the type of no backend"]



LVM = {"name": "lvm", "type": "lvm", "volume_type": "lvm", "backend_name": "LVM"}
RBD = {"name": "ceph", "type": "rbd", "volume_type": "ceph", "backend_name": "ceph"}
NO_DM = ["no device-mapper in this kernel", "no iscsi_tcp kernel module on compute1"]


def test_check_11_makes_its_volume_where_the_kernel_allows():
    """Check 11's backend: rbd needs no kernel support, lvm needs
    device-mapper and iSCSI; the default type's backend when it can work."""
    # The test cluster: lvm cannot work, the volume goes to rbd, lvm's reasons said.
    chosen, left_out = verify.blockstorage_backend([LVM, RBD], "ceph", NO_DM)
    assert chosen is RBD
    assert left_out == ["lvm backend lvm not tried: no device-mapper in this kernel; "
                        "no iscsi_tcp kernel module on compute1"]
    # ... even when lvm's type is the default.
    assert verify.blockstorage_backend([LVM, RBD], "lvm", NO_DM)[0] is RBD
    # A kernel with both: the default type's backend, nothing left out.
    assert verify.blockstorage_backend([LVM, RBD], "lvm", []) == (LVM, [])
    assert verify.blockstorage_backend([LVM, RBD], "ceph", []) == (RBD, [])
    # lvm alone on this kernel: nothing to try (NOT RUNNABLE, as before).
    assert verify.blockstorage_backend([LVM], "lvm", NO_DM)[0] is None
    assert verify.blockstorage_backend([RBD], "ceph", []) == (RBD, [])

VOL_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
# virtio keeps the first 20 characters of nova's serial (the volume's id)
VOL_SERIAL = VOL_ID[:20]


def _volume_console(*lines):
    return "\r\n".join(("VERIFY-BOOT up boot_id=ab-12",) + lines) + "\r\n"


def test_console_volume_reports_last_line_per_disk():
    info = verify.parse_console(_volume_console(
        "VERIFY-ALIVE n=4 uptime=40.0 boot_id=ab-12",
        f"VERIFY-VOLUME vdb serial={VOL_SERIAL} data=- n=5",
        "VERIFY-DISKS vda:1048576 vdb:1073741824",
        f"VERIFY-VOLUME vdb serial={VOL_SERIAL} data=verify-vol-abc n=6",
        "VERIFY-VOLUME vdc serial=- data=unreadable n=6",
        "VERIFY-VOLUME-FAILED vdc read: dd: can't open '/dev/vdc'",
        "VERIFY-VOLUME vdd junk",
    ))
    assert info["volumes"] == {
        "vdb": {"serial": VOL_SERIAL, "data": "verify-vol-abc", "n": 6},
        "vdc": {"serial": None, "data": "unreadable", "n": 6},
    }
    assert info["volume_failed"] == "vdc read: dd: can't open '/dev/vdc'"
    assert verify.last_loop(info) == 4
    assert verify.last_loop(verify.parse_console("")) == 0
    assert verify.parse_console("")["volumes"] == {}


def test_volume_report_matches_the_serial_and_a_later_loop():
    info = verify.parse_console(_volume_console(
        f"VERIFY-VOLUME vdb serial={VOL_SERIAL} data=verify-vol-abc n=6"))
    assert verify.volume_report(info, VOL_ID) == {
        "device": "vdb", "serial": VOL_SERIAL, "data": "verify-vol-abc", "n": 6}
    # printed before the loop verify waits past: not a new read
    assert verify.volume_report(info, VOL_ID, after_n=6) is None
    # another volume's disk (a serial that does not start its id)
    assert verify.volume_report(info, "aaaaaaaa-" + VOL_ID[9:]) is None
    # a serial too short to tell volumes apart is nobody's
    short_serial = verify.parse_console(_volume_console("VERIFY-VOLUME vdb serial=0f1e data=x n=9"))
    assert verify.volume_report(short_serial, VOL_ID) is None


def test_volume_io_problem_wants_verifys_token_read_back():
    token = "verify-vol-abc"
    read = verify.parse_console(_volume_console(
        f"VERIFY-VOLUME vdb serial={VOL_SERIAL} data={token} n=6"))
    assert verify.volume_io_problem(read, VOL_ID, token, after_n=5) is None
    # an old line only (e.g. from before the migration): not proof
    assert "no VERIFY-VOLUME line" in verify.volume_io_problem(read, VOL_ID, token, after_n=6)
    # the disk reads no marker (the write was lost): said, with the guest's failure
    lost = verify.parse_console(_volume_console(
        "VERIFY-DISKS vda:1048576 vdb:1073741824",
        "VERIFY-VOLUME-FAILED vdb write: dd: error writing '/dev/vdb': I/O error",
        f"VERIFY-VOLUME vdb serial={VOL_SERIAL} data=- n=7"))
    assert verify.volume_io_problem(lost, VOL_ID, token) == (
        f"vdb (serial {VOL_SERIAL}) reads no marker, not {token}; "
        "vdb write: dd: error writing '/dev/vdb': I/O error")
    # another token (an earlier run's): not this one
    other = verify.parse_console(_volume_console(
        f"VERIFY-VOLUME vdb serial={VOL_SERIAL} data=verify-vol-old n=7"))
    assert "reads verify-vol-old, not verify-vol-abc" in verify.volume_io_problem(other, VOL_ID, token)
    # no disk of it at all: the disks the guest sees are named
    none = verify.parse_console(_volume_console("VERIFY-DISKS vda:1048576"))
    assert verify.volume_io_problem(none, VOL_ID, token) == (
        f"no VERIFY-VOLUME line of volume {VOL_SERIAL} after loop 0 (disks: ['vda'])")
    assert verify.volume_io_problem(None, VOL_ID, token).startswith("no VERIFY-VOLUME line")


def test_guest_init_writes_only_the_volume_the_metadata_names():
    """The guest's /init and verify agree on the metadata key and the line."""
    init = (REPO / "cluster" / "image" / "init").read_text(encoding="utf-8")
    assert f'"{verify.VOLUME_WRITE_KEY}": *' in init
    assert 'echo "VERIFY-VOLUME $v_d serial=${v_serial:--} data=$v_data n=$1"' in init
    assert verify._VOLUME.match("vdb serial=abc data=- n=1")
    # O_DIRECT both ways, in page-sized blocks (busybox dd aligns those only)
    assert "bs=4096 count=1 iflag=direct" in init and "bs=4096 count=1 oflag=direct" in init


PROVIDER = {"name": "provider", "gateway": "203.0.113.1", "dns_nameservers": [],
            "allocation_start": "203.0.113.100", "allocation_end": "203.0.113.189"}


def test_subnet_pools_gateway_and_dns_as_the_model_declares():
    subnet = {"gateway_ip": "203.0.113.1", "dns_nameservers": [],
              "allocation_pools": [{"start": "203.0.113.100", "end": "203.0.113.189"}]}
    assert verify.subnet_problems("provider", PROVIDER, subnet) == []
    drifted = dict(subnet, dns_nameservers=["192.0.2.53"],
                   allocation_pools=[{"start": "203.0.113.100", "end": "203.0.113.199"}])
    assert verify.subnet_problems("provider", PROVIDER, drifted) == [
        "subnet provider: DNS ['192.0.2.53'], pillar []",
        "subnet provider: pools [('203.0.113.100', '203.0.113.199')], "
        "pillar [('203.0.113.100', '203.0.113.189')]",
    ]
    assert verify.subnet_problems("provider", PROVIDER, None) == ["subnet provider: not in Neutron"]


def _rule(protocol=None, port=None, **fields):
    rule = {"direction": "ingress", "ethertype": "IPv4", "protocol": protocol,
            "port_range_min": port, "port_range_max": port, "remote_ip_prefix": None,
            "remote_group": None}
    rule.update(fields)
    return rule


def _neutron_rule(protocol=None, port=None, **fields):
    rule = {"direction": "ingress", "ethertype": "IPv4", "protocol": protocol,
            "port_range_min": port, "port_range_max": port, "remote_ip_prefix": "0.0.0.0/0",
            "remote_group_id": None, "id": "r"}
    rule.update(fields)
    return rule


def test_security_group_rules_as_the_model_declares():
    want = {"rules": [_rule("icmp"), _rule("tcp", 22), _rule("tcp", 5432, remote_group="web")],
            "remove_unlisted": False}
    egress = _neutron_rule(direction="egress", remote_ip_prefix=None)
    rules = [_neutron_rule("icmp", remote_ip_prefix=None), _neutron_rule("tcp", 22),
             _neutron_rule("tcp", 5432, remote_ip_prefix=None, remote_group_id="id-web"), egress]
    ids = {"web": "id-web", "default": "id-default"}
    assert verify.rule_problems("default", want, rules, ids) == []
    # the ICMP rule deleted by hand; the remote group another one
    rules = rules[1:2] + [_neutron_rule("tcp", 5432, remote_group_id="id-default"), egress]
    assert verify.rule_problems("default", want, rules, ids) == [
        "security group default: no rule ingress IPv4 icmp",
        "security group default: no rule ingress IPv4 tcp 5432 5432",
    ]
    # a prefix is not "anywhere"; remove_unlisted names what is left over
    want = {"rules": [_rule("tcp", 22, remote_ip_prefix="10.0.0.0/8")], "remove_unlisted": True}
    assert verify.rule_problems("web", want, [_neutron_rule("tcp", 22), egress], ids) == [
        "security group web: no rule ingress IPv4 tcp 22 22",
        "security group web: unlisted rule ingress IPv4 tcp 22 22",
        "security group web: unlisted rule egress IPv4",
    ]


def test_rotation_names_what_kept_its_value():
    old = {"admin": "a1", "nova": "n1", "rabbitmq": "r1", "gone": "g"}
    new = {"admin": "a2", "nova": "n1", "rabbitmq": "r2", "added": "x"}
    assert verify.rotation_problems(old, new) == [
        "nova: not rotated (same value)", "gone: gone from the pillar", "added: new in the pillar"]
    assert verify.rotation_problems(old, {k: v + "!" for k, v in old.items()}) == []


SB = "ssl:192.168.56.10:6642"


def _probe(stdout, retcode=0):
    return {"retcode": retcode, "stdout": stdout, "stderr": ""}


def test_ovn_tls_probe_tries_plain_tcp_on_the_same_port_and_the_hosts_files():
    command = verify.ovn_tls_probe_command("ovs-vsctl", SB, chassis=True)
    assert "list-dbs tcp:192.168.56.10:6642 " in command
    assert f"list-dbs {SB} " in command
    assert "ovs-vsctl get-ssl" in command and "connection-status" in command
    assert "connection-status" not in verify.ovn_tls_probe_command("ovn-nbctl", SB)


def test_ovn_tls_problems_pass_only_a_refused_plain_client_and_a_working_tls_one():
    good = "plain=refused\ntls=_Server OVN_Southbound \nremote=" + SB + "\nstatus=connected\n"
    assert verify.ovn_tls_problems({"c1": _probe(good)}, SB, "OVN_Southbound", chassis=True) == []
    answers = {
        "plain": _probe(good.replace("plain=refused", "plain=accepted")),
        "nocert": _probe(good.replace("tls=_Server OVN_Southbound ",
                                      "tls=ovsdb-client: failed to connect (Protocol error) ")),
        "tcp": _probe(good.replace("remote=ssl:", "remote=tcp:")),
        "down": _probe(good.replace("status=connected", "status=not connected")),
        "silent": {"retcode": None, "stdout": "", "stderr": "no answer from minion"},
    }
    problems = verify.ovn_tls_problems(answers, SB, "OVN_Southbound", chassis=True)
    assert [p.split(":", 1)[0] for p in problems] == ["down", "nocert", "plain", "silent", "tcp"]
    assert "plain tcp:" in problems[2] and "Protocol error" in problems[1]


def test_the_rotate_phase_rotates_passwords_not_operator_keys():
    key = "-----BEGIN PRIVATE KEY-----\nAAAA\nBBBBCCCC\n-----END PRIVATE KEY-----\n"
    data = {"passwords": {"admin": "a1", "nova": "n1"}, "operator_keys": {"gateway": key}}
    assert verify.secrets_of(data, keys=False) == {"admin": "a1", "nova": "n1"}
    scanned = verify.secrets_of(data)
    assert set(scanned) == {"admin", "nova", "operator TLS key of gateway"}



# -- replace: the instances' files before and after ---------------------------


def test_checksums_compared_file_by_file():
    before = verify.parse_checksums("aa  ./_base/x\nbb  ./u1/kernel\n\ncc  ./u1/disk.info\n")
    assert before == {"./_base/x": "aa", "./u1/kernel": "bb", "./u1/disk.info": "cc"}
    assert verify.checksum_problems(before, dict(before)) == []
    after = {"./_base/x": "aa", "./u1/kernel": "XX"}
    assert verify.checksum_problems(before, after) == ["./u1/disk.info: missing",
                                                       "./u1/kernel: differs"]
    # Nothing checksummed before proves nothing.
    assert verify.checksum_problems({}, after) == ["no file was checksummed before"]


# --- a guest without a lease: the chassis reset before the boot again ---------

def _cloud_for_boot(chassis_reset, answers, first_error):
    """A verifylib Cloud without its SDK connection: _boot raises
    `first_error` once, then boots; salt answers from `answers`."""
    import types

    from verifylib import client as vclient

    cloud = object.__new__(vclient.Cloud)
    cloud.args = types.SimpleNamespace(chassis_reset=chassis_reset, server_name="verify-instance",
                                       boot_timeout=5)
    cloud.hosts = {"compute1": {"roles": ["compute"]}}
    cloud.notes, cloud.server, cloud.created_server = [], None, False
    cloud.conn = types.SimpleNamespace(
        compute=types.SimpleNamespace(servers=lambda **kw: [], delete_server=lambda srv: None),
        network=types.SimpleNamespace(agents=lambda **kw: [types.SimpleNamespace(is_alive=True)]))
    calls = {"salt": [], "boots": 0}

    def salt_one(target, command, timeout=60):
        calls["salt"].append((target, command))
        return answers[target]

    def _boot(availability_zone=None, name=None):
        calls["boots"] += 1
        if calls["boots"] == 1:
            raise first_error
        return "booted"

    cloud.salt_one, cloud._boot = salt_one, _boot
    return cloud, calls


def test_no_lease_resets_the_guests_chassis_before_booting_again():
    from verifylib.common import NoLease

    answers = {"compute1": {"stdout": "== before\nsb=connected\nreset: sb=connected "
                                      "ovn-controller=restarted metadata-agent=restarted\n"}}
    cloud, calls = _cloud_for_boot("/vagrant/cluster/chassis-reset.sh", answers,
                                   NoLease("instance x on compute1: no lease", host="compute1"))
    assert cloud.boot() == "booted" and calls["boots"] == 2
    assert calls["salt"] == [("compute1", "sh /vagrant/cluster/chassis-reset.sh")]
    assert cloud.notes == ["FLAKY: first boot: no DHCP lease, booted again after a chassis reset "
                           "of compute1 (reset: sb=connected ovn-controller=restarted "
                           "metadata-agent=restarted) (instance x on compute1: no lease)"]


def test_no_lease_without_the_option_boots_again_without_a_reset():
    from verifylib.common import NoLease

    cloud, calls = _cloud_for_boot(None, {}, NoLease("no lease", host="compute1"))
    assert cloud.boot() == "booted" and calls["salt"] == []
    assert cloud.notes == ["FLAKY: first boot: no DHCP lease, booted again (no lease)"]


def test_no_lease_reset_waits_for_neutron_to_count_the_agents_alive(monkeypatch):
    """A restarted agent is dead for Neutron for a while: the boot again
    waits for every agent alive (ML2/OVN binds no port to a dead one)."""
    import types

    from verifylib import client as vclient
    from verifylib.common import NoLease

    answers = {"compute1": {"stdout": "reset: sb=connected\n"}}
    cloud, calls = _cloud_for_boot("/x/chassis-reset.sh", answers,
                                   NoLease("no lease", host="compute1"))
    seen = iter([[types.SimpleNamespace(is_alive=False)], [types.SimpleNamespace(is_alive=True)]])
    asked = []

    def agents(**filters):
        asked.append(filters)
        return next(seen)

    cloud.conn.network.agents = agents
    monkeypatch.setattr(vclient.time, "sleep", lambda secs: None)
    assert cloud.boot() == "booted"
    assert asked == [{"host": "compute1"}] * 2 and calls["boots"] == 2
    assert "after a chassis reset of compute1 (reset: sb=connected)" in cloud.notes[0]


def test_no_lease_reset_that_failed_says_its_exit_status():
    from verifylib.common import NoLease

    answers = {"compute1": {"stdout": "reset: sb=no answer\n", "retcode": 1}}
    cloud, _ = _cloud_for_boot("/x/chassis-reset.sh", answers, NoLease("no lease", host="compute1"))
    assert cloud.boot() == "booted"
    assert "after a chassis reset of compute1 (reset: sb=no answer (exit 1))" in cloud.notes[0]


def test_no_agent_under_the_hosts_name_is_not_all_alive(monkeypatch):
    """A chassis named otherwise than the nova host: no agent matches, and
    the wait fails (and says so) instead of passing at once."""
    from verifylib import client as vclient
    from verifylib.common import NoLease

    answers = {"compute1": {"stdout": "reset: sb=connected\n"}}
    cloud, calls = _cloud_for_boot("/x/chassis-reset.sh", answers,
                                   NoLease("no lease", host="compute1"))
    cloud.conn.network.agents = lambda **filters: iter([])
    clock = iter(range(0, 10_000, 50))
    monkeypatch.setattr(vclient.time, "sleep", lambda secs: None)
    monkeypatch.setattr(vclient.time, "monotonic", lambda: next(clock))
    assert cloud.boot() == "booted" and calls["boots"] == 2
    assert "every network agent of compute1 alive again" in cloud.notes[0], cloud.notes


# --- check 11's clean-up -----------------------------------------------------

def test_cleanup_runs_every_step_and_raises_the_first_error_after():
    """A clean-up step that fails does not skip the next (the volume is
    still deleted); on a passing check the first error is raised once all
    ran, on a failing one each is noted and the check's own error stays."""
    from verifylib import checks_computes

    class Cloud:
        notes = []

    ran = []

    def boom(what):
        def step():
            ran.append(what)
            raise RuntimeError(f"{what} failed")
        return step

    steps = [("metadata", boom("metadata")), ("volume", lambda: ran.append("volume")),
             ("server", boom("server"))]
    with pytest.raises(RuntimeError, match="metadata failed"):
        checks_computes._cleanup(Cloud, False, steps)
    assert ran == ["metadata", "volume", "server"] and Cloud.notes == []
    ran.clear()
    checks_computes._cleanup(Cloud, True, steps)
    assert ran == ["metadata", "volume", "server"]
    assert Cloud.notes == ["cleanup of metadata failed too: metadata failed",
                           "cleanup of server failed too: server failed"]
