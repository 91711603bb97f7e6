/*
 * run.c - the runner's loop: one scenario from bring-up to teardown.
 *
 * hs_run_execute builds the fabric from the topology (switches, trunks,
 * the libslirp uplink and its port forward to the cluster IP), asks the
 * backend to bring the nodes up, and then turns a single poll loop until
 * the scenario is over: fabric I/O, fence requests from the nodes, the
 * client workload, following the cluster logs and firing due steps. After
 * the last step and the settle time it reads back the client's writes,
 * asks every node for its final state and tears everything down: always,
 * also after an error or a signal (the caller's flag hs_run_stop_requested).
 *
 * Everything the run starts is recorded under <state root>/<run_id>/
 * (hs_state_root: /run/halab for root, $XDG_RUNTIME_DIR/halab for a user;
 * owner pid, started pids) so that `hasim gc` can clean up after a killed
 * hasim.
 *
 * A virtual-time backend (backend->virtual_time) runs the same way with
 * the virtual clock (clock.c) instead of poll(): it starts no process and
 * needs no state folder, no fence socket and no libslirp uplink (it brings
 * its own), and its cluster key comes from the seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../fabric/fabric.h"
#include "run.h"

#define RUN_POLL_FDS_MAX      192
#define RUN_OWN_FDS_MAX	      (1 + HS_FENCE_CLIENTS_MAX + HS_CLIENT_FDS_MAX + 16)
#define RUN_TICK_MS	      10 /* how often logs are followed */
#define RUN_VERIFY_TIMEOUT_MS 15000
#define RUN_FINAL_TIMEOUT_MS  10000 /* every node's status for final.json */
#define RUN_STORE_PORT	      7000
#define RUN_STALL_LOG_MS      (2 * RUN_TICK_MS) /* a longer stall is written down */

volatile sig_atomic_t hs_run_stop_requested;

int64_t hs_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC in µs: run.json's wall_run_ms of a run that took 3 ms. */
static int64_t run_wall_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

bool hs_run_virtual(const struct hs_run *run)
{
	return run->backend && run->backend->virtual_time;
}

int64_t hs_run_now_ms(const struct hs_run *run)
{
	return hs_run_virtual(run) ? run->virtual_now_us / 1000 : hs_now_ms();
}

void hs_run_error_add(struct hs_run *run, const char *fmt, ...)
{
	va_list arguments;

	if (run->runner_error_count >= sizeof(run->runner_errors) / sizeof(run->runner_errors[0]))
		return;
	va_start(arguments, fmt);
	vsnprintf(run->runner_errors[run->runner_error_count], sizeof(run->runner_errors[0]), fmt,
		  arguments);
	va_end(arguments);
	fprintf(stderr, "hasim: %s\n", run->runner_errors[run->runner_error_count]);
	run->runner_error_count++;
}

struct hs_node_runtime *hs_run_node(struct hs_run *run, const char *name)
{
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		if (strcmp(run->nodes[i].model->name, name) == 0)
			return &run->nodes[i];
	return NULL;
}

void hs_run_pid_add(struct hs_run *run, int pid, const char *what)
{
	if (!run->pids)
		return;
	fprintf(run->pids, "%d %s\n", pid, what);
	fflush(run->pids);
}

/* ------------------------------------------------------------- fabric */

