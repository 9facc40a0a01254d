#!/usr/bin/env bash
# One of Debian's perftest programs, unmodified, through uroce-run between two
# network namespaces joined by veth (root; exit 77 otherwise): the server in
# side a, the client in side b, each with UROCE_IFNAME and the GID index uroce
# reports for its IPv4 address (-x). Fails when either side exits non-zero or
# times out, when the client prints no result row, when a bandwidth tool
# prints a zero average bandwidth, or when -a stops short of 1 MiB (but UD,
# whose messages perftest caps at the MTU).
#   tests/compat/perftest_netns.sh DIR MTU TOOL [ARGS...]   (DIR holds uroce-run)
set -uo pipefail
SKIP=77
[ $# -ge 3 ] || { echo "usage: $0 DIR MTU TOOL [ARGS...]" >&2; exit 2; }
dir=$(cd "$1" && pwd) || exit 2
mtu=$2
tool=$3
shift 3
run=$dir/uroce-run
command -v "$tool" >/dev/null || { echo "perftest: FAIL: $tool is missing: run scripts/install-deps.sh (perftest)"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "perftest: SKIP: network namespaces need root"
	exit $SKIP
fi
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/netns.sh"

name=pt$$
workdir=$(mktemp -d)
server_pid=
cleanup() {
	[ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
	netns_down "$name"
	rm -rf "$workdir"
}
trap cleanup EXIT
netns_up "$name" "$mtu"
case $? in
0) ;;
2) echo "perftest: SKIP: network namespaces cannot be created here"; exit $SKIP ;;
*) echo "perftest: FAIL: setting up the network namespaces failed"; exit 1 ;;
esac

# The index of ::ffff:ADDR in the GID table uroce shows on side SIDE's interface.
gid_index() {
	netns_exec "$1" env UROCE_IFNAME="$2" timeout 20 "$run" ibv_devinfo -v |
		awk -v g="::ffff:$3," '$1 ~ /^GID\[/ && $3 == g {i = $0; sub(/^[^[]*\[ */, "", i); sub(/\].*/, "", i); print i; exit}'
}
gid_a=$(gid_index a "$NETNS_IF_A" "$NETNS_ADDR_A")
gid_b=$(gid_index b "$NETNS_IF_B" "$NETNS_ADDR_B")
if [ -z "$gid_a" ] || [ -z "$gid_b" ]; then
	echo "perftest: FAIL: ibv_devinfo -v shows no GID for $NETNS_ADDR_A / $NETNS_ADDR_B"
	exit 1
fi
port=$((20000 + $$ % 20000))
echo "perftest: $tool $* (MTU $mtu): $NETNS_ADDR_A (GID $gid_a) <-> $NETNS_ADDR_B (GID $gid_b), TCP port $port"

# Each side is bounded; the client's retries (until the server listens) too.
netns_exec a env UROCE_IFNAME="$NETNS_IF_A" timeout 60 "$run" "$tool" -x "$gid_a" -p "$port" "$@" \
	>"$workdir/server.out" 2>&1 &
server_pid=$!
client_rc=1
for _ in $(seq 1 50); do
	netns_exec b env UROCE_IFNAME="$NETNS_IF_B" timeout 60 "$run" "$tool" -x "$gid_b" -p "$port" "$@" \
		"$NETNS_ADDR_A" >"$workdir/client.out" 2>&1
	client_rc=$?
	grep -q "Couldn't connect to" "$workdir/client.out" || break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.2
done
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=
sed 's/^/  server: /' "$workdir/server.out"
sed 's/^/  client: /' "$workdir/client.out"

fail() {
	echo "perftest: FAIL: $*"
	exit 1
}
[ "$client_rc" -ne 124 ] || fail "the client timed out"
[ "$server_rc" -ne 124 ] || fail "the server timed out"
[ "$client_rc" -eq 0 ] || fail "the client exited with $client_rc"
[ "$server_rc" -eq 0 ] || fail "the server exited with $server_rc"

# Result rows start with the size and the iteration count. Bandwidth rows:
# #bytes #iterations BW-peak BW-average MsgRate; the server's peak may be 0
# (perftest measures it on the sender only), the average never.
rows() { grep -E '^ *[0-9]+ +[0-9]+ +[0-9.]+' "$1"; }
[ -n "$(rows "$workdir/client.out")" ] || fail "the client printed no result"
case $tool in
*_bw)
	for side in server client; do
		zero=$(rows "$workdir/$side.out" | awk '$4 + 0 <= 0 {print $1; exit}')
		[ -z "$zero" ] || fail "the $side printed a zero bandwidth at $zero bytes"
	done
	;;
*_lat)
	# #bytes #iterations t_min t_max t_typical t_avg ...
	bad=$(rows "$workdir/client.out" | awk 'NF < 6 || $6 + 0 <= 0 {print $1; exit}')
	[ -z "$bad" ] || fail "the client printed no average latency at $bad bytes"
	;;
esac
case " $* " in
*" -a "*)
	case " $* " in
	*" UD "*) ;;
	*)
		largest=$(rows "$workdir/client.out" | awk 'END {print $1}')
		[ "${largest:-0}" -ge 1048576 ] || fail "-a stopped at ${largest:-0} bytes, short of 1 MiB"
		;;
	esac
	;;
esac
echo "perftest: ok"
exit 0
