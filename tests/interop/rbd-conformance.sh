#!/usr/bin/env bash
# libiscsi's conformance suite against an RBD LUN: starts a throwaway one-node Ceph cluster
# (tests/ceph/ceph-one-node.sh, in its own directory and on its own monitor ports), runs
# tests/interop/libiscsi-conformance.sh with --lun rbd:rbd/lun0,conf=..., and removes the cluster.
#
#   tests/interop/rbd-conformance.sh [--max-failed N] [--out FILE]
#
# Needs ceph-mon, ceph-osd and ceph-common (Debian 12; .ci/run installs them); without them it says
# so and exits 0 (skipped), so that a machine without Ceph still runs the rest of ./test.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v rbd >/dev/null; then
    echo "rbd conformance: SKIPPED (ceph-mon/ceph-osd/rbd not installed: apt-get install -y ceph-mon ceph-osd ceph-common)"
    exit 0
fi

export CEPH_DIR=$(mktemp -d /tmp/netscsi-rbd-conformance.XXXXXX)
# Two free consecutive ports for the monitor (msgr2 and msgr1).
export MON_PORT=$("$root/tests/ceph/ceph-one-node.sh" free-mon-port)
export IMAGE_MB=${IMAGE_MB:-512}
cleanup() { "$root/tests/ceph/ceph-one-node.sh" cleanup >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$root/tests/ceph/ceph-one-node.sh" start >"$CEPH_DIR.start.log" 2>&1 || { cat "$CEPH_DIR.start.log" >&2; rm -f "$CEPH_DIR.start.log"; exit 1; }
rm -f "$CEPH_DIR.start.log"
"$root/tests/interop/libiscsi-conformance.sh" --lun "rbd:rbd/lun0,conf=$CEPH_DIR/ceph.conf" "$@"
