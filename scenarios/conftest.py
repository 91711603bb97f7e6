"""Collects every scenarios/*.yaml as one pytest test.

Each test runs `hasim run FILE --backend B --seed S --out DIR` and passes
only if hasim exits 0, i.e. the scenario's every expectation held on that
backend. A failing test prints hasim's failures and the path of the run
folder (result.json, junit.xml, timeline.html, the nodes' cluster logs).
`pytest scenarios/ -k power` selects scenarios by name, `--junitxml=F`
gives JUnit XML for CI.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
SCENARIO_TIMEOUT_S = 300


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.parent == pathlib.Path(__file__).parent:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioFailed(Exception):
    pass


class ScenarioItem(pytest.Item):
    def runtest(self):
        backend = self.config.getoption("--backend")
        seed = self.config.getoption("--seed")
        out = ROOT / "reports" / "pytest" / f"{self.name}-{backend}-seed{seed}"
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            subprocess.run(["rm", "-rf", "--", str(out)], check=True)
        command = [str(BIN / "hasim"), "run", str(self.path), "--backend", backend,
                   "--seed", str(seed), "--out", str(out), "--quiet"]
        env = dict(os.environ, HALAB_BIN=str(BIN))
        try:
            completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True,
                                       text=True, timeout=SCENARIO_TIMEOUT_S)
        except subprocess.TimeoutExpired as timeout:
            subprocess.run([str(BIN / "hasim"), "gc"], cwd=ROOT, capture_output=True)
            raise ScenarioFailed(f"hasim did not finish within {SCENARIO_TIMEOUT_S} s "
                                 f"(run folder {out})") from timeout
        self.add_report_section("call", "hasim", completed.stdout + completed.stderr)
        if completed.returncode != 0:
            raise ScenarioFailed(f"hasim exited {completed.returncode} (run folder {out})\n"
                                 + completed.stdout + completed.stderr)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"scenario {self.name}"
