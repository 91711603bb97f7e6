/*
 * search.c - the topology search path: where a bare `topology: NAME` (or
 * `--topology NAME`) is looked up after the scenario's own
 * folder/../topologies (scenario.c). In order: every --topology-dir given
 * (each may hold several folders separated by ':'), then the folders of
 * $HALAB_TOPOLOGY_PATH, then halab's shipped topologies (the folder
 * `topologies` of the source tree this hasim was built in: the executable
 * is <tree>/build/bin/hasim, or <tree>/build/asan/bin/hasim for a variant). The current folder is
 * not searched: a vendor's scenarios find their topologies wherever hasim runs from.
 */
#include "model.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hs_search_path_add(char *path, size_t size, const char *folders)
{
	size_t used = strlen(path);

	if (!folders || !folders[0] || used + 1 >= size)
		return;
	snprintf(path + used, size - used, "%s%s", used ? ":" : "", folders);
}

int hs_source_tree(char *out, size_t size)
{
	char self[PATH_MAX], candidate[PATH_MAX + 32];
	ssize_t got = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct stat info;
	char *build = NULL;

	out[0] = '\0';
	if (got <= 0)
		return -1;
	self[got] = '\0';
	/* The last "/build/": build/bin/hasim and build/asan/bin/hasim alike. */
	for (char *at = strstr(self, "/build/"); at; at = strstr(at + 1, "/build/"))
		build = at;
	if (!build)
		return -1;
	*build = '\0';
	snprintf(candidate, sizeof(candidate), "%s/topologies", self);
	if (stat(candidate, &info) != 0 || !S_ISDIR(info.st_mode))
		return -1;
	snprintf(out, size, "%s", self);
	return 0;
}

/* <tree>/topologies of the tree this executable was built in. */
static void shipped_folder(char *out, size_t size)
{
	char tree[PATH_MAX];

	out[0] = '\0';
	if (hs_source_tree(tree, sizeof(tree)) == 0)
		snprintf(out, size, "%s/topologies", tree);
}

void hs_search_path_defaults(char *path, size_t size)
{
	char shipped[PATH_MAX];

	hs_search_path_add(path, size, getenv("HALAB_TOPOLOGY_PATH"));
	shipped_folder(shipped, sizeof(shipped));
	hs_search_path_add(path, size, shipped);
}
