/*
 * libvirt_domain.c - domain XML for a halab node, and the libvirt calls that
 * define, start, destroy and undefine it and act on its NICs and disks.
 *
 * The XML is written into a caller's bounded buffer by a small appender
 * that escapes every string it did not write itself (paths and the kernel
 * command line come from users), and reports overflow instead of cutting.
 * Every libvirt object taken here is freed before return (one cleanup label).
 */
#include "libvirt_domain.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libvirt_conn.h"

#define HS_DOMAIN_GC_MAX	     256   /* domains listed by one gc */
#define HS_DOMAIN_POWER_WAIT_DOWN_MS 30000 /* down() waits for power threads */

/* --------------------------------------------------------- XML appender */

struct hs_xml {
	char *text;
	size_t size;
	size_t length;
	bool overflow;
};

static void hs_xml_append(struct hs_xml *xml, const char *format, ...)
{
	va_list args;
	int written;

	if (xml->overflow)
		return;
	va_start(args, format);
	written = vsnprintf(xml->text + xml->length, xml->size - xml->length, format, args);
	va_end(args);
	if (written < 0 || (size_t)written >= xml->size - xml->length) {
		xml->overflow = true;
		xml->text[xml->length] = '\0';
		return;
	}
	xml->length += (size_t)written;
}

/* Append text with &, <, >, ' and " escaped (valid in elements and in
 * attributes quoted either way). */
static void hs_xml_append_escaped(struct hs_xml *xml, const char *text)
{
	for (; *text != '\0' && !xml->overflow; text++) {
		switch (*text) {
		case '&':
			hs_xml_append(xml, "&amp;");
			break;
		case '<':
			hs_xml_append(xml, "&lt;");
			break;
		case '>':
			hs_xml_append(xml, "&gt;");
			break;
		case '\'':
			hs_xml_append(xml, "&apos;");
			break;
		case '"':
			hs_xml_append(xml, "&quot;");
			break;
		default:
			hs_xml_append(xml, "%c", *text);
			break;
		}
	}
}

/* Append prefix, escaped value, suffix. */
static void hs_xml_append_field(struct hs_xml *xml, const char *prefix, const char *value,
				const char *suffix)
{
	hs_xml_append(xml, "%s", prefix);
	hs_xml_append_escaped(xml, value);
	hs_xml_append(xml, "%s", suffix);
}

/* ------------------------------------------------------------------ spec */

void hs_domain_spec_defaults(struct hs_domain_spec *spec, const char *name, unsigned node_index)
{
	memset(spec, 0, sizeof(*spec));
	snprintf(spec->name, sizeof(spec->name), "%s", name);
	spec->memory_mib = 128;
	spec->vcpus = 1;
	spec->tb_cache_mib = HS_DOMAIN_TB_CACHE_MIB;
	snprintf(spec->disk_format, sizeof(spec->disk_format), "raw");
	for (int n = 0; n < HS_DOMAIN_NICS; n++)
		snprintf(spec->nics[n].mac, sizeof(spec->nics[n].mac), "52:54:00:00:%02x:%02x",
			 node_index & 0xffu, (unsigned)n + 1);
}

void hs_domain_spec_size(struct hs_domain_spec *spec, unsigned cpu_count, unsigned memory_mb)
{
	unsigned memory_mib = memory_mb / HS_GUEST_MEMORY_SCALE,
		 vcpus = cpu_count / HS_GUEST_CPU_SCALE;

	spec->memory_mib = memory_mib < HS_GUEST_MEMORY_MIN   ? HS_GUEST_MEMORY_MIN
			   : memory_mib > HS_GUEST_MEMORY_MAX ? HS_GUEST_MEMORY_MAX
							      : memory_mib;
	spec->vcpus = vcpus < 1 ? 1 : vcpus > HS_GUEST_VCPUS_MAX ? HS_GUEST_VCPUS_MAX : vcpus;
}

