/*
 * report_html.c - timeline.html: one static page to see what happened.
 *
 * The page is self-contained (inline CSS and SVG, no script, no external
 * resource), so it can be archived as a CI artifact and opened anywhere.
 * It shows the verdict and failures, then an SVG: the step labels (laid out
 * in as many rows as it takes for none to overlap; each step also a dashed
 * line across every lane), one lane per node (display states as coloured
 * spans, and the time each expectation is about shaded over its node's
 * lane: green when it held, red when it failed), a lane of fabric events, a
 * lane of the client's outages (each drawn from the last success before it
 * to the first success after it, as outage_ms measures it; the longest
 * labelled with the metric), and a plot of every client request's latency
 * at the time it was sent (failures as red crosses at the top). Then tables
 * of expectations, metrics (outage_ms with the client's resolution when
 * run.json gives it) and events. Successful client requests are left out
 * of the event table, which is also bounded, and a run with more requests
 * than HS_HTML_POINTS_MAX plots one column per pixel (the slowest success
 * and a cross when any failed), to keep the page small for long runs.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HS_HTML_LABEL_PX       110
#define HS_HTML_PLOT_PX	       1000
#define HS_HTML_LANE_PX	       30
#define HS_HTML_LABEL_ROW_PX   14
#define HS_HTML_LABEL_ROWS_MAX 8
#define HS_HTML_CHAR_PX	       6.3 /* width of one character of an 11 px label */
#define HS_HTML_LATENCY_PX     90
#define HS_HTML_POINTS_MAX     3000
#define HS_HTML_EVENT_ROWS_MAX 2000

struct hs_html_scale {
	int64_t start_ms;
	int64_t end_ms;
};

/* Where each part of the drawing starts (y, in px). */
struct hs_html_layout {
	int label_rows;
	int lanes_y;   /* first node lane */
	int fabric_y;  /* fabric lane */
	int client_y;  /* client outages */
	int latency_y; /* top of the latency plot */
	int axis_y;
};

static double x_of(const struct hs_html_scale *scale, int64_t t_ms)
{
	return HS_HTML_LABEL_PX + (double)(t_ms - scale->start_ms) * HS_HTML_PLOT_PX /
				      (double)(scale->end_ms - scale->start_ms);
}

static const char *state_color(const char *state)
{
	static const char *const colors[][2] = {
	    {"active", "#2e9d48"},   {"standby", "#3b7dd8"},	  {"starting", "#b0b0b0"},
	    {"off", "#333333"},	     {"fault", "#d9342b"},	  {"maintenance", "#f0a020"},
	    {"isolated", "#9050c0"}, {"disconnected", "#8b5a2b"}, {"standalone", "#20a0a0"},
	};
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (strcmp(colors[i][0], state) == 0)
			return colors[i][1];
	return "#e0e0e0";
}

static struct hs_html_scale scale_of(const struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	struct hs_html_scale scale = {.start_ms = 0, .end_ms = result->ended_ms};
	if (timeline && timeline->event_count > 0) {
		if (timeline->events[0].t_ms < scale.start_ms)
			scale.start_ms = timeline->events[0].t_ms;
		if (timeline->events[timeline->event_count - 1].t_ms > scale.end_ms)
			scale.end_ms = timeline->events[timeline->event_count - 1].t_ms;
	}
	if (scale.end_ms <= scale.start_ms)
		scale.end_ms = scale.start_ms + 1;
	return scale;
}

static bool is_request(const struct hs_timeline_event *event)
{
	return event->source_kind == HS_SOURCE_CLIENT && strcmp(event->kind, "verify") != 0;
}

/* ------------------------------------------------------------- step labels */

/* The row of each runner event's label: the first row whose last label
 * ends left of this one (a row per label up to HS_HTML_LABEL_ROWS_MAX, then
 * the row that ends first). rows gets one entry per event (-1: not a
 * runner event); returns the number of rows used. */
static int label_rows(const struct hs_timeline *timeline, const struct hs_html_scale *scale,
		      int *rows)
{
	double row_end[HS_HTML_LABEL_ROWS_MAX];
	int used = 1;
	for (int r = 0; r < HS_HTML_LABEL_ROWS_MAX; r++)
		row_end[r] = -1e9;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		rows[i] = -1;
		/* A stall of the runner's loop is no step: it shows in the outage
		 * it shortens, not as a label. */
		if (event->source_kind != HS_SOURCE_RUNNER ||
		    strcmp(event->kind, "loop_stall") == 0)
			continue;
		double x = x_of(scale, event->t_ms) + 2;
		double width = (double)strlen(event->name) * HS_HTML_CHAR_PX + 6;
		int row = 0;
		for (int r = 1; r < HS_HTML_LABEL_ROWS_MAX && row_end[row] > x; r++)
			if (row_end[r] <= x || row_end[r] < row_end[row])
				row = r;
		rows[i] = row;
		row_end[row] = x + width;
		used = row + 1 > used ? row + 1 : used;
	}
	return used;
}

