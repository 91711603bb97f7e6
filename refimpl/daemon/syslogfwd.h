/*
 * syslogfwd.h - the cluster log forwarded to a remote syslog receiver
 * (Checkmk forwards its cluster log): every record, as one UDP datagram to
 * syslog_server:syslog_port in RFC 5424 or RFC 3164 format
 * (hn_clusterlog_syslog_format, clusterlog.h).
 *
 * Bounded and non-blocking, so that a dead or slow receiver never slows
 * the node: one datagram per record of at most HN_SYSLOG_DATAGRAM_MAX
 * bytes, sent with MSG_DONTWAIT on an unconnected socket (no ICMP error
 * comes back to it); a datagram the kernel does not take at once is
 * dropped and counted. Only an IPv4 address, never a name: a resolver
 * could block.
 */
#ifndef HN_SYSLOGFWD_H
#define HN_SYSLOGFWD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clusterlog.h"

struct hn_syslogfwd {
	bool opened; /* false in a zeroed struct: close does nothing */
	int fd;
	struct sockaddr_in target;
	enum hn_syslog_format format;
	char hostname[HN_NAME_MAX];
	int pid;
	uint64_t sent, dropped;
};

/* Opens the socket for address:port (a dotted IPv4 address); hostname is
 * the node's name (the HOSTNAME field). */
int hn_syslogfwd_open(struct hn_syslogfwd *forward, const char *address, uint32_t port,
		      enum hn_syslog_format format, const char *hostname, char *error,
		      size_t error_size);
void hn_syslogfwd_close(struct hn_syslogfwd *forward);
/* Sends one record: its event is the MSGID, line (the cluster log's JSON)
 * the message. Never blocks; a failure is counted in dropped. */
void hn_syslogfwd_send(struct hn_syslogfwd *forward, uint64_t wall_ms, const char *event,
		       const char *line);

#endif
