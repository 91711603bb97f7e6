/*
 * hn_core.h - the public interface of the reference node's pure core.
 *
 * The core is a sans-I/O state machine: the caller feeds it one event at a
 * time together with the current monotonic time in milliseconds, and gets
 * back an ordered list of actions to carry out (send a heartbeat, add the
 * cluster IP, persist a write, log a transition, ...). The core never reads
 * a clock, a socket or a file and never calls back into its caller, so the
 * same code runs in the daemon (refimpl/daemon), in the CUnit tests and in
 * the deterministic two-node fixture (refimpl/tests/fixture.c) and, later,
 * in hasim's virtual-time simulator.
 *
 * Actions must be carried out in the order given: a PERSIST always comes
 * before the SEND that acknowledges it, and IP_REMOVE/SERVICES_STOP always
 * come before the heartbeat that hands the role over.
 *
 * A failed action is fed back (HN_EVENT_ACTION_FAILED) before any other
 * event. After a PERSIST or STORE_RESET that failed, the caller MUST drop
 * the rest of that step's actions (they may acknowledge what is not on the
 * disk: a client's OK, an ACK to the peer) and feed the failure; the node
 * then goes to state fault, releases the role and forgets what its memory
 * holds beyond the disk (full resync later). A failed IP_ADD or
 * SERVICES_START is fed the same way (the rest of the step may be carried
 * out): an active node goes to fault and hands over.
 *
 * Files of the core (in layers, see node.h):
 *   emit.c        actions and facts (is the peer alive, ...)
 *   store.c       the replicated key/value store: writes, generations,
 *                 replication and resync messages, split-brain data
 *   transition.c  the one function that changes role or state
 *   rules.c       the transition table: every role/state change as a row
 *                 {trigger, from, condition, to, effects, reason}
 *   diagram.c     the table drawn as text (refimpl/core/transitions.txt)
 *   admin.c       operator commands
 *   fsm.c         hn_node_step: events in, rules run, status, deadlines
 *   names.c       names and parsers of enums, versions, admin commands
 *   compat.c      models and firmware versions: which pairs may form a cluster
 *   proto.c       wire codec of heartbeats and data messages, HMAC + replay
 *                 window (libsodium; pure computation, no I/O)
 */
#ifndef HN_CORE_H
#define HN_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- limits */

#define HN_NAME_MAX	      32  /* node name, incl. NUL */
#define HN_REASON_MAX	      160 /* human reason of a transition, incl. NUL */
#define HN_KEY_MAX	      64  /* store key, incl. NUL */
#define HN_VALUE_MAX	      256 /* store value, incl. NUL */
#define HN_STORE_ENTRIES_MAX  1024
#define HN_ACTIONS_MAX	      64 /* actions one step may emit */
#define HN_PENDING_WRITES_MAX 64 /* writes waiting for the peer's ack */
#define HN_SYNC_BATCH_MAX     16 /* entries in one resync batch message */
#define HN_LINKS	      2
#define HN_TRANSITIONS_KEPT   16 /* last transitions kept for status */
#define HN_NOTIFY_TEXT_MAX    96 /* text of a notify-only check, incl. NUL */

enum hn_link { HN_LINK_SYNC = 0, HN_LINK_EXTERNAL = 1 };

/* ------------------------------------------------------- roles and states */

enum hn_role { HN_ROLE_STANDBY = 0, HN_ROLE_ACTIVE = 1 };

/* The node's state besides its role. Only HN_STATE_NORMAL may take the
 * active role by itself; every other state keeps the node from taking over
 * (SPEC "Roles and states"). */
enum hn_state {
	HN_STATE_STARTING = 0, /* waiting for the peer (wait-for-all) */
	HN_STATE_NORMAL,       /* eligible: active or standby as the role says */
	HN_STATE_MAINTENANCE,
	HN_STATE_FAULT,	       /* a local failover check failed */
	HN_STATE_ISOLATED,     /* no ping target reachable */
	HN_STATE_DISCONNECTED, /* admin cut the cluster link; role frozen */
	HN_STATE_STANDALONE,   /* cluster disbanded */
	HN_STATE_COUNT
};

