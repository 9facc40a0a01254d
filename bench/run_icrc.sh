#!/bin/sh
# Build icrc_bench (Release) into build-bench/ at the repo root and run it.
# Arguments go to icrc_bench, e.g.: bench/run_icrc.sh --json build-bench/icrc.json
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
if [ ! -f "$build/CMakeCache.txt" ]; then
	if command -v ninja >/dev/null 2>&1; then gen="-G Ninja"; else gen=""; fi
	# shellcheck disable=SC2086
	cmake -S "$root" -B "$build" $gen -DCMAKE_BUILD_TYPE=Release -DUROCE_BENCH=ON
fi
cmake --build "$build" --target icrc_bench
exec "$build/bench/icrc_bench" "$@"
