#!/bin/sh
# The test cluster's bootstrap script for Vagrant's salt provisioner
# (salt.bootstrap_script in the Vagrantfile).  Vagrant uploads it to the
# machine and runs it as
#
#   sudo /tmp/bootstrap_salt.sh [OUR OPTIONS] [-j JSON] [-J JSON] [-F -c DIR] [-C] [-M] [-N] stable VERSION
#
# OUR OPTIONS come from salt.bootstrap_options (the controller's only):
#   --accept ID,GLOB,...     the master's autosign list (/etc/salt/autosign.conf, 0600)
#   --wait-minions ID,...    before returning (that is, before Vagrant's
#                            orchestrations), wait until each of these minions'
#                            keys is accepted and it answers test.ping
#                            (cluster/wait-minions.sh)
#   --wait-timeout SECONDS   how long (default 900)
# and Vagrant's own:
#   -j JSON   salt.minion_json_config: this machine's id and its master
#             (JSON is YAML: /etc/salt/minion.d/vagrant.conf)
#   -J JSON   salt.master_json_config (/etc/salt/master.d/vagrant.conf)
#   -c DIR    where Vagrant uploaded salt.minion_config (DIR/minion:
#             /etc/salt/minion.d/cluster.conf) and salt.master_config
#             (DIR/master: /etc/salt/master.d/cluster.conf)
#   -F        overwrite configuration (always done: files are replaced when different)
#   -C        configure only: Vagrant found Salt on the machine
#   -M        run a salt-master too;  -N  no salt-minion
#   stable VERSION   the install type and salt.version (constraints.txt's pin)
#
# The lxc box (cluster/build-box.sh) has Salt in /opt/saltstack/venv
# already: nothing is downloaded.  On a box without Salt (debian/trixie64
# under virtualbox or libvirt) salt==VERSION is installed there from PyPI,
# as the upstream bootstrap's "stable VERSION" would install that release.
# The salt-master and salt-minion units are written here, for every box.
# Idempotent: re-provisioning rewrites the same files and restarts only
# what changed.  SALT_BOOTSTRAP_ROOT (tests only) prefixes every path.
set -eu

root=${SALT_BOOTSTRAP_ROOT:-}
cluster_dir=${SALT_BOOTSTRAP_CLUSTER_DIR:-/vagrant/cluster}
me=bootstrap-salt
die() { echo "$me: $*" >&2; exit 1; }
usage() { echo "$me: $*" >&2; exit 2; }

config_dir= configure_only=0 with_master=0 with_minion=1 minion_json= master_json=
accept= wait_minions= wait_timeout=900 install_type= version=
while [ $# -gt 0 ]; do
  case $1 in
    --accept) [ $# -ge 2 ] || usage "--accept needs a list"; accept=$2; shift 2 ;;
    --wait-minions) [ $# -ge 2 ] || usage "--wait-minions needs a list"; wait_minions=$2; shift 2 ;;
    --wait-timeout) [ $# -ge 2 ] || usage "--wait-timeout needs seconds"; wait_timeout=$2; shift 2 ;;
    -j) [ $# -ge 2 ] || usage "-j needs JSON"; minion_json=$2; shift 2 ;;
    -J) [ $# -ge 2 ] || usage "-J needs JSON"; master_json=$2; shift 2 ;;
    -c) [ $# -ge 2 ] || usage "-c needs a directory"; config_dir=$2; shift 2 ;;
    -F) shift ;;
    -C) configure_only=1; shift ;;
    -M) with_master=1; shift ;;
    -N) with_minion=0; shift ;;
    -*) usage "$1 is not supported by this bootstrap (cluster/bootstrap-salt.sh)" ;;
    *)
      if [ -z "$install_type" ]; then install_type=$1
      elif [ -z "$version" ]; then version=$1
      else usage "unexpected argument $1"
      fi
      shift ;;
  esac
done
[ "$install_type" = stable ] && [ -n "$version" ] \
  || usage "expected the install type 'stable' and a version (salt.install_type, salt.version), got '$install_type' '$version'"
case $wait_timeout in ''|*[!0-9]*) usage "--wait-timeout: not a number of seconds: $wait_timeout" ;; esac

# wait_until TRIES PAUSE MESSAGE COMMAND...: run COMMAND until it succeeds,
# at most TRIES times PAUSE seconds apart; then fail with MESSAGE
wait_until() {
  tries=$1 pause=$2 message=$3
  shift 3
  n=0
  until "$@"; do
    n=$((n + 1))
    [ $n -lt "$tries" ] || die "$message"
    sleep "$pause"
  done
}

# write FILE [MODE]: replace FILE with stdin when different; succeed if it changed
write() {
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -e "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
  install -D -m "${2:-0644}" "$tmp" "$1"; rm -f "$tmp"; return 0
}

# config NAME: the file Vagrant uploaded to -c DIR (salt.NAME_config), or nothing
config() {
  [ -n "$config_dir" ] && [ -f "$config_dir/$1" ] || return 1
  echo "$config_dir/$1"
}

