"""
On a new host the programs the custom states wrap (gluster, nova-manage,
mariadb, rabbitmqctl) are installed by earlier states of the same run. The
state modules load anyway and say what they would do (test mode) or why
they cannot (a real run), instead of Salt's "state not found".

Real ``salt-call --local`` runs in a private mount namespace where the
programs are hidden (an empty, non-executable file bind-mounted over each).
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

PROGRAMS = ("gluster", "nova-manage", "mariadb", "mysql", "rabbitmqctl")

STATES = {
    "peer": ("gluster.peered", {"name": "gluster2"}, "probe peer gluster2"),
    "volume": (
        "gluster.volume_present",
        {"name": "instances", "bricks": ["h1:/b"]},
        "set up volume instances",
    ),
    "api-db": ("nova_manage.db_synced", {"name": "api"}, "sync the api database"),
    "cell": ("nova_manage.cell_present", {"name": "cell1"}, "map cell cell1"),
    "discover": ("nova_manage.hosts_discovered", {"name": "d"}, "discover compute hosts"),
    "db": ("openstack_db.present", {"name": "nova", "password": "pw"}, "create database nova"),
    "schema": ("openstack_db.schema_synced", {"name": "placement"},
               "migrate the placement database"),
    "rabbit-user": (
        "openstack_rabbitmq.user_present",
        {"name": "openstack", "password": "pw"},
        "manage RabbitMQ user openstack",
    ),
    "rabbit-guest": (
        "openstack_rabbitmq.user_absent",
        {"name": "guest"},
        "remove RabbitMQ user guest",
    ),
}


def _hidden_paths():
    """Every path (following /bin -> /usr/bin style links) of every program."""
    paths = set()
    for program in PROGRAMS:
        for directory in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
            path = pathlib.Path(directory, program)
            if path.exists():
                paths.add(str(path.resolve()))
                paths.add(str(path))
    return sorted(paths)


@pytest.fixture(scope="module")
def salt_call_without_programs(tmp_path_factory):
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed")
    root = tmp_path_factory.mktemp("bare-minion")
    (root / "states").mkdir()
    sls = {
        sid: {fun.split(".")[0] + "." + fun.split(".")[1]: [{k: v} for k, v in kwargs.items()]}
        for sid, (fun, kwargs, _) in STATES.items()
    }
    (root / "states" / "bare.sls").write_text(yaml.safe_dump(sls))
    (root / "minion").write_text(
        yaml.safe_dump(
            {
                "id": "bare-minion",
                "root_dir": str(root),
                "file_client": "local",
                "file_roots": {"base": [str(root / "states")]},
                "pillar_roots": {"base": [str(root / "pillar")]},
                "extension_modules": str(root / "extmods"),
                "log_file": str(root / "minion.log"),
            }
        )
    )
    decoy = root / "not-a-program"
    decoy.write_text("")
    decoy.chmod(0o644)
    mounts = " && ".join(f"mount --bind {decoy} {path}" for path in _hidden_paths())
    salt_call = str(pathlib.Path(sys.executable).parent / "salt-call")

    def run(test):
        cmd = (
            f"{mounts} && exec {salt_call} --local -c {root} --out=json "
            f"state.sls bare test={test}"
        )
        proc = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", cmd],
            capture_output=True,
            text=True,
            timeout=300,
            env={k: v for k, v in os.environ.items() if not k.startswith("SALT")},
        )
        try:
            data = json.loads(proc.stdout)["local"]
        except (ValueError, KeyError):
            pytest.fail(f"salt-call failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
        return {ret["__id__"]: ret for ret in data.values()}

    return run


def test_programs_are_really_hidden(salt_call_without_programs):
    # The decoy must hide every path the modules would find.
    assert _hidden_paths(), "none of the programs is installed: .ci/install-system-deps"


@pytest.mark.parametrize("test", [True, False], ids=["test-mode", "real-run"])
def test_states_load_and_explain(salt_call_without_programs, test):
    results = salt_call_without_programs(test)
    assert set(results) == set(STATES)
    for sid, (_, _, doing) in STATES.items():
        ret = results[sid]
        assert ret["changes"] == {}, ret
        if test:
            assert ret["result"] is None, ret
            assert ret["comment"].startswith("Would " + doing), ret["comment"]
        else:
            assert ret["result"] is False, ret
            assert ret["comment"].startswith("Cannot " + doing), ret["comment"]
        # Which program is missing, and its package.
        assert "(package " in ret["comment"], ret["comment"]
