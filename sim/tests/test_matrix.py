"""`hasim run --topology`, the topology search path, `requires:` and
`hasim matrix` as a user meets them.

- --topology NAME|PATH replaces a scenario's topology (its overrides, such
  as the tie-breaker, still apply); run.json says so and `hasim check`
  judges the run on that topology; bad values name the option.
- A bare topology name is found beside the scenario (../topologies), then
  along --topology-dir and $HALAB_TOPOLOGY_PATH, then in halab's shipped
  topologies, never in the current folder: a vendor's own library runs from
  anywhere.
- `requires:` a topology does not meet: `hasim run` and `hasim lint` say
  so with FILE:LINE; a malformed one is an error with FILE:LINE.
- `hasim matrix`: --list, skips with reasons (never counted as passed),
  shards that together are the whole matrix and merge into the same report,
  matrix.json's schema, junit.xml valid against sim/tests/junit.xsd, the
  HTML report's grid and plots.

- The report in a real browser: headless Chromium renders report.html
  (its DOM after parsing, and a screenshot whose pixels show the grid's
  colours and the plots' dots).

Virtual backend only (no root, virtual time): a few seconds in all, plus
~5 s of Chromium.
"""
import collections
import html.parser
import json
import os
import pathlib
import shutil
import struct
import subprocess
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HASIM = str(BIN / "hasim")
JUNIT_XSD = ROOT / "sim" / "tests" / "junit.xsd"
SCENARIOS = ROOT / "scenarios"
TOPOLOGIES = ROOT / "topologies"
# A small matrix: a failover, a bond case that needs four ports, a
# tie-breaker override.
SMALL = ["active-power-loss", "bond-port-pulled", "fence-active-power-loss"]
PAIRINGS = ["rack1-pair", "rack4-pair", "virt1-pair", "rack1-virt1", "rack4-virt1",
            "rack1-rack4", "rack4-virt1-small"]


