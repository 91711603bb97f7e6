"""hsfence, the nodes' fence_command on the native backend (sim/fence).

Each test serves the fence socket itself (a Unix socket answering as
sim/run/hardware.c does), so no root and no hasim run are needed. The
point of hsfence is that it starts fast on a loaded machine: it must link
nothing but libc (hasim's ~60 libraries made the fence round trip of a
fenced take-over 100..360 ms, and up to 1.2 s, with load 5 on 2 cores).
"""
import os
import pathlib
import socket
import subprocess
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
HSFENCE = str(BIN / "hsfence")


def serve_once(path, answer):
    """A fence device that takes one request and gives answer; returns what it got."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    got = []

    def run():
        connection, _ = server.accept()
        got.append(connection.recv(128).decode())
        if answer is not None:
            connection.sendall(answer.encode())
        connection.close()
        server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, got


def hsfence(*args):
    return subprocess.run([HSFENCE, *args], capture_output=True, text=True, timeout=30)


def test_fence_done(tmp_path):
    thread, got = serve_once(tmp_path / "hasim.sock", "ok\n")
    completed = hsfence("--socket", str(tmp_path / "hasim.sock"), "node2")
    thread.join(5)
    assert got == ["fence node2\n"]
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""


def test_fence_refused_names_the_reason(tmp_path):
    thread, _ = serve_once(tmp_path / "hasim.sock", "error unknown node 'node9'\n")
    completed = hsfence("--socket", str(tmp_path / "hasim.sock"), "node9")
    thread.join(5)
    assert completed.returncode == 1
    assert completed.stderr == "hsfence node9: error unknown node 'node9'\n"


def test_fence_no_answer_fails(tmp_path):
    thread, _ = serve_once(tmp_path / "hasim.sock", None)
    completed = hsfence("--socket", str(tmp_path / "hasim.sock"), "node2")
    thread.join(5)
    assert completed.returncode == 1
    assert completed.stderr == "hsfence node2: no answer\n"


def test_fence_without_device_fails(tmp_path):
    completed = hsfence("--socket", str(tmp_path / "absent.sock"), "node2")
    assert completed.returncode == 1
    assert "absent.sock: No such file or directory" in completed.stderr


def test_command_line():
    assert hsfence("--help").returncode == 0
    version = hsfence("--version")
    assert version.returncode == 0 and version.stdout.startswith("hsfence ")
    for args, message in ((["node2"], "--socket PATH is required"),
                          (["--socket", "/x"], "exactly one NODE is required"),
                          (["--socket", "/x", "a", "b"], "exactly one NODE is required"),
                          (["--bogus", "--socket", "/x", "n"], "bad option '--bogus'")):
        completed = hsfence(*args)
        assert completed.returncode == 2, args
        assert message in completed.stderr, (args, completed.stderr)


def test_links_only_libc():
    needed = subprocess.run(["readelf", "-d", HSFENCE], capture_output=True, text=True,
                            check=True).stdout
    libraries = sorted(line.split("[")[1].rstrip("]") for line in needed.splitlines()
                       if "(NEEDED)" in line)
    assert libraries == ["libc.so.6"]
