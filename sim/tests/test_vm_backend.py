"""The libvirt backend against the native one, and its cleanup.

- Parity: one scenario on both backends, the same verdict and the same
  role transitions (per role alias, times and reasons aside); on guests
  the fabric watched who spoke for the cluster IP (the active, then the
  standby), as the checker's wire judgement needs.
- A failing run on guests fails with the same expectation as on native;
  with --keep-on-failure its guests stay for `hasim console`, and `hasim gc`
  removes them.
- Nothing is left after Ctrl-C (SIGINT) of hasim, nor after SIGKILL of hasim
  at random moments (its guests die with its libvirt connection, its
  guardian undefines them and removes the rest), nor after SIGKILL of hasim
  and its guardian followed by `hasim gc`: no QEMU process, no domain, no
  state folder with its disks.
- A control request to a guest that does not answer (its QEMU stopped)
  does not stop the runner's loop.
- A VM matrix of a representative subset (`hasim matrix --backend
  libvirt`, two jobs): active-power-loss on virt1-pair and rack1-virt1,
  guests shaped and sized by the model table (a virt1: LAN1 and LAN3, one
  disk without RAID; a rack1: four NICs, md RAID1 over two disks), as
  run.json and the guests' consoles say.

Marked vm: each test boots QEMU guests (TCG), half a minute or more.
`make test-vm` runs them with one libvirtd for the session (ci/libvirtd.sh).
"""
import json
import os
import pathlib
import random
import select
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HASIM = str(BIN / "hasim")
STATE = pathlib.Path("/run/halab")
QEMU_LOGS = pathlib.Path("/var/log/libvirt/qemu")  # where libvirtd logs each QEMU
ENV = dict(os.environ, HALAB_BIN=str(BIN))

pytestmark = pytest.mark.vm


