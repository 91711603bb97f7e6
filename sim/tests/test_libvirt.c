/*
 * test_libvirt.c - CUnit tests of the libvirt layer (sim/backend/libvirt_conn.c,
 * libvirt_domain.c) without QEMU.
 *
 * The domain XML is compared with a golden file, sim/tests/golden/domain.xml;
 * after an intended change, run with HS_REGENERATE=1 to rewrite it and review
 * the diff. The lifecycle (define, start, power, destroy, undefine, gc) runs
 * on libvirt's built-in test:///default driver, which keeps everything in
 * this process's memory; that driver does not implement device updates, so
 * the NIC and disk actions are checked there for their error reporting only
 * (sim/tests/test_guest.py checks them on real guests).
 * tunnel_port.c is tested here too: it binds real loopback UDP ports.
 * Run from the top of the tree: build/bin/test_libvirt.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "guest_clock.h"
#include "libvirt_conn.h"
#include "libvirt_domain.h"
#include "tunnel_port.h"

#define TEST_GOLDEN_PATH "sim/tests/golden/domain.xml"

static char test_error[1024];
static char test_xml[HS_DOMAIN_XML_MAX];
static struct hs_libvirt_conn test_conn;

/* A complete spec with fixed paths; the command line holds characters that
 * must be escaped. */
static void test_spec_fill(struct hs_domain_spec *spec, const char *name, unsigned node_index)
{
	hs_domain_spec_defaults(spec, name, node_index);
	snprintf(spec->kernel_path, sizeof(spec->kernel_path), "/run/halab/hs000001/vmlinuz");
	snprintf(spec->initrd_path, sizeof(spec->initrd_path),
		 "/run/halab/hs000001/initramfs.cpio.gz");
	snprintf(spec->cmdline, sizeof(spec->cmdline),
		 "console=ttyS0 quiet halab.hostname=node%u halab.note=<a&'b\">", node_index);
	for (int d = 0; d < HS_DOMAIN_DISKS; d++)
		snprintf(spec->disk_paths[d], sizeof(spec->disk_paths[d]),
			 "/run/halab/hs000001/node%u-disk%d.raw", node_index, d + 1);
	for (int n = 0; n < HS_DOMAIN_NICS; n++) {
		spec->nics[n].local_port = (uint16_t)(40000 + node_index * 10 + (unsigned)n);
		spec->nics[n].remote_port = (uint16_t)(41000 + node_index * 10 + (unsigned)n);
	}
	spec->nics[3].link_down = true;
	snprintf(spec->agent_socket_path, sizeof(spec->agent_socket_path),
		 "/run/halab/hs000001/node%u.agent", node_index);
	snprintf(spec->console_path, sizeof(spec->console_path),
		 "/run/halab/hs000001/node%u.console", node_index);
	snprintf(spec->config_path, sizeof(spec->config_path), "/run/halab/hs000001/node%u.conf",
		 node_index);
	snprintf(spec->key_path, sizeof(spec->key_path), "/run/halab/hs000001/cluster.key");
}

static char *test_file_read(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text;
	long length;

	if (file == NULL)
		return NULL;
	fseek(file, 0, SEEK_END);
	length = ftell(file);
	rewind(file);
	text = calloc(1, (size_t)length + 1);
	if (text != NULL && fread(text, 1, (size_t)length, file) != (size_t)length) {
		free(text);
		text = NULL;
	}
	fclose(file);
	return text;
}

/* ------------------------------------------------------------------ XML */