/* Steps: a label in its row and a dashed line down through every lane. */
static void svg_steps(FILE *file, const struct hs_timeline *timeline,
		      const struct hs_html_scale *scale, const int *rows, int height)
{
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_RUNNER || rows[i] < 0)
			continue;
		double x = x_of(scale, event->t_ms);
		int y = 14 + rows[i] * HS_HTML_LABEL_ROW_PX;
		fprintf(file,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"step%s\"/>\n"
			"<text x=\"%.1f\" y=\"%d\" class=\"steplabel\"><title>",
			x, y - 10, x, height, event->ok ? "" : " failed", x + 2, y);
		hs_report_escape(file, event->detail);
		fprintf(file, " at %" PRId64 " ms</title>", event->t_ms);
		hs_report_escape(file, event->name);
		fputs("</text>\n", file);
	}
}

/* ------------------------------------------------------------- lanes */

static void svg_lane_label(FILE *file, int y, const char *label)
{
	fprintf(file, "<text x=\"4\" y=\"%d\" class=\"lane\">", y + HS_HTML_LANE_PX / 2 + 4);
	hs_report_escape(file, label);
	fputs("</text>\n", file);
}

static void svg_node_lane(FILE *file, const struct hs_check_result *result, uint32_t node,
			  const struct hs_html_scale *scale, int y)
{
	const struct hs_timeline *timeline = result->timeline;
	svg_lane_label(file, y, result->nodes[node]);
	for (uint32_t i = 0; i < timeline->span_count[node]; i++) {
		const struct hs_display_span *span = &timeline->spans[node][i];
		double x = x_of(scale, span->start_ms), width = x_of(scale, span->end_ms) - x;
		fprintf(file,
			"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
			"<title>",
			x, y + 3, width > 0.5 ? width : 0.5, HS_HTML_LANE_PX - 6,
			state_color(span->state));
		hs_report_escape(file, result->nodes[node]);
		fputc(' ', file);
		hs_report_escape(file, span->state);
		fprintf(file, " from %" PRId64 " to %" PRId64 " ms</title></rect>\n",
			span->start_ms, span->end_ms);
		if (width > 60) {
			fprintf(file, "<text x=\"%.1f\" y=\"%d\" class=\"span\">", x + 4,
				y + HS_HTML_LANE_PX / 2 + 4);
			hs_report_escape(file, span->state);
			fputs("</text>\n", file);
		}
	}
}

/* The time each expectation is about, over its node's lane (every lane
 * for "any"): a translucent band with a border, green when it held. */
static void svg_windows(FILE *file, const struct hs_check_result *result,
			const struct hs_html_scale *scale, int lanes_y)
{
	for (uint32_t i = 0; i < result->expect_count; i++) {
		const struct hs_check_expect_result *expect = &result->expects[i];
		if (!expect->has_window)
			continue;
		const char *verdict =
		    expect->skipped ? "skipped" : (expect->passed ? "held" : "failed");
		for (uint32_t node = 0; node < result->node_count; node++) {
			if (expect->window_node[0] &&
			    strcmp(expect->window_node, result->nodes[node]) != 0)
				continue;
			double x = x_of(scale, expect->window_start_ms);
			double width = x_of(scale, expect->window_end_ms) - x;
			fprintf(file,
				"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
				"class=\"window %s\"><title>[%u] ",
				x, lanes_y + (int)node * HS_HTML_LANE_PX + 1,
				width > 1.5 ? width : 1.5, HS_HTML_LANE_PX - 2, verdict,
				expect->index);
			hs_report_escape(file, expect->description);
			fprintf(file, ": %s from %" PRId64 " to %" PRId64 " ms</title></rect>\n",
				verdict, expect->window_start_ms, expect->window_end_ms);
		}
	}
}

