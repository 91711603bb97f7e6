/*
 * command.h - the `hasim check` command, and the command-line helpers that
 * the commands living outside hasim.c share (check, replay), so that they
 * follow hasim's conventions: --help/-h prints the usage to stdout and
 * exits 0; a usage error prints one sentence and the usage to stderr and
 * exits 2.
 */
#ifndef HS_COMMAND_H
#define HS_COMMAND_H

#include <stddef.h>

#define HS_EXIT_PASSED 0
#define HS_EXIT_FAILED 1
#define HS_EXIT_USAGE  2
#define HS_EXIT_INFRA  3

/* After "usage: hasim " (hasim.c's table prints the same text). */
#define HS_CHECK_USAGE                                                                             \
	"check [--topology-dir DIR] [--out DIR] RUN_DIR [SCENARIO]\n"                              \
	"    judge a run folder again; the folder is never written: the verdict is printed,\n"     \
	"    or written into --out DIR (a new or empty folder: result.json, junit.xml,\n"          \
	"    timeline.html). SCENARIO defaults to the folder's copy (RUN_DIR/scenario.yaml),\n"    \
	"    else run.json's scenario_path; exit 0 passed, 1 failed, 2 bad input, 3 could\n"       \
	"    not judge\n"

/* hasim check ARGS (argv[0] is "check"). */
int hs_check_command(int argc, char **argv);

/* "hasim COMMAND: sentence" and the usage on stderr; returns HS_EXIT_USAGE. */
int hs_command_usage_error(const char *command, const char *usage, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* getopt_long's '?' or ':' (with opterr 0) as a usage error naming the
 * option as written. */
int hs_command_option_error(const char *command, const char *usage, int option, char **argv);
/* A folder to write into: one that does not exist yet (it is made), or an
 * empty one. -1 with a sentence in error otherwise. */
int hs_command_new_folder(const char *path, char *error, size_t error_size);

#endif
