/*
 * nodes.c - `hasim matrix --nodes A,B,...`: the same runs on several node
 * implementations, side by side (nodes/README.md).
 *
 * Each NAME[:PROFILE] (or a folder with adapter.yaml) is loaded as `hasim
 * run --node` loads it: ./nodes, then the nodes/ of hasim's own tree. The
 * plan repeats the matrix per node in the order given; a run the adapter
 * cannot do (a backend it does not list, a capability a scenario needs) is
 * skipped with the same reason `hasim run` gives with exit 4, so the
 * matrix and a single run never disagree. Every run is then named
 * node/topology/scenario/seed; matrix.json's "nodes" holds each node's
 * totals and its failover_ms and outage_ms distributions over all its
 * runs, and report.html a table of them.
 */
#include "matrix.h"
#include "adapter.h"
#include "report.h"

#include <stdlib.h>
#include <string.h>

#define MATRIX_NODES_MAX 8

/* Load NAME[:PROFILE]: ./nodes first, then the tree hasim was built in. */
static int node_load(const char *node, struct hs_adapter *adapter, char *error, size_t size)
{
	char name[HS_PATH_MAX], tree[HS_PATH_MAX], nodes[HS_PATH_MAX + 16], *profile;

	snprintf(name, sizeof(name), "%s", node);
	profile = strrchr(name, ':');
	if (profile)
		*profile++ = '\0';
	if (hs_adapter_load("nodes", name, profile, adapter, error, size) == 0)
		return 0;
	if (strchr(name, '/') || hs_source_tree(tree, sizeof(tree)) < 0)
		return -1;
	snprintf(nodes, sizeof(nodes), "%s/nodes", tree);
	return hs_adapter_load(nodes, name, profile, adapter, error, size);
}

static json_t *names_of(uint32_t bits, const char *(*name_of)(uint32_t), uint32_t count)
{
	json_t *names = json_array();

	for (uint32_t i = 0; i < count; i++)
		if (bits & (1u << i))
			json_array_append_new(names, json_string(name_of(1u << i)));
	return names;
}

static const char *backend_name(uint32_t bit)
{
	return bit == HS_ADAPTER_NATIVE	   ? "native"
	       : bit == HS_ADAPTER_LIBVIRT ? "libvirt"
					   : "virtual";
}

static bool node_listed(json_t *nodes, const char *node)
{
	json_t *value;
	size_t index;

	json_array_foreach(nodes, index,
			   value) if (strcmp(json_string_value(json_object_get(value, "node")),
					     node) == 0) return true;
	return false;
}

int hs_matrix_plan_nodes(const struct hs_matrix_options *options, json_t **nodes_out)
{
	char list[sizeof(options->nodes)], error[HS_ERROR_MAX], *save = NULL;
	struct hs_adapter *adapter = calloc(1, sizeof(*adapter));
	json_t *nodes = json_array();

	*nodes_out = NULL;
	if (!adapter) {
		json_decref(nodes);
		return -1;
	}
	snprintf(list, sizeof(list), "%s", options->nodes);
	for (char *node = strtok_r(list, ",", &save); node; node = strtok_r(NULL, ",", &save)) {
		json_t *entry;

		if (node_listed(nodes, node) || json_array_size(nodes) >= MATRIX_NODES_MAX ||
		    node_load(node, adapter, error, sizeof(error)) < 0) {
			if (node_listed(nodes, node))
				fprintf(stderr, "hasim matrix: --nodes: '%s' given twice\n", node);
			else if (json_array_size(nodes) >= MATRIX_NODES_MAX)
				fprintf(stderr, "hasim matrix: --nodes: at most %d nodes\n",
					MATRIX_NODES_MAX);
			else
				fprintf(stderr, "hasim matrix: --nodes %s: %s\n", node, error);
			free(adapter);
			json_decref(nodes);
			return -1;
		}
		entry = json_object();
		json_object_set_new(entry, "node", json_string(node));
		json_object_set_new(entry, "adapter", json_string(adapter->name));
		json_object_set_new(entry, "profile",
				    adapter->profile ? json_string(adapter->profile->name)
						     : json_null());
		json_object_set_new(entry, "description", json_string(adapter->description));
		json_object_set_new(
		    entry, "capabilities",
		    names_of(adapter->capabilities, hs_capability_name, HS_CAP_COUNT));
		json_object_set_new(entry, "backends",
				    names_of(adapter->backends, backend_name, 3));
		json_array_append_new(nodes, entry);
	}
	free(adapter);
	*nodes_out = nodes;
	return 0;
}

bool hs_matrix_node_skip(const struct hs_matrix_options *options, const char *node,
			 const struct hs_scenario *scenario, char *reason, size_t reason_size)
{
	struct hs_adapter *adapter = calloc(1, sizeof(*adapter));
	char error[HS_ERROR_MAX];
	bool skip;

	/* The plan loaded every node already: a failure here is memory. */
	if (!adapter || node_load(node, adapter, error, sizeof(error)) < 0) {
		free(adapter);
		snprintf(reason, reason_size, "node adapter %s does not load", node);
		return true;
	}
	skip = hs_adapter_skip_reason(scenario, adapter, options->backend, reason, reason_size);
	free(adapter);
	return skip;
}