static void svg_fabric_lane(FILE *file, const struct hs_timeline *timeline,
			    const struct hs_html_scale *scale, int y)
{
	svg_lane_label(file, y, "fabric");
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind != HS_SOURCE_FABRIC)
			continue;
		fprintf(file, "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\" class=\"fabric\"><title>",
			x_of(scale, event->t_ms), y + HS_HTML_LANE_PX / 2);
		hs_report_escape(file, event->kind);
		fputc(' ', file);
		hs_report_escape(file, event->detail);
		fprintf(file, " at %" PRId64 " ms</title></circle>\n", event->t_ms);
	}
}

/* Each outage from the last success before it to the first success after
 * it; the longest is outage_ms and carries the figure. */
static void svg_client_lane(FILE *file, const struct hs_check_result *result,
			    const struct hs_html_scale *scale, int y)
{
	const struct hs_timeline *timeline = result->timeline;
	svg_lane_label(file, y, "client");
	for (uint32_t i = 0; i < timeline->outage_count; i++) {
		const struct hs_outage *outage = &timeline->outages[i];
		bool longest = (int32_t)i == timeline->longest_outage;
		double x = x_of(scale, outage->start_ms), width = x_of(scale, outage->end_ms) - x;
		fprintf(file,
			"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			"class=\"clientfail\"><title>%s%" PRId64 " ms without a successful request "
			"(%u failed) from %" PRId64 " to %" PRId64 " ms%s",
			x, y + 8, width > 2 ? width : 2, HS_HTML_LANE_PX - 16,
			longest ? "outage_ms: " : "", hs_outage_ms(outage), outage->failures,
			outage->start_ms, outage->end_ms,
			outage->to_the_end ? " (the end of the run)" : "");
		if (outage->stalled_ms > 0)
			fprintf(file, "; the runner's loop stood still %" PRId64 " ms of it",
				outage->stalled_ms);
		fputs("</title></rect>\n", file);
		if (longest)
			fprintf(file,
				"<text x=\"%.1f\" y=\"%d\" class=\"outage\">outage %" PRId64
				" ms</text>\n",
				x + (width > 2 ? width : 2) + 3, y + HS_HTML_LANE_PX / 2 + 4,
				hs_outage_ms(outage));
	}
}

/* ------------------------------------------------------------- latency */

/* The smallest of 10, 20, 50, 100, ... ms at or above the slowest request. */
static int64_t latency_top_ms(const struct hs_timeline *timeline, uint32_t *requests)
{
	int64_t slowest_ms = 0, top_ms = 10;
	*requests = 0;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (!is_request(event))
			continue;
		(*requests)++;
		if (event->latency_ms > slowest_ms)
			slowest_ms = event->latency_ms;
	}
	for (int step = 0; top_ms < slowest_ms && top_ms < 3600000; step++)
		top_ms = top_ms * (step % 3 == 1 ? 5 : 2) / (step % 3 == 1 ? 2 : 1);
	return top_ms;
}

static double latency_y(const struct hs_html_layout *layout, int64_t latency_ms, int64_t top_ms)
{
	int64_t clamped = latency_ms < 0 ? 0 : latency_ms > top_ms ? top_ms : latency_ms;
	return layout->latency_y + HS_HTML_LATENCY_PX -
	       (double)clamped * (HS_HTML_LATENCY_PX - 8) / (double)top_ms;
}

static void svg_latency_point(FILE *file, const struct hs_html_layout *layout,
			      const struct hs_html_scale *scale,
			      const struct hs_timeline_event *event, int64_t top_ms)
{
	double x = x_of(scale, event->sent_ms);
	if (event->ok) {
		fprintf(file, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\" class=\"req\"><title>", x,
			latency_y(layout, event->latency_ms, top_ms));
	} else {
		double y = layout->latency_y + 5;
		fprintf(file,
			"<path d=\"M%.1f %.1fl5 5m0 -5l-5 5\" class=\"reqfail\"><title>failed: ",
			x - 2.5, y - 2.5);
	}
	hs_report_escape(file, event->detail);
	fprintf(file, ", sent at %" PRId64 " ms, %" PRId64 " ms</title>%s\n", event->sent_ms,
		event->latency_ms, event->ok ? "</circle>" : "</path>");
}

/* Many requests: per pixel column the slowest success and a cross when
 * any failed. */
