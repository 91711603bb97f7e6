/*
 * template.c - an adapter's configuration template into text (adapter.h).
 *
 * Two forms, nothing else: {{name}} is replaced by the variable's value;
 * {{#name}} ... {{/name}} keeps what is between only when the variable is
 * not empty (an optional line, such as ping targets a topology may lack).
 * Sections do not nest. An unknown variable, an unclosed {{ or section, or
 * output beyond out_size is an error naming the template's file:line.
 */
#include "adapter.h"

#include <stdio.h>
#include <string.h>

static uint32_t template_line(const char *text, const char *at)
{
	uint32_t line = 1;
	for (const char *c = text; c < at; c++)
		line += *c == '\n';
	return line;
}

int hs_template_render(const char *path, const char *text, hs_template_lookup lookup, void *context,
		       char *out, size_t out_size, char *error, size_t error_size)
{
	const char *at = text;
	char name[HS_NAME_MAX + 2], section[HS_NAME_MAX + 2] = "";
	size_t used = 0;

	while (*at) {
		const char *open = strstr(at, "{{"), *close, *value;
		size_t plain = open ? (size_t)(open - at) : strlen(at), length;
		if (used + plain >= out_size)
			goto too_long;
		memcpy(out + used, at, plain);
		used += plain;
		if (!open)
			break;
		close = strstr(open, "}}");
		length = close ? (size_t)(close - open - 2) : 0;
		if (!close || length == 0 || length >= sizeof(name)) {
			snprintf(error, error_size, "%s:%u: '{{' without a name and '}}'", path,
				 template_line(text, open));
			return -1;
		}
		memcpy(name, open + 2, length);
		name[length] = '\0';
		at = close + 2;
		if (name[0] == '/') {
			if (!section[0] || strcmp(section, name + 1) != 0) {
				snprintf(error, error_size, "%s:%u: '{{%s}}' closes no section",
					 path, template_line(text, open), name);
				return -1;
			}
			section[0] = '\0';
			continue;
		}
		value = lookup(context, name[0] == '#' ? name + 1 : name);
		if (!value) {
			snprintf(error, error_size, "%s:%u: unknown variable '%s'", path,
				 template_line(text, open), name[0] == '#' ? name + 1 : name);
			return -1;
		}
		if (name[0] == '#') {
			char closing[HS_NAME_MAX + 8];
			const char *end;
			snprintf(closing, sizeof(closing), "{{/%s}}", name + 1);
			end = strstr(at, closing);
			if (!end) {
				snprintf(error, error_size, "%s:%u: section '%s' never closed",
					 path, template_line(text, open), name + 1);
				return -1;
			}
			if (!value[0])
				at = end + strlen(closing);
			else
				snprintf(section, sizeof(section), "%s", name + 1);
			continue;
		}
		length = strlen(value);
		if (used + length >= out_size)
			goto too_long;
		memcpy(out + used, value, length);
		used += length;
	}
	if (section[0]) {
		snprintf(error, error_size, "%s: section '%s' never closed", path, section);
		return -1;
	}
	out[used] = '\0';
	return 0;
too_long:
	snprintf(error, error_size, "%s: renders to more than %zu bytes", path, out_size - 1);
	return -1;
}
