/*
 * model.h - topologies and scenarios as validated structs.
 *
 * hasim reads two kinds of YAML file (documented with examples in
 * topologies/README.md and scenarios/README.md): a topology (nodes, their
 * ports and bonds, switches, power domains, the cluster's IP, ping targets,
 * tie-breaker and timers) and a scenario (a topology, a timeline of steps,
 * a client workload, and expectations). model.c parses them with libyaml
 * into the structs below and validates every field; an error names the
 * file, the line and the field ("scenarios/x.yaml:12: steps[2].port:
 * unknown port 'node3.LAN1'"). Nothing here knows about backends, the
 * fabric or the checker: they all read these structs.
 *
 * Sizes are bounded (fixed arrays), so a model is one plain value that can
 * be copied, compared and freed by doing nothing.
 */
#ifndef HS_MODEL_H
#define HS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_NAME_MAX	    32
#define HS_TEXT_MAX	    256
#define HS_PATH_MAX	    512
#define HS_ADDRESS_MAX	    48 /* "192.0.2.11/24" */
#define HS_NODES_MAX	    2
#define HS_PORTS_MAX	    4 /* LAN1..LAN4 */
#define HS_SWITCHES_MAX	    8
#define HS_SWITCH_LINKS_MAX 8
#define HS_POWER_MAX	    8
#define HS_FEEDS_MAX	    8
#define HS_PING_TARGETS_MAX 4
#define HS_STEPS_MAX	    64
#define HS_RAID_DISKS	    2 /* the members of a node's RAID1: disk 0 (vda), disk 1 (vdb) */
#define HS_EXPECTS_MAX	    64
#define HS_ERROR_MAX	    512

/* Limits of every file the loaders read (yaml_read.c), whatever it holds;
 * each field has its own, smaller limits on top (a name is < HS_NAME_MAX
 * bytes, steps are 0..HS_STEPS_MAX). Documented in scenarios/README.md. */
#define HS_FILE_BYTES_MAX  262144 /* 256 KiB */
#define HS_YAML_DEPTH_MAX  16	  /* nested lists and mappings */
#define HS_YAML_ITEMS_MAX  256	  /* items of one list, keys of one mapping */
#define HS_YAML_NODES_MAX  16384  /* scalars, lists and mappings of a file */
#define HS_YAML_SCALAR_MAX 1024	  /* bytes of one value or key */

/* ------------------------------------------------------------- topology */

enum hs_network { HS_NETWORK_EXTERNAL = 0, HS_NETWORK_SYNC = 1, HS_NETWORK_COUNT };

struct hs_port {
	char name[HS_NAME_MAX]; /* "LAN1" */
	char switch_name[HS_NAME_MAX];
	bool used;
};

/* A node's interface on one network: an address and the ports bonded
 * under it (one port: no bond). */
struct hs_interface {
	char address[HS_ADDRESS_MAX]; /* CIDR */
	uint32_t port_count;
	char ports[2][HS_NAME_MAX]; /* "LAN1", "LAN2" */
};

struct hs_node_model {
	char name[HS_NAME_MAX];
	uint32_t id;
	char model[HS_NAME_MAX];    /* rack1 | rack4 | virt1 */
	char firmware[HS_NAME_MAX]; /* "2.3.1" */
	uint32_t cpu_count;
	uint32_t memory_mb;
	uint32_t disk_gb;
	char fence[HS_NAME_MAX]; /* power domain whose outlet fences this node */
	struct hs_interface interfaces[HS_NETWORK_COUNT];
	struct hs_port ports[HS_PORTS_MAX];
	uint32_t line;		/* where it was defined, for later messages */
	uint32_t override_line; /* a scenario's overrides.nodes.NAME, 0 = none */
};

enum hs_switch_kind { HS_SWITCH_SWITCH = 0, HS_SWITCH_DIRECT /* passive cable, no power */ };

struct hs_switch_model {
	char name[HS_NAME_MAX];
	enum hs_switch_kind kind;
	uint32_t line;
};

struct hs_power_model {
	char name[HS_NAME_MAX];
	uint32_t feed_count;
	char feeds[HS_FEEDS_MAX][HS_NAME_MAX]; /* node and switch names */
	uint32_t line;
};

struct hs_timers_model {
	uint32_t heartbeat_interval_ms;
	uint32_t dead_time_ms;
	uint32_t wait_for_peer_ms;
	uint32_t fence_delay_ms;
	uint32_t health_interval_ms;
};

