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
NAME=pingpong
. "$(cd "$(dirname "$0")" && pwd)/pair_netns.sh"
pair_up "pp$type$$" 1500
pair_gids
echo "pingpong: $tool $*: $NETNS_ADDR_A (GID $gid_a) <-> $NETNS_ADDR_B (GID $gid_b), TCP port $port"
pair_run -g 120 "$tool" "$@"
# Both print "N bytes in T seconds = R Mbit/sec": the exchange completed.
if [ "$client_rc" -eq 0 ] && [ "$server_rc" -eq 0 ] &&
	grep -q 'bytes in .* seconds' "$workdir/server.out" && grep -q 'bytes in .* seconds' "$workdir/client.out"; then
	echo "pingpong: ok"
	exit 0
fi
echo "pingpong: FAIL (client exit $client_rc, server exit $server_rc)"
exit 1
