/*
 * hanode.h - what the files of hanode (the daemon) share: its state, struct
 * hn_daemon, and the functions one of them calls in another. Only these
 * files include it; it is not an interface for anyone else.
 *
 * hanode is real I/O around the node's host (refimpl/host/host.h), which
 * holds the core and decides everything that decides an outcome (health
 * rounds, start gating, the cluster IP's announcements, write
 * acknowledgement, admin answers, what is made durable when). The daemon's
 * files:
 *
 *   hanode.c       main, options, start and stop, the main loop
 *   actions.c      the platform table: what the host asks for, done with
 *                  real I/O (sockets, netlink, commands, files, the log)
 *   inputs.c       what the host hears: link datagrams, carrier changes,
 *                  finished commands, echo replies, ARP answers, the
 *                  timers, the store's clients
 *   admin.c        the operator's requests on the control socket (status,
 *                  log, admin commands, settings) and their answers
 *   join.c         hactl create and join: the cluster key, pairing secret
 * and the modules they use:
 *   config.c       hanode.conf from text (pure, also in libhnnode.a)
 *   config_file.c  hanode.conf and cluster.conf from their files
 *   status.c       the status answer (pure, also in libhnnode.a)
 *   kvline.c       one store protocol line (pure, also in libhnnode.a)
 *   kvserver.c     the store's TCP server (clients, limits, timeouts)
 *   control.c      the Unix control socket
 *   links.c        one UDP socket per link (bytes only)
 *   netif.c        netlink addresses, carrier monitor, ARP send/receive
 *   request.c      one control request line (pure, also in libhnnode.a)
 *   checks.c       the raw ICMP socket (mdstat.c: the mdstat parser, pure,
 *                  also in libhnnode.a)
 *   timecheck.c    the SNTP client of the time offset check
 *   runner.c       commands: fork/exec, timeouts, reaping
 *   persist.c      store.log, generation, maintenance mark, packet_seq
 *   clusterlog.c   the cluster log file and local syslog (also in libhnnode.a)
 *   syslogfwd.c    the cluster log forwarded to a remote syslog over UDP
 *   pairing.c      the create/join exchange and the key file
 *   loop.c         poll loop and timers
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
#include "host.h"
#include "kvserver.h"
#include "links.h"
#include "loop.h"
#include "netif.h"
#include "pairing.h"
#include "persist.h"
#include "runner.h"
#include "syslogfwd.h"
#include "timecheck.h"
#include "version.h"

#define HN_ADMIN_PENDING_MAX 8
#define HN_ERROR_MAX	     512
#define HN_STOP_WAIT_MS	     3000 /* for the services_stop of a stopped host */

struct hn_admin_pending {
	bool used;
	uint64_t request_id;
	struct hn_control_ticket ticket;
	uint64_t deadline_ms;
};

struct hn_daemon {
	struct hn_daemon_config config;
	struct hn_host *host; /* hn_host_size() bytes; in use once paired */
	bool paired;	      /* has the cluster key; the host runs */
	uint8_t key[HN_KEY_BYTES];
	struct hn_loop loop;
	struct hn_links links;
	struct hn_control control;
	struct hn_kvserver kvserver;
	struct hn_clusterlog log;
	struct hn_syslogfwd syslogfwd; /* opened when syslog_server is set */
	struct hn_persist persist;
	struct hn_runner runner;
	struct hn_checks_ping ping;	 /* opened when ping targets are configured */
	struct hn_timecheck timecheck;	 /* opened when time servers are configured */
	uint64_t next_check_id;		 /* ids of checks that are not commands */
	struct hn_netif_arp_probe probe; /* opened at the first probe */
	struct hn_netif_monitor monitor;
	struct hn_pairing_server pairing;
	struct hn_pairing_secret secret;
	int host_timer;
	int house_timer;
	struct hn_admin_pending admin_pending[HN_ADMIN_PENDING_MAX];
	/* hactl create on a standalone node (join.c): the host stopped, the new
	 * one starts with the new key once the old one's commands ended */
	bool recreate_pending;
	bool recreate_force_start; /* it was active: it keeps serving */
	uint64_t recreate_deadline_ms;
	uint64_t next_admin_id;
	struct hn_host_status host_status; /* scratch */
	uint8_t packet[HN_PACKET_MAX + 1]; /* scratch: one datagram */
};

/* ------------------------------------------------------------ actions.c */

/* The platform table of the host, filled with this daemon's real I/O. */
void hn_daemon_platform(struct hn_daemon *daemon, struct hn_host_platform *platform);
/* A record of the daemon's own (start without a key, create, join). */
void hn_daemon_log(struct hn_daemon *daemon, const char *event, const char *reason);
/* One record into the cluster log, and to the remote syslog if configured. */
void hn_daemon_record(struct hn_daemon *daemon, uint64_t now_ms, const struct hn_log_record *record,
		      const char *role);

/* ------------------------------------------------------------- inputs.c */

void hn_daemon_on_link(void *arg, int fd, short revents);
void hn_daemon_on_monitor(void *arg, int fd, short revents);
void hn_daemon_on_runner(void *arg, int fd, short revents);
void hn_daemon_on_ping(void *arg, int fd, short revents);
void hn_daemon_on_probe(void *arg, int fd, short revents);
void hn_daemon_on_timecheck(void *arg, int fd, short revents);
void hn_daemon_on_host_timer(void *arg, uint64_t now_ms);
void hn_daemon_on_house_timer(void *arg, uint64_t now_ms);
void hn_daemon_arm_timers(struct hn_daemon *daemon);
int hn_daemon_on_kv(void *arg, const struct hn_kv_request *request, char *answer,
		    size_t answer_size);

/* -------------------------------------------------------------- admin.c */

void hn_daemon_on_control(void *arg, struct hn_control *control, struct hn_control_ticket ticket,
			  char *line);
void hn_daemon_reply_error(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			   const char *message);
/* platform->admin_reply: the answer to the request's waiting hactl. */
void hn_daemon_admin_reply(struct hn_daemon *daemon, uint64_t request_id, bool ok,
			   const char *text);
void hn_daemon_admin_expire(struct hn_daemon *daemon, uint64_t now_ms);

/* --------------------------------------------------------------- join.c */

void hn_daemon_pairing_secret(struct hn_daemon *daemon, struct hn_control_ticket ticket);
void hn_daemon_join_request(struct hn_daemon *daemon, struct hn_control_ticket ticket);
void hn_daemon_join_data(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			 const char *words);
/* A re-created cluster's host starts once the old host's commands ended
 * (or HN_STOP_WAIT_MS passed); called from the runner and the house timer. */
void hn_daemon_recreate_poll(struct hn_daemon *daemon, uint64_t now_ms);

/* ------------------------------------------------------------- hanode.c */

/* Pairs the daemon with key: the host is set up with what data_dir holds
 * (store, generation, maintenance mark, packet counter), hears the links'
 * carrier, and starts: its first health round begins now, and the core
 * starts when that round's verdict is in (host.h), forced to start alone
 * if recreate_force_start is set (then cleared). */
int hn_daemon_core_start(struct hn_daemon *daemon, const uint8_t key[HN_KEY_BYTES], char *error,
			 size_t error_size);

#endif
