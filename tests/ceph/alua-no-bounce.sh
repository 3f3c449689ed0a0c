#!/usr/bin/env bash
# Two initiators on different paths at once do not make the RBD exclusive lock bounce (issue 19, docs/scale-out.md).
# Starts a throwaway one-node Ceph cluster (tests/ceph/ceph-one-node.sh, own directory and monitor ports), two
# `netscsi target serve` on one image (same target name and LUN, --tpg 1 / --tpg 2, --alua-follow-lock, each with
# --metrics on its own port), gateway 1 first so it takes the lock. Then, for SECONDS (default 60) at once:
#   - initiator A: `netscsi bench` (4 KiB random read/write, QD8) through gateway 1, the lock owner;
#   - initiator B: a loop of `netscsi write` and `netscsi read` through gateway 2, the standby path: each must be
#     refused with NOT READY, ASYMMETRIC ACCESS STATE TRANSITION / TARGET PORT IN STANDBY STATE (04/0Bh), which is
#     the design: a standby gateway passes nothing to librbd, so it never asks the owner for the lock.
# Both /metrics endpoints are scraped with curl before and after; it requires netscsi_rbd_lock_handovers unchanged
# on both (0 handovers after the initial acquisition: gateway 1 at 1, gateway 2 at 0) and netscsi_rbd_lock_owner
# 1 on gateway 1, 0 on gateway 2, and prints "lock handovers in SECONDS s: N".
#
#   tests/ceph/alua-no-bounce.sh [--seconds 60]
#
# Needs ceph-mon, ceph-osd, ceph-common and curl; without Ceph it says SKIPPED and exits 0. Exit 1 on any failed check.
set -euo pipefail

seconds=60
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        *) echo "usage: $0 [--seconds 60]" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
NAME="alua no bounce"
. "$root/tests/ceph/gateway-test-lib.sh"
iqn=iqn.2026-12.org.netscsi:nobounce

# The value of one of the follower's series on a gateway: $1 metrics port, $2 metric name; "missing" when absent.
metric() {
    local text
    text=$(curl -sf "http://127.0.0.1:$1/metrics") || { echo missing; return; }
    awk -v name="$2" -v iqn="$iqn" '
        $1 ~ "^" name "\\{" && index($1, "target=\"" iqn "\"") && index($1, "lun=\"0\"") && index($1, "image=\"rbd/lun0\"") { v = $2 }
        END { print (v == "" ? "missing" : v) }' <<<"$text"
}

p1=$(free_port); p2=$(free_port); m1=$(free_port); m2=$(free_port)
serve "$p1" 1 2 "$work/gw1.log" "$m1"
sleep 1  # gateway 1 takes the lock first
serve "$p2" 2 1 "$work/gw2.log" "$m2"
sleep 1  # gateway 2's first polls

h1_before=$(metric "$m1" netscsi_rbd_lock_handovers); h2_before=$(metric "$m2" netscsi_rbd_lock_handovers)
o1_before=$(metric "$m1" netscsi_rbd_lock_owner); o2_before=$(metric "$m2" netscsi_rbd_lock_owner)
echo "before: gateway 1 handovers $h1_before owner $o1_before; gateway 2 handovers $h2_before owner $o2_before"
[ "$h1_before $o1_before" = "1 1" ] || fail "gateway 1 did not take the lock at start (handovers $h1_before, owner $o1_before)"
[ "$h2_before $o2_before" = "0 0" ] || fail "gateway 2 is not a standby at start (handovers $h2_before, owner $o2_before)"

# Initiator A on the owner's path, initiator B on the standby's, at once.
"$netscsi" bench "iscsi://127.0.0.1:$p1/$iqn/0" --pattern randrw --block-size 4k --queue-depth 8 --size 64M \
    --seconds "$seconds" --json >"$work/bench.json" 2>"$work/bench.err" &
bench_pid=$!
pids+=($bench_pid)
head -c 4096 /dev/urandom >"$work/block.bin"
refused=0 passed=0 other=0
end=$(( $(date +%s) + seconds ))
i=0
while [ "$(date +%s)" -lt "$end" ]; do
    lba=$(( (i * 8) % 131072 ))
    if [ $((i % 2)) -eq 0 ]; then
        cmd=("$netscsi" write --timeout 5s --lba "$lba" -i "$work/block.bin" "iscsi://127.0.0.1:$p2/$iqn/0")
    else
        cmd=("$netscsi" read --timeout 5s --lba "$lba" --blocks 8 -o "$work/standby.out" "iscsi://127.0.0.1:$p2/$iqn/0")
    fi
    if "${cmd[@]}" >/dev/null 2>"$work/standby.err"; then
        passed=$((passed + 1))
    elif grep -qi '04/0B' "$work/standby.err"; then
        refused=$((refused + 1))
    else
        other=$((other + 1)); cp "$work/standby.err" "$work/standby-other-$other.err"
    fi
    i=$((i + 1))
done
if ! wait "$bench_pid"; then
    fail "netscsi bench through gateway 1 failed: $(tail -3 "$work/bench.err")"
fi
owner_ios=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ios"], "%.0f" % d["iops"])' "$work/bench.json" 2>/dev/null || echo "0 none")
read -r ios iops <<<"$owner_ios"
echo "initiator A through gateway 1 (owner): $ios I/Os, $iops IOPS"
[ "$ios" -gt 0 ] || fail "netscsi bench through gateway 1 completed no I/O ($work/bench.json)"
echo "initiator B through gateway 2 (standby): $i commands, $refused refused NOT READY 04/0Bh, $passed completed, $other other errors"
[ "$i" -gt 0 ] && [ "$refused" -eq "$i" ] || fail "the standby path did not refuse every command with NOT READY 04/0Bh ($passed completed, $other other errors; $work/standby-other-*.err)"

h1_after=$(metric "$m1" netscsi_rbd_lock_handovers); h2_after=$(metric "$m2" netscsi_rbd_lock_handovers)
o1_after=$(metric "$m1" netscsi_rbd_lock_owner); o2_after=$(metric "$m2" netscsi_rbd_lock_owner)
echo "after: gateway 1 handovers $h1_after owner $o1_after; gateway 2 handovers $h2_after owner $o2_after"
if [[ "$h1_before$h2_before$h1_after$h2_after" =~ ^[0-9]+$ ]]; then
    handovers=$(( h1_after - h1_before + h2_after - h2_before ))
else
    handovers=unknown
fi
echo "lock handovers in $seconds s: $handovers"
[ "$handovers" = 0 ] || fail "the lock moved during the run ($handovers handovers)"
[ "$o1_after $o2_after" = "1 0" ] || fail "the owner changed: gateway 1 owner $o1_after, gateway 2 owner $o2_after"

kill -TERM "${pids[@]}" 2>/dev/null || true
wait 2>/dev/null || true
if [ "$failed" -eq 0 ]; then
    echo "alua no bounce: PASS"
else
    echo "alua no bounce: FAIL (logs: $work)"
    trap - EXIT
    cleanup
    exit 1
fi
rm -rf "$work"