enum hn_tiebreaker { HN_TIEBREAKER_NONE = 0, HN_TIEBREAKER_PING, HN_TIEBREAKER_FENCE };

enum hn_model { HN_MODEL_RACK1 = 0, HN_MODEL_RACK4, HN_MODEL_VIRT1, HN_MODEL_COUNT };

struct hn_version {
	uint16_t major, minor, patch;
};

/* What a node is: sent in every heartbeat, checked by compat.c. */
struct hn_identity {
	uint32_t node_id; /* 1 or 2 in a pair; unique in the cluster */
	char name[HN_NAME_MAX];
	enum hn_model model;
	uint32_t cpu_count;
	uint32_t memory_mb;
	uint32_t disk_gb;
	struct hn_version firmware;
};

/* Cluster-wide timers, all configurable (SPEC "Links and heartbeats"). */
struct hn_timers {
	uint32_t heartbeat_interval_ms; /* default 200 */
	uint32_t dead_time_ms;		/* default 1000: silence on ALL links */
	uint32_t wait_for_peer_ms;	/* default 10000 */
	uint32_t fence_delay_ms;	/* default 500: delay before fencing an incumbent */
	uint32_t retransmit_ms;		/* default 100: data message retransmission */
	/* default 10000 (0 = default): a FENCE without a result for this long
	 * counts as failed. Twice hanode's default command_timeout_ms, so the
	 * host's own timeout of the fence command normally answers first. */
	uint32_t fence_timeout_ms;
	/* default 2000 (0 = default): the data-sync lag check (notify only)
	 * fails while the oldest unacknowledged write is older than this. */
	uint32_t sync_lag_ms;
};

#define HN_FENCE_TIMEOUT_DEFAULT_MS 10000
#define HN_SYNC_LAG_DEFAULT_MS	    2000

struct hn_config {
	struct hn_identity self;
	struct hn_timers timers;
	enum hn_tiebreaker tiebreaker;
	uint32_t protocol_version; /* HN_PROTOCOL_VERSION */
};

/* 2: heartbeats carry the boot nonce handshake, the echo age and the
 * health age; data messages echo the receiver's nonce (proto.c). */
#define HN_PROTOCOL_VERSION 2

void hn_config_defaults(struct hn_config *config);

/* -------------------------------------------------------------- messages */

/* Health as measured by the daemon's checks, fed in as HN_EVENT_HEALTH and
 * carried in heartbeats so the peer can compare (network failover). */
struct hn_health {
	bool raid_ok;
	bool services_ok;
	uint32_t ping_reachable;  /* ping targets that answered in the last round */
	uint32_t ping_total;	  /* ping targets configured; 0 = no network check */
	bool cluster_ip_answered; /* someone else answers the cluster IP (ping tie-breaker) */
};

/* Notify-only checks (SPEC "notify checks"); HN_CHECK_SYNC_LAG is measured
 * by the core itself (hn_timers.sync_lag_ms), the others by the host. */
enum hn_notify_check {
	HN_CHECK_DISK_USAGE = 1u << 0,
	HN_CHECK_TIME_OFFSET = 1u << 1,
	HN_CHECK_SERVICE_HEALTH = 1u << 2,
	HN_CHECK_SYNC_LAG = 1u << 3,
};

/* Data generation: a new one starts when a node becomes active without its
 * peer. parent is the generation it forked from, fork_seq the sequence
 * number of the last write of the parent it contains. */
struct hn_generation {
	uint64_t id;
	uint64_t parent;
	uint64_t fork_seq;
};

