#!/usr/bin/env bash
# Two network namespaces joined by a veth pair, for tests and benchmarks that
# need a real (but private) network path.
#
# As a command:
#   scripts/netns.sh up   [NAME] [MTU]    create (replacing a stray one of the same NAME)
#   scripts/netns.sh down [NAME]          remove; idempotent, safe on a half-created pair
#   scripts/netns.sh exec NAME a|b CMD... run CMD in side a or b
#   scripts/netns.sh show [NAME]          print the variables below
# As a library (bash): . scripts/netns.sh; then
#   netns_up NAME [MTU]; netns_exec a|b CMD...; netns_down NAME
# netns_up and netns_vars set:
#   NETNS_NAME NETNS_N NETNS_MTU
#   NETNS_A NETNS_B               namespace names: uroce-NAME-a, uroce-NAME-b
#   NETNS_IF_A NETNS_IF_B         veth ends: uroce-a (in A), uroce-b (in B)
#   NETNS_ADDR_A NETNS_ADDR_B     10.77.N.1, 10.77.N.2 (/24)
#   NETNS_ADDR6_A NETNS_ADDR6_B   fd77:N::1, fd77:N::2 (/64, nodad)
# Return/exit status 2 means "cannot run here" (not root, no ip(8), no netns
# support): tests turn it into a skip.
#
# Nothing is created in the calling namespace: the veth pair is born inside
# the two namespaces, which have no route out, so traffic cannot leave them.
# N is derived from NAME (or NETNS_N) so that parallel runs with different
# names get different subnets; since each pair lives in its own namespaces,
# even a collision of N would not mix their traffic.

NETNS_DEFAULT_NAME=${NETNS_DEFAULT_NAME:-default}
NETNS_DEFAULT_MTU=1500

netns__err() { printf 'netns.sh: %s\n' "$*" >&2; }

# Status 2 when this machine or user cannot create namespaces.
netns_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		netns__err "root is required to create network namespaces (run as root or with sudo)"
		return 2
	fi
	if ! command -v ip >/dev/null 2>&1; then
		netns__err "ip(8) from iproute2 is required"
		return 2
	fi
	return 0
}

# Set the NETNS_* variables for NAME without touching the system.
netns_vars() {
	local name=${1:-$NETNS_DEFAULT_NAME}
	# Namespace names become file names under /run/netns; keep them plain.
	case $name in
	'' | *[!A-Za-z0-9_.-]*)
		netns__err "bad name '$name': use letters, digits, '.', '_' and '-'"
		return 1
		;;
	esac
	if [ ${#name} -gt 40 ]; then
		netns__err "name '$name' is longer than 40 characters"
		return 1
	fi
	local n=${NETNS_N:-}
	if [ -z "$n" ]; then
		local sum
		sum=$(printf '%s' "$name" | cksum)
		n=$(( ${sum%% *} % 254 + 1 ))
	elif ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 254 ]; then
		netns__err "NETNS_N must be 1..254"
		return 1
	fi
	NETNS_NAME=$name
	NETNS_N=$n
	NETNS_A=uroce-$name-a
	NETNS_B=uroce-$name-b
	NETNS_IF_A=uroce-a
	NETNS_IF_B=uroce-b
	NETNS_ADDR_A=10.77.$n.1
	NETNS_ADDR_B=10.77.$n.2
	# N is decimal; its digits are valid hex, and distinct N give distinct prefixes.
	NETNS_ADDR6_A=fd77:$n::1
	NETNS_ADDR6_B=fd77:$n::2
	NETNS_MTU=${NETNS_MTU:-$NETNS_DEFAULT_MTU}
}

netns__exists() { [ -e "/run/netns/$1" ]; }

# Stop what still runs inside namespace $1 (only processes in it, by pid), so
# that deleting it really frees the veth pair.
netns__kill_inside() {
	local ns=$1 pids pid _
	pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
	[ -n "$pids" ] || return 0
	for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
}

# Remove both namespaces of NAME (and with them the veth pair). Never fails on
# missing pieces, so it can run from a trap at any point of netns_up.
netns_down() {
	netns_vars "${1:-${NETNS_NAME:-$NETNS_DEFAULT_NAME}}" || return 1
	local ns
	for ns in "$NETNS_A" "$NETNS_B"; do
		if netns__exists "$ns"; then
			netns__kill_inside "$ns"
			ip netns del "$ns" 2>/dev/null || netns__err "could not delete namespace $ns"
		fi
	done
	return 0
}

