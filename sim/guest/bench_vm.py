"""VM figures for `make bench` (HALAB_BENCH_VM=1): QEMU guests through libvirt.

  formed_s            boot to cluster formed (two guests, TCG), from run.json;
                      median/min/max over HALAB_BENCH_VM_RUNS runs (default 3)
  stages              where that time went, median per stage (seconds), for
                      the node that came up last (the one the cluster waited
                      for), from the run folder (see stages()):
                        qemu_firmware_s  `hasim run` started the guests ->
                                         the guest kernel's clock starts
                                         (libvirt + QEMU start, firmware,
                                         loading and decompressing the kernel)
                        kernel_s         -> sim/guest/init runs (kernel init
                                         and initramfs unpack)
                        modules_s        -> modules loaded, NICs there
                        bonds_s          -> bond0 and bond1 up
                        md_s             -> md0 assembled or created, mounted
                        config_s         -> hanode.conf written, init ready
                        hanode_start_s   -> hanode's first record (hnagent
                                         starts it; libsodium's randomness)
                        peer_wait_s      -> hanode's first role (it waits
                                         for the peer until it sees it)
                        runner_s         -> the runner's "formed" (both roles
                                         reached it)
  boot_cpu_s          CPU seconds both QEMUs had used when the cluster formed
                      (what the boot costs, nearly independent of the host's
                      load, which the wall times above are not)
  qemu_rss_mib        the largest VmRSS of one QEMU process during the runs,
                      and the largest private part (RssAnon: guest RAM, TCG
                      cache, QEMU's heap; VmRSS adds the kernel image and
                      libraries, file pages shared by all guests)
  guest_clock_rate    guest clock seconds per host second over each run
                      (from the agent's arrival stamps; 1.0 = the guest's
                      clock keeps time), min and max
  library_wall_s      every scenario of the library on the libvirt backend
                      (HALAB_BENCH_VM_LIBRARY=0 skips it: it takes many minutes)
Prints one JSON object on its last line. Targets (this 2-core machine):
formed <= 8 s under TCG, <= 128 MiB RSS per guest, library <= 15 min.
"""
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
OUT = ROOT / "reports" / "bench-vm"


TICKS = os.sysconf("SC_CLK_TCK")


def qemu_samples():
    """(pid, VmRSS MiB, RssAnon MiB, CPU seconds) of this checkout's QEMU
    processes (others may run guests beside the bench)."""
    samples = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "qemu-system" not in command or f"{ROOT}/build" not in command:
                continue
            fields = {}
            for line in (proc / "status").read_text().splitlines():
                if line.startswith(("VmRSS:", "RssAnon:")):
                    fields[line.split(":")[0]] = int(line.split()[1]) / 1024
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cpu_s = (int(stat[11]) + int(stat[12])) / TICKS
            if "VmRSS" in fields:
                samples.append((int(proc.name), fields["VmRSS"], fields.get("RssAnon", 0.0),
                                cpu_s))
        except (OSError, ValueError, IndexError):
            continue
    return samples


INIT_LINE = re.compile(r"halab-init: (.*) \[([0-9.]+) s\]$")


def node_stages(folder, t0_ms):
    """One node's boot stages (host seconds since the run's "up") and its
    guest clock rate, from console.log (init's lines end with the guest's
    uptime) and cluster.log (host and guest stamps of hanode's records)."""
    marks = {}
    for line in (folder / "console.log").read_text(errors="replace").splitlines():
        match = INIT_LINE.search(line.strip())
        if not match:
            continue
        text, uptime = match.group(1), float(match.group(2))
        for key, prefix in (("init", "node "), ("modules", "modules loaded"),
                            ("bonds", "bond1 "), ("md", "md0 mounted"),
                            ("md", "error: md0"), ("config", "hanode.conf"),
                            ("ready", "ready")):
            if text.startswith(prefix):
                marks.setdefault(key, uptime)
    records = [json.loads(line) for line in
               (folder / "cluster.log").read_text().splitlines() if line.strip()]
    records = [r for r in records if r.get("guest_mono_ms") is not None]
    if not records or "init" not in marks:
        return None
    boot_ms = records[0]["mono_ms"] - records[0]["guest_mono_ms"]  # host time of guest 0
    start = next((r for r in records if r["event"] == "start"), None)
    role = next((r for r in records if r["event"] == "transition"), None)
    at = {"qemu_firmware": boot_ms}
    for key in ("init", "modules", "bonds", "md", "config", "ready"):
        if key in marks:
            at[key] = boot_ms + marks[key] * 1000
    if start:
        at["hanode_start"] = start["mono_ms"]
    if role:
        at["peer_wait"] = role["mono_ms"]
    stages, previous = {}, t0_ms
    names = {"qemu_firmware": "qemu_firmware_s", "init": "kernel_s", "modules": "modules_s",
             "bonds": "bonds_s", "md": "md_s", "ready": "config_s",
             "hanode_start": "hanode_start_s", "peer_wait": "peer_wait_s"}
    for key in ("qemu_firmware", "init", "modules", "bonds", "md", "ready", "hanode_start",
                "peer_wait"):
        if key in at:
            stages[names[key]] = round((at[key] - previous) / 1000, 2)
            previous = at[key]
    stages["up_s"] = round((previous - t0_ms) / 1000, 2)
    rate = None
    if len(records) > 1 and records[-1]["arrived_ms"] - records[0]["arrived_ms"] > 2000:
        rate = round((records[-1]["guest_mono_ms"] - records[0]["guest_mono_ms"]) /
                     (records[-1]["arrived_ms"] - records[0]["arrived_ms"]), 2)
    return stages, rate


