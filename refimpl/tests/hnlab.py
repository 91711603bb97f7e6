"""hnlab.py - the lab that runs real hanode processes in network namespaces.

Topology (all names carry the prefix hnt<pid>- so that they are ours only):

    hnt<pid>-n1                hnt<pid>-sw                  hnt<pid>-n2
    sync0 198.51.100.1 ---- s1 [bridge brs] s2 ---- sync0 198.51.100.2
    ext0  192.0.2.11   ---- e1 [bridge bre] e2 ---- ext0  192.0.2.12
                              bre: 192.0.2.1 (client + ping target)

The switch namespace holds one bridge per link, so a test cuts a link by
taking the switch side of a veth down (`Lab.link(...)`): the node keeps its
carrier, exactly like a cable pulled between two switches. The bridge's own
address acts as the client of the cluster IP and as the ping target.

Each node runs `hanode -c node.conf -f` through `ip netns exec` (which
execs, so the PID is hanode's); teardown ends every process by the PID it
started, deletes the namespaces and the temporary folder, also when the
test failed. `Lab` is also used by refimpl/bench/failover_bench.py.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("HALAB_BIN", os.path.join(REPO, "build", "bin"))
PYTHON = "/usr/bin/python3"

NODE_ADDRESSES = {
    1: {"sync": "198.51.100.1", "external": "192.0.2.11"},
    2: {"sync": "198.51.100.2", "external": "192.0.2.12"},
}
CLUSTER_IP = "192.0.2.10"
CLIENT_IP = "192.0.2.1"

FAST_TIMERS = {
    "heartbeat_interval_ms": 50,
    "dead_time_ms": 250,
    "wait_for_peer_ms": 1000,
    "health_interval_ms": 200,
    "ping_timeout_ms": 100,
}


def run(*command, check=True, timeout=20):
    """Run a command, return CompletedProcess; raise with its output if check fails."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError("%s -> %d: %s%s" % (" ".join(command), result.returncode,
                                              result.stdout, result.stderr))
    return result


