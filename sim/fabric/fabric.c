/*
 * fabric.c - the fabric's life cycle, names, topology and state queries.
 *
 * Everything is looked up by the name the caller gave it; an unknown or
 * malformed name makes the call return -1 with a message naming the
 * function and the object. Topology is built once, before traffic starts:
 * the tables are fixed-size arrays (limits in fabric.h). Faults live in
 * faults.c, the frame path in switch.c.
 */
#include "fabric_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ life cycle */

void hs_fabric_config_default(struct hs_fabric_config *config)
{
	memset(config, 0, sizeof(*config));
	config->seed = 1;
	config->delay_queue_max = 1024;
	config->mac_table_max = 256;
	config->mac_aging_ms = 300000;
}

struct hs_fabric *hs_fabric_new(const struct hs_fabric_config *config)
{
	struct hs_fabric *fabric = calloc(1, sizeof(*fabric));

	if (fabric == NULL) {
		fprintf(stderr, "hs_fabric_new: out of memory\n");
		return NULL;
	}
	fabric->config = *config;
	fabric->config.fault_log_path = NULL; /* not kept: the caller owns it */
	if (fabric->config.delay_queue_max == 0)
		fabric->config.delay_queue_max = 1024;
	if (fabric->config.mac_table_max == 0)
		fabric->config.mac_table_max = 256;
	if (fabric->config.mac_aging_ms <= 0)
		fabric->config.mac_aging_ms = 300000;
	fabric->prng_state = config->seed;
	fabric->queue = calloc(fabric->config.delay_queue_max, sizeof(*fabric->queue));
	if (fabric->queue == NULL) {
		fprintf(stderr, "hs_fabric_new: out of memory for the delay queue\n");
		goto cleanup;
	}
	if (config->fault_log_path != NULL &&
	    hs_faultlog_open(fabric, config->fault_log_path) < 0) {
		fprintf(stderr, "%s\n", fabric->error);
		goto cleanup;
	}
	return fabric;
cleanup:
	hs_fabric_free(fabric);
	return NULL;
}

void hs_fabric_free(struct hs_fabric *fabric)
{
	if (fabric == NULL)
		return;
	for (int i = 0; i < fabric->uplink_count; i++)
		hs_uplink_free(fabric->uplinks[i]);
	for (int i = 0; i < fabric->endpoint_count; i++)
		if (fabric->endpoints[i].fd >= 0)
			close(fabric->endpoints[i].fd);
	for (int i = 0; i < fabric->switch_count; i++)
		free(fabric->switches[i].macs);
	if (fabric->fault_log != NULL)
		fclose(fabric->fault_log);
	free(fabric->queue);
	free(fabric);
}

const char *hs_fabric_error(const struct hs_fabric *fabric)
{
	return fabric->error;
}

