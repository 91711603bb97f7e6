/*
 * check.h - hasim's checker: judge one run folder against its scenario.
 *
 * A run folder is written by the runner. The checker merges it into one
 * timeline (timeline.c), derives each node's display state over time and
 * the metrics (metrics.c), judges the scenario's expectations and
 * invariants (expect.c, expect_records.c, check.c), and writes result.json,
 * junit.xml and timeline.html (report*.c): hasim run into the run folder,
 * hasim check into a new folder or not at all (command.c: a run folder
 * keeps the verdict it was given). It reads nothing else and
 * knows nothing of backends, so the same folder may come from native
 * processes, QEMU guests, a deterministic simulator or a cluster log from
 * the field. All times in a result are ms relative to run.json's t0_mono_ms.
 * A result is one plain value except for the timeline it points to, which
 * hs_check_result_release() frees.
 *
 * The run folder (every mono_ms on one clock; only run.json is required;
 * a bad or torn line is skipped with a warning naming file:line):
 *
 *   run.json      {"scenario":"active-power-loss","scenario_path":"scenarios/...yaml",
 *                  "topology":"rack1-pair","backend":"native","seed":1,"time_scale":1.0,
 *                  "t0_mono_ms":1000,"formed_mono_ms":4200,"ended_mono_ms":20000,
 *                  "aliases":{"@active":"node1","@standby":"node2"},
 *                  "nodes":["node1","node2"],"runner_errors":[],
 *                  "t0_wall_ms":1795430400000,"hostname":"ci-runner-3",
 *                  "resolution_ms":10,
 *                  "node_adapter":{"name":"keepalived","profile":"topology",
 *                   "capabilities":["raid_check"]}}
 *                 (no ended_mono_ms: the last event ends the run; no
 *                 formed_mono_ms: anchor "formed" never happened; no
 *                 t0_wall_ms: derived from the first cluster-log record's
 *                 wall_ms and mono_ms, else from run.json's modification
 *                 time and ended_mono_ms; no hostname: this host's;
 *                 resolution_ms: how finely the client probes the cluster
 *                 IP, reported with outage_ms; absent: unknown;
 *                 node_adapter: the node implementation and what it can
 *                 do, absent: everything (capability.c); "skipped": a
 *                 reason, for a run hasim did not carry out because its
 *                 steps need what the adapter or the backend lacks;
 *                 "notify_hook": false: the backend's nodes leave no
 *                 notify.jsonl, so notify expectations are skipped)
 *   scenario.yaml the scenario text as run, and topologies/NAME.yaml its
 *                 topology (optional: `hasim check RUN_DIR` judges with them
 *                 when no scenario is given, else with run.json's
 *                 scenario_path)
 *   steps.jsonl   {"mono_ms":6200,"event":"step","name":"cut","action":"power_off",
 *                  "target":"node1","ok":true,"error":""}
 *                 also {"mono_ms":6480,"event":"loop_stall","stalled_ms":35}: the
 *                 runner's loop stood still that long up to mono_ms (no frame moved,
 *                 no request was sent); said with the outage it falls in
 *   client.jsonl  {"mono_ms":6300,"op":"put","key":"k42","value":"v42","ok":false,
 *                  "error":"connection refused","latency_ms":0,"sent_ms":6300}
 *                 mono_ms is when the request completed (outage_ms is measured on
 *                 it); optional: latency_ms (how long it took) and sent_ms (when it
 *                 was sent, mono; default mono_ms - latency_ms), which place it in
 *                 timeline.html's latency plot
 *                 then one verify line per acknowledged write:
 *                 {"mono_ms":19000,"op":"verify","key":"k43","expected":"v43","got":"v43","ok":true}
 *   fabric.jsonl  {"mono_ms":6200,"event":"link_down","cable":"node1.LAN1","reason":"step cut"}
 *                 and who answered for the cluster IP on the wire
 *                 (cluster_ip_watch, cluster_ip_seen: observe.c)
 *   nodes/<name>/cluster.log   the node's cluster log (docs/DEVELOPING.md)
 *   nodes/<name>/notify.jsonl  the node's notify hook calls, one line each as
 *                 hanode gives them to notify_command (optional):
 *                 {"event":"fault","node":"node1","text":"...","mono_ms":6500}
 *   final.json {"nodes":{"node1":{"display":"off","holds_cluster_ip":false,"reachable":false},...}}
 *   sessions.jsonl {"mono_ms":6400,"event":"open","session":1,"detail":""}
 *                 the client's long-lived connection through the cluster IP:
 *                 "open" (it answered), "broken" (it failed after answering;
 *                 detail says how), "closed" (the client stopped); optional
 *
 * What the runner writes besides (sim/run; read by whoever wants it):
 *   client.jsonl  probe lines, one every run.json's resolution_ms while the
 *                 client runs: {"mono_ms":6310,"op":"probe","key":"probe","ok":true,
 *                 "reply":"NOTFOUND","latency_ms":1,"sent_ms":6309}; every put
 *                 and probe line carries sent_ms and latency_ms
 *   run.json      resolution_ms (the probes' interval; null without a client),
 *                 client_timeout_ms, probes_sent, probes_skipped,
 *                 sessions_opened, sessions_broken (null without a client);
 *                 loop_gap_max_ms, loop_gap_at_ms (the real loop's longest
 *                 stall, ms from t0; null on virtual); provenance:
 *                 halab_version, argv, command_line, reproduce (a line that
 *                 runs the run again), host {hostname, kernel, machine, cpus,
 *                 load_average [1, 5, 15 min], wall_ms}, hostname, t0_wall_ms
 *                 (virtual: the nodes' virtual wall clock), builds {hasim,
 *                 hanode, hactl: GNU build ids; libvirt: guest_kernel,
 *                 guest_initramfs: BLAKE2b-128}, backend_settings {name,
 *                 time_scale, accel, kvm, guests {NODE: {memory_mib, vcpus}}}
 *   scenario.yaml, topologies/<file name>   the texts as run
 *
 * result.json (an example per case in sim/tests/check_fixtures/<case>/
 * expected_result.json), keys in this order:
 *   scenario, scenario_path, topology, backend, seed, time_scale, passed,
 *   node_adapter (only when run.json names one), skipped (the reason; only
 *   for a run not carried out), reproduce ("hasim run FILE --seed N --backend B"),
 *   failures [sentence], warnings [sentence] (first HS_CHECK_WARNINGS_MAX),
 *   warning_total, formed_ms (null if never formed), ended_ms,
 *   final {node: display state at the end},
 *   metrics {failover_ms, outage_ms, dual_active_ms, lost_writes,
 *            reported_lost_writes: integer or null},
 *   metric_notes {metric: why it is null}, resolution_ms (run.json's, the
 *   client's resolution that outage_ms is reported with; null unknown),
 *   transitions [{t_ms, node, from,
 *   to, reason}], transitions_truncated, expectations [{index, line, kind,
 *   description, passed, skipped, message}].
 *
 * An expectation's description is the scenario's text as written
 * ("@standby standby->active within [700, 1600] ms after 'cut'"), the same
 * in every run and on every backend, so a CI system can follow one test
 * case across runs; what a run resolved it to (node2 for @standby, windows
 * scaled by the backend's time scale) is in its message. An expectation
 * that had nothing to judge (an invariant about writes when the client had
 * none acknowledged, a quiet period that began after the run ended) is
 * skipped: neither passed nor failed, with the reason as its message and
 * a warning; it does not fail the run.
 */
