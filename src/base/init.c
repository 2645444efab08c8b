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
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ksync/debug_locks.h>
#include "spin_clock.h"
#include "cpu.h"
#include "irq_internal.h"
#include "ksync_internal.h"
#include "report.h"

KSYNC_API unsigned int ksync_debug_flags;
KSYNC_API int ksync_debug_locks = 1;

int ksync_lockup_ms = 1000;
int ksync_no_membarrier;
static int keep_going;
static int init_state;		/* 0 not yet, 1 running, 2 done */

/*
 * The switches, read once at start-up.  Each value that cannot be used
 * gets one line on stderr naming the variable, what it accepts and what
 * is done instead: a typo must not silently turn a check on or off.
 */

/* An on/off switch: "1" on; "0", empty or unset off; anything else off, said. */
static int env_switch(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v || !strcmp(v, "0"))
		return 0;
	if (!strcmp(v, "1"))
		return 1;
	ksync_env_warn("%s=%s: expected 0 or 1; taken as 0 (off)\n", name, v);
	return 0;
}

#define LOCKUP_MS_MAX	3600000		/* an hour */

/* A whole number of milliseconds, 1 to an hour; else the default, said. */
static void read_lockup_ms(void)
{
	const char *v = getenv("KSYNC_LOCKUP_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (*v && !*end && !errno && ms >= 1 && ms <= LOCKUP_MS_MAX) {
		ksync_lockup_ms = (int)ms;
		return;
	}
	ksync_env_warn("KSYNC_LOCKUP_MS=%s: expected a whole number of milliseconds "
		       "from 1 to %d; using %d\n", v, LOCKUP_MS_MAX, ksync_lockup_ms);
}

/* Reports to a file, appended; if it cannot be opened, say so: stderr. */
static void open_log(void)
{
	const char *v = getenv("KSYNC_LOG");
	int fd;

	if (!v || !*v)
		return;
	fd = open(v, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		ksync_env_warn("KSYNC_LOG=%s: cannot open it for writing (%s); "
			       "reports go to stderr\n", v, strerror(errno));
		return;
	}
	ksync_report_fd = fd;
}

static void read_environment(void)
{
	unsigned int flags = 0;
	const char *v;

	if (env_switch("KSYNC_DEBUG"))
		flags |= KSYNC_DEBUG_CHECKS;
	if (env_switch("KSYNC_LOCKDEP"))
		flags |= KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_CHECKS;
	if (env_switch("KSYNC_LOCK_STAT"))
		flags |= KSYNC_DEBUG_STAT;
	v = getenv("KSYNC_LOCK_STAT_FILE");
	if (v && *v && !(flags & KSYNC_DEBUG_STAT))
		ksync_env_warn("KSYNC_LOCK_STAT_FILE=%s: no statistics without "
			       "KSYNC_LOCK_STAT=1; nothing will be written\n", v);
	/* The graph exists only while lockdep builds it. */
	v = getenv("KSYNC_LOCKDEP_DOT");
	if (v && *v)
		flags |= KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_CHECKS;
	keep_going = env_switch("KSYNC_KEEP_GOING");
	ksync_no_membarrier = env_switch("KSYNC_NO_MEMBARRIER");
	read_lockup_ms();
	open_log();
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
	ksync_spin_clock_init();
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
