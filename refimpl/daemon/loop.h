/*
 * loop.h - hanode's event loop: one thread, ppoll(), callbacks.
 *
 * A loop holds a bounded table of watched file descriptors and a bounded
 * table of one-shot timers on CLOCK_MONOTONIC (milliseconds). One call of
 * hn_loop_run_once() waits until a watched fd is ready, the earliest timer
 * is due, or a signal arrives, then dispatches what is ready. Signals are
 * blocked outside ppoll() and let through only while it waits, so a signal
 * handler that sets a flag always wakes the loop promptly (no lost wakeup
 * between checking the flag and going to sleep).
 *
 * Callbacks may add and remove watches and timers; a watch removed during
 * a round is not dispatched for the rest of that round.
 */
#ifndef HN_LOOP_H
#define HN_LOOP_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define HN_LOOP_WATCHES_MAX 64
#define HN_LOOP_TIMERS_MAX  16
#define HN_LOOP_NEVER	    UINT64_MAX

typedef void hn_loop_fd_fn(void *arg, int fd, short revents);
typedef void hn_loop_timer_fn(void *arg, uint64_t now_ms);

struct hn_loop_watch {
	int fd; /* -1 = free slot */
	short events;
	hn_loop_fd_fn *fn;
	void *arg;
};

struct hn_loop_timer {
	uint64_t deadline_ms; /* HN_LOOP_NEVER = not armed */
	hn_loop_timer_fn *fn; /* NULL = free slot */
	void *arg;
};

struct hn_loop {
	struct hn_loop_watch watches[HN_LOOP_WATCHES_MAX];
	struct hn_loop_timer timers[HN_LOOP_TIMERS_MAX];
	sigset_t wait_mask; /* signal mask while waiting in ppoll */
};

uint64_t hn_loop_now_ms(void);
uint64_t hn_loop_wall_ms(void);

/* Blocks the signals in handled (they are delivered only inside ppoll). */
int hn_loop_init(struct hn_loop *loop, const sigset_t *handled, char *error, size_t error_size);

int hn_loop_watch_add(struct hn_loop *loop, int fd, short events, hn_loop_fd_fn *fn, void *arg,
		      char *error, size_t error_size);
void hn_loop_watch_events(struct hn_loop *loop, int fd, short events);
void hn_loop_watch_remove(struct hn_loop *loop, int fd);

/* Returns a timer id (>= 0), or -1 if the table is full. The timer starts
 * unarmed. */
int hn_loop_timer_add(struct hn_loop *loop, hn_loop_timer_fn *fn, void *arg);
void hn_loop_timer_arm(struct hn_loop *loop, int timer_id, uint64_t deadline_ms);

/* Wait and dispatch once. Returns 0, or -1 if ppoll failed (not EINTR). */
int hn_loop_run_once(struct hn_loop *loop, char *error, size_t error_size);

#endif
