/*
 * uplink.c - the fabric's way out: a libslirp stack cabled to a switch.
 *
 * The uplink is an endpoint whose "node" is libslirp. Its virtual host
 * 192.0.2.1 is the external network's gateway and first ping target:
 * libslirp answers ICMP echo to its virtual host itself (icmp_input
 * reflects it), even when restricted. The stack runs restricted, so the
 * nodes reach nothing outside: a connection to any other address is reset
 * and pings to it are dropped. DHCP and DNS are off (nodes have static
 * addresses), and the host's loopback is not reachable from the nodes.
 *
 * Host port forwards (slirp_add_hostfwd) let a client on the host reach
 * the cluster IP: libslirp accepts on 127.0.0.1:<port> and connects to
 * 192.0.2.10:7000 from 192.0.2.1. It finds the guest's MAC with ARP and
 * updates it from gratuitous ARP, so after a failover the forward reaches
 * the new active node.
 *
 * libslirp calls send_packet from inside slirp_input and slirp_pollfds_poll;
 * we never re-enter the frame path from there: the frame is queued (due at
 * once) and moved by the fabric's timer run. The clock given to libslirp
 * is CLOCK_MONOTONIC, the clock hasim passes as now_ms.
 */
#include "fabric_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HS_UPLINK_TIMERS_MAX	4
#define HS_UPLINK_HOSTFWD_TRIES 8

struct hs_uplink_timer {
	bool used;
	bool armed;
	int64_t expire_ms;
	bool opaque_id; /* created with timer_new_opaque: fire via slirp_handle_timer */
	SlirpTimerId id;
	SlirpTimerCb cb;
	void *cb_opaque;
};

struct hs_uplink {
	struct hs_fabric *fabric;
	int endpoint;
	Slirp *slirp;
	struct hs_uplink_timer timers[HS_UPLINK_TIMERS_MAX];
	struct pollfd *fill_fds; /* during hs_uplink_pollfds_fill */
	size_t fill_cap, fill_used;
	const struct pollfd *poll_fds; /* during hs_uplink_pollfds_handle */
	size_t poll_count;
	int forward_count;
};

/* ------------------------------------------------------ libslirp callbacks */

static ssize_t hs_uplink_send_packet(const void *buf, size_t len, void *opaque)
{
	struct hs_uplink *uplink = opaque;
	struct hs_fabric *fabric = uplink->fabric;
	struct hs_queued_frame *queued = &fabric->scratch_queued;
	const struct hs_endpoint *ep = &fabric->endpoints[uplink->endpoint];

	if (len > HS_FABRIC_FRAME_MAX || len < HS_FABRIC_FRAME_MIN) {
		if (ep->cable_count > 0)
			fabric->cables[ep->cables[0]].counters[HS_DIR_TO_SWITCH].dropped_oversize++;
		return (ssize_t)len;
	}
	queued->due_ms = 0; /* due at once, before anything delayed */
	queued->endpoint = uplink->endpoint;
	queued->cable = -1;
	queued->dir = HS_DIR_TO_SWITCH;
	queued->origin = uplink->endpoint;
	queued->hops = 0;
	queued->length = (uint16_t)len;
	memcpy(queued->data, buf, len);
	if (hs_queue_push(fabric, queued) < 0 && ep->cable_count > 0)
		fabric->cables[ep->cables[0]].counters[HS_DIR_TO_SWITCH].dropped_queue_full++;
	return (ssize_t)len;
}

static void hs_uplink_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "hs_uplink: libslirp: %s\n", msg);
}

static int64_t hs_uplink_clock_get_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct hs_uplink_timer *hs_uplink_timer_slot(struct hs_uplink *uplink)
{
	for (int i = 0; i < HS_UPLINK_TIMERS_MAX; i++) {
		if (!uplink->timers[i].used) {
			memset(&uplink->timers[i], 0, sizeof(uplink->timers[i]));
			uplink->timers[i].used = true;
			return &uplink->timers[i];
		}
	}
	fprintf(stderr, "hs_uplink_timer_slot: no free timer (%d)\n", HS_UPLINK_TIMERS_MAX);
	return NULL;
}

static void *hs_uplink_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct hs_uplink_timer *timer = hs_uplink_timer_slot(opaque);

	if (timer != NULL) {
		timer->cb = cb;
		timer->cb_opaque = cb_opaque;
	}
	return timer;
}

static void *hs_uplink_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct hs_uplink_timer *timer = hs_uplink_timer_slot(opaque);

	if (timer != NULL) {
		timer->opaque_id = true;
		timer->id = id;
		timer->cb_opaque = cb_opaque;
	}
	return timer;
}

static void hs_uplink_timer_free(void *timer, void *opaque)
{
	(void)opaque;
	if (timer != NULL)
		memset(timer, 0, sizeof(struct hs_uplink_timer));
}

static void hs_uplink_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	struct hs_uplink_timer *t = timer;

	(void)opaque;
	t->armed = true;
	t->expire_ms = expire_time;
}

