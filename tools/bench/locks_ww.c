// SPDX-License-Identifier: MIT
/*
 * The "ww_mutex" section: what a wound/wait mutex taken inside an acquire
 * context costs over a plain struct mutex, uncontended.  The inline path
 * is the mutex's compare-and-swap plus the context's bookkeeping (and a
 * full barrier where membarrier(2) is missing; <ksync/ww_mutex.h>).  Run
 * alone, the section leaves the process single-threaded, where neither
 * takes a bus lock; after a section with threads, both do.  The row
 * without a ctx is the mutex.
 */
#include <ksync/ww_mutex.h>

#include "bench_loops.h"

static DEFINE_WD_CLASS(bench_ww_class);

/* One transaction (ww_acquire_init .. fini) around the whole loop. */
BENCH_LOCK_DEFINE_SCOPED(ww_mutex, "ww_mutex in ctx", struct ww_mutex,
			 struct ww_acquire_ctx,
			 ww_mutex_init(lock, &bench_ww_class),
			 ww_acquire_init(ctx, &bench_ww_class),
			 (void)ww_mutex_lock(lock, ctx), ww_mutex_unlock(lock),
			 ww_acquire_fini(ctx), ww_mutex_destroy(lock));

BENCH_LOCK_DEFINE(ww_mutex_noctx, "ww_mutex no ctx", struct ww_mutex, bench_noctx_t,
		  ww_mutex_init(lock, &bench_ww_class),
		  (void)ww_mutex_lock(lock, NULL), ww_mutex_unlock(lock),
		  ww_mutex_destroy(lock));

BENCH_LOCK_DECLARE(mutex);

static const struct bench_lock *const ww_locks[] = {
	&bench_lock_ww_mutex,
	&bench_lock_ww_mutex_noctx,
	&bench_lock_mutex,
	NULL,
};

/* The ww_mutex issue's target: at most 1.5 times the plain mutex. */
static const struct bench_ratio ww_ratios[] = {
	{ "ww_mutex in ctx uncontended / mutex",
	  "ww_mutex in ctx", "mutex", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.5 },
	{ "ww_mutex no ctx uncontended / mutex",
	  "ww_mutex no ctx", "mutex", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

const struct bench_section bench_section_ww_mutex = {
	.name = "ww_mutex",
	.title = "ww_mutex (wound/wait) against struct mutex",
	.measures = BENCH_MEASURE_UNCONTENDED,
	.locks = ww_locks,
	.ratios = ww_ratios,
	.note = "uncontended only: one thread, one transaction around the loop",
};
