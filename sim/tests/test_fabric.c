/*
 * test_fabric.c - CUnit tests of hasim's network fabric (sim/fabric).
 *
 * No root needed: every node NIC is a UDP endpoint on loopback, and the
 * test holds the other end of each tunnel (a "port": a UDP socket playing
 * the VM). Frames are 60-byte Ethernet frames with a made-up EtherType
 * and a sequence number, so a test can tell exactly which frames arrived.
 * The clock is driven by hand: every call gets now_ms explicitly, so
 * delays are checked to the millisecond without sleeping.
 */
#include "fabric.h"
#include "test_main.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_PORTS_MAX	 6
#define TEST_FRAME_BYTES 60

struct test_port {
	int fd;
	uint16_t port;	      /* where the test receives */
	uint16_t fabric_port; /* where the fabric receives */
	uint8_t mac[6];
};

struct test_net {
	struct hs_fabric *fabric;
	struct test_port ports[TEST_PORTS_MAX];
	int port_count;
	char log_path[64];
};

/* ---------------------------------------------------------------- helpers */

static void test_net_open(struct test_net *net, uint64_t seed, size_t queue_max, int64_t aging_ms,
			  size_t mac_max)
{
	struct hs_fabric_config config;
	int fd;

	memset(net, 0, sizeof(*net));
	snprintf(net->log_path, sizeof(net->log_path), "/tmp/hsf%d-faults.XXXXXX", (int)getpid());
	fd = mkstemp(net->log_path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	hs_fabric_config_default(&config);
	config.seed = seed;
	config.fault_log_path = net->log_path;
	if (queue_max > 0)
		config.delay_queue_max = queue_max;
	if (aging_ms > 0)
		config.mac_aging_ms = aging_ms;
	if (mac_max > 0)
		config.mac_table_max = mac_max;
	net->fabric = hs_fabric_new(&config);
	CU_ASSERT_FATAL(net->fabric != NULL);
}

static void test_net_close(struct test_net *net)
{
	for (int i = 0; i < net->port_count; i++)
		close(net->ports[i].fd);
	hs_fabric_free(net->fabric);
	unlink(net->log_path);
}

/* Adds UDP endpoint `name` and the test's end of its tunnel; returns the
 * port index. Its MAC is 02:00:00:00:00:<index + 1>. */
static int test_port_add(struct test_net *net, const char *name)
{
	struct test_port *p = &net->ports[net->port_count];
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t length = sizeof(addr);

	CU_ASSERT_FATAL(net->port_count < TEST_PORTS_MAX);
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CU_ASSERT_FATAL(p->fd >= 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(p->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CU_ASSERT_FATAL(getsockname(p->fd, (struct sockaddr *)&addr, &length) == 0);
	p->port = ntohs(addr.sin_port);
	CU_ASSERT_FATAL(
	    hs_fabric_endpoint_add_udp(net->fabric, name, 0, p->port, &p->fabric_port) == 0);
	memcpy(p->mac, (uint8_t[6]){2, 0, 0, 0, 0, (uint8_t)(net->port_count + 1)}, 6);
	return net->port_count++;
}

/* Runs the fabric's loop at now_ms until nothing is ready. */
static void test_pump(struct test_net *net, int64_t now_ms)
{
	struct pollfd fds[64];

	for (int round = 0; round < 16; round++) {
		int timeout_ms = 0;
		int n = hs_fabric_pollfds_fill(net->fabric, fds, 64, now_ms, &timeout_ms);

		CU_ASSERT_FATAL(n >= 0);
		if (poll(fds, (nfds_t)n, 0) <= 0)
			break;
		CU_ASSERT(hs_fabric_pollfds_handle(net->fabric, fds, (size_t)n, now_ms) == 0);
	}
}

/* Sends a frame of `bytes` bytes from port `from` to MAC dst (NULL = broadcast). */
static void test_send_sized(struct test_net *net, int from, const uint8_t *dst, uint32_t seq,
			    size_t bytes)
{
	static uint8_t frame[2048];
	const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct sockaddr_in addr = {.sin_family = AF_INET};

	memset(frame, 0, sizeof(frame));
	memcpy(frame, dst ? dst : broadcast, 6);
	memcpy(frame + 6, net->ports[from].mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, &seq, sizeof(seq));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons(net->ports[from].fabric_port);
	CU_ASSERT_FATAL(sendto(net->ports[from].fd, frame, bytes, 0, (struct sockaddr *)&addr,
			       sizeof(addr)) == (ssize_t)bytes);
}

static void test_send(struct test_net *net, int from, int to, uint32_t seq, int64_t now_ms)
{
	test_send_sized(net, from, to >= 0 ? net->ports[to].mac : NULL, seq, TEST_FRAME_BYTES);
	test_pump(net, now_ms);
}

/* Receives everything waiting on port `at`; returns the count and stores
 * the sequence numbers (up to cap). */
static int test_recv(struct test_net *net, int at, uint32_t *seqs, int cap)
{
	uint8_t frame[2048];
	int count = 0;

	for (;;) {
		ssize_t got = recv(net->ports[at].fd, frame, sizeof(frame), 0);

		if (got < 0)
			return count;
		if (seqs != NULL && count < cap && got >= 18)
			memcpy(&seqs[count], frame + 14, sizeof(uint32_t));
		count++;
	}
}

static struct hs_counters test_counters(struct test_net *net, const char *cable, enum hs_dir dir)
{
	struct hs_counters counters;

	memset(&counters, 0xff, sizeof(counters));
	CU_ASSERT(hs_fabric_cable_counters_get(net->fabric, cable, dir, &counters) == 0);
	return counters;
}

/* Adds three nodes a, b, c (ports 0, 1, 2) on switch sw with cables a.c,
 * b.c, c.c to an open fabric. */
static void test_star_add(struct test_net *net)
{
	const char *names[3] = {"a", "b", "c"};
	const char *cables[3] = {"a.c", "b.c", "c.c"};

	CU_ASSERT_FATAL(hs_fabric_switch_add(net->fabric, "sw") == 0);
	for (int i = 0; i < 3; i++) {
		test_port_add(net, names[i]);
		CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, cables[i], names[i], "sw") == 0);
	}
}

/* The star of test_star_add on a fabric with the default settings. */
static void test_net_star(struct test_net *net, uint64_t seed)
{
	test_net_open(net, seed, 0, 0, 0);
	test_star_add(net);
}

/* The fault log written so far, cut to size - 1 bytes. */
static void test_fault_log_read(const struct test_net *net, char *text, size_t size)
{
	FILE *log = fopen(net->log_path, "r");
	size_t got;

	CU_ASSERT_FATAL(log != NULL);
	got = fread(text, 1, size - 1, log);
	text[got] = '\0';
	fclose(log);
}

/* ------------------------------------------------------------ switching */

static void test_learning_and_flooding(void)
{
	struct test_net net;

	test_net_star(&net, 1);
	/* b is unknown: flooded to b and c, never back to a. */
	test_send(&net, 0, 1, 1, 10);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 1);
	/* a was learned: b's answer goes to a only. */
	test_send(&net, 1, 0, 2, 11);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 0);
	/* b was learned too. */
	test_send(&net, 0, 1, 3, 12);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 0);
	/* Broadcast always floods. */
	test_send(&net, 2, -1, 4, 13);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 0);
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "sw", 13), 3);
	CU_ASSERT_EQUAL(test_counters(&net, "a.c", HS_DIR_TO_SWITCH).forwarded, 2);
	CU_ASSERT_EQUAL(test_counters(&net, "b.c", HS_DIR_FROM_SWITCH).forwarded, 3);
	test_net_close(&net);
}

