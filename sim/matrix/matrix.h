/*
 * matrix.h - `hasim matrix`: the library over many topologies, with
 * repeats, as a certification report (sim/matrix/README.md).
 *
 * A run is one (topology, scenario, seed); a cell is one (topology,
 * scenario) over its seeds. The plan (plan.c) lists every run in one
 * canonical order (topologies as given, scenarios sorted by file name,
 * seeds ascending), decides which apply (a topology lint refuses, or a
 * scenario's `requires:` it does not meet, is skipped with the reason) and
 * keeps a shard's share (--shard I/N: the runs whose index is I-1 modulo
 * N). exec.c runs them as `hasim run` child processes, --jobs at a time;
 * report.c and html.c write matrix.json, junit.xml and report.html;
 * `hasim matrix merge OUT DIR...` (matrix.c) joins the matrix.json of
 * shards (or of any matrix folders) into one report.
 *
 * Runs, topologies and the report are jansson values: what exec.c fills
 * is what matrix.json holds and what merge reads back.
 */
#ifndef HS_MATRIX_H
#define HS_MATRIX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#define HS_MATRIX_USAGE                                                                            \
	"matrix [--topologies A,B|all] [--scenarios GLOB|FILE]... [--repeat N | --seeds A..B]\n"   \
	"             [--backend virtual|native|libvirt] [--jobs J] [--shard I/N] [--out DIR]\n"   \
	"             [--topology-dir DIR]... [--models M,M] [--certify] [--list] [--quiet]\n"     \
	"             [--nodes NODE[:PROFILE],...]\n"                                              \
	"    every (topology, scenario, seed) that applies, run and judged; a cell that does\n"    \
	"    not apply is skipped with the reason (never counted as passed). Writes\n"             \
	"    matrix.json, junit.xml and report.html into --out (default\n"                         \
	"    reports/matrix-<time>); exit 0 when every run passed, 1 otherwise, 2 bad input.\n"    \
	"    Defaults: the shipped model pairings, scenarios/*.yaml, 1 repeat, virtual\n"          \
	"    backend, 1 job. --certify: >= 5 repeats and only the pairings of --models.\n"         \
	"    --nodes: the same runs on each node implementation (nodes/<name>/adapter.yaml),\n"    \
	"    named node/topology/scenario/seed; what an adapter cannot do is skipped.\n"           \
	"  hasim matrix merge OUT DIR...   join matrix folders (shards) into one report\n"

#define HS_MATRIX_FORMAT "halab-matrix/1"

struct hs_matrix_options {
	char topologies[4096];	    /* comma-separated names or paths; "all" */
	const char *scenarios[256]; /* files, folders or globs */
	uint32_t scenario_count;
	uint64_t seed_first, seed_last;
	const char *backend;
	uint32_t jobs;
	uint32_t shard_index, shard_count; /* 1-based index of count */
	char out[HS_PATH_MAX];
	char search_path[HS_SEARCH_PATH_MAX];
	char models[256]; /* --models: comma-separated; "" = any */
	char nodes[1024]; /* --nodes: comma-separated NAME[:PROFILE]; "" = hanode, unnamed */
	bool certify, list, quiet;
	char self[HS_PATH_MAX]; /* this hasim, for the child runs */
	char halab_version[64];
};

/* plan.c: topologies (json array of {name, path, models, firmware,
 * refused}) and the shard's runs (json array of {topology, scenario, seed,
 * scenario_path, topology_path, status: "pending"|"skip", reason}).
 * -1 with a message on stderr for bad input. */
int hs_matrix_plan(const struct hs_matrix_options *options, json_t **topologies, json_t **runs);

/* nodes.c (--nodes): every run carries "node" (the adapter as given,
 * NAME[:PROFILE]) and the matrix is repeated per node in the order given.
 * hs_matrix_plan_nodes: the nodes as {node, adapter, description,
 * capabilities[], backends[]} (an empty array without --nodes), -1 with a
 * message for an adapter that does not load. hs_matrix_node_skip: why the
 * node does not run the loaded scenario on the backend (the text of `hasim
 * run`'s exit 4), false when it does. hs_matrix_run_name: a run's stable
 * name, "[node/]topology/scenario/seed" (junit, --list, run folders,
 * merge). hs_matrix_html_nodes: report.html's table of the nodes. */
int hs_matrix_plan_nodes(const struct hs_matrix_options *options, json_t **nodes_out);
bool hs_matrix_node_skip(const struct hs_matrix_options *options, const char *node,
			 const struct hs_scenario *scenario, char *reason, size_t reason_size);
void hs_matrix_run_name(json_t *run, char *out, size_t size);
void hs_matrix_html_nodes(FILE *out, json_t *document);

/* exec.c: run every pending run; fills status ("pass", "fail", "error"),
 * exit_code, failover_ms, outage_ms, wall_ms, run_dir. -1 if interrupted. */
int hs_matrix_exec(const struct hs_matrix_options *options, json_t *runs);

/* report.c: cells from runs (pass/fail/skip counts, distributions), the
 * whole matrix.json document, and junit.xml. */
json_t *hs_matrix_document(const char *halab_version, const char *backend, const char *shard,
			   json_t *topologies, json_t *runs);
int hs_matrix_write(const char *out, json_t *document);
/* report.c: with --nodes, document["nodes"]: each node's descriptor from
 * the plan with its totals and its failover_ms and outage_ms distributions
 * over all its runs (one implementation against another). */
void hs_matrix_document_nodes(json_t *document, json_t *nodes);
/* html.c */
int hs_matrix_html(const char *path, json_t *document);

int hs_matrix_main(int argc, char **argv, const char *self, const char *halab_version);

#endif
