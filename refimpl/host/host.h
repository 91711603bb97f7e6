/*
 * host.h - the node's host: everything the reference node does around its
 * pure core (hn_core.h) that decides an outcome, as pure code that hanode
 * (refimpl/daemon) and hasim's virtual backend (sim/backend/virtual*) both
 * run. One copy, so that a verdict on the virtual backend is a verdict on
 * hanode.
 *
 * The core decides roles, states and data. Around it the host
 *   - authenticates packets: encodes the core's heartbeats and data
 *     messages with the cluster key (proto.c) under one packet counter,
 *     decodes the peer's through one replay window, and feeds them to the
 *     core with their packet sequence;
 *   - measures health in rounds: every health_interval_ms a round asks for
 *     a RAID verdict, a services verdict, ICMP echoes to every ping target
 *     (ping_attempts echoes spread over ping_timeout_ms; any reply counts)
 *     and, under the ping tie-breaker, ARP probes of the cluster IP, and
 *     the notify-only checks (disk usage, time offset, service health); a
 *     round ends when every part has answered or its time is up, and a
 *     round still running when the next one is due ends first with what it
 *     has (unanswered = failed, its commands killed); each verdict is one
 *     HN_EVENT_HEALTH (the notify-only checks in its checks member);
 *   - starts the core only once the first round has a verdict: then
 *     HN_EVENT_START with the boot nonce given to hn_host_start, a
 *     remembered maintenance or force start, and the links' carrier as
 *     last reported; until then the peer's packets are dropped (it sends
 *     them again);
 *   - holds the cluster IP: adds it and announces it by gratuitous ARP
 *     (garp_count announcements garp_interval_ms apart), removes it;
 *   - runs commands: services start/stop, the notify hook (the event as one
 *     JSON line on stdin, HANODE_EVENT in the environment), the fence command
 *     (HANODE_PEER, HANODE_PEER_ID); a fence command's end becomes the
 *     core's HN_EVENT_FENCE_RESULT (a fence that cannot start: a failed
 *     result, fed after the current step's actions);
 *   - makes data durable before anything acknowledges it: HN_ACTION_PERSIST
 *     and HN_ACTION_STORE_RESET in the order the core gives, the generation
 *     and outdated flag after every step, the operator's maintenance mark
 *     when the core accepted "maintenance on"/"off";
 *   - tells the core what failed (HN_EVENT_ACTION_FAILED, before any other
 *     event): a PERSIST or STORE_RESET that failed ends the step - the rest
 *     of its actions is dropped, and the requests they would have answered
 *     get an error instead ("ERR storage failed: ...") - as does a failed
 *     generation write (storage); a failed cluster IP add (cluster IP); a
 *     services start command that could not start, exited non-zero or timed
 *     out (services);
 *   - answers the store's clients (PUT through the core, GET locally) and
 *     the operator's admin commands (through the core). Keys under
 *     "setting/" are the operator's: refused on the data port (PUT and
 *     GET); the store's HN_STORE_ENTRIES_MAX keys are shared as at most
 *     HN_HOST_CLIENT_KEYS_MAX client keys and HN_HOST_SETTINGS_MAX settings,
 *     so that a client that fills the store never blocks the operator.
 *
 * It does all of this through struct hn_host_platform: hanode fills it
 * with real I/O (sockets, netlink, fork/exec, fsync), the virtual backend
 * with its simulated hardware (fabric frames, a disk model, modelled
 * commands). The host never reads a clock: every entry point takes now_ms
 * (monotonic, never decreasing), and hn_host_next_deadline_ms() says when
 * it wants hn_host_tick(). Time is all the host needs to run the same way
 * in virtual time.
 *
 * Rules of the platform table:
 *   - the host calls it only from inside an hn_host_* call; a platform
 *     function never calls back into the host (what it learns later - a
 *     reply, a command's end - it reports by a later hn_host_* call);
 *   - a function that can fail returns 0, or -1 with one sentence in error
 *     naming what failed ("persist: store.log: No space left on device");
 *   - NULL members are allowed where marked (the feature is then absent).
 *
 * Implemented in the .c files of refimpl/host (host_state.h lists them), built as
 * libhnhost.a by host.mk; libhnnode.a (refimpl/daemon/daemon.mk) adds
 * hanode's pure parts a backend needs with it (config text, status JSON).
 *
 * Entry points never fail on their input: a packet that does not decode is
 * counted and dropped, an unknown command id is ignored. Bounds: one core
 * step emits at most HN_ACTIONS_MAX actions; events produced while carrying
 * out a step (a fence that could not start) wait in a queue of
 * HN_HOST_DEFERRED_MAX and are fed after it.
 */
