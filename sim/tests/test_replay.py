"""Tests of `hasim replay`: field logs in, a scenario out, and with --run
the divergences between the field and today's node.

- The round trip over the whole library: each library scenario is run, its
  two cluster logs replayed, the replay run, and the run must make the same
  transitions in the same order as the original (checked on both runs'
  result.json, not only by replay's own report). On the virtual backend
  (seconds, no root) when this hasim has it, else on the native one (root:
  marked netns).
- Hand-made field logs (sim/tests/replay_fixtures, made by its
  make_field_logs.py): a clock offset and a reboot that restarts the
  monotonic clock, a missing line, a log rotated mid-incident, a torn last
  line, a node of another cluster, an empty file, the same node twice, a
  file that is no cluster log: each a clear answer naming FILE:LINE, never
  a crash; the pbx incident's scenario is also compared with a golden file
  (HALAB_REGENERATE=1 rewrites it: review the diff).
- --run: the pbx incident reproduces; the failback incident (an older
  firmware handing the active role back) diverges, first divergence first.
"""
import json
import os
import pathlib
import re
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HASIM = str(BIN / "hasim")
FIXTURES = pathlib.Path("sim/tests/replay_fixtures")  # relative: FILE:LINE as users see it
LIBRARY = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
REPRODUCED = "the replay made the field's transitions, in the field's order, on both nodes"


def hasim(*args, timeout=600):
    return subprocess.run([HASIM, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, HALAB_BIN=str(BIN)))


def has_virtual():
    completed = hasim("run", "--help", timeout=30)
    return completed.returncode == 0 and "virtual" in completed.stdout


VIRTUAL = has_virtual()
BACKEND = "virtual" if VIRTUAL else "native"
# Running scenarios: seconds on virtual; on native it needs root and
# namespaces.
RUNS = [] if VIRTUAL else [pytest.mark.netns]


def replay(*logs, extra=()):
    return hasim("replay", *[FIXTURES / log for log in logs], *extra)


def transitions(run_dir):
    """Each node's (from, to) transitions within the run, in order. Per node:
    two nodes' transitions a few ms apart may come in either order."""
    result = json.loads((run_dir / "result.json").read_text())
    nodes = {}
    for t in result["transitions"]:
        if t["t_ms"] < result["ended_ms"]:
            nodes.setdefault(t["node"], []).append((t["from"], t["to"]))
    return nodes


# ------------------------------------------------------------- command line

def test_help():
    completed = hasim("replay", "--help")
    assert completed.returncode == 0 and completed.stderr == ""
    assert completed.stdout.startswith("usage: hasim replay NODE1.log NODE2.log")


@pytest.mark.parametrize("args, sentence", [
    ([], "hasim replay: needs two logs, one per node"),
    (["a.log"], "hasim replay: needs two logs, one per node"),
    (["a.log", "b.log", "c.log"], "hasim replay: unexpected argument 'c.log'"),
    (["a.log", "b.log", "--bogus"], "hasim replay: unknown option '--bogus'"),
    (["a.log", "b.log", "--out"], "hasim replay: option '--out' needs a value"),
    (["a.log", "b.log", "--backend", "virtual"],
     "hasim replay: --backend and --run-dir go with --run"),
])
def test_usage_errors(args, sentence):
    completed = hasim("replay", *args)
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert lines[0] == sentence, completed.stderr
    assert lines[1].startswith("usage: hasim replay"), completed.stderr


# ------------------------------------------------------------- field logs

def test_clock_offset_and_reboot(tmp_path):
    """pbx-b's wall clock runs 123456 ms ahead of pbx-a's, each host's
    monotonic clock counts from its own boot, and pbx-a's restarts after
    its power loss: the pairs find the offset, the wall clock joins the
    boots, and the incident is a power loss and a power-on of pbx-a."""
    out = tmp_path / "pbx.yaml"
    completed = replay("pbx/pbx-a.log", "pbx/pbx-b.log", extra=("--out", out))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    text = out.read_text()
    assert ("# Clock: sim/tests/replay_fixtures/pbx/pbx-b.log's clock is 123456 ms ahead of "
            "sim/tests/replay_fixtures/pbx/pbx-a.log's (+/- 2 ms), from 6 record pairs" in text)
    assert ("#   sim/tests/replay_fixtures/pbx/pbx-a.log:4 -> "
            "sim/tests/replay_fixtures/pbx/pbx-b.log:5: in sync at the same seq" in text)
    assert "pbx-a's hanode log, 10 records in 10 lines, 2 boots; staged as node1" in text
    scenario = yaml.safe_load(text)
    assert scenario["steps"] == [
        {"name": "s1-power-off", "after": "formed", "delay_ms": 1912, "action": "power_off",
         "node": "node1"},
        {"name": "s2-power-on", "after": "formed", "delay_ms": 5000, "action": "power_on",
         "node": "node1"},
    ]
    assert scenario["overrides"] == {"timers": {"wait_for_peer_ms": 3000}}
    assert ("s1-power-off at +1912 ms: power_off node1 (+/- 100 ms). pbx-b heard nothing from "
            "pbx-a on any link for 1000 ms, and pbx-a logged nothing after: power loss or crash "
            "of pbx-a. Evidence: sim/tests/replay_fixtures/pbx/pbx-b.log:7 'peer silent on sync "
            "and external links for 1000 ms'" in text)
    assert {"transition": {"node": "node2", "from": "standby", "to": "active"},
            "after": "s1-power-off", "within_ms": [700, 1500]} in scenario["expect"]
    assert hasim("lint", out).returncode == 0


