#!/usr/bin/env bash
# Build the Debian 13 (trixie) box for vagrant-lxc, offline from Debian's
# archive (the release and mirrors of cluster/debian.sh), with Salt (the
# version in constraints.txt) pre-installed from PyPI in a venv on trixie's
# Python 3.13.
#
#   cluster/build-box.sh [OUTPUT.box]      (root; default .cluster/trixie-lxc.box)
#
# Nothing OpenStack is in the box: the formulas install their packages.
# The wheelhouse under .cluster/wheelhouse makes rebuilds fast (no PyPI).
# The salt-master/salt-minion units are written by cluster/bootstrap-salt.sh
# (Vagrant's salt provisioner).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
state=${CLUSTER_STATE_DIR:-$repo/.cluster}
# shellcheck source=cluster/debian.sh
. "$here/debian.sh"
out=${1:-$state/$debian_suite-lxc.box}
salt_version=${SALT_VERSION:-$(sed -n 's/^salt==//p' "$repo/constraints.txt")}
[ -n "$salt_version" ] || { echo "build-box: no salt==VERSION line in $repo/constraints.txt" >&2; exit 1; }
# Debian's vagrant package ships the insecure public key.
pubkey=${VAGRANT_PUBKEY:-$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -n1)}
ca_bundle=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

[ "$(id -u)" = 0 ] || { echo "build-box: must run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-box: debootstrap missing" >&2; exit 1; }
[ -r "$pubkey" ] || { echo "build-box: vagrant insecure public key not found (install the vagrant package)" >&2; exit 1; }