static int run_fabric_build(struct hs_run *run, char *error, size_t error_size)
{
	const struct hs_topology *topology = &run->scenario.topology;
	struct hs_fabric_config config;
	char path[600], cluster_ip[HS_ADDRESS_MAX], *slash;

	hs_fabric_config_default(&config);
	snprintf(path, sizeof(path), "%s/fabric.jsonl", run->run_dir);
	config.seed = run->seed;
	config.fault_log_path = path;
	run->fabric = hs_fabric_new(&config);
	if (!run->fabric) {
		snprintf(error, error_size, "run_fabric_build: cannot create the fabric");
		return -1;
	}
	for (uint32_t i = 0; i < topology->switch_count; i++)
		if (hs_fabric_switch_add(run->fabric, topology->switches[i].name) < 0)
			goto fabric_error;
	for (uint32_t i = 0; i < topology->switch_link_count; i++) {
		char cable[HS_NAME_MAX * 2 + 2];
		snprintf(cable, sizeof(cable), "trunk.%s.%s", topology->switch_links[i][0],
			 topology->switch_links[i][1]);
		if (hs_fabric_trunk_add(run->fabric, cable, topology->switch_links[i][0],
					topology->switch_links[i][1]) < 0)
			goto fabric_error;
	}
	/* A virtual backend cables its own uplink model in up(). */
	if (topology->uplink_switch[0] == '\0' || hs_run_virtual(run))
		return 0;
	if (hs_fabric_uplink_add(run->fabric, "uplink", "uplink", topology->uplink_switch) < 0)
		goto fabric_error;
	snprintf(cluster_ip, sizeof(cluster_ip), "%s", topology->cluster_ip);
	slash = strchr(cluster_ip, '/');
	if (slash)
		*slash = '\0';
	if (hs_fabric_uplink_forward_add(run->fabric, "uplink", 0, cluster_ip, RUN_STORE_PORT,
					 &run->client_port) < 0)
		goto fabric_error;
	return 0;
fabric_error:
	snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
	return -1;
}

/* Who answers for the cluster IP, whatever the nodes' logs say: the
 * fabric watches from "up" on (sim/fabric/observe.c). Not on a virtual
 * backend: it carries the client's requests to the node beside the fabric
 * (its uplink model), so the wire would show the ARP only, not the
 * answers. */
static int run_fabric_observe(struct hs_run *run, char *error, size_t error_size)
{
	char cluster_ip[HS_ADDRESS_MAX];

	if (hs_run_virtual(run))
		return 0;

	snprintf(cluster_ip, sizeof(cluster_ip), "%s", run->scenario.topology.cluster_ip);
	cluster_ip[strcspn(cluster_ip, "/")] = '\0';
	if (hs_fabric_observe_ip(run->fabric, cluster_ip, run->t0_ms) == 0)
		return 0;
	snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
	return -1;
}

/* ------------------------------------------------------------- the loop */

/* Over once every step fired and ended and the settle time passed since the
 * last one fired (or since "up" for a scenario without steps). The settle
 * time stretches by the backend's time scale: a guest that was powered on
 * needs to boot. */
static bool run_finished(const struct hs_run *run, int64_t now_ms)
{
	int64_t settle_ms = (int64_t)((double)run->scenario.settle_ms * run->backend->time_scale);
	int64_t since_ms = run->steps_fired > 0 ? run->last_step_ms : run->t0_ms;

	return hs_steps_all_fired(run) && !hs_run_ops_pending(run, HS_OP_STEP) &&
	       now_ms >= since_ms + settle_ms;
}

/* How long the fabric went unturned since the previous round: a loop that
 * blocks (a control request waiting for its reply, a power-on running
 * `ip`) or a runner the host did not schedule shows here as the longest
 * gap. Every stall longer than RUN_STALL_LOG_MS is a steps.jsonl line
 * ("loop_stall", stalled_ms, at its end): while the loop stands the fabric
 * carries no frame and the client sends nothing, and the checker says how
 * much of an outage that was (sim/check/metrics.c). */
static void run_loop_gap(struct hs_run *run, int64_t now_ms)
{
	int64_t now_us = run_wall_us();

	if (run->ended_ms != 0)
		return; /* reading back and asking for the final state are not the scenario */
	if (run->loop_round_us > 0 && run->steps_log &&
	    now_us - run->loop_round_us > RUN_STALL_LOG_MS * 1000) {
		fprintf(run->steps_log,
			"{\"mono_ms\":%lld,\"event\":\"loop_stall\",\"stalled_ms\":%lld}\n",
			(long long)now_ms, (long long)((now_us - run->loop_round_us) / 1000));
		fflush(run->steps_log);
	}
	if (run->loop_round_us > 0 && now_us - run->loop_round_us > run->loop_gap_max_us) {
		run->loop_gap_max_us = now_us - run->loop_round_us;
		run->loop_gap_at_ms = now_ms - run->t0_ms;
	}
	run->loop_round_us = now_us;
}

/* One round: poll everything, then act on what is ready and what is due.
 * Nothing here waits but poll(): the fence device, the client, the backend's
 * requests and operations are all followed through their fds. */
