#!/usr/bin/env bash
# Raw-UDP baseline over a veth pair between two network namespaces (server in
# b, client in a): stream in three modes and ping-pong, blocking and busy.
# The figures every uroce data-path result is given as a ratio of. Root needed.
#
# As a command:
#   bench/run_udp_baseline.sh [--mtu M]... [--json FILE] [-t SEC] [-r REPS] [-n ITERS] [-6] [--bin PATH]
#     --mtu M     veth MTU; repeatable (default: 1500 and 9000)
#     --json FILE where the JSON goes (default build-bench/udp_baseline.json)
#     -t SEC      seconds per stream run (default 1), -r REPS runs per stream row, the median
#                 kept (default 3); -n ITERS ping-pong round trips (default 10000)
#     -6          over IPv6 instead of IPv4
#     --bin PATH  use this udp_baseline instead of building one into build-bench/
#   Exit status: 0 all ran (rows that do not fit are skipped with a note), 1 a run failed,
#   2 cannot run here (not root, no namespaces).
# As a library, from a script that already has a pair up (scripts/netns.sh):
#   . bench/run_udp_baseline.sh; udp_baseline_build; "$UDPB_BIN" header
#   udp_baseline_suite FILE.jsonl    # table rows on stdout, one JSON object a line to FILE.jsonl

udpb_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/netns.sh
. "$udpb_root/scripts/netns.sh"

UDPB_BIN=${UDPB_BIN:-$udpb_root/build-bench/bench/udp_baseline}
UDPB_SECS=${UDPB_SECS:-1}
UDPB_REPS=${UDPB_REPS:-3}
UDPB_ITERS=${UDPB_ITERS:-10000}
UDPB_FAMILY=${UDPB_FAMILY:-4}
UDPB_PORT=${UDPB_PORT:-19871}
UDPB_STREAM_SIZES=${UDPB_STREAM_SIZES:-64 1024 4096 max}
UDPB_PP_SIZES=${UDPB_PP_SIZES:-2 64}
UDPB_FAILED=0

# Build (Release) into build-bench/ as bench/run_icrc.sh does; build chatter to stderr.
udp_baseline_build() {
	local build="$udpb_root/build-bench" gen=()
	if [ ! -f "$build/CMakeCache.txt" ]; then
		if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
		cmake -S "$udpb_root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DUROCE_BENCH=ON >&2 || return 1
	fi
	cmake --build "$build" --target udp_baseline >&2 || return 1
	UDPB_BIN="$build/bench/udp_baseline"
}

udpb__server_addr() {
	if [ "$UDPB_FAMILY" = 6 ]; then echo "$NETNS_ADDR6_B"; else echo "$NETNS_ADDR_B"; fi
}

# udpb__client JSONL CLIENT-ARGS...: one run from side a; its row goes to
# stdout, its JSON object to JSONL. Exit 3 (does not fit / unsupported) is a
# skip the row already explains; anything else non-zero is a failure.
udpb__client() {
	local jsonl=$1 tmp rc=0
	shift
	tmp=$(mktemp)
	ip netns exec "$NETNS_A" "$UDPB_BIN" client "$@" -H "$(udpb__server_addr)" -p "$UDPB_PORT" \
		--no-header --json "$tmp" || rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]; then
		cat "$tmp" >>"$jsonl"
	else
		echo "run_udp_baseline: 'udp_baseline client $*' failed (exit $rc) at MTU $NETNS_MTU" >&2
		printf '{"benchmark": "udp_baseline", "path_mtu": %s, "args": "%s", "error": "exit %s"}\n' \
			"$NETNS_MTU" "$*" "$rc" >>"$jsonl"
		UDPB_FAILED=1
	fi
	rm -f "$tmp"
}

