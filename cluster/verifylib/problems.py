"""
Pure logic that holds the cloud's answers against what the model wants
(unit-tested through cluster/verify.py in tests/unit/test_verify_logic.py):
the pillar's host map, the guest's console (its volume reports too) and
the lease probe, heal info,
the floating IP to use, the nova service and neutron agent tables, OVN's
tunnels and TLS, the loopback-only ports, the flavors, subnets and
security group rules the model declares (check "resources") and Cinder's
volume types (check 11).  Each
*_problems function returns sentences, [] when all is well.
"""

import re

from .common import (NOVA_SERVICES, OVN_AGENT_TYPES, OVN_CONTROLLER_AGENT, OVN_CONTROLLER_GW_AGENT,
                     OVN_METADATA_AGENT)
from .parse import key_body, parse_bridge_mappings


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


#: The server metadata key the verification guest's /init reads to write
#: a marker on a volume (cluster/image/init, vol_asked): "VOLUME_ID TOKEN".
VOLUME_WRITE_KEY = "verify_volume"


def volume_report(info, volume_id, after_n=0):
    """
    The guest's report of Cinder volume ``volume_id``'s disk in a parsed
    console (parse_console's "volumes"), printed after its loop counter
    ``after_n``: {device, serial, data, n}, or None.  The disk's serial is
    the start of the volume's id (virtio keeps 20 characters of nova's).
    """
    for device, vol in sorted((info or {}).get("volumes", {}).items()):
        if vol["serial"] and len(vol["serial"]) >= 8 and volume_id.startswith(vol["serial"]) \
                and vol["n"] > after_n:
            return dict(vol, device=device)
    return None


def volume_io_problem(info, volume_id, token, after_n=0):
    """Why the console does not show ``token`` read back from the volume
    after loop ``after_n`` (None: it does)."""
    seen = volume_report(info, volume_id, after_n)
    if seen is None:
        disks = sorted(((info or {}).get("disks") or {}))
        return f"no VERIFY-VOLUME line of volume {volume_id[:20]} after loop {after_n} (disks: {disks})"
    if seen["data"] == token:
        return None
    failed = (info or {}).get("volume_failed")
    return (f"{seen['device']} (serial {seen['serial']}) reads "
            f"{seen['data'] or 'no marker'}, not {token}" + (f"; {failed}" if failed else ""))


def last_loop(info):
    """The guest's loop counter in its last VERIFY-ALIVE line (0: none)."""
    return info["alive"][-1]["n"] if info and info["alive"] else 0


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
# Read independently of openstack_cloud's planner (_utils/saltext_openstack_cloud*.py):
# the API's values are compared with the validated model's as they are.
FLAVOR_FIELDS = ("vcpus", "ram", "disk", "ephemeral", "swap")
RULE_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max")
ANY_ADDRESS = {None, "0.0.0.0/0", "::/0"}


def volume_type_problems(backends, default_type, volume_types):
    """
    The model's cinder backends ([{name, volume_type}]) and
    ``default_volume_type`` against Cinder's volume types (an admin's
    listing, is_public=None: [{name, is_public, extra_specs}]): each
    backend's type exists once, is public and selects the backend
    (``volume_backend_name`` = its ``backend_name``); the default type is one of them.
    """
    found = {}
    for volume_type in volume_types:
        found.setdefault(volume_type.get("name"), []).append(volume_type)
    problems = []
    for backend in backends:
        name = backend["volume_type"]
        have = found.get(name) or []
        if len(have) != 1:
            problems.append(f"volume type {name}: {len(have)} in Cinder, not 1")
            continue
        selects = (have[0].get("extra_specs") or {}).get("volume_backend_name")
        if selects != backend["backend_name"]:
            problems.append(f"volume type {name}: volume_backend_name {selects}, "
                            f"model {backend['backend_name']}")
        public = have[0].get("os-volume-type-access:is_public", have[0].get("is_public"))
        if public is not True:
            problems.append(f"volume type {name}: public {public}, pillar True")
    if default_type not in {backend["volume_type"] for backend in backends}:
        problems.append(f"default volume type {default_type}: the type of no backend")
    return problems


def blockstorage_backend(backends, default_type, lvm_reasons):
    """
    Which backend check 11 makes its volume on: (the backend, or None when
    none can work here, [why each lvm backend is left out]).  An rbd
    backend needs no kernel support on the hosts (librbd in cinder-volume
    and in QEMU); an lvm backend needs what ``lvm_reasons`` (verify's
    kernel_block_support: device-mapper, iSCSI) says is missing, if
    anything.  The default volume type's backend when it can work, else
    the first that can.
    """
    usable = [b for b in backends if b["type"] == "rbd" or not lvm_reasons]
    left_out = [f"lvm backend {b['name']} not tried: {'; '.join(lvm_reasons)}"
                for b in backends if b["type"] == "lvm" and lvm_reasons]
    chosen = next((b for b in usable if b["volume_type"] == default_type),
                  usable[0] if usable else None)
    return chosen, left_out


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
