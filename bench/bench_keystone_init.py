"""
Benchmark: keystone_init.apply versus the openstack CLI, creating the
identity objects of a full cloud (tests/data/keystone_init_full_cloud.yaml:
a project, a role, 5 users with 2 grants each, 5 services with 3 endpoints
each) on a freshly bootstrapped Keystone.

Each side gets its own clone of one bootstrapped SQLite database, served by
uwsgi on 127.0.0.1 (tests/functional/keystone_server.py), with Keystone's
default password hashing (bcrypt, 12 rounds). The CLI side runs one
``openstack`` command per object, as a shell script would. Afterwards
keystone_init.plan is run against the CLI-built Keystone: it must find
nothing to change, which shows that both sides built the same objects.

    .venv/bin/python bench/bench_keystone_init.py [--repeat N]

Prints a table and writes bench/results/keystone_init.json.
"""
import argparse
import json
import os
import pathlib
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

import salt.config
import salt.loader
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "functional"))

from keystone_server import KeystoneServer  # noqa: E402  pylint: disable=wrong-import-position

CONFIG_FILE = REPO / "tests" / "data" / "keystone_init_full_cloud.yaml"
RESULTS = REPO / "bench" / "results" / "keystone_init.json"


def salt_functions(root):
    """The execution modules as a minion loads them (this project's included)."""
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "root_dir": str(root),
            "cachedir": str(root / "cache"),
            "pki_dir": str(root / "pki"),
            "sock_dir": str(root / "sock"),
            "log_file": str(root / "minion.log"),
            # Not the machine's cache, where a synced copy would shadow ours.
            "extension_modules": str(root / "extmods"),
            "file_client": "local",
        }
    )
    functions = salt.loader.minion_mods(opts)
    loaded = pathlib.Path(functions.file_mapping["keystone_init"][0])
    assert loaded.read_bytes() == (REPO / "_modules" / "keystone_init.py").read_bytes(), loaded
    return functions


def project_grants(user):
    """``(project, role)`` pairs of a user of the configuration, either form."""
    grants = user.get("roles", {})
    if isinstance(grants, dict):
        return [(project, role) for project, roles in grants.items() for role in roles]
    return [
        (grant["project"], role)
        for grant in grants
        for role in grant.get("roles", [grant.get("role")])
    ]


def count_changes(changes):
    """Objects created or updated, grants one by one."""
    return sum(len(entries) for section, entries in changes.items() if section != "grants") + sum(
        len(grants) for grants in changes.get("grants", {}).values()
    )


def cli_commands(config):
    """The ``openstack`` command lines creating what ``config`` declares."""
    region = config.get("region", "RegionOne")
    commands = []
    for name, project in config.get("projects", {}).items():
        commands.append(
            ["project", "create", "--domain", "default",
             "--description", project["description"], name]
        )  # fmt: skip
    for role in config.get("roles", []):
        if role not in ("admin", "member", "reader"):  # made by keystone-manage bootstrap
            commands.append(["role", "create", role])
    for name, user in config.get("users", {}).items():
        # `openstack user create` takes the password on its command line only
        # (--password-prompt needs a terminal); these are throwaway test values.
        create = ["user", "create", "--domain", "default", "--password", user["password"]]
        if "email" in user:
            create += ["--email", user["email"]]
        commands.append(create + ["--project", user["project"], name])
        for project, role in project_grants(user):
            commands.append(["role", "add", "--project", project, "--user", name, role])
    for name, service in config.get("services", {}).items():
        commands.append(
            ["service", "create", "--name", name,
             "--description", service["description"], service["type"]]
        )  # fmt: skip
        for interface, url in service["endpoints"].items():
            commands.append(["endpoint", "create", "--region", region, name, interface, url])
    return commands


def requests_served(server):
    """How many HTTP requests this Keystone's uwsgi has logged so far."""

    def count():
        log = (server.workdir / "uwsgi.log").read_text(errors="replace")
        return sum(1 for line in log.splitlines() if line.startswith("[pid: "))

    # uwsgi logs a request just after answering it: wait for the log to settle.
    previous, current = -1, count()
    while current != previous:
        time.sleep(0.2)
        previous, current = current, count()
    return current


