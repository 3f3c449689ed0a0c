#!/usr/bin/env bash
# kill -9 of the active gateway under a verified workload of NetScsi's multipath initiator (issue 19, docs/scale-out.md).
# Starts a throwaway one-node Ceph cluster (tests/ceph/ceph-one-node.sh, own directory and monitor ports), two
# `netscsi target serve` on one RBD image (same target name and LUN, --tpg 1 / --tpg 2, --alua-follow-lock, Ceph's
# default osd_client_watch_timeout, NetScsi's default timeouts), gateway 1 first so it holds the lock. Then:
#   - `netscsi ls --path` shows both paths: gateway 1 active-optimized and in use, gateway 2 standby;
#   - `netscsi write --path` of a random file (MIB MiB, default 192) over both paths, one 1 MiB WRITE at a time;
#     gateway 1 is kill -9ed once 16 MiB have landed through it (its netscsi_scsi_written_bytes); the write must
#     finish (exit 0: every WRITE acknowledged) on gateway 2;
#   - `netscsi read --path` of the whole range reads back equal to the file (every byte right, no acknowledged
#     write lost), and the block written before the test through gateway 1 alone is still there.
# It prints "failover: first command completed on gateway 2 X s after the kill" (from the initiator's failover line)
# and fails when X exceeds --max-failover (default 10 s, the issue's acceptance figure).
#
#   tests/ceph/multipath-failover.sh [--mib 192] [--max-failover 10]
#
# Needs ceph-mon, ceph-osd, ceph-common and curl; without Ceph it says SKIPPED and exits 0. Exit 1 on any failed check.
set -euo pipefail

mib=192
max_failover=10
while [ $# -gt 0 ]; do
    case "$1" in
        --mib) mib="$2"; shift 2 ;;
        --max-failover) max_failover="$2"; shift 2 ;;
        *) echo "usage: $0 [--mib 192] [--max-failover 10]" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
NAME="multipath failover"
. "$root/tests/ceph/gateway-test-lib.sh"
iqn=iqn.2026-12.org.netscsi:multipath

written_bytes() {  # $1 metrics port: the sum of netscsi_scsi_written_bytes, 0 when unreadable
    curl -sf "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '/^netscsi_scsi_written_bytes/ { s += $NF } END { printf "%d", s + 0 }'
}

p1=$(free_port); p2=$(free_port); m1=$(free_port); m2=$(free_port)
serve "$p1" 1 2 "$work/gw1.log" "$m1"; gw1=$last_pid
sleep 1  # gateway 1 takes the lock first
serve "$p2" 2 1 "$work/gw2.log" "$m2"
url="iscsi://127.0.0.1:$p1/$iqn/0"
paths=(--path "127.0.0.1:$p2")

ls_paths() {
    "$netscsi" ls --json "${paths[@]}" "$url" | python3 -c '
import json, sys
print(" ".join("%s:%s:%s" % ("up" if p["up"] else "down", p["state"], "in-use" if p["in_use"] else "-") for p in json.load(sys.stdin)["paths"]))'
}
st=""
for _ in $(seq 20); do  # gateway 2's first poll may still be on its way
    st=$(ls_paths 2>/dev/null || echo error)
    [ "$st" = "up:active-optimized:in-use up:standby:-" ] && break
    sleep 0.5
done
echo "paths before: [$st]"
[ "$st" = "up:active-optimized:in-use up:standby:-" ] || fail "ls --path before the kill: $st"

head -c 65536 /dev/urandom >"$work/before.bin"
"$netscsi" write --lba 0 -i "$work/before.bin" "$url" >/dev/null
head -c $((mib << 20)) /dev/urandom >"$work/data.bin"
lba=1024  # after the 64 KiB block above

"$netscsi" write --lba "$lba" -i "$work/data.bin" "${paths[@]}" "$url" >"$work/write.out" 2>"$work/write.err" &
writer=$!
pids+=("$writer")
base=$(written_bytes "$m1")
killed_at=""
for _ in $(seq 600); do
    if [ $(( $(written_bytes "$m1") - base )) -ge $((16 << 20)) ]; then
        kill -KILL "$gw1"; killed_at=$(date +%s.%N); break
    fi
    kill -0 "$writer" 2>/dev/null || break
    sleep 0.05
done
[ -n "$killed_at" ] || fail "the write ended (or 16 MiB never landed through gateway 1) before the kill"
wait "$gw1" 2>/dev/null || true
rc=0; wait "$writer" || rc=$?
cat "$work/write.err"
[ "$rc" -eq 0 ] || fail "the multipath write failed (exit $rc) after the kill"

line=$(grep -m1 'netscsi: failover from' "$work/write.err" || true)
if [ -z "$line" ] || [ -z "$killed_at" ]; then
    fail "no failover reported by the initiator"
else
    at=$(echo "$line" | sed -E 's/.*completed at ([0-9.]+).*/\1/')
    figure=$(echo "$at - $killed_at" | bc | awk '{ printf "%.1f", $1 }')
    echo "failover: first command completed on gateway 2 $figure s after the kill (default timeouts, osd_client_watch_timeout 30 s)"
    [ "$(echo "$figure <= $max_failover" | bc)" = 1 ] || fail "failover took $figure s (more than $max_failover s)"
fi

if [ "$rc" -eq 0 ]; then
    "$netscsi" read --lba "$lba" --blocks $((mib << 11)) -o "$work/data.out" "${paths[@]}" "$url" 2>"$work/read.err" >/dev/null \
        || fail "the read back failed: $(cat "$work/read.err")"
    cmp "$work/data.bin" "$work/data.out" || fail "the data written across the failover reads back different"
    "$netscsi" read --lba 0 --blocks 128 -o "$work/before.out" "${paths[@]}" "$url" >/dev/null 2>&1 \
        && cmp -s "$work/before.bin" "$work/before.out" || fail "the block written through gateway 1 before the test reads back different"
    st=$(ls_paths 2>/dev/null || echo error)
    echo "paths after: [$st]"
    [ "$st" = "down:None:- up:active-optimized:in-use" ] || [ "${st#down:* }" = "up:active-optimized:in-use" ] || fail "ls --path after the kill: $st"
fi

if [ "$failed" -eq 0 ]; then
    echo "multipath failover: PASS"
else
    echo "multipath failover: FAIL (logs: $work)"
    trap - EXIT
    cleanup
    exit 1
fi
rm -rf "$work"
