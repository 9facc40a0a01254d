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
NAME=perftest
. "$(cd "$(dirname "$0")" && pwd)/pair_netns.sh"
pair_up "pt$$" "$mtu"
pair_gids
echo "perftest: $tool $* (MTU $mtu): $NETNS_ADDR_A (GID $gid_a) <-> $NETNS_ADDR_B (GID $gid_b), TCP port $port"
pair_run -x 60 "$tool" "$@"

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
