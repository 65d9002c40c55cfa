#!/bin/sh
# Vagrant provisioner: Salt minion (and master on the controller).
#
#   provision-salt.sh --id NAME --master ADDRESS --salt-version VERSION
#                     [--with-master --accept ID,GLOB,...]
#
# The lxc box (cluster/build-box.sh) has Salt (constraints.txt's version) in
# /opt/saltstack/venv already; on other boxes (debian/trixie64) that version
# is installed there from PyPI.  The salt-master and salt-minion units are
# written here, for every box.  Idempotent: re-provisioning rewrites the
# same files and restarts only what changed.
set -eu

id= master= with_master=0 accept= salt_version=
while [ $# -gt 0 ]; do
  case $1 in
    --id) id=$2; shift 2 ;;
    --master) master=$2; shift 2 ;;
    --with-master) with_master=1; shift ;;
    --accept) accept=$2; shift 2 ;;
    --salt-version) salt_version=$2; shift 2 ;;
    *) echo "provision-salt: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$id" ] && [ -n "$master" ] && [ -n "$salt_version" ] || {
  echo "provision-salt: --id, --master and --salt-version are required" >&2; exit 2; }

venv=/opt/saltstack/venv
if [ ! -x $venv/bin/salt-minion ]; then
  echo "provision-salt: installing salt $salt_version from PyPI into $venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv python3-pip >/dev/null
  python3 -m venv $venv
  $venv/bin/pip install -q wheel
  $venv/bin/pip install -q "salt==$salt_version" netaddr requests
  for b in $venv/bin/salt*; do ln -sf "$b" /usr/local/bin/; done
fi
for role in master minion; do
  unit=/etc/systemd/system/salt-$role.service
  [ -e $unit ] && continue
  cat > $unit <<UNIT
[Unit]
Description=The Salt $role
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
LimitNOFILE=100000
KillMode=process
ExecStart=$venv/bin/salt-$role
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
done

# wait_until TRIES PAUSE MESSAGE COMMAND...: run COMMAND until it succeeds,
# at most TRIES times PAUSE seconds apart; then fail with MESSAGE
wait_until() {
  tries=$1 pause=$2 message=$3
  shift 3
  n=0
  until "$@"; do
    n=$((n + 1))
    if [ $n -ge "$tries" ]; then
      echo "provision-salt: $message" >&2
      exit 1
    fi
    sleep "$pause"
  done
}

# write FILE: replace FILE with stdin when different; print "changed" if so
write() {
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -e "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
  install -D -m "${2:-0644}" "$tmp" "$1"; rm -f "$tmp"; return 0
}

mkdir -p /etc/salt/minion.d /etc/salt/master.d
echo "$id" | write /etc/salt/minion_id || true

if [ $with_master = 1 ]; then
  master_changed=0
  write /etc/salt/master.d/cluster.conf <<CONF && master_changed=1
# Written by cluster/provision-salt.sh (Vagrant).
interface: 0.0.0.0
file_roots:
  base:
    - /vagrant/salt
# The cluster's override (virt_type qemu, extra computes) before the
# example pillar; its top.sls includes both.
pillar_roots:
  base:
    - /vagrant/cluster/pillar
    - /vagrant/pillar
autosign_file: /etc/salt/autosign.conf
# How long a minion may take to answer "are you still running this job?"
# (saltutil.find_job) before the orchestration counts it as gone: the 10 s
# default is too short while four containers on two cores install
# packages; a busy minion then "did not return a state result".
gather_job_timeout: 60
# Salt's loader resolves a function only in the module files whose name
# contains the module's name (README, "Deploying on real hosts").
lazy_loader_strict_matching: True
reactor:
  - 'openstack/compute/admit':
    - salt://reactor/compute-enrol.sls
  - 'openstack/compute/enrol':
    - salt://reactor/compute-enrol.sls
# Each minion gets only the secrets its roles use (README, "Secrets per
# role"); without it the pillar top withholds the openstack pillar.
ext_pillar:
  - openstack_secrets: {}
CONF
  echo "$accept" | tr ',' '\n' | write /etc/salt/autosign.conf 0600 && master_changed=1
  systemctl enable -q salt-master
  if [ $master_changed = 1 ]; then systemctl restart salt-master; else systemctl start salt-master; fi
  # The secrets filter and the validator on the master (cluster/run syncs
  # again before each orchestration, for a changed checkout).
  salt-run saltutil.sync_all >/dev/null
fi

minion_changed=0
write /etc/salt/minion.d/cluster.conf <<CONF && minion_changed=1
# Written by cluster/provision-salt.sh (Vagrant).
id: $id
master: $master
# Wait for the master's key acceptance instead of giving up.
acceptance_wait_time: 5
acceptance_wait_time_max: 10
# A function looked up and not found (Salt's state system asks each state
# module for an optional mod_run_check, mod_watch...) is searched for in
# the module files whose name contains the module's name only, not in
# every one: without it the first such lookup of each job (a state with
# creates/unless, a watch) loads every state, execution and utility
# module, 2 to 4 s per job (README, "Deploying on real hosts").
lazy_loader_strict_matching: True
CONF
systemctl enable -q salt-minion
if [ $minion_changed = 1 ]; then systemctl restart salt-minion; else systemctl start salt-minion; fi

# The daemon makes the minion's key pair on its first start: salt-call must
# not run before it is there, or each makes one and the master accepts
# whichever signs in first.  Seen on a loaded host: the daemon's sign-in
# then failed ("ValueError: Decryption failed"), it gave up ("Minion unable
# to successfully connect to a Salt Master") and did not answer the
# orchestration's first step.
wait_until 120 1 "the salt-minion daemon made no key pair in 2 minutes" \
  test -s /etc/salt/pki/minion/minion.pub

# Wait until this minion is authenticated (the master may come up later
# when machines start in parallel).
master_answers() { timeout 30 salt-call --out=quiet test.ping >/dev/null 2>&1; }
wait_until 60 5 "$id could not reach the salt-master at $master after 5 minutes" master_answers
echo "provision-salt: $id is a minion of $master$( [ $with_master = 1 ] && echo ' (and runs the master)')"
