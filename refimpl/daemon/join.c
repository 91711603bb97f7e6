/*
 * join.c - pairing two nodes from hanode's side (hactl create and join).
 *
 * A node without a cluster key ("unpaired") runs its control socket only.
 * `hactl create` makes it draw a key, start its core alone and open the
 * pairing server on the sync link with a one-time secret (pairing.c seals
 * the exchange with it). `hactl join` on the second node asks its hanode
 * for a join request, carries it to the first node's pairing server, and
 * hands the answer back as join-data: the key and the cluster-wide
 * settings, which are written to cluster.conf before the core starts. The
 * joining node's local data is dropped (store, generation: it starts
 * outdated, with nothing, and resyncs in full from the first node; a
 * maintenance mark of an earlier life goes too).
 *
 * Replacing a node (issue 11; Checkmk's two ways):
 *   - new hardware with the old disks: the node boots with its data_dir and
 *     key_file and rejoins by itself, like any restart;
 *   - a new pair around the node that keeps the data: `hactl disband` on it
 *     (standalone: it keeps its data and, if it was active, keeps serving),
 *     then `hactl create` on it: a NEW cluster key (the old peer, whatever
 *     it still knows, is shut out), the host restarted on what data_dir
 *     holds once the old host's services_stop ended (a short outage), and
 *     if it was active it starts alone at once (no wait for a peer that is
 *     not there yet). The new node then joins as above.
 *   `hactl create` on a node in a cluster (not standalone) draws a new
 *   pairing secret for the same key: a new node can join in place of a
 *   dead peer without a disband.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hanode.h"

/* ------------------------------------------------------ create and join */

static void hn_daemon_on_pairing_client(void *arg, int fd, short revents);

static void hn_daemon_on_pairing_listen(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	char error[HN_ERROR_MAX];
	(void)fd;
	(void)revents;
	if (daemon->pairing.client_fd >= 0)
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.client_fd);
	int client_fd = hn_pairing_server_accept(&daemon->pairing);
	if (client_fd >= 0 &&
	    hn_loop_watch_add(&daemon->loop, client_fd, POLLIN, hn_daemon_on_pairing_client, daemon,
			      error, sizeof(error)) != 0)
		hn_pairing_server_close(&daemon->pairing);
}

/* The first node's side of a join: answer, log, and use the secret up. */
static void hn_daemon_pairing_answer(struct hn_daemon *daemon, const char *request, char *answer,
				     size_t answer_size)
{
	struct hn_identity joiner;
	char settings[512], note[HN_REASON_MAX + 64];
	hn_daemon_config_cluster_text(&daemon->config, settings, sizeof(settings));
	if (hn_pairing_answer(&daemon->config.core.self, daemon->config.core.protocol_version,
			      daemon->key, settings, request, &joiner, answer, answer_size) != 0) {
		hn_pairing_word(answer, "reason", note, sizeof(note));
		hn_daemon_log(daemon, "refused", note);
		return;
	}
	daemon->secret.valid = false; /* used once */
	snprintf(note, sizeof(note), "node %s (id %u) joined with the pairing secret", joiner.name,
		 joiner.node_id);
	hn_daemon_log(daemon, "admin", note);
}

static void hn_daemon_on_pairing_client(void *arg, int fd, short revents)
{
	struct hn_daemon *daemon = arg;
	char request[HN_PAIRING_TEXT_MAX], answer[HN_PAIRING_TEXT_MAX];
	uint8_t wire[HN_PAIRING_WIRE_MAX];
	(void)revents;
	int state = hn_pairing_server_read(&daemon->pairing);
	if (state == 0)
		return;
	hn_loop_watch_remove(&daemon->loop, fd);
	if (state < 0)
		return;
	if (!hn_pairing_secret_usable(&daemon->secret, hn_loop_now_ms()) ||
	    hn_pairing_open(daemon->secret.secret, daemon->pairing.buffer, daemon->pairing.used,
			    request, sizeof(request)) != 0) {
		/* Not the secret's holder: no answer at all, and count it. */
		daemon->secret.failures++;
		hn_pairing_server_answer(&daemon->pairing, wire, 0);
		return;
	}
	hn_daemon_pairing_answer(daemon, request, answer, sizeof(answer));
	int length = hn_pairing_seal(daemon->secret.secret, answer, wire, sizeof(wire));
	hn_pairing_server_answer(&daemon->pairing, wire, length > 0 ? (size_t)length : 0);
	if (!daemon->secret.valid) {
		hn_loop_watch_remove(&daemon->loop, daemon->pairing.listen_fd);
		hn_pairing_server_close(&daemon->pairing);
	}
}

