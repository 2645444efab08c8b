// SPDX-License-Identifier: MIT
/*
 * The "rcu" section (only when ksync has RCU, i.e. liburcu was found):
 * RCU readers beside rwlock_t readers, the same read-mostly load - every
 * thread reads two words, thread 0 also writes once in 1024 operations.
 * An RCU reader takes no lock: rcu_read_lock(), rcu_dereference() of the
 * current version, two loads, rcu_read_unlock().  The writer publishes a
 * new version with rcu_assign_pointer() and frees the old one with
 * kfree_rcu().  A reader that found a version's two words different would
 * count as a torn read and fail the run.
 *
 * A read writes nothing shared: rcu_read_lock()/unlock() are inline and
 * touch only this thread's liburcu reader counter and ksync nesting
 * count, the version and sh->stop are only loaded, and the loop's counts
 * are the worker's locals.  So the RCU rows measure the read side, not
 * the loop.
 */
#include <limits.h>
#include <stdlib.h>
#include <ksync/rcupdate.h>
#include <ksync/rwlock.h>

#include "bench.h"
#include "bench_loops_rw.h"

struct rcu_version {
	long a, b;
	struct rcu_head rcu;
};

struct rcu_bench {
	struct rcu_version __rcu *cur;
};

static void rcu_bench_init(struct rcu_bench *rb)
{
	struct rcu_version *v = calloc(1, sizeof(*v));

	if (!v) {
		bench_err("out of memory");
		exit(BENCH_EXIT_ERROR);
	}
	RCU_INIT_POINTER(rb->cur, v);
}

static void rcu_bench_fini(struct rcu_bench *rb)
{
	rcu_barrier();		/* every kfree_rcu() done */
	free(rcu_dereference_protected(rb->cur, true));
}

static inline void rcu_bench_read(struct rcu_bench *rb, long *a, long *b)
{
	struct rcu_version *v;

	rcu_read_lock();
	v = rcu_dereference(rb->cur);
	*a = v->a;
	*b = v->b;
	rcu_read_unlock();
}

/* One writer (thread 0): no lock needed between writers. */
static inline void rcu_bench_write(struct bench_shared *sh, struct rcu_bench *rb)
{
	struct rcu_version *old = rcu_dereference_protected(rb->cur, true);
	struct rcu_version *v = malloc(sizeof(*v));

	if (!v) {
		bench_err("out of memory");
		exit(BENCH_EXIT_ERROR);
	}
	v->a = v->b = old->a + 1;
	rcu_assign_pointer(rb->cur, v);
	kfree_rcu(old, rcu);
	bench_rw_write_once(sh);	/* the run's update count */
}

BENCH_RW_DEFINE(rcu_readers, "RCU readers", struct rcu_bench,
		rcu_bench_init(lock), rcu_bench_read(lock, &a, &b),
		rcu_bench_write(sh, lock), rcu_bench_fini(lock),
		BENCH_RW_OCCASIONAL);

BENCH_LOCK_DECLARE(rwlock_readers);

/*
 * Readers alone: what the read sides cost when no grace period runs (with
 * a writer, liburcu's call_rcu thread runs one per batch of kfree_rcu()s,
 * and each begins and ends with a membarrier() that interrupts every
 * reader).
 */
#define NEVER	(me == UINT_MAX && n == 0)

BENCH_RW_DEFINE(rcu_readers_only, "RCU readers, no writer", struct rcu_bench,
		rcu_bench_init(lock), rcu_bench_read(lock, &a, &b),
		rcu_bench_write(sh, lock), rcu_bench_fini(lock), NEVER);

BENCH_RW_DEFINE(rwlock_readers_only, "rwlock_t readers, no writer", rwlock_t,
		rwlock_init(lock),
		(read_lock(lock), bench_rw_read_once(sh, &a, &b),
		 read_unlock(lock)),
		(write_lock(lock), bench_rw_write_once(sh), write_unlock(lock)),
		(void)0, NEVER);

static const struct bench_lock *const rcu_locks[] = {
	&bench_lock_rcu_readers,
	&bench_lock_rwlock_readers,
	&bench_lock_rcu_readers_only,
	&bench_lock_rwlock_readers_only,
	NULL,
};

/* The target: RCU readers at least 20x rwlock_t's at T=8. */
static const struct bench_ratio rcu_ratios[] = {
	{ "RCU readers T=8 throughput / rwlock_t readers",
	  "RCU readers", "rwlock_t readers", BENCH_METRIC_MOPS, 8,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 20.0 },
	{ "RCU readers throughput / rwlock_t readers",
	  "RCU readers", "rwlock_t readers", BENCH_METRIC_MOPS,
	  BENCH_EVERY_T, BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ "readers alone: RCU / rwlock_t",
	  "RCU readers, no writer", "rwlock_t readers, no writer", BENCH_METRIC_MOPS,
	  BENCH_EVERY_T, BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

const struct bench_section bench_section_rcu = {
	.name = "rcu",
	.title = "RCU readers (liburcu, urcu-memb) against rwlock_t readers",
	.measures = BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT,
	.locks = rcu_locks,
	.ratios = rcu_ratios,
	.note = "readers: thread 0 also writes once in 1024 operations (RCU: a new "
		"version, the old one freed by kfree_rcu()); columns count reads and writes",
};
