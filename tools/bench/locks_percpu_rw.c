// SPDX-License-Identifier: MIT
/*
 * The "percpu_rwsem" section: percpu_rw_semaphore readers beside the
 * readers of rw_semaphore and pthread_rwlock_t, all readers, no writer
 * (what a percpu_rw_semaphore is for: its readers share no written
 * cache line, so they scale with T where every other lock's readers
 * bounce one).  Then the other side of the bargain: how long a writer
 * takes to get in while T=32 readers keep reading.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

#include <ksync/percpu-rwsem.h>
#include <ksync/rwsem.h>

#include "bench_loops_rw.h"

#define READ_ONLY	0

BENCH_RW_LOCK_DEFINE(percpu_readers, "percpu_rw_semaphore readers",
		     struct percpu_rw_semaphore,
		     (void)percpu_init_rwsem(lock),
		     percpu_down_read(lock), percpu_up_read(lock),
		     percpu_down_write(lock), percpu_up_write(lock),
		     percpu_free_rwsem(lock), READ_ONLY);

BENCH_RW_LOCK_DEFINE(rwsem_readers, "rw_semaphore readers", struct rw_semaphore,
		     init_rwsem(lock), down_read(lock), up_read(lock),
		     down_write(lock), up_write(lock), (void)0, READ_ONLY);

BENCH_RW_LOCK_DEFINE(pthread_readers, "pthread_rwlock_t readers",
		     pthread_rwlock_t, pthread_rwlock_init(lock, NULL),
		     pthread_rwlock_rdlock(lock), pthread_rwlock_unlock(lock),
		     pthread_rwlock_wrlock(lock), pthread_rwlock_unlock(lock),
		     pthread_rwlock_destroy(lock), READ_ONLY);

static const struct bench_lock *const percpu_rw_locks[] = {
	&bench_lock_percpu_readers,
	&bench_lock_rwsem_readers,
	&bench_lock_pthread_readers,
	NULL,
};

/* The target: at T=8 (on 2 CPUs) at least 10x rw_semaphore's. */
static const struct bench_ratio percpu_rw_ratios[] = {
	{ "percpu_rw_semaphore readers T=8 / rw_semaphore readers",
	  "percpu_rw_semaphore readers", "rw_semaphore readers",
	  BENCH_METRIC_MOPS, 8, BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 10.0 },
	{ "percpu_rw_semaphore readers / rw_semaphore readers",
	  "percpu_rw_semaphore readers", "rw_semaphore readers",
	  BENCH_METRIC_MOPS, BENCH_EVERY_T, BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ "percpu_rw_semaphore readers / pthread_rwlock_t readers",
	  "percpu_rw_semaphore readers", "pthread_rwlock_t readers",
	  BENCH_METRIC_MOPS, BENCH_EVERY_T, BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

/* --- a writer among T=32 readers ------------------------------------------------- */

#define WL_READERS	32
#define WL_WRITES	41
#define WL_GAP_MS	5
#define WL_TARGET_MS	10.0

static DEFINE_PERCPU_RWSEM(wl_sem);
static int wl_stop;
static long wl_data;

static void *wl_reader(void *arg)
{
	long sum = 0;

	while (!__atomic_load_n(&wl_stop, __ATOMIC_RELAXED)) {
		percpu_down_read(&wl_sem);
		sum += wl_data;
		percpu_up_read(&wl_sem);
	}
	return (void *)sum;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void writer_latency(const struct bench_result *res, const struct bench_opts *o)
{
	struct timespec gap = { 0, WL_GAP_MS * 1000000L };
	pthread_t t[WL_READERS];
	double ms[WL_WRITES];

	(void)o;
	if (!bench_find_row(res, "percpu_rw_semaphore readers"))
		return;		/* filtered with --locks */
	__atomic_store_n(&wl_stop, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < WL_READERS; i++)
		if (pthread_create(&t[i], NULL, wl_reader, NULL)) {
			bench_err("cannot start a reader thread");
			exit(BENCH_EXIT_ERROR);
		}
	nanosleep(&gap, NULL);
	for (int i = 0; i < WL_WRITES; i++) {
		uint64_t start = bench_now_ns();

		percpu_down_write(&wl_sem);
		ms[i] = (double)(bench_now_ns() - start) / 1e6;
		wl_data++;
		percpu_up_write(&wl_sem);
		nanosleep(&gap, NULL);
	}
	__atomic_store_n(&wl_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < WL_READERS; i++)
		pthread_join(t[i], NULL);
	qsort(ms, WL_WRITES, sizeof(ms[0]), cmp_double);
	printf("\nwriter among %d reading threads (%d percpu_down_write() calls, "
	       "%d ms apart):\n", WL_READERS, WL_WRITES, WL_GAP_MS);
	printf("  time to get the write lock: median %.3f ms, worst %.3f ms "
	       "(target: worst <= %.0f ms) %s\n", ms[WL_WRITES / 2],
	       ms[WL_WRITES - 1], WL_TARGET_MS,
	       ms[WL_WRITES - 1] <= WL_TARGET_MS ? "met" : "NOT met");
	fflush(stdout);
}

const struct bench_section bench_section_percpu_rwsem = {
	.name = "percpu_rwsem",
	.title = "percpu_rw_semaphore readers against rw_semaphore and pthread_rwlock_t readers",
	.measures = BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT,
	.locks = percpu_rw_locks,
	.ratios = percpu_rw_ratios,
	.note = "readers only: every operation a read lock, a read of the data "
		"and a read unlock",
	.extra = writer_latency,
};
