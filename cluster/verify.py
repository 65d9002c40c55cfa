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
import csv
import hashlib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

from salt_output import parse_salt_json  # cluster/salt_output.py, beside this file
# cluster/results.py, beside this file: the results, the exit statuses and
# the --json document verify, dashboard.py and tempest.py write.
from results import (EXIT_ERROR, EXIT_FAIL, EXIT_OK, FAIL, NOT_RUNNABLE,  # noqa: F401
                     PASS, RESULTS, SKIPPED, exit_code, summarize, verify_document,
                     write_document)

OPENRC = "/root/admin-openrc"
INSTANCES_DIR = "/var/lib/nova/instances"

# Users the keystone formula creates (salt/keystone/identity.sls) and the
# catalog it registers: service type -> service name.
SERVICE_USERS = ("glance", "placement", "nova", "neutron", "cinder")
CATALOG = {
    "identity": "keystone",
    "image": "glance",
    "placement": "placement",
    "compute": "nova",
    "network": "neutron",
    "volumev3": "cinderv3",
}
INTERFACES = ("public", "internal", "admin")

# Which nova services / neutron agents each role runs (salt/top.sls).
NOVA_SERVICES = {
    "controller": ("nova-conductor", "nova-scheduler"),
    "compute": ("nova-compute",),
}
# Neutron's agent list under ML2/OVN (neutron/common/ovn/constants.py):
# one entry per OVN chassis, host = the chassis' hostname.  A chassis with
# ovn-cms-options enable-chassis-as-gw is listed as the gateway agent
# instead of the controller agent.  Routing, DHCP and metadata are OVN's
# own: no L3, DHCP or linuxbridge agent belongs in the list.
OVN_CONTROLLER_AGENT = "OVN Controller agent"
OVN_CONTROLLER_GW_AGENT = "OVN Controller Gateway agent"
OVN_METADATA_AGENT = "OVN Metadata agent"
OVN_AGENT_TYPES = (OVN_CONTROLLER_AGENT, OVN_CONTROLLER_GW_AGENT, OVN_METADATA_AGENT,
                   "OVN Neutron agent")
# The OVN metadata agent's namespace for a network, on every compute with a
# port of it: ovnmeta-<network uuid> (neutron/agent/ovn/metadata/agent.py).
OVN_METADATA_NS_PREFIX = "ovnmeta-"

# (number, name, title); number None: an extra check without a number.
CHECKS = (
    (1, "identity", "identity: users, catalog, tokens"),
    (2, "image", "test image active in Glance"),
    (3, "services", "nova services and OVN agents up"),
    (4, "boot", "instance boots: DHCP, user-data, SSH key"),
    (5, "secgroups", "security groups: ping + ssh from OVN ns"),
    (13, "floatingip", "floating IP reached from provider side"),
    (6, "storage", "GlusterFS shared instances directory"),
    (7, "migration", "live migration keeps the guest running"),
    (8, "idempotency", "orchestration re-run changes nothing"),
    (9, "scaleout", "added compute works"),
    (10, "faults", "compute down: files still readable"),
    (None, "heal", "GlusterFS volume healed"),
    (11, "blockstorage", "Cinder volume create and attach"),
    (12, "secrets", "passwords: not leaked, per role, config 0640"),
    (None, "resources", "flavors, subnets, security groups as in pillar"),
    (None, "rotation", "every secret rotated: new ones work, old ones refused"),
    (None, "replace", "a dead compute replaced: one record, brick rebuilt, trusted"),
    (None, "retire", "a retired compute: forgotten, brick out, trust gone"),
)
DEFAULT_CHECKS = ("identity", "image", "services", "boot", "secgroups", "floatingip", "storage",
                  "migration", "idempotency", "scaleout", "faults", "heal", "blockstorage", "secrets",
                  "resources", "rotation", "replace", "retire")


class CheckFailed(Exception):
    """The check ran and found the cloud wrong."""


class NoLease(CheckFailed):
    """The guest booted and got no DHCP lease (boot retries this once)."""


class NotRunnable(Exception):
    """This machine cannot run the check (missing kernel support...)."""


class Skipped(Exception):
    """The check was not run (needs an argument, or a failed prerequisite)."""


# --------------------------------------------------------------------------
# Pure logic (unit-tested in tests/unit/test_verify_logic.py)
# --------------------------------------------------------------------------

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


def redact(text, secrets):
    """`text` with every non-empty secret replaced by ******."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "******")
    return text


_MARKER = re.compile(r"VERIFY-([A-Z]+(?:-[A-Z]+)*)(?: (.*))?$")
_ALIVE = re.compile(r"n=(\d+) uptime=([0-9.]+) boot_id=([0-9a-f-]+)")
_DHCP = re.compile(r"eth0 address=([0-9.]+)/(\d+)(?: router=(\S+))?(?: server=(\S+))?"
                   r"(?: mtu=(\d+))?")
_BOOT_ID = re.compile(r"boot_id=([0-9a-f-]+)")


def parse_console(text):
    """
    What the verification guest (cluster/image/init) printed, from a console
    log.  Serial output has CR LF and kernel messages may precede a marker on
    the same line; markers repeat every few seconds, so values are the last
    complete ones and lists keep first-seen order without repeats.  The
    guest retries a failed DHCP or metadata step from its loop: the last
    word (failure or success) wins.
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


def lease_probe_command(tap, mac):
    """
    The shell command a compute runs when a guest on `tap` (MAC `mac`) got
    no lease: where the DHCP exchange stopped.  In order: OVN bound the
    port (ovn-installed); ovn-controller's southbound connection; the
    tap's OVS counters (rx: the guest's frames OVS received, tx: what OVS
    sent it); OVN's DHCP flows for local ports
    and the packets each matched (the guest's requests reached the flow);
    the packet-ins pinctrl took (requests handed to ovn-controller); the
    offers and acks pinctrl logged for this MAC (it answered: then the
    answer was lost between ovn-controller and the guest; pinctrl logs
    them rate-limited, in the current log file only: lower bounds);
    vswitchd's packet-in drop counters; ovn-controller's last warnings.
    """
    if not re.fullmatch(r"tap[0-9a-f-]{1,11}", tap):
        raise ValueError(f"not a tap name: {tap!r}")
    if not re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", mac or ""):
        raise ValueError(f"not a MAC address: {mac!r}")
    return "; ".join([
        f"echo ovn-installed=$(ovs-vsctl --if-exists get Interface {tap} external_ids:ovn-installed)",
        "echo sb=$(ovn-appctl -t ovn-controller connection-status)",
        f"echo tap=$(ovs-vsctl --if-exists get Interface {tap} ofport link_state "
        "statistics:rx_packets statistics:tx_packets statistics:rx_dropped "
        "statistics:tx_dropped 2>&1 | tr '\\n' /)",
        # the DHCP flows, dumped once: how many, and the packets each matched
        "dhcp=$(ovs-ofctl dump-flows br-int | grep userdata=00.00.00.02)",
        "echo dhcp-flows=$(printf '%s' \"$dhcp\" | grep -c .) "
        "dhcp-hits=$(printf '%s' \"$dhcp\" | grep -o 'n_packets=[0-9]*' | cut -d= -f2 | tr '\\n' ,)",
        "echo pinctrl-packet-ins=$(ovn-appctl -t ovn-controller coverage/show "
        "| grep -Eo 'pinctrl_total_pin_pkts .*total: *[0-9]+' | sed -E 's/.*total: *//')",
        f"echo offers=$(grep -c 'DHCPOFFER {mac}' /var/log/ovn/ovn-controller.log) "
        f"acks=$(grep -c 'DHCPACK {mac}' /var/log/ovn/ovn-controller.log)",
        "ovs-appctl coverage/show | grep -Eo "
        "'(packet_in_overflow|connmgr_async_unsent|rconn_overflow|"
        "datapath_drop_upcall_error|datapath_drop_lock_error) +[^ ]+ +[^ ]+ +[^ ]+ +"
        "total:[ ]*[0-9]+' | sed -E 's/ +.*total:[ ]*/=/'",
        "echo ovn-controller-warnings: $(grep -E '[|](WARN|ERR|EMER)[|]' "
        "/var/log/ovn/ovn-controller.log | tail -n 2 | cut -c 1-200)",
    ])