static void run_round_real(struct hs_run *run, int64_t deadline_ms)
{
	struct pollfd fds[RUN_POLL_FDS_MAX];
	int64_t now_ms = hs_now_ms(), next_step_ms = hs_steps_next_ms(run);
	int timeout_ms = RUN_TICK_MS, fabric_count, client_index, client_count, fence_index,
	    fence_count, backend_index, backend_count = 0;

	fabric_count = hs_fabric_pollfds_fill(run->fabric, fds, RUN_POLL_FDS_MAX - RUN_OWN_FDS_MAX,
					      now_ms, &timeout_ms);
	if (fabric_count < 0)
		fabric_count = 0;
	fence_index = fabric_count;
	fence_count =
	    hs_fence_pollfds(run, &fds[fence_index], 1 + HS_FENCE_CLIENTS_MAX, now_ms, &timeout_ms);
	client_index = fence_index + fence_count;
	client_count =
	    hs_client_pollfds(run, &fds[client_index], HS_CLIENT_FDS_MAX, now_ms, &timeout_ms);
	backend_index = client_index + client_count;
	if (run->backend->pollfds)
		backend_count = run->backend->pollfds(
		    run, &fds[backend_index], RUN_POLL_FDS_MAX - backend_index, &timeout_ms);
	if (next_step_ms >= 0 && next_step_ms - now_ms < timeout_ms)
		timeout_ms = next_step_ms > now_ms ? (int)(next_step_ms - now_ms) : 0;
	if (deadline_ms - now_ms < timeout_ms)
		timeout_ms = deadline_ms > now_ms ? (int)(deadline_ms - now_ms) : 0;
	if (timeout_ms < 0 || timeout_ms > RUN_TICK_MS)
		timeout_ms = RUN_TICK_MS;
	if (poll(fds, (nfds_t)(backend_index + backend_count), timeout_ms) < 0 && errno != EINTR)
		return;
	now_ms = hs_now_ms();
	run_loop_gap(run, now_ms);
	hs_fabric_pollfds_handle(run->fabric, fds, (size_t)fabric_count, now_ms);
	hs_fence_handle(run, &fds[fence_index], fence_count, now_ms);
	hs_client_handle(run, &fds[client_index], client_count, now_ms);
	if (run->backend->handle)
		run->backend->handle(run, &fds[backend_index], backend_count, now_ms);
	hs_run_reports_take(run, now_ms);
	hs_nodelog_follow(run, now_ms);
	hs_steps_fire_due(run, now_ms);
	hs_run_reports_take(run, now_ms);
}

/* One round of the run's clock, never past limit_ms; -1 with a sentence in
 * error when the virtual clock stalled. */
static int run_round(struct hs_run *run, int64_t limit_ms, char *error, size_t error_size)
{
	if (hs_run_virtual(run))
		return hs_run_virtual_round(run, limit_ms, error, error_size);
	run_round_real(run, limit_ms);
	return 0;
}

/* When the run is over if nothing else happens: the settle time after the
 * last step, or the scenario's timeout while steps are still waiting. */
static int64_t run_end_ms(const struct hs_run *run, int64_t deadline_ms)
{
	int64_t settle_ms = (int64_t)((double)run->scenario.settle_ms * run->backend->time_scale);
	int64_t since_ms = run->steps_fired > 0 ? run->last_step_ms : run->t0_ms;

	if (!hs_steps_all_fired(run) || since_ms + settle_ms > deadline_ms)
		return deadline_ms;
	return since_ms + settle_ms;
}

static void run_client_anchor(struct hs_run *run, int64_t now_ms)
{
	const char *start = run->scenario.client.start;

	if (!run->scenario.client.enabled || run->client.running)
		return;
	if ((start[0] == '\0' || strcmp(start, "formed") == 0) && run->formed_ms == 0)
		return;
	if (strcmp(start, "up") == 0 || start[0] == '\0' || strcmp(start, "formed") == 0)
		hs_client_start(run, now_ms);
}

