#!/bin/sh
# The chassis reset before Tempest's retry (cluster/run's tempest phase):
# run as root on a compute or the gateway, from /vagrant.
#
# First what the chassis shows (kept by cluster/run in
# .cluster/tempest/reset/reset-MACHINE.txt), so that a failure the retry
# then passes still says where the guest's traffic stopped:
#   ovn-controller's southbound connection, its packet-ins (pinctrl) and
#   its last warnings; the tunnel ARP cache (userspace tunnelling); the
#   OVN metadata agent's state, its metadata namespaces and its last
#   errors; vswitchd's packet-in drop counters.
# Then the reset: the tunnel ARP cache flushed; ovn-controller restarted
# (every flow recomputed, pinctrl's connection to br-int made again; the
# upstream report ovn-org/ovn#272 has DHCP offers lost until that), with
# `exit --restart` first, so that it keeps its chassis and port bindings
# (Debian's unit stops it with cleanup: the chassis deleted, gateway
# ports moved); the metadata agent restarted where it runs; and a wait
# (60 s at most) for ovn-controller to be connected again.  Every appctl
# call is bounded (-T 10).
#
# The last line is the summary cluster/run prints:
#   reset: sb=connected ovn-controller=restarted metadata-agent=restarted|not here
# Exit status 0 when ovn-controller is connected again, 1 otherwise.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
metadata_unit=neutron-ovn-metadata-agent
controller_unit=ovn-controller
ovn() { ovn-appctl -T 10 -t ovn-controller "$@"; }

echo "== before the reset ($(date -u +%FT%TZ))"
echo "sb=$(ovn connection-status 2>&1)"
ovn coverage/show 2>&1 | grep -E 'pinctrl_total_pin_pkts|pinctrl_drop' | cut -c 1-160
echo "tunnel-arp:"
ovs-appctl -T 10 tnl/arp/show 2>&1 | tail -n +3
ovs-appctl -T 10 coverage/show 2>&1 \
    | grep -E '(packet_in_overflow|connmgr_async_unsent|rconn_overflow|datapath_drop_upcall_error|datapath_drop_lock_error) ' \
    | cut -c 1-160
echo "ovn-controller warnings:"
grep -E '[|](WARN|ERR|EMER)[|]' /var/log/ovn/ovn-controller.log 2>/dev/null | tail -n 5 | cut -c 1-300
metadata=0
if systemctl is-enabled --quiet "$metadata_unit" 2>/dev/null; then
    metadata=1
    echo "metadata-agent=$(systemctl is-active "$metadata_unit") namespaces=$(ip netns 2>/dev/null | grep -c '^ovnmeta-')"
    echo "metadata-agent errors:"
    grep -E ' (ERROR|CRITICAL) ' /var/log/neutron/neutron-ovn-metadata-agent.log 2>/dev/null | tail -n 5 | cut -c 1-300
fi

echo "== the reset"
ovs-appctl -T 10 tnl/arp/flush >/dev/null 2>&1 || echo "tnl/arp/flush failed"
ovn exit --restart >/dev/null 2>&1 || echo "exit --restart failed: the unit's stop cleans up"
sleep 1
if systemctl restart "$controller_unit"; then ctl=restarted; else ctl="restart failed (exit $?)"; fi
agent="not here"
if [ $metadata = 1 ]; then
    if systemctl restart "$metadata_unit"; then agent=restarted; else agent="restart failed (exit $?)"; fi
fi
i=0
sb=$(ovn connection-status 2>/dev/null)
while [ "$sb" != connected ] && [ $i -lt 60 ]; do
    sleep 1; i=$((i + 1))
    sb=$(ovn connection-status 2>/dev/null)
done
echo "reset: sb=${sb:-no answer} ovn-controller=$ctl metadata-agent=$agent"
[ "$sb" = connected ]
