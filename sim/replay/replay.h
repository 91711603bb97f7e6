/*
 * replay.h - hasim replay: two nodes' cluster logs from the field -> the
 * incident they tell -> an ordinary scenario that stages it again.
 *
 * The pipeline, one file per step:
 *   logread.c   read each log line by line (bounded), through a node
 *               adapter, into records; note what cannot be read (a torn
 *               line, a record of another node, a log that begins
 *               mid-incident, records missing between two transitions)
 *   adapter_hanode.c  the hanode adapter: its JSON lines into records, and
 *               what each record's reason means (enum hs_replay_cause).
 *               Another stack's log (keepalived, Pacemaker) gets its own
 *               adapter filling the same records; nothing after this step
 *               knows which stack wrote them
 *   clock.c     one timeline: each node's boots joined by its wall clock,
 *               then the offset between the two nodes estimated from
 *               records that pair across them (a hand-over and the peer's
 *               take-over, a "peer X seen" and X's start, matching sync
 *               sequence numbers), with its evidence
 *   infer.c, infer_links.c  the faults and commands that explain the
 *               records, as steps with their evidence; the topology and
 *               its overrides; what stays unexplained
 *   write.c     the scenario: a header comment with every inference and
 *               its evidence (FILE:LINE), steps, and as expectations the
 *               transitions the field saw
 *   diverge.c   --run: run it (hasim run as a child) and print where the
 *               run's transitions leave the field's, first divergence first
 *   command.c   the command line
 * Like the matrix and swarm, replay only produces scenarios and reads run
 * folders: it never reaches into a backend.
 */
#ifndef HS_REPLAY_H
#define HS_REPLAY_H

#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HS_REPLAY_USAGE                                                                            \
	"replay NODE1.log NODE2.log [--topology T] [--out FILE] [--run] [--backend B]\n"           \
	"           [--topology-dir DIR] [--run-dir DIR]\n"                                        \
	"    reconstruct a field incident from two nodes' cluster logs and write it as a\n"        \
	"    scenario (stdout, or --out FILE): the faults and commands that explain the\n"         \
	"    records, the clock offset between the logs and its evidence, and as\n"                \
	"    expectations the transitions the field saw. --topology T: the topology to stage\n"    \
	"    it on (default: rack1-pair, or its -fence/-none copy as the logs show); --run:\n"     \
	"    run it at once (--backend, default virtual when hasim has it, else native;\n"         \
	"    --run-dir DIR: its run folder) and print where the run diverges from the field\n"     \
	"    log, first divergence first. Exit 0 written (and reproduced), 1 the run\n"            \
	"    diverged, 2 bad input, 3 could not run\n"

/* hasim replay ARGS (argv[0] is "replay"); returns the exit status. */
int hs_replay_command(int argc, char **argv);

/* ------------------------------------------------------------- records */

#define HS_REPLAY_LOGS	       2
#define HS_REPLAY_RECORDS_MAX  20000 /* per log: a day of a busy cluster's transitions */
#define HS_REPLAY_LINE_MAX     16384
#define HS_REPLAY_NOTES_MAX    64
#define HS_REPLAY_BOOTS_MAX    64
#define HS_REPLAY_STEPS_MAX    48 /* below HS_STEPS_MAX: room for what write.c adds */
#define HS_REPLAY_EVIDENCE_MAX 4
#define HS_REPLAY_PAIRS_MAX    32
#define HS_REPLAY_HEARTBEAT_MS 200 /* SPEC's default, until the logs say otherwise */

/* What a record means, whatever stack wrote it. The adapter classifies;
 * infer.c acts on the class and the parameters the adapter extracted. */