def wait_until(predicate, timeout_s, interval_s=0.02, message="condition"):
    """Poll predicate until it returns a true value; return it or fail the test."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError("timed out after %.1f s waiting for %s (last: %r)"
                         % (timeout_s, message, last))


class Node:
    """One hanode in its namespace, with its files in the lab's folder."""

    def __init__(self, lab, node_id):
        self.lab = lab
        self.node_id = node_id
        self.name = "node%d" % node_id
        self.namespace = "%s-n%d" % (lab.prefix, node_id)
        self.folder = os.path.join(lab.folder, self.name)
        os.makedirs(self.folder)
        self.config_path = os.path.join(self.folder, "node.conf")
        self.key_path = os.path.join(self.folder, "cluster.key")
        self.log_path = os.path.join(self.folder, "cluster.log")
        self.socket_path = os.path.join(self.folder, "control.sock")
        self.data_dir = os.path.join(self.folder, "data")
        self.process = None
        self.stderr_path = os.path.join(self.folder, "stderr")

    def write_config(self, key=None, **overrides):
        """Write node.conf (and the key file unless key is False)."""
        peer = 3 - self.node_id
        settings = {
            "node_id": self.node_id,
            "name": self.name,
            "model": "rack1",
            "firmware": "1.2.0",
            "sync_interface": "sync0",
            "sync_address": NODE_ADDRESSES[self.node_id]["sync"],
            "sync_peer": NODE_ADDRESSES[peer]["sync"],
            "external_interface": "ext0",
            "external_address": NODE_ADDRESSES[self.node_id]["external"],
            "external_peer": NODE_ADDRESSES[peer]["external"],
            "key_file": self.key_path,
            "cluster_ip": CLUSTER_IP + "/24",
            "cluster_ip_interface": "ext0",
            "ping_targets": CLIENT_IP,
            "log_file": self.log_path,
            "control_socket": self.socket_path,
            "data_dir": self.data_dir,
            # Hooks write where a test can read them; the health file lets a
            # test fail the services check of one node.
            "services_start": "echo start >> %s/services.log" % self.folder,
            "services_stop": "echo stop >> %s/services.log" % self.folder,
            "services_status": "test ! -e %s/services.failed" % self.folder,
            "notify_command": "cat >> %s/notify.log" % self.folder,
        }
        settings.update(FAST_TIMERS)
        settings.update(overrides)
        with open(self.config_path, "w") as file:
            file.write("# written by refimpl/tests/conftest.py\n")
            for name, value in settings.items():
                if value is not None:
                    file.write("%s = %s\n" % (name, value))
        if key is not False:
            with open(self.key_path, "w") as file:
                file.write((key or self.lab.key) + "\n")
            os.chmod(self.key_path, 0o600)

    def start(self, env=None):
        """Start hanode; env adds variables to its environment (a test's
        LD_PRELOAD, say)."""
        # A socket file left by a killed run would look like a started node.
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        stderr = open(self.stderr_path, "a")
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, os.path.join(BIN, "hanode"),
             "-c", self.config_path, "-f"],
            stdout=stderr, stderr=stderr, stdin=subprocess.DEVNULL,
            env=dict(os.environ, **env) if env else None)
        stderr.close()
        self.lab.pids.append(self.process.pid)
        wait_until(lambda: os.path.exists(self.socket_path) or self.process.poll() is not None,
                   5, message="%s control socket" % self.name)
        assert self.process.poll() is None, "hanode %s exited: %s" % (self.name, self.stderr())
        return self

    def stderr(self):
        with open(self.stderr_path) as file:
            return file.read()

    def signal(self, number):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, number)

    def kill(self):
        """SIGKILL, like a power loss of the node's software."""
        self.signal(signal.SIGKILL)
        if self.process:
            self.process.wait(5)

    def stop(self, timeout_s=8):
        """SIGTERM and wait; returns the exit status."""
        self.signal(signal.SIGTERM)
        if self.process:
            return self.process.wait(timeout_s)
        return None

    def hactl(self, *arguments, check=False):
        """hactl as run on the node itself (join talks to the peer from there)."""
        return run("ip", "netns", "exec", self.namespace, os.path.join(BIN, "hactl"), "-s",
                   self.socket_path, *arguments, check=check)

    def status(self):
        result = self.hactl("status", "--json")
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)

    def role(self):
        status = self.status()
        return status["node"]["letter"] if status else None

    def display(self):
        status = self.status()
        return status["node"]["display"] if status else None

    def hook_lines(self, name):
        """Lines written by a hook into services.log or notify.log."""
        path = os.path.join(self.folder, name)
        if not os.path.exists(path):
            return []
        with open(path) as file:
            return [line.strip() for line in file if line.strip()]

    def records(self):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as file:
            return [json.loads(line) for line in file if line.strip()]

    def netns(self, *command, check=True, timeout=20):
        return run("ip", "netns", "exec", self.namespace, *command, check=check, timeout=timeout)

    def has_cluster_ip(self):
        out = self.netns("ip", "-4", "-o", "addr", "show", "dev", "ext0").stdout
        return (" %s/" % CLUSTER_IP) in out