mkdir -p "$state/wheelhouse" "$(dirname "$out")"
work=$(mktemp -d "$state/box-build.XXXXXX")
rootfs=$work/rootfs
mounted=()
cleanup() {
  local m
  for ((i=${#mounted[@]}-1; i>=0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# Through the host's apt proxy when there is one (cluster/run starts it).
proxy=${CLUSTER_APT_PROXY:-}
# (any HTTP answer will do; only a refused connection means there is none)
if [ -n "$proxy" ] && ! curl -sS -o /dev/null --max-time 3 "$proxy" 2>/dev/null; then proxy=; fi
echo "build-box: debootstrap $debian_suite from $debian_mirror${proxy:+ (through $proxy)}"
http_proxy=$proxy debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,systemd-resolved,dbus,openssh-server,sudo,iproute2,iputils-ping,python3,python3-venv,python3-pip,ca-certificates,curl,less,procps,gnupg,lsb-release,kmod,netbase,debian-archive-keyring \
  "$debian_suite" "$rootfs" "$debian_mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

rm -f "$rootfs/etc/apt/sources.list"
debian_sources > "$rootfs/etc/apt/sources.list.d/debian.sources"

# The test cluster's package installs, the largest part of a cold deploy
# (cluster/README.md): dpkg without an fsync per file (a disposable
# container; a crash loses the machine anyway) and without documentation,
# manual pages and translations (nothing the cloud or the checks read), and
# man-db's index is not rebuilt after each install.  This box only: the
# formulas do not tune the dpkg of real hosts.
cat > "$rootfs/etc/dpkg/dpkg.cfg.d/01-test-cluster" <<'DPKG'
force-unsafe-io
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
DPKG
echo 'man-db man-db/auto-update boolean false' | chroot "$rootfs" debconf-set-selections

# systemd-networkd + resolved: DHCP on eth0 (lxcbr0 / NAT).  The other
# NICs (management eth1, provider eth2) get their address from the provider
# (LXC: lxc.net.N.ipv4.address at container start) and networkd must never
# touch them again: the formulas may move those addresses to OVS bridges
# (br-phy, br-ex).  20-cluster-nics.network says so explicitly, whatever
# .network files later packages bring (networkd uses a link's first match).
mkdir -p "$rootfs/etc/systemd/network"
cat > "$rootfs/etc/systemd/network/10-eth0.network" <<'NET'
[Match]
Name=eth0

[Network]
DHCP=ipv4

[DHCPv4]
UseDomains=true
NET
cat > "$rootfs/etc/systemd/network/20-cluster-nics.network" <<'NET'
# eth1, eth2, ...: configured by the provider (and the formulas), not networkd
[Match]
Name=eth[1-9]*

[Link]
Unmanaged=yes
NET
chroot "$rootfs" systemctl enable systemd-networkd.service systemd-resolved.service >/dev/null 2>&1

# SSH host keys are made at first boot, never shipped in the box.  (trixie's
# own sshd-keygen.service has ConditionFirstBoot=yes, which a container
# started with this box's empty machine-id does not meet: seen skipped.)
rm -f "$rootfs"/etc/ssh/ssh_host_*
cat > "$rootfs/etc/systemd/system/ssh-host-keys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys at first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
chroot "$rootfs" systemctl enable ssh-host-keys.service >/dev/null 2>&1

# The vagrant user: insecure key, passwordless sudo.
chroot "$rootfs" useradd -m -s /bin/bash -U vagrant
install -d -m 0700 -o 1000 -g 1000 "$rootfs/home/vagrant/.ssh"
install -m 0600 -o 1000 -g 1000 "$pubkey" "$rootfs/home/vagrant/.ssh/authorized_keys"
# useradd in the chroot gave vagrant uid/gid 1000; make sure of it
[ "$(chroot "$rootfs" id -u vagrant)" = 1000 ] || { echo "build-box: vagrant uid is not 1000" >&2; exit 1; }
echo 'vagrant ALL=(ALL) NOPASSWD:ALL' > "$rootfs/etc/sudoers.d/vagrant"
chmod 0440 "$rootfs/etc/sudoers.d/vagrant"
echo 'UseDNS no' > "$rootfs/etc/ssh/sshd_config.d/vagrant.conf"

# Salt from PyPI into a venv, through a wheelhouse cached on the host.
echo "build-box: salt $salt_version into /opt/saltstack/venv (wheelhouse $state/wheelhouse)"
for d in proc sys dev; do
  mount --bind "/$d" "$rootfs/$d"; mounted+=("$rootfs/$d")
done
mkdir -p "$rootfs/wheelhouse"
mount --bind "$state/wheelhouse" "$rootfs/wheelhouse"; mounted+=("$rootfs/wheelhouse")
rm -f "$rootfs/etc/resolv.conf"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
cp "$ca_bundle" "$rootfs/tmp/host-ca.crt"
reqs="salt==$salt_version netaddr requests"
chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  PIP_CERT=/tmp/host-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
  DEBIAN_FRONTEND=noninteractive http_proxy=$proxy \
  /bin/sh -ec "
    python3 -m venv /opt/saltstack/venv
    /opt/saltstack/venv/bin/pip install -q --no-index --find-links /wheelhouse $reqs 2>/dev/null || {
      # Some of Salt's dependencies publish no wheel (timelib): a compiler
      # for the build, gone again before the box is packed.
      build_deps='gcc libc6-dev python3-dev'
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends \$build_deps >/dev/null
      /opt/saltstack/venv/bin/pip install -q wheel
      /opt/saltstack/venv/bin/pip wheel -q --wheel-dir /wheelhouse wheel $reqs
      apt-get purge -y -qq --autoremove \$build_deps >/dev/null
      apt-get clean
      /opt/saltstack/venv/bin/pip install -q --no-index --find-links /wheelhouse $reqs
    }
    for b in /opt/saltstack/venv/bin/salt*; do ln -sf \"\$b\" /usr/local/bin/; done
    salt-call --version
  " 2>&1 | sed 's/^/  /'
rm -f "$rootfs/tmp/host-ca.crt"
for ((i=${#mounted[@]}-1; i>=0; i--)); do umount "${mounted[$i]}"; done
mounted=()
rmdir "$rootfs/wheelhouse"
# resolved owns name resolution in the machines
ln -sf ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"

mkdir -p "$rootfs/etc/salt/minion.d" "$rootfs/etc/salt/master.d"

# Clean identity and caches.
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$rootfs/var/lib/dbus/machine-id"
echo "$debian_suite" > "$rootfs/etc/hostname"
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/root/.cache

echo "build-box: packing"
cat > "$work/metadata.json" <<META
{"provider": "lxc", "version": "1.0.0", "built-on": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
META
cat > "$work/lxc-config" <<'CFG'
lxc.include = /usr/share/lxc/config/debian.common.conf
lxc.arch = x86_64
CFG
# vagrant-lxc's template strips two path components: ./rootfs/bin -> bin
tar --numeric-owner --xattrs --xattrs-include='*' -C "$work" -czf "$work/rootfs.tar.gz" ./rootfs
tar -C "$work" -cf "$out.tmp" metadata.json lxc-config rootfs.tar.gz
mv -f "$out.tmp" "$out"
echo "build-box: $out ($(du -h "$out" | cut -f1))"