static void test_mac_aging(void)
{
	struct test_net net;

	test_net_open(&net, 1, 0, 1000, 0);
	test_star_add(&net);
	test_send(&net, 0, -1, 1, 0);  /* a learned at 0 */
	test_send(&net, 1, 0, 2, 999); /* b learned at 999; a still known */
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 1); /* a's broadcast only */
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "sw", 999), 2);
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "sw", 1000), 1);
	/* At 1000 a's entry has aged out: a frame to a floods again. */
	test_send(&net, 2, 0, 3, 1000);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "sw", 1999), 1);
	test_net_close(&net);
}

static void test_mac_table_bounded(void)
{
	struct test_net net;

	test_net_open(&net, 1, 0, 0, 2);
	test_star_add(&net);
	test_send(&net, 0, -1, 1, 1);
	test_send(&net, 1, -1, 2, 2);
	test_send(&net, 2, -1, 3, 3); /* table full: c takes a's place (seen longest ago) */
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "sw", 3), 2);
	test_recv(&net, 0, NULL, 0);
	test_recv(&net, 1, NULL, 0);
	test_recv(&net, 2, NULL, 0);
	test_send(&net, 1, 2, 4, 4); /* c is known: b -> c goes to c only */
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 1);
	test_send(&net, 2, 0, 5, 5); /* a was evicted: c -> a floods */
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	test_net_close(&net);
}

static void test_hop_limit_stops_loops(void)
{
	struct test_net net;

	test_net_open(&net, 1, 0, 0, 0);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net.fabric, "s1") == 0);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net.fabric, "s2") == 0);
	CU_ASSERT_FATAL(hs_fabric_trunk_add(net.fabric, "t1", "s1", "s2") == 0);
	CU_ASSERT_FATAL(hs_fabric_trunk_add(net.fabric, "t2", "s1", "s2") == 0);
	test_port_add(&net, "a");
	CU_ASSERT_FATAL(hs_fabric_cable_add(net.fabric, "a.c", "a", "s1") == 0);
	/* A broadcast in a loop of two trunks circles until the hop limit: two
	 * copies (one per trunk) come back to s1 after 2, 4 and 6 switches and
	 * are dropped on arriving after 8, so a sees 2 * 3 frames. */
	test_send(&net, 0, -1, 1, 0);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 6);
	test_net_close(&net);
}