def run_keystone_init(seed, workdir, functions, config):
    with KeystoneServer(workdir, None, seed=seed) as server:
        before = requests_served(server)
        start = time.perf_counter()
        changes = functions["keystone_init.apply"](config, **server.auth)
        fresh = time.perf_counter() - start
        fresh_requests = requests_served(server) - before
        before = requests_served(server)
        start = time.perf_counter()
        again = functions["keystone_init.apply"](config, **server.auth)
        noop = time.perf_counter() - start
        noop_requests = requests_served(server) - before
    assert again == {}, again
    return {"fresh": fresh, "noop": noop, "fresh_requests": fresh_requests,
            "noop_requests": noop_requests, "changes": count_changes(changes)}  # fmt: skip


def run_cli(seed, workdir, functions, config):
    commands = cli_commands(config)
    with KeystoneServer(workdir, None, seed=seed) as server:
        env = server.openstack_env()
        before = requests_served(server)
        start = time.perf_counter()
        for args in commands:
            proc = subprocess.run(
                ["openstack", *args], env=env, capture_output=True, text=True, check=False
            )
            if proc.returncode:
                raise SystemExit(f"openstack {args[0]} {args[1]} failed: {proc.stderr.strip()}")
        elapsed = time.perf_counter() - start
        served = requests_served(server) - before
        leftover = functions["keystone_init.plan"](config, **server.auth)
    if leftover:
        raise SystemExit(f"the CLI run did not build the same objects: {leftover}")
    return {"wall": elapsed, "invocations": len(commands), "requests": served}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (median kept)")
    args = parser.parse_args()
    config = yaml.safe_load(CONFIG_FILE.read_text())

    with tempfile.TemporaryDirectory(prefix="bench-keystone-") as tmp:
        tmp = pathlib.Path(tmp)
        functions = salt_functions(tmp / "minion")
        start = time.perf_counter()
        seed = KeystoneServer(tmp / "seed", "admin-" + secrets.token_hex(8)).prepare()
        bootstrap = time.perf_counter() - start
        ours, theirs = [], []
        for run in range(args.repeat):
            ours.append(run_keystone_init(seed, tmp / f"ki-{run}", functions, config))
            theirs.append(run_cli(seed, tmp / f"cli-{run}", functions, config))

    fresh = statistics.median(r["fresh"] for r in ours)
    noop = statistics.median(r["noop"] for r in ours)
    cli = statistics.median(r["wall"] for r in theirs)
    results = {
        "benchmark": "keystone_init.apply vs openstack CLI, full cloud on a fresh Keystone",
        "config": str(CONFIG_FILE.relative_to(REPO)),
        "repeat": args.repeat,
        "keystone_init_apply_s": round(fresh, 3),
        "keystone_init_apply_http_requests": ours[0]["fresh_requests"],
        "keystone_init_changes": ours[0]["changes"],
        "keystone_init_noop_apply_s": round(noop, 3),
        "keystone_init_noop_http_requests": ours[0]["noop_requests"],
        "openstack_cli_s": round(cli, 3),
        "openstack_cli_invocations": theirs[0]["invocations"],
        "openstack_cli_http_requests": theirs[0]["requests"],
        "ratio_cli_over_keystone_init": round(cli / fresh, 2),
        "keystone_manage_bootstrap_s": round(bootstrap, 3),
        "runs": {"keystone_init": ours, "openstack_cli": theirs},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    rows = [
        ("keystone_init.apply (fresh Keystone)", fresh, f"{ours[0]['fresh_requests']} HTTP requests, 1 call"),
        ("openstack CLI (fresh Keystone)", cli,
         f"{theirs[0]['requests']} HTTP requests, {theirs[0]['invocations']} processes"),
        ("keystone_init.apply again (no change)", noop, f"{ours[0]['noop_requests']} HTTP requests"),
    ]  # fmt: skip
    width = max(len(row[0]) for row in rows)
    print(f"{'method':<{width}}  {'wall s':>8}  work")
    for name, seconds, work in rows:
        print(f"{name:<{width}}  {seconds:8.2f}  {work}")
    print(f"{'ratio CLI / keystone_init':<{width}}  {cli / fresh:7.1f}x")
    print(f"results: {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
