"""Tests of the CI templates and the scripts their jobs call.

The templates pass the linters and schemas their platforms publish
(ci/lint-templates.sh: actionlint and the GitHub workflow schema, GitLab's
CI schema), and those catch real mistakes; each native job's lines run in a
clean copy of this tree with a minimal environment (ci/ci-jobs.py; one
scenario, so the test stays short) and leave valid JUnit; the VM jobs' lines
are listed, not run (they boot QEMU guests: make test-vm's business); a
user's own scenarios and topologies run from another repository through
ci/run-scenarios.sh; ci/junit-summary.py renders what a CI page shows.
"""
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CI = ROOT / "ci"
JUNIT_XSD = ROOT / "sim" / "tests" / "junit.xsd"


def run(*command, cwd=ROOT, timeout=600, env=None):
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env)


def xmllint(path):
    return run("xmllint", "--noout", "--schema", JUNIT_XSD, path)


# ------------------------------------------------------------- linters

def test_templates_pass_their_platforms_linters():
    completed = run(CI / "lint-templates.sh")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.splitlines()[:2] == [
        f"{CI}/github-workflow.yml: actionlint and the GitHub workflow schema: valid",
        f"{CI}/gitlab-ci.yml: GitLab CI schema: valid; jobs:"]
    jobs = [line.split()[0] for line in completed.stdout.splitlines()[3:]]
    assert jobs == ["halab-native", "halab-vm"]


def test_the_linters_catch_mistakes(tmp_path):
    """Each tool must fail on what it checks, or a green lint proves nothing."""
    workflow = tmp_path / "bad-workflow.yml"
    workflow.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - run: echo ${{ github.foo }}\n    timeout: 5\n")
    pipeline = tmp_path / "bad-gitlab-ci.yml"
    pipeline.write_text("job:\n  script: echo\n  artifacts:\n    reports:\n      junit: 5\n"
                        "  tags: web\n")
    completed = run(CI / "lint-templates.sh", workflow, pipeline)
    assert completed.returncode == 1
    out = completed.stdout
    assert f'{workflow}:6:23: property "foo" is not defined' in out
    assert f'{workflow}:7:5: unexpected key "timeout" for "job" section' in out
    assert f"{workflow}: /jobs/a: OneOf conditions are not met [workflow schema]" in out
    assert f"{pipeline}: \t• 'tags' property type must be array at job.tags" in out
    assert f"{pipeline}: \t• 'junit' property type must be string at " \
           "job.artifacts.reports.junit" in out


# ------------------------------------------------------------- jobs

@pytest.mark.netns
@pytest.mark.parametrize("template, job, scenario", [
    ("github-workflow.yml", "native", "switchover"),
    ("gitlab-ci.yml", "halab-native", "disband"),
])
def test_native_job_runs_in_a_clean_copy(tmp_path, template, job, scenario):
    """The job's own lines (but the image's apt-get, which would upgrade this
    host) in a fresh copy of the tree: build, lint, run, gc, JUnit, artifacts."""
    completed = run(CI / "ci-jobs.py", "run", CI / template, job, "--workspace", tmp_path,
                    "--set", f"HALAB_SCENARIOS=halab/scenarios/{scenario}.yaml",
                    "--set", "MAKEFLAGS=-j2", "--skip", "apt-get", timeout=900)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    workspace = tmp_path / "workspace"
    assert f"ci-jobs: job {job} passed; workspace {workspace}" in completed.stdout
    assert f"PASS {scenario}\n" in completed.stdout
    assert "run-scenarios: 1 passed, 0 failed (native backend, seed 1;" in completed.stdout
    junit = workspace / "reports" / "halab-native" / scenario / "junit.xml"
    validated = xmllint(junit)
    assert validated.returncode == 0, validated.stderr
    if template.startswith("github"):
        summary = (tmp_path / "step-summary.md").read_text()
        assert summary.startswith("## halab: 1 passed, 0 failed (1 suites)\n")
        assert "artifact halab-native-1: reports/halab-native/ (" in completed.stdout
    else:
        assert "artifact reports/halab-native/*/junit.xml: 1 matches" in completed.stdout