def console_problems(info, *, address=None, userdata_token=None, public_key=None,
                     server_id=None, dhcp_server=None, mtu=None):
    """
    What is missing or wrong in a parsed console, as a list of sentences
    (empty: everything the boot check expects is there).  `dhcp_server`:
    the server id the lease must come from (OVN's native DHCP answers as
    the subnet's gateway address); `mtu`: the network's MTU, which that
    lease must have set.
    """
    problems = []
    if not info["boot"]:
        problems.append("no boot line (VERIFY-BOOT): the guest's init did not run")
        return problems
    if info["dhcp_failed"]:
        problems.append(f"DHCP failed in the guest: {info['dhcp_failed']}")
    elif not info["address"]:
        problems.append("no DHCP address printed (VERIFY-DHCP)")
    else:
        if address and info["address"] != address:
            problems.append(f"guest got {info['address']} by DHCP, Neutron's port has {address}")
        if dhcp_server and info["dhcp_server"] != dhcp_server:
            problems.append(f"the lease came from DHCP server {info['dhcp_server'] or 'unknown'}, "
                            f"not OVN's native DHCP ({dhcp_server}, the subnet's gateway)")
        if mtu and info["mtu"] != mtu:
            problems.append(f"guest MTU {info['mtu'] or 'unknown'}, the network's is {mtu}")
    if info["metadata_failed"]:
        problems.append(f"metadata service: {info['metadata_failed']}")
    if server_id and info["uuid"] and info["uuid"] != server_id:
        problems.append(f"metadata service answered for instance {info['uuid']}, not {server_id}")
    if userdata_token:
        if not any(userdata_token in line for line in info["userdata"]):
            if info["userdata_none"]:
                problems.append("the guest found no user-data in the metadata service")
            else:
                problems.append("user-data not printed (VERIFY-USERDATA)")
    if public_key:
        if info["sshkey"] is None:
            if info["sshkey_none"]:
                problems.append("the guest found no SSH key in the metadata service")
            else:
                problems.append("SSH key not printed (VERIFY-SSHKEY)")
        elif key_body(info["sshkey"]) != key_body(public_key):
            problems.append("the SSH key the guest printed is not the key pair's public key")
    if not info["alive"]:
        problems.append("the guest's init did not reach its loop (no VERIFY-ALIVE)"
                        + (f"; last wait: {info['waiting']}" if info["waiting"] else ""))
    return problems


def still_running(before, after):
    """
    Whether the guest in console `after` (parsed) is the same boot as in
    `before` and ran on: (ok, sentence).
    """
    if not before["alive"]:
        return False, "no VERIFY-ALIVE before"
    if not after["alive"]:
        return False, "no VERIFY-ALIVE after"
    b, a = before["alive"][-1], after["alive"][-1]
    if a["boot_id"] != b["boot_id"]:
        return False, f"the guest rebooted (boot_id {b['boot_id']} -> {a['boot_id']})"
    if a["uptime"] <= b["uptime"]:
        return False, f"uptime did not advance ({b['uptime']} -> {a['uptime']})"
    return True, f"same boot {a['boot_id'][:8]}, uptime {b['uptime']:.0f} s -> {a['uptime']:.0f} s"


def parse_gluster_volume_info(xml_text, volume):
    """`gluster volume info VOL --xml` -> dict(type, status, replica, bricks[host, path])."""
    root = ET.fromstring(xml_text)
    op_ret = root.findtext("opRet")
    if op_ret not in (None, "0"):
        raise ValueError(root.findtext("opErrstr") or f"gluster error {op_ret}")
    for vol in root.iter("volume"):
        if vol.findtext("name") != volume:
            continue
        bricks = []
        for brick in vol.iter("brick"):
            name = brick.findtext("name") or (brick.text or "").strip()
            host, _, path = name.partition(":")
            bricks.append({"host": host, "path": path})
        return {
            "type": vol.findtext("typeStr"),
            "status": vol.findtext("statusStr"),
            "replica": int(vol.findtext("replicaCount") or 0),
            "bricks": bricks,
        }
    raise ValueError(f"volume {volume} not in gluster's answer")


def parse_gluster_volume_status(xml_text):
    """`gluster volume status VOL --xml` -> [{host, path, online, port}] for the
    bricks (port None when the brick is not running)."""
    root = ET.fromstring(xml_text)
    op_ret = root.findtext("opRet")
    if op_ret not in (None, "0"):
        raise ValueError(root.findtext("opErrstr") or f"gluster error {op_ret}")
    bricks = []
    for node in root.iter("node"):
        path = node.findtext("path") or ""
        if not path.startswith("/"):
            continue  # self-heal daemon and other non-brick processes
        port = (node.findtext("port") or "").strip()
        bricks.append({"host": node.findtext("hostname"), "path": path,
                       "online": node.findtext("status") == "1",
                       "port": int(port) if port.isdigit() and port != "0" else None})
    return bricks


def parse_gluster_heal_info(text):
    """
    `gluster volume heal VOL info` -> [{brick, status, entries}], from its
    XML form (--xml) or its text form; entries is None when gluster could
    not count (brick down: "-").
    """
    stripped = text.lstrip()
    if stripped.startswith("<"):
        root = ET.fromstring(stripped)
        op_ret = root.findtext("opRet")
        if op_ret not in (None, "0"):
            raise ValueError(root.findtext("opErrstr") or f"gluster error {op_ret}")
        bricks = []
        for brick in root.iter("brick"):
            value = (brick.findtext("numberOfEntries") or "").strip()
            bricks.append({"brick": (brick.findtext("name") or "").strip(),
                           "status": (brick.findtext("status") or "").strip() or None,
                           "entries": int(value) if value.isdigit() else None})
        return bricks
    bricks = []
    current = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Brick "):
            current = {"brick": line[6:].strip(), "status": None, "entries": None}
            bricks.append(current)
        elif current is not None and line.startswith("Status:"):
            current["status"] = line.split(":", 1)[1].strip()
        elif current is not None and line.startswith("Number of entries:"):
            value = line.split(":", 1)[1].strip()
            current["entries"] = int(value) if value.isdigit() else None
    return bricks


def heal_problems(bricks):
    """Sentences saying why heal info is not clean ([] when clean)."""
    if not bricks:
        return ["heal info listed no bricks"]
    problems = []
    for b in bricks:
        if b["status"] and b["status"].lower() != "connected":
            problems.append(f"{b['brick']}: {b['status']}")
        elif b["entries"] is None:
            problems.append(f"{b['brick']}: entries unknown")
        elif b["entries"]:
            problems.append(f"{b['brick']}: {b['entries']} entries to heal")
    return problems


def expected_replica(pillar_gluster, n_computes):
    """The replica count the glusterfs formula gives (pillar/openstack.sls)."""
    if pillar_gluster.get("replica"):
        return int(pillar_gluster["replica"])
    return 3 if n_computes >= 3 else n_computes


def short(host):
    """Host name without domain."""
    return (host or "").split(".")[0]


def roles_hosts(hosts, role):
    """Sorted minion ids holding `role` in the pillar host map."""
    return sorted(h for h, spec in (hosts or {}).items() if role in (spec or {}).get("roles", []))


def minion_of(hosts, name):
    """The minion id in the pillar host map of a host as nova names it
    (short or with its domain); None when the map has no such host."""
    return next((h for h in sorted(hosts or {}) if short(h) == short(name)), None)


def provider_side(hosts):
    """(gateway, its provider_address): the first gateway in the host map
    with an address on the provider network; None when none has one."""
    for host in roles_hosts(hosts, "gateway"):
        address = (hosts[host] or {}).get("provider_address")
        if address:
            return host, address
    return None


