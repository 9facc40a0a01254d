#!/usr/bin/env bash
# Set-up command 2: the whole test suite. Installs what is missing, then
#  1. builds with gcc and -Werror (a second compiler's warnings),
#  2. builds with clang, -Werror, ASan+UBSan and libFuzzer, and runs every
#     test under CTest (unit, golden packets, tshark interop, fuzzing).
# Extra arguments go to ctest (e.g. -R golden, -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
cmake -S . -B build-gcc -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUROCE_WERROR=ON >/dev/null
cmake --build build-gcc -j "$jobs"

cmake -S . -B build-test -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUROCE_WERROR=ON -DUROCE_SANITIZE=ON -DUROCE_FUZZ=ON >/dev/null
cmake --build build-test -j "$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-test --output-on-failure -j "$jobs" "$@"