@pytest.mark.parametrize("template, job", [("github-workflow.yml", "vm"),
                                           ("gitlab-ci.yml", "halab-vm")])
def test_vm_job_lines(tmp_path, template, job):
    """Listed, not run: libvirtd, the guest image, --accel auto, cleanup."""
    completed = run(CI / "ci-jobs.py", "run", CI / template, job, "--workspace", tmp_path,
                    "--dry-run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    for line in ("halab/ci/libvirtd.sh start", "--backend libvirt --accel auto",
                 "daemon-static guest", "halab/ci/libvirtd.sh stop",
                 "halab/build/bin/hasim gc || true"):
        assert line in out, line
    assert not (tmp_path / "workspace" / "halab").exists()


@pytest.mark.parametrize("template, job", [("github-workflow.yml", "load"),
                                           ("gitlab-ci.yml", "halab-load")])
def test_load_job_lines(tmp_path, template, job):
    """Listed, not run (its own run is `make test-load`): the user's scenarios
    through run-scenarios.sh under ci/under-load.sh's hog, then cleanup."""
    completed = run(CI / "ci-jobs.py", "run", CI / template, job, "--workspace", tmp_path,
                    "--dry-run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    for line in ("make -C halab deps all", "halab/ci/under-load.sh --rounds 1 --",
                 "halab/ci/run-scenarios.sh --backend native",
                 "--reports reports/halab-load", "halab/build/bin/hasim gc || true"):
        assert line in out, line


def hog_processes():
    return subprocess.run(["pgrep", "stress-ng"], capture_output=True,
                          text=True).stdout.split()


@pytest.mark.serial
def test_under_load_runs_each_round_with_every_core_busy(tmp_path):
    """ci/under-load.sh: one stress-ng worker per core while each round runs,
    %ROUND% numbered, a failed round fails the whole and is named, and the
    hog is gone afterwards (serial: it watches the host's stress-ng)."""
    assert shutil.which("stress-ng"), "ci/deps.sh installs stress-ng"
    before = set(hog_processes())
    # Each round writes how many stress-ng processes run beside it (the
    # parent and one worker per core), and round 2 fails.
    command = ("n=$(pgrep stress-ng | wc -l); echo $n > %s/round-%%ROUND%%; "
               "echo round %%ROUND%% saw $n; test %%ROUND%% -ne 2") % tmp_path
    completed = run(CI / "under-load.sh", "--rounds", "3", "--", "sh", "-c", command,
                    cwd=tmp_path, timeout=120)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    out = completed.stdout
    assert f"busy on {os.cpu_count()} cores; 3 round(s)" in out
    assert "round 1: passed" in out and "round 2: FAILED" in out and "round 3: passed" in out
    assert "under-load: 2 of 3 round(s) passed under the hog" in out
    for number in (1, 2, 3):
        seen = int((tmp_path / f"round-{number}").read_text())
        assert seen >= 1 + os.cpu_count(), (number, seen)
        assert f"round {number} saw {seen}" in (tmp_path / "reports" / f"load-{number}.log").read_text()
    assert set(hog_processes()) - before == set(), "the hog outlived the script"


def test_under_load_refuses_bad_arguments(tmp_path):
    for arguments, message in ((["--rounds", "0", "--", "true"], "positive number"),
                               (["--rounds", "x", "--", "true"], "positive number"),
                               (["--frobnicate"], "unknown argument '--frobnicate'"),
                               (["--rounds", "1"], "no command")):
        completed = run(CI / "under-load.sh", *arguments, cwd=tmp_path)
        assert completed.returncode == 2, arguments
        assert message in completed.stderr, (arguments, completed.stderr)
    assert not (tmp_path / "reports").exists()


