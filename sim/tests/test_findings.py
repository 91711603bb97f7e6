"""The reproducers of node bugs in sim/tests/findings/ still fail.

Each file there is a scenario that the reference node fails today (found by
the virtual backend or by `hasim swarm`, see findings/README.md). Each runs
as the library's scenarios run, on the virtual backend with the seed its
opening comment names (`hasim run FILE --backend virtual --seed N`), and is
marked xfail(strict): while the bug is there the test is reported as
"xfailed", never as passed; once the node is fixed it passes, which fails
the test run (XPASS strict) as a reminder to move the file into
scenarios/regressions/, where the library runs it on every backend.
"""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
FINDINGS = sorted((ROOT / "sim" / "tests" / "findings").glob("*.yaml"))
SEED = re.compile(r"hasim run \S+ --backend virtual --seed (\d+)")


def seed_of(path):
    match = SEED.search(path.read_text())
    assert match, f"{path.name}: no 'hasim run FILE --backend virtual --seed N' in its comment"
    return match.group(1)


def run_finding(path):
    out = pathlib.Path(tempfile.mkdtemp(prefix=f"hsf{os.getpid()}-", dir="/tmp"))
    try:
        return subprocess.run(
            [str(BIN / "hasim"), "run", str(path), "--backend", "virtual", "--seed",
             seed_of(path), "--out", str(out / "run"), "--quiet"],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env=dict(os.environ, HALAB_BIN=str(BIN)))
    finally:
        shutil.rmtree(out, ignore_errors=True)


@pytest.mark.parametrize("path", FINDINGS, ids=lambda path: path.stem)
@pytest.mark.xfail(strict=True, reason="a bug of sim/tests/findings/README.md (node or "
                   "simulator); once it passes, move the file to scenarios/regressions/")
def test_finding(path):
    completed = run_finding(path)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("path", FINDINGS, ids=lambda path: path.stem)
def test_finding_is_judged(path):
    """Not xfail: each file names its seed, loads, runs and is judged
    (exit 0 or 1), so that the xfail above fails for the bug, not for a
    file that does not run."""
    completed = run_finding(path)
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    assert re.search(r"reproduce: \S*hasim run ", completed.stdout) or completed.returncode == 0
