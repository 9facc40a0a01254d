# Shared by the integration scripts (sourced): the work folder and its
# cleanup, the IB MTU of a netdev MTU, and attaching the impairment classifier.
# The sourcing script sets server_pid, client_pid and netns_name as it goes;
# the EXIT trap kills the tools, removes the namespaces and the work folder.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/netns.sh"

workdir=$(mktemp -d)
server_pid=
client_pid=
netns_name=

# it_cleanup_on_exit NAME SIGNAL: NAME for messages; <NAME>_KEEP=1 keeps the outputs.
it_cleanup_on_exit() {
	IT_NAME=$1
	IT_KILL_SIGNAL=$2
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM
}

it_cleanup() {
	local pid keep_var
	for pid in $client_pid $server_pid; do
		kill "-$IT_KILL_SIGNAL" "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	[ -z "$netns_name" ] || netns_down "$netns_name"
	keep_var=$(echo "${IT_NAME}_KEEP" | tr '[:lower:]' '[:upper:]')
	if [ -n "${!keep_var:-}" ]; then echo "$IT_NAME: outputs kept in $workdir"; else rm -rf "$workdir"; fi
}

# ib_mtu NETDEV_MTU: the IB MTU rxe uses on it: (MTU - 80) rounded down to a power of two, 0 if none.
ib_mtu() {
	local avail=$(($1 - 80)) m
	for m in 4096 2048 1024 512 256; do
		if [ "$avail" -ge "$m" ]; then
			echo "$m"
			return
		fi
	done
	echo 0
}

# impair_attach NS DEV OBJ [segment]: the classifier OBJ on DEV's ingress in NS,
# passing everything until its rates are set (impair_ctl ID set ...); prints its
# program id. With "segment", DEV's own UDP GSO is turned off so that the peer's
# ingress sees datagrams, not GSO batches. Status 2: this kernel cannot (skip);
# 1: failed. tc's message is in $workdir/tc.err.
impair_attach() {
	local ns=$1 dev=$2 obj=$3 id
	if [ "${4:-}" = segment ]; then
		ip -n "$ns" link set dev "$dev" gso_max_segs 1 2>"$workdir/tc.err" || return 2
	fi
	tc -n "$ns" qdisc add dev "$dev" clsact 2>"$workdir/tc.err" || return 2
	tc -n "$ns" filter add dev "$dev" ingress bpf da obj "$obj" sec impair 2>"$workdir/tc.err" || return 1
	id=$(tc -n "$ns" filter show dev "$dev" ingress | sed -n 's/.* id \([0-9][0-9]*\) .*/\1/p' | head -n 1)
	[ -n "$id" ] || { echo "no program id in tc's filter list" >"$workdir/tc.err"; return 1; }
	echo "$id"
}
