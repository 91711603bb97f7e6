/*
 * steps.c - fires the scenario's steps when their time comes.
 *
 * A step is due when its anchor happened ("up", "formed" or an earlier
 * step) and its delay has passed. Each step becomes either a node
 * operation (power, NIC link, RAID or one of its disks, services, daemon,
 * control request, firmware:
 * hardware.c, which books it and asks the backend) or a fabric fault
 * (switch power, impairment, partition, heal): the one place that maps the
 * scenario vocabulary onto the two. Every step fired is one line of
 * steps.jsonl with its outcome, stamped with the time it fired; a step
 * whose operations the backend finishes later (a guest's power, a control
 * request's reply) writes its line when the last of them ended, and the
 * run does not end before. A step that fails is a runner error (the
 * checker fails the run), never silently dropped.
 *
 * Role aliases ("@active", "@standby", "@active.LAN1") resolve to the roles
 * the nodes had when the cluster formed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fabric/fabric.h"
#include "run.h"

void hs_steps_log(struct hs_run *run, int64_t now_ms, const char *event, const char *name,
		  const char *action, const char *target, bool ok, const char *error)
{
	if (!run->steps_log)
		return;
	fprintf(run->steps_log,
		"{\"mono_ms\":%lld,\"event\":\"%s\",\"name\":\"%s\",\"action\":\"%s\","
		"\"target\":\"%s\",\"ok\":%s,\"error\":\"",
		(long long)now_ms, event, name, action, target, ok ? "true" : "false");
	for (const char *c = error; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', run->steps_log);
		fputc((unsigned char)*c >= 0x20 ? *c : ' ', run->steps_log);
	}
	fputs("\"}\n", run->steps_log);
	fflush(run->steps_log);
}

const char *hs_alias_resolve(const struct hs_run *run, const char *name)
{
	if (strcmp(name, "@active") == 0)
		return run->alias_active[0] ? run->alias_active : NULL;
	if (strcmp(name, "@standby") == 0)
		return run->alias_standby[0] ? run->alias_standby : NULL;
	return name;
}

/* "@active.LAN1" -> node "node1", port "LAN1". */
static int steps_split_port(const struct hs_run *run, const char *target, char *node,
			    size_t node_size, char *port, size_t port_size)
{
	const char *dot = strrchr(target, '.');
	char alias[HS_NAME_MAX * 2];
	const char *resolved;

	if (!dot || (size_t)(dot - target) >= sizeof(alias))
		return -1;
	memcpy(alias, target, (size_t)(dot - target));
	alias[dot - target] = '\0';
	resolved = hs_alias_resolve(run, alias);
	if (!resolved)
		return -1;
	snprintf(node, node_size, "%s", resolved);
	snprintf(port, port_size, "%s", dot + 1);
	return 0;
}

int hs_steps_supported(const struct hs_run *run, char *error, size_t error_size)
{
	for (uint32_t i = 0; i < run->scenario.step_count; i++) {
		const struct hs_step *step = &run->scenario.steps[i];
		bool disk =
		    step->action == HS_ACTION_DISK_FAIL || step->action == HS_ACTION_DISK_RESTORE;
		bool services = step->action == HS_ACTION_SERVICES_FAIL ||
				step->action == HS_ACTION_SERVICES_RESTORE;

		if ((disk && !run->backend->disk) || (services && !run->backend->services)) {
			snprintf(error, error_size,
				 "the %s backend cannot %s (step '%s', %s:%u); run it on the "
				 "native or virtual backend",
				 run->backend->name,
				 disk ? "fail or restore one disk of a RAID1"
				      : "make a node's services fail or recover",
				 step->name, run->scenario.path, step->line);
			return -1;
		}
	}
	return 0;
}

static int64_t steps_anchor_ms(const struct hs_run *run, const char *anchor)
{
	if (anchor[0] == '\0' || strcmp(anchor, "up") == 0)
		return run->t0_ms;
	if (strcmp(anchor, "formed") == 0)
		return run->formed_ms ? run->formed_ms : -1;
	for (uint32_t i = 0; i < run->scenario.step_count; i++)
		if (strcmp(run->scenario.steps[i].name, anchor) == 0)
			return run->step_fired_ms[i] ? run->step_fired_ms[i] : -1;
	return -1;
}

static int64_t steps_due_ms(const struct hs_run *run, uint32_t index)
{
	const struct hs_step *step = &run->scenario.steps[index];
	int64_t anchor_ms = steps_anchor_ms(run, step->when.anchor);

	return anchor_ms < 0 ? -1 : anchor_ms + step->when.delay_ms;
}

