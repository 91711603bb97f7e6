/*
 * plan.c - what `hasim matrix` runs: the topologies (by name along the
 * search path, or as files), the scenarios (files, folders, globs), the
 * seeds, in one canonical order; which runs apply; a shard's share.
 *
 * A topology that lint refuses (an error: a model pair or a size SPEC
 * refuses, a single point of failure) is listed with the reason and all its
 * runs are skipped. A scenario whose `requires:` a topology does not meet is
 * skipped there with the loader's reason. A scenario that does not load on
 * a topology for any other reason is an "error" run (it fails the matrix:
 * the scenario should declare what it requires).
 */
#include "matrix.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The shipped model pairings: every pair SPEC allows, and two it refuses
 * (skipped with lint's reason). */
static const char *const default_topologies =
    "rack1-pair,rack4-pair,virt1-pair,rack1-virt1,rack4-virt1,rack1-rack4,rack4-virt1-small";

static bool is_folder(const char *path)
{
	struct stat info;

	return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static bool is_path(const char *reference)
{
	size_t length = strlen(reference);

	return strchr(reference, '/') ||
	       (length > 5 && strcmp(reference + length - 5, ".yaml") == 0);
}

/* NAME.yaml in the first folder of the search path that has it. */
static int topology_find(const char *search_path, const char *name, char *out, size_t size)
{
	char folders[HS_SEARCH_PATH_MAX], *save = NULL;

	snprintf(folders, sizeof(folders), "%s", search_path);
	for (char *folder = strtok_r(folders, ":", &save); folder;
	     folder = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s.yaml", folder, name);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

static int yaml_filter(const struct dirent *entry)
{
	size_t length = strlen(entry->d_name);

	return entry->d_name[0] != '.' && length > 5 &&
	       strcmp(entry->d_name + length - 5, ".yaml") == 0;
}

/* Every *.yaml of folder, sorted, appended to list as "folder/file". */
static void folder_files(const char *folder, json_t *list)
{
	struct dirent **entries = NULL;
	int count = scandir(folder, &entries, yaml_filter, alphasort);
	char path[PATH_MAX];

	for (int i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", folder, entries[i]->d_name);
		json_array_append_new(list, json_string(path));
		free(entries[i]);
	}
	free(entries);
}

static bool models_allowed(const struct hs_matrix_options *options,
			   const struct hs_topology *topology)
{
	char models[sizeof(options->models) + 2];

	if (!options->models[0])
		return true;
	for (uint32_t i = 0; i < topology->node_count; i++) {
		char needle[HS_NAME_MAX + 2];

		snprintf(models, sizeof(models), ",%s,", options->models);
		snprintf(needle, sizeof(needle), ",%s,", topology->nodes[i].model);
		if (!strstr(models, needle))
			return false;
	}
	return true;
}

/* One topology: loaded, linted, described. NULL (message printed) when it
 * does not load; *wanted false when --models leaves it out. */
static json_t *topology_entry(const struct hs_matrix_options *options, const char *reference,
			      struct hs_scenario *scratch, bool *wanted)
{
	struct hs_lint_finding findings[HS_LINT_FINDINGS_MAX];
	char path[HS_PATH_MAX], error[HS_ERROR_MAX];
	struct hs_topology *topology = &scratch->topology;
	json_t *entry, *models, *firmware;
	uint32_t count = 0;

	if (is_path(reference))
		snprintf(path, sizeof(path), "%s", reference);
	else if (topology_find(options->search_path, reference, path, sizeof(path)) < 0) {
		fprintf(
		    stderr,
		    "hasim matrix: --topologies: no topology '%s' (looked for %s.yaml in: %s)\n",
		    reference, reference, options->search_path);
		return NULL;
	}
	if (hs_topology_load(path, topology, error, sizeof(error)) < 0) {
		fprintf(stderr, "hasim matrix: --topologies: %s\n", error);
		return NULL;
	}
	*wanted = models_allowed(options, topology);
	entry = json_object();
	models = json_array();
	firmware = json_array();
	for (uint32_t i = 0; i < topology->node_count; i++) {
		json_array_append_new(models, json_string(topology->nodes[i].model));
		json_array_append_new(firmware, json_string(topology->nodes[i].firmware));
	}
	json_object_set_new(entry, "name", json_string(topology->name));
	json_object_set_new(entry, "path", json_string(path));
	json_object_set_new(entry, "description", json_string(topology->description));
	json_object_set_new(entry, "tiebreaker", json_string(topology->tiebreaker));
	json_object_set_new(entry, "models", models);
	json_object_set_new(entry, "firmware", firmware);
	if (hs_topology_lint_findings(topology, findings, HS_LINT_FINDINGS_MAX, &count) > 0)
		for (uint32_t i = 0; i < count; i++)
			if (findings[i].error) {
				char reason[sizeof(findings[i].text) + 40];

				snprintf(reason, sizeof(reason), "topology refused by lint: %s",
					 findings[i].text);
				json_object_set_new(entry, "refused", json_string(reason));
				break;
			}
	return entry;
}

static json_t *topologies_plan(const struct hs_matrix_options *options, struct hs_scenario *scratch)
{
	char list[sizeof(options->topologies)], *save = NULL, first[PATH_MAX];
	json_t *topologies = json_array(), *references = json_array(), *value;
	const char *colon;
	size_t index;

	if (strcmp(options->topologies, "all") == 0) {
		/* Every file of the first folder of the search path. */
		colon = strchr(options->search_path, ':');
		snprintf(first, sizeof(first), "%.*s",
			 (int)(colon ? (size_t)(colon - options->search_path)
				     : strlen(options->search_path)),
			 options->search_path);
		folder_files(first, references);
	} else {
		snprintf(list, sizeof(list), "%s",
			 options->topologies[0] ? options->topologies : default_topologies);
		for (char *name = strtok_r(list, ",", &save); name;
		     name = strtok_r(NULL, ",", &save))
			json_array_append_new(references, json_string(name));
	}
	json_array_foreach(references, index, value)
	{
		bool wanted = true;
		json_t *entry = topology_entry(options, json_string_value(value), scratch, &wanted);

		if (!entry) {
			json_decref(topologies);
			topologies = NULL;
			break;
		}
		if (wanted)
			json_array_append_new(topologies, entry);
		else
			json_decref(entry);
	}
	json_decref(references);
	if (topologies && json_array_size(topologies) == 0) {
		fprintf(stderr, "hasim matrix: no topology to run (--topologies, --models)\n");
		json_decref(topologies);
		return NULL;
	}
	return topologies;
}

/* halab's own library: <tree>/scenarios of the tree this hasim was built
 * in (build/bin/hasim, build/asan/bin/hasim alike: hs_source_tree), or
 * beside the folder of its bin/ when it runs from elsewhere. */
static void shipped_scenarios(const char *self, char *out, size_t size)
{
	char path[PATH_MAX];
	char *slash;

	if (hs_source_tree(path, sizeof(path)) == 0) {
		snprintf(out, size, "%s/scenarios", path);
		return;
	}
	snprintf(path, sizeof(path), "%s", self);
	for (int i = 0; i < 3 && (slash = strrchr(path, '/')); i++)
		*slash = '\0';
	snprintf(out, size, "%s/scenarios", path);
}

static int by_base_name(const void *a, const void *b)
{
	const char *x = json_string_value(*(json_t *const *)a),
		   *y = json_string_value(*(json_t *const *)b);
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
	int order = strcmp(bx ? bx + 1 : x, by ? by + 1 : y);

	return order ? order : strcmp(x, y);
}

static json_t *scenarios_plan(const struct hs_matrix_options *options)
{
	json_t *files = json_array(), *sorted = json_array(), *value;
	json_t **items;
	char folder[PATH_MAX];
	size_t index, count;

	if (options->scenario_count == 0) {
		shipped_scenarios(options->self, folder, sizeof(folder));
		folder_files(folder, files);
	}
	for (uint32_t i = 0; i < options->scenario_count; i++) {
		const char *given = options->scenarios[i];
		glob_t matches;

		if (is_folder(given)) {
			folder_files(given, files);
			continue;
		}
		if (glob(given, 0, NULL, &matches) != 0) {
			fprintf(stderr, "hasim matrix: --scenarios %s: no such file\n", given);
			json_decref(files);
			json_decref(sorted);
			return NULL;
		}
		for (size_t m = 0; m < matches.gl_pathc; m++)
			json_array_append_new(files, json_string(matches.gl_pathv[m]));
		globfree(&matches);
	}
	count = json_array_size(files);
	items = calloc(count ? count : 1, sizeof(*items));
	json_array_foreach(files, index, value) items[index] = value;
	qsort(items, count, sizeof(*items), by_base_name);
	for (size_t i = 0; i < count; i++)
		if (i == 0 ||
		    strcmp(json_string_value(items[i]), json_string_value(items[i - 1])) != 0)
			json_array_append(sorted, items[i]);
	free(items);
	json_decref(files);
	if (json_array_size(sorted) == 0) {
		fprintf(stderr, "hasim matrix: no scenario to run (--scenarios)\n");
		json_decref(sorted);
		return NULL;
	}
	return sorted;
}

/* The (topology, scenario) pair: applies, or why not. */
static void pair_status(const struct hs_matrix_options *options, json_t *topology,
			const char *scenario_path, struct hs_scenario *scenario, json_t *run)
{
	struct hs_load_options load = {.search_path = options->search_path,
				       .topology =
					   json_string_value(json_object_get(topology, "path"))};
	const char *refused = json_string_value(json_object_get(topology, "refused"));
	char error[HS_ERROR_MAX];
	int loaded = hs_scenario_load_with(scenario_path, &load, scenario, error, sizeof(error));
	const char *base = strrchr(scenario_path, '/');
	char name[HS_NAME_MAX + 8];

	/* The scenario's name, or its file's when it does not load. */
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base ? base + 1 : scenario_path, "."),
		 base ? base + 1 : scenario_path);
	json_object_set_new(run, "scenario",
			    json_string(loaded == 0 || scenario->name[0] ? scenario->name : name));
	if (refused) {
		json_object_set_new(run, "status", json_string("skip"));
		json_object_set_new(run, "reason", json_string(refused));
	} else if (loaded == HS_LOAD_NOT_APPLICABLE) {
		char reason[HS_TEXT_MAX + 32];

		snprintf(reason, sizeof(reason), "requires: %s", scenario->not_applicable);
		json_object_set_new(run, "status", json_string("skip"));
		json_object_set_new(run, "reason", json_string(reason));
	} else if (loaded < 0) {
		json_object_set_new(run, "status", json_string("error"));
		json_object_set_new(run, "reason", json_string(error));
	} else {
		json_object_set_new(run, "status", json_string("pending"));
	}
}

int hs_matrix_plan(const struct hs_matrix_options *options, json_t **topologies_out,
		   json_t **runs_out)
{
	struct hs_scenario *scratch = calloc(1, sizeof(*scratch));
	json_t *topologies = NULL, *scenarios = NULL, *runs = json_array(), *nodes = NULL;
	json_t *topology, *file, *node;
	size_t t, s, n;
	uint64_t index = 0;

	if (!scratch)
		return -1;
	if (hs_matrix_plan_nodes(options, &nodes) == 0)
		topologies = topologies_plan(options, scratch);
	scenarios = topologies ? scenarios_plan(options) : NULL;
	if (!topologies || !scenarios) {
		free(scratch);
		json_decref(nodes);
		json_decref(topologies);
		json_decref(runs);
		return -1;
	}
	/* Without --nodes, one pass with no node named (hanode). */
	if (json_array_size(nodes) == 0)
		json_array_append_new(nodes, json_null());
	json_array_foreach(nodes, n, node) json_array_foreach(topologies, t, topology)
	    json_array_foreach(scenarios, s, file)
	{
		json_t *template = json_object();
		const char *node_name = json_string_value(json_object_get(node, "node"));
		char reason[HS_ERROR_MAX * 3];

		if (node_name)
			json_object_set_new(template, "node", json_string(node_name));
		json_object_set_new(template, "topology",
				    json_incref(json_object_get(topology, "name")));
		json_object_set_new(template, "topology_path",
				    json_incref(json_object_get(topology, "path")));
		json_object_set_new(template, "scenario_path", json_incref(file));
		pair_status(options, topology, json_string_value(file), scratch, template);
		if (node_name &&
		    strcmp(json_string_value(json_object_get(template, "status")), "pending") ==
			0 &&
		    hs_matrix_node_skip(options, node_name, scratch, reason, sizeof(reason))) {
			json_object_set_new(template, "status", json_string("skip"));
			json_object_set_new(template, "reason", json_string(reason));
		}
		for (uint64_t seed = options->seed_first; seed <= options->seed_last; seed++) {
			if (index++ % options->shard_count == options->shard_index - 1) {
				json_t *run = json_deep_copy(template);

				json_object_set_new(run, "seed", json_integer((json_int_t)seed));
				json_array_append_new(runs, run);
			}
			if (seed == UINT64_MAX)
				break;
		}
		json_decref(template);
	}
	json_decref(nodes);
	json_decref(scenarios);
	free(scratch);
	*topologies_out = topologies;
	*runs_out = runs;
	return 0;
}