def test_golden_scenario(tmp_path):
    """The pbx incident's scenario, letter for letter."""
    completed = replay("pbx/pbx-a.log", "pbx/pbx-b.log")
    assert completed.returncode == 0, completed.stderr
    golden = ROOT / FIXTURES / "pbx" / "expected.yaml"
    if os.environ.get("HALAB_REGENERATE") == "1":
        golden.write_text(completed.stdout)
    assert completed.stdout == golden.read_text(), (
        "the replay differs from sim/tests/replay_fixtures/pbx/expected.yaml "
        "(if intended: HALAB_REGENERATE=1, review the diff)")


@pytest.mark.parametrize("logs, note", [
    (("missing/pbx-a.log", "pbx/pbx-b.log"),
     "#   sim/tests/replay_fixtures/missing/pbx-a.log:3: the record comes from 'active' but "
     "line 2 left pbx-a 'standby': records are missing between lines 2 and 3"),
    (("rotated/pbx-a.log", "pbx/pbx-b.log"),
     "#   sim/tests/replay_fixtures/rotated/pbx-a.log:1: the log begins mid-incident (its "
     "first record is a 'sync' record with pbx-a active, not a start)"),
    (("pbx/pbx-a.log", "torn/pbx-b.log"),
     "#   sim/tests/replay_fixtures/torn/pbx-b.log:8: skipped a torn last line (the node "
     "stopped while writing it?): not JSON"),
])
def test_flawed_logs_are_replayed_with_a_note(logs, note, tmp_path):
    out = tmp_path / "replay.yaml"
    completed = replay(*logs, extra=("--out", out))
    assert completed.returncode == 0, completed.stderr
    text = out.read_text()
    assert note in text, text
    # The incident is still there: pbx-a's power loss and its return.
    steps = [(s["action"], s.get("node")) for s in yaml.safe_load(text)["steps"]]
    assert steps == [("power_off", "node1"), ("power_on", "node1")]


@pytest.mark.parametrize("logs, error", [
    (("pbx/pbx-a.log", "stranger/pbx-c.log"),
     "hasim replay: sim/tests/replay_fixtures/pbx/pbx-a.log:2: pbx-a's peer is 'pbx-b', but "
     "sim/tests/replay_fixtures/stranger/pbx-c.log is the log of 'pbx-c': the two logs are not "
     "of one cluster (give the logs of pbx-a and pbx-b)"),
    (("pbx/pbx-a.log", "empty/pbx-b.log"),
     "hasim replay: sim/tests/replay_fixtures/empty/pbx-b.log:1: the file is empty: nothing "
     "to replay"),
    (("pbx/pbx-a.log", "pbx/pbx-a.log"),
     "hasim replay: sim/tests/replay_fixtures/pbx/pbx-a.log:1 and "
     "sim/tests/replay_fixtures/pbx/pbx-a.log:1: both are logs of node 'pbx-a'; give one log "
     "per node"),
    (("pbx/pbx-a.log", "no-such.log"),
     "hasim replay: sim/tests/replay_fixtures/no-such.log: cannot open: No such file or "
     "directory"),
    (("pbx/pbx-a.log", "make_field_logs.py"),
     "hasim replay: sim/tests/replay_fixtures/make_field_logs.py:1: no line of its"),
])
def test_logs_that_cannot_be_replayed(logs, error, tmp_path):
    out = tmp_path / "replay.yaml"
    completed = replay(*logs, extra=("--out", out))
    assert completed.returncode == 2
    assert completed.stderr.startswith(error), completed.stderr
    assert len(completed.stderr.splitlines()) == 1
    assert not out.exists()


