/*
 * rules.h - the transition table (rules.c), its diagram (diagram.c) and the
 * operator's commands (admin.c): the fourth layer of the core (node.h).
 */
#ifndef HN_RULES_H
#define HN_RULES_H

#include "transition.h"

/* Runs the rows of one trigger in table order: a row fires when the node's
 * role/state is in its from set and its condition holds, and the rows after
 * it see the new role/state. Returns how many rows fired. */
int hn_rules_run(struct hn_node *node, enum hn_trigger trigger, struct hn_actions *actions);
/* Once per step (not standalone): update what the rules remember, then run
 * the HN_ON_STEP rows. */
void hn_rules_step(struct hn_node *node, struct hn_actions *actions);
/* HN_EVENT_FENCE_RESULT: bookkeeping and the HN_ON_FENCE_OK rows. */
void hn_rules_on_fence_result(struct hn_node *node, bool fence_ok, struct hn_actions *actions);
/* Whether the active node may hand the role over to its peer: now, once
 * the writes in flight are acknowledged (a switchover waits for them, at
 * most dead_time_ms), or not (*refusal says why). */
enum hn_switchover { HN_SWITCHOVER_NOW, HN_SWITCHOVER_IN_FLIGHT, HN_SWITCHOVER_REFUSED };
enum hn_switchover hn_rules_switchover(const struct hn_node *node, const char **refusal);
/* The earliest time at which a rule can start to hold by time alone (the
 * peer's silence to us, a waiting switchover, a fence without result). */
uint64_t hn_rules_next_deadline_ms(const struct hn_node *node);

/* The table, for the diagram and the tests. */
size_t hn_rules_count(void);
const struct hn_rule *hn_rules_row(size_t index);
const char *hn_trigger_name(enum hn_trigger trigger);

/* The diagram of the table as text (refimpl/core/transitions.txt is its
 * checked-in copy): returns the length, or -1 if it does not fit. */
int hn_rules_diagram(char *text, size_t size);

/* admin.c: one operator command, answered with exactly one ADMIN_REPLY. */
void hn_admin_on_event(struct hn_node *node, const struct hn_event *event,
		       struct hn_actions *actions);

#endif
