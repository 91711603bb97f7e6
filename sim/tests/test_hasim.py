"""Tests of hasim itself: its command line follows the usual conventions,
its verdicts can fail, bad input is refused, and nothing is left behind
after a run, an interrupt or a killed hasim.

The negative scenarios in sim/tests/negative/ each carry one expectation
that the reference node does NOT meet; hasim must exit 1 and name it.
Only the tests that run the native backend create namespaces (marked
netns); the command-line tests need neither root nor namespaces.
"""
import ast
import contextlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
NEGATIVE = ROOT / "sim" / "tests" / "negative"
HASIM = str(BIN / "hasim")
SCENARIOS = ROOT / "scenarios"
TOPOLOGIES = ROOT / "topologies"


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


@pytest.mark.netns
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


@pytest.mark.serial
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


@pytest.mark.root
@pytest.mark.serial
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


@pytest.mark.netns
@pytest.mark.serial
def test_interrupt_tears_everything_down(out_dir):
    with started_run(out_dir) as (process, run_id, pids):
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        assert process.returncode == 130
        assert run_id not in run_ids_alive()
        for pid in pids:
            assert pid_gone(pid), f"hanode {pid} survived the interrupt"


def nice_of(pid):
    """A process's nice value (/proc/PID/stat, field 19)."""
    stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


@pytest.mark.netns
def test_native_runner_runs_above_its_nodes(out_dir):
    """The runner's loop is the lab's switches and its client: it runs at
    nice -10, the nodes at 0, so a loaded host slows the nodes as their own
    hardware would and never the fabric (a CI runner under load: the
    runner's loop stood up to 430 ms and nodes went unanswered)."""
    with started_run(out_dir) as (process, run_id, pids):
        assert nice_of(process.pid) == -10
        assert pids and all(nice_of(pid) == 0 for pid in pids), [nice_of(p) for p in pids]
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    settings = json.loads((out_dir / "run.json").read_text())["backend_settings"]
    assert settings["runner_nice"] == -10 and "runner_nice_refused" not in settings, settings


def tmpfs_mounts_under(folder):
    return [line.split()[1] for line in pathlib.Path("/proc/mounts").read_text().splitlines()
            if line.split()[1].startswith(str(folder) + "/") and line.split()[2] == "tmpfs"]


@pytest.mark.netns
def test_native_node_data_on_a_tmpfs_of_its_own(out_dir):
    """Each native node's data folder is a tmpfs (a SIGKILL power cut keeps
    the page cache anyway; the host disk's fsync latency only held writes,
    389 ms once under load), detached when the run ends."""
    with started_run(out_dir) as (process, run_id, pids):
        state = pathlib.Path("/run/halab") / run_id
        assert sorted(tmpfs_mounts_under(state)) == [f"{state}/node1/data", f"{state}/node2/data"]
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert tmpfs_mounts_under(state) == [] and not state.exists()


def children_of(pid):
    """The PIDs of pid's children (its run's guardian among them)."""
    children = pathlib.Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


@pytest.mark.netns
@pytest.mark.serial
def test_gc_after_killed_hasim(out_dir):
    """A hasim killed together with its run's guardian (a lost machine, a
    kill of everything) leaves its run to `hasim gc`; its hanode die with
    it. (A hasim killed alone leaves nothing: sim/tests/test_runner.py.)"""
    with started_run(out_dir) as (process, run_id, pids):
        for child in children_of(process.pid):
            if pid_gone(child) or child in pids:
                continue
            os.kill(child, signal.SIGKILL)  # the guardian, hasim's own child
        process.kill()
        process.wait(timeout=10)
        assert run_id in run_ids_alive(), "hasim and its guardian killed leave the run behind"
        time.sleep(0.2)
        for pid in pids:
            assert pid_gone(pid), f"hanode {pid} survived its hasim"
        gc = subprocess.run([HASIM, "gc"], cwd=ROOT, capture_output=True, text=True)
        assert gc.returncode == 0, gc.stderr
        assert f"deleted namespace {run_id}-" in gc.stdout
        assert run_id not in run_ids_alive()
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        assert run_id not in links


# ------------------------------------------------------------- command line

COMMANDS = ["run", "lint", "list", "check", "swarm", "gc", "console", "fence", "version", "help"]
SEED_SENTENCE = "hasim run: --seed takes an integer 0..18446744073709551615, not '{}'"


