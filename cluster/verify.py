#!/usr/bin/env python3
"""
End-to-end verification of a cloud deployed by this repository's
orchestration (issue 3, "Verify").  Runs ON THE CONTROLLER as root:

    python3 /vagrant/cluster/verify.py [--check NAME[,NAME]] [--json PATH] [--keep]
    python3 cluster/verify.py --report RUN.json... [--json MERGED.json]

Every check is a real API call or command against the running cloud: the
OpenStack APIs through openstacksdk with the admin credentials of
/root/admin-openrc, other hosts through the salt CLI (the controller is the
salt-master), the topology (hosts, roles, GlusterFS volume) from pillar.

Checks (names or numbers for --check; the default runs every check that
needs no argument):

   1 identity      admin and service users, catalog services/endpoints, tokens;
                   every public endpoint (the catalog's, each gateway's
                   dashboard and the console proxy) answers over TLS only,
                   its certificate valid against the CA the model names for
                   its host (tls:public: the cloud's or the operator's)
   2 image         the verification guest (cluster/build-image.sh) is active in
                   Glance with active aki/ari kernel and ramdisk images
   3 services      every nova service up on its host; Neutron (ML2/OVN) lists an
                   alive OVN controller agent per compute (a gateway agent, with
                   the provider bridge mapping, per gateway) named after its
                   minion, an OVN metadata agent per compute and no agent of
                   another kind (L3, DHCP, linuxbridge); every chassis tunnels
                   with Geneve from its management address (southbound Encap);
                   each gateway's dashboard runs openstack:workers:api WSGI
                   processes
   4 boot          an instance on the private network reaches ACTIVE; its console
                   shows the guest's boot line, its DHCP lease (Neutron's address,
                   from OVN's native DHCP: server id = the subnet's gateway, the
                   network's MTU), the user-data and SSH key read from the
                   metadata service (the OVN metadata agent)
   5 secgroups     ICMP + SSH allowed in the default group; the instance answers
                   ping and tcp/22 from the OVN metadata namespace
                   (ovnmeta-<network id>) on its compute, and a port the group
                   does not open is filtered
  13 floatingip    a floating IP from the router's external network on the
                   instance's port (one already there is reused); from the
                   gateway's provider address (on br-ex) the instance answers
                   ping and tcp/22 through it, tcp/23 is filtered
   6 storage       the GlusterFS volume is replicated over the computes, mounted
                   at the instances directory on each; the instance's files are
                   visible from every compute
   7 migration     live migration (no block migration) to another compute; the
                   same guest keeps running there
   8 idempotency   run by the cluster driver (cluster/run re-runs the
                   orchestration); always SKIPPED here
   9 scaleout      --compute NAME: discovered in the cell, brick in the volume,
                   share mounted, an instance boots on it
  10 faults        --stopped HOST: with HOST down, the instance's files are
                   readable from another compute
     heal          GlusterFS heal info shows no pending entries (bounded wait)
  11 blockstorage  Cinder API/scheduler up; volume create + attach when the
                   kernel has device-mapper and iSCSI, else NOT RUNNABLE
  12 secrets       no password of the master's pillar (all of them: each
                   minion's is narrowed) nor any host's TLS key (the
                   master CA's; the operator's of openstack:tls:public) in
                   the master's job cache, the
                   orchestration outputs, the controller's Salt logs or any
                   host's process list; no host's pillar holds a secret its
                   roles do not use (openstack_pillar.role_secrets) nor
                   another host's operator TLS key; every
                   host trusts the master's CA (common.ca); every
                   service config file holding a secret is mode 0640, group
                   of its service

     replace       --compute NAME [--checksums FILE]: a compute destroyed and
                   brought up again (cluster/run's replace phase): one
                   nova-compute record, up; one resource provider; its agents
                   alive, one of each; its brick back in the volume, healed,
                   holding the files FILE checksummed before
                   (cluster/instance-checksums.sh); every other compute
                   trusts its new host key, nova reaches it over SSH
     retire        --compute NAME: after openstack.retire, Nova, placement and
                   Neutron have nothing of it, the volume no brick and the
                   pool no peer, the instance runs elsewhere, no other
                   compute trusts its keys

Results: PASS, FAIL, NOT RUNNABLE (the machine cannot run it: never a pass),
SKIPPED (not selected or needs an argument).  Exit status: 0 no FAIL, 1 at
least one FAIL, 2 the verification itself could not start (credentials,
pillar, openstacksdk missing, bad arguments).

The instance (name --server-name), its key pair and the floating IPs verify
created (description "verify.py <server name>") are deleted at the end
unless --keep; a later run reuses a kept ACTIVE instance for the checks that
need one (e.g. the cluster driver: verify --keep, stop a compute, verify
--check faults --stopped compute2 --keep, start it, verify --check heal).
--report merges such runs' JSON files into one table (anywhere, no cloud
needed): a check's latest result other than SKIPPED counts.
"""
import argparse
import base64
import hashlib
import http.client
import os
import re
import shlex
import signal
import ssl
import sys
import tempfile
import time
import urllib.parse

# This directory first: results.py, salt_output.py and the verifylib package
# beside this file, also when verify is loaded by path (the tests).
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from salt_output import parse_salt_json  # noqa: E402,F401  cluster/salt_output.py, beside this file
# cluster/results.py, beside this file: the results, the exit statuses and
# the --json document verify, dashboard.py and tempest.py write.
from results import (EXIT_ERROR, EXIT_FAIL, EXIT_OK, FAIL, NOT_RUNNABLE,  # noqa: E402,F401
                     PASS, RESULTS, SKIPPED, exit_code, summarize, verify_document,
                     write_document)

# The names of the package's modules, as verify.py had them: other scripts
# and the tests use them as verify.<name>.
from verifylib.common import (  # noqa: E402,F401
    CATALOG, CHECKS, DEFAULT_CHECKS, INSTANCES_DIR, INTERFACES, NOVA_SERVICES, OPENRC,
    OVN_AGENT_TYPES, OVN_CONTROLLER_AGENT, OVN_CONTROLLER_GW_AGENT, OVN_METADATA_AGENT,
    OVN_METADATA_NS_PREFIX, SERVICE_USERS, CheckFailed, NoLease, NotRunnable, Skipped)
from verifylib.parse import (  # noqa: E402,F401
    _ALIVE, _BOOT_ID, _DHCP, _EXPORT, _MARKER, _shell_value, key_body, lost_lease, model_networks,
    parse_bridge_mappings, parse_console, parse_gluster_heal_info, parse_gluster_volume_info,
    parse_gluster_volume_status, parse_list_hosts, parse_openrc, parse_ovn_encaps, parse_route_get,
    sdk_auth_args)
from verifylib.problems import (  # noqa: E402,F401
    ANY_ADDRESS, FLAVOR_FIELDS, LOOPBACK_ADDRESSES, LOOPBACK_ONLY_PORTS, RULE_FIELDS,
    choose_floating_ip, console_problems, encap_problems, expected_neutron_agents, expected_replica,
    flavor_problems, heal_problems, lease_probe_command, loopback_listener_problems, minion_of,
    ovn_tls_probe_command, ovn_tls_problems, provider_side, roles_hosts, rule_problems,
    service_table_problems, short, still_running, subnet_problems)
from verifylib.report import (  # noqa: E402,F401
    _wrap, classify, make_result, merge_results, redact, render_table, report, select_checks)
from verifylib.secret_scan import (  # noqa: E402,F401
    CA_TRUST_COMMAND, MASTER_SECRETS_SCRIPT, SECRET_DIRS, SECRET_LINE, TLS_CA_CERT, TLS_CA_DIR,
    TLS_ISSUED_DIR, TRUSTED_CA_FILE, ca_trust_problems, master_secrets, operator_key_problems,
    pem_key_line, salt_master_python, secret_file_problems, secret_leaks, secret_scope_problems,
    secrets_of, tls_key_secrets)
from verifylib.client import (  # noqa: E402,F401
    Cloud, log, poll, run, salt_call)


# --------------------------------------------------------------------------
# The checks: each returns a detail string (PASS) or raises
# --------------------------------------------------------------------------