def parse_route_get(text):
    """`ip -o -4 route get ADDRESS` -> {dev, src, via} (None: not said)."""
    words = text.split()
    return {key: next((words[i + 1] for i, w in enumerate(words[:-1]) if w == key), None)
            for key in ("dev", "src", "via")}


def choose_floating_ip(fips, port_id, network_id, marker):
    """
    Which floating IP the floatingip check uses, so that re-runs do not pile
    them up: one already on the port ("reuse"), else a free one on the
    external network that verify made earlier and whose port went away
    ("associate"), else none ("create").  fips: [{id, port_id,
    floating_network_id, description}]; returns (fip or None, action).
    """
    on_port = [f for f in fips if f["port_id"] == port_id]
    if on_port:
        return on_port[0], "reuse"
    free = [f for f in fips if not f["port_id"] and f["floating_network_id"] == network_id
            and f["description"] == marker]
    if free:
        return free[0], "associate"
    return None, "create"


def expected_neutron_agents(roles):
    """The agent types a host with `roles` shows in Neutron's list under ML2/OVN."""
    types = []
    if "gateway" in roles:
        types.append(OVN_CONTROLLER_GW_AGENT)   # its chassis is a gateway chassis
    elif "compute" in roles:
        types.append(OVN_CONTROLLER_AGENT)
    if "compute" in roles:
        types.append(OVN_METADATA_AGENT)
    return types


def parse_bridge_mappings(text):
    """ovn-bridge-mappings `physnet:bridge[,...]` -> {physnet: bridge}."""
    pairs = (item.strip().partition(":") for item in (text or "").split(","))
    return {net: bridge for net, sep, bridge in pairs if sep and net}


def service_table_problems(hosts, nova_services, neutron_agents, physical_network=None):
    """
    Compare the nova service list and neutron agent list with the pillar's
    host map.  nova_services: [{binary, host, state, status}]; neutron_agents:
    [{agent_type, host, alive, admin_state_up, chassis, bridge_mappings}]
    (chassis and bridge_mappings: the agent's configurations, may be
    missing).  Every OVN chassis must be named after its minion id, a
    gateway chassis must map `physical_network`, and an agent of a type
    ML2/OVN does not use (L3, DHCP, linuxbridge...) is a problem, alive or
    not.  Returns (problems, summary).
    """
    problems = []
    expected_nova = []
    expected_neutron = []
    for role, binaries in NOVA_SERVICES.items():
        for host in roles_hosts(hosts, role):
            expected_nova += [(b, host) for b in binaries]
    for host in sorted(hosts or {}):
        roles = (hosts[host] or {}).get("roles", [])
        expected_neutron += [(t, host) for t in expected_neutron_agents(roles)]
    for binary, host in expected_nova:
        found = [s for s in nova_services
                 if s["binary"] == binary and short(s["host"]) == short(host)]
        if not found:
            problems.append(f"{binary} on {host}: not registered")
        elif not any(s["state"] == "up" for s in found):
            problems.append(f"{binary} on {host}: state {found[0]['state']}")
        elif not any(s["status"] == "enabled" for s in found):
            problems.append(f"{binary} on {host}: {found[0]['status']}")
    for agent_type, host in expected_neutron:
        on_host = [a for a in neutron_agents if short(a["host"]) == short(host)]
        found = [a for a in on_host if a["agent_type"] == agent_type]
        alive = [a for a in found if a["alive"]]
        if not found:
            hint = ""
            if agent_type == OVN_CONTROLLER_GW_AGENT and any(
                    a["agent_type"] == OVN_CONTROLLER_AGENT for a in on_host):
                hint = (f" (its chassis is an {OVN_CONTROLLER_AGENT}: ovn-cms-options "
                        "lacks enable-chassis-as-gw)")
            problems.append(f"{agent_type} on {host}: not registered{hint}")
        elif not alive:
            problems.append(f"{agent_type} on {host}: not alive")
        elif not any(a["admin_state_up"] for a in alive):
            problems.append(f"{agent_type} on {host}: administratively down")
        else:
            chassis = alive[0].get("chassis")
            if chassis and short(chassis) != short(host):
                problems.append(f"{agent_type} on {host}: chassis {chassis}, not {host} "
                                "(external_ids:system-id must be the minion id)")
            mappings = parse_bridge_mappings(alive[0].get("bridge_mappings"))
            if (agent_type == OVN_CONTROLLER_GW_AGENT and physical_network
                    and physical_network not in mappings):
                problems.append(f"{agent_type} on {host}: no bridge mapping for "
                                f"{physical_network} (ovn-bridge-mappings: "
                                f"{alive[0].get('bridge_mappings') or 'none'})")
    # Anything else registered and down is a problem too (a stale host...).
    expected_nova_keys = {(b, short(h)) for b, h in expected_nova}
    for s in nova_services:
        if (s["binary"], short(s["host"])) not in expected_nova_keys and s["state"] != "up":
            problems.append(f"unexpected {s['binary']} on {s['host']}: state {s['state']}")
    expected_neutron_keys = {(t, short(h)) for t, h in expected_neutron}
    for a in neutron_agents:
        if a["agent_type"] not in OVN_AGENT_TYPES:
            problems.append(f"{a['agent_type']} on {a['host']} "
                            f"({'alive' if a['alive'] else 'not alive'}): not an ML2/OVN agent "
                            "(OVN routes and serves DHCP and metadata itself)")
        elif (a["agent_type"], short(a["host"])) not in expected_neutron_keys and not a["alive"]:
            problems.append(f"unexpected {a['agent_type']} on {a['host']}: not alive")
    summary = f"{len(expected_nova)} nova services, {len(expected_neutron)} OVN agents expected"
    return problems, summary


def select_checks(selection):
    """
    Check names to run from --check values (names or numbers, comma
    separated); the default set when empty.  Raises ValueError on an
    unknown name.
    """
    by_number = {str(n): name for n, name, _ in CHECKS if n is not None}
    names = {name for _, name, _ in CHECKS}
    if not selection:
        return list(DEFAULT_CHECKS)
    chosen = []
    for item in selection:
        for part in str(item).split(","):
            part = part.strip().lower()
            if not part:
                continue
            name = by_number.get(part, part)
            if name not in names:
                raise ValueError(f"unknown check {part!r} (known: {', '.join(sorted(names))})")
            if name not in chosen:
                chosen.append(name)
    order = [name for _, name, _ in CHECKS]
    return sorted(chosen, key=order.index)


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


def make_result(name, result, seconds, detail):
    number = next((n for n, nm, _ in CHECKS if nm == name), None)
    title = next((t for _, nm, t in CHECKS if nm == name), name)
    if result not in RESULTS:
        raise ValueError(f"unknown result {result!r}")
    # One line per detail: tools' multi-line messages would break the table.
    detail = " ".join(str(detail or "").split())
    return {"number": number, "check": name, "title": title, "result": result,
            "seconds": round(float(seconds), 1), "detail": detail}


def classify(exc):
    """The result a check's exception stands for."""
    if exc is None:
        return PASS
    if isinstance(exc, NotRunnable):
        return NOT_RUNNABLE
    if isinstance(exc, Skipped):
        return SKIPPED
    return FAIL


