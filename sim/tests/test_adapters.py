"""Node adapters on the native backend (root: namespaces, TAP devices).

- The fabric catches a node whose log lies (sim/tests/adapters/script, a
  scripted pair with no failover logic): node1 claims active but holds
  nothing while node2 holds the cluster IP silently (single_active fails
  from the wire), node1 claims active and nobody answers (single_active:
  the client's requests found it silent), both hold it while only node1
  claims it (cluster_ip_unique fails from the wire, though final.json,
  the nodes' own claim, names one holder); an honest pair passes.
- keepalived (nodes/keepalived, profile topology) passes library scenarios
  it can express; the data checks it cannot (no replication) are skipped
  with the reason, never passed (maintenance too: a tracked file puts the
  instance in FAULT, recorded as maintenance); a scenario whose steps need
  what it lacks (switchover) is not run: exit 4, its verdict says skipped.
- keepalived's own defaults (advert_int 1 s) take over in 3 s or more, so
  they fail the library's failover window by design.
- Other adapters run on the native backend only; a missing binary stops a
  run before it starts, naming the adapter and how to install it.
- Pacemaker (nodes/pacemaker, when installed) keeps serving with a sync port
  pulled and leaves nothing in the host's /run, fails over after a power cut
  in its own time (3-6 s), moves ClusterIP to the node that reaches the ping
  target, and in its fence profile fences through hasim's PDU (the active
  wins a fence race).
- hasim matrix --nodes: the same runs per node implementation, skips with
  the reason hasim run gives, per-node report; shards merge to the whole.
- A SIGKILLed hasim that keeps its nodes (--keep-on-failure) leaves no
  keepalived, hskv or child of theirs: its guardian ends the recorded PIDs
  and their process groups.
"""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HASIM = str(BIN / "hasim")
SCRIPT = ROOT / "sim" / "tests" / "adapters" / "script"
EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_INFRA, EXIT_SKIPPED = 0, 1, 2, 3, 4

pytestmark = pytest.mark.netns


def needs_root():
    if os.geteuid() != 0:
        pytest.skip("the native backend needs root (namespaces, TAP devices)")


def run(scenario, out_dir, *options):
    process = subprocess.run([HASIM, "run", str(scenario), "--out", str(out_dir), "--quiet",
                              *options], cwd=ROOT, capture_output=True, text=True, timeout=300)
    result_path = out_dir / "result.json"
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    return process, result


def expectation(result, description):
    return next(e for e in result["expectations"] if e["description"] == description)


@pytest.mark.parametrize("profile, single_active, cluster_ip_unique", [
    ("honest", None, None),
    ("liar", "invariant single_active failed: the fabric saw node2 answer for the cluster IP "
             "for ", None),
    ("silent", "invariant single_active failed: node1's log said active, but for ", None),
    ("dual", "invariant single_active failed: the fabric saw node2 answer for the cluster IP "
             "for ",
     "invariant cluster_ip_unique failed: the fabric saw node1 and node2 both answer for the "
     "cluster IP for "),
])
def test_the_fabric_catches_a_node_whose_log_lies(tmp_path, profile, single_active,
                                                  cluster_ip_unique):
    needs_root()
    process, result = run(SCRIPT / "observe.yaml", tmp_path / "run", "--node",
                          f"{SCRIPT}:{profile}")
    assert result is not None, process.stderr
    assert result["node_adapter"] == "script"
    for description, failure in (("single_active", single_active),
                                 ("cluster_ip_unique", cluster_ip_unique)):
        judged = expectation(result, description)
        assert not judged["skipped"]
        if failure is None:
            assert judged["passed"], judged["message"]
        else:
            assert not judged["passed"]
            assert judged["message"].startswith(failure), judged["message"]
    assert process.returncode == (EXIT_PASSED if profile == "honest" else EXIT_FAILED)
    # What the nodes claim: node1 says it holds the cluster IP, whatever it does.
    final = json.loads((tmp_path / "run" / "final.json").read_text())["nodes"]
    assert final["node1"]["holds_cluster_ip"] and not final["node2"]["holds_cluster_ip"]
    fabric = (tmp_path / "run" / "fabric.jsonl").read_text()
    assert '"event":"cluster_ip_watch"' in fabric


