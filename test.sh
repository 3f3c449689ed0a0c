#!/usr/bin/env bash
# The project's whole test run: set-up, unit and functional tests (xunit), libiscsi's conformance suite
# against a freshly started target, and the Linux kernel initiator in a VM. Prints a closing
# "N passed, N failed" line and exits non-zero on any failure.
#
# --long runs the adversarial tests in their long mode (docs/reliability.md): 100,000 fuzz cases,
# 1000 sessions for 30 s, 20 kills, 10 fd-exhaustion runs.
#
# Set-up: the real peers come from Debian packages. Run as root, the script installs what is missing
# (and says what); as another user it names what is missing and fails. Nothing is skipped silently:
#   NETSCSI_SKIP_KERNEL=1   do not boot the kernel initiator VM (a line says it was skipped)
set -uo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use, by the command that proves each is there.
declare -A packages=(
    [iscsi-test-cu]=libiscsi-bin [iscsi-ls]=libiscsi-bin [qemu-img]=qemu-utils [tgtd]=tgt
    [sg_inq]=sg3-utils [python3]=python3 [systemd-analyze]=systemd [curl]=curl
    # A one-node Ceph cluster for the RBD LUN tests.
    [ceph-mon]=ceph-mon [ceph-osd]=ceph-osd [rbd]=ceph-common
    [ip]=iproute2 [ping]=iputils-ping [iperf3]=iperf3
    # The reference AoE target and tools, for the AoE client tests.
    [vblade]=vblade [aoe-stat]=aoetools
)
# qemu-block-extra has no command of its own: its iSCSI block driver is a file.
missing=()
for command in "${!packages[@]}"; do
    command -v "$command" >/dev/null || missing+=("${packages[$command]}")