/* Copy value into a fixed field; -1 if it does not fit. */
static int hs_domain_field_copy(char *field, size_t field_size, const char *key, const char *value,
				char *error, size_t error_size)
{
	if (snprintf(field, field_size, "%s", value) >= (int)field_size) {
		snprintf(error, error_size, "hs_domain_spec_set: key '%s': value longer than %zu",
			 key, field_size - 1);
		return -1;
	}
	return 0;
}

static int hs_domain_number_parse(const char *key, const char *value, unsigned long maximum,
				  unsigned long *number, char *error, size_t error_size)
{
	char *end = NULL;

	*number = strtoul(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || *number > maximum) {
		snprintf(error, error_size,
			 "hs_domain_spec_set: key '%s': expected 0..%lu, got '%s'", key, maximum,
			 value);
		return -1;
	}
	return 0;
}

/* lanN_* keys: N = 1..4. */
static int hs_domain_spec_set_nic(struct hs_domain_spec *spec, const char *key, const char *value,
				  char *error, size_t error_size)
{
	struct hs_domain_nic *nic;
	unsigned long number;
	int n = key[3] - '1';

	if (n < 0 || n >= HS_DOMAIN_NICS || key[4] != '_')
		goto unknown;
	nic = &spec->nics[n];
	if (strcmp(key + 5, "mac") == 0)
		return hs_domain_field_copy(nic->mac, sizeof(nic->mac), key, value, error,
					    error_size);
	if (strcmp(key + 5, "link") == 0 &&
	    (strcmp(value, "up") == 0 || strcmp(value, "down") == 0 ||
	     strcmp(value, "absent") == 0)) {
		nic->link_down = strcmp(value, "down") == 0;
		nic->absent = strcmp(value, "absent") == 0;
		return 0;
	}
	if (strcmp(key + 5, "local_port") == 0 || strcmp(key + 5, "remote_port") == 0) {
		if (hs_domain_number_parse(key, value, 65535, &number, error, error_size) != 0)
			return -1;
		*(key[5] == 'l' ? &nic->local_port : &nic->remote_port) = (uint16_t)number;
		return 0;
	}
unknown:
	snprintf(error, error_size, "hs_domain_spec_set: unknown key '%s' or bad value '%s'", key,
		 value);
	return -1;
}

int hs_domain_spec_set(struct hs_domain_spec *spec, const char *key, const char *value, char *error,
		       size_t error_size)
{
	static const struct {
		const char *key;
		size_t offset, size;
	} strings[] = {
#define HS_FIELD(k, f)                                                                             \
	{k, offsetof(struct hs_domain_spec, f), sizeof(((struct hs_domain_spec *)0)->f)}
	    HS_FIELD("name", name),
	    HS_FIELD("kernel", kernel_path),
	    HS_FIELD("initrd", initrd_path),
	    HS_FIELD("cmdline", cmdline),
	    HS_FIELD("disk1", disk_paths[0]),
	    HS_FIELD("disk2", disk_paths[1]),
	    HS_FIELD("disk_format", disk_format),
	    HS_FIELD("agent_socket", agent_socket_path),
	    HS_FIELD("console", console_path),
	    HS_FIELD("config", config_path),
	    HS_FIELD("key", key_path),
	    HS_FIELD("node_script", node_script_path),
	    HS_FIELD("service_script", service_script_path),
#undef HS_FIELD
	};
	unsigned long number;

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strcmp(key, strings[i].key) == 0)
			return hs_domain_field_copy((char *)spec + strings[i].offset,
						    strings[i].size, key, value, error, error_size);
	if (strncmp(key, "lan", 3) == 0)
		return hs_domain_spec_set_nic(spec, key, value, error, error_size);
	if (strcmp(key, "accel") == 0 && (strcmp(value, "tcg") == 0 || strcmp(value, "kvm") == 0)) {
		spec->accel_kvm = strcmp(value, "kvm") == 0;
		return 0;
	}
	if (strcmp(key, "memory_mib") == 0 || strcmp(key, "vcpus") == 0 ||
	    strcmp(key, "tb_cache_mib") == 0) {
		if (hs_domain_number_parse(key, value, 65536, &number, error, error_size) != 0)
			return -1;
		*(key[0] == 'm'	  ? &spec->memory_mib
		  : key[0] == 'v' ? &spec->vcpus
				  : &spec->tb_cache_mib) = (uint32_t)number;
		return 0;
	}
	snprintf(error, error_size, "hs_domain_spec_set: unknown key '%s' or bad value '%s'", key,
		 value);
	return -1;
}