def check_identity(cloud):
    conn = cloud.conn
    token = conn.session.get_token()
    if not token:
        raise CheckFailed("no token issued")
    # A fresh token for the admin, validated by Keystone itself.
    base = re.sub(r"/v3/?$", "", cloud.env["OS_AUTH_URL"].rstrip("/"))
    resp = conn.session.get(f"{base}/v3/auth/tokens",
                            headers={"X-Subject-Token": token}, raise_exc=False)
    if resp.status_code != 200:
        raise CheckFailed(f"token validation: HTTP {resp.status_code}")
    users = {u.name for u in conn.identity.users()}
    want_users = ["admin", *SERVICE_USERS]
    demo = (cloud.pillar.get("demo") or {}).get("user")
    if demo:
        want_users.append(demo)
    missing = [u for u in want_users if u not in users]
    services = {s.id: s for s in conn.identity.services()}
    by_type = {s.type: s for s in services.values()}
    problems = [f"user {u} missing" for u in missing]
    endpoints = list(conn.identity.endpoints())
    region = cloud.env.get("OS_REGION_NAME")
    checked_urls = 0
    for stype, sname in CATALOG.items():
        svc = by_type.get(stype)
        if svc is None:
            problems.append(f"service {sname} ({stype}) not in the catalog")
            continue
        eps = [e for e in endpoints if e.service_id == svc.id
               and (not region or e.region_id == region)]
        have = {e.interface for e in eps}
        for iface in INTERFACES:
            if iface not in have:
                problems.append(f"{stype}: no {iface} endpoint" + (f" in {region}" if region else ""))
        for e in eps:
            if e.interface != "public":
                continue
            url = e.url.split("%(")[0].rstrip("/")
            problems.extend(f"{stype} public endpoint {problem}"
                            for problem in public_url_problems(cloud.public_tls, url))
            checked_urls += 1
    # The gateways' public endpoints: the dashboard (443) and the console
    # proxy (the URL computes hand to browsers).
    for url in gateway_public_urls(cloud.public_tls, roles_hosts(cloud.hosts, "gateway"),
                                   cloud.console_url):
        problems.extend(public_url_problems(cloud.public_tls, url))
        checked_urls += 1
    if problems:
        raise CheckFailed("; ".join(problems))
    issuers = sorted({entry.get("issuer") for entry in cloud.public_tls.values()})
    return (f"token validated; {len(want_users)} users; {len(CATALOG)} services with "
            f"public/internal/admin endpoints; {checked_urls} public endpoints answer over "
            f"TLS only, each certificate validated against the CA the model names "
            f"({', '.join(issuers)})")


def gateway_public_urls(public_tls, gateways, console_url):
    """The dashboard's URL on each gateway, and the console proxy's."""
    urls = [f"https://{gateway}/" for gateway in gateways if gateway in public_tls]
    return urls + ([console_url] if console_url else [])


def public_trust(public_tls, host):
    """
    What a client validates `host`'s public certificate against, as
    keyword arguments of ssl.create_default_context: the cloud's CA
    (TRUSTED_CA_FILE) for a pair of the master's CA; the operator's CA
    (its PEM) for an operator's certificate with one; the system store for
    an operator's certificate without (a public CA's).  `public_tls`: the
    model's tls:public.  ValueError for a host the model gives no public
    certificate.
    """
    entry = public_tls.get(host)
    if not isinstance(entry, dict):
        raise ValueError(f"{host} serves no public endpoint in the model (tls:public)")
    if entry.get("issuer") != "operator":
        return {"cafile": TRUSTED_CA_FILE}
    return {"cadata": entry["ca"]} if entry.get("ca") else {}


def tls_status(url, trust, timeout=15):
    """The HTTP status of an unauthenticated GET of `url` over TLS, its
    certificate validated against `trust` (public_trust) with its host
    name; ssl errors (a refused certificate) propagate."""
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(**trust)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout,
                                       context=context)
    try:
        conn.request("GET", parts.path or "/")
        return conn.getresponse().status
    finally:
        conn.close()


def public_url_problems(public_tls, url):
    """public_endpoint_problems of `url`, its certificate validated against
    the CA the model names for its host."""
    try:
        trust = public_trust(public_tls, urllib.parse.urlsplit(url).hostname)
    except ValueError as exc:
        return [f"{url}: {exc}"]
    return public_endpoint_problems(lambda u: tls_status(u, trust), url)


def public_endpoint_problems(tls_get, url, plain_get=None):
    """
    What is wrong with the public endpoint `url`: it must be HTTPS, answer
    `tls_get(url)` (an HTTP status, the certificate validated with its host
    name against the CA that signs it: tls_status), and give no HTTP
    answer in clear on the same port.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        return [f"{url}: not HTTPS"]
    problems = []
    try:
        status = tls_get(url)
    except Exception as exc:  # noqa: BLE001 - a refused certificate is a finding
        status = f"unreachable: {exc}"
    if not isinstance(status, int) or status >= 500:
        problems.append(f"{url}: {status}")
    # The same port in clear: HTTPS's own (443) when the URL names none,
    # never plain HTTP's 80 (where the dashboard redirects, on purpose).
    netloc = parts.netloc if parts.port else f"{parts.netloc}:443"
    plain = urllib.parse.urlunsplit(("http", netloc, "/", "", ""))
    try:
        answer = plain_get(plain) if plain_get else plain_answer(plain)[0]
    except Exception:  # noqa: BLE001 - refusing clear text is what is wanted
        answer = None
    if answer is not None and answer < 400:
        problems.append(f"{plain}: answers in clear (HTTP {answer})")
    return problems


def plain_answer(url, timeout=10):
    """(status, Location) of a plain HTTP GET of `url`, redirects not
    followed (the public endpoints' check, the dashboard's redirect)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        response = conn.getresponse()
        return response.status, response.getheader("Location")
    finally:
        conn.close()


def check_image(cloud):
    conn = cloud.conn
    images = [i for i in conn.image.images() if i.name == cloud.args.image]
    if not images:
        raise CheckFailed(f"image {cloud.args.image} not in Glance (pillar openstack:glance:images, "
                          "built by cluster/build-image.sh)")
    if len(images) > 1:
        raise CheckFailed(f"{len(images)} images named {cloud.args.image}")
    img = images[0]
    problems = []
    if img.status != "active":
        problems.append(f"{img.name} is {img.status}")
    props = dict(img.properties or {})
    kernel_id = getattr(img, "kernel_id", None) or props.get("kernel_id")
    ramdisk_id = getattr(img, "ramdisk_id", None) or props.get("ramdisk_id")
    parts = []
    for what, ident, fmt in (("kernel", kernel_id, "aki"), ("ramdisk", ramdisk_id, "ari")):
        if not ident:
            problems.append(f"{img.name} has no {what}_id property")
            continue
        part = conn.image.find_image(ident)
        if part is None:
            problems.append(f"{what} image {ident} does not exist")
            continue
        if part.status != "active":
            problems.append(f"{what} image {part.name} is {part.status}")
        if part.disk_format != fmt:
            problems.append(f"{what} image {part.name} has disk format {part.disk_format}, not {fmt}")
        parts.append(f"{part.name} ({part.disk_format}, {part.size or 0} B)")
    if problems:
        raise CheckFailed("; ".join(problems))
    return f"{img.name} active ({img.disk_format}), kernel/ramdisk: {', '.join(parts)}"


# The dashboard's mod_wsgi daemon processes (horizon.config names them).
HORIZON_PROCESSES_COMMAND = "ps -eo args= | grep -c '^(wsgi:horizon)' || true"


def horizon_process_problems(answers, want):
    """Gateways whose dashboard does not run `want` (openstack:workers:api)
    WSGI processes; `answers`: gateway -> cmd.run_all of
    HORIZON_PROCESSES_COMMAND."""
    problems = []
    for host, ans in sorted(answers.items()):
        count = (ans.get("stdout") or "").strip()
        if ans.get("retcode") != 0 or count != str(want):
            problems.append(f"{host}: {count or '?'} dashboard WSGI processes, not {want} "
                            f"(openstack:workers:api)")
    return problems


