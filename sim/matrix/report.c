/*
 * report.c - matrix.json and junit.xml from a matrix's runs.
 *
 * With --nodes every run and cell also carries its node (nodes.c).
 *
 * matrix.json: format, halab_version, backend, shard, created, host, the
 * topologies (name, path, models, firmware, tiebreaker, refused), every
 * run (topology, scenario, seed, status pass|fail|skip|error, reason,
 * exit_code, failover_ms, outage_ms, wall_ms, run_dir relative to the
 * matrix folder), the cells (one per topology x scenario: runs, pass,
 * fail, error, skip, pass_rate over the runs that ran, and failover_ms and
 * outage_ms as {count, min, median, p95, max}, nearest rank), totals and
 * passed (every run that applies passed, at least one ran).
 *
 * junit.xml: one test suite per topology (per node and topology with
 * --nodes), one test case per run named [node/]topology/scenario/seed; a skip is <skipped> with its
 * reason, a failure <failure>, an error <error>.
 */
#include "matrix.h"
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int compare_int(const void *a, const void *b)
{
	json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p % of the values at or
 * below it. */
static json_int_t rank(const json_int_t *values, size_t count, unsigned int percent)
{
	size_t index = (count * percent + 99) / 100;

	return values[index ? index - 1 : 0];
}

/* Whether run belongs to the node named (NULL: a matrix without --nodes). */
static bool same_node(json_t *run, const char *node)
{
	const char *name = json_string_value(json_object_get(run, "node"));

	return node ? name && strcmp(name, node) == 0 : !name;
}

static json_t *distribution(json_t *runs, const char *node, const char *topology,
			    const char *scenario, const char *metric)
{
	json_int_t *values = calloc(json_array_size(runs) + 1, sizeof(*values));
	json_t *run, *out = json_object();
	size_t index, count = 0;

	json_array_foreach(runs, index, run)
	{
		json_t *value = json_object_get(run, metric);

		if (same_node(run, node) &&
		    strcmp(json_string_value(json_object_get(run, "topology")), topology) == 0 &&
		    strcmp(json_string_value(json_object_get(run, "scenario")), scenario) == 0 &&
		    json_is_integer(value))
			values[count++] = json_integer_value(value);
	}
	qsort(values, count, sizeof(*values), compare_int);
	json_object_set_new(out, "count", json_integer((json_int_t)count));
	json_object_set_new(out, "min", count ? json_integer(values[0]) : json_null());
	json_object_set_new(out, "median",
			    count ? json_integer(rank(values, count, 50)) : json_null());
	json_object_set_new(out, "p95",
			    count ? json_integer(rank(values, count, 95)) : json_null());
	json_object_set_new(out, "max", count ? json_integer(values[count - 1]) : json_null());
	free(values);
	return out;
}

static json_t *cells(json_t *runs)
{
	json_t *out = json_array(), *by_key = json_object(), *run;
	size_t index;

	json_array_foreach(runs, index, run)
	{
		const char *topology = json_string_value(json_object_get(run, "topology"));
		const char *scenario = json_string_value(json_object_get(run, "scenario"));
		const char *status = json_string_value(json_object_get(run, "status"));
		const char *node = json_string_value(json_object_get(run, "node"));
		char key[HS_PATH_MAX + HS_NAME_MAX * 2 + 3];
		json_t *cell;

		snprintf(key, sizeof(key), "%s%s%s/%s", node ? node : "", node ? "/" : "", topology,
			 scenario);
		cell = json_object_get(by_key, key);
		if (!cell) {
			cell = json_object();
			if (node)
				json_object_set_new(cell, "node", json_string(node));
			json_object_set_new(cell, "topology", json_string(topology));
			json_object_set_new(cell, "scenario", json_string(scenario));
			json_object_set_new(cell, "runs", json_integer(0));
			json_object_set_new(cell, "pass", json_integer(0));
			json_object_set_new(cell, "fail", json_integer(0));
			json_object_set_new(cell, "error", json_integer(0));
			json_object_set_new(cell, "skip", json_integer(0));
			json_object_set_new(by_key, key, cell);
			json_array_append(out, cell);
		}
		json_object_set_new(
		    cell, "runs",
		    json_integer(json_integer_value(json_object_get(cell, "runs")) + 1));
		if (json_object_get(cell, status))
			json_object_set_new(
			    cell, status,
			    json_integer(json_integer_value(json_object_get(cell, status)) + 1));
		if (strcmp(status, "skip") == 0 && !json_object_get(cell, "reason"))
			json_object_set_new(cell, "reason",
					    json_incref(json_object_get(run, "reason")));
	}
	json_array_foreach(out, index, run)
	{
		const char *topology = json_string_value(json_object_get(run, "topology"));
		const char *scenario = json_string_value(json_object_get(run, "scenario"));
		const char *node = json_string_value(json_object_get(run, "node"));
		json_int_t ran = json_integer_value(json_object_get(run, "runs")) -
				 json_integer_value(json_object_get(run, "skip"));

		json_object_set_new(
		    run, "pass_rate",
		    ran ? json_real((double)json_integer_value(json_object_get(run, "pass")) /
				    (double)ran)
			: json_null());
		json_object_set_new(run, "failover_ms",
				    distribution(runs, node, topology, scenario, "failover_ms"));
		json_object_set_new(run, "outage_ms",
				    distribution(runs, node, topology, scenario, "outage_ms"));
	}
	json_decref(by_key);
	return out;
}

json_t *hs_matrix_document(const char *halab_version, const char *backend, const char *shard,
			   json_t *topologies, json_t *runs)
{
	json_t *document = json_object(), *totals = json_object(), *run;
	json_int_t counts[4] = {0}; /* pass, fail, error, skip */
	static const char *const names[] = {"pass", "fail", "error", "skip"};
	char created[32], host[256] = "";
	time_t now = time(NULL);
	size_t index;

	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	gethostname(host, sizeof(host) - 1);
	json_array_foreach(runs, index, run) for (int i = 0; i < 4; i++) counts[i] +=
	    strcmp(json_string_value(json_object_get(run, "status")), names[i]) == 0;
	for (int i = 0; i < 4; i++)
		json_object_set_new(totals, names[i], json_integer(counts[i]));
	json_object_set_new(totals, "runs", json_integer((json_int_t)json_array_size(runs)));
	json_object_set_new(document, "format", json_string(HS_MATRIX_FORMAT));
	json_object_set_new(document, "halab_version", json_string(halab_version));
	json_object_set_new(document, "backend", json_string(backend));
	json_object_set_new(document, "shard", json_string(shard));
	json_object_set_new(document, "created", json_string(created));
	json_object_set_new(document, "host", json_string(host[0] ? host : "unknown"));
	json_object_set_new(document, "topologies", json_incref(topologies));
	json_object_set_new(document, "cells", cells(runs));
	json_object_set_new(document, "runs", json_incref(runs));
	json_object_set_new(document, "totals", totals);
	json_object_set_new(document, "passed",
			    json_boolean(counts[0] > 0 && counts[1] == 0 && counts[2] == 0));
	return document;
}

/* ---------------------------------------------------------------- JUnit */

static void xml_escaped(FILE *out, const char *text)
{
	hs_report_escape(out, text ? text : "");
}

/* One suite: the runs of a topology (of one node with --nodes: the suite is
 * named node/topology). */
static void junit_suite(FILE *out, json_t *document, json_t *topology, const char *node)
{
	const char *name = json_string_value(json_object_get(topology, "name"));
	json_int_t tests = 0, failures = 0, errors = 0, skipped = 0, wall_ms = 0;
	json_t *runs = json_object_get(document, "runs"), *run;
	char suite[HS_PATH_MAX + HS_NAME_MAX + 2], case_name[HS_PATH_MAX * 2];
	size_t index;

	snprintf(suite, sizeof(suite), "%s%s%s", node ? node : "", node ? "/" : "", name);
	json_array_foreach(runs, index, run)
	{
		const char *status = json_string_value(json_object_get(run, "status"));

		if (!same_node(run, node) ||
		    strcmp(json_string_value(json_object_get(run, "topology")), name) != 0)
			continue;
		tests++;
		failures += strcmp(status, "fail") == 0;
		errors += strcmp(status, "error") == 0;
		skipped += strcmp(status, "skip") == 0;
		wall_ms += json_integer_value(json_object_get(run, "wall_ms"));
	}
	fprintf(out, "  <testsuite name=\"");
	xml_escaped(out, suite);
	fprintf(out,
		"\" tests=\"%" JSON_INTEGER_FORMAT "\" failures=\"%" JSON_INTEGER_FORMAT
		"\" errors=\"%" JSON_INTEGER_FORMAT "\" skipped=\"%" JSON_INTEGER_FORMAT
		"\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
		tests, failures, errors, skipped, (double)wall_ms / 1000.0,
		json_string_value(json_object_get(document, "created")));
	xml_escaped(out, json_string_value(json_object_get(document, "host")));
	fputs("\">\n    <properties>\n", out);
	fprintf(out, "      <property name=\"halab_version\" value=\"");
	xml_escaped(out, json_string_value(json_object_get(document, "halab_version")));
	fprintf(out, "\"/>\n      <property name=\"backend\" value=\"");
	xml_escaped(out, json_string_value(json_object_get(document, "backend")));
	fputs("\"/>\n", out);
	if (node) {
		fputs("      <property name=\"node\" value=\"", out);
		xml_escaped(out, node);
		fputs("\"/>\n", out);
	}
	for (size_t i = 0; i < json_array_size(json_object_get(topology, "models")); i++) {
		fprintf(out, "      <property name=\"node%zu\" value=\"", i + 1);
		xml_escaped(
		    out, json_string_value(json_array_get(json_object_get(topology, "models"), i)));
		fputs(" firmware ", out);
		xml_escaped(out, json_string_value(
				     json_array_get(json_object_get(topology, "firmware"), i)));
		fputs("\"/>\n", out);
	}
	fputs("    </properties>\n", out);
	json_array_foreach(runs, index, run)
	{
		const char *status = json_string_value(json_object_get(run, "status"));
		const char *reason = json_string_value(json_object_get(run, "reason"));
		const char *element = strcmp(status, "skip") == 0    ? "skipped"
				      : strcmp(status, "fail") == 0  ? "failure"
				      : strcmp(status, "error") == 0 ? "error"
								     : NULL;

		if (!same_node(run, node) ||
		    strcmp(json_string_value(json_object_get(run, "topology")), name) != 0)
			continue;
		hs_matrix_run_name(run, case_name, sizeof(case_name));
		fputs("    <testcase classname=\"", out);
		xml_escaped(out, suite);
		fputs("\" name=\"", out);
		xml_escaped(out, case_name);
		fprintf(out, "\" time=\"%.3f\"",
			(double)json_integer_value(json_object_get(run, "wall_ms")) / 1000.0);
		if (!element) {
			fputs("/>\n", out);
			continue;
		}
		fprintf(out, ">\n      <%s message=\"", element);
		xml_escaped(out, reason ? reason : status);
		fprintf(out, "\"/>\n    </testcase>\n");
	}
	fputs("  </testsuite>\n", out);
}

static int junit_write(const char *path, json_t *document)
{
	json_t *totals = json_object_get(document, "totals"), *topology;
	json_t *nodes = json_object_get(document, "nodes"), *node;
	FILE *out = fopen(path, "w");
	size_t index, n;

	if (!out)
		return -1;
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"halab matrix\" "
		"tests=\"%" JSON_INTEGER_FORMAT "\" failures=\"%" JSON_INTEGER_FORMAT
		"\" errors=\"%" JSON_INTEGER_FORMAT "\" skipped=\"%" JSON_INTEGER_FORMAT "\">\n",
		json_integer_value(json_object_get(totals, "runs")),
		json_integer_value(json_object_get(totals, "fail")),
		json_integer_value(json_object_get(totals, "error")),
		json_integer_value(json_object_get(totals, "skip")));
	if (json_array_size(nodes) == 0)
		json_array_foreach(json_object_get(document, "topologies"), index, topology)
		    junit_suite(out, document, topology, NULL);
	json_array_foreach(nodes, n, node) json_array_foreach(
	    json_object_get(document, "topologies"), index, topology)
	    junit_suite(out, document, topology, json_string_value(json_object_get(node, "node")));
	fputs("</testsuites>\n", out);
	return fclose(out) == 0 ? 0 : -1;
}

int hs_matrix_write(const char *out, json_t *document)
{
	char path[HS_PATH_MAX + 32];

	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "hasim matrix: %s: %s\n", out, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/matrix.json", out);
	if (json_dump_file(document, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0) {
		fprintf(stderr, "hasim matrix: cannot write %s\n", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/junit.xml", out);
	if (junit_write(path, document) < 0) {
		fprintf(stderr, "hasim matrix: cannot write %s\n", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/report.html", out);
	if (hs_matrix_html(path, document) < 0) {
		fprintf(stderr, "hasim matrix: cannot write %s\n", path);
		return -1;
	}
	return 0;
}
