#!/usr/bin/env bash
# Runs the Linux kernel initiator (open-iscsi + iscsi_tcp in a QEMU VM, ../shared/tools/kernel-initiator)
# against a freshly started NetScsi target, in six configurations: plain, CRC32C header and data
# digests, one-way CHAP, mutual CHAP, digests with mutual CHAP, and acl (three LUNs masked per initiator: node-a → LUN 0,
# node-b → LUN 1, node-c → LUN 2; the guest logs in as node-a). Prints each verdict and the dd throughput line; exits non-zero if
# any run fails. Slow (1-4 minutes a run under software emulation); ./test.sh runs plain and mutual-digests.
#
#   tests/interop/kernel-initiator.sh [--only plain|digests|chap|mutual|mutual-digests|acl]
# Kernel error handling (aborts, target restart): tests/interop/kernel-error-handling.sh.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
harness=${NETSCSI_KERNEL_HARNESS:-$root/../shared/tools/kernel-initiator/run.sh}
[ -x "$harness" ] || { echo "kernel initiator harness not found at $harness (set NETSCSI_KERNEL_HARNESS)" >&2; exit 2; }
only=""
[ "${1:-}" = "--only" ] && only="${2:-}"

work=$(mktemp -d /tmp/netscsi-kernel.XXXXXX)
dotnet build -c Release "$root/src/NetScsi.Cli" -o "$work/bin" -nologo -v quiet >/dev/null || exit 1
iqn=iqn.2026-11.org.netscsi:kernel
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target_pid=""
stop_target() {
    if [ -n "$target_pid" ]; then
        kill -TERM "$target_pid" 2>/dev/null
        wait "$target_pid" 2>/dev/null
        target_pid=""
    fi
}
trap 'stop_target; rm -rf "$work"' EXIT

start_target() { # extra serve flags...
    stop_target
    "$work/bin/netscsi" target serve --listen "127.0.0.1:$port" --iqn "$iqn" --lun "file:$work/lun0.img,size=1G" --log-level warning "$@" \
        >>"$work/target.log" 2>&1 &
    target_pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
    echo "target did not start:" >&2; cat "$work/target.log" >&2; return 1
}

status=0
run() { # name env...
    local name=$1; shift
    [ -z "$only" ] || [ "$only" = "$name" ] || return 0
    echo "== $name"
    local out
    out=$(env "$@" timeout 1200 "$harness" "$port" "$iqn" 2>&1 | tail -4)
    echo "$out" | grep -E "^throughput:|KERNEL-INITIATOR:"
    echo "$out" | grep -q "KERNEL-INITIATOR: PASS" || status=1
}

start_target || exit 1
run plain
run digests NETSCSI_DIGEST=CRC32C
start_target --chap kuser:kernel-secret-1 --mutual-chap ktarget:target-secret-2 || exit 1
run chap NETSCSI_CHAP_USER=kuser NETSCSI_CHAP_PASS=kernel-secret-1
run mutual NETSCSI_CHAP_USER=kuser NETSCSI_CHAP_PASS=kernel-secret-1 NETSCSI_CHAP_USER_IN=ktarget NETSCSI_CHAP_PASS_IN=target-secret-2
run mutual-digests NETSCSI_DIGEST=CRC32C NETSCSI_CHAP_USER=kuser NETSCSI_CHAP_PASS=kernel-secret-1 NETSCSI_CHAP_USER_IN=ktarget NETSCSI_CHAP_PASS_IN=target-secret-2
if [ -z "$only" ] || [ "$only" = acl ]; then
    node=iqn.2026-11.test.netscsi:node
    start_target --lun "file:$work/lun1.img,size=1G" --lun "file:$work/lun2.img,size=1G" \
        --acl "$node-a=0" --acl "$node-b=1" --acl "$node-c=2" || exit 1
    run acl NETSCSI_INITIATOR_NAME="$node-a"
fi
stop_target
if [ "$status" -ne 0 ]; then echo "target log:"; tail -30 "$work/target.log"; fi
exit "$status"
