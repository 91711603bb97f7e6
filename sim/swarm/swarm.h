/*
 * swarm.h - `hasim swarm`: seed -> random fault schedule -> run on the
 * virtual backend -> properties -> shrink (sim/swarm/README.md).
 *
 * A schedule is an ordinary scenario: steps anchored at `formed` with an
 * absolute delay each (so that removing one step never moves another),
 * a client writing throughout, a final phase that repairs whatever is
 * still broken and a quiet period in which liveness is judged. The
 * generator (generate.c) writes it as struct hs_swarm_schedule; yaml.c
 * turns it into scenario YAML, which is what runs (exec.c loads the text
 * with hs_scenario_load_buffer, runs it in this process on the virtual
 * backend, judges the run folder with the checker and then with the
 * properties of property.c). A failing schedule is shrunk (shrink.c) to a
 * smaller one that fails the same property; swarm.c is the command line,
 * the parallel workers and the summary.
 *
 * Every random choice comes from the schedule's seed: the same seed gives
 * the same YAML text, hence the same run and the same verdict.
 */
#ifndef HS_SWARM_H
#define HS_SWARM_CLIENT_RESOLUTION_MS 100 /* the schedules' client probes (yaml.c) */
#define HS_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct hs_check_result;

/* ----------------------------------------------------------- the PRNG */

/* splitmix64: tiny, seedable with any 64-bit value, good enough to pick
 * faults (not for keys). */
struct hs_swarm_rng {
	uint64_t state;
};

void hs_swarm_rng_seed(struct hs_swarm_rng *rng, uint64_t seed);
uint64_t hs_swarm_rng_next(struct hs_swarm_rng *rng);
/* Uniform in [0, bound) (bound >= 1). */
uint32_t hs_swarm_rng_below(struct hs_swarm_rng *rng, uint32_t bound);
/* Uniform in [low, high] (low <= high). */
uint32_t hs_swarm_rng_range(struct hs_swarm_rng *rng, uint32_t low, uint32_t high);

/* ------------------------------------------------------- fault kinds */

/* The kinds a seed may enable (swarm testing: each seed enables a random
 * subset, so that rare combinations get room). Each is one fault and its
 * repair, or one operator command. */
enum hs_swarm_kind {
	HS_SWARM_POWER = 0,   /* power_off a node's outlet ... power_on */
	HS_SWARM_PDU,	      /* power_off a power domain (node + switch) ... power_on */
	HS_SWARM_PULL,	      /* pull a port ... plug */
	HS_SWARM_IMPAIR,      /* impair a port (loss, latency, jitter, duplicate) ... heal */
	HS_SWARM_PARTITION,   /* partition external|sync|all, maybe one-way ... heal */
	HS_SWARM_SWITCH,      /* switch_fail ... switch_restore */
	HS_SWARM_RAID,	      /* raid_fail ... raid_restore */
	HS_SWARM_CRASH,	      /* crash ... restart */
	HS_SWARM_MAINTENANCE, /* maintenance_on ... maintenance_off */
	HS_SWARM_SWITCHOVER,  /* switchover (one command) */
	HS_SWARM_DISCONNECT,  /* disconnect ... reconnect */
	HS_SWARM_FIRMWARE, /* firmware_update to another 2.3.x (now and then 2.4.0, back later) */
	HS_SWARM_CLIENT,   /* client_stop ... client_start */
	HS_SWARM_DISBAND,  /* disband (for good) */
	HS_SWARM_KIND_COUNT
};

const char *hs_swarm_kind_name(enum hs_swarm_kind kind);

/* ---------------------------------------------------------- schedules */

#define HS_SWARM_TOPOLOGY_MAX HS_PATH_MAX
/* Bounds of a generated schedule (virtual ms after `formed`). */
#define HS_SWARM_FAULTS_START_MS 2000
#define HS_SWARM_EPISODES_MAX	 10
#define HS_SWARM_COMMENT_MAX	 2048

struct hs_swarm_options {
	char topology[HS_SWARM_TOPOLOGY_MAX]; /* as the YAML writes it: a name or a path */
	char topology_dir[HS_PATH_MAX];	      /* where a bare name is looked up */
	char tiebreaker[HS_NAME_MAX];	      /* "" = the topology's */
	uint32_t duration_ms;		      /* of a schedule, about (default 60000) */
};

