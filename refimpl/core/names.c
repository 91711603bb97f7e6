/*
 * names.c - names and parsers of the core's enums and versions.
 *
 * Every enum that reaches a log line, a status page, a configuration file or
 * a scenario has exactly one spelling, defined here, so that the daemon, the
 * CLI and the simulator cannot drift apart. Parsers accept exactly those
 * spellings (no case folding, no abbreviations) and return -1 otherwise.
 */
#include "hn_core.h"
#include "hn_models.h" /* model names: the model table */

#include <stdlib.h>
#include <string.h>

static const char *const hn_role_names[] = {
    [HN_ROLE_STANDBY] = "standby",
    [HN_ROLE_ACTIVE] = "active",
};

static const char *const hn_state_names[HN_STATE_COUNT] = {
    [HN_STATE_STARTING] = "starting",	    [HN_STATE_NORMAL] = "normal",
    [HN_STATE_MAINTENANCE] = "maintenance", [HN_STATE_FAULT] = "fault",
    [HN_STATE_ISOLATED] = "isolated",	    [HN_STATE_DISCONNECTED] = "disconnected",
    [HN_STATE_STANDALONE] = "standalone",
};

static const char *const hn_tiebreaker_names[] = {
    [HN_TIEBREAKER_NONE] = "none",
    [HN_TIEBREAKER_PING] = "ping",
    [HN_TIEBREAKER_FENCE] = "fence",
};

/* Admin commands: the name first, then other accepted spellings. */
static const struct {
	enum hn_admin_command command;
	const char *name;
	const char *alias;
} hn_admin_commands[] = {
    {HN_ADMIN_MAINTENANCE_ON, "maintenance on", NULL},
    {HN_ADMIN_MAINTENANCE_OFF, "maintenance off", NULL},
    {HN_ADMIN_SWITCHOVER, "switchover", NULL},
    {HN_ADMIN_DISCONNECT, "disconnect", NULL},
    {HN_ADMIN_RECONNECT, "reconnect", NULL},
    {HN_ADMIN_DISBAND, "disband", NULL},
    {HN_ADMIN_FORCE_START, "force start", "force-start"},
    {HN_ADMIN_SETTING_SET, "setting set", NULL},
    {HN_ADMIN_SHUTDOWN, "shutdown", NULL},
};

#define HN_COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

const char *hn_admin_command_name(enum hn_admin_command command)
{
	for (size_t i = 0; i < HN_COUNT_OF(hn_admin_commands); i++) {
		if (hn_admin_commands[i].command == command)
			return hn_admin_commands[i].name;
	}
	return NULL;
}

int hn_admin_command_parse(const char *text, enum hn_admin_command *command)
{
	for (size_t i = 0; text != NULL && i < HN_COUNT_OF(hn_admin_commands); i++) {
		const char *alias = hn_admin_commands[i].alias;
		if (strcmp(text, hn_admin_commands[i].name) == 0 ||
		    (alias != NULL && strcmp(text, alias) == 0)) {
			*command = hn_admin_commands[i].command;
			return 0;
		}
	}
	return -1;
}

const char *hn_role_name(enum hn_role role)
{
	if ((unsigned)role >= HN_COUNT_OF(hn_role_names))
		return "unknown";
	return hn_role_names[role];
}

const char *hn_state_name(enum hn_state state)
{
	if ((unsigned)state >= HN_STATE_COUNT)
		return "unknown";
	return hn_state_names[state];
}

const char *hn_model_name(enum hn_model model)
{
	if ((unsigned)model >= HN_MODEL_COUNT)
		return "unknown";
	return hn_model_spec_at(model)->name;
}

const char *hn_tiebreaker_name(enum hn_tiebreaker tiebreaker)
{
	if ((unsigned)tiebreaker >= HN_COUNT_OF(hn_tiebreaker_names))
		return "unknown";
	return hn_tiebreaker_names[tiebreaker];
}

int hn_model_parse(const char *text, enum hn_model *model)
{
	for (unsigned i = 0; text != NULL && i < HN_MODEL_COUNT; i++) {
		if (strcmp(text, hn_model_spec_at(i)->name) == 0) {
			*model = (enum hn_model)i;
			return 0;
		}
	}
	return -1;
}

int hn_tiebreaker_parse(const char *text, enum hn_tiebreaker *tiebreaker)
{
	for (unsigned i = 0; text != NULL && i < HN_COUNT_OF(hn_tiebreaker_names); i++) {
		if (strcmp(text, hn_tiebreaker_names[i]) == 0) {
			*tiebreaker = (enum hn_tiebreaker)i;
			return 0;
		}
	}
	return -1;
}

/* One decimal component of a version: 1..5 digits, at most 65535, no sign,
 * no leading zeros except "0" itself. Returns the text after it or NULL. */
static const char *hn_version_component_parse(const char *text, uint16_t *value)
{
	size_t digits = strspn(text, "0123456789");
	if (digits == 0 || digits > 5 || (digits > 1 && text[0] == '0'))
		return NULL;
	unsigned long number = strtoul(text, NULL, 10);
	if (number > UINT16_MAX)
		return NULL;
	*value = (uint16_t)number;
	return text + digits;
}

/* "major.minor.patch", e.g. "1.4.2"; nothing before or after. */
int hn_version_parse(const char *text, struct hn_version *version)
{
	struct hn_version parsed;
	if (text == NULL)
		return -1;
	text = hn_version_component_parse(text, &parsed.major);
	if (text == NULL || *text++ != '.')
		return -1;
	text = hn_version_component_parse(text, &parsed.minor);
	if (text == NULL || *text++ != '.')
		return -1;
	text = hn_version_component_parse(text, &parsed.patch);
	if (text == NULL || *text != '\0')
		return -1;
	*version = parsed;
	return 0;
}