#ifndef HN_HOST_H
#define HN_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hn_core.h"

#define HN_HOST_PING_TARGETS_MAX 8
#define HN_HOST_DEFERRED_MAX	 8
#define HN_HOST_ERROR_MAX	 256
/* Admin commands whose answer the host still has to post-process (a
 * maintenance mark to write, a setting's text); with more in flight, one
 * of them loses that post-processing (the core answers every command, so
 * only answers that never come fill the table). */
#define HN_HOST_ADMIN_PENDING_MAX 16
/* The packet counter is reserved in blocks (platform->persist_packet_seq). */
#define HN_HOST_PACKET_SEQ_BLOCK (UINT64_C(1) << 20)
/* The notify-only checks the host runs: disk usage, time offset, service
 * health (in this order in hn_host_status.check_reasons). */
#define HN_HOST_NOTIFY_CHECKS 3
/* The store's keys: settings ("setting/<key>") have room of their own. */
#define HN_HOST_SETTINGS_MAX	64
#define HN_HOST_CLIENT_KEYS_MAX (HN_STORE_ENTRIES_MAX - HN_HOST_SETTINGS_MAX)

/* ---------------------------------------------------------------- config */

/* Everything the host needs of a node's configuration. hanode derives it
 * from hanode.conf (refimpl/daemon/config.c); the virtual backend parses
 * the same hanode.conf text the runner writes for every backend, so that
 * timers, checks and tie-breaker are the same on all of them. */
struct hn_host_config {
	struct hn_config core; /* identity, cluster timers, tie-breaker */
	uint32_t health_interval_ms;
	/* ping: targets are indexes 0..ping_target_count-1; the platform knows
	 * their addresses. 0 targets = no network check. */
	uint32_t ping_target_count;
	uint32_t ping_timeout_ms; /* a round's ping part ends after this */
	uint32_t ping_attempts;	  /* echoes per target and round, 1..10 */
	bool raid_check;	  /* a RAID verdict per round (platform->check) */
	bool services_check;	  /* a services verdict per round (platform->check) */
	/* notify-only checks, a verdict per round each (platform->check):
	 * they go to the core as HN_EVENT_HEALTH's checks, never as health */
	bool disk_usage_check, time_offset_check, service_health_check;
	/* cluster IP: none when has_cluster_ip is false */
	bool has_cluster_ip;
	uint32_t garp_count;	   /* announcements after adding it (>= 1) */
	uint32_t garp_interval_ms; /* between them */
	/* ARP probe of the cluster IP in each round (cluster_ip_answered):
	 * only under the ping tie-breaker with a cluster IP. */
	bool cluster_ip_probe;
	uint32_t probe_timeout_ms;  /* the probe part of a round ends after this */
	uint32_t probe_interval_ms; /* between probes until one is answered */
	/* which commands are configured; an unconfigured one is not run */
	bool has_services_start, has_services_stop, has_notify, has_fence;
	/* a link this node does not have (hanode without external_interface):
	 * nothing is encoded or sent on it. false = present, so a zeroed
	 * config has both links. */
	bool link_absent[HN_LINKS];
};

/* --------------------------------------------------------------- platform */

enum hn_host_check {
	HN_HOST_CHECK_RAID = 1,
	HN_HOST_CHECK_SERVICES,
	/* notify-only (HN_CHECK_DISK_USAGE, HN_CHECK_TIME_OFFSET,
	 * HN_CHECK_SERVICE_HEALTH) */
	HN_HOST_CHECK_DISK_USAGE,
	HN_HOST_CHECK_TIME_OFFSET,
	HN_HOST_CHECK_SERVICE_HEALTH,
};