struct hs_topology {
	char path[HS_PATH_MAX];
	char name[HS_NAME_MAX];
	char description[HS_TEXT_MAX];
	char cluster_ip[HS_ADDRESS_MAX]; /* CIDR */
	char tiebreaker[HS_NAME_MAX];	 /* none | ping | fence */
	uint32_t ping_target_count;
	char ping_targets[HS_PING_TARGETS_MAX][HS_ADDRESS_MAX];
	struct hs_timers_model timers;
	char uplink_switch[HS_NAME_MAX]; /* where libslirp's gateway plugs in; "" = none */
	char gateway[HS_ADDRESS_MAX];
	uint32_t node_count;
	struct hs_node_model nodes[HS_NODES_MAX];
	uint32_t switch_count;
	struct hs_switch_model switches[HS_SWITCHES_MAX];
	uint32_t switch_link_count;
	char switch_links[HS_SWITCH_LINKS_MAX][2][HS_NAME_MAX];
	uint32_t power_count;
	struct hs_power_model power[HS_POWER_MAX];
	/* Lines in the file, for lint's messages (0 = absent). */
	uint32_t cluster_line, uplink_line;
	uint32_t switch_link_lines[HS_SWITCH_LINKS_MAX];
};

/* ------------------------------------------------------------- scenario */

enum hs_action {
	HS_ACTION_POWER_OFF = 1, /* target: node (its outlet) or pdu */
	HS_ACTION_POWER_ON,
	HS_ACTION_PULL, /* target: port "node1.LAN1" */
	HS_ACTION_PLUG,
	HS_ACTION_SWITCH_FAIL, /* target: switch */
	HS_ACTION_SWITCH_RESTORE,
	HS_ACTION_IMPAIR,    /* target: port; loss/delay/jitter/duplicate, direction */
	HS_ACTION_PARTITION, /* network (external|sync|all) between the two nodes, oneway? */
	HS_ACTION_HEAL,	     /* remove every partition and impairment */
	HS_ACTION_RAID_FAIL, /* target: node */
	HS_ACTION_RAID_RESTORE,
	HS_ACTION_CRASH,   /* SIGKILL the node's hanode */
	HS_ACTION_RESTART, /* start hanode again */
	HS_ACTION_MAINTENANCE_ON,
	HS_ACTION_MAINTENANCE_OFF,
	HS_ACTION_SWITCHOVER,
	HS_ACTION_DISCONNECT,
	HS_ACTION_RECONNECT,
	HS_ACTION_DISBAND,
	HS_ACTION_FIRMWARE_UPDATE, /* target: node; version */
	HS_ACTION_CLIENT_START,
	HS_ACTION_CLIENT_STOP,
	HS_ACTION_SERVICES_FAIL, /* target: node; its services check fails until restored */
	HS_ACTION_SERVICES_RESTORE,
	HS_ACTION_DISK_FAIL, /* target: node; disk: one member of its RAID1 (0 or 1) */
	HS_ACTION_DISK_RESTORE,
	HS_ACTION_COUNT
};

enum hs_direction { HS_DIRECTION_BOTH = 0, HS_DIRECTION_OUT, HS_DIRECTION_IN };

/* When a step fires: at_ms after the topology is up, or delay_ms after an
 * anchor ("up", "formed", or the name of an earlier step). */
struct hs_when {
	char anchor[HS_NAME_MAX]; /* "up" | "formed" | step name */
	uint32_t delay_ms;
};

struct hs_step {
	char name[HS_NAME_MAX]; /* unique; default "step<N>" */
	struct hs_when when;
	enum hs_action action;
	/* Target, by kind of action. Node names may be role aliases resolved
	 * when the cluster formed: "@active", "@standby". Ports are
	 * "<node>.<port>" with the same aliases: "@active.LAN1". */
	char target[HS_NAME_MAX * 2];
	/* POWER_OFF/ON: target is a power domain (written `pdu:`), not a node.
	 * It may be "@active"/"@standby", meaning the domain that feeds that
	 * node: resolve it with hs_scenario_resolve_power(). */
	bool target_power;
	char network[HS_NAME_MAX];   /* PARTITION: external | sync | all */
	bool oneway;		     /* PARTITION: first node -> second only */
	enum hs_direction direction; /* IMPAIR */
	uint32_t loss_pct, delay_ms, jitter_ms, duplicate_pct; /* IMPAIR */
	char version[HS_NAME_MAX];			       /* FIRMWARE_UPDATE */
	uint32_t disk; /* DISK_FAIL, DISK_RESTORE: 0 or 1 (HS_RAID_DISKS) */
	uint32_t line;
};