done
ls /usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so >/dev/null 2>&1 || missing+=(qemu-block-extra)
# Libraries: librbd for the RBD LUN, tgt's bs_rbd for the comparison with tgt.
ls /usr/lib/x86_64-linux-gnu/librbd.so.1 >/dev/null 2>&1 || missing+=(librbd1 librados2)
ls /usr/lib/tgt/backing-store/bs_rbd.so >/dev/null 2>&1 || missing+=(tgt-rbd)
if [ "${#missing[@]}" -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if [ "$(id -u)" -ne 0 ]; then
        echo "test.sh: missing Debian packages: ${missing[*]} (run as root to install them, or apt-get install -y ${missing[*]})" >&2
        exit 2
    fi
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/netscsi-apt.log 2>&1 \
        || { echo "test.sh: apt-get install failed; see /tmp/netscsi-apt.log" >&2; tail -20 /tmp/netscsi-apt.log >&2; exit 2; }
fi

if [ "${1:-}" = "--long" ]; then
    export NETSCSI_ADVERSARIAL=long
fi

results=$(mktemp -d /tmp/netscsi-tests.XXXXXX)
status=0

dotnet test NetScsi.slnx -c Release --logger "trx" --results-directory "$results" 2>&1 | tee "$results/dotnet-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# Conformance: no more FAILED tests than the documented ceiling (see docs/conformance.md).
max_failed=$(cat tests/interop/max-failed 2>/dev/null || echo 0)
tests/interop/libiscsi-conformance.sh --max-failed "$max_failed" --out "$results/conformance.txt" || status=1
# The same suite against an RBD LUN on a throwaway one-node Ceph cluster (says SKIPPED without the Ceph packages).
tests/interop/rbd-conformance.sh --max-failed 0 --out "$results/conformance-rbd.txt" || status=1
# The same suite with ALUA on (this gateway's group active/optimized, a peer group; REPORT/SET TARGET PORT GROUPS).
tests/interop/libiscsi-conformance.sh --max-failed "$max_failed" --serve-arg --tpg --serve-arg 1 --serve-arg --peer-tpg --serve-arg 2=standby \
    --out "$results/conformance-alua.txt" || status=1
# Two gateways on one RBD image, ALUA following the exclusive lock, kill -9 of the owner (docs/scale-out.md#alua-two-gateways).
alua_passed=0
if tests/ceph/alua-two-gateways.sh >"$results/alua-two-gateways.log" 2>&1; then
    grep -q SKIPPED "$results/alua-two-gateways.log" || alua_passed=1
    grep -E '^(failover|alua)' "$results/alua-two-gateways.log"
else
    status=1
    echo "alua two gateways: FAIL (log: $results/alua-two-gateways.log)"
    grep -E 'FAIL' "$results/alua-two-gateways.log" | tail -5
fi
# Two initiators on the two paths at once for 60 s: the lock does not move (docs/scale-out.md#alua-two-gateways).
if tests/ceph/alua-no-bounce.sh >"$results/alua-no-bounce.log" 2>&1; then
    grep -q SKIPPED "$results/alua-no-bounce.log" || alua_passed=$((alua_passed + 1))
    grep -E '^(lock handovers|alua no bounce)' "$results/alua-no-bounce.log"
else
    status=1
    echo "alua no bounce: FAIL (log: $results/alua-no-bounce.log)"
    grep -E 'FAIL' "$results/alua-no-bounce.log" | tail -5
fi
# The multipath initiator writes 192 MiB across a kill -9 of the active gateway, reads it back equal; failover <= 10 s
# (docs/scale-out.md#multipath-initiator).
if tests/ceph/multipath-failover.sh >"$results/multipath-failover.log" 2>&1; then
    grep -q SKIPPED "$results/multipath-failover.log" || alua_passed=$((alua_passed + 1))
    grep -E '^(failover|multipath failover)' "$results/multipath-failover.log"
else
    status=1
    echo "multipath failover: FAIL (log: $results/multipath-failover.log)"
    grep -E 'FAIL' "$results/multipath-failover.log" | tail -5
fi

# Packaging: the .NET tool and the self-contained single-file binary, installed and run.
package_passed=0
if tests/interop/package.sh >"$results/package.log" 2>&1; then
    package_passed=1
    echo "packaging: PASS (tool package and single-file binary serve a LUN iscsi-ls lists)"
else
    status=1
    echo "packaging: FAIL (log: $results/package.log)"
    tail -5 "$results/package.log"
fi

# The Linux kernel initiator (open-iscsi + iscsi_tcp in a QEMU VM; ../shared/tools/kernel-initiator): plain and
# with CRC32C digests + mutual CHAP, then the communications device. Takes 5-11 minutes under software emulation.
kernel_passed=0
if [ "${NETSCSI_SKIP_KERNEL:-0}" = 1 ]; then
    echo "kernel initiator: SKIPPED (NETSCSI_SKIP_KERNEL=1)"
elif [ ! -x ../shared/tools/kernel-initiator/run.sh ] && [ -z "${NETSCSI_KERNEL_HARNESS:-}" ]; then
    echo "kernel initiator: SKIPPED (no harness at ../shared/tools/kernel-initiator; set NETSCSI_KERNEL_HARNESS)"
elif [ "$(id -u)" -ne 0 ]; then
    echo "kernel initiator: SKIPPED (the VM harness needs root)"
else
    for mode in plain mutual-digests; do
        if tests/interop/kernel-initiator.sh --only "$mode" >"$results/kernel-$mode.log" 2>&1; then
            kernel_passed=$((kernel_passed + 1))
            echo "kernel initiator ($mode): PASS $(grep -m1 '^throughput:' "$results/kernel-$mode.log")"
        else
            status=1
            echo "kernel initiator ($mode): FAIL (log: $results/kernel-$mode.log)"
            grep -E 'KERNEL-INITIATOR|FAIL' "$results/kernel-$mode.log" | tail -5
        fi
    done
    # The same harness against the communications device of `netscsi ip` (RFC 2143): attached as sg, a datagram through it.
    if tests/interop/kernel-comms-lu.sh >"$results/kernel-comms-lu.log" 2>&1; then
        kernel_passed=$((kernel_passed + 1))
        echo "kernel initiator (communications device): PASS (type 09h attached as sg, SEND MESSAGE(10) datagram delivered)"
    else
        status=1
        echo "kernel initiator (communications device): FAIL (log: $results/kernel-comms-lu.log)"
        grep -E 'KERNEL-COMMS-LU' "$results/kernel-comms-lu.log" | tail -3
    fi
fi

# The Linux kernel's AoE driver against `target serve --listen aoe:...` (../shared/tools/aoe-guest, one QEMU guest per
# variant): plain, with the target killed and restarted during the guest's dd, and during its file-system writes.
# 3-7 minutes under TCG.
aoe_passed=0
if [ "${NETSCSI_SKIP_KERNEL:-0}" = 1 ]; then
    echo "kernel aoe driver: SKIPPED (NETSCSI_SKIP_KERNEL=1)"
elif [ ! -x ../shared/tools/aoe-guest/run.sh ] && [ -z "${NETSCSI_AOE_HARNESS:-}" ]; then
    echo "kernel aoe driver: SKIPPED (no harness at ../shared/tools/aoe-guest; set NETSCSI_AOE_HARNESS)"
elif [ "$(id -u)" -ne 0 ]; then
    echo "kernel aoe driver: SKIPPED (the VM harness needs root)"
else
    for mode in plain restart restart-fs; do
        if tests/interop/aoe-kernel.sh "$mode" >"$results/aoe-kernel-$mode.log" 2>&1; then
            aoe_passed=$((aoe_passed + 1))
            echo "kernel aoe driver ($mode): PASS $(grep -m1 'dd_write_MBps' "$results/aoe-kernel-$mode.log" | grep -o 'dd_write_MBps=[0-9.]* .*dd_read_MBps=[0-9.]*')"
        else
            status=1
            echo "kernel aoe driver ($mode): FAIL (log: $results/aoe-kernel-$mode.log)"
            grep -E 'AOE-KERNEL|AOE-GUEST|FAIL' "$results/aoe-kernel-$mode.log" | tail -5
        fi
    done
fi

# Name every failed xunit test beside the totals, so the tail of the log says what failed.
for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for result in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if result.get("outcome") != "Failed":
        continue
    message = result.find("t:Output/t:ErrorInfo/t:Message", ns)
    first = (message.text or "").strip().splitlines()[0][:300] if message is not None and message.text else ""
    print(f"FAILED {result.get('testName')}: {first}")
PY
done
# Test results only: a failed run's <ResultSummary> says outcome="Failed" too, and is not a test.
passed=$(grep -ho '<UnitTestResult [^>]*outcome="Passed"' "$results"/*.trx 2>/dev/null | wc -l)
failed=$(grep -ho '<UnitTestResult [^>]*outcome="Failed"' "$results"/*.trx 2>/dev/null | wc -l)
for summary in "$results/conformance.txt" "$results/conformance-rbd.txt" "$results/conformance-alua.txt"; do
    [ -f "$summary" ] || continue
    passed=$((passed + $(awk '/^TOTAL/ { for (i = 1; i <= NF; i++) if ($i ~ /^passed=/) { sub(/passed=/, "", $i); print $i } }' "$summary")))
done
passed=$((passed + kernel_passed + package_passed + alua_passed + aoe_passed))
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
exit "$status"
