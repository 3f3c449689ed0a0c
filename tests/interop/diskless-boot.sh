#!/usr/bin/env bash
# Diskless boot from NetScsi: a QEMU VM whose only disk is a NetScsi LUN (QEMU's own iSCSI
# block driver, -drive file=iscsi://...,if=virtio) boots a tiny busybox root file system
# from it, three times, restarting the target before every boot:
#   boot 1  writes a random token + its sha256 to /var/lib/netscsi/token on the root disk,
#           syncs, remounts / read-only and powers off;
#   boot 2  verifies that token (and its checksum), then writes a new one;
#   boot 3  verifies the token boot 2 wrote;
#   boot 4  negative control: expects a token nobody wrote and must report a mismatch.
# The host then reads the LUN back over iSCSI (qemu-img convert) and checks the last token
# with debugfs, independently of the guest. Prints "DISKLESS-BOOT: PASS" or
# "DISKLESS-BOOT: FAIL <reason>". Meant to run (as root) on the interop box (qemu-system-x86_64, qemu-block-extra, e2fsprogs, the cached
# kernel-initiator VM image). Slow-ish under software emulation, so not part of ./test.sh.
#
#   tests/interop/diskless-boot.sh [--boots N]      (N >= 2, default 3)
# Env: NETSCSI_BIN=path/to/netscsi (skip the build), NETSCSI_VM_ACCEL (default tcg),
#      NETSCSI_BOOT_TIMEOUT (seconds per boot, default 600), KEEP=1 (keep the work directory).
#
# Kernel and root-disk initramfs: the kernel-initiator harness's cache (/var/tmp/netscsi-vm:
# vmlinuz + boot-initrd.img = static busybox + virtio_blk/ext4 modules, whose /init mounts
# root= and switch_roots into netscsi.init=). Build the cache with
# ../shared/tools/kernel-initiator/build-image.sh if it is missing.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${NETSCSI_VM_CACHE:-/var/tmp/netscsi-vm}
boots=3
[ "${1:-}" = "--boots" ] && boots=${2:-3}
[ "$boots" -ge 2 ] 2>/dev/null || { echo "--boots needs N >= 2" >&2; exit 2; }

fail() { echo "DISKLESS-BOOT: FAIL $*"; exit 1; }
for f in vmlinuz boot-initrd.img; do
    [ -s "$cache/$f" ] || fail "missing $cache/$f (run the kernel-initiator harness's build-image.sh)"
done
for c in qemu-system-x86_64 qemu-img mkfs.ext4 debugfs cpio python3; do
    command -v "$c" >/dev/null || fail "missing command $c"
done

# Software emulation by default (KVM is not usable on the interop box: /dev/kvm exists but the
# guest spins); NETSCSI_VM_ACCEL=kvm to try it elsewhere.
accel="-accel ${NETSCSI_VM_ACCEL:-tcg}"

work=$(mktemp -d /tmp/netscsi-diskless.XXXXXX)
iqn=iqn.2026-11.org.netscsi:diskless
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="iscsi://127.0.0.1:$port/$iqn/0"
target_pid=""
stop_target() {
    if [ -n "$target_pid" ]; then
        kill -TERM "$target_pid" 2>/dev/null
        wait "$target_pid" 2>/dev/null
        target_pid=""
    fi
}
trap 'stop_target; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

t0=$(date +%s)
secs() { echo "$(( $(date +%s) - $1 ))s"; }

netscsi=${NETSCSI_BIN:-}   # a prebuilt netscsi executable, or build one now
if [ -z "$netscsi" ]; then
    echo "== building netscsi"
    timeout 600 dotnet build -c Release "$root/src/NetScsi.Cli" -o "$work/bin" -nologo -v quiet >"$work/build.log" 2>&1 ||
        { cat "$work/build.log"; fail "dotnet build failed"; }
    netscsi=$work/bin/netscsi
fi

start_target() {
    stop_target
    "$netscsi" target serve --listen "127.0.0.1:$port" --iqn "$iqn" \
        --lun "file:$work/lun0.img,size=512M" --log-level warning >>"$work/target.log" 2>&1 &
    target_pid=$!
    for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
    cat "$work/target.log" >&2
    fail "target did not start"
}

# --- root file system: static busybox (taken from the cached boot initramfs) + /sbin/init ---
echo "== building the root file system"
mkdir -p "$work/bi" "$work/rootfs"
(cd "$work/bi" && cpio -id --quiet bin/busybox < "$cache/boot-initrd.img") || fail "cannot unpack $cache/boot-initrd.img"
r=$work/rootfs
mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,run,var/lib/netscsi,etc}
cp "$work/bi/bin/busybox" "$r/bin/busybox"
for a in sh mount umount sync cat echo sha256sum grep head tr poweroff sleep mkdir date cut rm mv dmesg; do
    ln -s busybox "$r/bin/$a"
