#!/usr/bin/env bash
# The ABI of our libibverbs.so.1 is rdma-core 44's: every name with the same
# version, default (@@) or compat (@), as libibverbs.map records it, and as
# the installed rdma-core library has it when present. Nothing more exported.
#   tests/compat/abi_symbols.sh OUR_LIBIBVERBS.so LIBIBVERBS.MAP
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OUR_LIB MAP" >&2; exit 2; }
ours=$1 map=$2

# "name@@NODE" / "name@NODE" for every defined, versioned dynamic symbol (version nodes excluded).
dynsyms() { readelf --dyn-syms -W "$1" | awk '$7 != "UND" && $8 ~ /@/ {print $8}' | sort -u; }
# The same list from the map: listed names are defaults, "compat:" comments compat versions.
from_map() {
	awk '/^[A-Z]/ {node = $1}
	     /^\t\t[A-Za-z_]/ {n = $1; sub(/;$/, "", n); print n "@@" node}
	     /compat: / {print $3}' "$1" | sort -u
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dynsyms "$ours" >"$tmp/ours"
from_map "$map" >"$tmp/map"
rc=0
if ! diff -u "$tmp/map" "$tmp/ours" >"$tmp/diff"; then
	echo "abi_symbols: FAIL: the library's symbols differ from $map (- missing, + extra):"
	grep '^[-+][^-+]' "$tmp/diff"
	rc=1
fi
real=$(ldconfig -p | awk '/libibverbs\.so\.1 .*x86-64/ {print $NF; exit}')
if [ -n "$real" ] && [ "$(readlink -f "$real")" != "$(readlink -f "$ours")" ]; then
	dynsyms "$real" >"$tmp/real"
	if ! diff -u "$tmp/real" "$tmp/ours" >"$tmp/diff"; then
		echo "abi_symbols: FAIL: the library's symbols differ from the installed $real (- missing, + extra):"
		grep '^[-+][^-+]' "$tmp/diff"
		rc=1
	fi
fi
[ $rc -eq 0 ] && echo "abi_symbols: ok, $(wc -l <"$tmp/ours") versioned symbols as rdma-core 44${real:+ (checked against $real)}"
exit $rc
