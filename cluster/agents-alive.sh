#!/bin/sh
# agents-alive.sh [SECONDS]: on the controller, as root, wait (120 s at
# most) until Neutron counts every network agent alive.  A restarted agent
# (cluster/chassis-reset.sh) is dead for Neutron until it reports again:
# ML2/OVN refuses to bind ports to a dead OVN controller agent, and the
# orchestration's cloud-verify fails on any dead agent.
# Prints nothing and exits 0 once all are alive; else prints the dead ones
# ("TYPE HOST;"...) and exits 1.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
limit=${1:-120}
. /root/admin-openrc || exit 2
start=$(date +%s)
while :; do
    dead=$(openstack network agent list -f value -c "Agent Type" -c Host -c Alive \
        | awk '$NF == "False" { NF--; printf "%s; ", $0 }')
    [ -z "$dead" ] && exit 0
    [ $(( $(date +%s) - start )) -ge "$limit" ] && break
    sleep 3
done
echo "$dead"
exit 1
