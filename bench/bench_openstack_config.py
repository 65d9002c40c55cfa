"""
Benchmark: set 40 options in Debian's full nova.conf (~10,000 lines).

Compares, each on its own fresh copy of /usr/share/nova-common/nova.conf:

* this project's ``openstack_config.present`` state,
* Salt's core ``ini.options_present`` state (slow: ~minutes; ``--skip-salt-ini``),
* 40 calls of Debian's ``crudini --set``.

Salt states run in-process: Salt's real loader (saltfactories ``Loaders``)
with a throw-away masterless minion config; ``loaders.states.<state>``
goes through Salt's ``state.single``.  Two figures per Salt state: the wall
time of that call (with ~0.3 s of state-machinery overhead: pillar, loaders)
and the ``duration`` Salt itself measures around the state function.

    .venv/bin/python bench/bench_openstack_config.py [--skip-salt-ini]

Prints a table and writes bench/results/openstack_config.json.
"""
import argparse
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile

import salt.config
import salt.version
from saltfactories.utils.functional import Loaders

from _common import print_table, timed, write_results

NOVA_CONF = pathlib.Path("/usr/share/nova-common/nova.conf")
CRUDINI = "/usr/bin/crudini"

SETTINGS = {
    "DEFAULT": {
        "my_ip": "10.0.0.11",
        "transport_url": "rabbit://openstack:RABBIT_PASS@ctl1:5672,openstack:RABBIT_PASS@ctl2:5672/",
        "state_path": "/var/lib/nova",
        "debug": "false",
        "use_syslog": "true",
        "log_dir": "/var/log/nova",
        "instances_path": "/var/lib/nova/instances",
        "compute_driver": "libvirt.LibvirtDriver",
        "cpu_allocation_ratio": "4.0",
        "ram_allocation_ratio": "1.5",
        "reserved_host_memory_mb": "2048",
        "enabled_apis": "osapi_compute,metadata",
        "osapi_compute_workers": "2",
    },
    "api": {"auth_strategy": "keystone"},
    "api_database": {"connection": "mysql+pymysql://nova:NOVA_API_DBPASS@ctl/nova_api"},
    "database": {
        "connection": "mysql+pymysql://nova:NOVA_DBPASS@ctl/nova?charset=utf8",
        "max_pool_size": "20",
    },
    "keystone_authtoken": {
        "www_authenticate_uri": "http://ctl:5000/",
        "auth_url": "http://ctl:5000/",
        "memcached_servers": "ctl1:11211,ctl2:11211",
        "auth_type": "password",
        "project_name": "service",
        "username": "nova",
        "password": "NOVA_PASS",
        "region_name": "RegionOne",
    },
    "service_user": {"send_service_user_token": "true", "password": "NOVA_PASS"},
    "vnc": {
        "enabled": "true",
        "server_listen": "$my_ip",
        "novncproxy_base_url": "http://ctl:6080/vnc_auto.html",
    },
    "glance": {"api_servers": "http://ctl:9292"},
    "oslo_concurrency": {"lock_path": "/var/lib/nova/tmp"},
    "placement": {"password": "PLACEMENT_PASS", "region_name": "RegionOne"},
    "libvirt": {
        "virt_type": "kvm",
        "cpu_mode": "host-passthrough",
        "live_migration_uri": "qemu+ssh://nova@%s/system",
    },
    "neutron": {"metadata_proxy_shared_secret": "METADATA_SECRET", "password": "NEUTRON_PASS"},
    "os_brick": {"lock_path": "/var/lib/nova/tmp"},
}


def option_count():
    return sum(len(options) for options in SETTINGS.values())


def make_loaders(root):
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": "bench-minion",
            "root_dir": str(root),
            "cachedir": str(root / "cache"),
            "pki_dir": str(root / "pki"),
            "sock_dir": str(root / "sock"),
            "file_client": "local",
            "log_file": str(root / "minion.log"),
            "state_events": False,
            "test": False,
        }
    )
    for key in ("cachedir", "pki_dir", "sock_dir"):
        pathlib.Path(opts[key]).mkdir(parents=True, exist_ok=True)
    return Loaders(opts)


def fresh_copy(directory, name):
    path = directory / name
    shutil.copyfile(NOVA_CONF, path)
    return path


