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
Environment: HALAB_BENCH_RUNS (failover runs, default 20), HALAB_BENCH_OUTAGE_RUNS
(default 10), HALAB_BENCH_PARTS (comma list, default all but vm).
"""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
REPORTS = ROOT / "reports"


def run_hasim(scenario, out, seed=1):
    if out.exists():
        subprocess.run(["rm", "-rf", "--", str(out)], check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    completed = subprocess.run([str(BIN / "hasim"), "run", str(scenario), "--quiet",
                                "--seed", str(seed), "--out", str(out)],
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


PARTS = {"refimpl": part_refimpl, "scenarios": part_scenarios, "outage": part_outage,
         "vm": part_vm}


def main():
    default = "refimpl,scenarios,outage" + (",vm" if os.environ.get("HALAB_BENCH_VM") else "")
    wanted = os.environ.get("HALAB_BENCH_PARTS", default).split(",")
    REPORTS.mkdir(exist_ok=True)
    bench = {"machine": {"cpus": os.cpu_count()}, "date": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                          time.gmtime())}
    for name in wanted:
        print(f"== bench {name}", flush=True)
        bench[name] = PARTS[name]()
    subprocess.run([str(BIN / "hasim"), "gc"], cwd=ROOT, capture_output=True)
    path = REPORTS / "bench.json"
    path.write_text(json.dumps(bench, indent=2) + "\n")
    print(json.dumps(bench, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
