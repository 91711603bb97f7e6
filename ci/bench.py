"""halab's benchmark (`make bench`): figures for reports/bench.json.

Parts, each skipped with a stated reason when its prerequisite is missing:
  refimpl    failover after SIGKILL of the active (median/p95 over >= 20 runs
             at default and fast timers), idle RSS and CPU of hanode
             (refimpl/bench/failover_bench.py)
  scenarios  wall time of every scenario of the library and of the whole
             library on the native backend
  outage     client-seen outage of active-power-loss, median over >= 10 runs
  vm         boot-to-formed, guest RAM, library wall time on VMs
             (sim/guest/bench_vm.py; only with HALAB_BENCH_VM=1: it takes minutes)
  loop       the runner's loop never waits: the longest wall time between two
             rounds that turned the fabric (run.json's loop_gap_max_ms) during
             a scenario of power cycles, admin commands, a firmware update and
             a crash (loop-stall), and while a control request waits on a node
             whose daemon is stopped (silent-peer: SIGSTOP); native, and the
             VM backend with HALAB_BENCH_VM=1
  virtual    the virtual backend: time acceleration (virtual ms of the run /
             wall ms of the run, run.json's wall_run_ms) on active-power-loss
             and on a 10-minute lossy-sync scenario (target >= 1000x), and the
             whole library's wall time on it (target <= 10 s)
  swarm      hasim swarm's schedules (about 60 virtual seconds each) per minute
             with --jobs 2 and --jobs 1, seed 1, 2000 schedules each, no shrink
             (target >= 1000 per minute with --jobs 2)
  matrix     hasim matrix of the whole library over the shipped model pairings
             with --jobs 2: runs (cells x seeds that apply) per minute on the
             virtual backend, and on the native backend (root; minutes)
  idle       a formed hanode pair at its defaults, idle for 60 s: CPU (from
             /proc/PID/stat, and exact from schedstat), wakeups and RSS per
             node, without and with one ping target (refimpl/bench/idle_bench.py;
             target <= 0.1 % CPU)
  compare    (only with HALAB_BENCH_COMPARE=1: ~15 minutes) hanode at its
             defaults beside keepalived at its defaults (VRRPv2, advert_int 1)
             and at advert_int 0.1 (VRRPv3), same wiring (native, rack1-pair,
             client probing every 10 ms): outage when the active loses power
             and when both its external ports are pulled, median/min/max
             over HALAB_BENCH_COMPARE_RUNS (default 7) runs, the fault at a
             random phase (1.5-2.5 s after formed, drawn from the seed), and
             the ratios keepalived / hanode; flat keys in bench.json such as
             hanode.outage_power_loss_median_ms
  pacemaker  Pacemaker + Corosync (nodes/pacemaker, profiles topology and
             defaults) on the wiring and faults of the hanode/keepalived
             comparison: client outage and failover, median over
             HALAB_BENCH_PACEMAKER_RUNS seeds (default 7) of a power cut
             (sim/tests/adapters/slow-failover.yaml: active-power-loss with
             room for Pacemaker), one external port pulled
             (external-port-pulled.yaml) and the whole external bond pulled
             with a ping target (external-loss-active), through `hasim matrix
             --nodes`; keys pacemaker.<profile>.<scenario>. Only with
             HALAB_BENCH_PACEMAKER=1 (root, Pacemaker installed; ~35 minutes)
Environment: HALAB_BENCH_RUNS (failover runs, default 20), HALAB_BENCH_OUTAGE_RUNS
(default 10), HALAB_BENCH_PARTS (comma list, default all but vm and compare).
"""
import json
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
REPORTS = ROOT / "reports"


