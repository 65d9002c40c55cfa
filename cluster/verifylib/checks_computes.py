"""
cluster/verify.py's checks of the computes and their storage: 6 storage
(the GlusterFS instances volume), 7 migration, 8 idempotency (always
SKIPPED here), 9 scaleout, 10 faults, heal, replace, retire, and 11
blockstorage.  Each check takes the Cloud (client.py) and returns a
detail string (PASS) or raises CheckFailed, NotRunnable or Skipped
(common.py).
"""

import os
import re
import shlex
import time
import uuid

from .client import log, poll, run
from .common import INSTANCES_DIR, CheckFailed, NotRunnable, Skipped, fail_if
from .parse import (parse_console, parse_gluster_heal_info, parse_gluster_volume_info,
                    parse_gluster_volume_status, parse_list_hosts)
from .problems import (VOLUME_WRITE_KEY, blockstorage_backend, expected_neutron_agents,
                       expected_replica, heal_problems, last_loop, short, still_running,
                       volume_io_problem, volume_report, volume_type_problems)


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
    if info["status"] != "started":
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
    fail_if(problems)
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


def _migration_targets(cloud, source):
    """The other computes whose nova-compute is up and enabled (as nova
    names them), and {short name: nova's name} of all those up."""
    up = {short(s["host"]): s["host"] for s in cloud.nova_services()
          if s["binary"] == "nova-compute" and s["state"] == "up" and s["status"] == "enabled"}
    return [up[short(c)] for c in cloud.computes if short(c) != short(source) and short(c) in up], up


def check_migration(cloud):
    conn, args = cloud.conn, cloud.args
    server = cloud.ensure_server()
    server = conn.compute.get_server(server.id)
    source = server.compute_host
    targets, up = _migration_targets(cloud, source)
    if args.to:
        if short(args.to) == short(source):
            return f"the instance is on {source} already: nothing to migrate"
        targets = [t for t in targets if short(t) == short(args.to)]
    if not targets:
        raise CheckFailed(f"no other compute up to migrate to (source {source}, up: {sorted(up)}"
                          + (f", asked for {args.to})" if args.to else ")"))
    target = targets[0]
    problems = native_tls_problems(cloud.salt([source, target], NATIVE_TLS_COMMAND))
    fail_if(problems)
    _, elapsed, why = _live_migrate(cloud, server, target)
    return (f"{source} -> {target} in {elapsed:.0f} s (not block; the stream over QEMU's "
            f"native TLS, peers verified against the cloud's CA); {why}")


def _live_migrate(cloud, server, target, settled=None):
    """
    Live-migrate ``server`` (no block migration) to ``target`` and wait
    until the same guest runs there: (the server as nova then has it, the
    seconds the migration took, how the guest ran on).  ``settled(info)``,
    if given, must also hold for the destination's console (parsed) and
    says why not (None: it holds).  CheckFailed otherwise.
    """
    conn, args = cloud.conn, cloud.args
    source = server.compute_host
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
    if cloud.server is not None and cloud.server.id == srv.id:
        cloud.server = srv
    # The destination's console log starts empty: wait for markers to reappear.
    last = {}

    def alive_again():
        info = parse_console(cloud.console(srv))
        last["info"] = info
        ok, _ = still_running(before, info)
        return info if ok and not (settled and settled(info)) else None

    try:
        after = poll("guest markers on the destination", alive_again, 120, interval=5)
    except CheckFailed:
        info = last.get("info") or parse_console("")
        ok, why = still_running(before, info)
        if ok and settled:
            why = settled(info)
        raise CheckFailed(f"migrated to {target} in {elapsed:.0f} s but the guest: {why}") from None
    _, why = still_running(before, after)
    return srv, elapsed, why


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
    fail_if(problems)
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
    fail_if(problems)
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
    fail_if(problems)
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
    fail_if(problems)
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
    fail_if(problems)
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


def _cinder_list(conn, path, key, params=None):
    """The ``key`` list of Cinder's answer to GET ``path``; CheckFailed if it does not answer."""
    try:
        resp = conn.block_storage.get(path, params=params)
        if resp.status_code != 200:
            raise CheckFailed(f"Cinder API {path}: HTTP {resp.status_code}")
        return resp.json().get(key, [])
    except CheckFailed:
        raise
    except Exception as exc:  # noqa: BLE001
        raise CheckFailed(f"Cinder API {path}: {exc}") from None


