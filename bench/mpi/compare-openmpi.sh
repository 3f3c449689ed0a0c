#!/usr/bin/env bash
# Side by side in one run: Open MPI's ping-pong (shared/anchors/mpipp.c, 2 ranks, `--mca pml ob1 --mca btl
# tcp,self`: TCP on loopback) and `netscsi mpi bench` (2 ranks, SCSI commands over iSCSI over TCP on loopback),
# the same sizes (8 B .. 1 MiB) and the same measurement: one-way latency = half a blocking ping-pong's round
# trip, bandwidth = a window of 64 Isends then a 4-byte acknowledgement. Prints a markdown table with ratios
# (netscsi / Open MPI) and writes the raw figures to bench/mpi/results-DATE.json. Then the average time of an
# Allreduce (doubles, sum) of 8 B .. 1 KiB on 4 ranks, Open MPI (bench/mpi/allreduce.c) against `netscsi mpi bench
# allreduce --ranks 4`. Run it holding the lock:
#   flock -x /work/heavy.lock bench/mpi/compare-openmpi.sh [MPIPP_SOURCE]
# Needs openmpi-bin, libopenmpi-dev (mpicc, mpirun), python3; builds src/NetScsi.Cli unless NETSCSI_DLL is set.
set -euo pipefail
cd "$(dirname "$0")/../.."
source_file=${1:-../shared/anchors/mpipp.c}
[ -f "$source_file" ] || source_file=/work/shared/anchors/mpipp.c
work=$(mktemp -d /tmp/netscsi-mpibench.XXXXXX)
trap 'rm -rf "$work"' EXIT

mpicc -O2 -o "$work/mpipp" "$source_file"
mpicc -O2 -o "$work/allreduce" bench/mpi/allreduce.c
if [ -z "${NETSCSI_DLL:-}" ]; then
    dotnet build src/NetScsi.Cli -c Release -v q -nologo > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
    NETSCSI_DLL=$(pwd)/src/NetScsi.Cli/bin/Release/net10.0/netscsi.dll
fi

mpirun --allow-run-as-root --oversubscribe -n 2 --mca pml ob1 --mca btl tcp,self "$work/mpipp" > "$work/openmpi.txt"
dotnet "$NETSCSI_DLL" mpi bench both --min-size 8 --max-size 1M --json > "$work/netscsi.json"
mpirun --allow-run-as-root --oversubscribe -n 4 --mca pml ob1 --mca btl tcp,self "$work/allreduce" 1024 > "$work/openmpi-allreduce.txt"
dotnet "$NETSCSI_DLL" mpi bench allreduce --ranks 4 --min-size 8 --max-size 1K --json > "$work/netscsi-allreduce.json"

out=bench/mpi/results-$(date -u +%Y%m%d).json
python3 - "$work/openmpi.txt" "$work/netscsi.json" "$out" "$work/openmpi-allreduce.txt" "$work/netscsi-allreduce.json" <<'PY'
import json, re, sys, datetime, platform, os
ompi = {}
for line in open(sys.argv[1]):
    m = re.match(r"mpi size=(\d+) lat_oneway_us=([\d.]+) rtt_us=([\d.]+) bw_MBps=([\d.]+)", line)
    if m:
        ompi[int(m.group(1))] = (float(m.group(2)), float(m.group(4)))
ns = {r["size"]: (r["latency_us"], r["mb_per_s"]) for r in json.load(open(sys.argv[2]))["rows"]}
rows = []
print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs")
print("| size | Open MPI TCP latency (us) | netscsi latency (us) | latency ratio | Open MPI TCP bw (MB/s) | netscsi bw (MB/s) | bw ratio |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for size in sorted(ns):
    if size not in ompi:
        continue
    ol, ob = ompi[size]
    nl, nb = ns[size]
    rows.append({"size": size, "openmpi_latency_us": ol, "netscsi_latency_us": nl, "openmpi_mb_per_s": ob, "netscsi_mb_per_s": nb})
    print(f"| {size} | {ol:.2f} | {nl:.2f} | {nl / ol:.1f}x | {ob:.1f} | {nb:.1f} | {nb / ob:.2f}x |")
oar = {}
for line in open(sys.argv[4]):
    m = re.match(r"mpi allreduce size=(\d+) avg_us=([\d.]+)", line)
    if m:
        oar[int(m.group(1))] = float(m.group(2))
nar = {r["size"]: r["latency_us"] for r in json.load(open(sys.argv[5]))["rows"]}
allreduce = []
print()
print("| Allreduce, 4 ranks, size | Open MPI TCP (us) | netscsi (us) | ratio |")
print("| ---: | ---: | ---: | ---: |")
for size in sorted(nar):
    if size in oar:
        allreduce.append({"size": size, "openmpi_us": oar[size], "netscsi_us": nar[size]})
        print(f"| {size} | {oar[size]:.2f} | {nar[size]:.2f} | {nar[size] / oar[size]:.1f}x |")
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "host": platform.node(), "rows": rows, "allreduce_4_ranks": allreduce}, open(sys.argv[3], "w"), indent=1)
PY
echo "raw figures: $out"