def render_table(results, width=None):
    """The final table: #, check, result, seconds, detail (wrapped)."""
    headers = ("#", "check", "result", "secs", "detail")
    rows = []
    for r in results:
        rows.append((str(r["number"]) if r["number"] is not None else "-", r["check"],
                     r["result"], f"{r['seconds']:.1f}", r["detail"] or ""))
    widths = [max([len(headers[i])] + [len(row[i]) for row in rows]) for i in range(4)]
    detail_width = max(30, (width or 120) - sum(widths) - 4 * 3)
    sep = "-+-".join("-" * w for w in widths) + "-+-" + "-" * min(detail_width, max(
        [len(headers[4])] + [len(row[4]) for row in rows]))

    def line(cells):
        return " | ".join(c.rjust(w) if i in (0, 3) else c.ljust(w)
                          for i, (c, w) in enumerate(zip(cells, widths)))

    out = [line(headers[:4]) + " | " + headers[4], sep]
    for row in rows:
        chunks = _wrap(row[4], detail_width)
        out.append(line(row[:4]) + " | " + chunks[0])
        for chunk in chunks[1:]:
            out.append(line(("", "", "", "")) + " | " + chunk)
    counts = summarize(results)
    out.append(sep)
    out.append(", ".join(f"{counts[k]} {k}" for k in RESULTS if counts[k]) or "no checks")
    # Each failure again, unwrapped, last: a log's tail (CI shows only that) names them.
    out.extend(f"{FAIL} {r['check']}: {r['detail'] or '(no detail)'}"
               for r in results if r["result"] == FAIL)
    return "\n".join(out)


def _wrap(text, width):
    words = text.split(" ")
    lines, cur = [], ""
    for word in words:
        while len(word) > width:
            if cur:
                lines.append(cur)
                cur = ""
            lines.append(word[:width])
            word = word[width:]
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= width:
            cur += " " + word
        else:
            lines.append(cur)
            cur = word
    lines.append(cur)
    return lines


# Service configuration directories and the group that must own their
# secret-holding files (salt/*/defaults.yaml).
SECRET_DIRS = {
    "/etc/keystone": "keystone",
    "/etc/glance": "glance",
    "/etc/placement": "placement",
    "/etc/nova": "nova",
    "/etc/neutron": "neutron",
    "/etc/cinder": "cinder",
    # the TLS keys of the APIs' TLS proxy (tls_proxy) and of the dashboard
    "/etc/haproxy": "haproxy",
    "/etc/apache2": "root",
    # QEMU's migration certificates (libvirt.tls)
    "/etc/pki/libvirt-migrate": "libvirt-qemu",
}
# An INI line that holds a secret (the key names, with a non-empty value),
# or a PEM private key (the hosts' TLS keys, common/tls.jinja).
SECRET_LINE = (r"^[[:space:]]*(password|admin_password|connection|transport_url|"
               r"metadata_proxy_shared_secret|memcache_secret_key)[[:space:]]*=[[:space:]]*[^[:space:]]"
               r"|^-----BEGIN [A-Z ]*PRIVATE KEY-----")


def secret_leaks(sources, secrets):
    """
    [(where, secret name)] for every secret value found in a source.
    `sources` maps a place (file, host's process list) to its text,
    `secrets` a secret's name to its value; values shorter than 6
    characters are ignored (they would match by chance).
    """
    found = []
    for where, text in sources.items():
        for name, value in sorted(secrets.items()):
            if value and len(str(value)) >= 6 and str(value) in text:
                found.append((where, name))
    return found


# Run by the master's own Python (argv: the master's configuration file):
# the master's pillar, compiled as `salt-run pillar.show_pillar <master id>`
# compiles it but without a runner job (whose return the job cache would
# keep), and only its openstack:passwords printed, to verify's pipe.
MASTER_SECRETS_SCRIPT = """
import json, sys
import salt.config, salt.pillar
opts = salt.config.master_config(sys.argv[1])
pillar = salt.pillar.Pillar(opts, {}, opts["id"], "base").compile_pillar()
if pillar.get("_errors"):
    print(json.dumps({"errors": pillar["_errors"]}))
    sys.exit(1)
data = pillar.get("openstack") or {}
public = ((data.get("tls") or {}).get("public") or {})
print(json.dumps({"passwords": data.get("passwords") or {},
                  "operator_keys": {host: entry.get("key") for host, entry in public.items()
                                    if isinstance(entry, dict) and entry.get("key")}}))
"""


# Where the master's CA keeps its certificate and the keys it issued
# (_modules/openstack_tls.py), and where common.ca puts that certificate in
# each (Debian) host's trust store.
TLS_CA_DIR = "/etc/salt/pki/master/openstack_ca"
TLS_CA_CERT = os.path.join(TLS_CA_DIR, "ca.crt")
TLS_ISSUED_DIR = os.path.join(TLS_CA_DIR, "issued")
TRUSTED_CA_FILE = "/usr/local/share/ca-certificates/openstack-cloud-ca.crt"


def ca_trust_problems(answers, ca_sha256):
    """
    Hosts that do not trust the master's CA.  `answers` maps a host to the
    cmd.run_all answer of CA_TRUST_COMMAND (its CA file's sha256, then
    openssl's verdict against the system store), `ca_sha256` the master's.
    """
    problems = []
    for host, ans in sorted(answers.items()):
        lines = (ans.get("stdout") or "").split()
        if ans.get("retcode") != 0 or not lines:
            problems.append(f"{host}: the cloud's CA is not in its trust store "
                            f"({(ans.get('stderr') or ans.get('stdout') or '').strip()[-120:]})")
        elif lines[0] != ca_sha256:
            problems.append(f"{host}: {TRUSTED_CA_FILE} is not the master's CA")
    return problems


CA_TRUST_COMMAND = (f"sha256sum < {TRUSTED_CA_FILE} | cut -d' ' -f1 && "
                    f"openssl verify {TRUSTED_CA_FILE} >/dev/null")


def master_secrets(python, master_config, timeout=120, keys=True):
    """
    Every secret of the cloud, name -> value, from the master's own pillar
    (the orchestration's: the per-role filter narrows every minion's,
    the controller's included, so no minion's pillar holds them all):
    the passwords, and the operator's TLS keys (openstack:tls:public,
    "operator TLS key of <host>": pem_key_line).
    `python` is the interpreter that runs the master's Salt.  Raises
    CheckFailed naming the pillar errors (never a value).
    """
    proc = run([python, "-c", MASTER_SECRETS_SCRIPT, master_config], timeout)
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        data = {}
    if proc.returncode != 0 or not isinstance(data.get("passwords"), dict):
        # Never the errors themselves: Salt's render errors quote pillar
        # source lines, passwords among them.
        errors = data.get("errors") or []
        raise CheckFailed(f"the master's pillar ({master_config}) did not compile "
                          f"({len(errors)} pillar errors, exit {proc.returncode}): see "
                          f"salt-run pillar.show_pillar on the master")
    return secrets_of(data, keys=keys)


def secrets_of(data, keys=True):
    """MASTER_SECRETS_SCRIPT's answer -> name -> value: the pillar's
    passwords and, with ``keys``, a line of each operator TLS key (the leak
    scan's); without, the passwords alone (what the rotate phase rotates)."""
    found = {k: v for k, v in data["passwords"].items() if isinstance(v, (str, int))}
    for host, key in sorted((data.get("operator_keys") or {}).items() if keys else ()):
        line = pem_key_line(key)
        if line:
            found[f"operator TLS key of {host}"] = line
    return found


def pem_key_line(pem):
    """What the leak scan looks for of a PEM private key: its second base64
    line (a PEM quoted in JSON or a log keeps a line whole; a P-256 PKCS#8
    key's first line is mostly the same for every key), or its only one."""
    lines = [line.strip() for line in str(pem).splitlines() if line.strip() and "-----" not in line]
    return (lines[1] if len(lines) > 1 else lines[0]) if lines else None


def tls_key_secrets(directory):
    """
    Each host's TLS private key that the master's CA issued (`directory`:
    its issued/ folder), as secrets for the leak scan: name -> the key's
    second base64 line (a PEM quoted in JSON or a log keeps a line whole;
    a P-256 PKCS#8 key's first line is mostly the same for every key).
    """
    found = {}
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return found
    for name in names:
        if not name.endswith(".key"):
            continue
        with open(os.path.join(directory, name), encoding="ascii") as fh:
            line = pem_key_line(fh.read())
        if line:
            found[f"TLS key of {name[:-4]}"] = line
    return found


