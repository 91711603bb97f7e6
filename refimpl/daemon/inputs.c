/*
 * inputs.c - what becomes an event for hanode's core: heartbeats and data
 * from the link sockets, carrier changes from netlink, finished commands
 * from the runner (fence results, RAID and services checks), the health
 * check rounds and their sockets, the two timers (the core's own deadline
 * and the house timer for everything else), and the store's clients.
 *
 * The house timer starts a health round every health_interval_ms. A round
 * still running then first takes in what already arrived, is then ended
 * by the checks module with what it has, and its verdict is fed to the
 * core before anything of the new round.
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
			struct hn_event *event = &daemon->event;
			memset(event, 0, sizeof(*event));
			int kind = hn_links_receive(&daemon->links, (enum hn_link)link, &event->seq,
						    &event->u.heartbeat, &event->u.data);
			if (kind < 0)
				break;
			if (kind == 0)
				continue;
			event->link = (enum hn_link)link;
			event->kind =
			    kind == HN_PACKET_HEARTBEAT ? HN_EVENT_HEARTBEAT : HN_EVENT_DATA;
			/* The newest, as the core takes it (a stale one is older). */
			if (kind == HN_PACKET_HEARTBEAT &&
			    event->seq >= daemon->peer_heartbeat_seq) {
				daemon->peer_heartbeat = event->u.heartbeat;
				daemon->peer_heartbeat_seq = event->seq;
				daemon->peer_heard = true;
			}
			hn_daemon_step(daemon, event);
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

void hn_daemon_carrier(struct hn_daemon *daemon, int link, bool carrier_up)
{
	memset(&daemon->event, 0, sizeof(daemon->event));
	daemon->event.kind = HN_EVENT_LINK;
	daemon->event.link = (enum hn_link)link;
	daemon->event.u.carrier_up = carrier_up;
	hn_daemon_step(daemon, &daemon->event);
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
	for (int i = 0; i < count; i++) {
		int link = hn_daemon_link_of(daemon, changes[i].ifname);
		if (link >= 0)
			hn_daemon_carrier(daemon, link, changes[i].carrier_up);
	}
}

/* -------------------------------------------- inputs: runner and checks */

static void hn_daemon_checks_sync_fds(struct hn_daemon *daemon);

static void hn_daemon_health(struct hn_daemon *daemon, const struct hn_health *health)
{
	memset(&daemon->event, 0, sizeof(daemon->event));
	daemon->event.kind = HN_EVENT_HEALTH;
	daemon->event.u.health = *health;
	hn_daemon_step(daemon, &daemon->event);
	if (daemon->start_pending)
		hn_daemon_core_run(daemon);
}

static void hn_daemon_health_done(struct hn_daemon *daemon)
{
	struct hn_health health;
	hn_checks_health(&daemon->checks, &health);
	hn_daemon_health(daemon, &health);
}

void hn_daemon_on_runner(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	struct hn_runner_result results[HN_RUNNER_CHILDREN_MAX];
	(void)fd;
	(void)revents;
	int count = hn_runner_reap(&daemon->runner, results, HN_RUNNER_CHILDREN_MAX);
	for (int i = 0; i < count; i++) {
		if (daemon->checks_open && daemon->checks.in_round &&
		    hn_checks_on_runner_result(&daemon->checks, &results[i])) {
			if (hn_checks_round_done(&daemon->checks))
				hn_daemon_health_done(daemon);
			continue;
		}
		if (results[i].id == daemon->fence_run_id) {
			daemon->fence_run_id = 0;
			memset(&daemon->event, 0, sizeof(daemon->event));
			daemon->event.kind = HN_EVENT_FENCE_RESULT;
			daemon->event.u.fence_ok =
			    results[i].exit_status == 0 && !results[i].timed_out;
			hn_daemon_step(daemon, &daemon->event);
		}
	}
}

static void hn_daemon_on_check_fd(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	(void)revents;
	bool was_done = hn_checks_round_done(&daemon->checks);
	hn_checks_on_readable(&daemon->checks, fd);
	if (!was_done && hn_checks_round_done(&daemon->checks))
		hn_daemon_health_done(daemon);
	hn_daemon_checks_sync_fds(daemon);
}

/* The checks' sockets change from round to round (the ARP probe); keep the
 * loop's watches equal to what hn_checks_fds() reports. */
static void hn_daemon_checks_sync_fds(struct hn_daemon *daemon)
{
	int fds[HN_CHECK_FDS_MAX];
	char error[HN_ERROR_MAX];
	size_t count =
	    daemon->checks_open ? hn_checks_fds(&daemon->checks, fds, HN_CHECK_FDS_MAX) : 0;
	for (size_t i = 0; i < daemon->check_fd_count; i++)
		hn_loop_watch_remove(&daemon->loop, daemon->check_fds[i]);
	daemon->check_fd_count = 0;
	for (size_t i = 0; i < count; i++)
		if (hn_loop_watch_add(&daemon->loop, fds[i], POLLIN, hn_daemon_on_check_fd, daemon,
				      error, sizeof(error)) == 0)
			daemon->check_fds[daemon->check_fd_count++] = fds[i];
}