enum hn_heartbeat_flag {
	HN_HB_MAINTENANCE = 1u << 0,
	HN_HB_OUTDATED = 1u << 1,      /* sender's data is outdated */
	HN_HB_PEER_OUTDATED = 1u << 2, /* sender marked the receiver outdated */
	HN_HB_YIELD = 1u << 3,	       /* switchover: sender hands the role to the receiver */
	HN_HB_DISCONNECT = 1u << 4,    /* admin disconnect, freeze both */
	HN_HB_DISBAND = 1u << 5,       /* admin disband, both become standalone */
	HN_HB_TOOK_OVER = 1u << 6,    /* sender became active without its peer in this generation */
	HN_HB_INCOMPATIBLE = 1u << 7, /* sender refuses the receiver (compat) */
	HN_HB_SWITCHOVER_REQUEST =
	    1u << 8, /* standby asks the active to yield (admin switchover on the standby) */
	HN_HB_NO_STORAGE = 1u << 9, /* sender's storage failed: it stores no data now */
	/* the sender's external link (its whole bond) has carrier; a peer that
	 * never sets it is never handed the role for a carrier loss (rules.c) */
	HN_HB_EXTERNAL_UP = 1u << 10,
};

/* "Never": echo_age_ms of a node that has not heard the receiver's current
 * boot, health_age_ms of a node without a health verdict yet. */
#define HN_AGE_NEVER UINT32_MAX

struct hn_heartbeat {
	uint32_t protocol_version;
	struct hn_identity sender;
	enum hn_role role;
	enum hn_state state;
	uint32_t flags; /* enum hn_heartbeat_flag */
	struct hn_health health;
	struct hn_generation generation;
	uint64_t last_seq; /* last write applied by the sender */
	uint64_t writes_in_generation;
	uint64_t active_for_ms;	    /* 0 unless active */
	uint32_t split_brain_loser; /* node id the judge demoted, 0 = none */
	/* Freshness (protocol 2, see fsm.c): the sender's boot nonce, the
	 * receiver's nonce as the sender last heard it, how long ago the
	 * sender last heard the receiver's boot (HN_AGE_NEVER), and how old
	 * the sender's health verdict is (HN_AGE_NEVER). */
	uint64_t nonce;
	uint64_t echo_nonce;
	uint32_t echo_age_ms;
	uint32_t health_age_ms;
};

enum hn_data_kind {
	HN_DATA_REPLICATE = 1, /* active -> standby: one write, applies on base_seq */
	HN_DATA_ACK,	       /* standby -> active: cumulative, up to seq */
	HN_DATA_SYNC_REQUEST,  /* standby -> active: send entries with seq > since_seq */
	HN_DATA_SYNC_BATCH,    /* active -> standby: entries in seq order, up to upto_seq */
};

struct hn_entry {
	char key[HN_KEY_MAX];
	char value[HN_VALUE_MAX];
	uint64_t seq;
};

struct hn_data_message {
	enum hn_data_kind kind;
	uint32_t sender_id;
	struct hn_generation generation;
	uint64_t seq;	   /* REPLICATE: the write's seq; ACK: up to; SYNC_REQUEST: since */
	uint64_t base_seq; /* REPLICATE: seq the receiver must have to apply it */
	uint64_t upto_seq; /* SYNC_BATCH: receiver's seq after applying the batch */
	bool complete;	   /* SYNC_BATCH: last batch, receiver is now in sync */
	uint32_t entry_count;
	struct hn_entry entries[HN_SYNC_BATCH_MAX]; /* REPLICATE uses entries[0] */
	uint64_t echo_nonce; /* the receiver's boot nonce as the sender knows it */
};

/* ---------------------------------------------------------------- events */

enum hn_event_kind {
	HN_EVENT_START = 1,	/* daemon started; begins wait-for-all */
	HN_EVENT_TICK,		/* time passed; call at least every deadline */
	HN_EVENT_HEARTBEAT,	/* authenticated heartbeat from the peer on a link */
	HN_EVENT_LINK,		/* carrier change of a link (a bond: up if any port is) */
	HN_EVENT_HEALTH,	/* result of a round of health checks */
	HN_EVENT_ADMIN,		/* operator command */
	HN_EVENT_DATA,		/* data message from the peer (sync link) */
	HN_EVENT_CLIENT_WRITE,	/* PUT from a client of the store */
	HN_EVENT_FENCE_RESULT,	/* result of an HN_ACTION_FENCE */
	HN_EVENT_ACTION_FAILED, /* an action could not be carried out (see the header) */
};