# Every case on the current pair (NETNS_* from netns_up): server in b, client in a.
udp_baseline_suite() {
	local jsonl=$1 server spid log size mode ncpu cross
	server=$(udpb__server_addr)
	log=$(mktemp)
	ncpu=$(nproc)
	# Client and server on different cores, as a NIC's application and peer would be.
	if [ "$ncpu" -ge 2 ]; then cross=(--cpu 0 --server-cpu 1); else cross=(--cpu 0 --server-cpu 0); fi
	ip netns exec "$NETNS_B" "$UDPB_BIN" server -B "$server" -p "$UDPB_PORT" --idle 60 2>"$log" &
	spid=$!
	for size in $UDPB_STREAM_SIZES; do
		for mode in plain mmsg gso; do
			udpb__client "$jsonl" "$mode" -s "$size" -t "$UDPB_SECS" -r "$UDPB_REPS" "${cross[@]}"
		done
	done
	for size in $UDPB_PP_SIZES; do
		udpb__client "$jsonl" pingpong -s "$size" -n "$UDPB_ITERS" "${cross[@]}"
		# Two spinners on one core would only measure the scheduler.
		if [ "$ncpu" -ge 2 ]; then
			udpb__client "$jsonl" pingpong-busy -s "$size" -n "$UDPB_ITERS" "${cross[@]}"
		fi
		# Same core: no cross-core wake-up (see the cpus column).
		udpb__client "$jsonl" pingpong -s "$size" -n "$UDPB_ITERS" --cpu 0 --server-cpu 0
	done
	ip netns exec "$NETNS_A" "$UDPB_BIN" stop -H "$server" -p "$UDPB_PORT" 2>/dev/null || kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null || true
	if [ "$UDPB_FAILED" -ne 0 ]; then
		echo "run_udp_baseline: server log:" >&2
		cat "$log" >&2
	fi
	rm -f "$log"
}

udpb__json_escape() {
	local s=${1//\\/\\\\}
	printf '%s' "${s//\"/\\\"}"
}

udpb__main() {
	set -euo pipefail
	local mtus=() json="$udpb_root/build-bench/udp_baseline.json" bin="" mtu cpu
	while [ $# -gt 0 ]; do
		case $1 in
		--mtu) mtus+=("$2"); shift 2 ;;
		--json) json=$2; shift 2 ;;
		-t) UDPB_SECS=$2; shift 2 ;;
		-r) UDPB_REPS=$2; shift 2 ;;
		-n) UDPB_ITERS=$2; shift 2 ;;
		-6) UDPB_FAMILY=6; shift ;;
		--bin) bin=$2; shift 2 ;;
		-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; return 0 ;;
		*) echo "run_udp_baseline: unknown argument '$1' (see --help)" >&2; return 1 ;;
		esac
	done
	[ ${#mtus[@]} -gt 0 ] || mtus=(1500 9000)
	netns_require_root || return 2
	if [ -n "$bin" ]; then UDPB_BIN=$bin; else udp_baseline_build; fi

	# Globals: the EXIT trap runs after this function has returned.
	UDPB_NAME=udpb$$
	UDPB_JSONL=$(mktemp)
	# Whatever happens, the namespaces go.
	trap 'netns_down "$UDPB_NAME" >/dev/null 2>&1; rm -f "$UDPB_JSONL"' EXIT
	trap 'exit 130' INT TERM

	# Other work on the machine skews every figure: record the load around the run.
	UDPB_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	"$UDPB_BIN" header
	for mtu in "${mtus[@]}"; do
		local rc=0
		netns_up "$UDPB_NAME" "$mtu" >/dev/null || rc=$?
		[ "$rc" -eq 0 ] || return "$rc"
		udp_baseline_suite "$UDPB_JSONL"
		netns_down "$UDPB_NAME"
	done

	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mkdir -p "$(dirname "$json")"
	{
		printf '{\n  "benchmark": "udp_baseline",\n  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf '  "kernel": "%s",\n  "cpu": "%s",\n  "cpus": %s,\n' "$(uname -r)" \
			"$(udpb__json_escape "$cpu")" "$(nproc)"
		printf '  "loadavg_before": "%s",\n  "loadavg_after": "%s",\n' "$UDPB_LOAD_BEFORE" \
			"$(cut -d' ' -f1-3 /proc/loadavg)"
		printf '  "command": "%s",\n  "results": [\n' "$(udpb__json_escape "$0 ${mtus[*]/#/--mtu }")"
		sed -e 's/^/    /' -e '$!s/$/,/' "$UDPB_JSONL"
		printf '  ]\n}\n'
	} >"$json"
	echo "JSON: $json" >&2
	[ "$UDPB_FAILED" -eq 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	udpb__main "$@"
fi
