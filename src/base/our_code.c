// SPDX-License-Identifier: MIT
/*
 * Which code is ksync's own: libksync, and the libraries registered with
 * ksync_interposer_register() that call it on a program's behalf.  A
 * backtrace (a report's, or one lockdep saves) starts at the first frame
 * outside it.  With the static library ksync's frames cannot be told from
 * the program's, and none is skipped.  Lock-free where glibc allows
 * (_dl_find_object, 2.35): lockdep saves traces inside lock calls.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/auxv.h>

#include <ksync/interpose.h>
#include "report.h"

/* The start of the object addr is in; lock-free from glibc 2.35. */
static bool object_of(uintptr_t addr, uintptr_t *start)
{
#ifdef DLFO_EH_SEGMENT_TYPE
	struct dl_find_object o;

	if (_dl_find_object((void *)addr, &o) != 0)
		return false;
	*start = (uintptr_t)o.dlfo_map_start;
	return true;
#else
	Dl_info info;	/* before glibc 2.35: the loader's lock, alas */

	if (!dladdr((void *)addr, &info))
		return false;
	*start = (uintptr_t)info.dli_fbase;
	return true;
#endif
}

#define MAX_INTERPOSERS	4
static uintptr_t interposers[MAX_INTERPOSERS];

KSYNC_API int ksync_interposer_register(const void *code)
{
	uintptr_t start;

	if (!object_of((uintptr_t)code, &start))
		return -EINVAL;
	for (int i = 0; i < MAX_INTERPOSERS; i++) {
		uintptr_t expect = 0;

		/* Relaxed: a plain address, read by reports on any thread. */
		if (__atomic_compare_exchange_n(&interposers[i], &expect, start, 0,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED) ||
		    expect == start)
			return 0;
	}
	return -ENOSPC;
}

/*
 * libksync's start, or 1 when it cannot be told from the program's (the
 * static library).  A race only computes it twice.
 */
static uintptr_t libksync_start(void)
{
	static uintptr_t start;
	uintptr_t mine = __atomic_load_n(&start, __ATOMIC_RELAXED), prog;

	if (mine)
		return mine;
	if (!object_of((uintptr_t)libksync_start, &mine) ||
	    !object_of((uintptr_t)getauxval(AT_PHDR), &prog) || mine == prog)
		mine = 1;
	__atomic_store_n(&start, mine, __ATOMIC_RELAXED);
	return mine;
}

bool ksync_code_is_ours(uintptr_t ip)
{
	uintptr_t mine = libksync_start(), start;

	if (mine == 1 || !object_of(ip, &start))
		return false;
	if (start == mine)
		return true;
	for (int i = 0; i < MAX_INTERPOSERS; i++)
		if (__atomic_load_n(&interposers[i], __ATOMIC_RELAXED) == start)
			return true;
	return false;
}