def check_blockstorage(cloud):
    conn = cloud.conn
    # What runs everywhere: the API answers, the scheduler is up.
    problems = []
    services = _cinder_list(conn, "/os-services", "services")
    sched = [s for s in services if s.get("binary") == "cinder-scheduler"]
    if not sched or not any(s.get("state") == "up" for s in sched):
        problems.append("cinder-scheduler not up")
    # Each backend's volume type (cloud.volume_types), API only: checked
    # on every kernel.
    cinder = cloud.model["cinder"]
    types = _cinder_list(conn, "/types", "volume_types", params={"is_public": "None"})
    problems += volume_type_problems(cinder["backends"], cinder["default_volume_type"], types)
    vol_svcs = [s for s in services if s.get("binary") == "cinder-volume"]
    vol_state = ", ".join(f"{s.get('host')} {s.get('state')}" for s in vol_svcs) or "not registered"
    if problems:
        raise CheckFailed("; ".join(problems) + f"; cinder-volume: {vol_state}")
    # What the kernel lacks concerns the lvm backends alone (rbd needs none).
    lvm = any(b["type"] == "lvm" for b in cinder["backends"])
    reasons = kernel_block_support(cloud) if lvm else []
    backend, left_out = blockstorage_backend(cinder["backends"], cinder["default_volume_type"],
                                             reasons)
    if backend is None:
        raise NotRunnable("; ".join(reasons) + f" (Cinder API and scheduler up, volume types "
                          f"{', '.join(b['volume_type'] for b in cinder['backends'])} as declared; "
                          f"cinder-volume: {vol_state})")
    # The chosen backend's cinder-volume (host@<backend name>) must be up:
    # the scheduler would otherwise fail the volume with "No valid backend".
    def backend_up():
        try:
            svcs = _cinder_list(conn, "/os-services", "services", params={"binary": "cinder-volume"})
        except CheckFailed as exc:  # a transient API error: asked again
            log(f"cinder-volume services: {exc}")
            return None
        return [s for s in svcs if str(s.get("host", "")).endswith("@" + backend["name"])
                and s.get("state") == "up"]

    poll(f"cinder-volume of backend {backend['name']} up", backend_up, 120, interval=5)
    # The real thing, on the running instance, then on one booted from a volume.
    attached = _volume_on_instance(cloud, cloud.ensure_server(), backend)
    booted = _boot_from_volume(cloud, backend)
    return (f"volume types {', '.join(b['volume_type'] for b in cinder['backends'])} as declared; "
            f"1 GiB volumes of type {backend['volume_type']} ({backend['type']} backend "
            f"{backend['name']}): {attached}; {booted}"
            + "".join(f"; {why}" for why in left_out))


def _volume_available(cloud, vol_id, what):
    """The volume once available; CheckFailed when it goes to error."""
    def available():
        now = cloud.conn.get_volume_by_id(vol_id)
        if now.status == "error":
            raise CheckFailed(f"{what} {vol_id} went to error")
        return now if now.status == "available" else None

    return poll(f"{what} {vol_id} available", available, cloud.args.boot_timeout, interval=3)


def _detach_volume(cloud, server, vol_id):
    """Detach and wait (bounded) until Cinder has the volume available."""
    cloud.conn.detach_volume(server, {"id": vol_id}, wait=False)
    _volume_available(cloud, vol_id, "detached volume")


def _cleanup(cloud, failing, steps):
    """
    Run every clean-up step ``[(what, fn)]``, whatever the others did.
    When the check is failing already, their errors are logged and noted
    (the first failure stays the check's); otherwise the first one is
    raised once all have run.
    """
    errors = []
    for what, fn in steps:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - collected, re-raised below
            log(f"cleanup: {what}: {exc}")
            errors.append((what, exc))
    if errors and not failing:
        raise errors[0][1]
    cloud.notes.extend(f"cleanup of {what} failed too: {exc}" for what, exc in errors)


# The volume states a delete or a detach can start from (Cinder refuses
# both while a volume is creating, attaching, reserved, detaching...).
_SETTLED = ("available", "in-use", "error", "error_restoring", "error_extending")


