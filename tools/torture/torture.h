/* SPDX-License-Identifier: MIT */
/*
 * ksync-torture: a lock torture tester in the spirit of the kernel's
 * locktorture.  Writer (and, for reader-writer locks, reader) threads take
 * one lock over and over while checking that nobody else is inside when
 * they should be alone; the run fails if anyone ever was.
 *
 * Each lock type is one struct torture_lock_ops; see lock_types.c for how
 * to add one.  Everything the threads share besides the lock under test is
 * an atomic, so that a lock which excludes nothing (lock_busted) shows up
 * as a FAILURE line rather than as undefined behaviour in the tester.
 */
#ifndef KSYNC_TORTURE_H
#define KSYNC_TORTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <ksync/atomic.h>

#define TORTURE_PROG		"ksync-torture"
/* Per kind of thread; both kinds together stay far below KSYNC_NR_CPUS. */
#define TORTURE_MAX_THREADS	4096
#define TORTURE_MAX_SECONDS	(365 * 24 * 3600)
#define TORTURE_MAX_LONG_HOLD_MS 60000

/* Exit statuses. */
#define TORTURE_EXIT_SUCCESS	0
#define TORTURE_EXIT_FAILURE	1	/* mutual exclusion was violated */
#define TORTURE_EXIT_USAGE	2	/* bad command line, or could not run */

/* A per-thread xorshift64* generator: cheap enough to call inside a lock. */
struct torture_rand {
	uint64_t state;
};

/*
 * One lock type.  writelock/write_delay/writeunlock are required.  A type
 * with readers also sets readlock/read_delay/readunlock; a type without
 * leaves them NULL.  init runs once before any thread starts and exit once
 * after all have stopped; both are optional.
 *
 * tid is the thread's index among the writers (or among the readers), for
 * types that keep per-thread state such as saved interrupt flags.
 *
 * The delay callbacks run with the lock held, so they must not sleep: for
 * a spinlock the holder counts as preempt-disabled.  Use the busy delays
 * below.
 */
struct torture_lock_ops {
	const char *name;
	const char *desc;		/* one line, for --list */
	void (*init)(void);
	void (*exit)(void);
	void (*writelock)(int tid);
	void (*write_delay)(struct torture_rand *rand);
	void (*writeunlock)(int tid);
	void (*readlock)(int tid);
	void (*read_delay)(struct torture_rand *rand);
	void (*readunlock)(int tid);
};

static inline bool torture_has_readers(const struct torture_lock_ops *ops)
{
	return ops->readlock != NULL;
}

/*
 * One thread's counts.  The owner thread is the only writer; the
 * statistics printer reads them while the test runs, hence atomics.  Each
 * sits on its own cache line so that counting does not add contention of
 * its own.
 */
struct lock_stress_stats {
	atomic_long_t n_lock_fail;
	atomic_long_t n_lock_acquired;
} __attribute__((aligned(64)));

/* The run's parameters, fixed before the threads start. */
struct torture_cxt {
	const struct torture_lock_ops *ops;
	int nwriters;
	int nreaders;
	int duration_s;
	int stutter_s;
	int long_hold_ms;
	int stat_interval_s;
	bool verbose;
	struct lock_stress_stats *wstats;	/* nwriters entries */
	struct lock_stress_stats *rstats;	/* nreaders entries */
};

extern struct torture_cxt cxt;

/* lock_types.c */
/* registry.c: every type of every family, in --list order (NULL past the end). */
const struct torture_lock_ops *torture_ops_at(int i);
const struct torture_lock_ops *torture_find_ops(const char *name);

/* options.c: fills cxt from argv, or exits with TORTURE_EXIT_USAGE. */
void torture_parse_options(int argc, char **argv);

/* stress.c */
extern atomic_t lock_is_write_held;
extern atomic_t lock_is_read_held;
void *lock_torture_writer(void *arg);
void *lock_torture_reader(void *arg);

/* stutter.c: when the threads may run. */
bool torture_must_stop(void);
void torture_stop(void);
void torture_stutter_pause(bool pause);
void torture_stutter_wait(void);

/* stats.c */
void torture_print_params(const char *tag);
bool torture_stats_print(void);		/* true if any thread failed */

/* delay.c */
uint64_t torture_now_ns(void);
void torture_rand_init(struct torture_rand *rand, uint64_t seed);
unsigned long torture_random(struct torture_rand *rand);
bool torture_one_in(struct torture_rand *rand, unsigned long long n);
void torture_udelay(unsigned long us);
void torture_mdelay(unsigned long ms);
void torture_long_hold_maybe(struct torture_rand *rand, int nthreads);
void torture_short_delay_maybe(struct torture_rand *rand, int nthreads,
			       unsigned long us);
void torture_outside_lock_pause(struct torture_rand *rand, int nthreads);

#endif /* KSYNC_TORTURE_H */
