#!/bin/bash
# Build the verification guest offline from Debian packages:
#   vmlinuz     a Debian cloud kernel (linux-image-cloud-amd64)
#   initrd.img  a busybox-static initramfs whose /init (cluster/image/init)
#               takes DHCP, reads user-data and the SSH key from the metadata
#               service, prints markers on the serial console and runs
#               Debian's dropbear as an SSH server root logs in to with that
#               key (Tempest's validation: run_validation, keypair auth,
#               image_ssh_user root)
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
# What Tempest 43.0.0's smoke tests run in the guest over SSH as root (the
# key pair's key; Tempest's prologue "set -eu -o pipefail;
# PATH=$PATH:/sbin:/usr/sbin;" before each command, root's shell being
# busybox ash), and what serves each:
#   login only: SSHABLE waits, validate_authentication      dropbear
#   cut -f1 -d. /proc/uptime; sync (reboot_server_hard)      busybox
#   ping -c1 -w1 -s56 IP (network_basic_ops)                 busybox
#   ip a, ip address, ip -o addr|link | awk ...              busybox
#   curl http://169.254.169.254/latest/meta-data/{public,local}-ipv4
#   curl -X POST -d DATA http://169.254.169.254/openstack/2013-10-17/password
#       (server_basic_ops)  image/curl, a shim over busybox wget: GET, POST
#                           with -d, -o, one -H; an HTTP error status fails
#                           (exit 22, as curl -f); no other options
#   blkid -L config-2 -o device (server_basic_ops)
#                           image/blkid, a shim over busybox findfs (Debian's
#                           busybox has no blkid applet): -L, -U, -t TAG=V
#                           with -o device; no listing
#   sudo mount DEV /mnt; sudo cat /mnt/openstack/latest/{meta,network}_data.json;
#   sudo umount /mnt        image/sudo: root is the only login, so the shim
#                           execs its arguments (-n, -E, -H, -u root)
# and, in the smoke tests' class (test_create_server), hostname (set by
# /init from meta_data.json's hostname) and grep -c ^processor /proc/cpuinfo.
# The config drive: nova's libvirt driver (2025.1) attaches it as a cdrom
# on the IDE bus for x86's default machine type 'pc' (SATA for q35),
# iso9660 labelled config-2: modules ata_piix, sr_mod (cdrom) and isofs;
# ahci too when the kernel has it (bookworm's cloud kernel does not).
# Not provided (outside the smoke set, or only to explain a failure):
# lsblk, a running udhcpc to renew a lease, /etc/resolv.conf, scp/sftp.
#
# Usage: cluster/build-image.sh [--test] [OUTDIR]   (default OUTDIR: .cluster/image)
#   --test   boot the result under qemu TCG with user-mode networking, a
#            metadata stand-in and a config drive, check the markers, log in
#            over SSH with a fresh key and run Tempest's commands (installs
#            qemu-system-x86 and genisoimage if missing)
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
MODULES=${MODULES:-"virtio_pci virtio_net virtio_blk ata_piix sr_mod isofs"}
# ... and those it takes when the kernel has them.
OPTIONAL_MODULES=${OPTIONAL_MODULES:-"ahci"}
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
# dropbear and the packages it depends on, transitively (the first of
# alternatives): its libraries and the dynamic loader come from these
# .debs, not from the host.
dbdeb=$(download dropbear-bin)
libdebs=()
deps_of() {  # deps_of DEB -> package names, one a line
    dpkg-deb -f "$1" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //' | tr ',' '\n' \
        | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g' | grep -v '^$' || true
}
seen=" dropbear-bin "
queue=$(deps_of "$dbdeb")
while [ -n "$queue" ]; do
    next=""
    for dep in $queue; do
        case "$seen" in *" $dep "*) continue ;; esac
        seen="$seen$dep "
        d=$(download "$dep"); libdebs+=("$d")
        next="$next $(deps_of "$d" | tr '\n' ' ')"
    done
    queue=$next
done

