#!/usr/bin/python3
"""Make the hand-made field logs of sim/tests/replay_fixtures/ from the
cluster logs of a hasim run (how they were made; rerun only to change them):

    make_field_logs.py RUN_DIR OUT_DIR

RUN_DIR is a run of scenarios/failed-node-returns.yaml (the active loses
power, comes back, rejoins as standby). OUT_DIR gets what an engineer brings
back from the field, each flaw of its own:

  pbx/pbx-a.log, pbx/pbx-b.log   the incident as two appliances logged it:
      the nodes are called pbx-a and pbx-b; pbx-b's wall clock runs 123456 ms
      ahead of pbx-a's, and its records come 2 ms later per record (so
      the pairs bound the offset to an interval); each host's monotonic clock
      counts from its own boot
      (pbx-a's restarts when it comes back after the power loss); the logs
      end when they were collected (no stop records)
  missing/pbx-a.log    pbx-a.log without its line 3 (the election)
  rotated/pbx-a.log    pbx-a.log from its line 4 on (the start rotated away)
  torn/pbx-b.log       pbx-b.log cut in the middle of its last line
  stranger/pbx-c.log   a third appliance's log (pbx-c, peer pbx-d): never in
                       the cluster of pbx-a and pbx-b
  empty/pbx-b.log      an empty file
  failback/pbx-a.log, failback/pbx-b.log   the pbx logs as an older firmware
                       wrote them: pbx-a, back after the power loss, takes
                       the active role back from pbx-b 2 s after it rejoined
                       (a failback, which SPEC forbids): today's node does
                       not, so --run reports the divergence
"""
import json
import pathlib
import sys

WALL_BASE = 1795430400000  # 2026-11-23 10:40:00 UTC
OFFSET_B = 123456
NAMES = {"node1": "pbx-a", "node2": "pbx-b"}


def rename(text, names):
    for old, new in names.items():
        text = text.replace(old, new)
    return text


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def field(run_dir, node, names):
    """The node's records as its appliance logged them (see the top)."""
    out, boot_mono, boot = [], 0, -1
    lines = [r for r in records(run_dir / "nodes" / node / "cluster.log")]
    while lines and (lines[-1]["event"] == "stop" or
                     lines[-1]["reason"].startswith("maintenance")):
        lines.pop()  # the run's teardown: the field's log ends when collected
    for index, record in enumerate(lines):
        # pbx-b's records come a little later as they go (the network, its
        # scheduler): 2 ms more per record, so the clock pairs bound the
        # offset to an interval rather than a point.
        lag = 2 * index if node == "node2" else 0
        record["mono_ms"] += lag
        record["wall_ms"] += lag
        if record["event"] == "start":
            boot += 1
            boot_mono = record["mono_ms"]
        since_boot = record["mono_ms"] - boot_mono
        record["mono_ms"] = (5000000 if node == "node1" else 86400000) + since_boot \
            if boot == 0 else 12000 + since_boot
        record["wall_ms"] = record["wall_ms"] - 1767225600000 + WALL_BASE + \
            (OFFSET_B if node == "node2" else 0)
        record = json.loads(rename(json.dumps(record), names))
        out.append(json.dumps(record, separators=(",", ":")))
    return out


def write(path, lines, end="\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + end if lines else "")


def main():
    run_dir, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    a, b = field(run_dir, "node1", NAMES), field(run_dir, "node2", NAMES)
    write(out / "pbx" / "pbx-a.log", a)
    write(out / "pbx" / "pbx-b.log", b)
    write(out / "missing" / "pbx-a.log", a[:2] + a[3:])
    write(out / "rotated" / "pbx-a.log", a[3:])
    torn = b[:-1] + [b[-1][:len(b[-1]) // 2]]
    write(out / "torn" / "pbx-b.log", torn, end="")
    write(out / "stranger" / "pbx-c.log",
          field(run_dir, "node1", {"node1": "pbx-c", "node2": "pbx-d"}))
    write(out / "empty" / "pbx-b.log", [])
    failback_a, failback_b = list(a), list(b)
    last_a, last_b = json.loads(a[-1]), json.loads(b[-1])
    back = dict(last_a, mono_ms=last_a["mono_ms"] + 2000, wall_ms=last_a["wall_ms"] + 2000,
                event="transition", **{"from": "standby"}, to="active", role="active",
                reason="preferred node pbx-a takes the active role back")
    gives = dict(last_b, mono_ms=last_b["mono_ms"] + 2003, wall_ms=last_b["wall_ms"] + 2003,
                 event="transition", **{"from": "active"}, to="standby", role="standby",
                 reason="preferred node pbx-a is back: handing over")
    failback_a.append(json.dumps(back, separators=(",", ":")))
    failback_b.append(json.dumps(gives, separators=(",", ":")))
    write(out / "failback" / "pbx-a.log", failback_a)
    write(out / "failback" / "pbx-b.log", failback_b)


if __name__ == "__main__":
    main()
