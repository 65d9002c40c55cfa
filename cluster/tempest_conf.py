#!/usr/bin/env python3
"""
tempest.conf generated from the running cloud (and, for what the cloud
cannot tell, a few facts from the pillar or options) for trixie's Tempest
43 (issue 10).  Runs wherever the cloud's public endpoints answer, with
python3-openstacksdk: the tester machine of the test cluster, or any
operator's host for a real deployment.

    cluster/tempest_conf.py --openrc ADMIN_OPENRC [--facts FACTS.json]
        [--image NAME] [--flavor NAME] [--flavor-alt NAME]
        [--public-network NAME] [--min-compute-nodes N]
        [--validation | --no-validation] [--image-ssh-user USER]
        [--build-timeout S] [--output PATH]
    salt-call --out=json openstack_pillar.topology \\
        | cluster/tempest_conf.py --facts-from-topology - > FACTS.json

What comes from where:

  the cloud (admin credentials)   Keystone v3 URL, region, the services of
                                  the catalog ([service_available]), each
                                  API's extension list (network, volume),
                                  the image/flavor/network ids, the number of
                                  nova-compute services that are up, the
                                  compute/volume/placement microversion range
  facts (pillar, no secret)       which image, flavors and public network
                                  the deployment made for testing, the
                                  number of computes, live-migration design
  options                         override any fact; --validation with the
                                  guest's SSH user

The facts file is the JSON that --facts-from-topology extracts from the
validated pillar (openstack_pillar.topology): names and counts only, never
a password.  Another cloud needs no facts file: --image, --flavor and
--public-network name its own resources.

Live migration is on, block migration off: the deployment's instance store
is one shared GlusterFS volume (--block-migration for a cloud without a
shared store).

Exit status: 0 written, 2 the cloud or the arguments were unusable.
"""
import argparse
import json
import os
import sys

# Catalog service type -> Tempest's [service_available] option.  A type
# listed here and absent from the catalog is written as False.
SERVICE_TYPES = {
    "compute": "nova",
    "image": "glance",
    "network": "neutron",
    "volumev3": "cinder",
    "block-storage": "cinder",
    "volume": "cinder",
    "object-store": "swift",
}
# Tempest's services that never appear in the catalog under a type above.
ALWAYS_LISTED = ("nova", "glance", "neutron", "cinder", "swift", "horizon")
NON_BOOTABLE_FORMATS = ("aki", "ari")


# --------------------------------------------------------------------------
# Pure logic (unit-tested in tests/unit/test_tempest_conf.py)
# --------------------------------------------------------------------------

def facts_from_topology(doc):
    """
    The facts Tempest needs from the validated pillar
    (`salt-call --out=json openstack_pillar.topology`, either the whole
    answer {"local": {...}} or the topology itself): names and numbers
    only.  Nothing under passwords, admin or demo is read, so the result
    holds no secret.
    """
    topo = doc.get("local", doc) if isinstance(doc, dict) else {}
    if not isinstance(topo, dict) or "computes" not in topo:
        raise ValueError("not an openstack_pillar.topology answer (no 'computes')")
    images = (topo.get("glance") or {}).get("images") or []
    bootable = [i["name"] for i in images
                if isinstance(i, dict) and i.get("name")
                and i.get("disk_format", "raw") not in NON_BOOTABLE_FORMATS]
    flavors = topo.get("flavors") or {}
    by_size = sorted(flavors, key=lambda n: (flavors[n].get("ram", 0), flavors[n].get("disk", 0),
                                             flavors[n].get("vcpus", 0), n))
    networks = topo.get("networks") or {}
    provider = networks.get("provider") or {}
    nova = topo.get("nova") or {}
    facts = {
        "region": topo.get("region"),
        "computes": len(topo.get("computes") or []),
        # The image the deployment uploads for verification: the last
        # bootable one listed (kernel/ramdisk images are not bootable).
        "image": bootable[-1] if bootable else None,
        "flavor": by_size[0] if by_size else None,
        "flavor_alt": by_size[1] if len(by_size) > 1 else (by_size[0] if by_size else None),
        # salt/cloud/networks.sls names the provider network after the model.
        "public_network": provider.get("name"),
        "physical_network": provider.get("physical_network"),
        "virt_type": nova.get("virt_type"),
        # One GlusterFS volume holds every compute's instances directory.
        "shared_instance_store": bool(topo.get("gluster")),
    }
    return {k: v for k, v in facts.items() if v is not None}