struct hs_swarm_schedule {
	uint64_t seed;
	uint32_t kinds; /* bit per enum hs_swarm_kind */
	char name[HS_NAME_MAX];
	char topology[HS_SWARM_TOPOLOGY_MAX];
	char tiebreaker[HS_NAME_MAX];
	uint32_t rate_per_s;
	uint32_t settle_ms;
	uint32_t timeout_ms;
	uint32_t step_count;
	struct hs_step steps[HS_STEPS_MAX]; /* when: after formed, delay_ms absolute */
	uint32_t expect_count;
	struct hs_expect expects[8];
	char comment[HS_SWARM_COMMENT_MAX]; /* opening comment lines, without '#' */
};

/* generate.c: the schedule of one seed over topology (loaded, with the
 * tie-breaker of options applied). */
void hs_swarm_generate(uint64_t seed, const struct hs_topology *topology,
		       const struct hs_swarm_options *options, struct hs_swarm_schedule *schedule);
/* The schedule's opening comment (origin, kinds, quiet period), again
 * after a shrink. */
void hs_swarm_comment(struct hs_swarm_schedule *schedule, bool shrunk);
/* The liveness bound of SPEC's timers (property.c explains the sum). */
uint32_t hs_swarm_liveness_bound_ms(const struct hs_timers_model *timers);

/* yaml.c: the schedule as a scenario file. Returns the length written, or
 * -1 if it does not fit in size bytes. */
int hs_swarm_yaml_write(const struct hs_swarm_schedule *schedule, char *text, size_t size);

/* ---------------------------------------------------------- properties */

/* The property table (property.c; rendered in sim/swarm/README.md). */
enum hs_swarm_property {
	HS_SWARM_PROP_SINGLE_ACTIVE = 0,       /* fence, ping: never two active */
	HS_SWARM_PROP_SINGLE_ACTIVE_CONNECTED, /* none: two active only while cut */
	HS_SWARM_PROP_NO_SILENT_LOSS,	       /* lost writes were reported */
	HS_SWARM_PROP_CLUSTER_IP,	       /* at most one holder, the active */
	HS_SWARM_PROP_LIVENESS,		       /* an active once everything healed */
	HS_SWARM_PROP_CLIENT_SERVED,	       /* ... that the client reaches at the cluster IP */
	HS_SWARM_PROP_NO_STUCK_STATE,	       /* no starting/fault/isolated/outdated after heal */
	HS_SWARM_PROP_TIME_ADVANCES,	       /* the virtual loop never stalls */
	HS_SWARM_PROP_RUN_COMPLETES,	       /* no node ends by itself, no queue overflows */
	HS_SWARM_PROPERTY_COUNT
};

struct hs_swarm_property_info {
	const char *name;
	const char *tiebreakers; /* "fence ping", "none", "all" */
	const char *spec;	 /* the SPEC line it stands on */
	const char *rule;	 /* what is checked, one sentence */
	const char *yaml;	 /* how a reproducer states it */
};

const struct hs_swarm_property_info *hs_swarm_property_info(enum hs_swarm_property property);
/* By name; -1 if unknown. */
int hs_swarm_property_find(const char *name);

#define HS_SWARM_MESSAGE_MAX 512

struct hs_swarm_violation {
	bool violated;
	int64_t t_ms; /* when, relative to t0 */
	char message[HS_SWARM_MESSAGE_MAX];
	/* How a reproducer states it (property.c fills what its rendering
	 * needs): a time window after a step, a node and the state it
	 * should have ended in. */
	char anchor[HS_NAME_MAX];
	uint32_t within_min_ms, within_max_ms;
	char node[HS_NAME_MAX];
	char state[HS_NAME_MAX];
};

/* What swarm reads of a run folder beside the checker's timeline:
 * final.json's node statuses and run.json's runner errors. */
struct hs_swarm_final_node {
	bool known;
	bool reachable;
	bool holds_cluster_ip;
	bool outdated;
	bool role_active; /* the role under the display (a disconnected active serves) */
	char display[HS_NAME_MAX];
};

#define HS_SWARM_RUNNER_ERRORS_MAX 8

struct hs_swarm_facts {
	struct hs_swarm_final_node final[HS_NODES_MAX];
	uint32_t runner_error_count;
	char runner_errors[HS_SWARM_RUNNER_ERRORS_MAX][256];
};

/* The test switch of the planted failure: property fails whenever a step
 * of action was carried out (HALAB_SWARM_PLANT=PROPERTY:ACTION). */
struct hs_swarm_plant {
	int property; /* -1: nothing planted */
	enum hs_action action;
};

