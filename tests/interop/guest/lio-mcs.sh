#!/bin/bash
# MC/S against LIO (run in the rdma-guest VM from the netscsi publish directory, see docs/initiator-cli.md):
# a verified copy onto LUN 0 and back, then a short bench, with --connections $1; ss counts the initiator's
# established connections to LIO meanwhile.
set -euo pipefail
N=${1:-4}
URL="iscsi://$RDMA_GUEST_IP:$RDMA_GUEST_LIO_PORT/$RDMA_GUEST_LIO_IQN/0"
S=$RDMA_GUEST_SCRATCH/c$N
mkdir -p "$S"
head -c 16M /dev/urandom > "$S/src.bin"
: > "$S/conns"
( while :; do ss -tnH state established "( dport = :$RDMA_GUEST_LIO_PORT )" | wc -l >> "$S/conns"; sleep 0.2; done ) &
W=$!
# The sampler must not outlive a failed step: the harness waits for every process of the run.
trap 'kill $W 2>/dev/null || true' EXIT
echo "== copy file -> LUN --verify, --connections $N"
dotnet netscsi.dll copy "$S/src.bin" "$URL" --verify --connections "$N" --queue-depth 16 --chunk-size 256k --json
echo "== copy LUN -> file, --connections $N"
dotnet netscsi.dll copy "$URL" "$S/back.bin" --connections "$N" --queue-depth 16 --chunk-size 256k --json
cmp -n $((16 << 20)) "$S/src.bin" "$S/back.bin" && echo "MCS-CHECK readback-identical connections=$N bytes=$((16 << 20))"
echo "== bench randrw 64k, --connections $N"
dotnet netscsi.dll bench "$URL" --pattern randrw --block-size 64k --queue-depth 32 --seconds 5 --connections "$N" --json
echo "MCS-CHECK max-established-initiator-connections connections=$N max=$(sort -n "$S/conns" | tail -1)"