def hasim(*args, cwd=ROOT, prefix=(), timeout=60):
    return subprocess.run([*prefix, HASIM, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, HALAB_BIN=str(BIN)))


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_exits_0_on_stdout(command, flag):
    completed = hasim(command, flag)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"usage: hasim {command}"), completed.stdout
    assert completed.stderr == ""


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_help_lists_every_command(args):
    completed = hasim(*args)
    assert completed.returncode == 0 and completed.stderr == ""
    assert completed.stdout.startswith("usage: hasim COMMAND [OPTION]... [ARGUMENT]...\n")
    for command in COMMANDS:
        assert f"\n  hasim {command}" in completed.stdout, command


@pytest.mark.parametrize("args, sentence", [
    ([], "hasim: missing command"),
    (["nope"], "hasim: unknown command 'nope'"),
    (["run"], "hasim run: missing argument"),
    (["run", "a.yaml", "b.yaml"], "hasim run: unexpected argument 'b.yaml'"),
    (["run", "--bogus", "a.yaml"], "hasim run: unknown option '--bogus'"),
    (["run", "-x", "a.yaml"], "hasim run: unknown option '-x'"),
    (["run", "a.yaml", "--seed"], "hasim run: option '--seed' needs a value"),
    (["run", "a.yaml", "--accel", "fast"], "hasim run: --accel takes tcg, kvm or auto, not 'fast'"),
    (["lint"], "hasim lint: missing argument"),
    (["list", "extra"], "hasim list: unexpected argument 'extra'"),
    (["check"], "hasim check: missing argument"),
    (["check", "a", "b", "c"], "hasim check: unexpected argument 'c'"),
    (["gc", "--force"], "hasim gc: unknown option '--force'"),
    (["console", "--bogus", "a", "b"], "hasim console: unknown option '--bogus'"),
    (["fence", "node1"], "hasim fence: --socket PATH is required (at most 107 bytes)"),
    (["version", "2"], "hasim version: unexpected argument '2'"),
    (["help", "nope"], "hasim help: unknown command 'nope'"),
])
def test_usage_errors_exit_2_with_one_sentence_on_stderr(args, sentence):
    completed = hasim(*args)
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert lines[0] == sentence, completed.stderr
    assert lines[1].startswith("usage: hasim"), completed.stderr


@pytest.mark.parametrize("seed", ["abc", "-1", "18446744073709551616", "", "1.5", " 1", "+1",
                                  "0x10", "1e3"])
def test_bad_seed_is_refused(seed, out_dir):
    """Regression: --seed abc ran as seed 0 and passed."""
    completed = hasim("run", NEGATIVE / "missed-bound.yaml", "--seed", seed, "--out", out_dir)
    assert completed.returncode == 2
    assert completed.stderr.splitlines()[0] == SEED_SENTENCE.format(seed)
    assert not out_dir.exists()


def test_largest_seed_is_taken(out_dir):
    """The largest seed passes the command line (the scenario then fails to
    load: nothing starts)."""
    completed = hasim("run", NEGATIVE / "bad-field.yaml", "--seed", "18446744073709551615",
                      "--out", out_dir)
    assert completed.returncode == 2
    assert "steps[0].action" in completed.stderr and "--seed" not in completed.stderr


def git_version(folder):
    """What ci/version.mk computes for a build in folder."""
    top = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True)
    if top.returncode != 0 or pathlib.Path(top.stdout.strip()) != pathlib.Path(folder):
        return "unknown"
    return subprocess.run(["git", "-C", str(folder), "describe", "--always", "--dirty"],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("args", [["--version"], ["version"]])
def test_version_is_the_git_description_of_the_build(args):
    completed = hasim(*args)
    assert completed.returncode == 0 and completed.stderr == ""
    assert completed.stdout == f"hasim {git_version(ROOT)}\n"


def make_version(folder):
    """HALAB_VERSION as ci/version.mk sets it when make runs in folder."""
    completed = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(folder), "-f", str(ROOT / "ci" / "version.mk"),
         "--eval", "print-version: ; @echo '$(HALAB_VERSION)'", "BUILD=" + str(folder / "b"),
         "print-version"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def test_version_outside_halab_git_is_unknown(tmp_path):
    """A copy of halab inside another repository must not print that
    repository's version; outside git it is "unknown"."""
    assert make_version(ROOT) == git_version(ROOT)
    assert make_version(tmp_path) == "unknown"
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "halab").mkdir()
    assert make_version(tmp_path / "halab") == "unknown"


