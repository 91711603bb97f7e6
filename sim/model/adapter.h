/*
 * adapter.h - a node implementation as hasim drives it: nodes/<name>/adapter.yaml.
 *
 * An adapter says what binaries a node needs, which files hasim renders
 * for it from the topology (templates with {{variables}}, adapter.c lists
 * them), how to start it, how to stop it gracefully, which admin requests
 * it answers (hanode's control socket, or one command per request), an
 * optional service beside it (a store on the cluster IP for the client,
 * when the node has none), who writes its normalized cluster-log records,
 * and its capabilities. Scenarios need capabilities (derived from their
 * steps, topology and expectations, hs_adapter_scenario_gap and
 * hs_expect_needs): a scenario whose steps need what the adapter lacks is
 * skipped, an expectation that needs it is skipped with the reason.
 * nodes/README.md documents the format with examples.
 */
#ifndef HS_ADAPTER_H
#define HS_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define HS_ADAPTER_FILES_MAX	    8
#define HS_ADAPTER_BINARIES_MAX	    8
#define HS_ADAPTER_ADMIN_MAX	    16
#define HS_ADAPTER_PROFILES_MAX	    4
#define HS_ADAPTER_PROFILE_VARS_MAX 16
#define HS_ADAPTER_COMMAND_MAX	    1024

/* What a scenario may need of a node (bits). */
enum hs_capability {
	HS_CAP_REPLICATED_DATA = 1u << 0, /* the store survives a failover */
	HS_CAP_MAINTENANCE = 1u << 1,	  /* maintenance on/off */
	HS_CAP_SWITCHOVER = 1u << 2,	  /* an operator's switchover */
	HS_CAP_FENCING = 1u << 3,	  /* tie-breaker fence: powers the peer off */
	HS_CAP_PING_TIEBREAKER = 1u << 4, /* tie-breaker ping: the isolated side yields */
	HS_CAP_SYNC_LINK = 1u << 5,	  /* a second (sync) link besides the external one */
	HS_CAP_FIRMWARE = 1u << 6,	  /* firmware and model compatibility checks */
	HS_CAP_CLUSTER_ADMIN = 1u << 7,	  /* disconnect, reconnect, disband */
	HS_CAP_RAID_CHECK = 1u << 8,	  /* a failed RAID hands over */
	HS_CAP_SERVICES_CHECK = 1u << 9,  /* failing services hand over (services_fail) */
	HS_CAP_NOTIFY_HOOK = 1u << 10,	  /* notifications to the hook (nodes/NODE/notify.jsonl) */
};
#define HS_CAP_COUNT 11
#define HS_CAP_ALL   ((1u << HS_CAP_COUNT) - 1)

/* Where an adapter's node can run (`backends:`; bits). */
enum hs_adapter_backend {
	HS_ADAPTER_NATIVE = 1u << 0,
	HS_ADAPTER_LIBVIRT = 1u << 1,
	HS_ADAPTER_VIRTUAL = 1u << 2,
};

struct hs_adapter_file {
	char template_path[HS_PATH_MAX]; /* resolved: <adapter dir>/<template> */
	char name[HS_NAME_MAX * 2];	 /* rendered into <node state dir>/<name> */
	bool executable;
};

struct hs_adapter_admin {
	char request[HS_NAME_MAX * 2]; /* "status", "maintenance on", ... */
	char command[HS_ADAPTER_COMMAND_MAX];
};

struct hs_adapter_profile {
	char name[HS_NAME_MAX];
	uint32_t capabilities; /* added to the adapter's when chosen */
	uint32_t var_count;
	char var_names[HS_ADAPTER_PROFILE_VARS_MAX][HS_NAME_MAX];
	char var_values[HS_ADAPTER_PROFILE_VARS_MAX][HS_TEXT_MAX];
};

struct hs_adapter {
	char name[HS_NAME_MAX];
	char description[HS_TEXT_MAX];
	char dir[HS_PATH_MAX]; /* the folder of adapter.yaml */
	char path[HS_PATH_MAX];
	char install[HS_TEXT_MAX]; /* how to get the binaries, for messages */
	uint32_t binary_count;
	char binaries[HS_ADAPTER_BINARIES_MAX][HS_NAME_MAX];
	uint32_t file_count;
	struct hs_adapter_file files[HS_ADAPTER_FILES_MAX];
	char start[HS_ADAPTER_COMMAND_MAX];   /* run by /bin/sh in the node; the daemon */
	char service[HS_ADAPTER_COMMAND_MAX]; /* "" = none */
	int stop_signal;		      /* graceful stop (SIGTERM default) */
	bool control_socket;		      /* requests go to {{control_socket}} */
	uint32_t admin_count;
	struct hs_adapter_admin admin[HS_ADAPTER_ADMIN_MAX];
	char records[HS_NAME_MAX]; /* "node" | "notify" */
	uint32_t capabilities;	   /* enum hs_capability bits */
	uint32_t backends;	   /* enum hs_adapter_backend bits (default: native) */
	uint32_t profile_count;
	struct hs_adapter_profile profiles[HS_ADAPTER_PROFILES_MAX];
	const struct hs_adapter_profile *profile; /* the chosen one, NULL = none */
};

/* Load <nodes_dir>/<name>/adapter.yaml, or name itself when it holds a '/'
 * (a folder with adapter.yaml, or the file). profile: NULL or "" = the
 * first one listed (if any). Errors name FILE:LINE: FIELD. */
int hs_adapter_load(const char *nodes_dir, const char *name, const char *profile,
		    struct hs_adapter *adapter, char *error, size_t error_size);

/* Whether the adapter's node runs on the backend named ("native",
 * "libvirt", "virtual"). */
bool hs_adapter_runs_on(const struct hs_adapter *adapter, const char *backend);

/* Why the scenario is not run with this adapter on this backend, into
 * reason ("node adapter keepalived lacks switchover: step 'swap' (line 9)
 * is switchover", "node adapter pacemaker runs on the native backend only"):
 * true when it is not, false (reason "") when it runs. One text for
 * `hasim run` (exit 4) and `hasim matrix` (a skipped cell). */
bool hs_adapter_skip_reason(const struct hs_scenario *scenario, const struct hs_adapter *adapter,
			    const char *backend, char *reason, size_t reason_size);

/* The capability's name as written ("replicated_data"); NULL if not one bit. */
const char *hs_capability_name(uint32_t capability);
/* Comma-separated names of the bits in capabilities, into out. */
void hs_capability_list(uint32_t capabilities, char *out, size_t out_size);
/* A name's bit, 0 if unknown. */
uint32_t hs_capability_parse(const char *name);

/* What running the scenario needs that capabilities lack, by its topology
 * and steps: the first such capability (0 = none) and why, in reason
 * ("step 'maint' (line 14) is maintenance_on"). */
uint32_t hs_adapter_scenario_gap(const struct hs_scenario *scenario, uint32_t capabilities,
				 char *reason, size_t reason_size);
/* What judging one expectation needs (bits), 0 = nothing special. */
uint32_t hs_expect_needs(const struct hs_expect *expect);

/* Render a template text into out: {{name}} is the variable's value,
 * {{#name}}...{{/name}} is kept only when the variable is not empty.
 * lookup returns NULL for an unknown name (an error naming it and the
 * line). Returns 0, or -1 with "FILE:LINE: ..." in error. */
typedef const char *(*hs_template_lookup)(void *context, const char *name);
int hs_template_render(const char *path, const char *text, hs_template_lookup lookup, void *context,
		       char *out, size_t out_size, char *error, size_t error_size);

#endif
