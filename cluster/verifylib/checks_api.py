"""
cluster/verify.py's checks of the APIs and the instance's network: 1
identity (with the public endpoints' TLS), 2 image, 3 services, 4 boot,
5 secgroups, 13 floatingip.  Each check takes the Cloud (client.py) and
returns a detail string (PASS) or raises CheckFailed, NotRunnable or
Skipped (common.py).
"""

import base64
import http.client
import re
import ssl
import urllib.parse

from .client import poll, run
from .common import (INTERFACES, OVN_METADATA_NS_PREFIX, CheckFailed,
                     NotRunnable, fail_if)
from .parse import parse_ovn_encaps, parse_route_get
from .problems import (encap_problems, loopback_listener_problems, minion_of, ovn_tls_probe_command,
                       ovn_tls_problems, provider_side, roles_hosts, service_table_problems, short)
from .secret_scan import TRUSTED_CA_FILE


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
    want_users = ["admin", *cloud.service_users]
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
    for stype, sname in cloud.catalog.items():
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
    fail_if(problems)
    issuers = sorted({entry.get("issuer") for entry in cloud.public_tls.values()})
    return (f"token validated; {len(want_users)} users; {len(cloud.catalog)} services with "
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
    fail_if(problems)
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
    fail_if(problems)
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
    fail_if(problems)
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