def test_job_runner_refuses_what_it_does_not_know(tmp_path):
    completed = run(CI / "ci-jobs.py", "run", CI / "github-workflow.yml", "deploy")
    assert completed.returncode == 2
    assert "no job 'deploy' in" in completed.stderr and "(jobs: native, vm, load)" in completed.stderr
    workflow = tmp_path / "expr-workflow.yml"
    workflow.write_text("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
                        "      - run: echo ${{ secrets.TOKEN }}\n")
    completed = run(CI / "ci-jobs.py", "run", workflow, "a", "--workspace", tmp_path,
                    "--dry-run")
    assert completed.returncode == 1
    assert "ci-jobs: cannot evaluate ${{ secrets.TOKEN }} here" in completed.stderr


# ------------------------------------------------------------- your own files

def own_repository(tmp_path):
    """A user's repository: their topology and scenario, no halab in it."""
    repository = tmp_path / "mine"
    (repository / "topologies").mkdir(parents=True)
    (repository / "scenarios").mkdir()
    (repository / "topologies" / "pair.yaml").write_text(
        (ROOT / "topologies" / "rack1-pair.yaml").read_text()
        .replace("name: rack1-pair", "name: pair"))
    (repository / "scenarios" / "my-switchover.yaml").write_text(
        (ROOT / "scenarios" / "switchover.yaml").read_text()
        .replace("name: switchover", "name: my-switchover")
        .replace("topology: rack1-pair", "topology: pair"))
    return repository