static void test_xml_golden(void)
{
	static struct hs_domain_spec spec;
	const char *regenerate = getenv("HS_REGENERATE");
	char *golden;

	test_spec_fill(&spec, "hsvt-golden-node1", 1);
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    0);
	if (regenerate != NULL && strcmp(regenerate, "1") == 0) {
		FILE *file = fopen(TEST_GOLDEN_PATH, "w");

		CU_ASSERT_PTR_NOT_NULL_FATAL(file);
		fputs(test_xml, file);
		CU_ASSERT_EQUAL(fclose(file), 0);
		printf("\n  regenerated %s: review the diff\n", TEST_GOLDEN_PATH);
	}
	golden = test_file_read(TEST_GOLDEN_PATH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(golden);
	CU_ASSERT_STRING_EQUAL(test_xml, golden);
	free(golden);
}

static void test_xml_escapes_user_text(void)
{
	static struct hs_domain_spec spec;

	test_spec_fill(&spec, "hsvt-a&b", 1);
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_xml, "<name>hsvt-a&amp;b</name>"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(test_xml, "halab.note=&lt;a&amp;&apos;b&quot;&gt;</cmdline>"));
}

/* TCG gets a bounded translation cache (QEMU's own is 1 GiB, which shows
 * in its RSS); under KVM there is none to bound. */
static void test_xml_tcg_cache_only_under_tcg(void)
{
	static struct hs_domain_spec spec;

	test_spec_fill(&spec, "hsvt-tcg", 1);
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_xml, "<tb-cache unit='MiB'>32</tb-cache>"));
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "tb_cache_mib", "48", test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_xml, "<tb-cache unit='MiB'>48</tb-cache>"));
	spec.accel_kvm = true;
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_PTR_NULL(strstr(test_xml, "<tcg>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(test_xml, "<domain type='kvm'>"));
}

/* Under a system daemon QEMU runs as root, unrelabelled; a user's
 * qemu:///session has no DAC driver to name (starting such a domain fails
 * with "Security driver model 'dac' is not available"). */
static void test_xml_seclabel_only_for_a_system_daemon(void)
{
	static struct hs_domain_spec spec;

	test_spec_fill(&spec, "hsvt-dac", 1);
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_xml, "<seclabel type='static' model='dac'"));
	spec.session_user = true;
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_PTR_NULL(strstr(test_xml, "<seclabel"));
	CU_ASSERT_PTR_NOT_NULL(strstr(test_xml, "</devices>\n</domain>\n"));
}

static void test_xml_missing_field(void)
{
	static struct hs_domain_spec spec;

	test_spec_fill(&spec, "hsvt-x", 1);
	spec.kernel_path[0] = '\0';
	CU_ASSERT_EQUAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    -1);
	CU_ASSERT_STRING_EQUAL(test_error,
			       "hs_domain_xml_format: domain 'hsvt-x': kernel_path missing");
	test_spec_fill(&spec, "hsvt-x", 1);
	spec.nics[2].local_port = 0;
	CU_ASSERT_EQUAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    -1);
	CU_ASSERT_STRING_EQUAL(
	    test_error, "hs_domain_xml_format: domain 'hsvt-x': LAN3 needs a MAC and two ports");
	test_spec_fill(&spec, "hsvt-x", 1);
	snprintf(spec.nics[0].mac, sizeof(spec.nics[0].mac), "52:54:00:00:01");
	CU_ASSERT_EQUAL(
	    hs_domain_xml_format(&spec, test_xml, sizeof(test_xml), test_error, sizeof(test_error)),
	    -1);
}

static void test_xml_overflow_is_reported(void)
{
	static struct hs_domain_spec spec;
	char small[512];

	test_spec_fill(&spec, "hsvt-x", 1);
	CU_ASSERT_EQUAL(
	    hs_domain_xml_format(&spec, small, sizeof(small), test_error, sizeof(test_error)), -1);
	CU_ASSERT_STRING_EQUAL(test_error,
			       "hs_domain_xml_format: domain 'hsvt-x': XML exceeds 512 bytes");
}

