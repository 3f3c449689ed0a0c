#!/usr/bin/env bash
# The Linux kernel initiator against NetScsi's communications device (peripheral type 09h, RFC 2143; issue 15).
# In a network namespace of its own, `netscsi ip up` serves the device behind a TUN interface (192.168.97.1/24) and a
# UDP socket listens on 192.168.97.1; the kernel initiator harness's VM (../shared/tools/kernel-initiator, booted in the
# same namespace so that 10.0.2.2 is that namespace's loopback) logs in with open-iscsi, checks that the kernel
# attached the unit as a communications device with an sg node and no block device, and writes one IPv4/UDP datagram
# through the sg node as SEND MESSAGE(10) (tests/interop/guest/comms-lu.sh). PASS when the guest saw all that and the
# datagram's payload arrived at the UDP socket on the host. Needs root (namespaces, TUN, QEMU); 1-3 minutes under TCG.
#
#   tests/interop/kernel-comms-lu.sh          last line: KERNEL-COMMS-LU: PASS | FAIL <reason>
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
harness_dir=$(dirname "${NETSCSI_KERNEL_HARNESS:-$root/../shared/tools/kernel-initiator/run.sh}")
[ -r "$harness_dir/lib.sh" ] || { echo "kernel initiator harness not found in $harness_dir (set NETSCSI_KERNEL_HARNESS)" >&2; exit 2; }
. "$harness_dir/lib.sh"
V=KERNEL-COMMS-LU
verdict() { echo "$V: $*"; [ "$1" = PASS ]; exit $?; }

work=$(mktemp -d /tmp/netscsi-comms-lu.XXXXXX)
ns=netscsi-comms-$$
iqn=iqn.2026-11.org.netscsi:comms-lu
port=3260
pids=()
cleanup() {
    # Everything in the namespace (netscsi, the UDP listener, QEMU), not only the shells that started them.
    for sig in TERM KILL; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -"$sig" 2>/dev/null
        for pid in "${pids[@]}"; do kill -"$sig" "$pid" 2>/dev/null; done
        [ "$sig" = TERM ] && sleep 1
    done
    wait 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

dotnet build -c Release "$root/src/NetScsi.Cli" -o "$work/bin" -nologo -v quiet >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; verdict "FAIL dotnet build"; }
nsvm_ensure_image >"$work/image.log" 2>&1 || { tail -20 "$work/image.log"; verdict "FAIL could not build the VM image"; }

ip netns add "$ns" || verdict "FAIL ip netns add $ns"
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" "$@"; }
in_ns "$work/bin/netscsi" ip up nsk0 --address 192.168.97.1/24 --listen "127.0.0.1:$port" --iqn "$iqn" \
    --status-file "$work/nsk0.json" --log-level "${LOG_LEVEL:-warning}" >"$work/target.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && break; sleep 0.1; done
in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null || { cat "$work/target.log"; verdict "FAIL netscsi ip up did not start"; }

token="netscsi-sg-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
in_ns python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.168.97.1", 9997)); s.settimeout(600)
data, peer = s.recvfrom(65535)
open(sys.argv[1], "wb").write(data)
print("udp: %d bytes from %s:%d" % (len(data), peer[0], peer[1]))' "$work/received" >"$work/udp.log" 2>&1 &
pids+=($!)

# The sg driver's version 2 request: struct sg_header (36 bytes: pack_len, reply_len = 36 (no data in), pack_id,
# result, status bits, sense buffer), the 10-byte CDB, then the data out: an IPv4/UDP datagram 192.168.97.2 -> 192.168.97.1.
mkdir -p "$work/stage/netscsi"
python3 - "$token" "$work/stage/netscsi" <<'PY'
import struct, sys
payload = sys.argv[1].encode()
udp = struct.pack("!HHHH", 40000, 9997, 8 + len(payload), 0) + payload          # UDP checksum 0: none (IPv4)
header_and_cdb = lambda datagram: struct.pack("<iiii", 0, 36, 1, 0) + bytes(4) + bytes(16) + \
    struct.pack("!BBBBHBHB", 0x2A, 0, 0, 0, 0x0800, 0, len(datagram), 0)   # SEND MESSAGE(10), stream 0800h = IPv4
