#!/usr/bin/env bash
# Error handling of the Linux kernel initiator against NetScsi, with the kernel initiator harness
# (../shared/tools/kernel-initiator: a QEMU VM that logs in, runs mkfs.ext4, copies files, fsck, verifies).
# The guest's script is fixed, so faults are injected from the host while it runs:
#
#   abort         (default) once the guest has logged in, writes that start in a short window are held for
#                 DELAY_MS (180 s) through the LUN's delay-control file (a test/diagnostic LUN option, see
#                 docs/config.md). That is past the guest's SCSI command timeout (30 s, plus the iSCSI
#                 layer's progress checks), so the kernel's SCSI error handler aborts them (ABORT TASK,
#                 escalating to LUN RESET, target reset, session recovery if those fail) and retries. The
#                 harness must still PASS (fsck clean, checksums verified).
#   ignore-abort  the same, but the held writes ignore the abort (storage that cannot be interrupted): the
#                 target answers ABORT TASK only after its bounded 20 s wait, which is longer than
#                 open-iscsi's default abort timeout (15 s).
#   restart       once writes are in flight (held 2 s so some are), the target is killed with SIGKILL and
#                 restarted on the same port and file RESTART_GAP_S (2 s) later: the session must recover
#                 (replacement_timeout is 20 s in the guest) and the harness PASS.
#
# Evidence: the target log (delay-control lines: "holding write ...", "stopped after N s: its task was
# aborted"), and, when tshark is installed, the task management requests on the wire (function 1 = ABORT
# TASK, 5 = LOGICAL UNIT RESET, 6 = TARGET WARM RESET) decoded from a loopback capture.
# Slow (3-8 minutes under software emulation) and needs root (the harness runs QEMU), so not in CI.
#
#   tests/interop/kernel-error-handling.sh [abort|ignore-abort|restart]     (keeps its files with KEEP=1)
set -uo pipefail

mode=${1:-abort}
case "$mode" in abort|ignore-abort|restart) ;; *) echo "usage: $0 [abort|ignore-abort|restart]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
harness=${NETSCSI_KERNEL_HARNESS:-$root/../shared/tools/kernel-initiator/run.sh}
[ -x "$harness" ] || { echo "kernel initiator harness not found at $harness (set NETSCSI_KERNEL_HARNESS)" >&2; exit 2; }
DELAY_MS=${DELAY_MS:-180000}
RESTART_GAP_S=${RESTART_GAP_S:-2}
WAIT_AFTER_LOGIN_S=${WAIT_AFTER_LOGIN_S:-4}
# Which normal-session login starts the fault: 1 = the first (mkfs phase), 2 = the re-login after which
# the guest verifies and runs dd. Held writes in the dd phase are what the kernel aborted in practice;
# during mkfs its error handler kept extending the timer while other I/O progressed.
FAULT_AFTER_LOGIN=${FAULT_AFTER_LOGIN:-2}