/* Take in what a round already got but the loop has not dispatched yet -
 * commands that exited, replies queued on the sockets - before the round is
 * cut short: the loop runs the timers after the sockets of its turn, so an
 * answer that came while the turn's other events were handled is still
 * waiting, and must not count as missing. */
static void hn_daemon_checks_collect(struct hn_daemon *daemon)
{
	int fds[HN_CHECK_FDS_MAX];
	size_t count = hn_checks_fds(&daemon->checks, fds, HN_CHECK_FDS_MAX);
	hn_daemon_on_runner(daemon, hn_runner_fd(&daemon->runner), POLLIN);
	for (size_t i = 0; i < count && daemon->checks.in_round; i++)
		hn_daemon_on_check_fd(daemon, fds[i], POLLIN);
}

/* ------------------------------------------------------------- timers */

void hn_daemon_on_core_timer(void *arg, uint64_t now_ms)
{
	struct hn_daemon *daemon = arg;
	(void)now_ms;
	hn_daemon_step_simple(daemon, HN_EVENT_TICK);
}

void hn_daemon_on_house_timer(void *arg, uint64_t now_ms)
{
	struct hn_daemon *daemon = arg;
	char error[HN_ERROR_MAX];
	hn_runner_on_deadline(&daemon->runner, now_ms);
	if (hn_netif_garp_next_deadline_ms(&daemon->garp) <= now_ms)
		hn_netif_garp_on_deadline(&daemon->garp, now_ms, error, sizeof(error));
	hn_daemon_admin_expire(daemon, now_ms);
	if (daemon->secret.valid && !hn_pairing_secret_usable(&daemon->secret, now_ms)) {
		daemon->secret.valid = false;
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.client_fd);
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.listen_fd);
		hn_pairing_server_close(&daemon->pairing);
	}
	if (!daemon->checks_open || !daemon->paired)
		return;
	if (hn_checks_next_deadline_ms(&daemon->checks) <= now_ms) {
		bool was_done = hn_checks_round_done(&daemon->checks);
		hn_checks_on_deadline(&daemon->checks, now_ms);
		if (!was_done && hn_checks_round_done(&daemon->checks))
			hn_daemon_health_done(daemon);
	}
	if (now_ms >= daemon->next_health_ms) {
		struct hn_health ended;
		daemon->next_health_ms = now_ms + daemon->config.health_interval_ms;
		/* A round still running ends here, and its verdict goes first. */
		if (daemon->checks.in_round)
			hn_daemon_checks_collect(daemon);
		if (hn_checks_round_start(&daemon->checks, &daemon->runner, now_ms, &ended) == 1)
			hn_daemon_health(daemon, &ended);
		if (hn_checks_round_done(&daemon->checks))
			hn_daemon_health_done(daemon);
	}
	hn_daemon_checks_sync_fds(daemon);
}

static uint64_t hn_min_ms(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

void hn_daemon_arm_timers(struct hn_daemon *daemon)
{
	uint64_t house = hn_min_ms(hn_runner_next_deadline_ms(&daemon->runner),
				   hn_netif_garp_next_deadline_ms(&daemon->garp));
	for (size_t i = 0; i < HN_ADMIN_PENDING_MAX; i++)
		if (daemon->admin_pending[i].used)
			house = hn_min_ms(house, daemon->admin_pending[i].deadline_ms);
	if (daemon->secret.valid)
		house = hn_min_ms(house, daemon->secret.expires_ms);
	if (daemon->paired && daemon->checks_open) {
		house = hn_min_ms(house, hn_checks_next_deadline_ms(&daemon->checks));
		house = hn_min_ms(house, daemon->next_health_ms);
	}
	hn_loop_timer_arm(&daemon->loop, daemon->house_timer, house);
	hn_loop_timer_arm(&daemon->loop, daemon->core_timer,
			  daemon->paired ? hn_node_next_deadline_ms(daemon->node) : HN_LOOP_NEVER);
}

/* ------------------------------------------------------- store clients */

int hn_daemon_on_kv(void *arg, const struct hn_kv_request *request, char *answer,
		    size_t answer_size)
{
	struct hn_daemon *daemon = arg;
	if (!daemon->paired || !hn_node_serves_clients(daemon->node)) {
		snprintf(answer, answer_size, "ERR standby");
		return 0;
	}
	if (request->kind == HN_KV_GET) {
		const struct hn_entry *entry = hn_node_get(daemon->node, request->key);
		if (entry)
			snprintf(answer, answer_size, "VALUE %s", entry->value);
		else
			snprintf(answer, answer_size, "NOTFOUND");
		return 0;
	}
	struct hn_event *event = &daemon->event;
	memset(event, 0, sizeof(*event));
	event->kind = HN_EVENT_CLIENT_WRITE;
	event->u.write.request_id = request->request_id;
	memcpy(event->u.write.key, request->key, sizeof(event->u.write.key));
	memcpy(event->u.write.value, request->value, sizeof(event->u.write.value));
	daemon->kv_current_id = request->request_id;
	daemon->kv_current_answered = false;
	hn_daemon_step(daemon, event);
	daemon->kv_current_id = 0;
	if (!daemon->kv_current_answered)
		return 1;
	snprintf(answer, answer_size, "%s", daemon->kv_current_answer);
	return 0;
}
