"""VM figures for `make bench` (HALAB_BENCH_VM=1): QEMU guests through libvirt.

  formed_s            boot to cluster formed (two guests, TCG), from run.json
  guest_ram_mib       RAM configured per guest, and the largest QEMU RSS seen
  library_wall_s      every scenario of the library on the libvirt backend
                      (HALAB_BENCH_VM_LIBRARY=0 skips it: it takes many minutes)
Prints one JSON object on its last line. Targets (this 2-core machine):
formed <= 15 s under TCG, <= 128 MiB per guest, library <= 15 min.
"""
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
OUT = ROOT / "reports" / "bench-vm"


def qemu_rss_mib():
    """RSS of every QEMU process of a hasim run, in MiB."""
    sizes = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "qemu-system" not in command or "guest=hs" not in command:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError):
            continue
    return sizes


def run(scenario, out):
    subprocess.run(["rm", "-rf", "--", str(out)], check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.Popen([str(BIN / "hasim"), "run", str(scenario), "--backend", "libvirt",
                                "--quiet", "--out", str(out)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = []
    while process.poll() is None:
        rss.extend(qemu_rss_mib())
        time.sleep(1)
    wall_s = time.monotonic() - started
    summary = {}
    if (out / "run.json").exists():
        summary = json.loads((out / "run.json").read_text())
    return process.returncode, wall_s, summary, rss


def first_failure(out):
    """What result.json names first (a runner error comes first)."""
    try:
        failures = json.loads((out / "result.json").read_text()).get("failures", [])
    except (OSError, ValueError) as error:
        return f"no result.json ({error})"
    return failures[0] if failures else "no failure listed"


def main():
    figures = {"guest_ram_configured_mib": 128}
    code, wall_s, summary, rss = run(ROOT / "scenarios" / "active-power-loss.yaml",
                                     OUT / "formed")
    if summary.get("formed_mono_ms"):
        figures["formed_s"] = round((summary["formed_mono_ms"] - summary["t0_mono_ms"]) / 1000, 1)
    figures["target_formed_s"] = 15
    figures["qemu_rss_max_mib"] = round(max(rss), 1) if rss else None
    figures["active_power_loss"] = {"passed": code == 0, "wall_s": round(wall_s, 1)}
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