struct hs_client_model {
	bool enabled;
	uint32_t rate_per_s;	 /* PUTs per second through the cluster IP */
	uint32_t resolution_ms;	 /* a probe (GET) every resolution_ms: outage_ms's resolution */
	uint32_t timeout_ms;	 /* every request's deadline */
	char start[HS_NAME_MAX]; /* anchor: "formed" (default) */
};

enum hs_expect_kind {
	HS_EXPECT_TRANSITION = 1, /* node goes from -> to within a window after an anchor */
	HS_EXPECT_NO_TRANSITION,  /* node (or "any") does not change for for_ms after anchor */
	HS_EXPECT_FINAL,	  /* node's display state at the end */
	HS_EXPECT_LOG,		  /* a cluster-log record of event kind (with text) appears */
	HS_EXPECT_METRIC,	  /* metric within [min, max] */
	HS_EXPECT_INVARIANT,	  /* named invariant holds over the whole run */
	HS_EXPECT_ORDER,	  /* records (matches[]) happen in this order after the anchor */
	HS_EXPECT_COUNT,	  /* records like matches[0]: min..max of them after the anchor */
	HS_EXPECT_NEVER,	  /* node (or "any") is never in state `to` after the anchor */
	HS_EXPECT_COMPARE,	  /* left op right: metrics or integers */
	HS_EXPECT_NOTIFY,	  /* a notification (notify hook call) of event kind (with text) */
};

enum hs_metric {
	HS_METRIC_FAILOVER_MS = 1,	/* anchor step -> first transition to active after it */
	HS_METRIC_OUTAGE_MS,		/* longest gap in successful client requests */
	HS_METRIC_DUAL_ACTIVE_MS,	/* total time with two active nodes */
	HS_METRIC_LOST_WRITES,		/* acknowledged writes missing at the end */
	HS_METRIC_REPORTED_LOST_WRITES, /* sum of lost_writes in split_brain records */
	HS_METRIC_COUNT
};

enum hs_invariant {
	HS_INVARIANT_SINGLE_ACTIVE = 1, /* at most one active at any time */
	HS_INVARIANT_CLUSTER_IP_UNIQUE, /* at the end exactly one node holds the cluster IP */
	HS_INVARIANT_NO_LOST_WRITES,	/* every acknowledged write readable at the end */
	HS_INVARIANT_NO_SILENT_LOSS,	/* lost_writes <= reported_lost_writes */
	HS_INVARIANT_COUNT
};

/* A record a run leaves, for order and count: a node's cluster-log record
 * (event: "transition", "fence", ...) or a record of the runner's steps
 * (action: "power_off", ...; steps.jsonl), so that every step's record can
 * be asserted, also of actions added later, or a notification the node's
 * notify hook got (notify: "fault", ...; nodes/NODE/notify.jsonl). Exactly
 * one of event, action and notify is set; every other field narrows the
 * match ("" = any). */
#define HS_EXPECT_MATCHES_MAX 4
struct hs_record_match {
	char event[HS_NAME_MAX];  /* cluster-log event kind */
	char action[HS_NAME_MAX]; /* step action */
	char notify[HS_NAME_MAX]; /* notification event (the node's notify hook) */
	char node[HS_NAME_MAX];	  /* name, alias, or "any" */
	char from[HS_NAME_MAX];	  /* event transition only: display states */
	char to[HS_NAME_MAX];
	char text[HS_TEXT_MAX]; /* substring of the record's reason (a step's: "ACTION TARGET") */
};

enum hs_compare_op {
	HS_COMPARE_EQ = 1, /* == */
	HS_COMPARE_NE,	   /* != */
	HS_COMPARE_LT,	   /* < */
	HS_COMPARE_LE,	   /* <= */
	HS_COMPARE_GT,	   /* > */
	HS_COMPARE_GE,	   /* >= */
};

/* One side of a compare: a metric, or an integer when metric is 0. */
struct hs_compare_operand {
	enum hs_metric metric;
	int64_t value;
};

