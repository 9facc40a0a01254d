#!/bin/sh
# Build bpf_bench (Release) into build-bench/ at the repo root and run it.
# Arguments go to bpf_bench, e.g.: bench/run_bpf_bench.sh --json build-bench/bpf.json
# The kernel column needs libbpf and the right to load BPF programs (root or
# CAP_BPF + CAP_NET_ADMIN); without them it prints n/a with the reason.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
if [ ! -f "$build/CMakeCache.txt" ]; then
	if command -v ninja >/dev/null 2>&1; then gen="-G Ninja"; else gen=""; fi
	# shellcheck disable=SC2086
	cmake -S "$root" -B "$build" $gen -DCMAKE_BUILD_TYPE=Release -DUROCE_BENCH=ON
fi
cmake --build "$build" --target bpf_bench
exec "$build/bench/bpf_bench" "$@"
