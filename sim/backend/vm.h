/*
 * vm.h - the inside of the libvirt backend, shared by vm.c (bring-up,
 * teardown, the operations, the loop) and vm_agent.c (the channel to each
 * guest's agent: the cluster log it streams, its clock, the requests and
 * their answers, the fence requests it relays).
 *
 * Nothing waits: libvirt calls go to the worker thread (vm_worker.h),
 * agent requests are queued per guest and answered through the poll loop;
 * both end in a report to the runner (backend.h).
 */
#ifndef HS_VM_H
#define HS_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../run/run.h"
#include "backend.h"
#include "guest_clock.h"
#include "libvirt_conn.h"
#include "libvirt_domain.h"
#include "tunnel_port.h"
#include "vm_worker.h"

#define VM_LINE_MAX	      8192
#define VM_REPLY_TIMEOUT_MS   8000 /* an agent's answer */
#define VM_CONNECT_RETRY_MS   200
#define VM_CLOCK_SYNC_MS      250 /* a clock sample from each guest's agent */
#define VM_AGENT_REQUESTS_MAX 8	  /* queued per guest */
#define VM_AGENT_REQUEST_MAX  1100

/* What an agent's answer is for. */
enum vm_agent_purpose {
	VM_AGENT_REPORT = 1, /* the outcome of a runner's operation (op) */
	VM_AGENT_RAID,	     /* a step of the guest's RAID change */
	VM_AGENT_QUIET,	     /* nobody waits (a fence answer to the guest) */
};

struct vm_agent_request {
	enum vm_agent_purpose purpose;
	uint64_t op;
	char line[VM_AGENT_REQUEST_MAX];
	int64_t deadline_ms;
};

struct vm_node {
	uint32_t index;
	struct hs_domain_spec spec;
	bool defined;
	int agent_fd;
	int64_t next_connect_ms;
	char line[VM_LINE_MAX];
	size_t line_length;
	FILE *log;
	bool link_up[HS_DOMAIN_NICS];
	char fence_peer[HS_NAME_MAX]; /* a FENCE request from the guest, not yet served */
	struct hs_guest_clock clock;  /* of the guest's current boot */
	int64_t next_sync_ms;
	struct hs_tunnel_port tunnel_ports[HS_DOMAIN_NICS]; /* held until QEMU binds them */
	/* Requests to the agent, in order; the first is on the wire once sent. */
	struct vm_agent_request requests[VM_AGENT_REQUESTS_MAX];
	int request_first, request_count;
	bool request_sent;
	char out[HS_REPORT_TEXT_MAX]; /* its OUT lines so far */
	size_t out_length;
	/* A RAID change under way: its op, the jobs and agent steps left. */
	uint64_t raid_op;
	bool raid_ok;
	int raid_stage; /* 0 none, 1 disks (worker), 2 DISK RESTORE (agent) */
	int raid_left;
	char raid_error[512];
};

struct vm_state {
	struct hs_libvirt_conn conn;
	bool accel_kvm;
	struct hs_vm_worker *worker;
	struct vm_node nodes[HS_NODES_MAX];
};

/* vm_agent.c */
void vm_agent_close(struct hs_run *run, struct vm_node *vm, const char *why);
/* Fail every queued request (the guest lost power). */
void vm_agent_fail_all(struct hs_run *run, struct vm_node *vm, const char *why);
/* Queue a request; -1 with a sentence when the queue is full. */
int vm_agent_submit(struct hs_run *run, struct vm_node *vm, enum vm_agent_purpose purpose,
		    uint64_t op, const char *line, char *error, size_t error_size);
/* The guest's fds (connecting as needed), then what they brought. */
int vm_agent_pollfds(struct hs_run *run, struct vm_node *vm, struct pollfd *fds, int cap,
		     int64_t now_ms, int *timeout_ms);
void vm_agent_handle(struct hs_run *run, struct vm_node *vm, const struct pollfd *fds, int count,
		     int64_t now_ms);

/* vm.c: an agent step of a RAID change ended. */
void vm_raid_step_done(struct hs_run *run, struct vm_node *vm, bool ok, const char *text);

/* vm_adapter.c: another node implementation than hanode on the guest: its
 * image layer and node.sh/service.sh (fw_cfg) in spec (0: nothing to do
 * for hanode), and an admin request as the agent's "SH command" line. */
int vm_adapter_spec(struct hs_run *run, struct hs_node_runtime *node, struct hs_domain_spec *spec,
		    const char *build, char *error, size_t error_size);
int vm_adapter_request(struct hs_run *run, const char *request, char *line, size_t size,
		       struct hs_node_runtime *node, char *error, size_t error_size);

#endif
