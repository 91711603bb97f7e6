"""test_hanode_faults.py - what the real hanode owes its core when things fail
(refimpl/core/README.md, "What the host must do"), two nodes in namespaces
(hnlab.py):

- the SQLite way: the Nth store write of one node fails (store_fault_shim.c,
  LD_PRELOAD: its Nth fdatasync of store.log returns EIO), and the Nth
  services start of the pair exits 1, for N = 1, 2, 3, ...; no client ever
  gets OK for a write that the node ending up active does not hold on disk,
  and the failed write's client hears why;
- SIGTERM is a shutdown, logged as such, not the operator's maintenance;
- a restarted survivor is not fooled by a replayed capture of its dead
  peer's packets (the boot nonce).

Bounds are a few times the configured timers (hnlab.FAST_TIMERS: heartbeat
50 ms, dead time 250 ms, health every 200 ms).
"""

import json
import os
import shutil
import struct
import time

from hnlab import (CLUSTER_IP, FAST_TIMERS, NODE_ADDRESSES, REPO, formed, run, store_request,
                   wait_until)

DEAD_S = FAST_TIMERS["dead_time_ms"] / 1000.0
WRITES = 6

WRITER = r"""
import json, socket, sys, time
host, keys = sys.argv[1], sys.argv[2:]

def request(line):
    try:
        with socket.create_connection((host, 7000), timeout=1.5) as connection:
            connection.sendall(line.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = connection.recv(512)
                if not chunk:
                    break
                data += chunk
            return data.decode().strip() or "(closed)"
    except OSError as error:
        return "(%s)" % error.__class__.__name__

answers = {}
for key in keys:
    deadline = time.monotonic() + 8
    while True:
        answer = request("PUT %s value-of-%s" % (key, key))
        # A failover in between: no one answers, or a standby does.
        if answer.startswith("OK ") or answer.startswith("ERR storage failed") or \
                time.monotonic() > deadline:
            break
        time.sleep(0.05)
    answers[key] = answer
print(json.dumps(answers))
"""


def store_log(node):
    """The entries of a node's store.log (persist.c's record format):
    {key: (value, seq)}, the last record of a key winning."""
    entries = {}
    path = os.path.join(node.data_dir, "store.log")
    if not os.path.exists(path):
        return entries
    data = open(path, "rb").read()
    offset = 0
    while offset + 20 <= len(data) and data[offset:offset + 4] == b"HNR1":
        seq, key_length, _, value_length = struct.unpack_from("<QBBH", data, offset + 8)
        start = offset + 20
        key = data[start:start + key_length].decode()
        value = data[start + key_length:start + key_length + value_length].decode()
        entries[key] = (value, seq)
        offset = start + key_length + value_length
    return entries


def shim(lab):
    """store_fault_shim.c built into the lab's folder."""
    library = os.path.join(lab.folder, "store_fault_shim.so")
    if not os.path.exists(library):
        run("cc", "-shared", "-fPIC", "-o", library,
            os.path.join(REPO, "refimpl", "tests", "store_fault_shim.c"), "-ldl")
    return library


def clean(node, **overrides):
    """A node stopped, its data dir, cluster log and hook files gone, its
    configuration written again."""
    if node.process and node.process.poll() is None:
        node.kill()
    shutil.rmtree(node.data_dir, ignore_errors=True)
    for path in (node.log_path, os.path.join(node.folder, "services.log"),
                 os.path.join(node.folder, "notify.log")):
        if os.path.exists(path):
            os.unlink(path)
    node.write_config(**overrides)


def fresh_start(lab, failing=None, env=None, **overrides):
    """Both nodes on empty data dirs, formed; `failing` gets env."""
    for node in lab.nodes.values():
        clean(node, **overrides)
    lab.nodes[1].start(env=env if failing == 1 else None)
    time.sleep(0.05)  # node1 first: it wins the tie by its lower id anyway
    lab.nodes[2].start(env=env if failing == 2 else None)
    wait_until(lambda: formed(lab), 5, message="one active and one standby")


def write_series(lab, keys):
    result = run("ip", "netns", "exec", lab.switch, "/usr/bin/python3", "-c", WRITER,
                 CLUSTER_IP, *keys, timeout=90)
    return json.loads(result.stdout)


def final_active(lab):
    node = wait_until(lambda: next((n for n in lab.nodes.values() if n.display() == "active"),
                                   None), 5, message="an active node")
    return node


# -------------------------------------------------------- countdown: disk