static bool hs_domain_mac_valid(const char *mac)
{
	if (strlen(mac) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		bool colon = i % 3 == 2;

		if (colon ? mac[i] != ':' : strchr("0123456789abcdefABCDEF", mac[i]) == NULL)
			return false;
	}
	return true;
}

static int hs_domain_spec_check(const struct hs_domain_spec *spec, char *error, size_t error_size)
{
	const char *missing = NULL;

	if (spec->name[0] == '\0')
		missing = "name";
	else if (spec->kernel_path[0] == '\0')
		missing = "kernel_path";
	else if (spec->initrd_path[0] == '\0')
		missing = "initrd_path";
	else if (spec->agent_socket_path[0] == '\0')
		missing = "agent_socket_path";
	else if (spec->console_path[0] == '\0')
		missing = "console_path";
	if (missing != NULL) {
		snprintf(error, error_size, "hs_domain_xml_format: domain '%s': %s missing",
			 spec->name, missing);
		return -1;
	}
	if (spec->memory_mib < 32 || spec->vcpus < 1 || spec->vcpus > 8) {
		snprintf(
		    error, error_size,
		    "hs_domain_xml_format: domain '%s': memory %u MiB or %u vCPUs out of range",
		    spec->name, spec->memory_mib, spec->vcpus);
		return -1;
	}
	if (strcmp(spec->disk_format, "raw") != 0 && strcmp(spec->disk_format, "qcow2") != 0) {
		snprintf(error, error_size, "hs_domain_xml_format: domain '%s': disk format '%s'",
			 spec->name, spec->disk_format);
		return -1;
	}
	for (int n = 0; n < HS_DOMAIN_NICS; n++) {
		if (spec->nics[n].absent)
			continue;
		if (!hs_domain_mac_valid(spec->nics[n].mac) || spec->nics[n].local_port == 0 ||
		    spec->nics[n].remote_port == 0) {
			snprintf(
			    error, error_size,
			    "hs_domain_xml_format: domain '%s': LAN%d needs a MAC and two ports",
			    spec->name, n + 1);
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- XML */

static void hs_domain_xml_nic(struct hs_xml *xml, const struct hs_domain_spec *spec, int n,
			      bool link_up)
{
	const struct hs_domain_nic *nic = &spec->nics[n];

	hs_xml_append(xml,
		      "    <interface type='udp'>\n"
		      "      <mac address='%s'/>\n"
		      "      <source address='127.0.0.1' port='%u'>\n"
		      "        <local address='127.0.0.1' port='%u'/>\n"
		      "      </source>\n"
		      "      <model type='virtio'/>\n"
		      "      <link state='%s'/>\n"
		      "      <rom enabled='no'/>\n"
		      "      <alias name='ua-lan%d'/>\n"
		      "    </interface>\n",
		      nic->mac, nic->remote_port, nic->local_port, link_up ? "up" : "down", n + 1);
}

static void hs_domain_xml_disk(struct hs_xml *xml, const struct hs_domain_spec *spec, int d)
{
	hs_xml_append(xml,
		      "    <disk type='file' device='disk'>\n"
		      "      <driver name='qemu' type='%s'/>\n",
		      spec->disk_format);
	hs_xml_append_field(xml, "      <source file='", spec->disk_paths[d], "'/>\n");
	hs_xml_append(xml,
		      "      <target dev='vd%c' bus='virtio'/>\n"
		      "      <alias name='ua-disk%d'/>\n"
		      "    </disk>\n",
		      'a' + d, d + 1);
}

/* fw_cfg files for sim/guest/init; omitted when there are none. */
static void hs_domain_xml_fwcfg(struct hs_xml *xml, const struct hs_domain_spec *spec)
{
	if (spec->config_path[0] == '\0' && spec->key_path[0] == '\0')
		return;
	hs_xml_append(xml, "  <sysinfo type='fwcfg'>\n");
	if (spec->config_path[0] != '\0')
		hs_xml_append_field(xml, "    <entry name='opt/org.halab/hanode.conf' file='",
				    spec->config_path, "'/>\n");
	if (spec->key_path[0] != '\0')
		hs_xml_append_field(xml, "    <entry name='opt/org.halab/cluster.key' file='",
				    spec->key_path, "'/>\n");
	/* Another node implementation (vm.c, vm_adapter_scripts). */
	if (spec->node_script_path[0] != '\0')
		hs_xml_append_field(xml, "    <entry name='opt/org.halab/node.sh' file='",
				    spec->node_script_path, "'/>\n");
	if (spec->service_script_path[0] != '\0')
		hs_xml_append_field(xml, "    <entry name='opt/org.halab/service.sh' file='",
				    spec->service_script_path, "'/>\n");
	hs_xml_append(xml, "  </sysinfo>\n");
}

static void hs_domain_xml_head(struct hs_xml *xml, const struct hs_domain_spec *spec)
{
	/* libvirt's test driver only knows type 'test' on i686. */
	hs_xml_append(xml, "<domain type='%s'>\n",
		      spec->test_driver ? "test"
		      : spec->accel_kvm ? "kvm"
					: "qemu");
	hs_xml_append_field(xml, "  <name>", spec->name, "</name>\n");
	hs_xml_append(xml,
		      "  <memory unit='MiB'>%u</memory>\n"
		      "  <vcpu>%u</vcpu>\n"
		      "  <os>\n"
		      "    <type arch='%s'>hvm</type>\n",
		      spec->memory_mib, spec->vcpus,
		      spec->test_driver ? "i686" : "x86_64' machine='pc");
	hs_xml_append_field(xml, "    <kernel>", spec->kernel_path, "</kernel>\n");
	hs_xml_append_field(xml, "    <initrd>", spec->initrd_path, "</initrd>\n");
	hs_xml_append_field(xml, "    <cmdline>", spec->cmdline, "</cmdline>\n");
	hs_xml_append(xml, "  </os>\n");
	hs_domain_xml_fwcfg(xml, spec);
	/* ACPI: without it `poweroff -f` in the guest halts instead of
	 * powering off. on_poweroff destroy: a powered-off node stays off. */
	hs_xml_append(xml, "  <features>\n"
			   "    <acpi/>\n");
	/* TCG's translation cache is 1 GiB unless told, and QEMU's RSS grows
	 * with it as the guest runs new code. Measured with sim/guest/bench_vm.py
	 * (128 MiB guest, active-power-loss): QEMU RSS 254 MiB with QEMU's
	 * default, 243 with 64, 208 with 32, 189 with 16; boot to formed was
	 * the same down to 32 and 1.3 s slower at 16. */
	if (!spec->accel_kvm && !spec->test_driver && spec->tb_cache_mib > 0)
		hs_xml_append(xml,
			      "    <tcg>\n"
			      "      <tb-cache unit='MiB'>%u</tb-cache>\n"
			      "    </tcg>\n",
			      spec->tb_cache_mib);
	hs_xml_append(xml, "  </features>\n"
			   "  <on_poweroff>destroy</on_poweroff>\n"
			   "  <on_reboot>restart</on_reboot>\n"
			   "  <on_crash>destroy</on_crash>\n");
}

int hs_domain_xml_format(const struct hs_domain_spec *spec, char *text, size_t text_size,
			 char *error, size_t error_size)
{
	struct hs_xml xml = {text, text_size, 0, false};

	if (hs_domain_spec_check(spec, error, error_size) != 0)
		return -1;
	hs_domain_xml_head(&xml, spec);
	hs_xml_append(&xml, "  <devices>\n");
	for (int d = 0; d < HS_DOMAIN_DISKS; d++)
		if (spec->disk_paths[d][0] != '\0')
			hs_domain_xml_disk(&xml, spec, d);
	for (int n = 0; n < HS_DOMAIN_NICS; n++)
		if (!spec->nics[n].absent)
			hs_domain_xml_nic(&xml, spec, n, !spec->nics[n].link_down);
	/* The serial console is a pty (`hasim console` attaches to it through
	 * virDomainOpenConsole) whose output is also logged to console_path,
	 * appended across power cycles of the same run. */
	hs_xml_append(&xml, "    <serial type='pty'>\n");
	hs_xml_append_field(&xml, "      <log file='", spec->console_path, "' append='on'/>\n");
	hs_xml_append(&xml, "      <target port='0'/>\n"
			    "    </serial>\n"
			    "    <channel type='unix'>\n");
	hs_xml_append_field(&xml, "      <source mode='bind' path='", spec->agent_socket_path,
			    "'/>\n");
	hs_xml_append(&xml, "      <target type='virtio' name='" HS_DOMAIN_AGENT_PORT "'/>\n"
			    "    </channel>\n"
			    "    <controller type='usb' model='none'/>\n"
			    /* boot path (sim/guest/init): the host's entropy, so
			     * getrandom() in the guest does not wait ~1-2 s at
			     * boot for the kernel's own */
			    "    <rng model='virtio'>\n"
			    "      <backend model='random'>/dev/urandom</backend>\n"
			    "    </rng>\n"
			    "    <memballoon model='none'/>\n"
			    "  </devices>\n");
	if (!spec->session_user)
		hs_xml_append(&xml, "  <seclabel type='static' model='dac' relabel='no'>\n"
				    "    <label>+0:+0</label>\n"
				    "  </seclabel>\n");
	hs_xml_append(&xml, "</domain>\n");
	if (xml.overflow) {
		snprintf(error, error_size,
			 "hs_domain_xml_format: domain '%s': XML exceeds %zu bytes", spec->name,
			 text_size);
		return -1;
	}
	return 0;
}

int hs_domain_nic_xml_format(const struct hs_domain_spec *spec, int nic_index, bool link_up,
			     char *text, size_t text_size, char *error, size_t error_size)
{
	struct hs_xml xml = {text, text_size, 0, false};

	if (nic_index < 0 || nic_index >= HS_DOMAIN_NICS || spec->nics[nic_index].absent) {
		snprintf(error, error_size, "hs_domain_nic_xml_format: domain '%s': no NIC %d",
			 spec->name, nic_index);
		return -1;
	}
	hs_domain_xml_nic(&xml, spec, nic_index, link_up);
	if (xml.overflow) {
		snprintf(error, error_size,
			 "hs_domain_nic_xml_format: domain '%s': buffer too small", spec->name);
		return -1;
	}
	return 0;
}

int hs_domain_disk_xml_format(const struct hs_domain_spec *spec, int disk_index, char *text,
			      size_t text_size, char *error, size_t error_size)
{
	struct hs_xml xml = {text, text_size, 0, false};

	if (disk_index < 0 || disk_index >= HS_DOMAIN_DISKS ||
	    spec->disk_paths[disk_index][0] == '\0') {
		snprintf(error, error_size, "hs_domain_disk_xml_format: domain '%s': no disk %d",
			 spec->name, disk_index);
		return -1;
	}
	hs_domain_xml_disk(&xml, spec, disk_index);
	if (xml.overflow) {
		snprintf(error, error_size,
			 "hs_domain_disk_xml_format: domain '%s': buffer too small", spec->name);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ lifecycle */

/* The domain called name, or NULL with "OPERATION: domain 'NAME': why". */
static virDomainPtr hs_domain_lookup(virConnectPtr connection, const char *name,
				     const char *operation, char *error, size_t error_size)
{
	virDomainPtr domain = virDomainLookupByName(connection, name);

	if (domain == NULL)
		snprintf(error, error_size, "%s: domain '%s': %s", operation, name,
			 hs_libvirt_error_text());
	return domain;
}

int hs_domain_up(virConnectPtr connection, const struct hs_domain_spec *spec, char *error,
		 size_t error_size)
{
	char xml[HS_DOMAIN_XML_MAX]; /* not static: vm_up starts domains in parallel */
	virDomainPtr domain = NULL;
	int result = -1;

	if (hs_domain_xml_format(spec, xml, sizeof(xml), error, error_size) != 0)
		goto cleanup;
	domain = virDomainDefineXML(connection, xml);
	if (domain == NULL) {
		snprintf(error, error_size, "hs_domain_up: define '%s': %s", spec->name,
			 hs_libvirt_error_text());
		goto cleanup;
	}
	if (virDomainCreateWithFlags(domain,
				     spec->autodestroy ? VIR_DOMAIN_START_AUTODESTROY : 0) != 0) {
		snprintf(error, error_size, "hs_domain_up: start '%s': %s", spec->name,
			 hs_libvirt_error_text());
		virDomainUndefine(domain);
		goto cleanup;
	}
	result = 0;
cleanup:
	if (domain != NULL)
		virDomainFree(domain);
	return result;
}

int hs_domain_down(virConnectPtr connection, const char *name, char *error, size_t error_size)
{
	virDomainPtr domain;
	int result = -1;

	if (hs_domain_power_wait(HS_DOMAIN_POWER_WAIT_DOWN_MS) != 0) {
		snprintf(error, error_size, "hs_domain_down: '%s': power operations still running",
			 name);
		return -1;
	}
	domain = virDomainLookupByName(connection, name);
	if (domain == NULL)
		return 0; /* already gone: down is idempotent */
	if (virDomainIsActive(domain) == 1 && virDomainDestroy(domain) != 0) {
		snprintf(error, error_size, "hs_domain_down: destroy '%s': %s", name,
			 hs_libvirt_error_text());
		goto cleanup;
	}
	if (virDomainIsPersistent(domain) == 1 && virDomainUndefine(domain) != 0) {
		snprintf(error, error_size, "hs_domain_down: undefine '%s': %s", name,
			 hs_libvirt_error_text());
		goto cleanup;
	}
	result = 0;
cleanup:
	virDomainFree(domain);
	return result;
}

int hs_domain_running(virConnectPtr connection, const char *name)
{
	virDomainPtr domain = virDomainLookupByName(connection, name);
	int active;

	if (domain == NULL)
		return -1;
	active = virDomainIsActive(domain);
	virDomainFree(domain);
	return active;
}

int hs_domain_power_set(virConnectPtr connection, const char *name, bool on, char *error,
			size_t error_size)
{
	virDomainPtr domain =
	    hs_domain_lookup(connection, name, "hs_domain_power_set", error, error_size);
	int result = -1, active;

	if (domain == NULL)
		return -1;
	active = virDomainIsActive(domain);
	if (active < 0) {
		snprintf(error, error_size, "hs_domain_power_set: domain '%s': %s", name,
			 hs_libvirt_error_text());
		goto cleanup;
	}
	if (on && active == 0 && virDomainCreate(domain) != 0) {
		snprintf(error, error_size, "hs_domain_power_set: start '%s': %s", name,
			 hs_libvirt_error_text());
		goto cleanup;
	}
	if (!on && active == 1 && virDomainDestroy(domain) != 0) {
		snprintf(error, error_size, "hs_domain_power_set: destroy '%s': %s", name,
			 hs_libvirt_error_text());
		goto cleanup;
	}
	result = 0;
cleanup:
	virDomainFree(domain);
	return result;
}

static long hs_domain_now_ms(void);

/* Asynchronous power operations under way (threads). */
static atomic_int hs_domain_power_jobs;

struct hs_domain_power_job {
	virConnectPtr connection; /* a reference of our own (virConnectRef) */
	char name[HS_DOMAIN_NAME_MAX];
	bool on;
};

static void *hs_domain_power_thread(void *argument)
{
	struct hs_domain_power_job *job = argument;
	char error[512];

	if (hs_domain_power_set(job->connection, job->name, job->on, error, sizeof(error)) != 0)
		fprintf(stderr, "hs_domain_power_set_async: %s\n", error);
	virConnectClose(job->connection);
	free(job);
	atomic_fetch_sub(&hs_domain_power_jobs, 1);
	return NULL;
}

int hs_domain_power_set_async(virConnectPtr connection, const char *name, bool on, char *error,
			      size_t error_size)
{
	struct hs_domain_power_job *job = calloc(1, sizeof(*job));
	pthread_attr_t attributes;
	pthread_t thread;
	int status;

	if (job == NULL) {
		snprintf(error, error_size, "hs_domain_power_set_async: domain '%s': out of memory",
			 name);
		return -1;
	}
	snprintf(job->name, sizeof(job->name), "%s", name);
	job->on = on;
	job->connection = connection;
	virConnectRef(connection);
	atomic_fetch_add(&hs_domain_power_jobs, 1);
	pthread_attr_init(&attributes);
	pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	status = pthread_create(&thread, &attributes, hs_domain_power_thread, job);
	pthread_attr_destroy(&attributes);
	if (status != 0) {
		atomic_fetch_sub(&hs_domain_power_jobs, 1);
		virConnectClose(connection);
		free(job);
		snprintf(error, error_size, "hs_domain_power_set_async: domain '%s': thread: %s",
			 name, strerror(status));
		return -1;
	}
	return 0;
}

int hs_domain_power_wait(int timeout_ms)
{
	long deadline_ms = hs_domain_now_ms() + timeout_ms;

	while (atomic_load(&hs_domain_power_jobs) > 0) {
		struct timespec pause = {0, 10 * 1000000};

		if (hs_domain_now_ms() >= deadline_ms)
			return -1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

/* -------------------------------------------------------------- devices */

int hs_domain_nic_link_set(virConnectPtr connection, const struct hs_domain_spec *spec,
			   int nic_index, bool up, char *error, size_t error_size)
{
	char xml[1024];
	virDomainPtr domain = NULL;
	int result = -1;

	if (hs_domain_nic_xml_format(spec, nic_index, up, xml, sizeof(xml), error, error_size) != 0)
		return -1;
	domain =
	    hs_domain_lookup(connection, spec->name, "hs_domain_nic_link_set", error, error_size);
	if (domain == NULL)
		return -1;
	/* The device is matched by MAC; only <link state> differs. */
	if (virDomainUpdateDeviceFlags(domain, xml, VIR_DOMAIN_AFFECT_LIVE) != 0) {
		snprintf(error, error_size, "hs_domain_nic_link_set: domain '%s' LAN%d %s: %s",
			 spec->name, nic_index + 1, up ? "up" : "down", hs_libvirt_error_text());
		goto cleanup;
	}
	result = 0;
cleanup:
	virDomainFree(domain);
	return result;
}

int hs_domain_disk_set(virConnectPtr connection, const struct hs_domain_spec *spec, int disk_index,
		       bool present, char *error, size_t error_size)
{
	char xml[1024], alias[16];
	virDomainPtr domain = NULL;
	int result = -1, status;

	if (hs_domain_disk_xml_format(spec, disk_index, xml, sizeof(xml), error, error_size) != 0)
		return -1;
	domain = hs_domain_lookup(connection, spec->name, "hs_domain_disk_set", error, error_size);
	if (domain == NULL)
		return -1;
	/* Detach by alias: unlike virDomainDetachDeviceFlags, which waits up to
	 * seconds for the guest to let go, it only sends the unplug request, so
	 * a caller's event loop (hasim turns the fabric) is not held up. */
	snprintf(alias, sizeof(alias), "ua-disk%d", disk_index + 1);
	if (present)
		status = virDomainAttachDeviceFlags(domain, xml, VIR_DOMAIN_AFFECT_LIVE);
	else
		status = virDomainDetachDeviceAlias(domain, alias, VIR_DOMAIN_AFFECT_LIVE);
	if (status != 0) {
		snprintf(error, error_size, "hs_domain_disk_set: domain '%s' vd%c %s: %s",
			 spec->name, 'a' + disk_index, present ? "attach" : "detach",
			 hs_libvirt_error_text());
		goto cleanup;
	}
	result = 0;
cleanup:
	virDomainFree(domain);
	return result;
}

/* ---------------------------------------------------------- maintenance */

int hs_domain_gc(virConnectPtr connection, const char *prefix, char *error, size_t error_size)
{
	virDomainPtr *domains = NULL;
	int count, removed = 0;

	count = virConnectListAllDomains(connection, &domains, 0);
	if (count < 0) {
		snprintf(error, error_size, "hs_domain_gc: list domains: %s",
			 hs_libvirt_error_text());
		return -1;
	}
	for (int i = 0; i < count && i < HS_DOMAIN_GC_MAX; i++) {
		const char *name = virDomainGetName(domains[i]);

		if (name != NULL && strncmp(name, prefix, strlen(prefix)) == 0 &&
		    hs_domain_down(connection, name, error, error_size) == 0)
			removed++;
	}
	for (int i = 0; i < count; i++)
		virDomainFree(domains[i]);
	free(domains);
	return removed;
}

static long hs_domain_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Whether marker occurs in the file at path (read up to 64 KiB). */
static bool hs_domain_file_contains(const char *path, const char *marker)
{
	static char text[65536];
	FILE *file = fopen(path, "r");
	size_t length;

	if (file == NULL)
		return false;
	length = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[length] = '\0';
	return memmem(text, length, marker, strlen(marker)) != NULL;
}

int hs_domain_accel_probe(virConnectPtr connection, const struct hs_domain_spec *spec,
			  const char *marker, int timeout_ms, bool *kvm_ok, char *error,
			  size_t error_size)
{
	static struct hs_domain_spec probe;
	long deadline_ms;
	int result = -1;

	*kvm_ok = false;
	probe = *spec;
	probe.accel_kvm = true;
	if (snprintf(probe.name, sizeof(probe.name), "%.50s-probe", spec->name) < 0)
		return -1;
	/* The probe only has to reach init: no disks, no config. */
	memset(probe.disk_paths, 0, sizeof(probe.disk_paths));
	unlink(probe.console_path);
	/* libvirt refusing type 'kvm' (no usable /dev/kvm) is an answer, not
	 * a failure of the probe: the error text stays for the caller's log. */
	if (hs_domain_up(connection, &probe, error, error_size) != 0) {
		result = 0;
		goto cleanup;
	}
	deadline_ms = hs_domain_now_ms() + timeout_ms;
	while (hs_domain_now_ms() < deadline_ms && !*kvm_ok) {
		struct timespec pause = {0, 200 * 1000000};

		*kvm_ok = hs_domain_file_contains(probe.console_path, marker);
		nanosleep(&pause, NULL);
	}
	result = 0;
cleanup:
	if (hs_domain_down(connection, probe.name, error, error_size) != 0)
		result = -1;
	unlink(probe.console_path);
	return result;
}
