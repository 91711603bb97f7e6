/*
 * parity.c - `hasim parity FILE... [--backends virtual,native] [--seed N]
 * [--out DIR]`: one scenario on two or three backends, side by side.
 *
 * Each scenario runs once per backend (`hasim run` as a child process,
 * each into its own run folder under DIR, its output beside it in
 * DIR/<scenario>-<backend>.out). From each run's result.json it
 * takes every node's transition sequence - from, to and the reason's
 * class (the reason without its details, numbers replaced by '#': "peer
 * silent on sync and external links for # ms") - and the metrics, and
 * prints them side by side. Nodes are named by the role they had when the cluster formed
 * (@active, @standby), so a different winner of the first election is not
 * mistaken for a different behaviour; a run that never formed uses the
 * node names.
 *
 * Exit status: 0 when every scenario's sequences are the same on every
 * backend, 1 when some differ (the first difference is named), 2 for bad
 * usage, 3 when a run could not be judged (no result.json). Timing is not
 * compared: a backend's precision differs, the order and the reasons of
 * the transitions may not.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define PARITY_BACKENDS_MAX 3
#define PARITY_STEPS_MAX    128
#define PARITY_TEXT_MAX	    200

struct parity_node {
	char name[HS_NAME_MAX]; /* "node1" */
	char key[HS_NAME_MAX];	/* "@active" or the node's name */
	uint32_t count;
	char steps[PARITY_STEPS_MAX][PARITY_TEXT_MAX]; /* "standby->active: reason class" */
};

struct parity_run {
	char backend[HS_NAME_MAX];
	char dir[700];
	bool judged, passed;
	uint32_t node_count;
	struct parity_node nodes[HS_NODES_MAX];
	json_t *metrics;
};

static void parity_usage(FILE *out)
{
	fputs("usage: hasim parity FILE... [--backends virtual,native] [--seed N] [--out DIR]\n",
	      out);
}

/* The reason's class: what comes before its details (a ": " or " ("),
 * numbers replaced by '#': "peer node2 seen (starting)" -> "peer node# seen",
 * "both standby with the same data: lower node id (1 vs 2)" -> "both standby
 * with the same data". */
static void parity_reason_class(const char *reason, char *out, size_t size)
{
	size_t used = 0;

	for (const char *c = reason; *c && used + 1 < size; c++) {
		if ((c[0] == ':' && c[1] == ' ') || (c[0] == ' ' && c[1] == '('))
			break;
		if (*c >= '0' && *c <= '9') {
			while (c[1] >= '0' && c[1] <= '9')
				c++;
			out[used++] = '#';
		} else {
			out[used++] = *c;
		}
	}
	out[used] = '\0';
}

/* The node's entry, keyed by its role at formation when there is one. */
static struct parity_node *parity_node_of(struct parity_run *run, json_t *aliases, const char *name)
{
	const char *key = name, *alias;
	struct parity_node *entry;
	json_t *node;

	for (uint32_t i = 0; i < run->node_count; i++)
		if (strcmp(run->nodes[i].name, name) == 0)
			return &run->nodes[i];
	if (run->node_count >= HS_NODES_MAX)
		return NULL;
	json_object_foreach(aliases, alias, node)
	{
		if (json_is_string(node) && strcmp(json_string_value(node), name) == 0)
			key = alias;
	}
	entry = &run->nodes[run->node_count++];
	memset(entry, 0, sizeof(*entry));
	snprintf(entry->name, sizeof(entry->name), "%s", name);
	snprintf(entry->key, sizeof(entry->key), "%s", key);
	return entry;
}

