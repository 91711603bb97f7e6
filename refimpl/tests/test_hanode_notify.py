"""test_hanode_notify.py - what the real hanode reports without moving a role,
two nodes in namespaces (hnlab.py):

- the notify-only checks (issue 11 §4): service health (a command), the time
  offset against a time server (SNTP; a fake server in the switch namespace
  whose clock the test moves) and the disk usage of data_dir; each change is
  one "health" record and one notification, and no role moves;
- the notify hook's events fault, split_brain and sync_lost, as a hook
  command writing to a file sees them;
- the cluster log forwarded to a remote syslog receiver (RFC 5424 and RFC
  3164) in the switch namespace, and a dead receiver that slows nothing.
"""

import json
import os
import re
import subprocess
import time

from hnlab import (BIN, CLIENT_IP, FAST_TIMERS, PYTHON, formed, one_active, run, wait_until)

DEAD_S = FAST_TIMERS["dead_time_ms"] / 1000.0

SNTP_SERVER = r"""
import socket, struct, sys, time
address, offset_file = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind((address, 123))
def ntp(seconds):
    return struct.pack("!II", int(seconds) + 2208988800, int((seconds % 1) * 2 ** 32))
while True:
    request, client = server.recvfrom(512)
    received = time.time()
    try:
        offset = float(open(offset_file).read())
    except (OSError, ValueError):
        offset = 0.0
    if len(request) < 48 or request[0] & 7 != 3:
        continue
    answer = bytes([0x24, 2, 6, 0xec]) + bytes(12) + ntp(received + offset) + request[40:48] \
        + ntp(received + offset) + ntp(time.time() + offset)
    server.sendto(answer, client)
"""

SYSLOG_RECEIVER = r"""
import socket, sys
address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
receiver.bind((address, port))
with open(path, "a") as out:
    while True:
        datagram = receiver.recv(4096)
        out.write(datagram.decode("utf-8", "replace") + "\n")
        out.flush()
"""


