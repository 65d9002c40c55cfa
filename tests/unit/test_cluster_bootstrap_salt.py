"""
The test cluster's Salt provisioning: ``cluster/bootstrap-salt.sh``, the
bootstrap script Vagrant's salt provisioner runs (``salt.bootstrap_script``
in the Vagrantfile), and ``cluster/wait-minions.sh``, which the controller's
bootstrap runs before Vagrant's orchestration.

The scripts run for real, with the command line Vagrant's provisioner
builds (through a shell, as ``sudo /tmp/bootstrap_salt.sh OPTIONS``), in a
scratch root (``SALT_BOOTSTRAP_ROOT``); ``systemctl``, ``salt-run``,
``salt-call``, ``salt-key`` and ``salt`` are stubs on the PATH that record
their calls.
"""
import json
import os
import pathlib
import re
import stat
import subprocess

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
CLUSTER = REPO / "cluster"
BOOTSTRAP = CLUSTER / "bootstrap-salt.sh"
WAIT = CLUSTER / "wait-minions.sh"
MASTER_CONF = CLUSTER / "salt" / "master.conf"
MINION_CONF = CLUSTER / "salt" / "minion.conf"
VERSION = re.search(r"^salt==(\S+)$", (REPO / "constraints.txt").read_text(), re.M).group(1)
MASTER_IP = "192.168.56.10"

STUBS = {
    # systemctl: the minion daemon makes its key pair when it starts
    "systemctl": """
echo "systemctl $*" >> "$CALLS"
case "$*" in *start\\ salt-minion*)
  mkdir -p "$SALT_BOOTSTRAP_ROOT/etc/salt/pki/minion"
  echo key > "$SALT_BOOTSTRAP_ROOT/etc/salt/pki/minion/minion.pub" ;;
esac
""",
    "salt-run": 'echo "salt-run $*" >> "$CALLS"\n',
    "salt-call": 'echo "salt-call $*" >> "$CALLS"\n',
    # salt-key -l STATE: the ids in $KEYS_<STATE> (comma-separated)
    "salt-key": """
echo "salt-key $*" >> "$CALLS"
case "$*" in
  *acc*) echo "Accepted Keys:"; list=${KEYS_ACC:-} ;;
  *un*) echo "Unaccepted Keys:"; list=${KEYS_UN:-} ;;
  *rej*) echo "Rejected Keys:"; list=${KEYS_REJ:-} ;;
  *) echo "Denied Keys:"; list= ;;
esac
[ -z "$list" ] || echo "$list" | tr ',' '\\n'
""",
    # salt -L IDS test.ping: True for the ids in $ANSWERING
    "salt": """
echo "salt $*" >> "$CALLS"
while [ "$1" != -L ]; do shift; done
for id in $(echo "$2" | tr ',' ' '); do
  case ",${ANSWERING:-}," in
    *,$id,*) echo "$id: True" ;;
    *) echo "$id: Minion did not return. [No response]" ;;
  esac
done
""",
}


@pytest.fixture
def machine(tmp_path):
    """A scratch machine: root with the box's Salt venv, stub commands, the
    files Vagrant uploads to /tmp (here: upload/)."""
    root = tmp_path / "root"
    venv_bin = root / "opt" / "saltstack" / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    for name in ("salt-minion", "salt-master", "salt-call"):
        (venv_bin / name).write_text("#!/bin/sh\n")
        (venv_bin / name).chmod(0o755)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/bin/sh\n" + body)
        (stubs / name).chmod(0o755)
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "minion").write_text(MINION_CONF.read_text())
    (upload / "master").write_text(MASTER_CONF.read_text())
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "SALT_BOOTSTRAP_ROOT": str(root),
        "SALT_BOOTSTRAP_CLUSTER_DIR": str(CLUSTER),
        "CALLS": str(tmp_path / "calls"),
    }
    return {"root": root, "upload": upload, "env": env, "calls": tmp_path / "calls"}


def vagrant_options(machine, name, *, master=False, options="", configure_only=True):
    """The bootstrap's arguments as Vagrant 2.3's salt provisioner joins them
    (plugins/provisioners/salt/provisioner.rb, bootstrap_options)."""
    minion_json = json.dumps({"id": name, "master": MASTER_IP}, separators=(",", ":"))
    line = f"{options} -j '{minion_json}' -F -c {machine['upload']}"
    if configure_only:
        line += " -C"
    if master:
        line += " -M"
    return f"{line} stable {VERSION}"