/* Read a run folder's result.json and run.json into run. */
static int parity_load(struct parity_run *run)
{
	char path[800];
	json_t *result, *summary, *aliases, *transition;
	size_t index;

	snprintf(path, sizeof(path), "%s/result.json", run->dir);
	result = json_load_file(path, 0, NULL);
	snprintf(path, sizeof(path), "%s/run.json", run->dir);
	summary = json_load_file(path, 0, NULL);
	if (!result || !summary) {
		json_decref(result);
		json_decref(summary);
		return -1;
	}
	aliases = json_object_get(summary, "aliases");
	run->judged = true;
	run->passed = json_is_true(json_object_get(result, "passed"));
	json_array_foreach(json_object_get(result, "transitions"), index, transition)
	{
		const char *name = json_string_value(json_object_get(transition, "node"));
		const char *from = json_string_value(json_object_get(transition, "from"));
		const char *to = json_string_value(json_object_get(transition, "to"));
		const char *reason = json_string_value(json_object_get(transition, "reason"));
		char class[PARITY_TEXT_MAX];
		struct parity_node *node = name ? parity_node_of(run, aliases, name) : NULL;
		if (!node || node->count >= PARITY_STEPS_MAX)
			continue;
		parity_reason_class(reason ? reason : "", class, sizeof(class));
		snprintf(node->steps[node->count++], PARITY_TEXT_MAX, "%s->%s: %s",
			 from ? from : "?", to ? to : "?", class);
	}
	run->metrics = json_incref(json_object_get(result, "metrics"));
	json_decref(result);
	json_decref(summary);
	return 0;
}

