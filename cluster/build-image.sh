#!/bin/bash
# Build the verification guest offline from Debian packages:
#   vmlinuz     a Debian cloud kernel (linux-image-cloud-amd64)
#   initrd.img  a busybox-static initramfs whose /init (cluster/image/init)
#               takes DHCP, reads user-data and the SSH key from the metadata
#               service and prints markers on the serial console
#   root.img    a small raw disk: the Glance image that points at both
#               through its kernel_id / ramdisk_id properties
#
# Glance gets them from pillar (salt/cloud/images.sls; /vagrant is this
# repository on the controller), e.g. in the cluster's pillar:
#
#   openstack:
#     glance:
#       images:
#         - {name: verify-kernel, source: /vagrant/.cluster/image/vmlinuz,
#            disk_format: aki, container_format: aki}
#         - {name: verify-initrd, source: /vagrant/.cluster/image/initrd.img,
#            disk_format: ari, container_format: ari}
#         - {name: verify-guest, source: /vagrant/.cluster/image/root.img,
#            disk_format: raw, kernel: verify-kernel, ramdisk: verify-initrd}
#
# cluster/verify.py checks it (check 2) and boots it (checks 4-7).
#
# Usage: cluster/build-image.sh [--test] [OUTDIR]   (default OUTDIR: .cluster/image)
#   --test   boot the result under qemu TCG with user-mode networking and
#            check the markers (installs qemu-system-x86 if missing)
#
# Needs apt-get (Debian's archive) the first time only; idempotent: the
# downloaded packages are kept in OUTDIR/debs and the images are rebuilt only
# when the packages or the guest files change.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TEST=0
if [ "${1:-}" = "--test" ]; then TEST=1; shift; fi
OUT=$(mkdir -p "${1:-$REPO/.cluster/image}" && cd "${1:-$REPO/.cluster/image}" && pwd)
KERNEL_META=${KERNEL_META:-linux-image-cloud-amd64}
# Modules the guest needs that the cloud kernel does not build in.
MODULES=${MODULES:-"virtio_pci virtio_net virtio_blk"}
ROOT_SIZE_MB=${ROOT_SIZE_MB:-1}

log() { printf '[build-image] %s\n' "$*" >&2; }
t0=$(date +%s)

mkdir -p "$OUT/debs"
cd "$OUT/debs"