def check_services(cloud):
    problems, summary = service_table_problems(cloud.hosts, cloud.nova_services(),
                                               cloud.neutron_agents(),
                                               cloud.networks["physical_network"])
    gateways = roles_hosts(cloud.hosts, "gateway")
    problems += horizon_process_problems(cloud.salt(gateways, HORIZON_PROCESSES_COMMAND),
                                         cloud.api_workers)
    # The tunnels, from the southbound database on this host (ovn-central).
    proc = run(["ovn-sbctl", "--format=csv", "--data=bare", "--no-headings",
                "--columns=chassis_name,type,ip", "list", "Encap"], timeout=60)
    if proc.returncode != 0:
        problems.append(f"ovn-sbctl list Encap: {(proc.stderr or proc.stdout).strip()[-200:]}")
    else:
        problems += encap_problems(cloud.hosts, parse_ovn_encaps(proc.stdout))
    # This host (the controller): RabbitMQ's Erlang channels on loopback.
    proc = run(["ss", "-Hltn"], timeout=30)
    if proc.returncode != 0:
        problems.append(f"ss -Hltn: {(proc.stderr or proc.stdout).strip()[-200:]}")
    else:
        problems += loopback_listener_problems(proc.stdout)
    # OVN's databases take TLS clients with a certificate from the cloud's
    # CA only: the northbound from this host (its only clients' host),
    # the southbound from every chassis, whose ovn-controller is connected.
    nb, sb = cloud.ovn["nb_connection"], cloud.ovn["sb_connection"]
    local = run(["sh", "-c", ovn_tls_probe_command("ovn-nbctl", nb)], timeout=60)
    problems += ovn_tls_problems({"this host": {"stdout": local.stdout, "stderr": local.stderr}},
                                 nb, "OVN_Northbound")
    chassis = sorted(set(cloud.computes) | set(roles_hosts(cloud.hosts, "gateway")))
    problems += ovn_tls_problems(
        cloud.salt(chassis, ovn_tls_probe_command("ovs-vsctl", sb, chassis=True)),
        sb, "OVN_Southbound", chassis=True)
    hyper = {short(h.name) for h in cloud.conn.compute.hypervisors()}
    for c in cloud.computes:
        if short(c) not in hyper:
            problems.append(f"no hypervisor for {c}")
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"{summary}: all up; every chassis tunnels with Geneve from its management "
            f"address; epmd and RabbitMQ's distribution port on loopback only; "
            f"OVN's databases refuse plain clients and every chassis is connected "
            f"over TLS with its own certificate; hypervisors: {', '.join(sorted(hyper))}; "
            f"the dashboard runs "
            f"{cloud.api_workers} WSGI processes on {', '.join(gateways)}")


def check_boot(cloud):
    server, info, address, t_active, t_console = cloud.boot()
    if not server.has_config_drive:
        raise CheckFailed(f"instance {server.id} was asked for a config drive and has none")
    return (f"ACTIVE with a config drive after {t_active:.0f} s on {server.compute_host}; markers after "
            f"{t_console:.0f} s: boot line, DHCP {address} from OVN ({info['dhcp_server']}) "
            f"with MTU {info['mtu']}, user-data, SSH key, uuid")


def _router_for(cloud):
    """The router with an interface on the verification network."""
    conn = cloud.conn
    net = conn.network.find_network(cloud.args.network)
    ports = list(conn.network.ports(network_id=net.id,
                                     device_owner="network:router_interface"))
    if not ports:
        raise CheckFailed(f"no router interface on network {cloud.args.network}")
    return ports[0].device_id


_TCP_PROBE = (
    "import socket,sys\n"
    "s=socket.socket();s.settimeout(float(sys.argv[3]))\n"
    "try:\n"
    "  s.connect((sys.argv[1],int(sys.argv[2])))\n"
    "  print('OPEN', s.recv(200).decode(errors='replace').strip())\n"
    "except socket.timeout:\n  print('FILTERED')\n"
    "except ConnectionRefusedError:\n  print('REFUSED')\n"
    "except OSError as e:\n  print('ERROR', e)\n"
)


def tcp_probe(cloud, host, prefix, address, port, timeout=5):
    """OPEN <banner>, FILTERED, REFUSED or ERROR <why>: a TCP connection to
    address:port from `host` (`prefix`: "ip netns exec NS " or "")."""
    code = base64.b64encode(_TCP_PROBE.encode()).decode()
    cmd = (f"{prefix}python3 -c \"import base64;exec(base64.b64decode('{code}'))\" "
           f"{address} {port} {timeout}")
    ans = cloud.salt_one(host, cmd, 60)
    return (ans["stdout"] or ans["stderr"]).strip()


# The guest's SSH server (dropbear, cluster/build-image.sh) opens with this.
GUEST_SSH_BANNER = "SSH-2.0-dropbear"


def guest_ssh_answer_ok(answer):
    """Whether a tcp_probe answer on port 22 is the guest's SSH server."""
    return answer.startswith("OPEN " + GUEST_SSH_BANNER)


def reach_problems(cloud, host, ns, address, where):
    """
    The guest at `address` seen from `host`, inside namespace `ns` (None:
    the host's own stack): it answers ping (retried: the first packets can
    be lost to ARP) and tcp/22 with the guest's banner; tcp/23, which the
    default group does not open, is filtered.  `where` ("from X on Y")
    goes into the sentences.  Returns (problems, tcp/22 answer).
    """
    prefix = f"ip netns exec {ns} " if ns else ""
    problems = []
    last = {}

    def pings():
        ans = cloud.salt_one(host, f"{prefix}ping -c 2 -W 2 {address}", 60)
        last["ans"] = ans
        return ans["retcode"] == 0

    try:
        poll(f"ping {address} {where}", pings, 90, interval=5)
    except CheckFailed:
        ans = last.get("ans", {})
        out = (ans.get("stdout") or ans.get("stderr") or "").strip().splitlines()
        problems.append(f"no ping reply from {address} {where}: {out[-2:] if out else ans}")
    banner = tcp_probe(cloud, host, prefix, address, 22)
    if not guest_ssh_answer_ok(banner):
        problems.append(f"tcp/22 {where}: {banner or 'no answer'}")
    closed = tcp_probe(cloud, host, prefix, address, 23)
    if closed == "REFUSED":
        problems.append(f"tcp/23 {where} answered with a reset: the security group does not "
                        "filter it (no OVN ACL on the instance's port)")
    elif closed != "FILTERED":
        problems.append(f"tcp/23 probe {where}: {closed}")
    return problems, banner


def check_secgroups(cloud):
    conn = cloud.conn
    server = conn.compute.get_server(cloud.ensure_server().id)   # where it runs now
    project = conn.session.get_project_id()
    groups = [g for g in conn.network.security_groups(project_id=project) if g.name == "default"]
    if not groups:
        raise CheckFailed("no default security group in the admin project")
    rules = list(conn.network.security_group_rules(security_group_id=groups[0].id))
    ingress = [r for r in rules if r.direction == "ingress" and r.ether_type == "IPv4"]
    icmp = any(r.protocol in ("icmp", "1") for r in ingress)
    ssh = any(r.protocol in ("tcp", "6") and (r.port_range_min or 0) <= 22 <= (r.port_range_max or 65535)
              for r in ingress)
    problems = []
    if not icmp:
        problems.append("default group has no ingress ICMP rule")
    if not ssh:
        problems.append("default group has no ingress tcp/22 rule")
    # Under OVN the network's only host-side foothold is the metadata
    # namespace the OVN metadata agent keeps on each compute with a port of
    # the network; its port has no security group, like a router's.
    net = conn.network.find_network(cloud.args.network)
    address, _ = cloud.server_ipv4(server, net)
    host = minion_of(cloud.hosts, server.compute_host)
    if host is None:
        raise CheckFailed("; ".join(problems + [f"the instance runs on {server.compute_host}, "
                                                "which pillar openstack:hosts does not list"]))
    ns = f"{OVN_METADATA_NS_PREFIX}{net.id}"
    ans = cloud.salt_one(host, f"ip netns list | grep -qw {ns}", 60)
    if ans["retcode"] != 0:
        raise CheckFailed("; ".join(problems + [
            f"namespace {ns} not on {host} ({ans['stderr'].strip() or 'not there'}): the OVN "
            "metadata agent did not provision the instance's network there"]))
    where = f"from {ns[:16]}... on {host}"
    reach, banner = reach_problems(cloud, host, ns, address, where)
    problems += reach
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"default group allows ICMP + tcp/22; {address} answers ping and "
            f"{banner.split()[1]} on 22 {where}; tcp/23 filtered")


