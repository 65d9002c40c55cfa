#!/usr/bin/env python3
"""
The cloud-resources benchmark (issue 12): the example cloud's flavors,
networks, subnets, router and security-group rules applied by the
``openstack_cloud`` states, against the ``openstack`` CLI loop they
replaced, side by side in one run on the test cluster.

Run on the controller (``cluster/run bench-resources``; the salt-master is
there), on a deployed cloud with no instance yet, or at least none on the
example networks:

    python3 bench/cloud_resources.py [--rounds N]

Each round, for each way:

1. delete the example resources (not timed);
2. apply them from nothing (``cold``);
3. apply them again, nothing to do (``warm``).

The states run as the orchestration's ``openstack-cloud-resources`` step
runs them: ``salt controller state.sls`` of its SLS list, through the
master and the running minion.  The CLI loop is the shape of the formulas
before the states (``openstack X show NAME || openstack X create ...``,
one line per resource): a plain bash script, with no Salt around it, so
the CLI's best case.  At the end the states apply the example again, so
the cloud is as the orchestration leaves it (verify can follow).

Prints one JSON document: the seconds of each run, the number of
resources, and the ratio CLI / states (cold and warm, best of the rounds).
The admin credentials come from /root/admin-openrc (sourced by bash,
never on a command line); nothing printed holds a secret.
"""
import argparse
import json
import pathlib
import shlex
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "cluster"))
import verify  # noqa: E402  cluster/verify.py: salt_call  pylint: disable=wrong-import-position

#: what the orchestration's openstack-cloud-resources step applies
SLS = ("cloud.flavors", "cloud.networks", "cloud.security", "cloud.quotas")
OPENRC = "/root/admin-openrc"
ROUTER = "router"
#: Neutron's protocol numbers for the names the model may hold
PROTOCOLS = {"icmp": "1", "tcp": "6", "udp": "17", "ipv6-icmp": "58"}
ANY = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


class BenchError(Exception):
    """A step of the benchmark failed (the message says which)."""


def q(value):
    return shlex.quote(str(value))


# -- the CLI loop (pure: model in, bash lines out) --------------------------


def _admin_group(name):
    """A shell expression: the id of the admin project's group NAME."""
    return ('"$(openstack security group list --project admin -f value -c ID -c Name'
            f" | awk -v n={q(name)} '$2==n {{print $1}}')\"")


def _rule_options(rule):
    opts = ["--" + rule["direction"], "--ethertype", rule["ethertype"]]
    if rule.get("protocol") is not None:
        opts += ["--protocol", rule["protocol"]]
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if rule.get("protocol") in ("icmp", "ipv6-icmp", "1", "58"):
        if low is not None:
            opts += ["--icmp-type", low]
        if high is not None:
            opts += ["--icmp-code", high]
    elif low is not None:
        opts += ["--dst-port", f"{low}:{high if high is not None else low}"]
    if rule.get("remote_ip_prefix"):
        opts += ["--remote-ip", rule["remote_ip_prefix"]]
    return " ".join(q(o) for o in opts)


