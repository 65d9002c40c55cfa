"""
cluster/verify.py's checks of what the pillar declares: resources (the
flavors, subnets and security groups of the model), rotation (every
secret rotated: new ones work, old ones refused) and 12 secrets (not
leaked, held per role, config files 0640, the master's CA trusted).  Each
check takes the Cloud (client.py) and returns a detail string (PASS) or
raises CheckFailed, NotRunnable or Skipped (common.py).
"""

import hashlib
import os
import tempfile

from .client import run
from .common import CheckFailed, Skipped, fail_if
from .parse import parse_console
from .problems import flavor_problems, roles_hosts, rule_problems, still_running, subnet_problems
from .secret_scan import (CA_TRUST_COMMAND, SECRET_DIRS, SECRET_LINE, TLS_CA_CERT, TLS_ISSUED_DIR,
                          ca_trust_problems, master_secrets, operator_key_problems,
                          salt_master_python, secret_file_problems, secret_leaks,
                          secret_scope_problems, tls_key_secrets)


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
    fail_if(problems)
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
    # Keys another system issues keep their value (rotation.py, "kept").
    kept = set(before.get("kept") or ())
    problems = rotation_problems({k: v for k, v in old.items() if k not in kept},
                                 {k: v for k, v in new.items() if k not in kept})
    users = {name: name for name in ("admin", *cloud.service_users)}
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
    fail_if(problems)
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
