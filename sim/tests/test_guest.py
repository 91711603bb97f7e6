"""test_guest.py - the halab QEMU guest on real QEMU (TCG) through libvirt.

What it checks: the guest (build/guest: sim/guest/*) boots under TCG within
a bound and its agent answers; init built bond0/bond1 (active-backup, miimon
100) and md0 (RAID1 over vda+vdb); the agent's protocol; NIC carrier and
disk hot-unplug through libvirt (sim/backend/libvirt_domain.c via the
hs-libvirt CLI) reach the guest, and losing both disks fails the array;
`poweroff -f` powers the domain off; two guests wired back to back with UDP
tunnels (LANn of A <-> LANn of B) form a cluster: one M, one S.

Selection: every test is marked `vm` (`pytest -m vm`); they need root,
qemu-system-x86 and libvirt. If no libvirtd answers on qemu:///system, the
session fixture starts virtlogd and libvirtd itself and stops exactly those
processes (by pid) at the end. Domains are named hsvt<pid>-<name>; every
test destroys and undefines its domains and removes its run directory in a
finally, also on failure. Environment: HALAB_BIN (hs-libvirt), HALAB_GUEST
(vmlinuz, initramfs.cpio.gz); defaults build/bin and build/guest.
"""
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

pytestmark = pytest.mark.vm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("HALAB_BIN", os.path.join(ROOT, "build", "bin"))
GUEST = os.environ.get("HALAB_GUEST", os.path.join(ROOT, "build", "guest"))
TOOL = os.path.join(BIN, "hs-libvirt")
URI = "qemu:///system"
PREFIX = "hsvt%d-" % os.getpid()
BOOT_BOUND_S = 60       # TCG boot to a serving agent (measured: ~10 s)
CLUSTER_BOUND_S = 90    # two guests booted and roles settled
KEY_HEX = "5a" * 32     # test key: 64 hex digits


def virsh(*args, check=True):
    return subprocess.run(["virsh", "-c", URI] + list(args), capture_output=True, text=True,
                          timeout=30, check=check)