class Lab:
    """Namespaces, bridges and veths of one test; removed by close()."""

    def __init__(self):
        self.prefix = "hnt%d" % os.getpid()
        self.folder = tempfile.mkdtemp(prefix=self.prefix + "-")
        self.switch = self.prefix + "-sw"
        self.namespaces = []
        self.pids = []
        self.key = "%064x" % int.from_bytes(os.urandom(32), "big")
        self.nodes = {}
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self):
        for namespace in (self.switch, self.prefix + "-n1", self.prefix + "-n2"):
            run("ip", "netns", "add", namespace)
            self.namespaces.append(namespace)
            run("ip", "-n", namespace, "link", "set", "lo", "up")
        for bridge, address in (("brs", None), ("bre", CLIENT_IP + "/24")):
            run("ip", "-n", self.switch, "link", "add", bridge, "type", "bridge")
            run("ip", "-n", self.switch, "link", "set", bridge, "up")
            if address:
                run("ip", "-n", self.switch, "addr", "add", address, "dev", bridge)
        for node_id in (1, 2):
            namespace = "%s-n%d" % (self.prefix, node_id)
            for port, device, bridge, link in (("s%d" % node_id, "sync0", "brs", "sync"),
                                               ("e%d" % node_id, "ext0", "bre", "external")):
                run("ip", "-n", self.switch, "link", "add", port, "type", "veth", "peer", "name",
                    device, "netns", namespace)
                run("ip", "-n", self.switch, "link", "set", port, "master", bridge, "up")
                run("ip", "-n", namespace, "addr", "add",
                    NODE_ADDRESSES[node_id][link] + "/24", "dev", device)
                run("ip", "-n", namespace, "link", "set", device, "up")
            self.nodes[node_id] = Node(self, node_id)

    def link(self, node_id, link, up):
        """Take the switch side of a node's link down or up (a cut cable)."""
        port = ("s%d" if link == "sync" else "e%d") % node_id
        run("ip", "-n", self.switch, "link", "set", port, "up" if up else "down")

    def client(self, script, timeout=20):
        """Run a python script in the switch namespace (the clients' side)."""
        return run("ip", "netns", "exec", self.switch, PYTHON, "-c", script, timeout=timeout)

    def close(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for node in self.nodes.values():
            if node.process:
                try:
                    node.process.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        for namespace in reversed(self.namespaces):
            run("ip", "netns", "del", namespace, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


STORE_CLIENT = r"""
import socket, sys
host, port, line = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with socket.create_connection((host, port), timeout=2) as connection:
    connection.sendall(line.encode() + b"\n")
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = connection.recv(512)
        if not chunk:
            break
        answer += chunk
print(answer.decode().strip())
"""


def store_request(namespace, host, line, port=7000, timeout=10):
    """Send one store line from namespace; return the answer line (or None)."""
    result = run("ip", "netns", "exec", namespace, PYTHON, "-c", STORE_CLIENT, host, str(port),
                 line, check=False, timeout=timeout)
    return result.stdout.strip() if result.returncode == 0 else None


def roles(lab):
    """The role letters of both nodes, e.g. ('M', 'S')."""
    return tuple(lab.nodes[node_id].role() for node_id in (1, 2))


def one_active(lab):
    letters = roles(lab)
    return letters if sorted(letters, key=str) == ["M", "S"] else None


def formed(lab):
    """One active and one standby, each in state normal and hearing the other."""
    statuses = [lab.nodes[node_id].status() for node_id in (1, 2)]
    if None in statuses:
        return None
    displays = sorted(status["node"]["display"] for status in statuses)
    seen = all(status["peer"]["seen"] for status in statuses)
    return tuple(s["node"]["letter"] for s in statuses) if displays == ["active", "standby"] \
        and seen else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome so that the lab can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


def dump_lab(lab):
    """The nodes' last records and stderr, printed for a failed test."""
    for node in lab.nodes.values():
        print("== %s stderr: %s" % (node.name, node.stderr() if node.process else ""))
        for record in node.records()[-20:]:
            print("   %(mono_ms)s %(event)s %(from)s -> %(to)s: %(reason)s" % record)


@pytest.fixture
def lab(request):
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    for binary in ("hanode", "hactl"):
        assert os.access(os.path.join(BIN, binary), os.X_OK), "build %s first" % binary
    instance = Lab()
    try:
        yield instance
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            dump_lab(instance)
        instance.close()


@pytest.fixture
def cluster(lab):
    """Two nodes with the same key, formed: exactly one M and one S."""
    for node in lab.nodes.values():
        node.write_config()
    for node in lab.nodes.values():
        node.start()
    wait_until(lambda: formed(lab), 5, message="one active and one standby")
    return lab
