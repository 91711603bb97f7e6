#!/bin/sh
# ci/libvirtd.sh - one libvirtd for a whole test session (make test-vm).
#
#   ci/libvirtd.sh start   if qemu:///system does not answer, start virtlogd and
#                          libvirtd (daemonized) and record their PIDs in
#                          /run/halab/session-libvirtd/; otherwise do nothing
#   ci/libvirtd.sh stop    end only the daemons that `start` recorded, by PID
#
# Without it every `hasim run --backend libvirt` starts and stops its own
# libvirtd (sim/backend/libvirt_conn.c), which costs seconds per scenario.
set -eu
state=/run/halab/session-libvirtd
answers() { timeout 5 virsh -c qemu:///system version > /dev/null 2>&1; }
case "${1:-}" in
start)
	if answers; then
		echo "libvirtd: qemu:///system answers; using it"
		exit 0
	fi
	mkdir -p /var/log/libvirt /var/run/libvirt "$state"
	virtlogd -d -p "$state/virtlogd.pid"
	libvirtd -d -p "$state/libvirtd.pid"
	for _ in $(seq 1 100); do answers && break; sleep 0.1; done
	answers || { echo "libvirtd: did not answer" >&2; exit 1; }
	echo "libvirtd: started (pids $(cat "$state/libvirtd.pid") $(cat "$state/virtlogd.pid"))"
	;;
stop)
	for daemon in libvirtd virtlogd; do
		pidfile="$state/$daemon.pid"
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile")
		if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "$daemon"; then
			kill "$pid"
			for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
			[ -d "/proc/$pid" ] && kill -9 "$pid"
		fi
		rm -f "$pidfile"
	done
	rmdir "$state" 2>/dev/null || true
	;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