def check_floatingip(cloud):
    conn = cloud.conn
    side = provider_side(cloud.hosts)
    if side is None:
        raise NotRunnable("no gateway has a provider_address in pillar openstack:hosts: no host "
                          "on the provider network to reach a floating IP from")
    gateway, provider_address = side
    server = conn.compute.get_server(cloud.ensure_server().id)
    port = cloud.server_port(server)
    router = conn.network.get_router(_router_for(cloud))
    external = (router.external_gateway_info or {}).get("network_id")
    if not external:
        raise CheckFailed(f"router {router.name} has no external gateway to take a floating IP from")
    fip, how = cloud.floating_ip(port, external)
    address = fip.floating_ip_address
    last = {}

    def active():
        last["fip"] = conn.network.get_ip(fip.id)
        return last["fip"].status == "ACTIVE"

    try:
        poll(f"floating IP {address} ACTIVE", active, 60)
    except CheckFailed as exc:
        status = last["fip"].status if last.get("fip") else "unknown"
        raise CheckFailed(f"{exc}: status {status} ({how}, port {port.id})") from None
    # The provider side: the gateway's provider address, on br-ex.
    ans = cloud.salt_one(gateway, f"ip -o -4 route get {address}", 60)
    route = parse_route_get(ans["stdout"])
    if ans["retcode"] != 0 or route["src"] != provider_address:
        raise CheckFailed(f"{gateway} does not reach {address} from its provider address "
                          f"{provider_address} (ip route get: "
                          f"{(ans['stdout'] or ans['stderr']).strip() or 'no answer'})")
    where = f"from {gateway} ({provider_address} on {route['dev']})"
    problems, banner = reach_problems(cloud, gateway, None, address, where)
    fixed = last["fip"].fixed_ip_address
    if problems:
        raise CheckFailed(f"floating IP {address} -> {fixed} ({how}): " + "; ".join(problems))
    return (f"floating IP {address} -> {fixed} ({how}) on {server.compute_host}: ping and "
            f"{banner.split()[1]} on 22 {where}; tcp/23 filtered")


def _volume_shape(cloud, host=None):
    """The volume's info, asked on ``host`` (default: the first compute that answers)."""
    return parse_gluster_volume_info(cloud.gluster(f"volume info {cloud.volume} --xml", host=host),
                                     cloud.volume)


def check_storage(cloud):
    problems = []
    gl = cloud.pillar.get("gluster") or {}
    info = _volume_shape(cloud)
    want_replica = expected_replica(gl, len(cloud.computes))
    brick_hosts = sorted(short(b["host"]) for b in info["bricks"])
    if info["status"] != "Started":
        problems.append(f"volume {cloud.volume} is {info['status']}")
    if "Replicate" not in (info["type"] or ""):
        problems.append(f"volume type {info['type']}, not replicated")
    if info["replica"] != want_replica:
        problems.append(f"replica {info['replica']}, pillar wants {want_replica}")
    missing = [c for c in cloud.computes if short(c) not in brick_hosts]
    if missing:
        problems.append(f"no brick on {', '.join(missing)}")
    status = parse_gluster_volume_status(cloud.gluster(f"volume status {cloud.volume} --xml"))
    offline = [f"{b['host']}:{b['path']}" for b in status if not b["online"]]
    if offline:
        problems.append(f"bricks offline: {', '.join(offline)}")
    # Replication only happens if every client reaches every brick: glusterd
    # saying "online" is not enough (a firewall may drop the brick's port).
    probes = " ; ".join(
        f"timeout 5 bash -c 'exec 3<>/dev/tcp/{b['host']}/{b['port']}' 2>/dev/null"
        f" && echo OK {b['host']}:{b['port']} || echo NO {b['host']}:{b['port']}"
        for b in status if b["online"] and b["port"])
    if probes:
        for host, ans in sorted(cloud.salt(cloud.computes, probes, 90).items()):
            if ans["retcode"] is None:
                problems.append(f"{host}: no answer ({ans['stderr']})")
                continue
            closed = [line.split()[1] for line in ans["stdout"].splitlines() if line.startswith("NO ")]
            if closed:
                problems.append(f"{host} cannot connect to brick port(s) {', '.join(closed)}")
    heal = parse_gluster_heal_info(cloud.gluster(f"volume heal {cloud.volume} info --xml"))
    for b in heal:
        if b["status"] and b["status"].lower() != "connected":
            problems.append(f"heal info: {b['brick']}: {b['status']}")
    mounts = cloud.salt(cloud.computes, f"findmnt -n -o FSTYPE,SOURCE {INSTANCES_DIR}", 60)
    for host, ans in sorted(mounts.items()):
        fields = ans["stdout"].split()
        if ans["retcode"] != 0 or not fields:
            problems.append(f"{host}: {INSTANCES_DIR} not mounted ({ans['stderr'].strip()[-200:]})")
        elif fields[0] != "fuse.glusterfs" or not fields[1].endswith(f":/{cloud.volume}"):
            problems.append(f"{host}: {INSTANCES_DIR} is {' '.join(fields)}")
    # The instance's files from every compute.
    try:
        server = cloud.ensure_server()
    except Skipped as exc:
        if problems:
            raise CheckFailed("; ".join(problems) + f"; instance part not run: {exc}") from None
        raise
    path = f"{INSTANCES_DIR}/{server.id}"
    # disk.config: the config drive nova built, an ISO 9660 image
    # ("CD001" at byte 32769: its primary volume descriptor).
    seen = cloud.salt(cloud.computes,
                      f"stat -c %s {path}/disk && head -c 65536 {path}/disk | wc -c"
                      f" && grep -a -c VERIFY-ALIVE {path}/console.log"
                      f" && dd if={path}/disk.config bs=1 skip=32769 count=5 status=none"
                      f" && echo", 60)
    sizes = set()
    for host, ans in sorted(seen.items()):
        lines = ans["stdout"].split()
        if ans["retcode"] == 0 and len(lines) == 4 and lines[3] != "CD001":
            problems.append(f"{host}: {path}/disk.config is not an ISO 9660 image")
        if ans["retcode"] != 0 or len(lines) < 4:
            problems.append(f"{host}: {path}/disk, console.log or disk.config not readable "
                            f"({(ans['stderr'] or ans['stdout']).strip()[-200:]})")
            continue
        sizes.add(lines[0])
        if lines[1] == "0":
            problems.append(f"{host}: {path}/disk reads empty")
    if len(sizes) > 1:
        problems.append(f"disk sizes differ between computes: {sorted(sizes)}")
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"{cloud.volume}: {info['type']} replica {info['replica']} over "
            f"{', '.join(brick_hosts)}, all bricks online and reachable from every compute, "
            f"mounted on {len(mounts)} computes; "
            f"instance disk + console.log + config drive (ISO 9660) read from every compute")


# The migration stream over QEMU's native TLS (libvirt.tls, nova.compute):
# nova's flag, qemu.conf's peer verification, and the certificates in the
# directory qemu.conf names, checked against the CA there.  One line each.
NATIVE_TLS_COMMAND = (
    "sed -n 's/^[[:space:]]*live_migration_with_native_tls[[:space:]]*=[[:space:]]*//p' "
    "/etc/nova/nova.conf; "
    "sed -n 's/^migrate_tls_x509_verify[[:space:]]*=[[:space:]]*//p' /etc/libvirt/qemu.conf; "
    "d=$(sed -n 's/^migrate_tls_x509_cert_dir[[:space:]]*=[[:space:]]*\"\\(.*\\)\"$/\\1/p' "
    "/etc/libvirt/qemu.conf); "
    "openssl verify -CAfile \"$d/ca-cert.pem\" \"$d/server-cert.pem\" \"$d/client-cert.pem\" "
    ">/dev/null 2>&1 && echo certificates-verified"
)
NATIVE_TLS_WANT = ["true", "1", "certificates-verified"]


def native_tls_problems(answers):
    """Computes whose NATIVE_TLS_COMMAND answer is not NATIVE_TLS_WANT
    (oslo.config reads true in any case)."""
    problems = []
    for host, ans in sorted(answers.items()):
        lines = [line.strip() for line in (ans.get("stdout") or "").splitlines() if line.strip()]
        if [line.lower() for line in lines] != NATIVE_TLS_WANT:
            problems.append(f"{host}: the migration stream's native TLS is not set up "
                            f"(nova flag, qemu.conf verify, certificates: {lines})")
    return problems