enum hn_host_command {
	HN_HOST_COMMAND_SERVICES_START = 1,
	HN_HOST_COMMAND_SERVICES_STOP,
	HN_HOST_COMMAND_NOTIFY,
	HN_HOST_COMMAND_FENCE,
	HN_HOST_COMMAND_CHECK, /* a RAID or services check that runs a command */
};

/* NAME=VALUE strings, NULL-terminated, at most this many. */
#define HN_HOST_ENV_MAX 4

struct hn_host_platform {
	void *context; /* passed to every function */

	/* One authenticated packet on a link. A send that fails is counted,
	 * not fatal: the core retransmits what matters. */
	int (*send)(void *context, enum hn_link link, const uint8_t *packet, size_t length,
		    char *error, size_t error_size);

	/* Add (and hold) or remove the cluster IP on its interface. */
	int (*cluster_ip)(void *context, bool add, char *error, size_t error_size);
	/* One gratuitous ARP announcement of the cluster IP. */
	int (*garp)(void *context, char *error, size_t error_size);

	/* One ICMP echo to ping target `target` carrying `sequence`; its reply
	 * comes back through hn_host_ping_reply(sequence). */
	int (*ping)(void *context, uint32_t target, uint16_t sequence, char *error,
		    size_t error_size);
	/* One ARP request for the cluster IP; an answer from another host comes
	 * back through hn_host_probe_answered(). NULL = no probe. */
	int (*probe)(void *context, char *error, size_t error_size);

	/* Start a check of a round. Either the verdict is known at once (an
	 * mdstat file, a disk model, statvfs): *done = true with *ok and
	 * reason; or it runs on: *done = false and *command_id names it, and
	 * its end comes through hn_host_command_done() (a command: its exit
	 * status is the verdict) or hn_host_check_done() (a verdict with a
	 * reason of its own, e.g. time servers asked over the network). Ids
	 * are never 0 (0 means "none" to the host). */
	int (*check)(void *context, enum hn_host_check check, bool *done, bool *ok, char *reason,
		     size_t reason_size, uint64_t *command_id, char *error, size_t error_size);

	/* Start a configured command (services, notify hook, fence) with an
	 * optional stdin text and environment; *command_id names it for
	 * hn_host_command_done(). */
	int (*command)(void *context, enum hn_host_command command, const char *input,
		       const char *const *environment, uint64_t *command_id, char *error,
		       size_t error_size);
	/* Kill a command the host no longer waits for (a check of a round that
	 * ended early). Its end may still be reported; the host ignores it. */
	void (*command_kill)(void *context, uint64_t command_id);

	/* Durability. entry NULL = drop every entry (STORE_RESET). Must be
	 * durable when it returns 0. */
	int (*persist)(void *context, const struct hn_entry *entry, char *error, size_t error_size);
	int (*persist_generation)(void *context, const struct hn_generation *generation,
				  bool outdated, char *error, size_t error_size);
	/* The operator's maintenance mark, kept across restarts. */
	int (*persist_maintenance)(void *context, bool on, char *error, size_t error_size);
	/* The packet counter may use values below limit: durable when it
	 * returns 0, so that a restart begins at limit (hn_host_init's
	 * packet_seq_first) whatever the wall clock says. The host asks for
	 * HN_HOST_PACKET_SEQ_BLOCK more before it uses a value at or above the
	 * last limit; when that fails, the packet is not sent. NULL = the
	 * caller keeps packet_seq_first above any used value by other means. */
	int (*persist_packet_seq)(void *context, uint64_t limit, char *error, size_t error_size);

	/* One cluster-log record (docs/DEVELOPING.md) at now_ms; role is the
	 * node's role after the record ("active"/"standby"). */
	void (*log)(void *context, uint64_t now_ms, const struct hn_log_record *record,
		    const char *role);
	/* The answer to a client's PUT that hn_host_client_put() left pending
	 * ("OK 42", "ERR standby"). */
	void (*client_reply)(void *context, uint64_t request_id, const char *answer);
	/* The core's answer to an admin command given with hn_host_admin(). */
	void (*admin_reply)(void *context, uint64_t request_id, bool ok, const char *text);
	/* The wall clock (ms since 1970) at now_ms, for the notify hook's JSON
	 * ("wall_ms"). NULL = the field is left out. */
	uint64_t (*wall_ms)(void *context, uint64_t now_ms);
};