/* What kind of action failed (HN_EVENT_ACTION_FAILED). */
enum hn_failure_kind {
	HN_FAILURE_STORAGE = 1, /* PERSIST or STORE_RESET */
	HN_FAILURE_CLUSTER_IP,	/* IP_ADD */
	HN_FAILURE_SERVICES,	/* SERVICES_START */
};

enum hn_admin_command {
	HN_ADMIN_MAINTENANCE_ON = 1,
	HN_ADMIN_MAINTENANCE_OFF,
	HN_ADMIN_SWITCHOVER,
	HN_ADMIN_DISCONNECT,
	HN_ADMIN_RECONNECT,
	HN_ADMIN_DISBAND,
	HN_ADMIN_FORCE_START, /* stop waiting for the peer */
	HN_ADMIN_SETTING_SET, /* cluster-wide setting: refused on the standby */
	/* hanode stops (SIGTERM): hand over like maintenance, logged as
	 * "hanode stopping: <value>" with the caller's reason in value; not an
	 * operator's maintenance (the host persists no mark for it). */
	HN_ADMIN_SHUTDOWN,
};

struct hn_event {
	enum hn_event_kind kind;
	enum hn_link link; /* HEARTBEAT, LINK, DATA */
	/* HEARTBEAT, DATA: the packet's sequence, its sender's counter over
	 * both links (hn_proto_packet_seq); 0 = not known, never stale. */
	uint64_t seq;
	union {
		struct hn_heartbeat heartbeat;
		bool carrier_up;
		struct hn_health health;
		struct {
			enum hn_admin_command command;
			uint64_t request_id;	  /* echoed in HN_ACTION_ADMIN_REPLY */
			char key[HN_KEY_MAX];	  /* SETTING_SET */
			char value[HN_VALUE_MAX]; /* SETTING_SET */
		} admin;
		struct hn_data_message data;
		struct {
			uint64_t request_id; /* echoed in HN_ACTION_CLIENT_REPLY */
			char key[HN_KEY_MAX];
			char value[HN_VALUE_MAX];
		} write;
		bool fence_ok;
		struct {
			/* A fresh random value per start (the host draws it, e.g.
			 * randombytes_buf): a peer's heartbeat is news only once it
			 * echoes it, so a capture of an earlier boot is never news.
			 * 0 disables the check (both nodes must then send 0). */
			uint64_t boot_nonce;
		} start;
		struct {
			enum hn_failure_kind kind;
			char reason[HN_REASON_MAX]; /* e.g. "store.log: No space left on device" */
		} failure;
	} u;
	/* HEALTH: the notify-only checks of the round (they never move a role;
	 * not carried in heartbeats): the failing ones as enum hn_notify_check
	 * bits (HN_CHECK_SYNC_LAG is the core's own and ignored here), and a
	 * short text from the host ("disk 91 % full"). */
	struct {
		uint32_t failing;
		char text[HN_NOTIFY_TEXT_MAX];
	} checks;
};

/* --------------------------------------------------------------- actions */

enum hn_action_kind {
	HN_ACTION_SEND_HEARTBEAT = 1, /* u.heartbeat on link */
	HN_ACTION_SEND_DATA,	      /* u.data on the sync link */
	HN_ACTION_IP_ADD,	      /* add the cluster IP, send gratuitous ARP */
	HN_ACTION_IP_REMOVE,
	HN_ACTION_SERVICES_START,
	HN_ACTION_SERVICES_STOP,
	HN_ACTION_LOG,		/* u.log: one cluster log line */
	HN_ACTION_NOTIFY,	/* u.notify: run the notification hook */
	HN_ACTION_FENCE,	/* power off the peer; answer with FENCE_RESULT */
	HN_ACTION_PERSIST,	/* u.entry: write durably before what follows */
	HN_ACTION_STORE_RESET,	/* drop every entry (full resync follows) */
	HN_ACTION_CLIENT_REPLY, /* u.reply: answer a client write; ok: text is its seq in decimal */
	HN_ACTION_ADMIN_REPLY,	/* u.reply: answer an admin command */
};