# The guest's bash writes the request with its printf builtin, and bash's stdout is line buffered: a 0Ah byte would
# split the request into two write(2)s, which the sg driver cannot take. So no byte of it may be 0Ah: the addresses
# are 192.168.97.x and the IP identification is chosen so that the header checksum has none either.
for ident in range(1, 65536):
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0, 64, 17, 0,
                               bytes([192, 168, 97, 2]), bytes([192, 168, 97, 1])))
    s = sum(struct.unpack("!10H", ip)); s = (s & 0xFFFF) + (s >> 16); s = (s & 0xFFFF) + (s >> 16)
    ip[10:12] = struct.pack("!H", ~s & 0xFFFF)
    datagram = bytes(ip) + udp
    request = header_and_cdb(datagram) + datagram
    if 0x0A not in request:
        break
else:
    sys.exit("no IP identification gives a request without a 0Ah byte")
# TEST UNIT READY first: it takes the new nexus's unit attention (power on), which INQUIRY and REPORT LUNS of the
# kernel's scan leave pending, so that SEND MESSAGE(10) is not the command that reports it.
tur = struct.pack("<iiii", 0, 36, 2, 0) + bytes(4) + bytes(16) + bytes(6)
# As printf formats (\\xHH per byte): the guest's shell writes them with its printf builtin (see comms-lu.sh).
for name, data in (("sg-test-unit-ready", tur), ("sg-send-message", request)):
    open(sys.argv[2] + "/" + name, "w").write("".join("\\x%02x" % b for b in data))
PY
install -m 0755 "$harness_dir/guest/init" "$work/stage/init"
install -m 0755 "$root/tests/interop/guest/comms-lu.sh" "$work/stage/netscsi/run"
printf 'VERDICT=%s\nGUEST_TIMEOUT=400\nTARGET_IP=10.0.2.2\nTARGET_PORT=%s\nIQN=%s\nSTEP_TIMEOUT=60\n' "$V" "$port" "$iqn" \
    > "$work/stage/netscsi/params"
nsvm_pack_dir "$work/stage" "$work/overlay.cpio" && cat "$NSVM_CACHE/initrd.img" "$work/overlay.cpio" > "$work/initrd.img" ||
    verdict "FAIL could not prepare the initramfs"

echo "== booting the VM in namespace $ns (accel $(nsvm_accel_name)), target 10.0.2.2:$port $iqn"
t0=$(nsvm_now_ms)
in_ns bash -c ". '$harness_dir/lib.sh'; nsvm_qemu '$work/console.log' 420 '$NSVM_CACHE/vmlinuz' '$work/initrd.img' \
    'console=ttyS0,115200 quiet loglevel=3 panic=-1 rdinit=/init net.ifnames=0' \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile= -device virtio-rng-pci" | grep -a -E "NETSCSI-RESULT|guest|Type:|$V" 
echo "VM run: $(nsvm_secs $(( $(nsvm_now_ms) - t0 ))) s"
guest=$(nsvm_verdict "$work/console.log" "$V")
[ -n "$guest" ] || verdict "FAIL no verdict from the guest (console log: KEEP=1 keeps $work)"
[ "${guest#"$V: "}" = PASS ] || verdict "${guest#"$V: "}"
for _ in $(seq 50); do [ -s "$work/received" ] && break; sleep 0.1; done
cat "$work/udp.log"
[ "$(cat "$work/received" 2>/dev/null)" = "$token" ] ||
    verdict "FAIL the datagram sent through the guest's sg node did not reach 192.168.97.1:9997 (got '$(cat "$work/received" 2>/dev/null)')"
verdict PASS
