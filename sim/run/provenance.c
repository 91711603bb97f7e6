/*
 * provenance.c - what made a run: so that a run folder alone says how to
 * make it again, and what differed when it does not come out the same.
 *
 * Into the run folder, before anything runs: scenario.yaml (the scenario
 * text as run) and topologies/<file name> (its topology text, under the
 * name a bare `topology:` reference finds, so `hasim check RUN_DIR` can
 * judge with them). Into run.json (hs_provenance_add):
 *   halab_version   the build's `git describe` (ci/version.mk)
 *   command_line    the exact command, quoted for a POSIX shell; argv too
 *   reproduce       the same without --out (a new folder), with --seed and
 *                   --backend spelled out: one line that runs the run again
 *   host            hostname, kernel (uname -r and -v), machine, cpus,
 *                   load_average [1, 5, 15 min] and wall_ms at the start
 *   hostname        the same hostname (the checker's JUnit writer reads it)
 *   t0_wall_ms      the wall clock at t0: the host's, or for a virtual run
 *                   the nodes' virtual wall clock (the same every run)
 *   builds          GNU build ids of hasim and (native) hanode and hactl;
 *                   BLAKE2b-128 of a guest's kernel and initramfs (libvirt)
 *   backend_settings name, time_scale, accel (libvirt), and what the backend
 *                   adds (backend->settings: a guest's memory and vCPUs)
 *   topology, topology_path  the topology run on (name, file), and
 *                   topology_override: the --topology that chose it, if any
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define PROVENANCE_ELF_MAX (64u << 20) /* larger binaries are not read */

/* ----------------------------------------------------------- the inputs */

static int provenance_copy(const char *from, const char *to, char *error, size_t error_size)
{
	char buffer[8192];
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	size_t got;
	int result = 0;

	while (out && (got = fread(buffer, 1, sizeof(buffer), in)) > 0)
		if (fwrite(buffer, 1, got, out) != got)
			result = -1;
	if (!in || !out || ferror(in))
		result = -1;
	if (out && fclose(out) != 0)
		result = -1;
	if (in)
		fclose(in);
	if (result < 0)
		snprintf(error, error_size, "hs_provenance_copy_inputs: %s -> %s: %s", from, to,
			 strerror(errno));
	return result;
}

int hs_provenance_copy_inputs(struct hs_run *run, char *error, size_t error_size)
{
	const char *topology = run->scenario.topology_path, *base = strrchr(topology, '/');
	char path[1024];

	snprintf(path, sizeof(path), "%s/scenario.yaml", run->run_dir);
	if (provenance_copy(run->scenario.path, path, error, error_size) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/topologies", run->run_dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		snprintf(error, error_size, "hs_provenance_copy_inputs: mkdir %s: %s", path,
			 strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/topologies/%s", run->run_dir, base ? base + 1 : topology);
	return provenance_copy(topology, path, error, error_size);
}

/* ------------------------------------------------------------ the builds */

/* The GNU build id of an ELF64 file as hex, or "" (not ELF, none, too big). */
static void provenance_build_id(const char *path, char *hex, size_t hex_size)
{
	struct stat status;
	unsigned char *image = NULL;
	const Elf64_Ehdr *header;
	FILE *file = fopen(path, "rb");

	hex[0] = '\0';
	if (!file || fstat(fileno(file), &status) < 0 ||
	    status.st_size < (off_t)sizeof(Elf64_Ehdr) ||
	    status.st_size > (off_t)PROVENANCE_ELF_MAX)
		goto cleanup;
	image = malloc((size_t)status.st_size);
	if (!image || fread(image, 1, (size_t)status.st_size, file) != (size_t)status.st_size)
		goto cleanup;
	header = (const Elf64_Ehdr *)image;
	if (memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 ||
	    header->e_ident[EI_CLASS] != ELFCLASS64 ||
	    header->e_phoff + (uint64_t)header->e_phnum * sizeof(Elf64_Phdr) >
		(uint64_t)status.st_size)
		goto cleanup;
	for (int i = 0; i < header->e_phnum; i++) {
		const Elf64_Phdr *segment = (const Elf64_Phdr *)(image + header->e_phoff) + i;
		uint64_t at = segment->p_offset, end = segment->p_offset + segment->p_filesz;
		if (segment->p_type != PT_NOTE || end > (uint64_t)status.st_size)
			continue;
		while (at + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *note = (const Elf64_Nhdr *)(image + at);
			uint64_t name_at = at + sizeof(*note),
				 desc_at = name_at + ((note->n_namesz + 3) & ~3u);
			if (desc_at + note->n_descsz > end)
				break;
			if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
			    memcmp(image + name_at, "GNU", 4) == 0) {
				for (uint32_t b = 0; b < note->n_descsz && 2 * b + 2 < hex_size;
				     b++)
					snprintf(hex + 2 * b, 3, "%02x", image[desc_at + b]);
				goto cleanup;
			}
			at = desc_at + ((note->n_descsz + 3) & ~3u);
		}
	}
cleanup:
	free(image);
	if (file)
		fclose(file);
}