@pytest.mark.parametrize("scenario", ["active-power-loss", "active-raid-loss",
                                      "external-loss-active", "maintenance-active"])
def test_keepalived_passes_what_it_can_express(tmp_path, scenario):
    needs_root()
    process, result = run(ROOT / "scenarios" / f"{scenario}.yaml", tmp_path / "run",
                          "--node", "keepalived")
    assert process.returncode == EXIT_PASSED, process.stdout + process.stderr
    assert result["passed"] and result["node_adapter"] == "keepalived"
    skipped = [e for e in result["expectations"] if e["skipped"]]
    assert [e["description"] for e in skipped] == ["no_lost_writes"]
    assert skipped[0]["message"] == \
        "needs replicated_data, which node adapter keepalived lacks"
    assert not skipped[0]["passed"]
    assert f"SKIP: [{skipped[0]['index']}] no_lost_writes" in process.stderr
    records = [json.loads(line) for node in ("node1", "node2")
               for line in (tmp_path / "run" / "nodes" / node / "cluster.log").open()]
    transitions = [r for r in records if r["event"] == "transition"]
    assert transitions and all(r["reason"].startswith('keepalived: VRRP instance "halab" ')
                               for r in transitions)


def test_keepalived_skips_a_scenario_whose_steps_it_cannot_do(tmp_path):
    needs_root()
    process, result = run(ROOT / "scenarios" / "switchover.yaml", tmp_path / "run",
                          "--node", "keepalived")
    assert process.returncode == EXIT_SKIPPED, process.stdout + process.stderr
    reason = ("node adapter keepalived lacks switchover: step 'swap' (line 14) is "
              "switchover @active")
    assert result["skipped"] == reason
    assert result["passed"] is False and result["failures"] == []
    assert all(e["skipped"] and not e["passed"] and e["message"] == f"not run: {reason}"
               for e in result["expectations"])
    assert process.stdout.startswith("SKIP switchover (native backend, seed 1)")
    assert not (tmp_path / "run" / "nodes").exists()  # nothing was started


def test_keepalived_defaults_fail_the_failover_window_by_design(tmp_path):
    # VRRPv2 with advert_int 1 s: the backup takes over 3 x 1 s + skew after
    # the last advert it heard, which left up to 1 s before the cut: at
    # least 2000 ms after it, above the window's 1600 ms.
    needs_root()
    process, result = run(ROOT / "scenarios" / "active-power-loss.yaml", tmp_path / "run",
                          "--node", "keepalived:defaults")
    assert process.returncode == EXIT_FAILED, process.stdout + process.stderr
    assert result["metrics"]["failover_ms"] >= 2000
    assert any(f.startswith("expected failover_ms after 'cut' within [700, 1600], got ")
               for f in result["failures"])