def test_native_run_without_root_says_so_once(out_dir):
    """Regression: as non-root, a native run printed five FAIL lines that
    blamed the scenario. Now one sentence and exit 3, nothing started."""
    sentence = ("hasim run: the native backend needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN, "
                "for network namespaces and TAP devices): run it as root, in a privileged "
                "container, or with --backend libvirt\n")
    prefixes = [()]
    if os.geteuid() == 0:
        # As nobody, and as root without the two capabilities (an
        # unprivileged container).
        prefixes = [("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                    ("setpriv", "--inh-caps=-all", "--bounding-set=-net_admin,-sys_admin")]
    for prefix in prefixes:
        completed = hasim("run", SCENARIOS / "active-power-loss.yaml", "--out", out_dir,
                          prefix=prefix)
        assert completed.returncode == 3, completed.stderr
        assert completed.stderr == sentence
        assert completed.stdout == ""
        assert not out_dir.exists()


# ------------------------------------------------------------- lint, list

FINDING = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<field>[\w.\[\]-]+): "
                     r"(?P<level>error|warning): (?P<text>.+)$")


def test_lint_of_the_library_exits_0():
    """Regression: lint exited 2 on the library, whose incompatible-* scenarios
    stage an incompatible pair on purpose."""
    files = sorted(SCENARIOS.glob("*.yaml"))
    completed = hasim("lint", *[f.relative_to(ROOT) for f in files])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert lines and all(FINDING.match(line) for line in lines), lines
    assert not [line for line in lines if FINDING.match(line)["level"] == "error"]
    # Each topology's findings once, however many scenarios use it.
    assert len(lines) == len(set(lines))
    staged = [line for line in lines if "staged" in line]
    assert staged == [
        "scenarios/incompatible-firmware.yaml:15: overrides.nodes.node2: warning: firmware "
        "2.3.1 of 'node1' and 2.4.0 of 'node2' differ in major.minor (staged by the "
        "scenario's overrides: a refused join is what it tests)",
        "scenarios/incompatible-model.yaml:11: overrides.nodes.node2: warning: models rack1 "
        "('node1') and rack4 ('node2') cannot form a cluster (allowed: rack1+rack1, "
        "rack4+rack4, rack1/rack4+virt1, virt1+virt1) (staged by the scenario's overrides: a "
        "refused join is what it tests)"]
    assert completed.stderr == f"hasim lint: {len(files)} files: 0 not loaded, 0 errors, " \
                               f"{len(lines)} warnings\n"


def documented_block(readme, heading):
    """The first ``` block after the line that starts with heading."""
    text = readme.read_text()
    start = text.index("```\n", text.index(heading)) + 4
    return text[start:text.index("```", start)]


def test_lint_findings_are_as_documented():
    completed = hasim("lint", "topologies/spof-shared-switch.yaml")
    assert completed.returncode == 1
    assert completed.stdout == documented_block(TOPOLOGIES / "README.md",
                                                "Lint of `spof-shared-switch`")
    assert completed.stderr == "hasim lint: 1 file: 0 not loaded, 2 errors, 7 warnings\n"


