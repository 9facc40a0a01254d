#!/usr/bin/env bash
# Integration: RC over a real UDP path that loses, duplicates and corrupts
# packets. Two network namespaces joined by veth, at MTU 1500 and then 9000,
# with impair.bpf.c on the ingress of both ends (this kernel has no netem).
# uroce-bw moves RDMA WRITE, READ and SEND data, which the tools verify;
# every run must succeed, and the figures must show that the impairment
# happened (the classifier's counters) and that uroce recovered from it
# (retransmissions, ICRC errors: the device counters, -C).
#
# With EXAMPLES_DIR, one more run per MTU carries examples/bpf's
# trace_retransmits on the client's tracepoints (interpreter at 1500, JIT at
# 9000): its count of RETRANSMIT events and its ring buffer records must
# equal the client's own retransmission counter.
#
#   tests/integration/rc_impaired.sh TOOLS_DIR IMPAIR_DIR [EXAMPLES_DIR]
#     TOOLS_DIR holds uroce-bw; IMPAIR_DIR holds impair.bpf.o and impair_ctl;
#     EXAMPLES_DIR holds trace_retransmits.bpf.o.
# Rates per 10000 packets, in each direction: IMPAIR_LOSS (default 200),
# IMPAIR_DUP (100), IMPAIR_CORRUPT (50). RC_IMPAIRED_KEEP=1 keeps the outputs.
# Exit status: 0 passed, 1 failed, 2 usage, 77 skipped (not root, no netns or clsact).
set -uo pipefail

SKIP=77
RUN_TIMEOUT=40 # seconds per tool run (--timeout); a run takes 1-5 s
DEADLINE=240   # seconds for the whole script, below the CTest TIMEOUT so that cleanup always runs
LOSS=${IMPAIR_LOSS:-200}
DUP=${IMPAIR_DUP:-100}
CORRUPT=${IMPAIR_CORRUPT:-50}