# --- up to date? --------------------------------------------------------------
stamp=$( (basename "$kdeb"; basename "$bbdeb"; basename "$dbdeb";
          for d in "${libdebs[@]}"; do basename "$d"; done
          echo "$MODULES / $OPTIONAL_MODULES $ROOT_SIZE_MB";
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
    add_module() {  # add_module NAME [optional]
        local name=$1 line path dep
        line=$(grep -E "(^|/)${name//_/[_-]}\.ko(\.xz|\.zst)?:" "$kmods/modules.dep" | head -n 1 || true)
        if [ -z "$line" ]; then
            if grep -qE "/${name}\.ko" "$kmods/modules.builtin"; then return 0; fi
            if [ "${2:-}" = optional ]; then log "module $name not in $kver: left out"; return 0; fi
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
    for m in $OPTIONAL_MODULES; do add_module "$m" optional; done
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
    for shim in curl sudo blkid; do install -m 0755 "$HERE/image/$shim" "$root/usr/bin/$shim"; done

    # dropbear, with the libraries its loader resolves among the .debs'
    # files (the .debs' own loader lists them; one found elsewhere fails).
    sys=$work/sysroot
    for d in "$dbdeb" "${libdebs[@]}"; do dpkg-deb -x "$d" "$sys"; done
    ldso=$(find "$sys" -name 'ld-linux-x86-64.so.2' -type f | head -n 1)
    [ -n "$ldso" ] || { log "no dynamic loader in ${libdebs[*]}"; exit 1; }
    libpath=$sys/lib/x86_64-linux-gnu:$sys/usr/lib/x86_64-linux-gnu
    mkdir -p "$root/lib64" "$root/lib/x86_64-linux-gnu" "$root/usr/sbin" "$root/usr/lib"
    # (both multiarch directories, whichever the loader searches first)
    ln -s ../../lib/x86_64-linux-gnu "$root/usr/lib/x86_64-linux-gnu"
    cp "$sys/usr/sbin/dropbear" "$root/usr/sbin/dropbear"
    cp "$ldso" "$root/lib64/ld-linux-x86-64.so.2"
    "$ldso" --library-path "$libpath" --list "$sys/usr/sbin/dropbear" >"$work/needed"
    while read -r soname arrow path _; do
        case "$soname" in linux-vdso*|/*) continue ;; esac
        [ "$arrow" = "=>" ] && [ "${path#"$sys"/}" != "$path" ] \
            || { log "dropbear needs $soname, not in its packages: $arrow $path"; exit 1; }
        cp -L "$path" "$root/lib/x86_64-linux-gnu/$soname"
    done <"$work/needed"
    log "dropbear $(dpkg-deb -f "$dbdeb" Version), libraries: $(ls "$root/lib/x86_64-linux-gnu" | tr '\n' ' ')"
    # Root logs in with a key only ('*': no password matches), into ash.
    mkdir -p "$root/root" "$root/etc/dropbear" "$root/mnt"
    chmod 0700 "$root/root"
    echo 'root:*:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    echo '/bin/sh' >"$root/etc/shells"
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"

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
    { printf 'kernel=%s\nbusybox=%s\ndropbear=%s\n' "$(basename "$kdeb")" "$(basename "$bbdeb")" \
          "$(basename "$dbdeb")"
      for d in "${libdebs[@]}"; do printf 'lib=%s\n' "$(basename "$d")"; done; } >"$OUT/manifest"
    echo "$stamp" >"$OUT/.stamp"
    log "built in $(( $(date +%s) - t0 )) s: $(cd "$OUT" && du -h vmlinuz initrd.img root.img | tr '\n\t' '  ')"
fi

[ "$TEST" = 1 ] || exit 0

# --- local boot test under TCG --------------------------------------------------
need() {  # need COMMAND PACKAGE: install PACKAGE when COMMAND is missing
    command -v "$1" >/dev/null && return 0
    log "installing $2"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null
}
need qemu-system-x86_64 qemu-system-x86
need genisoimage genisoimage
need ssh openssh-client
need python3 python3-minimal
serial=$OUT/test-console.log
rm -f "$serial"
tdir=$(mktemp -d)
trap 'rm -rf "$tdir" "${work:-}"' EXIT
# A metadata stand-in: qemu's user-mode network on 169.254.0.0/16 forwards
# 169.254.169.254:80 (one process per connection, inetd style) to a small
# HTTP responder over a directory laid out like nova's metadata API; it
# keeps the body of a POST to the password URL, as nova does.
cat >"$tdir/md.py" <<'PY'
import os, sys
# (plain reads and writes: python's http.server takes 0.4 s to import)
ROOT, POSTED = sys.argv[1], sys.argv[2]
rfile, wfile = sys.stdin.buffer, sys.stdout.buffer
method, target = (rfile.readline().decode("latin-1").split() + ["", ""])[:2]
length = 0
while True:
    line = rfile.readline().decode("latin-1").strip()
    if not line:
        break
    name, _, value = line.partition(":")
    if name.strip().lower() == "content-length":
        length = int(value.strip() or 0)
body = rfile.read(length) if length else b""
path = os.path.normpath("/" + target.split("?")[0]).lstrip("/")
code, out = "404 Not Found", b"404 Not Found"
if method == "GET" and path and os.path.isfile(os.path.join(ROOT, path)):
    with open(os.path.join(ROOT, path), "rb") as f:
        code, out = "200 OK", f.read()
elif method == "POST" and path == "openstack/2013-10-17/password":
    with open(POSTED, "wb") as f:
        f.write(body)
    code, out = "200 OK", b""
wfile.write(b"HTTP/1.0 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (code.encode(), len(out), out))
wfile.flush()
PY
md=$tdir/md
token="local-test-$(date +%s)-$$"
# A fresh RSA key pair (Tempest's key pairs are nova-made RSA keys) and a
# second one the guest must refuse.
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C verify@build-image -f "$tdir/id_rsa"
ssh-keygen -q -t rsa -b 2048 -N '' -C other@build-image -f "$tdir/other"
key=$(cat "$tdir/id_rsa.pub")
guest_ip=169.254.0.15      # qemu's first DHCP address (dhcpstart below)
guest_mac=52:54:00:12:34:56
mkdir -p "$md/openstack/latest" "$md/2009-04-04/meta-data/public-keys/0" "$md/latest/meta-data"
printf '#!/bin/sh\necho %s\n' "$token" >"$md/openstack/latest/user_data"
printf '{"uuid": "00000000-0000-4000-8000-000000000001", "public_keys": {"k": "%s"}, "name": "t", "hostname": "t.novalocal"}' \
    "$key" >"$md/openstack/latest/meta_data.json"
echo "$key" >"$md/2009-04-04/meta-data/public-keys/0/openssh-key"
printf '%s' "$guest_ip" >"$md/latest/meta-data/local-ipv4"
# A config drive as nova makes it (genisoimage, iso9660 labelled config-2),
# on an IDE cdrom of the 'pc' machine, as nova's libvirt driver attaches it.
cd_dir=$tdir/cd
mkdir -p "$cd_dir/openstack/latest"
printf '{"uuid": "00000000-0000-4000-8000-000000000001", "meta": {"meta1": "data1", "token": "%s"}}' \
    "$token" >"$cd_dir/openstack/latest/meta_data.json"
printf '{"links": [{"id": "tap0", "type": "ovs", "ethernet_mac_address": "%s"}], "networks": [], "services": []}' \
    "$guest_mac" >"$cd_dir/openstack/latest/network_data.json"
genisoimage -o "$tdir/config.iso" -ldots -allow-lowercase -allow-multidot -l \
    -publisher "build-image.sh --test" -quiet -J -r -V config-2 "$cd_dir" 2>"$tdir/iso.err" \
    || { cat "$tdir/iso.err" >&2; exit 1; }
sshport=$((20000 + $$ % 20000))
log "booting under qemu TCG (user-mode network: DHCP from qemu, metadata stand-in, config drive)"
start=$(date +%s)
qemu-system-x86_64 -machine pc,accel=tcg -m 128 -smp 1 -display none -no-reboot \
    -kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" \
    -append "root=/dev/vda console=tty0 console=ttyS0 console=hvc0 panic=-1" \
    -drive "file=$OUT/root.img,format=raw,if=virtio,readonly=on" \
    -drive "file=$tdir/config.iso,format=raw,if=ide,media=cdrom,readonly=on" \
    -netdev "user,id=n0,net=169.254.0.0/16,host=169.254.0.2,dhcpstart=$guest_ip,guestfwd=tcp:169.254.169.254:80-cmd:python3 -S $tdir/md.py $md $tdir/posted,hostfwd=tcp:127.0.0.1:$sshport-:22" \
    -device "virtio-net-pci,netdev=n0,mac=$guest_mac" \
    -serial "file:$serial" &
qpid=$!
deadline=$((start + ${TEST_TIMEOUT:-120}))
alive=""
while [ "$(date +%s)" -lt $deadline ]; do
    if grep -q '^VERIFY-ALIVE' "$serial" 2>/dev/null; then alive=$(( $(date +%s) - start )); break; fi
    kill -0 $qpid 2>/dev/null || break
    sleep 1
done

# Over SSH, as Tempest's RemoteClient runs them: root, the key pair's key,
# Tempest's default shell prologue before each command.
PROLOGUE='set -eu -o pipefail; PATH=$PATH:/sbin:/usr/sbin;'
gssh() {  # gssh KEY COMMAND -> the command's stdout
    timeout 60 ssh -p "$sshport" -i "$1" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10 -o LogLevel=ERROR \
        root@127.0.0.1 "$PROLOGUE $2" 2>>"$tdir/ssh.err"
}
fails=()
expect() {  # expect WHAT WANTED GOT
    if [ "$2" = "$3" ]; then log "ssh: $1: ok ($3)"
    else fails+=("ssh: $1: wanted '$2', got '$3'"); log "ssh: $1: FAILED: got '$3'"; fi
}
banner=""; sshready=""
if [ -n "$alive" ]; then
    banner=$(timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$sshport && head -n 1 <&3" 2>/dev/null | tr -d '\r' || true)
    while [ "$(date +%s)" -lt $((deadline + 60)) ]; do
        if gssh "$tdir/id_rsa" true; then sshready=$(( $(date +%s) - start )); break; fi
        sleep 2
    done
fi
if [ -n "$sshready" ]; then
    log "ssh: root logged in with the metadata key after ${sshready} s"
    expect hostname t "$(gssh "$tdir/id_rsa" hostname)"
    up=$(gssh "$tdir/id_rsa" 'cut -f1 -d. /proc/uptime') || true
    case "$up" in ''|*[!0-9]*) fails+=("ssh: uptime: '$up'") ;; *) log "ssh: uptime: ok ($up s)" ;; esac
    expect "cpu count" 1 "$(gssh "$tdir/id_rsa" 'grep -c ^processor /proc/cpuinfo')"
    expect "curl local-ipv4" "$guest_ip" \
        "$(gssh "$tdir/id_rsa" 'curl http://169.254.169.254/latest/meta-data/local-ipv4')"
    data=$(printf 'test%.0s' $(seq 25))     # Tempest's arbitrary_string(100)
    gssh "$tdir/id_rsa" "curl -X POST -d $data http://169.254.169.254/openstack/2013-10-17/password" >/dev/null \
        || fails+=("ssh: curl -X POST failed")
    expect "curl -X POST password" "$data" "$(cat "$tdir/posted" 2>/dev/null)"
    dev=$(gssh "$tdir/id_rsa" 'blkid -L config-2 -o device' | tr -d '\n') || true
    expect "blkid -L config-2" /dev/sr0 "$dev"
    if [ -n "$dev" ] && gssh "$tdir/id_rsa" "sudo mount $dev /mnt"; then
        meta=$(gssh "$tdir/id_rsa" 'sudo cat /mnt/openstack/latest/meta_data.json') || true
        expect "config drive meta_data.json" "$(cat "$cd_dir/openstack/latest/meta_data.json")" "$meta"
        netd=$(gssh "$tdir/id_rsa" 'sudo cat /mnt/openstack/latest/network_data.json') || true
        expect "config drive network_data.json" "$(cat "$cd_dir/openstack/latest/network_data.json")" "$netd"
        gssh "$tdir/id_rsa" 'sudo umount /mnt' || fails+=("ssh: sudo umount /mnt failed")
    else
        fails+=("ssh: sudo mount '$dev' /mnt failed")
    fi
    ipa=$(gssh "$tdir/id_rsa" 'ip a') || true
    case "$ipa" in *" $guest_ip/16 "*) log "ssh: ip a: ok ($guest_ip/16 on eth0)" ;;
                   *) fails+=("ssh: ip a has no $guest_ip/16: $ipa") ;; esac
    expect "ip addr | awk ether" "$guest_mac" "$(gssh "$tdir/id_rsa" "ip addr show eth0 | awk '/ether/ {print \$2}'")"
    expect "ip -o link | awk (nic by MAC)" eth0: "$(gssh "$tdir/id_rsa" "ip -o link | awk '/$guest_mac/ {print \$2}'")"
    expect "ip -o addr | awk (nic by IP)" eth0 "$(gssh "$tdir/id_rsa" "ip -o addr | awk '/$guest_ip/ {print \$2}'")"
    gssh "$tdir/id_rsa" "ping -c1 -w1 -s56 169.254.0.2" >/dev/null && log "ssh: ping qemu's gateway: ok" \
        || fails+=("ssh: ping -c1 -w1 -s56 169.254.0.2 (the gateway) failed")
    gssh "$tdir/id_rsa" sync || fails+=("ssh: sync failed")
    expect 'sudo sh -c "echo ... >FILE"' "$token" \
        "$(gssh "$tdir/id_rsa" "sudo sh -c \"echo \\\"$token\\\" >/run/t\"; cat /run/t")"
    # Tempest's own SSH client library, when the host has it: paramiko with
    # the PEM RSA key, an exec channel, as tempest.lib.common.ssh does.
    pyparamiko=""
    for py in python3 /usr/bin/python3; do
        if "$py" -c 'import paramiko' 2>/dev/null; then pyparamiko=$py; break; fi
    done
    if [ -n "$pyparamiko" ]; then
        cat >"$tdir/pm.py" <<'PY'
import io, sys, paramiko
key = paramiko.RSAKey.from_private_key(io.StringIO(open(sys.argv[1]).read()))
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect("127.0.0.1", port=int(sys.argv[2]), username="root", pkey=key,
               look_for_keys=False, allow_agent=False, timeout=30, banner_timeout=30)
with client.get_transport().open_session() as channel:
    channel.exec_command(sys.argv[3])
    out = channel.makefile().read().decode()
    status = channel.recv_exit_status()
print(paramiko.__version__, status, out.strip())
PY
        expect "paramiko login + hostname" "$("$pyparamiko" -c 'import paramiko; print(paramiko.__version__)') 0 t" \
            "$("$pyparamiko" "$tdir/pm.py" "$tdir/id_rsa" "$sshport" "$PROLOGUE hostname" 2>>"$tdir/ssh.err")"
    else
        log "ssh: no paramiko on this host: Tempest's client library not tried"
    fi
    if gssh "$tdir/other" true 2>/dev/null; then fails+=("ssh: a key the metadata service did not give logged in")
    else log "ssh: another key: refused"; fi
fi
kill $qpid 2>/dev/null || true
wait $qpid 2>/dev/null || true
# The serial port writes CR LF.
tr -d '\r' <"$serial" >"$serial.txt" && mv -f "$serial.txt" "$serial"
boot=$(grep -a -m1 '^VERIFY-BOOT' "$serial" || true)
[ -n "$alive" ] || fails+=("no VERIFY-ALIVE within ${TEST_TIMEOUT:-120} s")
[ -n "$boot" ] || fails+=("no VERIFY-BOOT line")
grep -aq '^VERIFY-DHCP eth0 address=169\.254\.' "$serial" || fails+=("no DHCP address")
grep -aqx "VERIFY-USERDATA echo $token" "$serial" || fails+=("user-data not printed")
grep -aqx "VERIFY-SSHKEY $key" "$serial" || fails+=("SSH key not printed")
case "$banner" in SSH-2.0-dropbear*) ;; *) fails+=("port 22 banner: '${banner}'") ;; esac
grep -aqE '^VERIFY-DISKS vda:[0-9]+' "$serial" || fails+=("root disk vda not seen")
[ -n "$alive" ] && { [ -n "$sshready" ] || fails+=("no SSH login as root with the metadata key: $(tail -n 2 "$tdir/ssh.err" 2>/dev/null | tr '\n' ' ')"); }
awk '/^VERIFY-ALIVE/ {exit} {print}' "$serial" | grep -a '^VERIFY-' >&2 || true
if [ ${#fails[@]} = 0 ]; then
    log "PASS: all markers, $banner on port 22, root over SSH ran Tempest's commands; first VERIFY-ALIVE after ${alive} s, SSH login after ${sshready} s (console: $serial)"
else
    log "FAIL: $(IFS=';'; echo "${fails[*]}") (console: $serial)"
    tail -n 20 "$serial" >&2 || true
    exit 1
fi
