#!/usr/bin/env python3
"""An impairment relay for raw Ethernet (this kernel has no netem): a user-space bridge between two interfaces.

Every frame of one EtherType that arrives on A is sent out of B and the other way round, after the impairments the
options ask for, all drawn from one seeded random generator so that a run can be repeated: drop, duplication,
reordering (a frame held back 3 ms while the ones after it go), delay with jitter, and one outage
(every frame dropped for a while, starting after a given number of forwarded frames). On SIGTERM or SIGINT it prints
one JSON line of counters and exits 0.

    eth-impair-relay.py IFACE_A IFACE_B [--ethertype 0x88b5] [--seed N] [--drop P] [--duplicate P] [--reorder P]
                        [--delay-ms MS] [--jitter-ms MS] [--outage-after FRAMES] [--outage-seconds S]
"""
import argparse
import heapq
import json
import random
import select
import signal
import socket
import sys
import time

PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1


def open_link(name, ethertype):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ethertype))
    s.bind((name, ethertype))
    # Frames for the far side's MAC, not ours: promiscuous, as a bridge port is.
    index = socket.if_nametoindex(name)
    mreq = index.to_bytes(4, sys.byteorder) + PACKET_MR_PROMISC.to_bytes(2, sys.byteorder) + bytes(10)
    s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    s.setblocking(False)
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--ethertype", type=lambda v: int(v, 0), default=0x88B5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--drop", type=float, default=0.0)
    p.add_argument("--duplicate", type=float, default=0.0)
    p.add_argument("--reorder", type=float, default=0.0)
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--outage-after", type=int, default=-1)
    p.add_argument("--outage-seconds", type=float, default=0.0)
    o = p.parse_args()

    rng = random.Random(o.seed)
    links = [open_link(o.a, o.ethertype), open_link(o.b, o.ethertype)]
    counters = {"received": 0, "forwarded": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "outage_dropped": 0}
    pending = []                 # (due, sequence, out socket, frame): delayed frames
    sequence = 0
    outage_until = None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("relay ready", flush=True)

    def send(out, frame, extra_ms=0.0):
        nonlocal sequence
        if o.delay_ms > 0 or o.jitter_ms > 0 or extra_ms > 0:
            due = time.monotonic() + (o.delay_ms + rng.uniform(0, o.jitter_ms) + extra_ms) / 1000
            sequence += 1
            heapq.heappush(pending, (due, sequence, out, frame))
        else:
            transmit(out, frame)

    def transmit(out, frame):
        try:
            out.send(frame)
            counters["forwarded"] += 1
        except (BlockingIOError, OSError):
            counters["dropped"] += 1

    while not stop:
        timeout = 0.05
        if pending:
            timeout = max(0.0, min(timeout, pending[0][0] - time.monotonic()))
        try:
            ready, _, _ = select.select(links, [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, out, frame = heapq.heappop(pending)
            transmit(out, frame)
        for side, link in enumerate(links):
            if link not in ready:
                continue
            while True:
                try:
                    frame, address = link.recvfrom(65600)
                except BlockingIOError:
                    break
                if address[2] == PACKET_OUTGOING:
                    continue        # our own transmission, seen on the way out
                counters["received"] += 1
                out = links[1 - side]
                if outage_until is None and 0 <= o.outage_after <= counters["forwarded"]:
                    outage_until = now + o.outage_seconds
                if outage_until is not None and now < outage_until:
                    counters["outage_dropped"] += 1
                    continue
                if rng.random() < o.drop:
                    counters["dropped"] += 1
                    continue
                copies = 2 if rng.random() < o.duplicate else 1
                counters["duplicated"] += copies - 1
                late = rng.random() < o.reorder
                counters["reordered"] += late
                for _ in range(copies):
                    send(out, frame, 3.0 if late else 0.0)
    print(json.dumps(counters), flush=True)


if __name__ == "__main__":
    main()