def crudini_set_all(path):
    for section, options in SETTINGS.items():
        for key, value in options.items():
            subprocess.run([CRUDINI, "--set", str(path), section, key, value], check=True)


def verified(path):
    """How many of the options crudini (an independent reader) reads back as set."""
    out = subprocess.run(
        [CRUDINI, "--get", "--format=lines", str(path)], check=True, capture_output=True, text=True
    )
    found = set()
    for line in out.stdout.splitlines():  # "[ section ] key = value"
        section, _, assignment = line[2:].partition(" ] ")
        key, _, value = assignment.partition(" = ")
        found.add((section, key, value))
    return sum(
        (section, key, value) in found
        for section, options in SETTINGS.items()
        for key, value in options.items()
    )


def run(skip_salt_ini):
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-openstack-config-") as tmp:
        tmp = pathlib.Path(tmp)
        loaders = make_loaders(tmp / "minion")
        states = loaders.states

        ours = fresh_copy(tmp, "ours.conf")
        seconds, ret = timed(states.openstack_config.present, name=str(ours), settings=SETTINGS)
        results["openstack_config.present"] = (seconds, ret, ours)
        seconds, ret = timed(states.openstack_config.present, name=str(ours), settings=SETTINGS)
        results["openstack_config.present (2nd run, no change)"] = (seconds, ret, ours)

        if skip_salt_ini:
            results["ini.options_present"] = (None, None, None)
        else:
            theirs = fresh_copy(tmp, "salt-ini.conf")
            seconds, ret = timed(states.ini.options_present, name=str(theirs), sections=SETTINGS)
            results["ini.options_present"] = (seconds, ret, theirs)

        crudini = fresh_copy(tmp, "crudini.conf")
        seconds, _ = timed(crudini_set_all, crudini)
        results[f"crudini --set x {option_count()}"] = (seconds, None, crudini)

        return report(results)


def state_seconds(ret):
    """The duration Salt measured around the state function itself."""
    if ret is None:
        return None
    return next(iter(ret.raw.values()))["duration"] / 1000.0


def report(results):
    reference_wall = results["openstack_config.present"][0]
    reference_state = state_seconds(results["openstack_config.present"][1])
    rows, figures = [], {}
    for label, (wall, ret, path) in results.items():
        if wall is None:
            rows.append([label, "skipped (--skip-salt-ini)", "", "", "", ""])
            figures[label] = {"skipped": True}
            continue
        inner = state_seconds(ret)
        inner = wall if inner is None else inner
        check = f"{verified(path)}/{option_count()}"
        rows.append(
            [
                label,
                f"{wall:.3f}",
                f"{wall / reference_wall:.1f}x",
                f"{inner:.3f}",
                f"{inner / reference_state:.1f}x",
                check,
            ]
        )
        figures[label] = {
            "wall_seconds": round(wall, 4),
            "wall_ratio": round(wall / reference_wall, 2),
            "state_seconds": round(inner, 4),
            "state_ratio": round(inner / reference_state, 2),
            "options_read_back_by_crudini": check,
            "result": None if ret is None else ret.result,
        }
    return rows, figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--skip-salt-ini",
        action="store_true",
        help="do not run Salt's ini.options_present (it takes minutes)",
    )
    args = parser.parse_args(argv)
    lines = sum(1 for _ in NOVA_CONF.open())
    mode = "in-process via salt.loader (saltfactories Loaders -> state.single)"
    print(f"Setting {option_count()} options in copies of {NOVA_CONF} ({lines} lines)")
    print(f"Salt {salt.version.__version__}, Python {platform.python_version()}; Salt states run {mode}")
    print()
    rows, figures = run(args.skip_salt_ini)
    print_table(["method", "wall s", "ratio", "state s", "ratio", "read back"], rows)
    path = write_results(
        "openstack_config",
        {
            "file": str(NOVA_CONF),
            "file_lines": lines,
            "options": option_count(),
            "salt_version": salt.version.__version__,
            "python": platform.python_version(),
            "salt_mode": mode,
            "results": figures,
        },
    )
    print()
    print("wall s: the whole call; state s: Salt's own state duration (crudini: wall time)")
    print("ratio: relative to openstack_config.present, first run")
    print("read back: options crudini --get reads back with the wanted value")
    print(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