/* `hasim run FILE --backend B --seed S --out DIR --quiet`, as a child. */
static int parity_execute(const char *self, const char *file, struct parity_run *run,
			  const char *seed)
{
	pid_t pid = fork();
	int status = 0;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char log[720];
		int fd;
		snprintf(log, sizeof(log), "%s.out", run->dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(self, "hasim", "run", file, "--backend", run->backend, "--seed", seed,
		      "--out", run->dir, "--quiet", (char *)NULL);
		_exit(3);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return parity_load(run);
}

static const struct parity_node *parity_find(const struct parity_run *run, const char *key)
{
	for (uint32_t i = 0; i < run->node_count; i++)
		if (strcmp(run->nodes[i].key, key) == 0)
			return &run->nodes[i];
	return NULL;
}

/* Print one node's sequences side by side; false when they differ. */
static bool parity_node_print(const struct parity_run *runs, int count, const char *key)
{
	uint32_t longest = 0;
	bool same = true;

	for (int b = 0; b < count; b++) {
		const struct parity_node *node = parity_find(&runs[b], key);
		if (node && node->count > longest)
			longest = node->count;
	}
	printf("  %s", key);
	for (int b = 0; b < count; b++) {
		const struct parity_node *node = parity_find(&runs[b], key);
		printf(" %s%s", b ? "/ " : "(", node ? node->name : "-");
	}
	printf(")\n");
	for (uint32_t i = 0; i < longest; i++) {
		const struct parity_node *first = parity_find(&runs[0], key);
		const char *reference = first && i < first->count ? first->steps[i] : "-";
		bool row_same = true;
		for (int b = 0; b < count; b++) {
			const struct parity_node *node = parity_find(&runs[b], key);
			const char *step = node && i < node->count ? node->steps[i] : "-";
			row_same = row_same && strcmp(step, reference) == 0;
			printf("    %-56.56s", step);
		}
		printf("%s\n", row_same ? "" : "  <- differs");
		same = same && row_same;
	}
	return same;
}

static void parity_metrics_print(const struct parity_run *runs, int count)
{
	static const char *const names[] = {"failover_ms", "outage_ms", "dual_active_ms",
					    "lost_writes", "reported_lost_writes"};

	printf("  %-26s", "metrics");
	for (int b = 0; b < count; b++)
		printf("%-12s", runs[b].backend);
	printf("\n");
	for (size_t m = 0; m < sizeof(names) / sizeof(names[0]); m++) {
		printf("    %-24s", names[m]);
		for (int b = 0; b < count; b++) {
			json_t *value = json_object_get(runs[b].metrics, names[m]);
			if (json_is_integer(value))
				printf("%-12lld", (long long)json_integer_value(value));
			else
				printf("%-12s", "null");
		}
		printf("\n");
	}
}

/* One scenario on every backend: 0 same, 1 differs, 3 not judged. */
static int parity_scenario(const char *self, const char *file, char backends[][HS_NAME_MAX],
			   int count, const char *seed, const char *out)
{
	struct parity_run runs[PARITY_BACKENDS_MAX];
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char keys[HS_NODES_MAX * PARITY_BACKENDS_MAX][HS_NAME_MAX];
	uint32_t key_count = 0;
	bool same = true;
	int exit_code = 0;

	memset(runs, 0, sizeof(runs));
	printf("parity %s (seed %s):", base, seed);
	for (int b = 0; b < count; b++) {
		snprintf(runs[b].backend, sizeof(runs[b].backend), "%s", backends[b]);
		snprintf(runs[b].dir, sizeof(runs[b].dir), "%s/%.*s-%s", out,
			 (int)(strlen(base) > 5 ? strlen(base) - 5 : strlen(base)), base,
			 backends[b]);
		if (parity_execute(self, file, &runs[b], seed) < 0) {
			printf(" %s could not be judged (%s)\n", backends[b], runs[b].dir);
			exit_code = 3;
			goto cleanup;
		}
		printf(" %s %s%s", b ? "vs" : "", backends[b], runs[b].passed ? "" : " (FAILED)");
	}
	printf("\n");
	for (int b = 0; b < count; b++)
		for (uint32_t n = 0; n < runs[b].node_count; n++) {
			bool known = false;
			for (uint32_t k = 0; k < key_count; k++)
				known = known || strcmp(keys[k], runs[b].nodes[n].key) == 0;
			if (!known)
				snprintf(keys[key_count++], HS_NAME_MAX, "%s",
					 runs[b].nodes[n].key);
		}
	for (uint32_t k = 0; k < key_count; k++)
		same = parity_node_print(runs, count, keys[k]) && same;
	parity_metrics_print(runs, count);
	printf("  %s\n", same ? "same transitions" : "DIFFERENT transitions");
	exit_code = same ? 0 : 1;
cleanup:
	for (int b = 0; b < count; b++)
		json_decref(runs[b].metrics);
	return exit_code;
}

static int parity_backends_parse(const char *text, char backends[][HS_NAME_MAX])
{
	char copy[128], *save = NULL;
	int count = 0;

	snprintf(copy, sizeof(copy), "%s", text);
	for (char *word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		if (count >= PARITY_BACKENDS_MAX || !hs_backend_find(word))
			return -1;
		snprintf(backends[count++], HS_NAME_MAX, "%s", word);
	}
	return count >= 2 ? count : -1;
}

int hs_parity_main(int argc, char **argv, const char *self)
{
	static const struct option options[] = {{"backends", required_argument, NULL, 'b'},
						{"seed", required_argument, NULL, 's'},
						{"out", required_argument, NULL, 'o'},
						{"help", no_argument, NULL, 'h'},
						{NULL, 0, NULL, 0}};
	char backends[PARITY_BACKENDS_MAX][HS_NAME_MAX], out[512] = "", stamp[32];
	const char *seed = "1";
	int count = parity_backends_parse("virtual,native", backends), option, worst = 0;
	time_t now = time(NULL);

	while ((option = getopt_long(argc, argv, "b:s:o:h", options, NULL)) != -1) {
		if (option == 'h') {
			parity_usage(stdout);
			return 0;
		}
		if (option == 'b' && (count = parity_backends_parse(optarg, backends)) < 0) {
			fprintf(stderr,
				"hasim parity: --backends takes 2..%d of native, libvirt, "
				"virtual, comma-separated, not '%s'\n",
				PARITY_BACKENDS_MAX, optarg);
			return 2;
		} else if (option == 's') {
			seed = optarg;
			if (!seed[0] || strlen(seed) > 20 ||
			    strspn(seed, "0123456789") != strlen(seed)) {
				fprintf(stderr,
					"hasim parity: --seed takes decimal digits, not '%s'\n",
					seed);
				parity_usage(stderr);
				return 2;
			}
		} else if (option == 'o') {
			snprintf(out, sizeof(out), "%s", optarg);
		} else if (option != 'b') {
			parity_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		parity_usage(stderr);
		return 2;
	}
	if (!out[0]) {
		mkdir("reports", 0755);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
		snprintf(out, sizeof(out), "reports/parity-%s-%d", stamp, (int)getpid());
	}
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "hasim parity: mkdir %s: %s\n", out, strerror(errno));
		return 3;
	}
	for (int i = optind; i < argc; i++) {
		int code = parity_scenario(self, argv[i], backends, count, seed, out);
		if (code > worst)
			worst = code;
	}
	return worst;
}