#ifndef HS_CHECK_H
#define HS_CHECK_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_CHECK_MESSAGE_MAX	 1024
#define HS_CHECK_TRANSITIONS_MAX 512
#define HS_CHECK_FAILURES_MAX	 (HS_EXPECTS_MAX + 32)
#define HS_CHECK_WARNINGS_MAX	 64
#define HS_CHECK_ALIASES_MAX	 8

struct hs_timeline; /* timeline.h */

struct hs_check_transition {
	int64_t t_ms;
	char node[HS_NAME_MAX];
	char from[HS_NAME_MAX];
	char to[HS_NAME_MAX];
	char reason[HS_TEXT_MAX];
};

/* A metric is known (value holds it) or not, and then note says why
 * ("no transition to active after 'cut'"); JSON shows an unknown one as
 * null. */
struct hs_check_metric {
	bool known;
	int64_t value;
	char note[HS_TEXT_MAX];
	/* Nothing was there to measure (no client request, no acknowledged
	 * write): an expectation on it is skipped, not judged. note says why. */
	bool nothing_measured;
	/* outage_ms: the longest gap less the runner's loop stalls in it (the
	 * largest over all gaps). The lab did not look while its loop stood, so
	 * the cluster's own outage lies in [lower, value]; a bound between the
	 * two is not judged. Other metrics: lower == value. */
	int64_t lower;
};

struct hs_check_expect_result {
	uint32_t index; /* position in scenario->expects */
	uint32_t line;	/* scenario line, 0 if unknown */
	enum hs_expect_kind kind;
	char description[HS_TEXT_MAX *
			 2]; /* "node2 standby->active within [900, 1600] ms after 'cut'" */
	bool passed;
	bool skipped;			    /* judged nothing; passed is false, message says why */
	char message[HS_CHECK_MESSAGE_MAX]; /* "ok", or the failure as one sentence */
	/* The time the expectation is about, for timeline.html: a transition's
	 * window, a quiet or never span, a count's span (relative to t0, scaled
	 * as judged; node "" = every node). has_window false when it has none
	 * or its anchor never happened. */
	bool has_window;
	int64_t window_start_ms, window_end_ms;
	char window_node[HS_NAME_MAX];
};

