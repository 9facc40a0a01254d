#!/usr/bin/env bash
# The main job: two RDMA endpoints on this machine move data over RoCE v2 in
# user space (uroce RC queue pairs), and the bandwidth and latency they get is
# printed in a short table. Every transfer's data is verified by the tools.
#
# As root, the endpoints live in two network namespaces joined by a veth pair
# at MTU 9000 (scripts/netns.sh), so packets cross a real (virtual) link;
# otherwise they talk over loopback, 127.0.0.1 <-> 127.0.0.2.
#
#   scripts/demo.sh [BUILD_DIR]     (default: build; the tools are BUILD_DIR/tools/uroce-bw, uroce-lat)
#   DEMO_LOOPBACK=1 scripts/demo.sh   loopback even as root
#
# Bounded in time: each run has --timeout; everything created is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
BW=$BUILD/tools/uroce-bw
LAT=$BUILD/tools/uroce-lat
RUN_TIMEOUT=30        # seconds per run, enforced by the tools themselves
NETNS_NAME=demo
VETH_MTU=9000
TCP_PORT=18515

for tool in "$BW" "$LAT"; do
	if [ ! -x "$tool" ]; then
		echo "demo.sh: $tool is missing: build first (cmake --build $BUILD)" >&2
		exit 1
	fi
done

. scripts/netns.sh

mode=loopback
why_loopback="run as root for two network namespaces over veth"
server_addr=127.0.0.1
client_addr=127.0.0.2
server_pid=
client_pid=
workdir=$(mktemp -d)

cleanup() {
	local pid
	for pid in $client_pid $server_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	[ "$mode" = netns ] && netns_down "$NETNS_NAME"
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${DEMO_LOOPBACK:-}" ] && [ "$(id -u)" -eq 0 ] && netns_up "$NETNS_NAME" "$VETH_MTU" 2>"$workdir/netns.err"; then
	mode=netns
	server_addr=$NETNS_ADDR_A
	client_addr=$NETNS_ADDR_B
elif [ -n "${DEMO_LOOPBACK:-}" ]; then
	why_loopback="DEMO_LOOPBACK is set"
elif [ -s "$workdir/netns.err" ]; then
	why_loopback="network namespaces failed: $(head -1 "$workdir/netns.err")"
fi

# How to run a command on the server's and the client's side. A plain command
# (not a shell function) in the background, so that $! is the tool itself:
# `ip netns exec` executes it in place.
server_side=()
client_side=()
if [ "$mode" = netns ]; then
	server_side=(ip netns exec "$NETNS_A")
	client_side=(ip netns exec "$NETNS_B")
fi
# Each side on its own CPU, as the benchmarks run: left to the scheduler, the
# two sides' threads sometimes share one and the figures scatter.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	server_side+=(taskset -c 1)
	client_side+=(taskset -c 0)
fi

# pair NAME TOOL ARGS...: a server and a client of TOOL with ARGS; the client's JSON goes to $workdir/NAME.json.
pair() {
	local name=$1 tool=$2
	shift 2
	"${server_side[@]}" "$tool" --addr "$server_addr" -p "$TCP_PORT" --timeout "$RUN_TIMEOUT" "$@" \
		>"$workdir/$name.server" 2>&1 &
	server_pid=$!
	# In the background too: a signal interrupts `wait`, so Ctrl-C cleans up at once.
	"${client_side[@]}" "$tool" --addr "$client_addr" -p "$TCP_PORT" --timeout "$RUN_TIMEOUT" --json "$@" "$server_addr" \
		>"$workdir/$name.json" 2>"$workdir/$name.client" &
	client_pid=$!
	local rc=0 server_rc=0
	wait "$client_pid" || rc=$?
	client_pid=
	wait "$server_pid" || server_rc=$?
	server_pid=
	[ "$rc" -ne 0 ] || rc=$server_rc
	if [ "$rc" -ne 0 ]; then
		echo "demo.sh: $(basename "$tool") $* failed:" >&2
		sed 's/^/  client: /' "$workdir/$name.client" >&2
		sed 's/^/  server: /' "$workdir/$name.server" >&2
		return 1
	fi
	echo "  $(basename "$tool") $* $server_addr" >>"$workdir/commands"
}

# json_num FILE KEY: the first number after "KEY": in FILE.
json_num() {
	sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1" | head -1
}

bw_line() { # TITLE SIZE_TEXT NAME
	local f=$workdir/$3.json
	printf ' %-26s %-8s %8.2f Gb/s  (%.0f MB/s, %.3f Mpps)\n' "$1" "$2" "$(json_num "$f" bw_gbps)" \
		"$(json_num "$f" bw_mbps)" "$(json_num "$f" msg_rate_mpps)"
}

lat_line() { # TITLE SIZE_TEXT NAME
	local f=$workdir/$3.json
	printf ' %-26s %-8s %8.2f us    (min %.2f, p99 %.2f us)\n' "$1" "$2" "$(json_num "$f" t_median_us)" \
		"$(json_num "$f" t_min_us)" "$(json_num "$f" t_p99_us)"
}

if [ "$mode" = netns ]; then
	where="two network namespaces joined by a veth pair at MTU $VETH_MTU ($server_addr <-> $client_addr)"
else
	where="loopback ($server_addr <-> $client_addr; $why_loopback)"
fi
echo "uroce demo: RDMA over RoCE v2 in user space, RC queue pairs, $where"
echo "running 4 measurements (each verifies its data)..."

pair bw64k "$BW" -o write -s 64K -n 20000
pair bw1m "$BW" -o write -s 1M -n 2000
pair latsend "$LAT" -o send -s 2 -n 20000 --busy
pair latwrite "$LAT" -o write -s 64 -n 20000 --busy

mtu=$(json_num "$workdir/bw64k.json" mtu)
echo
printf ' %-26s %-8s %s\n' "test" "size" "result (path MTU $mtu B)"
bw_line "RDMA WRITE bandwidth" "64 KiB" bw64k
bw_line "RDMA WRITE bandwidth" "1 MiB" bw1m
lat_line "SEND latency, median" "2 B" latsend
lat_line "RDMA WRITE latency, median" "64 B" latwrite
echo
echo "Bandwidth: 128 WRs outstanding, blocking on a completion channel. Latency: half the round trip"
echo "of a ping-pong, busy polling. All data verified. Commands (server: the same without the address):"
cat "$workdir/commands"
