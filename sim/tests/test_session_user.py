"""hasim without root: an unprivileged user runs a scenario on guests.

The user is `halab-test` (a system user, created here when missing and
removed again if this test made it). It runs `hasim run --backend libvirt`
through `qemu:///session`: libvirt's client starts the user's own session
daemon (libvirtd and virtlogd with --timeout=120, their sockets and pid
files in $XDG_RUNTIME_DIR/libvirt), QEMU runs as the user, the guests'
NICs are UDP sockets on the loopback into hasim's fabric, the uplink is
libslirp as for root, and the run's state folder is
$XDG_RUNTIME_DIR/halab/<run_id>: no namespace, nothing under /run.

Checked: the verdict is a pass, run.json names qemu:///session, QEMU's
log is in the run folder, and after the run no state folder, domain, QEMU
process or namespace of the run is left. The session daemons the test
caused are ended by the PIDs in their pid files (only if they are the
user's), also when the test fails.

A user without $XDG_RUNTIME_DIR is told to set HALAB_STATE_DIR, which is
then used. (That the native backend refuses such a user in one sentence
is test_hasim.py's test_native_run_without_root_says_so_once.)

Marked vm (the guests' run takes about 40 s under TCG); the refusal is
marked root (it switches to the user, a second or two).
"""
import json
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin")).resolve()
BUILD = pathlib.Path(os.environ.get("HALAB_BUILD", ROOT / "build")).resolve()
USER = "halab-test"
SCENARIO = "scenarios/active-power-loss.yaml"


def user_exists():
    try:
        pwd.getpwnam(USER)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def user():
    """halab-test's (uid, gid), made if missing and removed again after."""
    if os.geteuid() != 0:
        pytest.skip("switching to an unprivileged user needs root")
    created = not user_exists()
    if created:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", USER], check=True, capture_output=True)
    entry = pwd.getpwnam(USER)
    yield entry.pw_uid, entry.pw_gid
    if created:
        subprocess.run(["userdel", USER], capture_output=True)


