#!/usr/bin/env bash
# interop.tshark_opcodes: does a third-party dissector (tshark's InfiniBand
# dissector, RoCE v2 on UDP 4791 and RoCE v1 on ethertype 0x8915) read our
# frames as we meant them?
#
# usage: tshark_check.sh PATH/TO/gen_opcode_pcap
#
# Fails on a frame tshark marks malformed or with an expert warning/error, a
# frame count mismatch, or an opcode/DQPN/PSN/ICRC/AETH syndrome that differs
# from the generator's .expect file. tshark 4.0 does not verify the ICRC (it
# has no ICRC status field), so the check is that its "Invariant CRC" is the
# value we computed, which proves where the ICRC sits.
set -euo pipefail

gen=${1:?usage: tshark_check.sh PATH/TO/gen_opcode_pcap}
tshark=${TSHARK:-tshark}

if ! command -v "$tshark" >/dev/null 2>&1; then
	echo "FAIL: tshark not found (needed by interop.tshark_opcodes): run the setup script (scripts/install-deps.sh), which installs it, then re-run cmake" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$gen" "$tmp/opcodes.pcap" "$tmp/opcodes.expect" >"$tmp/gen.out"; then
	echo "FAIL: $gen could not build or parse back its frames (see above)" >&2
	exit 1
fi

# An empty config dir: the user's own preferences must not change the result.
mkdir "$tmp/wireshark"
export WIRESHARK_CONFIG_DIR="$tmp/wireshark"

# --disable-heuristic rpcrdma_infiniband: the RPC-over-RDMA guesser reads
#   bytes 0..15 of every RC SEND payload before checking its length, so any
#   valid SEND_ONLY/SEND_LAST(_INV) with 1..15 payload bytes is reported
#   "Malformed Packet: RPCoRDMA" (packet_is_rpcordma(), Wireshark 4.0).
# udp.ignore_ipv6_zero_checksum: RoCE v2 sends UDP checksum 0 over IPv6 too
#   (as Linux rxe and RoCE NICs do); the ICRC covers the packet instead.
fields=(frame.number frame.protocols _ws.malformed _ws.expert.severity
	infiniband.bth.opcode infiniband.bth.destqp infiniband.bth.psn
	infiniband.invariant.crc infiniband.aeth.syndrome infiniband.vendor
	_ws.expert.message)
args=()
for f in "${fields[@]}"; do args+=(-e "$f"); done
# stderr carries only the "Running as user root" notice; a real failure shows in the exit status.
if ! "$tshark" -n -r "$tmp/opcodes.pcap" \
	-o infiniband.rroce.port:4791 \
	-o udp.ignore_ipv6_zero_checksum:TRUE \
	--disable-heuristic rpcrdma_infiniband \
	-T fields -E separator='|' -E occurrence=a -E aggregator=, \
	"${args[@]}" >"$tmp/tshark.out" 2>"$tmp/tshark.err"; then
	grep -v 'Running as user' "$tmp/tshark.err" >&2 || true
	echo "FAIL: tshark could not read the generated pcap" >&2
	exit 1
fi

# A number as tshark or the .expect file writes it (0x hex or decimal), in decimal.
num() {
	local v=$1
	if [[ $v =~ ^0[xX][0-9a-fA-F]+$ ]]; then
		echo $((16#${v:2}))
	elif [[ $v =~ ^[0-9]+$ ]]; then
		echo $((10#$v))
	else
		echo "'$v'"
	fi
}

mapfile -t expect < <(grep -v '^[[:space:]]*#' "$tmp/opcodes.expect")
mapfile -t got <"$tmp/tshark.out"

fail=0
bad() {
	echo "FAIL: frame $1 ($2): $3" >&2
	fail=1
}

if [[ ${#got[@]} -ne ${#expect[@]} ]]; then
	echo "FAIL: frame count: tshark read ${#got[@]} frames, the generator wrote ${#expect[@]}" >&2
	exit 1
fi

raw_icrc=0
for i in "${!expect[@]}"; do
	line=${expect[$i]}
	name=${line#*# }
	[[ $line == *'#'* ]] || name="?"
	read -r e_frame e_op e_qp e_psn e_icrc e_syn <<<"${line%%#*}"
	e_syn=${e_syn:-}
	IFS='|' read -r frame protos malformed severity op qp psn icrc syn vendor msg <<<"${got[$i]}"

	if [[ $frame != "$e_frame" ]]; then
		bad "$e_frame" "$name" "tshark's line $((i + 1)) is frame '$frame'"
		continue
	fi
	if [[ $protos != *:infiniband* ]]; then
		bad "$frame" "$name" "not dissected as InfiniBand (protocols: $protos)"
		continue
	fi
	if [[ -n $malformed ]]; then
		bad "$frame" "$name" "malformed: $malformed (protocols: $protos)"
	fi
	# Expert severities: 0x600000 warning, 0x800000 error.
	for s in ${severity//,/ }; do
		if (($(num "$s") >= 0x600000)); then
			bad "$frame" "$name" "expert info severity $s: $msg"
			break
		fi
	done
	[[ $(num "$op") == $(num "$e_op") ]] ||
		bad "$frame" "$name" "infiniband.bth.opcode is '$op', expected $e_op"
	[[ $(num "$qp") == $(num "$e_qp") ]] ||
		bad "$frame" "$name" "infiniband.bth.destqp is '$qp', expected $e_qp"
	[[ $(num "$psn") == $(num "$e_psn") ]] ||
		bad "$frame" "$name" "infiniband.bth.psn is '$psn', expected $e_psn"
	how=""
	if [[ -n $icrc ]]; then
		[[ $(num "$icrc") == $(num "$e_icrc") ]] ||
			bad "$frame" "$name" "infiniband.invariant.crc is '$icrc', expected $e_icrc"
	elif [[ -n $vendor ]]; then
		# An opcode this tshark does not know (FLUSH, ATOMIC_WRITE, CNP in 4.0):
		# everything after the BTH is raw data, so the ICRC is its last 4 bytes.
		tail=${vendor##*,}
		tail=0x${tail: -8}
		[[ $(num "$tail") == $(num "$e_icrc") ]] ||
			bad "$frame" "$name" "last 4 bytes of infiniband.vendor (opcode unknown to tshark) are $tail, expected ICRC $e_icrc"
		how=" (raw tail: opcode unknown to tshark)"
		raw_icrc=$((raw_icrc + 1))
	else
		bad "$frame" "$name" "tshark shows no infiniband.invariant.crc, expected $e_icrc"
	fi
	if [[ -n $e_syn || -n $syn ]]; then
		[[ $(num "$syn") == $(num "${e_syn:-none}") ]] ||
			bad "$frame" "$name" "infiniband.aeth.syndrome is '${syn:-absent}', expected ${e_syn:-none}"
	fi
	printf 'frame %2s %-40s opcode %3s dqpn %s psn %8s icrc %s%s%s\n' "$frame" "$name" "$op" "$qp" "$psn" \
		"$e_icrc" "${syn:+ aeth $syn}" "$how"
done

if ((fail)); then
	echo "FAIL: tshark disagrees with the generator (see above)" >&2
	exit 1
fi
echo "OK: ${#expect[@]} frames match tshark's dissection ($raw_icrc ICRCs checked as raw data)"
