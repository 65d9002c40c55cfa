#!/usr/bin/env python3
"""
The rotate phase's first step, on the controller (cluster/run rotate):

    python3 /vagrant/cluster/rotation.py --overlay /vagrant/.cluster/pillar-overlay.yaml \
        --old /root/rotation-old.json

Reads every secret of the cloud from the master's own pillar (verify's
master_secrets: compiled outside any job), keeps them and the kept
verification instance's console (for verify's rotation check: old
secrets must be refused, the instance must still run the same boot) in
``--old`` (0600, root), and writes a new random value for each into the
pillar overlay (0600), keeping whatever else the overlay holds (the
drift phase's changes).  Nothing secret is printed; the next
orchestration rotates them (docs/operations.md, "Rotating a password").
"""
import argparse
import json
import os
import re
import secrets
import string
import sys

import yaml

import verify  # cluster/verify.py, beside this file

# Characters a rotated password is made of: letters and digits, and some
# that URLs, oslo.config and shells would misread if unquoted ('/', '@',
# ':', '$'), so that the rotation also proves the quoting (issue 11, items
# 1 and 9).  RabbitMQ's CLI refuses a '$' not at the end, so '$' comes
# last.  ('%' is left out: not yet proven through every *-manage's alembic
# configuration, which interpolates it.)
ALPHABET = string.ascii_letters + string.digits
AWKWARD = "/@:"


def excluded_characters(limits):
    """{secret: the characters of AWKWARD and '$' it may not hold}, from
    ``openstack_pillar.password_limits`` (the validator's own rules)."""
    return {name: "".join(c for c in AWKWARD + "$" if re.search(limit["refused"], c))
            for name, limit in limits.items()}


def password_limits():
    """openstack_pillar.password_limits, from this host's minion."""
    limits = verify.salt_call("openstack_pillar.password_limits", who="rotation")
    if not isinstance(limits, dict):
        raise SystemExit(f"rotation: salt-call openstack_pillar.password_limits: {limits!r:.400}")
    return limits


def new_secret(name, limits):
    """A fresh random value for pillar secret ``name`` (long enough for the
    validator's key lengths), holding none of the characters ``limits``
    (password_limits) refuse it."""
    length = 64 if name in ("horizon_secret_key", "memcache_secret_key") else 24
    body = "".join(secrets.choice(ALPHABET) for _ in range(length))
    excluded = excluded_characters(limits).get(name, "")
    awkward = [c for c in AWKWARD if c not in excluded] or ["-"]
    last = "$" if "$" not in excluded else "~"
    value = body[:8] + secrets.choice(awkward) + body[8:] + last
    if name in limits and re.search(limits[name]["refused"], value):
        raise SystemExit(f"rotation: no new value for {name} within its limits: "
                         + limits[name]["why"])
    return value


def write_private(path, text):
    """Write ``text`` to ``path``, 0600 from the start (a temporary file of
    its own, never one an earlier run left with another mode)."""
    try:
        os.unlink(path + ".tmp")
    except FileNotFoundError:
        pass
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(path + ".tmp", path)


def kept_console(openrc, server_name):
    """The console of the kept verification instance, or None."""
    import openstack  # noqa: PLC0415 - on the controller

    with open(openrc, encoding="utf-8") as fh:
        conn = openstack.connect(**verify.sdk_auth_args(verify.parse_openrc(fh.read())))
    server = conn.compute.find_server(server_name, all_projects=True)
    if server is None:
        return None, None
    try:
        return server.id, conn.compute.get_server_console_output(server)["output"]
    except openstack.exceptions.SDKException as exc:
        # A cloud that cannot show a console is no cloud to rotate: say so.
        raise SystemExit(f"rotation: the console of {server_name} ({server.id}) cannot be "
                         f"read, so the cloud is not healthy enough to rotate: {exc}") from None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--overlay", required=True)
    ap.add_argument("--old", required=True)
    ap.add_argument("--openrc", default=verify.OPENRC)
    ap.add_argument("--server-name", default="verify-instance")
    args = ap.parse_args(argv)
    # The passwords alone: the operator's TLS keys are not the cloud's to rotate.
    limits = password_limits()  # before anything is written
    old = verify.master_secrets(verify.salt_master_python(), "/etc/salt/master", keys=False)
    server, console = kept_console(args.openrc, args.server_name)
    kept = sorted(name for name in old if limits.get(name, {}).get("external"))
    write_private(args.old, json.dumps({"secrets": old, "kept": kept, "server": server,
                                        "console": console}))
    try:
        with open(args.overlay, encoding="utf-8") as fh:
            overlay = yaml.safe_load(fh) or {}
    except FileNotFoundError:
        overlay = {}
    # Keys another system issues (a cephx key) keep their value: the
    # overlay leaves them to the pillar, and the record names them.
    overlay.setdefault("openstack", {})["passwords"] = {name: new_secret(name, limits)
                                                        for name in old if name not in kept}
    write_private(args.overlay, "# cluster/rotation.py: every secret rotated\n"
                  + yaml.safe_dump(overlay, default_flow_style=False))
    print(f"rotation: {len(old) - len(kept)} secrets get new values"
          + (f"; kept, issued elsewhere: {', '.join(kept)}" if kept else "")
          + (f"; instance {server} kept" if server else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