/* A standalone node's new cluster: a new key, the host stopped now and
 * started again by hn_daemon_recreate_poll (see the top of this file). */
static int hn_daemon_recreate(struct hn_daemon *daemon, char *error, size_t error_size)
{
	struct hn_status status;
	uint8_t key[HN_KEY_BYTES];
	uint64_t now_ms = hn_loop_now_ms();
	hn_node_status(hn_host_node(daemon->host), now_ms, &status);
	randombytes_buf(key, sizeof(key));
	if (hn_pairing_key_write(daemon->config.key_file, key, error, error_size) != 0) {
		sodium_memzero(key, sizeof(key));
		return -1;
	}
	hn_host_stop(daemon->host, "cluster re-created by hactl create: a new cluster key", now_ms);
	daemon->paired = false;
	memcpy(daemon->key, key, HN_KEY_BYTES);
	sodium_memzero(key, sizeof(key));
	daemon->recreate_pending = true;
	daemon->recreate_force_start = status.role == HN_ROLE_ACTIVE;
	daemon->recreate_deadline_ms = now_ms + HN_STOP_WAIT_MS;
	hn_daemon_log(daemon, "admin",
		      status.role == HN_ROLE_ACTIVE
			  ? "cluster re-created: new cluster key, this node keeps its data and "
			    "stays active"
			  : "cluster re-created: new cluster key, this node keeps its data");
	return 0;
}

void hn_daemon_recreate_poll(struct hn_daemon *daemon, uint64_t now_ms)
{
	char error[HN_ERROR_MAX];
	if (!daemon->recreate_pending ||
	    (hn_runner_running(&daemon->runner) > 0 && now_ms < daemon->recreate_deadline_ms))
		return;
	daemon->recreate_pending = false;
	if (hn_daemon_core_start(daemon, daemon->key, error, sizeof(error)) != 0)
		hn_daemon_log(daemon, "health", error);
}

/* hactl create: a node without a key draws one and starts alone; a
 * standalone node starts a new cluster with a new key, keeping its data. */
void hn_daemon_pairing_secret(struct hn_daemon *daemon, struct hn_control_ticket ticket)
{
	char error[HN_ERROR_MAX], hex[HN_PAIRING_SECRET_HEX], json[256];
	const struct hn_link_config *sync = &daemon->config.links[HN_LINK_SYNC];
	struct hn_status status;
	if (daemon->recreate_pending) {
		hn_daemon_reply_error(daemon, ticket,
				      "the cluster is being re-created: try again in a moment");
		return;
	}
	if (daemon->paired) {
		hn_node_status(hn_host_node(daemon->host), hn_loop_now_ms(), &status);
		if (status.state == HN_STATE_STANDALONE &&
		    hn_daemon_recreate(daemon, error, sizeof(error)) != 0) {
			hn_daemon_reply_error(daemon, ticket, error);
			return;
		}
	} else {
		uint8_t key[HN_KEY_BYTES];
		randombytes_buf(key, sizeof(key));
		if (hn_pairing_key_write(daemon->config.key_file, key, error, sizeof(error)) != 0 ||
		    hn_daemon_core_start(daemon, key, error, sizeof(error)) != 0) {
			hn_daemon_reply_error(daemon, ticket, error);
			return;
		}
		hn_daemon_log(daemon, "admin", "cluster created: new cluster key");
	}
	/* A second create draws a new secret on the same listening socket. */
	bool listening = daemon->pairing.listen_fd >= 0;
	if (hn_pairing_server_listen(&daemon->pairing, sync->address, daemon->config.pairing_port,
				     sync->interface, error, sizeof(error)) != 0 ||
	    (!listening &&
	     hn_loop_watch_add(&daemon->loop, daemon->pairing.listen_fd, POLLIN,
			       hn_daemon_on_pairing_listen, daemon, error, sizeof(error)) != 0)) {
		hn_daemon_reply_error(daemon, ticket, error);
		return;
	}
	hn_pairing_secret_new(&daemon->secret, hn_loop_now_ms(), hex);
	snprintf(json, sizeof(json),
		 "{\"ok\":true,\"secret\":\"%s\",\"valid_ms\":%u,\"peer\":\"%s\",\"port\":%u}", hex,
		 HN_PAIRING_VALID_MS, sync->address, daemon->config.pairing_port);
	hn_control_reply(&daemon->control, ticket, json);
}

