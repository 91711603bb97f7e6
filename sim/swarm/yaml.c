/*
 * yaml.c - a swarm schedule as an ordinary scenario file.
 *
 * The text is what runs (exec.c loads it with hs_scenario_load_buffer),
 * so a schedule written to a file runs the same with `hasim run FILE
 * --backend virtual --seed N` and, as any scenario, on native and libvirt.
 * One step per line in flow style, in the vocabulary of scenarios/README.md;
 * every step `after: formed` with its absolute delay; nodes by their role
 * at formation ("@active"). The opening comment says where it came from
 * and the arithmetic of its quiet period.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "swarm.h"

struct yaml_out {
	char *text;
	size_t size;
	size_t used;
	bool overflow;
};

static void out_printf(struct yaml_out *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void out_printf(struct yaml_out *out, const char *format, ...)
{
	va_list arguments;
	int written;

	if (out->overflow)
		return;
	va_start(arguments, format);
	written = vsnprintf(out->text + out->used, out->size - out->used, format, arguments);
	va_end(arguments);
	if (written < 0 || (size_t)written >= out->size - out->used) {
		out->overflow = true;
		return;
	}
	out->used += (size_t)written;
}

/* "# " before every line of the comment. */
static void write_comment(struct yaml_out *out, const char *comment)
{
	const char *line = comment;

	while (*line) {
		size_t length = strcspn(line, "\n");
		out_printf(out, "# %.*s\n", (int)length, line);
		line += length;
		if (*line == '\n')
			line++;
	}
}

static const char *direction_name(enum hs_direction direction)
{
	return direction == HS_DIRECTION_OUT ? "out" : direction == HS_DIRECTION_IN ? "in" : "both";
}

/* The target key the action takes (scenarios/README.md "Steps"). */
static void write_target(struct yaml_out *out, const struct hs_step *step)
{
	switch (step->action) {
	case HS_ACTION_POWER_OFF:
	case HS_ACTION_POWER_ON:
		out_printf(out, ", %s: \"%s\"", step->target_power ? "pdu" : "node", step->target);
		return;
	case HS_ACTION_PULL:
	case HS_ACTION_PLUG:
	case HS_ACTION_IMPAIR:
		out_printf(out, ", port: \"%s\"", step->target);
		return;
	case HS_ACTION_SWITCH_FAIL:
	case HS_ACTION_SWITCH_RESTORE:
		out_printf(out, ", switch: \"%s\"", step->target);
		return;
	case HS_ACTION_PARTITION:
		out_printf(out, ", network: %s", step->network[0] ? step->network : "all");
		if (step->oneway)
			out_printf(out, ", oneway: true, node: \"%s\"", step->target);
		return;
	case HS_ACTION_HEAL:
	case HS_ACTION_CLIENT_START:
	case HS_ACTION_CLIENT_STOP:
	case HS_ACTION_COUNT:
		return;
	default:
		if (step->target[0])
			out_printf(out, ", node: \"%s\"", step->target);
		return;
	}
}

static void write_step(struct yaml_out *out, const struct hs_step *step)
{
	out_printf(out, "  - {name: %s, after: %s, delay_ms: %" PRIu32 ", action: %s", step->name,
		   step->when.anchor[0] ? step->when.anchor : "formed", step->when.delay_ms,
		   hs_action_name(step->action));
	write_target(out, step);
	if (step->action == HS_ACTION_IMPAIR) {
		if (step->direction != HS_DIRECTION_BOTH)
			out_printf(out, ", direction: %s", direction_name(step->direction));
		if (step->loss_pct)
			out_printf(out, ", loss_pct: %" PRIu32, step->loss_pct);
		if (step->delay_ms)
			out_printf(out, ", latency_ms: %" PRIu32, step->delay_ms);
		if (step->jitter_ms)
			out_printf(out, ", jitter_ms: %" PRIu32, step->jitter_ms);
		if (step->duplicate_pct)
			out_printf(out, ", duplicate_pct: %" PRIu32, step->duplicate_pct);
	}
	if (step->action == HS_ACTION_FIRMWARE_UPDATE)
		out_printf(out, ", version: \"%s\"", step->version);
	out_printf(out, "}\n");
}

static void write_expect(struct yaml_out *out, const struct hs_expect *expect)
{
	switch (expect->kind) {
	case HS_EXPECT_INVARIANT:
		out_printf(out, "  - {invariant: %s", hs_invariant_name(expect->invariant));
		if (expect->anchor[0] && strcmp(expect->anchor, "up") != 0)
			out_printf(out, ", after: %s, within_ms: [%" PRIu32 ", %" PRIu32 "]",
				   expect->anchor, expect->within_min_ms, expect->within_max_ms);
		out_printf(out, "}\n");
		return;
	case HS_EXPECT_FINAL:
		out_printf(out, "  - {final: {node: \"%s\", state: %s}}\n", expect->node,
			   expect->to);
		return;
	case HS_EXPECT_METRIC:
		out_printf(out, "  - {metric: %s", hs_metric_name(expect->metric));
		if (expect->min != INT64_MIN)
			out_printf(out, ", min: %" PRId64, expect->min);
		if (expect->max != INT64_MAX)
			out_printf(out, ", max: %" PRId64, expect->max);
		out_printf(out, "}\n");
		return;
	default:
		return; /* swarm writes no other kind */
	}
}

int hs_swarm_yaml_write(const struct hs_swarm_schedule *schedule, char *text, size_t size)
{
	struct yaml_out out = {.text = text, .size = size};

	if (size == 0)
		return -1;
	text[0] = '\0';
	write_comment(&out, schedule->comment);
	out_printf(&out, "name: %s\n", schedule->name);
	out_printf(&out, "description: a random fault schedule of hasim swarm (seed %" PRIu64 ")\n",
		   schedule->seed);
	out_printf(&out, "topology: %s\n", schedule->topology);
	if (schedule->tiebreaker[0])
		out_printf(&out, "overrides: {tiebreaker: %s}\n", schedule->tiebreaker);
	out_printf(&out, "settle_ms: %" PRIu32 "\ntimeout_ms: %" PRIu32 "\n", schedule->settle_ms,
		   schedule->timeout_ms);
	/* Probes every 100 ms, not the client's default 10: swarm's properties
	 * judge who serves and what was lost, not outages to the 10 ms, and
	 * ten times fewer probes keep a schedule within its budget. */
	out_printf(&out, "client: {rate_per_s: %" PRIu32 ", resolution_ms: %u}\n",
		   schedule->rate_per_s, HS_SWARM_CLIENT_RESOLUTION_MS);
	if (schedule->step_count == 0)
		out_printf(&out, "steps: []\n");
	else
		out_printf(&out, "steps:\n");
	for (uint32_t i = 0; i < schedule->step_count; i++)
		write_step(&out, &schedule->steps[i]);
	out_printf(&out, "expect:\n");
	if (schedule->expect_count == 0)
		out_printf(&out, "  - {invariant: no_silent_loss}\n");
	for (uint32_t i = 0; i < schedule->expect_count; i++)
		write_expect(&out, &schedule->expects[i]);
	return out.overflow ? -1 : (int)out.used;
}
