/*
 * loop.c - hanode's single-threaded event loop (see loop.h).
 *
 * Each round builds the pollfd array from the watch table, computes the
 * timeout from the earliest armed timer, waits in ppoll() with the
 * daemon's signals unblocked, then dispatches ready fds and due timers.
 * A timer is disarmed before its callback runs, so a callback re-arms it
 * when it wants to run again; this keeps a forgotten timer from spinning.
 */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t hn_loop_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

uint64_t hn_loop_wall_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

int hn_loop_init(struct hn_loop *loop, const sigset_t *handled, char *error, size_t error_size)
{
	memset(loop, 0, sizeof(*loop));
	for (size_t i = 0; i < HN_LOOP_WATCHES_MAX; i++)
		loop->watches[i].fd = -1;
	for (size_t i = 0; i < HN_LOOP_TIMERS_MAX; i++)
		loop->timers[i].deadline_ms = HN_LOOP_NEVER;
	if (sigprocmask(SIG_BLOCK, handled, &loop->wait_mask) != 0) {
		snprintf(error, error_size, "hn_loop_init: sigprocmask: %s", strerror(errno));
		return -1;
	}
	for (int signal_number = 1; signal_number < NSIG; signal_number++)
		if (sigismember(handled, signal_number) == 1)
			sigdelset(&loop->wait_mask, signal_number);
	return 0;
}

int hn_loop_watch_add(struct hn_loop *loop, int fd, short events, hn_loop_fd_fn *fn, void *arg,
		      char *error, size_t error_size)
{
	for (size_t i = 0; i < HN_LOOP_WATCHES_MAX; i++) {
		if (loop->watches[i].fd != -1)
			continue;
		loop->watches[i] = (struct hn_loop_watch){fd, events, fn, arg};
		return 0;
	}
	snprintf(error, error_size, "hn_loop_watch_add: fd %d: table of %d watches full", fd,
		 HN_LOOP_WATCHES_MAX);
	return -1;
}

static struct hn_loop_watch *hn_loop_watch_find(struct hn_loop *loop, int fd)
{
	for (size_t i = 0; fd >= 0 && i < HN_LOOP_WATCHES_MAX; i++)
		if (loop->watches[i].fd == fd)
			return &loop->watches[i];
	return NULL;
}

void hn_loop_watch_events(struct hn_loop *loop, int fd, short events)
{
	struct hn_loop_watch *watch = hn_loop_watch_find(loop, fd);
	if (watch)
		watch->events = events;
}

void hn_loop_watch_remove(struct hn_loop *loop, int fd)
{
	struct hn_loop_watch *watch = hn_loop_watch_find(loop, fd);
	if (watch)
		watch->fd = -1;
}

int hn_loop_timer_add(struct hn_loop *loop, hn_loop_timer_fn *fn, void *arg)
{
	for (int i = 0; i < HN_LOOP_TIMERS_MAX; i++) {
		if (loop->timers[i].fn)
			continue;
		loop->timers[i] = (struct hn_loop_timer){HN_LOOP_NEVER, fn, arg};
		return i;
	}
	return -1;
}

void hn_loop_timer_arm(struct hn_loop *loop, int timer_id, uint64_t deadline_ms)
{
	if (timer_id >= 0 && timer_id < HN_LOOP_TIMERS_MAX)
		loop->timers[timer_id].deadline_ms = deadline_ms;
}

static uint64_t hn_loop_earliest_ms(const struct hn_loop *loop)
{
	uint64_t earliest = HN_LOOP_NEVER;
	for (size_t i = 0; i < HN_LOOP_TIMERS_MAX; i++)
		if (loop->timers[i].fn && loop->timers[i].deadline_ms < earliest)
			earliest = loop->timers[i].deadline_ms;
	return earliest;
}

static void hn_loop_dispatch_timers(struct hn_loop *loop)
{
	uint64_t now_ms = hn_loop_now_ms();
	for (size_t i = 0; i < HN_LOOP_TIMERS_MAX; i++) {
		struct hn_loop_timer *timer = &loop->timers[i];
		if (!timer->fn || timer->deadline_ms > now_ms)
			continue;
		timer->deadline_ms = HN_LOOP_NEVER;
		timer->fn(timer->arg, now_ms);
	}
}

int hn_loop_run_once(struct hn_loop *loop, char *error, size_t error_size)
{
	struct pollfd fds[HN_LOOP_WATCHES_MAX];
	nfds_t count = 0;
	for (size_t i = 0; i < HN_LOOP_WATCHES_MAX; i++)
		if (loop->watches[i].fd >= 0)
			fds[count++] =
			    (struct pollfd){loop->watches[i].fd, loop->watches[i].events, 0};
	uint64_t earliest = hn_loop_earliest_ms(loop), now_ms = hn_loop_now_ms();
	struct timespec timeout = {0, 0}, *timeout_pointer = NULL;
	if (earliest != HN_LOOP_NEVER) {
		uint64_t wait_ms = earliest > now_ms ? earliest - now_ms : 0;
		timeout.tv_sec = (time_t)(wait_ms / 1000);
		timeout.tv_nsec = (long)(wait_ms % 1000) * 1000000L;
		timeout_pointer = &timeout;
	}
	int ready = ppoll(fds, count, timeout_pointer, &loop->wait_mask);
	if (ready < 0 && errno != EINTR) {
		snprintf(error, error_size, "hn_loop_run_once: ppoll: %s", strerror(errno));
		return -1;
	}
	for (nfds_t i = 0; ready > 0 && i < count; i++) {
		if (!fds[i].revents)
			continue;
		struct hn_loop_watch *watch = hn_loop_watch_find(loop, fds[i].fd);
		if (watch)
			watch->fn(watch->arg, fds[i].fd, fds[i].revents);
	}
	hn_loop_dispatch_timers(loop);
	return 0;
}
