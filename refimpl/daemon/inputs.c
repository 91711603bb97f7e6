/*
 * inputs.c - what hanode's host hears: datagrams from the link sockets,
 * carrier changes from netlink (and from a poll of the drivers' carrier on
 * the host's timer, for the losses linkwatch delays: netif.h), finished commands from the runner
 * (checks, fence results), echo replies from the ICMP socket, answers to the ARP probe, the store's
 * clients, and the two timers: the host's own deadline (hn_host_next_deadline_ms: the core, the
 * health rounds, the cluster IP's announcements) and the house timer for the daemon's plumbing
 * (command timeouts, idle store clients, admin answers that never came, the pairing secret).
 *
 * Before the host's timer runs, what already arrived but was not
 * dispatched yet - commands that exited, replies queued on the check
 * sockets - is taken in: the loop runs timers after the sockets of its
 * turn, and a round that the timer ends must not count an answer that is
 * already here as missing.
 */
#include <stdio.h>
#include <string.h>

#include "hanode.h"

/* ------------------------------------------------------ inputs: sockets */

void hn_daemon_on_link(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	(void)revents;
	for (int link = 0; link < HN_LINKS; link++) {
		if (daemon->links.sockets[link].fd != fd)
			continue;
		for (int burst = 0; burst < HN_LINKS_RECEIVE_BURST; burst++) {
			ssize_t length = hn_links_receive(&daemon->links, (enum hn_link)link,
							  daemon->packet, sizeof(daemon->packet));
			if (length < 0)
				break;
			if (daemon->paired)
				hn_host_packet(daemon->host, (enum hn_link)link, daemon->packet,
					       (size_t)length, hn_loop_now_ms());
		}
	}
}

static int hn_daemon_link_of(const struct hn_daemon *daemon, const char *ifname)
{
	for (int link = 0; link < HN_LINKS; link++)
		if (strcmp(daemon->config.links[link].interface, ifname) == 0)
			return link;
	return -1;
}

/* Carrier changes, from netlink or from the poll, to the host. */
static void hn_daemon_carrier_changes(struct hn_daemon *daemon,
				      const struct hn_netif_carrier_change *changes, int count)
{
	char error[HN_ERROR_MAX];
	for (int i = 0; i < count; i++) {
		int link = hn_daemon_link_of(daemon, changes[i].ifname);
		if (link < 0 || !daemon->paired)
			continue;
		/* The ping check's echoes must not wait behind an ARP resolution
		 * begun while the external carrier was down (netif.h): dropped
		 * before the host hears the carrier and pings again. */
		if (link == HN_LINK_EXTERNAL && changes[i].carrier_up &&
		    hn_netif_neighbours_flush_unresolved(changes[i].ifname, error, sizeof(error)) <
			0)
			hn_daemon_log(daemon, "health", error);
		hn_host_carrier(daemon->host, (enum hn_link)link, changes[i].carrier_up,
				hn_loop_now_ms());
	}
}

void hn_daemon_on_monitor(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	struct hn_netif_carrier_change changes[HN_NETIF_CHANGES_MAX];
	char error[HN_ERROR_MAX];
	(void)fd;
	(void)revents;
	int count = hn_netif_monitor_read(&daemon->monitor, changes, HN_NETIF_CHANGES_MAX, error,
					  sizeof(error));
	hn_daemon_carrier_changes(daemon, changes, count);
}

void hn_daemon_on_runner(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
	(void)fd;
	(void)revents;
	int count = hn_runner_reap(&daemon->runner, results, HN_RUNNER_CHILDREN_MAX);
	for (int i = 0; i < count && daemon->paired; i++)
		hn_host_command_done(daemon->host, results[i].id, results[i].exit_status,
				     results[i].timed_out, hn_loop_now_ms());
	hn_daemon_recreate_poll(daemon, hn_loop_now_ms());
}

void hn_daemon_on_ping(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	uint16_t sequences[HN_CHECKS_REPLIES_MAX];
	(void)fd;
	(void)revents;
	size_t count = hn_checks_ping_read(&daemon->ping, sequences, HN_CHECKS_REPLIES_MAX);
	for (size_t i = 0; i < count && daemon->paired; i++)
		hn_host_ping_reply(daemon->host, sequences[i], hn_loop_now_ms());
}