enum hs_replay_cause {
	HS_CAUSE_UNKNOWN = 0,
	HS_CAUSE_START,		   /* the node's daemon starts; number: wait for the peer (ms) */
	HS_CAUSE_STOP,		   /* the daemon stopped (a signal, the operator) */
	HS_CAUSE_PEER_SEEN,	   /* starting -> X: the peer appeared (peer, peer_state) */
	HS_CAUSE_ELECTED,	   /* standby -> active by the election of two standbys */
	HS_CAUSE_ALONE,		   /* starting -> X: the peer not seen within number ms */
	HS_CAUSE_PEER_SILENT,	   /* takes over: peer silent on every link for number ms */
	HS_CAUSE_PEER_UNAVAILABLE, /* takes over: the peer is in peer_state (maintenance...) */
	HS_CAUSE_PEER_YIELDS,	   /* takes over: the peer handed over (switchover) */
	HS_CAUSE_RAID_FAILED,
	HS_CAUSE_SERVICES_FAILED,
	HS_CAUSE_NETWORK_FAILED, /* no ping target reachable (number of total) */
	HS_CAUSE_CHECKS_PASS,	 /* a failed local check passes again */
	HS_CAUSE_CARRIER_DOWN,	 /* link: "external" or "sync" */
	HS_CAUSE_CARRIER_UP,
	HS_CAUSE_MAINTENANCE_ON, /* the transition of the command */
	HS_CAUSE_MAINTENANCE_OFF,
	HS_CAUSE_SWITCHOVER,
	HS_CAUSE_DISCONNECT,
	HS_CAUSE_PEER_DISCONNECT,
	HS_CAUSE_RECONNECT,
	HS_CAUSE_PEER_RECONNECT,
	HS_CAUSE_DISBAND,
	HS_CAUSE_PEER_DISBAND,
	HS_CAUSE_FORCE_START,
	HS_CAUSE_ADMIN,		   /* the answer to an operator's command (admin: the command) */
	HS_CAUSE_SYNC_LOST,	   /* link: "sync" (sync link silent) or "all" (peer silent) */
	HS_CAUSE_SYNC_RESUMED,	   /* resync, outdated by newer data, in sync: the peer heard */
	HS_CAUSE_SPLIT_BRAIN,	   /* this node lost a split brain; lost_writes */
	HS_CAUSE_SPLIT_RESOLVED,   /* this node won one */
	HS_CAUSE_REFUSED_FIRMWARE, /* versions[0] this node's, versions[1] the peer's */
	HS_CAUSE_REFUSED_MODEL,	   /* the same with models */
	HS_CAUSE_REFUSED_OTHER,
	HS_CAUSE_FENCING, /* fencing the peer */
	HS_CAUSE_FENCED,
	HS_CAUSE_FENCE_FAILED,
	HS_CAUSE_INFO, /* understood, explains nothing (ignored events, notices) */
	HS_CAUSE_COUNT
};

struct hs_replay_record {
	uint32_t log;		  /* 0 or 1: which file */
	uint32_t line;		  /* 1-based line in that file */
	int64_t mono_ms, wall_ms; /* as logged; wall 0 = absent */
	int64_t t_ms;		  /* on the incident's timeline (clock.c); ms */
	uint32_t boot;		  /* the node's boot (0 = the first in the log) */
	char node[HS_NAME_MAX];	  /* as logged */
	char event[HS_NAME_MAX];
	char from[HS_NAME_MAX], to[HS_NAME_MAX];
	char reason[HS_TEXT_MAX];
	int64_t lost_writes;
	/* The adapter's reading of the reason. */
	enum hs_replay_cause cause;
	char peer[HS_NAME_MAX];
	char peer_state[HS_NAME_MAX];
	char link[HS_NAME_MAX];
	char admin[HS_NAME_MAX]; /* ADMIN: the command ("maintenance on") */
	char versions[2][HS_NAME_MAX];
	int64_t number;	 /* ms or a count, by cause */
	int64_t seq;	 /* sync records: the sequence number, -1 absent */
	bool teardown;	 /* part of the daemon's stop at the end of the log */
	bool explained;	 /* infer.c: an inference accounts for it */
	bool transition; /* a role or state change (from != to) */
};

