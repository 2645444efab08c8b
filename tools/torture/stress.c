// SPDX-License-Identifier: MIT
/*
 * The writer and reader threads.
 *
 * A writer, once it has the lock, must find nobody else inside: no other
 * writer (lock_is_write_held clear) and no reader (lock_is_read_held
 * zero).  A reader must find no writer.  Anything else is a broken lock,
 * counted as a failure of the thread that saw it.
 *
 * The flags are relaxed atomics.  With a working lock, the lock's own
 * acquire and release order them, so a set flag is never seen by mistake;
 * with a broken one they still cannot tear, and the tester stays free of
 * data races (and quiet under ThreadSanitizer) whatever the lock does.
 * The writer claims the flag with an exchange rather than a read and a
 * store, so that two writers inside together cannot both miss each other.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "torture.h"

atomic_t lock_is_write_held;
atomic_t lock_is_read_held;

/* Only the first violation is described; the counts tell the rest. */
static atomic_t violation_reported;

/* Each counter has one writer, its thread, so a plain add suffices. */
static void stat_inc(atomic_long_t *counter)
{
	atomic_long_set(counter, atomic_long_read(counter) + 1);
}

/* Printed after the unlock: stdio may sleep, and the lock is a spinlock. */
static void report_violation(const char *who, int tid, const char *what)
{
	if (atomic_xchg_relaxed(&violation_reported, 1))
		return;
	fprintf(stderr, "%s-torture: %s %d: %s: mutual exclusion violated\n",
		cxt.ops->name, who, tid, what);
}

static int stats_index(const struct lock_stress_stats *st,
		       const struct lock_stress_stats *base)
{
	return (int)(st - base);
}

/* Seeds differ per thread and between writers and readers. */
static uint64_t thread_seed(int tid, bool writer)
{
	return (uint64_t)tid * 2 + (writer ? 0 : 1);
}

/* With the write lock held: returns what was wrong, or NULL. */
static const char *writer_enter(void)
{
	if (atomic_xchg_relaxed(&lock_is_write_held, 1))
		return "lock_is_write_held already set";
	if (atomic_read(&lock_is_read_held))
		return "readers inside";
	return NULL;
}

static void writer_round(struct lock_stress_stats *st, int tid,
			 struct torture_rand *rand)
{
	const struct torture_lock_ops *ops = cxt.ops;
	const char *bad;

	torture_outside_lock_pause(rand, cxt.nwriters);
	ops->writelock(tid);
	bad = writer_enter();
	if (bad)
		stat_inc(&st->n_lock_fail);
	stat_inc(&st->n_lock_acquired);
	ops->write_delay(rand);
	atomic_set(&lock_is_write_held, 0);
	ops->writeunlock(tid);
	if (bad)
		report_violation("writer", tid, bad);
}

void *lock_torture_writer(void *arg)
{
	struct lock_stress_stats *st = arg;
	int tid = stats_index(st, cxt.wstats);
	struct torture_rand rand;

	torture_rand_init(&rand, thread_seed(tid, true));
	do {
		writer_round(st, tid, &rand);
		torture_stutter_wait();
	} while (!torture_must_stop());
	return NULL;
}

static void reader_round(struct lock_stress_stats *st, int tid,
			 struct torture_rand *rand)
{
	const struct torture_lock_ops *ops = cxt.ops;
	bool bad;

	torture_outside_lock_pause(rand, cxt.nreaders);
	ops->readlock(tid);
	atomic_inc(&lock_is_read_held);
	bad = atomic_read(&lock_is_write_held) != 0;
	if (bad)
		stat_inc(&st->n_lock_fail);
	stat_inc(&st->n_lock_acquired);
	ops->read_delay(rand);
	atomic_dec(&lock_is_read_held);
	ops->readunlock(tid);
	if (bad)
		report_violation("reader", tid, "writer inside");
}

void *lock_torture_reader(void *arg)
{
	struct lock_stress_stats *st = arg;
	int tid = stats_index(st, cxt.rstats);
	struct torture_rand rand;

	torture_rand_init(&rand, thread_seed(tid, false));
	do {
		reader_round(st, tid, &rand);
		torture_stutter_wait();
	} while (!torture_must_stop());
	return NULL;
}