/* ------------------------------------------------------------- faults */

static void test_link_down_drops_both_ways(void)
{
	struct test_net net;
	struct hs_carrier_event event;
	bool up = true;

	test_net_star(&net, 1);
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "a.c", HS_DIR_BOTH, false, 20, "pull") == 0);
	test_send(&net, 0, -1, 1, 21);
	test_send(&net, 1, 0, 2, 22);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 1); /* b's flood still reaches c */
	CU_ASSERT_EQUAL(test_counters(&net, "a.c", HS_DIR_TO_SWITCH).dropped_link, 1);
	CU_ASSERT_EQUAL(test_counters(&net, "a.c", HS_DIR_FROM_SWITCH).dropped_link, 1);
	CU_ASSERT(hs_fabric_endpoint_carrier_get(net.fabric, "a", &up) == 0);
	CU_ASSERT_FALSE(up);
	CU_ASSERT_EQUAL(hs_fabric_carrier_event_pop(net.fabric, &event), 1);
	CU_ASSERT_STRING_EQUAL(event.endpoint, "a");
	CU_ASSERT_FALSE(event.up);
	CU_ASSERT_EQUAL(event.mono_ms, 20);
	CU_ASSERT_EQUAL(hs_fabric_carrier_event_pop(net.fabric, &event), 0);

	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "a.c", HS_DIR_BOTH, true, 30, "plug") == 0);
	test_send(&net, 0, 1, 3, 31);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(hs_fabric_carrier_event_pop(net.fabric, &event), 1);
	CU_ASSERT_TRUE(event.up);
	CU_ASSERT_EQUAL(event.mono_ms, 30);
	test_net_close(&net);
}

static void test_link_down_one_direction(void)
{
	struct test_net net;
	bool up = false;

	test_net_star(&net, 1);
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "a.c", HS_DIR_TO_SWITCH, false, 5, "tx") ==
		  0);
	test_send(&net, 0, -1, 1, 6);
	test_send(&net, 1, -1, 2, 7);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	/* The node still receives, so its NIC still sees a carrier. */
	CU_ASSERT(hs_fabric_endpoint_carrier_get(net.fabric, "a", &up) == 0);
	CU_ASSERT_TRUE(up);
	test_net_close(&net);
}

/* Sends `count` frames a -> b with loss on a's cable; marks which arrived. */
static int test_loss_pattern(uint64_t seed, double loss_pct, int count, uint8_t *arrived)
{
	struct test_net net;
	struct hs_impair impair = {.loss_pct = loss_pct};
	uint32_t seqs[1];
	int received = 0;

	test_net_star(&net, seed);
	CU_ASSERT(hs_fabric_cable_impair(net.fabric, "a.c", HS_DIR_TO_SWITCH, &impair, 0, "loss") ==
		  0);
	memset(arrived, 0, (size_t)count);
	for (int i = 0; i < count; i++) {
		test_send(&net, 0, 1, (uint32_t)i, i);
		if (test_recv(&net, 1, seqs, 1) == 1) {
			CU_ASSERT_EQUAL(seqs[0], (uint32_t)i);
			arrived[i] = 1;
			received++;
		}
	}
	CU_ASSERT_EQUAL(test_counters(&net, "a.c", HS_DIR_TO_SWITCH).dropped_loss,
			(uint64_t)(count - received));
	test_net_close(&net);
	return received;
}

static void test_loss(void)
{
	uint8_t first[1000], second[1000], other[1000];

	CU_ASSERT_EQUAL(test_loss_pattern(7, 100, 50, first), 0);
	CU_ASSERT_EQUAL(test_loss_pattern(7, 0, 50, first), 50);
	int kept = test_loss_pattern(42, 30, 1000, first);
	/* About 70 % arrive (binomial: 3 sigma is about 15 frames). */
	CU_ASSERT(kept >= 650 && kept <= 750);
	/* The same seed gives the very same drop pattern. */
	CU_ASSERT_EQUAL(test_loss_pattern(42, 30, 1000, second), kept);
	CU_ASSERT_EQUAL(memcmp(first, second, sizeof(first)), 0);
	/* Another seed gives another one. */
	test_loss_pattern(43, 30, 1000, other);
	CU_ASSERT_NOT_EQUAL(memcmp(first, other, sizeof(first)), 0);
}

