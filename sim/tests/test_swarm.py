"""`hasim swarm` as a user meets it.

- Usage: --help exits 0; every bad option, value or combination exits 2 with
  one sentence and the usage; an output folder of another swarm run is refused.
- A short run: one summary.json entry per schedule, the exit status says
  whether a property was violated, every failing schedule is a scenario file
  that `hasim lint` loads, and every failure prints its two reproducers.
- Determinism: the same seed and count give the same verdicts and the same
  files with one job or two (only times and the output folder differ).
- A planted failure (the test switch HALAB_SWARM_PLANT=PROPERTY:ACTION: the
  property fails whenever a step of that action ran) is found, reported
  with its reproducers, and shrunk to a one-step scenario that still fails
  the same property; `hasim swarm --seed S --count 1` finds it again.
- The property table of sim/swarm/README.md is the one hasim prints.

Runs as any user (the virtual backend needs no root); a few seconds.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HASIM = str(BIN / "hasim")
TIMES = {"explore_s", "schedules_per_minute", "shrink_s"}


def swarm(*args, plant=None, timeout=300):
    env = dict(os.environ, HALAB_BIN=str(BIN))
    env.pop("HALAB_SWARM_PLANT", None)
    if plant:
        env["HALAB_SWARM_PLANT"] = plant
    return subprocess.run([HASIM, "swarm", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.fixture
def folder():
    path = pathlib.Path(tempfile.mkdtemp(prefix=f"hsw{os.getpid()}-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def summary(out):
    data = json.loads((out / "summary.json").read_text())
    return {key: value for key, value in data.items() if key not in TIMES}


def test_help():
    completed = swarm("--help")
    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: hasim swarm [--topology T]")
    assert completed.stderr == ""


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "--count takes an integer 1..4294967295, not '0'"),
    (["--count", "5", "--minutes", "1"], "--count and --minutes exclude each other"),
    (["--tiebreaker", "coin"], "--tiebreaker takes none, ping or fence, not 'coin'"),
    (["--jobs", "65"], "--jobs takes an integer 1..64, not '65'"),
    (["--seed", "-1"], "--seed takes an integer 0..18446744073709551615, not '-1'"),
    (["--minutes", "1e3"], "--minutes takes an integer 1..10080, not '1e3'"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--out"], "option '--out' needs a value"),
    (["extra"], "unexpected argument 'extra'"),
])
def test_usage_errors(args, message):
    completed = swarm(*args)
    assert completed.returncode == 2
    assert completed.stderr.startswith(f"hasim swarm: {message}\nusage: hasim swarm")
    assert completed.stdout == ""


def test_unknown_topology(folder):
    completed = swarm("--topology", "nosuch", "--count", "1", "--out", folder / "out")
    assert completed.returncode == 2
    assert "topologies/nosuch.yaml" in completed.stderr
    assert not (folder / "out").exists()


def test_short_run(folder):
    out = folder / "out"
    completed = swarm("--seed", "7", "--count", "24", "--jobs", "2", "--tiebreaker", "fence",
                      "--shrink-runs", "0", "--out", out)
    data = summary(out)
    assert data["schedules"] == 24
    assert data["seed"] == 7 and data["tiebreaker"] == "fence" and data["jobs"] == 2
    assert completed.returncode == (1 if data["failing"] else 0), completed.stdout
    assert "hasim swarm: 24 schedules (seeds 7..30) on rack1-pair, tie-breaker fence, 2 jobs" \
        in completed.stdout
    assert re.search(r"exploring: \d+ schedules per minute", completed.stdout)
    assert len(data["failures"]) == data["failing"]
    for failure in data["failures"]:
        seed = failure["seed"]
        scenario = out / f"swarm-{seed}.yaml"
        assert scenario.exists()
        assert f"reproduce: hasim swarm --seed {seed} --count 1 --tiebreaker fence" \
            in completed.stdout
        lint = subprocess.run([HASIM, "lint", str(scenario)], cwd=ROOT, capture_output=True,
                              text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    assert not (out / ".work").exists()


def test_output_folder_of_another_run_refused(folder):
    out = folder / "out"
    swarm("--seed", "3", "--count", "2", "--shrink-runs", "0", "--out", out)
    completed = swarm("--seed", "3", "--count", "2", "--out", out)
    assert completed.returncode == 2
    assert "holds the results of another swarm run" in completed.stderr


def yaml_files(out):
    return {path.name: path.read_text().replace(str(out), "OUT")
            for path in sorted(out.glob("*.yaml"))}


def test_deterministic(folder):
    one, two = folder / "one", folder / "two"
    swarm("--seed", "500", "--count", "40", "--jobs", "2", "--out", one, "--shrink-runs", "60")
    swarm("--seed", "500", "--count", "40", "--jobs", "1", "--out", two, "--shrink-runs", "60")
    first, second = summary(one), summary(two)
    first.pop("jobs")
    second.pop("jobs")
    text = json.dumps(first).replace(str(one), "OUT")
    assert text == json.dumps(second).replace(str(two), "OUT")
    assert yaml_files(one) == yaml_files(two)
    assert first["schedules"] == 40


def scenario_steps(path):
    return [line for line in path.read_text().splitlines() if line.startswith("  - {name: ")]


def test_planted_failure_found_and_shrunk(folder):
    """The planted property fails whenever a heal ran: a failure only swarm
    sees (the checker passes the run), found, reported, shrunk to one heal."""
    out = folder / "out"
    plant = "no_stuck_state:heal"
    completed = swarm("--seed", "20", "--count", "6", "--out", out, "--shrink-runs", "200",
                      plant=plant)
    assert completed.returncode == 1
    data = summary(out)
    assert [failure["seed"] for failure in data["failures"]] == [20, 22, 24, 25]
    first = data["failures"][0]
    assert first["properties"] == ["no_stuck_state"]
    assert first["message"] == ("planted failure (test switch HALAB_SWARM_PLANT): step 's08' "
                                "(heal) was carried out")
    assert f"seed 20: {first['message']}" in completed.stdout
    assert "reproduce: hasim swarm --seed 20 --count 1\n" in completed.stdout
    assert f"or: hasim run {out}/swarm-20.yaml --backend virtual --seed 20" in completed.stdout
    shrunk = data["properties"]["no_stuck_state"]["shrunk"]
    assert shrunk["seed"] == 20
    assert shrunk["steps_after"] == 1 < shrunk["steps_before"]
    assert shrunk["still_fails"] is True
    assert shrunk["checker_fails"] is False  # swarm's own: the checker sees nothing wrong
    assert "its expectation cannot state it" in completed.stdout
    path = pathlib.Path(shrunk["path"])
    assert path == out / "shrunk-20-no_stuck_state.yaml"
    steps = scenario_steps(path)
    assert len(steps) == 1 and steps[0].startswith("  - {name: s08, after: formed, delay_ms: ")
    assert steps[0].endswith(", action: heal}")
    assert len(scenario_steps(out / "swarm-20.yaml")) == shrunk["steps_before"]
    assert "# Fails property no_stuck_state (sim/swarm/README.md): planted failure" in \
        path.read_text()
    assert (out / "runs" / "shrunk-20-no_stuck_state" / "timeline.html").exists()
    # The reproducer finds the same failure again.
    again = swarm("--seed", "20", "--count", "1", "--out", folder / "again", "--shrink-runs",
                  "0", plant=plant)
    assert again.returncode == 1
    assert summary(folder / "again")["failures"][0] == first
    # The shrunk file is an ordinary scenario, which hasim run passes.
    run = subprocess.run([HASIM, "run", str(path), "--backend", "virtual", "--seed", "20",
                          "--out", str(folder / "run"), "--quiet"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_bad_plant_refused(folder):
    completed = swarm("--count", "1", "--out", folder / "out", plant="liveness:explode")
    assert completed.returncode == 2
    assert "HALAB_SWARM_PLANT: 'liveness:explode' is not PROPERTY:ACTION" in completed.stderr


def test_property_table_in_readme():
    table = swarm("--properties")
    assert table.returncode == 0
    assert table.stdout.count("\n") == 11
    readme = (ROOT / "sim" / "swarm" / "README.md").read_text()
    assert table.stdout in readme
