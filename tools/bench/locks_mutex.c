// SPDX-License-Identifier: MIT
/*
 * The "mutex" section: ksync's struct mutex against glibc's mutexes.
 *
 * A sleeping lock is judged on more than throughput: with more threads
 * than CPUs, a mutex that lets running threads barge in forever has great
 * throughput and a thread that waits for seconds.  So besides the usual
 * columns this section measures the worst wait, which ksync's handoff is
 * there to bound.
 */
#include <ksync/mutex.h>

#include "bench_loops.h"

BENCH_LOCK_DEFINE(mutex, "mutex", struct mutex, bench_noctx_t,
		  mutex_init(lock), mutex_lock(lock), mutex_unlock(lock),
		  mutex_destroy(lock));

/* glibc's default and adaptive mutexes: locks_pthread.c. */
BENCH_LOCK_DECLARE(pthread_mutex);
BENCH_LOCK_DECLARE(pthread_adaptive);

static const struct bench_lock *const mutex_locks[] = {
	&bench_lock_mutex,
	&bench_lock_pthread_mutex,
	&bench_lock_pthread_adaptive,
	NULL,
};

/*
 * The targets of the mutex issue: no dearer than glibc's default mutex
 * uncontended, at least its throughput at every thread count, and a
 * worst wait no longer than its, where threads outnumber this machine's
 * CPUs.  The adaptive mutex spins too, so it is the fairer fight; it has
 * no target.
 */
static const struct bench_ratio mutex_ratios[] = {
	{ "mutex uncontended / pthread_mutex_t",
	  "mutex", "pthread_mutex_t", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "mutex throughput / pthread_mutex_t",
	  "mutex", "pthread_mutex_t", BENCH_METRIC_MOPS, BENCH_EVERY_T,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 1.0 },
	{ "mutex worst wait / pthread_mutex_t",
	  "mutex", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, BENCH_EVERY_T,
	  BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ "mutex T=4 worst wait / pthread_mutex_t",
	  "mutex", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, 4,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "mutex T=8 worst wait / pthread_mutex_t",
	  "mutex", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, 8,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "mutex T=16 worst wait / pthread_mutex_t",
	  "mutex", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, 16,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "mutex T=32 worst wait / pthread_mutex_t",
	  "mutex", "pthread_mutex_t", BENCH_METRIC_WORST_WAIT, 32,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "mutex fairness, T=8",
	  "mutex", NULL, BENCH_METRIC_FAIRNESS, 8,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 0.3 },
	{ "mutex fairness, T=16",
	  "mutex", NULL, BENCH_METRIC_FAIRNESS, 16,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 0.3 },
	{ "mutex fairness, T=32",
	  "mutex", NULL, BENCH_METRIC_FAIRNESS, 32,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 0.3 },
	{ "mutex throughput / pthread_mutex adaptive",
	  "mutex", "pthread_mutex adaptive", BENCH_METRIC_MOPS, BENCH_EVERY_T,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 1.0 },
	{ .what = NULL },
};

const struct bench_section bench_section_mutex = {
	.name = "mutex",
	.title = "mutex_lock/mutex_unlock against glibc's mutexes",
	.measures = BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT |
		    BENCH_MEASURE_WORST_WAIT,
	.locks = mutex_locks,
	.ratios = mutex_ratios,
	.note = "worst wait: separate runs that read the clock around every "
		"lock call; the throughput runs are not timed per call",
};
