#!/usr/bin/env bash
# What the drop-in libibverbs.so.1 costs: Debian's perftest through uroce-run
# beside uroce's own tools on the same path (two network namespaces joined by
# veth), in the same run, as ratios (issue 4's benchmark). Root.
#
#   bench/run_compat_bench.sh [--mtu M]... [-r REPS] [--json FILE] [--build DIR] [--no-pin]
#
# Bandwidth: ib_write_bw against uroce-bw -o write at 64 KiB and 1 MiB.
# Latency: ib_send_lat against uroce-lat -o send at 2 B (median half round
# trip: perftest's t_typical, uroce-lat's t_median_us).
# Both poll alike: perftest spins on ibv_poll_cq, so the library runs with
# UROCE_BUSY_POLL=1 and the uroce tools with --busy. ib_write_bw's server never
# polls (it waits on TCP; the progress thread serves the peer), so uroce-bw's
# WRITE server runs without --busy, which would make it spin on the receive
# path. perftest's server is in side a, its client in side b; the same for
# uroce's tools. Both clients post alike too: uroce-bw posts chains of 16
# work requests whose last is signaled, so ib_write_bw runs with -l 16 -Q 16
# (its default, one WR per post and a completion every 100th, drains its
# queue in steps of 100 and is a different load).
# Each side is pinned to its own CPU (server 1, client 0; --no-pin: not), as
# the raw UDP baseline is: left to the scheduler, a pair's threads sometimes
# share a CPU, and single runs then scatter by 2x.
# Target: the compat layer costs at most 5% (bw ratio >= 0.95, lat ratio <= 1.05).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mtus=()
reps=3
build=$root/build-bench
json_out=
pin_server=(taskset -c 1)
pin_client=(taskset -c 0)
while [ $# -gt 0 ]; do
	case $1 in
	--mtu) mtus+=("$2"); shift 2 ;;
	-r) reps=$2; shift 2 ;;
	--json) json_out=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--no-pin) pin_server=(); pin_client=(); shift ;;
	*) echo "usage: $0 [--mtu M]... [-r REPS] [--json FILE] [--build DIR] [--no-pin]" >&2; exit 2 ;;
	esac