static void test_xml_nic_and_disk(void)
{
	static struct hs_domain_spec spec;
	char xml[1024];

	test_spec_fill(&spec, "hsvt-x", 2);
	CU_ASSERT_EQUAL_FATAL(hs_domain_nic_xml_format(&spec, 1, false, xml, sizeof(xml),
						       test_error, sizeof(test_error)),
			      0);
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<mac address='52:54:00:00:02:02'/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<source address='127.0.0.1' port='41021'>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<local address='127.0.0.1' port='40021'/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<link state='down'/>"));
	CU_ASSERT_EQUAL(hs_domain_nic_xml_format(&spec, 4, true, xml, sizeof(xml), test_error,
						 sizeof(test_error)),
			-1);
	CU_ASSERT_STRING_EQUAL(test_error, "hs_domain_nic_xml_format: domain 'hsvt-x': no NIC 4");
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_disk_xml_format(&spec, 1, xml, sizeof(xml), test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<target dev='vdb' bus='virtio'/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "node2-disk2.raw"));
}

/* A virt1's shape (refimpl/core/hn_models.h): LAN1 and LAN3 only, one
 * disk. The absent NICs and the empty disk path leave no device behind,
 * and an absent NIC has no link to set. */
static void test_xml_shaped_by_model(void)
{
	static struct hs_domain_spec spec;
	char xml[HS_DOMAIN_XML_MAX];

	test_spec_fill(&spec, "hsvt-v", 3);
	spec.disk_paths[1][0] = '\0';
	spec.nics[1].absent = true;
	spec.nics[3].absent = true;
	spec.nics[1].local_port = spec.nics[1].remote_port = 0; /* not needed when absent */
	CU_ASSERT_EQUAL_FATAL(
	    hs_domain_xml_format(&spec, xml, sizeof(xml), test_error, sizeof(test_error)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<alias name='ua-lan1'/>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<alias name='ua-lan3'/>"));
	CU_ASSERT_PTR_NULL(strstr(xml, "ua-lan2"));
	CU_ASSERT_PTR_NULL(strstr(xml, "ua-lan4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(xml, "<target dev='vda' bus='virtio'/>"));
	CU_ASSERT_PTR_NULL(strstr(xml, "vdb"));
	CU_ASSERT_EQUAL(hs_domain_nic_xml_format(&spec, 1, true, xml, sizeof(xml), test_error,
						 sizeof(test_error)),
			-1);
	CU_ASSERT_STRING_EQUAL(test_error, "hs_domain_nic_xml_format: domain 'hsvt-v': no NIC 1");
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "lan2_link", "up", test_error, sizeof(test_error)), 0);
	CU_ASSERT_FALSE(spec.nics[1].absent);
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "lan4_link", "absent", test_error, sizeof(test_error)), 0);
	CU_ASSERT_TRUE(spec.nics[3].absent);
}

static void test_spec_set(void)
{
	static struct hs_domain_spec spec;

	hs_domain_spec_defaults(&spec, "", 1);
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "name", "hsvt-n1", test_error, sizeof(test_error)), 0);
	CU_ASSERT_STRING_EQUAL(spec.name, "hsvt-n1");
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "memory_mib", "96", test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(spec.memory_mib, 96);
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "lan3_local_port", "40003", test_error, sizeof(test_error)),
	    0);
	CU_ASSERT_EQUAL(spec.nics[2].local_port, 40003);
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "lan4_link", "down", test_error, sizeof(test_error)), 0);
	CU_ASSERT_TRUE(spec.nics[3].link_down);
	CU_ASSERT_EQUAL(hs_domain_spec_set(&spec, "accel", "kvm", test_error, sizeof(test_error)),
			0);
	CU_ASSERT_TRUE(spec.accel_kvm);
	CU_ASSERT_EQUAL(
	    hs_domain_spec_set(&spec, "lan2_remote_port", "70000", test_error, sizeof(test_error)),
	    -1);
	CU_ASSERT_STRING_EQUAL(
	    test_error,
	    "hs_domain_spec_set: key 'lan2_remote_port': expected 0..65535, got '70000'");
	CU_ASSERT_EQUAL(hs_domain_spec_set(&spec, "lan5_mac", "x", test_error, sizeof(test_error)),
			-1);
	CU_ASSERT_EQUAL(hs_domain_spec_set(&spec, "colour", "red", test_error, sizeof(test_error)),
			-1);
	CU_ASSERT_STRING_EQUAL(test_error,
			       "hs_domain_spec_set: unknown key 'colour' or bad value 'red'");
}