/* Power a node's outlet, or every feed of a power domain. */
static int steps_power(struct hs_run *run, uint32_t index, const char *target, bool on,
		       int64_t now_ms, const char *reason, char *error, size_t error_size)
{
	const struct hs_topology *topology = &run->scenario.topology;
	struct hs_op_owner owner = {.purpose = HS_OP_STEP, .step = index};
	int pending = 0;

	for (uint32_t p = 0; p < topology->power_count; p++) {
		const struct hs_power_model *pdu = &topology->power[p];
		if (strcmp(pdu->name, target) != 0)
			continue;
		for (uint32_t f = 0; f < pdu->feed_count; f++) {
			int result = hs_topology_node(topology, pdu->feeds[f])
					 ? hs_run_node_power(run, pdu->feeds[f], on, owner, error,
							     error_size)
					 : hs_fabric_switch_power_set(run->fabric, pdu->feeds[f],
								      on, now_ms, reason);
			if (result < 0) {
				if (!hs_topology_node(topology, pdu->feeds[f]))
					snprintf(error, error_size, "%s",
						 hs_fabric_error(run->fabric));
				return -1;
			}
			if (result == HS_BACKEND_PENDING)
				pending = HS_BACKEND_PENDING;
		}
		return pending;
	}
	return hs_run_node_power(run, target, on, owner, error, error_size);
}

/* Clear every impairment of every cable of the nodes. */
static int steps_heal(struct hs_run *run, int64_t now_ms, const char *reason)
{
	const struct hs_topology *topology = &run->scenario.topology;
	struct hs_impair perfect = {0};
	char cable[HS_NAME_MAX * 2 + 2];

	if (hs_fabric_partition_heal(run->fabric, -1, now_ms, reason) < 0)
		return -1;
	for (uint32_t n = 0; n < topology->node_count; n++)
		for (uint32_t p = 0; p < HS_PORTS_MAX; p++) {
			const struct hs_port *port = &topology->nodes[n].ports[p];
			if (!port->used)
				continue;
			snprintf(cable, sizeof(cable), "%s.%s", topology->nodes[n].name,
				 port->name);
			if (hs_fabric_cable_impair(run->fabric, cable, HS_DIR_BOTH, &perfect,
						   now_ms, reason) < 0)
				return -1;
		}
	return 0;
}

static int steps_partition(struct hs_run *run, const struct hs_step *step, int64_t now_ms,
			   const char *reason)
{
	const struct hs_topology *topology = &run->scenario.topology;
	char names[2][8][32];
	const char *sides[2][8];
	int counts[2] = {0, 0};

	int sender = 0;

	if (topology->node_count != 2)
		return -1;
	/* A one-way partition may name its sending node; by default node 1. */
	if (step->target[0] && hs_alias_resolve(run, step->target) &&
	    strcmp(hs_alias_resolve(run, step->target), topology->nodes[1].name) == 0)
		sender = 1;
	for (int side = 0; side < 2; side++)
		for (int network = 0; network < HS_NETWORK_COUNT; network++) {
			bool wanted =
			    strcmp(step->network, "all") == 0 ||
			    (network == HS_NETWORK_EXTERNAL &&
			     strcmp(step->network, "external") == 0) ||
			    (network == HS_NETWORK_SYNC && strcmp(step->network, "sync") == 0);
			if (!wanted)
				continue;
			counts[side] +=
			    run->backend->endpoints(run, (uint32_t)(side ^ sender), network,
						    &names[side][counts[side]], 8 - counts[side]);
		}
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < counts[side]; i++)
			sides[side][i] = names[side][i];
	if (hs_fabric_partition_add(run->fabric, sides[0], (size_t)counts[0], sides[1],
				    (size_t)counts[1], now_ms, reason) < 0)
		return -1;
	if (!step->oneway &&
	    hs_fabric_partition_add(run->fabric, sides[1], (size_t)counts[1], sides[0],
				    (size_t)counts[0], now_ms, reason) < 0)
		return -1;
	return 0;
}

static enum hs_dir steps_direction(enum hs_direction direction)
{
	return direction == HS_DIRECTION_OUT  ? HS_DIR_TO_SWITCH
	       : direction == HS_DIRECTION_IN ? HS_DIR_FROM_SWITCH
					      : HS_DIR_BOTH;
}