static void svg_latency_columns(FILE *file, const struct hs_check_result *result,
				const struct hs_html_layout *layout,
				const struct hs_html_scale *scale, int64_t top_ms)
{
	static int64_t slowest_ms[HS_HTML_PLOT_PX];
	static uint32_t failed[HS_HTML_PLOT_PX];
	const struct hs_timeline *timeline = result->timeline;
	memset(failed, 0, sizeof(failed));
	for (int c = 0; c < HS_HTML_PLOT_PX; c++)
		slowest_ms[c] = -1;
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		int column = (int)(x_of(scale, event->sent_ms) - HS_HTML_LABEL_PX);
		if (!is_request(event) || column < 0 || column >= HS_HTML_PLOT_PX)
			continue;
		if (!event->ok)
			failed[column]++;
		else if (event->latency_ms > slowest_ms[column])
			slowest_ms[column] = event->latency_ms;
	}
	for (int c = 0; c < HS_HTML_PLOT_PX; c++) {
		/* At least 2 px: a column of fast successes stays visible. */
		double top = latency_y(layout, slowest_ms[c], top_ms);
		int bottom = layout->latency_y + HS_HTML_LATENCY_PX;
		if (slowest_ms[c] >= 0)
			fprintf(
			    file,
			    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" class=\"reqcol\"/>\n",
			    HS_HTML_LABEL_PX + c, bottom, HS_HTML_LABEL_PX + c,
			    top < bottom - 2 ? top : bottom - 2);
		if (failed[c])
			fprintf(file,
				"<path d=\"M%.1f %dl5 5m0 -5l-5 5\" class=\"reqfail\"><title>%u "
				"failed</title></path>\n",
				HS_HTML_LABEL_PX + c - 2.5, layout->latency_y + 3, failed[c]);
	}
}

static void svg_latency(FILE *file, const struct hs_check_result *result,
			const struct hs_html_layout *layout, const struct hs_html_scale *scale)
{
	const struct hs_timeline *timeline = result->timeline;
	uint32_t requests;
	int64_t top_ms = latency_top_ms(timeline, &requests);
	int bottom = layout->latency_y + HS_HTML_LATENCY_PX;
	fprintf(file,
		"<text x=\"4\" y=\"%d\" class=\"lane\">latency</text>"
		"<text x=\"4\" y=\"%d\" class=\"tick\">%u requests</text>"
		"<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">%" PRId64 " ms</text>"
		"<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">0</text>"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\"/>\n",
		layout->latency_y + 30, layout->latency_y + 44, requests, HS_HTML_LABEL_PX - 4,
		layout->latency_y + 12, top_ms, HS_HTML_LABEL_PX - 4, bottom, HS_HTML_LABEL_PX,
		layout->latency_y + 8, HS_HTML_LABEL_PX + HS_HTML_PLOT_PX, layout->latency_y + 8);
	if (requests > HS_HTML_POINTS_MAX) {
		svg_latency_columns(file, result, layout, scale, top_ms);
		return;
	}
	for (uint32_t i = 0; i < timeline->event_count; i++)
		if (is_request(&timeline->events[i]))
			svg_latency_point(file, layout, scale, &timeline->events[i], top_ms);
}

/* ------------------------------------------------------------- axis, svg */

static void svg_axis(FILE *file, const struct hs_html_scale *scale, int y)
{
	static const int64_t steps_ms[] = {100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000};
	int64_t tick_ms = steps_ms[0];
	for (size_t i = 0; i < sizeof(steps_ms) / sizeof(steps_ms[0]); i++) {
		tick_ms = steps_ms[i];
		if ((scale->end_ms - scale->start_ms) / tick_ms <= 20)
			break;
	}
	fprintf(file, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
		HS_HTML_LABEL_PX, y, HS_HTML_LABEL_PX + HS_HTML_PLOT_PX, y);
	int64_t first = scale->start_ms >= 0 ? (scale->start_ms + tick_ms - 1) / tick_ms * tick_ms
					     : scale->start_ms / tick_ms * tick_ms;
	for (int64_t t = first; t <= scale->end_ms && t - first <= 100 * tick_ms; t += tick_ms)
		fprintf(file,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"axis\"/>"
			"<text x=\"%.1f\" y=\"%d\" class=\"tick\">%.1f s</text>\n",
			x_of(scale, t), y, x_of(scale, t), y + 5, x_of(scale, t) - 10, y + 18,
			(double)t / 1000.0);
}

