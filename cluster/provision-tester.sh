#!/bin/sh
# Vagrant provisioner of the tester: the machine outside the cloud where
# Tempest (cluster/tempest.py) and the dashboard's browser check
# (cluster/dashboard.py) run, as they would on a user's machine.
#
# Its packages come from the cloud's own Debian release (Tempest's version
# is the release's tag).  They are installed by a transient systemd unit,
# tester-packages, so that `vagrant up` returns at once and the download
# overlaps the cloud's orchestration; `cluster/run tempest` waits for it
# (tester_ready).  Idempotent: a second provisioning starts nothing when
# the packages are there.
set -eu

PKGS="tempest python3-openstacksdk python3-subunit chromium chromium-driver python3-selenium fonts-dejavu-core curl libnss3-tools"
stamp=/var/lib/tester-packages.done
# Every package installed (dpkg-query prints nothing for one it never knew)
installed=$(dpkg-query -W -f '${Status}\n' $PKGS 2>/dev/null | grep -c 'install ok installed' || true)
if [ "$installed" != "$(echo $PKGS | wc -w)" ]; then
  rm -f $stamp
fi
if [ -e $stamp ]; then
  echo "provision-tester: packages present"
  exit 0
fi
if systemctl is-active --quiet tester-packages; then
  echo "provision-tester: tester-packages is already running"
  exit 0
fi
systemctl reset-failed tester-packages 2>/dev/null || true
systemd-run --unit=tester-packages --description="the tester's packages" \
  --setenv=DEBIAN_FRONTEND=noninteractive \
  sh -c "for try in 1 2 3; do
           apt-get install -y -q --no-install-recommends $PKGS && touch $stamp && exit 0
           echo \"attempt \$try of 3 failed; apt-get update, then again\"
           sleep 20; apt-get update -q
         done; exit 1"
echo "provision-tester: installing in the background (systemctl status tester-packages): $PKGS"