def test_countdown_store_write_of_the_active(lab):
    """node1 (active) fails its Nth store write, N = 1..6: that write's client
    hears 'ERR storage failed: ...', node1 goes to fault, node2 (which holds
    every acknowledged write) takes over, and every OK'd write is on node2's
    disk; the others, before and after, are OK."""
    library = shim(lab)
    for nth in range(1, WRITES + 1):
        env = {"LD_PRELOAD": library, "HN_TEST_FAIL_STORE_SYNC_AT": str(nth),
               "ASAN_OPTIONS": "verify_asan_link_order=0"}
        fresh_start(lab, failing=1, env=env)
        keys = ["n%d/w%d" % (nth, i) for i in range(1, WRITES + 1)]
        answers = write_series(lab, keys)
        failed = keys[nth - 1]
        assert answers[failed] == "ERR storage failed: hn_persist_append: %s/store.log: " \
            "Input/output error" % lab.nodes[1].data_dir, (nth, answers)
        assert all(answers[key].startswith("OK ") for key in keys if key != failed), \
            (nth, answers)
        node1 = lab.nodes[1]
        faults = [r for r in node1.records() if r["event"] == "transition" and r["to"] == "fault"]
        assert faults and faults[0]["reason"] == "storage failed: hn_persist_append: " \
            "%s/store.log: Input/output error" % node1.data_dir, faults
        active = final_active(lab)
        assert active is lab.nodes[2], nth
        on_disk = store_log(active)
        for key in keys:
            if answers[key].startswith("OK "):
                assert on_disk.get(key, (None,))[0] == "value-of-%s" % key, (nth, key)
        assert failed not in on_disk, nth
        assert node1.status()["node"]["actions_failed"]["storage"] == 1


def test_countdown_store_write_of_the_standby(lab):
    """node2 (standby) fails its Nth store write, N = 1..4: it sends no ACK
    for it, node1 marks it outdated and answers alone: every write is OK and
    on node1's disk; node2 is back in sync after its next health round."""
    library = shim(lab)
    for nth in range(1, 5):
        env = {"LD_PRELOAD": library, "HN_TEST_FAIL_STORE_SYNC_AT": str(nth),
               "ASAN_OPTIONS": "verify_asan_link_order=0"}
        fresh_start(lab, failing=2, env=env)
        keys = ["s%d/w%d" % (nth, i) for i in range(1, 5)]
        answers = write_series(lab, keys)
        assert all(answer.startswith("OK ") for answer in answers.values()), (nth, answers)
        node1, node2 = lab.nodes[1], lab.nodes[2]
        assert node1.display() == "active"
        on_disk = store_log(node1)
        assert all(on_disk[key][0] == "value-of-%s" % key for key in keys), nth
        faults = [r for r in node2.records() if r["event"] == "transition" and r["to"] == "fault"]
        assert faults and faults[0]["reason"].startswith("storage failed: hn_persist_append: ")
        wait_until(lambda: node1.status()["node"]["peer_outdated"] is False, 5,
                   message="standby back in sync")
        wait_until(lambda: all(store_log(node2).get(key, (None,))[0] == "value-of-%s" % key
                               for key in keys), 3, message="the standby's disk resynced")


# ---------------------------------------------------- countdown: services

SERVICES_START = "n=$(($(cat {counter} 2>/dev/null || echo 0) + 1)); echo $n > {counter}; " \
    "echo start >> {folder}/services.log; test $n -ne {nth}"


def test_countdown_services_start(lab):
    """The Nth services start of the pair (forming, then two switchovers)
    exits 1, N = 1..3: that node goes to fault with the reason, hands over,
    and in the end one node is active, holds the cluster IP and its services
    were started last."""
    for nth in range(1, 4):
        counter = os.path.join(lab.folder, "services.count")
        if os.path.exists(counter):
            os.unlink(counter)
        for node in lab.nodes.values():
            node.overrides = {"services_start": SERVICES_START.format(
                counter=counter, folder=node.folder, nth=nth)}
        fresh_start_each(lab)
        for _ in range(2):
            time.sleep(0.6)
            active = final_active(lab)
            wait_until(lambda: active.hactl("switchover").returncode == 0, 3,
                       message="switchover accepted")
        time.sleep(1.5)
        faults = [(node.name, r["reason"]) for node in lab.nodes.values()
                  for r in node.records() if r["event"] == "transition" and r["to"] == "fault"]
        assert [reason for _, reason in faults] == [
            "services could not be started: services_start exited with status 1"], \
            (nth, faults)
        active = final_active(lab)
        standby = lab.nodes[3 - active.node_id]
        assert active.has_cluster_ip() and not standby.has_cluster_ip()
        assert active.hook_lines("services.log")[-1] == "start"
        assert active.status()["node"]["health"]["services_ok"] is True


def fresh_start_each(lab):
    """fresh_start with each node's own overrides (node.overrides)."""
    for node in lab.nodes.values():
        clean(node, **node.overrides)
    lab.nodes[1].start()
    time.sleep(0.05)
    lab.nodes[2].start()
    wait_until(lambda: sum(1 for n in lab.nodes.values() if n.display() == "active") == 1
               and sum(1 for n in lab.nodes.values() if n.display() == "standby") == 1, 8,
               message="one active and one standby")


# --------------------------------------------------------------- SIGTERM