int64_t hs_fabric_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hs_fabric_fail(struct hs_fabric *fabric, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fabric->error, sizeof(fabric->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* ----------------------------------------------------------------- names */

static bool hs_name_valid(const char *name)
{
	size_t length = name == NULL ? 0 : strlen(name);

	if (length == 0 || length >= HS_FABRIC_NAME_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

int hs_cable_find(const struct hs_fabric *fabric, const char *name)
{
	for (int i = 0; name != NULL && i < fabric->cable_count; i++)
		if (strcmp(fabric->cables[i].name, name) == 0)
			return i;
	return -1;
}

int hs_endpoint_find(const struct hs_fabric *fabric, const char *name)
{
	for (int i = 0; name != NULL && i < fabric->endpoint_count; i++)
		if (strcmp(fabric->endpoints[i].name, name) == 0)
			return i;
	return -1;
}

int hs_switch_find(const struct hs_fabric *fabric, const char *name)
{
	for (int i = 0; name != NULL && i < fabric->switch_count; i++)
		if (strcmp(fabric->switches[i].name, name) == 0)
			return i;
	return -1;
}

/* -------------------------------------------------------------- topology */

int hs_fabric_switch_add(struct hs_fabric *fabric, const char *name)
{
	struct hs_switch *sw;

	if (!hs_name_valid(name))
		return hs_fabric_fail(fabric, "hs_fabric_switch_add: invalid switch name '%s'",
				      name ? name : "(null)");
	if (hs_switch_find(fabric, name) >= 0)
		return hs_fabric_fail(fabric, "hs_fabric_switch_add: switch '%s' exists", name);
	if (fabric->switch_count >= HS_FABRIC_SWITCHES_MAX)
		return hs_fabric_fail(fabric, "hs_fabric_switch_add: switch '%s': table full (%d)",
				      name, HS_FABRIC_SWITCHES_MAX);
	sw = &fabric->switches[fabric->switch_count];
	memset(sw, 0, sizeof(*sw));
	sw->macs = calloc(fabric->config.mac_table_max, sizeof(*sw->macs));
	if (sw->macs == NULL)
		return hs_fabric_fail(fabric, "hs_fabric_switch_add: switch '%s': out of memory",
				      name);
	snprintf(sw->name, sizeof(sw->name), "%s", name);
	sw->powered = true;
	fabric->switch_count++;
	return 0;
}

/* Takes ownership of fd (closed on failure too). */
int hs_endpoint_slot_add(struct hs_fabric *fabric, const char *func, const char *name,
			 enum hs_endpoint_kind kind, int fd)
{
	struct hs_endpoint *ep;

	if (!hs_name_valid(name) || hs_endpoint_find(fabric, name) >= 0 ||
	    fabric->endpoint_count >= HS_FABRIC_ENDPOINTS_MAX) {
		if (fd >= 0)
			close(fd);
		return hs_fabric_fail(fabric,
				      "%s: endpoint '%s': invalid or duplicate name, or table full",
				      func, name ? name : "(null)");
	}
	ep = &fabric->endpoints[fabric->endpoint_count];
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->name, sizeof(ep->name), "%s", name);
	ep->kind = kind;
	ep->fd = fd;
	ep->cables[0] = ep->cables[1] = -1;
	return fabric->endpoint_count++;
}

int hs_cable_slot_add(struct hs_fabric *fabric, const char *func, const char *name)
{
	struct hs_cable *cable;

	if (!hs_name_valid(name) || hs_cable_find(fabric, name) >= 0 ||
	    fabric->cable_count >= HS_FABRIC_CABLES_MAX)
		return hs_fabric_fail(fabric,
				      "%s: cable '%s': invalid or duplicate name, or table full",
				      func, name ? name : "(null)");
	cable = &fabric->cables[fabric->cable_count];
	memset(cable, 0, sizeof(*cable));
	snprintf(cable->name, sizeof(cable->name), "%s", name);
	cable->endpoint = cable->switch_a = cable->port_a = -1;
	cable->up[0] = cable->up[1] = true;
	return fabric->cable_count++;
}

int hs_switch_port_add(struct hs_fabric *fabric, const char *func, int sw, int cable)
{
	struct hs_switch *s = &fabric->switches[sw];

	if (s->port_count >= HS_FABRIC_PORTS_MAX)
		return hs_fabric_fail(fabric, "%s: switch '%s': no free port (%d)", func, s->name,
				      HS_FABRIC_PORTS_MAX);
	s->port_cable[s->port_count] = cable;
	return s->port_count++;
}

int hs_fabric_cable_add(struct hs_fabric *fabric, const char *cable, const char *endpoint,
			const char *switch_name)
{
	int ep = hs_endpoint_find(fabric, endpoint);
	int sw = hs_switch_find(fabric, switch_name);
	int c, port;
	struct hs_endpoint *e;

	if (ep < 0)
		return hs_fabric_fail(fabric,
				      "hs_fabric_cable_add: cable '%s': unknown endpoint '%s'",
				      cable ? cable : "(null)", endpoint ? endpoint : "(null)");
	if (sw < 0)
		return hs_fabric_fail(
		    fabric, "hs_fabric_cable_add: cable '%s': unknown switch '%s'",
		    cable ? cable : "(null)", switch_name ? switch_name : "(null)");
	e = &fabric->endpoints[ep];
	if (e->cable_count >= 2)
		return hs_fabric_fail(
		    fabric, "hs_fabric_cable_add: cable '%s': endpoint '%s' already has two cables",
		    cable ? cable : "(null)", endpoint);
	c = hs_cable_slot_add(fabric, "hs_fabric_cable_add", cable);
	if (c < 0)
		return -1;
	port = hs_switch_port_add(fabric, "hs_fabric_cable_add", sw, c);
	if (port < 0) {
		fabric->cable_count--;
		return -1;
	}
	fabric->cables[c].endpoint = ep;
	fabric->cables[c].switch_b = sw;
	fabric->cables[c].port_b = port;
	e->cables[e->cable_count++] = c;
	if (!e->carrier && fabric->switches[sw].powered) {
		/* Setting up is not a fault: the carrier rises without a log line. */
		e->carrier = true;
		hs_endpoint_carrier_apply(fabric, ep);
	}
	return 0;
}

int hs_fabric_trunk_add(struct hs_fabric *fabric, const char *cable, const char *switch_a,
			const char *switch_b)
{
	int a = hs_switch_find(fabric, switch_a);
	int b = hs_switch_find(fabric, switch_b);
	int c, port_a, port_b;

	if (a < 0 || b < 0 || a == b)
		return hs_fabric_fail(
		    fabric,
		    "hs_fabric_trunk_add: cable '%s': unknown or identical switches '%s', '%s'",
		    cable ? cable : "(null)", switch_a ? switch_a : "(null)",
		    switch_b ? switch_b : "(null)");
	c = hs_cable_slot_add(fabric, "hs_fabric_trunk_add", cable);
	if (c < 0)
		return -1;
	port_a = hs_switch_port_add(fabric, "hs_fabric_trunk_add", a, c);
	port_b = port_a < 0 ? -1 : hs_switch_port_add(fabric, "hs_fabric_trunk_add", b, c);
	if (port_b < 0) {
		if (port_a >= 0)
			fabric->switches[a].port_count--;
		fabric->cable_count--;
		return -1;
	}
	fabric->cables[c].switch_a = a;
	fabric->cables[c].port_a = port_a;
	fabric->cables[c].switch_b = b;
	fabric->cables[c].port_b = port_b;
	return 0;
}

/* ----------------------------------------------------------------- state */

int hs_fabric_endpoint_carrier_get(const struct hs_fabric *fabric, const char *endpoint, bool *up)
{
	int ep = hs_endpoint_find(fabric, endpoint);

	if (ep < 0)
		return hs_fabric_fail((struct hs_fabric *)fabric,
				      "hs_fabric_endpoint_carrier_get: unknown endpoint '%s'",
				      endpoint ? endpoint : "(null)");
	*up = fabric->endpoints[ep].carrier;
	return 0;
}

int hs_fabric_endpoint_active_cable(const struct hs_fabric *fabric, const char *endpoint,
				    const char **cable)
{
	int ep = hs_endpoint_find(fabric, endpoint);
	const struct hs_endpoint *e;

	if (ep < 0)
		return hs_fabric_fail((struct hs_fabric *)fabric,
				      "hs_fabric_endpoint_active_cable: unknown endpoint '%s'",
				      endpoint ? endpoint : "(null)");
	e = &fabric->endpoints[ep];
	if (e->cable_count == 0)
		return hs_fabric_fail((struct hs_fabric *)fabric,
				      "hs_fabric_endpoint_active_cable: endpoint '%s' has no cable",
				      endpoint);
	*cable = fabric->cables[e->cables[e->active]].name;
	return 0;
}

int hs_fabric_cable_counters_get(const struct hs_fabric *fabric, const char *cable, enum hs_dir dir,
				 struct hs_counters *out)
{
	int c = hs_cable_find(fabric, cable);

	if (c < 0 || (dir != HS_DIR_TO_SWITCH && dir != HS_DIR_FROM_SWITCH))
		return hs_fabric_fail(
		    (struct hs_fabric *)fabric,
		    "hs_fabric_cable_counters_get: unknown cable '%s' or bad direction %d",
		    cable ? cable : "(null)", (int)dir);
	*out = fabric->cables[c].counters[dir];
	return 0;
}

static void hs_counters_write(const struct hs_counters *c, FILE *out)
{
	fprintf(out,
		"{\"forwarded\":%llu,\"dropped_loss\":%llu,\"dropped_partition\":%llu,"
		"\"dropped_link\":%llu,\"dropped_queue_full\":%llu,\"dropped_oversize\":%llu,"
		"\"duplicated\":%llu,\"delayed\":%llu}",
		(unsigned long long)c->forwarded, (unsigned long long)c->dropped_loss,
		(unsigned long long)c->dropped_partition, (unsigned long long)c->dropped_link,
		(unsigned long long)c->dropped_queue_full, (unsigned long long)c->dropped_oversize,
		(unsigned long long)c->duplicated, (unsigned long long)c->delayed);
}

int hs_fabric_counters_write_json(const struct hs_fabric *fabric, FILE *out)
{
	fprintf(out, "{\"cables\":{");
	for (int i = 0; i < fabric->cable_count; i++) {
		fprintf(out, "%s\"%s\":{\"to_switch\":", i ? "," : "", fabric->cables[i].name);
		hs_counters_write(&fabric->cables[i].counters[HS_DIR_TO_SWITCH], out);
		fprintf(out, ",\"from_switch\":");
		hs_counters_write(&fabric->cables[i].counters[HS_DIR_FROM_SWITCH], out);
		fprintf(out, "}");
	}
	fprintf(out, "},\"dropped_loop\":%llu}\n", (unsigned long long)fabric->dropped_loop);
	return ferror(out) ? -1 : 0;
}

int hs_fabric_carrier_event_pop(struct hs_fabric *fabric, struct hs_carrier_event *out)
{
	if (fabric->carrier_count == 0)
		return 0;
	*out = fabric->carrier_events[fabric->carrier_head];
	fabric->carrier_head = (fabric->carrier_head + 1) % HS_FABRIC_CARRIER_EVENTS_MAX;
	fabric->carrier_count--;
	return 1;
}

int hs_fabric_switch_mac_count(const struct hs_fabric *fabric, const char *switch_name,
			       int64_t now_ms)
{
	int sw = hs_switch_find(fabric, switch_name);

	if (sw < 0)
		return hs_fabric_fail((struct hs_fabric *)fabric,
				      "hs_fabric_switch_mac_count: unknown switch '%s'",
				      switch_name ? switch_name : "(null)");
	return (int)hs_switch_macs_valid(fabric, &fabric->switches[sw], now_ms);
}