def check_migration(cloud):
    conn, args = cloud.conn, cloud.args
    server = cloud.ensure_server()
    server = conn.compute.get_server(server.id)
    source = server.compute_host
    up = {short(s["host"]): s["host"] for s in cloud.nova_services()
          if s["binary"] == "nova-compute" and s["state"] == "up" and s["status"] == "enabled"}
    targets = [up[short(c)] for c in cloud.computes if short(c) != short(source) and short(c) in up]
    if args.to:
        if short(args.to) == short(source):
            return f"the instance is on {source} already: nothing to migrate"
        targets = [t for t in targets if short(t) == short(args.to)]
    if not targets:
        raise CheckFailed(f"no other compute up to migrate to (source {source}, up: {sorted(up)}"
                          + (f", asked for {args.to})" if args.to else ")"))
    target = targets[0]
    problems = native_tls_problems(cloud.salt([source, target], NATIVE_TLS_COMMAND))
    if problems:
        raise CheckFailed("; ".join(problems))
    # The guest's latest VERIFY-ALIVE line before the move (a log that was
    # just cut, e.g. by an earlier aborted migration, gets one within 10 s).
    def alive_before():
        info = parse_console(cloud.console(server))
        return info if info["alive"] else None

    try:
        before = poll("guest markers before the migration", alive_before, 60, interval=5)
    except CheckFailed:
        raise CheckFailed(f"the guest on {source} prints no VERIFY-ALIVE line: "
                          "it is not running before the migration") from None
    earlier = {m.get("id") for m in cloud.migrations(server.id)}
    t0 = time.monotonic()
    log(f"live-migrating {server.id} {source} -> {target}")
    conn.compute.live_migrate_server(server, host=target, block_migration=False)

    def done():
        # Finished: the instance is idle on the target, or nova's migration
        # record of this request ended (the task state alone races with the
        # start of the migration).
        srv = conn.compute.get_server(server.id)
        if srv.status == "ERROR":
            raise CheckFailed(f"instance went to ERROR: {cloud.fault(srv)}")
        if srv.task_state is not None or srv.status != "ACTIVE":
            return None
        if short(srv.compute_host) == short(target):
            return srv
        ours = [m for m in cloud.migrations(server.id) if m.get("id") not in earlier]
        if ours and ours[-1].get("status") in ("completed", "error", "failed", "cancelled"):
            return srv
        return None

    srv = poll("live migration finished", done, args.migrate_timeout)
    elapsed = time.monotonic() - t0
    if short(srv.compute_host) != short(target):
        hint = _migration_error(cloud, srv, source)
        raise CheckFailed(f"instance still on {srv.compute_host} after the migration{hint}")
    cloud.server = srv
    # The destination's console log starts empty: wait for markers to reappear.
    last = {}

    def alive_again():
        info = parse_console(cloud.console(srv))
        last["info"] = info
        ok, _ = still_running(before, info)
        return info if ok else None

    try:
        after = poll("guest markers on the destination", alive_again, 120, interval=5)
    except CheckFailed:
        ok, why = still_running(before, last.get("info") or parse_console(""))
        raise CheckFailed(f"migrated to {target} in {elapsed:.0f} s but the guest: {why}") from None
    _, why = still_running(before, after)
    return (f"{source} -> {target} in {elapsed:.0f} s (not block; the stream over QEMU's "
            f"native TLS, peers verified against the cloud's CA); {why}")


def _migration_error(cloud, server, source):
    """A hint from nova's migration record and the source's log."""
    hints = []
    migs = cloud.migrations(server.id)
    if migs:
        m = migs[-1]
        hints.append(f"migration {m.get('id')} {m.get('migration_type')} {m.get('status')}")
    ans = cloud.salt_one(source, "grep -E 'ERROR' /var/log/nova/nova-compute.log | tail -n 2", 30)
    if ans["stdout"].strip():
        hints.append(f"{source} nova-compute.log: {ans['stdout'].strip()[-400:]}")
    return (": " + "; ".join(hints)) if hints else ""


def check_idempotency(cloud):
    raise Skipped("run by the cluster driver (cluster/run re-runs the orchestration)")


def check_scaleout(cloud):
    name = cloud.args.compute
    if not name:
        raise Skipped("needs --compute NAME (cluster/run adds compute3 then runs it)")
    problems = []
    if name not in cloud.hosts or "compute" not in cloud.hosts[name].get("roles", []):
        problems.append(f"{name} is not a compute in pillar openstack:hosts")
    svc = _compute_services(cloud, name)
    if not svc or svc[0]["state"] != "up":
        problems.append(f"nova-compute on {name}: {svc[0]['state'] if svc else 'not registered'}")
    proc = run(["nova-manage", "cell_v2", "list_hosts"], timeout=120)
    if proc.returncode != 0:
        problems.append(f"nova-manage cell_v2 list_hosts: {proc.stderr.strip()[-200:]}")
    elif not any(short(h) == short(name) for _, h in parse_list_hosts(proc.stdout)):
        problems.append(f"{name} not mapped to a cell (discover_hosts did not run)")
    info = _volume_shape(cloud)
    if not any(short(b["host"]) == short(name) for b in info["bricks"]):
        problems.append(f"no brick of {name} in {cloud.volume}")
    gl = cloud.pillar.get("gluster") or {}
    want = expected_replica(gl, len(cloud.computes))
    if info["replica"] != want:
        problems.append(f"replica {info['replica']}, pillar wants {want}")
    ans = cloud.salt_one(name, f"findmnt -n -o FSTYPE {INSTANCES_DIR}", 60)
    if ans["stdout"].strip() != "fuse.glusterfs":
        problems.append(f"{name}: {INSTANCES_DIR} not a glusterfs mount ({ans['stdout'] or ans['stderr']})")
    if problems:
        raise CheckFailed("; ".join(problems))
    # A working compute: an instance boots there.
    probe_name = f"{cloud.args.server_name}-{short(name)}"
    srv = None
    try:
        srv, _, address, _, t_console = cloud.boot(availability_zone=f"nova:{name}",
                                                   name=probe_name)
        if short(srv.compute_host) != short(name):
            raise CheckFailed(f"probe instance landed on {srv.compute_host}")
    finally:
        for s in cloud.conn.compute.servers(name=f"^{re.escape(probe_name)}$"):
            cloud.conn.compute.delete_server(s)
    return (f"{name}: nova-compute up, in a cell, brick in {cloud.volume} (replica "
            f"{info['replica']}), share mounted; an instance booted there ({address}) in {t_console:.0f} s")


def check_faults(cloud):
    stopped = cloud.args.stopped
    if not stopped:
        raise Skipped("needs --stopped HOST (cluster/run stops a compute, then runs it)")
    server = cloud.ensure_server()
    others = [c for c in cloud.computes if short(c) != short(stopped)]
    if not others:
        raise CheckFailed("no other compute to read from")
    path = f"{INSTANCES_DIR}/{server.id}"
    problems, ok = [], []
    # The first access after a brick went away waits for network.ping-timeout.
    for host in others:
        ans = cloud.salt_one(host, f"timeout 90 dd if={path}/disk bs=1M count=4 status=none | "
                                   f"sha256sum && timeout 30 tail -c 4000 {path}/console.log "
                                   "| grep -a -c VERIFY >/dev/null", 150)
        if ans["retcode"] is None:
            problems.append(f"{host}: no answer")
        elif ans["retcode"] != 0:
            problems.append(f"{host}: cannot read {path}: {(ans['stderr'] or ans['stdout']).strip()[-200:]}")
        else:
            ok.append(host)
    try:
        status = parse_gluster_volume_status(
            cloud.gluster(f"volume status {cloud.volume} --xml", host=others[0]))
        offline = sorted({short(b["host"]) for b in status if not b["online"]})
        seen = {short(b["host"]) for b in status}
        down = sorted((set(short(c) for c in cloud.computes) - seen) | set(offline))
    except CheckFailed as exc:
        down = [f"status unknown: {exc}"]
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"{stopped} down (bricks offline/absent: {', '.join(down) or 'none'}); "
            f"instance disk and console.log readable from {', '.join(ok)}")


