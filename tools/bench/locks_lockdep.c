// SPDX-License-Identifier: MIT
/*
 * The "lockdep" section: what the validator costs.
 *
 * Two questions, each a ratio of two rows measured side by side:
 *  - with lockdep off (no KSYNC_* switch), does being debuggable without
 *    a rebuild cost anything?  spin_lock+spin_unlock with the test of the
 *    debug flags, against the same loop built with the test compiled out;
 *  - with lockdep on, what does an already-validated sequence of 4 nested
 *    locks cost?  The chain cache should make it a hash probe per lock,
 *    not a graph search.
 *
 * The rows' medians answer both, but a few percent is within the noise of
 * separate samples on a shared machine, so the section's extra measurement
 * pairs them: many short alternating samples, one ratio per pair, the
 * median ratio and its quartiles.
 */
#include <stdlib.h>

#include <ksync/debug_locks.h>
#include <ksync/lockdep.h>
#include <ksync/spinlock.h>

#include "bench_loops.h"

BENCH_LOCK_DECLARE(spin_lockdep_off);
BENCH_LOCK_DECLARE(spin_lockdep_out);

/* Four classes, always taken in this order. */
static DEFINE_SPINLOCK(nest_a);
static DEFINE_SPINLOCK(nest_b);
static DEFINE_SPINLOCK(nest_c);
static DEFINE_SPINLOCK(nest_d);

struct nest4 {
	char unused;		/* the row's locks are the four above */
};

static __always_inline void nest4_lock(void)
{
	spin_lock(&nest_a);
	spin_lock(&nest_b);
	spin_lock(&nest_c);
	spin_lock(&nest_d);
}

static __always_inline void nest4_unlock(void)
{
	spin_unlock(&nest_d);
	spin_unlock(&nest_c);
	spin_unlock(&nest_b);
	spin_unlock(&nest_a);
}

/*
 * Lockdep on for one sample, as KSYNC_LOCKDEP=1 would have it; no lock is
 * held when the switch flips, so the held-lock stacks stay consistent.
 */
static unsigned int saved_flags;

static void lockdep_switch_on(void)
{
	saved_flags = __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED);
	__atomic_store_n(&ksync_debug_flags,
			 saved_flags | KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_CHECKS,
			 __ATOMIC_RELAXED);
}

static void lockdep_switch_back(void)
{
	__atomic_store_n(&ksync_debug_flags, saved_flags, __ATOMIC_RELAXED);
}

BENCH_LOCK_DEFINE(nest4_off, "4 nested lockdep off", struct nest4, bench_noctx_t,
		  (void)lock, nest4_lock(), nest4_unlock(), (void)0);

BENCH_LOCK_DEFINE(nest4_on, "4 nested lockdep on", struct nest4, bench_noctx_t,
		  ((void)lock, lockdep_switch_on()), nest4_lock(), nest4_unlock(),
		  lockdep_switch_back());

static const struct bench_lock *const lockdep_locks[] = {
	&bench_lock_spin_lockdep_off,
	&bench_lock_spin_lockdep_out,
	&bench_lock_nest4_off,
	&bench_lock_nest4_on,
	NULL,
};

static const struct bench_ratio lockdep_ratios[] = {
	{ "spin_lock, lockdep off vs compiled out",
	  "spin_lock lockdep off", "spin_lock compiled out",
	  BENCH_METRIC_NS_PER_PAIR, 1, BENCH_SHOW_PERCENT, BENCH_TARGET_AT_MOST, 3.0 },
	{ "4 nested, lockdep on / off",
	  "4 nested lockdep on", "4 nested lockdep off",
	  BENCH_METRIC_NS_PER_PAIR, 1, BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 10.0 },
	{ .what = NULL },
};

/* --- paired samples ------------------------------------------------------------ */

