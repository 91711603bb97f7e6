/*
 * libvirt_tool.c - hs-libvirt, a command-line face of libvirt_domain.c for
 * tests and for people debugging a guest by hand.
 *
 *   hs-libvirt [-c URI] xml SPEC                 print the domain XML
 *   hs-libvirt [-c URI] up SPEC                  define and start
 *   hs-libvirt [-c URI] down NAME                destroy and undefine (idempotent)
 *   hs-libvirt [-c URI] power NAME on|off        start / destroy (power cut)
 *   hs-libvirt [-c URI] link SPEC 1..4 up|down   carrier of LAN1..LAN4
 *   hs-libvirt [-c URI] disk SPEC 1|2 present|absent   hot-plug a data disk
 *   hs-libvirt [-c URI] gc PREFIX                remove domains named PREFIX*
 *   hs-libvirt [-c URI] probe SPEC TIMEOUT_MS    print "kvm" if KVM boots the
 *                                                guest in time, else "tcg"
 * SPEC is a file of `key = value` lines (keys: hs_domain_spec_set()).
 * URI defaults to qemu:///system. Unlike the backend, this one-shot tool
 * never starts libvirtd: a daemon it started would die with it while its
 * domains live on. Exit status: 0 ok, 1 failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_conn.h"
#include "libvirt_domain.h"

#define HS_TOOL_LINE_MAX 2400

static char hs_tool_error[1024];

/* Read SPEC: `key = value` lines, '#' comments, blank lines. */
static int hs_tool_spec_load(const char *path, struct hs_domain_spec *spec)
{
	char line[HS_TOOL_LINE_MAX];
	int line_number = 0, result = -1;
	FILE *file = fopen(path, "r");

	hs_domain_spec_defaults(spec, "", 1);
	if (file == NULL) {
		snprintf(hs_tool_error, sizeof(hs_tool_error), "hs_tool_spec_load: %s: cannot open",
			 path);
		return -1;
	}
	while (fgets(line, sizeof(line), file) != NULL) {
		char *key = line, *value, *end;
		char field_error[512];

		line_number++;
		line[strcspn(line, "\r\n")] = '\0';
		key += strspn(key, " \t");
		if (*key == '\0' || *key == '#')
			continue;
		value = strchr(key, '=');
		if (value == NULL) {
			snprintf(hs_tool_error, sizeof(hs_tool_error),
				 "%s:%d: expected key = value", path, line_number);
			goto cleanup;
		}
		for (end = value; end > key && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		value++;
		value += strspn(value, " \t");
		if (hs_domain_spec_set(spec, key, value, field_error, sizeof(field_error)) != 0) {
			snprintf(hs_tool_error, sizeof(hs_tool_error), "%s:%d: %s", path,
				 line_number, field_error);
			goto cleanup;
		}
	}
	result = 0;
cleanup:
	fclose(file);
	return result;
}

static int hs_tool_number(const char *text, int low, int high)
{
	char *end = NULL;
	long value = strtol(text, &end, 10);

	return *text != '\0' && *end == '\0' && value >= low && value <= high ? (int)value : -1;
}

/* Commands that need a connection. Returns the exit status. */
static int hs_tool_run(virConnectPtr connection, int argc, char **argv, struct hs_domain_spec *spec)
{
	const char *command = argv[0];
	char *error = hs_tool_error;
	size_t size = sizeof(hs_tool_error);
	bool kvm_ok = false;
	int index, status;

	if (strcmp(command, "up") == 0 && argc == 2)
		return hs_domain_up(connection, spec, error, size) == 0 ? 0 : 1;
	if (strcmp(command, "down") == 0 && argc == 2)
		return hs_domain_down(connection, argv[1], error, size) == 0 ? 0 : 1;
	if (strcmp(command, "power") == 0 && argc == 3 &&
	    (strcmp(argv[2], "on") == 0 || strcmp(argv[2], "off") == 0))
		return hs_domain_power_set(connection, argv[1], strcmp(argv[2], "on") == 0, error,
					   size) == 0
			   ? 0
			   : 1;
	if (strcmp(command, "link") == 0 && argc == 4 &&
	    (index = hs_tool_number(argv[2], 1, 4)) > 0 &&
	    (strcmp(argv[3], "up") == 0 || strcmp(argv[3], "down") == 0))
		return hs_domain_nic_link_set(connection, spec, index - 1,
					      strcmp(argv[3], "up") == 0, error, size) == 0
			   ? 0
			   : 1;
	if (strcmp(command, "disk") == 0 && argc == 4 &&
	    (index = hs_tool_number(argv[2], 1, 2)) > 0 &&
	    (strcmp(argv[3], "present") == 0 || strcmp(argv[3], "absent") == 0))
		return hs_domain_disk_set(connection, spec, index - 1,
					  strcmp(argv[3], "present") == 0, error, size) == 0
			   ? 0
			   : 1;
	if (strcmp(command, "gc") == 0 && argc == 2) {
		status = hs_domain_gc(connection, argv[1], error, size);
		if (status >= 0)
			printf("%d\n", status);
		return status >= 0 ? 0 : 1;
	}
	if (strcmp(command, "probe") == 0 && argc == 3 &&
	    (index = hs_tool_number(argv[2], 1, 600000)) > 0) {
		status = hs_domain_accel_probe(connection, spec, "halab-init:", index, &kvm_ok,
					       error, size);
		if (status == 0)
			printf("%s\n", kvm_ok ? "kvm" : "tcg");
		return status == 0 ? 0 : 1;
	}
	return 2;
}

int main(int argc, char **argv)
{
	static struct hs_domain_spec spec;
	static char xml[HS_DOMAIN_XML_MAX];
	const char *uri = hs_libvirt_uri();
	virConnectPtr connection;
	int status;

	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		uri = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr,
			"usage: hs-libvirt [-c URI] xml|up|down|power|link|disk|gc|probe ...\n");
		return 2;
	}
	argc--;
	argv++;
	/* Every command but down, power and gc takes a SPEC file first. */
	if (strcmp(argv[0], "down") != 0 && strcmp(argv[0], "power") != 0 &&
	    strcmp(argv[0], "gc") != 0 && hs_tool_spec_load(argv[1], &spec) != 0) {
		fprintf(stderr, "hs-libvirt: %s\n", hs_tool_error);
		return 1;
	}
	if (strcmp(argv[0], "xml") == 0) {
		if (hs_domain_xml_format(&spec, xml, sizeof(xml), hs_tool_error,
					 sizeof(hs_tool_error)) != 0) {
			fprintf(stderr, "hs-libvirt: %s\n", hs_tool_error);
			return 1;
		}
		fputs(xml, stdout);
		return 0;
	}
	hs_libvirt_errors_silence();
	connection = virConnectOpen(uri);
	if (connection == NULL) {
		fprintf(stderr, "hs-libvirt: cannot connect to %s: %s (is libvirtd running?)\n",
			uri, hs_libvirt_error_text());
		return 1;
	}
	status = hs_tool_run(connection, argc, argv, &spec);
	if (status == 1)
		fprintf(stderr, "hs-libvirt: %s\n", hs_tool_error);
	else if (status == 2)
		fprintf(stderr, "hs-libvirt: bad arguments for '%s'\n", argv[0]);
	virConnectClose(connection);
	return status;
}
