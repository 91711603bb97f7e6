/*
 * host_state.h - the inside of struct hn_host (host.h), shared by the
 * host's own files and by nobody else:
 *
 *   host.c     the step pipeline: one event into the core, its actions
 *              carried out in order through the platform, deferred events,
 *              the generation after every step; start gating, the cluster
 *              IP and its GARP schedule, commands, the inputs
 *   requests.c clients (PUT, GET), admin commands and their answers, status
 *   health.c   the health rounds: RAID and services checks, the notify-only
 *              checks, ping echoes (attempts spread over the timeout,
 *              replies matched by sequence), the ARP probe, early end, the
 *              verdict
 *   keys.c     the store's keys as the host counts them (client keys and
 *              settings have room of their own)
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

/* The checks of a round that platform->check answers (health.c's table). */
enum hn_host_part {
	HN_HOST_PART_RAID,
	HN_HOST_PART_SERVICES,
	HN_HOST_PART_DISK_USAGE,
	HN_HOST_PART_TIME_OFFSET,
	HN_HOST_PART_SERVICE_HEALTH,
	HN_HOST_PARTS
};

struct hn_host_part_state {
	bool ok;
	char reason[HN_REASON_MAX];
	uint64_t command_id; /* 0 = not waiting */
};

/* One health round: what it asked, what answered so far. */
struct hn_host_round {
	bool running; /* started and its verdict not yet delivered */
	uint16_t number;
	/* the checks: a verdict, or a command (or check) still to report */
	struct hn_host_part_state parts[HN_HOST_PARTS];
	/* ping: echoes to the targets that have not answered */
	bool ping_running;
	bool answered[HN_HOST_PING_TARGETS_MAX];
	uint32_t attempts_left;
	uint32_t resend_interval_ms;
	uint64_t resend_ms, ping_deadline_ms;
	/* ARP probe of the cluster IP */
	bool probe_asked, probe_running, probe_answered; /* asked: in this round at all */
	uint32_t probe_interval_ms, probe_timeout_ms;
	uint64_t probe_next_ms, probe_deadline_ms;
};

/* The last delivered verdict, with the reasons status shows. */
struct hn_host_verdict {
	struct hn_health health;
	char raid_reason[HN_REASON_MAX];
	char services_reason[HN_REASON_MAX];
	uint32_t checks_failing;				  /* enum hn_notify_check */
	char checks_text[HN_NOTIFY_TEXT_MAX];			  /* for the core */
	char check_reasons[HN_HOST_NOTIFY_CHECKS][HN_REASON_MAX]; /* for status */
};

/* The store's keys, mirrored from what the host restores and persists: a
 * set (open addressing over indexes into keys[]) and two counts. */
#define HN_HOST_KEY_SLOTS (2 * HN_STORE_ENTRIES_MAX)
struct hn_host_keys {
	uint32_t count, settings;
	uint16_t slots[HN_HOST_KEY_SLOTS]; /* index + 1 into keys; 0 = empty */
	char keys[HN_STORE_ENTRIES_MAX][HN_KEY_MAX];
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
	uint64_t boot_nonce; /* for the core's HN_EVENT_START */
	bool force_start;    /* hn_host_restore_force_start */
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
	uint64_t services_start_id; /* its end decides whether services started */
	/* durability */
	bool maintenance_remembered;
	bool generation_known, outdated_written;
	bool generation_failed; /* fed to the core once until a write succeeds */
	struct hn_generation generation_written;
	struct hn_host_keys keys;
	uint64_t actions_failed[HN_FAILURE_SERVICES + 1];
	/* requests */
	struct hn_host_admin_pending admin[HN_HOST_ADMIN_PENDING_MAX];
	bool put_current; /* a PUT is being stepped right now */
	uint64_t put_current_id;
	bool put_answered;
	char put_answer[HN_REASON_MAX + 16];
	char put_failure[HN_REASON_MAX]; /* a store write of this PUT's step failed */
	uint64_t put_early_id; /* answered before the core released it: its reply is dropped */
	/* the step: failed actions first (deferred_failures of them), then
	 * the other events the step produced */
	size_t deferred_count, deferred_failures;
	struct hn_event deferred[HN_HOST_DEFERRED_MAX];
	bool step_failed; /* a PERSIST or STORE_RESET failed: drop the rest */
	uint64_t step_ms; /* the time of the last step: deferred events are due then */
	char step_failure[HN_REASON_MAX];
	struct hn_event event;	   /* scratch: large, so not on the stack */
	struct hn_actions actions; /* of the current step */
	struct hn_status status;   /* the core's, after the current step */
};

/* ------------------------------------------------------------ host.c */

/* Feed one event and carry out its actions, with the deferred events before
 * (left by an earlier step) and after (its own). */
void hn_host_step(struct hn_host *host, const struct hn_event *event, uint64_t now_ms);
/* The parts: one event and its actions; the deferred events. */
void hn_host_step_once(struct hn_host *host, const struct hn_event *event, uint64_t now_ms);
void hn_host_drain(struct hn_host *host, uint64_t now_ms);
/* A record of the host's own (event "health", "stop", ...). */
void hn_host_log(struct hn_host *host, uint64_t now_ms, const char *event, const char *reason);
/* A round's verdict: HN_EVENT_HEALTH, and the core's start after the first. */
void hn_host_verdict(struct hn_host *host, const struct hn_host_verdict *verdict, uint64_t now_ms);
/* HN_EVENT_ACTION_FAILED, fed after the current step before anything else
 * (or at once when no step is running: step false). */
void hn_host_failed(struct hn_host *host, enum hn_failure_kind kind, const char *reason, bool step,
		    uint64_t now_ms);

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
/* The same for a check that ended with a verdict of its own. */
bool hn_host_health_check_done(struct hn_host *host, uint64_t check_id, bool ok, const char *reason,
			       uint64_t now_ms);
void hn_host_health_ping_reply(struct hn_host *host, uint16_t sequence, uint64_t now_ms);
void hn_host_health_probe_answered(struct hn_host *host, uint64_t now_ms);
/* The external carrier came back (it was down): the running round asks its
 * silent targets again now and waits a full timeout for them (health.c). */
void hn_host_health_carrier_up(struct hn_host *host, uint64_t now_ms);
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

/* ------------------------------------------------------------ keys.c */

void hn_host_keys_clear(struct hn_host_keys *keys);
/* Adds key if it is not there yet (a full set ignores it). */
void hn_host_keys_add(struct hn_host_keys *keys, const char *key);
bool hn_host_keys_has(const struct hn_host_keys *keys, const char *key);
/* Whether key is a setting ("setting/..."). */
bool hn_host_key_is_setting(const char *key);

#endif
