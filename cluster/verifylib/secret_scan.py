"""
The logic of check "secrets" (and of cluster/rotation.py, which reads the
master's secrets the same way): where secrets are (service configuration
directories, the master's pillar, the TLS keys the master's CA issued),
where the master's CA and each host's copy of it are, and the problems
with leaks, scope (a host holding a secret its roles do not use) and file
modes.
"""

import json
import os
import shutil

from .client import run
from .common import CheckFailed


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