@pytest.fixture
def home(user):
    """A folder of the user's own, outside root's private /tmp/pytest-of-root
    (which the user cannot enter): HOME and XDG_RUNTIME_DIR. Afterwards the
    session daemons started in it are ended by PID and it is removed."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="halab-session-", dir="/tmp"))
    runtime = path / "runtime"
    runtime.mkdir(mode=0o700)
    for folder in (path, runtime):
        os.chown(folder, *user)
    yield path
    end_session_daemons(runtime / "libvirt", user[0])
    shutil.rmtree(path, ignore_errors=True)


def end_session_daemons(folder, uid):
    """SIGTERM the session's libvirtd/virtlogd named in their pid files, if
    the user runs them; SIGKILL after 10 s."""
    pids = []
    for pid_file in folder.glob("*.pid"):
        try:
            pid = int(pid_file.read_text().split()[0])
            if os.stat(f"/proc/{pid}").st_uid == uid:
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
        except (OSError, ValueError, IndexError):
            continue
    deadline = time.monotonic() + 10
    for pid in pids:
        while pathlib.Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if pathlib.Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)


def as_user(home, *args, timeout=600, **env):
    """hasim ARGS as halab-test, with nothing of root's environment."""
    environment = {"HOME": str(home), "XDG_RUNTIME_DIR": str(home / "runtime"),
                   "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                   "HALAB_BIN": str(BIN), "HALAB_BUILD": str(BUILD), **env}
    environment = {key: value for key, value in environment.items() if value is not None}
    command = ["setpriv", "--reuid", USER, "--regid", USER, "--init-groups", "--reset-env",
               "env", *[f"{key}={value}" for key, value in environment.items()],
               str(BIN / "hasim"), *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def readable_by_user(home):
    """What the user must read: the tree (scenarios, topologies) and the
    guest's kernel and initramfs."""
    return as_user(home, "lint", SCENARIO, timeout=60).returncode == 0 and all(
        os.stat(BUILD / "guest" / name).st_mode & 0o004 for name in
        ("vmlinuz", "initramfs.cpio.gz"))


def user_processes(uid, word):
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if word in command:
            found.append(f"{entry.name}: {command[:80]}")
    return found


@pytest.mark.vm
def test_unprivileged_user_runs_on_guests_through_qemu_session(user, home):
    assert readable_by_user(home), (
        f"{USER} cannot read {ROOT} or {BUILD}/guest (the test needs a checkout that "
        "others may read)")
    out = home / "run"
    completed = as_user(home, "run", SCENARIO, "--backend", "libvirt", "--out", out, "--quiet")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run = json.loads((out / "run.json").read_text())
    run_id = run["run_id"]
    assert run["backend"] == "libvirt"
    assert run["backend_settings"]["uri"] == "qemu:///session"
    result = json.loads((out / "result.json").read_text())
    assert result["passed"] is True
    # QEMU ran as the user: libvirt's log of each guest came from the
    # session's folder in HOME into the run folder.
    for node in ("node1", "node2"):
        assert (out / "nodes" / node / "qemu.log").stat().st_uid == user[0]
        assert not (home / ".cache/libvirt/qemu/log" / f"{run_id}-{node}.log").exists()
    # Its state lived under XDG_RUNTIME_DIR, and went with the run.
    assert (home / "runtime/halab").is_dir()
    assert list((home / "runtime/halab").iterdir()) == []
    assert not pathlib.Path(f"/run/halab/{run_id}").exists()
    netns = pathlib.Path("/run/netns")
    assert not [p.name for p in netns.glob(f"{run_id}*")] if netns.is_dir() else True
    assert user_processes(user[0], f"guest={run_id}") == []
    listed = subprocess.run(
        ["setpriv", "--reuid", USER, "--regid", USER, "--init-groups", "--reset-env", "env",
         f"HOME={home}", f"XDG_RUNTIME_DIR={home / 'runtime'}", "virsh", "-c",
         "qemu:///session", "list", "--all", "--name"],
        capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert [name for name in listed.stdout.split() if name.startswith(run_id)] == []


@pytest.mark.root
def test_state_folder_without_xdg_runtime_dir(user, home):
    """No XDG_RUNTIME_DIR: told to set HALAB_STATE_DIR, before anything
    starts; a relative one is refused; an absolute one is used (the run
    gets as far as libvirt, which a bogus URI stops at once)."""
    completed = as_user(home, "run", SCENARIO, "--backend", "libvirt", "--out", home / "run",
                        XDG_RUNTIME_DIR=None, timeout=60)
    assert completed.returncode == 3
    assert completed.stderr == (
        "hasim run: no folder for the run's state: not root, and XDG_RUNTIME_DIR is not set; "
        "set HALAB_STATE_DIR to a folder of your own\n")
    assert not (home / "run").exists()
    completed = as_user(home, "run", SCENARIO, "--backend", "libvirt", "--out", home / "run",
                        XDG_RUNTIME_DIR=None, HALAB_STATE_DIR="state", timeout=60)
    assert completed.returncode == 3
    assert completed.stderr == (
        "hasim run: HALAB_STATE_DIR: 'state' is not an absolute path (QEMU and the nodes are "
        "given paths in it)\n")
    completed = as_user(home, "run", SCENARIO, "--backend", "libvirt", "--out", home / "run",
                        "--quiet", XDG_RUNTIME_DIR=None, HALAB_STATE_DIR=home / "state",
                        HALAB_LIBVIRT_URI="qemu+unix:///session?socket=/nonexistent/sock",
                        timeout=120)
    assert completed.returncode == 3, completed.stdout + completed.stderr
    assert "/nonexistent/sock" in completed.stderr
    # The root was made for the run, and the run's own folder removed.
    assert (home / "state").is_dir()
    assert list((home / "state").iterdir()) == []
