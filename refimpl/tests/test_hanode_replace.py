"""test_hanode_replace.py - replacing a node of a pair (issue 11 §1; Checkmk
documents the first two ways), real hanode and hactl in namespaces:

1. new hardware with the old disks: the replacement boots with the old node's
   data_dir and key_file (new network cards: new MAC addresses) and rejoins as
   a standby, in sync, without a full resync;
2. a new pair: the surviving active is disbanded (standalone, keeps its data
   and keeps serving), `hactl create` on it starts a new cluster with a new
   key, and a new node joins and is overwritten by its data;
3. a new node in place of a dead one, without a disband: `hactl create` on
   the survivor draws a pairing secret for the same key.
"""

import os
import shutil

from hnlab import CLUSTER_IP, NODE_ADDRESSES, formed, store_request, wait_until


def power_off(lab, node):
    node.kill()
    lab.link(node.node_id, "sync", False)
    lab.link(node.node_id, "external", False)


def power_on_links(lab, node):
    lab.link(node.node_id, "sync", True)
    lab.link(node.node_id, "external", True)


def put(lab, key, value="v"):
    answer = wait_until(lambda: store_request(lab.switch, CLUSTER_IP, "PUT %s %s" % (key, value),
                                              timeout=3), 5, message="PUT %s answered" % key)
    assert answer.startswith("OK "), answer
    return int(answer.split()[1])


def secret_of(created):
    assert created.returncode == 0, created.stderr
    return created.stdout.split("pairing secret: ")[1].split()[0]


def test_new_hardware_with_the_old_disks_rejoins(cluster):
    node1, node2 = cluster.nodes[1], cluster.nodes[2]
    assert (node1.role(), node2.role()) == ("M", "S")
    for number in range(3):
        put(cluster, "before/%d" % number)
    wait_until(lambda: node2.status()["node"]["last_seq"] == 3, 2, message="replicated")
    power_off(cluster, node2)
    for number in range(2):
        put(cluster, "while-away/%d" % number)
    # The disks move: the old data_dir and key in a new machine (new NICs).
    disks = os.path.join(node2.folder, "moved-disks")
    shutil.copytree(node2.data_dir, disks)
    node2.write_config(data_dir=disks)
    for device, mac in (("sync0", "02:00:5e:10:00:21"), ("ext0", "02:00:5e:10:00:22")):
        node2.netns("ip", "link", "set", "dev", device, "address", mac)
    power_on_links(cluster, node2)
    records_before = len(node2.records())
    node2.start()
    wait_until(lambda: formed(cluster), 5, message="the pair formed again")
    assert (node1.role(), node2.role()) == ("M", "S")
    wait_until(lambda: node2.status()["node"]["last_seq"] == 5 and
               node2.status()["node"]["in_sync"], 3, message="caught up")
    after = node2.records()[records_before:]
    assert not [r for r in after if "full resync" in r["reason"]], after
    assert [r for r in after if r["event"] == "sync" and "incremental resync" in r["reason"]]
    assert not [r for r in after if r["event"] == "transition" and r["to"] == "active"]
    assert node1.status()["counters"]["bad_mac"] == 0


def test_new_pair_around_the_node_that_keeps_the_data(cluster):
    node1, node2 = cluster.nodes[1], cluster.nodes[2]
    assert (node1.role(), node2.role()) == ("M", "S")
    for number in range(3):
        put(cluster, "kept/%d" % number)
    power_off(cluster, node2)
    put(cluster, "alone/0")
    # Disband: node1 standalone, still serving.
    assert node1.hactl("disband").returncode == 0
    wait_until(lambda: node1.display() == "standalone", 2, message="standalone")
    assert node1.role() == "M"
    put(cluster, "standalone/0")
    old_key = open(node1.key_path).read()
    # create: a new cluster with a new key; node1 keeps its data and serves.
    secret = secret_of(node1.hactl("create"))
    assert open(node1.key_path).read() != old_key
    wait_until(lambda: node1.display() == "active", 3, message="node1 active in the new cluster")
    assert node1.status()["node"]["state"] == "normal"
    assert store_request(cluster.switch, CLUSTER_IP, "GET kept/2", timeout=3) == "VALUE v"
    seq = put(cluster, "new-cluster/0")
    records = node1.records()
    assert [r["reason"] for r in records if r["event"] == "admin"
            and r["reason"].startswith("cluster re-created")] == [
        "cluster re-created: new cluster key, this node keeps its data and stays active"]
    stop = [r for r in records if r["event"] == "stop"][-1]
    assert stop["reason"] == "cluster re-created by hactl create: a new cluster key"
    # The new node: empty, no key; it joins and gets node1's data.
    shutil.rmtree(node2.data_dir, ignore_errors=True)
    os.unlink(node2.key_path)
    node2.write_config(key=False)
    power_on_links(cluster, node2)
    node2.start()
    joined = node2.hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret", secret,
                         "--yes")
    assert joined.returncode == 0, joined.stderr
    assert open(node2.key_path).read() == open(node1.key_path).read()
    wait_until(lambda: formed(cluster), 5, message="the new pair formed")
    assert (node1.role(), node2.role()) == ("M", "S")
    wait_until(lambda: node2.status()["node"]["last_seq"] == seq and
               node2.status()["node"]["in_sync"], 3, message="the new node has the data")
    wait_until(lambda: node1.status()["peer"]["outdated"] is False, 2, message="in sync")
    assert node1.hactl("switchover").returncode == 0
    wait_until(lambda: node2.role() == "M", 3, message="the new node active")
    for key in ("kept/0", "alone/0", "standalone/0", "new-cluster/0"):
        assert store_request(cluster.switch, CLUSTER_IP, "GET " + key, timeout=3) == "VALUE v"


def test_new_node_in_place_of_a_dead_one_without_disband(cluster):
    node1, node2 = cluster.nodes[1], cluster.nodes[2]
    put(cluster, "kept/0")
    power_off(cluster, node2)
    wait_until(lambda: node1.status()["peer"]["seen"] is False, 2, message="peer gone")
    key = open(node1.key_path).read()
    secret = secret_of(node1.hactl("create"))
    assert open(node1.key_path).read() == key  # the same cluster
    assert node1.display() == "active"
    shutil.rmtree(node2.data_dir, ignore_errors=True)
    os.unlink(node2.key_path)
    node2.write_config(key=False)
    power_on_links(cluster, node2)
    node2.start()
    joined = node2.hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret", secret,
                         "--yes")
    assert joined.returncode == 0, joined.stderr
    wait_until(lambda: formed(cluster), 5, message="formed")
    wait_until(lambda: node2.status()["node"]["last_seq"] == 1, 3, message="resynced")
    assert (node1.role(), node2.role()) == ("M", "S")


def test_join_refused_on_a_node_with_a_key(cluster):
    refused = cluster.nodes[2].hactl("join", "--peer", NODE_ADDRESSES[1]["sync"], "--secret",
                                     "00" * 16, "--yes")
    assert refused.returncode == 1
    assert "this node already has a cluster key; remove key_file and data_dir before joining " \
        "another cluster" in refused.stderr