# A JSON config must be one JSON object (also YAML, so Salt reads it as is).
json_object() {  # json_object JSON [KEY...]: valid, and has each KEY
  python3 - "$@" <<'PY'
import json, sys
try:
    data = json.loads(sys.argv[1])
except ValueError as exc:
    sys.exit(f"not JSON: {exc}")
if not isinstance(data, dict):
    sys.exit("not a JSON object")
missing = [key for key in sys.argv[2:] if not data.get(key)]
if missing:
    sys.exit("no " + ", ".join(missing))
PY
}

# --- Salt itself ---------------------------------------------------------
venv=$root/opt/saltstack/venv
if [ ! -x "$venv/bin/salt-minion" ]; then
  [ $configure_only = 0 ] || die "Vagrant found Salt (-C) but $venv has none"
  echo "$me: installing salt $version from PyPI into $venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv python3-pip >/dev/null
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q wheel
  "$venv/bin/pip" install -q "salt==$version" netaddr requests
fi
# (Vagrant looks for salt-minion, salt-call and salt-master on the PATH)
install -d "$root/usr/local/bin"
for b in "$venv"/bin/salt*; do ln -sf "$b" "$root/usr/local/bin/"; done
for role in master minion; do
  unit=$root/etc/systemd/system/salt-$role.service
  [ -e "$unit" ] && continue
  install -d "$(dirname "$unit")"
  cat > "$unit" <<UNIT
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

etc=$root/etc/salt
mkdir -p "$etc/minion.d" "$etc/master.d"

# --- the master ------------------------------------------------------------
if [ $with_master = 1 ]; then
  master_conf=$(config master) || die "-M without a master configuration (salt.master_config)"
  master_changed=0
  write "$etc/master.d/cluster.conf" < "$master_conf" && master_changed=1
  if [ -n "$master_json" ]; then
    json_object "$master_json" || die "-J (salt.master_json_config): not a usable JSON object"
    printf '%s\n' "$master_json" | write "$etc/master.d/vagrant.conf" && master_changed=1
  fi
  if [ -n "$accept" ]; then
    echo "$accept" | tr ',' '\n' | write "$etc/autosign.conf" 0600 && master_changed=1
  fi
  systemctl enable -q salt-master
  if [ $master_changed = 1 ]; then systemctl restart salt-master; else systemctl start salt-master; fi
  # The secrets filter and the validator on the master (cluster/run and
  # Vagrant's orchestrations sync again before each orchestration).
  salt-run saltutil.sync_all >/dev/null
fi

# --- the minion ------------------------------------------------------------
if [ $with_minion = 1 ]; then
  [ -n "$minion_json" ] || die "no minion id: salt.minion_json_config must give id and master (-j)"
  json_object "$minion_json" id master || die "-j (salt.minion_json_config) must be a JSON object with id and master"
  minion_id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$minion_json")
  minion_changed=0
  if minion_conf=$(config minion); then
    write "$etc/minion.d/cluster.conf" < "$minion_conf" && minion_changed=1
  fi
  printf '%s\n' "$minion_json" | write "$etc/minion.d/vagrant.conf" && minion_changed=1
  echo "$minion_id" | write "$etc/minion_id" || true
  systemctl enable -q salt-minion
  if [ $minion_changed = 1 ]; then systemctl restart salt-minion; else systemctl start salt-minion; fi

  # The daemon makes the minion's key pair on its first start: salt-call
  # must not run before it is there, or each makes one and the master
  # accepts whichever signs in first.  Seen on a loaded host: the daemon's
  # sign-in then failed ("ValueError: Decryption failed"), it gave up
  # ("Minion unable to successfully connect to a Salt Master") and did not
  # answer the orchestration's first step.
  wait_until 120 1 "the salt-minion daemon made no key pair in 2 minutes" \
    test -s "$etc/pki/minion/minion.pub"

  # A minion does not wait for its master here: the controller, defined
  # last, may come up after it (virtualbox brings machines up one by one);
  # the daemon keeps trying (acceptance_wait_time).  The master's machine
  # waits for its own minion.
  if [ $with_master = 1 ]; then
    master_answers() { timeout 30 salt-call --out=quiet test.ping >/dev/null 2>&1; }
    wait_until 60 5 "$minion_id could not reach its own salt-master after 5 minutes" master_answers
  fi
  echo "$me: $minion_id is a salt-minion$( [ $with_master = 1 ] && echo ' and runs the salt-master')"
fi

# --- before Vagrant's orchestrations: every minion in ------------------------
if [ -n "$wait_minions" ]; then
  [ $with_master = 1 ] || usage "--wait-minions needs -M (the master's machine)"
  # shellcheck disable=SC2046  # the ids: one word each
  set -- $(echo "$wait_minions" | tr ',' ' ')
  sh "$cluster_dir/wait-minions.sh" --timeout "$wait_timeout" "$@"
  # As cluster/run's master_sessions_settle: once every minion has signed
  # in, a restart makes each of the master's workers read every minion's
  # session key from disk (two workers answering a new minion's first
  # requests can keep different keys: "message authentication failed" at
  # random for the whole deployment).  Then every minion answers again.
  echo "$me: restarting the salt-master once its minions have signed in (Salt's per-minion session keys)"
  systemctl restart salt-master
  sh "$cluster_dir/wait-minions.sh" --timeout 300 "$@"
fi
