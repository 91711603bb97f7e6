/*
 * config_file.c - hanode's configuration from its files (see config.h):
 * read the file named by -c (bounded by HN_CONFIG_TEXT_MAX), parse it with
 * the pure parser (config.c), then the cluster overlay
 * <data_dir>/cluster.conf if `hactl join` wrote one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Reads path into a new buffer (*text, *length); 1 if read, 0 if it does
 * not exist and may be missing, -1 with a "PATH:0: ..." error. */
static int hn_config_file_read(const char *path, bool may_be_missing, char **text, size_t *length,
			       char *error, size_t error_size)
{
	*text = NULL;
	*length = 0;
	FILE *file = fopen(path, "rb");
	if (!file && may_be_missing && errno == ENOENT)
		return 0;
	char *buffer = malloc(HN_CONFIG_TEXT_MAX + 1);
	if (!file || !buffer) {
		snprintf(error, error_size, "%s:0: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	size_t got = fread(buffer, 1, HN_CONFIG_TEXT_MAX + 1, file);
	if (ferror(file)) {
		snprintf(error, error_size, "%s:0: cannot read: %s", path, strerror(errno));
		goto fail;
	}
	if (got > HN_CONFIG_TEXT_MAX) {
		snprintf(error, error_size, "%s:0: longer than %d bytes: not a configuration file",
			 path, HN_CONFIG_TEXT_MAX);
		goto fail;
	}
	fclose(file);
	*text = buffer;
	*length = got;
	return 1;
fail:
	if (file)
		fclose(file);
	free(buffer);
	return -1;
}

int hn_daemon_config_load(struct hn_daemon_config *config, const char *path, char *error,
			  size_t error_size)
{
	char *text = NULL, overlay[HN_CONFIG_PATH_MAX + 16];
	size_t length = 0;
	int result = -1;
	if (hn_config_file_read(path, false, &text, &length, error, error_size) < 0 ||
	    hn_daemon_config_parse_text(config, path, text, length, error, error_size) != 0)
		goto cleanup;
	free(text);
	snprintf(overlay, sizeof(overlay), "%s/cluster.conf", config->data_dir);
	int found = hn_config_file_read(overlay, true, &text, &length, error, error_size);
	if (found < 0 || (found == 1 && hn_daemon_config_overlay_text(config, overlay, text, length,
								      error, error_size) != 0))
		goto cleanup;
	result = 0;
cleanup:
	free(text);
	return result;
}
