#!/bin/bash
# A TEST-ONLY Ceph cluster on one host of the LXC test cluster (the
# controller): one monitor, one bluestore OSD on a sparse file, optionally a
# manager, the rbd pool that Cinder's rbd backend uses and its cephx user.
# Not a Ceph installer for real use: one copy of every object, no redundancy.
#
# Why by hand (no cephadm, no ceph-volume): this kernel has no
# device-mapper, so ceph-volume's LVM OSDs are impossible; bluestore on a
# plain file needs no kernel support (src/vstart.sh does the same), and the
# clients (cinder-volume's librados, librbd inside QEMU) need none either.
#
# Usage (as root, on the controller):
#   cluster/ceph.sh FSID MON_ADDR KEYFILE
#     FSID      the cluster's fsid (pillar openstack:ceph:fsid)
#     MON_ADDR  the monitor's address, the host's management address
#               (pillar openstack:ceph:monitors)
#     KEYFILE   a file holding the client's cephx key (base64, one line;
#               pillar openstack:passwords:ceph_cinder_key), or - for stdin.
#               The key never goes on a command line.
# Environment (defaults in brackets):
#   CEPH_POOL [volumes]  CEPH_CLIENT [cinder]  CEPH_PG_NUM [8]
#   CEPH_OSD_SIZE_GB [10]  (sparse file; what the pool can hold)
#   CEPH_MGR [1]           (0: no ceph-mgr; Ceph then reports HEALTH_WARN and
#                           `ceph df`, which cinder's capacity report reads,
#                           shows no pool statistics)
#   CEPH_MON_ID [hostname -s]
#
# Clients reach the host on tcp 3300 and 6789 (monitor) and 6800-7568 (OSD,
# manager): the project's firewall must let them in from the management
# network (pillar openstack:lookup:firewall:ports:controller:management);
# this script cannot, an accept in another nftables table does not undo
# that table's drop.
#
# Idempotent: every step checks before it acts; a second run changes
# nothing.  Daemon tuning lives in the monitors' configuration database
# (`ceph config set`), not in ceph.conf, because Salt's ceph.config owns
# /etc/ceph/ceph.conf on this host and writes only fsid and mon_host.
set -euo pipefail

