#!/usr/bin/python3
"""failover_bench.py - how fast does hanode fail over, and what does it cost idle?

Two real hanode processes run in network namespaces (the lab of
refimpl/tests/hnlab.py). One run: wait until the cluster is formed and the
cluster IP answers, then "pull the power" of the active node: SIGKILL its
hanode and, at the same instant, take both of its switch ports down (a dead
machine neither answers ARP for the cluster IP it held nor sends anything).
The failover time is measured from that instant until BOTH the standby
reports itself active (hactl status) AND a TCP connect to the cluster IP's
port 7000 from the client side succeeds. Then the dead node's ports come
back, its hanode restarts (it joins as standby: no failback), and the next
run kills the new active.

Runs >= 20 times at the default timers (heartbeat 200 ms, dead time 1000 ms)
and >= 20 times at the fastest timers we consider safe on a loaded two-core
machine (heartbeat 50 ms, dead time 250 ms: five missed heartbeats), then
measures an idle formed node's RSS (VmRSS) and CPU over 10 s.

Writes reports/bench-refimpl.json (or --output) and prints it.
Needs root; HALAB_BIN points at hanode/hactl (default build/bin).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import hnlab  # noqa: E402  (the lab lives there, shared with the tests)
from hnlab import CLUSTER_IP, Lab, formed, wait_until  # noqa: E402

DEFAULT_TIMERS = {"heartbeat_interval_ms": 200, "dead_time_ms": 1000,
                  "wait_for_peer_ms": 10000, "health_interval_ms": 1000,
                  "ping_timeout_ms": 500}
FAST_TIMERS = {"heartbeat_interval_ms": 50, "dead_time_ms": 250, "wait_for_peer_ms": 1000,
               "health_interval_ms": 200, "ping_timeout_ms": 100}

PROBER = r"""
import socket, sys, time
for line in sys.stdin:
    while True:
        try:
            socket.create_connection((sys.argv[1], 7000), timeout=0.05).close()
            break
        except OSError:
            time.sleep(0.002)
    print(time.monotonic(), flush=True)
"""


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def start_prober(lab):
    return subprocess.Popen(["ip", "netns", "exec", lab.switch, hnlab.PYTHON, "-c", PROBER,
                             CLUSTER_IP], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


def probe(prober):
    """Time (monotonic) at which the cluster IP accepted a TCP connection."""
    prober.stdin.write("go\n")
    prober.stdin.flush()
    return float(prober.stdout.readline())


def power_off(lab, node):
    node.kill()
    lab.link(node.node_id, "sync", False)
    lab.link(node.node_id, "external", False)


def power_on(lab, node):
    lab.link(node.node_id, "sync", True)
    lab.link(node.node_id, "external", True)
    node.start()


def one_failover(lab, prober, timers):
    wait_until(lambda: formed(lab), 30, message="cluster formed")
    probe(prober)
    letters = formed(lab)
    active = lab.nodes[1] if letters[0] == "M" else lab.nodes[2]
    standby = lab.nodes[3 - active.node_id]
    # Let the standby finish any resync so every run starts from the same state.
    wait_until(lambda: standby.status()["node"]["data"] == "in sync", 30, message="in sync")
    killed_at = time.monotonic()
    power_off(lab, active)
    active_at = wait_until(lambda: standby.role() == "M" and time.monotonic(),
                           timers["dead_time_ms"] / 1000.0 * 10 + 5, interval_s=0.005,
                           message="standby active")
    answered_at = probe(prober)
    power_on(lab, active)
    return max(active_at, answered_at) - killed_at


def dump(lab):
    """What the nodes say, for a run that went wrong."""
    for node in lab.nodes.values():
        sys.stderr.write("== %s status: %s\n" % (node.name, node.hactl("status").stdout))
        for record in node.records()[-12:]:
            sys.stderr.write("   %s\n" % json.dumps(record))


def failover_series(runs, timers):
    lab = Lab()
    prober = None
    try:
        for node in lab.nodes.values():
            node.write_config(**timers)
            node.start()
        prober = start_prober(lab)
        times = [one_failover(lab, prober, timers) for _ in range(runs)]
    except AssertionError:
        dump(lab)
        raise
    finally:
        if prober:
            prober.kill()
            prober.wait()
        lab.close()
    return {"timers": timers, "runs": runs,
            "median_s": round(statistics.median(times), 3),
            "p95_s": round(percentile(times, 0.95), 3),
            "min_s": round(min(times), 3), "max_s": round(max(times), 3),
            "all_s": [round(value, 3) for value in times]}


def process_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_kib(pid):
    with open("/proc/%d/status" % pid) as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_cost(seconds):
    lab = Lab()
    try:
        for node in lab.nodes.values():
            node.write_config(**DEFAULT_TIMERS)
            node.start()
        wait_until(lambda: formed(lab), 30, message="cluster formed")
        time.sleep(2)
        result = {}
        for node in lab.nodes.values():
            pid = node.process.pid
            cpu_before, wall_before = process_cpu_s(pid), time.monotonic()
            time.sleep(seconds / 2.0)
            cpu = process_cpu_s(pid) - cpu_before
            wall = time.monotonic() - wall_before
            result[node.name + "_" + {"M": "active", "S": "standby"}[node.role()]] = {
                "rss_kib": process_rss_kib(pid),
                "cpu_percent": round(100.0 * cpu / wall, 3)}
        return {"seconds": seconds, "nodes": result,
                "max_rss_mib": round(max(v["rss_kib"] for v in result.values()) / 1024.0, 2),
                "max_cpu_percent": max(v["cpu_percent"] for v in result.values())}
    finally:
        lab.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--output", default=os.path.join(hnlab.REPO, "reports",
                                                         "bench-refimpl.json"))
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("failover_bench: needs root (network namespaces)")
    report = {
        "bench": "refimpl failover",
        "method": "SIGKILL of the active + its switch ports down; until the standby is "
                  "active and a TCP connect to the cluster IP:7000 succeeds",
        "default": failover_series(arguments.runs, DEFAULT_TIMERS),
        "fast": failover_series(arguments.runs, FAST_TIMERS),
        "idle": idle_cost(arguments.idle_seconds),
        "targets": {"default_median_s": 1.5, "idle_rss_mib": 8},
    }
    report["pass"] = (report["default"]["median_s"] <= 1.5
                      and report["idle"]["max_rss_mib"] <= 8)
    os.makedirs(os.path.dirname(arguments.output), exist_ok=True)
    with open(arguments.output, "w") as file:
        json.dump(report, file, indent=2)
        file.write("\n")
    print(json.dumps(report, indent=2))
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sys.exit(main())