def check_heal(cloud):
    vol = cloud.volume
    last = {}
    triggered = []

    def clean():
        text = cloud.gluster(f"volume heal {vol} info --xml")
        bricks = parse_gluster_heal_info(text)
        problems = heal_problems(bricks)
        last["problems"], last["bricks"] = problems, bricks
        if problems and not triggered:
            # Ask for an index heal once; its own failure is only a hint.
            triggered.append(True)
            try:
                cloud.gluster(f"volume heal {vol}")
            except CheckFailed as exc:
                last["trigger"] = str(exc)
        return not problems

    try:
        poll(f"heal info of {vol} clean", clean, cloud.args.heal_timeout, interval=10)
    except CheckFailed as exc:
        hint = f"; heal request: {last['trigger']}" if last.get("trigger") else ""
        raise CheckFailed(f"{exc}: {'; '.join(last.get('problems', []))}{hint}") from None
    return f"{vol}: {len(last['bricks'])} bricks connected, no entries to heal"


def parse_checksums(text):
    """sha256sum's output -> {path: digest}."""
    sums = {}
    for line in text.splitlines():
        digest, _, path = line.strip().partition("  ")
        if digest and path:
            sums[path] = digest
    return sums


def checksum_problems(before, after):
    """Why the files checksummed after differ from before ([]: the same)."""
    if not before:
        return ["no file was checksummed before"]
    problems = [f"{path}: missing" for path in sorted(set(before) - set(after))]
    problems += [f"{path}: differs" for path in sorted(before)
                 if path in after and after[path] != before[path]]
    return problems


#: cluster/instance-checksums.sh, as the machines see it (/vagrant).
CHECKSUMS_SCRIPT = "/vagrant/cluster/instance-checksums.sh"


def _host_key(cloud, host):
    ans = cloud.salt_one(host, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub", 60)
    key = ans["stdout"].strip()
    if ans["retcode"] != 0 or not key:
        raise CheckFailed(f"{host}: no ed25519 host key ({ans['stderr'].strip()[-200:]})")
    return key


def _nova_ssh(cloud, source, target):
    """nova on source runs a command on target over SSH (live migration's channel)."""
    ans = cloud.salt_one(source, f"runuser -u nova -- ssh -o BatchMode=yes -o ConnectTimeout=10 "
                                 f"{target} true", 60)
    if ans["retcode"] != 0:
        return [f"nova@{source} cannot ssh to {target}: {(ans['stderr'] or ans['stdout']).strip()[-200:]}"]
    return []


def _compute_services(cloud, name):
    """Nova's nova-compute service records of compute ``name``."""
    return [s for s in cloud.nova_services() if s["binary"] == "nova-compute"
            and short(s["host"]) == short(name)]


def _compute_records(cloud, name):
    services = _compute_services(cloud, name)
    providers = [p.name for p in cloud.conn.placement.resource_providers()
                 if short(p.name) == short(name)]
    agents = [a for a in cloud.neutron_agents() if short(a["host"]) == short(name)]
    return services, providers, agents


def check_replace(cloud):
    name, args = cloud.args.compute, cloud.args
    if not name:
        raise Skipped("needs --compute NAME (cluster/run replaces a compute, then runs it)")
    others = [c for c in cloud.computes if short(c) != short(name)]
    problems = []
    services, providers, agents = _compute_records(cloud, name)
    if [(s["state"], s["status"]) for s in services] != [("up", "enabled")]:
        problems.append(f"nova-compute records of {name}: "
                        f"{[(s['state'], s['status']) for s in services]} (want one, up, enabled)")
    if len(providers) != 1:
        problems.append(f"{len(providers)} resource providers named {name} (want one)")
    want = sorted(expected_neutron_agents(cloud.hosts[name].get("roles", [])))
    have = sorted(a["agent_type"] for a in agents)
    if have != want or not all(a["alive"] for a in agents):
        problems.append(f"agents of {name}: {[(a['agent_type'], a['alive']) for a in agents]} "
                        f"(want {want}, alive)")
    info = _volume_shape(cloud)
    if not any(short(b["host"]) == short(name) for b in info["bricks"]):
        problems.append(f"no brick of {name} in {cloud.volume}")
    gl = cloud.pillar.get("gluster") or {}
    if info["replica"] != expected_replica(gl, len(cloud.computes)):
        problems.append(f"replica {info['replica']}, pillar wants "
                        f"{expected_replica(gl, len(cloud.computes))}")
    if problems:
        raise CheckFailed("; ".join(problems))
    healed = check_heal(cloud)
    # The files the instances had before, read from the new brick itself.
    files = "no checksums asked for"
    if args.checksums:
        with open(args.checksums, encoding="utf-8") as fh:
            before = parse_checksums(fh.read())
        brick_dir = cloud.model["gluster"]["brick_dir"]
        ans = cloud.salt_one(name, f"sh {CHECKSUMS_SCRIPT} {shlex.quote(brick_dir)}", 300)
        if ans["retcode"] != 0:
            raise CheckFailed(f"{name}: checksums of {brick_dir}: {ans['stderr'].strip()[-300:]}")
        problems += [f"on {name}'s brick: {p}" for p in
                     checksum_problems(before, parse_checksums(ans["stdout"]))]
        files = f"the {len(before)} instance files checksummed before are intact on its brick"
    key = _host_key(cloud, name)
    for host, ans in cloud.salt(others, "cat /var/lib/nova/.ssh/known_hosts", 60).items():
        if key.split()[1] not in ans["stdout"]:
            problems.append(f"{host}: nova's known_hosts lacks {name}'s new host key")
    problems += _nova_ssh(cloud, others[0], name) + _nova_ssh(cloud, name, others[0])
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"{name}: one nova-compute (up), one resource provider, {len(agents)} agents alive; "
            f"its brick back in {cloud.volume} (replica {info['replica']}); {healed}; {files}; "
            f"every compute trusts its new host key, nova reaches it and back over SSH")


def check_retire(cloud):
    name = cloud.args.compute
    if not name:
        raise Skipped("needs --compute NAME (cluster/run retires a compute, then runs it)")
    others = [c for c in cloud.computes if short(c) != short(name)]
    problems = []
    services, providers, agents = _compute_records(cloud, name)
    if services:
        problems.append(f"Nova still has {len(services)} nova-compute record(s) of {name}")
    if providers:
        problems.append(f"placement still has resource provider(s) {providers}")
    if agents:
        problems.append(f"Neutron still lists {[a['agent_type'] for a in agents]} on {name}")
    info = _volume_shape(cloud, host=others[0])
    if any(short(b["host"]) == short(name) for b in info["bricks"]):
        problems.append(f"{cloud.volume} still has a brick of {name}")
    pool = cloud.gluster("pool list", host=others[0])
    if re.search(rf"\s{re.escape(name)}\s", pool):
        problems.append(f"the trusted pool still lists {name}")
    gl = cloud.pillar.get("gluster") or {}
    if info["replica"] != expected_replica(gl, len(others)):
        problems.append(f"replica {info['replica']}, pillar wants "
                        f"{expected_replica(gl, len(others))} for {len(others)} computes")
    server = cloud.ensure_server()
    server = cloud.conn.compute.get_server(server.id)
    if short(server.compute_host) == short(name) or server.status != "ACTIVE":
        problems.append(f"instance {server.name}: {server.status} on {server.compute_host}")
    else:
        try:
            poll("the instance's console shows it alive",
                 lambda: parse_console(cloud.console(server))["alive"] or None, 60, interval=5)
        except CheckFailed:
            problems.append(f"instance {server.name} on {server.compute_host}: no VERIFY-ALIVE line")
    nova_key = cloud.salt_one(name, "cut -d' ' -f1,2 /var/lib/nova/.ssh/id_ed25519.pub", 60)["stdout"].strip()
    host_key = _host_key(cloud, name)
    for host, ans in cloud.salt(others, "cat /var/lib/nova/.ssh/authorized_keys "
                                        "/var/lib/nova/.ssh/known_hosts", 60).items():
        if ans["retcode"] != 0:
            problems.append(f"{host}: nova's SSH files unreadable")
        elif (nova_key and nova_key.split()[-1] in ans["stdout"]) or host_key.split()[1] in ans["stdout"]:
            problems.append(f"{host}: nova still trusts {name}'s keys")
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"{name}: no nova-compute record, resource provider or agent; {cloud.volume} "
            f"replica {info['replica']} on {', '.join(short(b['host']) for b in info['bricks'])}, "
            f"{name} out of the pool; {server.name} ACTIVE on {server.compute_host}; no other "
            "compute trusts its keys")