static void hs_uplink_nothing(int fd, void *opaque)
{
	/* Our loop asks libslirp for its fds every round: no registry needed. */
	(void)fd;
	(void)opaque;
}

static void hs_uplink_notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb hs_uplink_callbacks = {
    .send_packet = hs_uplink_send_packet,
    .guest_error = hs_uplink_guest_error,
    .clock_get_ns = hs_uplink_clock_get_ns,
    .timer_new = hs_uplink_timer_new,
    .timer_free = hs_uplink_timer_free,
    .timer_mod = hs_uplink_timer_mod,
    .register_poll_fd = hs_uplink_nothing,
    .unregister_poll_fd = hs_uplink_nothing,
    .notify = hs_uplink_notify,
    .timer_new_opaque = hs_uplink_timer_new_opaque,
};

/* ------------------------------------------------------------ life cycle */

static Slirp *hs_uplink_slirp_new(struct hs_uplink *uplink)
{
	SlirpConfig config;

	memset(&config, 0, sizeof(config));
	config.version = 4;
	config.restricted = 1;
	config.in_enabled = true;
	inet_pton(AF_INET, "192.0.2.0", &config.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &config.vnetmask);
	inet_pton(AF_INET, "192.0.2.1", &config.vhost);
	/* Unused (DHCP and DNS are off) but must lie inside the network; .3 and
	 * .200 are no node's address. */
	inet_pton(AF_INET, "192.0.2.200", &config.vdhcp_start);
	inet_pton(AF_INET, "192.0.2.3", &config.vnameserver);
	config.in6_enabled = false;
	config.disable_host_loopback = true;
	config.disable_dns = true;
	config.disable_dhcp = true;
	return slirp_new(&config, &hs_uplink_callbacks, uplink);
}

void hs_uplink_free(struct hs_uplink *uplink)
{
	if (uplink == NULL)
		return;
	if (uplink->slirp != NULL)
		slirp_cleanup(uplink->slirp);
	free(uplink);
}

int hs_fabric_uplink_add(struct hs_fabric *fabric, const char *name, const char *cable,
			 const char *switch_name)
{
	struct hs_uplink *uplink = NULL;
	int ep = -1;

	if (fabric->uplink_count >= HS_FABRIC_UPLINKS_MAX)
		return hs_fabric_fail(fabric, "hs_fabric_uplink_add: uplink '%s': table full (%d)",
				      name ? name : "(null)", HS_FABRIC_UPLINKS_MAX);
	if (hs_switch_find(fabric, switch_name) < 0)
		return hs_fabric_fail(fabric,
				      "hs_fabric_uplink_add: uplink '%s': unknown switch '%s'",
				      name ? name : "(null)", switch_name ? switch_name : "(null)");
	uplink = calloc(1, sizeof(*uplink));
	if (uplink == NULL)
		return hs_fabric_fail(fabric, "hs_fabric_uplink_add: uplink '%s': out of memory",
				      name ? name : "(null)");
	uplink->fabric = fabric;
	uplink->slirp = hs_uplink_slirp_new(uplink);
	if (uplink->slirp == NULL) {
		hs_fabric_fail(fabric, "hs_fabric_uplink_add: uplink '%s': slirp_new failed",
			       name ? name : "(null)");
		goto cleanup;
	}
	ep = hs_endpoint_slot_add(fabric, "hs_fabric_uplink_add", name, HS_ENDPOINT_UPLINK, -1);
	if (ep < 0)
		goto cleanup;
	uplink->endpoint = ep;
	fabric->endpoints[ep].uplink = uplink;
	if (hs_fabric_cable_add(fabric, cable, name, switch_name) < 0)
		goto cleanup;
	fabric->uplinks[fabric->uplink_count++] = uplink;
	return 0;
cleanup:
	if (ep >= 0)
		fabric->endpoint_count--; /* the slot just added, still without cable */
	hs_uplink_free(uplink);
	return -1;
}

static struct hs_uplink *hs_uplink_find(struct hs_fabric *fabric, const char *name)
{
	int ep = hs_endpoint_find(fabric, name);

	if (ep < 0 || fabric->endpoints[ep].kind != HS_ENDPOINT_UPLINK)
		return NULL;
	return fabric->endpoints[ep].uplink;
}

/* libslirp cannot report the port it bound for port 0, so a free port is
 * found first by binding one; another process could take it in between,
 * hence a few tries. */
static int hs_uplink_free_port(uint16_t *port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t length = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&addr, &length) == 0) {
		*port = ntohs(addr.sin_port);
		rc = 0;
	}
	close(fd);
	return rc;
}