def test_an_adapter_runs_on_the_backends_it_lists_only(tmp_path):
    # Pacemaker's adapter lists no backends: native, the default.
    process = subprocess.run([HASIM, "run", "scenarios/active-power-loss.yaml", "--backend",
                              "virtual", "--node", "pacemaker", "--out", str(tmp_path / "r")],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert process.returncode == EXIT_USAGE
    assert process.stderr == ("hasim run: --node pacemaker: node adapter pacemaker runs on the "
                              "native backend only, not virtual\n")


def test_a_missing_binary_stops_the_run_before_it_starts(tmp_path):
    needs_root()
    adapter = tmp_path / "ghost"
    adapter.mkdir()
    (adapter / "adapter.yaml").write_text(
        "name: ghost\nbinaries: [no-such-halab-binary]\ninstall: apt-get install -y ghost\n"
        "start: exec sleep 1\nrecords: notify\n")
    process, result = run(ROOT / "scenarios" / "active-power-loss.yaml", tmp_path / "run",
                          "--node", str(adapter))
    assert process.returncode == EXIT_INFRA
    assert process.stderr == (
        f"hasim run: {adapter}/adapter.yaml: binaries: 'no-such-halab-binary' is neither in "
        f"{BIN} nor on PATH; install: apt-get install -y ghost\n")
    assert result is None


def alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def group_of(pid):
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def test_a_killed_hasim_leaves_no_keepalived_behind(tmp_path):
    # --keep-on-failure: the nodes do not die with hasim; its guardian must
    # end them by the PIDs the run recorded (keepalived, hskv) and their
    # process groups (keepalived's VRRP child, its scripts).
    needs_root()
    out_dir = tmp_path / "run"
    process = subprocess.Popen([HASIM, "run", "scenarios/active-power-loss.yaml", "--node",
                                "keepalived", "--keep-on-failure", "--out", str(out_dir),
                                "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    recorded, groups = [], []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(recorded) < 4:
            for owner in pathlib.Path("/run/halab").glob("hs*/owner"):
                if str(out_dir) in owner.read_text():
                    pids = (owner.parent / "pids").read_text().split("\n")
                    recorded = [int(line.split()[0]) for line in pids
                                if line.endswith((" keepalived", " hskv"))]
            time.sleep(0.1)
        assert len(recorded) == 4, recorded  # keepalived and hskv on each node
        time.sleep(1)  # keepalived has forked its VRRP child by now
        groups = [int(p.name) for p in pathlib.Path("/proc").iterdir()
                  if p.name.isdigit() and group_of(int(p.name)) in recorded]
        assert len(groups) > len(recorded)  # children in the nodes' groups
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(alive(pid) for pid in recorded + groups):
        time.sleep(0.1)
    assert not [pid for pid in recorded + groups if alive(pid)]


def pacemaker_processes():
    """PIDs of Pacemaker's and Corosync's daemons on this host (any namespace)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            name = (entry / "comm").read_text().strip()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and (name.startswith("pacemaker") or name == "corosync"):
            found.append(int(entry.name))
    return sorted(found)


@pytest.fixture
def no_pacemaker_left():
    """Nothing of Pacemaker outlives its run (regression: pacemaker-execd and
    -schedulerd left the run's process group and outlived it)."""
    before = pacemaker_processes()
    yield
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and set(pacemaker_processes()) - set(before):
        time.sleep(0.1)
    assert set(pacemaker_processes()) - set(before) == set()


def needs_pacemaker():
    missing = [b for b in ("corosync", "pacemakerd", "cibadmin") if not shutil.which(b)]
    if missing:
        pytest.skip(f"Pacemaker is not installed ({', '.join(missing)} missing: ci/deps.sh)")


def test_pacemaker_keeps_serving_with_a_sync_port_pulled(tmp_path, no_pacemaker_left):
    # Corosync runs over both networks (knet links 0 and 1): one sync port of
    # a bond changes nothing; the cluster forms (ClusterIP started on one
    # node: its alert is its active record) and the client is served.
    # hasim runs in a mount namespace with an empty /run: what the nodes
    # leave in the host's /run shows (regression: an empty /run/corosync.pid,
    # the bind-mount point of Corosync's lock file, and /run/crm were left).
    needs_root()
    needs_pacemaker()
    script = ('mount -t tmpfs halab-test-run /run && "$0" run "$1" --node pacemaker --out "$2" '
              '--quiet; status=$?; echo "left in /run:" $(ls -A /run); exit $status')
    process = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                              script, HASIM, ROOT / "scenarios" / "bond-port-pulled.yaml",
                              tmp_path / "run"], cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert process.returncode == EXIT_PASSED, process.stdout + process.stderr
    left = process.stdout.rsplit("left in /run:", 1)[1].split()
    # hasim's own state folder and network namespaces, util-linux's utab.
    assert set(left) <= {"halab", "netns", "mount"}, left
    assert result["node_adapter"] == "pacemaker"
    assert [e["description"] for e in result["expectations"] if e["skipped"]] == \
        ["no_lost_writes"]
    records = [json.loads(line) for node in ("node1", "node2")
               for line in (tmp_path / "run" / "nodes" / node / "cluster.log").open()]
    assert any(r["event"] == "transition" and r["to"] == "active" and
               r["reason"].startswith("pacemaker: ClusterIP start on ") for r in records)
    # The nodes' mount namespaces kept Pacemaker's state off the host's folders.
    assert not list(pathlib.Path("/var/lib/pacemaker/cib").glob("cib*.xml"))


def test_pacemaker_follows_connectivity_and_fences_through_the_pdu(tmp_path, no_pacemaker_left):
    # Profile fence: the active loses its external link, ocf:pacemaker:ping
    # moves ClusterIP to the standby (the cluster stays whole over the sync
    # link); then that node loses power and the other fences it through
    # hasim's PDU (fence_halab -> hsfence), recorded in its log and carried
    # out by the runner, before taking ClusterIP back.
    needs_root()
    needs_pacemaker()
    process, result = run(ROOT / "sim" / "tests" / "adapters" / "slow-ping-then-fence.yaml",
                          tmp_path / "run", "--node", "pacemaker:fence")
    assert process.returncode == EXIT_PASSED, process.stdout + process.stderr
    assert result["node_adapter"] == "pacemaker"
    records = [json.loads(line) for line in
               (tmp_path / "run" / "nodes" / "node1" / "cluster.log").open()]
    # node1 does not hold the cluster IP when it fences (node2 took it): it
    # waits fence_delay_ms first, as hanode's standby does.
    assert [r["reason"] for r in records if r["event"] == "fence"] == [
        "fencing node2: pacemaker-fenced asked (off); waiting 500 ms (this node does not hold "
        "the cluster IP)", "fencing node2: pacemaker-fenced asked (off)", "fenced node2"]
    steps = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    assert [(s["action"], s["target"], s["ok"]) for s in steps if s["event"] == "fence"] == [
        ("power_off", "node2", True)]


def test_pacemaker_fence_race_goes_to_the_active(tmp_path, no_pacemaker_left):
    # Both links cut (split-brain-fence, profile fence): each side fences the
    # other; the one without the cluster IP waits fence_delay_ms (500 ms), so
    # the active powers the standby off first and keeps ClusterIP (regression:
    # priority-fencing-delay, which two_node's quorum never applies, let the
    # standby win).
    needs_root()
    needs_pacemaker()
    process, result = run(ROOT / "scenarios" / "split-brain-fence.yaml", tmp_path / "run",
                          "--node", "pacemaker:fence")
    assert process.returncode == EXIT_PASSED, process.stdout + process.stderr
    steps = [json.loads(line) for line in (tmp_path / "run" / "steps.jsonl").open()]
    assert [(s["target"], s["ok"]) for s in steps if s["event"] == "fence"] == [
        ("node2", True)]


def test_pacemaker_fails_over_after_a_power_cut_in_its_own_time(tmp_path, no_pacemaker_left):
    # The library's windows are hanode's (active-power-loss fails by design:
    # nodes/README.md); with room for it, the standby takes over, recorded by
    # its own alert, and the fabric sees one holder at a time.
    needs_root()
    needs_pacemaker()
    process, result = run(ROOT / "sim" / "tests" / "adapters" / "slow-failover.yaml",
                          tmp_path / "run", "--node", "pacemaker")
    assert process.returncode == EXIT_PASSED, process.stdout + process.stderr
    assert 2200 <= result["metrics"]["failover_ms"] <= 15000  # at least token + consensus


# ------------------------------------------------------- hasim matrix --nodes

def matrix(out_dir, *options):
    return subprocess.run([HASIM, "matrix", "--out", str(out_dir), "--quiet", *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_matrix_nodes_plan_skips_what_each_node_cannot_do(tmp_path):
    # Planned, not run (--list): the same runs per node, named
    # node/topology/scenario/seed, and a skip with the same reason `hasim
    # run` gives (exit 4) or a backend the adapter does not list.
    process = subprocess.run([HASIM, "matrix", "--nodes", "hanode,keepalived:fast",
                              "--topologies", "rack1-pair", "--scenarios",
                              "scenarios/switchover.yaml", "--scenarios",
                              "scenarios/active-power-loss.yaml", "--backend", "native",
                              "--list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines() == [
        "hanode/rack1-pair/active-power-loss/1", "hanode/rack1-pair/switchover/1",
        "keepalived:fast/rack1-pair/active-power-loss/1"]
    assert process.stderr.splitlines() == [
        "skip keepalived:fast/rack1-pair/switchover/1: node adapter keepalived lacks "
        "switchover: step 'swap' (line 14) is switchover @active"]
    process = subprocess.run([HASIM, "matrix", "--nodes", "hanode,pacemaker", "--topologies",
                              "rack1-pair", "--scenarios", "scenarios/active-power-loss.yaml",
                              "--list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert process.stdout == "hanode/rack1-pair/active-power-loss/1\n"
    assert process.stderr == ("skip pacemaker/rack1-pair/active-power-loss/1: node adapter "
                              "pacemaker runs on the native backend only, not virtual\n")
    # A profile adds capabilities: Pacemaker's fence profile can fence.
    process = subprocess.run([HASIM, "matrix", "--nodes", "pacemaker,pacemaker:fence",
                              "--topologies", "rack1-pair", "--scenarios",
                              "scenarios/fence-active-power-loss.yaml", "--backend", "native",
                              "--list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert process.stdout == "pacemaker:fence/rack1-pair/fence-active-power-loss/1\n"
    assert process.stderr == (
        "skip pacemaker/rack1-pair/fence-active-power-loss/1: node adapter pacemaker lacks "
        "fencing: topology rack1-pair (with the scenario's overrides) uses the fence "
        "tie-breaker\n")


@pytest.mark.parametrize("nodes, message", [
    ("nosuch", "hasim matrix: --nodes nosuch: "),
    ("hanode,hanode", "hasim matrix: --nodes: 'hanode' given twice\n"),
    ("keepalived:slow", "hasim matrix: --nodes keepalived:slow: "),
])
def test_matrix_nodes_bad_input(tmp_path, nodes, message):
    process = matrix(tmp_path / "m", "--nodes", nodes, "--list")
    assert process.returncode == EXIT_USAGE
    assert process.stderr.startswith(message)
    assert not (tmp_path / "m").exists()


def test_matrix_nodes_shards_merge_to_the_whole(tmp_path):
    # Virtual backend (no root): keepalived is skipped there (its adapter
    # lists native only), hanode runs; the merged report keeps the node
    # order, names and per-node totals of the one-machine matrix.
    common = ["--nodes", "keepalived,hanode", "--topologies", "rack1-pair,rack4-pair",
              "--scenarios", "scenarios/active-power-loss.yaml", "--scenarios",
              "scenarios/switchover.yaml"]
    whole = matrix(tmp_path / "whole", *common)
    assert whole.returncode == EXIT_PASSED, whole.stderr
    for i in (1, 2):
        assert matrix(tmp_path / f"s{i}", *common, "--shard", f"{i}/2").returncode in (0, 1)
    merged = subprocess.run([HASIM, "matrix", "merge", str(tmp_path / "merged"),
                             str(tmp_path / "s2"), str(tmp_path / "s1")],
                            capture_output=True, text=True, timeout=60)
    assert merged.returncode == EXIT_PASSED, merged.stderr
    documents = [json.loads((tmp_path / name / "matrix.json").read_text())
                 for name in ("whole", "merged")]

    def names(document):
        return [(r.get("node"), r["topology"], r["scenario"], r["seed"], r["status"])
                for r in document["runs"]]

    assert names(documents[0]) == names(documents[1]) == [
        ("keepalived", t, s, 1, "skip") for t in ("rack1-pair", "rack4-pair")
        for s in ("active-power-loss", "switchover")] + [
        ("hanode", t, s, 1, "pass") for t in ("rack1-pair", "rack4-pair")
        for s in ("active-power-loss", "switchover")]
    for document in documents:
        nodes = {n["node"]: n for n in document["nodes"]}
        assert list(nodes) == ["keepalived", "hanode"]
        assert (nodes["keepalived"]["skip"], nodes["keepalived"]["pass"]) == (4, 0)
        assert (nodes["hanode"]["pass"], nodes["hanode"]["runs"]) == (4, 4)
        assert nodes["hanode"]["failover_ms"]["count"] == 4
        assert nodes["keepalived"]["failover_ms"]["count"] == 0
        assert [c.get("node") for c in document["cells"]] == ["keepalived"] * 4 + ["hanode"] * 4
    skipped = documents[0]["runs"][0]
    assert skipped["reason"] == ("node adapter keepalived runs on the native and libvirt "
                                 "backends only, not virtual")
    junit = (tmp_path / "merged" / "junit.xml").read_text()
    assert '<testsuite name="keepalived/rack1-pair"' in junit
    assert 'name="hanode/rack4-pair/switchover/1"' in junit
    assert (tmp_path / "whole" / "runs" / "hanode" / "rack1-pair" / "switchover" / "1" /
            "result.json").exists()
    html = (tmp_path / "whole" / "report.html").read_text()
    assert '<table id="nodes">' in html and "<th>keepalived/rack4-pair</th>" in html


def test_matrix_nodes_side_by_side_on_native(tmp_path):
    # hanode and keepalived (its topology profile) on the same power cut:
    # both pass, each with its own failover figure; what keepalived cannot
    # do (switchover) is skipped with the reason, never passed.
    needs_root()
    process = matrix(tmp_path / "m", "--nodes", "hanode,keepalived", "--backend", "native",
                     "--topologies", "rack1-pair", "--scenarios",
                     "scenarios/active-power-loss.yaml", "--scenarios",
                     "scenarios/switchover.yaml", "--jobs", "2")
    document = json.loads((tmp_path / "m" / "matrix.json").read_text())
    runs = {(r["node"], r["scenario"]): r for r in document["runs"]}
    assert {key: r["status"] for key, r in runs.items()} == {
        ("hanode", "active-power-loss"): "pass", ("hanode", "switchover"): "pass",
        ("keepalived", "active-power-loss"): "pass", ("keepalived", "switchover"): "skip"}, \
        process.stdout + process.stderr
    assert process.returncode == EXIT_PASSED
    for node in ("hanode", "keepalived"):
        result = json.loads((tmp_path / "m" / runs[(node, "active-power-loss")]["run_dir"] /
                             "result.json").read_text())
        assert result["node_adapter"] == node
        assert runs[(node, "active-power-loss")]["failover_ms"] == \
            result["metrics"]["failover_ms"]
    nodes = {n["node"]: n for n in document["nodes"]}
    assert nodes["keepalived"]["failover_ms"]["count"] == 1
    assert nodes["hanode"]["failover_ms"]["count"] == 2


# ------------------------------------------------------------ on guests (vm)

@pytest.mark.vm
def test_keepalived_on_guests_fails_over_after_a_power_cut(tmp_path):
    # The guest image with keepalived's layer (make guest-keepalived): the
    # adapter's files by fw_cfg, keepalived under hnagent instead of hanode,
    # its notify records streamed to the host; the fabric sees the cluster IP
    # move from the active's ports to the standby's. Nothing is left after.
    needs_root()
    image = ROOT / "build" / "guest" / "nodes" / "keepalived" / "initramfs.cpio.gz"
    assert image.exists(), "make guest-keepalived (make test-vm builds it)"
    process, result = run(ROOT / "scenarios" / "active-power-loss.yaml", tmp_path / "run",
                          "--node", "keepalived", "--backend", "libvirt")
    assert process.returncode == EXIT_PASSED, process.stdout + process.stderr
    assert (result["backend"], result["node_adapter"]) == ("libvirt", "keepalived")
    assert [e["description"] for e in result["expectations"] if e["skipped"]] == \
        ["no_lost_writes"]
    records = [json.loads(line) for node in ("node1", "node2")
               for line in (tmp_path / "run" / "nodes" / node / "cluster.log").open()]
    assert any(r["event"] == "transition" and r["to"] == "active" and
               r["reason"].startswith("keepalived: VRRP instance \"halab\" MASTER") and
               "guest_mono_ms" in r for r in records)
    run_info = json.loads((tmp_path / "run" / "run.json").read_text())
    aliases = run_info["aliases"]
    fabric = [json.loads(line) for line in (tmp_path / "run" / "fabric.jsonl").open()]
    cut = next(json.loads(line)["mono_ms"] for line in (tmp_path / "run" / "steps.jsonl").open()
               if json.loads(line)["name"] == "cut")
    seen = [(f["mono_ms"], f["cable"].split(".")[0]) for f in fabric
            if f["event"] == "cluster_ip_seen"]
    assert {node for t, node in seen if t < cut} == {aliases["@active"]}
    assert {node for t, node in seen if t > cut + 2000} == {aliases["@standby"]}
    domains = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"],
                             capture_output=True, text=True, timeout=60).stdout.split()
    assert not [d for d in domains if d.startswith(run_info["run_id"])]