def hasim(*args, cwd=ROOT, env=None, timeout=300):
    environment = dict(os.environ, HALAB_BIN=str(BIN))
    environment.pop("HALAB_TOPOLOGY_PATH", None)
    environment.update(env or {})
    return subprocess.run([HASIM, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=environment)


def small_scenarios():
    args = []
    for name in SMALL:
        args += ["--scenarios", SCENARIOS / f"{name}.yaml"]
    return args


# ------------------------------------------------------------- --topology

def test_topology_override_runs_and_is_recorded(tmp_path):
    out = tmp_path / "run"
    done = hasim("run", SCENARIOS / "fence-active-power-loss.yaml", "--backend", "virtual",
                 "--topology", "rack1-virt1", "--out", out, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads((out / "run.json").read_text())
    result = json.loads((out / "result.json").read_text())
    assert run["topology"] == "rack1-virt1"
    assert run["topology_override"] == "rack1-virt1"
    assert result["topology"] == "rack1-virt1"
    assert "--topology rack1-virt1" in run["reproduce"]
    # The scenario's tie-breaker override applies on the other topology.
    assert any(record.get("event") == "fence"
               for line in (out / "nodes").glob("*/cluster.log")
               for record in map(json.loads, line.read_text().splitlines()))
    # Judged again offline, on the topology it ran on (the run's copy).
    assert (out / "topologies" / "rack1-virt1.yaml").exists()
    checked = hasim("check", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_topology_override_by_path(tmp_path):
    copy = tmp_path / "mine.yaml"
    copy.write_text((TOPOLOGIES / "rack4-pair.yaml").read_text())
    done = hasim("run", SCENARIOS / "active-power-loss.yaml", "--backend", "virtual",
                 "--topology", copy, "--out", tmp_path / "run", "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "run" / "run.json").read_text())["topology"] == "rack4-pair"


def test_topology_override_errors_name_the_option(tmp_path):
    missing = hasim("run", SCENARIOS / "active-power-loss.yaml", "--backend", "virtual",
                    "--topology", "nosuch", "--out", tmp_path / "a")
    assert missing.returncode == 2
    assert missing.stderr.startswith("--topology nosuch: no topology 'nosuch' (looked for "
                                     "nosuch.yaml in: ")
    assert str(TOPOLOGIES) in missing.stderr
    file = hasim("run", SCENARIOS / "active-power-loss.yaml", "--backend", "virtual",
                 "--topology", tmp_path / "none.yaml", "--out", tmp_path / "b")
    assert file.returncode == 2
    assert f"--topology {tmp_path}/none.yaml: no such topology file" in file.stderr
    empty = hasim("run", SCENARIOS / "active-power-loss.yaml", "--topology", "")
    assert empty.returncode == 2
    assert "--topology needs a topology name or file" in empty.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# ------------------------------------------------------------ search path

def vendor_library(tmp_path):
    """A vendor's repository: its own scenarios/ and topologies/."""
    (tmp_path / "scenarios").mkdir(parents=True)
    (tmp_path / "topologies").mkdir()
    (tmp_path / "elsewhere").mkdir()
    text = (TOPOLOGIES / "rack1-pair.yaml").read_text()
    (tmp_path / "topologies" / "our-pair.yaml").write_text(
        text.replace("name: rack1-pair", "name: our-pair"))
    (tmp_path / "elsewhere" / "far-pair.yaml").write_text(
        text.replace("name: rack1-pair", "name: far-pair"))
    scenario = (SCENARIOS / "active-power-loss.yaml").read_text()
    (tmp_path / "scenarios" / "ours.yaml").write_text(
        scenario.replace("topology: rack1-pair", "topology: our-pair"))
    (tmp_path / "scenarios" / "far.yaml").write_text(
        scenario.replace("topology: rack1-pair", "topology: far-pair"))
    (tmp_path / "scenarios" / "shipped.yaml").write_text(scenario)
    return tmp_path


def test_search_path(tmp_path):
    library = vendor_library(tmp_path / "vendor")
    anywhere = tmp_path / "cwd"
    anywhere.mkdir()
    # Beside the scenario, from any folder.
    ours = hasim("run", library / "scenarios" / "ours.yaml", "--backend", "virtual",
                 "--out", tmp_path / "r1", "--quiet", cwd=anywhere)
    assert ours.returncode == 0, ours.stderr
    # halab's shipped topologies last.
    shipped = hasim("run", library / "scenarios" / "shipped.yaml", "--backend", "virtual",
                    "--out", tmp_path / "r2", "--quiet", cwd=anywhere)
    assert shipped.returncode == 0, shipped.stderr
    # Another folder: not found until named by --topology-dir or the variable.
    far = library / "scenarios" / "far.yaml"
    line = next(number for number, text in enumerate(far.read_text().splitlines(), 1)
                if text.startswith("topology:"))
    lost = hasim("lint", far, cwd=anywhere)
    assert lost.returncode == 2
    assert (f"{far}:{line}: topology: no topology 'far-pair' (looked for far-pair.yaml in: "
            f"{library}/topologies, {TOPOLOGIES}; ") in lost.stdout
    by_option = hasim("lint", "--topology-dir", library / "elsewhere", far, cwd=anywhere)
    assert by_option.returncode == 0, by_option.stdout
    by_variable = hasim("run", far, "--backend", "virtual", "--out", tmp_path / "r3", "--quiet",
                        cwd=anywhere, env={"HALAB_TOPOLOGY_PATH": f"/nonexistent:{library}/elsewhere"})
    assert by_variable.returncode == 0, by_variable.stderr
    # The current folder is not searched.
    (anywhere / "topologies").mkdir()
    shutil.copy(library / "elsewhere" / "far-pair.yaml", anywhere / "topologies")
    assert hasim("lint", far, cwd=anywhere).returncode == 2


# --------------------------------------------------------------- requires

def test_requires_not_met(tmp_path):
    scenario = SCENARIOS / "bond-port-pulled.yaml"
    line = next(number for number, text in enumerate(scenario.read_text().splitlines(), 1)
                if text.startswith("requires:"))
    expected = (f"{scenario}:{line}: requires.ports: does not apply to topology 'virt1-pair': "
                "needs >= 4 LAN ports per node; 'node1' (virt1) has 2")
    done = hasim("run", scenario, "--backend", "virtual", "--topology", "virt1-pair",
                 "--out", tmp_path / "run")
    assert done.returncode == 2
    assert done.stderr.strip() == expected
    assert not (tmp_path / "run").exists()


def test_requires_errors_in_lint(tmp_path):
    text = (SCENARIOS / "bond-port-pulled.yaml").read_text()
    (tmp_path / "scenarios").mkdir()
    cases = {
        "ports-range": ("requires: {ports: 4}", "requires: {ports: 9}",
                        "requires.ports: 9 is out of range 1..4"),
        "unknown-key": ("requires: {ports: 4}", "requires: {port: 4}",
                        "requires: unknown key 'port' (known: ports, models, fence, raid)"),
        "model": ("requires: {ports: 4}", "requires: {models: [rack9]}",
                  "requires.models[0]: 'rack9' is not one of"),
        "not-met": ("requires: {ports: 4}", "requires: {models: [virt1]}",
                    "requires.models: does not apply to topology 'rack1-pair': 'node1' is a "
                    "rack1, not one of virt1"),
    }
    for name, (old, new, message) in cases.items():
        path = tmp_path / "scenarios" / f"{name}.yaml"
        path.write_text(text.replace(old, new))
        line = next(number for number, row in enumerate(path.read_text().splitlines(), 1)
                    if row.startswith("requires:"))
        linted = hasim("lint", path)
        assert linted.returncode == 2, (name, linted.stdout)
        assert linted.stdout.startswith(f"{path}:{line}: {message}"), (name, linted.stdout)


def test_port_roles_resolve_to_lan_ports(tmp_path):
    text = (SCENARIOS / "lossy-sync.yaml").read_text()
    assert '"@active.sync1"' in text
    out = tmp_path / "run"
    done = hasim("run", SCENARIOS / "lossy-sync.yaml", "--backend", "virtual",
                 "--topology", "virt1-pair", "--out", out, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    assert any(step.get("target", "").endswith(".LAN3") for step in steps), steps
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace('"@active.sync1"', '"@active.sync2"').replace(
        "topology: rack1-pair", f"topology: {TOPOLOGIES}/virt1-pair.yaml"))
    linted = hasim("lint", bad)
    assert linted.returncode == 2
    assert "steps[0].port: 'node1' has no port sync2 (its sync interface has 1 port)" in linted.stdout


# ------------------------------------------------------------ model table

def test_a_virt1_has_no_raid(tmp_path):
    """The model table says a virt1 has one virtual disk and no hardware
    RAID: a scenario that fails a RAID does not apply to it (requires.raid),
    and one that tries anyway is refused by name instead of failing a RAID
    the node does not have."""
    scenario = SCENARIOS / "active-raid-loss.yaml"
    line = next(number for number, text in enumerate(scenario.read_text().splitlines(), 1)
                if text.startswith("requires:"))
    done = hasim("run", scenario, "--backend", "virtual", "--topology", "rack1-virt1",
                 "--out", tmp_path / "skip")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"{scenario}:{line}: requires.raid: does not apply to topology 'rack1-virt1': 'node2' "
        "is a virt1, which has no hardware RAID (1 virtual disk; refimpl/core/hn_models.h)")
    staged = tmp_path / "raid-of-a-virt1.yaml"
    staged.write_text(scenario.read_text()
                      .replace("requires: {raid: true}", "")
                      .replace('node: "@active"}', "node: node2}"))
    done = hasim("run", staged, "--backend", "virtual", "--topology", "rack1-virt1",
                 "--out", tmp_path / "refused", "--quiet")
    assert done.returncode != 0
    assert ("raid: node 'node2' is a virt1, which has no RAID (one virtual disk: "
            "refimpl/core/hn_models.h)") in done.stdout + done.stderr
    # The rack in the same pair still has its RAID.
    rack = tmp_path / "raid-of-the-rack.yaml"
    rack.write_text(staged.read_text().replace("node: node2}", "node: node1}"))
    done = hasim("run", rack, "--backend", "virtual", "--topology", "rack1-virt1",
                 "--out", tmp_path / "rack", "--quiet")
    steps = [json.loads(line) for line in (tmp_path / "rack" / "steps.jsonl").read_text()
             .splitlines()]
    raid = [step for step in steps if step.get("action") == "raid_fail"]
    assert [(step["target"], step["ok"]) for step in raid] == [("node1", True)], steps


def test_swarm_fails_no_raid_a_virt1_has_not(tmp_path):
    """The swarm draws RAID episodes only on topologies whose nodes have a
    RAID. With a planted failure on every raid_fail step carried out, the
    same seeds fail on rack1-pair; on virt1-pair no raid_fail is drawn, so
    none is refused by the lab either (before, 8 of these 11 schedules'
    refused steps were RAID steps on a virt1)."""
    environment = {"HALAB_SWARM_PLANT": "no_stuck_state:raid_fail"}
    summaries = {}
    for topology in ("rack1-pair", "virt1-pair"):
        out = tmp_path / topology
        done = hasim("swarm", "--topology", topology, "--seed", "1", "--count", "11",
                     "--shrink-runs", "0", "--out", out, env=environment)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        summaries[topology] = json.loads((out / "summary.json").read_text())
    rack = summaries["rack1-pair"]["failures"]
    assert rack and all(failure["message"].endswith("(raid_fail) was carried out")
                        for failure in rack), rack
    assert summaries["virt1-pair"]["failures"] == []
    assert summaries["virt1-pair"]["steps_refused"] <= 1, summaries["virt1-pair"]


@pytest.mark.netns
def test_native_applies_the_model_table(tmp_path):
    """Native honours what it can of the model table (ports, bonds, disks and
    RAID) and says in run.json what it cannot (CPUs, memory, disk size), why."""
    out = tmp_path / "run"
    done = hasim("run", SCENARIOS / "active-power-loss.yaml", "--backend", "native",
                 "--topology", "rack1-virt1", "--out", out, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    settings = json.loads((out / "run.json").read_text())["backend_settings"]
    assert settings["name"] == "native"
    assert "shares the host's CPUs, memory and disk" in settings["not_applied_reason"]
    rack, virt = settings["nodes"]["node1"], settings["nodes"]["node2"]
    assert rack["applied"] == {"lan_ports": 4, "cabled": ["LAN1", "LAN2", "LAN3", "LAN4"],
                               "bond0": ["LAN1", "LAN2"], "bond1": ["LAN3", "LAN4"],
                               "disks": 2, "raid": "md0 RAID1 (the fake /proc/mdstat)"}
    assert virt["applied"] == {"lan_ports": 2, "cabled": ["LAN1", "LAN3"], "bond0": ["LAN1"],
                               "bond1": ["LAN3"], "disks": 1, "raid": None}
    assert rack["not_applied"] == {"cpu_count": 4, "memory_mb": 8192, "disk_gb": 480}
    assert virt["not_applied"] == {"cpu_count": 4, "memory_mb": 16384, "disk_gb": 500}


# ----------------------------------------------------------------- matrix

def run_keys(document):
    return [f"{run['topology']}/{run['scenario']}/{run['seed']}" for run in document["runs"]]


def comparable(document):
    """What a matrix says, without where and when it ran."""
    runs = [{key: value for key, value in run.items() if key not in ("run_dir", "wall_ms")}
            for run in document["runs"]]
    return runs, document["cells"], document["totals"], document["passed"]


def test_matrix_list_and_skips():
    listed = hasim("matrix", "--list", "--repeat", "2", *small_scenarios())
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[:2] == ["rack1-pair/active-power-loss/1", "rack1-pair/active-power-loss/2"]
    assert "virt1-pair/bond-port-pulled/1" not in lines
    assert "rack1-rack4/active-power-loss/1" not in lines
    assert len(lines) == len(set(lines))
    assert ("skip virt1-pair/bond-port-pulled/1: requires: needs >= 4 LAN ports per node; "
            "'node1' (virt1) has 2") in listed.stderr
    assert ("skip rack1-rack4/active-power-loss/1: topology refused by lint: models rack1 "
            "('node1') and rack4 ('node2') cannot form a cluster") in listed.stderr
    # 7 pairings x 3 scenarios x 2 seeds, each either listed or skipped.
    assert len(lines) + listed.stderr.count("\nskip ") + listed.stderr.startswith("skip ") == 42


def test_matrix_finds_its_library_from_any_build_variant(tmp_path):
    """A hasim built in <tree>/build/VARIANT/bin (make BUILD=build/asan ...)
    runs <tree>/scenarios by default, as it finds <tree>/topologies (before,
    it looked for <tree>/build/scenarios and found no scenario)."""
    tree = tmp_path / "tree"
    shutil.copytree(TOPOLOGIES, tree / "topologies")
    (tree / "scenarios").mkdir()
    shutil.copy(SCENARIOS / "active-power-loss.yaml", tree / "scenarios")
    (tree / "build" / "variant" / "bin").mkdir(parents=True)
    shutil.copy(HASIM, tree / "build" / "variant" / "bin" / "hasim")
    listed = subprocess.run([str(tree / "build" / "variant" / "bin" / "hasim"), "matrix",
                             "--list", "--topologies", "rack1-pair"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["rack1-pair/active-power-loss/1"]


def test_matrix_usage_errors(tmp_path):
    for args, message in [
            (["--shard", "3/2"], "--shard takes I/N with 1 <= I <= N, not '3/2'"),
            (["--repeat", "0"], "--repeat takes 1..10000, not '0'"),
            (["--seeds", "5..2"], "--seeds takes A..B"),
            (["--backend", "qemu"], "--backend takes virtual, native or libvirt, not 'qemu'"),
            (["--repeat", "2", "--seeds", "1..2"], "--repeat and --seeds exclude each other"),
            (["--topologies", "nosuch"], "--topologies: no topology 'nosuch'"),
            (["--scenarios", tmp_path / "none*.yaml"], "no such file")]:
        done = hasim("matrix", "--list", *args)
        assert done.returncode == 2, args
        assert message in done.stderr, (args, done.stderr)


def test_matrix_shards_merge_to_the_whole(tmp_path):
    common = ["--topologies", "rack1-pair,virt1-pair,rack1-virt1,rack1-rack4", "--repeat", "2",
              "--quiet", *small_scenarios()]
    whole = hasim("matrix", *common, "--jobs", "2", "--out", tmp_path / "whole")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    shards = []
    for index in (1, 2, 3):
        shard = tmp_path / f"shard{index}"
        done = hasim("matrix", *common, "--shard", f"{index}/3", "--out", shard)
        assert done.returncode == 0, done.stdout + done.stderr
        shards.append(shard)
    documents = [json.loads((shard / "matrix.json").read_text()) for shard in shards]
    whole_document = json.loads((tmp_path / "whole" / "matrix.json").read_text())
    # Every run in exactly one shard.
    keys = [key for document in documents for key in run_keys(document)]
    assert sorted(keys) == sorted(run_keys(whole_document))
    assert len(keys) == len(set(keys)) == 4 * 3 * 2
    merged = hasim("matrix", "merge", tmp_path / "merged", *shards)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    merged_document = json.loads((tmp_path / "merged" / "matrix.json").read_text())
    assert comparable(merged_document) == comparable(whole_document)
    # The merged report links to the shards' run folders.
    for run in merged_document["runs"]:
        if run["status"] != "skip":
            assert (tmp_path / "merged" / run["run_dir"] / "result.json").exists()
    # A shard given twice is refused.
    twice = hasim("matrix", "merge", tmp_path / "twice", shards[0], shards[0])
    assert twice.returncode == 2
    assert "is in both" in twice.stderr


def test_matrix_report(tmp_path):
    out = tmp_path / "m"
    done = hasim("matrix", "--topologies", "rack1-pair,rack1-virt1,rack4-virt1-small",
                 "--repeat", "2", "--out", out, *small_scenarios())
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("PASS: 18 runs, 10 passed, 0 failed, 0 errors, 8 skipped")
    document = json.loads((out / "matrix.json").read_text())
    assert document["format"] == "halab-matrix/1"
    assert document["backend"] == "virtual" and document["shard"] == "1/1"
    assert document["passed"] is True
    assert document["totals"] == {"pass": 10, "fail": 0, "error": 0, "skip": 8, "runs": 18}
    assert [topology["name"] for topology in document["topologies"]] == [
        "rack1-pair", "rack1-virt1", "rack4-virt1-small"]
    assert document["topologies"][1]["models"] == ["rack1", "virt1"]
    assert document["topologies"][1]["firmware"] == ["2.3.1", "2.3.4"]
    assert "refused" in document["topologies"][2]
    cells = {(cell["topology"], cell["scenario"]): cell for cell in document["cells"]}
    assert len(cells) == 9
    cell = cells[("rack1-virt1", "active-power-loss")]
    assert (cell["runs"], cell["pass"], cell["fail"], cell["skip"]) == (2, 2, 0, 0)
    assert cell["pass_rate"] == 1.0
    for metric in ("failover_ms", "outage_ms"):
        spread = cell[metric]
        assert spread["count"] == 2
        assert spread["min"] <= spread["median"] <= spread["p95"] <= spread["max"]
        assert spread["max"] <= 1500  # SPEC: client outage <= 1.5 s on power loss
    skipped = cells[("rack1-virt1", "bond-port-pulled")]
    assert (skipped["skip"], skipped["pass"], skipped["pass_rate"]) == (2, 0, None)
    assert skipped["reason"].startswith("requires: needs >= 4 LAN ports per node")
    for run in document["runs"]:
        assert run["status"] in ("pass", "skip")
        if run["status"] == "pass":
            assert (out / run["run_dir"] / "timeline.html").exists()
    # JUnit: valid, one case per run with stable names, skips as <skipped>.
    junit = out / "junit.xml"
    valid = subprocess.run(["xmllint", "--noout", "--schema", str(JUNIT_XSD), str(junit)],
                           capture_output=True, text=True, timeout=60)
    assert valid.returncode == 0, valid.stderr
    text = junit.read_text()
    assert text.count("<testcase ") == 18
    assert 'name="rack1-virt1/active-power-loss/2"' in text
    assert text.count("<skipped ") == 8
    # HTML: the grid (a row per scenario, a column per topology), the
    # links to timelines, a plot per topology, the models and firmware.
    html = (out / "report.html").read_text()
    assert 'id="grid"' in html and html.count("<svg ") == 3
    assert html.count('<td class="pass"') == 5 and html.count('<td class="skip"') == 4
    assert 'href="runs/rack1-virt1/active-power-loss/1/timeline.html"' in html
    assert "rack1 + virt1" in html and "2.3.1 + 2.3.4" in html
    # Output folders are not overwritten.
    again = hasim("matrix", "--topologies", "rack1-pair", "--out", out, *small_scenarios())
    assert again.returncode == 2
    assert "holds a matrix already" in again.stderr


def test_matrix_failure_counts_and_exit(tmp_path):
    """A scenario that fails on one topology fails the matrix; a skip never passes it."""
    failing = tmp_path / "scenarios" / "too-strict.yaml"
    failing.parent.mkdir()
    failing.write_text((SCENARIOS / "active-power-loss.yaml").read_text()
                       .replace("name: active-power-loss", "name: too-strict")
                       .replace("metric: failover_ms, after: cut, min: 700, max: 1600",
                                "metric: failover_ms, after: cut, min: 0, max: 10"))
    assert "max: 10}" in failing.read_text()
    done = hasim("matrix", "--topologies", "rack1-pair", "--scenarios", failing,
                 "--out", tmp_path / "m", "--quiet")
    assert done.returncode == 1
    document = json.loads((tmp_path / "m" / "matrix.json").read_text())
    assert document["passed"] is False
    assert document["runs"][0]["status"] == "fail"
    assert "failover_ms" in document["runs"][0]["reason"]
    only_skips = hasim("matrix", "--topologies", "rack1-rack4", "--scenarios",
                       SCENARIOS / "active-power-loss.yaml", "--out", tmp_path / "s", "--quiet")
    assert only_skips.returncode == 1
    assert json.loads((tmp_path / "s" / "matrix.json").read_text())["passed"] is False


# ------------------------------------------------------- in a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Elements(html.parser.HTMLParser):
    """Every element of a document as (tag, attributes, path of tags)."""

    def __init__(self):
        super().__init__()
        self.elements, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes, tuple(self.stack)))
        if tag not in ("meta", "br", "img", "input", "link", "hr"):
            self.stack.append((tag, attributes.get("id", "")))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), tuple(self.stack)))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass


def png_rgb(path):
    """(width, height, pixels): an 8-bit RGB or RGBA PNG's pixels as (r, g, b)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    previous, pixels = bytearray(stride), []
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xff
            elif kind == 2:
                line[i] = (line[i] + up) & 0xff
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xff
            elif kind == 4:
                corner = previous[i - channels] if i >= channels else 0
                guess = left + up - corner
                nearest = min((abs(guess - left), 0, left), (abs(guess - up), 1, up),
                              (abs(guess - corner), 2, corner))[2]
                line[i] = (line[i] + nearest) & 0xff
        pixels.extend(tuple(line[i:i + 3]) for i in range(0, stride, channels))
        previous = line
    return width, height, pixels


def near(pixel, colour, tolerance=8):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def test_report_in_a_real_browser(tmp_path):
    """report.html as a browser shows it: Chromium's DOM has the grid (a
    row per scenario, a column per topology, cells coloured by pass rate)
    and a plot per topology with a dot per failover/outage figure; its
    screenshot, of the window's size, shows the grid's green and grey and
    the plots' dots."""
    if not CHROMIUM:
        pytest.skip("chromium is not installed (ci/deps.sh installs it): report.html was not "
                    "checked in a browser")
    out = tmp_path / "m"
    done = hasim("matrix", "--topologies", "rack1-pair,rack1-virt1,virt1-pair", "--repeat", "2",
                 "--jobs", "2", "--out", out, "--quiet", *small_scenarios())
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((out / "matrix.json").read_text())
    url = (out / "report.html").as_uri()
    width, height = 1000, 1100
    browser = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},{height}"]
    shot = tmp_path / "report.png"
    # One browser: the DOM after parsing on stdout, the screenshot in shot.
    dumped = subprocess.run([*browser, "--dump-dom", f"--screenshot={shot}", url],
                            capture_output=True, text=True, timeout=180)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    parser = Elements()
    parser.feed(dumped.stdout)
    grid = [(tag, attributes, path) for tag, attributes, path in parser.elements
            if ("table", "grid") in path]
    headers = [attributes for tag, attributes, _ in grid if tag == "th"]
    rows = [element for element in grid if element[0] == "tr"]
    cells = [attributes.get("class") for tag, attributes, _ in grid if tag == "td"]
    assert len(rows) == 1 + len(SMALL), rows
    assert len(headers) == (1 + 3) + len(SMALL)  # a header row, then a name per row
    assert cells.count("pass") == 7 and cells.count("skip") == 2, cells
    plots = [attributes for tag, attributes, _ in parser.elements
             if tag == "svg" and attributes.get("class") == "plot"]
    dots = [attributes for tag, attributes, path in parser.elements
            if tag == "circle" and any(step[0] == "svg" for step in path)]
    figures = sum(isinstance(run.get(metric), int) for run in document["runs"]
                  for metric in ("failover_ms", "outage_ms"))
    assert len(plots) == 3
    assert figures > 0 and len(dots) == figures, (len(dots), figures)
    # The screenshot: the window's size, not blank, the grid's colours
    # (td.pass #9d9, td.skip #ddd) and the plots' dots (#393 at 0.7 over
    # white) are on it.
    assert shot.exists(), dumped.stderr[-2000:]
    shot_width, shot_height, pixels = png_rgb(shot)
    assert (shot_width, shot_height) == (width, height)
    colours = collections.Counter(pixels)
    assert colours[(255, 255, 255)] < 0.97 * len(pixels), "the screenshot is blank"
    green = sum(n for colour, n in colours.items() if near(colour, (0x99, 0xdd, 0x99)))
    grey = sum(n for colour, n in colours.items() if near(colour, (0xdd, 0xdd, 0xdd)))
    dot = sum(n for colour, n in colours.items() if near(colour, (112, 184, 112), 12))
    assert green > 7 * 1000, green  # seven pass cells of ~75 x 38 px
    assert grey > 2 * 1000, grey
    assert dot > 3 * 20, dot  # dots of radius 4 in each of the 3 plots