static void test_delay(void)
{
	struct test_net net;
	struct hs_impair impair = {.delay_ms = 100};

	test_net_star(&net, 1);
	CU_ASSERT(
	    hs_fabric_cable_impair(net.fabric, "b.c", HS_DIR_FROM_SWITCH, &impair, 0, "slow") == 0);
	test_send(&net, 0, 1, 1, 1000);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 1); /* c's cable has no delay */
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(hs_fabric_deadline_ms(net.fabric), 1100);
	CU_ASSERT_EQUAL(hs_fabric_timers_run(net.fabric, 1099), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(hs_fabric_timers_run(net.fabric, 1100), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(hs_fabric_deadline_ms(net.fabric), -1);
	CU_ASSERT_EQUAL(test_counters(&net, "b.c", HS_DIR_FROM_SWITCH).delayed, 1);
	test_net_close(&net);
}

/* Sends 20 frames at 0 over a cable with 100 +- 20 ms and 50 % duplication;
 * timeline[t] = frames that arrived at t. */
static void test_jitter_timeline(uint64_t seed, int *timeline, int span_ms)
{
	struct test_net net;
	struct hs_impair impair = {.delay_ms = 100, .jitter_ms = 20, .dup_pct = 50};

	test_net_star(&net, seed);
	CU_ASSERT(hs_fabric_cable_impair(net.fabric, "a.c", HS_DIR_TO_SWITCH, &impair, 0, "jit") ==
		  0);
	for (int i = 0; i < 20; i++)
		test_send_sized(&net, 0, net.ports[1].mac, (uint32_t)i, TEST_FRAME_BYTES);
	test_pump(&net, 0);
	for (int t = 0; t < span_ms; t++) {
		hs_fabric_timers_run(net.fabric, t);
		timeline[t] = test_recv(&net, 1, NULL, 0);
	}
	CU_ASSERT_EQUAL(hs_fabric_deadline_ms(net.fabric), -1);
	test_net_close(&net);
}

static void test_delay_jitter(void)
{
	int first[301], second[301];
	int total = 0;

	test_jitter_timeline(3, first, 301);
	for (int t = 0; t <= 300; t++) {
		total += first[t];
		if (t < 80 || t > 120)
			CU_ASSERT_EQUAL(first[t], 0);
	}
	/* 20 frames, each doubled with probability 1/2. */
	CU_ASSERT(total >= 21 && total <= 39);
	/* Jitter really spreads the frames: not all arrive at 100. */
	CU_ASSERT(first[100] < total);
	/* The same seed gives the same arrival times and duplicates. */
	test_jitter_timeline(3, second, 301);
	CU_ASSERT_EQUAL(memcmp(first, second, sizeof(first)), 0);
}

static void test_duplication(void)
{
	struct test_net net;
	struct hs_impair impair = {.dup_pct = 100};
	uint32_t seqs[4];

	test_net_star(&net, 1);
	CU_ASSERT(hs_fabric_cable_impair(net.fabric, "a.c", HS_DIR_TO_SWITCH, &impair, 0, "dup") ==
		  0);
	test_send(&net, 0, -1, 9, 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, seqs, 4), 2);
	CU_ASSERT_EQUAL(seqs[0], 9);
	CU_ASSERT_EQUAL(seqs[1], 9);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 2);
	CU_ASSERT_EQUAL(test_counters(&net, "a.c", HS_DIR_TO_SWITCH).duplicated, 1);
	test_net_close(&net);
}

static void test_partition_one_way(void)
{
	struct test_net net;
	const char *from[] = {"a"};
	const char *to[] = {"b"};
	const char *unknown[] = {"zz"};
	int rule;

	test_net_star(&net, 1);
	rule = hs_fabric_partition_add(net.fabric, from, 1, to, 1, 5, "split");
	CU_ASSERT_EQUAL(rule, 0);
	test_send(&net, 0, -1, 1, 6);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 1); /* c is not in the partition */
	test_send(&net, 1, 0, 2, 7);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1); /* b -> a passes */
	CU_ASSERT_EQUAL(test_counters(&net, "b.c", HS_DIR_FROM_SWITCH).dropped_partition, 1);
	CU_ASSERT(hs_fabric_partition_heal(net.fabric, rule, 8, "heal") == 0);
	test_send(&net, 0, 1, 3, 9);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(hs_fabric_partition_heal(net.fabric, rule, 10, "again"), -1);
	CU_ASSERT_EQUAL(hs_fabric_partition_add(net.fabric, unknown, 1, to, 1, 11, "x"), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(hs_fabric_error(net.fabric), "'zz'"));
	test_net_close(&net);
}

static void test_switch_power(void)
{
	struct test_net net;
	struct hs_carrier_event event;
	bool up = true;
	int downs = 0;

	test_net_star(&net, 1);
	test_send(&net, 0, -1, 1, 1);
	test_recv(&net, 1, NULL, 0);
	test_recv(&net, 2, NULL, 0);
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "sw", 1), 1);
	CU_ASSERT(hs_fabric_switch_power_set(net.fabric, "sw", false, 2, "power cut") == 0);
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "sw", 2), 0);
	test_send(&net, 0, -1, 2, 3);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 0);
	CU_ASSERT(hs_fabric_endpoint_carrier_get(net.fabric, "b", &up) == 0);
	CU_ASSERT_FALSE(up);
	while (hs_fabric_carrier_event_pop(net.fabric, &event) == 1)
		downs += event.up ? 0 : 1;
	CU_ASSERT_EQUAL(downs, 3);
	CU_ASSERT(hs_fabric_switch_power_set(net.fabric, "sw", true, 4, "power back") == 0);
	test_send(&net, 0, -1, 3, 5);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT(hs_fabric_endpoint_carrier_get(net.fabric, "b", &up) == 0);
	CU_ASSERT_TRUE(up);
	test_net_close(&net);
}