/* BLAKE2b-128 of a file as hex, or "" if it cannot be read. */
static void provenance_file_hash(const char *path, char *hex, size_t hex_size)
{
	unsigned char buffer[65536], digest[16];
	crypto_generichash_state state;
	FILE *file = fopen(path, "rb");
	size_t got;

	hex[0] = '\0';
	if (!file)
		return;
	crypto_generichash_init(&state, NULL, 0, sizeof(digest));
	while ((got = fread(buffer, 1, sizeof(buffer), file)) > 0)
		crypto_generichash_update(&state, buffer, got);
	crypto_generichash_final(&state, digest, sizeof(digest));
	if (!ferror(file))
		sodium_bin2hex(hex, hex_size, digest, sizeof(digest));
	fclose(file);
}

static void provenance_builds(const struct hs_run *run, json_t *builds)
{
	char path[1200], hex[2 * 64 + 1];
	const char *build = getenv("HALAB_BUILD") ? getenv("HALAB_BUILD") : "build";
	static const char *const guest_files[][2] = {{"guest_kernel", "vmlinuz"},
						     {"guest_initramfs", "initramfs.cpio.gz"}};

	provenance_build_id(run->self_path, hex, sizeof(hex));
	json_object_set_new(builds, "hasim", json_string(hex));
	if (strcmp(run->backend->name, "native") == 0)
		for (int i = 0; i < 2; i++) {
			const char *program = i ? "hactl" : "hanode";
			snprintf(path, sizeof(path), "%s/%s", run->bin_dir, program);
			provenance_build_id(path, hex, sizeof(hex));
			json_object_set_new(builds, program, json_string(hex));
		}
	if (strcmp(run->backend->name, "libvirt") == 0)
		for (size_t i = 0; i < sizeof(guest_files) / sizeof(guest_files[0]); i++) {
			snprintf(path, sizeof(path), "%s/guest/%s", build, guest_files[i][1]);
			provenance_file_hash(path, hex, sizeof(hex));
			json_object_set_new(builds, guest_files[i][0], json_string(hex));
		}
}

/* -------------------------------------------------------------- the host */