void hs_matrix_run_name(json_t *run, char *out, size_t size)
{
	const char *node = json_string_value(json_object_get(run, "node"));

	snprintf(out, size, "%s%s%s/%s/%" JSON_INTEGER_FORMAT, node ? node : "", node ? "/" : "",
		 json_string_value(json_object_get(run, "topology")),
		 json_string_value(json_object_get(run, "scenario")),
		 json_integer_value(json_object_get(run, "seed")));
}

/* ---------------------------------------------------------------- report */

static int compare_int(const void *a, const void *b)
{
	json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;

	return x < y ? -1 : x > y;
}

/* {count, min, median, p95, max} of metric over node's runs (nearest rank,
 * as the cells' distributions in report.c). */
static json_t *node_distribution(json_t *runs, const char *node, const char *metric)
{
	json_int_t *values = calloc(json_array_size(runs) + 1, sizeof(*values));
	json_t *run, *out = json_object();
	size_t index, count = 0;

	json_array_foreach(runs, index, run)
	{
		json_t *value = json_object_get(run, metric);
		const char *name = json_string_value(json_object_get(run, "node"));

		if (values && name && strcmp(name, node) == 0 && json_is_integer(value))
			values[count++] = json_integer_value(value);
	}
	qsort(values, count, sizeof(*values), compare_int);
	json_object_set_new(out, "count", json_integer((json_int_t)count));
	json_object_set_new(out, "min", count ? json_integer(values[0]) : json_null());
	json_object_set_new(
	    out, "median", count ? json_integer(values[(count * 50 + 99) / 100 - 1]) : json_null());
	json_object_set_new(
	    out, "p95", count ? json_integer(values[(count * 95 + 99) / 100 - 1]) : json_null());
	json_object_set_new(out, "max", count ? json_integer(values[count - 1]) : json_null());
	free(values);
	return out;
}

void hs_matrix_document_nodes(json_t *document, json_t *nodes)
{
	static const char *const statuses[] = {"pass", "fail", "error", "skip"};
	json_t *runs = json_object_get(document, "runs"), *out = json_array(), *node, *run;
	size_t n, index;

	json_array_foreach(nodes, n, node)
	{
		const char *name = json_string_value(json_object_get(node, "node"));
		json_t *entry = json_deep_copy(node);
		json_int_t counts[4] = {0}, total = 0;

		json_array_foreach(runs, index, run)
		{
			const char *run_node = json_string_value(json_object_get(run, "node"));
			const char *status = json_string_value(json_object_get(run, "status"));

			if (!run_node || strcmp(run_node, name) != 0)
				continue;
			total++;
			for (int i = 0; i < 4; i++)
				counts[i] += strcmp(status, statuses[i]) == 0;
		}
		json_object_set_new(entry, "runs", json_integer(total));
		for (int i = 0; i < 4; i++)
			json_object_set_new(entry, statuses[i], json_integer(counts[i]));
		json_object_set_new(entry, "failover_ms",
				    node_distribution(runs, name, "failover_ms"));
		json_object_set_new(entry, "outage_ms", node_distribution(runs, name, "outage_ms"));
		json_array_append_new(out, entry);
	}
	json_object_set_new(document, "nodes", out);
}

static void html_value(FILE *out, json_t *distribution, const char *key)
{
	json_t *value = json_object_get(distribution, key);

	if (json_is_integer(value))
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
	else
		fputs("-", out);
}

void hs_matrix_html_nodes(FILE *out, json_t *document)
{
	json_t *nodes = json_object_get(document, "nodes"), *node;
	size_t index;

	if (json_array_size(nodes) == 0)
		return;
	fputs("<h2>Node implementations</h2>\n<table id=\"nodes\"><tr><th>node</th><th>"
	      "description</th><th>pass</th><th>fail</th><th>error</th><th>skip</th><th>failover "
	      "ms median / p95 (n)</th><th>outage ms median / p95 (n)</th></tr>\n",
	      out);
	json_array_foreach(nodes, index, node)
	{
		fputs("<tr><td>", out);
		hs_report_escape(out, json_string_value(json_object_get(node, "node")));
		fputs("</td><td>", out);
		hs_report_escape(out, json_string_value(json_object_get(node, "description")));
		fputs("</td>", out);
		for (int i = 0; i < 4; i++)
			fprintf(out, "<td>%" JSON_INTEGER_FORMAT "</td>",
				json_integer_value(json_object_get(
				    node, (const char *[]){"pass", "fail", "error", "skip"}[i])));
		for (int m = 0; m < 2; m++) {
			json_t *distribution =
			    json_object_get(node, m ? "outage_ms" : "failover_ms");

			fputs("<td>", out);
			html_value(out, distribution, "median");
			fputs(" / ", out);
			html_value(out, distribution, "p95");
			fputs(" (", out);
			html_value(out, distribution, "count");
			fputs(")</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}
