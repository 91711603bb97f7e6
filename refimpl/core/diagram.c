/*
 * diagram.c - the ASCII diagram of the transition table (rules.c), drawn
 * from the rows themselves so that it cannot drift from them.
 *
 * First a summary (each role/state and where it can go), then one block per
 * role/state listing, in table order, every row that can fire there: its
 * number in the table, its trigger and condition, where it goes (or
 * "stays" for a row that only acts), its effects, and its reason template.
 * refimpl/core/transitions.txt is the checked-in copy (make core-diagram
 * writes it; test_fsm fails when it differs from this function's text).
 */
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct hn_diagram {
	char *text;
	size_t size;
	size_t used;
	bool overflow;
};

static void hn_diagram_add(struct hn_diagram *diagram, const char *format, ...)
{
	va_list arguments;
	if (diagram->overflow)
		return;
	va_start(arguments, format);
	int length = vsnprintf(diagram->text + diagram->used, diagram->size - diagram->used, format,
			       arguments);
	va_end(arguments);
	if (length < 0 || (size_t)length >= diagram->size - diagram->used)
		diagram->overflow = true;
	else
		diagram->used += (size_t)length;
}

/* The role/state pairs in the order they are drawn. */
static const struct {
	enum hn_role role;
	enum hn_state state;
	const char *label;
} hn_diagram_places[] = {
    {HN_ROLE_STANDBY, HN_STATE_STARTING, "starting"},
    {HN_ROLE_STANDBY, HN_STATE_NORMAL, "standby"},
    {HN_ROLE_ACTIVE, HN_STATE_NORMAL, "active"},
    {HN_ROLE_STANDBY, HN_STATE_MAINTENANCE, "maintenance"},
    {HN_ROLE_STANDBY, HN_STATE_FAULT, "fault"},
    {HN_ROLE_STANDBY, HN_STATE_ISOLATED, "isolated"},
    {HN_ROLE_STANDBY, HN_STATE_DISCONNECTED, "disconnected (standby)"},
    {HN_ROLE_ACTIVE, HN_STATE_DISCONNECTED, "disconnected (active)"},
    {HN_ROLE_STANDBY, HN_STATE_STANDALONE, "standalone (standby)"},
    {HN_ROLE_ACTIVE, HN_STATE_STANDALONE, "standalone (active)"},
};

#define HN_DIAGRAM_PLACES (sizeof(hn_diagram_places) / sizeof(hn_diagram_places[0]))

static const char *hn_diagram_label(enum hn_role role, enum hn_state state)
{
	for (size_t i = 0; i < HN_DIAGRAM_PLACES; i++) {
		if (hn_diagram_places[i].role == role && hn_diagram_places[i].state == state)
			return hn_diagram_places[i].label;
	}
	return "?";
}

/* Where a row leads from (role, state). */
static const char *hn_diagram_target(const struct hn_rule *rule, enum hn_role role,
				     enum hn_state state)
{
	enum hn_role to_role = rule->to_role == HN_KEEP ? role : (enum hn_role)rule->to_role;
	enum hn_state to_state = rule->to_state == HN_KEEP ? state : (enum hn_state)rule->to_state;
	if (to_role == role && to_state == state)
		return NULL;
	return hn_diagram_label(to_role, to_state);
}

static void hn_diagram_summary(struct hn_diagram *diagram)
{
	for (size_t p = 0; p < HN_DIAGRAM_PLACES; p++) {
		const char *targets[HN_DIAGRAM_PLACES];
		size_t count = 0;
		uint32_t at = HN_AT(hn_diagram_places[p].role, hn_diagram_places[p].state);
		for (size_t i = 0; i < hn_rules_count(); i++) {
			const struct hn_rule *rule = hn_rules_row(i);
			const char *to = (rule->from & at)
					     ? hn_diagram_target(rule, hn_diagram_places[p].role,
								 hn_diagram_places[p].state)
					     : NULL;
			bool seen = to == NULL;
			for (size_t t = 0; !seen && t < count; t++)
				seen = strcmp(targets[t], to) == 0;
			if (!seen)
				targets[count++] = to;
		}
		hn_diagram_add(diagram, "  %-23s ->", hn_diagram_places[p].label);
		for (size_t t = 0; t < count; t++)
			hn_diagram_add(diagram, "%s %s", t ? "," : "", targets[t]);
		hn_diagram_add(diagram, "%s\n", count ? "" : " (final)");
	}
}

static void hn_diagram_effects(struct hn_diagram *diagram, const struct hn_rule *rule)
{
	for (int bit = 0; bit < HN_FX_COUNT; bit++) {
		if (rule->effects & (1u << bit))
			hn_diagram_add(diagram, " +%s", hn_effect_name(1u << bit));
	}
	if (rule->log_event != NULL && rule->reason != NULL)
		hn_diagram_add(diagram, " +log %s", rule->log_event);
}

static void hn_diagram_place(struct hn_diagram *diagram, size_t place)
{
	enum hn_role role = hn_diagram_places[place].role;
	enum hn_state state = hn_diagram_places[place].state;
	hn_diagram_add(diagram, "\n[%s]\n", hn_diagram_places[place].label);
	for (size_t i = 0; i < hn_rules_count(); i++) {
		const struct hn_rule *rule = hn_rules_row(i);
		if (!(rule->from & HN_AT(role, state)))
			continue;
		const char *to = hn_diagram_target(rule, role, state);
		char when[96];
		if (rule->trigger == HN_ON_STEP)
			snprintf(when, sizeof(when), "%s", rule->condition_name);
		else
			snprintf(when, sizeof(when), "on %s: %s", hn_trigger_name(rule->trigger),
				 rule->condition_name);
		hn_diagram_add(diagram, "  #%-3zu %-58s --> %s", i + 1, when,
			       to != NULL ? to : "(stays)");
		hn_diagram_effects(diagram, rule);
		hn_diagram_add(diagram, "\n");
		if (rule->reason != NULL)
			hn_diagram_add(diagram, "        \"%s\"\n", rule->reason);
	}
}

int hn_rules_diagram(char *text, size_t size)
{
	struct hn_diagram diagram = {.text = text, .size = size};
	if (size == 0)
		return -1;
	text[0] = '\0';
	hn_diagram_add(
	    &diagram,
	    "Transitions of the reference node's core, drawn from the rule table in\n"
	    "refimpl/core/rules.c (make core-diagram writes this file; test_fsm fails\n"
	    "when it and the table disagree). After every event the \"step\" rows run\n"
	    "in table order (#n); a row fires when the node is in the place it is\n"
	    "listed under and its condition holds, and later rows see where it went.\n"
	    "Rows of other triggers run on that trigger. \"(stays)\": the row only acts.\n"
	    "\nWhere each place can go:\n");
	hn_diagram_summary(&diagram);
	for (size_t place = 0; place < HN_DIAGRAM_PLACES; place++)
		hn_diagram_place(&diagram, place);
	return diagram.overflow ? -1 : (int)diagram.used;
}
