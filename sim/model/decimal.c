/*
 * decimal.c - the one parser of command-line numbers (seeds, counts, shards):
 * decimal digits only, no sign, no spaces, no base prefix, that fit 64 bits.
 * A typo must be refused, not read as 0 and run (hasim run --seed, swarm,
 * matrix).
 */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool hs_decimal_parse(const char *text, uint64_t max, uint64_t *value)
{
	char *end = NULL;
	uint64_t parsed;

	if (!text || !text[0] || strlen(text) > 20 || strspn(text, "0123456789") != strlen(text))
		return false;
	errno = 0;
	parsed = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || parsed > max)
		return false;
	*value = parsed;
	return true;
}