/* The admin command of a control action ("maintenance on"), NULL if none. */
static const char *steps_admin_request(enum hs_action action)
{
	switch (action) {
	case HS_ACTION_MAINTENANCE_ON:
		return "maintenance on";
	case HS_ACTION_MAINTENANCE_OFF:
		return "maintenance off";
	case HS_ACTION_SWITCHOVER:
		return "switchover";
	case HS_ACTION_DISCONNECT:
		return "disconnect";
	case HS_ACTION_RECONNECT:
		return "reconnect";
	case HS_ACTION_DISBAND:
		return "disband";
	default:
		return NULL;
	}
}

/* Carry step index out: 0 done, HS_BACKEND_PENDING (its line waits for the
 * backend), -1 failed. Fabric faults report through hs_fabric_error. */
static int steps_execute(struct hs_run *run, uint32_t index, const char *target, int64_t now_ms,
			 char *error, size_t error_size)
{
	const struct hs_step *step = &run->scenario.steps[index];
	struct hs_op_owner owner = {.purpose = HS_OP_STEP, .step = index};
	const char *request = steps_admin_request(step->action);
	char node[HS_NAME_MAX], port[HS_NAME_MAX], reason[96], cable[HS_NAME_MAX * 2 + 2];
	struct hs_impair impair = {step->loss_pct, step->delay_ms, step->jitter_ms,
				   step->duplicate_pct};
	int result = 0;

	snprintf(reason, sizeof(reason), "step %s", step->name);
	if (request)
		return hs_run_node_control(run, target, request, owner, error, error_size);
	switch (step->action) {
	case HS_ACTION_POWER_OFF:
	case HS_ACTION_POWER_ON:
		return steps_power(run, index, target, step->action == HS_ACTION_POWER_ON, now_ms,
				   reason, error, error_size);
	case HS_ACTION_PULL:
	case HS_ACTION_PLUG:
		if (steps_split_port(run, step->target, node, sizeof(node), port, sizeof(port)) < 0)
			goto bad_target;
		return hs_run_node_port(run, node, port, step->action == HS_ACTION_PLUG, error,
					error_size);
	case HS_ACTION_SWITCH_FAIL:
	case HS_ACTION_SWITCH_RESTORE:
		result = hs_fabric_switch_power_set(
		    run->fabric, target, step->action == HS_ACTION_SWITCH_RESTORE, now_ms, reason);
		break;
	case HS_ACTION_IMPAIR:
		if (steps_split_port(run, step->target, node, sizeof(node), port, sizeof(port)) < 0)
			goto bad_target;
		snprintf(cable, sizeof(cable), "%s.%s", node, port);
		result = hs_fabric_cable_impair(
		    run->fabric, cable, steps_direction(step->direction), &impair, now_ms, reason);
		break;
	case HS_ACTION_PARTITION:
		result = steps_partition(run, step, now_ms, reason);
		break;
	case HS_ACTION_HEAL:
		result = steps_heal(run, now_ms, reason);
		break;
	case HS_ACTION_RAID_FAIL:
	case HS_ACTION_RAID_RESTORE:
		return hs_run_node_raid(run, target, step->action == HS_ACTION_RAID_RESTORE, owner,
					error, error_size);
	case HS_ACTION_DISK_FAIL:
	case HS_ACTION_DISK_RESTORE:
		return hs_run_node_disk(run, target, step->disk,
					step->action == HS_ACTION_DISK_RESTORE, owner, error,
					error_size);
	case HS_ACTION_SERVICES_FAIL:
	case HS_ACTION_SERVICES_RESTORE:
		return hs_run_node_services(run, target, step->action == HS_ACTION_SERVICES_RESTORE,
					    owner, error, error_size);
	case HS_ACTION_CRASH:
	case HS_ACTION_RESTART:
		return hs_run_node_daemon(run, target, step->action == HS_ACTION_RESTART, owner,
					  error, error_size);
	case HS_ACTION_FIRMWARE_UPDATE:
		return hs_run_node_firmware(run, target, step->version, owner, error, error_size);
	case HS_ACTION_CLIENT_START:
		hs_client_start(run, now_ms);
		return 0;
	case HS_ACTION_CLIENT_STOP:
		hs_client_stop(run, now_ms);
		return 0;
	default: /* the admin commands, above */
		break;
	}
	if (result < 0)
		snprintf(error, error_size, "%s", hs_fabric_error(run->fabric));
	return result;
bad_target:
	snprintf(error, error_size, "step %s: cannot resolve port '%s'", step->name, step->target);
	return -1;
}