enum hn_notify_kind {
	HN_NOTIFY_FAILOVER = 1,
	HN_NOTIFY_FAULT,
	HN_NOTIFY_SPLIT_BRAIN,
	HN_NOTIFY_SYNC_LOST,
	HN_NOTIFY_SYNC_RESTORED,
	HN_NOTIFY_JOIN_REFUSED,
	HN_NOTIFY_HEALTH, /* notify-only checks */
};

/* One cluster log record. from/to are "active", "standby", "maintenance",
 * ... (hn_state_name / hn_role_name); event names the kind of record:
 * "transition", "split_brain", "sync", "refused", "fence", ... */
struct hn_log_record {
	char event[24];
	char from[24];
	char to[24];
	char reason[HN_REASON_MAX];
	uint64_t lost_writes; /* split brain: writes this node discarded */
};

struct hn_action {
	enum hn_action_kind kind;
	enum hn_link link;
	union {
		struct hn_heartbeat heartbeat;
		struct hn_data_message data;
		struct hn_log_record log;
		struct {
			enum hn_notify_kind kind;
			char text[HN_REASON_MAX];
		} notify;
		struct hn_entry entry;
		struct {
			uint64_t request_id;
			bool ok;
			char text[HN_REASON_MAX];
		} reply;
	} u;
};

struct hn_actions {
	size_t count;
	struct hn_action items[HN_ACTIONS_MAX];
};

/* ---------------------------------------------------------------- status */

struct hn_transition_record {
	uint64_t at_ms;
	char from[24];
	char to[24];
	char reason[HN_REASON_MAX];
};

struct hn_status {
	enum hn_role role;
	enum hn_state state;
	bool outdated;		   /* our data is outdated */
	bool peer_outdated;	   /* we marked the peer outdated */
	bool peer_seen;		   /* heard from the peer within the dead time */
	bool link_alive[HN_LINKS]; /* heard a heartbeat on the link within the dead time */
	bool link_carrier[HN_LINKS];
	bool in_sync; /* standby has every acknowledged write */
	bool resyncing;
	struct hn_identity peer;
	enum hn_role peer_role;
	enum hn_state peer_state;
	struct hn_health health;
	struct hn_generation generation;
	uint64_t last_seq;
	uint64_t lost_writes_total;
	uint32_t transition_count; /* valid records in transitions[], newest last */
	struct hn_transition_record transitions[HN_TRANSITIONS_KEPT];
	char refusal[HN_REASON_MAX]; /* non-empty while the peer is refused (compat) */
	uint32_t notify_failing;     /* notify-only checks failing (enum hn_notify_check) */
	bool storage_failed;	     /* a PERSIST failed; fault until a health round passes */
	bool switchover_waiting;     /* a switchover waits for the writes in flight */
};

/* ------------------------------------------------------------ operations */

struct hn_node; /* defined in fsm.h; allocate with sizeof via hn_node_size() */

size_t hn_node_size(void);
/* Initialise a node in HN_STATE_STARTING, standby, with an empty store.
 * Returns -1 with a message in error (if not NULL) on an invalid config. */
int hn_node_init(struct hn_node *node, const struct hn_config *config, char *error,
		 size_t error_size);
/* Load one persisted entry/generation before HN_EVENT_START (daemon restart). */
int hn_node_restore_entry(struct hn_node *node, const struct hn_entry *entry);
void hn_node_restore_generation(struct hn_node *node, const struct hn_generation *generation,
				bool outdated);

/* Feed one event at now_ms (monotonic, never decreasing). actions is
 * cleared first. Returns 0, or -1 if the event itself was malformed (the
 * event is then ignored and a LOG action explains why). */
int hn_node_step(struct hn_node *node, const struct hn_event *event, uint64_t now_ms,
		 struct hn_actions *actions);

/* The next time at which the node wants an HN_EVENT_TICK even if nothing
 * else happens (heartbeat due, dead time, wait-for-all, retransmission). */
uint64_t hn_node_next_deadline_ms(const struct hn_node *node);