def hasim(*args, timeout=600):
    return subprocess.run([HASIM, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def run_scenario(path, backend, out, *extra):
    completed = hasim("run", path, "--backend", backend, "--out", out, "--quiet", *extra)
    return completed, json.loads((out / "result.json").read_text())


def role_sequence(result, out):
    """Each node's transitions in order, by role alias, without times or
    reasons; only those of the scenario itself (teardown comes after
    ended_ms and is not judged)."""
    aliases = {node: alias for alias, node in
               json.loads((out / "run.json").read_text())["aliases"].items()}
    sequence = {}
    for transition in result["transitions"]:
        if transition["t_ms"] > result["ended_ms"]:
            continue
        alias = aliases.get(transition["node"], transition["node"])
        sequence.setdefault(alias, []).append((transition["from"], transition["to"]))
    return sequence


def failed_expectations(result):
    """Which expectations failed, by position (their descriptions carry
    node names and scaled windows, which differ between backends)."""
    return [i for i, e in enumerate(result["expectations"]) if not e["passed"]]


def domains(run_id, *states):
    """The run's domains: all of them, or those virsh lists with states
    (e.g. "--state-running")."""
    listed = subprocess.run(["virsh", "-c", os.environ.get("HALAB_LIBVIRT_URI", "qemu:///system"),
                             "list", *(states or ["--all"]), "--name"],
                            capture_output=True, text=True, timeout=30)
    return {name for name in listed.stdout.split() if name.startswith(run_id + "-")}


def read_until(stream, marker, timeout):
    """What a pipe gave until marker appeared (or timeout, or its end)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.5)
        if ready:
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return seen


def qemu_guests(run_id):
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "qemu-system" in command and f"guest={run_id}-" in command:
            found.append(int(proc.name))
    return found


def assert_nothing_left(run_id, why=""):
    """No QEMU guest, no domain, no state folder (which holds the disks), no
    QEMU log left in libvirt's folder."""
    deadline = time.monotonic() + 10  # a destroyed QEMU takes a moment to go
    while qemu_guests(run_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert qemu_guests(run_id) == [], why
    assert domains(run_id) == set(), why
    assert not (STATE / run_id).exists(), why
    assert list(QEMU_LOGS.glob(run_id + "-*")) == [], why  # moved, or removed by gc


def assert_qemu_logs_moved(out):
    """libvirt's log of each guest's QEMU is in the run folder, not left
    in libvirt's log folder (which grew by two files a run)."""
    run_id = json.loads((out / "run.json").read_text())["run_id"]
    for node in ("node1", "node2"):
        text = (out / "nodes" / node / "qemu.log").read_text()
        assert f"guest={run_id}-{node}" in text, text[:2000]
    assert list(QEMU_LOGS.glob(run_id + "-*")) == []


def assert_fabric_watched_the_cluster_ip(out):
    """The fabric watched who speaks for the cluster IP on guests too
    (sim/fabric/observe.c; the checker judges cluster_ip_unique and
    single_active from it): the active's external cables before the power
    cut, the standby's after it, and no one else's."""
    lines = [json.loads(line) for line in (out / "fabric.jsonl").open()]
    cut = next(json.loads(line)["mono_ms"] for line in (out / "steps.jsonl").open()
               if json.loads(line)["name"] == "cut")
    aliases = json.loads((out / "run.json").read_text())["aliases"]
    seen = [(line["mono_ms"], line["cable"]) for line in lines
            if line["event"] == "cluster_ip_seen"]
    assert [line["reason"] for line in lines if line["event"] == "cluster_ip_watch"] == \
        ["192.0.2.10"]
    # A guest's cables are its ports (LAN1, LAN2: its bond is its own).
    assert {cable.split(".")[0] for t, cable in seen if t < cut} == {aliases["@active"]}
    assert {cable.split(".")[0] for t, cable in seen if t > cut + 1000} == {aliases["@standby"]}


def start_until_guests_run(scenario, out):
    """Start `hasim run` on guests in the background; return the process and
    the run id once both guests' QEMU processes exist."""
    process = subprocess.Popen([HASIM, "run", ROOT / "scenarios" / scenario, "--backend",
                                "libvirt", "--out", out, "--quiet"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    run_id = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if run_id is None:
            for owner in STATE.glob("hs*/owner"):
                fields = owner.read_text().split()
                if fields[0] == str(process.pid):
                    run_id = owner.parent.name
        elif len(qemu_guests(run_id)) == 2:
            return process, run_id
        time.sleep(0.3)
    process.kill()
    output = process.communicate()
    hasim("gc")
    pytest.fail(f"the guests of {scenario} never started (run id {run_id}): {output}")


@pytest.fixture
def background():
    """Processes a test started; killed and gc'd whatever the test did."""
    started = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()
    hasim("gc", timeout=120)


# Guests as the model table (refimpl/core/hn_models.h) shapes them, and
# sized by libvirt_domain.h's scale (a rack1/virt1 of 4 CPUs and 8-16 GB:
# 1 vCPU, 128..256 MiB).
SHAPES = {
    "rack1": {"disks": 2, "raid": "md0 RAID1", "nics": ["LAN1", "LAN2", "LAN3", "LAN4"]},
    "virt1": {"disks": 1, "raid": None, "nics": ["LAN1", "LAN3"]},
}


def test_vm_matrix_guests_shaped_by_model(tmp_path):
    """`hasim matrix --backend libvirt` over two cells passes, every guest
    has the NICs, disks and RAID of its model and the size the scale
    gives, and no domain is left."""
    out = tmp_path / "matrix"
    started = time.monotonic()
    done = hasim("matrix", "--backend", "libvirt", "--topologies", "virt1-pair,rack1-virt1",
                 "--scenarios", ROOT / "scenarios" / "active-power-loss.yaml", "--jobs", "1",
                 "--out", out, "--quiet", timeout=900)
    elapsed = time.monotonic() - started
    document = json.loads((out / "matrix.json").read_text())
    assert done.returncode == 0, (done.stdout + done.stderr,
                                  [(run["topology"], run["reason"]) for run in document["runs"]])
    assert document["totals"] == {"pass": 2, "fail": 0, "error": 0, "skip": 0, "runs": 2}
    print(f"VM matrix: 2 runs, one at a time, in {elapsed:.0f} s")
    for run in document["runs"]:
        run_dir = out / run["run_dir"]
        info = json.loads((run_dir / "run.json").read_text())
        settings = info["backend_settings"]
        assert settings["name"] == "libvirt"
        scale = settings["scale"]
        for node, guest in settings["guests"].items():
            model = guest["model"]
            assert {key: guest[key] for key in SHAPES[model]} == SHAPES[model], (node, guest)
            memory = min(max(guest["model_memory_mb"] // scale["memory_divisor"],
                             scale["memory_mib_min"]), scale["memory_mib_max"])
            vcpus = min(max(guest["model_cpu_count"] // scale["cpu_divisor"], 1),
                        scale["vcpus_max"])
            assert (guest["memory_mib"], guest["vcpus"]) == (memory, vcpus), (node, guest)
            console = (run_dir / "nodes" / node / "console.log").read_text(errors="replace")
            if model == "virt1":
                assert "halab-init: bond0 = eth0 " in console, console[-2000:]
                assert "halab-init: bond1 = eth1 " in console
                assert "halab-init: vda mounted on /data (no RAID)" in console
                assert "md0" not in console
            else:
                assert "halab-init: bond0 = eth0+eth1 " in console, console[-2000:]
                assert "halab-init: bond1 = eth2+eth3 " in console
                assert "halab-init: md0 mounted on /data" in console
        assert not domains(info["run_id"]), info["run_id"]


def test_same_scenario_same_verdict_on_both_backends(tmp_path):
    """Parity: active-power-loss passes on both backends with the same role
    transitions per role (@active/@standby); the libvirt result names its
    backend and its time scale."""
    sequences = {}
    for backend in ("native", "libvirt"):
        out = tmp_path / backend
        completed, result = run_scenario(ROOT / "scenarios" / "active-power-loss.yaml",
                                         backend, out)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert result["passed"] is True
        assert result["backend"] == backend
        sequences[backend] = role_sequence(result, out)
        scale = result["time_scale"]
        if backend == "libvirt":
            assert_qemu_logs_moved(out)
            assert_fabric_watched_the_cluster_ip(out)
    assert scale > 1.0  # the libvirt run's windows were stretched, and it says so
    assert sequences["native"] == sequences["libvirt"], sequences
    assert ("standby", "active") in sequences["libvirt"]["@standby"]
    assert ("starting", "standby") in sequences["libvirt"]["@active"]


def test_failure_same_verdict_kept_guests_then_gc(tmp_path, background):
    """A scenario that must fail fails on guests with the same expectation as
    on native; --keep-on-failure keeps its guests running, `hasim console`
    is a terminal on a kept guest (a shell answers) and shows the log of one
    that no longer runs, and `hasim gc` then removes them."""
    negative = ROOT / "sim" / "tests" / "negative" / "wrong-transition.yaml"
    completed, native = run_scenario(negative, "native", tmp_path / "native")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    out = tmp_path / "libvirt"
    completed, result = run_scenario(negative, "libvirt", out, "--keep-on-failure")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "--keep-on-failure" in completed.stderr
    assert failed_expectations(result) == failed_expectations(native) != []

    run_id = json.loads((out / "run.json").read_text())["run_id"]
    try:
        assert domains(run_id), "the guests were not kept"
        assert len(qemu_guests(run_id)) >= 1  # the survivor (its peer was powered off)
        running = domains(run_id, "--state-running")
        assert len(running) == 1, running  # its peer was powered off
        survivor = running.pop()[len(run_id) + 1:]
        other = "node2" if survivor == "node1" else "node1"
        # A terminal on the survivor's console: a shell in the guest answers.
        console = subprocess.Popen([HASIM, "console", out, survivor], cwd=ROOT,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=ENV)
        background.append(console)
        console.stdin.write(b"cat /proc/mdstat; echo console-$((6*7))\n")
        console.stdin.flush()
        shown = read_until(console.stdout, b"console-42", timeout=30)
        console.send_signal(signal.SIGINT)
        _, stderr = console.communicate(timeout=10)
        assert console.returncode == 0, stderr
        assert b"console-42" in shown, shown
        assert b"md0 : active raid1" in shown, shown
        assert b"disconnected: interrupted" in stderr, stderr
        # The powered-off peer has no console to attach to: its log is shown.
        logged = hasim("console", out, other, timeout=30)
        assert logged.returncode == 0, logged.stderr
        assert "is not running" in logged.stderr
        assert f"halab-init: node {other}" in logged.stdout
        # --log prints what the console printed, typed commands included.
        logged = hasim("console", "--log", out, survivor, timeout=30)
        assert logged.returncode == 0, logged.stderr
        assert f"halab-init: node {survivor}" in logged.stdout
        assert "console-42" in logged.stdout
    finally:
        gc = hasim("gc", timeout=120)
    assert gc.returncode == 0, gc.stderr
    assert_nothing_left(run_id, gc.stdout)


def test_interrupt_tears_the_guests_down(tmp_path, background):
    process, run_id = start_until_guests_run("switchover.yaml", tmp_path / "run")
    background.append(process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode != 0, stdout
    assert_nothing_left(run_id, stderr)


def children_of(pid):
    children = pathlib.Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


def test_gc_after_hasim_and_its_guardian_killed_removes_the_guests(tmp_path, background):
    process, run_id = start_until_guests_run("switchover.yaml", tmp_path / "run")
    background.append(process)
    recorded = [int(line.split()[0]) for line in
                (STATE / run_id / "pids").read_text().splitlines()]
    for child in children_of(process.pid):
        if child not in recorded:
            os.kill(child, signal.SIGKILL)  # the guardian, hasim's own child
    process.kill()
    process.communicate(timeout=60)
    assert domains(run_id), "hasim and its guardian killed leave the domains defined"
    gc = hasim("gc", timeout=120)
    assert gc.returncode == 0, gc.stderr
    assert_nothing_left(run_id, gc.stdout)


VM_KILLS = 3
VM_KILL_SEED = 2026


def test_sigkill_at_random_moments_leaves_no_guest(tmp_path, background):
    """hasim killed (alone) at random moments from bring-up to its steps:
    nothing is left, without `hasim gc`."""
    moments = random.Random(VM_KILL_SEED)
    for attempt in range(VM_KILLS):
        out = tmp_path / f"run{attempt}"
        delay_s = moments.uniform(2.0, 40.0)
        process = subprocess.Popen([HASIM, "run", ROOT / "scenarios" / "switchover.yaml",
                                    "--backend", "libvirt", "--out", out, "--quiet"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=ENV)
        background.append(process)
        run_id, started = None, time.monotonic()
        while time.monotonic() - started < delay_s and process.poll() is None:
            for owner in STATE.glob("hs*/owner"):
                if owner.read_text().split()[:1] == [str(process.pid)]:
                    run_id = owner.parent.name
            time.sleep(0.1)
        process.kill()
        process.communicate(timeout=120)  # the guardian holds stderr until it is done
        assert run_id, f"kill {attempt} at {delay_s:.1f} s: the run never started"
        assert_nothing_left(run_id, f"kill {attempt} at {delay_s:.1f} s")


def test_control_request_to_a_stopped_guest_does_not_stall_the_loop(tmp_path, background):
    """node1's QEMU stopped (SIGSTOP): its agent never answers the
    maintenance request, which fails after 8000 ms; the loop turned all
    along (its longest stall far below that)."""
    scenario = tmp_path / "silent-guest.yaml"
    scenario.write_text(
        "name: silent-guest\n"
        "topology: rack1-pair\n"
        "timeout_ms: 120000\n"
        "settle_ms: 1000\n"
        "steps:\n"
        "  - {name: ask, after: formed, delay_ms: 2000, action: maintenance_on, node: node1}\n"
        "expect:\n"
        "  - {invariant: single_active}\n")
    out = tmp_path / "run"
    process = subprocess.Popen([HASIM, "run", scenario, "--backend", "libvirt", "--out", out,
                                "--quiet", "--topology-dir", ROOT / "topologies"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    background.append(process)
    stopped = []
    steps = out / "steps.jsonl"
    deadline = time.monotonic() + 300
    while process.poll() is None and not stopped and time.monotonic() < deadline:
        if steps.exists() and '"formed"' in steps.read_text():
            run_id = next(o.parent.name for o in STATE.glob("hs*/owner")
                          if o.read_text().split()[:1] == [str(process.pid)])
            for pid in qemu_guests(run_id):
                command = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
                if f"guest={run_id}-node1".encode() in command:
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
        time.sleep(0.05)
    try:
        process.communicate(timeout=300)
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)  # if teardown left it (it must not)
            except ProcessLookupError:
                pass
    assert stopped, "the cluster never formed"
    run = json.loads((out / "run.json").read_text())
    ask = [json.loads(line) for line in steps.read_text().splitlines() if '"ask"' in line][0]
    assert ask["ok"] is False
    assert "no answer to 'CONTROL maintenance on' within 8000 ms" in ask["error"], ask
    assert 0 < run["loop_gap_max_ms"] < 2000, run["loop_gap_max_ms"]