def cli_lines(model):
    """The CLI loop for the model's resources: one bash line per resource,
    ``check || create`` as the formulas had them before the states."""
    lines = []
    for name, f in sorted(model["flavors"].items()):
        create = (f"openstack flavor create --vcpus {int(f['vcpus'])} --ram {int(f['ram'])}"
                  f" --disk {int(f['disk'])} --ephemeral {int(f.get('ephemeral') or 0)}"
                  f" --swap {int(f.get('swap') or 0)}"
                  f" {'--public' if f.get('public', True) else '--private'}")
        if f.get("description") is not None:
            create += " --description " + q(f["description"])
        for key, value in sorted((f.get("extra_specs") or {}).items()):
            create += " --property " + q(f"{key}={value}")
        lines.append(f"openstack flavor show {q(name)} >/dev/null 2>&1 || {create} {q(name)} >/dev/null")
    p, s = model["networks"]["provider"], model["networks"]["selfservice"]
    for net, flags in ((p, "--share --external --provider-network-type flat"
                           " --provider-physical-network " + q(p["physical_network"])),
                       (s, "--no-share --internal")):
        mtu = f" --mtu {int(net['mtu'])}" if net.get("mtu") else ""
        lines.append(f"openstack network show {q(net['name'])} >/dev/null 2>&1 || "
                     f"openstack network create {flags}{mtu} {q(net['name'])} >/dev/null")
        create = (f"openstack subnet create --network {q(net['name'])} --subnet-range {q(net['cidr'])}"
                  f" --gateway {q(net['gateway'])}")
        if net.get("allocation_start"):
            create += f" --allocation-pool start={q(net['allocation_start'])},end={q(net['allocation_end'])}"
        for server in net.get("dns_nameservers") or ():
            create += " --dns-nameserver " + q(server)
        lines.append(f"openstack subnet show {q(net['name'])} >/dev/null 2>&1 || "
                     f"{create} {q(net['name'])} >/dev/null")
    lines.append(
        f"openstack router show {ROUTER} -f value -c external_gateway_info | grep -q network_id || "
        f"{{ openstack router create {ROUTER} >/dev/null && "
        f"openstack router add subnet {ROUTER} {q(s['name'])} && "
        f"openstack router set --external-gateway {q(p['name'])} {ROUTER}; }}")
    for name, group in sorted(model["security_groups"].items()):
        if name != "default":
            desc = "" if group.get("description") is None else " --description " + q(group["description"])
            lines.append(f"openstack security group list --project admin -f value -c Name | grep -qxF {q(name)} || "
                         f"openstack security group create{desc} {q(name)} >/dev/null")
        for rule in group["rules"]:
            remote = ""
            if rule.get("remote_group"):
                remote = " --remote-group " + _admin_group(rule["remote_group"])
            lines.append(
                f"openstack security group show -f json {_admin_group(name)}"
                f" | python3 {q(__file__)} match-rule {q(json.dumps(rule, sort_keys=True))} || "
                f"openstack security group rule create {_rule_options(rule)}{remote}"
                f" {_admin_group(name)} >/dev/null")
    return lines


def cli_resources(model):
    """How many resources the loop and the states each declare."""
    groups = model["security_groups"]
    return (len(model["flavors"]) + 4 + 1 + len([g for g in groups if g != "default"])
            + sum(len(g["rules"]) for g in groups.values()))


# -- security group rules: does the group hold the rule? --------------------


def _norm(rule, remote_group_ids=None):
    ethertype = rule.get("ethertype") or "IPv4"
    protocol = rule.get("protocol")
    protocol = None if protocol in (None, "", "any") else PROTOCOLS.get(str(protocol), str(protocol))
    remote = rule.get("remote_group_id") or rule.get("remote_group")
    prefix = rule.get("remote_ip_prefix") or (None if remote else ANY[ethertype])

    def port(value):
        return None if value in (None, "") else int(value)

    return (rule.get("direction") or "ingress", ethertype, protocol,
            port(rule.get("port_range_min")), port(rule.get("port_range_max")),
            prefix, bool(remote))


def group_has_rule(group_doc, rule):
    """group_doc: ``openstack security group show -f json``; rule: the
    model's.  A rule without remote matches 0.0.0.0/0 (the CLI's default)."""
    wanted = _norm(rule)
    return any(_norm(have) == wanted for have in group_doc.get("rules") or ())


# -- cleanup (not timed) -----------------------------------------------------


def cleanup_lines(model):
    """Delete the model's resources; each line may fail (already gone)."""
    p, s = model["networks"]["provider"], model["networks"]["selfservice"]
    lines = [
        f"openstack router remove subnet {ROUTER} {q(s['name'])}",
        f"openstack router unset --external-gateway {ROUTER}",
        f"openstack router delete {ROUTER}",
        f"openstack network delete {q(s['name'])} {q(p['name'])}",
    ]
    lines += [f"openstack flavor delete {q(name)}" for name in sorted(model["flavors"])]
    for name, group in sorted(model["security_groups"].items()):
        if name != "default":
            lines.append(f"openstack security group delete {_admin_group(name)}")
        else:
            for rule in group["rules"]:
                lines.append(
                    f"for id in $(openstack security group show -f json {_admin_group(name)}"
                    f" | python3 {q(__file__)} rule-ids {q(json.dumps(rule, sort_keys=True))}); do"
                    " openstack security group rule delete \"$id\"; done")
    return lines


# -- running ----------------------------------------------------------------


def _bash(lines, tolerate=False):
    script = [f". {OPENRC}"]
    for line in lines:
        script.append(line if tolerate else f"{line} || {{ echo 'failed: '{q(line[:160])} >&2; exit 1; }}")
    proc = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True, check=False)
    if proc.returncode and not tolerate:
        raise BenchError(f"the CLI loop failed: {proc.stderr.strip()[-800:]}")