/* ------------------------------------------------------------------ host */

struct hn_host; /* opaque; hn_host_size() bytes, owns its struct hn_node */

size_t hn_host_size(void);
/* Initialise with the configuration, the cluster key, the platform and the
 * packet counter's first value (strictly above any value this node used
 * before). The core is created but not started. -1 with a sentence in
 * error on an invalid configuration. */
int hn_host_init(struct hn_host *host, const struct hn_host_config *config,
		 const uint8_t key[HN_KEY_BYTES], const struct hn_host_platform *platform,
		 uint64_t packet_seq_first, char *error, size_t error_size);

/* What the node kept on disk, loaded before hn_host_start(). */
int hn_host_restore_entry(struct hn_host *host, const struct hn_entry *entry);
void hn_host_restore_generation(struct hn_host *host, const struct hn_generation *generation,
				bool outdated);
void hn_host_restore_maintenance(struct hn_host *host, bool on);

/* The core is told "force start" right after its start (the host's own
 * command): a node whose cluster was re-created from a standalone active
 * keeps serving instead of waiting for a peer that is not there yet. */
void hn_host_restore_force_start(struct hn_host *host);

/* A cluster IP left behind by a crash (the kernel keeps it when hanode
 * dies) must not answer for a standby: removed once before
 * hn_host_start(), whatever the platform answers (an address that is not
 * there is the usual case). hanode and the virtual backend both call it. */
void hn_host_release_leftover_ip(struct hn_host *host);

/* Begin: the first health round starts at now_ms, and the core starts
 * when its verdict is in (at once if no check is configured), with
 * boot_nonce in its HN_EVENT_START: a fresh random value for every start
 * (hanode: randombytes_buf; the virtual backend derives it from its seed),
 * never 0 except on both nodes of a pair that disables the freshness check
 * (hn_core.h). A capture of the peer's packets from an earlier boot of
 * this node is then never news to it. */
void hn_host_start(struct hn_host *host, uint64_t boot_nonce, uint64_t now_ms);
/* Stop: the core hands over (HN_ADMIN_SHUTDOWN with reason: the peer takes
 * over at once; an active node's services are stopped; the cluster log
 * says "hanode stopping: <reason>"), not remembered as the operator's
 * maintenance; kill the running round's checks, drop the cluster IP
 * whatever the core did, and log "stop" with reason (e.g. "hanode stopped
 * by SIGTERM"). Every later call is ignored. The caller may wait for
 * commands to end. */
void hn_host_stop(struct hn_host *host, const char *reason, uint64_t now_ms);

/* ---------------------------------------------------------------- inputs */

/* One datagram received on a link. */
void hn_host_packet(struct hn_host *host, enum hn_link link, const uint8_t *packet, size_t length,
		    uint64_t now_ms);
/* Carrier of a link's interface (a bond: up while any port is). Before the
 * core's start it is only noted (the start feeds the last one). The
 * external carrier coming back asks the running health round's silent ping
 * targets again at once, with a full timeout from then (health.c); the
 * caller drops what the network stack kept from while it was down first
 * (hanode: unresolved neighbour entries, netif.h). */
void hn_host_carrier(struct hn_host *host, enum hn_link link, bool up, uint64_t now_ms);
/* An echo reply carrying sequence (any target). */
void hn_host_ping_reply(struct hn_host *host, uint16_t sequence, uint64_t now_ms);
/* Another host answered the ARP probe of the cluster IP. */
void hn_host_probe_answered(struct hn_host *host, uint64_t now_ms);
/* A command started by platform->check or platform->command ended:
 * exit_status 0..255 (128 + signal), timed_out if it was killed for it. */
void hn_host_command_done(struct hn_host *host, uint64_t command_id, int exit_status,
			  bool timed_out, uint64_t now_ms);