def services_available(catalog):
    """
    {tempest service option: bool} from the catalog, a list of
    {"type": ..., "endpoints": [...]} (Keystone's /v3/auth/catalog).  A
    service counts when it has at least one endpoint.
    """
    present = {SERVICE_TYPES[s["type"]] for s in catalog
               if s.get("type") in SERVICE_TYPES and s.get("endpoints")}
    found = {name: name in present for name in ALWAYS_LISTED}
    # Horizon is no catalog service: the caller knows (--dashboard-url).
    found["horizon"] = False
    return found


def extension_aliases(answer):
    """Sorted aliases of an /extensions answer ({"extensions": [{"alias": ...}]})."""
    exts = answer.get("extensions", []) if isinstance(answer, dict) else answer
    return sorted({e["alias"] for e in exts if isinstance(e, dict) and e.get("alias")})


def microversion_range(version_doc):
    """
    (min, max) of the current version in a version document ({"version":
    {...}} or {"versions": [...]}), or (None, None) when it has none.
    """
    versions = []
    if isinstance(version_doc, dict):
        if isinstance(version_doc.get("version"), dict):
            versions = [version_doc["version"]]
        elif isinstance(version_doc.get("versions"), list):
            versions = version_doc["versions"]
        elif isinstance(version_doc.get("versions"), dict):  # Keystone-style
            versions = version_doc["versions"].get("values", [])
    current = [v for v in versions if v.get("status", "").upper() == "CURRENT"] or versions
    for v in current:
        # Nova and Cinder say "version", Placement "max_version".
        top = v.get("version") or v.get("max_version")
        if top:
            return v.get("min_version") or None, top
    return None, None


def pick_flavors(flavors, wanted=None, wanted_alt=None):
    """
    (flavor, flavor_alt): the named ones, else the two smallest public
    flavors by RAM, disk, vcpus.  `flavors`: [{"id", "name", "ram", "disk",
    "vcpus"}].  Raises ValueError when a named flavor does not exist.
    """
    by_name = {f["name"]: f for f in flavors}
    for name in (wanted, wanted_alt):
        if name and name not in by_name:
            raise ValueError(f"flavor {name!r} does not exist (have: {', '.join(sorted(by_name))})")
    ordered = sorted(flavors, key=lambda f: (f.get("ram", 0), f.get("disk", 0), f.get("vcpus", 0),
                                             f["name"]))
    if not ordered:
        raise ValueError("the cloud has no flavor")
    first = by_name[wanted] if wanted else ordered[0]
    if wanted_alt:
        alt = by_name[wanted_alt]
    else:
        others = [f for f in ordered if f["id"] != first["id"]]
        alt = others[0] if others else first
    return first, alt


