/*
 * ops.c - what the backend reports, and the operations under way.
 *
 * A backend never changes the runner's books: it reports (backend.h). A
 * report is queued here (hs_run_report, bounded) and taken by the loop in
 * the order it came (hs_run_reports_take), so that it lands between two
 * of the runner's own actions and never inside one:
 *   - HS_REPORT_DONE ends an operation the backend answered
 *     HS_BACKEND_PENDING (a guest's power, a firmware update's graceful
 *     stop, a control request's reply). The operation was booked when it
 *     started (hs_run_op_begin) with its owner: a step (its steps.jsonl
 *     line waits for every operation of the step), the fence device (a
 *     failure is a runner error) or the final status (final.json). A
 *     failed operation's booked effect is undone (hardware.c).
 *   - HS_REPORT_DAEMON_ENDED: the daemon is no longer running, and the run
 *     stops with the backend's sentence (a crash nobody asked for is a
 *     finding).
 *   - HS_REPORT_FAILURE: the run stops with the backend's sentence.
 *   - HS_REPORT_ERROR: the sentence is a runner error; the run goes on.
 * An operation whose outcome never comes ends as a failure after
 * HS_RUN_OP_TIMEOUT_MS (times the backend's time scale).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

void hs_run_report(struct hs_run *run, const struct hs_report *report)
{
	struct hs_run_report *slot;
	size_t length;

	if (run->report_count >= HS_RUN_REPORTS_MAX) {
		run->reports_overflowed = true; /* said once, when taken */
		return;
	}
	slot = &run->reports[(run->report_first + run->report_count) % HS_RUN_REPORTS_MAX];
	slot->kind = report->kind;
	slot->node = report->node;
	slot->op = report->op;
	slot->ok = report->ok;
	slot->text = NULL;
	if (report->text) {
		length = strnlen(report->text, HS_REPORT_TEXT_MAX - 1);
		slot->text = malloc(length + 1);
		if (slot->text) {
			memcpy(slot->text, report->text, length);
			slot->text[length] = '\0';
		}
	}
	run->report_count++;
}

/* ------------------------------------------------------------ operations */

uint64_t hs_run_op_begin(struct hs_run *run, struct hs_op_owner owner, enum hs_node_op what,
			 uint32_t node, const char *request)
{
	int64_t timeout_ms = (int64_t)(HS_RUN_OP_TIMEOUT_MS * run->backend->time_scale);

	for (int i = 0; i < HS_RUN_OPS_MAX; i++) {
		struct hs_run_op *op = &run->ops[i];
		if (op->used)
			continue;
		memset(op, 0, sizeof(*op));
		op->used = true;
		op->id = ++run->next_op;
		op->owner = owner;
		op->what = what;
		op->node = node;
		snprintf(op->request, sizeof(op->request), "%s", request ? request : "");
		op->deadline_ms = hs_run_now_ms(run) + timeout_ms;
		if (owner.purpose == HS_OP_STEP)
			run->step_ops[owner.step]++;
		return op->id;
	}
	return 0;
}

static struct hs_run_op *ops_find(struct hs_run *run, uint64_t id)
{
	for (int i = 0; id && i < HS_RUN_OPS_MAX; i++)
		if (run->ops[i].used && run->ops[i].id == id)
			return &run->ops[i];
	return NULL;
}

void hs_run_op_cancel(struct hs_run *run, uint64_t id)
{
	struct hs_run_op *op = ops_find(run, id);

	if (!op)
		return;
	if (op->owner.purpose == HS_OP_STEP && run->step_ops[op->owner.step] > 0)
		run->step_ops[op->owner.step]--;
	op->used = false;
}

/* A control request's reply that says no ({"ok":false,...}) fails its step. */
static bool ops_refused(const struct hs_run_op *op, const char *reply)
{
	return op->what == HS_NODE_OP_CONTROL && strstr(reply, "\"ok\":false") != NULL;
}

