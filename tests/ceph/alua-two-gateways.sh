#!/usr/bin/env bash
# Two NetScsi gateways, one RBD image, ALUA following the image's exclusive lock (docs/config.md, "ALUA").
# Starts a throwaway one-node Ceph cluster (tests/ceph/ceph-one-node.sh, own directory and monitor ports), then for
# each case: two `netscsi target serve` on 127.0.0.1 (different ports, same target name and LUN, --tpg 1 / --tpg 2,
# each naming the other with --peer-tpg, --alua-follow-lock), and checks with the netscsi initiator that
#   - both report the same identity (VPD 80h serial, VPD 83h NAA) and each its own relative port and port group;
#   - REPORT TARGET PORT GROUPS on each shows both groups; the lock owner (the first started) is active-optimized
#     on both paths, the other standby (the default non-owner state); a block written through the owner reads back,
#     and the standby gateway refuses a read with NOT READY;
#   - after kill -9 of the owner, the other becomes active-optimized and completes a write (read back equal).
# It prints the failover figures: "failover (CASE): active-optimized after X s, first write after Y s".
# Cases: "default" (Ceph's osd_client_watch_timeout, 30 s) and "watch-5s" (osd_client_watch_timeout = 5 s).
#
#   tests/ceph/alua-two-gateways.sh [--cases "default watch-5s"] [--max-failover SECONDS]
#
# Needs ceph-mon, ceph-osd and ceph-common; without them it says SKIPPED and exits 0. Exit 1 on any failed check.
set -euo pipefail

cases="default watch-5s"
max_failover=90
while [ $# -gt 0 ]; do
    case "$1" in
        --cases) cases="$2"; shift 2 ;;
        --max-failover) max_failover="$2"; shift 2 ;;
        *) echo "usage: $0 [--cases \"default watch-5s\"] [--max-failover SECONDS]" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
NAME="alua two gateways"
. "$root/tests/ceph/gateway-test-lib.sh"
iqn=iqn.2026-12.org.netscsi:alua
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | awk '{ printf "%.1f", $1 }'; }

# "STATE-OF-THIS-PATH STATE-OF-GROUP-1 STATE-OF-GROUP-2" from netscsi ls --json, or "error".
states() {
    "$netscsi" ls --json --timeout 3s "iscsi://127.0.0.1:$1/$iqn" 2>/dev/null | python3 -c '
import json, sys
groups = json.load(sys.stdin)["luns"][0]["alua"]
own = [g["state"] for g in groups if g["this_path"]]
by = {g["tpg"]: g["state"] for g in groups}
print(own[0] if own else "none", by.get(1, "missing"), by.get(2, "missing"))' 2>/dev/null || echo error
}

identity() {  # serial naa relative-port port-group
    "$netscsi" inquiry --json "iscsi://127.0.0.1:$1/$iqn/0" | python3 -c '
import json, sys
d = json.load(sys.stdin)
des = dict(x.split(":", 1) for x in d["designators"])
print(d["serial"], des.get("naa"), des.get("relative-port"), des.get("port-group"))'
}