done
cat > "$r/sbin/init" <<'EOF'
#!/bin/sh
# Runs from the NetScsi LUN (after the boot initramfs switch_root'ed here).
export PATH=/bin
mount -t proc proc /proc 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
MODE="" EXPECT="" TOKEN=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        netscsi.mode=*) MODE=${arg#netscsi.mode=} ;;
        netscsi.expect=*) EXPECT=${arg#netscsi.expect=} ;;
        netscsi.token=*) TOKEN=${arg#netscsi.token=} ;;
    esac
done
F=/var/lib/netscsi/token
off() {
    sync
    mount -o remount,ro / 2>/dev/null || echo "[root-init] remount ro failed"
    sync
    echo o > /proc/sysrq-trigger 2>/dev/null
    poweroff -f; sleep 30
}
result() { echo "DISKLESS-GUEST: $*"; off; }
echo "[root-init] running from $(grep ' / ' /proc/mounts | head -n1) mode=$MODE"
if [ -n "$EXPECT" ]; then
    [ -f "$F" ] || result "FAIL token file missing"
    [ -f "$F.sha256" ] || result "FAIL checksum file missing"
    (cd /var/lib/netscsi && sha256sum -c token.sha256 >/dev/null 2>&1) || result "FAIL checksum mismatch"
    got=$(cat "$F")
    [ "$got" = "$EXPECT" ] || result "FAIL token mismatch: got '$got', expected '$EXPECT'"
    echo "DISKLESS-GUEST: FOUND $got (written by boot $(cat /var/lib/netscsi/boot 2>/dev/null))"
fi
if [ -n "$TOKEN" ]; then
    echo "$TOKEN" > "$F.new" && mv "$F.new" "$F"
    (cd /var/lib/netscsi && sha256sum token > token.sha256)
    echo "${MODE#boot}" > /var/lib/netscsi/boot
    sync
    [ "$(cat "$F")" = "$TOKEN" ] || result "FAIL token readback"
    echo "DISKLESS-GUEST: WROTE $TOKEN"
fi
result OK
EOF
chmod 755 "$r/sbin/init"
timeout 60 mkfs.ext4 -q -F -L netscsi-root -O ^orphan_file,^metadata_csum_seed -d "$r" "$work/root.img" 64M \
    >"$work/mkfs.log" 2>&1 || { cat "$work/mkfs.log"; fail "mkfs.ext4 failed"; }

echo "== writing root.img to the LUN ($url)"
start_target
ts=$(date +%s)
timeout 300 qemu-img convert -n -f raw -O raw "$work/root.img" "$url" >"$work/convert.log" 2>&1 ||
    { cat "$work/convert.log"; fail "qemu-img convert to the LUN failed"; }
echo "   written in $(secs "$ts")"

boot() { # n mode expect token [wanted verdict, default OK]
    local n=$1 mode=$2 expect=$3 token=$4 want=${5:-OK} log=$work/boot$n.log
    start_target # a fresh target process for every boot: nothing survives but the LUN file
    local append="console=ttyS0 panic=-1 root=/dev/vda rootfstype=ext4 netscsi.init=/sbin/init netscsi.mode=$mode"
    [ -n "$expect" ] && append+=" netscsi.expect=$expect"
    [ -n "$token" ] && append+=" netscsi.token=$token"
    local ts; ts=$(date +%s)
    # shellcheck disable=SC2086
    timeout -k 10 "${NETSCSI_BOOT_TIMEOUT:-600}" qemu-system-x86_64 \
        -nodefaults -no-user-config -nographic -serial stdio -monitor none \
        $accel -m 512 -no-reboot \
        -kernel "$cache/vmlinuz" -initrd "$cache/boot-initrd.img" -append "$append" \
        -drive "file=$url,format=raw,if=virtio,cache=none" </dev/null 2>&1 |
        sed -u 's/\r$//' | tee "$log" | grep --line-buffered -E 'boot-initrd|root-init|DISKLESS-GUEST|Kernel panic|qemu-system' | sed -u "s/^/vm$n| /"
    local rc=${PIPESTATUS[0]}
    echo "   boot $n: $(secs "$ts") (qemu exit $rc)"
    grep -q "^DISKLESS-GUEST: $want" "$log" && return 0
    local why; why=$(grep -E "^DISKLESS-GUEST: FAIL|ISCSI-BOOT-STAGE: FAIL|Kernel panic" "$log" | head -n1)
    fail "boot $n ($mode): ${why:-no verdict from the guest (qemu exit $rc, log $log)}"
}

prev=""
for n in $(seq 1 "$boots"); do
    echo "== boot $n/$boots"
    tok=""
    [ "$n" -lt "$boots" ] && tok="netscsi-$n-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    boot "$n" "boot$n" "$prev" "$tok"
    [ -n "$prev" ] && { grep -q "^DISKLESS-GUEST: FOUND $prev " "$work/boot$n.log" || fail "boot $n did not report the token of boot $((n-1))"; }
    [ -n "$tok" ] && { grep -q "^DISKLESS-GUEST: WROTE $tok" "$work/boot$n.log" || fail "boot $n did not write its token"; }
    [ -n "$tok" ] && prev=$tok
done

# Negative control: the guest's check must actually bite. A boot expecting a token nobody wrote
# has to report a mismatch (it writes nothing, so the LUN still holds the last token).
echo "== boot $((boots + 1)): negative control (expects a token that was never written)"
boot "$((boots + 1))" control "netscsi-never-written" "" "FAIL token mismatch"

echo "== host-side check: read the LUN back over iSCSI"
start_target
timeout 300 qemu-img convert -f raw -O raw "$url" "$work/readback.img" >"$work/readback.log" 2>&1 ||
    { cat "$work/readback.log"; fail "qemu-img convert from the LUN failed"; }
got=$(debugfs -R "cat /var/lib/netscsi/token" "$work/readback.img" 2>/dev/null)
[ "$got" = "$prev" ] || fail "host read back token '$got', expected '$prev'"
stop_target
echo "DISKLESS-BOOT: PASS ($boots boots + 1 negative control, target restarted before each, total $(secs "$t0"))"