struct hs_expect {
	enum hs_expect_kind kind;
	char node[HS_NAME_MAX];		       /* name, alias, or "any" */
	char from[HS_NAME_MAX];		       /* display state; "" = any */
	char to[HS_NAME_MAX];		       /* TRANSITION, FINAL, NEVER: display state */
	char anchor[HS_NAME_MAX];	       /* "up" | "formed" | step name */
	uint32_t within_min_ms, within_max_ms; /* TRANSITION window after anchor */
	uint32_t for_ms;		       /* NO_TRANSITION; COUNT, NEVER: 0 = to the end */
	char log_event[HS_NAME_MAX];	       /* LOG, NOTIFY: event kind */
	char log_text[HS_TEXT_MAX]; /* LOG, NOTIFY: substring of the reason/text, "" = any */
	enum hs_metric metric;
	int64_t min, max; /* METRIC, COUNT bounds, inclusive; INT64_MIN/MAX = open */
	enum hs_invariant invariant;
	/* ORDER: 2..HS_EXPECT_MATCHES_MAX records in order; COUNT: one, with
	 * min/max as bounds of the count and for_ms the span (0 = to the end). */
	uint32_t match_count;
	struct hs_record_match matches[HS_EXPECT_MATCHES_MAX];
	/* COMPARE: as written ("lost_writes == reported_lost_writes"). */
	struct hs_compare_operand left, right;
	enum hs_compare_op compare_op;
	char compare_text[HS_TEXT_MAX];
	uint32_t line;
};

struct hs_scenario {
	char path[HS_PATH_MAX];
	char name[HS_NAME_MAX];
	char description[HS_TEXT_MAX];
	char topology_path[HS_PATH_MAX]; /* resolved path of the topology file */
	struct hs_topology topology;	 /* loaded, with overrides applied */
	uint32_t settle_ms;		 /* after the last step, before final checks */
	uint32_t timeout_ms;		 /* bound of the whole run */
	struct hs_client_model client;
	uint32_t step_count;
	struct hs_step steps[HS_STEPS_MAX];
	uint32_t expect_count;
	struct hs_expect expects[HS_EXPECTS_MAX];
	uint32_t overrides_line; /* line of `overrides`, 0 = none */
	/* --topology NAME|PATH that replaced the scenario's `topology:`; "" = none */
	char topology_override[HS_PATH_MAX];
	/* Why the topology does not meet the scenario's `requires:` (requires.c);
	 * "" = it does (or the scenario requires nothing). */
	char not_applicable[HS_TEXT_MAX];
};

/* What the loaders return when the file is sound but its `requires:` is
 * not met by the topology (scenario->not_applicable says why): `hasim
 * matrix` skips such a cell. Any other failure is -1. */
#define HS_LOAD_NOT_APPLICABLE (-2)

/* Whether a node of this model has a hardware RAID that its node checks
 * (the model table, refimpl/core/hn_models.h: a rack's two disks in RAID1,
 * not a virt1's one virtual disk); true for an unknown name. */
bool hs_model_has_raid(const char *model);

/* Load and validate. On error return -1 (HS_LOAD_NOT_APPLICABLE: a
 * scenario whose `requires:` the topology does not meet) and write "FILE:LINE: FIELD: reason"
 * into error. topology_dir is where a bare topology name is looked up. */
int hs_topology_load(const char *path, struct hs_topology *topology, char *error,
		     size_t error_size);
int hs_scenario_load(const char *path, const char *topology_dir, struct hs_scenario *scenario,
		     char *error, size_t error_size);

/* Where a scenario's topology comes from. A bare name (the scenario's
 * `topology: NAME`, or topology when it is a name) is looked up in the
 * scenario's folder/../topologies, then in each folder of search_path
 * (folders separated by ':'; NULL = none). topology (NULL or "" = the
 * scenario's own) replaces the scenario's `topology:`: a name, or a path
 * (it has a '/' or ends in ".yaml") relative to the current folder; the
 * scenario's overrides (tie-breaker, timers, nodes) still apply to it.
 * hs_scenario_load(path, dir, ...) is options {.search_path = dir}. */
struct hs_load_options {
	const char *search_path;
	const char *topology;
};
int hs_scenario_load_with(const char *path, const struct hs_load_options *options,
			  struct hs_scenario *scenario, char *error, size_t error_size);

/* The search path (search.c): hs_search_path_add appends folders (one, or
 * several separated by ':') to path; hs_search_path_defaults appends
 * $HALAB_TOPOLOGY_PATH and halab's shipped topologies folder. */
#define HS_SEARCH_PATH_MAX 4096
void hs_search_path_add(char *path, size_t size, const char *folders);
void hs_search_path_defaults(char *path, size_t size);

/* The same from memory: size bytes at data, named path in messages (and,
 * for a scenario, the folder a relative topology path starts from). */
int hs_topology_load_buffer(const char *path, const void *data, size_t size,
			    struct hs_topology *topology, char *error, size_t error_size);