def bootstrap(machine, line, **env):
    return subprocess.run(["sh", "-c", f"sh {BOOTSTRAP} {line}"], env={**machine["env"], **env},
                          capture_output=True, text=True, timeout=60)


def calls(machine):
    path = machine["calls"]
    return path.read_text().splitlines() if path.exists() else []


CONTROLLER_OPTIONS = "'--accept' 'gateway,controller,compute[0-9]*' '--wait-minions' 'gateway,compute1,controller'"


def test_controller_master_minion_and_wait(machine):
    line = vagrant_options(machine, "controller", master=True, options=CONTROLLER_OPTIONS)
    proc = bootstrap(machine, line, KEYS_ACC="controller,gateway,compute1",
                     ANSWERING="controller,gateway,compute1")
    assert proc.returncode == 0, proc.stderr
    etc = machine["root"] / "etc" / "salt"
    assert (etc / "master.d" / "cluster.conf").read_text() == MASTER_CONF.read_text()
    assert (etc / "minion.d" / "cluster.conf").read_text() == MINION_CONF.read_text()
    # the JSON from minion_json_config is read by Salt as YAML
    assert yaml.safe_load((etc / "minion.d" / "vagrant.conf").read_text()) == {
        "id": "controller", "master": MASTER_IP}
    assert (etc / "minion_id").read_text() == "controller\n"
    # the glob reached the script unexpanded; the file is the master's alone
    autosign = etc / "autosign.conf"
    assert autosign.read_text().splitlines() == ["gateway", "controller", "compute[0-9]*"]
    assert stat.S_IMODE(autosign.stat().st_mode) == 0o600
    units = machine["root"] / "etc" / "systemd" / "system"
    for role in ("master", "minion"):
        assert f"ExecStart={machine['root']}/opt/saltstack/venv/bin/salt-{role}" in \
            (units / f"salt-{role}.service").read_text()
    assert (machine["root"] / "usr" / "local" / "bin" / "salt-call").is_symlink()
    log = calls(machine)
    assert "systemctl restart salt-master" in log
    assert "systemctl restart salt-minion" in log
    assert "salt-run saltutil.sync_all" in log
    # its own minion answers its own master before the bootstrap goes on
    assert any(c.startswith("salt-call --out=quiet test.ping") for c in log)
    # every minion in, then the master restarted once (its workers read every
    # minion's session key) and every minion in again
    assert proc.stdout.count("wait-minions: 3 minions accepted and answering") == 2
    restarts = [i for i, c in enumerate(log) if c == "systemctl restart salt-master"]
    pings = [i for i, c in enumerate(log) if c.startswith("salt --no-color")]
    assert len(restarts) == 2 and pings[0] < restarts[1] < pings[-1]


def test_rerun_changes_nothing_and_restarts_nothing(machine):
    line = vagrant_options(machine, "controller", master=True, options="'--accept' 'controller'")
    assert bootstrap(machine, line).returncode == 0
    machine["calls"].unlink()
    proc = bootstrap(machine, line)
    assert proc.returncode == 0, proc.stderr
    log = calls(machine)
    assert not [c for c in log if "restart" in c]
    assert "systemctl start salt-master" in log and "systemctl start salt-minion" in log


def test_minion_does_not_wait_for_the_master(machine):
    """The controller comes up after the minions on virtualbox: a minion's
    bootstrap must not wait for it."""
    proc = bootstrap(machine, vagrant_options(machine, "compute1"))
    assert proc.returncode == 0, proc.stderr
    etc = machine["root"] / "etc" / "salt"
    assert not (etc / "master.d" / "cluster.conf").exists()
    assert not (etc / "autosign.conf").exists()
    assert yaml.safe_load((etc / "minion.d" / "vagrant.conf").read_text())["id"] == "compute1"
    log = calls(machine)
    assert not [c for c in log if c.startswith(("salt-call", "salt-run", "salt "))]
    assert "systemctl restart salt-minion" in log
    assert "compute1 is a salt-minion" in proc.stdout