def build_sections(cloud, opts):
    """
    [(section, [(key, value, comment)])] for tempest.conf.

    `cloud`: what the running cloud answered -- auth_url, region, admin
    {username, password, project_name, user_domain_name,
    project_domain_name}, catalog, network_extensions,
    volume_extensions (None without Cinder), image_id, image_disk_format,
    flavor, flavor_alt ({"id", "name", ...}), public_network_id,
    public_network_name, computes_up, compute_mv, volume_mv, placement_mv
    ((min, max) pairs).
    `opts`: the decided settings -- min_compute_nodes, validation,
    image_ssh_user, build_timeout, live_migration, block_migration,
    config_drive, vnc_console, dashboard_url, insecure, cacert, log_dir.
    """
    services = services_available(cloud["catalog"])
    if opts.get("dashboard_url"):
        services["horizon"] = True
    admin = cloud["admin"]
    region = cloud.get("region") or ""
    bt = int(opts["build_timeout"])
    s = []

    def mv(pair):
        lo, hi = pair if pair else (None, None)
        return lo, hi

    if opts.get("log_dir"):
        s.append(("DEFAULT", [("log_dir", opts["log_dir"], None), ("log_file", "tempest.log", None)]))
    s.append(("auth", [
        ("use_dynamic_credentials", True, "Tempest creates and deletes its own projects/users"),
        ("create_isolated_networks", True, None),
        ("admin_username", admin["username"], None),
        ("admin_password", admin["password"], None),
        ("admin_project_name", admin["project_name"], None),
        ("admin_domain_name", admin.get("user_domain_name") or "Default", None),
        ("admin_user_domain_name", admin.get("user_domain_name") or "Default", None),
        ("admin_project_domain_name", admin.get("project_domain_name") or "Default", None),
        ("default_credentials_domain_name", "Default", None),
    ]))
    s.append(("identity", [
        ("auth_version", "v3", None),
        ("uri_v3", cloud["auth_url"], None),
        ("region", region, None),
        ("v3_endpoint_type", "public", None),
        ("disable_ssl_certificate_validation", bool(opts.get("insecure")), None),
    ] + ([("ca_certificates_file", opts["cacert"], None)] if opts.get("cacert") else [])))
    s.append(("identity-feature-enabled", [
        ("api_v2", False, None),
        ("api_v3", True, None),
        ("trust", True, None),
        ("access_rules", True, None),
    ]))
    compute_min, compute_max = mv(cloud.get("compute_mv"))
    s.append(("compute", [
        ("region", region, None),
        ("image_ref", cloud["image_id"], f"image {cloud.get('image_name', '')}".strip()),
        ("image_ref_alt", cloud["image_id"], None),
        ("flavor_ref", cloud["flavor"]["id"], f"flavor {cloud['flavor']['name']}"),
        ("flavor_ref_alt", cloud["flavor_alt"]["id"], f"flavor {cloud['flavor_alt']['name']}"),
        ("build_timeout", bt, opts.get("build_timeout_reason")),
        ("build_interval", 2, None),
        ("min_compute_nodes", opts["min_compute_nodes"],
         f"{cloud.get('computes_up', '?')} nova-compute services up"),
        ("min_microversion", compute_min, "the cloud's own range (version document)"),
        ("max_microversion", compute_max, None),
        ("endpoint_type", "publicURL", None),
    ] + ([("fixed_network_name", opts["fixed_network"], None)] if opts.get("fixed_network") else [])))
    s.append(("compute-feature-enabled", [
        ("live_migration", bool(opts.get("live_migration", True)), None),
        ("block_migration_for_live_migration", bool(opts.get("block_migration", False)),
         "the instance store is shared (GlusterFS)" if not opts.get("block_migration") else None),
        ("can_migrate_between_any_hosts", True, None),
        ("cold_migration", True, None),
        ("resize", True, None),
        ("config_drive", bool(opts.get("config_drive", True)), None),
        ("metadata_service", True, None),
        ("vnc_console", bool(opts.get("vnc_console", True)), None),
        ("spice_console", False, None),
        ("serial_console", False, None),
        ("console_output", True, None),
        ("change_password", False, "needs a guest agent"),
        ("personality", False, "removed in compute microversion 2.57"),
        ("attach_encrypted_volume", False, "needs a key manager (no barbican)"),
        ("volume_backed_live_migration", False, None),
        ("volume_multiattach", False, None),
        ("swap_volume", False, None),
        ("interface_attach", True, None),
    ]))
    placement_min, placement_max = mv(cloud.get("placement_mv"))
    s.append(("placement", [
        ("region", region, None),
        ("min_microversion", placement_min, None),
        ("max_microversion", placement_max, None),
    ]))
    s.append(("image", [
        ("region", region, None),
        ("build_timeout", bt, None),
        ("disk_formats", ",".join(opts.get("disk_formats") or
                                  ["qcow2", "raw", "ami", "ari", "aki"]), None),
        ("container_formats", "bare,ami,ari,aki", None),
    ]))
    s.append(("image-feature-enabled", [
        ("api_v2", True, None),
    ]))
    s.append(("network", [
        ("region", region, None),
        ("public_network_id", cloud.get("public_network_id") or "",
         f"network {cloud.get('public_network_name', '')}: floating IPs".strip()),
        ("floating_network_name", cloud.get("public_network_name") or "", None),
        ("project_networks_reachable", False, "project networks are reached through floating IPs"),
        ("build_timeout", bt, None),
    ] + ([("project_network_cidr", opts["project_network_cidr"], None)]
         if opts.get("project_network_cidr") else [])))
    net_ext = cloud.get("network_extensions") or []
    s.append(("network-feature-enabled", [
        ("api_extensions", ",".join(net_ext), "the cloud's GET /v2.0/extensions"),
        ("floating_ips", bool(cloud.get("public_network_id")), None),
        ("ipv6", False, "the deployment makes no IPv6 subnet"),
        ("port_security", "port-security" in net_ext, None),
        ("port_admin_state_change", True, None),
    ]))
    s.append(("validation", [
        ("run_validation", bool(opts.get("validation")),
         None if opts.get("validation") else "off unless --validation (the guest must accept the key over SSH)"),
        ("connect_method", "floating", None),
        ("auth_method", "keypair", None),
        ("image_ssh_user", opts.get("image_ssh_user") or "root", None),
        ("image_alt_ssh_user", opts.get("image_ssh_user") or "root", None),
        ("network_for_ssh", cloud.get("public_network_name") or "", None),
        ("ip_version_for_ssh", 4, None),
        ("ssh_timeout", opts.get("ssh_timeout", bt), None),
        ("ping_timeout", opts.get("ping_timeout", 120), None),
        ("ssh_key_type", opts.get("ssh_key_type", "ecdsa"), None),
    ]))
    volume_min, volume_max = mv(cloud.get("volume_mv"))
    vol_ext = cloud.get("volume_extensions")
    s.append(("volume", [
        ("region", region, None),
        ("catalog_type", "volumev3", None),
        ("build_timeout", bt, None),
        ("min_microversion", volume_min, None),
        ("max_microversion", volume_max, None),
    ]))
    s.append(("volume-feature-enabled", [
        ("api_extensions", ",".join(vol_ext or []), "the cloud's GET /v3/{project}/extensions"),
        ("backup", False, "no cinder-backup"),
    ]))
    if opts.get("dashboard_url"):
        s.append(("dashboard", [("dashboard_url", opts["dashboard_url"], None)]))
    s.append(("service_available", [
        (name, value, "from the catalog" if name != "horizon" else None)
        for name, value in sorted(services.items())
    ]))
    return s


