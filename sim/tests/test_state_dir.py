"""Where a run keeps what lives outside its run folder (its state folder,
sim/backend/gc.c hs_state_root), and that gc never takes a run being set
up for a dead one.

- $HALAB_STATE_DIR chooses the root (root's default /run/halab, a user's
  $XDG_RUNTIME_DIR/halab: test_session_user.py); with it set, `hasim gc`
  collects only dead runs with a state folder there, never "orphans" (every
  run under /run/halab would look like one).
- Regression: a run makes its state folder, then writes its owner file
  into it; a collection in between (another hasim starting) took the folder
  for a dead run's and removed it under the new run, which then failed with
  "run_prepare_dirs: /run/halab/hs88ce21/pids: No such file or directory"
  (seen with parallel native runs). A folder without an owner (or with an
  empty one) is now left alone for a minute after it was made.

No namespace, guest or root needed: the folders are made by hand.
"""
import os
import pathlib
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))


def gc(state_root):
    return subprocess.run([str(BIN / "hasim"), "gc"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, HALAB_STATE_DIR=str(state_root)))


def test_gc_leaves_a_run_being_set_up_and_takes_a_dead_one(tmp_path):
    being_set_up = tmp_path / "hs00aa01"   # made, no owner yet
    being_set_up.mkdir()
    owner_empty = tmp_path / "hs00aa02"    # owner opened, not written yet
    owner_empty.mkdir()
    (owner_empty / "owner").write_text("")
    dead = tmp_path / "hs00aa03"           # its hasim is gone
    dead.mkdir()
    (dead / "owner").write_text("999999999 native /nonexistent\n")
    abandoned = tmp_path / "hs00aa04"      # never got an owner, two minutes ago
    abandoned.mkdir()
    old = time.time() - 120
    os.utime(abandoned, (old, old))
    completed = gc(tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert being_set_up.exists() and owner_empty.exists()
    assert not dead.exists() and not abandoned.exists()
    assert sorted(line for line in completed.stdout.splitlines()
                  if line.startswith("gc: removed state")) == [
        "gc: removed state of run hs00aa03", "gc: removed state of run hs00aa04"]