static int write_svg(FILE *file, const struct hs_check_result *result)
{
	struct hs_html_scale scale = scale_of(result);
	struct hs_html_layout layout;
	int *rows = calloc(result->timeline->event_count + 1, sizeof(*rows));
	if (!rows)
		return -1;
	layout.label_rows = label_rows(result->timeline, &scale, rows);
	layout.lanes_y = 8 + layout.label_rows * HS_HTML_LABEL_ROW_PX;
	layout.fabric_y = layout.lanes_y + (int)result->node_count * HS_HTML_LANE_PX;
	layout.client_y = layout.fabric_y + HS_HTML_LANE_PX;
	layout.latency_y = layout.client_y + HS_HTML_LANE_PX;
	layout.axis_y = layout.latency_y + HS_HTML_LATENCY_PX + 6;
	fprintf(file, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n",
		HS_HTML_LABEL_PX + HS_HTML_PLOT_PX + 60, layout.axis_y + 26);
	fprintf(file, "<text x=\"4\" y=\"14\" class=\"lane\">steps</text>\n");
	for (uint32_t i = 0; i < result->node_count; i++)
		svg_node_lane(file, result, i, &scale, layout.lanes_y + (int)i * HS_HTML_LANE_PX);
	svg_windows(file, result, &scale, layout.lanes_y);
	svg_fabric_lane(file, result->timeline, &scale, layout.fabric_y);
	svg_client_lane(file, result, &scale, layout.client_y);
	svg_latency(file, result, &layout, &scale);
	svg_steps(file, result->timeline, &scale, rows, layout.axis_y);
	svg_axis(file, &scale, layout.axis_y);
	fputs("</svg>\n", file);
	free(rows);
	return 0;
}

/* ------------------------------------------------------------- page */

static const char hs_html_style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "h1 .passed{color:#2e9d48}h1 .failed{color:#d9342b}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
    "text-align:left;font-size:90%}tr.fail td{background:#fde8e6}"
    ".lane{font-size:12px;font-weight:bold}.span{font-size:11px;fill:#fff}"
    ".tick{font-size:10px}.axis{stroke:#444}.step{stroke:#555;stroke-dasharray:4 3}"
    ".step.failed{stroke:#d9342b}.steplabel{font-size:11px}.fabric{fill:#f0a020}"
    ".clientfail{fill:#d9342b}.outage{font-size:11px;fill:#d9342b}"
    ".window{fill-opacity:.22;stroke-width:1.2}.window.held{fill:#2e9d48;stroke:#1d6b30}"
    ".window.failed{fill:#d9342b;stroke:#a01d17}.window.skipped{fill:#999;stroke:#666}"
    ".req{fill:#3b7dd8}.reqcol{stroke:#3b7dd8}.reqfail{stroke:#d9342b;stroke-width:1.5;fill:none}"
    ".grid{stroke:#ddd}.legend span{display:inline-block;padding:1px 6px;margin-right:4px;"
    "color:#fff;font-size:80%}";

static void write_head(FILE *file, const struct hs_check_result *result)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>hasim: ", file);
	hs_report_escape(file, result->scenario);
	fprintf(file, "</title><style>%s</style></head><body>\n<h1>", hs_html_style);
	hs_report_escape(file, result->scenario);
	fprintf(file, " <span class=\"%s\">%s</span></h1>\n<p>",
		result->passed ? "passed" : "failed", result->passed ? "PASSED" : "FAILED");
	const char *fields[][2] = {{"scenario", result->scenario_path},
				   {"topology", result->topology},
				   {"backend", result->backend}};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		fprintf(file, "%s: <b>", fields[i][0]);
		hs_report_escape(file, fields[i][1]);
		fputs("</b>, ", file);
	}
	fprintf(file,
		"seed: <b>%" PRIu64 "</b>, time scale: <b>%g</b>, ended at <b>%" PRId64
		" ms</b></p>\n",
		result->seed, result->time_scale, result->ended_ms);
	if (result->failure_count > 0) {
		fputs("<h2>Failures</h2><ul>\n", file);
		for (uint32_t i = 0; i < result->failure_count; i++) {
			fputs("<li>", file);
			hs_report_escape(file, result->failures[i]);
			fputs("</li>\n", file);
		}
		fputs("</ul>\n", file);
	}
}

static void write_legend(FILE *file)
{
	static const char *const states[] = {"active",	 "standby",	 "starting",
					     "off",	 "fault",	 "maintenance",
					     "isolated", "disconnected", "standalone"};
	fputs("<p class=\"legend\">", file);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		fprintf(file, "<span style=\"background:%s\">%s</span>", state_color(states[i]),
			states[i]);
	fputs(" dashed line: step; shaded band: the time an expectation is about (green held, "
	      "red failed); circle: fabric event; red bar: time without a successful client "
	      "request; dots: each request's latency at the time it was sent, red cross: a "
	      "failed request</p>\n",
	      file);
}

static void write_cell(FILE *file, const char *text)
{
	fputs("<td>", file);
	hs_report_escape(file, text);
	fputs("</td>", file);
}

static void write_expectations(FILE *file, const struct hs_check_result *result)
{
	fputs("<h2>Expectations</h2>\n<table><tr><th>#</th><th>line</th><th>kind</th>"
	      "<th>expectation</th><th>verdict</th><th>message</th></tr>\n",
	      file);
	for (uint32_t i = 0; i < result->expect_count; i++) {
		const struct hs_check_expect_result *expect = &result->expects[i];
		fprintf(file, "<tr%s><td>%u</td><td>%u</td>",
			expect->passed ? "" : " class=\"fail\"", expect->index, expect->line);
		write_cell(file, hs_check_expect_kind_name(expect->kind));
		write_cell(file, expect->description);
		write_cell(file, expect->skipped  ? "skipped"
				 : expect->passed ? "passed"
						  : "FAILED");
		write_cell(file, expect->message);
		fputs("</tr>\n", file);
	}
	fputs("</table>\n<h2>Metrics</h2>\n<table>\n", file);
	for (int metric = HS_METRIC_FAILOVER_MS; metric < HS_METRIC_COUNT; metric++) {
		const struct hs_check_metric *value = &result->metrics[metric];
		char text[HS_TEXT_MAX + 32];
		if (value->known && metric == HS_METRIC_OUTAGE_MS && result->resolution_ms > 0)
			snprintf(text, sizeof(text),
				 "%" PRId64 " (the client's resolution: %" PRId64 " ms)",
				 value->value, result->resolution_ms);
		else if (value->known)
			snprintf(text, sizeof(text), "%" PRId64, value->value);
		else
			snprintf(text, sizeof(text), "unknown: %s", value->note);
		fputs("<tr>", file);
		write_cell(file, hs_check_metric_name(metric));
		write_cell(file, text);
		fputs("</tr>\n", file);
	}
	fputs("</table>\n", file);
}

static void write_events(FILE *file, const struct hs_check_result *result)
{
	const struct hs_timeline *timeline = result->timeline;
	uint32_t rows = 0, left_out = 0;
	fputs("<h2>Events</h2>\n<table><tr><th>t (ms)</th><th>source</th><th>kind</th>"
	      "<th>node</th><th>from</th><th>to</th><th>detail</th></tr>\n",
	      file);
	for (uint32_t i = 0; i < timeline->event_count; i++) {
		const struct hs_timeline_event *event = &timeline->events[i];
		if (event->source_kind == HS_SOURCE_CLIENT && event->ok)
			continue;
		if (rows == HS_HTML_EVENT_ROWS_MAX) {
			left_out++;
			continue;
		}
		fprintf(file, "<tr%s><td>%" PRId64 "</td>", event->ok ? "" : " class=\"fail\"",
			event->t_ms);
		write_cell(file, event->source);
		if (event->source_kind == HS_SOURCE_NOTIFY) { /* not a cluster-log record */
			char kind[HS_NAME_MAX + 16];
			snprintf(kind, sizeof(kind), "notify %s", event->kind);
			write_cell(file, kind);
		} else {
			write_cell(file, event->kind);
		}
		write_cell(file, event->node);
		write_cell(file, event->from);
		write_cell(file, event->to);
		write_cell(file, event->detail);
		fputs("</tr>\n", file);
		rows++;
	}
	fputs("</table>\n", file);
	if (left_out)
		fprintf(file, "<p>%u more events left out.</p>\n", left_out);
}

int hs_report_html_write(const struct hs_check_result *result, const char *path, char *error,
			 size_t error_size)
{
	if (!result->timeline) {
		snprintf(error, error_size, "hs_report_html_write: %s: the result has no timeline",
			 path);
		return -1;
	}
	struct hs_report_file report = {0};
	if (hs_report_open(&report, path, error, error_size) < 0)
		return -1;
	write_head(report.file, result);
	write_legend(report.file);
	if (write_svg(report.file, result) < 0) {
		hs_report_close(&report, true, error, error_size);
		snprintf(error, error_size, "hs_report_html_write: %s: out of memory", path);
		return -1;
	}
	write_expectations(report.file, result);
	write_events(report.file, result);
	fputs("</body></html>\n", report.file);
	return hs_report_close(&report, false, error, error_size);
}
