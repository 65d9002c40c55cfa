#!/bin/sh
# Wait until every given minion's key is accepted by this salt-master and the
# minion answers test.ping; on the master's machine, as root.
#
#   wait-minions.sh [--timeout SECONDS] [--interval SECONDS] ID...
#
# Run by cluster/bootstrap-salt.sh on the controller before Vagrant's
# orchestrations (`vagrant up` without CLUSTER_ORCHESTRATE=0): on a provider
# that brings the machines up in parallel (lxc, libvirt) the minions may
# still be booting when the controller's provisioning gets here.  Exits 0
# when all answer; 1 after SECONDS (default 900), naming each minion that is
# not in and why (no key yet, key pending or rejected, or accepted but not
# answering).
set -eu

me=wait-minions
timeout=900 interval=5
while [ $# -gt 0 ]; do
  case $1 in
    --timeout) [ $# -ge 2 ] || { echo "$me: --timeout needs SECONDS" >&2; exit 2; }; timeout=$2; shift 2 ;;
    --interval) [ $# -ge 2 ] || { echo "$me: --interval needs SECONDS" >&2; exit 2; }; interval=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "$me: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "$me: no minion ids given" >&2; exit 2; }
for n in "$timeout" "$interval"; do
  case $n in ''|*[!0-9]*) echo "$me: not a number of seconds: $n" >&2; exit 2 ;; esac
done

# keys STATE: the ids salt-key lists in that state (acc, un, rej, den), one a line
keys() { salt-key --no-color -l "$1" 2>/dev/null | grep -v ':$' || true; }
has() { printf '%s\n' "$1" | grep -qxF "$2"; }

start=$(date +%s)
while :; do
  accepted=$(keys acc)
  waiting= in=
  for id in "$@"; do
    if has "$accepted" "$id"; then in="$in${in:+,}$id"; else waiting="$waiting $id"; fi
  done
  answering=
  if [ -n "$in" ]; then
    answering=$(salt --no-color --out=txt --timeout 15 -L "$in" test.ping 2>/dev/null \
      | sed -n 's/^\([^:]*\): True$/\1/p' || true)
  fi
  missing=
  for id in "$@"; do has "$answering" "$id" || missing="$missing $id"; done
  if [ -z "$missing" ]; then
    echo "$me: $# minions accepted and answering ($*) after $(( $(date +%s) - start )) s"
    exit 0
  fi
  elapsed=$(( $(date +%s) - start ))
  if [ "$elapsed" -ge "$timeout" ]; then
    pending=$(keys un) rejected=$(keys rej) denied=$(keys den)
    echo "$me: after $elapsed s (timeout $timeout s), not every minion is in:" >&2
    for id in $missing; do
      if has "$accepted" "$id"; then why="key accepted, but it does not answer test.ping (is its salt-minion running? its log: /var/log/salt/minion)"
      elif has "$pending" "$id"; then why="key pending: not in the autosign list (/etc/salt/autosign.conf)"
      elif has "$rejected" "$id" || has "$denied" "$id"; then why="key rejected or denied (another key with this id was accepted before?)"
      else why="no key: the machine is not up, or its salt-minion has not reached this master"
      fi
      echo "  $id: $why" >&2
    done
    exit 1
  fi
  sleep "$interval"
done
