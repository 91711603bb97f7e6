"""The virtual backend as a user meets it: `hasim run FILE --backend virtual`.

- It runs as an ordinary user: no root, no namespace, nothing under /run.
- The whole library passes on it (one test per scenario of scenarios/).
- It is deterministic: the whole library twice with the same seed gives the
  same run folders byte for byte, apart from run.json's run id and wall
  time (FoundationDB's "unseed" check); another seed gives other bytes.
- A bad scenario is refused the same way as on native: exit 2, the error
  naming file, line and field, nothing created.

- `hasim parity` gives the same transition sequences on virtual and native
  for every scenario of the library (marked netns: native needs root; the
  make targets deselect it with -m "not netns").

Nothing else here needs root (the ordinary-user test drops to `nobody`
with setpriv when pytest runs as root), so this file also runs under a
sanitized hasim (`make test-virtual-asan`).
"""
import filecmp
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HASIM = str(BIN / "hasim")
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
NEGATIVE = ROOT / "sim" / "tests" / "negative"
RUN_FILES = ["run.json", "steps.jsonl", "client.jsonl", "fabric.jsonl", "fabric-counters.json",
             "final.json", "result.json", "junit.xml", "timeline.html"]
# run.json's members that differ between two runs of the same seed.
# What differs between two runs of one seed: the run's id and wall time, and
# its provenance of the host and the command (the run folder's path).
RUN_JSON_UNSTABLE = {"run_id", "wall_run_ms", "argv", "command_line", "host"}


def hasim_virtual(scenario, out, *extra, user=None, timeout=120):
    command = [HASIM, "run", str(scenario), "--backend", "virtual", "--out", str(out), "--quiet",
               *extra]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups",
                   *command]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, HALAB_BIN=str(BIN)))


def run_halab_state():
    state = pathlib.Path("/run/halab")
    return sorted(p.name for p in state.iterdir()) if state.exists() else []


def netns_names():
    netns = pathlib.Path("/run/netns")
    return sorted(p.name for p in netns.iterdir()) if netns.exists() else []


@pytest.fixture
def open_folder():
    """A folder under /tmp that an ordinary user may write (pytest's own
    tmp_path is root's alone); removed afterwards."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix=f"hsv{os.getpid()}-", dir="/tmp"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.serial
def test_active_power_loss_as_an_ordinary_user(open_folder):
    """As `nobody` (when we are root) or as ourselves: it runs, passes, and
    leaves nothing outside its run folder."""
    user = "nobody" if os.geteuid() == 0 else None
    out = open_folder / "run"
    state_before, netns_before = run_halab_state(), netns_names()
    completed = hasim_virtual(ROOT / "scenarios" / "active-power-loss.yaml", out, user=user)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for name in RUN_FILES + ["nodes/node1/cluster.log", "nodes/node2/cluster.log"]:
        assert (out / name).is_file(), name
    if user is not None:
        assert (out / "result.json").stat().st_uid != 0, "not written by the ordinary user"
    result = json.loads((out / "result.json").read_text())
    assert result["passed"] is True and result["backend"] == "virtual"
    assert sorted(result["final"].values()) == ["active", "off"]
    assert run_halab_state() == state_before
    assert netns_names() == netns_before


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_library_scenario_passes(scenario, tmp_path):
    completed = hasim_virtual(scenario, tmp_path / "run")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def run_library(folder, seed):
    folder.mkdir()
    for scenario in SCENARIOS:
        completed = hasim_virtual(scenario, folder / scenario.stem, "--seed", str(seed))
        assert completed.returncode in (0, 1), completed.stdout + completed.stderr


def differing_files(left, right):
    """Files of two run folders that differ, run.json compared without its
    unstable members."""
    differing = []
    comparison = filecmp.dircmp(left, right)
    stack = [(comparison, pathlib.Path())]
    while stack:
        current, relative = stack.pop()
        differing += [str(relative / name) for name in current.left_only + current.right_only]
        for name in current.common_files:
            if name == "run.json":
                a, b = (json.loads((pathlib.Path(d) / name).read_text())
                        for d in (current.left, current.right))
                for key in RUN_JSON_UNSTABLE:
                    a.pop(key, None)
                    b.pop(key, None)
                if a != b:
                    differing.append(str(relative / name))
            elif not filecmp.cmp(pathlib.Path(current.left) / name,
                                 pathlib.Path(current.right) / name, shallow=False):
                differing.append(str(relative / name))
        stack += [(sub, relative / name) for name, sub in current.subdirs.items()]
    return differing


def test_library_twice_same_seed_same_bytes(tmp_path):
    first, second, other = tmp_path / "first", tmp_path / "second", tmp_path / "other"
    run_library(first, 7)
    run_library(second, 7)
    run_library(other, 8)
    for scenario in SCENARIOS:
        left, right = first / scenario.stem, second / scenario.stem
        assert sorted(p.name for p in left.iterdir()) == sorted(p.name for p in right.iterdir())
        assert differing_files(left, right) == [], scenario.stem
    # Not deterministic because nothing varies: another seed moves events.
    changed = [s.stem for s in SCENARIOS
               if "nodes/node1/cluster.log" in differing_files(first / s.stem, other / s.stem)
               or "client.jsonl" in differing_files(first / s.stem, other / s.stem)]
    assert len(changed) >= len(SCENARIOS) // 2, changed


def test_bad_scenario_refused_as_on_native(tmp_path):
    out = tmp_path / "run"
    completed = hasim_virtual(NEGATIVE / "bad-field.yaml", out)
    assert completed.returncode == 2
    assert "bad-field.yaml:6: steps[0].action" in completed.stderr, completed.stderr
    assert "unplug_everything" in completed.stderr
    assert not out.exists()


def test_unknown_backend_names_the_virtual_one(tmp_path):
    completed = subprocess.run([HASIM, "run", str(SCENARIOS[0]), "--backend", "simulated",
                                "--out", str(tmp_path / "run")], cwd=ROOT, capture_output=True,
                               text=True)
    assert completed.returncode == 2
    assert "known: native, libvirt, virtual" in completed.stderr


def test_run_json_keeps_the_wall_figures(tmp_path):
    out = tmp_path / "run"
    completed = hasim_virtual(ROOT / "scenarios" / "active-power-loss.yaml", out)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run = json.loads((out / "run.json").read_text())
    assert run["backend"] == "virtual" and run["client_port"] == 0
    assert run["t0_mono_ms"] == 1000000
    assert isinstance(run["wall_run_ms"], float) and run["wall_run_ms"] > 0
    log = (out / "nodes" / "node1" / "cluster.log").read_text().splitlines()
    first = json.loads(log[0])
    assert first["wall_ms"] - first["mono_ms"] == 1767225600000 - 1000000


@pytest.mark.netns
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_parity_virtual_native(scenario, tmp_path):
    """`hasim parity` over the library: the same transition sequences on
    virtual and native (native needs root: namespaces)."""
    if os.geteuid() != 0:
        pytest.skip("the native backend needs root (network namespaces)")
    completed = subprocess.run([HASIM, "parity", str(scenario), "--backends", "virtual,native",
                                "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                               text=True, timeout=300, env=dict(os.environ, HALAB_BIN=str(BIN)))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "same transitions" in completed.stdout