void hn_daemon_join_request(struct hn_daemon *daemon, struct hn_control_ticket ticket)
{
	char request[HN_PAIRING_TEXT_MAX], json[HN_PAIRING_TEXT_MAX + 64];
	if (daemon->paired || daemon->recreate_pending) {
		hn_daemon_reply_error(daemon, ticket,
				      "this node already has a cluster key; remove key_file and "
				      "data_dir before joining another cluster");
		return;
	}
	hn_pairing_request(&daemon->config.core.self, daemon->config.core.protocol_version, request,
			   sizeof(request));
	snprintf(json, sizeof(json), "{\"ok\":true,\"request\":\"%s\",\"pairing_port\":%u}",
		 request, daemon->config.pairing_port);
	hn_control_reply(&daemon->control, ticket, json);
}

/* Writes the cluster-wide words of the first node into cluster.conf. */
static int hn_daemon_write_cluster_conf(struct hn_daemon *daemon, const char *words, char *error,
					size_t error_size)
{
	char path[HN_CONFIG_PATH_MAX + 16], copy[HN_PAIRING_TEXT_MAX];
	snprintf(path, sizeof(path), "%s/cluster.conf", daemon->config.data_dir);
	snprintf(copy, sizeof(copy), "%s", words);
	FILE *file = fopen(path, "w");
	if (!file) {
		snprintf(error, error_size, "hn_daemon_join: %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(file, "# written by hactl join: the cluster's settings, received from the peer\n");
	char *save = NULL;
	for (char *word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		char *equals = strchr(word, '=');
		if (!equals)
			continue;
		*equals = '\0';
		if (hn_daemon_config_is_cluster_key(word))
			fprintf(file, "%s = %s\n", word, equals + 1);
	}
	bool ok = fflush(file) == 0 && fsync(fileno(file)) == 0;
	fclose(file);
	if (!ok) {
		snprintf(error, error_size, "hn_daemon_join: %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The joiner's data, dropped for the first node's: an empty store, no
 * generation and outdated (so it never takes over before its full resync),
 * no maintenance mark. */
static int hn_daemon_drop_local_data(struct hn_daemon *daemon, char *error, size_t error_size)
{
	static const struct hn_generation none;
	return hn_persist_reset(&daemon->persist, error, error_size) != 0 ||
		       hn_persist_generation_write(&daemon->persist, &none, true, error,
						   error_size) != 0 ||
		       hn_persist_maintenance_write(&daemon->persist, false, error, error_size) != 0
		   ? -1
		   : 0;
}

/* hactl join: the answer of the first node, passed on by hactl. The local
 * data is dropped: the first node's data overwrites it (resync). */
void hn_daemon_join_data(struct hn_daemon *daemon, struct hn_control_ticket ticket,
			 const char *words)
{
	static struct hn_daemon_config joined;
	char error[HN_ERROR_MAX], key_hex[2 * HN_KEY_BYTES + 2];
	uint8_t key[HN_KEY_BYTES];
	if (daemon->paired || daemon->recreate_pending) {
		hn_daemon_reply_error(daemon, ticket, "this node already has a cluster key");
		return;
	}
	hn_pairing_word(words, "key", key_hex, sizeof(key_hex));
	if (hn_pairing_key_parse(key_hex, key) != 0) {
		hn_daemon_reply_error(daemon, ticket, "join-data: key=<64 hex digits> missing");
		return;
	}
	if (hn_daemon_write_cluster_conf(daemon, words, error, sizeof(error)) != 0 ||
	    hn_daemon_config_load(&joined, daemon->config.path, error, sizeof(error)) != 0)
		goto fail;
	daemon->config.core = joined.core;
	snprintf(daemon->config.cluster_ip, sizeof(daemon->config.cluster_ip), "%s",
		 joined.cluster_ip);
	snprintf(daemon->config.cluster_ip_interface, sizeof(daemon->config.cluster_ip_interface),
		 "%s", joined.cluster_ip_interface);
	if (hn_daemon_drop_local_data(daemon, error, sizeof(error)) != 0 ||
	    hn_pairing_key_write(daemon->config.key_file, key, error, sizeof(error)) != 0 ||
	    hn_daemon_core_start(daemon, key, error, sizeof(error)) != 0)
		goto fail;
	sodium_memzero(key, sizeof(key));
	hn_daemon_log(daemon, "admin", "joined the cluster: local data dropped for resync");
	hn_control_reply(
	    &daemon->control, ticket,
	    "{\"ok\":true,\"message\":\"joined the cluster; data resyncs from the peer\"}");
	return;
fail:
	sodium_memzero(key, sizeof(key));
	hn_daemon_reply_error(daemon, ticket, error);
}
