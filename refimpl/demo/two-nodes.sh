#!/bin/sh
# refimpl/demo/two-nodes.sh - run two hanode processes by hand, in two network
# namespaces joined by two veth pairs (sync and external), as README shows.
#
#   refimpl/demo/two-nodes.sh start    namespaces demo1/demo2, configs, key, both daemons
#   refimpl/demo/two-nodes.sh status   hactl status of both nodes
#   refimpl/demo/two-nodes.sh stop     stop the daemons, remove everything it made
#   refimpl/demo/two-nodes.sh key FILE write a new cluster key to FILE (mode 0600)
#
# Everything lives in /tmp/halab-demo (configs, key, logs, sockets, data).
# Needs root and `make all` (binaries in build/bin, or $HALAB_BIN).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${HALAB_BIN:-$top/build/bin}
dir=/tmp/halab-demo

config() { # config N PEER
	cat <<CONF
node_id = $1
name = node$1
model = rack1
firmware = 2.3.1
sync_interface = s$1
sync_address = 198.51.100.$1
sync_peer = 198.51.100.$2
external_interface = e$1
external_address = 192.0.2.1$1
external_peer = 192.0.2.1$2
key_file = $dir/cluster.key
cluster_ip = 192.0.2.10/24
cluster_ip_interface = e$1
tiebreaker = none
wait_for_peer_ms = 3000
log_file = $dir/node$1.log
control_socket = $dir/node$1.sock
data_dir = $dir/data$1
CONF
}

# A new cluster key, readable by its owner only (hanode refuses anything else).
write_key() { # write_key FILE
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1" && echo >> "$1")
}

case "${1:-}" in
key)
	[ $# -eq 2 ] || { echo "usage: $0 key FILE" >&2; exit 2; }
	write_key "$2"
	;;
start)
	mkdir -p "$dir"
	for n in 1 2; do ip netns add demo$n; ip -n demo$n link set lo up; done
	ip link add s1 netns demo1 type veth peer name s2 netns demo2
	ip link add e1 netns demo1 type veth peer name e2 netns demo2
	for n in 1 2; do
		ip -n demo$n addr add 198.51.100.$n/24 dev s$n
		ip -n demo$n link set s$n up
		ip -n demo$n addr add 192.0.2.1$n/24 dev e$n
		ip -n demo$n link set e$n up
	done
	write_key "$dir/cluster.key"
	config 1 2 > "$dir/node1.conf"
	config 2 1 > "$dir/node2.conf"
	for n in 1 2; do
		ip netns exec demo$n "$bin/hanode" -c "$dir/node$n.conf" -f > "$dir/node$n.out" 2>&1 &
		echo $! > "$dir/node$n.pid"
	done
	sleep 1
	"$0" status
	;;
status)
	for n in 1 2; do "$bin/hactl" -s "$dir/node$n.sock" status || true; done
	;;
stop)
	for n in 1 2; do
		[ -f "$dir/node$n.pid" ] && kill "$(cat "$dir/node$n.pid")" 2>/dev/null || true
	done
	sleep 1
	for n in 1 2; do ip netns del demo$n 2>/dev/null || true; done
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|status|stop|key FILE" >&2
	exit 2
	;;
esac
