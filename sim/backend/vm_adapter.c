/*
 * vm_adapter.c - another node implementation than hanode on guests (the
 * libvirt backend with `--node NAME` whose adapter lists `libvirt`).
 *
 * The guest is the same busybox initramfs with the adapter's layer over it
 * (build/guest/nodes/<name>/initramfs.cpio.gz: the node's programs and their
 * shared libraries, `make guest-<name>`, nodes/tools/build-guest-layer.sh).
 * The adapter's files, rendered with the guest's paths (adapter_plan.c),
 * travel by fw_cfg in one script, node.sh: it writes them into
 * /etc/halab/node and execs the adapter's start command; hnagent runs it
 * instead of hanode (-e), so the agent's START, KILL, STOP and the cluster
 * log stream work as for hanode. service.sh (the adapter's service) is
 * started once at boot by init. Admin requests run the adapter's commands
 * through the agent's SH request.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define VM_ADAPTER_MEMORY_MIN_MIB 256

/* A here-document of text, under a delimiter the text does not hold. */
static void script_file(FILE *out, const char *path, const char *text, bool executable)
{
	const char *delimiter =
	    strstr(text, "HALAB_NODE_FILE_END") ? "HALAB_NODE_FILE_END_2" : "HALAB_NODE_FILE_END";

	fprintf(out, "cat > %s <<'%s'\n%s%s%s\n", path, delimiter, text,
		text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "", delimiter);
	if (executable)
		fprintf(out, "chmod 755 %s\n", path);
}

static int script_write(const char *path, const char *text, char *error, size_t error_size)
{
	FILE *out = fopen(path, "w");

	if (!out || fputs(text, out) < 0) {
		snprintf(error, error_size, "vm_adapter: %s: %s", path, strerror(errno));
		if (out)
			fclose(out);
		return -1;
	}
	return fclose(out) == 0 ? 0 : -1;
}

/* node.sh: the adapter's rendered files (written by adapter_plan.c into the
 * node's state folder on the host), then `exec` of its start command. */
static int node_script(struct hs_run *run, struct hs_node_runtime *node, const char *path,
		       char *error, size_t error_size)
{
	static char text[HS_ADAPTER_TEXT_MAX], start[HS_ADAPTER_COMMAND_MAX * 2];
	char file_path[HS_PATH_MAX * 2];
	FILE *out = fopen(path, "w");

	if (!out) {
		snprintf(error, error_size, "vm_adapter: %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(out,
		"#!/bin/sh\n# node.sh for %s of run %s: adapter %s (profile %s)\n"
		"mkdir -p /etc/halab/node /data/node\n",
		node->model->name, run->run_id, run->adapter.name,
		run->adapter.profile ? run->adapter.profile->name : "none");
	for (uint32_t i = 0; i < run->adapter.file_count; i++) {
		const struct hs_adapter_file *file = &run->adapter.files[i];
		FILE *in;
		size_t length;

		snprintf(file_path, sizeof(file_path), "%s/%s/%s", run->state_dir,
			 node->model->name, file->name);
		in = fopen(file_path, "r");
		length = in ? fread(text, 1, sizeof(text) - 1, in) : 0;
		if (in)
			fclose(in);
		if (!in) {
			snprintf(error, error_size, "vm_adapter: %s: %s", file_path,
				 strerror(errno));
			fclose(out);
			return -1;
		}
		text[length] = '\0';
		snprintf(file_path, sizeof(file_path), "/etc/halab/node/%s", file->name);
		script_file(out, file_path, text, file->executable);
	}
	if (hs_adapter_render(run, node, "start", run->adapter.start, start, sizeof(start), error,
			      error_size) < 0) {
		fclose(out);
		return -1;
	}
	fprintf(out, "cd /etc/halab/node\n%s\n", start);
	return fclose(out) == 0 ? 0 : -1;
}

int vm_adapter_spec(struct hs_run *run, struct hs_node_runtime *node, struct hs_domain_spec *spec,
		    const char *build, char *error, size_t error_size)
{
	char path[PATH_MAX], real[PATH_MAX], service[HS_ADAPTER_COMMAND_MAX * 2],
	    script[HS_ADAPTER_COMMAND_MAX * 2 + 16];

	if (!run->adapter.name[0])
		return 0; /* hanode: the guest's own */
	snprintf(path, sizeof(path), "%s/guest/nodes/%s/initramfs.cpio.gz", build,
		 run->adapter.name);
	if (!realpath(path, real)) {
		snprintf(error, error_size,
			 "libvirt backend: no guest image for adapter %s: %s (run `make guest-%s`)",
			 run->adapter.name, path, run->adapter.name);
		return -1;
	}
	snprintf(spec->initrd_path, sizeof(spec->initrd_path), "%s", real);
	/* The layer unpacks into the guest's RAM (keepalived's: ~37 MB with the
	 * base; the kernel failed to unpack it in 128 MiB: "Initramfs
	 * unpacking failed: write error"). */
	if (spec->memory_mib < VM_ADAPTER_MEMORY_MIN_MIB)
		spec->memory_mib = VM_ADAPTER_MEMORY_MIN_MIB;
	snprintf(spec->node_script_path, sizeof(spec->node_script_path), "%s/%s/node.sh",
		 run->state_dir, node->model->name);
	if (node_script(run, node, spec->node_script_path, error, error_size) < 0)
		return -1;
	if (!run->adapter.service[0])
		return 0;
	snprintf(spec->service_script_path, sizeof(spec->service_script_path), "%s/%s/service.sh",
		 run->state_dir, node->model->name);
	if (hs_adapter_render(run, node, "service", run->adapter.service, service, sizeof(service),
			      error, error_size) < 0)
		return -1;
	snprintf(script, sizeof(script), "#!/bin/sh\n%s\n", service);
	return script_write(spec->service_script_path, script, error, error_size);
}

int vm_adapter_request(struct hs_run *run, const char *request, char *line, size_t size,
		       struct hs_node_runtime *node, char *error, size_t error_size)
{
	static char command[HS_ADAPTER_COMMAND_MAX * 2];
	const struct hs_adapter_admin *admin = hs_adapter_admin_find(&run->adapter, request);

	if (!admin) {
		snprintf(error, error_size, "node adapter %s has no admin command for '%s' (%s)",
			 run->adapter.name, request, run->adapter.path);
		return -1;
	}
	if (hs_adapter_render(run, node, request, admin->command, command, sizeof(command), error,
			      error_size) < 0)
		return -1;
	if (strlen(command) + 4 >= size || strchr(command, '\n')) {
		snprintf(error, error_size,
			 "node adapter %s: admin command for '%s' is longer than one line of %zu",
			 run->adapter.name, request, size);
		return -1;
	}
	snprintf(line, size, "SH %s", command);
	return 0;
}
