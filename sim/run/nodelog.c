/*
 * nodelog.c - follows every node's cluster log while a run goes.
 *
 * The runner needs to know, live, what each node is (to find the moment
 * the cluster formed, to resolve "@active"/"@standby", and to show progress);
 * the checker later reads the same files whole. Each round of the loop
 * reads what was appended since the last round, splits it into lines and
 * takes "transition" records' "to" as the node's display state. A torn last
 * line stays in the buffer until its newline arrives.
 *
 * The cluster formed when one node is "active" and the other "standby";
 * the aliases are taken at that moment.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

int hs_nodelog_open(struct hs_run *run, struct hs_node_runtime *node)
{
	if (node->log)
		return 0;
	node->log = fopen(node->plan.log_path, "r");
	if (!node->log && errno != ENOENT) {
		hs_run_error_add(run, "hs_nodelog_open: %s: %s", node->plan.log_path,
				 strerror(errno));
		return -1;
	}
	node->line_length = 0;
	return 0;
}

void hs_nodelog_close(struct hs_node_runtime *node)
{
	if (node->log)
		fclose(node->log);
	node->log = NULL;
}

static void nodelog_take_line(struct hs_run *run, struct hs_node_runtime *node, const char *line)
{
	json_error_t json_error;
	json_t *record = json_loads(line, 0, &json_error);
	const char *event, *to;

	if (!record)
		return; /* the checker reports torn lines with file:line */
	event = json_string_value(json_object_get(record, "event"));
	to = json_string_value(json_object_get(record, "to"));
	if (event && to && strcmp(event, "transition") == 0 && node->powered &&
	    node->daemon_running) {
		snprintf(node->display, sizeof(node->display), "%s", to);
		if (run->verbose || run->live)
			fprintf(stderr, "  %-8s %-12s %s\n", node->model->name, to,
				json_string_value(json_object_get(record, "reason")) ?: "");
	}
	json_decref(record);
}

static void nodelog_read(struct hs_run *run, struct hs_node_runtime *node)
{
	int character;

	if (!node->log && hs_nodelog_open(run, node) < 0)
		return;
	if (!node->log)
		return;
	clearerr(node->log);
	while ((character = fgetc(node->log)) != EOF) {
		if (character != '\n') {
			if (node->line_length < sizeof(node->line) - 1)
				node->line[node->line_length++] = (char)character;
			continue;
		}
		node->line[node->line_length] = '\0';
		nodelog_take_line(run, node, node->line);
		node->line_length = 0;
	}
}

static void nodelog_detect_formed(struct hs_run *run, int64_t now_ms)
{
	struct hs_node_runtime *a = &run->nodes[0], *b = &run->nodes[1];

	if (run->formed_ms != 0 || run->scenario.topology.node_count != 2)
		return;
	if (strcmp(a->display, "active") == 0 && strcmp(b->display, "standby") == 0) {
		snprintf(run->alias_active, sizeof(run->alias_active), "%s", a->model->name);
		snprintf(run->alias_standby, sizeof(run->alias_standby), "%s", b->model->name);
	} else if (strcmp(b->display, "active") == 0 && strcmp(a->display, "standby") == 0) {
		snprintf(run->alias_active, sizeof(run->alias_active), "%s", b->model->name);
		snprintf(run->alias_standby, sizeof(run->alias_standby), "%s", a->model->name);
	} else {
		return;
	}
	run->formed_ms = now_ms;
	hs_steps_log(run, now_ms, "formed", "formed", "", run->alias_active, true, "");
	if (run->verbose || run->live)
		fprintf(stderr, "[%6lld ms] cluster formed: %s active, %s standby\n",
			(long long)(now_ms - run->t0_ms), run->alias_active, run->alias_standby);
}

void hs_nodelog_follow(struct hs_run *run, int64_t now_ms)
{
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		nodelog_read(run, &run->nodes[i]);
	nodelog_detect_formed(run, now_ms);
}