int hs_scenario_load_buffer(const char *path, const void *data, size_t size,
			    const char *topology_dir, struct hs_scenario *scenario, char *error,
			    size_t error_size);

/* Whether path holds a scenario (it has topology, steps or expect at the
 * top) or a topology (cluster, switches or nodes), judged on the parsed
 * document. -1 with "FILE:LINE: FIELD: reason" when it cannot be read or
 * is neither. */
enum hs_file_kind { HS_FILE_UNKNOWN = 0, HS_FILE_TOPOLOGY, HS_FILE_SCENARIO };
int hs_model_file_kind(const char *path, enum hs_file_kind *kind, char *error, size_t error_size);

/* Lint: SPEC compatibility and single points of failure. Writes one line per
 * finding ("warning: ..."/"error: ...") to out; returns the number of errors
 * (warnings do not count). */
int hs_topology_lint(const struct hs_topology *topology, char *out, size_t out_size);

/* The same findings as values, for "FILE:LINE: FIELD: level: text"
 * (hasim lint): at most max into findings, *count of them; returns the
 * number of errors among all. path and line name the object in the
 * topology file (line 0 when unknown); compatibility marks the findings of
 * SPEC "Compatibility" (model pair, a virt1's size, firmware), which a
 * scenario may stage on purpose through its overrides. */
#define HS_LINT_FINDINGS_MAX 64
#define HS_LINT_FIELD_MAX    64
struct hs_lint_finding {
	bool error;
	bool compatibility;
	char path[HS_PATH_MAX];
	uint32_t line;
	char field[HS_LINT_FIELD_MAX];
	char text[HS_TEXT_MAX * 2];
};
int hs_topology_lint_findings(const struct hs_topology *topology, struct hs_lint_finding *findings,
			      uint32_t max, uint32_t *count);
/* A scenario's findings: those of its topology file as it is (path: the
 * topology file), then those its overrides add (path: the scenario, line
 * and field of its `overrides`). A compatibility error the overrides add
 * is what the scenario stages on purpose (incompatible-firmware): it is
 * reported as a warning saying so. Returns the number of errors, or -1
 * with a message in error when the topology file cannot be loaded. */
int hs_scenario_lint_findings(const struct hs_scenario *scenario, struct hs_lint_finding *findings,
			      uint32_t max, uint32_t *count, char *error, size_t error_size);

const char *hs_action_name(enum hs_action action);

/* Decimal digits only (no sign, spaces or prefix) of a value <= max, for
 * command-line numbers; false leaves *value alone (decimal.c). */
bool hs_decimal_parse(const char *text, uint64_t max, uint64_t *value);

/* The halab source tree this executable was built in (<tree>/build/.../NAME,
 * a tree with topologies/), for its shipped topologies and nodes; -1 when it
 * runs from elsewhere (search.c). */
int hs_source_tree(char *out, size_t size);
const char *hs_metric_name(enum hs_metric metric);
const char *hs_invariant_name(enum hs_invariant invariant);
const struct hs_node_model *hs_topology_node(const struct hs_topology *topology, const char *name);

/* Run-time resolution (names.c), for the runner and the checker.
 *
 * hs_scenario_resolve: a node reference ("node1", "@active", "@standby") or
 * a port reference ("node1.LAN1", "@active.LAN1") becomes the concrete name,
 * given the node that was active when the cluster formed (active_node; may
 * be NULL when the reference has no alias). Returns -1 if the node or the
 * port does not exist, or an alias is used without active_node. */
int hs_scenario_resolve(const struct hs_topology *topology, const char *reference,
			const char *active_node, char *out, size_t out_size);
/* hs_scenario_resolve_power: the target of a power_off/power_on with a
 * pdu: a power domain name stays as it is; "@active"/"@standby" (or a node
 * name) become the domain that feeds that node. -1 if there is none. */
int hs_scenario_resolve_power(const struct hs_topology *topology, const char *reference,
			      const char *active_node, char *out, size_t out_size);
/* Index of the step called name, or -1. */
int hs_scenario_step_index(const struct hs_scenario *scenario, const char *name);
/* When anchor ("up", "formed", or a step) happens: *base ("up" or
 * "formed", a static string) plus *offset_ms, summing the delays along
 * the chain of step anchors. Returns -1 for an unknown anchor. */
int hs_scenario_anchor_time(const struct hs_scenario *scenario, const char *anchor,
			    const char **base, uint64_t *offset_ms);

#endif
