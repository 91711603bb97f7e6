"""Tests of hasim itself: its verdicts can fail, bad input is refused, and
nothing is left behind after a run, an interrupt or a killed hasim.

The negative scenarios in sim/tests/negative/ each carry one expectation
that the reference node does NOT meet; hasim must exit 1 and name it.
"""
import contextlib
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
NEGATIVE = ROOT / "sim" / "tests" / "negative"
HASIM = str(BIN / "hasim")

pytestmark = pytest.mark.netns


def run_ids_alive():
    """Run ids with a namespace or a state folder on this machine."""
    found = set()
    netns = pathlib.Path("/run/netns")
    if netns.exists():
        found |= {p.name.split("-")[0] for p in netns.iterdir() if p.name.startswith("hs")}
    state = pathlib.Path("/run/halab")
    if state.exists():
        found |= {p.name for p in state.iterdir() if p.name.startswith("hs")}
    return found


def hasim_run(scenario, out, *extra, timeout=240, **env):
    return subprocess.run([HASIM, "run", str(scenario), "--out", str(out), "--quiet", *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, HALAB_BIN=str(BIN), **env))


@pytest.fixture
def out_dir(tmp_path):
    return tmp_path / "run"


@pytest.mark.parametrize("name, expected", [
    ("wrong-transition", "standby->maintenance"),
    ("missed-bound", "failover_ms"),
    ("wrong-order", "maintenance->standby"),
    ("lost-write", "no_lost_writes"),
])
def test_negative_scenario_fails(name, expected, out_dir):
    completed = hasim_run(NEGATIVE / f"{name}.yaml", out_dir)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    result = json.loads((out_dir / "result.json").read_text())
    assert result["passed"] is False
    failed = [e for e in result["expectations"] if not e["passed"]]
    assert failed, result
    assert any(expected in (e["description"] + e["message"]) for e in failed), failed
    assert (out_dir / "junit.xml").read_text().count("<failure") >= 1
    run_id = json.loads((out_dir / "run.json").read_text())["run_id"]
    assert run_id not in run_ids_alive(), "the run left a namespace or state folder behind"


def test_bad_scenario_is_refused_and_starts_nothing(out_dir):
    before = run_ids_alive()
    completed = hasim_run(NEGATIVE / "bad-field.yaml", out_dir)
    assert completed.returncode == 2
    assert "bad-field.yaml:6: steps[0].action" in completed.stderr, completed.stderr
    assert "unplug_everything" in completed.stderr
    assert not out_dir.exists()
    assert run_ids_alive() == before


def test_missing_scenario_file():
    completed = subprocess.run([HASIM, "run", "no/such/scenario.yaml"], cwd=ROOT,
                               capture_output=True, text=True)
    assert completed.returncode == 2
    assert "no/such/scenario.yaml" in completed.stderr


def test_unknown_backend():
    completed = subprocess.run([HASIM, "run", str(NEGATIVE / "missed-bound.yaml"),
                                "--backend", "teleport"], cwd=ROOT, capture_output=True,
                               text=True)
    assert completed.returncode == 2
    assert "unknown backend 'teleport'" in completed.stderr


def test_a_run_that_cannot_start_exits_3_and_says_why(out_dir):
    """Regression: a bring-up error (a guest that did not start) was printed
    but not written into run.json, so result.json blamed its consequences
    ("the cluster did not form") and hasim exited 1 as if the cluster had
    failed. A libvirt daemon that does not answer stands for any such error."""
    before = run_ids_alive()
    completed = hasim_run(NEGATIVE / "missed-bound.yaml", out_dir, "--backend", "libvirt",
                          timeout=120,
                          HALAB_LIBVIRT_URI="qemu+unix:///system?socket=/nonexistent/sock")
    assert completed.returncode == 3, completed.stdout + completed.stderr
    reason = "could not run: hs_libvirt_conn_open"
    assert reason in completed.stderr
    run = json.loads((out_dir / "run.json").read_text())
    assert any(reason in e and "/nonexistent/sock" in e for e in run["runner_errors"]), run
    result = json.loads((out_dir / "result.json").read_text())
    assert result["passed"] is False
    assert result["failures"][0].startswith("runner: " + reason), result["failures"]
    assert reason in (out_dir / "junit.xml").read_text()
    assert run_ids_alive() == before