work=$(mktemp -d /tmp/netscsi-kernel-eh.XXXXXX)
echo "work directory: $work"
timeout 600 dotnet build -c Release "$root/src/NetScsi.Cli" -o "$work/bin" -nologo -v quiet >/dev/null || exit 1
iqn=iqn.2026-11.org.netscsi:kernel-eh
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ctl=$work/delay.ctl
log=$work/target.log
target_pid="" harness_pid="" capture_pid=""
cleanup() {
    [ -z "$capture_pid" ] || kill -INT "$capture_pid" 2>/dev/null
    [ -z "$harness_pid" ] || kill -TERM "$harness_pid" 2>/dev/null
    if [ -n "$target_pid" ]; then kill -TERM "$target_pid" 2>/dev/null; wait "$target_pid" 2>/dev/null; fi
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

start_target() {
    # No `timeout` wrapper: restart mode must SIGKILL the netscsi process itself (killing a wrapper
    # would leave the target running; its file lock then makes the restarted one fail to open the LUN).
    "$work/bin/netscsi" target serve --listen "127.0.0.1:$port" --iqn "$iqn" \
        --lun "file:$work/lun0.img,size=1G,delay-control=$ctl" --log-level information >>"$work/target.out" 2>>"$log" &
    target_pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
    echo "target did not start:" >&2; tail "$log" >&2; return 1
}
set_delay() { printf '%s\n' "$*" > "$ctl.tmp" && mv "$ctl.tmp" "$ctl"; }   # atomic replace
stamp() { date +%H:%M:%S.%3N; }
wait_for() { # FILE PATTERN TIMEOUT_S [COUNT]
    local deadline=$(( $(date +%s) + $3 )) count=${4:-1}
    until [ "$(grep -caE "$2" "$1" 2>/dev/null)" -ge "$count" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

set_delay ""
start_target || exit 1
if command -v tshark >/dev/null; then
    # Small segments only (IP length < 300): task management PDUs are a bare 48-byte header, and the
    # capture stays small although the run moves about a gigabyte.
    timeout 3600 tshark -q -i lo -f "tcp port $port and ip[2:2] < 300" -w "$work/capture.pcapng" >/dev/null 2>"$work/tshark.err" &
    capture_pid=$!
    sleep 2
fi
echo "== $mode: target 127.0.0.1:$port, harness started $(stamp)"
NETSCSI_VM_TIMEOUT=${NETSCSI_VM_TIMEOUT:-1500} timeout 1600 "$harness" "$port" "$iqn" > "$work/harness.out" 2>&1 &
harness_pid=$!

# The first login of the normal session (from the target log: the harness's own output reaches its
# file in 4 KiB blocks, too late to time anything by). The guest then runs mkfs, mounts, copies files.
login_number=$FAULT_AFTER_LOGIN; [ "$mode" = restart ] && login_number=1
if wait_for "$log" "logged in to $iqn" 1200 "$login_number"; then
    sleep "$WAIT_AFTER_LOGIN_S"
    case "$mode" in
        abort|ignore-abort)
            flags=""; [ "$mode" = ignore-abort ] && flags=ignore-abort
            held_before=$(grep -c 'holding write' "$log")
            echo "$(stamp) write delay $DELAY_MS ms $flags on"
            set_delay "write=$DELAY_MS $flags"
            # Close the window as soon as one write is held (at most 120 s): a few commands get delayed.
            deadline=$(( $(date +%s) + 120 ))
            while [ "$(grep -c 'holding write' "$log")" -le "$held_before" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.05; done
            set_delay ""
            echo "$(stamp) write delay off; $(( $(grep -c 'holding write' "$log") - held_before )) write(s) held"
            ;;
        restart)
            set_delay "write=2000"
            wait_for "$log" 'holding write' 120
            set_delay ""
            sleep 0.3
            echo "$(stamp) SIGKILL target (pid $target_pid) with writes in flight"
            kill -KILL "$target_pid"; wait "$target_pid" 2>/dev/null; target_pid=""
            echo "--- target killed $(stamp) ---" >> "$log"
            sleep "$RESTART_GAP_S"
            start_target || exit 1
            echo "$(stamp) target restarted (pid $target_pid)"
            ;;
    esac
else
    echo "the guest never logged in"
fi

wait "$harness_pid"; harness_pid=""
[ -z "$capture_pid" ] || { kill -INT "$capture_pid" 2>/dev/null; wait "$capture_pid" 2>/dev/null; capture_pid=""; }

echo "== guest"
grep -aE '^vm\| \[guest|^vm\| .*(connection|session|abort|reset|timed out|I/O error|EXT4|sd [0-9])' "$work/harness.out" | grep -v 'booted' | cut -c1-200
grep -aE '^(throughput:|KERNEL-INITIATOR:)' "$work/harness.out"
echo "== target log (delay control, task aborts, sessions)"
grep -aE 'delay control|holding|delayed|stopped|did not stop|logged in to iqn|Session reinstated|ping|target killed|protocol error' "$log" | cut -c1-220
if [ -f "$work/capture.pcapng" ]; then
    echo "== task management on the wire (function: 1 ABORT TASK, 2 ABORT TASK SET, 5 LUN RESET, 6 TARGET WARM RESET, 7 COLD; response 0 = complete)"
    timeout 600 tshark -r "$work/capture.pcapng" -o tcp.desegment_tcp_streams:FALSE -d "tcp.port==$port,iscsi" -Y 'iscsi.opcode == 0x02 || iscsi.opcode == 0x22' \
        -T fields -e frame.time_relative -e iscsi.opcode -e iscsi.taskmanfun.function -e iscsi.taskmanfun.referencedtasktag -e iscsi.initiatortasktag -e iscsi.taskmanfun.response 2>/dev/null |
        awk -F'\t' '{ printf "  t=%8.3fs %s function=%s ref=%s itt=%s response=%s\n", $1, ($2 ~ /0x02|^2$/ ? "TMF request " : "TMF response"), $3, $4, $5, $6 }'
    rm -f "$work/capture.pcapng"
fi
grep -qa 'KERNEL-INITIATOR: PASS' "$work/harness.out"