static int run_loop(struct hs_run *run)
{
	/* The run's bound stretches by the backend's time scale, as every
	 * upper bound does (guests under TCG boot and run ~3x slower: two
	 * guests formed 38 s after up at load 6, past 60 s at load 12); a
	 * backend faster than real time keeps it. */
	double scale = run->backend->time_scale > 1.0 ? run->backend->time_scale : 1.0;
	int64_t timeout_ms = (int64_t)((double)run->scenario.timeout_ms * scale);
	int64_t deadline_ms = run->t0_ms + timeout_ms;
	bool client_started = false;
	char error[512];

	while (!hs_run_stop_requested) {
		int64_t now_ms = hs_run_now_ms(run);
		if (now_ms >= deadline_ms && scale > 1.0) {
			hs_run_error_add(run,
					 "scenario timed out after %lld ms (timeout_ms %u, time "
					 "scale %g)",
					 (long long)timeout_ms, run->scenario.timeout_ms, scale);
			break;
		}
		if (now_ms >= deadline_ms) {
			hs_run_error_add(run, "scenario timed out after %u ms",
					 run->scenario.timeout_ms);
			break;
		}
		if (!client_started) {
			run_client_anchor(run, now_ms);
			client_started = run->client.running;
		}
		if (run_finished(run, now_ms))
			break;
		/* The real loop polls at least every RUN_TICK_MS anyway; the
		 * virtual one must not jump past the end of the run. */
		int64_t limit_ms = hs_run_virtual(run) ? run_end_ms(run, deadline_ms) : deadline_ms;
		if (run_round(run, limit_ms, error, sizeof(error)) < 0) {
			hs_run_error_add(run, "%s", error);
			break;
		}
		if (run->backend_failed) /* the report said why (ops.c) */
			break;
	}
	return hs_run_stop_requested ? -1 : 0;
}

/* Read back the acknowledged writes, still turning the fabric. */
static void run_verify(struct hs_run *run)
{
	int64_t deadline_ms = hs_run_now_ms(run) + RUN_VERIFY_TIMEOUT_MS;
	char error[512];

	hs_client_verify_start(run, hs_run_now_ms(run));
	while (!hs_client_verify_done(run) && !hs_run_stop_requested &&
	       hs_run_now_ms(run) < deadline_ms)
		if (run_round(run, deadline_ms, error, sizeof(error)) < 0) {
			hs_run_error_add(run, "%s", error);
			break;
		}
	if (!hs_client_verify_done(run))
		hs_client_verify_abandon(run, hs_run_now_ms(run));
}

/* --------------------------------------------------------- final state */

/* Ask every node that runs for its status at once, and turn the loop until
 * every answer came (or RUN_FINAL_TIMEOUT_MS): the fabric keeps moving
 * while the nodes answer. */
static void run_final_ask(struct hs_run *run)
{
	struct hs_op_owner owner = {.purpose = HS_OP_FINAL};
	int64_t deadline_ms =
	    hs_run_now_ms(run) + (int64_t)(RUN_FINAL_TIMEOUT_MS * run->backend->time_scale);
	char error[512];

	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		const struct hs_node_runtime *node = &run->nodes[i];
		run->final_asked[i] =
		    node->powered && node->daemon_running &&
		    hs_run_node_control(run, node->model->name, "status", owner, error,
					sizeof(error)) == HS_BACKEND_PENDING;
	}
	hs_run_reports_take(run, hs_run_now_ms(run));
	while (hs_run_ops_pending(run, HS_OP_FINAL) && !hs_run_stop_requested &&
	       hs_run_now_ms(run) < deadline_ms)
		if (run_round(run, deadline_ms, error, sizeof(error)) < 0)
			break;
}

static void run_final_node(struct hs_run *run, uint32_t index, json_t *nodes)
{
	struct hs_node_runtime *node = &run->nodes[index];
	json_t *entry = json_object(), *status = NULL;
	const char *display = node->powered && node->daemon_running ? node->display : "off";
	bool holds_ip = false, reachable = false;

	if (run->final_reply[index]) {
		json_t *self;
		status = json_loads(run->final_reply[index], 0, NULL);
		self = json_object_get(status, "node");
		reachable = self != NULL;
		holds_ip = json_is_true(json_object_get(self, "ip_held"));
		if (json_string_value(json_object_get(self, "display")))
			display = json_string_value(json_object_get(self, "display"));
	}
	json_object_set_new(entry, "display", json_string(display));
	json_object_set_new(entry, "holds_cluster_ip", json_boolean(holds_ip));
	json_object_set_new(entry, "reachable", json_boolean(reachable));
	if (status)
		json_object_set(entry, "status", status);
	json_object_set_new(nodes, node->model->name, entry);
	json_decref(status);
}