@pytest.mark.netns
def test_own_scenarios_from_another_repository(tmp_path):
    repository = own_repository(tmp_path)
    completed = run(CI / "run-scenarios.sh", "--seed", "3", "scenarios/my-switchover.yaml",
                    cwd=repository, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.endswith(
        "PASS my-switchover\nrun-scenarios: 1 passed, 0 failed (native backend, seed 3; run "
        "folders in reports/halab/)\n")
    junit = repository / "reports" / "halab" / "my-switchover" / "junit.xml"
    assert xmllint(junit).returncode == 0
    assert 'topology" value="pair"' in junit.read_text()


@pytest.mark.netns
def test_run_scenarios_counts_a_skip_as_skipped(tmp_path):
    # keepalived lacks switchover: hasim exits 4 (skipped). That is neither a
    # pass nor a failure; a job where every scenario was skipped exits 4
    # (nothing was tested), one where the others passed exits 0.
    if not shutil.which("keepalived"):
        pytest.skip("keepalived is not installed (ci/deps.sh)")
    repository = own_repository(tmp_path)
    (repository / "scenarios" / "my-power-loss.yaml").write_text(
        (ROOT / "scenarios" / "active-power-loss.yaml").read_text()
        .replace("name: active-power-loss", "name: my-power-loss")
        .replace("topology: rack1-pair", "topology: pair"))
    completed = run(CI / "run-scenarios.sh", "--node", "keepalived",
                    "scenarios/my-switchover.yaml", cwd=repository, timeout=300)
    assert completed.returncode == 4, completed.stdout + completed.stderr
    assert ("\nSKIP my-switchover (native backend, seed 1): skipped: node adapter keepalived "
            "lacks switchover: ") in completed.stdout
    assert completed.stdout.endswith(
        "run-scenarios: 0 passed, 0 failed, 1 skipped (native backend, seed 1; run folders in "
        "reports/halab/)\n")
    completed = run(CI / "run-scenarios.sh", "--node", "keepalived",
                    "scenarios/my-switchover.yaml", "scenarios/my-power-loss.yaml",
                    cwd=repository, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.endswith(
        "PASS my-power-loss\nrun-scenarios: 1 passed, 0 failed, 1 skipped (native backend, seed "
        "1; run folders in reports/halab/)\n")


def test_run_scenarios_refuses_bad_input(tmp_path):
    repository = own_repository(tmp_path)
    (repository / "scenarios" / "broken.yaml").write_text("name: broken\ntopology: nowhere\n")
    completed = run(CI / "run-scenarios.sh", "scenarios/broken.yaml",
                    "scenarios/my-switchover.yaml", cwd=repository)
    assert completed.returncode == 2
    assert completed.stdout.startswith(
        "scenarios/broken.yaml:2: topology: no topology 'nowhere' (looked for nowhere.yaml in: "
        f"topologies, {ROOT}/topologies; --topology-dir DIR and HALAB_TOPOLOGY_PATH add "
        "folders)\n")
    assert not (repository / "reports").exists(), "nothing runs when a file does not load"
    assert run(CI / "run-scenarios.sh", cwd=repository).returncode == 2
    assert run(CI / "run-scenarios.sh", "--seed", cwd=repository).returncode == 2
    no_build = run(CI / "run-scenarios.sh", "scenarios/my-switchover.yaml", cwd=repository,
                   env=dict(os.environ, HALAB_BIN=str(tmp_path / "nowhere")))
    assert no_build.returncode == 3
    assert f"run-scenarios: no {tmp_path}/nowhere/hasim: build halab first" in no_build.stderr


def test_run_scenarios_counts_a_scenario_not_run_as_skipped(tmp_path):
    """A step the backend cannot do (disk_fail on libvirt): hasim runs
    nothing and exits 4; the job counts it as skipped, neither passed nor
    failed, and the run's own summary says why (no guest is booted)."""
    completed = run(CI / "run-scenarios.sh", "--backend", "libvirt", "--reports",
                    tmp_path / "reports", "scenarios/disk-degraded.yaml", timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SKIP disk-degraded (libvirt backend, seed 1): skipped: the libvirt backend " \
        "cannot fail or restore one disk" in completed.stdout
    assert completed.stdout.endswith(
        "run-scenarios: 0 passed, 0 failed, 1 skipped (not run: hasim's SKIP lines say why) "
        f"(libvirt backend, seed 1; run folders in {tmp_path}/reports/)\n")


# ------------------------------------------------------------- summary

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="{name}" tests="2" failures="{failures}" errors="0" skipped="{skipped}"
 time="5.500" timestamp="2026-11-23T10:40:00" hostname="h">
  <testcase classname="{name}" name="run" time="5.500"/>
  <testcase classname="{name}" name="[0] invariant: single_active" time="0.000">{result}</testcase>
</testsuite>
"""


def test_junit_summary(tmp_path):
    passed, failed = tmp_path / "a.xml", tmp_path / "b.xml"
    passed.write_text(JUNIT.format(name="a", failures=0, skipped=1,
                                   result='<skipped message="nothing to judge"/>'))
    failed.write_text(JUNIT.format(name="b|c", failures=1, skipped=0,
                                   result='<failure message="m">two active\nreproduce: '
                                          'hasim run b.yaml --seed 1 --backend native'
                                          '</failure>'))
    for path in (passed, failed):
        assert xmllint(path).returncode == 0
    completed = run("/usr/bin/python3", CI / "junit-summary.py", passed, failed)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (
        "## halab: 1 passed, 1 failed (2 suites)\n\n"
        "| suite | result | tests | failures | errors | skipped | time |\n"
        "|---|---|---|---|---|---|---|\n"
        "| a | passed, some skipped | 2 | 0 | 0 | 1 | 5.500 s |\n"
        "| b\\|c | failed | 2 | 1 | 0 | 0 | 5.500 s |\n\n"
        "### Failures, errors and skips\n\n"
        "**a** skipped: `[0] invariant: single_active`\n\n```\nnothing to judge\n```\n\n"
        "**b\\|c** failure: `[0] invariant: single_active`\n\n```\ntwo active\nreproduce: "
        "hasim run b.yaml --seed 1 --backend native\n```\n\n")
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuite")
    completed = run("/usr/bin/python3", CI / "junit-summary.py", broken)
    assert completed.returncode == 2 and completed.stderr.startswith("junit-summary: ")


def test_scripts_are_executable_and_parse():
    for script in ("run-scenarios.sh", "lint-templates.sh", "deps.sh", "libvirtd.sh"):
        assert os.access(CI / script, os.X_OK), script
        assert run("sh", "-n", CI / script).returncode == 0, script
    assert os.access(CI / "under-load.sh", os.X_OK)
    assert run("bash", "-n", CI / "under-load.sh").returncode == 0
    assert shutil.which("xmllint"), "ci/deps.sh installs libxml2-utils"