usage() { echo "usage: $0 FSID MON_ADDR KEYFILE|-" >&2; exit 2; }
[ $# -eq 3 ] || usage
fsid=$1 mon_addr=$2 keyfile=$3
pool=${CEPH_POOL:-volumes}
client=${CEPH_CLIENT:-cinder}
pg_num=${CEPH_PG_NUM:-8}
osd_size_gb=${CEPH_OSD_SIZE_GB:-10}
with_mgr=${CEPH_MGR:-1}
mon_id=${CEPH_MON_ID:-$(hostname -s)}

say() { echo "ceph.sh: $*"; }
die() { echo "ceph.sh: $*" >&2; exit 1; }

[[ $fsid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] \
  || die "fsid '$fsid' is not a lowercase UUID"
[[ $mon_addr =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "MON_ADDR '$mon_addr' is not an IPv4 address"
[ "$(id -u)" = 0 ] || die "run as root"

# The client key: from the file (or stdin), checked to be a cephx key (28
# bytes: le16 type, le32 sec, le32 nsec, le16 length 16, 16 bytes).
key=
if [ "$keyfile" = - ]; then
  IFS= read -r key || true
else
  [ -r "$keyfile" ] || die "cannot read the key file $keyfile"
  IFS= read -r key <"$keyfile" || true
fi
key=${key//[[:space:]]/}
[ -n "$key" ] || die "no key in ${keyfile/#-/stdin}"
[ "$(printf '%s' "$key" | base64 -d 2>/dev/null | wc -c)" = 28 ] \
  || die "the key in ${keyfile/#-/stdin} is not a cephx key (base64 of 28 bytes)"

# Daemons this run started (a client that came up before them, cinder-volume,
# is restarted at the end).
started=0
# A unit enabled, and started when it is not running.  The instance units
# are wanted by their target (ceph-mon.target...), the targets by ceph.target,
# and that by multi-user.target: all enabled, so the daemons come back
# after a reboot.
run_unit() {  # UNIT TARGET
  local t
  for t in ceph.target "$2"; do
    systemctl is-enabled -q "$t" 2>/dev/null || systemctl enable -q "$t"
  done
  systemctl is-enabled -q "$1" || systemctl enable -q "$1"
  if ! systemctl is-active -q "$1"; then
    say "starting $1"
    systemctl start "$1"
    started=1
  fi
}

# Root's scratch directory: root-owned, 0711 (the ceph user reaches the
# monitor's mkfs inputs in it, group ceph 0640, but can put nothing there).
# Root writes only into directories root owns: a daemon's directory is
# handed to ceph once its keyring is in (as_ceph makes the markers in it).
work=$(mktemp -d /run/ceph-sh.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 711 "$work"
as_ceph() { runuser -u ceph -- "$@"; }

# --- packages --------------------------------------------------------------
pkgs=(ceph-mon ceph-osd)
[ "$with_mgr" = 1 ] && pkgs+=(ceph-mgr)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  start=$SECONDS
  # Run alone (`cluster/run ceph`) on a machine whose package lists have
  # aged, the first try can name versions the mirror no longer has.  A
  # fresh machine's apt-daily may hold the lock for a while.
  lock=(-o DPkg::Lock::Timeout=600)
  if ! DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    say "apt-get install failed; updating the package lists and trying again"
    apt-get "${lock[@]}" update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
  say "packages installed in $((SECONDS - start)) s"
fi

# --- ceph.conf: what Salt's ceph.config writes too (fsid, mon_host) ---------
conf=/etc/ceph/ceph.conf
if ! grep -qx "fsid = $fsid" "$conf" 2>/dev/null || ! grep -qx "mon_host = $mon_addr" "$conf"; then
  [ -e "$conf" ] && grep -q '^fsid' "$conf" && ! grep -qx "fsid = $fsid" "$conf" \
    && die "$conf names another fsid; refusing to overwrite"
  say "writing $conf"
  install -d -m 0755 /etc/ceph
  printf '# Written by cluster/ceph.sh (test cluster); Salt'"'"'s ceph.config writes the same.\n[global]\nfsid = %s\nmon_host = %s\n' \
    "$fsid" "$mon_addr" >"$conf"
  chmod 0644 "$conf"
fi

# --- admin keyring -----------------------------------------------------------
admin=/etc/ceph/ceph.client.admin.keyring
if [ ! -s "$admin" ]; then
  say "creating the client.admin keyring"
  (umask 077; ceph-authtool --create-keyring "$admin" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null)
fi

# --- monitor -----------------------------------------------------------------
mon_dir=/var/lib/ceph/mon/ceph-$mon_id
if [ ! -e "$mon_dir/done" ]; then
  say "creating monitor mon.$mon_id at $mon_addr"
  rm -rf "$mon_dir"
  install -d -o ceph -g ceph -m 0750 "$mon_dir"
  (umask 077; ceph-authtool --create-keyring "$work/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null)
  ceph-authtool "$work/mon.keyring" --import-keyring "$admin" >/dev/null
  monmaptool --create --fsid "$fsid" --addv "$mon_id" "[v2:$mon_addr:3300,v1:$mon_addr:6789]" \
    "$work/monmap" >/dev/null
  chgrp ceph "$work/mon.keyring" "$work/monmap"
  chmod 0640 "$work/mon.keyring" "$work/monmap"
  ceph-mon --mkfs -i "$mon_id" --monmap "$work/monmap" --keyring "$work/mon.keyring" \
    --setuser ceph --setgroup ceph
  as_ceph touch "$mon_dir/done"
fi
run_unit "ceph-mon@$mon_id" ceph-mon.target

cephq() { ceph --connect-timeout 10 "$@"; }
wait_for() {  # DESCRIPTION SECONDS COMMAND...
  local what=$1 limit=$2; shift 2
  local until=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $until ] || die "timed out after ${limit}s waiting for $what"
    sleep 2
  done
}
wait_for "the monitor's quorum" 120 cephq mon stat

# Cluster settings, in the monitors' configuration database.  Set only
# what differs from what the database holds (`config get` takes no
# "global"; the dump does), so that a second run writes nothing.
config_now=$(cephq config dump -f json | python3 -c 'import json, sys
for o in json.load(sys.stdin):
    print(o["section"], o["name"], o["value"], sep="\t")')
conf_set() {  # WHO OPTION VALUE
  if ! grep -qxF "$1"$'\t'"$2"$'\t'"$3" <<<"$config_now"; then
    say "config set $1 $2 $3"
    cephq config set "$1" "$2" "$3"
  fi
}
# One copy of everything, on one host: test data only.
conf_set global osd_pool_default_size 1
conf_set global osd_pool_default_min_size 1
conf_set global mon_allow_pool_size_one true
conf_set global mon_warn_on_pool_no_redundancy false
conf_set global osd_pool_default_pg_autoscale_mode off
conf_set global osd_crush_chooseleaf_type 0
conf_set mon auth_allow_insecure_global_id_reclaim false
# The containers share the host's root file system, usually fuller than
# the 30% free Ceph wants for a monitor's store.
conf_set mon mon_data_avail_warn 5
# Memory: a fixed small bluestore cache instead of the 4 GiB autotuned
# target, fewer op shards.
conf_set osd bluestore_cache_autotune false
conf_set osd bluestore_cache_size 67108864
conf_set osd osd_memory_target 939524096
conf_set osd osd_op_num_shards 1
conf_set osd osd_op_num_threads_per_shard 2

# --- OSD: bluestore on a sparse file -----------------------------------------
uuid_file=/etc/ceph/test-osd.uuid  # root's (/var/lib/ceph is the ceph user's)
if [ ! -s "$uuid_file" ]; then
  cat /proc/sys/kernel/random/uuid >"$uuid_file"
fi
osd_uuid=$(cat "$uuid_file")
# `ceph osd new` is idempotent for a known uuid: it answers the same id.
osd_id=$(cephq osd new "$osd_uuid")
osd_dir=/var/lib/ceph/osd/ceph-$osd_id
if [ ! -e "$osd_dir/mkfs_done" ]; then
  say "creating osd.$osd_id (bluestore on a ${osd_size_gb} GiB sparse file)"
  rm -rf "$osd_dir"
  install -d -m 0750 "$osd_dir"
  (umask 077; cephq auth get-or-create "osd.$osd_id" mon 'allow profile osd' mgr 'allow profile osd' \
    osd 'allow *' -o "$osd_dir/keyring")
  chown ceph:ceph "$osd_dir/keyring" "$osd_dir"
  ceph-osd -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" --osd-objectstore bluestore \
    --bluestore-block-create=true --bluestore-block-size $((osd_size_gb << 30)) \
    --setuser ceph --setgroup ceph
  as_ceph touch "$osd_dir/mkfs_done"
fi
run_unit "ceph-osd@$osd_id" ceph-osd.target
osd_up() { [ "$(cephq osd dump -f json | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(sum(o["up"] for o in d["osds"]))')" -ge 1 ]; }
wait_for "osd.$osd_id up" 180 osd_up

# --- manager (optional) ------------------------------------------------------
if [ "$with_mgr" = 1 ]; then
  mgr_dir=/var/lib/ceph/mgr/ceph-$mon_id
  if [ ! -s "$mgr_dir/keyring" ]; then
    say "creating mgr.$mon_id"
    rm -rf "$mgr_dir"
    install -d -m 0750 "$mgr_dir"
    (umask 077; cephq auth get-or-create "mgr.$mon_id" mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
      -o "$mgr_dir/keyring")
    chown ceph:ceph "$mgr_dir/keyring" "$mgr_dir"
  fi
  run_unit "ceph-mgr@$mon_id" ceph-mgr.target
  # Debian 13's ceph-mgr (18.2.7) runs its Python modules in
  # subinterpreters, which PyO3 extensions (bcrypt, cryptography) refuse:
  # every module reports a failed dependency (HEALTH_WARN
  # MGR_MODULE_DEPENDENCY).  The manager's C++ side still gathers the PG
  # statistics `ceph df` answers from (cinder's capacity report reads
  # them); no module is needed here.  Muted (sticky), so that any other
  # warning still shows.
  mutes=$(cephq health detail -f json | python3 -c 'import json, sys
print(" ".join(m["code"] for m in json.load(sys.stdin).get("mutes", [])))')
  if [[ " $mutes " != *" MGR_MODULE_DEPENDENCY "* ]]; then
    say "muting MGR_MODULE_DEPENDENCY (Debian's ceph-mgr modules and PyO3)"
    cephq health mute MGR_MODULE_DEPENDENCY --sticky
  fi
fi

# --- the pool ----------------------------------------------------------------
pools=$(cephq osd pool ls)  # (read whole: grep -q under pipefail)
if ! grep -qx "$pool" <<<"$pools"; then
  say "creating pool $pool ($pg_num PGs)"
  cephq osd pool create "$pool" "$pg_num" "$pg_num" replicated
fi
if [ "$(cephq osd pool get "$pool" size -f json | python3 -c 'import json,sys; print(json.load(sys.stdin)["size"])')" != 1 ]; then
  cephq osd pool set "$pool" size 1 --yes-i-really-mean-it
fi
apps=$(cephq osd pool application get "$pool")
if ! grep -q '"rbd"' <<<"$apps"; then
  say "rbd pool init $pool"
  timeout 120 rbd pool init "$pool"
fi

# --- the client: the given key, rbd caps on the pool ------------------------
want_mon='profile rbd' want_osd="profile rbd pool=$pool"
# shellcheck disable=SC2016
same=$(cephq auth get "client.$client" -f json 2>/dev/null | KEY=$key MON=$want_mon OSD=$want_osd python3 -c '
import json, os, sys
try:
    e = json.load(sys.stdin)[0]
except Exception:
    print("no"); sys.exit()
ok = e.get("key") == os.environ["KEY"] and e.get("caps") == {"mon": os.environ["MON"], "osd": os.environ["OSD"]}
print("yes" if ok else "no")' || echo no)
(umask 077; printf '[client.%s]\n\tkey = %s\n\tcaps mon = "%s"\n\tcaps osd = "%s"\n' \
  "$client" "$key" "$want_mon" "$want_osd" >"$work/client.keyring")
if [ "$same" != yes ]; then
  say "importing client.$client (its key and caps: mon '$want_mon', osd '$want_osd')"
  cephq auth import -i "$work/client.keyring"
fi

# The client as Cinder will be: its own key (from a file, never the admin's),
# the monitor by its address, the pool listed.
timeout 60 rbd --id "$client" --keyring "$work/client.keyring" -m "$mon_addr" \
  ls "$pool" >/dev/null || die "client.$client cannot list pool $pool with its key"

# A cinder-volume that started before its Ceph (a reboot, this phase run
# again after the Ceph stopped) gave up on its rbd backend: restart it.
if [ "$started" = 1 ] && systemctl is-active -q cinder-volume 2>/dev/null; then
  say "restarting cinder-volume (its Ceph was not running)"
  systemctl restart cinder-volume
fi

cephq -s