def salt_master_python():
    """The interpreter that runs the salt-master command: its script's
    shebang (a venv's python; onedir installs too)."""
    master = shutil.which("salt-master")
    if not master:
        raise CheckFailed("no salt-master command on this host: verify runs on the master")
    with open(os.path.realpath(master), "rb") as fh:
        first = fh.readline().decode("utf-8", "replace").strip()
    if not first.startswith("#!") or not first[2:].split():
        raise CheckFailed(f"{master}: no interpreter line")
    return first[2:].split()[0]


def secret_scope_problems(hosts, held, role_secrets):
    """
    Hosts holding a secret none of their roles uses.  `hosts` is the pillar
    host map, `held` a minion's id -> the names under openstack:passwords
    in its pillar (`pillar.keys`: names, never values), `role_secrets` the
    per-role allow-list (`openstack_pillar.role_secrets`: role -> names).
    A host whose pillar could not be read is a problem too.
    """
    problems = []
    for host in sorted(hosts):
        entry = hosts[host] if isinstance(hosts[host], dict) else {}
        roles = [r for r in entry.get("roles") or [] if isinstance(r, str)]
        names = held.get(host)
        if not isinstance(names, list):
            problems.append(f"{host}: openstack:passwords not readable ({names!r})")
            continue
        allowed = {name for role in roles for name in role_secrets.get(role, [])}
        extra = sorted(set(names) - allowed)
        if extra:
            problems.append(f"{host} ({', '.join(roles) or 'no role'}) holds "
                            f"{', '.join(extra)}, which its roles do not use")
    return problems


def operator_key_problems(held):
    """
    Hosts holding an operator's TLS key that is not their own.  `held`:
    for each host with an entry in openstack:tls:public, a minion's id ->
    the names under that entry in its pillar (`pillar.keys`: names, never
    values).  Only that host may hold its `key`.
    """
    problems = []
    for owner, answers in sorted(held.items()):
        for host, names in sorted(answers.items()):
            if host != owner and isinstance(names, list) and "key" in names:
                problems.append(f"{host} holds {owner}'s operator TLS key "
                                f"(openstack:tls:public:{owner}:key)")
    return problems


def secret_file_problems(stat_lines, dirs=None):
    """
    Problems with secret-holding config files from `stat -c '%n %a %U %G'`
    lines: each must be mode 0640 (or stricter: 0600, 0440, 0400) and group
    the service's group.
    """
    dirs = SECRET_DIRS if dirs is None else dirs
    problems = []
    for line in stat_lines:
        parts = line.split()
        if len(parts) != 4:
            continue
        path, mode, _owner, group = parts
        want = next((g for d, g in dirs.items() if path.startswith(d + "/")), None)
        if mode not in ("640", "600", "440", "400"):
            problems.append(f"{path} mode 0{mode}")
        if want and group != want and mode not in ("600", "400"):
            problems.append(f"{path} group {group}, not {want}")
    return problems


def merge_results(docs):
    """
    One result per check from the JSON documents of several runs (the
    cluster driver runs verify more than once): a check's latest result
    that is not SKIPPED wins, SKIPPED only when no run ran it.  Sorted in
    check order.
    """
    merged = {}
    for doc in docs:
        for res in doc.get("results") or []:
            prev = merged.get(res["check"])
            if prev is None or res["result"] != SKIPPED or prev["result"] == SKIPPED:
                merged[res["check"]] = res
    order = [name for _, name, _ in CHECKS]
    return sorted(merged.values(),
                  key=lambda r: order.index(r["check"]) if r["check"] in order else len(order))


def report(paths, json_path=None):
    """--report: merge earlier runs' JSON files, print the table; exit code."""
    docs = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                docs.append(json.load(fh))
        except (OSError, ValueError) as exc:
            print(f"verify: --report {path}: {exc}", file=sys.stderr)
            return EXIT_ERROR
    results = merge_results(docs)
    print(render_table(results))
    code = exit_code(results)
    if any(d.get("exit_code") == EXIT_ERROR for d in docs):
        code = EXIT_ERROR
    write_document(json_path, verify_document(results, merged_from=list(paths), code=code))
    return code


def parse_ovn_encaps(text):
    """`ovn-sbctl --format=csv --data=bare --no-headings
    --columns=chassis_name,type,ip list Encap` -> [{chassis, type, ip}]."""
    return [{"chassis": row[0], "type": row[1], "ip": row[2]}
            for row in csv.reader(text.splitlines()) if len(row) == 3]


def encap_problems(hosts, encaps):
    """
    Every compute's and gateway's chassis (named after its minion id)
    tunnels with Geneve from its management address: sentences for each
    that does not ([] when all do).
    """
    problems = []
    for host in sorted(set(roles_hosts(hosts, "compute")) | set(roles_hosts(hosts, "gateway"))):
        want = (hosts[host] or {}).get("address")
        mine = [e for e in encaps if short(e["chassis"]) == short(host)]
        geneve = [e for e in mine if e["type"] == "geneve"]
        if not mine:
            problems.append(f"no OVN chassis {host} in the southbound database")
        elif not geneve:
            problems.append(f"chassis {host}: encapsulation "
                            f"{', '.join(sorted(e['type'] for e in mine))}, not geneve")
        elif want and not any(e["ip"] == want for e in geneve):
            problems.append(f"chassis {host}: Geneve from {', '.join(e['ip'] for e in geneve)}, "
                            f"not its management address {want}")
    return problems


# Ports that must listen on the controller's loopback alone (rabbitmq.config):
# Erlang's port mapper and RabbitMQ's distribution port (AMQP's + 20000).
LOOPBACK_ONLY_PORTS = {4369: "epmd", 25672: "RabbitMQ's Erlang distribution"}
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")


def loopback_listener_problems(ss_output, ports=LOOPBACK_ONLY_PORTS):
    """
    `ss -Hltn` output -> sentences for each port of ``ports`` ({port:
    what}) that nothing listens on, or that listens on another address
    than loopback ([] when each listens on loopback alone).
    """
    seen = {port: [] for port in ports}
    for line in ss_output.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        address, _, port = fields[3].rpartition(":")
        if port.isdigit() and int(port) in seen:
            seen[int(port)].append(address.strip("[]").split("%")[0])
    problems = []
    for port, addresses in sorted(seen.items()):
        wide = sorted(set(a for a in addresses if a not in LOOPBACK_ADDRESSES))
        if not addresses:
            problems.append(f"nothing listens on {port} ({ports[port]})")
        elif wide:
            problems.append(f"{ports[port]} listens on {', '.join(wide)}:{port}, "
                            "not on loopback only")
    return problems


# -- cloud resources against the model (check "resources") -----------------
# Read independently of openstack_cloud's planner (_utils/saltext_openstack_cloud.py):
# the API's values are compared with the validated model's as they are.
FLAVOR_FIELDS = ("vcpus", "ram", "disk", "ephemeral", "swap")
RULE_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max")
ANY_ADDRESS = {None, "0.0.0.0/0", "::/0"}


def flavor_problems(want, flavors):
    """
    The model's flavors ({name: {vcpus, ram, disk, ephemeral, swap,
    public, extra_specs}}) against Nova's ([{name, vcpus, ram, disk,
    ephemeral (OS-FLV-EXT-DATA:ephemeral), swap ('' for none),
    is_public, extra_specs}]): sentences for each difference.
    """
    found = {}
    for flavor in flavors:
        found.setdefault(flavor["name"], []).append(flavor)
    problems = []
    for name, spec in sorted(want.items()):
        have = found.get(name) or []
        if len(have) != 1:
            problems.append(f"flavor {name}: {len(have)} in Nova, not 1")
            continue
        have = have[0]
        values = {"vcpus": have.get("vcpus"), "ram": have.get("ram"), "disk": have.get("disk"),
                  "ephemeral": have.get("ephemeral") or 0, "swap": have.get("swap") or 0}
        for field in FLAVOR_FIELDS:
            if values[field] != spec[field]:
                problems.append(f"flavor {name}: {field} {values[field]}, pillar {spec[field]}")
        if bool(have.get("is_public")) != bool(spec["public"]):
            problems.append(f"flavor {name}: public {have.get('is_public')}, pillar {spec['public']}")
        specs = {k: str(v) for k, v in (have.get("extra_specs") or {}).items()}
        wanted = {k: str(v) for k, v in (spec.get("extra_specs") or {}).items()}
        if specs != wanted:
            problems.append(f"flavor {name}: extra_specs {specs}, pillar {wanted}")
    return problems


