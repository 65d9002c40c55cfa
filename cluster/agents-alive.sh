#!/bin/sh
# agents-alive.sh SECONDS HOST...: on the controller, as root, wait
# (SECONDS at most) until Neutron counts every network agent of each HOST
# alive, and each HOST has one at least.  A restarted agent
# (cluster/chassis-reset.sh) is dead for Neutron until it reports again:
# ML2/OVN refuses to bind ports to a dead OVN controller agent, and the
# orchestration's cloud-verify fails on any dead agent.  Agents of other
# hosts (a compute stopped by the faults phase) are not waited for.
# Prints nothing and exits 0 once all are alive; else prints what is
# missing ("HOST: no agent; TYPE HOST dead; "...) and exits 1.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
limit=$1
shift
. /root/admin-openrc || exit 2
start=$(date +%s)
while :; do
    if out=$(openstack network agent list -f value -c "Agent Type" -c Host -c Alive 2>&1); then
        bad=$(printf '%s\n' "$out" | awk -v hosts="$*" '
            BEGIN { n = split(hosts, h, " "); for (i = 1; i <= n; i++) want[h[i]] = 1 }
            { alive = $NF; host = $(NF - 1) }
            host in want { seen[host] = 1; if (alive != "True") { NF--; printf "%s dead; ", $0 } }
            END { for (x in want) if (!(x in seen)) printf "%s: no agent; ", x }')
        [ -z "$bad" ] && exit 0
    else
        bad="openstack network agent list failed: $(printf '%s' "$out" | tail -n 1)"
    fi
    [ $(( $(date +%s) - start )) -ge "$limit" ] && break
    sleep 3
done
echo "$bad"
exit 1
