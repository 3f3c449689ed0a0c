# Sourced by the two-gateway ALUA tests (alua-two-gateways.sh, alua-no-bounce.sh): with $root set and NAME the
# test's name, says SKIPPED without Ceph, else starts a throwaway one-node cluster with a 256 MiB image (rbd/lun0),
# builds netscsi into $work/bin, and sets $work, $netscsi, $lun, $pids (killed on exit), fail() and $failed.
if ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v rbd >/dev/null; then
    echo "$NAME: SKIPPED (ceph-mon/ceph-osd/rbd not installed: apt-get install -y ceph-mon ceph-osd ceph-common)"
    exit 0
fi

work=$(mktemp -d /tmp/netscsi-gateways.XXXXXX)
export CEPH_DIR=$work/ceph
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export MON_PORT=$("$root/tests/ceph/ceph-one-node.sh" free-mon-port)
export IMAGE_MB=${IMAGE_MB:-256}
export CEPH_CONF=$CEPH_DIR/ceph.conf
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    "$root/tests/ceph/ceph-one-node.sh" cleanup >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$root/tests/ceph/ceph-one-node.sh" start >"$work/ceph-start.log" 2>&1 || { cat "$work/ceph-start.log" >&2; exit 1; }
dotnet build -c Release "$root/src/NetScsi.Cli" -o "$work/bin" -nologo -v quiet >/dev/null
netscsi=$work/bin/netscsi
lun=rbd:rbd/lun0,conf=$CEPH_CONF
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# A gateway on the image following its lock: $1 port, $2 its TPG, $3 the peer's TPG, $4 log, [$5 metrics port].
# Waits until it listens (and serves /metrics when asked for); its pid is $last_pid.
serve() {
    local metrics=()
    [ -n "${5:-}" ] && metrics=(--metrics "127.0.0.1:$5")
    "$netscsi" target serve --listen "127.0.0.1:$1" --iqn "$iqn" --lun "$lun" --tpg "$2" --peer-tpg "$3" --alua-follow-lock \
        "${metrics[@]}" --log-level warning >"$4" 2>&1 &
    pids+=($!)
    last_pid=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && { [ -z "${5:-}" ] || curl -sf "http://127.0.0.1:$5/metrics" >/dev/null; }; then return 0; fi
        kill -0 "$last_pid" 2>/dev/null || { echo "gateway on port $1 exited:" >&2; cat "$4" >&2; return 1; }
        sleep 0.1
    done
    return 1
}