# ------------------------------------------------------------ CI templates

def test_ci_templates_for_shards():
    """The shard templates pass their platforms' linters (ci/lint-templates.sh),
    name as many shards as HALAB_SHARDS says, and their matrix options are
    accepted by hasim; the shard and merge commands are the ones tested
    above."""
    yaml = pytest.importorskip("yaml")
    github, gitlab = ROOT / "ci" / "matrix-github-workflow.yml", ROOT / "ci" / "matrix-gitlab-ci.yml"
    linted = subprocess.run([str(ROOT / "ci" / "lint-templates.sh"), str(github), str(gitlab)],
                            capture_output=True, text=True, timeout=600)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    workflow, pipeline = yaml.safe_load(github.read_text()), yaml.safe_load(gitlab.read_text())
    shards = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(workflow["env"]["HALAB_SHARDS"]) + 1))
    entries = pipeline["halab-matrix-shard"]["parallel"]["matrix"][0]["SHARD"]
    assert entries == [str(i) for i in range(1, int(pipeline["variables"]["HALAB_SHARDS"]) + 1)]
    assert "hasim matrix merge" in " ".join(pipeline["halab-matrix-report"]["script"])
    for options in (workflow["env"]["HALAB_MATRIX_OPTIONS"],
                    pipeline["variables"]["HALAB_MATRIX_OPTIONS"]):
        listed = hasim("matrix", *options.split(), "--shard", f"1/{len(shards)}", "--list")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout
