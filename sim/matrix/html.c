/*
 * html.c - report.html: the certification report a vendor hands over.
 *
 * At the top: halab version, backend, when, totals, and each topology's
 * models and firmware. Then the grid, topology x scenario, each cell
 * coloured by its pass rate (green all passed, red none, amber between,
 * grey skipped with the reason as its title) and linking to each of its
 * runs' timeline.html. Then, per topology, the distribution of
 * failover_ms and outage_ms over its runs as an SVG strip plot (one dot
 * per run, the median and p95 marked). One self-contained file: no
 * scripts, no external resources.
 */
#include "matrix.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void html_escaped(FILE *out, const char *text)
{
	hs_report_escape(out, text ? text : "");
}

static const char *str(json_t *object, const char *key)
{
	const char *value = json_string_value(json_object_get(object, key));

	return value ? value : "";
}

/* Whether object (a run, a cell) is of the column's node and topology. */
static bool in_column(json_t *object, json_t *column)
{
	return strcmp(str(object, "node"), str(column, "node")) == 0 &&
	       strcmp(str(object, "topology"), str(column, "topology")) == 0;
}

static json_t *cell_find(json_t *document, json_t *column, const char *scenario)
{
	json_t *cell;
	size_t index;

	json_array_foreach(json_object_get(document, "cells"), index,
			   cell) if (in_column(cell, column) &&
				     strcmp(str(cell, "scenario"), scenario) == 0) return cell;
	return NULL;
}

/* The grid's columns: each topology, or with --nodes each node x topology,
 * as {node, topology, title}. */
static json_t *columns_of(json_t *document)
{
	json_t *columns = json_array(), *nodes = json_object_get(document, "nodes"), *node,
	       *topology;
	size_t n, t;

	if (json_array_size(nodes) == 0)
		json_array_foreach(json_object_get(document, "topologies"), t, topology)
		    json_array_append_new(columns,
					  json_pack("{s:s,s:s}", "topology", str(topology, "name"),
						    "title", str(topology, "name")));
	json_array_foreach(nodes, n, node)
	    json_array_foreach(json_object_get(document, "topologies"), t, topology)
	{
		char title[512];

		snprintf(title, sizeof(title), "%s/%s", str(node, "node"), str(topology, "name"));
		json_array_append_new(columns,
				      json_pack("{s:s,s:s,s:s}", "node", str(node, "node"),
						"topology", str(topology, "name"), "title", title));
	}
	return columns;
}

static void grid_cell(FILE *out, json_t *document, json_t *cell)
{
	json_t *rate = json_object_get(cell, "pass_rate"), *run;
	const char *colour = !json_is_number(rate)	      ? "skip"
			     : json_number_value(rate) >= 1.0 ? "pass"
			     : json_number_value(rate) <= 0.0 ? "fail"
							      : "partial";
	size_t index;

	fprintf(out, "<td class=\"%s\" title=\"", colour);
	html_escaped(out, json_is_number(rate) ? "" : str(cell, "reason"));
	fprintf(out, "\">");
	if (!json_is_number(rate)) {
		fputs("skip</td>", out);
		return;
	}
	fprintf(out, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT "<br>",
		json_integer_value(json_object_get(cell, "pass")),
		json_integer_value(json_object_get(cell, "runs")) -
		    json_integer_value(json_object_get(cell, "skip")));
	json_array_foreach(json_object_get(document, "runs"), index, run)
	{
		if (!in_column(run, cell) || strcmp(str(run, "scenario"), str(cell, "scenario")) ||
		    !str(run, "run_dir")[0])
			continue;
		fprintf(out, "<a class=\"%s\" href=\"", str(run, "status"));
		html_escaped(out, str(run, "run_dir"));
		fprintf(out,
			"/timeline.html\" title=\"seed %" JSON_INTEGER_FORMAT
			": %s\">%" JSON_INTEGER_FORMAT "</a> ",
			json_integer_value(json_object_get(run, "seed")), str(run, "status"),
			json_integer_value(json_object_get(run, "seed")));
	}
	fputs("</td>", out);
}

/* One strip: the values of metric over the column's runs, 0..scale ms. */
static void strip(FILE *out, json_t *document, json_t *column, const char *metric, double scale,
		  int y)
{
	json_t *run;
	size_t index;

	fprintf(out, "<text x=\"4\" y=\"%d\">%s</text>", y + 4, metric);
	fprintf(out, "<line x1=\"110\" y1=\"%d\" x2=\"710\" y2=\"%d\" class=\"axis\"/>", y, y);
	json_array_foreach(json_object_get(document, "runs"), index, run)
	{
		json_t *value = json_object_get(run, metric);

		if (!in_column(run, column) || !json_is_integer(value))
			continue;
		fprintf(out,
			"<circle class=\"dot %s\" cx=\"%.1f\" cy=\"%d\" r=\"4\"><title>%s seed "
			"%" JSON_INTEGER_FORMAT ": %" JSON_INTEGER_FORMAT " ms</title></circle>",
			str(run, "status"),
			110.0 + 600.0 * (double)json_integer_value(value) / scale, y,
			str(run, "scenario"), json_integer_value(json_object_get(run, "seed")),
			json_integer_value(value));
	}
}

