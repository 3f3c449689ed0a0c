#!/usr/bin/env bash
# Coverage-guided fuzzing of the network codecs (PduReader, text keys, the target login state machine) with SharpFuzz
# and Debian's afl++. Usage: fuzz/run.sh [SECONDS]   (default 300; FUZZ_OUT=DIR for the findings, default fuzz/out)
# Exit 0: the run ended without a crash or hang; 1: afl++ saved crashes or hangs (replay one with
# `dotnet fuzz/NetScsi.Fuzz/bin/Release/net10.0/NetScsi.Fuzz.dll FILE`, an uninstrumented build: instrumented code
# runs only under afl); 2: a tool is missing or afl-fuzz did not start. docs/reliability.md.
set -euo pipefail
seconds=${1:-300}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-$here/out}
if ! command -v afl-fuzz >/dev/null; then
    echo "fuzz/run.sh: afl-fuzz not found; install Debian's afl++ (apt-get install -y afl++)" >&2
    exit 2
fi
cd "$here"
dotnet tool restore >/dev/null
rm -rf "$here/bin"
dotnet publish NetScsi.Fuzz/NetScsi.Fuzz.csproj -c Release -o "$here/bin" --nologo -v quiet
# The starting corpus comes from the codecs themselves, before instrumenting (instrumented code runs only under afl).
rm -rf "$out" "$here/corpus"
dotnet "$here/bin/NetScsi.Fuzz.dll" --seeds "$here/corpus"
# Instrument the assemblies under test (not SharpFuzz's own, nor the harness).
for dll in NetScsi.Iscsi.Pdus.dll NetScsi.Iscsi.dll; do
    dotnet tool run sharpfuzz "$here/bin/$dll"
done
# The dotnet host is not instrumented (SKIP_BIN_CHECK); this shared machine has no fixed CPU governor or core.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
started=$(date +%s)
afl-fuzz -V "$seconds" -i "$here/corpus" -o "$out" -t 5000 -m none -- dotnet "$here/bin/NetScsi.Fuzz.dll" > "$out.log" 2>&1 || true
stats="$out/default/fuzzer_stats"
if [[ ! -f $stats ]]; then
    echo "fuzz/run.sh: afl-fuzz did not start; see $out.log" >&2
    tail -20 "$out.log" >&2
    exit 2
fi
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(value saved_crashes)
hangs=$(value saved_hangs)
echo "afl++ $(value afl_version), $(( $(date +%s) - started )) s: $(value execs_done) execs ($(value execs_per_sec)/s), corpus $(value corpus_count), edges $(value edges_found), crashes ${crashes:-?}, hangs ${hangs:-?}"
[[ ${crashes:-1} == 0 && ${hangs:-1} == 0 ]]
