/*
 * status.h - the reference node's status answer: what `hactl status
 * --json` prints and hasim writes into final.json, one JSON object (node,
 * links, peer, counters, transitions) whose "text" member is the human
 * rendering of `hactl status`. Pure (status.c, in libhnnode.a): hanode and
 * hasim's virtual backend render the same answer from the same facts.
 */
#ifndef HN_STATUS_H
#define HN_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hn_core.h"
#include "host.h"

/* What `status` shows. host is NULL for a node without a cluster key
 * (unpaired): everything it would tell is then shown as unknown. */
struct hn_control_status_view {
	bool paired;
	uint64_t now_ms;
	const struct hn_identity *self;
	const struct hn_link_config *link_configs; /* HN_LINKS of them: interface names */
	const struct hn_host_status *host;	   /* hn_host_status(), or NULL */
	/* the cluster log's forwarding to a remote syslog (hanode only) */
	bool syslog_forwarding;
	uint64_t syslog_sent, syslog_dropped;
};

/* The status answer into json. Returns -1 if it does not fit json_size. */
int hn_control_status_render(const struct hn_control_status_view *view, char *json,
			     size_t json_size);

/* The answer to an admin command, or a request's refusal, as one JSON
 * line: {"ok":true,"message":"TEXT"} or {"ok":false,"error":"TEXT"}
 * (hanode's control socket and hasim's virtual backend alike). Returns -1
 * if it does not fit json_size (text is cut at HN_REASON_MAX + 64). */
int hn_control_answer_render(bool ok, const char *text, char *json, size_t json_size);

#endif