struct hs_swarm_verdict {
	bool judged; /* the run folder could be read */
	struct hs_swarm_violation violations[HS_SWARM_PROPERTY_COUNT];
	uint32_t violated_count;
	uint32_t steps_failed; /* steps that failed (a refused command): not a violation */
	uint64_t failed_steps; /* bit per scenario step index */
	bool checker_passed;   /* the checker's verdict on the scenario's own expectations */
	int64_t healed_ms;     /* when the last fault was repaired (-1: never) */
	int64_t ended_ms;
	char first_step_error[HS_SWARM_MESSAGE_MAX];
};

/* property.c: judge a run's result (hs_check_run done, timeline kept)
 * and its facts against every property; plant may be NULL. */
void hs_swarm_properties_judge(const struct hs_scenario *scenario,
			       const struct hs_check_result *result,
			       const struct hs_swarm_facts *facts,
			       const struct hs_swarm_plant *plant,
			       struct hs_swarm_verdict *verdict);
/* "liveness:power_off" -> plant; -1 if either part is unknown. */
int hs_swarm_plant_parse(const char *text, struct hs_swarm_plant *plant);
/* The first violated property, or -1. */
int hs_swarm_verdict_first(const struct hs_swarm_verdict *verdict);
/* The expectations a reproducer of property carries (into schedule). */
void hs_swarm_property_expects(enum hs_swarm_property property,
			       const struct hs_swarm_schedule *schedule,
			       const struct hs_swarm_verdict *verdict,
			       struct hs_swarm_schedule *out);

/* ----------------------------------------------------------- one run */

struct hs_swarm_runner; /* exec.c: reusable memory for runs in one process */

struct hs_swarm_runner *hs_swarm_runner_new(const char *work_dir,
					    const struct hs_swarm_plant *plant);
void hs_swarm_runner_free(struct hs_swarm_runner *runner);
/* Run the scenario text (named path in messages) with the virtual backend
 * and seed, judge it. keep_dir: the run folder stays (with its reports)
 * there instead of the runner's scratch folder. -1 with a sentence in
 * error when the text does not load or the run cannot be judged. */
int hs_swarm_run_text(struct hs_swarm_runner *runner, const char *path, const char *text,
		      size_t length, const char *topology_dir, uint64_t seed, const char *keep_dir,
		      struct hs_swarm_verdict *verdict, char *error, size_t error_size);
/* Generate, write and run one schedule. */
int hs_swarm_run_schedule(struct hs_swarm_runner *runner, const struct hs_swarm_schedule *schedule,
			  const char *topology_dir, struct hs_swarm_verdict *verdict, char *error,
			  size_t error_size);
/* Runs and virtual ms done by this runner (for the summary). */
uint64_t hs_swarm_runner_runs(const struct hs_swarm_runner *runner);

/* ------------------------------------------------------------- shrink */

struct hs_swarm_shrink_stats {
	uint32_t runs;
	uint32_t steps_before, steps_after;
	bool budget_exhausted;
};

/* Shrink schedule (which fails property) in place to a smaller schedule
 * that still fails property with the same seed: delta debugging over the
 * steps, then each delay towards its predecessor, then each impairment
 * value towards zero. At most max_runs runs. */
int hs_swarm_shrink(struct hs_swarm_runner *runner, struct hs_swarm_schedule *schedule,
		    enum hs_swarm_property property, const char *topology_dir, uint32_t max_runs,
		    struct hs_swarm_shrink_stats *stats);

/* ------------------------------------------------------- the command */

/* `hasim swarm` (argv after "swarm"), and its usage (after "usage: hasim "),
 * which hasim's own usage table shows too. */
int hs_swarm_main(int argc, char **argv);
#define HS_SWARM_USAGE                                                                             \
	"swarm [--topology T] [--tiebreaker none|ping|fence] [--count N | --minutes M]\n"          \
	"            [--seed S] [--jobs J] [--out DIR] [--topology-dir DIR] [--shrink-runs N]\n"   \
	"            [--properties]\n"                                                             \
	"    random fault schedules on the virtual backend, judged by the properties of\n"         \
	"    sim/swarm/README.md; failing ones are written as scenarios and shrunk.\n"             \
	"    Schedule i has seed S+i (default S: random, printed); --count N (default 100)\n"      \
	"    or --minutes M; --jobs J worker processes (default 1, at most 64); --out DIR\n"       \
	"    (default reports/swarm-<time>); --shrink-runs N runs per shrink (default 400,\n"      \
	"    0: no shrink); --properties prints the property table. Exit 0 nothing\n"              \
	"    violated, 1 a property violated, 2 bad usage, 3 could not run.\n"

#endif
