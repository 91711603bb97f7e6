"""test_fabric_net.py - hasim's fabric with real TAP devices in namespaces.

Needs root. The module fixture's hsfabric process builds this topology and
is driven through its stdin line protocol and its control socket (see
sim/fabric/hsfabric.c):

    ns n1 (192.0.2.11) ==bond== n1.l1 -> ext-a, n1.l2 -> ext-b
    ns n2 (192.0.2.12) -------- n2.l1 -> ext-a
    trunk ext-a <-> ext-b; libslirp uplink "up" on ext-b (gateway 192.0.2.1)
    host forward 127.0.0.1:<picked> -> 192.0.2.10:7000

hsfabric creates the TAP devices in the host; the test moves them into
namespaces named hst<pid>-n1/-n2 (the fds stay attached). Everything is
removed in the fixture's finally, also when a test fails: the hsfabric
process and servers started here are ended by their PID, the namespaces
deleted; the TAP devices vanish with hsfabric's fds.

Two tests run their own hsfabric: the restricted-uplink test (hsfabric in a
namespace "out" where 198.18.0.1 exists, so an unrestricted libslirp would
reach it) and the vanished-TAP test (a deleted namespace takes the TAP
along; hsfabric must close the fd instead of spinning on it).
"""

import json
import os
import select
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("HALAB_BIN", ROOT / "build" / "bin"))
PREFIX = f"hst{os.getpid()}"  # not "hs" + hex: never a hasim run id for `hasim gc`
PY = "/usr/bin/python3"

pytestmark = [pytest.mark.netns,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces and TAP devices")]


def run(*args, check=True, timeout=20):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=timeout)


def ns_run(ns, *args, check=True, timeout=20):
    return run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)