def kernel_block_support(cloud):
    """Reasons volumes cannot be created/attached here ([] = supported)."""
    reasons = []
    with open("/proc/misc", encoding="utf-8") as fh:
        misc = fh.read()
    if "device-mapper" not in misc or not os.path.exists("/dev/mapper/control"):
        reasons.append("no device-mapper in this kernel (/proc/misc has no device-mapper, "
                       "/dev/mapper/control absent): LVM cannot create Cinder volumes")
    answers = cloud.salt(cloud.computes,
                         "test -d /sys/module/iscsi_tcp || grep -qw iscsi_tcp /proc/modules", 60)
    no_iscsi = sorted(h for h, a in answers.items() if a["retcode"] != 0)
    if no_iscsi:
        reasons.append(f"no iscsi_tcp kernel module on {', '.join(no_iscsi)}: iSCSI attach impossible")
    return reasons


def check_resources(cloud):
    """The cloud's flavors, subnets and the credentials' project's security
    groups hold the model's values (what salt/cloud declares); after the
    drift phase, the drifted ones."""
    model = cloud.model
    conn = cloud.conn
    flavors = []
    for flavor in conn.compute.get("/flavors/detail", params={"is_public": "None"}).json()["flavors"]:
        specs = conn.compute.get(f"/flavors/{flavor['id']}/os-extra_specs").json()
        flavors.append({"name": flavor["name"], "vcpus": flavor["vcpus"], "ram": flavor["ram"],
                        "disk": flavor["disk"],
                        "ephemeral": flavor.get("OS-FLV-EXT-DATA:ephemeral"),
                        "swap": flavor.get("swap"),
                        "is_public": flavor.get("os-flavor-access:is_public"),
                        "extra_specs": specs.get("extra_specs")})
    problems = flavor_problems(model["flavors"], flavors)
    for kind in ("provider", "selfservice"):
        want = model["networks"][kind]
        found = [{"gateway_ip": s.gateway_ip, "dns_nameservers": s.dns_nameservers,
                  "allocation_pools": s.allocation_pools}
                 for s in conn.network.subnets(name=want["name"])]
        if len(found) > 1:
            problems.append(f"subnet {want['name']}: {len(found)} in Neutron, not 1")
        else:
            problems += subnet_problems(want["name"], want, found[0] if found else None)
    project = conn.current_project_id
    groups = list(conn.network.security_groups(project_id=project))
    group_ids = {g.name: g.id for g in groups}
    for name, want in sorted(model["security_groups"].items()):
        found = [g for g in groups if g.name == name]
        if len(found) != 1:
            problems.append(f"security group {name}: {len(found)} in the project, not 1")
            continue
        problems += rule_problems(name, want, found[0].security_group_rules or [], group_ids)
    if problems:
        raise CheckFailed("; ".join(problems))
    rules = sum(len(g["rules"]) for g in model["security_groups"].values())
    return (f"{len(model['flavors'])} flavors, the provider and self-service subnets and "
            f"{rules} rules of {len(model['security_groups'])} security groups as the pillar "
            "declares them")


def rotation_problems(old, new):
    """
    Sentences for what the rotate phase did not rotate: ``old`` and
    ``new`` map each secret's name to its value before and after (the
    master's pillar); a name in one only, or a value that stayed.
    """
    problems = [f"{name}: not rotated (same value)" for name in sorted(old)
                if name in new and old[name] == new[name]]
    problems += [f"{name}: gone from the pillar" for name in sorted(set(old) - set(new))]
    problems += [f"{name}: new in the pillar" for name in sorted(set(new) - set(old))]
    return problems


def keystone_login(auth_url, cacert, user, password):
    """The HTTP status of an unscoped password login of ``user`` (Default
    domain) at Keystone ``auth_url`` (…/v3): 201 taken, 401 refused."""
    import requests  # noqa: PLC0415 - on the controller

    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}}}
    resp = requests.post(f"{auth_url.rstrip('/')}/auth/tokens", json=body, timeout=30,
                         verify=cacert or True)
    return resp.status_code


def mariadb_login(host, user, password):
    """Whether ``user`` logs in to MariaDB at ``host`` with ``password``
    (the password in a 0600 option file, never on a command line)."""
    escaped = password.replace("\\", "\\\\").replace('"', '\\"')
    fd, path = tempfile.mkstemp(prefix="verify-db-", suffix=".cnf")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f'[client]\npassword="{escaped}"\n')
        proc = run(["mariadb", f"--defaults-extra-file={path}", "-h", host, "-u", user,
                    "--connect-timeout=10", "-e", "SELECT 1"], timeout=60)
    finally:
        os.unlink(path)
    return proc.returncode == 0


def check_rotation(cloud):
    """After the rotate phase (cluster/rotation.py kept the old secrets in
    --old-secrets): every secret has a new value; Keystone takes each
    user's new password and refuses the old one (401); each database
    account likewise; the kept instance runs on, the same boot."""
    before = cloud.rotation_record()
    if before is None:
        raise Skipped("needs --old-secrets (the rotate phase's file)")
    old = before["secrets"]
    new = master_secrets(salt_master_python(), "/etc/salt/master", keys=False)
    cloud.secrets += [str(v) for v in list(old.values()) + list(new.values())]
    problems = rotation_problems(old, new)
    users = {name: name for name in ("admin", *SERVICE_USERS)}
    users["demo"] = (cloud.pillar.get("demo") or {}).get("user") or "demo"
    auth_url, cacert = cloud.env["OS_AUTH_URL"], cloud.env.get("OS_CACERT")
    for name, user in sorted(users.items()):
        for which, secrets, want in (("new", new, 201), ("old", old, 401)):
            status = keystone_login(auth_url, cacert, user, str(secrets[name]))
            if status != want:
                problems.append(f"Keystone user {user}: the {which} password gave HTTP {status}, "
                                f"not {want}")
    controller = roles_hosts(cloud.hosts, "controller")[0]
    address = cloud.hosts[controller]["address"]
    accounts = sorted(name for name in new if name.endswith("_db"))
    for name in accounts:
        user = name[:-len("_db")]
        if not mariadb_login(address, user, str(new[name])):
            problems.append(f"MariaDB user {user}: the new password is refused")
        if mariadb_login(address, user, str(old[name])):
            problems.append(f"MariaDB user {user}: the old password still logs in")
    kept = ""
    if before.get("server"):
        server = cloud.conn.compute.get_server(before["server"])
        if server.status != "ACTIVE":
            problems.append(f"the kept instance {server.name} is {server.status}")
        now = cloud.conn.compute.get_server_console_output(server)["output"]
        ok, sentence = still_running(parse_console(before["console"] or ""), parse_console(now))
        if not ok:
            problems.append(f"the kept instance {server.name}: {sentence}")
        kept = f"; the kept instance ran on ({sentence})"
    if problems:
        raise CheckFailed("; ".join(problems))
    return (f"{len(new)} secrets rotated; {len(users)} Keystone users log in with the new "
            f"password only, {len(accounts)} MariaDB accounts likewise{kept}")