static void plots(FILE *out, json_t *document, json_t *columns)
{
	json_t *column, *run;
	size_t index, t;
	double scale = 1.0;

	json_array_foreach(json_object_get(document, "runs"), index, run) for (int m = 0; m < 2;
									       m++)
	{
		json_t *value = json_object_get(run, m ? "outage_ms" : "failover_ms");
		if (json_is_integer(value) && (double)json_integer_value(value) > scale)
			scale = (double)json_integer_value(value);
	}
	fputs(json_array_size(json_object_get(document, "nodes"))
		  ? "<h2>Failover and outage per node and topology</h2>\n"
		  : "<h2>Failover and outage per topology</h2>\n",
	      out);
	json_array_foreach(columns, t, column)
	{
		fputs("<h3>", out);
		html_escaped(out, str(column, "title"));
		fprintf(out, "</h3>\n<svg class=\"plot\" width=\"740\" height=\"80\" "
			     "xmlns=\"http://www.w3.org/2000/svg\">");
		strip(out, document, column, "failover_ms", scale, 25);
		strip(out, document, column, "outage_ms", scale, 55);
		fprintf(out,
			"<text x=\"110\" y=\"76\">0</text><text x=\"670\" y=\"76\">%.0f "
			"ms</text></svg>\n",
			scale);
	}
}

static void header(FILE *out, json_t *document)
{
	json_t *totals = json_object_get(document, "totals"), *topology;
	size_t index;

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>halab certification "
	      "matrix</title>\n<style>body{font-family:sans-serif;margin:1em}table{border-collapse:"
	      "collapse}td,th{border:1px solid #999;padding:4px 6px;text-align:center;font-size:"
	      "13px}td.pass{background:#9d9}td.fail{background:#e88}td.partial{background:#fc6}"
	      "td.skip{background:#ddd;color:#666}a.fail,a.error{color:#900;font-weight:bold}"
	      ".axis{stroke:#888}.dot{fill:#393;opacity:.7}.dot.fail,.dot.error{fill:#c00}"
	      "</style></head><body>\n",
	      out);
	fprintf(out, "<h1 id=\"verdict\">halab certification matrix: %s</h1>\n",
		json_is_true(json_object_get(document, "passed")) ? "PASSED" : "NOT PASSED");
	fputs("<p>halab ", out);
	html_escaped(out, str(document, "halab_version"));
	fputs(", backend ", out);
	html_escaped(out, str(document, "backend"));
	fputs(", ", out);
	html_escaped(out, str(document, "created"));
	fprintf(out,
		"; runs %" JSON_INTEGER_FORMAT ": %" JSON_INTEGER_FORMAT
		" passed, %" JSON_INTEGER_FORMAT " failed, %" JSON_INTEGER_FORMAT
		" errors, %" JSON_INTEGER_FORMAT " skipped</p>\n",
		json_integer_value(json_object_get(totals, "runs")),
		json_integer_value(json_object_get(totals, "pass")),
		json_integer_value(json_object_get(totals, "fail")),
		json_integer_value(json_object_get(totals, "error")),
		json_integer_value(json_object_get(totals, "skip")));
	fputs("<table id=\"models\"><tr><th>topology</th><th>models</th><th>firmware</th><th>"
	      "tie-breaker</th><th>note</th></tr>\n",
	      out);
	json_array_foreach(json_object_get(document, "topologies"), index, topology)
	{
		json_t *models = json_object_get(topology, "models"),
		       *firmware = json_object_get(topology, "firmware");

		fputs("<tr><td>", out);
		html_escaped(out, str(topology, "name"));
		fputs("</td><td>", out);
		for (size_t i = 0; i < json_array_size(models); i++) {
			fputs(i ? " + " : "", out);
			html_escaped(out, json_string_value(json_array_get(models, i)));
		}
		fputs("</td><td>", out);
		for (size_t i = 0; i < json_array_size(firmware); i++) {
			fputs(i ? " + " : "", out);
			html_escaped(out, json_string_value(json_array_get(firmware, i)));
		}
		fputs("</td><td>", out);
		html_escaped(out, str(topology, "tiebreaker"));
		fputs("</td><td>", out);
		html_escaped(out, str(topology, "refused"));
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

int hs_matrix_html(const char *path, json_t *document)
{
	json_t *columns = columns_of(document), *cell, *column;
	json_t *scenarios = json_array();
	FILE *out = fopen(path, "w");
	size_t index, t, s;

	if (!out) {
		json_decref(scenarios);
		json_decref(columns);
		return -1;
	}
	/* Scenarios in the order of the cells. */
	json_array_foreach(json_object_get(document, "cells"), index, cell)
	{
		bool seen = false;
		json_t *name;

		json_array_foreach(scenarios, s, name) seen =
		    seen || strcmp(json_string_value(name), str(cell, "scenario")) == 0;
		if (!seen)
			json_array_append_new(scenarios, json_string(str(cell, "scenario")));
	}
	header(out, document);
	hs_matrix_html_nodes(out, document);
	fputs("<h2>Topology x scenario</h2>\n<table id=\"grid\"><tr><th>scenario</th>", out);
	json_array_foreach(columns, t, column)
	{
		fputs("<th>", out);
		html_escaped(out, str(column, "title"));
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
	json_array_foreach(scenarios, s, cell)
	{
		fputs("<tr><th>", out);
		html_escaped(out, json_string_value(cell));
		fputs("</th>", out);
		json_array_foreach(columns, t, column)
		{
			json_t *found = cell_find(document, column, json_string_value(cell));

			if (found)
				grid_cell(out, document, found);
			else
				fputs("<td></td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
	plots(out, document, columns);
	fputs("</body></html>\n", out);
	json_decref(scenarios);
	json_decref(columns);
	return fclose(out) == 0 ? 0 : -1;
}