def stages(out):
    """The boot stages of the node that came up last, and every node's
    guest clock rate, of one run folder."""
    run = json.loads((out / "run.json").read_text())
    last, rates = None, []
    for node in run["nodes"]:
        found = node_stages(out / "nodes" / node, run["t0_mono_ms"])
        if found is None:
            continue
        if found[1] is not None:
            rates.append(found[1])
        if last is None or found[0]["up_s"] > last["up_s"]:
            last = found[0]
    if last is not None and run.get("formed_mono_ms"):
        last["runner_s"] = round((run["formed_mono_ms"] - run["t0_mono_ms"]) / 1000 -
                                 last["up_s"], 2)
    return last, rates


def run(scenario, out):
    """Run scenario on VMs; samples of its QEMUs every 0.25 s as
    (host monotonic ms, pid, VmRSS, RssAnon, CPU s)."""
    subprocess.run(["rm", "-rf", "--", str(out)], check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.Popen([str(BIN / "hasim"), "run", str(scenario), "--backend", "libvirt",
                                "--quiet", "--out", str(out)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    while process.poll() is None:
        now_ms = time.clock_gettime(time.CLOCK_MONOTONIC) * 1000
        samples.extend((now_ms,) + sample for sample in qemu_samples())
        time.sleep(0.25)
    wall_s = time.monotonic() - started
    summary = {}
    if (out / "run.json").exists():
        summary = json.loads((out / "run.json").read_text())
    return process.returncode, wall_s, summary, samples


def boot_cpu_s(samples, formed_ms):
    """CPU seconds the guests' QEMUs had used when the cluster formed (the
    sum over the guests; unlike wall time, it hardly depends on the host's
    load)."""
    last = {}
    for sample in samples:
        if sample[0] <= formed_ms + 250:
            last[sample[1]] = sample[4]
    return round(sum(last.values()), 2) if last else None


def first_failure(out):
    """What result.json names first (a runner error comes first)."""
    try:
        failures = json.loads((out / "result.json").read_text()).get("failures", [])
    except (OSError, ValueError) as error:
        return f"no result.json ({error})"
    return failures[0] if failures else "no failure listed"


def spread(values, digits=1):
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits)} if values else None


def main():
    figures = {"guest_ram_configured_mib": 128}
    formed, cpu, stage_runs, rss, rates, runs = [], [], [], [], [], []
    for number in range(int(os.environ.get("HALAB_BENCH_VM_RUNS", "3"))):
        out = OUT / f"formed-{number + 1}"
        code, wall_s, summary, samples = run(ROOT / "scenarios" / "active-power-loss.yaml", out)
        rss.extend((s[2], s[3]) for s in samples)
        runs.append({"passed": code == 0, "wall_s": round(wall_s, 1)})
        if summary.get("formed_mono_ms"):
            formed.append((summary["formed_mono_ms"] - summary["t0_mono_ms"]) / 1000)
            used = boot_cpu_s(samples, summary["formed_mono_ms"])
            if used is not None:
                cpu.append(used)
        found, node_rates = stages(out) if (out / "run.json").exists() else (None, [])
        rates.extend(node_rates)
        if found:
            stage_runs.append(found)
        print(f"  vm formed run {number + 1}: {formed[-1] if formed else None} s, guests' CPU "
              f"{cpu[-1] if cpu else None} s, stages {found}, clock rates {node_rates}, "
              f"exit {code}", file=sys.stderr, flush=True)
    figures["formed_s"] = spread(formed)
    figures["target_formed_s"] = 8
    figures["boot_cpu_s"] = spread(cpu, 2)
    figures["stages"] = {key: round(statistics.median(run[key] for run in stage_runs
                                                      if key in run), 2)
                         for key in (stage_runs[0] if stage_runs else {})}
    figures["qemu_rss_mib"] = {"vmrss_max": round(max(r[0] for r in rss), 1) if rss else None,
                               "rss_anon_max": round(max(r[1] for r in rss), 1) if rss else None,
                               "target": 128}
    figures["guest_clock_rate"] = {"min": min(rates), "max": max(rates)} if rates else None
    figures["active_power_loss"] = runs
    figures["load_average"] = float(open("/proc/loadavg").read().split()[0])
    if os.environ.get("HALAB_BENCH_VM_LIBRARY", "1") != "0":
        total, failed = 0.0, []
        for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
            code, wall_s, _, _ = run(scenario, OUT / scenario.stem)
            total += wall_s
            if code != 0:
                failed.append(scenario.stem)
            print(f"  vm scenario {scenario.stem:40s} {wall_s:6.1f} s "
                  f"{'pass' if code == 0 else 'FAIL'}", file=sys.stderr, flush=True)
            if code != 0:
                print(f"    exit {code}: {first_failure(OUT / scenario.stem)}", file=sys.stderr,
                      flush=True)
        figures["library_wall_s"] = round(total, 1)
        figures["library_failed"] = failed
        figures["target_library_wall_s"] = 900
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