/* ----------------------------------------------------------------- bonds */

/* Node n bonded to switches A and B (cables n.l1, n.l2), p on A, q on B,
 * trunk between A and B. Ports: n = 0, p = 1, q = 2. */
static void test_net_bond(struct test_net *net)
{
	test_net_open(net, 1, 0, 0, 0);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net->fabric, "A") == 0);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net->fabric, "B") == 0);
	CU_ASSERT_FATAL(hs_fabric_trunk_add(net->fabric, "trunk", "A", "B") == 0);
	test_port_add(net, "n");
	test_port_add(net, "p");
	test_port_add(net, "q");
	CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, "n.l1", "n", "A") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, "n.l2", "n", "B") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, "p.c", "p", "A") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net->fabric, "q.c", "q", "B") == 0);
}

static void test_bond_failover(void)
{
	struct test_net net;
	struct hs_carrier_event event;
	const char *active = NULL;
	bool up = false;

	test_net_bond(&net);
	/* q's broadcast reaches n on both cables; only the active one counts. */
	test_send(&net, 2, -1, 1, 1);
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	test_send(&net, 0, 2, 2, 2);
	CU_ASSERT_EQUAL(test_recv(&net, 2, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_counters(&net, "n.l1", HS_DIR_TO_SWITCH).forwarded, 1);
	CU_ASSERT_EQUAL(test_counters(&net, "n.l2", HS_DIR_TO_SWITCH).forwarded, 0);

	/* Pulling the backup cable changes nothing. */
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "n.l2", HS_DIR_BOTH, false, 3, "pull l2") ==
		  0);
	CU_ASSERT(hs_fabric_endpoint_active_cable(net.fabric, "n", &active) == 0);
	CU_ASSERT_STRING_EQUAL(active, "n.l1");
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "n.l2", HS_DIR_BOTH, true, 4, "plug l2") ==
		  0);

	/* Pulling the active cable fails over, flushes MAC tables, keeps carrier. */
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "n.l1", HS_DIR_BOTH, false, 5, "pull l1") ==
		  0);
	CU_ASSERT(hs_fabric_endpoint_active_cable(net.fabric, "n", &active) == 0);
	CU_ASSERT_STRING_EQUAL(active, "n.l2");
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "A", 5), 0);
	CU_ASSERT_EQUAL(hs_fabric_switch_mac_count(net.fabric, "B", 5), 0);
	CU_ASSERT(hs_fabric_endpoint_carrier_get(net.fabric, "n", &up) == 0);
	CU_ASSERT_TRUE(up);
	CU_ASSERT_EQUAL(hs_fabric_carrier_event_pop(net.fabric, &event), 0);
	test_send(&net, 1, 0, 3, 6); /* p -> n now runs A -> trunk -> B -> n.l2 */
	CU_ASSERT_EQUAL(test_recv(&net, 0, NULL, 0), 1);
	test_send(&net, 0, 1, 4, 7);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	CU_ASSERT_EQUAL(test_counters(&net, "n.l2", HS_DIR_TO_SWITCH).forwarded, 1);

	/* Both cables gone: carrier down, reported once. */
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "n.l2", HS_DIR_BOTH, false, 8, "pull") == 0);
	CU_ASSERT(hs_fabric_endpoint_carrier_get(net.fabric, "n", &up) == 0);
	CU_ASSERT_FALSE(up);
	CU_ASSERT_EQUAL(hs_fabric_carrier_event_pop(net.fabric, &event), 1);
	CU_ASSERT_STRING_EQUAL(event.endpoint, "n");
	CU_ASSERT_FALSE(event.up);
	CU_ASSERT_EQUAL(hs_fabric_carrier_event_pop(net.fabric, &event), 0);
	/* l1 back: the bond fails over to it and the carrier returns. */
	CU_ASSERT(hs_fabric_cable_link_set(net.fabric, "n.l1", HS_DIR_BOTH, true, 9, "plug") == 0);
	CU_ASSERT(hs_fabric_endpoint_active_cable(net.fabric, "n", &active) == 0);
	CU_ASSERT_STRING_EQUAL(active, "n.l1");
	CU_ASSERT_EQUAL(hs_fabric_carrier_event_pop(net.fabric, &event), 1);
	CU_ASSERT_TRUE(event.up);
	test_net_close(&net);
}

/* ------------------------------------------------------------- bounds */