def run_hasim(scenario, out, seed=1, backend="native"):
    if out.exists():
        subprocess.run(["rm", "-rf", "--", str(out)], check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    completed = subprocess.run([str(BIN / "hasim"), "run", str(scenario), "--quiet",
                                "--seed", str(seed), "--out", str(out), "--backend", backend],
                               cwd=ROOT, capture_output=True, text=True, timeout=600)
    wall_s = time.monotonic() - started
    result = {}
    result_path = out / "result.json"
    if result_path.exists():
        result = json.loads(result_path.read_text())
    return completed.returncode, wall_s, result


def part_refimpl():
    script = ROOT / "refimpl" / "bench" / "failover_bench.py"
    if not script.exists():
        return {"skipped": "refimpl/bench/failover_bench.py is missing"}
    completed = subprocess.run([sys.executable, str(script)], cwd=ROOT, text=True,
                               capture_output=True, timeout=3000,
                               env=dict(os.environ, HALAB_BIN=str(BIN)))
    sys.stderr.write(completed.stderr[-4000:])
    path = REPORTS / "bench-refimpl.json"
    if completed.returncode != 0 or not path.exists():
        return {"error": f"failover_bench.py exited {completed.returncode}",
                "output": completed.stdout[-2000:]}
    return json.loads(path.read_text())


def part_scenarios():
    figures, total_s, failed = {}, 0.0, []
    for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
        out = REPORTS / "bench" / scenario.stem
        code, wall_s, _ = run_hasim(scenario, out)
        total_s += wall_s
        figures[scenario.stem] = {"wall_s": round(wall_s, 2), "passed": code == 0}
        if code != 0:
            failed.append(scenario.stem)
        print(f"  scenario {scenario.stem:40s} {wall_s:6.1f} s {'pass' if code == 0 else 'FAIL'}",
              flush=True)
    return {"backend": "native", "per_scenario": figures, "library_wall_s": round(total_s, 1),
            "failed": failed}


def part_outage():
    runs = int(os.environ.get("HALAB_BENCH_OUTAGE_RUNS", "10"))
    scenario = ROOT / "scenarios" / "active-power-loss.yaml"
    if not scenario.exists():
        return {"skipped": "scenarios/active-power-loss.yaml is missing"}
    outages, failovers = [], []
    for seed in range(1, runs + 1):
        out = REPORTS / "bench" / f"outage-seed{seed}"
        _, _, result = run_hasim(scenario, out, seed)
        metrics = result.get("metrics", {})
        if metrics.get("outage_ms") is not None:
            outages.append(metrics["outage_ms"])
        if metrics.get("failover_ms") is not None:
            failovers.append(metrics["failover_ms"])
        print(f"  active-power-loss seed {seed}: outage {metrics.get('outage_ms')} ms, "
              f"failover {metrics.get('failover_ms')} ms", flush=True)
    figure = {"runs": runs, "outage_ms": outages, "failover_ms": failovers}
    if outages:
        figure["outage_median_ms"] = statistics.median(outages)
        figure["target_outage_ms"] = 1500
    if failovers:
        figure["failover_median_ms"] = statistics.median(failovers)
    return figure


# Power cycles and admin steps on the standby: what used to stop the loop.
LOOP_STALL_SCENARIO = """# bench: power cycles and admin steps (ci/bench.py, part loop)
name: loop-stall
topology: rack1-pair
timeout_ms: 120000
settle_ms: 3000
client: {rate_per_s: 20}
steps:
  - {name: m-on, after: formed, delay_ms: 1000, action: maintenance_on, node: "@standby"}
  - {name: m-off, after: m-on, delay_ms: 1000, action: maintenance_off, node: "@standby"}
  - {name: off, after: m-off, delay_ms: 1500, action: power_off, node: "@standby"}
  - {name: on, after: off, delay_ms: 1500, action: power_on, node: "@standby"}
  - {name: fw, after: on, delay_ms: 4000, action: firmware_update, node: "@standby", version: 2.3.2}
  - {name: crash, after: fw, delay_ms: 3000, action: crash, node: "@standby"}
  - {name: restart, after: crash, delay_ms: 1000, action: restart, node: "@standby"}
  - {name: swo, after: restart, delay_ms: 4000, action: switchover, node: "@active"}
expect:
  - {invariant: single_active}
"""

# A control request to a node whose hanode is stopped (the bench sends it
# SIGSTOP once the cluster formed): the request waits for its bound.
SILENT_PEER_SCENARIO = """# bench: a control request nobody answers (ci/bench.py, part loop)
name: silent-peer
topology: rack1-pair
timeout_ms: 60000
settle_ms: 2000
steps:
  - {name: ask, after: formed, delay_ms: 2000, action: maintenance_on, node: node1}
expect:
  - {invariant: single_active}
"""


def loop_gap(run_dir):
    """(loop_gap_max_ms, the step fired last before it) of a run folder."""
    run = json.loads((run_dir / "run.json").read_text())
    gap_ms, at_ms = run.get("loop_gap_max_ms"), run.get("loop_gap_at_ms")
    step = None
    if at_ms is not None and (run_dir / "steps.jsonl").exists():
        for line in (run_dir / "steps.jsonl").read_text().splitlines():
            record = json.loads(line)
            if record["mono_ms"] - run["t0_mono_ms"] <= at_ms and record["event"] == "step":
                step = record["name"]
    return gap_ms, at_ms, step


def silent_peer_run(scenario, out, backend):
    """Run scenario, SIGSTOP node1's daemon (native) once formed."""
    if out.exists():
        subprocess.run(["rm", "-rf", "--", str(out)], check=True)
    process = subprocess.Popen([str(BIN / "hasim"), "run", str(scenario), "--quiet", "--out",
                                str(out), "--backend", backend, "--topology-dir",
                                str(ROOT / "topologies")], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while process.poll() is None:
        steps = out / "steps.jsonl"
        if steps.exists() and '"formed"' in steps.read_text():
            for owner in pathlib.Path("/run/halab").glob("hs*/owner"):
                if owner.read_text().split()[2:3] == [str(out)]:
                    pids = (owner.parent / "pids").read_text().split("\n")
                    os.kill(int(pids[0].split()[0]), 19)  # SIGSTOP node1's hanode
            break
        time.sleep(0.02)
    process.communicate(timeout=600)


def part_loop():
    backends = ["native"] + (["libvirt"] if os.environ.get("HALAB_BENCH_VM") else [])
    folder = REPORTS / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    stall, silent = folder / "loop-stall.yaml", folder / "silent-peer.yaml"
    stall.write_text(LOOP_STALL_SCENARIO)
    silent.write_text(SILENT_PEER_SCENARIO)
    figure = {"target_ms": "well below the bounds the loop waits for (3000 ms native, 8000 VM)"}
    with open("/proc/loadavg") as load:
        figure["load_average"] = float(load.read().split()[0])
    for backend in backends:
        runs = []
        for seed in (1, 2, 3):
            out = folder / f"loop-stall-{backend}-{seed}"
            run_hasim(stall, out, seed, backend)
            gap_ms, at_ms, step = loop_gap(out)
            runs.append({"seed": seed, "loop_gap_max_ms": gap_ms, "at_ms": at_ms,
                         "after_step": step})
            print(f"  loop-stall {backend} seed {seed}: longest gap {gap_ms} ms at {at_ms} ms "
                  f"(after step {step})", flush=True)
        figure[f"loop_stall_{backend}"] = {
            "runs": runs, "max_ms": max(r["loop_gap_max_ms"] or 0 for r in runs)}
    out = folder / "silent-peer-native"
    silent_peer_run(silent, out, "native")
    gap_ms, at_ms, step = loop_gap(out)
    figure["silent_peer_native"] = {"loop_gap_max_ms": gap_ms, "at_ms": at_ms,
                                    "after_step": step}
    print(f"  silent-peer native: longest gap {gap_ms} ms (the request waited 3000 ms)",
          flush=True)
    return figure


def part_vm():
    script = ROOT / "sim" / "guest" / "bench_vm.py"
    if not script.exists():
        return {"skipped": "sim/guest/bench_vm.py is missing"}
    completed = subprocess.run([sys.executable, str(script)], cwd=ROOT, text=True,
                               capture_output=True, timeout=5400,
                               env=dict(os.environ, HALAB_BIN=str(BIN)))
    sys.stderr.write(completed.stderr[-4000:])
    try:
        return json.loads(completed.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"bench_vm.py exited {completed.returncode}"}


# Ten minutes of lossy sync (the library's lossy-sync, held 600 s).
VIRTUAL_LONG_SCENARIO = """# bench: lossy-sync held for 10 minutes (ci/bench.py, part virtual)
name: lossy-sync-10min
topology: rack1-pair
timeout_ms: 700000
client: {rate_per_s: 20}
steps:
  - {name: impair, after: formed, delay_ms: 2000, action: impair, port: "@active.LAN3",
     loss_pct: 30, latency_ms: 20, jitter_ms: 10}
  - {name: heal, after: impair, delay_ms: 600000, action: heal}
expect:
  - {final: {node: "@active", state: active}}
  - {invariant: single_active}
"""


def virtual_acceleration(scenario, name, runs):
    """Virtual ms of the run (up to its end) / wall ms of the same span."""
    figures = []
    for seed in range(1, runs + 1):
        out = REPORTS / "bench" / f"virtual-{name}-seed{seed}"
        code, wall_s, _ = run_hasim(scenario, out, seed, "virtual")
        run = json.loads((out / "run.json").read_text())
        virtual_ms = run["ended_mono_ms"] - run["t0_mono_ms"]
        wall_ms = max(run.get("wall_run_ms") or 0, 0.001)
        figures.append({"seed": seed, "passed": code == 0, "virtual_ms": virtual_ms,
                        "wall_run_ms": round(wall_ms, 3), "process_wall_ms": round(wall_s * 1000),
                        "acceleration": round(virtual_ms / wall_ms),
                        "acceleration_process": round(virtual_ms / (wall_s * 1000))})
        print(f"  virtual {name} seed {seed}: {virtual_ms} virtual ms in {wall_ms:.1f} ms of run "
              f"({virtual_ms / wall_ms:.0f}x), {wall_s * 1000:.0f} ms with process start and "
              f"checker", flush=True)
    return {"runs": figures,
            "acceleration_median": statistics.median(f["acceleration"] for f in figures),
            "acceleration_process_median": statistics.median(
                f["acceleration_process"] for f in figures),
            "target_acceleration": 1000}


def part_virtual():
    long_scenario = REPORTS / "bench" / "lossy-sync-10min.yaml"
    long_scenario.parent.mkdir(parents=True, exist_ok=True)
    long_scenario.write_text(VIRTUAL_LONG_SCENARIO)
    figure = {
        "active_power_loss": virtual_acceleration(
            ROOT / "scenarios" / "active-power-loss.yaml", "active-power-loss", 5),
        "lossy_sync_10min": virtual_acceleration(long_scenario, "lossy-sync-10min", 3)}
    total_s, failed = 0.0, []
    for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
        code, wall_s, _ = run_hasim(scenario, REPORTS / "bench" / f"virtual-{scenario.stem}",
                                    1, "virtual")
        total_s += wall_s
        if code != 0:
            failed.append(scenario.stem)
    figure["library"] = {"wall_s": round(total_s, 2), "failed": failed, "target_wall_s": 10}
    print(f"  virtual library: {total_s:.2f} s wall, {len(failed)} failed", flush=True)
    return figure


def part_swarm():
    """Schedules per minute of hasim swarm (its own summary.json), exploring
    only: the same 2000 seeds with two jobs and with one."""
    figure = {"target_per_minute_jobs2": 1000}
    for jobs in (2, 1):
        out = REPORTS / "bench" / f"swarm-jobs{jobs}"
        if out.exists():
            subprocess.run(["rm", "-rf", "--", str(out)], check=True)
        completed = subprocess.run([str(BIN / "hasim"), "swarm", "--seed", "1", "--count",
                                    "2000", "--jobs", str(jobs), "--shrink-runs", "0", "--out",
                                    str(out)], cwd=ROOT, capture_output=True, text=True,
                                   timeout=1800)
        path = out / "summary.json"
        if not path.exists():
            figure[f"jobs{jobs}"] = {"error": f"hasim swarm exited {completed.returncode}",
                                     "output": completed.stderr[-2000:]}
            continue
        summary = json.loads(path.read_text())
        figure[f"jobs{jobs}"] = {key: summary[key] for key in (
            "schedules", "failing", "explore_s", "schedules_per_minute")}
        print(f"  swarm --jobs {jobs}: {summary['schedules']} schedules in "
              f"{summary['explore_s']:.1f} s: {summary['schedules_per_minute']:.0f} per minute "
              f"({summary['failing']} failing)", flush=True)
    return figure


def part_matrix():
    """Runs per minute of `hasim matrix` (the whole library, every shipped
    pairing, seed 1, --jobs 2): virtual, then native when root."""
    figure = {}
    backends = ["virtual"] + (["native"] if os.geteuid() == 0 else [])
    for backend in backends:
        out = REPORTS / "bench" / f"matrix-{backend}"
        if out.exists():
            subprocess.run(["rm", "-rf", "--", str(out)], check=True)
        started = time.monotonic()
        completed = subprocess.run([str(BIN / "hasim"), "matrix", "--backend", backend,
                                    "--jobs", "2", "--quiet", "--out", str(out)], cwd=ROOT,
                                   capture_output=True, text=True, timeout=7200)
        wall_s = time.monotonic() - started
        path = out / "matrix.json"
        if not path.exists():
            figure[backend] = {"error": f"hasim matrix exited {completed.returncode}",
                               "output": completed.stderr[-2000:]}
            continue
        totals = json.loads(path.read_text())["totals"]
        ran = totals["runs"] - totals["skip"]
        figure[backend] = {"wall_s": round(wall_s, 1), "runs": ran, "skipped": totals["skip"],
                           "passed": totals["pass"], "runs_per_minute": round(ran / wall_s * 60, 1)}
        print(f"  matrix {backend} --jobs 2: {ran} runs ({totals['pass']} passed, "
              f"{totals['skip']} skipped) in {wall_s:.1f} s: {ran / wall_s * 60:.1f} per minute",
              flush=True)
    if os.geteuid() != 0:
        figure["native"] = {"skipped": "not root (network namespaces)"}
    return figure


def part_idle():
    script = ROOT / "refimpl" / "bench" / "idle_bench.py"
    figure = {}
    for name, extra in (("defaults", []), ("one_ping_target", ["--ping"])):
        completed = subprocess.run([sys.executable, str(script), "--seconds",
                                    os.environ.get("HALAB_BENCH_IDLE_S", "60")] + extra,
                                   cwd=ROOT, text=True, capture_output=True, timeout=600,
                                   env=dict(os.environ, HALAB_BIN=str(BIN)))
        try:
            figure[name] = json.loads(completed.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            figure[name] = {"error": f"idle_bench.py exited {completed.returncode}",
                            "output": completed.stderr[-2000:]}
            continue
        for node, values in figure[name]["nodes"].items():
            print(f"  idle {name} {node}: {values['cpu_percent']} % CPU (exact "
                  f"{values['cpu_percent_exact']} %), {values['wakeups_per_s']} wakeups/s, "
                  f"RSS {values['rss_kib']} KiB", flush=True)
    return figure


# The faults of the comparison; {delay} is the random phase, {extra} the
# overrides line. No expectations of timing: keepalived at its defaults
# is slower than hanode's windows by design; only the figures count.
COMPARE_FAULTS = {
    "power_loss": """# bench: the active loses power (ci/bench.py, part compare)
name: compare-power-loss
topology: rack1-pair
timeout_ms: 60000
settle_ms: 6000
client: {{rate_per_s: 20}}
steps:
  - {{name: fault, after: formed, delay_ms: {delay}, action: power_off, node: "@active"}}
expect:
  - {{final: {{node: "@standby", state: active}}}}
""",
    "port_pulled": """# bench: both external ports of the active pulled (ci/bench.py, part compare)
name: compare-port-pulled
topology: rack1-pair
requires: {{ports: 4}}
overrides: {{tiebreaker: none, ping_targets: []}}
timeout_ms: 60000
settle_ms: 6000
client: {{rate_per_s: 20}}
steps:
  - {{name: fault, after: formed, delay_ms: {delay}, action: pull, port: "@active.external1"}}
  - {{name: fault2, after: fault, action: pull, port: "@active.external2"}}
expect:
  - {{final: {{node: "@standby", state: active}}}}
"""}
COMPARE_NODES = (("hanode", "hanode"), ("keepalived_defaults", "keepalived:defaults"),
                 ("keepalived_fast", "keepalived:fast"))


def success_gap_ms(run_dir):
    """The longest time between two successful client requests (by when
    they were sent; the client probes every 10 ms) from the fault on: what
    a client saw, including a gap in which nothing failed but nothing
    answered either (outage_ms counts from the first failure)."""
    fault_ms = None
    for line in (run_dir / "steps.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["event"] == "step" and record["name"] == "fault":
            fault_ms = record["mono_ms"]
    if fault_ms is None:
        return None
    sent = []
    for line in (run_dir / "client.jsonl").read_text().splitlines():
        record = json.loads(line) if line.strip() else {}
        if record.get("ok") and record.get("sent_ms") is not None:
            sent.append(record["sent_ms"])
    sent.sort()
    before = [t for t in sent if t <= fault_ms]
    after = [t for t in sent if t > fault_ms]
    if not before or not after:
        return None
    points = [before[-1]] + after
    return max(b - a for a, b in zip(points, points[1:]))


def part_compare():
    runs = int(os.environ.get("HALAB_BENCH_COMPARE_RUNS", "7"))
    folder = REPORTS / "bench" / "compare"
    folder.mkdir(parents=True, exist_ok=True)
    figure, flat = {"runs": runs, "method": "longest time between two successful client "
                    "requests from the fault on (client probes every 10 ms), native backend, "
                    "rack1-pair"}, {}
    for fault, template in COMPARE_FAULTS.items():
        for name, node in COMPARE_NODES:
            gaps, failovers, outages = [], [], []
            for seed in range(1, runs + 1):
                delay = 1500 + random.Random(f"{fault}-{seed}").randrange(1000)
                scenario = folder / f"{fault}-{seed}.yaml"
                scenario.write_text(template.format(delay=delay))
                out = folder / f"{fault}-{name}-{seed}"
                if out.exists():
                    subprocess.run(["rm", "-rf", "--", str(out)], check=True)
                completed = subprocess.run([str(BIN / "hasim"), "run", str(scenario), "--quiet",
                                            "--seed", str(seed), "--out", str(out), "--node",
                                            node], cwd=ROOT, capture_output=True, text=True,
                                           timeout=600)
                gap = success_gap_ms(out) if (out / "steps.jsonl").exists() else None
                metrics = {}
                if (out / "result.json").exists():
                    metrics = json.loads((out / "result.json").read_text()).get("metrics", {})
                if gap is not None:
                    gaps.append(gap)
                if metrics.get("failover_ms") is not None:
                    failovers.append(metrics["failover_ms"])
                if metrics.get("outage_ms") is not None:
                    outages.append(metrics["outage_ms"])
                print(f"  compare {fault} {name} seed {seed} (fault {delay} ms after formed): "
                      f"client gap {gap} ms, failover {metrics.get('failover_ms')} ms, "
                      f"outage_ms {metrics.get('outage_ms')}, exit {completed.returncode}",
                      flush=True)
            entry = {"gap_ms": gaps, "failover_ms": failovers, "outage_ms": outages}
            if gaps:
                entry.update(median_ms=statistics.median(gaps), min_ms=min(gaps),
                             max_ms=max(gaps))
                for statistic in ("median", "min", "max"):
                    flat[f"{name}.outage_{fault}_{statistic}_ms"] = entry[f"{statistic}_ms"]
            figure[f"{name}.{fault}"] = entry
        base = flat.get(f"hanode.outage_{fault}_median_ms")
        for name, _ in COMPARE_NODES[1:]:
            other = flat.get(f"{name}.outage_{fault}_median_ms")
            if base and other:
                flat[f"{name}.outage_{fault}_ratio_to_hanode"] = round(other / base, 2)
        print(f"  compare {fault}: " + ", ".join(
            f"{name} median {flat.get(f'{name}.outage_{fault}_median_ms')} ms"
            for name, _ in COMPARE_NODES), flush=True)
    figure["flat"] = flat
    return figure


def part_pacemaker():
    runs = int(os.environ.get("HALAB_BENCH_PACEMAKER_RUNS", "7"))
    if os.geteuid() != 0:
        return {"skipped": "not root (network namespaces)"}
    if not all(shutil.which(b) for b in ("corosync", "pacemakerd", "cibadmin")):
        return {"skipped": "Pacemaker is not installed (ci/deps.sh)"}
    out = REPORTS / "bench" / "pacemaker"
    subprocess.run(["rm", "-rf", "--", str(out)], check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    scenarios = [ROOT / "sim" / "tests" / "adapters" / "slow-failover.yaml",
                 ROOT / "sim" / "tests" / "adapters" / "external-port-pulled.yaml",
                 ROOT / "scenarios" / "external-loss-active.yaml"]
    command = [str(BIN / "hasim"), "matrix", "--nodes", "pacemaker,pacemaker:defaults",
               "--backend", "native", "--topologies", "rack1-pair", "--seeds", f"1..{runs}",
               "--jobs", "1", "--quiet", "--out", str(out)]
    for scenario in scenarios:
        command += ["--scenarios", str(scenario)]
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=7200)
    document = json.loads((out / "matrix.json").read_text())
    figure = {"runs": runs, "command": " ".join(command[1:])}
    for cell in document["cells"]:
        profile = cell["node"].split(":")[1] if ":" in cell["node"] else "topology"
        entry = {"pass": cell["pass"], "ran": cell["runs"] - cell["skip"],
                 "outage_median_ms": cell["outage_ms"]["median"]}
        # Nothing moves when one port is pulled: its failover_ms would be a
        # transition of the nodes' shutdown after the run ended.
        if cell["scenario"] != "external-port-pulled":
            entry["failover_median_ms"] = cell["failover_ms"]["median"]
        figure.setdefault(profile, {})[cell["scenario"]] = entry
    return figure


PARTS = {"refimpl": part_refimpl, "idle": part_idle, "compare": part_compare, "scenarios": part_scenarios, "outage": part_outage,
         "loop": part_loop, "vm": part_vm, "virtual": part_virtual, "swarm": part_swarm,
         "matrix": part_matrix, "pacemaker": part_pacemaker}


def main():
    default = "refimpl,idle,scenarios,outage,loop,virtual,swarm,matrix" + (
        ",vm" if os.environ.get("HALAB_BENCH_VM") else "") + (
        ",compare" if os.environ.get("HALAB_BENCH_COMPARE") else "") + (
        ",pacemaker" if os.environ.get("HALAB_BENCH_PACEMAKER") else "")
    wanted = os.environ.get("HALAB_BENCH_PARTS", default).split(",")
    REPORTS.mkdir(exist_ok=True)
    bench = {"machine": {"cpus": os.cpu_count()}, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                          time.gmtime())}
    for name in wanted:
        print(f"== bench {name}", flush=True)
        started = time.monotonic()
        bench[name] = PARTS[name]()
        bench.setdefault("wall_s", {})[name] = round(time.monotonic() - started, 1)
        # the comparison's figures also at the top, under names that say
        # the implementation, the fault and the statistic
        if name == "compare":
            bench.update(bench[name]["flat"])
    subprocess.run([str(BIN / "hasim"), "gc"], cwd=ROOT, capture_output=True)
    path = REPORTS / "bench.json"
    path.write_text(json.dumps(bench, indent=2) + "\n")
    print(json.dumps(bench, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