class Fabric:
    """A running hsfabric and its line protocol."""

    def __init__(self, args, log_path, err_path, netns=None):
        self.err = open(err_path, "w")
        inside = ["ip", "netns", "exec", netns] if netns else []  # ip execs: same PID
        self.proc = subprocess.Popen([*inside, str(BIN / "hsfabric"), "--log", str(log_path), *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err)
        self.pending = b""
        self.lines = []

    def wait_ready(self):
        while True:
            line = self.readline(10)
            if line == "ready":
                return
            self.lines.append(line)

    def readline(self, timeout_s):
        # Raw reads with our own buffer: select() on a buffered file object
        # misses lines that Python already read ahead.
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("hsfabric did not answer")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"hsfabric exited with {self.proc.wait()}")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def cmd(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        return self.readline(5)

    def ok(self, line):
        reply = self.cmd(line)
        assert reply.startswith("ok"), f"{line!r} -> {reply!r}"
        return reply[3:]

    def stop(self):
        """Ends hsfabric with SIGTERM; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.err.close()
        return self.proc.returncode


def ping(ns, addr, count=2):
    """True when every echo request was answered (busybox ping: Debian's
    iputils-ping is not among halab's dependencies)."""
    out = ns_run(ns, "busybox", "ping", "-q", "-c", str(count), "-i", "0.2", "-W", "1",
                 "-w", "3", addr, check=False).stdout
    return f"{count} packets transmitted, {count} packets received" in out


def no_carrier(ns, dev):
    return "NO-CARRIER" in ns_run(ns, "ip", "link", "show", dev).stdout


SERVER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.10", 7000))
s.listen(1)
print("listening", flush=True)
c, peer = s.accept()
c.sendall(("hello from " + sys.argv[1] + " to " + peer[0] + "\n").encode())
c.close()
"""

GARP = r"""
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
mac = s.getsockname()[4]
ip = socket.inet_aton("192.0.2.10")
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + b"\0" * 6 + ip
frame = b"\xff" * 6 + mac + b"\x08\x06" + arp
s.send(frame + b"\0" * (60 - len(frame)))
"""

CONNECT = r"""
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
    print("connected")
except OSError as e:
    print("failed", type(e).__name__)
"""


@pytest.fixture(scope="module")
def net(request):
    tmp = Path(tempfile.mkdtemp(prefix=PREFIX + "-"))
    nss = {n: f"{PREFIX}-{n}" for n in ("n1", "n2")}
    taps = {n: f"{PREFIX}{n}" for n in ("n1", "n2")}
    fabric = None
    try:
        seed = str(request.config.getoption("--seed", default="7"))
        fabric = Fabric(["--seed", seed, "--switch", "ext-a", "--switch", "ext-b",
                         "--trunk", "trunk:ext-a:ext-b",
                         "--tap", f"n1:{taps['n1']}", "--tap", f"n2:{taps['n2']}",
                         "--cable", "n1.l1:n1:ext-a", "--cable", "n1.l2:n1:ext-b",
                         "--cable", "n2.l1:n2:ext-a",
                         "--uplink", "up:up.c:ext-b", "--forward", "up:0:192.0.2.10:7000",
                         "--control", str(tmp / "control.sock")],
                        tmp / "faults.jsonl", tmp / "hsfabric.err")
        fabric.wait_ready()
        for n, addr in (("n1", "192.0.2.11"), ("n2", "192.0.2.12")):
            run("ip", "netns", "add", nss[n])
            run("ip", "link", "set", taps[n], "netns", nss[n])
            ns_run(nss[n], "ip", "link", "set", "lo", "up")
            ns_run(nss[n], "ip", "addr", "add", f"{addr}/24", "dev", taps[n])
            ns_run(nss[n], "ip", "link", "set", taps[n], "up")
            ns_run(nss[n], "ip", "route", "add", "default", "via", "192.0.2.1")
        forward = [l for l in fabric.lines if l.startswith("forward up ")]
        port = int(forward[0].split()[2].split(":")[1])
        yield {"fabric": fabric, "ns": nss, "tap": taps, "port": port, "tmp": tmp}
    finally:
        status = fabric.stop() if fabric is not None else 0
        for ns in nss.values():
            run("ip", "netns", "del", ns, check=False)
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    assert status == 0, "hsfabric did not exit cleanly on SIGTERM"


def test_ping_across_fabric(net):
    assert ping(net["ns"]["n1"], "192.0.2.12")
    assert ping(net["ns"]["n2"], "192.0.2.11")
    counters = json.loads(net["fabric"].ok("counters"))["cables"]
    for cable in ("n1.l1", "n2.l1"):
        for direction in ("to_switch", "from_switch"):
            assert counters[cable][direction]["forwarded"] >= 4  # 2 echo + 2 replies at least
            assert counters[cable][direction]["dropped_link"] == 0
    assert counters["n1.l2"]["to_switch"]["forwarded"] == 0  # the bond's backup leg is idle


def test_pulled_cable_stops_ping_and_drops_carrier(net):
    fabric, ns, tap = net["fabric"], net["ns"], net["tap"]
    assert not no_carrier(ns["n2"], tap["n2"])
    fabric.ok("link n2.l1 down -- pytest pulls n2's cable")
    try:
        assert fabric.ok("carrier n2") == "down"
        assert no_carrier(ns["n2"], tap["n2"])
        assert not ping(ns["n1"], "192.0.2.12", count=1)
    finally:
        fabric.ok("link n2.l1 up -- pytest plugs it back")
    assert fabric.ok("carrier n2") == "up"
    assert not no_carrier(ns["n2"], tap["n2"])
    assert ping(ns["n1"], "192.0.2.12")
    log = (net["tmp"] / "faults.jsonl").read_text()
    assert '"event":"link_down","cable":"n2.l1","dir":"both","reason":"pytest pulls n2\'s cable"' in log
    assert '"event":"carrier_down","endpoint":"n2"' in log


def test_bond_survives_one_pulled_cable(net):
    fabric, ns, tap = net["fabric"], net["ns"], net["tap"]
    assert ping(ns["n2"], "192.0.2.11")
    assert fabric.ok("active n1") == "n1.l1"
    fabric.ok("link n1.l1 down -- pull bond leg 1")
    try:
        assert fabric.ok("active n1") == "n1.l2"
        assert fabric.ok("carrier n1") == "up"
        assert not no_carrier(ns["n1"], tap["n1"])
        assert ping(ns["n2"], "192.0.2.11")
        assert ping(ns["n1"], "192.0.2.12")
        fabric.ok("link n1.l2 down -- pull bond leg 2")
        assert no_carrier(ns["n1"], tap["n1"])
        assert not ping(ns["n2"], "192.0.2.11", count=1)
    finally:
        fabric.ok("link n1.l1 up")
        fabric.ok("link n1.l2 up")
    assert ping(ns["n2"], "192.0.2.11")
    assert '"event":"bond_failover","endpoint":"n1","from":"n1.l1","to":"n1.l2"' in \
        (net["tmp"] / "faults.jsonl").read_text()


def test_gateway_answers_ping(net):
    assert ping(net["ns"]["n1"], "192.0.2.1")
    assert ping(net["ns"]["n2"], "192.0.2.1")


def serve_once(ns, name):
    server = subprocess.Popen(["ip", "netns", "exec", ns, PY, "-c", SERVER, name],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([server.stdout], [], [], 10)
    assert ready and server.stdout.readline().strip() == "listening", server.stderr.read()
    return server


def fetch(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.settimeout(5)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
    return data.decode().strip()


def test_host_forward_follows_cluster_ip(net):
    ns, tap, port = net["ns"], net["tap"], net["port"]
    servers = []
    try:
        ns_run(ns["n2"], "ip", "addr", "add", "192.0.2.10/24", "dev", tap["n2"])
        servers.append(serve_once(ns["n2"], "n2"))
        assert fetch(port) == "hello from n2 to 192.0.2.1"
        # The cluster IP moves to n1, which announces it with a gratuitous ARP.
        ns_run(ns["n2"], "ip", "addr", "del", "192.0.2.10/24", "dev", tap["n2"])
        ns_run(ns["n1"], "ip", "addr", "add", "192.0.2.10/24", "dev", tap["n1"])
        servers.append(serve_once(ns["n1"], "n1"))
        ns_run(ns["n1"], PY, "-c", GARP, tap["n1"])
        assert fetch(port) == "hello from n1 to 192.0.2.1"
    finally:
        for server in servers:
            if server.poll() is None:
                server.kill()
            server.wait()
            server.stdout.close()
            server.stderr.close()
        for n in ("n1", "n2"):
            ns_run(ns[n], "ip", "addr", "del", "192.0.2.10/24", "dev", tap[n], check=False)


LISTEN = r"""
import socket
s = socket.socket()
s.bind(("198.18.0.1", 7999))
s.listen(4)
s.settimeout(4)
print("listening", flush=True)
try:
    s.accept()
    print("accepted")
except socket.timeout:
    print("nobody")
"""


def test_restricted_uplink_reaches_nothing_outside():
    """hsfabric runs in namespace "out" where 198.18.0.1 (a benchmarking
    address) exists with a TCP listener and answers ping: an unrestricted
    libslirp would reach both from the node. The restricted one must not."""
    tmp = Path(tempfile.mkdtemp(prefix=PREFIX + "-out-"))
    out, node, tap = f"{PREFIX}-out", f"{PREFIX}-node", f"{PREFIX}node"
    fabric = listener = None
    try:
        for ns in (out, node):
            run("ip", "netns", "add", ns)
            ns_run(ns, "ip", "link", "set", "lo", "up")
        ns_run(out, "ip", "addr", "add", "198.18.0.1/32", "dev", "lo")
        fabric = Fabric(["--switch", "sw", "--tap", f"n:{tap}", "--cable", "n.c:n:sw",
                         "--uplink", "up:up.c:sw"], tmp / "faults.jsonl", tmp / "err", netns=out)
        fabric.wait_ready()
        run("ip", "-n", out, "link", "set", tap, "netns", node)
        ns_run(node, "ip", "addr", "add", "192.0.2.11/24", "dev", tap)
        ns_run(node, "ip", "link", "set", tap, "up")
        ns_run(node, "ip", "route", "add", "default", "via", "192.0.2.1")
        listener = subprocess.Popen(["ip", "netns", "exec", out, PY, "-c", LISTEN],
                                    stdout=subprocess.PIPE, text=True)
        assert listener.stdout.readline().strip() == "listening"
        assert ping(out, "198.18.0.1", count=1)  # the outside host is there...
        assert ping(node, "192.0.2.1", count=1)  # ...and the node reaches the gateway
        result = ns_run(node, PY, "-c", CONNECT, "198.18.0.1", "7999").stdout.split()
        assert result == ["failed", "ConnectionRefusedError"]  # libslirp answers with a reset
        assert not ping(node, "198.18.0.1", count=1)
        assert listener.stdout.readline().strip() == "nobody"
    finally:
        if listener is not None:
            if listener.poll() is None:
                listener.kill()
            listener.wait()
            listener.stdout.close()
        status = fabric.stop() if fabric is not None else 0
        for ns in (out, node):
            run("ip", "netns", "del", ns, check=False)
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    assert status == 0


def test_control_socket(net):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(net["tmp"] / "control.sock"))
        s.sendall(b"power ext-b off -- socket test\ncarrier n1\n")
        replies = b""
        while replies.count(b"\n") < 2:
            replies += s.recv(4096)
        # n1 keeps its carrier: its active cable n1.l1 runs to ext-a.
        assert replies == b"ok\nok up\n"
        s.sendall(b"power ext-b on\nnonsense\n")
        replies = b""
        while replies.count(b"\n") < 2:
            replies += s.recv(4096)
        assert replies == b"ok\nerror unknown command or bad arguments: nonsense\n"
    log = (net["tmp"] / "faults.jsonl").read_text()
    assert '"event":"switch_power_off","switch":"ext-b","reason":"socket test"' in log
    assert '"event":"carrier_down","endpoint":"up"' in log


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_tap_of_deleted_namespace_is_closed_not_spun_on():
    tmp = Path(tempfile.mkdtemp(prefix=PREFIX + "-gone-"))
    ns, tap = f"{PREFIX}-gone", f"{PREFIX}gone"
    fabric = None
    try:
        fabric = Fabric(["--switch", "sw", "--tap", f"g:{tap}", "--cable", "g.c:g:sw"],
                        tmp / "faults.jsonl", tmp / "hsfabric.err")
        fabric.wait_ready()
        run("ip", "netns", "add", ns)
        run("ip", "link", "set", tap, "netns", ns)
        run("ip", "netns", "del", ns)
        time.sleep(0.3)
        before = cpu_seconds(fabric.proc.pid)
        time.sleep(1.0)
        assert cpu_seconds(fabric.proc.pid) - before < 0.2
        assert fabric.ok("carrier g") == "up"  # still answers; the endpoint idles
        assert f"endpoint 'g': TAP read:" in (tmp / "hsfabric.err").read_text()
    finally:
        status = fabric.stop() if fabric is not None else 0
        run("ip", "netns", "del", ns, check=False)
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    assert status == 0