def test_log_of_a_stack_without_adapter(tmp_path):
    """A keepalived log (no adapter yet) is refused by name, not misread."""
    log = tmp_path / "keepalived.log"
    log.write_text("Dec  1 10:00:00 lb1 Keepalived_vrrp[812]: (VI_1) Entering MASTER STATE\n")
    completed = hasim("replay", FIXTURES / "pbx/pbx-a.log", log)
    assert completed.returncode == 2
    assert completed.stderr == (f"hasim replay: {log}:1: no line of its 1 is a cluster-log "
                                "record hasim reads (adapters: hanode)\n")


def test_replay_from_the_engineers_own_folder(tmp_path):
    """Regression: the default topology was looked up in ./topologies, so
    the README's worked example, run where the logs are, failed with
    "--topology: topologies/rack1-pair.yaml: file: cannot open". Now a bare
    name goes along --topology-dir, $HALAB_TOPOLOGY_PATH and the shipped
    folder, as for hasim run."""
    for log in ("pbx-a.log", "pbx-b.log"):
        (tmp_path / log).write_bytes((ROOT / FIXTURES / "pbx" / log).read_bytes())
    completed = subprocess.run([HASIM, "replay", "pbx-a.log", "pbx-b.log", "--out",
                                "incident.yaml"], cwd=tmp_path, capture_output=True, text=True,
                               timeout=60, stdin=subprocess.DEVNULL)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == "hasim replay: wrote incident.yaml (2 steps)\n"
    assert "topology: rack1-pair\n" in (tmp_path / "incident.yaml").read_text()
    completed = subprocess.run([HASIM, "replay", "pbx-a.log", "pbx-b.log", "--topology",
                                "no-such-pair"], cwd=tmp_path, capture_output=True, text=True,
                               timeout=60, stdin=subprocess.DEVNULL)
    assert completed.returncode == 2
    assert completed.stderr.startswith("hasim replay: --topology: no topology 'no-such-pair' "
                                       "in the search path (")
    assert completed.stderr.endswith("); name a file, or add its folder with "
                                     "--topology-dir\n")


# ------------------------------------------------------------- --run

@pytest.mark.parametrize("name", [pytest.param(n, marks=RUNS) for n in ("pbx", "failback")])
def test_run(name, tmp_path):
    if not VIRTUAL and os.geteuid() != 0:
        pytest.skip("the native backend needs root and the virtual one is not in this build")
    completed = replay(f"{name}/pbx-a.log", f"{name}/pbx-b.log", extra=(
        "--run", "--run-dir", tmp_path / "run", "--out", tmp_path / "replay.yaml",
        "--backend", BACKEND))
    lines = completed.stdout.splitlines()
    if name == "pbx":
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert REPRODUCED in lines
        return
    assert completed.returncode == 1, completed.stdout + completed.stderr
    divergences = [line for line in lines if line.startswith("divergence ")]
    assert divergences == [
        "divergence 1: node2's transition 3: the field went active->standby at +8018 ms "
        "(sim/tests/replay_fixtures/failback/pbx-b.log:9 'preferred node pbx-a is back: "
        "handing over'); the replay did not",
        "divergence 2: node1's transition 4: the field went standby->active at +8200 ms "
        "(sim/tests/replay_fixtures/failback/pbx-a.log:11 'preferred node pbx-a takes the "
        "active role back'); the replay did not",
    ], completed.stdout
    # The report reads on its own: the run's FAIL block is not repeated
    # before it, and it ends with the line that stages the replay again.
    assert "FAIL" not in completed.stderr, completed.stderr
    assert lines[-1] == (f"run it again: hasim run {tmp_path / 'replay.yaml'} --quiet --seed 1 "
                         f"--backend {BACKEND}"), completed.stdout


# ------------------------------------------------------------- round trip

@pytest.mark.parametrize("scenario", [pytest.param(s, marks=RUNS) for s in LIBRARY])
def test_round_trip(scenario, tmp_path):
    """Run a library scenario, replay its two logs, run the replay: the same
    transitions in the same order, on both runs' own reports."""
    if not VIRTUAL and os.geteuid() != 0:
        pytest.skip("the native backend needs root and the virtual one is not in this build")
    field = tmp_path / "field"
    ran = hasim("run", f"scenarios/{scenario}.yaml", "--backend", BACKEND, "--out", field,
                "--quiet")
    assert ran.returncode in (0, 1), ran.stdout + ran.stderr
    completed = hasim("replay", field / "nodes/node1/cluster.log",
                      field / "nodes/node2/cluster.log", "--out", tmp_path / "replay.yaml",
                      "--run", "--backend", BACKEND, "--run-dir", tmp_path / "replay")
    assert REPRODUCED in completed.stdout.splitlines(), completed.stdout + completed.stderr
    assert transitions(tmp_path / "replay") == transitions(field)
    if VIRTUAL:  # every window holds too (native: the machine's load may move them)
        assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not re.search(r"^divergence", completed.stdout, re.M)
