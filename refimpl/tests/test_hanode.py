"""test_hanode.py - the real hanode and hactl binaries, two nodes in namespaces.

Each test builds its own lab (conftest.py: two node namespaces wired through
a switch namespace), starts the nodes with fast timers (heartbeat 50 ms, dead
time 250 ms, wait-for-peer 1000 ms) and asserts what an operator or a client
would observe: role letters from `hactl status --json`, the cluster IP on an
interface and answering TCP 7000, store answers, cluster log records and the
packet counters. Bounds are a few times the configured timers, so a slow CI
machine does not flap while a broken failover still fails.
"""

import json
import os
import time

from hnlab import (BIN, CLUSTER_IP, FAST_TIMERS, NODE_ADDRESSES, formed, one_active, roles,
                      run, store_request, wait_until)

DEAD_S = FAST_TIMERS["dead_time_ms"] / 1000.0


def active_and_standby(lab):
    letters = one_active(lab)
    assert letters, "no single active node: %r" % (roles(lab),)
    active = lab.nodes[1] if letters[0] == "M" else lab.nodes[2]
    standby = lab.nodes[2] if active is lab.nodes[1] else lab.nodes[1]
    return active, standby


def cluster_ip_answers(lab):
    """A TCP connect to the cluster IP's store port from the client side."""
    script = ("import socket\n"
              "socket.create_connection(('%s', 7000), timeout=0.5).close()\n" % CLUSTER_IP)
    result = run("ip", "netns", "exec", lab.switch, "/usr/bin/python3", "-c", script,
                 check=False, timeout=5)
    return result.returncode == 0


def power_off(lab, node):
    """SIGKILL hanode and pull the node's cables at once: a dead machine
    neither sends heartbeats nor answers ARP for the cluster IP it held."""
    node.kill()
    lab.link(node.node_id, "sync", False)
    lab.link(node.node_id, "external", False)


# --------------------------------------------------------------- forming

def test_cluster_forms_with_one_active(cluster):
    active, standby = active_and_standby(cluster)
    status = active.status()
    assert status["node"]["role"] == "active" and status["node"]["state"] == "normal"
    assert status["peer"]["seen"] is True
    assert status["peer"]["name"] == standby.name
    assert [link["alive"] for link in status["links"]] == [True, True]
    assert status["counters"]["bad_mac"] == 0 and status["counters"]["replayed"] == 0
    wait_until(active.has_cluster_ip, 2, message="cluster IP on the active")
    assert not standby.has_cluster_ip()
    wait_until(lambda: cluster_ip_answers(cluster), 3, message="cluster IP answers on 7000")
    starts = [record for record in active.records() if record["event"] == "start"]
    assert len(starts) == 1 and starts[0]["node"] == active.name