def subnet_problems(name, want, subnet):
    """
    The model's network entry (gateway, dns_nameservers and, for the
    provider, allocation_start/_end) against Neutron's subnet of that name
    (a dict, None when there is none): sentences for each difference.
    """
    if subnet is None:
        return [f"subnet {name}: not in Neutron"]
    problems = []
    if subnet.get("gateway_ip") != want["gateway"]:
        problems.append(f"subnet {name}: gateway {subnet.get('gateway_ip')}, pillar {want['gateway']}")
    if sorted(subnet.get("dns_nameservers") or []) != sorted(want.get("dns_nameservers") or []):
        problems.append(f"subnet {name}: DNS {subnet.get('dns_nameservers')}, "
                        f"pillar {want.get('dns_nameservers')}")
    if want.get("allocation_start"):
        pools = [(p.get("start"), p.get("end")) for p in subnet.get("allocation_pools") or []]
        wanted = [(want["allocation_start"], want["allocation_end"])]
        if pools != wanted:
            problems.append(f"subnet {name}: pools {pools}, pillar {wanted}")
    return problems


def rule_problems(group, want, rules, group_ids):
    """
    The model's security group ``group`` ({rules, remove_unlisted})
    against Neutron's ``rules`` of that group (as the API lists them):
    sentences for each listed rule that none matches and, with
    remove_unlisted, for each rule Neutron has that is not listed.
    ``group_ids``: {group name: id} of the project, for remote groups.
    """
    def same(rule, have):
        if any(rule[f] != have.get(f) for f in RULE_FIELDS):
            return False
        if rule["remote_group"] is not None:
            return have.get("remote_group_id") == group_ids.get(rule["remote_group"])
        if have.get("remote_group_id") is not None:
            return False
        if rule["remote_ip_prefix"] in ANY_ADDRESS:
            return have.get("remote_ip_prefix") in ANY_ADDRESS
        return have.get("remote_ip_prefix") == rule["remote_ip_prefix"]

    def label(rule):
        return " ".join(str(rule.get(f)) for f in RULE_FIELDS if rule.get(f) is not None)

    problems = [f"security group {group}: no rule {label(rule)}"
                for rule in want["rules"] if not any(same(rule, have) for have in rules)]
    if want.get("remove_unlisted"):
        problems += [f"security group {group}: unlisted rule {label(have)}"
                     for have in rules if not any(same(rule, have) for rule in want["rules"])]
    return problems


def ovn_tls_probe_command(ctl, connection, chassis=False):
    """
    A shell command probing OVN database `connection` (the model's
    "ssl:ADDRESS:PORT") from a host: a plain `tcp:` OVSDB client to the
    same address and port, which must be refused, then `ovsdb-client` with
    the files the local SSL table names (`ctl get-ssl`: the host's
    certificate, key and the cloud's CA), which must list the databases
    (the port answers, so the refusal is the TLS one).  With `chassis`,
    also ovn-controller's ovn-remote and connection status.  Prints
    "plain=refused|accepted" and "tls=<databases or error>" (and
    "remote=", "status=") lines; ovn_tls_problems reads them.
    """
    plain = "tcp:" + connection.split(":", 1)[1]
    lines = [
        f'ssl_file() {{ {ctl} get-ssl | sed -n "s/^$1: //p"; }}',
        f"if ovsdb-client --timeout=10 list-dbs {plain} >/dev/null 2>&1; "
        "then echo plain=accepted; else echo plain=refused; fi",
        'echo "tls=$(ovsdb-client --timeout=10 -p "$(ssl_file "Private key")" '
        '-c "$(ssl_file Certificate)" -C "$(ssl_file "CA Certificate")" '
        f'list-dbs {connection} 2>&1 | tr "\\n" " ")"',
    ]
    if chassis:
        lines += ['echo "remote=$(ovs-vsctl get Open_vSwitch . external_ids:ovn-remote | tr -d \'"\')"',
                  'echo "status=$(ovn-appctl -t ovn-controller connection-status 2>&1)"']
    return "; ".join(lines)


def ovn_tls_problems(answers, connection, database, chassis=False):
    """
    Hosts whose ovn_tls_probe_command answer (`answers`: host ->
    cmd.run_all) shows OVN database `connection` taking a plain client,
    not taking the host's certificate (`database` not listed), or (with
    `chassis`) ovn-controller not connected to `connection`.
    """
    problems = []
    for host, ans in sorted(answers.items()):
        got = dict(line.split("=", 1) for line in (ans.get("stdout") or "").splitlines()
                   if "=" in line)
        if not got:
            problems.append(f"{host}: no answer to the OVN TLS probe "
                            f"({(ans.get('stderr') or '').strip()[-200:]})")
            continue
        if got.get("plain") != "refused":
            problems.append(f"{host}: {connection} answers a plain tcp: OVSDB client")
        if database not in got.get("tls", "").split():
            problems.append(f"{host}: ovsdb-client with the host's certificate cannot list "
                            f"{connection}: {got.get('tls', '').strip()[-200:]}")
        if chassis and (got.get("remote") != connection or got.get("status") != "connected"):
            problems.append(f"{host}: ovn-controller {got.get('status', '?')} to "
                            f"{got.get('remote', '?')}, not connected to {connection}")
    return problems


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


# --------------------------------------------------------------------------
# The cloud
# --------------------------------------------------------------------------

