#!/usr/bin/env bash
# Installs the Debian 12 packages uroce's build, tests and benchmarks need.
# Idempotent: asks apt only for what is missing. Runs as root, or through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev   # ASan/UBSan and libFuzzer builds
  zlib1g-dev                    # zlib's crc32: the ICRC benchmark's baseline
  tshark                        # third-party dissector for the wire-format interop test
  iproute2                      # network namespaces and veth pairs for integration tests; tc
  libbpf-dev                    # bpf_helpers.h: the tc classifier that impairs packets (built with clang-14 -target bpf)
  python3                       # the benchmark scripts' tables
  libibverbs-dev                # rdma-core's verbs headers: the ABI of compat/ibverbs (never re-typed)
  ibverbs-utils perftest        # unmodified ibverbs programs the compat tests run on uroce
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing packages (${missing[*]}) and not root: run this script as root" >&2
    exit 1
  fi
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo[@]}" debconf-set-selections
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
