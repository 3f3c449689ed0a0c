#!/usr/bin/env bash
# The project's whole test run: unit and functional tests (xunit), then the interop run of
# libiscsi's conformance suite against a freshly started target. Prints a closing
# "N passed, N failed" line and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"

results=$(mktemp -d /tmp/netscsi-tests.XXXXXX)
status=0

dotnet test NetScsi.slnx -c Release --logger "trx" --results-directory "$results" 2>&1 | tee "$results/dotnet-test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# Conformance: no more FAILED tests than the documented ceiling (see docs/conformance.md).
max_failed=$(cat tests/interop/max-failed 2>/dev/null || echo 0)
tests/interop/libiscsi-conformance.sh --max-failed "$max_failed" --out "$results/conformance.txt" || status=1
# The same suite against an RBD LUN on a throwaway one-node Ceph cluster (says SKIPPED without the Ceph packages).
tests/interop/rbd-conformance.sh --max-failed 0 --out "$results/conformance-rbd.txt" || status=1

passed=$(grep -ho 'outcome="Passed"' "$results"/*.trx 2>/dev/null | wc -l)
failed=$(grep -ho 'outcome="Failed"' "$results"/*.trx 2>/dev/null | wc -l)
for summary in "$results/conformance.txt" "$results/conformance-rbd.txt"; do
    [ -f "$summary" ] || continue
    passed=$((passed + $(awk '/^TOTAL/ { for (i = 1; i <= NF; i++) if ($i ~ /^passed=/) { sub(/passed=/, "", $i); print $i } }' "$summary")))
done
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
exit "$status"
