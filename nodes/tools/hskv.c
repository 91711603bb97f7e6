/*
 * hskv.c - a minimal store on the cluster IP for node implementations
 * that have none (keepalived): the client of hasim (sim/run/client.c)
 * then measures outage and sessions against any node the same way.
 *
 *   hskv [--port 7000] [--address 0.0.0.0]
 *
 * It speaks the store's line protocol (docs/DEVELOPING.md; lines parsed
 * by hanode's own hn_kv_parse): PUT <key> <value> -> OK <seq>, GET <key>
 * -> VALUE <value> | NOTFOUND, a bad line -> ERR <reason>. It keeps the
 * data in memory and replicates nothing: after a failover the new holder
 * of the cluster IP has none of the old one's writes (an adapter using it
 * does not declare replicated_data, so hasim skips the data checks). It
 * listens on every address of its node's namespace, so it answers only
 * while its node holds the cluster IP (or on the node's own addresses).
 * Bounded: HSKV_KEYS_MAX keys, HSKV_CLIENTS_MAX connections (the oldest
 * gives way), lines of HSKV_LINE_MAX bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kvline.h"

#define HSKV_KEYS_MAX	 1024
#define HSKV_CLIENTS_MAX 64
#define HSKV_LINE_MAX	 512

struct hskv_entry {
	char key[HN_KEY_MAX];
	char value[HN_VALUE_MAX];
};

struct hskv_client {
	int fd; /* -1 = free */
	char line[HSKV_LINE_MAX];
	size_t length;
	unsigned long long opened; /* order, so the oldest gives way */
};

static struct hskv_entry entries[HSKV_KEYS_MAX];
static unsigned entry_count;
static unsigned long long sequence, opened_count;
static struct hskv_client clients[HSKV_CLIENTS_MAX];

static void hskv_answer(const char *line, size_t length, char *answer, size_t size)
{
	struct hn_kv_request request;
	char reason[128];
	unsigned i;

	if (hn_kv_parse(line, length, &request, reason, sizeof(reason)) < 0) {
		snprintf(answer, size, "ERR %s\n", reason);
		return;
	}
	for (i = 0; i < entry_count && strcmp(entries[i].key, request.key) != 0; i++)
		;
	if (request.kind == HN_KV_GET) {
		if (i < entry_count)
			snprintf(answer, size, "VALUE %s\n", entries[i].value);
		else
			snprintf(answer, size, "NOTFOUND\n");
		return;
	}
	if (i == entry_count && entry_count == HSKV_KEYS_MAX) {
		snprintf(answer, size, "ERR store full: it holds %d keys\n", HSKV_KEYS_MAX);
		return;
	}
	if (i == entry_count)
		snprintf(entries[entry_count++].key, HN_KEY_MAX, "%s", request.key);
	snprintf(entries[i].value, HN_VALUE_MAX, "%s", request.value);
	snprintf(answer, size, "OK %llu\n", ++sequence);
}

static void hskv_close(struct hskv_client *client)
{
	close(client->fd);
	client->fd = -1;
	client->length = 0;
}

/* Read what came; answer every whole line. */
static void hskv_read(struct hskv_client *client)
{
	char answer[HN_VALUE_MAX + 64], *newline;
	ssize_t got = read(client->fd, client->line + client->length,
			   sizeof(client->line) - 1 - client->length);

	if (got <= 0) {
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		hskv_close(client);
		return;
	}
	client->length += (size_t)got;
	while ((newline = memchr(client->line, '\n', client->length))) {
		size_t length = (size_t)(newline - client->line);
		hskv_answer(client->line, length > 0 && newline[-1] == '\r' ? length - 1 : length,
			    answer, sizeof(answer));
		if (send(client->fd, answer, strlen(answer), MSG_NOSIGNAL) < 0) {
			hskv_close(client);
			return;
		}
		client->length -= length + 1;
		memmove(client->line, newline + 1, client->length);
	}
	if (client->length == sizeof(client->line) - 1) {
		send(client->fd, "ERR line too long\n", 18, MSG_NOSIGNAL);
		hskv_close(client);
	}
}

static void hskv_accept(int listen_fd)
{
	struct hskv_client *slot = NULL;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < HSKV_CLIENTS_MAX; i++)
		if (clients[i].fd < 0) {
			slot = &clients[i];
			break;
		} else if (!slot || clients[i].opened < slot->opened) {
			slot = &clients[i];
		}
	if (slot->fd >= 0) {
		send(slot->fd, "ERR closed: the server is full\n", 31, MSG_NOSIGNAL);
		hskv_close(slot);
	}
	slot->fd = fd;
	slot->length = 0;
	slot->opened = ++opened_count;
}

int main(int argc, char **argv)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(7000)};
	struct pollfd fds[HSKV_CLIENTS_MAX + 1];
	int listen_fd, one = 1;

	address.sin_addr.s_addr = htonl(INADDR_ANY);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0 &&
		    atoi(argv[i + 1]) < 65536) {
			address.sin_port = htons((uint16_t)atoi(argv[++i]));
		} else if (strcmp(argv[i], "--address") == 0 && i + 1 < argc &&
			   inet_pton(AF_INET, argv[i + 1], &address.sin_addr) == 1) {
			i++;
		} else {
			fprintf(stderr, "usage: hskv [--port 1..65535] [--address A.B.C.D]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < HSKV_CLIENTS_MAX; i++)
		clients[i].fd = -1;
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(listen_fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(listen_fd, 64) < 0) {
		fprintf(stderr, "hskv: cannot listen on port %u: %s\n", ntohs(address.sin_port),
			strerror(errno));
		return 1;
	}
	for (;;) {
		int count = 0;
		fds[count++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
		for (int i = 0; i < HSKV_CLIENTS_MAX; i++)
			if (clients[i].fd >= 0)
				fds[count++] =
				    (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
		if (poll(fds, (nfds_t)count, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < HSKV_CLIENTS_MAX; i++)
			for (int f = 1; f < count; f++)
				if (clients[i].fd >= 0 && fds[f].fd == clients[i].fd &&
				    fds[f].revents)
					hskv_read(&clients[i]);
		if (fds[0].revents & POLLIN)
			hskv_accept(listen_fd);
	}
}