static void run_write_final(struct hs_run *run)
{
	json_t *final = json_object(), *nodes = json_object();
	char path[600];

	run_final_ask(run);
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		run_final_node(run, i, nodes);
	json_object_set_new(final, "nodes", nodes);
	snprintf(path, sizeof(path), "%s/final.json", run->run_dir);
	json_dump_file(final, path, JSON_INDENT(2));
	json_decref(final);
}

static void run_write_summary(struct hs_run *run)
{
	json_t *summary = json_object(), *aliases = json_object(), *names = json_array(),
	       *errors = json_array();
	char path[600];

	json_object_set_new(summary, "scenario", json_string(run->scenario.name));
	json_object_set_new(summary, "scenario_path", json_string(run->scenario.path));
	json_object_set_new(summary, "topology", json_string(run->scenario.topology.name));
	json_object_set_new(summary, "backend", json_string(run->backend->name));
	json_object_set_new(summary, "seed", json_integer((json_int_t)run->seed));
	json_object_set_new(summary, "time_scale", json_real(run->backend->time_scale));
	if (!run->backend->notify_hook) /* capability.c: notify expectations judge nothing */
		json_object_set_new(summary, "notify_hook", json_false());
	json_object_set_new(summary, "run_id", json_string(run->run_id));
	json_object_set_new(summary, "t0_mono_ms", json_integer(run->t0_ms));
	json_object_set_new(summary, "formed_mono_ms",
			    run->formed_ms ? json_integer(run->formed_ms) : json_null());
	json_object_set_new(summary, "ended_mono_ms", json_integer(run->ended_ms));
	if (run->alias_active[0]) {
		json_object_set_new(aliases, "@active", json_string(run->alias_active));
		json_object_set_new(aliases, "@standby", json_string(run->alias_standby));
	}
	json_object_set_new(summary, "aliases", aliases);
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		json_array_append_new(names, json_string(run->nodes[i].model->name));
	json_object_set_new(summary, "nodes", names);
	for (uint32_t i = 0; i < run->runner_error_count; i++)
		json_array_append_new(errors, json_string(run->runner_errors[i]));
	json_object_set_new(summary, "runner_errors", errors);
	json_object_set_new(summary, "client_port", json_integer(run->client_port));
	/* Wall-clock figures live here only: every other file of a virtual run
	 * is the same for the same seed. */
	json_object_set_new(summary, "wall_run_ms",
			    run->wall_ended_us
				? json_real((double)(run->wall_ended_us - run->wall_up_us) / 1000.0)
				: json_null());
	json_object_set_new(summary, "resolution_ms",
			    run->scenario.client.enabled ? json_integer(run->client.resolution_ms)
							 : json_null());
	json_object_set_new(summary, "client_timeout_ms",
			    run->scenario.client.enabled ? json_integer(run->client.timeout_ms)
							 : json_null());
	json_object_set_new(summary, "probes_sent", json_integer(run->client.probes_sent));
	json_object_set_new(summary, "probes_skipped", json_integer(run->client.probes_skipped));
	json_object_set_new(summary, "sessions_opened", json_integer(run->client.session.opened));
	json_object_set_new(summary, "sessions_broken",
			    run->scenario.client.enabled ? json_integer(run->client.session.broken)
							 : json_null());
	hs_provenance_add(run, summary);
	hs_adapter_summary(run, summary);
	json_object_set_new(summary, "loop_gap_max_ms",
			    run->loop_gap_max_us ? json_real((double)run->loop_gap_max_us / 1000.0)
						 : json_null());
	json_object_set_new(summary, "loop_gap_at_ms",
			    run->loop_gap_max_us ? json_integer(run->loop_gap_at_ms) : json_null());
	snprintf(path, sizeof(path), "%s/run.json", run->run_dir);
	json_dump_file(summary, path, JSON_INDENT(2));
	json_decref(summary);
}

static void run_write_counters(struct hs_run *run)
{
	char path[600];
	FILE *file;

	snprintf(path, sizeof(path), "%s/fabric-counters.json", run->run_dir);
	file = fopen(path, "w");
	if (!file)
		return;
	hs_fabric_counters_write_json(run->fabric, file);
	fclose(file);
}

/* ------------------------------------------------------ set up, tear down */