def background(lab, script, *arguments):
    """A python script in the switch namespace, ended with the lab (by PID)."""
    process = subprocess.Popen(["ip", "netns", "exec", lab.switch, PYTHON, "-c", script,
                                *arguments], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    lab.pids.append(process.pid)
    return process


def notes(node, event=None):
    lines = [json.loads(line) for line in node.hook_lines("notify.log")]
    return [note for note in lines if event is None or note["event"] == event]


def health_records(node):
    return [record["reason"] for record in node.records() if record["event"] == "health"
            and " check " in record["reason"]]


def start_pair(lab, node1_overrides=None, node2_overrides=None):
    lab.nodes[1].write_config(**(node1_overrides or {}))
    lab.nodes[2].write_config(**(node2_overrides or {}))
    for node in lab.nodes.values():
        node.start()
    wait_until(lambda: formed(lab), 5, message="one active and one standby")
    return lab.nodes[1], lab.nodes[2]


def roles_stay(lab, letters, seconds):
    """The roles stay exactly letters for the whole time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert (lab.nodes[1].role(), lab.nodes[2].role()) == letters
        time.sleep(0.05)


# ---------------------------------------------------- notify-only checks

def test_service_health_and_time_offset_notify_and_move_no_role(lab):
    offset_file = os.path.join(lab.folder, "time.offset")
    with open(offset_file, "w") as file:
        file.write("0")
    background(lab, SNTP_SERVER, CLIENT_IP, offset_file)
    time.sleep(0.3)  # the server binds its socket
    unhealthy = os.path.join(lab.folder, "node1", "service.unhealthy")
    node1, node2 = start_pair(lab, {
        "services_health_command": "test ! -e %s" % unhealthy,
        "time_servers": CLIENT_IP, "time_offset_max_ms": 500})
    # (A loaded machine may miss the 100 ms of a round's first answer: the
    # check then fails and recovers before the test begins.)
    wait_until(lambda: node1.status()["node"]["checks"]["failing"] == [] and
               node1.status()["node"]["health"]["ping_reachable"] == 1, 3,
               message="a healthy round")
    time.sleep(0.5)
    base = len(health_records(node1))
    assert len(notes(node1, "health")) == base
    letters = (node1.role(), node2.role())
    # The service goes unhealthy, then the clock drifts 3 s from the server's.
    open(unhealthy, "w").close()
    wait_until(lambda: len(health_records(node1)) == base + 1, 2,
               message="service health failing")
    with open(offset_file, "w") as file:
        file.write("3")
    wait_until(lambda: len(health_records(node1)) == base + 2, 2, message="time offset failing")
    failing = health_records(node1)[base:]
    assert failing[0] == "service health check failing: service health command exited with " \
        "status 1"
    # (The core's one text names what starts failing in that round.)
    assert re.fullmatch(r"time offset check failing: time offset -?\d+ ms against "
                        r"192\.0\.2\.1 \(at most 500 ms\)", failing[1]), failing[1]
    offset_ms = int(re.search(r"time offset (-?\d+) ms", failing[1]).group(1))
    assert 2900 <= offset_ms <= 3100, offset_ms  # the server's clock is 3 s ahead
    status = node1.status()["node"]["checks"]
    assert status["failing"] == ["time_offset", "service_health"]
    assert re.fullmatch(r"time offset -?\d+ ms against 192\.0\.2\.1 \(at most 500 ms\); "
                        r"service health command exited with status 1", status["summary"]), status
    roles_stay(lab, letters, 1.0)
    os.unlink(unhealthy)
    with open(offset_file, "w") as file:
        file.write("0")
    wait_until(lambda: len(health_records(node1)) == base + 4, 2, message="both recovered")
    assert sorted(health_records(node1)[base + 2:]) == ["service health check recovered",
                                                        "time offset check recovered"]
    # (Each note is a hook command of its own: two of one round may land in
    # notify.log in either order.)
    # (A hook command runs after its record: on a loaded machine the last
    # note may land a moment later.)
    wait_until(lambda: sorted(note["text"] for note in notes(node1, "health")) ==
               sorted(health_records(node1)), 3, message="every record notified")
    assert node1.status()["node"]["checks"]["failing"] == []
    roles_stay(lab, letters, 0.5)
    assert notes(node2, "health") == []


def test_time_server_silent_is_a_failing_check(lab):
    node1, node2 = start_pair(lab, {"time_servers": "192.0.2.99"})
    wait_until(lambda: health_records(node1), 3, message="time check failing")
    assert health_records(node1)[0] == "time offset check failing: no time server answered " \
        "within 100 ms (192.0.2.99)"
    assert one_active(lab)


def test_disk_usage_over_the_limit_notifies(lab):
    """The limit is set 1 % below what data_dir's file system uses now."""
    folder = lab.nodes[1].folder
    disk = os.statvfs(folder)
    used = disk.f_blocks - disk.f_bfree
    percent = -(-used * 100 // (used + disk.f_bavail))
    if percent < 2:
        raise AssertionError("the test's file system is %d %% full: no limit below it" % percent)
    node1, node2 = start_pair(lab, {"disk_usage_max_percent": percent - 1})
    wait_until(lambda: health_records(node1), 2, message="disk usage failing")
    assert re.fullmatch(r"disk usage check failing: %s is \d+ %% full \(at most %d %%\)"
                        % (re.escape(node1.data_dir), percent - 1), health_records(node1)[0])
    assert [note["text"] for note in notes(node1, "health")] == health_records(node1)[:1]
    assert node1.status()["node"]["checks"]["failing"] == ["disk_usage"]
    assert one_active(lab)


# ------------------------------------------------------- the hook's events

def test_hook_events_sync_lost_fault_and_split_brain(lab):
    node1, node2 = start_pair(lab)
    assert (node1.role(), node2.role()) == ("M", "S")
    # sync_lost: the standby's sync link is cut; the active reports it.
    lab.link(2, "sync", False)
    lost = wait_until(lambda: notes(node1, "sync_lost"), 3, message="sync_lost on node1")
    assert lost[0]["node"] == "node1"
    assert lost[0]["text"].startswith("sync with node2 lost")
    lab.link(2, "sync", True)
    wait_until(lambda: notes(node1, "sync_restored"), 5, message="sync restored")
    # fault: the active's services check fails; it reports and hands over.
    open(os.path.join(node1.folder, "services.failed"), "w").close()
    fault = wait_until(lambda: notes(node1, "fault"), 3, message="fault on node1")
    assert fault[0]["text"] == "cluster status check failed: services report an error"
    wait_until(lambda: node2.role() == "M", 3, message="node2 takes over")
    assert notes(node2, "failover")
    os.unlink(os.path.join(node1.folder, "services.failed"))
    wait_until(lambda: node1.display() == "standby", 3, message="node1 back as standby")
    # split_brain (tiebreaker none): both links cut, both active, healed.
    lab.link(1, "sync", False)
    lab.link(1, "external", False)
    wait_until(lambda: node1.role() == "M" and node2.role() == "M", 3, message="two actives")
    lab.link(1, "sync", True)
    lab.link(1, "external", True)
    wait_until(lambda: one_active(lab), 5, message="split brain resolved")
    loser = lab.nodes[1] if node1.role() == "S" else lab.nodes[2]
    split = wait_until(lambda: notes(loser, "split_brain"), 3, message="split_brain note")
    assert split[0]["node"] == loser.name
    assert [r for r in loser.records() if r["event"] == "split_brain"]
    for note in notes(node1) + notes(node2):
        assert set(note) == {"event", "node", "text", "mono_ms", "wall_ms"}, note


# ------------------------------------------------------------------ syslog

RFC5424 = re.compile(r"<29>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) node1 hanode (\d+) "
                     r"([a-z_]+) - (\{.*\})")
RFC3164 = re.compile(r"<29>([A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d) node2 hanode\[(\d+)\]: "
                     r"(\{.*\})")


def test_cluster_log_forwarded_to_syslog_receivers(lab):
    """node1 forwards in RFC 5424 to 192.0.2.1:5514, node2 in RFC 3164 to
    192.0.2.1:5515: every record of their cluster logs arrives, in order."""
    received = {port: os.path.join(lab.folder, "syslog-%d.txt" % port) for port in (5514, 5515)}
    for port, path in received.items():
        background(lab, SYSLOG_RECEIVER, CLIENT_IP, str(port), path)
    time.sleep(0.3)
    node1, node2 = start_pair(
        lab, {"syslog_server": CLIENT_IP, "syslog_port": 5514},
        {"syslog_server": CLIENT_IP, "syslog_port": 5515, "syslog_format": "rfc3164"})
    assert node1.hactl("maintenance", "on").returncode == 0
    wait_until(lambda: node2.role() == "M", 3, message="node2 takes over")
    assert node1.hactl("maintenance", "off").returncode == 0
    time.sleep(0.5)

    def lines(port):
        with open(received[port]) as file:
            return [line.rstrip("\n") for line in file if line.strip()]
    for port, node, pattern in ((5514, node1, RFC5424), (5515, node2, RFC3164)):
        def settled():
            """Records, datagrams and the count sent, once they agree (a
            record may come at any time: a health round, a sync)."""
            records, forwarded = node.records(), lines(port)
            syslog = node.status()["node"]["syslog"]
            same = len(forwarded) == len(records) == syslog["sent"]
            return (records, forwarded, syslog) if same else None
        records, forwarded, syslog = wait_until(settled, 3, message="every record forwarded")
        messages = []
        for line in forwarded:
            match = pattern.fullmatch(line)
            assert match, line
            messages.append(match.groups()[-1])
            assert int(match.group(2)) == node.process.pid
        assert [json.loads(message) for message in messages] == records
        assert syslog == {"forwarding": True, "sent": len(records), "dropped": 0}
    first = RFC5424.fullmatch(lines(5514)[0])
    record = node1.records()[0]
    assert first.group(3) == record["event"]
    assert time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record["wall_ms"] / 1000)) + \
        ".%03dZ" % (record["wall_ms"] % 1000) == first.group(1)