void hn_node_status(const struct hn_node *node, uint64_t now_ms, struct hn_status *status);
/* Read the store (GET is served locally by the active node). */
const struct hn_entry *hn_node_get(const struct hn_node *node, const char *key);
/* Whether this node may serve client reads/writes (active, not standalone-standby). */
bool hn_node_serves_clients(const struct hn_node *node);

const char *hn_role_name(enum hn_role role);	/* "active", "standby" */
const char *hn_state_name(enum hn_state state); /* "starting", "normal", ... */
const char *hn_model_name(enum hn_model model); /* "rack1", "rack4", "virt1" */
int hn_model_parse(const char *text, enum hn_model *model);
int hn_version_parse(const char *text, struct hn_version *version);
const char *hn_tiebreaker_name(enum hn_tiebreaker tiebreaker);
int hn_tiebreaker_parse(const char *text, enum hn_tiebreaker *tiebreaker);
/* The one table of admin command names, for the daemon, hactl and hasim:
 * "maintenance on", "maintenance off", "switchover", "disconnect",
 * "reconnect", "disband", "force start", "setting set", "shutdown". The
 * parser also takes the spelling "force-start" (hactl's). NULL / -1 if
 * unknown. */
const char *hn_admin_command_name(enum hn_admin_command command);
int hn_admin_command_parse(const char *text, enum hn_admin_command *command);

/* ------------------------------------------------------------ compat.c */

enum hn_compat_verdict { HN_COMPAT_OK = 0, HN_COMPAT_WARN, HN_COMPAT_REFUSED };

/* Whether a and b may form a cluster. reason gets a human sentence for
 * WARN and REFUSED (e.g. "firmware 1.3.0 and 1.4.2 differ in major.minor"). */
enum hn_compat_verdict hn_compat_check(const struct hn_identity *a, const struct hn_identity *b,
				       uint32_t protocol_a, uint32_t protocol_b, char *reason,
				       size_t reason_size);

/* ------------------------------------------------------------- proto.c */

#define HN_PACKET_MAX	 4096 /* bound of every packet on the wire */
#define HN_KEY_BYTES	 32   /* shared cluster key */
#define HN_REPLAY_WINDOW 64

enum hn_packet_kind { HN_PACKET_HEARTBEAT = 1, HN_PACKET_DATA = 2 };

/* Per-peer replay protection: highest sequence seen and a bitmap of the
 * HN_REPLAY_WINDOW sequences below it. */
struct hn_replay_window {
	uint64_t highest;
	uint64_t bitmap;
	bool started;
};

struct hn_proto_counters {
	uint64_t accepted;
	uint64_t bad_length;
	uint64_t bad_mac;   /* wrong key or corrupted */
	uint64_t replayed;  /* duplicate or older than the window */
	uint64_t malformed; /* authenticated but not decodable */
};

/* Encode + authenticate a heartbeat or data message. packet_seq is the
 * sender's per-packet counter (strictly increasing per sender, across
 * links). Returns the packet length, or -1 if it does not fit. */
int hn_proto_encode_heartbeat(const struct hn_heartbeat *heartbeat, uint64_t packet_seq,
			      const uint8_t key[HN_KEY_BYTES], uint8_t *packet, size_t packet_size);
int hn_proto_encode_data(const struct hn_data_message *data, uint64_t packet_seq,
			 const uint8_t key[HN_KEY_BYTES], uint8_t *packet, size_t packet_size);

/* Verify and decode one packet. On success returns its kind and fills the
 * matching output; on rejection returns -1, bumps the right counter, and
 * leaves the window unchanged. The window is shared by both links. */
int hn_proto_decode(const uint8_t *packet, size_t length, const uint8_t key[HN_KEY_BYTES],
		    struct hn_replay_window *window, struct hn_proto_counters *counters,
		    struct hn_heartbeat *heartbeat, struct hn_data_message *data);

/* The sequence in a packet's header (for hn_event.seq, once decoded); 0 if
 * the packet is too short to have one. */
uint64_t hn_proto_packet_seq(const uint8_t *packet, size_t length);

#endif
