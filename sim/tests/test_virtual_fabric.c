/*
 * test_virtual_fabric.c - CUnit tests of the fabric's in-memory endpoints
 * (the virtual backend's NICs and uplink).
 *
 * Every endpoint here is in memory: a test injects a frame with
 * hs_fabric_endpoint_send at an explicit now_ms and the fabric hands the
 * frames for an endpoint to its deliver callback, which records the frame's
 * sequence number and the time it arrived. So the tests check exactly which
 * frames arrived where and when, to the millisecond, without sockets.
 */
#include "fabric.h"
#include "test_main.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_ENDPOINTS_MAX 4
#define TEST_RECEIVED_MAX  64
#define TEST_FRAME_BYTES   60

struct test_received {
	uint32_t seq;
	int64_t at_ms;
};

struct test_memory_port {
	int id;
	uint8_t mac[6];
	uint32_t count;
	struct test_received frames[TEST_RECEIVED_MAX];
	uint32_t carrier_changes;
	bool carrier;
	int64_t carrier_at_ms;
};

struct test_memory_net {
	struct hs_fabric *fabric;
	struct test_memory_port ports[TEST_ENDPOINTS_MAX];
	int port_count;
	bool reentered; /* a callback ran while another callback of ours ran */
	bool inside;
	char log_path[64];
};

static void test_deliver(void *context, int endpoint, const uint8_t *frame, size_t length,
			 int64_t now_ms)
{
	struct test_memory_net *net = context;

	if (net->inside)
		net->reentered = true;
	net->inside = true;
	for (int i = 0; i < net->port_count; i++) {
		struct test_memory_port *port = &net->ports[i];
		if (port->id != endpoint || length < 18)
			continue;
		if (port->count < TEST_RECEIVED_MAX) {
			memcpy(&port->frames[port->count].seq, frame + 14, sizeof(uint32_t));
			port->frames[port->count].at_ms = now_ms;
		}
		port->count++;
	}
	net->inside = false;
}

static void test_carrier(void *context, int endpoint, bool up, int64_t now_ms)
{
	struct test_memory_net *net = context;

	for (int i = 0; i < net->port_count; i++)
		if (net->ports[i].id == endpoint) {
			net->ports[i].carrier_changes++;
			net->ports[i].carrier = up;
			net->ports[i].carrier_at_ms = now_ms;
		}
}

static void test_memory_open(struct test_memory_net *net, uint64_t seed)
{
	struct hs_fabric_config config;
	int fd;

	memset(net, 0, sizeof(*net));
	snprintf(net->log_path, sizeof(net->log_path), "/tmp/hsf%d-vfaults.XXXXXX", (int)getpid());
	fd = mkstemp(net->log_path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	hs_fabric_config_default(&config);
	config.seed = seed;
	config.fault_log_path = net->log_path;
	net->fabric = hs_fabric_new(&config);
	CU_ASSERT_FATAL(net->fabric != NULL);
}

static void test_memory_close(struct test_memory_net *net)
{
	hs_fabric_free(net->fabric);
	unlink(net->log_path);
}

/* In-memory endpoint `name`; MAC 02:00:00:00:00:<index + 1>. */
static int test_memory_add(struct test_memory_net *net, const char *name)
{
	struct hs_fabric_memory_ops ops = {test_deliver, test_carrier, net};
	struct test_memory_port *port = &net->ports[net->port_count];

	CU_ASSERT_FATAL(net->port_count < TEST_ENDPOINTS_MAX);
	port->id = hs_fabric_endpoint_add_memory(net->fabric, name, &ops);
	CU_ASSERT_FATAL(port->id >= 0);
	memcpy(port->mac, (uint8_t[6]){2, 0, 0, 0, 0, (uint8_t)(net->port_count + 1)}, 6);
	return net->port_count++;
}

/* Port `from` sends frame `seq` to port `to` (-1 = broadcast) at now_ms. */
static void test_memory_send(struct test_memory_net *net, int from, int to, uint32_t seq,
			     int64_t now_ms)
{
	uint8_t frame[TEST_FRAME_BYTES];

	memset(frame, 0, sizeof(frame));
	if (to >= 0)
		memcpy(frame, net->ports[to].mac, 6);
	else
		memset(frame, 0xff, 6);
	memcpy(frame + 6, net->ports[from].mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, &seq, sizeof(seq));
	CU_ASSERT(hs_fabric_endpoint_send(net->fabric, net->ports[from].id, frame, sizeof(frame),
					  now_ms) == 0);
}

/* a, b, c on one switch. */
static void test_memory_star(struct test_memory_net *net, uint64_t seed)
{
	test_memory_open(net, seed);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net->fabric, "sw") == 0);
	test_memory_add(net, "a");
	test_memory_add(net, "b");
	test_memory_add(net, "c");
	CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, "a.c", "a", "sw") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, "b.c", "b", "sw") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, "c.c", "c", "sw") == 0);
}

