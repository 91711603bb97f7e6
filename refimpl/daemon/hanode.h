/*
 * hanode.h - what the files of hanode (the daemon) share: its state, struct
 * hn_daemon, and the functions one of them calls in another. Only these
 * files include it; it is not an interface for anyone else.
 *
 *   hanode.c   main, start and stop, starting the core, the main loop
 *   actions.c  feeding an event to the core and carrying out its actions
 *   inputs.c   what becomes an event: link and netlink sockets, the runner,
 *              the health checks, the timers, the store's clients
 *   admin.c    the operator's commands on the control socket and the
 *              status; the answers the core gives to them
 *   join.c     hactl create and join: the cluster key and the pairing secret
 *
 * One struct hn_daemon exists, allocated by main(); every function takes it
 * as its first argument (or as the void *arg of a loop callback).
 */
#ifndef HN_HANODE_H
#define HN_HANODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"
#include "clusterlog.h"
#include "config.h"
#include "control.h"
#include "hn_core.h"
#include "kvserver.h"
#include "links.h"
#include "loop.h"
#include "netif.h"
#include "pairing.h"
#include "persist.h"
#include "runner.h"

#define HN_ADMIN_PENDING_MAX 8
#define HN_DEFERRED_MAX	     4
#define HN_CHECK_FDS_MAX     HN_CHECKS_FDS_MAX
#define HN_ERROR_MAX	     512

struct hn_admin_pending {
	bool used;
	enum hn_admin_command command;
	uint64_t request_id;
	struct hn_control_ticket ticket;
	uint64_t deadline_ms;
};

struct hn_daemon {
	struct hn_daemon_config config;
	struct hn_node *node;
	bool paired; /* has the cluster key; the core runs */
	bool stopping;
	struct hn_loop loop;
	struct hn_links links;
	struct hn_control control;
	struct hn_kvserver kvserver;
	struct hn_clusterlog log;
	struct hn_persist persist;
	struct hn_runner runner;
	struct hn_checks checks;
	bool checks_open;
	int check_fds[HN_CHECK_FDS_MAX];
	size_t check_fd_count;
	uint64_t next_health_ms;
	bool start_pending; /* HN_EVENT_START waits for the first health verdict */
	struct hn_netif_monitor monitor;
	struct hn_netif_garp garp;
	struct hn_pairing_server pairing;
	struct hn_pairing_secret secret;
	int core_timer;
	int house_timer;
	bool ip_held;
	uint64_t fence_run_id;
	bool peer_heard;
	struct hn_heartbeat peer_heartbeat; /* the newest one received */
	uint64_t peer_heartbeat_seq;	    /* its packet sequence */
	struct hn_generation generation_written;
	bool outdated_written;
	bool generation_known;
	struct hn_admin_pending admin_pending[HN_ADMIN_PENDING_MAX];
	uint64_t next_admin_id;
	uint64_t kv_current_id; /* PUT being fed to the core right now */
	bool kv_current_answered;
	char kv_current_answer[HN_REASON_MAX + 16];
	size_t deferred_count;
	struct hn_event deferred[HN_DEFERRED_MAX];
	struct hn_event event;	   /* scratch: large, so not on the stack */
	struct hn_actions actions; /* scratch of the current step */
	struct hn_status status;   /* scratch */
};

/* ------------------------------------------------------------ actions.c */

void hn_daemon_log(struct hn_daemon *daemon, const char *event, const char *from, const char *to,
		   const char *reason);
void hn_daemon_ip(struct hn_daemon *daemon, bool add);
void hn_daemon_step(struct hn_daemon *daemon, const struct hn_event *event);
void hn_daemon_step_simple(struct hn_daemon *daemon, enum hn_event_kind kind);

/* ------------------------------------------------------------- inputs.c */

void hn_daemon_on_link(void *arg, int fd, short revents);
void hn_daemon_on_monitor(void *arg, int fd, short revents);
void hn_daemon_carrier(struct hn_daemon *daemon, int link, bool carrier_up);
void hn_daemon_on_runner(void *arg, int fd, short revents);
void hn_daemon_on_core_timer(void *arg, uint64_t now_ms);
void hn_daemon_on_house_timer(void *arg, uint64_t now_ms);
void hn_daemon_arm_timers(struct hn_daemon *daemon);
int hn_daemon_on_kv(void *arg, const struct hn_kv_request *request, char *answer,
		    size_t answer_size);

/* -------------------------------------------------------------- admin.c */

void hn_daemon_on_control(void *arg, struct hn_control *control, struct hn_control_ticket ticket,
			  char *line);
void hn_daemon_reply_error(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			   const char *message);
void hn_daemon_admin_reply(struct hn_daemon *daemon, const struct hn_action *action);
void hn_daemon_admin_expire(struct hn_daemon *daemon, uint64_t now_ms);
bool hn_daemon_maintenance_remembered(const struct hn_daemon *daemon);

/* --------------------------------------------------------------- join.c */

void hn_daemon_pairing_secret(struct hn_daemon *daemon, struct hn_control_ticket ticket);
void hn_daemon_join_request(struct hn_daemon *daemon, struct hn_control_ticket ticket);
void hn_daemon_join_data(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			 const char *words);

/* ------------------------------------------------------------- hanode.c */

/* Starts the core's run (HN_EVENT_START, a remembered maintenance, the
 * links' carrier): at once without health checks, otherwise when the first
 * round's verdict is in (hn_daemon_core_run from inputs.c), so that a node
 * never settles a tie or takes over on the health it has before measuring
 * any (regression: a guest whose first ping round failed became active at
 * forming and gave up 60 ms later). */
void hn_daemon_core_run(struct hn_daemon *daemon);
int hn_daemon_core_start(struct hn_daemon *daemon, const uint8_t key[HN_KEY_BYTES], char *error,
			 size_t error_size);

#endif
