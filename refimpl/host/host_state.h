/*
 * host_state.h - the inside of struct hn_host (host.h), shared by the
 * host's own files and by nobody else:
 *
 *   host.c     the step pipeline: one event into the core, its actions
 *              carried out in order through the platform, deferred events,
 *              the generation after every step; start gating, the cluster
 *              IP and its GARP schedule, commands, the inputs
 *   requests.c clients (PUT, GET), admin commands and their answers, status
 *   health.c   the health rounds: RAID and services checks, ping echoes
 *              (attempts spread over the timeout, replies matched by
 *              sequence), the ARP probe, early end, the verdict
 *   packets.c  the packet counter and its reservation, encoding and
 *              sending, decoding through the replay window, counters
 *   text.c     JSON escaping and a bounded text builder (text.h)
 *
 * Every function takes the host first and the current time where time
 * matters; none reads a clock.
 */
#ifndef HN_HOST_STATE_H
#define HN_HOST_STATE_H

#include "host.h"

/* One health round: what it asked, what answered so far. */
struct hn_host_round {
	bool running; /* started and its verdict not yet delivered */
	uint16_t number;
	/* RAID and services: a verdict, or a command still to report */
	bool raid_ok, services_ok;
	char raid_reason[HN_REASON_MAX];
	char services_reason[HN_REASON_MAX];
	uint64_t raid_command_id, services_command_id; /* 0 = not waiting */
	/* ping: echoes to the targets that have not answered */
	bool ping_running;
	bool answered[HN_HOST_PING_TARGETS_MAX];
	uint32_t attempts_left;
	uint32_t resend_interval_ms;
	uint64_t resend_ms, ping_deadline_ms;
	/* ARP probe of the cluster IP */
	bool probe_running, probe_answered;
	uint32_t probe_interval_ms;
	uint64_t probe_next_ms, probe_deadline_ms;
};

/* The last delivered verdict, with the reasons status shows. */
struct hn_host_verdict {
	struct hn_health health;
	char raid_reason[HN_REASON_MAX];
	char services_reason[HN_REASON_MAX];
};

struct hn_host_admin_pending {
	bool used;
	uint64_t request_id;
	enum hn_admin_command command;
};

struct hn_host {
	struct hn_host_config config;
	struct hn_host_platform platform;
	uint8_t key[HN_KEY_BYTES];
	struct hn_node *node; /* right after this struct, hn_host_size() */
	/* lifecycle: begun at hn_host_start, started at the first verdict */
	bool begun, started, stopped;
	/* packets */
	uint64_t packet_seq_next;
	uint64_t packet_seq_limit; /* reserved below this; 0 = no reservation */
	bool packet_seq_failed;	   /* the last reservation failed (logged once) */
	struct hn_replay_window window;
	struct hn_proto_counters counters;
	uint64_t packets_sent[HN_LINKS], packets_received[HN_LINKS];
	uint64_t send_errors[HN_LINKS], oversize;
	bool peer_heard;
	struct hn_heartbeat peer; /* the newest heartbeat, also one the core refused */
	uint64_t peer_seq;
	/* health */
	struct hn_host_round round;
	uint64_t next_round_ms;
	struct hn_host_verdict verdict;
	uint64_t health_rounds;
	/* links: carrier as last reported */
	bool carrier_known[HN_LINKS], carrier_up[HN_LINKS];
	/* cluster IP and its announcements */
	bool ip_held;
	uint32_t garp_left;
	uint64_t garp_next_ms;
	/* commands */
	uint64_t fence_command_id;
	/* durability */
	bool maintenance_remembered;
	bool generation_known, outdated_written;
	struct hn_generation generation_written;
	/* requests */
	struct hn_host_admin_pending admin[HN_HOST_ADMIN_PENDING_MAX];
	bool put_current; /* a PUT is being stepped right now */
	uint64_t put_current_id;
	bool put_answered;
	char put_answer[HN_REASON_MAX + 16];
	/* the step */
	size_t deferred_count;
	struct hn_event deferred[HN_HOST_DEFERRED_MAX];
	struct hn_event event;	   /* scratch: large, so not on the stack */
	struct hn_actions actions; /* of the current step */
	struct hn_status status;   /* the core's, after the current step */
};

/* ------------------------------------------------------------ host.c */

/* Feed one event and carry out its actions, then the deferred events. */
void hn_host_step(struct hn_host *host, const struct hn_event *event, uint64_t now_ms);
/* A record of the host's own (event "health", "stop", ...). */
void hn_host_log(struct hn_host *host, uint64_t now_ms, const char *event, const char *reason);
/* A round's verdict: HN_EVENT_HEALTH, and the core's start after the first. */
void hn_host_verdict(struct hn_host *host, const struct hn_host_verdict *verdict, uint64_t now_ms);

/* -------------------------------------------------------- requests.c */

/* HN_ACTION_CLIENT_REPLY and HN_ACTION_ADMIN_REPLY of a step. */
void hn_host_client_answer(struct hn_host *host, const struct hn_action *action);
void hn_host_admin_answer(struct hn_host *host, const struct hn_action *action, uint64_t now_ms);

/* ---------------------------------------------------------- health.c */

/* Ends a running round (delivered first) and starts the next when due;
 * ends parts whose time is up and sends what is due. */
void hn_host_health_tick(struct hn_host *host, uint64_t now_ms);
uint64_t hn_host_health_next_deadline_ms(const struct hn_host *host);
/* True if the command was this round's check (consumed). */
bool hn_host_health_command_done(struct hn_host *host, uint64_t command_id, int exit_status,
				 bool timed_out, uint64_t now_ms);
void hn_host_health_ping_reply(struct hn_host *host, uint16_t sequence, uint64_t now_ms);
void hn_host_health_probe_answered(struct hn_host *host, uint64_t now_ms);
/* Kills the checks of a running round (hn_host_stop). */
void hn_host_health_abandon(struct hn_host *host);

/* --------------------------------------------------------- packets.c */

void hn_host_send_heartbeat(struct hn_host *host, enum hn_link link,
			    const struct hn_heartbeat *heartbeat, uint64_t now_ms);
void hn_host_send_data(struct hn_host *host, enum hn_link link, const struct hn_data_message *data,
		       uint64_t now_ms);
/* Decodes one datagram into host->event; returns its kind (HN_EVENT_HEARTBEAT
 * or HN_EVENT_DATA) or 0 if it was dropped (counted). */
int hn_host_decode(struct hn_host *host, enum hn_link link, const uint8_t *packet, size_t length);

#endif
