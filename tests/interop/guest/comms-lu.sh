#!/bin/bash
# Runs inside the kernel initiator VM as /netscsi/run (see tests/interop/kernel-comms-lu.sh). The Linux iSCSI
# initiator logs in to a NetScsi communications device (peripheral type 09h, RFC 2143); the guest checks that the
# kernel attached it as a communications device with an sg node and no block device, then sends one IPv4 datagram
# (built on the host: /netscsi/sg-send-message) through that sg node as SEND MESSAGE(10) with the sg driver's
# version 2 interface (one write of header + CDB + data, one read for the completion), after a TEST UNIT READY.
# Last line: "KERNEL-COMMS-LU: PASS" or "KERNEL-COMMS-LU: FAIL <reason>".
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
TARGET_IP=10.0.2.2 TARGET_PORT=3260 IQN='' STEP_TIMEOUT=60
. /netscsi/params
V=KERNEL-COMMS-LU
PORTAL="$TARGET_IP:$TARGET_PORT"
log() { echo "[guest $(cut -d' ' -f1 /proc/uptime)s] $*"; }
fail() {
    echo "----- diagnostics -----"; dmesg | tail -n 30
    echo "$V: FAIL $*"; exit 1
}
run() { local label=$1 t=$2; shift 2; timeout "$t" "$@" || fail "$label (exit $?: $*)"; }

for m in virtio_pci virtio_net iscsi_tcp sd_mod sg crc32c_generic; do modprobe "$m" || fail "modprobe $m"; done
IF=
for _ in $(seq 50); do IF=$(ls /sys/class/net | grep -v '^lo$' | head -n1); [ -n "$IF" ] && break; sleep 0.1; done
[ -n "$IF" ] || fail "no network interface"
ip link set lo up; ip link set "$IF" up; ip addr add 10.0.2.15/24 dev "$IF" || fail "ip addr add"

mkdir -p /etc/iscsi /run/lock/iscsi /var/lib/iscsi
echo "InitiatorName=$(iscsi-iname -p iqn.2026-11.test.netscsi)" > /etc/iscsi/initiatorname.iscsi
sed -i -e 's/^node.startup *=.*/node.startup = manual/' \
       -e 's/^node.conn\[0\].timeo.login_timeout *=.*/node.conn[0].timeo.login_timeout = 15/' \
       -e 's/^node.session.initial_login_retry_max *=.*/node.session.initial_login_retry_max = 2/' /etc/iscsi/iscsid.conf
setsid iscsid -f > /tmp/iscsid.log 2>&1 &
for _ in $(seq 100); do ss -xl 2>/dev/null | grep -q ISCSIADM_ABSTRACT_NAMESPACE && break; sleep 0.1; done

disc=$(timeout "$STEP_TIMEOUT" iscsiadm -m discovery -t sendtargets -p "$PORTAL" 2>&1) || fail "discovery at $PORTAL: $disc"
echo "$disc" | awk '{print $2}' | grep -qxF "$IQN" || fail "discovery did not return $IQN: $disc"
iscsiadm -m node -T "$IQN" -o delete >/dev/null 2>&1
run "node record" 10 iscsiadm -m node -o new -T "$IQN" -p "$PORTAL" >/dev/null
run "login" "$STEP_TIMEOUT" iscsiadm -m node -T "$IQN" -p "$PORTAL" --login
log "logged in to $IQN"

sg=
for _ in $(seq 100); do
    for d in /sys/class/scsi_generic/sg*; do
        [ -e "$d/device/type" ] && [ "$(cat "$d/device/type")" = 9 ] && sg=${d##*/} && break 2
    done
    sleep 0.1
done
[ -n "$sg" ] || fail "no sg node of type 9 (communications) appeared"
dev=/sys/class/scsi_generic/$sg/device
echo "NETSCSI-RESULT sg=$sg type=$(cat "$dev/type") vendor=$(cat "$dev/vendor" | tr -d ' ') model=$(cat "$dev/model" | tr -d ' ')"
# Debian's kernel has no /proc/scsi/scsi (CONFIG_SCSI_PROC_FS off): sysfs's type is the kernel's view of the unit.
[ -r /proc/scsi/scsi ] && grep -A2 NETSCSI /proc/scsi/scsi
ls "$dev/block" >/dev/null 2>&1 && fail "the communications device got a block device: $(ls "$dev/block")"
[ -c "/dev/$sg" ] || fail "/dev/$sg is not a character device"

# The sg driver refuses read(2) and write(2) from any process but the one that opened the node (its credentials
# must be the opener's: a forked dd or cat gets EPERM), so the shell itself opens, writes and reads: printf and read
# are builtins, run in this process. One write of header + CDB + data per command (the sg v2 interface), then a read
# shorter than the 36-byte reply header, which waits for the command and returns 0 when the transport delivered it
# (the SCSI status is in the header's other fields; whether the datagram arrived is checked on the host).
exec 5<>"/dev/$sg" || fail "cannot open /dev/$sg"
sg_command() {  # NAME: the request /netscsi/sg-NAME, a printf format
    local request byte
    request=$(cat "/netscsi/sg-$1")
    printf "$request" >&5 2>/tmp/sg-write.err || fail "write of $1 ($(( ${#request} / 4 )) bytes) to /dev/$sg failed: $(cat /tmp/sg-write.err)"
    read -r -N 1 -u 5 byte 2>/tmp/sg-read.err
    [ -s /tmp/sg-read.err ] && fail "$1 through /dev/$sg failed: $(cat /tmp/sg-read.err)"
    [ -z "$byte" ] || fail "the sg driver returned reply data for a 1-byte read of /dev/$sg"
    log "$1 through /dev/$sg: completed"
}
sg_command test-unit-ready
sg_command send-message
exec 5>&-
run "logout" "$STEP_TIMEOUT" iscsiadm -m node -T "$IQN" -p "$PORTAL" --logout >/dev/null
echo "$V: PASS"
