// SPDX-License-Identifier: MIT
/*
 * The "spinlock" section: ksync's spinlock_t and raw_spinlock_t beside the
 * spinlocks and mutexes a program would otherwise use, and beside the
 * least any lock can do (the ideal floor).
 */
#define _GNU_SOURCE
#include <pthread.h>

#include <ksync/spinlock.h>
#ifdef KSYNC_HAVE_CK
#include <ck_spinlock.h>
#endif

#include "bench_loops.h"

BENCH_LOCK_DEFINE(spinlock, "spinlock_t", spinlock_t, bench_noctx_t,
		  spin_lock_init(lock), spin_lock(lock), spin_unlock(lock),
		  (void)0);

/* Same lock, compiled without the debug-flag test: bench_nodebug.c. */
BENCH_LOCK_DECLARE(spinlock_nodebug);

BENCH_LOCK_DEFINE(raw_spinlock, "raw_spinlock_t", raw_spinlock_t, bench_noctx_t,
		  raw_spin_lock_init(lock), raw_spin_lock(lock),
		  raw_spin_unlock(lock), (void)0);

BENCH_LOCK_DEFINE(pthread_spin, "pthread_spinlock_t", pthread_spinlock_t,
		  bench_noctx_t,
		  pthread_spin_init(lock, PTHREAD_PROCESS_PRIVATE),
		  pthread_spin_lock(lock), pthread_spin_unlock(lock),
		  pthread_spin_destroy(lock));

/* glibc's mutexes, shared with the mutex section: locks_pthread.c. */
BENCH_LOCK_DECLARE(pthread_mutex);
BENCH_LOCK_DECLARE(pthread_adaptive);

#ifdef KSYNC_HAVE_CK
BENCH_LOCK_DEFINE(ck_ticket, "ck_spinlock_ticket", ck_spinlock_ticket_t,
		  bench_noctx_t,
		  ck_spinlock_ticket_init(lock),
		  (ck_spinlock_ticket_lock(lock), bench_tsan_acquire(lock)),
		  (bench_tsan_release(lock), ck_spinlock_ticket_unlock(lock)),
		  (void)0);

/* The MCS queue node lives on the waiting thread's stack: its context. */
BENCH_LOCK_DEFINE(ck_mcs, "ck_spinlock_mcs", ck_spinlock_mcs_t,
		  ck_spinlock_mcs_context_t,
		  ck_spinlock_mcs_init(lock),
		  (ck_spinlock_mcs_lock(lock, ctx), bench_tsan_acquire(lock)),
		  (bench_tsan_release(lock), ck_spinlock_mcs_unlock(lock, ctx)),
		  (void)0);
#endif

/*
 * The ideal floor: what a lock must do at the least.  One compare-and-swap
 * with acquire to take it, one release store to drop it.  While it is
 * taken, waiters only read (and pause), so they do not steal the line
 * from the holder with failed compare-and-swaps.
 */
static __always_inline void ideal_lock(uint32_t *word)
{
	for (;;) {
		uint32_t unlocked = 0;

		if (__atomic_compare_exchange_n(word, &unlocked, 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		while (__atomic_load_n(word, __ATOMIC_RELAXED))
			cpu_relax();
	}
}

static __always_inline void ideal_unlock(uint32_t *word)
{
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

BENCH_LOCK_DEFINE(ideal, "ideal floor", uint32_t, bench_noctx_t,
		  *lock = 0, ideal_lock(lock), ideal_unlock(lock), (void)0);

static const struct bench_lock *const spin_locks[] = {
	&bench_lock_spinlock,
	&bench_lock_spinlock_nodebug,
	&bench_lock_raw_spinlock,
	&bench_lock_pthread_spin,
	&bench_lock_pthread_mutex,
	&bench_lock_pthread_adaptive,
#ifdef KSYNC_HAVE_CK
	&bench_lock_ck_ticket,
	&bench_lock_ck_mcs,
#endif
	&bench_lock_ideal,
	NULL,
};

/*
 * The targets of the core issue.  The fast path should cost little more
 * than the floor and no more than glibc's spinlock; under contention it
 * should keep up with the best spinlocks at 2 threads and, because it
 * sleeps instead of collapsing, keep at least half of a mutex's throughput
 * when threads outnumber CPUs.
 */
static const struct bench_ratio spin_ratios[] = {
	{ "spinlock_t uncontended / ideal floor",
	  "spinlock_t", "ideal floor", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.05 },
	{ "spinlock_t uncontended / pthread_spinlock_t",
	  "spinlock_t", "pthread_spinlock_t", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "spinlock_t T=2 throughput / pthread_spinlock_t",
	  "spinlock_t", "pthread_spinlock_t", BENCH_METRIC_MOPS, 2,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 1.0 },
	{ "spinlock_t T=2 throughput / ck_spinlock_mcs",
	  "spinlock_t", "ck_spinlock_mcs", BENCH_METRIC_MOPS, 2,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 1.0 },
	{ "spinlock_t T=8 throughput / pthread_mutex_t",
	  "spinlock_t", "pthread_mutex_t", BENCH_METRIC_MOPS, 8,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 3.0 },
	{ "spinlock_t T=32 throughput / pthread_mutex_t",
	  "spinlock_t", "pthread_mutex_t", BENCH_METRIC_MOPS, 32,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 3.0 },
	{ "spinlock_t fairness, T=16",
	  "spinlock_t", NULL, BENCH_METRIC_FAIRNESS, 16,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 0.3 },
	{ "spinlock_t fairness, T=32",
	  "spinlock_t", NULL, BENCH_METRIC_FAIRNESS, 32,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 0.3 },
	{ "spinlock_t worst wait / pthread_mutex_t",
	  "spinlock_t", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, BENCH_EVERY_T,
	  BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ "spinlock_t T=16 worst wait / pthread_mutex_t",
	  "spinlock_t", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, 16,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "spinlock_t T=32 worst wait / pthread_mutex_t",
	  "spinlock_t", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, 32,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "spinlock_t uncontended vs spinlock_t nodebug (debug-flag test)",
	  "spinlock_t", "spinlock_t nodebug", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_PERCENT, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

const struct bench_section bench_section_spinlock = {
	.name = "spinlock",
	.title = "spin_lock/spin_unlock against other spinlocks and mutexes",
	.measures = BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT |
		    BENCH_MEASURE_WORST_WAIT,
	.locks = spin_locks,
	.ratios = spin_ratios,
#ifndef KSYNC_HAVE_CK
	.note = "ck_spinlock_ticket and ck_spinlock_mcs omitted: built without "
		"Concurrency Kit (install libck-dev and reconfigure)",
#endif
};
