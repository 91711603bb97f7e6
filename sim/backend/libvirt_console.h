/*
 * libvirt_console.h - a terminal on a guest's serial console through
 * libvirt (virDomainOpenConsole), the way `virsh console` does it; used by
 * `hasim console`.
 */
#ifndef HS_LIBVIRT_CONSOLE_H
#define HS_LIBVIRT_CONSOLE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#define HS_CONSOLE_ESCAPE	0x1d /* Ctrl-], as in virsh and telnet */
#define HS_CONSOLE_STOP_POLL_MS 200  /* how often *stop is looked at */

/* Attach to the serial console of domain `domain_name` on `uri` (NULL or
 * "": hs_libvirt_uri(), as for the runs): what is read from input_fd
 * goes to the guest, what the guest writes goes to output. A terminal on
 * input_fd is switched to raw mode and restored. It ends on the escape
 * byte in the input, when the console hangs up (the guest was powered
 * off), or when *stop becomes non-zero (a signal handler sets it). The end
 * of input_fd does not end it: the guest's output keeps coming until one
 * of those.
 * Returns 0 when the session ran and ended; 1 when there is nothing to
 * attach to (no libvirt daemon answers on uri, no such domain, or it is
 * not running), with the reason in error; -1 on any other failure. */
int hs_console_attach(const char *uri, const char *domain_name, int input_fd, FILE *output,
		      volatile sig_atomic_t *stop, char *error, size_t error_size);

#endif
