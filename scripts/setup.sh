#!/usr/bin/env bash
# Set-up command 1: install what is missing, build (Release), run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
echo
# Until the transport lands, the main job is the wire-format demo: packets of a
# RoCE v2 conversation built, parsed back with their ICRC verified, and printed.
build/tools/uroce-wire demo --pcap build/demo.pcap
