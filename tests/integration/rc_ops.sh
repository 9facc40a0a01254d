#!/usr/bin/env bash
# Integration: every RC operation end to end through uroce-bw and uroce-lat
# over a real UDP path, at the sizes where segmentation changes: 0 (where the
# operation allows it), 1, MTU-1, MTU, MTU+1, 1 MiB and 64 MiB; atomics; both
# polling modes; odd TX depths; a size sweep. The tools verify the data (and
# the atomic results) on both sides, so a run passes when server and client
# both exit 0.
#
#   tests/integration/rc_ops.sh TOOLS_DIR loopback   over 127.x.y.1 <-> 127.x.y.2; no root needed
#   tests/integration/rc_ops.sh TOOLS_DIR netns      two network namespaces joined by veth at MTU 1500
#                                                    (path MTU 1024); needs root, else skipped
# Exit status: 0 all passed, 1 a run failed (its output is shown), 2 usage, 77 skipped.
set -uo pipefail

SKIP=77
RUN_TIMEOUT=60 # seconds per tool run, enforced by the tools (--timeout)
VETH_MTU=1500

usage() {
	echo "usage: $0 TOOLS_DIR loopback|netns   (TOOLS_DIR holds uroce-bw and uroce-lat)" >&2
	exit 2
}
[ $# -eq 2 ] || usage
tools=$(cd "$1" 2>/dev/null && pwd) || usage
mode=$2
case $mode in loopback | netns) ;; *) usage ;; esac
BW=$tools/uroce-bw
LAT=$tools/uroce-lat
for t in "$BW" "$LAT"; do
	[ -x "$t" ] || { echo "rc_ops: $t is missing: build the uroce-bw and uroce-lat targets" >&2; exit 2; }
done

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
it_cleanup_on_exit rc_ops TERM

# The IB MTU of a netdev MTU, as rxe and uroce derive it: (MTU - 80) rounded down.

# Plain commands, so that $! is the tool itself (`ip netns exec` executes in place).
server_side=()
client_side=()
if [ "$mode" = netns ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "rc_ops: SKIP: network namespaces need root (the loopback variant runs without)"
		exit $SKIP
	fi
	netns_name=rcops$$
	netns_up "$netns_name" "$VETH_MTU"
	case $? in
	0) ;;
	2) echo "rc_ops: SKIP: network namespaces cannot be created here"; netns_name=; exit $SKIP ;;
	*) echo "rc_ops: FAIL: setting up the network namespaces failed" >&2; exit 1 ;;
	esac
	server_side=(ip netns exec "$NETNS_A")
	client_side=(ip netns exec "$NETNS_B")
	server_addr=$NETNS_ADDR_A
	client_addr=$NETNS_ADDR_B
	mtu=$(ib_mtu "$VETH_MTU")
	where="network namespaces, veth MTU $VETH_MTU"
else
	# An address pair of its own in 127/8, so parallel runs do not share UDP 4791.
	net=127.$(($$ / 250 % 250 + 1)).$(($$ % 250 + 1))
	server_addr=$net.1
	client_addr=$net.2
	mtu=$(ib_mtu "$(cat /sys/class/net/lo/mtu)")
	where="loopback"
fi
tcp_port=$((20000 + $$ % 20000))
echo "rc_ops: $where, $server_addr <-> $client_addr, path MTU $mtu"

passed=0
failed=0
failures=()

# pair TOOL ARGS...: a server and a client of TOOL with ARGS; both must exit 0.
pair() {
	local tool=$1
	shift
	local name
	name="$(basename "$tool") $*"
	local start=$SECONDS rc=0 server_rc=0
	"${server_side[@]}" "$tool" --addr "$server_addr" -p "$tcp_port" --timeout "$RUN_TIMEOUT" \
		>"$workdir/server.out" 2>&1 &
	server_pid=$!
	"${client_side[@]}" "$tool" --addr "$client_addr" -p "$tcp_port" --timeout "$RUN_TIMEOUT" -m "$mtu" "$@" \
		"$server_addr" >"$workdir/client.out" 2>&1 &
	client_pid=$!
	wait "$client_pid" || rc=$?
	client_pid=
	wait "$server_pid" || server_rc=$?
	server_pid=
	if [ "$rc" -eq 0 ] && [ "$server_rc" -eq 0 ]; then
		passed=$((passed + 1))
		printf 'ok    %-58s %3ds\n' "$name" $((SECONDS - start))
		return
	fi
	failed=$((failed + 1))
	failures+=("$name")
	printf 'FAIL  %s (client exit %d, server exit %d)\n' "$name" "$rc" "$server_rc"
	sed 's/^/      client: /' "$workdir/client.out"
	sed 's/^/      server: /' "$workdir/server.out"
}

# Enough messages to wrap the 128-deep send queue several times, fewer for big ones.
iters_for() {
	case $1 in
	64M) echo 2 ;;
	1M) echo 20 ;;
	*) echo 300 ;;
	esac
}

sizes="0 1 $((mtu - 1)) $mtu $((mtu + 1)) 1M 64M"
for op in write read send; do
	for size in $sizes; do
		pair "$BW" -o "$op" -s "$size" -n "$(iters_for "$size")"
	done
done
pair "$BW" -o atomic -n 1000
pair "$BW" -o atomic --atomic-cas -n 1000

for op in send write read; do
	small=0
	[ "$op" = write ] && small=1 # write latency polls the last byte
	pair "$LAT" -o "$op" -s "$small" -n 200
	pair "$LAT" -o "$op" -s $((mtu + 1)) -n 100
done
pair "$LAT" -o atomic -n 200
pair "$LAT" -o atomic --atomic-cas -n 200

# Busy polling, send queue depths that are not multiples of the CQ moderation, a sweep.
pair "$BW" -o write -s $((mtu + 1)) -n 300 --busy
pair "$BW" -o send -s "$mtu" -n 300 --busy
pair "$LAT" -o send -s 1 -n 200 --busy
pair "$LAT" -o write -s $((mtu * 3)) -n 100 --busy
pair "$BW" -o send -s "$mtu" -n 50 -t 1
pair "$BW" -o write -s 1 -n 300 -t 17
pair "$BW" -o read -s $((mtu * 2 + 1)) -n 300 -t 3
pair "$BW" -o read -a -n 4

# --json, as the benchmark scripts read it: the bandwidth and the CPU time per byte, both measured.
pair "$BW" -o write -s 1M -n 20 --json
if ! python3 - "$workdir/client.out" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    r = d["results"][0]
    ok = d["ok"] and r["verified"] and r["bytes"] == 1 << 20 and r["bw_gbps"] > 0 and r["cpu_ns_per_byte"] > 0
except (ValueError, KeyError, IndexError) as e:
    print(f"rc_ops: uroce-bw --json: {e!r}")
    ok = False
sys.exit(0 if ok else 1)
PY
then
	failed=$((failed + 1))
	failures+=("uroce-bw --json fields")
	printf 'FAIL  uroce-bw --json: missing or zero bw_gbps / cpu_ns_per_byte\n'
	sed 's/^/      client: /' "$workdir/client.out"
fi

echo "rc_ops: $passed passed, $failed failed ($where)"
if [ "$failed" -ne 0 ]; then
	printf 'rc_ops: failed: %s\n' "${failures[@]}"
	exit 1
fi
exit 0