static void ops_end(struct hs_run *run, struct hs_run_op *op, bool ok, const char *text)
{
	char error[HS_TEXT_MAX * 2];
	const char *name = run->nodes[op->node].model->name;
	struct hs_run_op ended = *op;

	op->used = false;
	if (ok && ops_refused(&ended, text)) {
		ok = false;
		snprintf(error, sizeof(error), "%s refused '%s': %s", name, ended.request, text);
		text = error;
	}
	if (!ok)
		hs_run_node_op_failed(run, &ended);
	switch (ended.owner.purpose) {
	case HS_OP_STEP:
		if (run->step_ops[ended.owner.step] > 0)
			run->step_ops[ended.owner.step]--;
		hs_steps_op_done(run, ended.owner.step, ok, text);
		break;
	case HS_OP_FENCE:
		if (!ok)
			hs_run_error_add(run, "fence: cutting the power of %s failed: %s", name,
					 text);
		break;
	case HS_OP_FINAL:
		free(run->final_reply[ended.node]);
		run->final_reply[ended.node] = ok ? strdup(text) : NULL;
		break;
	}
}

bool hs_run_ops_pending(const struct hs_run *run, enum hs_op_purpose purpose)
{
	for (int i = 0; i < HS_RUN_OPS_MAX; i++)
		if (run->ops[i].used && run->ops[i].owner.purpose == purpose)
			return true;
	return false;
}

int64_t hs_run_ops_next_ms(const struct hs_run *run)
{
	int64_t next_ms = -1;

	for (int i = 0; i < HS_RUN_OPS_MAX; i++)
		if (run->ops[i].used && (next_ms < 0 || run->ops[i].deadline_ms < next_ms))
			next_ms = run->ops[i].deadline_ms;
	return next_ms;
}

static void ops_expire(struct hs_run *run, int64_t now_ms)
{
	char error[256];

	for (int i = 0; i < HS_RUN_OPS_MAX; i++) {
		struct hs_run_op *op = &run->ops[i];
		if (!op->used || now_ms < op->deadline_ms)
			continue;
		snprintf(error, sizeof(error),
			 "%s: the %s backend reported no outcome within %lld ms",
			 run->nodes[op->node].model->name, run->backend->name,
			 (long long)(HS_RUN_OP_TIMEOUT_MS * run->backend->time_scale));
		ops_end(run, op, false, error);
	}
}

/* --------------------------------------------------------------- reports */

static void reports_take_one(struct hs_run *run, const struct hs_run_report *report)
{
	const char *text = report->text ? report->text : "";
	struct hs_run_op *op;

	switch (report->kind) {
	case HS_REPORT_DONE:
		op = ops_find(run, report->op);
		if (op)
			ops_end(run, op, report->ok, text);
		break;
	case HS_REPORT_DAEMON_ENDED:
		if (report->node < run->scenario.topology.node_count)
			hs_run_node_daemon_ended(run, report->node);
		hs_run_error_add(run, "%s", text);
		run->backend_failed = true;
		break;
	case HS_REPORT_FAILURE:
		hs_run_error_add(run, "%s", text);
		run->backend_failed = true;
		break;
	case HS_REPORT_ERROR:
		hs_run_error_add(run, "%s", text);
		break;
	}
}

void hs_run_reports_take(struct hs_run *run, int64_t now_ms)
{
	while (run->report_count > 0) {
		struct hs_run_report report = run->reports[run->report_first];
		run->report_first = (run->report_first + 1) % HS_RUN_REPORTS_MAX;
		run->report_count--;
		reports_take_one(run, &report);
		free(report.text);
	}
	if (run->reports_overflowed) {
		run->reports_overflowed = false;
		hs_run_error_add(run, "the %s backend sent more than %d reports at once",
				 run->backend->name, HS_RUN_REPORTS_MAX);
		run->backend_failed = true;
	}
	ops_expire(run, now_ms);
}

void hs_run_ops_release(struct hs_run *run)
{
	while (run->report_count > 0) {
		free(run->reports[run->report_first].text);
		run->report_first = (run->report_first + 1) % HS_RUN_REPORTS_MAX;
		run->report_count--;
	}
	for (uint32_t i = 0; i < HS_STEPS_MAX; i++) {
		free(run->step_error[i]);
		run->step_error[i] = NULL;
	}
	for (uint32_t i = 0; i < HS_NODES_MAX; i++) {
		free(run->final_reply[i]);
		run->final_reply[i] = NULL;
	}
	memset(run->ops, 0, sizeof(run->ops));
}
