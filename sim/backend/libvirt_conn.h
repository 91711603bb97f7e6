/*
 * libvirt_conn.h - a libvirt connection for hasim's libvirt backend, with
 * the daemons it needs.
 *
 * hs_libvirt_conn_open() connects to the URI it is given, by default
 * hs_libvirt_uri(): $HALAB_LIBVIRT_URI, else qemu:///system for root and
 * qemu:///session for anyone else. For qemu:///system, when nobody answers
 * (a container without systemd: no libvirtd runs), it starts virtlogd and
 * libvirtd itself, in the foreground as its own children, waits until the
 * daemon answers, and records their pids. hs_libvirt_conn_close() closes
 * the connection and stops exactly the daemons this connection started
 * (SIGTERM, then SIGKILL after a bound), never one that was already
 * running. qemu:///session needs nothing of the kind: libvirt's client
 * starts the user's own session daemon (`libvirtd --timeout=120`, its
 * sockets and pid file in $XDG_RUNTIME_DIR/libvirt), which ends by itself
 * after two idle minutes. Any other URI (test:///default in the unit
 * tests) is only connected to.
 */
#ifndef HS_LIBVIRT_CONN_H
#define HS_LIBVIRT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

/* The URIs when none is given ($HALAB_LIBVIRT_URI unset or empty): root's
 * system daemon, or an unprivileged user's own session daemon. */
#define HS_LIBVIRT_SYSTEM_URI  "qemu:///system"
#define HS_LIBVIRT_SESSION_URI "qemu:///session"

#define HS_LIBVIRT_URI_MAX	    128
#define HS_LIBVIRT_START_TIMEOUT_MS 15000 /* libvirtd answering after start */
#define HS_LIBVIRT_STOP_TIMEOUT_MS  5000  /* SIGTERM -> SIGKILL */

struct hs_libvirt_conn {
	virConnectPtr connection;
	char uri[HS_LIBVIRT_URI_MAX];
	pid_t libvirtd_pid; /* 0 = not started by us */
	pid_t virtlogd_pid; /* 0 = not started by us */
};

/* The URI hasim's runs, gc and console use: $HALAB_LIBVIRT_URI when set
 * and not empty, else HS_LIBVIRT_SYSTEM_URI for root (effective uid 0)
 * and HS_LIBVIRT_SESSION_URI for anyone else. */
const char *hs_libvirt_uri(void);

/* Connect to uri ("qemu:///system", "qemu:///session", "test:///default";
 * NULL or "" means hs_libvirt_uri()), starting the daemons for
 * qemu:///system if needed. Returns 0, or -1 with a message. */
int hs_libvirt_conn_open(struct hs_libvirt_conn *conn, const char *uri, char *error,
			 size_t error_size);

/* Close the connection and stop the daemons we started. NULL-safe and
 * idempotent. */
void hs_libvirt_conn_close(struct hs_libvirt_conn *conn);

/* Stop libvirt from printing every error on stderr: callers report the
 * errors that matter with hs_libvirt_error_text(). conn_open calls it. */
void hs_libvirt_errors_silence(void);

/* The last libvirt error as text ("no error" if none); for messages. */
const char *hs_libvirt_error_text(void);

#endif
