#!/usr/bin/env bash
# Integration: one side of a uroce-bw run between two network namespaces is
# killed (SIGKILL) mid-transfer; the other must exit non-zero promptly, say
# why, and leave nothing running.
#  - server killed, the out-of-band TCP connection black-holed first (by
#    impair.bpf.c on the client's ingress), so that only the transport can
#    notice: the client must fail with the retry-exceeded completion, within
#    the QP's timeouts (timeout 14 = 67 ms x (retry_cnt 7 + 1) = 0.54 s).
#    Without the black hole the winner depends on uroce-bw's TCP watch (a
#    blocking client misses the FIN behind the server's early end-barrier
#    byte; a busy one sees it within milliseconds);
#  - server killed, TCP left alone, busy polling: the client must fail
#    (it may notice the closed connection first);
#  - client killed: the server, which has nothing outstanding on its QP,
#    must notice the closed connection.
#
#   tests/integration/rc_peer_killed.sh TOOLS_DIR IMPAIR_DIR
#     TOOLS_DIR holds uroce-bw; IMPAIR_DIR holds impair.bpf.o and impair_ctl.
# Exit status: 0 passed, 1 failed, 2 usage, 77 skipped (not root, no netns or clsact).
set -uo pipefail

SKIP=77
RUN_TIMEOUT=30     # --timeout of each tool: a backstop, the transfers would run for minutes
EXIT_LIMIT_MS=10000 # the survivor must be gone this soon after the kill
# The transport may not give up sooner than (retry_cnt + 1) timeouts: 8 x 67 ms, less
# what of the first timeout ran before the kill (ACKs flow every few ms), and slack.
RETRY_MIN_MS=450
VETH_MTU=1500
RETRY_EXC="transport retry counter exceeded" # uroce_wc_status_str(UROCE_WC_RETRY_EXC_ERR)
PEER_CLOSED="the peer closed the connection"  # uroce-bw's message for a closed TCP connection

usage() {
	echo "usage: $0 TOOLS_DIR IMPAIR_DIR   (uroce-bw; impair.bpf.o and impair_ctl)" >&2
	exit 2
}
[ $# -eq 2 ] || usage
tools=$(cd "$1" 2>/dev/null && pwd) || usage
impair=$(cd "$2" 2>/dev/null && pwd) || usage
BW=$tools/uroce-bw
OBJ=$impair/impair.bpf.o
CTL=$impair/impair_ctl
for f in "$BW" "$OBJ" "$CTL"; do
	[ -e "$f" ] || { echo "rc_peer_killed: $f is missing: build the uroce-bw and impair_bpf targets" >&2; exit 2; }
done

if [ "$(id -u)" -ne 0 ]; then
	echo "rc_peer_killed: SKIP: network namespaces and tc need root"
	exit $SKIP
fi

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
it_cleanup_on_exit rc_peer_killed KILL

netns_name=rckill$$
netns_up "$netns_name" "$VETH_MTU"
case $? in
0) ;;
2) echo "rc_peer_killed: SKIP: network namespaces cannot be created here"; netns_name=; exit $SKIP ;;
*) echo "rc_peer_killed: FAIL: setting up the network namespaces failed" >&2; exit 1 ;;
esac

# The classifier on the client's ingress, passing everything until told to
# black-hole TCP.
prog_id=$(impair_attach "$NETNS_B" "$NETNS_IF_B" "$OBJ")
case $? in
0) ;;
2) echo "rc_peer_killed: SKIP: no clsact qdisc here: $(cat "$workdir/tc.err")"; exit $SKIP ;;
*) echo "rc_peer_killed: FAIL: attaching $OBJ: $(cat "$workdir/tc.err")" >&2; exit 1 ;;
esac
"$CTL" "$prog_id" set 0 0 0 0 || exit 1

tcp_port=$((20000 + $$ % 20000))
passed=0
failed=0
failures=()
now_ms() { echo $(($(date +%s%N) / 1000000)); }
tcp_dropped() { "$CTL" "$prog_id" stats | sed -n 's/.*tcp_dropped \([0-9]*\).*/\1/p'; }