static void test_bounded_queue(void)
{
	struct test_net net;
	struct hs_impair impair = {.delay_ms = 100};
	struct hs_counters counters;

	test_net_open(&net, 1, 4, 0, 0);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net.fabric, "sw") == 0);
	test_port_add(&net, "a");
	test_port_add(&net, "b");
	CU_ASSERT_FATAL(hs_fabric_cable_add(net.fabric, "a.c", "a", "sw") == 0);
	CU_ASSERT_FATAL(hs_fabric_cable_add(net.fabric, "b.c", "b", "sw") == 0);
	CU_ASSERT(hs_fabric_cable_impair(net.fabric, "a.c", HS_DIR_TO_SWITCH, &impair, 0, "q") ==
		  0);
	for (int i = 0; i < 10; i++)
		test_send(&net, 0, -1, (uint32_t)i, 0);
	counters = test_counters(&net, "a.c", HS_DIR_TO_SWITCH);
	CU_ASSERT_EQUAL(counters.delayed, 4);
	CU_ASSERT_EQUAL(counters.dropped_queue_full, 6);
	CU_ASSERT_EQUAL(hs_fabric_timers_run(net.fabric, 100), 4);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 4);
	test_net_close(&net);
}

static void test_frame_size_limits(void)
{
	struct test_net net;

	test_net_star(&net, 1);
	test_send_sized(&net, 0, NULL, 1, HS_FABRIC_FRAME_MAX + 1);
	test_send_sized(&net, 0, NULL, 2, HS_FABRIC_FRAME_MIN - 1);
	test_pump(&net, 1);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(test_counters(&net, "a.c", HS_DIR_TO_SWITCH).dropped_oversize, 2);
	test_send_sized(&net, 0, NULL, 3, HS_FABRIC_FRAME_MAX);
	test_pump(&net, 2);
	CU_ASSERT_EQUAL(test_recv(&net, 1, NULL, 0), 1);
	test_net_close(&net);
}

static void test_carrier_events_bounded(void)
{
	struct test_net net;
	struct hs_carrier_event event;
	int count = 0;

	test_net_star(&net, 1);
	for (int i = 0; i < HS_FABRIC_CARRIER_EVENTS_MAX + 10; i++)
		hs_fabric_cable_link_set(net.fabric, "a.c", HS_DIR_BOTH, i % 2 == 1, i, "flap");
	while (hs_fabric_carrier_event_pop(net.fabric, &event) == 1) {
		if (count == 0)
			CU_ASSERT_EQUAL(event.mono_ms, 10); /* the 10 oldest were dropped */
		count++;
	}
	CU_ASSERT_EQUAL(count, HS_FABRIC_CARRIER_EVENTS_MAX);
	test_net_close(&net);
}

/* ---------------------------------------------------------------- uplink */