# --- packages (downloaded once) ---------------------------------------------
download() {  # download PKG -> prints the .deb path
    local pkg=$1 ver deb
    ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
        log "no candidate for $pkg (apt-get update?)"; exit 1
    fi
    deb=$(ls "${pkg}_"*"$(echo "${ver#*:}" | sed 's/+/%2b/g; s/~/%7e/g')"_*.deb 2>/dev/null | head -n 1 || true)
    [ -z "$deb" ] && deb=$(ls "${pkg}_"*"${ver#*:}"_*.deb 2>/dev/null | head -n 1 || true)
    if [ -z "$deb" ]; then
        log "downloading $pkg $ver"
        apt-get download -q "$pkg=$ver" >/dev/null 2>&1 || apt-get download "$pkg=$ver"
        deb=$(ls -t "${pkg}_"*.deb | head -n 1)
    fi
    echo "$OUT/debs/$deb"
}

kpkg=$(apt-cache depends "$KERNEL_META" | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$kpkg" ] || { log "cannot resolve $KERNEL_META"; exit 1; }
kdeb=$(download "$kpkg")
bbdeb=$(download busybox-static)

# --- up to date? --------------------------------------------------------------
stamp=$( (basename "$kdeb"; basename "$bbdeb"; echo "$MODULES $ROOT_SIZE_MB";
          cat "$HERE/build-image.sh" "$HERE"/image/*) | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$stamp" ] \
        && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ -f "$OUT/root.img" ]; then
    log "up to date: $OUT"
else
    work=$(mktemp -d "$OUT/work.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    dpkg-deb -x "$kdeb" "$work/kernel"
    dpkg-deb -x "$bbdeb" "$work/busybox"
    kver=$(ls "$work/kernel/lib/modules")
    kmods=$work/kernel/lib/modules/$kver
    # The package ships no modules.dep (depmod runs at install): busybox's.
    "$work/busybox/bin/busybox" depmod -b "$work/kernel" "$kver"

    # Modules and their dependencies, dependencies first (modules.dep).
    root=$work/root
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,lib/modules}
    order=()
    add_module() {
        local name=$1 line path dep
        line=$(grep -E "(^|/)${name//_/[_-]}\.ko(\.xz|\.zst)?:" "$kmods/modules.dep" | head -n 1 || true)
        if [ -z "$line" ]; then
            if grep -qE "/${name}\.ko" "$kmods/modules.builtin"; then return 0; fi
            log "module $name not found in $kver"; exit 1
        fi
        path=${line%%:*}
        for dep in ${line#*:}; do
            add_module "$(basename "${dep%%.ko*}")"
        done
        local m
        for m in "${order[@]}"; do [ "$m" = "$path" ] && return 0; done
        order+=("$path")
    }
    for m in $MODULES; do add_module "$m"; done
    : >"$root/lib/modules/load-order"
    for path in "${order[@]}"; do
        base=$(basename "${path%%.ko*}").ko
        case "$path" in
            *.xz) xz -dc "$kmods/$path" >"$root/lib/modules/$base" ;;
            *.zst) zstd -qdc "$kmods/$path" >"$root/lib/modules/$base" ;;
            *) cp "$kmods/$path" "$root/lib/modules/$base" ;;
        esac
        echo "$base" >>"$root/lib/modules/load-order"
    done
    log "kernel $kver, modules: $(tr '\n' ' ' <"$root/lib/modules/load-order")"

    cp "$work/busybox/bin/busybox" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    install -m 0755 "$HERE/image/init" "$root/init"
    install -m 0755 "$HERE/image/udhcpc.script" "$root/etc/udhcpc.script"
    install -m 0755 "$HERE/image/ssh-banner" "$root/bin/ssh-banner"

    # newc archive (busybox's own cpio: no host cpio needed), root-owned.
    (cd "$root" && find . | LC_ALL=C sort | "$work/busybox/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) \
        | gzip -9 >"$work/initrd.img"
    cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
    # The root disk holds nothing the guest needs; a label makes it recognisable.
    dd if=/dev/zero of="$work/root.img" bs=1M count="$ROOT_SIZE_MB" status=none
    printf 'saltext-openstack verification guest root disk (kernel %s)\n' "$kver" \
        | dd of="$work/root.img" conv=notrunc status=none
    for f in vmlinuz initrd.img root.img; do mv -f "$work/$f" "$OUT/$f"; done
    (cd "$OUT" && sha256sum vmlinuz initrd.img root.img >SHA256SUMS)
    printf 'kernel=%s\nbusybox=%s\n' "$(basename "$kdeb")" "$(basename "$bbdeb")" >"$OUT/manifest"
    echo "$stamp" >"$OUT/.stamp"
    log "built in $(( $(date +%s) - t0 )) s: $(cd "$OUT" && du -h vmlinuz initrd.img root.img | tr '\n\t' '  ')"
fi

[ "$TEST" = 1 ] || exit 0

# --- local boot test under TCG --------------------------------------------------
if ! command -v qemu-system-x86_64 >/dev/null; then
    log "installing qemu-system-x86"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86 >/dev/null
fi
serial=$OUT/test-console.log
rm -f "$serial"
# A metadata stand-in: qemu's user-mode network on 169.254.0.0/16 forwards
# 169.254.169.254:80 to busybox httpd in inetd mode over a directory laid
# out like nova's metadata API.
tdir=$(mktemp -d)
trap 'rm -rf "$tdir"' EXIT
dpkg-deb -x "$bbdeb" "$tdir/bb"
md=$tdir/md
token="local-test-$(date +%s)-$$"
key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIbuildimagetest$$ verify@build-image"
mkdir -p "$md/openstack/latest" "$md/2009-04-04/meta-data/public-keys/0"
printf '#!/bin/sh\necho %s\n' "$token" >"$md/openstack/latest/user_data"
printf '{"uuid": "00000000-0000-4000-8000-000000000001", "public_keys": {"k": "%s"}, "name": "t"}' \
    "$key" >"$md/openstack/latest/meta_data.json"
echo "$key" >"$md/2009-04-04/meta-data/public-keys/0/openssh-key"
sshport=$((20000 + $$ % 20000))
log "booting under qemu TCG (user-mode network: DHCP from qemu, metadata stand-in)"
start=$(date +%s)
qemu-system-x86_64 -machine accel=tcg -m 128 -smp 1 -display none -no-reboot \
    -kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" \
    -append "root=/dev/vda console=tty0 console=ttyS0 console=hvc0 panic=-1" \
    -drive "file=$OUT/root.img,format=raw,if=virtio,readonly=on" \
    -netdev "user,id=n0,net=169.254.0.0/16,host=169.254.0.2,dhcpstart=169.254.0.15,guestfwd=tcp:169.254.169.254:80-cmd:$tdir/bb/bin/busybox httpd -i -h $md,hostfwd=tcp:127.0.0.1:$sshport-:22" \
    -device virtio-net-pci,netdev=n0 \
    -serial "file:$serial" &
qpid=$!
deadline=$((start + ${TEST_TIMEOUT:-120}))
alive=""
while [ "$(date +%s)" -lt $deadline ]; do
    if grep -q '^VERIFY-ALIVE' "$serial" 2>/dev/null; then alive=$(( $(date +%s) - start )); break; fi
    kill -0 $qpid 2>/dev/null || break
    sleep 1
done
banner=""
if [ -n "$alive" ]; then
    banner=$(timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$sshport && head -n 1 <&3" 2>/dev/null || true)
fi
kill $qpid 2>/dev/null || true
wait $qpid 2>/dev/null || true
# The serial port writes CR LF.
tr -d '\r' <"$serial" >"$serial.txt" && mv -f "$serial.txt" "$serial"
boot=$(grep -a -m1 '^VERIFY-BOOT' "$serial" || true)
fails=()
[ -n "$alive" ] || fails+=("no VERIFY-ALIVE within ${TEST_TIMEOUT:-120} s")
[ -n "$boot" ] || fails+=("no VERIFY-BOOT line")
grep -aq '^VERIFY-DHCP eth0 address=169\.254\.' "$serial" || fails+=("no DHCP address")
grep -aqx "VERIFY-USERDATA echo $token" "$serial" || fails+=("user-data not printed")
grep -aqx "VERIFY-SSHKEY $key" "$serial" || fails+=("SSH key not printed")
case "$banner" in SSH-2.0-verify-guest*) ;; *) fails+=("port 22 banner: '${banner}'") ;; esac
grep -aqE '^VERIFY-DISKS vda:[0-9]+' "$serial" || fails+=("root disk vda not seen")
awk '/^VERIFY-ALIVE/ {exit} {print}' "$serial" | grep -a '^VERIFY-' >&2 || true
if [ ${#fails[@]} = 0 ]; then
    log "PASS: all markers and the port-22 banner, first VERIFY-ALIVE after ${alive} s (console: $serial)"
else
    log "FAIL: $(IFS=';'; echo "${fails[*]}") (console: $serial)"
    tail -n 20 "$serial" >&2 || true
    exit 1
fi
