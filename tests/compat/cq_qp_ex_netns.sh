#!/usr/bin/env bash
# tests/compat/cq_qp_ex.c (the extended CQ and the new post-send API) through
# uroce-run inside one network namespace of the pair the other compat tests
# use (root; exit 77 otherwise): one process, two QPs of one device connected
# over the device's own address, at the GID index uroce reports for it.
#   tests/compat/cq_qp_ex_netns.sh DIR PROGRAM   (DIR holds uroce-run)
set -uo pipefail
SKIP=77
[ $# -eq 2 ] || { echo "usage: $0 DIR PROGRAM" >&2; exit 2; }
dir=$(cd "$1" && pwd) || exit 2
prog=$2
run=$dir/uroce-run
[ -x "$prog" ] || { echo "cq_qp_ex: FAIL: $prog is missing"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "cq_qp_ex: SKIP: network namespaces need root"
	exit $SKIP
fi
NAME=cq_qp_ex
. "$(cd "$(dirname "$0")" && pwd)/pair_netns.sh"
pair_up "cqx$$" 1500
pair_gids
echo "cq_qp_ex: $NETNS_ADDR_A (GID $gid_a) to itself"
netns_exec a env UROCE_IFNAME="$NETNS_IF_A" timeout 60 "$run" "$prog" "$gid_a"
rc=$?
[ $rc -eq 0 ] || echo "cq_qp_ex: FAIL (exit $rc)"
exit $rc