def _ini_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # oslo.config substitutes "$name" in values; "$$" is a literal "$" (a
    # password like "pa$word" would otherwise be read as "pa" + option word)
    return str(value).replace("$", "$$")


def write_private(path, text):
    """Write text to path, mode 0600 even when the file was there already
    (`tempest init` makes etc/tempest.conf 0644)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def render(sections, header=None):
    """INI text from build_sections' list; comments on their own line above a key."""
    out = []
    for line in (header or "").splitlines():
        out.append(f"# {line}".rstrip())
    for name, items in sections:
        if out:
            out.append("")
        out.append(f"[{name}]")
        for key, value, comment in items:
            if value is None:
                continue  # an unknown value: Tempest's default
            if comment:
                out.append(f"# {comment}")
            out.append(f"{key} = {_ini_value(value)}")
    return "\n".join(out) + "\n"


def redact_conf(text, keys=("admin_password", "image_ssh_password", "image_alt_ssh_password")):
    """The conf text with the values of secret keys replaced (for logs and reports)."""
    lines = []
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        lines.append(f"{key} = <redacted>" if "=" in line and key in keys else line)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# The running cloud (openstacksdk)
# --------------------------------------------------------------------------

def _verify_module():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import verify  # noqa: E402  cluster/verify.py: parse_openrc, sdk_auth_args
    return verify


def _json(resp):
    try:
        return resp.json() if resp.status_code < 300 else None
    except ValueError:
        return None


def _version_doc(conn, service_type):
    """The service's version document (the endpoint's root), or None."""
    try:
        adapter = getattr(conn, service_type)
        resp = adapter.get("/", raise_exc=False)
        return _json(resp)
    except Exception:  # noqa: BLE001 - a missing service answers nothing
        return None


