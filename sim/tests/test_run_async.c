/*
 * test_run_async.c - CUnit tests of the runner's real-time loop
 * (sim/run/run.c, ops.c): nothing a backend waits for stops the fabric.
 *
 * A scripted real-time backend cables every port of the two nodes into the
 * run's fabric as UDP tunnels held by the test (as the libvirt backend's
 * QEMU ends are), sends a broadcast frame from node1.LAN1 every round and
 * counts the frames node2.LAN1 receives, with the time each arrived. Its
 * control requests are never answered (a node whose daemon hangs): the
 * runner must keep turning the fabric while the request is under way, and
 * end it as failed at its bound (HS_RUN_OP_TIMEOUT_MS times the backend's
 * time scale). The bound of the test does not depend on the machine's
 * load: frames must arrive while the request is pending, which a loop that
 * waits for the request can never do, and the loop's longest stall must
 * be shorter than the request's wait. No root. Run from the repository's
 * root (make test-unit does).
 */
#include "fabric/fabric.h"
#include "run/run.h"
#include "test_main.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ASYNC_TIME_SCALE  0.05 /* the op's bound: 30000 ms * 0.05 = 1500 ms */
#define ASYNC_PORTS_MAX	  8
#define ASYNC_ARRIVED_MAX 4096

struct async_port {
	char name[HS_NAME_MAX * 2 + 2];
	int fd;		      /* the test's end of the tunnel */
	uint16_t fabric_port; /* the fabric's end */
};

static struct {
	struct async_port ports[ASYNC_PORTS_MAX];
	int port_count;
	int sender, receiver; /* node1.LAN1, node2.LAN1 */
	uint32_t controls;
	int64_t sent_ms;
	int64_t arrived_ms[ASYNC_ARRIVED_MAX];
	uint32_t arrived;
} async;

static int async_tunnel(struct hs_run *run, const char *name, const char *switch_name)
{
	struct async_port *port = &async.ports[async.port_count];
	struct sockaddr_in address = {.sin_family = AF_INET};
	socklen_t length = sizeof(address);

	snprintf(port->name, sizeof(port->name), "%s", name);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	port->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(port->fd >= 0);
	CU_ASSERT_FATAL(bind(port->fd, (struct sockaddr *)&address, sizeof(address)) == 0);
	CU_ASSERT_FATAL(getsockname(port->fd, (struct sockaddr *)&address, &length) == 0);
	CU_ASSERT_FATAL(hs_fabric_endpoint_add_udp(run->fabric, name, 0, ntohs(address.sin_port),
						   &port->fabric_port) == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(run->fabric, name, name, switch_name) == 0);
	return async.port_count++;
}

static int async_up(struct hs_run *run, char *error, size_t error_size)
{
	char name[HS_NAME_MAX * 2 + 2];

	(void)error;
	(void)error_size;
	for (uint32_t i = 0; i < run->scenario.topology.node_count; i++)
		for (int p = 0; p < HS_PORTS_MAX; p++) {
			const struct hs_port *port = &run->nodes[i].model->ports[p];
			int index;
			if (!port->used || async.port_count >= ASYNC_PORTS_MAX)
				continue;
			snprintf(name, sizeof(name), "%s.%s", run->nodes[i].model->name,
				 port->name);
			index = async_tunnel(run, name, port->switch_name);
			if (strcmp(name, "node1.LAN1") == 0)
				async.sender = index;
			if (strcmp(name, "node2.LAN1") == 0)
				async.receiver = index;
		}
	return 0;
}

static void async_down(struct hs_run *run)
{
	(void)run;
	for (int i = 0; i < async.port_count; i++)
		close(async.ports[i].fd);
	async.port_count = 0;
}

/* A daemon that never answers: the request stays under way. */
static int async_control(struct hs_run *run, uint32_t node, const char *request, uint64_t op,
			 char *error, size_t error_size)
{
	(void)run;
	(void)node;
	(void)request;
	(void)op;
	(void)error;
	(void)error_size;
	async.controls++;
	return HS_BACKEND_PENDING;
}

static int async_pollfds(struct hs_run *run, struct pollfd *fds, int cap, int *timeout_ms)
{
	(void)run;
	(void)timeout_ms;
	if (cap < 1 || async.port_count == 0)
		return 0;
	fds[0] = (struct pollfd){.fd = async.ports[async.receiver].fd, .events = POLLIN};
	return 1;
}

