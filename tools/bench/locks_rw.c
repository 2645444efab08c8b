// SPDX-License-Identifier: MIT
/*
 * The "rwlock" section: reader-writer locks at read-mostly mixes.
 *
 * ksync's rw_semaphore (sleeping) and rwlock_t (spinning) beside glibc's
 * pthread_rwlock_t, each at 90/10 and at 99/1 reads/writes, every thread
 * deciding each operation at random.  Then the seqlock against rwlock_t
 * where it is meant to win: readers, and one writer now and then.
 */
#include <pthread.h>

#include <ksync/rwlock.h>
#include <ksync/rwsem.h>
#include <ksync/seqlock.h>

#include "bench_loops_rw.h"

#define RWSEM_ROW(id, name, percent)					\
	BENCH_RW_LOCK_DEFINE(id, name, struct rw_semaphore,		\
			     init_rwsem(lock), down_read(lock),		\
			     up_read(lock), down_write(lock),		\
			     up_write(lock), (void)0,			\
			     BENCH_RW_MIX(percent))

#define RWLOCK_ROW(id, name, percent)					\
	BENCH_RW_LOCK_DEFINE(id, name, rwlock_t, rwlock_init(lock),	\
			     read_lock(lock), read_unlock(lock),	\
			     write_lock(lock), write_unlock(lock),	\
			     (void)0, BENCH_RW_MIX(percent))

#define PTHREAD_RW_ROW(id, name, percent)				\
	BENCH_RW_LOCK_DEFINE(id, name, pthread_rwlock_t,		\
			     pthread_rwlock_init(lock, NULL),		\
			     pthread_rwlock_rdlock(lock),		\
			     pthread_rwlock_unlock(lock),		\
			     pthread_rwlock_wrlock(lock),		\
			     pthread_rwlock_unlock(lock),		\
			     pthread_rwlock_destroy(lock),		\
			     BENCH_RW_MIX(percent))

RWSEM_ROW(rwsem_90, "rw_semaphore 90/10", 10);
RWSEM_ROW(rwsem_99, "rw_semaphore 99/1", 1);
RWLOCK_ROW(rwlock_90, "rwlock_t 90/10", 10);
RWLOCK_ROW(rwlock_99, "rwlock_t 99/1", 1);
PTHREAD_RW_ROW(pthread_rw_90, "pthread_rwlock_t 90/10", 10);
PTHREAD_RW_ROW(pthread_rw_99, "pthread_rwlock_t 99/1", 1);

/*
 * Readers and an occasional writer.  Seqlock readers run beside the
 * writer and retry, so both rows access the data with relaxed atomics:
 * the same loads and stores, and no data race for a sanitizer to report.
 */
#define SEQ_READ(lock)							\
	({								\
		unsigned int seq;					\
									\
		do {							\
			seq = read_seqbegin(lock);			\
			bench_rw_read_once(sh, &a, &b);			\
		} while (read_seqretry(lock, seq));			\
	})

/* Statements, not a comma expression: the API may be macros. */
#define SEQ_WRITE(lock)							\
	({								\
		write_seqlock(lock);					\
		bench_rw_write_once(sh);				\
		write_sequnlock(lock);					\
	})

BENCH_RW_DEFINE(seq_readers, "seqlock readers", seqlock_t,
		seqlock_init(lock), SEQ_READ(lock), SEQ_WRITE(lock),
		(void)0, BENCH_RW_OCCASIONAL);

BENCH_RW_DEFINE(rwlock_readers, "rwlock_t readers", rwlock_t,
		rwlock_init(lock),
		(read_lock(lock), bench_rw_read_once(sh, &a, &b),
		 read_unlock(lock)),
		(write_lock(lock), bench_rw_write_once(sh), write_unlock(lock)),
		(void)0, BENCH_RW_OCCASIONAL);

static const struct bench_lock *const rw_locks[] = {
	&bench_lock_rwsem_90,
	&bench_lock_rwsem_99,
	&bench_lock_rwlock_90,
	&bench_lock_rwlock_99,
	&bench_lock_pthread_rw_90,
	&bench_lock_pthread_rw_99,
	&bench_lock_seq_readers,
	&bench_lock_rwlock_readers,
	NULL,
};

#define VS_PTHREAD(row, mix, t, op, target)				\
	{ row " " mix " T=" #t " throughput / pthread_rwlock_t " mix,	\
	  row " " mix, "pthread_rwlock_t " mix, BENCH_METRIC_MOPS, t,	\
	  BENCH_SHOW_TIMES, op, target }

/*
 * The target: rw_semaphore's read-mostly throughput at least
 * glibc's, where threads outnumber this machine's CPUs.  rwlock_t spins,
 * so it is shown beside glibc without a target, and the seqlock beside
 * rwlock_t, for what giving up the readers' lock buys.
 */
static const struct bench_ratio rw_ratios[] = {
	VS_PTHREAD("rw_semaphore", "90/10", 8, BENCH_TARGET_AT_LEAST, 1.0),
	VS_PTHREAD("rw_semaphore", "90/10", 32, BENCH_TARGET_AT_LEAST, 1.0),
	VS_PTHREAD("rw_semaphore", "99/1", 8, BENCH_TARGET_AT_LEAST, 1.0),
	VS_PTHREAD("rw_semaphore", "99/1", 32, BENCH_TARGET_AT_LEAST, 1.0),
	VS_PTHREAD("rwlock_t", "90/10", 8, BENCH_TARGET_NONE, 0),
	VS_PTHREAD("rwlock_t", "90/10", 32, BENCH_TARGET_NONE, 0),
	VS_PTHREAD("rwlock_t", "99/1", 8, BENCH_TARGET_NONE, 0),
	VS_PTHREAD("rwlock_t", "99/1", 32, BENCH_TARGET_NONE, 0),
	{ "seqlock readers throughput / rwlock_t readers",
	  "seqlock readers", "rwlock_t readers", BENCH_METRIC_MOPS,
	  BENCH_EVERY_T, BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

const struct bench_section bench_section_rwlock = {
	.name = "rwlock",
	.title = "reader-writer locks at read/write mixes, and seqlock readers",
	.measures = BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT,
	.locks = rw_locks,
	.ratios = rw_ratios,
	.note = "90/10, 99/1: reads/writes, each thread choosing at random; "
		"readers: thread 0 also writes once in 1024 operations; "
		"columns count reads and writes",
};