def query_cloud(env, args):
    """Everything build_sections needs from the cloud behind `env` (OS_* vars)."""
    import openstack  # python3-openstacksdk
    verify = _verify_module()
    auth = verify.sdk_auth_args(env)
    if args.cacert:
        auth["cacert"] = args.cacert
    conn = openstack.connect(**auth, **({"verify": False} if args.insecure else {}))
    conn.authorize()
    region = env.get("OS_REGION_NAME") or args.region
    # The catalog of this token (service types with endpoints in the region).
    catalog = []
    for svc in conn.service_catalog:
        endpoints = [e for e in svc.get("endpoints", [])
                     if not region or e.get("region_id", e.get("region")) in (region, None)]
        catalog.append({"type": svc.get("type"), "name": svc.get("name"), "endpoints": endpoints})
    if not region:
        regions = sorted({e.get("region_id") or e.get("region") for svc in conn.service_catalog
                          for e in svc.get("endpoints", []) if e.get("region_id") or e.get("region")})
        region = regions[0] if len(regions) == 1 else ""
    types = {c["type"] for c in catalog if c["endpoints"]}

    image = conn.image.find_image(args.image) if args.image else None
    if image is None:
        raise SystemExit(f"tempest_conf: image {args.image!r} not found (--image)")
    flavors = [{"id": f.id, "name": f.name, "ram": f.ram, "disk": f.disk, "vcpus": f.vcpus}
               for f in conn.compute.flavors(is_public=True)]
    try:
        flavor, flavor_alt = pick_flavors(flavors, args.flavor, args.flavor_alt)
    except ValueError as exc:
        raise SystemExit(f"tempest_conf: {exc}") from None

    public_id = public_name = None
    if args.public_network:
        net = conn.network.find_network(args.public_network)
        if net is None:
            raise SystemExit(f"tempest_conf: network {args.public_network!r} not found")
        public_id, public_name = net.id, net.name
    else:
        external = list(conn.network.networks(is_router_external=True))
        if len(external) == 1:
            public_id, public_name = external[0].id, external[0].name

    computes_up = sum(1 for s in conn.compute.services(binary="nova-compute")
                      if s.state == "up" and s.status == "enabled")
    network_extensions = extension_aliases(_json(conn.network.get("/extensions")) or {})
    volume_extensions = None
    volume_services = []
    if types & {"volumev3", "block-storage", "volume"}:
        volume_extensions = extension_aliases(_json(conn.block_storage.get("/extensions")) or {})
        volume_services = (_json(conn.block_storage.get("/os-services")) or {}).get("services", [])
    return {
        "auth_url": env["OS_AUTH_URL"],
        "region": region,
        "admin": {"username": auth["username"], "password": auth["password"],
                  "project_name": auth["project_name"],
                  "user_domain_name": auth["user_domain_name"],
                  "project_domain_name": auth["project_domain_name"]},
        "catalog": catalog,
        "image_id": image.id,
        "image_name": image.name,
        "image_disk_format": image.disk_format,
        "flavor": flavor,
        "flavor_alt": flavor_alt,
        "public_network_id": public_id,
        "public_network_name": public_name,
        "computes_up": computes_up,
        "network_extensions": network_extensions,
        "volume_extensions": volume_extensions,
        "volume_services": volume_services,
        "compute_mv": microversion_range(_version_doc(conn, "compute")),
        "volume_mv": microversion_range(_version_doc(conn, "block_storage"))
        if volume_extensions is not None else (None, None),
        "placement_mv": microversion_range(_version_doc(conn, "placement")),
    }


def decide(cloud, facts, args):
    """The opts of build_sections from the cloud's answers, the facts and the options."""
    n = args.min_compute_nodes or facts.get("computes") or cloud["computes_up"]
    opts = {
        "min_compute_nodes": n,
        "validation": args.validation,
        "image_ssh_user": args.image_ssh_user,
        "build_timeout": args.build_timeout,
        "build_timeout_reason": args.build_timeout_reason,
        "live_migration": args.live_migration,
        "block_migration": args.block_migration,
        "config_drive": args.config_drive,
        "vnc_console": args.vnc_console,
        "dashboard_url": args.dashboard_url,
        "insecure": args.insecure,
        "cacert": args.cacert,
        "log_dir": args.log_dir,
    }
    return opts


