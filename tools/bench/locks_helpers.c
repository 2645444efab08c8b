// SPDX-License-Identifier: MIT
/*
 * The "helpers" section: what the kernel helpers around the locks cost
 * beside what they are built from.  refcount_t's inc/dec against atomic_t's
 * (the price of saturation checking), and a bit spinlock's lock/unlock pair
 * against spinlock_t's.  Uncontended only: refcount rows protect nothing,
 * so a contended run would count lost updates.
 */
#include <ksync/atomic.h>
#include <ksync/bit_spinlock.h>
#include <ksync/refcount.h>
#include <ksync/spinlock.h>

#include "bench_loops.h"

/* Starts at 1, so that the decrement never reaches 0 (refcount_dec's rule). */
BENCH_LOCK_DEFINE(atomic_incdec, "atomic_t inc/dec", atomic_t, bench_noctx_t,
		  atomic_set(lock, 1), atomic_inc(lock), atomic_dec(lock),
		  (void)0);

BENCH_LOCK_DEFINE(refcount_incdec, "refcount_t inc/dec", refcount_t,
		  bench_noctx_t, refcount_set(lock, 1), refcount_inc(lock),
		  refcount_dec(lock), (void)0);

BENCH_LOCK_DEFINE(refcount_dec_and_test, "refcount_t inc/dec_and_test",
		  refcount_t, bench_noctx_t, refcount_set(lock, 1),
		  refcount_inc(lock), (void)refcount_dec_and_test(lock),
		  (void)0);

BENCH_LOCK_DEFINE(bit_spin, "bit_spin_lock", unsigned long, bench_noctx_t,
		  *lock = 0, bit_spin_lock(0, lock), bit_spin_unlock(0, lock),
		  (void)0);

BENCH_LOCK_DEFINE(bit_spin_plain, "bit_spin_lock + __bit_spin_unlock",
		  unsigned long, bench_noctx_t, *lock = 0,
		  bit_spin_lock(0, lock), __bit_spin_unlock(0, lock), (void)0);

/* spinlock_t, shared with the spinlock section: locks_spin.c. */
BENCH_LOCK_DECLARE(spinlock);

static const struct bench_lock *const helper_locks[] = {
	&bench_lock_atomic_incdec,
	&bench_lock_refcount_incdec,
	&bench_lock_refcount_dec_and_test,
	&bench_lock_spinlock,
	&bench_lock_bit_spin,
	&bench_lock_bit_spin_plain,
	NULL,
};

/*
 * The targets of issue 16: saturation checking costs at most 10% over
 * the bare atomic, and a bit spinlock at most 20% over spinlock_t (its
 * unlock is a locked instruction, spin_unlock() a plain store).
 */
static const struct bench_ratio helper_ratios[] = {
	{ "refcount_t inc/dec / atomic_t inc/dec",
	  "refcount_t inc/dec", "atomic_t inc/dec", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.1 },
	{ "bit_spin_lock pair / spinlock_t pair",
	  "bit_spin_lock", "spinlock_t", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.2 },
	{ "bit_spin_lock + __bit_spin_unlock / spinlock_t pair",
	  "bit_spin_lock + __bit_spin_unlock", "spinlock_t",
	  BENCH_METRIC_NS_PER_PAIR, 1, BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

const struct bench_section bench_section_helpers = {
	.name = "helpers",
	.title = "refcount_t against atomic_t; bit_spin_lock against spinlock_t",
	.measures = BENCH_MEASURE_UNCONTENDED,
	.locks = helper_locks,
	.ratios = helper_ratios,
	.note = "uncontended only: a refcount row protects nothing, so "
		"threads would lose updates of the counter by design",
};
