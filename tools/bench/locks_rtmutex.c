// SPDX-License-Identifier: MIT
/*
 * The "rtmutex" section: ksync's rt_mutex against glibc's priority-
 * inheriting mutex (PTHREAD_PRIO_INHERIT).  Both are a compare-and-swap
 * of a PI futex word each way when uncontended, and FUTEX_LOCK_PI /
 * FUTEX_UNLOCK_PI in the kernel when not, so the interesting figure is
 * the uncontended one: what ksync's wrapper costs on top.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include <ksync/rtmutex.h>

#include "bench_loops.h"

BENCH_LOCK_DEFINE(rt_mutex, "rt_mutex", struct rt_mutex, bench_noctx_t,
		  rt_mutex_init(lock), rt_mutex_lock(lock), rt_mutex_unlock(lock),
		  rt_mutex_destroy(lock));

static void init_pi_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
}

BENCH_LOCK_DEFINE(pthread_pi, "pthread_mutex PI", pthread_mutex_t,
		  bench_noctx_t,
		  init_pi_mutex(lock),
		  pthread_mutex_lock(lock), pthread_mutex_unlock(lock),
		  pthread_mutex_destroy(lock));

static const struct bench_lock *const rtmutex_locks[] = {
	&bench_lock_rt_mutex,
	&bench_lock_pthread_pi,
	NULL,
};

/* The target: uncontended, at most 1.2 times glibc's PI mutex. */
static const struct bench_ratio rtmutex_ratios[] = {
	{ "rt_mutex uncontended / pthread_mutex PI",
	  "rt_mutex", "pthread_mutex PI", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.2 },
	{ "rt_mutex throughput / pthread_mutex PI",
	  "rt_mutex", "pthread_mutex PI", BENCH_METRIC_MOPS, BENCH_EVERY_T,
	  BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

const struct bench_section bench_section_rtmutex = {
	.name = "rtmutex",
	.title = "rt_mutex against glibc's PTHREAD_PRIO_INHERIT mutex",
	.measures = BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT,
	.locks = rtmutex_locks,
	.ratios = rtmutex_ratios,
	.note = "both hand over in the kernel (FUTEX_LOCK_PI) when contended",
};