struct hs_check_alias {
	char alias[HS_NAME_MAX]; /* "@active" */
	char node[HS_NAME_MAX];	 /* "node1" */
};

struct hs_check_result {
	/* From run.json. */
	char scenario[HS_NAME_MAX];
	char scenario_path[HS_PATH_MAX];
	char topology[HS_NAME_MAX];
	char backend[HS_NAME_MAX];
	uint64_t seed;
	double time_scale;
	int64_t t0_mono_ms;
	bool formed;
	int64_t formed_ms;		/* relative to t0; valid when formed */
	int64_t ended_ms;		/* relative to t0 */
	int64_t t0_wall_ms;		/* wall clock of t0 (ms since 1970), 0 unknown */
	int64_t resolution_ms;		/* run.json's: how finely the client probes, 0 unknown */
	char hostname[HS_NAME_MAX * 2]; /* where the run ran */
	uint32_t alias_count;
	struct hs_check_alias aliases[HS_CHECK_ALIASES_MAX];
	uint32_t node_count;
	char nodes[HS_NODES_MAX][HS_NAME_MAX];

	/* The node implementation (run.json's node_adapter; capability.c):
	 * adapter "" = unknown (every capability, as hanode). A run that was
	 * not carried out because the scenario needs what the adapter lacks
	 * is skipped: skip_reason says why, passed stays false. */
	char node_adapter[HS_NAME_MAX];
	char node_profile[HS_NAME_MAX];
	uint32_t capabilities;
	/* run.json's "notify_hook": false: the backend's nodes notify nowhere
	 * the checker reads (libvirt guests), so notify_hook is not in
	 * capabilities whatever the adapter says. */
	bool backend_without_notify;
	bool skipped;
	char skip_reason[HS_TEXT_MAX * 2];

	/* The verdict. */
	bool passed;
	char final_display[HS_NODES_MAX][HS_NAME_MAX];	 /* display state at the end */
	struct hs_check_metric metrics[HS_METRIC_COUNT]; /* indexed by enum hs_metric */
	uint32_t expect_count;
	struct hs_check_expect_result expects[HS_EXPECTS_MAX];
	/* Every failed expectation, runner error and failed step, in order. */
	uint32_t failure_count;
	char failures[HS_CHECK_FAILURES_MAX][HS_CHECK_MESSAGE_MAX];
	uint32_t transition_count;
	bool transitions_truncated;
	struct hs_check_transition transitions[HS_CHECK_TRANSITIONS_MAX];
	/* Skipped lines and missing optional files; warning_total counts all,
	 * warnings keeps the first HS_CHECK_WARNINGS_MAX. */
	uint32_t warning_total;
	char warnings[HS_CHECK_WARNINGS_MAX][HS_TEXT_MAX];

	struct hs_timeline *timeline; /* owned; the HTML report draws it */
};

/* Judge run_dir against scenario. Returns 0 when the run was judged (the
 * verdict is result->passed) and -1 with a sentence in error when it could
 * not be (run.json missing or invalid, out of memory). result may be
 * uninitialised; release it with hs_check_result_release() either way. */
int hs_check_run(const struct hs_scenario *scenario, const char *run_dir,
		 struct hs_check_result *result, char *error, size_t error_size);
void hs_check_result_release(struct hs_check_result *result);

/* Write run_dir/result.json, run_dir/junit.xml and run_dir/timeline.html.
 * Returns 0, or -1 with a sentence naming the file in error. */
int hs_report_write(const struct hs_check_result *result, const char *run_dir, char *error,
		    size_t error_size);
int hs_report_json_write(const struct hs_check_result *result, const char *path, char *error,
			 size_t error_size);
int hs_report_junit_write(const struct hs_check_result *result, const char *path, char *error,
			  size_t error_size);
int hs_report_html_write(const struct hs_check_result *result, const char *path, char *error,
			 size_t error_size);

/* Names as they appear in scenarios and results ("failover_ms",
 * "single_active", "transition"); these do not need model.c. */
const char *hs_check_metric_name(enum hs_metric metric);
const char *hs_check_invariant_name(enum hs_invariant invariant);
const char *hs_check_expect_kind_name(enum hs_expect_kind kind);

/* "hasim run FILE --seed N --backend B": how to run this run again. */
void hs_check_reproducer(const struct hs_check_result *result, char *out, size_t out_size);
/* Expectations that failed / were skipped. */
uint32_t hs_check_failed_count(const struct hs_check_result *result);
uint32_t hs_check_skipped_count(const struct hs_check_result *result);

/* Record a warning (also used by the loaders in timeline.c). */
void hs_check_warn(struct hs_check_result *result, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
