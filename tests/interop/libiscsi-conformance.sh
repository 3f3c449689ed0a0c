#!/usr/bin/env bash
# Runs libiscsi's conformance suite (iscsi-test-cu, Debian package libiscsi-bin) against a freshly
# started NetScsi target with a default 1 GiB file LUN, prints every test's outcome and the totals,
# and fails when more tests FAILED than allowed.
#
#   tests/interop/libiscsi-conformance.sh [--max-failed N] [--allow-sanitize] [--single-url] [--lun SPEC] [--serve-arg ARG]... [--out FILE] [-- extra iscsi-test-cu args]
#
# --serve-arg passes one more argument to `netscsi target serve` (repeat it: --serve-arg --tpg --serve-arg 1).
#
# The same LUN is given twice, which enables the MultipathIO suite; --single-url gives it once (the
# Sanitize suite's Reservations test leaves a RESERVE(6) held by the second path, which the next
# test then meets as RESERVATION CONFLICT).
set -euo pipefail

max_failed=0
single=0
sanitize=()
lun_spec=""
out=""
extra=()
serve_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --max-failed) max_failed="$2"; shift 2 ;;
        --allow-sanitize) sanitize=(--allow-sanitize); shift ;;
        --single-url) single=1; shift ;;
        --lun) lun_spec="$2"; shift 2 ;;
        --serve-arg) serve_args+=("$2"); shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: $0 [--max-failed N] [--allow-sanitize] [--single-url] [--lun SPEC] [--serve-arg ARG]... [--out FILE] [-- iscsi-test-cu args]" >&2; exit 2 ;;
    esac
done

command -v iscsi-test-cu >/dev/null || { echo "iscsi-test-cu not found: apt-get install -y libiscsi-bin" >&2; exit 2; }

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/netscsi-conformance.XXXXXX)
bin="$work/bin"
iqn="iqn.2026-11.org.netscsi:conformance"
[ -n "$lun_spec" ] || lun_spec="file:$work/lun0.img,size=1G"

dotnet build -c Release "$root/src/NetScsi.Cli" -o "$bin" -nologo -v quiet >/dev/null

# A free port: let the kernel choose one, then use it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$bin/netscsi" target serve --listen "127.0.0.1:$port" --iqn "$iqn" --lun "$lun_spec" --log-level warning "${serve_args[@]}" \
    >"$work/target.log" 2>&1 &
target_pid=$!
cleanup() {
    if kill -0 "$target_pid" 2>/dev/null; then
        kill -TERM "$target_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$target_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$target_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$target_pid" 2>/dev/null || { echo "target exited early:" >&2; cat "$work/target.log" >&2; exit 1; }
    sleep 0.1
done

url="iscsi://127.0.0.1:$port/$iqn/0"
urls=("$url" "$url")
[ "$single" -eq 0 ] || urls=("$url")
echo "iscsi-test-cu --dataloss ${sanitize[*]} ${extra[*]} ${urls[*]}"
set +e
# Some libiscsi tests loop on TEST UNIT READY, logging each try, when an earlier test left the LU
# in an unexpected state; capping the log ends such a loop (SIGPIPE) instead of filling the disk.
timeout 1800 iscsi-test-cu --dataloss "${sanitize[@]}" "${extra[@]}" "${urls[@]}" 2>&1 | head -c 100000000 >"$work/suite.txt"
suite_exit=${PIPESTATUS[0]}
set -e
if [ "$suite_exit" -eq 124 ]; then
    echo "iscsi-test-cu did not finish within 30 minutes (hang)" >&2
fi

awk -f "$root/tests/interop/summarize-cunit.awk" "$work/suite.txt" >"$work/summary.txt"
cat "$work/summary.txt"
[ -z "$out" ] || { cp "$work/summary.txt" "$out"; cp "$work/suite.txt" "$out.raw"; }

failed=$(awk '/^TOTAL/ { sub(/.*failed=/, ""); print }' "$work/summary.txt")
if ! kill -0 "$target_pid" 2>/dev/null; then
    echo "the target died during the suite:" >&2
    tail -50 "$work/target.log" >&2
    exit 1
fi
if [ "$suite_exit" -eq 124 ]; then exit 1; fi
if [ "$failed" -gt "$max_failed" ]; then
    echo "conformance: $failed FAILED (allowed $max_failed); raw output: $work/suite.txt" >&2
    exit 1
fi
echo "conformance: $failed FAILED (allowed $max_failed)"
rm -rf "$work"