def libvirt_answers():
    try:
        return virsh("version", check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@pytest.fixture(scope="session")
def libvirt_daemon():
    """A libvirtd answering on qemu:///system; started here only if none answers."""
    started = []
    if not libvirt_answers():
        os.makedirs("/var/log/libvirt", exist_ok=True)
        os.makedirs("/var/run/libvirt", exist_ok=True)
        for daemon in ("virtlogd", "libvirtd"):
            log = open("/var/log/libvirt/halab-test-%s.log" % daemon, "ab")
            started.append(subprocess.Popen([daemon], stdout=log, stderr=log,
                                            start_new_session=True))
            log.close()
        deadline = time.monotonic() + 15
        while not libvirt_answers():
            assert time.monotonic() < deadline, "libvirtd started but does not answer"
            time.sleep(0.2)
    try:
        yield
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_udp_ports(count):
    """count distinct UDP ports on 127.0.0.1 that are free right now, outside
    the kernel's ephemeral range as hasim's own (sim/backend/tunnel_port.c):
    QEMU binds them later, and an ephemeral port may be handed out meanwhile."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
        low = int(ranges.read().split()[0])
    assert low > 11024, "the ephemeral range leaves no ports below it"
    sockets, ports = [], []
    try:
        while len(ports) < count:
            port = random.randint(10000, low - 1)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            sockets.append(s)
            ports.append(port)
    finally:
        for s in sockets:
            s.close()
    return ports


class Agent:
    """Client of hnagent's line protocol over the domain's unix socket."""

    def __init__(self, path, timeout_s):
        deadline = time.monotonic() + timeout_s
        self.sock = None
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.settimeout(5)
                # A read-only file for replies, sendall() for requests: a
                # text file opened "rw" drops what it has read ahead (LOG
                # lines) whenever it is written to.
                self.sock, self.file = s, s.makefile("r", encoding="utf-8", newline="\n")
                self.logs, self.fences = [], []
                # The port only carries data once the guest's agent opened
                # it: PING until it answers.
                self.request("PING", timeout_s=max(1.0, deadline - time.monotonic()))
                return
            except (OSError, TimeoutError):
                if self.sock is not None:
                    self.sock.close()
                    self.sock = None
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)

    def request(self, line, timeout_s=30.0):
        """Send one request; return (final line, [OUT lines])."""
        self.sock.settimeout(timeout_s)
        self.sock.sendall((line + "\n").encode())
        out = []
        while True:
            reply = self.file.readline()
            if reply == "":
                raise OSError("agent closed the channel during '%s'" % line)
            reply = reply.rstrip("\n")
            if reply.startswith("LOG "):
                self.logs.append(reply[4:])
            elif reply.startswith("FENCE "):
                self.fences.append(reply[6:])
            elif reply.startswith("OUT "):
                out.append(reply[4:])
            elif reply == "OUT":
                out.append("")
            else:
                return reply, out

    def sh(self, command):
        final, out = self.request("SH " + command)
        assert final.startswith("END "), final
        return int(final[4:]), "\n".join(out)

    def close(self):
        if self.sock is not None:
            self.sock.close()


class Guest:
    """One domain hsvt<pid>-<name> with its run directory."""

    def __init__(self, name, node_index, ports_local, ports_remote, cmdline_extra="",
                 config_text=None):
        self.name = PREFIX + name
        self.dir = tempfile.mkdtemp(prefix=self.name + ".", dir="/var/tmp")
        self.spec = os.path.join(self.dir, "spec")
        self.agent_path = os.path.join(self.dir, "agent.sock")
        self.console = os.path.join(self.dir, "console.log")
        lines = ["name = " + self.name,
                 "kernel = " + os.path.join(GUEST, "vmlinuz"),
                 "initrd = " + os.path.join(GUEST, "initramfs.cpio.gz"),
                 "cmdline = console=ttyS0 panic=-1 quiet halab.hostname=%s %s" % (name, cmdline_extra),
                 "agent_socket = " + self.agent_path,
                 "console = " + self.console]
        for d in (1, 2):
            path = os.path.join(self.dir, "disk%d.raw" % d)
            with open(path, "wb") as disk:
                disk.truncate(64 * 1024 * 1024)
            lines.append("disk%d = %s" % (d, path))
        for n in range(4):
            lines.append("lan%d_mac = 52:54:00:%02x:%02x:%02x" % (n + 1, os.getpid() % 256,
                                                                 node_index, n + 1))
            lines.append("lan%d_local_port = %d" % (n + 1, ports_local[n]))
            lines.append("lan%d_remote_port = %d" % (n + 1, ports_remote[n]))
        if config_text is not None:
            with open(os.path.join(self.dir, "hanode.conf"), "w") as conf:
                conf.write(config_text)
            with open(os.path.join(self.dir, "cluster.key"), "w") as key:
                key.write(KEY_HEX + "\n")
            lines.append("config = " + os.path.join(self.dir, "hanode.conf"))
            lines.append("key = " + os.path.join(self.dir, "cluster.key"))
        with open(self.spec, "w") as spec:
            spec.write("\n".join(lines) + "\n")
        self.agent = None

    def tool(self, *args, check=True):
        result = subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=60)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def up(self):
        self.tool("up", self.spec)

    def connect(self, timeout_s=BOOT_BOUND_S):
        self.agent = Agent(self.agent_path, timeout_s)
        return self.agent

    def console_text(self):
        try:
            with open(self.console, errors="replace") as console:
                return console.read()
        except FileNotFoundError:
            return ""

    def state(self):
        return virsh("domstate", self.name, check=False).stdout.strip()

    def remove(self):
        """Destroy, undefine, delete files: safe on a half-built guest."""
        try:
            if self.agent is not None:
                self.agent.close()
        finally:
            try:
                self.tool("down", self.name, check=False)
            finally:
                shutil.rmtree(self.dir, ignore_errors=True)
                # libvirt's log of this guest's QEMU, which this test made
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join("/var/log/libvirt/qemu", self.name + ".log"))


@pytest.fixture
def guests(libvirt_daemon):
    made = []
    try:
        yield made
    finally:
        for guest in made:
            guest.remove()
        # Whatever a crashed test left of this process's prefix goes too.
        subprocess.run([TOOL, "gc", PREFIX], capture_output=True, timeout=60)


def single_guest(guests, name="solo", cmdline_extra="halab.hanode=0"):
    ports = free_udp_ports(8)
    guest = Guest(name, 1, ports[:4], ports[4:], cmdline_extra)
    guests.append(guest)
    guest.up()
    return guest


def test_guest_boots_and_agent_answers(guests):
    started = time.monotonic()
    guest = single_guest(guests, cmdline_extra="halab.hanode=0 halab.bond0=192.0.2.11/24 "
                         "halab.bond1=198.51.100.1/24")
    agent = guest.connect()
    boot_s = time.monotonic() - started
    assert boot_s < BOOT_BOUND_S
    assert "halab-init: ready" in guest.console_text()
    assert agent.request("PING") == ("OK pong", [])
    # halab.hanode=0: the agent did not start hanode, whether or not the
    # image has it.
    final, _ = agent.request("STATUS")
    assert final in ("OK stopped never-started", "OK missing")
    status, text = agent.sh("cat /proc/meminfo | head -n 1")
    assert status == 0 and text.startswith("MemTotal:")
    assert int(text.split()[1]) <= 128 * 1024


def test_bonds_and_raid_exist(guests):
    guest = single_guest(guests, cmdline_extra="halab.hanode=0 halab.bond0=192.0.2.11/24 "
                         "halab.bond1=198.51.100.1/24")
    agent = guest.connect()
    for bond, slaves, address in (("bond0", "eth0 eth1", "192.0.2.11/24"),
                                  ("bond1", "eth2 eth3", "198.51.100.1/24")):
        assert agent.sh("cat /sys/class/net/%s/bonding/slaves" % bond) == (0, slaves)
        assert agent.sh("cat /sys/class/net/%s/bonding/mode" % bond) == (0, "active-backup 1")
        assert agent.sh("cat /sys/class/net/%s/bonding/miimon" % bond) == (0, "100")
        status, text = agent.sh("ip addr show dev %s" % bond)
        assert status == 0 and ("inet %s " % address) in text
    # LAN1 is eth0: the NIC order of the XML is the guest's order.
    assert agent.sh("cat /sys/class/net/eth0/address") == (0, "52:54:00:%02x:01:01" % (os.getpid() % 256))
    status, mdstat = agent.sh("cat /proc/mdstat")
    assert status == 0
    assert "md0 : active raid1 vdb[1] vda[0]" in mdstat and "[2/2] [UU]" in mdstat
    assert agent.sh("grep -c ' /data ext2 ' /proc/mounts") == (0, "1")
    assert agent.sh("grep '^raid_array' /etc/halab/hanode.conf") == (0, "raid_array = md0")


def test_agent_protocol_errors_and_bounds(guests):
    guest = single_guest(guests)
    agent = guest.connect()
    assert agent.request("FROB") == ("ERR unknown request 'FROB'", [])
    assert agent.request("DISK FAIL sda") == ("ERR usage: DISK FAIL|RESTORE vdX", [])
    assert agent.request("RESTART") == ("ERR usage: RESTART FIRMWARE", [])
    assert agent.request("KILL") == ("ERR hanode not running", [])
    assert agent.request("FENCED OK") == ("ERR no fence pending", [])
    assert agent.request("X" * 2000) == ("ERR line longer than 1023 bytes", [])
    # Output is bounded: 32 KiB, then a marker.
    final, out = agent.request("SH yes 0123456789 | head -n 10000")
    assert final == "END 0"
    assert out[-1] == "...truncated" and len(out) == 32768 // 11 + 2
    # Commands are bounded in time: 10 s, then killed, END 124.
    assert agent.request("SH sleep 60", timeout_s=20) == ("END 124", [])
    assert agent.request("PING") == ("OK pong", [])


def test_link_and_disk_faults_reach_the_guest(guests):
    guest = single_guest(guests)
    agent = guest.connect()
    guest.tool("link", guest.spec, "1", "down")
    time.sleep(0.5)
    assert agent.sh("cat /sys/class/net/eth0/carrier") == (0, "0")
    assert agent.sh("cat /sys/class/net/bond0/bonding/active_slave") == (0, "eth1")
    guest.tool("link", guest.spec, "1", "up")
    time.sleep(0.5)
    assert agent.sh("cat /sys/class/net/eth0/carrier") == (0, "1")
    # One disk gone: degraded but working; both gone: the array has failed.
    guest.tool("disk", guest.spec, "1", "absent")
    deadline = time.monotonic() + 10
    while "[2/1] [_U]" not in agent.sh("cat /proc/mdstat")[1]:
        assert time.monotonic() < deadline, agent.sh("cat /proc/mdstat")[1]
        time.sleep(0.2)
    guest.tool("disk", guest.spec, "2", "absent")
    deadline = time.monotonic() + 10
    while "[2/0] [__]" not in agent.sh("cat /proc/mdstat")[1]:
        assert time.monotonic() < deadline, agent.sh("cat /proc/mdstat")[1]
        time.sleep(0.2)


def test_poweroff_powers_off(guests):
    guest = single_guest(guests)
    agent = guest.connect()
    assert guest.state() == "running"
    agent.sock.sendall(b"SH poweroff -f\n")
    deadline = time.monotonic() + 20
    while guest.state() != "shut off":
        assert time.monotonic() < deadline, guest.state()
        time.sleep(0.2)


def node_config(node_id, wait_for_peer_ms=60000):
    peer = 3 - node_id
    return "\n".join([
        "node_id = %d" % node_id,
        "name = node%d" % node_id,
        "model = virt1",
        "firmware = 1.0.0",
        "sync_interface = bond1",
        "sync_address = 198.51.100.%d" % node_id,
        "sync_peer = 198.51.100.%d" % peer,
        "external_interface = bond0",
        "external_address = 192.0.2.%d" % (10 + node_id),
        "external_peer = 192.0.2.%d" % (10 + peer),
        "cluster_ip = 192.0.2.10/24",
        "wait_for_peer_ms = %d" % wait_for_peer_ms,
        "tiebreaker = none",
    ]) + "\n"


def cluster_status(agent):
    final, out = agent.request("HACTL status --json")
    if final != "END 0":
        return None
    return json.loads("\n".join(out))


def test_two_guests_form_a_cluster(guests):
    assert os.path.exists(os.path.join(GUEST, "root", "usr", "sbin", "hanode")), \
        "the guest image has no hanode: run `make daemon-static guest` first"
    ports_a, ports_b = free_udp_ports(4), free_udp_ports(4)
    assert not set(ports_a) & set(ports_b)
    for node_id, local, remote in ((1, ports_a, ports_b), (2, ports_b, ports_a)):
        guest = Guest("node%d" % node_id, node_id, local, remote,
                      "halab.bond0=192.0.2.%d/24 halab.bond1=198.51.100.%d/24"
                      % (10 + node_id, node_id), config_text=node_config(node_id))
        guests.append(guest)
        guest.up()
    agents = [guest.connect() for guest in guests]
    for agent in agents:
        final, _ = agent.request("STATUS")
        assert final.startswith("OK running pid="), final
    deadline = time.monotonic() + CLUSTER_BOUND_S
    while True:
        statuses = [cluster_status(agent) for agent in agents]
        letters = sorted(s["node"]["letter"] + s["node"]["display"] for s in statuses if s)
        if letters == ["Mactive", "Sstandby"]:
            break
        assert time.monotonic() < deadline, "roles did not settle: %r" % (statuses,)
        time.sleep(1)
    for status in statuses:
        assert status["peer"]["seen"] is True
    # The cluster log streams to the host as LOG lines, from its first line.
    for agent in agents:
        deadline = time.monotonic() + 10
        while not any('"event":"transition"' in line for line in agent.logs):
            assert time.monotonic() < deadline, agent.logs
            agent.request("PING")
            time.sleep(0.2)
        records = [json.loads(line) for line in agent.logs]
        assert records[0]["event"] == "start", agent.logs
        final, _ = agent.request("LOG STATUS")
        assert final.startswith("OK log on offset=") and " queued=0 " in final, final


def wait_cluster_status(agent, predicate, bound_s, what):
    """Poll `hactl status --json` until predicate(status) holds."""
    deadline = time.monotonic() + bound_s
    while True:
        status = cluster_status(agent)
        if status is not None and predicate(status):
            return status
        assert time.monotonic() < deadline, "%s: last status %r" % (what, status)
        time.sleep(0.5)


def test_agent_supervises_hanode_and_raid_loss_reaches_it(guests):
    ports = free_udp_ports(8)
    guest = Guest("super", 1, ports[:4], ports[4:],
                  "halab.bond0=192.0.2.11/24 halab.bond1=198.51.100.1/24",
                  config_text=node_config(1))
    guests.append(guest)
    guest.up()
    agent = guest.connect()
    final, _ = agent.request("STATUS")
    assert final.startswith("OK running pid="), final
    pid = int(final.split("=")[1])
    wait_cluster_status(agent, lambda s: s["node"]["firmware"] == "1.0.0", 30, "hanode up")
    # CONTROL: one raw request line to hanode's control socket, one reply.
    final, out = agent.request("CONTROL status")
    assert final == "END 0" and len(out) == 1
    assert json.loads(out[0])["node"]["name"] == "node1"
    # CLOCK: the guest's monotonic time, which started at its boot.
    final, _ = agent.request("CLOCK")
    assert final.startswith("OK mono_ms=")
    assert 1000 < int(final.split("=")[1]) < 600000
    # SYNC: the same clock, tagged with the host's token (hasim's clock samples).
    final, _ = agent.request("SYNC 12345")
    assert final.startswith("SYNC 12345 mono_ms="), final
    synced_ms = int(final.split("=")[1])
    assert 1000 < synced_ms <= int(agent.request("CLOCK")[0].split("=")[1])  # read after it
    assert agent.request("SYNC x1")[0].startswith("ERR"), "a token is digits only"
    # A crash: SIGKILL, and nobody restarts it.
    assert agent.request("KILL") == ("OK killed pid=%d" % pid, [])
    assert agent.request("STATUS") == ("OK stopped signal=9", [])
    time.sleep(2)
    assert agent.request("STATUS") == ("OK stopped signal=9", [])
    assert cluster_status(agent) is None
    final, _ = agent.request("START")
    assert final.startswith("OK started pid="), final
    wait_cluster_status(agent, lambda s: s["node"]["firmware"] == "1.0.0", 30, "hanode restarted")
    # A firmware update: stop, new version in hanode.conf, start.
    final, _ = agent.request("RESTART 1.0.7")
    assert final.startswith("OK started pid="), final
    wait_cluster_status(agent, lambda s: s["node"]["firmware"] == "1.0.7", 30, "firmware 1.0.7")
    assert agent.sh("grep -c '^firmware = 1.0.7$' /etc/halab/hanode.conf") == (0, "1")
    # Both disks fail inside the guest: md reports the array failed and
    # hanode's RAID check sees it.
    wait_cluster_status(agent, lambda s: s["node"]["health"]["raid_ok"] is True, 30, "RAID ok")
    assert agent.request("DISK FAIL vda")[0] == "END 0"
    assert agent.request("DISK FAIL vdb")[0] == "END 0"
    assert "[2/0] [__]" in agent.sh("cat /proc/mdstat")[1]
    status = wait_cluster_status(agent, lambda s: s["node"]["health"]["raid_ok"] is False, 30,
                                 "RAID failure seen by hanode")
    assert "md0" in status["node"]["raid_reason"]


def test_fence_request_goes_to_the_host(guests):
    guest = single_guest(guests)
    agent = guest.connect()
    # hanode's fence_command, as init configured it, in the background.
    assert agent.sh("grep '^fence_command' /etc/halab/hanode.conf") == \
        (0, "fence_command = /sbin/hnagent -F")
    for answer, exit_status in (("OK", "0"), ("ERR outlet stuck", "1")):
        assert agent.sh("(HANODE_PEER=node2 /sbin/hnagent -F > /tmp/fence.out 2>&1; "
                        "echo $? > /tmp/fence.rc) < /dev/null > /dev/null 2>&1 &")[0] == 0
        deadline = time.monotonic() + 10
        while agent.fences != ["node2"]:
            assert time.monotonic() < deadline, agent.fences
            agent.request("PING")
            time.sleep(0.1)
        agent.fences.clear()
        assert agent.request("FENCED " + answer) == ("OK fence answered", [])
        deadline = time.monotonic() + 10
        while agent.sh("cat /tmp/fence.rc 2>/dev/null") != (0, exit_status):
            assert time.monotonic() < deadline, agent.sh("cat /tmp/fence.out")
            time.sleep(0.1)
        agent.sh("rm -f /tmp/fence.rc")
    assert agent.sh("cat /tmp/fence.out") == (0, "hnagent -F node2: ERR outlet stuck")


def test_accel_probe_answers_within_bound(guests):
    """--accel auto: the probe says kvm only if a KVM guest reaches init in time."""
    ports = free_udp_ports(8)
    guest = Guest("probe", 1, ports[:4], ports[4:], "halab.hanode=0")
    guests.append(guest)
    started = time.monotonic()
    result = guest.tool("probe", guest.spec, "20000")
    assert time.monotonic() - started < 30
    if not os.path.exists("/dev/kvm"):
        # libvirt refuses type 'kvm' at once without /dev/kvm.
        assert result.stdout == "tcg\n"
    else:
        assert result.stdout in ("kvm\n", "tcg\n")
    # The probe domain is gone, whatever the answer.
    assert virsh("domstate", guest.name + "-probe", check=False).returncode != 0
