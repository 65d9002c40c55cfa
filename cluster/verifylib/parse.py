"""
Pure parsers of what the cloud and its hosts answer (unit-tested through
cluster/verify.py in tests/unit/test_verify_logic.py): an openrc file and
openstacksdk's arguments from it, the verification guest's console
markers, gluster's XML answers (through _utils/saltext_openstack_gluster.py,
the gluster module's reader), `ip route get`, OVN's bridge mappings and
southbound Encap table, `nova-manage cell_v2 list_hosts`, and the networks
of the validated model.
"""

import csv
import re
import shlex

# _utils/saltext_openstack_gluster.py, shared with the gluster execution
# module: the installed package's, else the repository's _utils/, which
# verify.py puts on sys.path when there is no package (the controller).
try:
    from saltext_openstack._utils import saltext_openstack_gluster as gx
except ImportError:
    import saltext_openstack_gluster as gx


_EXPORT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def _shell_value(raw):
    """The value of a shell assignment's right-hand side (quotes, escapes)."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        parts = shlex.split(raw, comments=True, posix=True)
    except ValueError as exc:
        raise ValueError(f"unparsable value: {exc}") from None
    return " ".join(parts)


def parse_openrc(text):
    """
    The OS_* variables an openrc file exports, as a dict.

    Understands `export OS_X=value`, `OS_X=value`, single and double quotes
    (with the '\\'' idiom the keystone formula writes), comments and blank
    lines.  Anything else (shell logic) is ignored.
    """
    env = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _EXPORT.match(line)
        if not match or not match.group(1).startswith("OS_"):
            continue
        try:
            env[match.group(1)] = _shell_value(match.group(2))
        except ValueError as exc:
            raise ValueError(f"line {lineno}: {match.group(1)}: {exc}") from None
    return env


def sdk_auth_args(env):
    """openstacksdk connect() arguments from OS_* variables."""
    missing = [k for k in ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD") if not env.get(k)]
    if missing:
        raise ValueError("openrc lacks " + ", ".join(missing))
    args = {
        "auth_url": env["OS_AUTH_URL"],
        "username": env["OS_USERNAME"],
        "password": env["OS_PASSWORD"],
        "project_name": env.get("OS_PROJECT_NAME", "admin"),
        "user_domain_name": env.get("OS_USER_DOMAIN_NAME", "Default"),
        "project_domain_name": env.get("OS_PROJECT_DOMAIN_NAME", "Default"),
        "identity_api_version": env.get("OS_IDENTITY_API_VERSION", "3"),
    }
    if env.get("OS_REGION_NAME"):
        args["region_name"] = env["OS_REGION_NAME"]
    if env.get("OS_CACERT"):
        args["cacert"] = env["OS_CACERT"]
    return args


_MARKER = re.compile(r"VERIFY-([A-Z]+(?:-[A-Z]+)*)(?: (.*))?$")
_ALIVE = re.compile(r"n=(\d+) uptime=([0-9.]+) boot_id=([0-9a-f-]+)")
_DHCP = re.compile(r"eth0 address=([0-9.]+)/(\d+)(?: router=(\S+))?(?: server=(\S+))?"
                   r"(?: mtu=(\d+))?")
_BOOT_ID = re.compile(r"boot_id=([0-9a-f-]+)")
_VOLUME = re.compile(r"(vd[a-z]+) serial=(\S+) data=(\S+) n=(\d+)$")


def parse_console(text):
    """
    What the verification guest (cluster/image/init) printed, from a console
    log.  Serial output has CR LF and kernel messages may precede a marker on
    the same line; markers repeat every few seconds, so values are the last
    complete ones and lists keep first-seen order without repeats.  The
    guest retries a failed DHCP or metadata step from its loop: the last
    word (failure or success) wins.  "volumes": each disk but the root
    disk as last reported, {serial, data (the marker token read from it),
    n (the guest's loop counter then)}; a detached disk keeps its last line.
    """
    info = {
        "boot": [],
        "boot_ids": [],
        "address": None,
        "prefix": None,
        "router": None,
        "dhcp_server": None,
        "mtu": None,
        "dhcp_failed": None,
        "uuid": None,
        "metadata_failed": None,
        "userdata": [],
        "userdata_none": False,
        "sshkey": None,
        "sshkey_none": False,
        "disks": None,
        "volumes": {},
        "volume_failed": None,
        "alive": [],
        "waiting": None,
    }
    for raw in text.replace("\r", "").split("\n"):
        pos = raw.find("VERIFY-")
        if pos < 0:
            continue
        match = _MARKER.match(raw[pos:].rstrip())
        if not match:
            continue
        kind, rest = match.group(1), match.group(2) or ""
        if kind == "BOOT":
            if rest not in info["boot"]:
                info["boot"].append(rest)
            bid = _BOOT_ID.search(rest)
            if bid and bid.group(1) not in info["boot_ids"]:
                info["boot_ids"].append(bid.group(1))
        elif kind == "DHCP":
            dhcp = _DHCP.match(rest)
            if dhcp:
                info["address"], info["prefix"] = dhcp.group(1), int(dhcp.group(2))
                info["router"], info["dhcp_server"] = dhcp.group(3), dhcp.group(4)
                info["mtu"] = int(dhcp.group(5)) if dhcp.group(5) else None
                info["dhcp_failed"] = None
        elif kind == "DHCP-FAILED":
            info["dhcp_failed"] = rest
            info["address"] = info["prefix"] = info["router"] = None
            info["dhcp_server"] = info["mtu"] = None
        elif kind == "UUID":
            info["uuid"] = rest.strip() or None
            info["metadata_failed"] = None
        elif kind == "WAIT":
            info["waiting"] = rest
        elif kind == "METADATA-FAILED":
            info["metadata_failed"] = rest
            info["uuid"] = None
        elif kind == "USERDATA":
            if rest not in info["userdata"]:
                info["userdata"].append(rest)
            info["userdata_none"] = False
        elif kind == "USERDATA-NONE":
            info["userdata_none"] = True
        elif kind == "SSHKEY":
            info["sshkey"] = rest.strip() or None
            info["sshkey_none"] = False
        elif kind == "SSHKEY-NONE":
            info["sshkey_none"] = True
            info["sshkey"] = None
        elif kind == "DISKS":
            disks = {}
            for item in rest.split():
                name, _, size = item.partition(":")
                disks[name] = int(size) if size.isdigit() else None
            info["disks"] = disks
        elif kind == "VOLUME":
            volume = _VOLUME.match(rest)
            if volume:
                info["volumes"][volume.group(1)] = {
                    "serial": None if volume.group(2) == "-" else volume.group(2),
                    "data": None if volume.group(3) == "-" else volume.group(3),
                    "n": int(volume.group(4))}
        elif kind == "VOLUME-FAILED":
            info["volume_failed"] = rest
        elif kind == "ALIVE":
            alive = _ALIVE.match(rest)
            if alive:
                info["alive"].append(
                    {"n": int(alive.group(1)), "uptime": float(alive.group(2)),
                     "boot_id": alive.group(3)})
    return info


def key_body(key):
    """`type base64` of an OpenSSH public key line (the comment dropped)."""
    parts = (key or "").split()
    return " ".join(parts[:2]) if len(parts) >= 2 else (key or "").strip()


def lost_lease(info):
    """A parsed console (or None) of a guest that booted and got no DHCP lease."""
    return bool(info and info["boot"] and (info["dhcp_failed"] or not info["address"]))


def _gluster_answer(xml_text):
    """The root of gluster's XML answer; ValueError with gluster's message."""
    try:
        return gx.answer(xml_text)
    except gx.GlusterError as exc:
        if exc.xml:
            raise ValueError(str(exc)) from None
        raise ValueError(f"no XML answer from gluster: {str(exc)[:300]}") from None


def _host_path(brick):
    """`host:/path` -> (host, /path)."""
    host, _, path = brick.partition(":/")
    return host, "/" + path


def parse_gluster_volume_info(xml_text, volume):
    """`gluster volume info VOL --xml` -> dict(type, status (gluster's statusStr,
    lower case: started, stopped, created), replica, bricks[host, path])."""
    vol = gx.read_volumes(_gluster_answer(xml_text)).get(volume)
    if vol is None:
        raise ValueError(f"volume {volume} not in gluster's answer")
    return {
        "type": vol["type"],
        "status": vol["status_str"],
        "replica": vol["replica"],
        "bricks": [dict(zip(("host", "path"), _host_path(b))) for b in vol["bricks"]],
    }


def parse_gluster_volume_status(xml_text):
    """`gluster volume status VOL --xml` -> [{host, path, online, port}] for the
    bricks (port None when the brick is not running)."""
    bricks = []
    for status in gx.read_volume_status(_gluster_answer(xml_text)).values():
        for b in status["bricks"]:
            host, path = _host_path(b["brick"])
            bricks.append({"host": host, "path": path, "online": b["online"],
                           "port": b["port"] or None})
    return bricks


def parse_gluster_heal_info(xml_text):
    """
    `gluster volume heal VOL info --xml` -> [{brick, status, connected,
    entries}]; entries is None when gluster could not count (brick down: "-").
    """
    return gx.read_heal_info(_gluster_answer(xml_text))


def parse_route_get(text):
    """`ip -o -4 route get ADDRESS` -> {dev, src, via} (None: not said)."""
    words = text.split()
    return {key: next((words[i + 1] for i, w in enumerate(words[:-1]) if w == key), None)
            for key in ("dev", "src", "via")}


def parse_bridge_mappings(text):
    """ovn-bridge-mappings `physnet:bridge[,...]` -> {physnet: bridge}."""
    pairs = (item.strip().partition(":") for item in (text or "").split(","))
    return {net: bridge for net, sep, bridge in pairs if sep and net}


def model_networks(topology):
    """
    {"provider", "selfservice", "physical_network"}: the networks' Neutron
    names and the provider's physical network from the validated model
    (`salt-call --out=json openstack_pillar.topology`'s "local" answer),
    as salt/cloud/networks.sls and the gateways read them.  ValueError
    when the answer is no model (an error string, a model without them).
    """
    networks = topology.get("networks") if isinstance(topology, dict) else None
    if not isinstance(networks, dict):
        raise ValueError(f"not a model (no networks): {str(topology)[:200]}")
    provider = networks.get("provider") or {}
    selfservice = networks.get("selfservice") or {}
    found = {"provider": provider.get("name"), "selfservice": selfservice.get("name"),
             "physical_network": provider.get("physical_network")}
    missing = [key for key, value in found.items() if not value]
    if missing:
        raise ValueError("the model names no " + ", ".join(missing)
                         + " (an openstack_pillar module older than this verify.py?)")
    return found


def catalog(model):
    """The catalog the keystone formula registers (salt/keystone/identity.sls),
    from the model's endpoints (``openstack_pillar.topology``'s "endpoints",
    the one service catalog): service type -> service name."""
    return {entry["type"]: name for name, entry in sorted(_endpoints(model).items())}


def service_users(model):
    """The service users the keystone formula creates, from the same
    endpoints: every API's ``user`` (Keystone itself has none)."""
    return tuple(sorted({entry["user"] for entry in _endpoints(model).values() if entry["user"]}))


def _endpoints(model):
    endpoints = model.get("endpoints") if isinstance(model, dict) else None
    if not isinstance(endpoints, dict) or not endpoints:
        raise ValueError(f"not a model with endpoints: {str(model)[:200]}")
    return endpoints


def parse_ovn_encaps(text):
    """`ovn-sbctl --format=csv --data=bare --no-headings
    --columns=chassis_name,type,ip list Encap` -> [{chassis, type, ip}]."""
    return [{"chassis": row[0], "type": row[1], "ip": row[2]}
            for row in csv.reader(text.splitlines()) if len(row) == 3]


def parse_list_hosts(text):
    """`nova-manage cell_v2 list_hosts` table -> [(cell, host)]."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] != "Cell Name":
            rows.append((cells[0], cells[2]))
    return rows
