#!/usr/bin/env bash
# Set-up command 1: install what is missing, build (Release), run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
echo
# The main job: two uroce endpoints on this machine move data over RDMA (RoCE v2
# RC queue pairs) and print bandwidth and latency (scripts/demo.sh).
scripts/demo.sh build