/* hs_state_root(), or "" when there is none. */
static const char *run_state_root(void)
{
	char ignored[256];
	const char *root = hs_state_root(ignored, sizeof(ignored));

	return root ? root : "";
}

/* Whether state_dir is <state root>/<run_id>, made (and so removed) by
 * hasim, not a folder a test chose. */
static bool run_state_dir_is_hasims(const struct hs_run *run)
{
	const char *root = run_state_root();
	size_t length = strlen(root);

	return root[0] && strncmp(run->state_dir, root, length) == 0 &&
	       run->state_dir[length] == '/' &&
	       strcmp(run->state_dir + length + 1, run->run_id) == 0;
}

static int run_prepare_dirs(struct hs_run *run, char *error, size_t error_size)
{
	char path[600];
	FILE *owner;

	snprintf(path, sizeof(path), "%s", run->run_dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto mkdir_failed;
	snprintf(path, sizeof(path), "%s/nodes", run->run_dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto mkdir_failed;
	snprintf(path, sizeof(path), "%s/steps.jsonl", run->run_dir);
	run->steps_log = fopen(path, "w");
	if (!run->steps_log) {
		snprintf(error, error_size, "run_prepare_dirs: %s: %s", path, strerror(errno));
		return -1;
	}
	if (hs_run_virtual(run)) {
		run->state_dir[0] = '\0'; /* nothing outside the run folder */
		return 0;
	}
	/* <state root>/<run_id> (hasim), or a folder the caller chose (tests).
	 * The root is shared by the user's runs: /run/halab is readable by
	 * all (gc looks at it as root), a user's root by the user only. */
	if ((run_state_dir_is_hasims(run) &&
	     mkdir(run_state_root(), geteuid() == 0 ? 0755 : 0700) < 0 && errno != EEXIST) ||
	    mkdir(run->state_dir, 0700) < 0) {
		snprintf(error, error_size, "run_prepare_dirs: mkdir %s: %s", run->state_dir,
			 strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/owner", run->state_dir);
	owner = fopen(path, "w");
	if (!owner) {
		snprintf(error, error_size, "run_prepare_dirs: %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(owner, "%d %s %s\n", (int)getpid(), run->backend->name, run->run_dir);
	fclose(owner);
	/* From here on something of the run lives outside its folder: should
	 * hasim die, the guardian removes it. */
	if (hs_guard_start(run, error, error_size) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pids", run->state_dir);
	run->pids = fopen(path, "a");
	if (!run->pids) {
		snprintf(error, error_size, "run_prepare_dirs: %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
mkdir_failed:
	snprintf(error, error_size, "run_prepare_dirs: mkdir %s: %s", path, strerror(errno));
	return -1;
}

static int run_write_key(struct hs_run *run, char *error, size_t error_size)
{
	char path[600];
	FILE *file;
	int fd;

	if (hs_run_virtual(run)) {
		hs_run_virtual_key(run->seed, run->cluster_key);
		return 0;
	}
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, run->cluster_key, sizeof(run->cluster_key)) !=
			  (ssize_t)sizeof(run->cluster_key)) {
		if (fd >= 0)
			close(fd);
		snprintf(error, error_size, "run_write_key: /dev/urandom: %s", strerror(errno));
		return -1;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/cluster.key", run->state_dir);
	file = fopen(path, "w");
	if (!file) {
		snprintf(error, error_size, "run_write_key: %s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(run->cluster_key); i++)
		fprintf(file, "%02x", run->cluster_key[i]);
	fputc('\n', file);
	fclose(file);
	chmod(path, 0600);
	return 0;
}

/* Remove the state folder once nothing of the run is left. */
static void run_remove_state(struct hs_run *run)
{
	if (run_state_dir_is_hasims(run) && hs_backend_remove_tree(run->state_dir) < 0 &&
	    errno != ENOENT)
		fprintf(stderr, "hasim: could not remove %s: %s\n", run->state_dir,
			strerror(errno));
}

/* Every node is up, powered, its daemon starting: the runner's books. */
static void run_nodes_up(struct hs_run *run)
{
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++) {
		run->nodes[i].powered = true;
		run->nodes[i].daemon_running = true;
		snprintf(run->nodes[i].display, sizeof(run->nodes[i].display), "starting");
	}
}

int hs_run_execute(struct hs_run *run, char *error, size_t error_size)
{
	int result = -1;

	if (error_size > 0)
		error[0] = '\0';
	run->fence_listen_fd = -1;
	run->guard_fd = -1;
	for (int i = 0; i < HS_FENCE_CLIENTS_MAX; i++)
		run->fence_clients[i].fd = -1;
	/* A step the backend cannot carry out: not run, a skipped verdict
	 * (exit 4, never a pass) naming the backend, as for an adapter's gap. */
	if (hs_steps_supported(run, error, error_size) < 0) {
		char reason[HS_ERROR_MAX * 2];
		snprintf(reason, sizeof(reason), "%s", error);
		if (hs_adapter_write_skipped(run, reason, error, error_size) < 0)
			return -1;
		error[0] = '\0';
		return 0;
	}
	if (run_prepare_dirs(run, error, error_size) < 0 ||
	    hs_provenance_copy_inputs(run, error, error_size) < 0 ||
	    run_write_key(run, error, error_size) < 0)
		goto cleanup;
	if (hs_plan_nodes(run, error, error_size) < 0 || hs_client_open(run) < 0)
		goto cleanup;
	if (run_fabric_build(run, error, error_size) < 0 ||
	    (!hs_run_virtual(run) && hs_fence_listen(run, error, error_size) < 0))
		goto cleanup;
	if (hs_run_virtual(run))
		run->virtual_now_us = (int64_t)HS_VIRTUAL_T0_MS * 1000;
	run->t0_ms = hs_run_now_ms(run);
	run->wall_up_us = run_wall_us();
	hs_provenance_start(run);
	hs_steps_log(run, run->t0_ms, "up", "up", "", "", true, "");
	if (run_fabric_observe(run, error, error_size) < 0 ||
	    run->backend->up(run, error, error_size) < 0)
		goto cleanup;
	run_nodes_up(run);
	if (run->backend->settings)
		run->backend->settings(run, run->backend_settings, sizeof(run->backend_settings));
	if (run_loop(run) < 0) {
		snprintf(error, error_size, "interrupted");
		goto cleanup;
	}
	/* The scenario ends here: what follows (reading writes back, asking
	 * the nodes, tearing down) is not judged as the nodes' behaviour. */
	if (!hs_run_virtual(run))
		run_loop_gap(run, hs_now_ms()); /* a stall in the last round ends the run */
	run->ended_ms = hs_run_now_ms(run);
	run->wall_ended_us = run_wall_us();
	hs_steps_log(run, run->ended_ms, "end", "end", "", "", true, "");
	if (run->scenario.client.enabled)
		run_verify(run);
	run_write_final(run);
	result = 0;
	if (run->keep_on_failure && run->passed) {
		run_write_summary(run);
		run->kept = !run->passed(run);
	}
cleanup:
	if (run->ended_ms == 0)
		run->ended_ms = hs_run_now_ms(run);
	/* What stopped the run goes into run.json, so that result.json and
	 * junit.xml name it and not only its consequences (no cluster formed). */
	if (result < 0 && !hs_run_stop_requested && error[0] != '\0')
		hs_run_error_add(run, "could not run: %s", error);
	/* A kept run (--keep-on-failure) leaves its nodes and its state folder
	 * for `hasim console` and `hasim gc`; everything else closes alike. */
	if (run->kept)
		fprintf(stderr,
			"hasim: the run failed; its nodes are kept (--keep-on-failure): "
			"`hasim console %s NODE` opens a shell on a guest's console, `hasim gc` "
			"removes everything\n",
			run->run_dir);
	else if (run->backend && (run->state_dir[0] || hs_run_virtual(run)))
		run->backend->down(run);
	if (run->fabric)
		run_write_counters(run);
	hs_fabric_free(run->fabric);
	run->fabric = NULL;
	hs_client_close(run);
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		hs_nodelog_close(&run->nodes[i]);
	hs_fence_close(run);
	hs_run_ops_release(run);
	if (run->steps_log)
		fclose(run->steps_log);
	run->steps_log = NULL;
	if (run->pids)
		fclose(run->pids);
	run->pids = NULL;
	if (run->run_dir[0])
		run_write_summary(run);
	if (run->state_dir[0] && !run->kept)
		run_remove_state(run);
	hs_guard_release(run); /* everything is gone, or kept on purpose */
	return result;
}
