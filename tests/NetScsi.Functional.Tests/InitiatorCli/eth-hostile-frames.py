#!/usr/bin/env python3
"""Hostile frames for a NetScsi Ethernet target, sent from a packet socket on the initiator's interface.

First it learns a live connection (it waits for a frame from TARGET_MAC on EtherType 0x88B5 with both connection ids
assigned: an initiator command must be running on this interface), then sends, per kind, --per-kind frames paced so
that none is lost in the kernel: truncated (shorter than our 24-byte header), bad_version, bad_flags, oversize
(a payload length past the frame's end, up to 65535), group_source (a broadcast source MAC), wrong_connection (an
id the target does not hold), spoofed_source (the live connection's id from another MAC), wrong_source_id (the live
connection's id from our MAC with another source id), out_of_window (the live connection from our MAC and ids,
sequence numbers 2^30 past the window). Then --flood frames of random bytes (random length) as fast as the socket
takes them. Prints one JSON line: the frames sent per kind, and the ids it learned. Exit 3 if it learned nothing.

    eth-hostile-frames.py IFACE TARGET_MAC [--per-kind N] [--flood N] [--seed N] [--learn-seconds S]
"""
import argparse
import json
import random
import socket
import struct
import sys
import time

ETHERTYPE = 0x88B5
PACKET_OUTGOING = 4
ACK = 0x02


def mac_bytes(text):
    return bytes(int(part, 16) for part in text.split(":"))


def header(version, flags, payload_length, destination_id, source_id, sequence, acknowledgement, window):
    return struct.pack(">BBHIIIII", version, flags, payload_length, destination_id, source_id,
                       sequence & 0xFFFFFFFF, acknowledgement & 0xFFFFFFFF, window)


def learn(sock, target, seconds):
    """From a frame the target sends us on a live connection: our MAC, both ids, our next sequence number (what the
    target acknowledges) and the target's (what we would acknowledge)."""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            frame, address = sock.recvfrom(70000)
        except socket.timeout:
            continue
        if address[2] == PACKET_OUTGOING or len(frame) < 14 + 24 or frame[6:12] != target:
            continue
        version, flags, length, destination_id, source_id, sequence, acknowledgement, window = struct.unpack(">BBHIIIII", frame[14:38])
        if version == 1 and flags & ACK and destination_id != 0 and source_id != 0:
            return frame[0:6], source_id, destination_id, acknowledgement, sequence + length
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("target_mac")
    p.add_argument("--per-kind", type=int, default=200)
    p.add_argument("--flood", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--learn-seconds", type=float, default=20)
    o = p.parse_args()
    rng = random.Random(o.seed)
    target = mac_bytes(o.target_mac)

    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
    sniffer.bind((o.iface, ETHERTYPE))
    learned = learn(sniffer, target, o.learn_seconds)
    sniffer.close()
    if learned is None:
        print("no live connection to learn from", file=sys.stderr)
        return 3
    ours, target_id, our_id, sequence, acknowledgement = learned

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
    sock.bind((o.iface, ETHERTYPE))
    mtu = int(open(f"/sys/class/net/{o.iface}/mtu").read())
    ethertype = struct.pack(">H", ETHERTYPE)

    def ethernet(source=ours):
        return target + source + ethertype

    def other_id():
        while True:
            value = rng.randrange(1, 1 << 32)
            if value not in (target_id, our_id):
                return value

    def random_mac():
        return bytes([0x02]) + bytes(rng.randrange(256) for _ in range(5))

    def garbage(n):
        return bytes(rng.randrange(256) for _ in range(n))

    kinds = {
        "truncated": lambda i: ethernet() + header(1, ACK, 0, target_id, our_id, sequence, acknowledgement, 65536)[: i % 24],
        "bad_version": lambda i: ethernet() + header(2 + i % 200, ACK, 0, target_id, our_id, sequence, acknowledgement, 65536) + bytes(22),
        "bad_flags": lambda i: ethernet() + header(1, (0x20, 0x40, 0x80, 0x05, 0x09)[i % 5], 0, target_id, our_id, sequence, acknowledgement, 65536) + bytes(22),
        "oversize": lambda i: ethernet() + header(1, ACK, rng.randrange(23, 65536), target_id, our_id, sequence, acknowledgement, 65536) + garbage(22),
        "group_source": lambda i: ethernet(b"\xff" * 6) + header(1, ACK, 0, target_id, our_id, sequence, acknowledgement, 65536) + bytes(22),
        "wrong_connection": lambda i: ethernet() + header(1, ACK, 100, other_id(), our_id, sequence, acknowledgement, 65536) + garbage(100),
        "spoofed_source": lambda i: ethernet(random_mac()) + header(1, ACK, 100, target_id, our_id, sequence, acknowledgement, 65536) + garbage(100),
        "wrong_source_id": lambda i: ethernet() + header(1, ACK, 100, target_id, other_id(), sequence, acknowledgement, 65536) + garbage(100),
        "out_of_window": lambda i: ethernet() + header(1, ACK, 100, target_id, our_id, sequence + (1 << 30) + i * 4096, acknowledgement, 65536) + garbage(100),
    }
    sent = {}
    for name, make in kinds.items():
        sent[name] = 0
        for i in range(o.per_kind):
            send(sock, make(i))
            sent[name] += 1
            if i % 25 == 24:
                time.sleep(0.002)

    sent["flood"] = 0
    for _ in range(o.flood):
        length = rng.randrange(0, mtu - 14 + 1)
        send(sock, ethernet() + rng.randbytes(length))
        sent["flood"] += 1

    print(json.dumps({"sent": sent, "target_id": target_id, "initiator_id": our_id, "mtu": mtu}), flush=True)
    return 0


def send(sock, frame):
    while True:
        try:
            sock.send(frame)
            return
        except (BlockingIOError, OSError) as e:
            if getattr(e, "errno", None) not in (11, 105):     # EAGAIN, ENOBUFS: the queue is full, try again
                raise
            time.sleep(0.0005)


if __name__ == "__main__":
    sys.exit(main())
