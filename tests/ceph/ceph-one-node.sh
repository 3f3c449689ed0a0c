#!/usr/bin/env bash
# Copied from the shared tools folder into the test tree (MON_PORT added), so the tests need nothing outside the repo.
# One-node throwaway Ceph cluster (1 mon, 1 OSD, no mgr, no systemd) on 127.0.0.1,
# for testing a librbd-backed LUN.  Debian 12 packages (Ceph 16.2.15 "pacific"):
#   apt-get install -y --no-install-recommends ceph-mon ceph-osd ceph-common
#   (librbd1 + librados2 come with ceph-common; 51 packages, ~51 MB download, ~202 MB disk)
#
# Usage:  ceph-one-node.sh start     # wipe + create + start; leaves rbd/lun0 (1 GiB) ready
#         ceph-one-node.sh bench     # rbd bench 4K rand write/read QD1 & QD32 on rbd/lun0
#         ceph-one-node.sh status    # ceph -s + RSS of the daemons
#         ceph-one-node.sh stop      # stop daemons (by pid file), keep data
#         ceph-one-node.sh cleanup   # stop + remove the directory
#         ceph-one-node.sh free-mon-port   # print a free port P with P+1 free too (for MON_PORT)
# Env:    MON_PORT (msgr2, default 3300; msgr1 is MON_PORT+1) so that several clusters can run at once
#         CEPH_DIR (default ${TMPDIR:-/tmp}/netscsi-ceph)  OBJECTSTORE=memstore|bluestore (default memstore)
#         MEMSTORE_BYTES (default 4 GiB)  MEMSTORE_PAGE_SET=true|false (default true)
#         IMAGE_MB (default 1024)  BENCH_QD1_BYTES (64M)  BENCH_QD32_BYTES (256M)
# Clients: export CEPH_CONF=$CEPH_DIR/ceph.conf   (auth is off: no keyring needed)
# Everything runs as the calling user (root here) and talks only on 127.0.0.1.
#
# Measured on the 2-core / 24 GiB Debian 12 box (2026-12-02): nothing -> usable rbd/lun0 in
# ~0.9-1.5 s (memstore) or ~6.2 s (bluestore on a 4 GiB sparse file); idle RSS mon ~31 MB,
# osd ~34 MB (memstore) / ~45 MB (bluestore).  memstore keeps data in the OSD's heap: ~2x the
# bytes written (2.2 GB after filling the 1 GiB image); bluestore stayed at ~0.6 GB.
# Obstacles met, and what this script does about them:
#  - no mgr: fine for pools/images/IO; `ceph -s` shows "0 pools, 0 pgs" (PG stats come from the
#    mgr) and HEALTH_WARN "no active mgr" after a few minutes.
#  - paxos propose interval (1 s) made pool create + rbd pool init take ~5 s -> 0.01 s.
#  - memstore's default bufferlist objects fragment under random 4K overwrites (IOPS fell to
#    about 1/3 within a few minutes, RSS 3.3 GB) -> memstore page set = true by default.
#  - SIGKILLed daemons stay zombies ~2 s until PID 1 reaps them -> alive() ignores state Z.
#  - an rbd client killed while it holds the exclusive lock makes the next writer blocklist it.
set -euo pipefail

D=${CEPH_DIR:-${TMPDIR:-/tmp}/netscsi-ceph}
OBJECTSTORE=${OBJECTSTORE:-memstore}
MEMSTORE_BYTES=${MEMSTORE_BYTES:-4294967296}
IMAGE_MB=${IMAGE_MB:-1024}
POOL=rbd
MON_PORT=${MON_PORT:-3300}
MON_ADDR="[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]"
IMAGE=lun0
export CEPH_CONF=$D/ceph.conf

t0=$(date +%s.%N)
ts() { printf '[%6.2fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }
need() { command -v "$1" >/dev/null || { echo "missing $1: apt-get install -y --no-install-recommends ceph-mon ceph-osd ceph-common" >&2; exit 1; }; }

alive() {  # a SIGKILLed daemon lingers as a zombie until PID 1 reaps it (~2 s here): count Z as gone
  local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

stop_daemons() {  # $1 = signal (TERM: graceful, memstore saves to disk ~7 s; KILL: instant)
  local sig=${1:-TERM} f pid n
  for f in "$D"/run/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [ -n "$pid" ] && alive "$pid"; then
      kill -s "$sig" "$pid"
      for n in $(seq 1 300); do alive "$pid" || break; sleep 0.05; done
      alive "$pid" && kill -9 "$pid" || true
      ts "stopped $(basename "$f" .pid) (pid $pid)"
    fi
    rm -f "$f"
  done
}

kill_strays() {  # daemons of this cluster whose pid file is gone (a run killed before it could stop them): by CEPH_CONF
  local e pid
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}; pid=${pid%/environ}
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in ceph-mon|ceph-osd) ;; *) continue ;; esac
    { tr '\0' '\n' < "$e"; } 2>/dev/null | grep -qxF "CEPH_CONF=$D/ceph.conf" || continue
    kill -9 "$pid" 2>/dev/null && ts "killed stray $(cat "/proc/$pid/comm" 2>/dev/null || echo daemon) (pid $pid)"
  done
}

rss() {
  local f pid
  for f in "$D"/run/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    alive "$pid" && printf '%-12s pid %-7s RSS %s kB\n' "$(basename "$f" .pid)" "$pid" "$(awk '/VmRSS/{print $2}' /proc/$pid/status)"
  done
}