for case in $cases; do
    case "$case" in
        default) watch=30 ;;
        watch-5s) watch=5 ;;
        *) echo "unknown case $case" >&2; exit 2 ;;
    esac
    # The OSD times a watch out after osd_client_watch_timeout without a ping; new watches take the current value.
    ceph tell osd.0 config set osd_client_watch_timeout "$watch" >/dev/null
    p1=$(free_port); p2=$(free_port)
    serve "$p1" 1 2 "$work/gw1-$case.log"; gw1=$last_pid
    sleep 1  # gateway 1 takes the lock first
    serve "$p2" 2 1 "$work/gw2-$case.log"; gw2=$last_pid

    read -r s1 n1 r1 g1 <<<"$(identity "$p1")"
    read -r s2 n2 r2 g2 <<<"$(identity "$p2")"
    [ "$s1" = "$s2" ] && [ "$n1" = "$n2" ] && [ -n "$n1" ] || fail "$case: identity differs: serial $s1/$s2, naa $n1/$n2"
    [ "$r1 $g1" = "00000001 00000001" ] && [ "$r2 $g2" = "00000002 00000002" ] || fail "$case: relative port / group: gw1 $r1 $g1, gw2 $r2 $g2"
    echo "identity ($case): serial $s1 naa $n1 on both; gw1 port/group $r1/$g1, gw2 $r2/$g2"

    st1=$(states "$p1"); st2=$(states "$p2")
    for _ in $(seq 20); do  # gateway 2's first poll may still be on its way
        [ "$st1" = "active-optimized active-optimized standby" ] && [ "$st2" = "standby active-optimized standby" ] && break
        sleep 0.5; st1=$(states "$p1"); st2=$(states "$p2")
    done
    echo "rtpg ($case): gw1 sees [this, tpg1, tpg2] = [$st1]; gw2 sees [$st2]"
    [ "$st1" = "active-optimized active-optimized standby" ] || fail "$case: gateway 1 (lock owner) reports $st1"
    [ "$st2" = "standby active-optimized standby" ] || fail "$case: gateway 2 reports $st2"

    head -c 65536 /dev/urandom >"$work/before.bin"
    "$netscsi" write --lba 2048 -i "$work/before.bin" "iscsi://127.0.0.1:$p1/$iqn/0" >/dev/null
    "$netscsi" read --lba 2048 --blocks 128 -o "$work/before.out" "iscsi://127.0.0.1:$p1/$iqn/0" >/dev/null
    cmp -s "$work/before.bin" "$work/before.out" || fail "$case: a block written through gateway 1 reads back different"
    if "$netscsi" read --timeout 5s --lba 2048 --blocks 128 -o "$work/standby.out" "iscsi://127.0.0.1:$p2/$iqn/0" >"$work/standby.err" 2>&1 \
        || ! grep -qi '04/0B' "$work/standby.err"; then
        fail "$case: a read through the standby gateway was not refused NOT READY 04/0Bh: $(cat "$work/standby.err")"
    fi

    head -c 65536 /dev/urandom >"$work/after.bin"
    kill -KILL "$gw1"
    wait "$gw1" 2>/dev/null || true
    t0=$(now)
    ao=""
    while [ "$(echo "$(now) - $t0 < $max_failover" | bc)" = 1 ]; do
        read -r own _ <<<"$(states "$p2")"
        if [ "$own" = active-optimized ]; then ao=$(since "$t0"); break; fi
        sleep 0.2
    done
    written=""
    if [ -n "$ao" ]; then
        while [ "$(echo "$(now) - $t0 < $max_failover" | bc)" = 1 ]; do
            if "$netscsi" write --timeout 5s --lba 4096 -i "$work/after.bin" "iscsi://127.0.0.1:$p2/$iqn/0" >/dev/null 2>&1; then
                written=$(since "$t0"); break
            fi
            sleep 0.2
        done
    fi
    if [ -z "$written" ]; then
        fail "$case: gateway 2 did not become active-optimized and complete a write within $max_failover s (states: $(states "$p2"))"
    else
        "$netscsi" read --lba 4096 --blocks 128 -o "$work/after.out" "iscsi://127.0.0.1:$p2/$iqn/0" >/dev/null
        cmp -s "$work/after.bin" "$work/after.out" || fail "$case: the write after failover reads back different"
        cmp -s "$work/before.bin" <("$netscsi" read --lba 2048 --blocks 128 "iscsi://127.0.0.1:$p2/$iqn/0") \
            || fail "$case: the block written through gateway 1 before the kill reads back different through gateway 2"
        echo "failover ($case, osd_client_watch_timeout ${watch} s): active-optimized after $ao s, first write after $written s"
    fi
    kill -TERM "$gw2" 2>/dev/null || true
    wait "$gw2" 2>/dev/null || true
done

if [ "$failed" -eq 0 ]; then
    echo "alua two gateways: PASS"
else
    echo "alua two gateways: FAIL (logs: $work)"
    trap - EXIT
    cleanup
    exit 1
fi
rm -rf "$work"