/* A line the reader could not use, or a remark about the log as a whole,
 * with the line it is about (0: the file). */
struct hs_replay_note {
	uint32_t log;
	uint32_t line;
	char text[HS_TEXT_MAX];
};

struct hs_replay_adapter;

struct hs_replay_log {
	char path[HS_PATH_MAX];
	char name[HS_PATH_MAX]; /* the path as given, for FILE:LINE */
	const struct hs_replay_adapter *adapter;
	char node[HS_NAME_MAX]; /* the node the log is of */
	uint32_t line_count;
	uint32_t record_count;
	struct hs_replay_record *records; /* in file order */
	uint32_t boot_count;
	bool begins_mid_incident; /* its first record is not a start */
};

/* ------------------------------------------------------------- adapters */

/* A node adapter: how one stack's cluster log reads. probe says whether a
 * line looks like this stack's; parse fills a record from one line (-1
 * with the reason in why when the line is not a record of this stack);
 * classify sets the cause and its parameters from the record's text. */
struct hs_replay_adapter {
	const char *name;
	bool (*probe)(const char *line, size_t length);
	int (*parse)(const char *line, size_t length, struct hs_replay_record *record, char *why,
		     size_t why_size);
	void (*classify)(struct hs_replay_record *record);
};

extern const struct hs_replay_adapter hs_replay_adapter_hanode;

/* The adapter that recognises line, or NULL. */
const struct hs_replay_adapter *hs_replay_adapter_find(const char *line, size_t length);
const char *hs_replay_cause_name(enum hs_replay_cause cause);

/* ------------------------------------------------------------- incident */

/* A pair of records across the logs that bounds the clock offset. */
struct hs_replay_pair {
	uint32_t cause_log, cause_index, effect_log, effect_index;
	int64_t min_ms, max_ms; /* the effect follows the cause by this much */
	char what[64];		/* "hand-over -> take-over" */
};

/* One piece of evidence: a record (log, index) and why it counts. */
struct hs_replay_evidence {
	uint32_t log;
	uint32_t index;
};

/* A step the replay stages, on the incident's timeline. */
struct hs_replay_step {
	int64_t t_ms;
	enum hs_action action;
	char node[HS_NAME_MAX];	   /* the log's node name (write.c maps it) */
	char ports[HS_NAME_MAX];   /* PULL/PLUG/IMPAIR: "external" or "sync" (the bond's ports) */
	char network[HS_NAME_MAX]; /* PARTITION: all | sync | external */
	char version[HS_NAME_MAX]; /* FIRMWARE_UPDATE */
	int64_t uncertainty_ms;	   /* how far the true moment may lie from t_ms */
	int64_t settle_ms;	   /* what follows it may come this much later (a boot) */
	char why[HS_TEXT_MAX];	   /* one sentence for the header */
	uint32_t evidence_count;
	struct hs_replay_evidence evidence[HS_REPLAY_EVIDENCE_MAX];
	char name[HS_NAME_MAX]; /* write.c */
};

struct hs_replay_incident {
	struct hs_replay_log logs[HS_REPLAY_LOGS];
	uint32_t note_count, note_total;
	struct hs_replay_note notes[HS_REPLAY_NOTES_MAX];

	/* clock.c: node 1's clock = node 0's + offset_ms (± offset_error_ms). */
	int64_t offset_ms, offset_error_ms;
	bool offset_from_pairs; /* else the wall clocks are taken as synchronized */
	bool offset_conflict;	/* the pairs disagree: offset is their median */
	uint32_t pair_count;
	struct hs_replay_pair pairs[HS_REPLAY_PAIRS_MAX];
	int64_t up_ms;	   /* the first start (or the first record) */
	bool formed;	   /* one node active, the other standby, at some time */
	int64_t formed_ms; /* when */
	int64_t end_ms;	   /* the last record that is not the daemons' stop */
	bool dual_active;  /* both nodes active at once at some time */

