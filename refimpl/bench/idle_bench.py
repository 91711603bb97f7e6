#!/usr/bin/python3
"""idle_bench.py - what a formed, idle hanode pair costs: CPU and RSS per node.

Two hanode processes in network namespaces (refimpl/tests/hnlab.py) with
hanode's own defaults (heartbeat 200 ms, dead time 1000 ms, health every
1000 ms, no ping targets, no hooks: only what the lab needs to name the
nodes and their links), formed; then for --seconds (default 60) both are
measured at once:
  cpu_percent        utime+stime from /proc/PID/stat (clock ticks, as top
                     shows it) over the window
  cpu_percent_exact  the scheduler's on-CPU time from /proc/PID/schedstat
                     (nanoseconds: the tick count above is 1/100 s coarse)
  wakeups_per_s      voluntary context switches per second (/proc/PID/status:
                     each is one sleep in ppoll that ended)
  rss_kib            VmRSS at the end
With --ping, the lab's client address is the ping target (one ICMP round a
second); --timers H/D sets heartbeat_interval_ms H and dead_time_ms D (what
faster defaults would cost idle). Target: <= 0.1 % CPU per node at defaults (issue 16 section 4).
Prints one JSON object. Needs root.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import hnlab  # noqa: E402
from hnlab import Lab, formed, wait_until  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def sample(pid):
    with open("/proc/%d/stat" % pid) as file:
        fields = file.read().rsplit(")", 1)[1].split()
    with open("/proc/%d/schedstat" % pid) as file:
        on_cpu_ns = int(file.read().split()[0])
    switches = rss = 0
    with open("/proc/%d/status" % pid) as file:
        for line in file:
            if line.startswith("voluntary_ctxt_switches:"):
                switches = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return {"ticks": int(fields[11]) + int(fields[12]), "on_cpu_ns": on_cpu_ns,
            "switches": switches, "rss_kib": rss, "at": time.monotonic()}


def measure(seconds, ping, timers=None):
    """{node name: figures} of a formed pair idling for seconds."""
    overrides = {key: None for key in hnlab.FAST_TIMERS}  # hanode's own defaults
    overrides.update(services_start=None, services_stop=None, services_status=None,
                     notify_command=None)
    if not ping:
        overrides["ping_targets"] = None
    if timers:
        overrides["heartbeat_interval_ms"], overrides["dead_time_ms"] = timers
    lab = Lab()
    try:
        for node in lab.nodes.values():
            node.write_config(**overrides)
            node.start()
        wait_until(lambda: formed(lab), 30, message="cluster formed")
        time.sleep(3)  # the resync and the first health rounds are not idle
        # `ip netns exec` execs hanode: the process is hanode itself
        pids = {node.name: node.process.pid for node in lab.nodes.values()}
        before = {name: sample(pid) for name, pid in pids.items()}
        time.sleep(seconds)
        result = {}
        for name, pid in pids.items():
            after, first = sample(pid), before[name]
            wall = after["at"] - first["at"]
            result[name] = {
                "cpu_percent": round(100.0 * (after["ticks"] - first["ticks"]) / TICKS / wall, 3),
                "cpu_percent_exact": round(
                    100.0 * (after["on_cpu_ns"] - first["on_cpu_ns"]) / 1e9 / wall, 4),
                "wakeups_per_s": round((after["switches"] - first["switches"]) / wall, 1),
                "rss_kib": after["rss_kib"]}
        return result
    finally:
        lab.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--ping", action="store_true", help="one ping target (the lab's client)")
    parser.add_argument("--timers", metavar="H/D", help="heartbeat and dead time, ms")
    arguments = parser.parse_args()
    timers = None
    if arguments.timers:
        try:
            timers = tuple(int(v) for v in arguments.timers.split("/"))
            if len(timers) != 2:
                raise ValueError
        except ValueError:
            parser.error(f"--timers {arguments.timers}: expected H/D, two numbers of ms")
    if os.geteuid() != 0:
        sys.exit("idle_bench: needs root (network namespaces)")
    nodes = measure(arguments.seconds, arguments.ping, timers)
    with open("/proc/loadavg") as load:
        load_average = float(load.read().split()[0])
    print(json.dumps({
        "seconds": arguments.seconds, "ping_targets": 1 if arguments.ping else 0,
        "timers": arguments.timers or "defaults",
        "nodes": nodes,
        "max_cpu_percent": max(n["cpu_percent"] for n in nodes.values()),
        "max_cpu_percent_exact": max(n["cpu_percent_exact"] for n in nodes.values()),
        "max_rss_mib": round(max(n["rss_kib"] for n in nodes.values()) / 1024.0, 2),
        "target_cpu_percent": 0.1, "load_average": load_average}))


if __name__ == "__main__":
    main()
