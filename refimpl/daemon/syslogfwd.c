/*
 * syslogfwd.c - forward cluster-log records to a remote syslog receiver
 * over UDP, without ever blocking (see syslogfwd.h). The datagram's text
 * comes from clusterlog.c's formatter; this file only owns the socket.
 */
#include "syslogfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int hn_syslogfwd_open(struct hn_syslogfwd *forward, const char *address, uint32_t port,
		      enum hn_syslog_format format, const char *hostname, char *error,
		      size_t error_size)
{
	memset(forward, 0, sizeof(*forward));
	forward->fd = -1;
	forward->target.sin_family = AF_INET;
	forward->target.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, address, &forward->target.sin_addr) != 1) {
		snprintf(error, error_size, "hn_syslogfwd_open: '%s' is not an IPv4 address",
			 address);
		return -1;
	}
	forward->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (forward->fd < 0) {
		snprintf(error, error_size, "hn_syslogfwd_open: socket: %s", strerror(errno));
		return -1;
	}
	forward->opened = true;
	forward->format = format;
	forward->pid = (int)getpid();
	snprintf(forward->hostname, sizeof(forward->hostname), "%s", hostname);
	return 0;
}

void hn_syslogfwd_close(struct hn_syslogfwd *forward)
{
	if (!forward || !forward->opened)
		return;
	if (forward->fd >= 0)
		close(forward->fd);
	forward->fd = -1;
	forward->opened = false;
}

void hn_syslogfwd_send(struct hn_syslogfwd *forward, uint64_t wall_ms, const char *event,
		       const char *line)
{
	char datagram[HN_SYSLOG_DATAGRAM_MAX];
	if (!forward->opened)
		return;
	int length =
	    hn_clusterlog_syslog_format(forward->format, wall_ms, forward->hostname, forward->pid,
					event, line, datagram, sizeof(datagram));
	if (length < 0 ||
	    sendto(forward->fd, datagram, (size_t)length, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&forward->target, sizeof(forward->target)) != length) {
		forward->dropped++;
		return;
	}
	forward->sent++;
}