def _delete_volume(cloud, vol_id, server=None):
    """Delete a volume verify made in any state (detached from ``server``
    first): no leftover for the next run's check, nor for Tempest's quota.
    A volume still in a transitional state when the wait ends is deleted
    by force (the admin's os-force_delete)."""
    conn, timeout = cloud.conn, cloud.args.boot_timeout
    left = conn.get_volume(vol_id)
    if left is None:
        return
    if left.status == "deleting":  # e.g. by nova, with its instance
        conn.block_storage.wait_for_delete(left, wait=timeout)
        return

    def settled():
        now = conn.get_volume(vol_id)
        if now is None:
            return "gone"
        return now if now.status in _SETTLED else None

    try:
        left = poll(f"volume {vol_id} out of {left.status}", settled, timeout, interval=3)
    except CheckFailed:
        log(f"volume {vol_id} still in a transitional state: deleted by force")
        conn.delete_volume(vol_id, wait=True, timeout=timeout, force=True)
        return
    if left == "gone":
        return
    if left.status == "in-use" and server is not None:
        _detach_volume(cloud, server, vol_id)
    conn.delete_volume(vol_id, wait=True, timeout=timeout)


def _forget_write_request(cloud, server_id):
    srv = cloud.conn.compute.get_server(server_id)
    if VOLUME_WRITE_KEY in (srv.metadata or {}):
        cloud.conn.compute.delete_server_metadata(server_id, [VOLUME_WRITE_KEY])


def _volume_on_instance(cloud, server, backend):
    """
    Create a volume, attach it to the running instance, have the guest
    write a token verify chose on it and read it back (O_DIRECT), live-
    migrate the instance with the volume attached and see the guest read
    the token there (from the volume: nothing rewrites it), detach (the
    guest sees the disk go), delete.  The detail's words.
    """
    conn, args = cloud.conn, cloud.args
    token = f"verify-vol-{uuid.uuid4().hex[:12]}"
    vol = conn.create_volume(size=1, name=f"{args.server_name}-vol", wait=False,
                             volume_type=backend["volume_type"])
    failing = True
    try:
        # attach_volume reads the status of the object it is given
        ready = _volume_available(cloud, vol.id, f"volume of type {backend['volume_type']}")
        base = last_loop(parse_console(cloud.console(server)))
        # The guest writes the token on this volume's disk only (its serial).
        conn.compute.set_server_metadata(server.id, **{VOLUME_WRITE_KEY: f"{vol.id} {token}"})
        conn.attach_volume(server, ready, wait=True, timeout=args.boot_timeout)
        last = {}

        def written():
            last["info"] = info = parse_console(cloud.console(server))
            return volume_io_problem(info, vol.id, token, base) is None and info

        try:
            info = poll("the guest writes and reads back the volume's marker", written,
                        args.console_timeout, interval=5)
        except CheckFailed as exc:
            raise CheckFailed(f"{exc}: {volume_io_problem(last.get('info'), vol.id, token, base)}") from None
        device = volume_report(info, vol.id)["device"]
        said = [f"attached as {device}, the guest wrote a marker and read it back (O_DIRECT)"]
        # Live migration with the volume attached: the guest reads the
        # marker on the destination (written once: it comes from the volume).
        srv = conn.compute.get_server(server.id)
        targets, up = _migration_targets(cloud, srv.compute_host)
        if targets:
            moved = last_loop(parse_console(cloud.console(srv)))
            source = srv.compute_host
            srv, elapsed, _ = _live_migrate(
                cloud, srv, targets[0],
                settled=lambda info: volume_io_problem(info, vol.id, token, moved))
            said.append(f"live-migrated with it {source} -> {srv.compute_host} in {elapsed:.0f} s, "
                        f"the marker read there")
        elif len(cloud.computes) > 1:
            raise CheckFailed(f"no other compute up to migrate to with the volume attached "
                              f"(source {srv.compute_host}, up: {sorted(up)})")
        else:
            said.append("no live migration (one compute)")
        _forget_write_request(cloud, server.id)
        gone_after = last_loop(parse_console(cloud.console(srv)))
        _detach_volume(cloud, srv, vol.id)

        def gone():
            info = parse_console(cloud.console(srv))
            return last_loop(info) > gone_after and device not in (info["disks"] or {})

        poll(f"{device} gone from the guest", gone, 120, interval=5)
        said.append("detached (gone from the guest), deleted")
        failing = False
    finally:
        _cleanup(cloud, failing, [
            ("the write request", lambda: _forget_write_request(cloud, server.id)),
            (f"volume {vol.id}", lambda: _delete_volume(cloud, vol.id, server))])
    return ", ".join(said)