done
[ ${#mtus[@]} -gt 0 ] || mtus=(1500 9000)
[ "$(nproc)" -ge 2 ] || { pin_server=(); pin_client=(); }
[ -n "$json_out" ] || json_out=$build/compat_bench.json
if [ "$(id -u)" -ne 0 ]; then
	echo "run_compat_bench.sh: needs root (network namespaces); run it as root" >&2
	exit 2
fi
for t in ib_write_bw ib_send_lat; do
	command -v "$t" >/dev/null || { echo "run_compat_bench.sh: $t is missing: run scripts/install-deps.sh (perftest)" >&2; exit 2; }
done

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUROCE_BENCH=ON >&2
fi
cmake --build "$build" --target uroce_ibverbs uroce-bw uroce-lat >&2
RUN=$build/compat/ibverbs/uroce-run
BW=$build/tools/uroce-bw
LAT=$build/tools/uroce-lat
. scripts/netns.sh

work=$(mktemp -d)
ns=compatbench
cleanup() { netns_down "$ns" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The index of ::ffff:ADDR in the GID table uroce shows on SIDE's interface.
gid_index() {
	ip netns exec "$1" env UROCE_IFNAME="$2" timeout 20 "$RUN" ibv_devinfo -v |
		awk -v g="::ffff:$3," '$1 ~ /^GID\[/ && $3 == g {i = $0; sub(/^[^[]*\[ */, "", i); sub(/\].*/, "", i); print i; exit}'
}

# perftest pair: MTU KIND SERVER_BUSY TOOL ARGS...; appends {"tool", "bytes", figure} to $results.
perftest_run() {
	local mtu=$1 kind=$2 sbusy=$3 tool=$4
	shift 4
	local port=$((18600 + RANDOM % 1000))
	ip netns exec "$NETNS_A" "${pin_server[@]}" env UROCE_IFNAME="$NETNS_IF_A" UROCE_BUSY_POLL="$sbusy" timeout 120 "$RUN" \
		"$tool" -x "$gid_a" -p "$port" "$@" >"$work/pserver.out" 2>&1 &
	local spid=$! ok=0 _
	for _ in $(seq 1 50); do
		ip netns exec "$NETNS_B" "${pin_client[@]}" env UROCE_IFNAME="$NETNS_IF_B" UROCE_BUSY_POLL=1 timeout 120 "$RUN" \
			"$tool" -x "$gid_b" -p "$port" "$@" "$NETNS_ADDR_A" >"$work/pclient.out" 2>&1 && ok=1
		grep -q "Couldn't connect to" "$work/pclient.out" || break
		sleep 0.2
	done
	wait "$spid" || ok=0
	if [ $ok -eq 1 ]; then
		# bw with --report_gbits: bytes iters peak avg(Gb/s) rate; lat: bytes iters min max typical avg ...
		awk -v tool="$tool" -v mtu="$mtu" -v kind="$kind" '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && NF >= 5 {
			if (kind == "bw") printf "{\"tool\": \"%s\", \"mtu\": %d, \"bytes\": %d, \"bw_gbps\": %s}\n", tool, mtu, $1, $4;
			else printf "{\"tool\": \"%s\", \"mtu\": %d, \"bytes\": %d, \"t_median_us\": %s}\n", tool, mtu, $1, $5 }' \
			"$work/pclient.out" >>"$results"
	else
		echo "perftest run failed: $tool $*" >&2
		cat "$work/pclient.out" "$work/pserver.out" >&2
	fi
}

# uroce tool pair: MTU TOOL SERVER_POLLING ARGS... (SERVER_POLLING: --busy, or - for none)
uroce_run() {
	local mtu=$1 tool=$2 spoll=$3
	shift 3
	local port=$((18600 + RANDOM % 1000)) sargs=()
	[ "$spoll" = - ] || sargs=("$spoll")
	ip netns exec "$NETNS_A" "${pin_server[@]}" "$tool" --json --timeout 120 -p "$port" "${sargs[@]}" "$@" >"$work/userver.json" 2>"$work/userver.err" &
	local spid=$!
	sleep 0.3
	if ip netns exec "$NETNS_B" "${pin_client[@]}" "$tool" --json --timeout 120 -p "$port" --busy "$@" "$NETNS_ADDR_A" \
		>"$work/uclient.json" 2>"$work/uclient.err"; then
		python3 - "$work/uclient.json" "$mtu" "$(basename "$tool")" >>"$results" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["results"]:
    o = {"tool": sys.argv[3], "mtu": int(sys.argv[2]), "bytes": r["bytes"]}
    for k in ("bw_gbps", "t_median_us"):
        if k in r: o[k] = r[k]
    print(json.dumps(o))
PY
	else
		echo "uroce run failed: $tool $*" >&2
		cat "$work/uclient.err" "$work/userver.err" >&2
	fi
	wait "$spid" || true
}

results=$work/all.jsonl
: >"$results"
for mtu in "${mtus[@]}"; do
	netns_up "$ns" "$mtu" >/dev/null
	gid_a=$(gid_index "$NETNS_A" "$NETNS_IF_A" "$NETNS_ADDR_A")
	gid_b=$(gid_index "$NETNS_B" "$NETNS_IF_B" "$NETNS_ADDR_B")
	[ -n "$gid_a" ] && [ -n "$gid_b" ] || { echo "no GID for $NETNS_ADDR_A / $NETNS_ADDR_B" >&2; exit 1; }
	# Interleaved, so that drift over the run touches both sides alike.
	for r in $(seq "$reps"); do
		echo "MTU $mtu, round $r of $reps" >&2
		for size in 65536 1048576; do
			n=$([ $size = 1048576 ] && echo 2000 || echo 20000)
			perftest_run "$mtu" bw 1 ib_write_bw -s $size -n $n --report_gbits -l 16 -Q 16
			uroce_run "$mtu" "$BW" - -o write -s $size -n $n
		done
		perftest_run "$mtu" lat 1 ib_send_lat -s 2 -n 20000
		uroce_run "$mtu" "$LAT" --busy -o send -s 2 -n 20000
	done
	netns_down "$ns" >/dev/null
done

python3 - "$results" "$json_out" "$reps" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = []
def runs(tool, mtu, size, key):
    return [r[key] for r in rows if r["tool"] == tool and r["mtu"] == mtu and r["bytes"] == size and key in r]
# Each round runs perftest then uroce's tool back to back: the ratio of a
# round's pair sees the same machine state, so its median is the figure (the
# medians of each side are printed beside it).
def row(mtu, figure, unit, ptool, utool, size, key, higher_better):
    ps, us = runs(ptool, mtu, size, key), runs(utool, mtu, size, key)
    if not ps or not us:
        return
    pairs = [p / u for p, u in zip(ps, us)]
    ratio = statistics.median(pairs)
    met = ratio >= 0.95 if higher_better else ratio <= 1.05
    out.append({"mtu": mtu, "figure": figure, "perftest": statistics.median(ps), "uroce": statistics.median(us),
                "unit": unit, "ratio": ratio, "pair_ratios": pairs, "runs": [len(ps), len(us)],
                "target": ">= 0.95" if higher_better else "<= 1.05", "met": met})
for mtu in sorted({r["mtu"] for r in rows}):
    for size in (65536, 1048576):
        row(mtu, f"RDMA WRITE bw {size // 1024} KiB", "Gb/s", "ib_write_bw", "uroce-bw", size, "bw_gbps", True)
    row(mtu, "SEND latency 2 B", "us (median, half RTT)", "ib_send_lat", "uroce-lat", 2, "t_median_us", False)
print(f"{'mtu':>5} {'figure':<24} {'perftest':>9} {'uroce':>9} {'unit':<22} {'ratio':>6} {'pairs min-max':>14} {'target':>8}")
for o in out:
    lo, hi = min(o["pair_ratios"]), max(o["pair_ratios"])
    print(f"{o['mtu']:>5} {o['figure']:<24} {o['perftest']:>9.2f} {o['uroce']:>9.2f} {o['unit']:<22} "
          f"{o['ratio']:>6.3f} {lo:>6.3f}-{hi:<6.3f} {o['target']:>8} {'(met)' if o['met'] else '(not met)'}")
print("ratio: the median over rounds of perftest / uroce in the same round")
doc = {"benchmark": "compat_perftest_vs_uroce_tools", "reps": int(sys.argv[3]),
       "polling": "busy (perftest with UROCE_BUSY_POLL=1, uroce tools --busy), but the WRITE servers, which never poll",
       "rows": out}
json.dump(doc, open(sys.argv[2], "w"), indent=1)
print(json.dumps(doc))
print(f"JSON: {sys.argv[2]}")
PY