/* The step's line in steps.jsonl (stamped with the time it fired), and a
 * runner error if it failed. */
static void steps_report(struct hs_run *run, uint32_t index, const char *target, bool ok,
			 const char *error)
{
	const struct hs_step *step = &run->scenario.steps[index];
	int64_t fired_ms = run->step_fired_ms[index];

	hs_steps_log(run, fired_ms, "step", step->name, hs_action_name(step->action), target, ok,
		     ok ? "" : error);
	if (!ok)
		hs_run_error_add(run, "step '%s' (%s %s) failed: %s", step->name,
				 hs_action_name(step->action), step->target, error);
	if (run->verbose || run->live)
		fprintf(stderr, "[%6lld ms] step %s: %s %s%s%s\n",
			(long long)(fired_ms - run->t0_ms), step->name,
			hs_action_name(step->action), target,
			ok ? "" : " FAILED: ", ok ? "" : error);
}

/* The target a step resolved to when it fired (aliases, power domains). */
static const char *steps_target(struct hs_run *run, const struct hs_step *step, char *power_domain,
				size_t power_domain_size)
{
	/* `pdu: "@active"` names the power domain feeding the active node. */
	if (step->target_power)
		return hs_scenario_resolve_power(&run->scenario.topology, step->target,
						 run->alias_active[0] ? run->alias_active : NULL,
						 power_domain, power_domain_size) == 0
			   ? power_domain
			   : NULL;
	return step->target[0] ? hs_alias_resolve(run, step->target) : "";
}

static void steps_fire(struct hs_run *run, uint32_t index, int64_t now_ms)
{
	const struct hs_step *step = &run->scenario.steps[index];
	char error[512] = "", power_domain[HS_NAME_MAX];
	const char *target = steps_target(run, step, power_domain, sizeof(power_domain));
	int result;

	run->step_fired_ms[index] = now_ms;
	run->steps_fired++;
	run->last_step_ms = now_ms;
	if (!target) {
		snprintf(error, sizeof(error),
			 "'%s' unresolved: the cluster never formed or no "
			 "power domain feeds it",
			 step->target);
		result = -1;
	} else {
		result = steps_execute(run, index, target, now_ms, error, sizeof(error));
	}
	if (run->step_ops[index] > 0) {
		/* Under way: the line waits for the backend. A failure of
		 * another part of the step (a switch of the power domain) is
		 * kept for it. */
		if (result < 0 && !run->step_error[index])
			run->step_error[index] = strdup(error);
		hs_run_reports_take(run, now_ms); /* an answer given at once */
		return;
	}
	steps_report(run, index, target ? target : step->target, result == 0, error);
}

void hs_steps_op_done(struct hs_run *run, uint32_t index, bool ok, const char *error)
{
	const struct hs_step *step = &run->scenario.steps[index];
	char power_domain[HS_NAME_MAX];
	const char *target = steps_target(run, step, power_domain, sizeof(power_domain));

	if (!ok && !run->step_error[index])
		run->step_error[index] = strdup(error ? error : "failed");
	if (run->step_ops[index] > 0)
		return; /* another operation of the step is still under way */
	steps_report(run, index, target ? target : step->target, run->step_error[index] == NULL,
		     run->step_error[index] ? run->step_error[index] : "");
}

int hs_steps_fire_due(struct hs_run *run, int64_t now_ms)
{
	int fired = 0;

	for (uint32_t i = 0; i < run->scenario.step_count; i++) {
		int64_t due_ms;
		if (run->step_fired_ms[i] != 0)
			continue;
		due_ms = steps_due_ms(run, i);
		if (due_ms < 0 || due_ms > now_ms)
			continue;
		steps_fire(run, i, now_ms);
		fired++;
	}
	return fired;
}

int64_t hs_steps_next_ms(const struct hs_run *run)
{
	int64_t next_ms = -1;

	for (uint32_t i = 0; i < run->scenario.step_count; i++) {
		int64_t due_ms;
		if (run->step_fired_ms[i] != 0)
			continue;
		due_ms = steps_due_ms(run, i);
		if (due_ms >= 0 && (next_ms < 0 || due_ms < next_ms))
			next_ms = due_ms;
	}
	return next_ms;
}

bool hs_steps_all_fired(const struct hs_run *run)
{
	return run->steps_fired == run->scenario.step_count;
}