/* A check that platform->check left running ended with a verdict of its
 * own (not a command's exit status): ok, and a reason for status and the
 * cluster log ("time offset 2300 ms against 192.0.2.1 (at most 500 ms)").
 * An id that is not a check of the running round is ignored. */
void hn_host_check_done(struct hn_host *host, uint64_t check_id, bool ok, const char *reason,
			uint64_t now_ms);
/* Time passed: call at hn_host_next_deadline_ms() (earlier is harmless). */
void hn_host_tick(struct hn_host *host, uint64_t now_ms);
/* UINT64_MAX when stopped or not begun. */
uint64_t hn_host_next_deadline_ms(const struct hn_host *host);

/* A client's PUT: returns 0 with the answer in answer ("OK 42", "ERR
 * standby", "ERR bad key"), or 1 when the answer comes later through
 * platform->client_reply(request_id). request_id is the caller's, unique
 * among requests in flight. Keys under "setting/" are the operator's
 * (hn_host_admin's HN_ADMIN_SETTING_SET) and refused here; a new key when
 * the store holds HN_HOST_CLIENT_KEYS_MAX client keys is refused ("ERR
 * store full: ..."). A write whose store write failed is answered at once
 * ("ERR storage failed: ..."), while the node still holds the cluster IP the
 * client came through; the failure is fed to the core at the next entry
 * point, before anything else (hn_host_next_deadline_ms() is then the time
 * of this call). */
int hn_host_client_put(struct hn_host *host, uint64_t request_id, const char *key,
		       const char *value, uint64_t now_ms, char *answer, size_t answer_size);
/* A client's GET, served by the active node: "VALUE v", "NOTFOUND", "ERR
 * standby"; "setting/" keys are refused (read them with the operator's
 * channel: hactl setting get). */
void hn_host_client_get(const struct hn_host *host, const char *key, char *answer,
			size_t answer_size);
/* An operator's command; the answer comes through platform->admin_reply
 * (at once when the core has not started yet). request_id 0 is the
 * host's own (hn_host_stop, a remembered maintenance): use ids >= 1. */
void hn_host_admin(struct hn_host *host, uint64_t request_id, enum hn_admin_command command,
		   const char *key, const char *value, uint64_t now_ms);

/* ----------------------------------------------------------------- reads */

struct hn_host_status {
	struct hn_status core; /* hn_node_status() */
	bool started;	       /* the core runs (first health verdict in) */
	bool ip_held;
	bool peer_heard;	  /* any heartbeat of the peer, also one the core refused */
	struct hn_heartbeat peer; /* the newest one */
	/* the last finished health round */
	bool raid_ok;
	char raid_reason[HN_REASON_MAX];
	bool services_ok;
	char services_reason[HN_REASON_MAX];
	uint32_t ping_reachable, ping_total;
	bool cluster_ip_answered;
	/* packets */
	uint64_t packets_sent[HN_LINKS], packets_received[HN_LINKS], send_errors;
	struct hn_proto_counters counters;
	uint64_t packet_seq_next;
	/* additions */
	uint64_t send_errors_by_link[HN_LINKS]; /* send_errors, per link */
	uint64_t oversize;			/* messages too large to encode */
	uint64_t health_rounds;			/* verdicts delivered */
	uint64_t packet_seq_limit;		/* reserved up to (persist_packet_seq), 0 = none */
	/* the notify-only checks of the last finished round: the failing ones
	 * (enum hn_notify_check) and each one's reason (disk usage, time
	 * offset, service health; "no ... check" when not configured) */
	uint32_t checks_failing;
	char check_reasons[HN_HOST_NOTIFY_CHECKS][HN_REASON_MAX];
	/* the store's keys (client keys + settings = the core's entries) */
	uint32_t client_keys, setting_keys;
	/* actions that failed and were fed back to the core, by kind */
	uint64_t actions_failed[HN_FAILURE_SERVICES + 1];
};

void hn_host_status(const struct hn_host *host, uint64_t now_ms, struct hn_host_status *status);
const struct hn_node *hn_host_node(const struct hn_host *host);

#endif