	/* infer.c */
	char tiebreaker[HS_NAME_MAX];
	bool no_ping_targets; /* a carrier hand-over: hanode has it only without targets */
	uint32_t dead_time_ms, heartbeat_ms, wait_for_peer_ms, health_interval_ms;
	bool timers_seen[2]; /* dead time, wait for the peer: from the logs */
	char firmware[HS_REPLAY_LOGS][HS_NAME_MAX];
	char model[HS_REPLAY_LOGS][HS_NAME_MAX];
	bool client;	     /* the logs show replicated writes */
	int64_t highest_seq; /* the highest sequence number seen */
	uint32_t step_count;
	struct hs_replay_step steps[HS_REPLAY_STEPS_MAX];
	/* The node that was active when the cluster formed (0/1), -1 none. */
	int formed_active;
	char final_state[HS_REPLAY_LOGS][HS_NAME_MAX];
};

/* logread.c: read both logs into incident (records, notes). -1 with a
 * FILE:LINE: sentence in error when a log cannot be replayed at all (a
 * missing or empty file, no record a known adapter reads, two logs of one
 * node, logs of two clusters). */
int hs_replay_read(struct hs_replay_incident *incident, const char *paths[HS_REPLAY_LOGS],
		   char *error, size_t error_size);
void hs_replay_free(struct hs_replay_incident *incident);
void hs_replay_note(struct hs_replay_incident *incident, uint32_t log, uint32_t line,
		    const char *format, ...) __attribute__((format(printf, 4, 5)));

/* clock.c: every record's t_ms on one timeline, the offset and its
 * evidence, up, formed and end. */
void hs_replay_clock(struct hs_replay_incident *incident);

/* infer.c: steps, topology choices, final states; marks what it explains. */
void hs_replay_infer(struct hs_replay_incident *incident);
/* infer_links.c: the faults of links and nodes (silence, carrier, sync). */
void hs_replay_infer_links(struct hs_replay_incident *incident);
/* Add a step (infer.c); NULL when the list is full (noted). */
struct hs_replay_step *hs_replay_step_add(struct hs_replay_incident *incident, int64_t t_ms,
					  enum hs_action action, uint32_t log);
void hs_replay_step_evidence(struct hs_replay_step *step, uint32_t log, uint32_t index);

/* Shortcuts over the records. */
struct hs_replay_record *hs_replay_record_at(struct hs_replay_incident *incident, uint32_t log,
					     uint32_t index);
/* "node1.log:14" */
void hs_replay_where(const struct hs_replay_incident *incident, uint32_t log, uint32_t index,
		     char *out, size_t out_size);

/* write.c: the scenario text. topology is the one chosen (loaded: its node
 * names and ports); topology_ref as the scenario writes it. */
int hs_replay_write(const struct hs_replay_incident *incident, const struct hs_topology *topology,
		    const char *topology_ref, FILE *out, char *error, size_t error_size);
/* -1 with a FILE:LINE: sentence when the incident is longer than a
 * scenario can stage (HS_REPLAY_SPAN_MAX_MS from the first start: the
 * limit of a step's delay and of a run's timeout). */
#define HS_REPLAY_SPAN_MAX_MS 3600000
int hs_replay_span_check(const struct hs_replay_incident *incident, char *error, size_t error_size);
/* The topology node a log's node is staged as. */
const char *hs_replay_node_name(const struct hs_replay_incident *incident,
				const struct hs_topology *topology, uint32_t log);

/* diverge.c: compare the field's transitions with a run folder's; print the
 * divergences (first first) to out. Returns the number of divergences, or
 * -1 with error when the run folder cannot be read. */
int hs_replay_diverge(const struct hs_replay_incident *incident, const struct hs_topology *topology,
		      const char *run_dir, FILE *out, char *error, size_t error_size);

#endif