/* A broadcast frame into node1.LAN1 every 5 ms (a round at most), and what
 * reached node2.LAN1. */
static void async_handle(struct hs_run *run, const struct pollfd *fds, int count, int64_t now_ms)
{
	uint8_t frame[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
			     0,	   0,	 0,    0,    0x01, 0x88, 0xb5};
	struct sockaddr_in to = {.sin_family = AF_INET};
	const struct async_port *sender = &async.ports[async.sender];

	(void)run;
	(void)fds;
	(void)count;
	if (async.port_count == 0)
		return;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(sender->fabric_port);
	if (now_ms - async.sent_ms >= 5) {
		async.sent_ms = now_ms;
		sendto(sender->fd, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to));
	}
	while (recv(async.ports[async.receiver].fd, frame, sizeof(frame), MSG_DONTWAIT) > 0)
		if (async.arrived < ASYNC_ARRIVED_MAX)
			async.arrived_ms[async.arrived++] = now_ms;
}

static int async_endpoints(struct hs_run *run, uint32_t node, int network, char names[][32],
			   int max)
{
	(void)run;
	(void)node;
	(void)network;
	(void)names;
	(void)max;
	return 0;
}

static const struct hs_backend_ops async_backend = {
    .name = "scripted",
    .time_scale = ASYNC_TIME_SCALE,
    .up = async_up,
    .down = async_down,
    .control = async_control,
    .pollfds = async_pollfds,
    .handle = async_handle,
    .endpoints = async_endpoints,
};

static const char *async_scenario =
    "name: async\n"
    "topology: rack1-pair\n"
    "timeout_ms: 60000\n"
    "settle_ms: 1000\n"
    "steps:\n"
    "  - {name: ask, after: up, delay_ms: 300, action: maintenance_on,"
    " node: node1}\n"
    "expect:\n"
    "  - {invariant: single_active}\n";

/* The line of the step called step in steps.jsonl. */
static json_t *async_step_line_named(const char *dir, const char *step)
{
	char path[160], line[1024];
	json_t *found = NULL;
	FILE *file;

	snprintf(path, sizeof(path), "%s/run/steps.jsonl", dir);
	file = fopen(path, "r");
	while (file && !found && fgets(line, sizeof(line), file)) {
		json_t *record = json_loads(line, 0, NULL);
		const char *name = json_string_value(json_object_get(record, "name"));
		if (name && strcmp(name, step) == 0)
			found = record;
		else
			json_decref(record);
	}
	if (file)
		fclose(file);
	return found;
}

static json_t *async_step_line(const char *dir)
{
	return async_step_line_named(dir, "ask");
}

static void test_pending_control_does_not_stop_the_fabric(void)
{
	struct hs_run *run = calloc(1, sizeof(*run));
	char dir[64], path[128], error[HS_ERROR_MAX], command[128];
	int64_t fired_ms, bound_ms = (int64_t)(HS_RUN_OP_TIMEOUT_MS * ASYNC_TIME_SCALE);
	uint32_t during = 0;
	json_t *line;
	FILE *file;

	CU_ASSERT_FATAL(run != NULL);
	memset(&async, 0, sizeof(async));
	snprintf(dir, sizeof(dir), "/tmp/hst%d-async.XXXXXX", (int)getpid());
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
	file = fopen(path, "w");
	CU_ASSERT_FATAL(file != NULL);
	fputs(async_scenario, file);
	fclose(file);
	if (hs_scenario_load(path, "topologies", &run->scenario, error, sizeof(error)) < 0)
		fprintf(stderr, "%s (run the test from the repository's root)\n", error);
	CU_ASSERT_FATAL(run->scenario.step_count == 1);
	run->backend = &async_backend;
	run->seed = 1;
	snprintf(run->run_id, sizeof(run->run_id), "hs00asyn");
	snprintf(run->run_dir, sizeof(run->run_dir), "%s/run", dir);
	snprintf(run->state_dir, sizeof(run->state_dir), "%s/state", dir);
	CU_ASSERT_EQUAL(hs_run_execute(run, error, sizeof(error)), 0);
	/* The step's request, then each node's status for final.json. */
	CU_ASSERT_EQUAL(async.controls, 1 + 2);
	/* The request ended at its bound, as a failure naming it. */
	line = async_step_line(dir);
	CU_ASSERT_FATAL(line != NULL);
	CU_ASSERT(json_is_false(json_object_get(line, "ok")));
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(line, "error")),
				      "reported no outcome within 1500 ms"));
	fired_ms = json_integer_value(json_object_get(line, "mono_ms"));
	json_decref(line);
	/* The fabric forwarded all along, also while the request waited. */
	for (uint32_t i = 0; i < async.arrived; i++)
		during +=
		    async.arrived_ms[i] > fired_ms && async.arrived_ms[i] < fired_ms + bound_ms;
	CU_ASSERT(during >= 10);
	CU_ASSERT(run->loop_gap_max_us > 0 && run->loop_gap_max_us < bound_ms * 1000);
	CU_ASSERT(run->ended_ms >= fired_ms + bound_ms);
	snprintf(command, sizeof(command), "rm -rf -- '%s'", dir);
	CU_ASSERT(system(command) == 0);
	free(run);
}