/* ------------------------------------------------- lifecycle (test driver) */

/* Guests sized by model, scaled for the lab (hs_domain_spec_size). */
static void test_spec_size_by_model(void)
{
	struct hs_domain_spec spec;

	hs_domain_spec_defaults(&spec, "n", 1);
	hs_domain_spec_size(&spec, 4, 8192); /* rack1 */
	CU_ASSERT_EQUAL(spec.memory_mib, 128);
	CU_ASSERT_EQUAL(spec.vcpus, 1);
	hs_domain_spec_size(&spec, 16, 65536); /* rack4: capped */
	CU_ASSERT_EQUAL(spec.memory_mib, HS_GUEST_MEMORY_MAX);
	CU_ASSERT_EQUAL(spec.vcpus, 2);
	hs_domain_spec_size(&spec, 4, 12288); /* a virt1 larger than a rack1 */
	CU_ASSERT_EQUAL(spec.memory_mib, 192);
	CU_ASSERT_EQUAL(spec.vcpus, 1);
	hs_domain_spec_size(&spec, 1, 1024); /* below the floor */
	CU_ASSERT_EQUAL(spec.memory_mib, HS_GUEST_MEMORY_MIN);
	CU_ASSERT_EQUAL(spec.vcpus, 1);
}

static void test_conn_bad_uri(void)
{
	struct hs_libvirt_conn conn;

	CU_ASSERT_EQUAL(
	    hs_libvirt_conn_open(&conn, "nosuchdriver:///x", test_error, sizeof(test_error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_error, "hs_libvirt_conn_open: nosuchdriver:///x: "));
	CU_ASSERT_PTR_NULL(conn.connection);
	CU_ASSERT_EQUAL(conn.libvirtd_pid, 0);
	hs_libvirt_conn_close(&conn);
	hs_libvirt_conn_close(NULL);
}

static void test_lifecycle(void)
{
	static struct hs_domain_spec spec;
	virConnectPtr connection = test_conn.connection;

	test_spec_fill(&spec, "hsvt-life", 1);
	spec.test_driver = true;
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-life"), -1);
	CU_ASSERT_EQUAL_FATAL(hs_domain_up(connection, &spec, test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-life"), 1);
	CU_ASSERT_EQUAL(
	    hs_domain_power_set(connection, "hsvt-life", false, test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-life"), 0);
	/* Power off twice is still off, not an error. */
	CU_ASSERT_EQUAL(
	    hs_domain_power_set(connection, "hsvt-life", false, test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(
	    hs_domain_power_set(connection, "hsvt-life", true, test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-life"), 1);
	/* Defining the same name again fails and leaves the first one alone. */
	CU_ASSERT_EQUAL(hs_domain_up(connection, &spec, test_error, sizeof(test_error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_error, "hs_domain_up: "));
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-life"), 1);
	CU_ASSERT_EQUAL(hs_domain_down(connection, "hsvt-life", test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-life"), -1);
	CU_ASSERT_EQUAL(hs_domain_down(connection, "hsvt-life", test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(
	    hs_domain_power_set(connection, "hsvt-life", true, test_error, sizeof(test_error)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_error, "hs_domain_power_set: domain 'hsvt-life': "));
}

static void test_power_async(void)
{
	static struct hs_domain_spec spec;
	virConnectPtr connection = test_conn.connection;

	test_spec_fill(&spec, "hsvt-async", 1);
	spec.test_driver = true;
	CU_ASSERT_EQUAL_FATAL(hs_domain_up(connection, &spec, test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(hs_domain_power_set_async(connection, "hsvt-async", false, test_error,
						  sizeof(test_error)),
			0);
	CU_ASSERT_EQUAL(hs_domain_power_wait(5000), 0);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-async"), 0);
	CU_ASSERT_EQUAL(hs_domain_power_set_async(connection, "hsvt-async", true, test_error,
						  sizeof(test_error)),
			0);
	/* down() waits for the start under way, so nothing stays running. */
	CU_ASSERT_EQUAL(hs_domain_down(connection, "hsvt-async", test_error, sizeof(test_error)),
			0);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt-async"), -1);
	CU_ASSERT_EQUAL(hs_domain_power_wait(0), 0);
}

static void test_devices_report_errors(void)
{
	static struct hs_domain_spec spec;
	virConnectPtr connection = test_conn.connection;

	test_spec_fill(&spec, "hsvt-dev", 1);
	spec.test_driver = true;
	CU_ASSERT_EQUAL(
	    hs_domain_nic_link_set(connection, &spec, 0, false, test_error, sizeof(test_error)),
	    -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(test_error, "hs_domain_nic_link_set: domain 'hsvt-dev': "));
	CU_ASSERT_EQUAL_FATAL(hs_domain_up(connection, &spec, test_error, sizeof(test_error)), 0);
	/* The test driver has no device updates: the error must say which
	 * domain, which NIC and what libvirt said. */
	CU_ASSERT_EQUAL(
	    hs_domain_nic_link_set(connection, &spec, 1, false, test_error, sizeof(test_error)),
	    -1);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(test_error, "hs_domain_nic_link_set: domain 'hsvt-dev' LAN2 down: "));
	CU_ASSERT_EQUAL(
	    hs_domain_disk_set(connection, &spec, 5, false, test_error, sizeof(test_error)), -1);
	CU_ASSERT_STRING_EQUAL(test_error,
			       "hs_domain_disk_xml_format: domain 'hsvt-dev': no disk 5");
	CU_ASSERT_EQUAL(hs_domain_down(connection, "hsvt-dev", test_error, sizeof(test_error)), 0);
}

static void test_gc_by_prefix(void)
{
	static struct hs_domain_spec spec;
	virConnectPtr connection = test_conn.connection;
	const char *names[] = {"hsvt1-a", "hsvt1-b", "hsvt2-a"};

	for (unsigned i = 0; i < 3; i++) {
		test_spec_fill(&spec, names[i], i + 1);
		spec.test_driver = true;
		CU_ASSERT_EQUAL_FATAL(
		    hs_domain_up(connection, &spec, test_error, sizeof(test_error)), 0);
	}
	CU_ASSERT_EQUAL(
	    hs_domain_power_set(connection, "hsvt1-b", false, test_error, sizeof(test_error)), 0);
	CU_ASSERT_EQUAL(hs_domain_gc(connection, "hsvt1-", test_error, sizeof(test_error)), 2);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt1-a"), -1);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt1-b"), -1);
	CU_ASSERT_EQUAL(hs_domain_running(connection, "hsvt2-a"), 1);
	CU_ASSERT_EQUAL(hs_domain_gc(connection, "hsvt2-", test_error, sizeof(test_error)), 1);
	CU_ASSERT_EQUAL(hs_domain_gc(connection, "hsvt2-", test_error, sizeof(test_error)), 0);
}

static int test_suite_init(void)
{
	return hs_libvirt_conn_open(&test_conn, "test:///default", test_error, sizeof(test_error));
}

static int test_suite_clean(void)
{
	hs_libvirt_conn_close(&test_conn);
	return 0;
}

/* Regression (external-loss-active on guests): lines stamped on arrival
 * ordered node2's takeover 16 ms before node1's giving up, which caused it.
 * Mapped through each guest's clock, the order is the guests' own. */
static void test_guest_clock(void)
{
	struct hs_guest_clock node1, node2;

	hs_guest_clock_reset(&node1);
	hs_guest_clock_reset(&node2);
	/* No sample yet: the arrival time. */
	CU_ASSERT_EQUAL(hs_guest_clock_map(&node1, 500, 10000), 10000);
	/* node1's clock is host - 9000, node2's host - 7000; replies take 2..40 ms. */
	CU_ASSERT_TRUE(hs_guest_clock_sample(&node1, 10000, 1020, 10040));  /* +-20 */
	CU_ASSERT_TRUE(hs_guest_clock_sample(&node1, 10250, 1251, 10252));  /* +-1: better */
	CU_ASSERT_FALSE(hs_guest_clock_sample(&node1, 10500, 1530, 10560)); /* worse: dropped */
	CU_ASSERT_FALSE(hs_guest_clock_sample(&node1, 10600, 0, 10599));    /* from the future */
	CU_ASSERT_EQUAL(node1.offset_ms, 9000);
	CU_ASSERT_EQUAL(node1.round_trip_ms, 2);
	CU_ASSERT_TRUE(hs_guest_clock_sample(&node2, 10000, 3001, 10002));
	/* node1 gives up at its 5037 (host 14037), its line arrives at 14053;
	 * node2 takes over at its 7040 (host 14040), its line arrives at 14041. */
	int64_t gave_up = hs_guest_clock_map(&node1, 5037, 14053);
	int64_t took_over = hs_guest_clock_map(&node2, 7040, 14041);
	CU_ASSERT_EQUAL(gave_up, 14037);
	CU_ASSERT_EQUAL(took_over, 14040);
	CU_ASSERT_TRUE(gave_up < took_over);
	/* Never later than the arrival. */
	CU_ASSERT_EQUAL(hs_guest_clock_map(&node1, 5037, 14030), 14030);
	/* Aging: 10 s later a sample 10 ms worse than the kept one replaces it
	 * (the kept one counts 2 + 10 = 12 ms by then). */
	CU_ASSERT_TRUE(hs_guest_clock_sample(&node1, 20252, 11255, 20264));
	CU_ASSERT_EQUAL(node1.offset_ms, 9003);
	/* A reboot starts from nothing. */
	hs_guest_clock_reset(&node1);
	CU_ASSERT_FALSE(node1.valid);
	CU_ASSERT_EQUAL(hs_guest_clock_map(&node1, 5037, 14053), 14053);
}

/* Bind 127.0.0.1:port over UDP (0: any); returns the socket or -1, errno kept. */
static int test_udp_bind(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t length = sizeof(address);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		errno = saved;
		return -1;
	}
	if (bound && getsockname(fd, (struct sockaddr *)&address, &length) == 0)
		*bound = ntohs(address.sin_port);
	return fd;
}

/* Regression: QEMU's end of a tunnel was an ephemeral port found by binding
 * port 0 and closing; the fabric's own end, bound next with port 0, got the
 * same port and QEMU failed with "Address already in use". */
static void test_tunnel_ports(void)
{
	struct hs_tunnel_port ports[8];
	uint16_t first, last;
	uint32_t low, high;

	/* The range: below Linux's default ephemeral range, above a raised
	 * one, none when both sides are too small or the range is wrong. */
	CU_ASSERT_EQUAL(hs_tunnel_port_range(32768, 60999, &first, &last), 0);
	CU_ASSERT_EQUAL(first, HS_TUNNEL_PORT_MIN);
	CU_ASSERT_EQUAL(last, 32767);
	CU_ASSERT_EQUAL(hs_tunnel_port_range(10500, 40000, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 40001);
	CU_ASSERT_EQUAL(last, 65535);
	CU_ASSERT_EQUAL(hs_tunnel_port_range(1024, 65000, &first, &last), -1);
	CU_ASSERT_EQUAL(hs_tunnel_port_range(40000, 30000, &first, &last), -1);

	hs_tunnel_port_ephemeral(&low, &high);
	CU_ASSERT_EQUAL_FATAL(hs_tunnel_port_range(low, high, &first, &last), 0);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL_FATAL(
		    hs_tunnel_port_reserve(&ports[i], test_error, sizeof(test_error)), 0);
		CU_ASSERT_TRUE(ports[i].fd >= 0);
		CU_ASSERT_TRUE(ports[i].port >= first && ports[i].port <= last);
		CU_ASSERT_TRUE(ports[i].port < low || ports[i].port > high);
		for (int j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(ports[i].port, ports[j].port);
	}
	/* Held: nobody else binds it, and port 0 never hands it out. */
	errno = 0;
	CU_ASSERT_EQUAL(test_udp_bind(ports[0].port, NULL), -1);
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	for (int k = 0; k < 200; k++) {
		uint16_t bound = 0;
		int fd = test_udp_bind(0, &bound);
		CU_ASSERT_TRUE_FATAL(fd >= 0);
		for (int i = 0; i < 8; i++)
			CU_ASSERT_NOT_EQUAL(bound, ports[i].port);
		close(fd);
	}
	/* Released: QEMU can bind it. Releasing twice is harmless. */
	for (int i = 0; i < 8; i++) {
		hs_tunnel_port_release(&ports[i]);
		hs_tunnel_port_release(&ports[i]);
		CU_ASSERT_EQUAL(ports[i].fd, -1);
	}
	int fd = test_udp_bind(ports[0].port, NULL);
	CU_ASSERT_TRUE(fd >= 0);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	CU_pSuite xml_suite, driver_suite;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	xml_suite = CU_add_suite("libvirt_domain_xml", NULL, NULL);
	driver_suite = CU_add_suite("libvirt_test_driver", test_suite_init, test_suite_clean);
	if (xml_suite == NULL || driver_suite == NULL)
		goto fail;
	if (CU_add_test(xml_suite, "golden XML", test_xml_golden) == NULL ||
	    CU_add_test(xml_suite, "guests sized by model", test_spec_size_by_model) == NULL ||
	    CU_add_test(xml_suite, "user text is escaped", test_xml_escapes_user_text) == NULL ||
	    CU_add_test(xml_suite, "TCG cache bounded, none under KVM",
			test_xml_tcg_cache_only_under_tcg) == NULL ||
	    CU_add_test(xml_suite, "seclabel only for a system daemon",
			test_xml_seclabel_only_for_a_system_daemon) == NULL ||
	    CU_add_test(xml_suite, "missing field", test_xml_missing_field) == NULL ||
	    CU_add_test(xml_suite, "overflow reported", test_xml_overflow_is_reported) == NULL ||
	    CU_add_test(xml_suite, "NIC and disk XML", test_xml_nic_and_disk) == NULL ||
	    CU_add_test(xml_suite, "NICs and disks shaped by model", test_xml_shaped_by_model) ==
		NULL ||
	    CU_add_test(xml_suite, "spec keys", test_spec_set) == NULL ||
	    CU_add_test(xml_suite, "bad URI", test_conn_bad_uri) == NULL ||
	    CU_add_test(xml_suite, "tunnel ports outside the ephemeral range", test_tunnel_ports) ==
		NULL ||
	    CU_add_test(xml_suite, "guest clock mapped onto the host's", test_guest_clock) ==
		NULL ||
	    CU_add_test(driver_suite, "lifecycle", test_lifecycle) == NULL ||
	    CU_add_test(driver_suite, "asynchronous power", test_power_async) == NULL ||
	    CU_add_test(driver_suite, "device errors", test_devices_report_errors) == NULL ||
	    CU_add_test(driver_suite, "gc by prefix", test_gc_by_prefix) == NULL)
		goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
fail:
	CU_cleanup_registry();
	return 1;
}