def log(msg):
    print(f"[verify {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def poll(what, fn, timeout, interval=3.0):
    """Call fn() until it returns a true value; CheckFailed after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = fn()
        except CheckFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - transient API errors are retried
            value, last = None, exc
        if value:
            return value
        if time.monotonic() >= deadline:
            suffix = f" (last error: {last})" if last else ""
            raise CheckFailed(f"{what}: not within {timeout:.0f} s{suffix}")
        time.sleep(interval)


class Cloud:
    """Everything the checks touch: the SDK connection, salt, pillar."""

    def __init__(self, args):
        self.args = args
        try:
            with open(args.openrc, encoding="utf-8") as fh:
                self.env = parse_openrc(fh.read())
            auth = sdk_auth_args(self.env)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"verify: credentials: {args.openrc}: {exc}") from None
        self.secrets = [self.env.get("OS_PASSWORD", "")]
        try:
            import openstack  # noqa: PLC0415 - only needed on the controller
        except ImportError:
            raise SystemExit("verify: openstacksdk missing (python3-openstacksdk)") from None
        self.conn = openstack.connect(**auth)
        self.pillar = self._pillar()
        self.hosts = self.pillar.get("hosts") or {}
        if not self.hosts:
            raise SystemExit("verify: pillar openstack:hosts is empty")
        # The networks' names and the physical network: the validator's
        # model, as the formulas read it (never the raw pillar's keys).
        model = salt_call("openstack_pillar.topology")
        self.model = model
        try:
            self.networks = model_networks(model)
            self.api_workers = model["workers"]["api"]
            self.ovn = model["ovn"]
            # Who signs each controller's and gateway's public certificate.
            self.public_tls = model["tls"]["public"]
            self.console_url = (model.get("console") or {}).get("url")
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"verify: openstack_pillar.topology: {exc}") from None
        if not args.network:
            args.network = self.networks["selfservice"]
        self.computes = roles_hosts(self.hosts, "compute")
        # State shared by the checks of one run.
        self.server = None
        self.keypair = None
        self.public_key = None
        self.token = None
        self.created_server = False
        self.created_keypair = False
        self.boot_error = None
        self.boot_attempted = False
        self.notes = []  # said in the current check's detail (boot: a second boot)
        self.console_before_migration = None
        self._rotation_record = None

    # -- helpers -----------------------------------------------------------
    def _pillar(self):
        # --no-return-event: the answer holds every password; without it
        # salt-call also sends it to the master's job cache.  unmask=True:
        # Salt 3008 (constraints.txt) masks every value pillar.get returns.
        data = salt_call("pillar.get", "openstack", "unmask=True")
        if not isinstance(data, dict):
            raise SystemExit("verify: no openstack pillar on the controller")
        return data

    def salt(self, targets, command, timeout=60):
        """cmd.run_all on minions -> {minion: {retcode, stdout, stderr}}; a
        minion that does not answer gets retcode None."""
        targets = list(targets)
        cmd = ["salt", "--out=json", "--static", "-t", str(timeout), "-L", ",".join(targets),
               "cmd.run_all", f"cmd={command}", "python_shell=True"]
        proc = run(cmd, timeout=timeout + 60)
        answers = parse_salt_json(proc.stdout)
        out = {}
        for t in targets:
            ans = answers.get(t)
            if isinstance(ans, dict) and "retcode" in ans:
                out[t] = ans
            else:
                out[t] = {"retcode": None, "stdout": "", "stderr": str(ans or "no answer from minion")}
        return out

    def salt_function(self, targets, function, *args, timeout=60):
        """A salt function on minions -> {minion: its return} (absent: no answer)."""
        cmd = ["salt", "--out=json", "--static", "-t", str(timeout), "-L", ",".join(targets),
               function, *args]
        return parse_salt_json(run(cmd, timeout=timeout + 60).stdout)

    def role_secrets(self):
        """The per-role allow-list of secrets (names) from openstack_pillar."""
        proc = run(["salt-call", "--out=json", "openstack_pillar.role_secrets"], timeout=120)
        data = parse_salt_json(proc.stdout).get("local")
        if not isinstance(data, dict):
            raise CheckFailed("salt-call openstack_pillar.role_secrets failed: "
                              + proc.stderr.strip()[-300:])
        return data

    def salt_one(self, target, command, timeout=60):
        return self.salt([target], command, timeout)[target]

    @property
    def fip_marker(self):
        """The description of the floating IPs verify creates (cleanup finds them by it)."""
        return f"verify.py {self.args.server_name}"

    def floating_ip(self, port, network_id):
        """(floating IP on `port` from `network_id`, what was done): an
        existing one reused, a free one of verify's associated, or a new one."""
        net = self.conn.network
        seen = {}
        for fip in [*net.ips(port_id=port.id), *net.ips(description=self.fip_marker)]:
            seen[fip.id] = {"id": fip.id, "port_id": fip.port_id,
                            "floating_network_id": fip.floating_network_id,
                            "description": fip.description or ""}
        chosen, action = choose_floating_ip(list(seen.values()), port.id, network_id,
                                            self.fip_marker)
        if action == "reuse":
            return net.get_ip(chosen["id"]), "reused"
        if action == "associate":
            return net.update_ip(chosen["id"], port_id=port.id), "a free one of verify's associated"
        fip = net.create_ip(floating_network_id=network_id, port_id=port.id,
                            description=self.fip_marker)
        log(f"floating IP {fip.floating_ip_address} created for port {port.id}")
        return fip, "created"

    def delete_floating_ips(self):
        """Delete the floating IPs verify created (Neutron keeps them when
        the instance's port goes)."""
        for fip in self.conn.network.ips(description=self.fip_marker):
            if fip.description == self.fip_marker:
                log(f"deleting floating IP {fip.floating_ip_address}")
                self.conn.network.delete_ip(fip, ignore_missing=True)

    def fault(self, server):
        """The fault message nova recorded for an instance."""
        try:
            body = self.conn.compute.get(f"/servers/{server.id}").json().get("server", {})
            return (body.get("fault") or {}).get("message") or "no fault message"
        except Exception as exc:  # noqa: BLE001 - a hint only
            return f"fault unknown ({exc})"

    def migrations(self, server_id):
        """Nova's migration records of an instance, oldest first ([] if unknown)."""
        try:
            resp = self.conn.compute.get(f"/os-migrations?instance_uuid={server_id}",
                                         microversion="2.59")
            migs = resp.json().get("migrations", []) if resp.status_code == 200 else []
        except Exception:  # noqa: BLE001 - used for hints and progress only
            return []
        return sorted(migs, key=lambda m: (m.get("created_at") or "", m.get("id") or 0))

    def console(self, server, length=None):
        out = self.conn.compute.get_server_console_output(server, length=length)
        return out.get("output", "") if isinstance(out, dict) else str(out)

    def rotation_record(self):
        """The rotate phase's record (--old-secrets: cluster/rotation.py's
        {secrets, server, console}), read once; None without the option."""
        if not self.args.old_secrets:
            return None
        if self._rotation_record is None:
            with open(self.args.old_secrets, encoding="utf-8") as fh:
                self._rotation_record = json.load(fh)
        return self._rotation_record

    def find_server(self):
        for srv in self.conn.compute.servers(name=f"^{re.escape(self.args.server_name)}$"):
            if srv.name == self.args.server_name:
                return self.conn.compute.get_server(srv.id)
        return None

    def server_port(self, server, net=None):
        """The instance's Neutron port on the verification network."""
        net = net or self.conn.network.find_network(self.args.network)
        if net is None:
            raise CheckFailed(f"network {self.args.network} does not exist")
        ports = list(self.conn.network.ports(device_id=server.id, network_id=net.id))
        if not ports:
            raise CheckFailed(f"instance {server.id} has no port on {self.args.network}")
        return ports[0]

    def server_ipv4(self, server, net=None):
        """(address, subnet id) of the instance's port on the verification network."""
        port = self.server_port(server, net)
        ips = [ip for ip in port.fixed_ips or [] if ":" not in ip["ip_address"]]
        if not ips:
            raise CheckFailed(f"instance {server.id}: port {port.id} has no IPv4 address")
        return ips[0]["ip_address"], ips[0]["subnet_id"]

    def nova_services(self):
        return [{"binary": s.binary, "host": s.host, "state": s.state, "status": s.status}
                for s in self.conn.compute.services()]

    def neutron_agents(self):
        agents = []
        for a in self.conn.network.agents():
            conf = a.configuration or {}
            agents.append({"agent_type": a.agent_type, "host": a.host, "alive": a.is_alive,
                           "admin_state_up": a.is_admin_state_up,
                           "chassis": conf.get("chassis_name"),
                           "bridge_mappings": conf.get("bridge-mappings")})
        return agents

    def gluster(self, subcommand, host=None, timeout=90):
        """Run a gluster command on `host`, or on the first compute that answers."""
        cmd = f"gluster --mode=script {subcommand}"
        for host in ([host] if host else self.computes):
            ans = self.salt_one(host, cmd, timeout)
            if ans["retcode"] is not None:
                break
        if ans["retcode"] != 0:
            raise CheckFailed(f"{host}: `{cmd}` failed: "
                              f"{(ans['stderr'] or ans['stdout']).strip()[-300:]}")
        return ans["stdout"]

    @property
    def volume(self):
        return (self.pillar.get("gluster") or {}).get("volume", "nova-instances")

    # -- the instance ------------------------------------------------------
    def ensure_server(self):
        """The running verification instance: this run's, a kept one, or a new one."""
        if self.server is not None:
            return self.server
        if self.boot_attempted:
            raise Skipped(f"needs the instance that check 4 could not boot ({self.boot_error})")
        existing = self.find_server()
        if existing is not None and existing.status == "ACTIVE":
            self.server = existing
            self.token = (existing.metadata or {}).get("verify_token")
            if existing.key_name:
                try:
                    self.public_key = self.conn.compute.get_keypair(existing.key_name).public_key
                    self.keypair = existing.key_name
                    # A key pair of an earlier run of verify: cleaned up with the instance.
                    self.created_keypair = existing.key_name.startswith("verify-")
                except Exception:  # noqa: BLE001 - the key is optional for reuse
                    self.public_key = None
            log(f"reusing instance {existing.name} ({existing.id}) on {existing.compute_host}")
            return existing
        self.boot()
        return self.server

    def boot(self, availability_zone=None, name=None):
        """Boot the verification instance (or, with `name`, a probe instance)
        and wait for its console markers.  A guest that got no DHCP lease is
        deleted and booted once more, and that is said in the check's detail
        (`notes`): the userspace datapath's lost leases (cluster/README.md, "Tempest")."""
        if name is None:
            self.boot_attempted = True
        try:
            try:
                return self._boot(availability_zone, name)
            except NoLease as exc:
                self.notes.append(f"first boot: no DHCP lease, booted again ({exc})")
                log(f"{exc}; booting once more")
                probe = name or self.args.server_name
                for srv in self.conn.compute.servers(name=f"^{re.escape(probe)}$"):
                    self.conn.compute.delete_server(srv)
                if name is None:  # later checks must not get the deleted one
                    self.server, self.created_server = None, False
                poll(f"{probe} deleted", lambda: not list(
                    self.conn.compute.servers(name=f"^{re.escape(probe)}$")), self.args.boot_timeout)
                result = self._boot(availability_zone, name)
                self.notes[-1] = "FLAKY: " + self.notes[-1]
                return result
        except Exception as exc:
            if name is None:
                self.boot_error = str(exc)
            raise

    def lease_diagnostics(self, server, port):
        """What the guest's compute says of its port and OVN's DHCP
        (lease_probe_command): a line, best effort."""
        host = minion_of(self.hosts, server.compute_host) or server.compute_host
        try:
            ans = self.salt_one(host, lease_probe_command(f"tap{port.id[:11]}", port.mac_address), 60)
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"diagnostics failed: {exc}"
        return " ".join((ans.get("stdout") or ans.get("stderr") or "no answer").split())[:1200]

    def _boot(self, availability_zone=None, name=None):
        conn, args = self.conn, self.args
        name = name or args.server_name
        old = self.find_server() if name == args.server_name else None
        if old is not None:
            log(f"deleting the previous instance {old.name} ({old.id})")
            conn.compute.delete_server(old)
            poll("previous instance deleted", lambda: self.find_server() is None,
                 args.boot_timeout)
        image = conn.image.find_image(args.image)
        if image is None:
            raise CheckFailed(f"image {args.image} not in Glance (see check 2)")
        flavor = conn.compute.find_flavor(args.flavor)
        if flavor is None:
            raise CheckFailed(f"flavor {args.flavor} does not exist")
        net = conn.network.find_network(args.network)
        if net is None:
            raise CheckFailed(f"network {args.network} does not exist")
        if self.keypair is None:
            kp_name = f"verify-{uuid.uuid4().hex[:8]}"
            kp = conn.compute.create_keypair(name=kp_name)
            self.keypair, self.public_key, self.created_keypair = kp_name, kp.public_key, True
            # The private key is never used nor stored.
        self.token = self.token or f"verify-userdata-{uuid.uuid4().hex[:12]}"
        userdata = f"#!/bin/sh\necho {self.token}\n"
        attrs = {
            "name": name,
            "image_id": image.id,
            "flavor_id": flavor.id,
            "networks": [{"uuid": net.id}],
            "key_name": self.keypair,
            "user_data": base64.b64encode(userdata.encode()).decode(),
            "metadata": {"verify_token": self.token},
        }
        if name == args.server_name:
            # The verification instance has a config drive: nova-compute
            # builds it with [DEFAULT] mkisofs_cmd (issue 10: without the
            # program every such instance went to ERROR); check 3 (storage)
            # reads it back from the shared volume.
            attrs["config_drive"] = True
        if availability_zone:
            attrs["availability_zone"] = availability_zone
        t0 = time.monotonic()
        server = conn.compute.create_server(**attrs)
        if name == args.server_name:
            self.server, self.created_server = server, True
        log(f"booting {name} ({server.id}) from {args.image} on {args.network}")

        def active():
            srv = conn.compute.get_server(server.id)
            if srv.status == "ERROR":
                raise CheckFailed(f"instance {server.id} went to ERROR: {self.fault(srv)}")
            return srv if srv.status == "ACTIVE" else None

        server = poll(f"instance {server.id} ACTIVE", active, args.boot_timeout)
        if name == args.server_name:
            self.server = server
        t_active = time.monotonic() - t0
        address, subnet_id = self.server_ipv4(server, net)
        # What the guest must print: Neutron's address for its port, a lease
        # from OVN's native DHCP (server id = the subnet's gateway) with the
        # network's MTU (1442 on Geneve), the metadata agent's answers.
        expect = {"address": address, "userdata_token": self.token,
                  "public_key": self.public_key, "server_id": server.id,
                  "dhcp_server": conn.network.get_subnet(subnet_id).gateway_ip, "mtu": net.mtu}
        last = {}

        def markers():
            info = parse_console(self.console(server))
            last["info"] = info
            return info if info["alive"] and not console_problems(info, **expect) else None

        try:
            info = poll("console markers", markers, args.console_timeout, interval=5)
        except CheckFailed:
            info = last.get("info")
            problems = console_problems(info, **expect) if info else ["console log unreadable"]
            where = f"instance {server.id} on {server.compute_host}: "
            if lost_lease(info):
                try:
                    seen = self.lease_diagnostics(server, self.server_port(server, net))
                except CheckFailed as exc:
                    seen = f"diagnostics failed: {exc}"
                raise NoLease(where + "; ".join(problems) + "; " + seen) from None
            raise CheckFailed(where + "; ".join(problems)) from None
        t_console = time.monotonic() - t0
        return server, info, address, t_active, t_console

    def cleanup(self):
        if self.args.keep:
            if self.server is not None:
                log(f"--keep: instance {self.server.name} ({self.server.id}) left running")
            return
        try:
            self.delete_floating_ips()
        except Exception as exc:  # noqa: BLE001 - report and go on
            log(f"cleanup: floating IPs: {exc}")
        if self.server is not None or self.find_server() is not None:
            srv = self.server or self.find_server()
            try:
                log(f"deleting instance {srv.name} ({srv.id})")
                self.conn.compute.delete_server(srv)
                poll("instance deleted", lambda: self.conn.compute.find_server(srv.id) is None,
                     120)
            except Exception as exc:  # noqa: BLE001 - report and go on
                log(f"cleanup: instance {srv.id}: {exc}")
            if not self.keypair and srv.key_name and srv.key_name.startswith("verify-"):
                self.keypair, self.created_keypair = srv.key_name, True
        if self.keypair and self.created_keypair:
            try:
                self.conn.compute.delete_keypair(self.keypair, ignore_missing=True)
            except Exception as exc:  # noqa: BLE001
                log(f"cleanup: key pair {self.keypair}: {exc}")


def salt_call(*command, who="verify"):
    """salt-call's answer on this host (--no-return-event: nothing to the
    master's job cache); SystemExit, naming ``who``, when salt-call fails."""
    proc = run(["salt-call", "--no-return-event", "--out=json", *command], timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"{who}: salt-call {command[0]} failed: "
                         + proc.stderr.strip()[-300:])
    return parse_salt_json(proc.stdout).get("local")


def run(cmd, timeout, input_text=None):
    """subprocess.run bounded by timeout; never raises for a non-zero status."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              input=input_text, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return subprocess.CompletedProcess(cmd, 124, out, f"timed out after {timeout} s")
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(cmd, 127, "", str(exc))


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