int hs_fabric_uplink_forward_add(struct hs_fabric *fabric, const char *name, uint16_t host_port,
				 const char *guest_ip, uint16_t guest_port, uint16_t *host_port_out)
{
	struct hs_uplink *uplink = hs_uplink_find(fabric, name);
	struct in_addr host_addr, guest_addr;

	if (uplink == NULL)
		return hs_fabric_fail(fabric, "hs_fabric_uplink_forward_add: unknown uplink '%s'",
				      name ? name : "(null)");
	if (guest_ip == NULL || inet_pton(AF_INET, guest_ip, &guest_addr) != 1 || guest_port == 0)
		return hs_fabric_fail(
		    fabric, "hs_fabric_uplink_forward_add: uplink '%s': bad guest address '%s:%u'",
		    name, guest_ip ? guest_ip : "(null)", guest_port);
	if (uplink->forward_count >= HS_FABRIC_FORWARDS_MAX)
		return hs_fabric_fail(
		    fabric, "hs_fabric_uplink_forward_add: uplink '%s': too many forwards (%d)",
		    name, HS_FABRIC_FORWARDS_MAX);
	host_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int try = 0; try < HS_UPLINK_HOSTFWD_TRIES; try++) {
		uint16_t port = host_port;

		if (port == 0 && hs_uplink_free_port(&port) < 0)
			break;
		if (slirp_add_hostfwd(uplink->slirp, 0, host_addr, port, guest_addr, guest_port) ==
		    0) {
			uplink->forward_count++;
			if (host_port_out != NULL)
				*host_port_out = port;
			return 0;
		}
		if (host_port != 0)
			break;
	}
	return hs_fabric_fail(
	    fabric,
	    "hs_fabric_uplink_forward_add: uplink '%s': cannot forward 127.0.0.1:%u to %s:%u", name,
	    host_port, guest_ip, guest_port);
}

/* ------------------------------------------------------------ event loop */

void hs_uplink_input(struct hs_uplink *uplink, const uint8_t *frame, size_t length)
{
	slirp_input(uplink->slirp, frame, (int)length);
}

static int hs_uplink_add_poll(int fd, int events, void *opaque)
{
	struct hs_uplink *uplink = opaque;
	struct pollfd *p;

	if (uplink->fill_used >= uplink->fill_cap)
		return -1; /* libslirp skips a socket whose index is -1 */
	p = &uplink->fill_fds[uplink->fill_used];
	p->fd = fd;
	p->events = (short)(((events & SLIRP_POLL_IN) ? POLLIN : 0) |
			    ((events & SLIRP_POLL_OUT) ? POLLOUT : 0) |
			    ((events & SLIRP_POLL_PRI) ? POLLPRI : 0));
	p->revents = 0;
	return (int)uplink->fill_used++;
}

static int hs_uplink_get_revents(int idx, void *opaque)
{
	struct hs_uplink *uplink = opaque;
	short revents;

	if (idx < 0 || (size_t)idx >= uplink->poll_count)
		return 0;
	revents = uplink->poll_fds[idx].revents;
	return ((revents & POLLIN) ? SLIRP_POLL_IN : 0) |
	       ((revents & POLLOUT) ? SLIRP_POLL_OUT : 0) |
	       ((revents & POLLPRI) ? SLIRP_POLL_PRI : 0) |
	       ((revents & POLLERR) ? SLIRP_POLL_ERR : 0) |
	       ((revents & POLLHUP) ? SLIRP_POLL_HUP : 0);
}

/* Appends libslirp's fds at fds[used..cap); returns the new used count. */
int hs_uplink_pollfds_fill(struct hs_uplink *uplink, struct pollfd *fds, size_t cap, size_t used,
			   uint32_t *timeout_ms)
{
	uplink->fill_fds = fds;
	uplink->fill_cap = cap;
	uplink->fill_used = used;
	slirp_pollfds_fill(uplink->slirp, timeout_ms, hs_uplink_add_poll, uplink);
	uplink->fill_fds = NULL;
	return (int)uplink->fill_used;
}

void hs_uplink_pollfds_handle(struct hs_uplink *uplink, const struct pollfd *fds, size_t count)
{
	uplink->poll_fds = fds;
	uplink->poll_count = count;
	slirp_pollfds_poll(uplink->slirp, 0, hs_uplink_get_revents, uplink);
	uplink->poll_fds = NULL;
	uplink->poll_count = 0;
}

int64_t hs_uplink_deadline_ms(const struct hs_uplink *uplink)
{
	int64_t deadline = -1;

	for (int i = 0; i < HS_UPLINK_TIMERS_MAX; i++) {
		const struct hs_uplink_timer *t = &uplink->timers[i];

		if (t->used && t->armed && (deadline < 0 || t->expire_ms < deadline))
			deadline = t->expire_ms;
	}
	return deadline;
}

void hs_uplink_timers_run(struct hs_uplink *uplink, int64_t now_ms)
{
	for (int i = 0; i < HS_UPLINK_TIMERS_MAX; i++) {
		struct hs_uplink_timer *t = &uplink->timers[i];

		if (!t->used || !t->armed || t->expire_ms > now_ms)
			continue;
		t->armed = false;
		if (t->opaque_id)
			slirp_handle_timer(uplink->slirp, t->id, t->cb_opaque);
		else if (t->cb != NULL)
			t->cb(t->cb_opaque);
	}
}