/* A daemon that is not there: every request fails at once. */
static int async_control_refused(struct hs_run *run, uint32_t node, const char *request,
				 uint64_t op, char *error, size_t error_size)
{
	(void)run;
	(void)node;
	(void)request;
	(void)op;
	snprintf(error, error_size, "no daemon");
	return -1;
}

/* A backend slower than real time (the libvirt one: time scale 3) has its
 * run's bound stretched as every upper bound: a step 1.5 s after up in a
 * scenario of timeout_ms 1000 runs at time scale 2, and the run ends at
 * 2000 ms naming both figures. */
static void test_timeout_stretches_by_the_time_scale(void)
{
	static const char *scenario = "name: slow\n"
				      "topology: rack1-pair\n"
				      "timeout_ms: 1000\n"
				      "steps:\n"
				      "  - {name: late, after: up, delay_ms: 1500, action: heal}\n"
				      "expect:\n"
				      "  - {invariant: single_active}\n";
	struct hs_backend_ops slow = async_backend;
	struct hs_run *run = calloc(1, sizeof(*run));
	char dir[64], path[128], error[HS_ERROR_MAX], command[128];
	bool timed_out = false;
	json_t *line;
	FILE *file;

	CU_ASSERT_FATAL(run != NULL);
	memset(&async, 0, sizeof(async));
	slow.time_scale = 2.0;
	slow.control = async_control_refused; /* final.json's status requests end at once */
	snprintf(dir, sizeof(dir), "/tmp/hst%d-slow.XXXXXX", (int)getpid());
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
	file = fopen(path, "w");
	CU_ASSERT_FATAL(file != NULL);
	fputs(scenario, file);
	fclose(file);
	CU_ASSERT_FATAL(
	    hs_scenario_load(path, "topologies", &run->scenario, error, sizeof(error)) == 0);
	run->backend = &slow;
	run->seed = 1;
	snprintf(run->run_id, sizeof(run->run_id), "hs00slow");
	snprintf(run->run_dir, sizeof(run->run_dir), "%s/run", dir);
	snprintf(run->state_dir, sizeof(run->state_dir), "%s/state", dir);
	hs_run_execute(run, error, sizeof(error));
	for (uint32_t i = 0; i < run->runner_error_count; i++)
		timed_out = timed_out ||
			    strcmp(run->runner_errors[i], "scenario timed out after 2000 ms "
							  "(timeout_ms 1000, time scale 2)") == 0;
	CU_ASSERT(timed_out);
	line = async_step_line_named(dir, "late");
	CU_ASSERT_PTR_NOT_NULL(line);
	json_decref(line);
	snprintf(command, sizeof(command), "rm -rf -- '%s'", dir);
	CU_ASSERT(system(command) == 0);
	free(run);
}

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"a control request nobody answers does not stop the fabric",
	     test_pending_control_does_not_stop_the_fabric},
	    {"the run's bound stretches by the backend's time scale",
	     test_timeout_stretches_by_the_time_scale},
	    {NULL, NULL},
	};
	return hn_test_run_suite("runner loop", tests, NULL, NULL);
}