/* An answer of a time server: the verdict of the round's time check. */
void hn_daemon_on_timecheck(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	char reason[HN_REASON_MAX];
	uint64_t id = 0;
	bool ok = false;
	(void)fd;
	(void)revents;
	if (hn_timecheck_read(&daemon->timecheck, &id, &ok, reason, sizeof(reason)) &&
	    daemon->paired)
		hn_host_check_done(daemon->host, id, ok, reason, hn_loop_now_ms());
}

void hn_daemon_on_probe(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	(void)fd;
	(void)revents;
	/* Frames outside a probe of a round are drained too; the host ignores them. */
	if (hn_netif_arp_probe_read(&daemon->probe, NULL) && daemon->paired)
		hn_host_probe_answered(daemon->host, hn_loop_now_ms());
}

/* ------------------------------------------------------------- timers */

void hn_daemon_on_host_timer(void *arg, uint64_t now_ms)
{
	struct hn_daemon *daemon = arg;
	if (!daemon->paired)
		return;
	/* Take in what is already here (see the top of this file). */
	hn_daemon_on_runner(daemon, hn_runner_fd(&daemon->runner), POLLIN);
	if (daemon->ping.opened)
		hn_daemon_on_ping(daemon, daemon->ping.fd, POLLIN);
	if (daemon->probe.opened)
		hn_daemon_on_probe(daemon, daemon->probe.fd, POLLIN);
	if (daemon->timecheck.opened)
		hn_daemon_on_timecheck(daemon, daemon->timecheck.fd, POLLIN);
	/* A carrier loss whose netlink message linkwatch holds back (netif.h)
	 * is seen here, within one timer period. */
	struct hn_netif_carrier_change changes[HN_NETIF_CHANGES_MAX];
	int count = hn_netif_monitor_poll(&daemon->monitor, changes, HN_NETIF_CHANGES_MAX);
	hn_daemon_carrier_changes(daemon, changes, count);
	hn_host_tick(daemon->host, now_ms);
}

void hn_daemon_on_house_timer(void *arg, uint64_t now_ms)
{
	struct hn_daemon *daemon = arg;
	char reason[HN_REASON_MAX];
	uint64_t id = 0;
	hn_runner_on_deadline(&daemon->runner, now_ms);
	if (hn_timecheck_expire(&daemon->timecheck, now_ms, &id, reason, sizeof(reason)) &&
	    daemon->paired)
		hn_host_check_done(daemon->host, id, false, reason, now_ms);
	hn_kvserver_on_deadline(&daemon->kvserver, now_ms);
	hn_daemon_admin_expire(daemon, now_ms);
	hn_daemon_recreate_poll(daemon, now_ms);
	if (daemon->secret.valid && !hn_pairing_secret_usable(&daemon->secret, now_ms)) {
		daemon->secret.valid = false;
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.client_fd);
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.listen_fd);
		hn_pairing_server_close(&daemon->pairing);
	}
}

static uint64_t hn_min_ms(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

void hn_daemon_arm_timers(struct hn_daemon *daemon)
{
	uint64_t house = hn_min_ms(hn_runner_next_deadline_ms(&daemon->runner),
				   hn_kvserver_next_deadline_ms(&daemon->kvserver));
	house = hn_min_ms(house, hn_timecheck_next_deadline_ms(&daemon->timecheck));
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++)
		if (daemon->admin_pending[i].used)
			house = hn_min_ms(house, daemon->admin_pending[i].deadline_ms);
	if (daemon->secret.valid)
		house = hn_min_ms(house, daemon->secret.expires_ms);
	if (daemon->recreate_pending)
		house = hn_min_ms(house, daemon->recreate_deadline_ms);
	hn_loop_timer_arm(&daemon->loop, daemon->house_timer, house);
	hn_loop_timer_arm(&daemon->loop, daemon->host_timer,
			  daemon->paired ? hn_host_next_deadline_ms(daemon->host) : HN_LOOP_NEVER);
}

/* ------------------------------------------------------- store clients */

int hn_daemon_on_kv(void *arg, const struct hn_kv_request *request, char *answer,
		    size_t answer_size)
{
	struct hn_daemon *daemon = arg;
	if (!daemon->paired) {
		snprintf(answer, answer_size, "ERR standby");
		return 0;
	}
	if (request->kind == HN_KV_GET) {
		hn_host_client_get(daemon->host, request->key, answer, answer_size);
		return 0;
	}
	return hn_host_client_put(daemon->host, request->request_id, request->key, request->value,
				  hn_loop_now_ms(), answer, answer_size);
}