def test_lint_bad_files_name_file_line_and_field(tmp_path):
    """A flow-style scenario is a scenario (it was taken for a topology), a
    UTF-16 one gets a true message, an empty file its line."""
    flow = tmp_path / "flow.yaml"
    flow.write_text("{name: flow, topology: rack1-pair, steps: [{action: explode}],\n"
                    " expect: [{invariant: single_active}]}\n")
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes("name: u\ntopology: rack1-pair\n".encode("utf-16"))
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: deep\nsteps: " + "[" * 100000 + "\n")
    completed = hasim("lint", flow, utf16, empty, deep)
    assert completed.returncode == 2
    assert completed.stdout.splitlines() == [
        f"{flow}:1: steps[0].action: 'explode' is not one of power_off, power_on, pull, plug, "
        "switch_fail, switch_restore, impair, partition, heal, raid_fail, raid_restore, crash, "
        "restart, maintenance_on, maintenance_off, switchover, disconnect, reconnect, disband, "
        "firmware_update, client_start, client_stop, services_fail, services_restore, "
        "disk_fail, disk_restore",
        f"{utf16}:1: file: UTF-16 text (byte-order mark FF FE); halab reads UTF-8: save it as "
        "UTF-8",
        f"{empty}:1: file: no YAML document (the file is empty or holds only comments)",
        f"{deep}:2: steps[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested deeper than 16 "
        "levels"]
    assert completed.stderr == "hasim lint: 4 files: 4 not loaded, 0 errors, 0 warnings\n"


def library_lines(folder):
    """hasim list's lines for folder's files, from the files themselves."""
    lines = []
    for path in sorted(folder.glob("*.yaml")):
        description = yaml.safe_load(path.read_text()).get("description", "(no description)")
        lines.append(f"  {path.stem:<30} {description}")
    return lines


def test_list_shows_the_library_with_descriptions():
    completed = hasim("list")
    assert completed.returncode == 0, completed.stderr
    scenarios, topologies = library_lines(SCENARIOS), library_lines(TOPOLOGIES)
    assert completed.stdout.splitlines() == (
        [f"scenarios in scenarios/ ({len(scenarios)}):", *scenarios,
         f"topologies in topologies/ ({len(topologies)}):", *topologies])
    assert len(scenarios) == len(list((ROOT / "scenarios").glob("*.yaml"))) and \
        len(topologies) == len(list((ROOT / "topologies").glob("*.yaml")))


def test_list_of_another_library(tmp_path):
    """A user's own folders: their files, with what does not load named."""
    scenarios, topologies = tmp_path / "s", tmp_path / "t"
    scenarios.mkdir()
    topologies.mkdir()
    (topologies / "pair.yaml").write_text(
        (TOPOLOGIES / "rack1-pair.yaml").read_text().replace("name: rack1-pair", "name: pair"))
    (scenarios / "mine.yaml").write_text(
        "name: mine\ndescription: my scenario\ntopology: pair\nsteps: []\n"
        "expect: [{invariant: single_active}]\n")
    (scenarios / "broken.yaml").write_text("name: broken\ntopology: nowhere\n")
    completed = hasim("list", "--scenario-dir", scenarios, "--topology-dir", topologies,
                      cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout.splitlines() == [
        f"scenarios in {scenarios}/ (2):",
        f"  {'broken':<30} does not load: {scenarios}/broken.yaml:2: topology: no topology "
        f"'nowhere' (looked for nowhere.yaml in: {tmp_path}/topologies, {topologies}, {ROOT}/topologies; "
        "--topology-dir DIR and HALAB_TOPOLOGY_PATH add folders)",
        f"  {'mine':<30} my scenario",
        f"topologies in {topologies}/ (1):",
        f"  {'pair':<30} two rack1 appliances, separate switches and PDUs, direct sync cable"]
    missing = hasim("list", "--scenario-dir", tmp_path / "none")
    assert missing.returncode == 2
    assert missing.stderr == f"hasim list: {tmp_path}/none: No such file or directory\n"


# ------------------------------------------------------ the scenario suite

# Stands in for hasim in scenarios/conftest.py's tests: checks that its run
# folder was claimed for it (exists, empty), leaves a file in it, and fails
# the scenarios named in $FAKE_FAIL, writing to stdout and stderr in turn.
FAKE_HASIM = '''#!/usr/bin/python3
import os, pathlib, sys
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--out") + 1])
name = pathlib.Path(args[1]).stem
if not out.is_dir() or any(out.iterdir()):
    sys.exit("fake hasim: run folder %s not claimed for this run" % out)
(out / "result.json").write_text("{}")
if name in os.environ.get("FAKE_FAIL", "").split(","):
    print("FAIL: first of " + name, flush=True)
    print("FAIL: second of " + name, file=sys.stderr, flush=True)
    print("FAIL " + name + ": see failures above", flush=True)
    print("  reproduce: hasim run " + args[1], file=sys.stderr, flush=True)
    sys.exit(1)
print("PASS " + name)
'''


def scenario_suite(tmp_path, *args, fail=""):
    """pytest scenarios/ with the fake hasim; run folders under tmp_path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "hasim").write_text(FAKE_HASIM)
    (bin_dir / "hasim").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(HALAB_BIN=str(bin_dir), FAKE_FAIL=fail)
    return subprocess.run(["/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider",
                           "scenarios", "--reports-dir", str(tmp_path / "reports"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_failing_scenario_prints_its_output_once_in_order(tmp_path):
    """Regression: hasim's output was printed twice, stdout before stderr."""
    completed = scenario_suite(tmp_path, "-k", "switchover", fail="switchover")
    assert completed.returncode == 1, completed.stdout
    block = ("FAIL: first of switchover\nFAIL: second of switchover\n"
             "FAIL switchover: see failures above\n"
             f"  reproduce: hasim run {SCENARIOS}/switchover.yaml\n")
    assert completed.stdout.count(block) == 1, completed.stdout
    assert completed.stdout.count("FAIL: first of switchover") == 1, completed.stdout
    folder = tmp_path / "reports" / "switchover-native-seed1-main-1"
    assert f"hasim exited 1 (run folder {folder})" in completed.stdout
    assert (folder / "result.json").exists(), "a failing run's folder is kept"


def run_folders(tmp_path):
    return sorted(p.name for p in (tmp_path / "reports").iterdir())


def test_keep_reports_keeps_passing_run_folders(tmp_path):
    completed = scenario_suite(tmp_path, "-k", "switchover or disband", fail="disband")
    assert completed.returncode == 1
    assert run_folders(tmp_path) == ["disband-native-seed1-main-1"]
    completed = scenario_suite(tmp_path, "-k", "switchover", "--keep-reports")
    assert completed.returncode == 0, completed.stdout
    assert run_folders(tmp_path) == ["disband-native-seed1-main-1",
                                     "switchover-native-seed1-main-1"]


def test_parallel_and_repeated_runs_never_share_a_folder(tmp_path):
    """With -n 2 (pytest-xdist) and twice over, each run had its own folder
    (they used to be removed and reused by name)."""
    names = ["disband", "maintenance-active", "maintenance-both", "switchover"]
    for _ in range(2):
        completed = scenario_suite(tmp_path, "-n", "2", "--keep-reports", "-k",
                                   " or ".join(names))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "4 passed" in completed.stdout
    folders = run_folders(tmp_path)
    assert len(folders) == 8, folders
    pattern = re.compile(r"^(?P<name>[a-z-]+)-native-seed1-gw[01]-[12]$")
    assert sorted(pattern.match(f)["name"] for f in folders) == sorted(names * 2), folders
    for folder in folders:
        assert (tmp_path / "reports" / folder / "result.json").exists()


def collected(*args):
    completed = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider",
                                "--collect-only", "-q", *args], cwd=ROOT, capture_output=True,
                               text=True, timeout=120)
    return [line for line in completed.stdout.splitlines() if "::" in line]