def test_status_human_shows_letters_links_and_health(cluster):
    active, standby = active_and_standby(cluster)
    result = active.hactl("status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == [active.name, "M", "active"]
    assert lines[1].split()[:3] == [standby.name, "S", "standby"]
    assert "links sync up, external up" in lines[0]
    assert "data in sync" in lines[0] or "data resyncing" in lines[0]
    assert "ping 1/1" in result.stdout
    assert "last transitions:" in result.stdout


# --------------------------------------------------------------- failover

def test_sigkill_of_active_fails_over_and_cluster_ip_answers(cluster):
    active, standby = active_and_standby(cluster)
    wait_until(lambda: cluster_ip_answers(cluster), 3, message="cluster IP before the kill")
    killed_at = time.monotonic()
    power_off(cluster, active)
    wait_until(lambda: standby.role() == "M", DEAD_S * 8, message="standby takes over")
    wait_until(standby.has_cluster_ip, 2, message="cluster IP moved")
    wait_until(lambda: cluster_ip_answers(cluster), 3, message="cluster IP answers again")
    elapsed = time.monotonic() - killed_at
    assert elapsed < 3.0, "failover took %.2f s" % elapsed
    transitions = [record for record in standby.records()
                   if record["event"] == "transition" and record["to"] == "active"]
    assert transitions and transitions[-1]["from"] == "standby"
    assert transitions[-1]["role"] == "active" and transitions[-1]["reason"]
    wait_until(lambda: standby.hook_lines("services.log") == ["start"], 2,
               message="services started on the new active")
    notes = wait_until(lambda: [json.loads(line) for line in standby.hook_lines("notify.log")],
                       2, message="failover notification")
    assert notes[-1]["event"] == "failover" and notes[-1]["node"] == standby.name


def test_sigterm_of_active_hands_over_and_logs_stop(cluster):
    active, standby = active_and_standby(cluster)
    assert active.stop() == 0
    wait_until(lambda: standby.role() == "M", DEAD_S * 8, message="standby takes over")
    assert not active.has_cluster_ip()
    assert active.records()[-1]["event"] == "stop"


def test_sync_link_down_changes_no_role_and_marks_outdated(cluster):
    active, standby = active_and_standby(cluster)
    cluster.link(standby.node_id, "sync", False)
    wait_until(lambda: standby.status()["links"][0]["alive"] is False, DEAD_S * 8,
               message="sync link seen dead")
    answer = store_request(cluster.switch, CLUSTER_IP, "PUT during/cut written")
    assert answer and answer.startswith("OK"), answer
    time.sleep(DEAD_S * 4)
    assert roles(cluster) == tuple("M" if node is active else "S"
                                   for node in (cluster.nodes[1], cluster.nodes[2]))
    assert active.status()["node"]["peer_outdated"] is True
    cluster.link(standby.node_id, "sync", True)
    wait_until(lambda: active.status()["node"]["peer_outdated"] is False, 5,
               message="resync after repair")
    assert one_active(cluster)


def test_failed_services_check_hands_over(cluster):
    active, standby = active_and_standby(cluster)
    open(os.path.join(active.folder, "services.failed"), "w").close()
    wait_until(lambda: standby.role() == "M", 3, message="standby takes over from a fault")
    assert active.display() == "fault"
    assert active.hook_lines("services.log")[-1] == "stop"
    assert active.status()["node"]["health"]["services_ok"] is False
    os.unlink(os.path.join(active.folder, "services.failed"))


def test_hanging_services_check_fails_at_the_next_round(lab):
    """A services check that outlives the health interval (200 ms) counts as
    failed when the next round is due, and is killed. Regression: the running
    round used to be replaced and its result dropped, so the core heard no
    verdict until the hanging checks had filled the runner's table; then the
    services_stop hook of the fault could not start either."""
    for node in lab.nodes.values():
        node.write_config(services_status="test ! -e %s/services.hang || exec sleep 5"
                          % node.folder)
    for node in lab.nodes.values():
        node.start()
    wait_until(lambda: formed(lab), 5, message="one active and one standby")
    active, standby = active_and_standby(lab)
    open(os.path.join(active.folder, "services.hang"), "w").close()
    wait_until(lambda: standby.role() == "M", 3, message="standby takes over from a fault")
    assert active.display() == "fault"
    assert active.status()["node"]["health"]["services_ok"] is False
    wait_until(lambda: active.hook_lines("services.log")[-1:] == ["stop"], 2,
               message="services_stop hook on the failed node")
    assert not [record for record in active.records() if "already running" in record["reason"]]
    os.unlink(os.path.join(active.folder, "services.hang"))


def test_no_active_role_before_the_first_health_verdict(lab):
    """A node does not settle the tie (or take over) on the health it has
    before its first check round ended. Regression (split-brain-fence on
    guests): node1, whose network was not usable yet, won the tie at forming
    by its lower id, became active and gave up 60 ms later at its first ping
    verdict. Here node1's ping target never answers and its round takes
    600 ms, long after the tie would be settled."""
    lab.nodes[1].write_config(ping_targets="192.0.2.99", ping_timeout_ms=600,
                              health_interval_ms=1000)
    lab.nodes[2].write_config()
    for node in lab.nodes.values():
        node.start()
    wait_until(lambda: lab.nodes[2].role() == "M", 5, message="node2 active")
    wait_until(lambda: lab.nodes[1].display() == "isolated", 3, message="node1 isolated")
    time.sleep(0.5)
    assert lab.nodes[2].role() == "M"
    became_active = [record for record in lab.nodes[1].records()
                     if record["event"] == "transition" and record["to"] == "active"]
    assert became_active == [], became_active
    start = [record for record in lab.nodes[1].records() if record["event"] == "start"]
    assert len(start) == 1 and "starting" in start[0]["reason"]


def test_incompatible_firmware_refused_with_reason_in_status(lab):
    lab.nodes[1].write_config(firmware="1.2.0")
    lab.nodes[2].write_config(firmware="1.3.0")
    for node in lab.nodes.values():
        node.start()
    status = wait_until(lambda: (lambda s: s if s["peer"]["refusal"] else None)(
        lab.nodes[1].status()), 3, message="refusal reason in status")
    assert "firmware" in status["peer"]["refusal"]
    text = lab.nodes[1].hactl("status").stdout
    assert "peer refused: " in text and "firmware" in text
    assert any(record["event"] == "refused" for record in lab.nodes[1].records())


def test_force_start_ends_the_wait_for_the_peer(lab):
    node = lab.nodes[1]
    node.write_config(wait_for_peer_ms=60000)
    node.start()
    time.sleep(0.3)
    assert node.display() == "starting"
    assert node.hactl("force-start").returncode == 0
    wait_until(lambda: node.role() == "M", 2, message="active alone after force-start")
    wait_until(node.has_cluster_ip, 2, message="cluster IP")


# ------------------------------------------------------------ administration

def test_maintenance_on_both_stops_everything_and_off_takes_over(cluster):
    active, standby = active_and_standby(cluster)
    assert active.hactl("maintenance", "on").returncode == 0
    wait_until(lambda: standby.role() == "M", 2, message="standby takes over from maintenance")
    assert active.display() == "maintenance"
    assert standby.hactl("maintenance", "on").returncode == 0
    wait_until(lambda: roles(cluster) == ("S", "S"), 2, message="no active node")
    wait_until(lambda: not active.has_cluster_ip() and not standby.has_cluster_ip(), 2,
               message="cluster IP released")
    assert active.hactl("maintenance", "off").returncode == 0
    wait_until(lambda: active.role() == "M", 3, message="node leaving maintenance takes over")
    wait_until(active.has_cluster_ip, 2, message="cluster IP back")
    assert standby.display() == "maintenance"


def test_maintenance_survives_a_restart_until_cleared(cluster):
    """Regression: a firmware update restarts the node in maintenance; only
    the operator clears it (SPEC), so a restart must not drop it."""
    active, standby = active_and_standby(cluster)
    assert standby.hactl("maintenance", "on").returncode == 0
    wait_until(lambda: standby.display() == "maintenance", 2, message="standby in maintenance")
    assert standby.stop() == 0
    standby.start()
    wait_until(lambda: standby.display() == "maintenance", 3,
               message="restarted node back in maintenance")
    assert active.role() == "M"
    assert standby.hactl("maintenance", "off").returncode == 0
    wait_until(lambda: standby.display() == "standby", 3, message="cleared by the operator")
    assert standby.stop() == 0
    standby.start()
    wait_until(lambda: standby.display() == "standby", 3,
               message="a cleared maintenance stays cleared after a restart")


def test_switchover_swaps_roles(cluster):
    active, standby = active_and_standby(cluster)
    # Right after forming, the standby may still be confirming its resync;
    # SPEC allows a switchover only with the data in sync, so wait for that,
    # as the active sees it: the standby's newest heartbeat no longer says
    # outdated (regression: the test raced that heartbeat, 1 run in 2).
    wait_until(lambda: standby.status()["node"]["in_sync"] and
               not active.status()["node"]["peer_outdated"] and
               active.status()["peer"]["outdated"] is False, 3, message="data in sync")
    result = active.hactl("switchover")
    assert result.returncode == 0, result.stderr
    wait_until(lambda: standby.role() == "M" and active.role() == "S", 3,
               message="roles swapped")
    wait_until(standby.has_cluster_ip, 2, message="cluster IP moved")


def test_setting_set_refused_on_standby_and_replicated_from_active(cluster):
    active, standby = active_and_standby(cluster)
    refused = standby.hactl("setting", "set", "ntp_server", "192.0.2.1")
    assert refused.returncode == 1
    assert "locked" in refused.stderr
    accepted = active.hactl("setting", "set", "ntp_server", "192.0.2.1")
    assert accepted.returncode == 0, accepted.stderr
    assert active.hactl("setting", "get", "ntp_server").stdout.strip() == "192.0.2.1"
    wait_until(lambda: standby.hactl("setting", "get", "ntp_server").stdout.strip()
               == "192.0.2.1", 2, message="setting replicated to the standby")


def test_disconnect_freezes_roles_and_reconnect_resumes(cluster):
    active, standby = active_and_standby(cluster)
    assert active.hactl("disconnect").returncode == 0
    wait_until(lambda: standby.display() == "disconnected", 2, message="peer follows")
    assert active.display() == "disconnected"
    cluster.link(active.node_id, "sync", False)
    cluster.link(active.node_id, "external", False)
    time.sleep(DEAD_S * 4)
    assert (active.role(), standby.role()) == ("M", "S")
    cluster.link(active.node_id, "sync", True)
    cluster.link(active.node_id, "external", True)
    # The cut also cut the ping target: reconnect only once the health
    # checks see it again, or the core rightly hands over as isolated.
    wait_until(lambda: active.status()["node"]["health"]["ping_reachable"] == 1, 3,
               message="ping target reachable again")
    assert active.hactl("reconnect").returncode == 0
    wait_until(lambda: formed(cluster), 3, message="cluster resumes")
    assert (active.role(), standby.role()) == ("M", "S")


def test_disband_makes_both_standalone(cluster):
    active, standby = active_and_standby(cluster)
    assert active.hactl("disband").returncode == 0
    wait_until(lambda: active.display() == "standalone" and standby.display() == "standalone",
               3, message="both standalone")
    assert active.role() == "M"
    assert standby.role() == "S"


def test_usage_errors_exit_2(cluster):
    node = cluster.nodes[1]
    assert node.hactl("frobnicate").returncode == 2
    assert node.hactl("maintenance", "sideways").returncode == 2
    assert node.hactl("join", "--peer", "198.51.100.2", "--secret", "00" * 16).returncode == 2


def test_log_returns_json_records(cluster):
    node = cluster.nodes[1]
    result = node.hactl("log", "5")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert 1 <= len(lines) <= 5
    records = [json.loads(line) for line in lines]
    assert all(record["node"] == "node1" for record in records)
    assert all(set(record) >= {"mono_ms", "wall_ms", "event", "from", "to", "role", "reason"}
               for record in records)


# ------------------------------------------------------------- the store

def test_put_on_active_survives_failover(cluster):
    active, standby = active_and_standby(cluster)
    wait_until(lambda: cluster_ip_answers(cluster), 3, message="cluster IP")
    answer = store_request(cluster.switch, CLUSTER_IP, "PUT order/42 paid in full")
    assert answer and answer.startswith("OK"), answer
    assert store_request(cluster.switch, CLUSTER_IP, "GET order/42") == "VALUE paid in full"
    standby_address = NODE_ADDRESSES[standby.node_id]["external"]
    assert store_request(cluster.switch, standby_address, "GET order/42") == "ERR standby"
    assert store_request(cluster.switch, CLUSTER_IP, "PUT b@d value").startswith("ERR")
    power_off(cluster, active)
    wait_until(lambda: standby.role() == "M", DEAD_S * 8, message="standby takes over")
    wait_until(lambda: store_request(cluster.switch, CLUSTER_IP, "GET order/42",
                                     timeout=3) == "VALUE paid in full", 5,
               message="value on the new active")


RAW_CLIENT = r"""
import socket, sys
host, port, payload = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
with socket.create_connection((host, port), timeout=5) as connection:
    connection.sendall(payload)
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = connection.recv(512)
        if not chunk:
            break
        answer += chunk
print(answer.decode().strip())
"""

FILL_CLIENT = r"""
import json, socket, sys
host, count = sys.argv[1], int(sys.argv[2])
with socket.create_connection((host, 7000), timeout=10) as connection:
    stream = connection.makefile("rwb")
    answers = []
    for number in range(count):
        stream.write(b"PUT fill/%d v%d\n" % (number, number))
        stream.flush()
        answers.append(stream.readline().decode().strip())
print(json.dumps({"ok": sum(answer.startswith("OK ") for answer in answers),
                  "other": [answer for answer in answers if not answer.startswith("OK ")]}))
"""


def test_store_port_refusals(cluster):
    """Regressions (issue 11): a PUT of setting/... over the unauthenticated data
    port overwrote an operator's setting; "PUT a b\\0c" was answered OK and
    stored "b". Both are refused with a clear ERR."""
    active, standby = active_and_standby(cluster)
    wait_until(lambda: cluster_ip_answers(cluster), 3, message="cluster IP")
    assert active.hactl("setting", "set", "ntp_server", "192.0.2.1").returncode == 0
    assert store_request(cluster.switch, CLUSTER_IP, "PUT setting/ntp_server 203.0.113.66") == \
        "ERR setting/ keys are the operator's: use hactl setting set"
    assert active.hactl("setting", "get", "ntp_server").stdout.strip() == "192.0.2.1"
    answer = run("ip", "netns", "exec", cluster.switch, "/usr/bin/python3", "-c", RAW_CLIENT,
                 CLUSTER_IP, "7000", b"PUT a b\0c\n".hex()).stdout.strip()
    assert answer == "ERR NUL byte in the line"
    assert store_request(cluster.switch, CLUSTER_IP, "GET a") == "NOTFOUND"


def test_store_full_answers_a_clear_error(cluster):
    """A store whose clients hold 960 keys refuses a new key with a clear error
    and still takes writes to the keys it has; the 64 keys left are the
    operator's settings. Regression (issue 11): client data filling the 1,024
    keys blocked `hactl setting set`, and GET setting/... answered anyone."""
    active, standby = active_and_standby(cluster)
    wait_until(lambda: cluster_ip_answers(cluster), 3, message="cluster IP")
    result = run("ip", "netns", "exec", cluster.switch, "/usr/bin/python3", "-c", FILL_CLIENT,
                 CLUSTER_IP, "960", timeout=120)
    filled = json.loads(result.stdout)
    assert filled == {"ok": 960, "other": []}
    assert store_request(cluster.switch, CLUSTER_IP, "PUT one/more v") == \
        "ERR store full: it holds 960 keys; a new key is refused, existing keys can be " \
        "written"
    assert store_request(cluster.switch, CLUSTER_IP, "PUT fill/7 again").startswith("OK ")
    assert store_request(cluster.switch, CLUSTER_IP, "GET fill/7") == "VALUE again"
    accepted = active.hactl("setting", "set", "ntp_server", "192.0.2.1")
    assert accepted.returncode == 0, accepted.stderr
    assert store_request(cluster.switch, CLUSTER_IP, "GET setting/ntp_server") == \
        "ERR setting/ keys are the operator's: use hactl setting get"
    assert active.status()["node"]["keys"] == {"client": 960, "settings": 1}


FLOOD_CLIENT = r"""
import json, socket, sys, time
host, idle_ms = sys.argv[1], int(sys.argv[2])

def line(connection, timeout=2.0):
    connection.settimeout(timeout)
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = connection.recv(256)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "(silent)"
    return data.decode().strip() or "(closed)"

flood = []
for number in range(32):
    flood.append(socket.create_connection((host, 7000), timeout=2))
    time.sleep(0.01)
other = socket.create_connection((host, 7000), timeout=2, source_address=("192.0.2.2", 0))
other.sendall(b"PUT other/key v\n")
answers = {"other": line(other)}
again = socket.create_connection((host, 7000), timeout=2)
again.sendall(b"GET other/key\n")
answers["again"] = line(again)
answers["evicted"] = sorted(set(line(connection, 0.5) for connection in flood[:29]))
start = time.monotonic()
answers["idle"] = sorted(set(line(connection, 5.0) for connection in flood[29:]))
answers["idle_after_ms"] = int((time.monotonic() - start) * 1000)
print(json.dumps(answers))
"""


def test_store_port_idle_connections_cannot_lock_clients_out(lab):
    """Regression (issue 11): 32 idle connections filled every slot and every
    other client got "ERR busy". Now one source holds at most
    store_clients_per_source connections (its oldest idle one makes room for
    its newest), and an idle connection is closed after store_idle_timeout_ms;
    every closing says why."""
    for node in lab.nodes.values():
        node.write_config(store_idle_timeout_ms=1500, store_clients_per_source=4)
    for node in lab.nodes.values():
        node.start()
    wait_until(lambda: formed(lab), 5, message="one active and one standby")
    run("ip", "-n", lab.switch, "addr", "add", "192.0.2.2/24", "dev", "bre")
    wait_until(lambda: cluster_ip_answers(lab), 3, message="cluster IP")
    result = run("ip", "netns", "exec", lab.switch, "/usr/bin/python3", "-c", FLOOD_CLIENT,
                 CLUSTER_IP, "1500", timeout=30)
    answers = json.loads(result.stdout)
    assert answers["other"].startswith("OK "), answers
    assert answers["again"] == "VALUE v", answers
    assert answers["evicted"] == [
        "ERR closed: too many connections from 192.0.2.1 (at most 4)"], answers
    assert answers["idle"] == ["ERR closed: idle for 1500 ms"], answers
    assert answers["idle_after_ms"] < 4000, answers


# -------------------------------------------------------- authentication

def test_wrong_key_never_forms_and_counts_bad_mac(lab):
    lab.nodes[1].write_config()
    lab.nodes[2].write_config(key="ab" * 32)
    for node in lab.nodes.values():
        node.start()
    time.sleep(FAST_TIMERS["wait_for_peer_ms"] / 1000.0 + 0.5)
    for node in lab.nodes.values():
        status = node.status()
        assert status["peer"]["seen"] is False
        assert status["counters"]["accepted"] == 0
        assert status["counters"]["bad_mac"] > 0


CAPTURE = r"""
import socket, struct, sys
device, source = sys.argv[1], sys.argv[2]
sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
sniffer.bind((device, 0))
sniffer.settimeout(3)
while True:
    ip = sniffer.recv(4096)[14:]
    header = (ip[0] & 15) * 4
    if ip[9] == 17 and socket.inet_ntoa(ip[12:16]) == source and \
            struct.unpack("!H", ip[header + 2:header + 4])[0] == 7400:
        print(ip[header + 8:].hex())
        break
"""

SEND = r"""
import socket, sys
device, target, payload = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sender.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
for _ in range(3):
    sender.sendto(payload, (target, 7400))
"""


def test_replayed_heartbeat_is_rejected_and_counted(cluster):
    """Capture a heartbeat of node2 as it arrives at node1 (a packet node1
    has accepted), then send it again over the sync wire from node2's side."""
    node1, node2 = cluster.nodes[1], cluster.nodes[2]
    payload = node1.netns("/usr/bin/python3", "-c", CAPTURE, "sync0",
                          NODE_ADDRESSES[2]["sync"]).stdout.strip()
    assert payload.startswith("48414c42")  # "HALB"
    before = node1.status()["counters"]
    node2.netns("/usr/bin/python3", "-c", SEND, "sync0", NODE_ADDRESSES[1]["sync"], payload)
    wait_until(lambda: node1.status()["counters"]["replayed"] >= before["replayed"] + 3, 2,
               message="3 replays counted")
    after = node1.status()["counters"]
    assert after["replayed"] == before["replayed"] + 3
    assert after["bad_mac"] == before["bad_mac"]
    assert one_active(cluster)


CLOCK_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
/* CLOCK_REALTIME moved by HN_TEST_CLOCK_OFFSET_S seconds; other clocks untouched. */
int clock_gettime(clockid_t clock, struct timespec *now)
{
	static int (*real)(clockid_t, struct timespec *);
	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int result = real(clock, now);
	const char *offset = getenv("HN_TEST_CLOCK_OFFSET_S");
	if (result == 0 && clock == CLOCK_REALTIME && offset)
		now->tv_sec += atoll(offset);
	return result;
}
"""


def clock_shim(lab):
    """A preload library that moves the wall clock of the process it is loaded into."""
    source = os.path.join(lab.folder, "clock_shim.c")
    library = os.path.join(lab.folder, "clock_shim.so")
    with open(source, "w") as file:
        file.write(CLOCK_SHIM)
    run("cc", "-shared", "-fPIC", "-o", library, source, "-ldl")
    return library


def test_wall_clock_stepped_back_across_a_restart(lab):
    """Regression (issue 11): the packet counter started from the wall clock, so
    a node restarted with its clock stepped back (here a day) sent sequences
    below what its peer had already seen, and the peer refused every packet as
    replayed. The counter now continues from a reservation in data_dir
    (packet_seq), made durable before its values are used."""
    library = clock_shim(lab)
    node1, node2 = lab.nodes[1], lab.nodes[2]
    for node in (node1, node2):
        node.write_config()
    # (An ASan build of hanode wants its runtime first; the shim may come first.)
    ahead = {"LD_PRELOAD": library, "HN_TEST_CLOCK_OFFSET_S": "86400",
             "ASAN_OPTIONS": "verify_asan_link_order=0"}
    node1.start(env=ahead)
    node2.start()
    wait_until(lambda: formed(lab), 5, message="formed with node1's clock a day ahead")
    reservation = os.path.join(node1.data_dir, "packet_seq")
    with open(reservation) as file:
        limit = int(file.read())
    assert node1.stop() == 0
    node1.start()  # the clock is back to today
    wait_until(lambda: formed(lab), 5, message="formed again after the restart")
    with open(reservation) as file:
        assert int(file.read()) == limit + 2 ** 20
    replayed = node2.status()["counters"]["replayed"]
    time.sleep(DEAD_S * 2)
    assert node2.status()["peer"]["seen"] is True
    assert node2.status()["counters"]["replayed"] == replayed


# ----------------------------------------------------------- command line

def test_version_and_help_exit_0():
    for binary in ("hanode", "hactl"):
        version = run(os.path.join(BIN, binary), "--version", check=False)
        assert version.returncode == 0, version.stderr
        assert version.stdout.startswith("%s (halab) " % binary), version.stdout
        assert "protocol 2" in version.stdout
        usage = run(os.path.join(BIN, binary), "--help", check=False)
        assert usage.returncode == 0 and usage.stdout.startswith("usage: %s" % binary)
    assert run(os.path.join(BIN, "hactl"), "status", "--help", check=False).returncode == 0


def test_demo_writes_the_key_readable_by_its_owner_only(tmp_path):
    key = tmp_path / "cluster.key"
    demo = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demo",
                        "two-nodes.sh")
    run(demo, "key", str(key))
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    assert len(key.read_text().strip()) == 64


# ----------------------------------------------------------- configuration

def bad_config(tmp_path, lines):
    path = tmp_path / "bad.conf"
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


GOOD_LINES = ["node_id = 1", "name = node1", "sync_interface = sync0",
              "sync_address = 198.51.100.1", "sync_peer = 198.51.100.2",
              "key_file = /nonexistent/cluster.key"]


def check_config(path):
    return run(os.path.join(BIN, "hanode"), "-c", path, "--check-config", check=False)


def test_documented_example_config_is_valid():
    example = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "refimpl", "daemon", "hanode.conf.example")
    result = check_config(example)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(example + ": ok")


def test_good_config_passes_check(tmp_path):
    result = check_config(bad_config(tmp_path, GOOD_LINES))
    assert result.returncode == 0, result.stderr


def test_bad_value_names_file_line_and_key(tmp_path):
    path = bad_config(tmp_path, GOOD_LINES + ["# comment", "dead_time_ms = soon"])
    result = check_config(path)
    assert result.returncode == 2
    assert "%s:8: key 'dead_time_ms': expected an integer" % path in result.stderr


def test_fence_and_sync_lag_timers(tmp_path):
    """fence_timeout_ms and sync_lag_ms are keys (SPEC: every timer configurable); a fence
    timeout not longer than the fence command's own timeout is refused, naming the key."""
    fence = GOOD_LINES + ["fence_command = /bin/true", "command_timeout_ms = 3000"]
    assert check_config(bad_config(tmp_path, fence + ["fence_timeout_ms = 4000",
                                                      "sync_lag_ms = 500"])).returncode == 0
    path = bad_config(tmp_path, fence + ["fence_timeout_ms = 3000"])
    result = check_config(path)
    assert result.returncode == 2
    assert ("%s:9: key 'fence_timeout_ms': fence_timeout_ms (3000) must be longer than "
            "command_timeout_ms (3000)" % path) in result.stderr
    path = bad_config(tmp_path, fence[:-1] + ["command_timeout_ms = 20000"])
    result = check_config(path)
    assert result.returncode == 2
    assert ("%s:8: key 'command_timeout_ms': fence_timeout_ms (10000) must be longer than "
            "command_timeout_ms (20000)" % path) in result.stderr
    path = bad_config(tmp_path, GOOD_LINES + ["sync_lag_ms = 5"])
    result = check_config(path)
    assert result.returncode == 2
    assert "%s:7: key 'sync_lag_ms'" % path in result.stderr


def test_unknown_key_rejected(tmp_path):
    path = bad_config(tmp_path, ["node_id = 1", "colour = blue"] + GOOD_LINES[1:])
    result = check_config(path)
    assert result.returncode == 2
    assert "%s:2: key 'colour': unknown key" % path in result.stderr


def test_missing_required_key_rejected(tmp_path):
    path = bad_config(tmp_path, [line for line in GOOD_LINES if not line.startswith("sync_peer")])
    result = check_config(path)
    assert result.returncode == 2
    assert "key 'sync_peer': missing required key" in result.stderr


def test_bad_config_starts_nothing(tmp_path):
    socket_path = tmp_path / "control.sock"
    path = bad_config(tmp_path, GOOD_LINES + ["control_socket = %s" % socket_path,
                                              "tiebreaker = coin"])
    result = run(os.path.join(BIN, "hanode"), "-c", path, "-f", check=False, timeout=5)
    assert result.returncode == 2
    assert "%s:8: key 'tiebreaker': expected none, ping or fence" % path in result.stderr
    assert not socket_path.exists()


def test_bad_key_file_rejected(tmp_path):
    key = tmp_path / "cluster.key"
    key.write_text("not hex\n")
    os.chmod(key, 0o600)
    lines = [line for line in GOOD_LINES if not line.startswith("key_file")]
    result = check_config(bad_config(tmp_path, lines + ["key_file = %s" % key]))
    assert result.returncode == 2
    assert "expected 64 hex digits" in result.stderr


def test_control_socket_path_over_the_limit_refused(tmp_path):
    path = bad_config(tmp_path, GOOD_LINES + ["control_socket = /run/" + "x" * 110])
    result = check_config(path)
    assert result.returncode == 2
    assert "%s:7: key 'control_socket': longer than 107 characters (a Unix socket " \
        "path)" % path in result.stderr


def test_bad_interface_names_refused(tmp_path):
    """Names the kernel would refuse at start are refused by --check-config."""
    not_a_name = "not an interface name (1..15 characters; no '/', ':', blanks or control " \
        "characters; not '.' or '..')"
    for name, reason in (("a/b", not_a_name), ("..", not_a_name), ("ext 0", not_a_name),
                         ("bond0:1", not_a_name),
                         ("sync\x01", "a control character (byte 0x01) in the value")):
        lines = [line for line in GOOD_LINES if not line.startswith("sync_interface")]
        path = bad_config(tmp_path, lines + ["sync_interface = " + name])
        result = check_config(path)
        assert result.returncode == 2, name
        assert "%s:6: key 'sync_interface': %s\n" % (path, reason) in result.stderr, \
            result.stderr


def test_nul_byte_and_utf16_files_get_a_true_message(tmp_path):
    nul = tmp_path / "nul.conf"
    nul.write_bytes(("\n".join(GOOD_LINES) + "\nname2 = x\0y\n").encode())
    result = check_config(str(nul))
    assert result.returncode == 2
    assert "%s:7: a NUL byte: the file is not text" % nul in result.stderr
    utf16 = tmp_path / "utf16.conf"
    utf16.write_bytes(("\n".join(GOOD_LINES) + "\n").encode("utf-16"))
    result = check_config(str(utf16))
    assert result.returncode == 2
    assert "%s:1: the file is UTF-16" % utf16 in result.stderr


def test_key_file_readable_by_others_refused(tmp_path):
    key = tmp_path / "cluster.key"
    key.write_text("ab" * 32 + "\n")
    os.chmod(key, 0o644)
    lines = [line for line in GOOD_LINES if not line.startswith("key_file")]
    path = bad_config(tmp_path, lines + ["key_file = %s" % key])
    result = check_config(path)
    assert result.returncode == 2
    assert "key_file %s: readable by others (mode 0644): chmod 600 it" % key in result.stderr
    os.chmod(key, 0o600)
    assert check_config(path).returncode == 0


# ---------------------------------------------------------- create and join

def test_create_and_join_form_a_cluster(lab):
    node1, node2 = lab.nodes[1], lab.nodes[2]
    node1.write_config(key=False)
    node2.write_config(key=False, heartbeat_interval_ms=100, dead_time_ms=400)
    node1.start()
    node2.start()
    assert node2.status()["node"]["paired"] is False
    refused = node2.hactl("maintenance", "on")
    assert refused.returncode == 1 and "create or hactl join" in refused.stderr
    created = node1.hactl("create")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.split("pairing secret: ")[1].split()[0]
    assert len(secret) == 32
    no_confirm = node2.hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret", secret)
    assert no_confirm.returncode == 2 and "--yes" in no_confirm.stderr
    wrong = node2.hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret", "11" * 16,
                        "--yes")
    assert wrong.returncode == 1
    joined = node2.hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret", secret,
                         "--yes")
    assert joined.returncode == 0, joined.stderr
    with open(node1.key_path) as first, open(node2.key_path) as second:
        assert first.read() == second.read()
    wait_until(lambda: one_active(lab), 5, message="joined cluster formed")
    assert node1.role() == "M"
    # The cluster's timers came from the first node.
    with open(os.path.join(node2.data_dir, "cluster.conf")) as file:
        assert "dead_time_ms = %d" % FAST_TIMERS["dead_time_ms"] in file.read()
    again = node2.hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret", secret,
                        "--yes")
    assert again.returncode == 1


def test_join_refused_for_incompatible_firmware(lab):
    node1, node2 = lab.nodes[1], lab.nodes[2]
    node1.write_config(key=False)
    node2.write_config(key=False, firmware="2.0.0")
    node1.start()
    node2.start()
    secret = node1.hactl("create").stdout.split("pairing secret: ")[1].split()[0]
    refused = node2.hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret", secret,
                          "--yes")
    assert refused.returncode == 1
    assert "refused" in refused.stderr and "firmware" in refused.stderr
    assert not os.path.exists(node2.key_path)