/* ------------------------------------------------------------------ tests */

static void test_memory_switching(void)
{
	struct test_memory_net net;
	struct hs_counters counters;
	bool up = false;

	test_memory_star(&net, 1);
	CU_ASSERT(hs_fabric_endpoint_carrier_get(net.fabric, "a", &up) == 0);
	CU_ASSERT_TRUE(up);
	/* b unknown: flooded to b and c, delivered before send returns, at 10. */
	test_memory_send(&net, 0, 1, 1, 10);
	CU_ASSERT_EQUAL(net.ports[0].count, 0);
	CU_ASSERT_EQUAL(net.ports[1].count, 1);
	CU_ASSERT_EQUAL(net.ports[2].count, 1);
	CU_ASSERT_EQUAL(net.ports[1].frames[0].seq, 1);
	CU_ASSERT_EQUAL(net.ports[1].frames[0].at_ms, 10);
	/* a was learned: b's answer reaches a only. */
	test_memory_send(&net, 1, 0, 2, 11);
	CU_ASSERT_EQUAL(net.ports[0].count, 1);
	CU_ASSERT_EQUAL(net.ports[0].frames[0].at_ms, 11);
	CU_ASSERT_EQUAL(net.ports[2].count, 1);
	CU_ASSERT(hs_fabric_cable_counters_get(net.fabric, "a.c", HS_DIR_TO_SWITCH, &counters) ==
		  0);
	CU_ASSERT_EQUAL(counters.forwarded, 1);
	CU_ASSERT_FALSE(net.reentered);
	/* Only in-memory endpoints take injected frames. */
	CU_ASSERT(hs_fabric_endpoint_send(net.fabric, 17, (const uint8_t *)"x", 1, 12) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_fabric_error(net.fabric), "not an in-memory endpoint"));
	test_memory_close(&net);
}

static void test_memory_delay_exact(void)
{
	struct test_memory_net net;
	struct hs_impair impair = {0, 20, 0, 0};

	test_memory_star(&net, 1);
	CU_ASSERT(hs_fabric_cable_impair(net.fabric, "b.c", HS_DIR_FROM_SWITCH, &impair, 0,
					 "slow b") == 0);
	test_memory_send(&net, 0, 1, 7, 100);
	CU_ASSERT_EQUAL(net.ports[1].count, 0);
	CU_ASSERT_EQUAL(net.ports[2].count, 1); /* the flood to c is not delayed */
	CU_ASSERT_EQUAL(hs_fabric_deadline_ms(net.fabric), 120);
	CU_ASSERT_EQUAL(hs_fabric_timers_run(net.fabric, 119), 0);
	CU_ASSERT_EQUAL(net.ports[1].count, 0);
	CU_ASSERT_EQUAL(hs_fabric_timers_run(net.fabric, 120), 1);
	CU_ASSERT_EQUAL(net.ports[1].count, 1);
	CU_ASSERT_EQUAL(net.ports[1].frames[0].seq, 7);
	CU_ASSERT_EQUAL(net.ports[1].frames[0].at_ms, 120);
	CU_ASSERT_EQUAL(hs_fabric_deadline_ms(net.fabric), -1);
	test_memory_close(&net);
}

/* The same seed drops the same frames: 30% loss on 200 frames. */
static uint32_t test_memory_loss_run(uint64_t seed, uint32_t *first_lost)
{
	struct test_memory_net net;
	struct hs_impair impair = {30, 0, 0, 0};
	uint32_t delivered;

	test_memory_star(&net, seed);
	test_memory_send(&net, 1, -1, 0, 0); /* b learned */
	CU_ASSERT(hs_fabric_cable_impair(net.fabric, "a.c", HS_DIR_TO_SWITCH, &impair, 0, "loss") ==
		  0);
	for (uint32_t i = 1; i <= 200; i++)
		test_memory_send(&net, 0, 1, i, (int64_t)i);
	delivered = net.ports[1].count; /* frames[] keeps the first 64 */
	*first_lost = 0;
	for (uint32_t k = 0; k < TEST_RECEIVED_MAX && k < delivered && *first_lost == 0; k++)
		if (net.ports[1].frames[k].seq != k + 1)
			*first_lost = k + 1;
	test_memory_close(&net);
	return delivered;
}

