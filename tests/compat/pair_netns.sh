# Shared by the compat scripts (sourced): two network namespaces joined by
# veth, the GID index uroce reports on each side, and one server/client run
# of a Debian verbs program through uroce-run. The sourcing script sets
# NAME (for messages), run (uroce-run) and SKIP before sourcing.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../scripts/netns.sh"

workdir=$(mktemp -d)
server_pid=
pair_name=
pair_cleanup() {
	[ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
	[ -z "$pair_name" ] || netns_down "$pair_name"
	rm -rf "$workdir"
}
trap pair_cleanup EXIT

# pair_up NS_NAME MTU: the namespaces, or exit (77 when they cannot be made here).
pair_up() {
	pair_name=$1
	netns_up "$1" "$2"
	case $? in
	0) ;;
	2) echo "$NAME: SKIP: network namespaces cannot be created here"; exit "$SKIP" ;;
	*) echo "$NAME: FAIL: setting up the network namespaces failed"; exit 1 ;;
	esac
}

# The index of ::ffff:ADDR in the GID table uroce shows on side SIDE's interface.
gid_index() {
	netns_exec "$1" env UROCE_IFNAME="$2" timeout 20 "$run" ibv_devinfo -v |
		awk -v g="::ffff:$3," '$1 ~ /^GID\[/ && $3 == g {i = $0; sub(/^[^[]*\[ */, "", i); sub(/\].*/, "", i); print i; exit}'
}

# pair_gids: gid_a, gid_b for the two sides' IPv4 addresses, or exit.
pair_gids() {
	gid_a=$(gid_index a "$NETNS_IF_A" "$NETNS_ADDR_A")
	gid_b=$(gid_index b "$NETNS_IF_B" "$NETNS_ADDR_B")
	if [ -z "$gid_a" ] || [ -z "$gid_b" ]; then
		echo "$NAME: FAIL: ibv_devinfo -v shows no GID for $NETNS_ADDR_A / $NETNS_ADDR_B"
		exit 1
	fi
	port=$((20000 + $$ % 20000))
}

# pair_run GID_FLAG TIMEOUT TOOL [ARGS...]: the server in side a, the client in
# side b (retrying until the server listens), each bounded by TIMEOUT seconds;
# sets client_rc and server_rc and shows both outputs, indented.
pair_run() {
	local gid_flag=$1 limit=$2 tool=$3
	shift 3
	netns_exec a env UROCE_IFNAME="$NETNS_IF_A" timeout "$limit" "$run" "$tool" "$gid_flag" "$gid_a" -p "$port" "$@" \
		>"$workdir/server.out" 2>&1 &
	server_pid=$!
	client_rc=1
	for _ in $(seq 1 50); do
		netns_exec b env UROCE_IFNAME="$NETNS_IF_B" timeout "$limit" "$run" "$tool" "$gid_flag" "$gid_b" -p "$port" "$@" \
			"$NETNS_ADDR_A" >"$workdir/client.out" 2>&1
		client_rc=$?
		grep -q "Couldn't connect to" "$workdir/client.out" || break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.2
	done
	server_rc=0
	wait "$server_pid" || server_rc=$?
	server_pid=
	sed 's/^/  server: /' "$workdir/server.out"
	sed 's/^/  client: /' "$workdir/client.out"
}
