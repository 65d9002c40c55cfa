#!/bin/sh
# The chassis reset before Tempest's retry (cluster/run's tempest phase):
# run as root on a compute or the gateway, from /vagrant.
#
# First what the chassis shows (kept by cluster/run in
# .cluster/tempest/reset-MACHINE.txt), so that a failure the retry then
# hides still says where the guest's traffic stopped:
#   ovn-controller's southbound connection, its packet-ins (pinctrl) and
#   its last warnings; the tunnel ARP cache (userspace tunnelling); the
#   OVN metadata agent's state, its metadata namespaces and its last
#   errors; vswitchd's packet-in drop counters.
# Then the reset: the tunnel ARP cache flushed, ovn-controller restarted
# (every flow recomputed, pinctrl's connection to br-int made again; the
# upstream report ovn-org/ovn#272 has DHCP offers lost until that), the
# metadata agent restarted where it runs; and a wait (60 s at most) for
# ovn-controller to be connected again.
#
# The last line is the summary cluster/run prints:
#   reset: sb=connected ovn-controller=restarted metadata-agent=restarted|not here
# Exit status 0 when ovn-controller is connected again, 1 otherwise.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
metadata_unit=neutron-ovn-metadata-agent
controller_unit=ovn-controller

echo "== before the reset ($(date -u +%FT%TZ))"
echo "sb=$(ovn-appctl -t ovn-controller connection-status 2>&1)"
ovn-appctl -t ovn-controller coverage/show 2>&1 | grep -E 'pinctrl_total_pin_pkts|pinctrl_drop' | cut -c 1-160
echo "tunnel-arp:"
ovs-appctl tnl/arp/show 2>&1 | tail -n +3
ovs-appctl coverage/show 2>&1 \
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
ovs-appctl tnl/arp/flush >/dev/null 2>&1 || echo "tnl/arp/flush failed"
systemctl restart "$controller_unit"
agent="not here"
if [ $metadata = 1 ]; then
    systemctl restart "$metadata_unit" && agent=restarted || agent="restart failed"
fi
i=0
sb=$(ovn-appctl -t ovn-controller connection-status 2>/dev/null)
while [ "$sb" != connected ] && [ $i -lt 60 ]; do
    sleep 1; i=$((i + 1))
    sb=$(ovn-appctl -t ovn-controller connection-status 2>/dev/null)
done
echo "reset: sb=${sb:-no answer} ovn-controller=restarted metadata-agent=$agent"
[ "$sb" = connected ]