# Create uroce-NAME-a and uroce-NAME-b joined by a veth pair of the given MTU,
# addresses assigned and links up. A leftover pair of the same NAME is removed
# first. On failure, whatever was created is removed again.
netns_up() {
	netns_require_root || return 2
	local mtu=${2:-$NETNS_DEFAULT_MTU}
	if ! [[ $mtu =~ ^[0-9]+$ ]] || [ "$mtu" -lt 1280 ] || [ "$mtu" -gt 65535 ]; then
		# 1280: the IPv6 minimum, so both address families always work.
		netns__err "MTU must be 1280..65535, not '$mtu'"
		return 1
	fi
	NETNS_MTU=$mtu
	netns_vars "${1:-$NETNS_DEFAULT_NAME}" || return 1
	NETNS_MTU=$mtu
	netns_down "$NETNS_NAME"
	if ! ip netns add "$NETNS_A" 2>/dev/null; then
		netns__err "cannot create network namespace $NETNS_A (no netns support or not permitted here)"
		netns_down "$NETNS_NAME"
		return 2
	fi
	if ! netns__setup; then
		netns__err "setting up $NETNS_A <-> $NETNS_B failed; removed again"
		netns_down "$NETNS_NAME"
		return 1
	fi
	return 0
}

netns__setup() {
	set -- "$NETNS_A" "$NETNS_B"
	ip netns add "$2" &&
		ip link add name "$NETNS_IF_A" netns "$1" mtu "$NETNS_MTU" type veth \
			peer name "$NETNS_IF_B" netns "$2" mtu "$NETNS_MTU" &&
		ip -n "$1" link set lo up &&
		ip -n "$2" link set lo up &&
		ip -n "$1" addr add "$NETNS_ADDR_A/24" dev "$NETNS_IF_A" &&
		ip -n "$2" addr add "$NETNS_ADDR_B/24" dev "$NETNS_IF_B" &&
		ip -n "$1" -6 addr add "$NETNS_ADDR6_A/64" dev "$NETNS_IF_A" nodad &&
		ip -n "$2" -6 addr add "$NETNS_ADDR6_B/64" dev "$NETNS_IF_B" nodad &&
		ip -n "$1" link set "$NETNS_IF_A" up &&
		ip -n "$2" link set "$NETNS_IF_B" up &&
		netns__wait_carrier
}

# veth reports carrier once both ends are up; wait for it (briefly) so the
# first packet of a test is not lost to a link still coming up.
netns__wait_carrier() {
	local _
	for _ in $(seq 1 50); do
		if ip -n "$NETNS_A" link show "$NETNS_IF_A" | grep -q 'state UP' &&
			ip -n "$NETNS_B" link show "$NETNS_IF_B" | grep -q 'state UP'; then
			return 0
		fi
		sleep 0.02
	done
	netns__err "veth link did not come up"
	return 1
}

# Change the MTU of both veth ends of the current pair.
netns_set_mtu() {
	ip -n "$NETNS_A" link set "$NETNS_IF_A" mtu "$1" &&
		ip -n "$NETNS_B" link set "$NETNS_IF_B" mtu "$1" &&
		NETNS_MTU=$1
}

# netns_exec a|b CMD...: run CMD in side a or b of the current pair (the last
# netns_up or netns_vars).
netns_exec() {
	local side=$1
	shift
	case $side in
	a) ip netns exec "$NETNS_A" "$@" ;;
	b) ip netns exec "$NETNS_B" "$@" ;;
	*)
		netns__err "side must be a or b, not '$side'"
		return 1
		;;
	esac
}

netns_show() {
	local v
	for v in NETNS_NAME NETNS_N NETNS_MTU NETNS_A NETNS_B NETNS_IF_A NETNS_IF_B \
		NETNS_ADDR_A NETNS_ADDR_B NETNS_ADDR6_A NETNS_ADDR6_B; do
		printf '%s=%s\n' "$v" "${!v}"
	done
}

netns__main() {
	local cmd=${1:-}
	shift || true
	case $cmd in
	up)
		netns_up "${1:-$NETNS_DEFAULT_NAME}" "${2:-$NETNS_DEFAULT_MTU}" || exit $?
		netns_show
		;;
	down)
		netns_require_root || exit 2
		netns_down "${1:-$NETNS_DEFAULT_NAME}" || exit $?
		;;
	exec)
		[ $# -ge 3 ] || { netns__err "usage: netns.sh exec NAME a|b CMD..."; exit 1; }
		netns_require_root || exit 2
		netns_vars "$1" || exit 1
		shift
		netns_exec "$@"
		;;
	show)
		netns_vars "${1:-$NETNS_DEFAULT_NAME}" || exit 1
		netns_show
		;;
	*)
		echo "usage: $0 up [NAME] [MTU] | down [NAME] | exec NAME a|b CMD... | show [NAME]" >&2
		exit 1
		;;
	esac
}

# Run as a command only when executed, not when sourced.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	netns__main "$@"
fi