def parse_args(argv):
    p = argparse.ArgumentParser(description="Generate tempest.conf from the running cloud.")
    p.add_argument("--openrc", default="/root/admin-openrc", help="admin credentials (OS_* exports)")
    p.add_argument("--facts", help="JSON facts from the pillar (--facts-from-topology's output)")
    p.add_argument("--facts-from-topology", metavar="JSON",
                   help="print the facts of an openstack_pillar.topology answer (- = stdin) and exit")
    p.add_argument("--region", help="region when the openrc names none")
    p.add_argument("--image", help="image for servers (default: the facts' image)")
    p.add_argument("--flavor", help="flavor (default: the facts', else the smallest)")
    p.add_argument("--flavor-alt", help="second flavor (default: the next smallest)")
    p.add_argument("--public-network", help="external network for floating IPs "
                                            "(default: the facts', else the only external one)")
    p.add_argument("--min-compute-nodes", type=int,
                   help="default: the facts' computes, else nova-compute services up")
    p.add_argument("--validation", action=argparse.BooleanOptionalAction, default=False,
                   help="SSH into guests (floating IP, key pair); needs a guest with an SSH server")
    p.add_argument("--image-ssh-user", default="root")
    p.add_argument("--build-timeout", type=int, default=300)
    p.add_argument("--build-timeout-reason", help="comment written above build_timeout")
    p.add_argument("--live-migration", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--block-migration", action=argparse.BooleanOptionalAction, default=False,
                   help="block migration for live migration (off: shared instance store)")
    p.add_argument("--config-drive", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--vnc-console", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--dashboard-url", help="Horizon's URL ([service_available] horizon)")
    p.add_argument("--cacert")
    p.add_argument("--insecure", action="store_true")
    p.add_argument("--log-dir", default="")
    p.add_argument("--output", "-o", help="write here (mode 0600) instead of stdout")
    p.add_argument("--show", action="store_true", help="also print the conf, password redacted")
    return p.parse_args(argv)


def generate(args):
    """(conf text, cloud answers) for parsed arguments."""
    facts = {}
    if args.facts:
        with open(args.facts, encoding="utf-8") as fh:
            facts = json.load(fh)
    args.image = args.image or facts.get("image")
    args.flavor = args.flavor or facts.get("flavor")
    args.flavor_alt = args.flavor_alt or facts.get("flavor_alt")
    args.public_network = args.public_network or facts.get("public_network")
    args.region = args.region or facts.get("region")
    if facts.get("shared_instance_store") is False and args.block_migration is False:
        args.block_migration = True
    verify = _verify_module()
    with open(args.openrc, encoding="utf-8") as fh:
        env = verify.parse_openrc(fh.read())
    if not env.get("OS_REGION_NAME") and args.region:
        env["OS_REGION_NAME"] = args.region
    # The CA the openrc names (OS_CACERT): Tempest's ca_certificates_file.
    args.cacert = args.cacert or env.get("OS_CACERT")
    cloud = query_cloud(env, args)
    sections = build_sections(cloud, decide(cloud, facts, args))
    header = ("Generated by cluster/tempest_conf.py from the running cloud"
              f" ({cloud['auth_url']}){' and ' + args.facts if args.facts else ''}.\n"
              "Do not edit: regenerate.")
    return render(sections, header), cloud


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.facts_from_topology:
        src = sys.stdin if args.facts_from_topology == "-" else open(args.facts_from_topology,
                                                                     encoding="utf-8")
        try:
            answer = _verify_module().parse_salt_json(src.read())
            print(json.dumps(facts_from_topology(answer), indent=2, sort_keys=True))
        except ValueError as exc:
            print(f"tempest_conf: {exc}", file=sys.stderr)
            return 2
        return 0
    try:
        text, _cloud = generate(args)
    except (OSError, ValueError) as exc:
        print(f"tempest_conf: {exc}", file=sys.stderr)
        return 2
    if args.output:
        write_private(args.output, text)
        if args.show:
            sys.stdout.write(redact_conf(text))
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