usage() {
	echo "usage: $0 TOOLS_DIR IMPAIR_DIR [EXAMPLES_DIR]   (uroce-bw; impair.bpf.o and impair_ctl; trace_retransmits.bpf.o)" >&2
	exit 2
}
[ $# -eq 2 ] || [ $# -eq 3 ] || usage
tools=$(cd "$1" 2>/dev/null && pwd) || usage
impair=$(cd "$2" 2>/dev/null && pwd) || usage
TRACE_OBJ=
if [ $# -eq 3 ]; then
	TRACE_OBJ=$(cd "$3" 2>/dev/null && pwd)/trace_retransmits.bpf.o || usage
	[ -e "$TRACE_OBJ" ] || { echo "rc_impaired: $TRACE_OBJ is missing: build the examples" >&2; exit 2; }
fi
BW=$tools/uroce-bw
OBJ=$impair/impair.bpf.o
CTL=$impair/impair_ctl
for f in "$BW" "$OBJ" "$CTL"; do
	[ -e "$f" ] || { echo "rc_impaired: $f is missing: build the uroce-bw and impair_bpf targets" >&2; exit 2; }
done

if [ "$(id -u)" -ne 0 ]; then
	echo "rc_impaired: SKIP: network namespaces and tc need root"
	exit $SKIP
fi

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
it_cleanup_on_exit rc_impaired TERM

passed=0
failed=0
failures=()
fail() {
	failed=$((failed + 1))
	failures+=("$1")
	echo "FAIL  $1"
}
check() { # check NAME CONDITION...: a figure that must hold
	local name=$1
	shift
	if "$@"; then passed=$((passed + 1)); echo "ok    $name"; else fail "$name"; fi
}

# attach NS DEV: the classifier on DEV's ingress with the rates set; prints
# its program id. Status 2: this kernel cannot (skip); 1: failed.
attach() {
	local id
	# tc sees a UDP GSO batch (up to 64 datagrams) as one packet unless the
	# sender segments it: with GSO off on this end, the peer's ingress sees datagrams.
	id=$(impair_attach "$1" "$2" "$OBJ" segment) || return $?
	"$CTL" "$id" set "$LOSS" "$DUP" "$CORRUPT" 2>"$workdir/tc.err" || return 1
	echo "$id"
}

# impair_stats ID ARRAY: the classifier's counters into the associative ARRAY.
impair_stats() {
	local -n into=$2
	local line words i
	line=$("$CTL" "$1" stats) || return 1
	read -ra words <<<"$line"
	for ((i = 0; i + 1 < ${#words[@]}; i += 2)); do
		# shellcheck disable=SC2034 # a nameref: the caller's array
		into[${words[i]}]=${words[i + 1]}
	done
}

declare -A cnt_client cnt_server
# add_counters FILE ARRAY: adds the "Device counters" lines of a -C output.
add_counters() {
	local -n sum=$2
	local name value
	while read -r name value; do
		sum[$name]=$((${sum[$name]:-0} + value))
	done < <(awk '/Device counters/ { on = 1; next } /eBPF maps/ { on = 0 } on && NF == 2 { print $1, $2 }' "$1")
}

tcp_port=$((20000 + $$ % 20000))
runs=0
bytes_moved=0

# pair ARGS...: one uroce-bw server and client; both must exit 0 (data verified).
pair() {
	local name="uroce-bw $*" start=$SECONDS rc=0 server_rc=0 left=$((DEADLINE - SECONDS))
	if [ "$left" -lt 10 ]; then
		fail "$name (out of time: the script's $DEADLINE s are used up)"
		return
	fi
	[ "$left" -gt "$RUN_TIMEOUT" ] && left=$RUN_TIMEOUT
	runs=$((runs + 1))
	local out=$workdir/run$runs
	ip netns exec "$NETNS_A" "$BW" --addr "$NETNS_ADDR_A" -p "$tcp_port" --timeout "$left" -C \
		>"$out.server" 2>&1 &
	server_pid=$!
	ip netns exec "$NETNS_B" "$BW" --addr "$NETNS_ADDR_B" -p "$tcp_port" --timeout "$left" -C -m "$mtu" "$@" \
		"$NETNS_ADDR_A" >"$out.client" 2>&1 &
	client_pid=$!
	wait "$client_pid" || rc=$?
	client_pid=
	wait "$server_pid" || server_rc=$?
	server_pid=
	add_counters "$out.client" cnt_client
	add_counters "$out.server" cnt_server
	if [ "$rc" -eq 0 ] && [ "$server_rc" -eq 0 ]; then
		passed=$((passed + 1))
		# The result row: bytes, iterations, Gb/s, MB/s, Mpps (stderr lines may come between).
		local row=()
		read -ra row < <(grep -E '^ *[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ *$' "$out.client")
		bytes_moved=$((bytes_moved + ${row[0]:-0} * ${row[1]:-0}))
		printf 'ok    %-42s %3ds %7s Gb/s\n' "$name" $((SECONDS - start)) "${row[2]:-?}"
		grep -h 'warning' "$out.client" "$out.server" | sed 's/^/      /'
		return
	fi
	fail "$name (client exit $rc, server exit $server_rc)"
	sed 's/^/      client: /' "$out.client"
	sed 's/^/      server: /' "$out.server"
}

# check_trace WHAT FILE: in a client output with --bpf trace_retransmits,
# the program's RETRANSMIT count (event_counts[2]) and its ring buffer
# records equal the device's retransmits counter, which is not zero.
check_trace() {
	local stack events records
	stack=$(awk '/Device counters/ { on = 1; next } /eBPF maps/ { on = 0 } on && $1 == "retransmits" { print $2 }' "$2")
	events=$(awk '$1 == "event_counts" { print $4 }' "$2")
	records=$(awk '$1 == "retransmits" && $3 == "ring" { print $2 }' "$2")
	check "$1: tracepoint program saw ${events:-?} retransmissions, ring buffer ${records:-?}, stack counted ${stack:-0}" \
		test -n "$events" -a "${stack:-0}" -gt 0 -a "${events:-x}" = "${stack:-0}" -a "${records:-x}" = "${stack:-0}"
}

# One MTU: fresh namespaces, the classifier on both ends, the runs, the checks.
phase() {
	local veth_mtu=$1 id_a id_b st op
	netns_name=rcimp$$
	netns_up "$netns_name" "$veth_mtu"
	case $? in
	0) ;;
	2) echo "rc_impaired: SKIP: network namespaces cannot be created here"; netns_name=; exit $SKIP ;;
	*) echo "rc_impaired: FAIL: setting up the network namespaces failed" >&2; exit 1 ;;
	esac
	for side in a b; do
		local ns dev id
		[ $side = a ] && ns=$NETNS_A dev=$NETNS_IF_A || ns=$NETNS_B dev=$NETNS_IF_B
		id=$(attach "$ns" "$dev")
		st=$?
		if [ $st -eq 2 ]; then
			echo "rc_impaired: SKIP: no clsact or GSO control here: $(cat "$workdir/tc.err")"
			exit $SKIP
		elif [ $st -ne 0 ]; then
			echo "rc_impaired: FAIL: attaching $OBJ to $dev: $(cat "$workdir/tc.err")" >&2
			exit 1
		fi
		[ $side = a ] && id_a=$id || id_b=$id
	done
	mtu=$(ib_mtu "$veth_mtu")
	cnt_client=()
	cnt_server=()
	bytes_moved=0
	echo "rc_impaired: veth MTU $veth_mtu (path MTU $mtu), per 10000 packets each way: loss $LOSS, duplication $DUP, corruption $CORRUPT"

	# The tools verify the buffer after the last message, and every message
	# of a run carries the same bytes to the same place: only the last
	# delivery of each byte is checked. So most data goes as single 32 MiB
	# messages (-n 1), every byte verified; a run of 1 MiB messages per
	# operation keeps many messages in flight.
	for op in write read send; do
		pair -o "$op" -s 32M -n 1
		pair -o "$op" -s 32M -n 1
		pair -o "$op" -s 1M -n 24
	done
	if [ -n "$TRACE_OBJ" ]; then
		local jit=()
		[ "$veth_mtu" -eq 9000 ] && jit=(--bpf-jit)
		pair -o write -s 1M -n 32 --bpf "$TRACE_OBJ" "${jit[@]}"
		check_trace "MTU $veth_mtu${jit:+ (JIT)}" "$workdir/run$runs.client"
	fi

	# The classifier on A's ingress impairs what the client sends to the server, B's the reverse.
	local -A imp_a=() imp_b=()
	if ! impair_stats "$id_a" imp_a || ! impair_stats "$id_b" imp_b; then
		fail "reading the classifier's counters"
		return
	fi
	local k
	printf '      %-12s %10s %10s\n' classifier "to server" "to client"
	for k in seen dropped duplicated corrupted gso dup_failed; do
		printf '      %-12s %10s %10s\n' "$k" "${imp_a[$k]}" "${imp_b[$k]}"
	done
	printf '      %-24s %10s %10s\n' "device counter" server client
	for k in $(printf '%s\n' "${!cnt_client[@]}" "${!cnt_server[@]}" | sort -u); do
		printf '      %-24s %10s %10s\n' "$k" "${cnt_server[$k]:-0}" "${cnt_client[$k]:-0}"
	done
	local mib=$((bytes_moved >> 20)) icrc_s=${cnt_server[icrc_err]:-0} icrc_c=${cnt_client[icrc_err]:-0}
	check "MTU $veth_mtu: $mib MiB moved and verified (at least 256)" test "$mib" -ge 256
	check "MTU $veth_mtu: packets dropped ($((imp_a[dropped] + imp_b[dropped])))" \
		test $((imp_a[dropped] + imp_b[dropped])) -gt 0
	check "MTU $veth_mtu: packets duplicated ($((imp_a[duplicated] + imp_b[duplicated])))" \
		test $((imp_a[duplicated] + imp_b[duplicated])) -gt 0
	check "MTU $veth_mtu: packets corrupted ($((imp_a[corrupted] + imp_b[corrupted])))" \
		test $((imp_a[corrupted] + imp_b[corrupted])) -gt 0
	# Otherwise the rates applied to batches, not datagrams.
	check "MTU $veth_mtu: every RoCE packet impaired alone (no GSO batch: ${imp_a[gso]}, ${imp_b[gso]})" \
		test $((imp_a[gso] + imp_b[gso] + imp_a[dup_failed] + imp_b[dup_failed])) -eq 0
	check "MTU $veth_mtu: uroce retransmitted ($((cnt_client[retransmits] + cnt_server[retransmits])))" \
		test $((${cnt_client[retransmits]:-0} + ${cnt_server[retransmits]:-0})) -gt 0
	check "MTU $veth_mtu: ICRC errors counted ($((icrc_s + icrc_c)))" test $((icrc_s + icrc_c)) -gt 0
	# An ICRC error on a packet nobody corrupted would be a sender bug.
	check "MTU $veth_mtu: ICRC errors <= packets corrupted (server $icrc_s <= ${imp_a[corrupted]}, client $icrc_c <= ${imp_b[corrupted]})" \
		test "$icrc_s" -le "${imp_a[corrupted]}" -a "$icrc_c" -le "${imp_b[corrupted]}"
	# Not asserted, as a packet that arrives after its receiver closed is not counted:
	# each delivered packet (seen - dropped + duplicated) is counted received or ICRC error.
	local to_s=$((imp_a[seen] - imp_a[dropped] + imp_a[duplicated])) to_c=$((imp_b[seen] - imp_b[dropped] + imp_b[duplicated]))
	echo "      delivered/counted: to server $to_s/$((${cnt_server[rcvd_pkts]:-0} + icrc_s))," \
		"to client $to_c/$((${cnt_client[rcvd_pkts]:-0} + icrc_c))"
	netns_down "$netns_name"
	netns_name=
}

start=$SECONDS
phase 1500
phase 9000
echo "rc_impaired: $passed passed, $failed failed ($((SECONDS - start)) s)"
if [ "$failed" -ne 0 ]; then
	printf 'rc_impaired: failed: %s\n' "${failures[@]}"
	exit 1
fi
exit 0
