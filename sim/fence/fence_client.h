/*
 * fence_client.h - the client side of hasim's fence device: one request
 * ("fence NODE\n") over the run's Unix socket, one answer ("ok\n" or
 * "error TEXT\n"). Used by hsfence (the nodes' fence_command) and by
 * `hasim fence`. Needs nothing but libc, so that the program that links it
 * starts in a few milliseconds on a loaded machine.
 */
#ifndef HS_FENCE_CLIENT_H
#define HS_FENCE_CLIENT_H

#include <stddef.h>

/* At most this many ms for the connection and the answer together. */
#define HS_FENCE_CLIENT_TIMEOUT_MS 10000

/* Ask the hasim listening on socket_path to power node off. 0 the device
 * answered "ok"; -1 otherwise, with the reason in error (the device's own
 * "error ..." text, or what failed: connect, send, no answer). */
int hs_fence_request(const char *socket_path, const char *node, char *error, size_t error_size);

#endif
