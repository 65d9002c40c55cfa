#!/bin/sh
# The drift phase's change by hand (cluster/run drift), on the controller:
# the admin project's default security group loses its IPv4 ICMP ingress
# rule, which the pillar still lists, as an operator's slip might.  The
# next orchestration must restore it.
set -eu
. /root/admin-openrc
sg=$(openstack security group list --project "$OS_PROJECT_NAME" -f value -c ID -c Name |
  awk '$2 == "default" { print $1 }')
if [ -z "$sg" ] || [ "$(echo "$sg" | wc -l)" != 1 ]; then
  echo "drift-by-hand: no single default group in project $OS_PROJECT_NAME: $sg" >&2
  exit 1
fi
rules=$(openstack security group rule list "$sg" --ingress --protocol icmp --ethertype IPv4 -f value -c ID)
if [ -z "$rules" ]; then
  echo "drift-by-hand: the default group has no IPv4 ICMP ingress rule to delete" >&2
  exit 1
fi
echo "$rules" | xargs openstack security group rule delete
echo "drift-by-hand: deleted the default group's ICMP rule ($(echo "$rules" | wc -l))"
