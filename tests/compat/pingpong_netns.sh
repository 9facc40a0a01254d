#!/usr/bin/env bash
# Debian's ibv_<TYPE>_pingpong, unmodified, through uroce-run between two
# network namespaces joined by veth (root; exit 77 otherwise): server and
# client complete with the program's defaults and the GID index uroce
# reports for the interface's IPv4 address (from ibv_devinfo -v).
#   tests/compat/pingpong_netns.sh DIR TYPE [ARGS...]   (DIR holds uroce-run; TYPE rc|uc|ud|srq)
set -uo pipefail
SKIP=77
[ $# -ge 2 ] || { echo "usage: $0 DIR TYPE [ARGS...]" >&2; exit 2; }
dir=$(cd "$1" && pwd) || exit 2
type=$2
shift 2
run=$dir/uroce-run
tool=ibv_${type}_pingpong
command -v "$tool" >/dev/null || { echo "pingpong: FAIL: $tool is missing: run scripts/install-deps.sh (ibverbs-utils)"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "pingpong: SKIP: network namespaces need root"
	exit $SKIP
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/netns.sh"

name=pp$type$$
workdir=$(mktemp -d)
server_pid=
cleanup() {
	[ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
	netns_down "$name"
	rm -rf "$workdir"
}
trap cleanup EXIT
netns_up "$name" 1500
case $? in
0) ;;
2) echo "pingpong: SKIP: network namespaces cannot be created here"; exit $SKIP ;;
*) echo "pingpong: FAIL: setting up the network namespaces failed"; exit 1 ;;
esac

# The index of ::ffff:ADDR in the GID table uroce shows on side SIDE's interface.
gid_index() {
	netns_exec "$1" env UROCE_IFNAME="$2" timeout 20 "$run" ibv_devinfo -v |
		awk -v g="::ffff:$3," '$1 ~ /^GID\[/ && $3 == g {i = $0; sub(/^[^[]*\[ */, "", i); sub(/\].*/, "", i); print i; exit}'
}
gid_a=$(gid_index a "$NETNS_IF_A" "$NETNS_ADDR_A")
gid_b=$(gid_index b "$NETNS_IF_B" "$NETNS_ADDR_B")
if [ -z "$gid_a" ] || [ -z "$gid_b" ]; then
	echo "pingpong: FAIL: ibv_devinfo -v shows no GID for $NETNS_ADDR_A / $NETNS_ADDR_B"
	exit 1
fi
port=$((20000 + $$ % 20000))
echo "pingpong: $tool $*: $NETNS_ADDR_A (GID $gid_a) <-> $NETNS_ADDR_B (GID $gid_b), TCP port $port"

netns_exec a env UROCE_IFNAME="$NETNS_IF_A" timeout 120 "$run" "$tool" -g "$gid_a" -p "$port" "$@" \
	>"$workdir/server.out" 2>&1 &
server_pid=$!
# The server listens once it has set up its QP; the client retries until then.
client_rc=1
for _ in $(seq 1 50); do
	netns_exec b env UROCE_IFNAME="$NETNS_IF_B" timeout 120 "$run" "$tool" -g "$gid_b" -p "$port" "$@" \
		"$NETNS_ADDR_A" >"$workdir/client.out" 2>&1
	client_rc=$?
	grep -q "Couldn't connect to" "$workdir/client.out" || break
	sleep 0.2
done
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=
sed 's/^/  server: /' "$workdir/server.out"
sed 's/^/  client: /' "$workdir/client.out"
# Both print "N bytes in T seconds = R Mbit/sec": the exchange completed.
if [ "$client_rc" -eq 0 ] && [ "$server_rc" -eq 0 ] &&
	grep -q 'bytes in .* seconds' "$workdir/server.out" && grep -q 'bytes in .* seconds' "$workdir/client.out"; then
	echo "pingpong: ok"
	exit 0
fi
echo "pingpong: FAIL (client exit $client_rc, server exit $server_rc)"
exit 1
