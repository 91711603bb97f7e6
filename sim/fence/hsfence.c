/*
 * hsfence.c - the nodes' fence_command on the native backend:
 *
 *   hsfence --socket PATH NODE
 *
 * asks the running hasim to power NODE off (its fence device, served by
 * sim/run/hardware.c) and exits 0 when it did, 1 when it did not, 2 on a
 * bad command line. It does what `hasim fence` does, but links nothing
 * but libc: hasim loads ~60 shared libraries (libvirt, libslirp, ...),
 * which took 100..360 ms per start with load 5 on 2 cores, and the fence
 * round trip is part of every fenced take-over a scenario times.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "fence_client.h"

#ifndef HALAB_VERSION
#define HALAB_VERSION "unknown"
#endif

static void usage(FILE *out)
{
	fprintf(out, "usage: hsfence --socket PATH NODE\n"
		     "    ask the running hasim listening on PATH to power NODE off (a node's\n"
		     "    fence_command on the native backend); exit 0 done, 1 refused or failed,\n"
		     "    2 bad command line\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {{"socket", required_argument, NULL, 's'},
						{"help", no_argument, NULL, 'h'},
						{"version", no_argument, NULL, 'V'},
						{NULL, 0, NULL, 0}};
	const char *socket_path = NULL;
	char error[320];
	int option;

	opterr = 0;
	while ((option = getopt_long(argc, argv, "+s:h", options, NULL)) != -1) {
		if (option == 's') {
			socket_path = optarg;
		} else if (option == 'h') {
			usage(stdout);
			return 0;
		} else if (option == 'V') {
			printf("hsfence %s\n", HALAB_VERSION);
			return 0;
		} else {
			fprintf(stderr, "hsfence: bad option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (!socket_path || optind + 1 != argc) {
		fprintf(stderr, "hsfence: %s\n",
			!socket_path ? "--socket PATH is required"
				     : "exactly one NODE is required");
		usage(stderr);
		return 2;
	}
	if (hs_fence_request(socket_path, argv[optind], error, sizeof(error)) < 0) {
		fprintf(stderr, "hsfence %s: %s\n", argv[optind], error);
		return 1;
	}
	return 0;
}
