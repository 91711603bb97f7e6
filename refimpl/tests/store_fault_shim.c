/*
 * store_fault_shim.c - the test hook of hanode's countdown fault injection
 * (refimpl/tests/test_hanode_faults.py), loaded with LD_PRELOAD: with
 * HN_TEST_FAIL_STORE_SYNC_AT=N in the environment, the Nth fdatasync() of a
 * file named store.log (the append of one store write, persist.c) fails
 * with EIO, once; every other call goes to the C library. hanode then cuts
 * the record it wrote off again and reports the failed write to its core.
 * Built by the test (cc -shared -fPIC ... -ldl); not part of hanode.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int shim_is_store_log(int fd)
{
	char link[64], path[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t length = readlink(link, path, sizeof(path) - 1);
	if (length <= 0)
		return 0;
	path[length] = '\0';
	size_t suffix = strlen("/store.log");
	return (size_t)length >= suffix && strcmp(path + length - suffix, "/store.log") == 0;
}

int fdatasync(int fd)
{
	static int (*real)(int);
	static long calls;
	const char *at = getenv("HN_TEST_FAIL_STORE_SYNC_AT");
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (at && shim_is_store_log(fd) && ++calls == atol(at)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}