def test_sigterm_is_a_shutdown_not_maintenance(cluster):
    """Regression (issue 11): a SIGTERM was logged "maintenance set by the
    operator" and remembered as such."""
    active = next(node for node in cluster.nodes.values() if node.display() == "active")
    standby = cluster.nodes[3 - active.node_id]
    assert active.stop() == 0
    wait_until(lambda: standby.display() == "active", 2, message="standby takes over")
    records = active.records()
    stopping = [r for r in records if r["event"] == "transition"][-1]
    assert (stopping["from"], stopping["to"], stopping["reason"]) == \
        ("active", "maintenance", "hanode stopping: hanode stopped by SIGTERM")
    assert records[-1]["event"] == "stop"
    assert records[-1]["reason"] == "hanode stopped by SIGTERM"
    assert not [r for r in records if "maintenance set by the operator" in r["reason"]]
    assert not os.path.exists(os.path.join(active.data_dir, "maintenance"))
    active.start()
    wait_until(lambda: active.display() == "standby", 3, message="back as a standby")


# ------------------------------------------------------------ boot nonce

CAPTURE = r"""
import json, socket, struct, sys, time
seconds, sources = float(sys.argv[1]), sys.argv[2:]
sniffers = []
for device in ("sync0", "ext0"):
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    sniffer.bind((device, 0))
    sniffer.setblocking(False)
    sniffers.append((device, sniffer))
packets, start = [], time.monotonic()
while time.monotonic() - start < seconds:
    for device, sniffer in sniffers:
        try:
            frame = sniffer.recv(4096)
        except BlockingIOError:
            continue
        ip = frame[14:]
        header = (ip[0] & 15) * 4
        if ip[9] == 17 and socket.inet_ntoa(ip[12:16]) in sources and \
                struct.unpack("!H", ip[header + 2:header + 4])[0] == 7400:
            packets.append([time.monotonic() - start, device, ip[header + 8:].hex()])
    time.sleep(0.002)
print(json.dumps(packets))
"""

REPLAY = r"""
import json, socket, sys, time
addresses = {"sync0": (sys.argv[1], sys.argv[2]), "ext0": (sys.argv[3], sys.argv[4])}
packets = json.load(open(sys.argv[5]))
senders = {}
for device, (source, target) in addresses.items():
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sender.bind((source, 7400))
    senders[device] = (sender, target)
start = time.monotonic()
for at, device, payload in packets:
    time.sleep(max(0, at - (time.monotonic() - start)))
    sender, target = senders[device]
    sender.sendto(bytes.fromhex(payload), (target, 7400))
print(len(packets))
"""


def test_replayed_capture_does_not_fool_a_restarted_survivor(cluster):
    """Regression (issue 11): recorded heartbeats of a dead active made the
    restarted survivor resync in full, empty its store to 0 bytes, mark
    itself outdated and stay standby. Here 3 s of node1's packets (60
    heartbeats a link) are captured as node2 gets them, node1 dies, node2
    restarts and gets the capture replayed from node1's addresses: node2
    becomes active after its wait for the peer with all its data."""
    node1, node2 = cluster.nodes[1], cluster.nodes[2]
    assert node1.display() == "active"
    for number in range(3):
        assert store_request(cluster.switch, CLUSTER_IP, "PUT kept/%d v" % number) \
            .startswith("OK ")
    sources = [NODE_ADDRESSES[1]["sync"], NODE_ADDRESSES[1]["external"]]
    captured = node2.netns("/usr/bin/python3", "-c", CAPTURE, "3", *sources, timeout=20)
    packets = json.loads(captured.stdout)
    assert len(packets) > 100, len(packets)
    capture_path = os.path.join(cluster.folder, "capture.json")
    with open(capture_path, "w") as file:
        json.dump(packets, file)
    node1.kill()
    wait_until(lambda: node2.display() == "active", 3, message="node2 takes over")
    last_seq = node2.status()["node"]["last_seq"]
    assert last_seq == 3
    node2.kill()
    records_before = len(node2.records())
    node2.start()
    replayed = node1.netns("/usr/bin/python3", "-c", REPLAY, NODE_ADDRESSES[1]["sync"],
                           NODE_ADDRESSES[2]["sync"], NODE_ADDRESSES[1]["external"],
                           NODE_ADDRESSES[2]["external"], capture_path, timeout=20)
    assert int(replayed.stdout) == len(packets)
    wait_until(lambda: node2.display() == "active", 3, message="node2 active alone")
    status = node2.status()
    assert status["node"]["outdated"] is False
    assert status["node"]["last_seq"] == last_seq
    assert status["peer"]["seen"] is False
    assert status["counters"]["accepted"] >= len(packets) // 2  # authentic, just not news
    after = node2.records()[records_before:]
    assert not [r for r in after if "resync" in r["reason"] or "outdated" in r["reason"]], after
    becoming = [r for r in after if r["event"] == "transition" and r["to"] == "active"]
    assert becoming and becoming[0]["reason"] == "peer not seen within 1000 ms of start"
    assert len(store_log(node2)) == 3