write_conf() {
  local fsid=$1
  cat > "$D/ceph.conf" <<EOF
[global]
fsid = $fsid
mon initial members = a
mon host = $MON_ADDR
public network = 127.0.0.0/8
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
run dir = $D/run
admin socket = $D/run/\$cluster-\$name.\$pid.asok
pid file = $D/run/\$name.pid
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
# every osdmap change (osd new, pool create, application enable, the self-managed snap that
# rbd pool init creates and removes) waits for a paxos proposal: default interval 1 s
paxos propose interval = 0.01
paxos min wait = 0.001
mon data avail warn = 2
mon data avail crit = 1
[mon]
mon data = $D/mon/\$cluster-\$id
log file = $D/log/\$name.log
mon cluster log file = $D/log/\$cluster.\$channel.log
admin socket = $D/run/\$name.asok
[osd]
osd data = $D/osd/\$cluster-\$id
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
osd objectstore = $OBJECTSTORE
memstore device bytes = $MEMSTORE_BYTES
memstore page set = ${MEMSTORE_PAGE_SET:-true}
bluestore block path = $D/osd/\$cluster-\$id/block.file
bluestore block create = true
bluestore block size = 4294967296
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 268435456
osd memory target = 939524096
osd crush update on start = true
[client]
log file =
# off so benchmarks measure librbd->OSD round trips, as a LUN backend without a client cache would
rbd cache = false
EOF
}

start() {
  need ceph-mon; need ceph-osd; need monmaptool; need rbd
  stop_daemons KILL
  rm -rf "$D"
  mkdir -p "$D"/{run,log,mon/ceph-a,osd/ceph-0}
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid"
  monmaptool --create --fsid "$fsid" --addv a "$MON_ADDR" "$D/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$D/monmap"   # with auth = none no keyring is needed
  ts "mon mkfs done"
  ceph-mon -i a
  ts "mon started (pid $(cat "$D/run/mon.a.pid" 2>/dev/null || echo '?'))"
  timeout 60 ceph --connect-timeout 30 mon stat >/dev/null
  ts "mon answers"
  local uuid; uuid=$(cat /proc/sys/kernel/random/uuid)
  local id; id=$(ceph osd new "$uuid")
  [ "$id" = 0 ] || { echo "unexpected osd id $id" >&2; exit 1; }
  ceph-osd -i 0 --mkfs --osd-uuid "$uuid" 2> "$D/log/osd-mkfs.err" || { cat "$D/log/osd-mkfs.err" >&2; exit 1; }
  ts "osd mkfs done ($OBJECTSTORE)"
  ceph-osd -i 0
  ts "osd started (pid $(cat "$D/run/osd.0.pid" 2>/dev/null || echo '?'))"
  for n in $(seq 1 600); do
    ceph osd dump 2>/dev/null | grep -q '^osd.0 up' && break
    sleep 0.1
  done
  ceph osd dump | grep -q '^osd.0 up' || { echo "osd.0 did not come up" >&2; tail -30 "$D/log/osd.0.log" >&2; exit 1; }
  ts "osd.0 up"
  ceph osd pool create "$POOL" 8 8 >/dev/null 2>&1 || { echo "pool create failed" >&2; exit 1; }
  ts "pool $POOL created"
  timeout 120 rbd pool init "$POOL"
  ts "rbd pool init done"
  timeout 120 rbd create --size "$IMAGE_MB" "$POOL/$IMAGE"
  ts "image $POOL/$IMAGE created (${IMAGE_MB} MiB) -- usable"
  # smoke: write 4 KiB, read it back
  head -c 4096 /dev/urandom > "$D/smoke.in"
  timeout 60 rbd import --no-progress "$D/smoke.in" "$POOL/smoke" >/dev/null
  timeout 60 rbd export --no-progress "$POOL/smoke" "$D/smoke.out" >/dev/null
  cmp "$D/smoke.in" "$D/smoke.out"
  rbd rm --no-progress "$POOL/smoke" >/dev/null
  ts "smoke write/read/compare OK"
  rss
  echo "export CEPH_CONF=$D/ceph.conf"
}

bench() {
  # fill the image once so reads hit the OSD (object-map would otherwise short-cut reads of
  # never-written objects to zeros), then a fixed number of 4 KiB random ops per case
  if [ ! -e "$D/filled" ]; then
    timeout 300 rbd bench --io-type write --io-size 4M --io-pattern seq --io-total "${IMAGE_MB}M" \
      --io-threads 16 "$POOL/$IMAGE" 2>&1 | grep '^elapsed' | sed 's/^/fill: /'
    touch "$D/filled"
  fi
  # fixed op counts so each rbd bench exits cleanly: a SIGINT'd rbd bench dies holding the
  # image's exclusive lock, and the next writer then stalls until it blocklists the dead owner
  local t qd total
  for t in write read; do
    for qd in 1 32; do
      if [ $qd = 1 ]; then total=${BENCH_QD1_BYTES:-64M}; else total=${BENCH_QD32_BYTES:-256M}; fi
      printf 'rbd bench 4K rand %-5s QD%-2s: ' $t $qd
      timeout 120 rbd bench --io-type $t --io-size 4K --io-pattern rand --io-total $total \
        --io-threads $qd "$POOL/$IMAGE" 2>/dev/null | grep '^elapsed' || echo "(failed)"
    done
  done
}

case "${1:-start}" in
  start)   start ;;
  stop)    stop_daemons ;;
  status)  ceph -s; rss ;;
  bench)   bench ;;
  cleanup) stop_daemons KILL; kill_strays; rm -rf "$D"; ts "removed $D" ;;
  free-mon-port) python3 -c '
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    try:
        b = socket.socket(); b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
' ;;
  *) echo "usage: $0 start|stop|status|bench|cleanup|free-mon-port" >&2; exit 2 ;;
esac