static void test_memory_loss_seeded(void)
{
	uint32_t lost_a = 0, lost_b = 0, lost_c = 0;
	uint32_t a = test_memory_loss_run(42, &lost_a);
	uint32_t b = test_memory_loss_run(42, &lost_b);
	uint32_t c = test_memory_loss_run(43, &lost_c);

	CU_ASSERT_EQUAL(a, b);
	CU_ASSERT_EQUAL(lost_a, lost_b);
	CU_ASSERT(a > 100 && a < 180); /* about 70% of 200 */
	CU_ASSERT(a != c || lost_a != lost_c);
}

static void test_memory_carrier_callback(void)
{
	struct test_memory_net net;

	test_memory_open(&net, 1);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net.fabric, "A") == 0);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net.fabric, "B") == 0);
	CU_ASSERT_FATAL(hs_fabric_trunk_add(net.fabric, "trunk", "A", "B") == 0);
	test_memory_add(&net, "n");
	test_memory_add(&net, "p");
	CU_ASSERT_FATAL(hs_fabric_cable_add(net.fabric, "n.l1", "n", "A") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net.fabric, "n.l2", "n", "B") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net.fabric, "p.c", "p", "B") == 0);
	CU_ASSERT_EQUAL(net.ports[0].carrier_changes, 0); /* cabling is not a change */
	/* The active cable's switch loses power: the bond fails over, no carrier change. */
	CU_ASSERT(hs_fabric_switch_power_set(net.fabric, "A", false, 50, "A dies") == 0);
	CU_ASSERT_EQUAL(net.ports[0].carrier_changes, 0);
	test_memory_send(&net, 0, 1, 5, 51);
	CU_ASSERT_EQUAL(net.ports[1].count, 1);
	/* Then the other: carrier down at 60, reported once. */
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "n.l2", HS_DIR_BOTH, false, 60, "pull") ==
		  0);
	CU_ASSERT_EQUAL(net.ports[0].carrier_changes, 1);
	CU_ASSERT_FALSE(net.ports[0].carrier);
	CU_ASSERT_EQUAL(net.ports[0].carrier_at_ms, 60);
	test_memory_send(&net, 0, 1, 6, 61);
	CU_ASSERT_EQUAL(net.ports[1].count, 1);
	CU_ASSERT(hs_fabric_switch_power_set(net.fabric, "A", true, 70, "A back") == 0);
	CU_ASSERT_EQUAL(net.ports[0].carrier_changes, 2);
	CU_ASSERT_TRUE(net.ports[0].carrier);
	CU_ASSERT_EQUAL(net.ports[0].carrier_at_ms, 70);
	test_memory_close(&net);
}

static void test_memory_partition(void)
{
	struct test_memory_net net;
	const char *from[] = {"a"}, *to[] = {"b"};

	test_memory_star(&net, 1);
	CU_ASSERT(hs_fabric_partition_add(net.fabric, from, 1, to, 1, 5, "a -/-> b") == 0);
	test_memory_send(&net, 0, -1, 1, 6); /* broadcast: c only */
	CU_ASSERT_EQUAL(net.ports[1].count, 0);
	CU_ASSERT_EQUAL(net.ports[2].count, 1);
	test_memory_send(&net, 1, 0, 2, 7); /* the other way still works */
	CU_ASSERT_EQUAL(net.ports[0].count, 1);
	CU_ASSERT(hs_fabric_partition_heal(net.fabric, -1, 8, "heal") == 0);
	test_memory_send(&net, 0, 1, 3, 9);
	CU_ASSERT_EQUAL(net.ports[1].count, 1);
	CU_ASSERT_EQUAL(net.ports[1].frames[0].at_ms, 9);
	test_memory_close(&net);
}

static void test_memory_bad_arguments(void)
{
	struct test_memory_net net;
	struct hs_fabric_memory_ops none = {NULL, NULL, NULL};

	test_memory_open(&net, 1);
	CU_ASSERT(hs_fabric_endpoint_add_memory(net.fabric, "x", &none) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_fabric_error(net.fabric), "no deliver callback"));
	CU_ASSERT(hs_fabric_endpoint_add_memory(net.fabric, "x", NULL) < 0);
	test_memory_add(&net, "x");
	CU_ASSERT(hs_fabric_endpoint_add_memory(
		      net.fabric, "x", &(struct hs_fabric_memory_ops){test_deliver, NULL, &net}) <
		  0);
	test_memory_close(&net);
}

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"in-memory endpoints switch and deliver at once", test_memory_switching},
	    {"delayed frame delivered at its exact ms", test_memory_delay_exact},
	    {"loss is seeded", test_memory_loss_seeded},
	    {"carrier callback and bond failover", test_memory_carrier_callback},
	    {"one-way partition", test_memory_partition},
	    {"bad arguments", test_memory_bad_arguments},
	    {NULL, NULL},
	};
	return hn_test_run_suite("virtual fabric", tests, NULL, NULL);
}