# scenario NAME VICTIM(server|client) BLACKHOLE(0|1) EXPECT MIN_MS ARGS...: start
# a transfer, kill VICTIM once it measures, time the survivor's exit; the
# survivor must exit non-zero between MIN_MS and EXIT_LIMIT_MS after the kill
# with EXPECT (an ERE) in its output.
scenario() {
	local name=$1 victim=$2 blackhole=$3 expect=$4 min_ms=$5
	shift 5
	local out=$workdir/$passed.$failed
	"$CTL" "$prog_id" set 0 0 0 0
	ip netns exec "$NETNS_A" "$BW" --addr "$NETNS_ADDR_A" -p "$tcp_port" --timeout "$RUN_TIMEOUT" -C "$@" \
		>"$out.server" 2>&1 &
	server_pid=$!
	ip netns exec "$NETNS_B" "$BW" --addr "$NETNS_ADDR_B" -p "$tcp_port" --timeout "$RUN_TIMEOUT" -C "$@" \
		"$NETNS_ADDR_A" >"$out.client" 2>&1 &
	client_pid=$!
	local victim_pid=$server_pid survivor_pid=$client_pid survivor=client _
	[ "$victim" = client ] && victim_pid=$client_pid survivor_pid=$server_pid survivor=server
	# Mid-transfer: the client printed its table header (the QPs are connected), then a moment more.
	for _ in $(seq 1 100); do
		grep -q '#bytes' "$out.client" 2>/dev/null && break
		kill -0 "$client_pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5
	local why=
	kill -0 "$victim_pid" 2>/dev/null && kill -0 "$survivor_pid" 2>/dev/null || why="the transfer was not running when the $victim was to be killed"
	local tcp0
	tcp0=$(tcp_dropped)
	[ "$blackhole" = 1 ] && "$CTL" "$prog_id" set 0 0 0 1
	local t0 rc=0 ms
	t0=$(now_ms)
	kill -KILL "$victim_pid" 2>/dev/null
	wait "$victim_pid" 2>/dev/null
	# Wait for the survivor, at most EXIT_LIMIT_MS.
	while kill -0 "$survivor_pid" 2>/dev/null && [ $(($(now_ms) - t0)) -lt "$EXIT_LIMIT_MS" ]; do
		sleep 0.01
	done
	ms=$(($(now_ms) - t0))
	if kill -0 "$survivor_pid" 2>/dev/null; then
		why=${why:-"the $survivor still ran ${EXIT_LIMIT_MS} ms after the kill"}
		kill -KILL "$survivor_pid" 2>/dev/null
	fi
	wait "$survivor_pid" 2>/dev/null
	rc=$?
	server_pid=
	client_pid=
	local pids
	pids=$(ip netns pids "$NETNS_A"; ip netns pids "$NETNS_B")
	[ -z "$why" ] && [ "$rc" -eq 0 ] && why="the $survivor exited 0"
	[ -z "$why" ] && [ "$ms" -lt "$min_ms" ] && why="the $survivor gave up sooner than the QP's timeouts allow ($min_ms ms)"
	[ -z "$why" ] && ! grep -Eq "$expect" "$out.$survivor" && why="the $survivor's output does not say \"$expect\""
	[ -z "$why" ] && [ -n "$pids" ] && why="processes left in the namespaces: $pids"
	local tcp=$(($(tcp_dropped) - tcp0))
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		printf 'ok    %-58s %s exit %d after %5d ms\n' "$name" "$survivor" "$rc" "$ms"
		grep -E "$expect" "$out.$survivor" | head -n 1 | sed 's/^/      /'
		awk '/Device counters/ { on = 1; next } on && /retry|timeouts|retransmits/ { printf "      %s %s\n", $1, $2 }' \
			"$out.$survivor"
		[ "$blackhole" = 1 ] && echo "      TCP segments black-holed: $tcp"
		return
	fi
	failed=$((failed + 1))
	failures+=("$name")
	printf 'FAIL  %s: %s (%s exit %d after %d ms)\n' "$name" "$why" "$survivor" "$rc" "$ms"
	sed 's/^/      client: /' "$out.client"
	sed 's/^/      server: /' "$out.server"
	local pid
	for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
}

echo "rc_peer_killed: network namespaces, veth MTU $VETH_MTU, $NETNS_ADDR_A (server) <-> $NETNS_ADDR_B (client)"
for op in write read send; do
	scenario "server killed, TCP black-holed, $op" server 1 "$RETRY_EXC" "$RETRY_MIN_MS" -o "$op" -s 1M -n 100000
done
scenario "server killed, busy polling, write" server 0 "$RETRY_EXC|$PEER_CLOSED" 0 --busy -o write -s 1M -n 100000
scenario "client killed, write" client 0 "$PEER_CLOSED" 0 -o write -s 1M -n 100000
scenario "client killed, send" client 0 "$PEER_CLOSED" 0 -o send -s 1M -n 100000
scenario "client killed, busy polling, read" client 0 "$PEER_CLOSED" 0 --busy -o read -s 1M -n 100000

echo "rc_peer_killed: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
	printf 'rc_peer_killed: failed: %s\n' "${failures[@]}"
	exit 1
fi
exit 0
