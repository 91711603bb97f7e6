"""Collects every scenarios/*.yaml (and scenarios/regressions/*.yaml) as one pytest test.

Each test runs `hasim run FILE --backend B --seed S --out DIR --quiet` and
passes only if hasim exits 0, i.e. the scenario's every expectation held on
that backend. A failing test prints hasim's output once, in the order hasim
wrote it (its FAIL lines, the run folder, the line that reproduces it).
`pytest scenarios/ -k power` selects scenarios by name, `--junitxml=F`
gives JUnit XML for CI.

Run folders: each run gets a folder of its own under --reports-dir
(default reports/pytest), named <scenario>-<backend>-seed<S>-<worker>-<n>:
<worker> is pytest-xdist's worker id ("main" without xdist) and <n> the
first number whose folder could be created (mkdir is atomic), so repeated
and parallel runs (`-n 2`) never erase each other. The folder of a passing
run is removed unless --keep-reports; a failing run's folder is always kept.

A run hasim did not carry out (exit 4: a step the backend cannot do, such as
disk_fail or services_fail on libvirt) is reported as skipped with hasim's
reason, never as passed.

Markers: on the native backend each scenario creates network namespaces
(marker netns); on libvirt it boots guests (marker vm).
"""
import json
import os
import pathlib
import shutil
import subprocess
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
SCENARIO_TIMEOUT_S = 300
RUN_FOLDERS_MAX = 10000


# The library, and the shrunk reproducers of fixed node bugs (regressions/).
LIBRARY_FOLDERS = (pathlib.Path(__file__).parent, pathlib.Path(__file__).parent / "regressions")


# Known node bugs a library file shows on one backend only under CPU load,
# with the finding that explains them (sim/tests/findings/README.md): marked
# xfail, not strict (the run passes on an idle machine), so a failure is
# reported as XFAIL and a pass as XPASS, never counted among the passes.
KNOWN_UNDER_LOAD = {}


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.parent in LIBRARY_FOLDERS:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        item = ScenarioItem.from_parent(self, name=self.path.stem)
        backend = self.config.getoption("--backend")
        item.add_marker(pytest.mark.vm if backend == "libvirt" else pytest.mark.netns)
        known = KNOWN_UNDER_LOAD.get((self.path.stem, backend))
        if known:
            item.add_marker(pytest.mark.xfail(reason=known, strict=False))
        yield item


class ScenarioFailed(Exception):
    pass


def claim_run_folder(config, name, backend, seed):
    """A new, empty folder for one run, never one another run uses."""
    parent = pathlib.Path(config.getoption("--reports-dir"))
    if not parent.is_absolute():
        parent = ROOT / parent
    parent.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    for number in range(1, RUN_FOLDERS_MAX + 1):
        folder = parent / f"{name}-{backend}-seed{seed}-{worker}-{number}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise ScenarioFailed(f"no free run folder under {parent} after {RUN_FOLDERS_MAX} tries")


class ScenarioItem(pytest.Item):
    def runtest(self):
        backend = self.config.getoption("--backend")
        seed = self.config.getoption("--seed")
        out = claim_run_folder(self.config, self.name, backend, seed)
        command = [str(BIN / "hasim"), "run", str(self.path), "--backend", backend,
                   "--seed", str(seed), "--out", str(out), "--quiet"]
        env = dict(os.environ, HALAB_BIN=str(BIN))
        try:
            # One stream, so the FAIL lines and the summary keep their order.
            completed = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True,
                                       timeout=SCENARIO_TIMEOUT_S)
        except subprocess.TimeoutExpired as timeout:
            subprocess.run([str(BIN / "hasim"), "gc"], cwd=ROOT, capture_output=True)
            raise ScenarioFailed(f"hasim did not finish within {SCENARIO_TIMEOUT_S} s "
                                 f"(run folder {out})") from timeout
        if completed.returncode == 4:
            # Not run: a step this backend cannot carry out (per-disk and
            # services faults on libvirt); a skip with hasim's reason, never a pass.
            try:
                reason = json.loads((out / "result.json").read_text())["skipped"]
            except (OSError, ValueError, KeyError):
                reason = completed.stdout.strip()
            shutil.rmtree(out, ignore_errors=True)
            pytest.skip(f"{self.name} not run on {backend}: {reason}")
        if completed.returncode != 0:
            raise ScenarioFailed(f"hasim exited {completed.returncode} (run folder {out})\n"
                                 + completed.stdout)
        # Passed: shown with -rP; the folder goes unless asked to keep it.
        self.add_report_section("call", "hasim", completed.stdout)
        # An expectation the run could not judge (hasim's SKIP lines: an
        # outage bound the lab's own loop stalls straddle, nothing to
        # measure) does not fail the run, and is said, never passed silently.
        for line in completed.stdout.splitlines():
            if line.startswith("SKIP"):
                warnings.warn(f"{self.name} ({backend}): {line}", stacklevel=1)
        if not self.config.getoption("--keep-reports"):
            shutil.rmtree(out, ignore_errors=True)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.name}"
