/*
 * vm_worker.c - the libvirt backend's worker thread (vm_worker.h).
 *
 * A queue of jobs under a mutex, one thread taking them in order, and a
 * pipe back to the caller's loop: each finished job is written to it whole
 * (one write, smaller than PIPE_BUF, so never torn). The thread only calls
 * libvirt; it touches nothing else of the run.
 */
#include "vm_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libvirt_conn.h"

_Static_assert(sizeof(struct hs_vm_job) < 4096, "a job crosses the pipe in one write");

struct hs_vm_worker {
	virConnectPtr connection;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct hs_vm_job queue[HS_VM_WORKER_QUEUE_MAX];
	int first, count;
	bool running_job;
	bool stopping;
	int done_fds[2]; /* [0] the caller reads, [1] the thread writes */
};

/* Power on with the flags the run wants (autodestroy: the guest ends when
 * hasim's connection does, even if hasim is killed). */
static int worker_power_on(virConnectPtr connection, const struct hs_vm_job *job, char *error,
			   size_t error_size)
{
	virDomainPtr domain = virDomainLookupByName(connection, job->spec->name);
	int result = -1;

	if (!domain) {
		snprintf(error, error_size, "power on: domain '%s': %s", job->spec->name,
			 hs_libvirt_error_text());
		return -1;
	}
	if (virDomainIsActive(domain) == 1 ||
	    virDomainCreateWithFlags(domain, job->autodestroy ? VIR_DOMAIN_START_AUTODESTROY : 0) ==
		0)
		result = 0;
	else
		snprintf(error, error_size, "power on: start '%s': %s", job->spec->name,
			 hs_libvirt_error_text());
	virDomainFree(domain);
	return result;
}

static void worker_do(struct hs_vm_worker *worker, struct hs_vm_job *job)
{
	switch (job->kind) {
	case HS_VM_JOB_POWER:
		job->result = job->on ? worker_power_on(worker->connection, job, job->error,
							sizeof(job->error))
				      : hs_domain_power_set(worker->connection, job->spec->name,
							    false, job->error, sizeof(job->error));
		break;
	case HS_VM_JOB_DISK:
		job->result = hs_domain_disk_set(worker->connection, job->spec, job->device,
						 job->on, job->error, sizeof(job->error));
		break;
	case HS_VM_JOB_NIC:
		job->result = hs_domain_nic_link_set(worker->connection, job->spec, job->device,
						     job->on, job->error, sizeof(job->error));
		break;
	}
}

static void *worker_main(void *argument)
{
	struct hs_vm_worker *worker = argument;
	struct hs_vm_job job;

	pthread_mutex_lock(&worker->lock);
	for (;;) {
		while (worker->count == 0 && !worker->stopping)
			pthread_cond_wait(&worker->wake, &worker->lock);
		if (worker->count == 0)
			break; /* stopping, and nothing left */
		job = worker->queue[worker->first];
		worker->first = (worker->first + 1) % HS_VM_WORKER_QUEUE_MAX;
		worker->count--;
		worker->running_job = true;
		pthread_mutex_unlock(&worker->lock);
		job.error[0] = '\0';
		worker_do(worker, &job);
		if (write(worker->done_fds[1], &job, sizeof(job)) != (ssize_t)sizeof(job))
			fprintf(stderr, "hasim: vm worker: lost the outcome of a job: %s\n",
				strerror(errno));
		pthread_mutex_lock(&worker->lock);
		worker->running_job = false;
		pthread_cond_broadcast(&worker->wake);
	}
	pthread_mutex_unlock(&worker->lock);
	return NULL;
}

int hs_vm_worker_start(struct hs_vm_worker **out, virConnectPtr connection, char *error,
		       size_t error_size)
{
	struct hs_vm_worker *worker = calloc(1, sizeof(*worker));
	int status;

	*out = NULL;
	if (!worker || pipe2(worker->done_fds, O_CLOEXEC) < 0) {
		snprintf(error, error_size, "hs_vm_worker_start: %s", strerror(errno));
		free(worker);
		return -1;
	}
	/* The loop reads without waiting; the thread may wait for room. */
	fcntl(worker->done_fds[0], F_SETFL, O_NONBLOCK);
	worker->connection = connection;
	pthread_mutex_init(&worker->lock, NULL);
	pthread_cond_init(&worker->wake, NULL);
	status = pthread_create(&worker->thread, NULL, worker_main, worker);
	if (status != 0) {
		snprintf(error, error_size, "hs_vm_worker_start: thread: %s", strerror(status));
		close(worker->done_fds[0]);
		close(worker->done_fds[1]);
		free(worker);
		return -1;
	}
	*out = worker;
	return 0;
}

int hs_vm_worker_submit(struct hs_vm_worker *worker, const struct hs_vm_job *job)
{
	int result = -1;

	pthread_mutex_lock(&worker->lock);
	if (worker->count < HS_VM_WORKER_QUEUE_MAX && !worker->stopping) {
		worker->queue[(worker->first + worker->count) % HS_VM_WORKER_QUEUE_MAX] = *job;
		worker->count++;
		pthread_cond_broadcast(&worker->wake);
		result = 0;
	}
	pthread_mutex_unlock(&worker->lock);
	return result;
}

int hs_vm_worker_fd(const struct hs_vm_worker *worker)
{
	return worker ? worker->done_fds[0] : -1;
}

int hs_vm_worker_take(struct hs_vm_worker *worker, struct hs_vm_job *done)
{
	return worker && read(worker->done_fds[0], done, sizeof(*done)) == (ssize_t)sizeof(*done);
}

int hs_vm_worker_busy(const struct hs_vm_worker *worker)
{
	struct hs_vm_worker *mutable = (struct hs_vm_worker *)worker;
	int busy;

	if (!worker)
		return 0;
	pthread_mutex_lock(&mutable->lock);
	busy = worker->count + (worker->running_job ? 1 : 0);
	pthread_mutex_unlock(&mutable->lock);
	return busy;
}

void hs_vm_worker_stop(struct hs_vm_worker *worker)
{
	struct hs_vm_job ignored;

	if (!worker)
		return;
	pthread_mutex_lock(&worker->lock);
	worker->stopping = true;
	pthread_cond_broadcast(&worker->wake);
	pthread_mutex_unlock(&worker->lock);
	/* Outcomes nobody takes any more must not fill the pipe. */
	for (int waited_ms = 0;; waited_ms += 10) {
		struct timespec pause = {0, 10 * 1000000};
		while (hs_vm_worker_take(worker, &ignored) == 1)
			;
		if (pthread_tryjoin_np(worker->thread, NULL) == 0)
			break;
		if (waited_ms >= HS_VM_WORKER_STOP_MS) {
			fprintf(stderr,
				"hasim: vm worker: a libvirt call did not return within "
				"%d ms; leaving it\n",
				HS_VM_WORKER_STOP_MS);
			pthread_detach(worker->thread);
			return; /* the thread still uses worker: it is not freed */
		}
		nanosleep(&pause, NULL);
	}
	close(worker->done_fds[0]);
	close(worker->done_fds[1]);
	pthread_mutex_destroy(&worker->lock);
	pthread_cond_destroy(&worker->wake);
	free(worker);
}