@pytest.mark.parametrize(("line", "code", "message"), [
    ("-k /tmp/seed stable 1", 2, "-k is not supported"),
    ("-j '{\"id\":\"x\",\"master\":\"y\"}' stable", 2, "expected the install type 'stable' and a version"),
    ("-j '{\"id\":\"x\",\"master\":\"y\"}' git v1", 2, "expected the install type 'stable'"),
    ("stable 1", 1, "salt.minion_json_config must give id and master"),
    ("-j '{\"id\":\"x\"}' stable 1", 1, "JSON object with id and master"),
    ("-j 'id: x' stable 1", 1, "JSON object with id and master"),
    ("-j '{\"id\":\"x\",\"master\":\"y\"}' -M stable 1", 1, "-M without a master configuration"),
])
def test_refused(machine, line, code, message):
    proc = bootstrap(machine, line)
    assert proc.returncode == code
    assert message in proc.stderr


def test_configure_only_needs_salt(machine):
    (machine["root"] / "opt" / "saltstack" / "venv" / "bin" / "salt-minion").unlink()
    proc = bootstrap(machine, vagrant_options(machine, "gateway"))
    assert proc.returncode == 1
    assert "Vagrant found Salt (-C) but" in proc.stderr


def wait(machine, *ids, timeout=0, **env):
    return subprocess.run(["sh", str(WAIT), "--timeout", str(timeout), "--interval", "0", *ids],
                          env={**machine["env"], **env}, capture_output=True, text=True, timeout=60)


def test_wait_minions_names_each_missing_minion_and_why(machine):
    proc = wait(machine, "controller", "gateway", "compute1", "compute2", "compute3",
                KEYS_ACC="controller,gateway,compute1", KEYS_UN="compute2", ANSWERING="controller,compute1")
    assert proc.returncode == 1
    err = proc.stderr
    assert "not every minion is in" in err
    assert "gateway: key accepted, but it does not answer test.ping" in err
    assert "compute2: key pending: not in the autosign list" in err
    assert "compute3: no key: the machine is not up" in err
    assert "controller:" not in err and "compute1:" not in err


def test_wait_minions_pings_only_accepted_minions(machine):
    proc = wait(machine, "controller", "compute9", KEYS_ACC="controller", ANSWERING="controller,compute9")
    assert proc.returncode == 1
    assert [c for c in calls(machine) if c.startswith("salt ")] == [
        "salt --no-color --out=txt --timeout 15 -L controller test.ping"]
    assert "compute9: no key" in proc.stderr


def test_wait_minions_until_all_answer(machine):
    proc = wait(machine, "controller", "gateway", timeout=5,
                KEYS_ACC="controller,gateway", ANSWERING="gateway,controller")
    assert proc.returncode == 0, proc.stderr
    assert "2 minions accepted and answering (controller gateway)" in proc.stdout


@pytest.mark.parametrize("args", [[], ["--timeout", "soon", "x"], ["--bogus", "x"], ["--timeout"],
                                  ["--interval"]])
def test_wait_minions_usage(machine, args):
    proc = subprocess.run(["sh", str(WAIT), *args], env=machine["env"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unbound" not in proc.stderr and "wait-minions" in proc.stderr


def test_master_config_holds_no_secret():
    """The passwords are the pillar's: nothing in the master's configuration
    names one."""
    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield str(key)
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    for conf in (MASTER_CONF, MINION_CONF):
        found = [k for k in keys(yaml.safe_load(conf.read_text())) if re.search(r"pass|token|_key$", k)]
        assert not found, f"{conf.name}: {found}"


def test_vagrantfile_files_exist():
    """Every file the Vagrantfile's provisioners name is in the repository
    (Vagrant would refuse a missing one only at `vagrant up`)."""
    text = (REPO / "Vagrantfile").read_text()
    named = re.findall(r"(?:_config|bootstrap_script|path:)\s*=?\s*'([^']+)'", text)
    assert {"cluster/bootstrap-salt.sh", "cluster/salt/master.conf", "cluster/salt/minion.conf",
            "cluster/provision-tester.sh"} <= set(named)
    for rel in named:
        assert (REPO / rel).is_file(), rel


def test_controller_fails_when_a_minion_stays_out(machine):
    """No orchestration on a cloud with a machine missing: the bootstrap
    fails (Vagrant stops before its orchestrations), naming the minion."""
    line = vagrant_options(machine, "controller", master=True,
                           options=CONTROLLER_OPTIONS + " '--wait-timeout' '0'")
    proc = bootstrap(machine, line, KEYS_ACC="controller,gateway", ANSWERING="controller,gateway")
    assert proc.returncode == 1
    assert "compute1: no key" in proc.stderr
    assert "restarting the salt-master once" not in proc.stdout
