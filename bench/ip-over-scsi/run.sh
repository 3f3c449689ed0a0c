#!/usr/bin/env bash
# Side-by-side: plain veth, the TUN relay ceiling (shared/anchors/tunrelay.c, "unix" mode: two processes joined by
# a socketpair) and `netscsi ip` over TCP (iSCSI across a veth pair), direct and through one gateway host, all at
# MTU 65535 in one run. Per link: ping RTT p50/p99 (200 pings, 10 ms apart, 56-byte payload) and iperf3 TCP
# throughput (single stream, 5 s). Run it holding the heavy-job lock:
#   flock -o /work/heavy.lock bench/ip-over-scsi/run.sh [TUNRELAY_SOURCE]
# Needs root, iproute2, iputils-ping, iperf3, gcc; builds src/NetScsi.Cli first.
set -euo pipefail
cd "$(dirname "$0")/../.."
relay_source=${1:-../shared/anchors/tunrelay.c}
# RECEIVE_QUEUE: netscsi ip's --receive-queue (0: datagrams go to the TUN interface on the command's path).
receive_queue=${RECEIVE_QUEUE:-1024}
[ -f "$relay_source" ] || relay_source=/work/shared/anchors/tunrelay.c
work=$(mktemp -d /tmp/netscsi-ipbench.XXXXXX)
tag=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
A=nsipb-$tag-a B=nsipb-$tag-b C=nsipb-$tag-c
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    for ns in $A $B $C; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -pthread -o "$work/tunrelay" "$relay_source"
# NETSCSI_DLL: a netscsi.dll built beforehand (so a build elsewhere in the tree cannot collide with this run).
if [ -z "${NETSCSI_DLL:-}" ]; then
    dotnet build src/NetScsi.Cli -c Release -v q -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    NETSCSI_DLL=$(pwd)/src/NetScsi.Cli/bin/Release/net10.0/netscsi.dll
fi
netscsi="dotnet $NETSCSI_DLL"

ip netns add $A; ip netns add $B
ip -n $A link set lo up; ip -n $B link set lo up
ip link add va$tag netns $A type veth peer name vb$tag netns $B
ip -n $A link set va$tag mtu 65535 up; ip -n $B link set vb$tag mtu 65535 up
ip -n $A addr add 10.213.0.1/30 dev va$tag; ip -n $B addr add 10.213.0.2/30 dev vb$tag

measure() { # NAME DEST_ADDR [SERVER_NS]
    local name=$1 dest=$2 server=${3:-$B}
    ip netns exec $A ping -c 20 -i 0.01 -q "$dest" >/dev/null
    ip netns exec $A ping -c 200 -i 0.01 "$dest" | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n > "$work/rtt-$name"
    local n p50 p99
    n=$(wc -l < "$work/rtt-$name")
    p50=$(awk -v n="$n" 'NR == int(n * 0.50 + 0.5) { print $1 * 1000 }' "$work/rtt-$name")
    p99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.5) { print $1 * 1000 }' "$work/rtt-$name")
    ip netns exec "$server" iperf3 -s -1 -B "$dest" >/dev/null 2>&1 &
    local iperf_server=$!
    sleep 0.5
    local mbps
    mbps=$(ip netns exec $A iperf3 -c "$dest" -t 5 -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6))')
    wait "$iperf_server"
    printf '%-28s rtt_p50_us=%s rtt_p99_us=%s tcp_MBps=%s (pings=%s)\n' "$name" "$p50" "$p99" "$mbps" "$n"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), netscsi ip --receive-queue $receive_queue"
measure veth 10.213.0.2

"$work/tunrelay" unix $A tra$tag $B trb$tag & pids+=($!)
sleep 0.5
ip -n $A link set tra$tag mtu 65535 up; ip -n $B link set trb$tag mtu 65535 up
ip -n $A addr add 10.98.0.1/24 dev tra$tag; ip -n $B addr add 10.98.0.2/24 dev trb$tag
measure tunrelay-unix 10.98.0.2
kill "${pids[-1]}"; sleep 0.5

ip netns exec $A $netscsi ip up scsi0 --address 10.99.0.1/24 --listen 10.213.0.1:3260 \
    --peer 10.99.0.2=iscsi://10.213.0.2:3260/iqn.2026-11.org.netscsi:ip-10.99.0.2/0 --status-file "$work/a.json" --receive-queue "$receive_queue" --log-level warning > "$work/a.log" 2>&1 & pids+=($!)
ip netns exec $B $netscsi ip up scsi0 --address 10.99.0.2/24 --listen 10.213.0.2:3260 \
    --peer 10.99.0.1=iscsi://10.213.0.1:3260/iqn.2026-11.org.netscsi:ip-10.99.0.1/0 --status-file "$work/b.json" --receive-queue "$receive_queue" --log-level warning > "$work/b.log" 2>&1 & pids+=($!)
for i in $(seq 100); do
    grep -q '"state": "up"' "$work/a.json" 2>/dev/null && grep -q '"state": "up"' "$work/b.json" 2>/dev/null && break
    sleep 0.2
done
measure netscsi-ip-tcp 10.99.0.2

# Through one gateway: B is also on a second SCSI network with C and forwards between them.
ip netns add $C; ip -n $C link set lo up
ip link add vc$tag netns $B type veth peer name vd$tag netns $C
ip -n $B link set vc$tag mtu 65535 up; ip -n $C link set vd$tag mtu 65535 up
ip -n $B addr add 10.213.0.5/30 dev vc$tag; ip -n $C addr add 10.213.0.6/30 dev vd$tag
ip netns exec $B $netscsi ip up scsi1 --address 10.99.2.1/24 --listen 10.213.0.5:3260 \
    --peer 10.99.2.2=iscsi://10.213.0.6:3260/iqn.2026-11.org.netscsi:ip-10.99.2.2/0 --status-file "$work/b1.json" --receive-queue "$receive_queue" --log-level warning > "$work/b1.log" 2>&1 & pids+=($!)
ip netns exec $C $netscsi ip up scsi0 --address 10.99.2.2/24 --listen 10.213.0.6:3260 \
    --peer 10.99.2.1=iscsi://10.213.0.5:3260/iqn.2026-11.org.netscsi:ip-10.99.2.1/0 --status-file "$work/c.json" --receive-queue "$receive_queue" --log-level warning > "$work/c.log" 2>&1 & pids+=($!)
for i in $(seq 100); do
    grep -q '"state": "up"' "$work/b1.json" 2>/dev/null && grep -q '"state": "up"' "$work/c.json" 2>/dev/null && break
    sleep 0.2
done
ip netns exec $B sysctl -qw net.ipv4.ip_forward=1
ip -n $A route add 10.99.2.0/24 via 10.99.0.2 dev scsi0
ip -n $C route add 10.99.0.0/24 via 10.99.2.1 dev scsi0
measure netscsi-ip-tcp-1-gateway 10.99.2.2 $C
