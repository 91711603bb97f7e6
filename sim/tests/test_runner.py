"""Tests of the runner on the native backend (root: namespaces, TAP devices):
nothing is left after a killed hasim, the loop never waits for a node that
does not answer, and a run folder carries its provenance.

- A SIGKILLed `hasim run`, at random moments from its start to its steps,
  leaves nothing behind without a manual `hasim gc`: no namespace, no state
  folder, no process of the run (its hanode die with it, its guardian
  removes the rest and ends).
- A control request to a node whose daemon is stopped (SIGSTOP: it never
  answers) ends at the backend's bound (3000 ms) while the loop keeps
  turning: its longest stall stays far below the request's wait, whatever
  the machine's load (a loop that waited would stall 3000 ms).
- run.json names what made the run, and the run folder holds the scenario
  and topology texts as run.
"""
import json
import os
import pathlib
import random
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HASIM = str(BIN / "hasim")
KILLS = 20
KILL_SEED = 2026  # the moments are random, and the same on every run of the test
CLEAN_WITHIN_S = 20

pytestmark = pytest.mark.netns


def needs_root():
    if os.geteuid() != 0:
        pytest.skip("the native backend needs root (namespaces, TAP devices)")


def owner_of(out_dir):
    """The run id whose owner file names out_dir, or None."""
    for owner in pathlib.Path("/run/halab").glob("hs*/owner"):
        try:
            if owner.read_text().split()[2:3] == [str(out_dir)]:
                return owner.parent.name
        except (OSError, IndexError):
            continue
    return None


def leftovers(run_id, out_dir):
    """What of the run still exists: namespaces, its state folder, live
    processes (hanode of the run, hasim or its guardian)."""
    found = []
    netns = pathlib.Path("/run/netns")
    if run_id and netns.exists():
        found += [f"namespace {p.name}" for p in netns.iterdir() if p.name.startswith(run_id)]
    if run_id and pathlib.Path(f"/run/halab/{run_id}").exists():
        found.append(f"state folder /run/halab/{run_id}")
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z":
            continue  # ended; its new parent reaps it
        if str(out_dir) in command or (run_id and f"/run/halab/{run_id}/" in command):
            found.append(f"process {proc.name}: {command.strip()}")
    return found


def start_run(scenario, out_dir):
    return subprocess.Popen([HASIM, "run", str(scenario), "--out", str(out_dir), "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_sigkill_at_random_moments_leaves_nothing(tmp_path):
    needs_root()
    moments = random.Random(KILL_SEED)
    for attempt in range(KILLS):
        out_dir = tmp_path / f"run{attempt}"
        delay_s = moments.uniform(0.05, 6.0)
        process = start_run(ROOT / "scenarios" / "failed-node-returns.yaml", out_dir)
        run_id, started = None, time.monotonic()
        try:
            while time.monotonic() - started < delay_s and process.poll() is None:
                run_id = run_id or owner_of(out_dir)
                time.sleep(0.01)
            run_id = run_id or owner_of(out_dir)
        finally:
            process.kill()  # SIGKILL, hasim only (its guardian has a session of its own)
            process.wait()
        deadline, left = time.monotonic() + CLEAN_WITHIN_S, None
        while time.monotonic() < deadline:
            left = leftovers(run_id, out_dir)
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"kill {attempt} at {delay_s:.2f} s (run {run_id}) left {left}"


def test_control_request_to_a_silent_node_does_not_stall_the_loop(tmp_path):
    needs_root()
    scenario = tmp_path / "silent-peer.yaml"
    scenario.write_text(
        "name: silent-peer\n"
        "topology: rack1-pair\n"
        "timeout_ms: 60000\n"
        "settle_ms: 2000\n"
        "steps:\n"
        "  - {name: ask, after: formed, delay_ms: 2000, action: maintenance_on, node: node1}\n"
        "expect:\n"
        "  - {invariant: single_active}\n")
    out_dir = tmp_path / "run"
    process = subprocess.Popen([HASIM, "run", str(scenario), "--out", str(out_dir), "--quiet",
                                "--topology-dir", str(ROOT / "topologies")], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped = None
    try:
        steps = out_dir / "steps.jsonl"
        while process.poll() is None and stopped is None:
            if steps.exists() and '"formed"' in steps.read_text():
                run_id = owner_of(out_dir)
                pids = pathlib.Path(f"/run/halab/{run_id}/pids").read_text().split("\n")
                stopped = int(pids[0].split()[0])  # node1's hanode
                os.kill(stopped, signal.SIGSTOP)
            time.sleep(0.02)
        process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert stopped is not None, "the cluster never formed"
    run = json.loads((out_dir / "run.json").read_text())
    ask = [json.loads(line) for line in (out_dir / "steps.jsonl").read_text().splitlines()
           if '"ask"' in line][0]
    assert ask["ok"] is False
    assert ask["error"] == "control node1 'maintenance on': no reply within 3000 ms"
    # The request waited 3000 ms; the loop never waited a third of that.
    assert 0 < run["loop_gap_max_ms"] < 1000, run["loop_gap_max_ms"]
    assert run["ended_mono_ms"] - ask["mono_ms"] >= 3000


def test_run_folder_carries_its_provenance(tmp_path):
    needs_root()
    out_dir = tmp_path / "run"
    scenario = ROOT / "scenarios" / "maintenance-standby.yaml"
    completed = subprocess.run([HASIM, "run", str(scenario), "--out", str(out_dir), "--quiet",
                                "--seed", "7"], cwd=ROOT, capture_output=True, text=True,
                               timeout=240)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run = json.loads((out_dir / "run.json").read_text())
    assert (out_dir / "scenario.yaml").read_bytes() == scenario.read_bytes()
    assert ((out_dir / "topologies" / "rack1-pair.yaml").read_bytes() ==
            (ROOT / "topologies" / "rack1-pair.yaml").read_bytes())
    version = subprocess.run([HASIM, "--version"], capture_output=True, text=True).stdout.split()
    assert run["halab_version"] == version[1]
    assert run["argv"] == [HASIM, "run", str(scenario), "--out", str(out_dir), "--quiet",
                           "--seed", "7"]
    assert run["reproduce"] == f"{HASIM} run {scenario} --quiet --seed 7 --backend native"
    assert run["seed"] == 7
    assert run["hostname"] == os.uname().nodename == run["host"]["hostname"]
    assert run["host"]["cpus"] == os.cpu_count()
    assert run["host"]["kernel"].split()[1] == os.uname().release
    assert len(run["host"]["load_average"]) == 3
    assert abs(run["t0_wall_ms"] - time.time() * 1000) < 240000
    for program in ("hasim", "hanode", "hactl"):
        build_id = subprocess.run(["readelf", "-n", str(BIN / program)], capture_output=True,
                                  text=True).stdout.split("Build ID: ")[1].split()[0]
        assert run["builds"][program] == build_id
    settings = run["backend_settings"]
    assert (settings["name"], settings["time_scale"], settings["runner_nice"]) == \
        ("native", 1.0, -10)
    assert sorted(settings["nodes"]) == ["node1", "node2"]
    assert settings["nodes"]["node1"]["applied"]["bond0"] == ["LAN1", "LAN2"]
    assert "cpu_count" in settings["nodes"]["node1"]["not_applied"]
    assert settings["not_applied_reason"]
    assert run["resolution_ms"] == 10 and run["sessions_broken"] == 0