def check_secrets(cloud):
    secrets = master_secrets(salt_master_python(), "/etc/salt/master")
    if not secrets:
        raise CheckFailed("the master's pillar openstack:passwords is empty")
    secrets.update(tls_key_secrets(TLS_ISSUED_DIR))
    if cloud.rotation_record() is not None:
        # After the rotate phase: the replaced values must not leak either.
        secrets.update({f"old {name}": value
                        for name, value in cloud.rotation_record()["secrets"].items()})
    hosts = sorted(cloud.hosts)

    def answers(command):
        out = cloud.salt(hosts, command, 60)
        for host, ans in out.items():
            if ans["retcode"] is None:
                raise CheckFailed(f"{host}: no answer ({ans['stderr']})")
        return out

    # Places on the controller, read here one at a time: the secrets never
    # leave this process.
    leaks, scanned = [], 0
    paths = ["/vagrant/.cluster", "/var/cache/salt/master/jobs", "/var/log/salt"]
    for top in paths:
        for root, _dirs, files in os.walk(top):
            for fname in files:
                path = os.path.join(root, fname)
                if path.startswith("/vagrant/.cluster/") and not fname.startswith("orchestrate-"):
                    continue
                try:
                    with open(path, "rb") as fh:
                        text = fh.read(64 << 20).decode("utf-8", "replace")
                except OSError:
                    continue
                scanned += 1
                leaks += secret_leaks({path: text}, secrets)
    # Every host's process list (arguments only: no secret belongs there).
    leaks += secret_leaks({f"{host}: process list": ans["stdout"]
                           for host, ans in answers("ps -eo args=").items()}, secrets)
    # Secret-holding config files: found by key name, only names and modes come back.
    cmd = (f"for d in {' '.join(SECRET_DIRS)}; do [ -d $d ] && grep -rlE '{SECRET_LINE}' $d; "
           "done | sort -u | xargs -r stat -c '%n %a %U %G'")
    problems, files = [], 0
    for host, ans in answers(cmd).items():
        lines = ans["stdout"].splitlines()
        files += len(lines)
        problems += [f"{host}: {p}" for p in secret_file_problems(lines)]
    problems += [f"{name} password in {where}" for where, name in leaks]
    # Every host trusts the master's CA (common.ca), through the system store.
    with open(TLS_CA_CERT, "rb") as fh:
        ca_sha256 = hashlib.sha256(fh.read()).hexdigest()
    problems += ca_trust_problems(answers(CA_TRUST_COMMAND), ca_sha256)
    # Each host holds only its roles' secrets (the master's per-role filter).
    problems += secret_scope_problems(cloud.hosts, cloud.salt_function(hosts, "pillar.keys",
                                                                       "openstack:passwords"),
                                      cloud.role_secrets())
    # An operator's key only on its own host (tls:public, names only).
    owners = [h for h, entry in cloud.public_tls.items() if entry.get("issuer") == "operator"]
    problems += operator_key_problems({
        owner: cloud.salt_function(hosts, "pillar.keys", f"openstack:tls:public:{owner}")
        for owner in owners})
    if problems:
        raise CheckFailed("; ".join(problems[:12]) + (f" (+{len(problems) - 12} more)"
                                                      if len(problems) > 12 else ""))
    return (f"{len(secrets)} pillar secrets in none of {scanned} job-cache/log/orchestration "
            f"files nor {len(hosts)} process lists; {len(hosts)} hosts hold only their roles' "
            f"secrets and trust the cloud's CA; {files} secret-holding config files 0640 with "
            f"their service's group")


def check_blockstorage(cloud):
    conn = cloud.conn
    # What runs everywhere: the API answers, the scheduler is up.
    problems = []
    try:
        resp = conn.block_storage.get("/os-services")
        if resp.status_code != 200:
            raise CheckFailed(f"Cinder API /os-services: HTTP {resp.status_code}")
        services = resp.json().get("services", [])
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001
        raise CheckFailed(f"Cinder API: {exc}") from None
    sched = [s for s in services if s.get("binary") == "cinder-scheduler"]
    if not sched or not any(s.get("state") == "up" for s in sched):
        problems.append("cinder-scheduler not up")
    vol_svcs = [s for s in services if s.get("binary") == "cinder-volume"]
    vol_state = ", ".join(f"{s.get('host')} {s.get('state')}" for s in vol_svcs) or "not registered"
    if problems:
        raise CheckFailed("; ".join(problems) + f"; cinder-volume: {vol_state}")
    reasons = kernel_block_support(cloud)
    if reasons:
        raise NotRunnable("; ".join(reasons) + f" (Cinder API and scheduler up; cinder-volume: {vol_state})")
    # The real thing: create, attach, see it in the guest, detach, delete.
    server = cloud.ensure_server()
    vol = conn.create_volume(size=1, name=f"{cloud.args.server_name}-vol", wait=True,
                             timeout=cloud.args.boot_timeout)
    try:
        conn.attach_volume(server, vol, wait=True, timeout=cloud.args.boot_timeout)

        def seen():
            info = parse_console(cloud.console(server))
            return info["disks"] and len(info["disks"]) >= 2 and info["disks"]

        disks = poll("the volume visible in the guest", seen, 120, interval=5)
        conn.detach_volume(server, vol, wait=True, timeout=cloud.args.boot_timeout)
    finally:
        conn.delete_volume(vol.id, wait=True, timeout=cloud.args.boot_timeout)
    return f"1 GiB volume created, attached, seen by the guest ({disks}), detached, deleted"


CHECK_FUNCTIONS = {
    "identity": check_identity,
    "image": check_image,
    "services": check_services,
    "boot": check_boot,
    "secgroups": check_secgroups,
    "floatingip": check_floatingip,
    "storage": check_storage,
    "migration": check_migration,
    "idempotency": check_idempotency,
    "scaleout": check_scaleout,
    "faults": check_faults,
    "heal": check_heal,
    "blockstorage": check_blockstorage,
    "secrets": check_secrets,
    "resources": check_resources,
    "rotation": check_rotation,
    "replace": check_replace,
    "retire": check_retire,
}


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Verify the deployed cloud end to end (run on the controller as root).",
        epilog="Exit status: 0 no FAIL, 1 a check failed, 2 verify could not start.")
    p.add_argument("--check", action="append", default=[],
                   help="checks to run, names or numbers, comma separated (repeatable); "
                        "default: all that need no argument")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    p.add_argument("--keep", action="store_true", help="leave the instance and key pair in place")
    p.add_argument("--openrc", default=OPENRC, help=f"admin credentials file (default {OPENRC})")
    p.add_argument("--image", default="verify-guest", help="Glance image of the test guest")
    p.add_argument("--flavor", default="m1.nano")
    p.add_argument("--network", help="private network for the instance (default: the model's "
                                      "networks:selfservice:name)")
    p.add_argument("--server-name", default="verify-instance")
    p.add_argument("--compute", help="scaleout: the compute that was added (e.g. compute3)")
    p.add_argument("--stopped", help="faults: the compute that is down")
    p.add_argument("--to", help="migration: the compute to live-migrate the instance to "
                                "(default: another one up); already there: nothing to do")
    p.add_argument("--checksums", help="replace: the instances' files checksummed before "
                                       "(cluster/instance-checksums.sh's output)")
    p.add_argument("--old-secrets", help="rotation: the secrets before the rotate phase "
                                         "(cluster/rotation.py's --old file)")
    p.add_argument("--boot-timeout", type=float, default=300)
    p.add_argument("--console-timeout", type=float, default=240)
    p.add_argument("--migrate-timeout", type=float, default=300)
    p.add_argument("--heal-timeout", type=float, default=300)
    p.add_argument("--report", nargs="+", metavar="JSON",
                   help="run nothing: merge these earlier runs' --json files, print the "
                        "table (and write the merged document to --json)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if args.report:
        return report(args.report, args.json)
    try:
        selected = select_checks(args.check)
    except ValueError as exc:
        print(f"verify: {exc}", file=sys.stderr)
        return EXIT_ERROR
    started = time.time()
    try:
        cloud = Cloud(args)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        write_document(args.json, verify_document([], started, time.time() - started,
                                                  code=EXIT_ERROR, error=str(exc)))
        return EXIT_ERROR
    results = []
    # A driver's SIGTERM still cleans up (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_FAIL))
    try:
        for name in selected:
            title = next(t for _, nm, t in CHECKS if nm == name)
            log(f"check {name}: {title}")
            t0 = time.monotonic()
            exc = None
            try:
                detail = CHECK_FUNCTIONS[name](cloud)
            except (CheckFailed, NotRunnable, Skipped) as e:
                exc, detail = e, str(e)
            except Exception as e:  # noqa: BLE001 - an API error is a failure too
                exc, detail = e, f"{type(e).__name__}: {e}"
            if cloud.notes:
                detail = f"{detail}; " + "; ".join(cloud.notes)
                cloud.notes.clear()
            res = make_result(name, classify(exc), time.monotonic() - t0,
                              redact(detail, cloud.secrets))
            results.append(res)
            log(f"check {name}: {res['result']} ({res['seconds']:.1f} s) {res['detail']}")
    finally:
        cloud.cleanup()
    print()
    print(render_table(results))
    write_document(args.json, verify_document(results, started, time.time() - started,
                                              auth_url=cloud.env.get("OS_AUTH_URL")))
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
