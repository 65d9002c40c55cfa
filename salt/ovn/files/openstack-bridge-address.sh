#!/bin/sh
# Managed by Salt (ovn formula).
#
#   openstack-bridge-address BRIDGE PORT [ADDRESS/PREFIX ...]
#
# PORT is a host interface that Open vSwitch's bridge BRIDGE holds: the
# host's traffic on that link now enters and leaves through the bridge's
# own device, so the addresses of PORT, and the routes through it, move
# onto BRIDGE.  The ADDRESSes given (the pillar's) are put on BRIDGE as
# well: after a restart of ovs-vswitchd the userspace datapath makes the
# bridge's device anew and PORT no longer has them.  The routes last seen
# on PORT are kept in /run for that case.  Addresses are added to the
# bridge before they leave the port, so the host stays reachable (the
# salt-minion's connection to its master included).
set -eu
bridge=$1
port=$2
shift 2
saved=/run/openstack-bridge-address/$bridge.routes
mkdir -p "${saved%/*}"

# ovs-vswitchd makes the bridge's device once it has read its database.
tries=0
until ip link show dev "$bridge" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
        echo "openstack-bridge-address: no device $bridge after 10 s" >&2
        exit 1
    fi
    sleep 0.1
done
ip link set dev "$port" up
ip link set dev "$bridge" up
# The kernel still sees every frame PORT receives (the userspace datapath
# reads the same link): without these it would answer ARP for, and accept
# packets to, the bridge's addresses on PORT too, doubling every reply.
# rp_filter drops what arrives on PORT for a source routed via BRIDGE;
# arp_ignore leaves ARP for the bridge's addresses to the bridge.
echo 1 >"/proc/sys/net/ipv4/conf/$port/rp_filter"
echo 1 >"/proc/sys/net/ipv4/conf/$port/arp_ignore"

# The port's routes other than those the kernel makes for its addresses,
# as "4 <route>" / "6 <route>" lines.
port_addresses=$(ip -o addr show dev "$port" scope global | awk '{ print $4 }')
if [ -n "$port_addresses" ]; then
    for family in 4 6; do
        ip -"$family" route show dev "$port" | grep -v -e ' proto kernel' -e '^fe80:' \
            | sed -e 's/ linkdown//' -e 's/ dead//' -e "s/^/$family /" || true
    done >"$saved.new"
    mv "$saved.new" "$saved"
fi

for address in "$@" $port_addresses; do
    case $address in
        *:*) ip -6 addr replace "$address" dev "$bridge" ;;
        *) ip -4 addr replace "$address" broadcast + dev "$bridge" ;;
    esac
done
for address in $port_addresses; do
    ip addr del "$address" dev "$port"
done
if [ -s "$saved" ]; then
    while read -r family route; do
        # shellcheck disable=SC2086 # a route is several words
        ip -"$family" route replace $route dev "$bridge"
    done <"$saved"
fi