static void provenance_host(struct hs_run *run)
{
	struct utsname names;
	struct timespec now;
	FILE *load = fopen("/proc/loadavg", "r");

	if (gethostname(run->host.hostname, sizeof(run->host.hostname)) != 0)
		snprintf(run->host.hostname, sizeof(run->host.hostname), "localhost");
	run->host.hostname[sizeof(run->host.hostname) - 1] = '\0';
	if (uname(&names) == 0) {
		snprintf(run->host.kernel, sizeof(run->host.kernel), "%s %s %s", names.sysname,
			 names.release, names.version);
		snprintf(run->host.machine, sizeof(run->host.machine), "%s", names.machine);
	}
	run->host.cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (!load || fscanf(load, "%lf %lf %lf", &run->host.load[0], &run->host.load[1],
			    &run->host.load[2]) != 3)
		run->host.load[0] = run->host.load[1] = run->host.load[2] = -1;
	if (load)
		fclose(load);
	clock_gettime(CLOCK_REALTIME, &now);
	run->host.wall_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* At "up": the host as it was, and the wall clock of t0. */
void hs_provenance_start(struct hs_run *run)
{
	provenance_host(run);
	run->t0_wall_ms = hs_run_virtual(run) ? HS_VIRTUAL_WALL_AT_T0_MS : run->host.wall_ms;
}

/* ----------------------------------------------------------- run.json */

static json_t *provenance_host_json(const struct hs_run *run)
{
	json_t *host = json_object(), *load = json_array();

	json_object_set_new(host, "hostname", json_string(run->host.hostname));
	json_object_set_new(host, "kernel", json_string(run->host.kernel));
	json_object_set_new(host, "machine", json_string(run->host.machine));
	json_object_set_new(host, "cpus", json_integer(run->host.cpus));
	for (int i = 0; i < 3; i++)
		json_array_append_new(load, run->host.load[i] >= 0 ? json_real(run->host.load[i])
								   : json_null());
	json_object_set_new(host, "load_average", load);
	json_object_set_new(host, "wall_ms", json_integer(run->host.wall_ms));
	return host;
}

static json_t *provenance_settings(const struct hs_run *run)
{
	json_t *settings = json_object(), *more = NULL;

	json_object_set_new(settings, "name", json_string(run->backend->name));
	json_object_set_new(settings, "time_scale", json_real(run->backend->time_scale));
	if (strcmp(run->backend->name, "libvirt") == 0)
		json_object_set_new(settings, "accel", json_string(run->accel));
	if (run->backend_settings[0])
		more = json_loads(run->backend_settings, 0, NULL);
	if (json_is_object(more))
		json_object_update(settings, more);
	json_decref(more);
	return settings;
}

void hs_provenance_add(const struct hs_run *run, json_t *summary)
{
	json_t *argv = json_array(), *builds = json_object();

	json_object_set_new(summary, "halab_version", json_string(run->halab_version));
	for (int i = 0; i < run->argc; i++)
		json_array_append_new(argv, json_string(run->argv[i]));
	json_object_set_new(summary, "argv", argv);
	json_object_set_new(summary, "command_line", json_string(run->command_line));
	json_object_set_new(summary, "reproduce", json_string(run->reproduce));
	json_object_set_new(summary, "host", provenance_host_json(run));
	json_object_set_new(summary, "hostname", json_string(run->host.hostname));
	json_object_set_new(summary, "t0_wall_ms", json_integer(run->t0_wall_ms));
	provenance_builds(run, builds);
	json_object_set_new(summary, "builds", builds);
	json_object_set_new(summary, "backend_settings", provenance_settings(run));
	json_object_set_new(summary, "topology", json_string(run->scenario.topology.name));
	json_object_set_new(summary, "topology_path", json_string(run->scenario.topology_path));
	if (run->scenario.topology_override[0])
		json_object_set_new(summary, "topology_override",
				    json_string(run->scenario.topology_override));
}

/* ------------------------------------------------------- command lines */

/* word quoted for a POSIX shell when it needs it. */
static void provenance_quote(const char *word, char *out, size_t size)
{
	size_t used = 0;
	bool plain = word[0] != '\0';

	for (const char *c = word; *c && plain; c++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "@%+=:,./-_",
			       *c) != NULL;
	if (plain) {
		snprintf(out, size, "%s", word);
		return;
	}
	out[used++] = '\'';
	for (const char *c = word; *c && used + 5 < size; c++) {
		if (*c == '\'') {
			memcpy(out + used, "'\\''", 4);
			used += 4;
		} else {
			out[used++] = *c;
		}
	}
	out[used++] = '\'';
	out[used] = '\0';
}

static void provenance_append(char *line, size_t size, const char *word)
{
	char quoted[1100];
	size_t used = strlen(line);

	provenance_quote(word, quoted, sizeof(quoted));
	snprintf(line + used, size > used ? size - used : 0, "%s%s", used ? " " : "", quoted);
}

/* The command as given, and how to run it again: without --out (a new
 * folder), with --seed and --backend spelled out. */
void hs_provenance_command(struct hs_run *run, int argc, char **argv)
{
	char seed[32];

	run->argc = argc < HS_RUN_ARGV_MAX ? argc : HS_RUN_ARGV_MAX;
	run->command_line[0] = run->reproduce[0] = '\0';
	for (int i = 0; i < run->argc; i++) {
		run->argv[i] = argv[i];
		provenance_append(run->command_line, sizeof(run->command_line), argv[i]);
	}
	for (int i = 0; i < run->argc; i++) {
		const char *word = argv[i];
		bool with_value = strcmp(word, "--out") == 0 || strcmp(word, "-o") == 0 ||
				  strcmp(word, "--seed") == 0 || strcmp(word, "-s") == 0 ||
				  strcmp(word, "--backend") == 0 || strcmp(word, "-b") == 0;
		if (with_value) {
			i++;
			continue;
		}
		if (strncmp(word, "--out=", 6) == 0 || strncmp(word, "--seed=", 7) == 0 ||
		    strncmp(word, "--backend=", 10) == 0)
			continue;
		provenance_append(run->reproduce, sizeof(run->reproduce), word);
	}
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)run->seed);
	provenance_append(run->reproduce, sizeof(run->reproduce), "--seed");
	provenance_append(run->reproduce, sizeof(run->reproduce), seed);
	provenance_append(run->reproduce, sizeof(run->reproduce), "--backend");
	provenance_append(run->reproduce, sizeof(run->reproduce), run->backend->name);
}
