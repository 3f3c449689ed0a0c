#!/usr/bin/env bash
# The Linux kernel's AoE driver against NetScsi's AoE export (issue 22), with ../shared/tools/aoe-guest/run.sh: it
# creates a tap, starts `netscsi target serve --listen aoe:TAP,shelf=S` on it (a 256 MiB file LUN in /dev/shm as
# slot 0 ... here shelf 7, slot 3 via slot=3, so the slot mapping is exercised), boots a guest whose aoe driver
# discovers e7.3, and runs mkfs.ext4, checksummed files, fsck, rmmod/rediscover/verify and dd (run.sh's README).
# Two runs, one VM at a time:
#   plain    the export as is
#   restart  the same, and the target is killed (SIGKILL) once the guest's dd has overwritten the file system's
#            superblock, and started again 2 s later on the same tap: the driver retransmits to the new process and
#            dd, and the run, must still PASS (fsck ran clean before dd; dd completes with conv=fsync)
#   restart-fs  the target is killed while the guest writes its files into the new file system (the LUN file grows
#            by 16 MiB after mkfs and mount), and started again 2 s later: the files written across the restart must
#            pass fsck and their checksums, after a remount and after the driver is reloaded
# Needs root (tap, AF_PACKET, QEMU); 1-3 minutes per run under TCG.
#
#   tests/interop/aoe-kernel.sh [plain|restart|restart-fs]...   last line: AOE-KERNEL: PASS | FAIL <reason>
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
harness=${NETSCSI_AOE_HARNESS:-$root/../shared/tools/aoe-guest/run.sh}
[ -x "$harness" ] || { echo "aoe-guest harness not found at $harness (set NETSCSI_AOE_HARNESS)" >&2; exit 2; }
V=AOE-KERNEL
verdict() { echo "$V: $*"; case "$1" in PASS*) exit 0 ;; esac; exit 1; }
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(plain restart)
for v in "${variants[@]}"; do
    case "$v" in plain|restart|restart-fs) ;; *) echo "usage: $0 [plain|restart|restart-fs]..." >&2; exit 2 ;; esac
done

work=$(mktemp -d /tmp/netscsi-aoe-kernel.XXXXXX)
lundir=/dev/shm
[ -d "$lundir" ] && [ -w "$lundir" ] || lundir=$work
cleanup() { [ -n "${KEEP:-}" ] || rm -rf "$work" "$lundir"/netscsi-aoe-kernel-$$.img; }
trap cleanup EXIT

dotnet build -c Release "$root/src/NetScsi.Cli" -o "$work/bin" -nologo -v quiet >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; verdict "FAIL dotnet build"; }

lun=$lundir/netscsi-aoe-kernel-$$.img
# The target command run.sh starts (bash -c, its own process group; $AOE_TAP, $AOE_READY_FILE from run.sh).
# serve STARTS: netscsi in the background, the ready file once it has logged its AoE shelf, then wait.
cat > "$work/target.sh" <<TARGET
#!/usr/bin/env bash
set -u
mode=\$1
serve() {
    "$work/bin/netscsi" target serve --listen "aoe:\$AOE_TAP,shelf=7" --lun "file:$lun,size=256M,slot=3" --control-socket "$work/control.sock" \
        --log-level information > >(tee -a "$work/serve.log") 2>&1 &
    pid=\$!
    for _ in \$(seq 300); do grep -q 'AoE shelf' "$work/serve.log" 2>/dev/null && break; kill -0 \$pid 2>/dev/null || break; sleep 0.05; done
}
rm -f "$lun"
: > "$work/serve.log"
serve
grep -q 'AoE shelf' "$work/serve.log" || { echo "netscsi did not start"; exit 1; }
touch "\$AOE_READY_FILE"
magic() { [ "\$(od -An -tx1 -j1080 -N2 "$lun" 2>/dev/null | tr -d ' ')" = 53ef ]; }
allocated() { echo \$(( \$(stat -c %b "$lun") * \$(stat -c %B "$lun") )); }
if [ "\$mode" = restart ] || [ "\$mode" = restart-fs ]; then
    until magic; do sleep 0.2; kill -0 \$pid 2>/dev/null || exit 1; done
    if [ "\$mode" = restart ]; then
        echo "aoe-kernel: ext4 superblock seen; waiting for the guest's dd to overwrite it"
        while magic; do sleep 0.05; kill -0 \$pid 2>/dev/null || exit 1; done
        phase=dd
    else
        # mkfs and mount are done once the file stops growing for a second; the guest's files then make it grow again.
        last=-1
        while [ "\$(allocated)" != "\$last" ]; do last=\$(allocated); sleep 1; kill -0 \$pid 2>/dev/null || exit 1; done
        echo "aoe-kernel: file system made (\$((last / 1048576)) MiB allocated); waiting for the guest's files"
        while [ "\$(allocated)" -lt \$((last + 16 * 1048576)) ]; do sleep 0.05; kill -0 \$pid 2>/dev/null || exit 1; done
        phase="the file-system writes (\$((\$(allocated) / 1048576)) MiB allocated)"
    fi
    kill -KILL \$pid; wait \$pid 2>/dev/null
    echo "aoe-kernel: RESTART target killed (SIGKILL) during \$phase at \$(date +%T.%N | cut -c1-12); starting again in 2 s"
    sleep 2
    : > "$work/serve.log"
    serve
    grep -q 'AoE shelf' "$work/serve.log" || { echo "netscsi did not start again"; exit 1; }
    echo "aoe-kernel: RESTART target serving again at \$(date +%T.%N | cut -c1-12)"
fi
wait \$pid
TARGET
chmod +x "$work/target.sh"

status=0
for v in "${variants[@]}"; do
    echo "== $v"
    extra=()
    [ "$v" != plain ] && extra=(--modparam aoe_deadsecs=120)
    "$harness" --target "exec $work/target.sh $v" --shelf 7 --slot 3 --ready 20 "${extra[@]}" >"$work/$v.log" 2>&1
    rc=$?
    grep -E '^AOE-RESULT (discover|target_mac|fsck|dd_|retrans|target_exit)|RESTART|AOE-GUEST:' "$work/$v.log" | sed "s/^/$v| /"
    if [ "$rc" = 0 ] && tail -n1 "$work/$v.log" | grep -q '^AOE-GUEST: PASS$'; then
        if [ "$v" != plain ] && ! grep -q 'RESTART target serving again' "$work/$v.log"; then
            echo "$v: the target was never restarted (its phase was not detected)"; status=1; continue
        fi
        echo "$v: PASS"
    else
        tail -n 60 "$work/$v.log" | sed "s/^/$v| /"
        echo "$v: FAIL"
        status=1
    fi
done
[ "$status" = 0 ] && verdict "PASS (${variants[*]})"
KEEP=1
verdict "FAIL (logs in $work)"
