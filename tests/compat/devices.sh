#!/usr/bin/env bash
# Debian's ibv_devices and ibv_devinfo -v, unmodified, through uroce-run: they
# list uroce0 with sensible attributes (an active Ethernet port, RoCE v2 GIDs
# of the interface's addresses), and a missing interface means no device, not
# a crash.
#   tests/compat/devices.sh DIR   (DIR holds libibverbs.so.1 and uroce-run)
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
run=$1/uroce-run
for tool in ibv_devices ibv_devinfo; do
	command -v $tool >/dev/null || { echo "devices: FAIL: $tool is missing: run scripts/install-deps.sh (ibverbs-utils)"; exit 1; }
done
failed=0
# expect NAME PATTERN TEXT: PATTERN (extended regex) occurs in TEXT.
expect() {
	if grep -Eq -- "$2" <<<"$3"; then
		echo "ok    $1"
	else
		echo "FAIL  $1: no match for '$2'"
		failed=1
	fi
}

# lo: always there, and its address 127.0.0.1 is fixed.
out=$(UROCE_IFNAME=lo timeout 30 "$run" ibv_devices 2>&1)
echo "$out"
expect "ibv_devices lists uroce0" '^[[:space:]]+uroce0[[:space:]]+[0-9a-f]{16}$' "$out"

out=$(UROCE_IFNAME=lo timeout 30 "$run" ibv_devinfo -v 2>&1)
rc=$?
echo "$out"
expect "ibv_devinfo -v exits 0" '.' "$([ $rc -eq 0 ] && echo yes)"
expect "hca_id uroce0" '^hca_id:[[:space:]]+uroce0$' "$out"
expect "vendor ids 0, as rxe" 'vendor_id:[[:space:]]+0x0000$' "$out"
expect "one port" 'phys_port_cnt:[[:space:]]+1$' "$out"
expect "port active" 'state:[[:space:]]+PORT_ACTIVE \(4\)' "$out"
expect "Ethernet link layer" 'link_layer:[[:space:]]+Ethernet' "$out"
expect "active MTU 4096 on lo (MTU 65536)" 'active_mtu:[[:space:]]+4096 \(5\)' "$out"
expect "the IPv4 GID, RoCE v2" 'GID\[ +0\]:[[:space:]]+::ffff:127\.0\.0\.1, RoCE v2' "$out"
expect "max_qp_wr set" 'max_qp_wr:[[:space:]]+[1-9]' "$out"

out=$(UROCE_IFNAME=no-such-if0 timeout 30 "$run" ibv_devinfo 2>&1)
rc=$?
echo "$out"
expect "no interface: no device, exit 255 (no crash)" 'No IB devices found' "$out"
expect "no interface: exit status 255" '.' "$([ $rc -eq 255 ] && echo yes)"
exit $failed