#define PAIRS		41
#define PAIR_SAMPLE_NS	10000000.0	/* 10 ms each side */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Iterations of lk for about PAIR_SAMPLE_NS, from a short trial. */
static uint64_t pair_iters(const struct bench_lock *lk)
{
	uint64_t iters = 1u << 14, ns;

	while ((ns = bench_time_solo(lk, iters)) < 2000000 && iters < (1ull << 36))
		iters *= 2;
	iters = (uint64_t)((double)iters * PAIR_SAMPLE_NS / (double)(ns ? ns : 1));
	return iters ? iters : 1;
}

/*
 * PAIRS alternating samples of num and den (which goes first alternates
 * too); prints the median of num/den with the quartiles, as a percentage
 * or a factor, and the verdict against target.
 */
static void paired_ratio(const char *what, const struct bench_lock *num,
			 const struct bench_lock *den, bool percent, double target)
{
	uint64_t in = pair_iters(num), id = pair_iters(den);
	double r[PAIRS], lo, med, hi, shown;

	for (int i = 0; i < PAIRS; i++) {
		double a, b;

		if (i & 1) {
			b = (double)bench_time_solo(den, id) / (double)id;
			a = (double)bench_time_solo(num, in) / (double)in;
		} else {
			a = (double)bench_time_solo(num, in) / (double)in;
			b = (double)bench_time_solo(den, id) / (double)id;
		}
		r[i] = a / b;
	}
	qsort(r, PAIRS, sizeof(r[0]), cmp_double);
	lo = r[PAIRS / 4];
	med = r[PAIRS / 2];
	hi = r[PAIRS - 1 - PAIRS / 4];
	if (percent) {
		shown = (med - 1) * 100;
		printf("  %-46s %+6.1f%%  [%+.1f%%, %+.1f%%]  (target <= %+.0f%%) %s\n",
		       what, shown, (lo - 1) * 100, (hi - 1) * 100, target,
		       shown <= target ? "met" : "NOT met");
	} else {
		printf("  %-46s %6.2fx  [%.2fx, %.2fx]  (target <= %.0fx) %s\n",
		       what, med, lo, hi, target, med <= target ? "met" : "NOT met");
	}
}

static void lockdep_paired(const struct bench_result *res, const struct bench_opts *o)
{
	struct ksync_lockdep_stats before, after;

	(void)o;
	if (!bench_find_row(res, "spin_lock lockdep off") ||
	    !bench_find_row(res, "4 nested lockdep on"))
		return;		/* filtered with --locks */
	printf("\npaired samples (%d alternating pairs of ~10 ms; median ratio "
	       "[quartiles]):\n", PAIRS);
	paired_ratio("spin_lock, lockdep off vs compiled out:",
		     &bench_lock_spin_lockdep_off, &bench_lock_spin_lockdep_out,
		     true, 3.0);
	ksync_lockdep_get_stats(&before);
	paired_ratio("4 nested, lockdep on / off:", &bench_lock_nest4_on,
		     &bench_lock_nest4_off, false, 10.0);
	ksync_lockdep_get_stats(&after);
	printf("  chain cache during the lockdep-on samples: %lu lookups, %lu hits "
	       "(%.4f%%), %lu new chains\n",
	       after.chain_lookups - before.chain_lookups,
	       after.chain_hits - before.chain_hits,
	       after.chain_lookups > before.chain_lookups ?
	       100.0 * (double)(after.chain_hits - before.chain_hits) /
	       (double)(after.chain_lookups - before.chain_lookups) : 0.0,
	       after.chains - before.chains);
	fflush(stdout);
}

const struct bench_section bench_section_lockdep = {
	.name = "lockdep",
	.title = "what lockdep costs: off vs compiled out; on vs off for 4 nested locks",
	.measures = BENCH_MEASURE_UNCONTENDED,
	.locks = lockdep_locks,
	.ratios = lockdep_ratios,
	.note = "\"lockdep on\" switches KSYNC_LOCKDEP on for its samples only; "
		"its sequence is validated once, then found in the chain cache",
	.extra = lockdep_paired,
};