def console_run_folder(folder, backend):
    """A run folder as hasim leaves it, enough for `hasim console`."""
    (folder / "nodes" / "node1").mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(
        {"run_id": "hs000000", "backend": backend, "nodes": ["node1", "node2"]}))
    (folder / "nodes" / "node1" / "console.log").write_text("halab-init: node node1\n")
    return folder


def hasim_console(*args):
    return subprocess.run([HASIM, "console", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_console_refuses_what_has_no_console(tmp_path):
    native = console_run_folder(tmp_path / "native", "native")
    completed = hasim_console(native, "node1")
    assert completed.returncode == 2
    assert f"{native}/run.json: backend: native" in completed.stderr, completed.stderr
    guests = console_run_folder(tmp_path / "guests", "libvirt")
    completed = hasim_console(guests, "node7")
    assert completed.returncode == 2
    assert "nodes: no node 'node7'" in completed.stderr, completed.stderr
    completed = hasim_console(tmp_path / "nowhere", "node1")
    assert completed.returncode == 2
    assert f"{tmp_path}/nowhere/run.json" in completed.stderr, completed.stderr
    completed = hasim_console(guests)
    assert completed.returncode == 2 and "usage:" in completed.stderr


def test_console_of_a_guest_that_no_longer_runs_prints_its_log(tmp_path):
    guests = console_run_folder(tmp_path / "guests", "libvirt")
    for args in (["--log"], []):
        completed = hasim_console(*args, guests, "node1")
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout == "halab-init: node node1\n"
    # Without --log it says why there is no terminal: no daemon, or no domain.
    assert "what its console printed follows" in completed.stderr, completed.stderr
    completed = hasim_console("--log", guests, "node2")
    assert completed.returncode == 2
    assert "nodes/node2/console.log" in completed.stderr


def pid_gone(pid):
    """Ended (or a zombie waiting for a parent that no longer cares)."""
    try:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def wait_for_nodes(process, out_dir, timeout_s=30):
    """Until both nodes wrote their first cluster-log line."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        logs = list((out_dir / "nodes").glob("*/cluster.log")) if out_dir.exists() else []
        if len(logs) == 2 and all(p.stat().st_size > 0 for p in logs):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    raise AssertionError("the nodes never started")


def run_id_of(out_dir):
    """The run id whose owner file names out_dir (other runs may be going on)."""
    for owner in pathlib.Path("/run/halab").glob("hs*/owner"):
        if owner.read_text().split()[2:3] == [str(out_dir)]:
            return owner.parent.name
    raise AssertionError(f"no run of {out_dir} in /run/halab")


@contextlib.contextmanager
def started_run(out_dir):
    """hasim running lost-write.yaml, once both nodes have started: yields
    (process, run id, the PIDs the run recorded). Afterwards hasim is ended
    by its PID if it still runs and `hasim gc` removes what it left."""
    process = subprocess.Popen([HASIM, "run", str(NEGATIVE / "lost-write.yaml"), "--out",
                                str(out_dir), "--quiet"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_nodes(process, out_dir)
        run_id = run_id_of(out_dir)
        pids = [int(line.split()[0]) for line in
                pathlib.Path(f"/run/halab/{run_id}/pids").read_text().splitlines()]
        yield process, run_id, pids
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        subprocess.run([HASIM, "gc"], cwd=ROOT, capture_output=True)


def test_interrupt_tears_everything_down(out_dir):
    with started_run(out_dir) as (process, run_id, pids):
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        assert process.returncode == 130
        assert run_id not in run_ids_alive()
        for pid in pids:
            assert pid_gone(pid), f"hanode {pid} survived the interrupt"


def test_gc_after_killed_hasim(out_dir):
    with started_run(out_dir) as (process, run_id, pids):
        process.kill()
        process.wait(timeout=10)
        assert run_id in run_ids_alive(), "a killed hasim leaves its run behind"
        gc = subprocess.run([HASIM, "gc"], cwd=ROOT, capture_output=True, text=True)
        assert gc.returncode == 0, gc.stderr
        assert f"deleted namespace {run_id}-" in gc.stdout
        assert run_id not in run_ids_alive()
        time.sleep(0.2)
        for pid in pids:
            assert pid_gone(pid), f"hanode {pid} survived gc"
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        assert run_id not in links
