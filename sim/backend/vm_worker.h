/*
 * vm_worker.h - the libvirt backend's hands: one thread that makes the
 * libvirt calls a run needs while it goes (a guest's power, a disk's
 * hot-plug, a NIC's link), one after the other, so that the runner's loop
 * never waits for them (starting a TCG guest takes seconds, destroying one
 * ~1.5 s, a device update tens of ms). Jobs are done in the order they
 * were submitted (a power-off before the power-on that follows it);
 * finished jobs come back through a pipe the loop polls. The caller does no
 * libvirt call on the same connection while the worker runs.
 */
#ifndef HS_VM_WORKER_H
#define HS_VM_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "libvirt_domain.h"

#define HS_VM_WORKER_QUEUE_MAX 32
#define HS_VM_WORKER_STOP_MS   30000 /* hs_vm_worker_stop waits this long at most */

enum hs_vm_job_kind { HS_VM_JOB_POWER = 1, HS_VM_JOB_DISK, HS_VM_JOB_NIC };

struct hs_vm_job {
	enum hs_vm_job_kind kind;
	const struct hs_domain_spec *spec; /* stays valid until hs_vm_worker_stop */
	int device;			   /* DISK: disk index; NIC: NIC index */
	bool on;			   /* power on, disk present, link up */
	bool autodestroy;		   /* POWER on: the guest dies with the connection */
	uint64_t tag;			   /* the caller's */
	/* The outcome. */
	int result; /* 0, or -1 with error */
	char error[512];
};

struct hs_vm_worker;

/* Start the thread on connection. Returns 0, or -1 with a sentence. */
int hs_vm_worker_start(struct hs_vm_worker **worker, virConnectPtr connection, char *error,
		       size_t error_size);
/* Queue a job (copied). -1 when HS_VM_WORKER_QUEUE_MAX wait already. */
int hs_vm_worker_submit(struct hs_vm_worker *worker, const struct hs_vm_job *job);
/* Readable when finished jobs wait (poll it for POLLIN). */
int hs_vm_worker_fd(const struct hs_vm_worker *worker);
/* One finished job into done: 1, or 0 when none waits. */
int hs_vm_worker_take(struct hs_vm_worker *worker, struct hs_vm_job *done);
/* Jobs queued or under way. */
int hs_vm_worker_busy(const struct hs_vm_worker *worker);
/* Finish the queue (at most HS_VM_WORKER_STOP_MS), end the thread, free.
 * NULL-safe. A thread stuck in libvirt past the bound is left detached. */
void hs_vm_worker_stop(struct hs_vm_worker *worker);

#endif