static uint16_t test_checksum(const uint8_t *data, size_t length)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < length; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (length % 2)
		sum += (uint32_t)(data[length - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sends a raw frame from port `from` without touching it. */
static void test_send_raw(struct test_net *net, int from, const uint8_t *frame, size_t length)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons(net->ports[from].fabric_port);
	CU_ASSERT_FATAL(sendto(net->ports[from].fd, frame, length, 0, (struct sockaddr *)&addr,
			       sizeof(addr)) == (ssize_t)length);
}

static const uint8_t test_ip_node[4] = {192, 0, 2, 11};
static const uint8_t test_ip_gateway[4] = {192, 0, 2, 1};

/* ARP request from port 0 (192.0.2.11) for the gateway; returns the
 * gateway's MAC from the reply. */
static void test_gateway_arp(struct test_net *net, uint8_t *gateway_mac)
{
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t reply[2048];
	ssize_t got;

	memcpy(frame + 6, net->ports[0].mac, 6);
	memcpy(frame + 12, (uint8_t[]){0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1}, 10);
	memcpy(frame + 22, net->ports[0].mac, 6);
	memcpy(frame + 28, test_ip_node, 4);
	memcpy(frame + 38, test_ip_gateway, 4);
	test_send_raw(net, 0, frame, sizeof(frame));
	test_pump(net, 1);
	got = recv(net->ports[0].fd, reply, sizeof(reply), 0);
	CU_ASSERT_FATAL(got >= 42);
	CU_ASSERT(reply[12] == 0x08 && reply[13] == 0x06 && reply[21] == 2); /* ARP reply */
	CU_ASSERT_EQUAL(memcmp(reply + 28, test_ip_gateway, 4), 0);
	CU_ASSERT_EQUAL(memcmp(reply, net->ports[0].mac, 6), 0);
	memcpy(gateway_mac, reply + 22, 6);
}

static void test_uplink_gateway(void)
{
	struct test_net net;
	uint8_t gateway_mac[6], frame[98], reply[2048];
	uint16_t port = 0, csum;
	ssize_t got;

	test_net_open(&net, 1, 0, 0, 0);
	CU_ASSERT_FATAL(hs_fabric_switch_add(net.fabric, "sw") == 0);
	test_port_add(&net, "a");
	CU_ASSERT_FATAL(hs_fabric_cable_add(net.fabric, "a.c", "a", "sw") == 0);
	CU_ASSERT_FATAL(hs_fabric_uplink_add(net.fabric, "up", "up.c", "sw") == 0);
	CU_ASSERT(hs_fabric_uplink_forward_add(net.fabric, "up", 0, "192.0.2.10", 7000, &port) ==
		  0);
	CU_ASSERT(port != 0);
	CU_ASSERT_EQUAL(hs_fabric_uplink_forward_add(net.fabric, "up", 0, "192.0.2.x", 7000, NULL),
			-1);
	test_gateway_arp(&net, gateway_mac);

	/* ICMP echo request 192.0.2.11 -> 192.0.2.1, id 0x1234, seq 1. */
	memset(frame, 0, sizeof(frame));
	memcpy(frame, gateway_mac, 6);
	memcpy(frame + 6, net.ports[0].mac, 6);
	memcpy(frame + 12, (uint8_t[]){0x08, 0x00, 0x45, 0, 0, 84, 0, 1, 0x40, 0, 64, 1}, 12);
	memcpy(frame + 26, test_ip_node, 4);
	memcpy(frame + 30, test_ip_gateway, 4);
	csum = test_checksum(frame + 14, 20);
	frame[24] = (uint8_t)(csum >> 8);
	frame[25] = (uint8_t)csum;
	memcpy(frame + 34, (uint8_t[]){8, 0, 0, 0, 0x12, 0x34, 0, 1}, 8);
	csum = test_checksum(frame + 34, 64);
	frame[36] = (uint8_t)(csum >> 8);
	frame[37] = (uint8_t)csum;
	test_send_raw(&net, 0, frame, sizeof(frame));
	test_pump(&net, 2);
	got = recv(net.ports[0].fd, reply, sizeof(reply), 0);
	CU_ASSERT_FATAL(got >= 42);
	CU_ASSERT(reply[12] == 0x08 && reply[13] == 0x00 && reply[23] == 1); /* IPv4 ICMP */
	CU_ASSERT_EQUAL(memcmp(reply + 26, test_ip_gateway, 4), 0);
	CU_ASSERT_EQUAL(memcmp(reply + 30, test_ip_node, 4), 0);
	CU_ASSERT_EQUAL(reply[34], 0); /* echo reply */
	CU_ASSERT(reply[38] == 0x12 && reply[39] == 0x34 && reply[41] == 1);
	CU_ASSERT_EQUAL(test_counters(&net, "up.c", HS_DIR_TO_SWITCH).forwarded, 2);
	test_net_close(&net);
}

/* -------------------------------------------------------- names and logs */

static void test_unknown_names(void)
{
	struct test_net net;
	struct hs_impair impair = {.loss_pct = 1};
	struct hs_impair bad = {.loss_pct = 101};
	struct hs_counters counters;
	bool up;

	test_net_star(&net, 1);
	CU_ASSERT_EQUAL(hs_fabric_cable_link_set(net.fabric, "nope", HS_DIR_BOTH, false, 1, "x"),
			-1);
	CU_ASSERT_STRING_EQUAL(hs_fabric_error(net.fabric),
			       "hs_fabric_cable_link_set: unknown cable 'nope'");
	CU_ASSERT_EQUAL(hs_fabric_cable_impair(net.fabric, "nope", HS_DIR_BOTH, &impair, 1, "x"),
			-1);
	CU_ASSERT_EQUAL(hs_fabric_cable_impair(net.fabric, "a.c", HS_DIR_BOTH, &bad, 1, "x"), -1);
	CU_ASSERT_EQUAL(hs_fabric_switch_power_set(net.fabric, "sw9", false, 1, "x"), -1);
	CU_ASSERT_STRING_EQUAL(hs_fabric_error(net.fabric),
			       "hs_fabric_switch_power_set: unknown switch 'sw9'");
	CU_ASSERT_EQUAL(hs_fabric_endpoint_carrier_get(net.fabric, "zz", &up), -1);
	CU_ASSERT_EQUAL(hs_fabric_cable_counters_get(net.fabric, "zz", HS_DIR_TO_SWITCH, &counters),
			-1);
	CU_ASSERT_EQUAL(hs_fabric_cable_add(net.fabric, "x.c", "zz", "sw"), -1);
	CU_ASSERT_STRING_EQUAL(hs_fabric_error(net.fabric),
			       "hs_fabric_cable_add: cable 'x.c': unknown endpoint 'zz'");
	CU_ASSERT_EQUAL(hs_fabric_cable_add(net.fabric, "a.c", "b", "sw"), -1); /* duplicate */
	CU_ASSERT_EQUAL(hs_fabric_switch_add(net.fabric, "bad name"), -1);
	CU_ASSERT_EQUAL(hs_fabric_switch_add(net.fabric, "sw"), -1);
	CU_ASSERT_EQUAL(hs_fabric_uplink_forward_add(net.fabric, "a", 0, "192.0.2.10", 7000, NULL),
			-1);
	CU_ASSERT_STRING_EQUAL(hs_fabric_error(net.fabric),
			       "hs_fabric_uplink_forward_add: unknown uplink 'a'");
	test_net_close(&net);
}

static void test_fault_log(void)
{
	struct test_net net;
	const char *from[] = {"a", "b"};
	const char *to[] = {"c"};
	struct hs_impair impair = {.loss_pct = 2.5, .delay_ms = 10, .jitter_ms = 2, .dup_pct = 1};
	char text[2048] = "";

	test_net_star(&net, 1);
	hs_fabric_cable_link_set(net.fabric, "a.c", HS_DIR_BOTH, false, 100, "step \"3\"");
	hs_fabric_cable_impair(net.fabric, "b.c", HS_DIR_FROM_SWITCH, &impair, 101, "wan");
	hs_fabric_partition_add(net.fabric, from, 2, to, 1, 102, "split");
	hs_fabric_partition_heal(net.fabric, -1, 103, "heal");
	hs_fabric_switch_power_set(net.fabric, "sw", false, 104, "cut");
	test_fault_log_read(&net, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(
	    text,
	    "{\"mono_ms\":100,\"event\":\"link_down\",\"cable\":\"a.c\",\"dir\":\"both\","
	    "\"reason\":\"step \\\"3\\\"\"}\n"
	    "{\"mono_ms\":100,\"event\":\"carrier_down\",\"endpoint\":\"a\",\"reason\":\"no cable "
	    "has link\"}\n"
	    "{\"mono_ms\":101,\"event\":\"impair\",\"cable\":\"b.c\",\"dir\":\"from_switch\","
	    "\"loss_pct\":2.5,\"delay_ms\":10,\"jitter_ms\":2,\"dup_pct\":1,\"reason\":\"wan\"}\n"
	    "{\"mono_ms\":102,\"event\":\"partition\",\"rule\":0,\"from\":[\"a\",\"b\"],\"to\":["
	    "\"c\"],\"reason\":\"split\"}\n"
	    "{\"mono_ms\":103,\"event\":\"heal\",\"rule\":\"all\",\"reason\":\"heal\"}\n"
	    "{\"mono_ms\":104,\"event\":\"switch_power_off\",\"switch\":\"sw\",\"reason\":\"cut\"}"
	    "\n"
	    "{\"mono_ms\":104,\"event\":\"carrier_down\",\"endpoint\":\"b\",\"reason\":\"no cable "
	    "has link\"}\n"
	    "{\"mono_ms\":104,\"event\":\"carrier_down\",\"endpoint\":\"c\",\"reason\":\"no cable "
	    "has link\"}\n");
	test_net_close(&net);
}

static void test_bond_failover_logged(void)
{
	struct test_net net;
	char text[1024] = "";

	test_net_bond(&net);
	hs_fabric_cable_link_set(net.fabric, "n.l1", HS_DIR_BOTH, false, 7, "pull");
	test_fault_log_read(&net, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(
	    text, "{\"mono_ms\":7,\"event\":\"link_down\",\"cable\":\"n.l1\",\"dir\":\"both\","
		  "\"reason\":\"pull\"}\n"
		  "{\"mono_ms\":7,\"event\":\"bond_failover\",\"endpoint\":\"n\",\"from\":\"n.l1\","
		  "\"to\":\"n.l2\",\"reason\":\"active cable lost its link\"}\n");
	test_net_close(&net);
}

static void test_counters_json(void)
{
	struct test_net net;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	test_net_star(&net, 1);
	test_send(&net, 0, -1, 1, 1);
	out = open_memstream(&text, &size);
	CU_ASSERT_FATAL(out != NULL);
	CU_ASSERT(hs_fabric_counters_write_json(net.fabric, out) == 0);
	fclose(out);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(text, "{\"cables\":{\"a.c\":{\"to_switch\":{\"forwarded\":1,\"dropped_loss\":0,"
			 "\"dropped_partition\":0,\"dropped_link\":0,\"dropped_queue_full\":0,"
			 "\"dropped_oversize\":0,\"duplicated\":0,\"delayed\":0},\"from_switch\":{"
			 "\"forwarded\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "},\"dropped_loop\":0}\n"));
	free(text);
	test_net_close(&net);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
	static const struct hn_test_case tests[] = {
	    {"learning and flooding", test_learning_and_flooding},
	    {"MAC aging", test_mac_aging},
	    {"MAC table bounded", test_mac_table_bounded},
	    {"hop limit stops loops", test_hop_limit_stops_loops},
	    {"link down drops both ways", test_link_down_drops_both_ways},
	    {"link down one direction", test_link_down_one_direction},
	    {"loss with a fixed seed", test_loss},
	    {"delay", test_delay},
	    {"delay with jitter", test_delay_jitter},
	    {"duplication", test_duplication},
	    {"one-way partition", test_partition_one_way},
	    {"switch power", test_switch_power},
	    {"bond failover and carrier", test_bond_failover},
	    {"bounded delay queue", test_bounded_queue},
	    {"frame size limits", test_frame_size_limits},
	    {"carrier events bounded", test_carrier_events_bounded},
	    {"uplink: gateway answers ARP and ping", test_uplink_gateway},
	    {"unknown names", test_unknown_names},
	    {"fault log lines", test_fault_log},
	    {"bond failover logged", test_bond_failover_logged},
	    {"counters as JSON", test_counters_json},
	    {NULL, NULL},
	};
	return hn_test_run_suite("fabric", tests, NULL, NULL);
}