def test_dead_syslog_receiver_slows_nothing(lab):
    """Forwarding to an address nobody holds (no ARP answer): the records are
    sent or dropped at once, and a failover keeps its bound."""
    node1, node2 = start_pair(lab, {"syslog_server": "192.0.2.99"},
                              {"syslog_server": "192.0.2.99"})
    killed_at = time.monotonic()
    node1.kill()
    lab.link(1, "sync", False)
    lab.link(1, "external", False)
    wait_until(lambda: node2.role() == "M", DEAD_S * 8, message="node2 takes over")
    assert time.monotonic() - killed_at < 2.0
    def counted():
        syslog = node2.status()["node"]["syslog"]
        return syslog if syslog["sent"] + syslog["dropped"] == len(node2.records()) else None
    syslog = wait_until(counted, 2, message="every record sent or dropped")
    assert syslog["forwarding"] is True


def test_syslog_keys_checked(tmp_path):
    base = ["node_id = 1", "name = node1", "sync_interface = sync0",
            "sync_address = 198.51.100.1", "sync_peer = 198.51.100.2",
            "key_file = /nonexistent/cluster.key"]
    for extra, message in (
            (["syslog_format = json"], ":7: key 'syslog_format': expected rfc5424 or rfc3164, "
                                       "got 'json'"),
            (["syslog_port = 5514"], ":7: key 'syslog_port': needs syslog_server"),
            (["syslog_server = loghost"], ":7: key 'syslog_server': expected an IPv4 address, "
                                          "got 'loghost'"),
            (["time_servers = 192.0.2.1", "time_check_command = true"],
             ":8: key 'time_check_command': time_servers is set too: use one of them"),
            (["disk_usage_max_percent = 101"], ":7: key 'disk_usage_max_percent': expected an "
                                               "integer in 1..100, got '101'")):
        path = tmp_path / "node.conf"
        path.write_text("\n".join(base + extra) + "\n")
        result = run(os.path.join(BIN, "hanode"), "-c", str(path), "--check-config",
                     check=False)
        assert result.returncode == 2, extra
        assert str(path) + message in result.stderr, result.stderr
