"""The simulator bugs of sim/tests/findings/README.md stay fixed (virtual backend).

Each test runs hasim as a user would and checks what the bug broke:
- S3: a host deadline in the past made the virtual lab run a node's tick
  at its own past time without end (cluster.log filled with "time went
  backwards"). The schedule that showed it (swarm seed 1157, fence) ends at
  once now: it passes, or fails with the lab's stall sentence naming the
  source that stays due (the node bug of
  findings/disconnect-during-fence-delay.yaml); never a refused tick, never
  a run folder that grows.
- S6: firmware_update of a powered-off node is refused with a sentence
  naming the node, and the node stays off (display and final.json).
The other fixes have regression scenarios (scenarios/regressions/:
virtual-leftover-cluster-ip S1, fence-peer-never-heard S2,
crash-during-boot S4) and CUnit tests (test_virtual_net: a timer that
stays due is a stall; test_check: a start record after a graceful stop, C1).
"""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))

# swarm --seed 1157 --count 1 --tiebreaker fence, shrunk (findings/README.md, S3)
PAST_DEADLINE = """name: past-deadline
description: a host deadline in the past (swarm seed 1157, fence)
topology: rack1-pair
overrides: {tiebreaker: fence}
settle_ms: 16950
timeout_ms: 90000
client: {rate_per_s: 50, resolution_ms: 100}
steps:
  - {name: s01, after: formed, delay_ms: 26, action: power_off, node: "@active"}
  - {name: s04, after: formed, delay_ms: 57, action: crash, node: "@standby"}
  - {name: s05, after: formed, delay_ms: 102, action: restart, node: "@standby"}
  - {name: s08, after: formed, delay_ms: 10170, action: disconnect, node: "@standby"}
expect:
  - {invariant: no_silent_loss}
"""

FIRMWARE_OFF = """name: firmware-powered-off
description: firmware_update of a powered-off node is refused
topology: rack1-pair
timeout_ms: 60000
client: {rate_per_s: 20}
steps:
  - {name: cut, after: formed, delay_ms: 2000, action: power_off, node: node2}
  - {name: fw, after: cut, delay_ms: 500, action: firmware_update, node: node2, version: "2.3.2"}
expect:
  - {final: {node: node2, state: "off"}}
  - {final: {node: node1, state: active}}
"""


def run_virtual(tmp_path, text, seed):
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(text)
    out = tmp_path / "run"
    completed = subprocess.run(
        [str(BIN / "hasim"), "run", str(scenario), "--backend", "virtual", "--seed", str(seed),
         "--out", str(out), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, HALAB_BIN=str(BIN)))
    return completed, out


def test_past_deadline_runs_now_and_a_stall_ends_the_run(tmp_path):
    completed, out = run_virtual(tmp_path, PAST_DEADLINE, 1157)
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert path.stat().st_size < 4 << 20, f"{path} grew to {path.stat().st_size} bytes"
    for log in (out / "nodes").glob("*/cluster.log"):
        assert "time went backwards" not in log.read_text(), f"{log}: a tick in the past"
    failures = json.loads((out / "result.json").read_text())["failures"]
    stalls = [f for f in failures if "virtual time stalled" in f]
    if completed.returncode == 1 and stalls:
        assert "in the virtual lab: node2's host deadline stays due at" in stalls[0], stalls
        assert "runs without virtual time moving on" in stalls[0], stalls


def test_firmware_of_a_powered_off_node_is_refused(tmp_path):
    completed, out = run_virtual(tmp_path, FIRMWARE_OFF, 1)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    result = json.loads((out / "result.json").read_text())
    assert ("step 'fw' did not happen: firmware_update node2 failed: firmware: node 'node2' "
            "is powered off") in result["failures"], result["failures"]
    assert result["final"] == {"node1": "active", "node2": "off"}, result["final"]
    final = json.loads((out / "final.json").read_text())["nodes"]["node2"]
    assert final["display"] == "off" and not final["reachable"], final