def _boot_from_volume(cloud, backend):
    """
    A bootable volume made from the verification image (its kernel_id and
    ramdisk_id come along in volume_image_metadata: nova boots the kernel
    and initramfs, the volume is the root disk vda), an instance booted
    from it (deleted with it), its console's boot line and loop.  The
    detail's words.
    """
    conn, args = cloud.conn, cloud.args
    image = conn.image.find_image(args.image)
    if image is None:
        raise CheckFailed(f"image {args.image} not in Glance (see check 2)")
    flavor = conn.compute.find_flavor(args.flavor)
    net = conn.network.find_network(args.network)
    if flavor is None or net is None:
        raise CheckFailed(f"flavor {args.flavor} or network {args.network} does not exist")
    name = f"{args.server_name}-bfv"
    t0 = time.monotonic()
    vol = conn.create_volume(size=1, name=name, wait=False, image=image,
                             volume_type=backend["volume_type"])
    srv = None
    failing = True
    try:
        ready = _volume_available(cloud, vol.id, f"volume from image {args.image}")
        meta = ready.volume_image_metadata or {}
        if not ready.is_bootable or not meta.get("kernel_id"):
            raise CheckFailed(f"volume {vol.id} from image {args.image}: bootable "
                              f"{ready.is_bootable}, image metadata {sorted(meta)} (no kernel_id)")
        t_volume = time.monotonic() - t0
        srv = conn.compute.create_server(
            name=name, flavor_id=flavor.id, networks=[{"uuid": net.id}],
            block_device_mapping=[{"boot_index": 0, "uuid": vol.id, "source_type": "volume",
                                   "destination_type": "volume",
                                   "delete_on_termination": True}])
        log(f"booting {name} ({srv.id}) from volume {vol.id}")

        def active():
            now = conn.compute.get_server(srv.id)
            if now.status == "ERROR":
                raise CheckFailed(f"instance {srv.id} booted from volume went to ERROR: "
                                  f"{cloud.fault(now)}")
            return now if now.status == "ACTIVE" else None

        srv = poll(f"instance {srv.id} from volume ACTIVE", active, args.boot_timeout)
        last = {}

        def alive():
            last["info"] = info = parse_console(cloud.console(srv))
            return info["boot"] and info["alive"] and info["disks"] and info

        try:
            info = poll("its console's boot line and loop", alive, args.console_timeout, interval=5)
        except CheckFailed as exc:
            raise CheckFailed(f"instance {srv.id} from volume on {srv.compute_host}: {exc} "
                              f"(disks {(last.get('info') or {}).get('disks')})") from None
        root = [getattr(v, "id", None) or getattr(v, "volume_id", None)
                for v in srv.attached_volumes or []]
        if vol.id not in root or (info["disks"].get("vda") or 0) != 1 << 30:
            raise CheckFailed(f"instance {srv.id}: volumes {root}, guest disks {info['disks']}: "
                              f"its root disk is not the 1 GiB volume {vol.id}")
        _delete_server(cloud, srv.id)
        poll(f"volume {vol.id} deleted with its instance (delete_on_termination)",
             lambda: conn.get_volume(vol.id) is None, args.boot_timeout)
        failing = False
    finally:
        # the instance first: its root volume is attached to it
        steps = [(f"instance {srv.id}", lambda: _delete_server(cloud, srv.id))] \
            if srv is not None and failing else []
        _cleanup(cloud, failing, steps + [(f"volume {vol.id}", lambda: _delete_volume(cloud, vol.id))])
    return (f"a bootable volume from {args.image} in {t_volume:.0f} s (kernel and ramdisk from "
            f"its image metadata), an instance booted from it on {srv.compute_host} "
            f"(root disk vda, the guest's boot line and loop), deleted with it")


def _delete_server(cloud, server_id):
    cloud.conn.compute.delete_server(server_id)
    poll(f"instance {server_id} deleted",
         lambda: cloud.conn.compute.find_server(server_id) is None, cloud.args.boot_timeout)