def _timed(func, *args):
    start = time.monotonic()
    result = func(*args)
    return round(time.monotonic() - start, 2), result


def run_cli(lines):
    _bash(lines)


def run_states(minion):
    proc = subprocess.run(
        ["salt", "--out=json", "--static", "--timeout=600", minion, "state.sls", ",".join(SLS)],
        capture_output=True, text=True, check=False)
    try:
        ret = json.loads(proc.stdout)[minion]
    except (ValueError, KeyError, TypeError):
        raise BenchError(f"state.sls {','.join(SLS)} on {minion}: no result "
                         f"(exit {proc.returncode}): {proc.stderr.strip()[-400:]}") from None
    if not isinstance(ret, dict):
        raise BenchError(f"state.sls on {minion}: {str(ret)[:400]}")
    failed = [key.split("_|-")[1] for key, state in ret.items() if state.get("result") is not True]
    if failed:
        raise BenchError(f"state.sls on {minion}: failed: {', '.join(failed)}")
    unchanged = sorted(key.split("_|-")[1] for key, state in ret.items() if not state.get("changes"))
    return len(ret) - len(unchanged), len(ret), unchanged


def model_of(minion):
    topo = verify.salt_call("openstack_pillar.topology", who="bench-resources")
    if not isinstance(topo, dict):
        raise BenchError(f"openstack_pillar.topology on {minion}: {topo!r:.400}")
    return {key: topo[key] for key in ("flavors", "networks", "security_groups")}


def _rounds(minion, rounds, loop, cleanup, runs):
    """Each round: cleanup, states cold and warm, cleanup, CLI cold and warm."""
    for _ in range(rounds):
        _bash(cleanup, tolerate=True)
        secs, (changed, total, unchanged) = _timed(run_states, minion)
        left = [i for i in unchanged if not i.startswith("cloud-quota-")]
        if left:
            raise BenchError("the cleanup left resources, so the cold run is not from nothing: "
                             + ", ".join(left))
        runs["states"]["cold_s"].append(secs)
        secs, (changed, total, _) = _timed(run_states, minion)
        if changed:
            raise BenchError(f"the states' second run changed {changed} of {total} states")
        runs["states"]["warm_s"].append(secs)
        _bash(cleanup, tolerate=True)
        runs["cli"]["cold_s"].append(_timed(run_cli, loop)[0])
        runs["cli"]["warm_s"].append(_timed(run_cli, loop)[0])


def bench(minion, rounds):
    servers = subprocess.run(["bash", "-c", f". {OPENRC} && openstack server list --all-projects -f value -c ID"],
                             capture_output=True, text=True, check=False)
    if servers.returncode or servers.stdout.strip():
        raise BenchError("the benchmark deletes the example networks: it runs with no instance "
                         f"in the cloud (openstack server list: {servers.stdout.strip()[:200] or servers.stderr.strip()[-200:]})")
    model = model_of(minion)
    loop, cleanup = cli_lines(model), cleanup_lines(model)
    runs = {"states": {"cold_s": [], "warm_s": []}, "cli": {"cold_s": [], "warm_s": []}}
    try:
        _rounds(minion, rounds, loop, cleanup, runs)
    finally:
        # back to what the orchestration made, whatever happened
        _bash(cleanup, tolerate=True)
        run_states(minion)

    best = {way: {k: min(v) for k, v in r.items()} for way, r in runs.items()}
    return {
        "resources": cli_resources(model),
        "cli_commands": len(loop),
        "rounds": rounds,
        "runs": runs,
        "best": best,
        "ratio_cli_to_states": {
            phase: round(best["cli"][f"{phase}_s"] / best["states"][f"{phase}_s"], 1)
            for phase in ("cold", "warm")
        },
    }


def main(argv):
    if argv[:1] in (["match-rule"], ["rule-ids"]):
        rule = json.loads(argv[1])
        doc = json.load(sys.stdin)
        if argv[0] == "match-rule":
            return 0 if group_has_rule(doc, rule) else 1
        wanted = _norm(rule)
        for have in doc.get("rules") or ():
            if _norm(have) == wanted:
                print(have["id"])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--minion", default="controller")
    args = parser.parse_args(argv)
    try:
        doc = bench(args.minion, max(1, args.rounds))
    except BenchError as exc:
        print(f"bench-resources: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
