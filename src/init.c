// SPDX-License-Identifier: MIT
/*
 * Start-up: read the environment switches, register with the kernel
 * services we use, install fork handlers.
 *
 * A constructor runs this before main() in a dynamically linked program.
 * With the static library the order of constructors is less certain, so
 * the slow paths call ksync_init_once() too; every step is idempotent.
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ksync/debug_locks.h>
#include "cpu.h"
#include "irq_internal.h"
#include "ksync_internal.h"
#include "report.h"

KSYNC_API unsigned int ksync_debug_flags;
KSYNC_API int ksync_debug_locks = 1;

int ksync_lockup_ms = 1000;
static int keep_going;
static int init_state;		/* 0 not yet, 1 running, 2 done */

static int env_on(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

static void read_environment(void)
{
	unsigned int flags = 0;
	const char *v;

	if (env_on("KSYNC_DEBUG"))
		flags |= KSYNC_DEBUG_CHECKS;
	if (env_on("KSYNC_LOCKDEP"))
		flags |= KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_CHECKS;
	if (env_on("KSYNC_LOCK_STAT"))
		flags |= KSYNC_DEBUG_STAT;
	/* The graph exists only while lockdep builds it. */
	v = getenv("KSYNC_LOCKDEP_DOT");
	if (v && *v)
		flags |= KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_CHECKS;
	keep_going = env_on("KSYNC_KEEP_GOING");
	v = getenv("KSYNC_LOCKUP_MS");
	if (v && atoi(v) > 0)
		ksync_lockup_ms = atoi(v);
	v = getenv("KSYNC_LOG");
	if (v && *v) {
		int fd = open(v, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0)
			ksync_report_fd = fd;
	}
	__atomic_store_n(&ksync_debug_flags, flags, __ATOMIC_RELAXED);
}

/* Lockdep's graph lock nests outside the report lock: take them in order. */
static void fork_prepare(void)
{
	ksync_lockdep_fork_prepare();
	ksync_report_lock();
}

static void fork_parent(void)
{
	ksync_report_unlock();
	ksync_lockdep_fork_parent();
}

static void fork_child(void)
{
	ksync_cpu_fork_child();
	ksync_pv_fork_child();
	ksync_report_unlock();
	ksync_lockdep_fork_child();
}

void ksync_init_once(void)
{
	int expect = 0;

	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (!__atomic_compare_exchange_n(&init_state, &expect, 1, 0,
					 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		/* Another thread is initialising; it finishes quickly. */
		while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2)
			;
		return;
	}
	read_environment();
	ksync_cpu_init();
	ksync_pv_init();
	ksync_softirq_init();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void ksync_constructor(void)
{
	ksync_init_once();
	if (ksync_debug_flags) {
		/*
		 * backtrace() dlopen()s libgcc_s on first use: not in a report.
		 * Here, not in ksync_init_once(), which a lock call may run
		 * first - from inside a memory allocator that takes pthread
		 * locks (jemalloc), which dlopen()'s malloc() would re-enter.
		 */
		void *frame;

		backtrace(&frame, 1);
	}
}

KSYNC_API int ksync_debug_locks_off(void)
{
	if (keep_going)
		return __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED);
	return __atomic_exchange_n(&ksync_debug_locks, 0, __ATOMIC_RELAXED);
}

const struct ksync_site *ksync_site_resolve(const struct ksync_site *site)
{
	const struct ksync_site *g;

	if (!site || site->expr[0] != '_' || site->expr[1] != 'T' ||
	    (site->expr[2] != '\0' && site->expr[2] != '-'))
		return site;
	g = __atomic_load_n(&ksync_tls.guard_site, __ATOMIC_RELAXED);
	return g ? g : site;
}