def test_netns_marker_selects_the_tests_that_create_namespaces():
    """Native scenarios and refimpl's lab tests create namespaces; the
    command-line tests and the config tests do not."""
    scenarios = len(list(SCENARIOS.glob("*.yaml"))) + len(list(SCENARIOS.glob("regressions/*.yaml")))
    assert len(collected("-m", "netns", "scenarios")) == scenarios
    assert collected("-m", "not netns", "scenarios") == []
    assert len(collected("-m", "vm", "scenarios", "--backend", "libvirt")) == scenarios
    assert collected("-m", "netns", "scenarios", "--backend", "libvirt") == []
    # In test_hanode.py, exactly the tests that take a lab fixture.
    tree = ast.parse((ROOT / "refimpl" / "tests" / "test_hanode.py").read_text())
    takes_lab = {node.name: bool({"lab", "cluster"} & {a.arg for a in node.args.args})
                 for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    marked = {line.split("::")[1].split("[")[0]
              for line in collected("-m", "netns", "refimpl/tests/test_hanode.py")}
    assert marked == {name for name, lab in takes_lab.items() if lab}
    assert any(not lab for lab in takes_lab.values())
    hasim_netns = collected("-m", "netns", "sim/tests/test_hasim.py")
    assert {line.split("::")[1].split("[")[0] for line in hasim_netns} == {
        "test_negative_scenario_fails", "test_interrupt_tears_everything_down",
        "test_gc_after_killed_hasim"}


# ------------------------------------------------------------- JUnit

JUNIT_XSD = ROOT / "sim" / "tests" / "junit.xsd"
CHECK_FIXTURES = ROOT / "sim" / "tests" / "check_fixtures"
# The expectations of test_check.c's failover cases, as a scenario file.
FAILOVER_SCENARIO = """name: {name}
topology: rack1-pair
client: {{rate_per_s: 10}}
steps:
  - {{name: cut, after: formed, delay_ms: 1900, action: power_off, node: "@active"}}
expect:
  - {{transition: {{node: "@standby", from: standby, to: active}}, after: cut, within_ms: [900, 1600]}}
  - {{final: {{node: node2, state: active}}}}
  - {{metric: failover_ms, after: cut, max: 1500}}
  - {{metric: outage_ms, max: 1500}}
  - {{invariant: single_active}}
  - {{invariant: no_lost_writes}}
"""


def xmllint(path):
    return subprocess.run(["xmllint", "--noout", "--schema", str(JUNIT_XSD), str(path)],
                          capture_output=True, text=True, timeout=60)


def checked_junit(tmp_path, case, runner_error=None):
    """hasim check of a golden run folder (a copy), and the junit.xml it
    writes into a new folder (--out: the run folder keeps its verdict)."""
    run_dir = tmp_path / case
    shutil.copytree(CHECK_FIXTURES / case, run_dir)
    if runner_error:
        run = json.loads((run_dir / "run.json").read_text())
        run["runner_errors"] = [runner_error]
        (run_dir / "run.json").write_text(json.dumps(run))
    scenario = tmp_path / f"{case}.yaml"
    scenario.write_text(FAILOVER_SCENARIO.format(name=case))
    completed = hasim("check", run_dir, scenario, "--out", tmp_path / "judged")
    assert completed.returncode in (0, 1), completed.stderr
    return tmp_path / "judged" / "junit.xml", completed


@pytest.mark.parametrize("case, runner_error, counts", [
    ("clean_failover", None, 'tests="7" failures="0" errors="0" skipped="0"'),
    ("failover_too_late", None, 'tests="7" failures="3" errors="0" skipped="0"'),
    ("dual_active", None, 'tests="7" failures="3" errors="0" skipped="2"'),
    ("clean_failover", "backend native: node2 did not stop", 'failures="0" errors="1"'),
])
def test_junit_is_valid_against_the_schema(tmp_path, case, runner_error, counts):
    junit, completed = checked_junit(tmp_path, case, runner_error)
    validated = xmllint(junit)
    assert validated.returncode == 0, validated.stderr + junit.read_text()
    text = junit.read_text()
    assert counts in text, text
    assert 'timestamp="2026-11-23T10:40:01"' in text  # from the nodes' wall_ms
    assert f'hostname="{os.uname().nodename}"' in text
    if "failures=\"0\"" not in counts or runner_error:
        assert f"reproduce: hasim run scenarios/{case}.yaml --seed 1 --backend native" in text
        assert (f"  reproduce: hasim run scenarios/{case}.yaml --seed 1 --backend native\n"
                in completed.stdout)


def test_the_schema_refuses_what_ci_systems_would_not_read(tmp_path):
    """The attributes the common schemas require are required here too:
    the junit.xml hasim wrote before (no time, timestamp, hostname) fails."""
    old = tmp_path / "old.xml"
    old.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                   '<testsuite name="x" tests="1" failures="0" errors="0" skipped="0">\n'
                   '  <testcase classname="x" name="run"/>\n</testsuite>\n')
    validated = xmllint(old)
    assert validated.returncode != 0
    for attribute in ("time", "timestamp", "hostname"):
        assert f"The attribute '{attribute}' is required but missing" in validated.stderr


def test_pytest_junit_of_the_suite_is_valid_too(tmp_path):
    """The scenario suite's own JUnit (pytest --junitxml), as CI publishes it."""
    junit = tmp_path / "suite.xml"
    completed = scenario_suite(tmp_path, "-k", "switchover or disband", "--junitxml",
                               str(junit), fail="disband")
    assert completed.returncode == 1
    validated = xmllint(junit)
    assert validated.returncode == 0, validated.stderr
    assert "reproduce: hasim run" in junit.read_text()
