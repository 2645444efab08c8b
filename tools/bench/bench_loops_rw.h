/* SPDX-License-Identifier: MIT */
/*
 * BENCH_RW_DEFINE(): a reader-writer lock row, at one mix of reads and
 * writes, with its loops generated for its lock type (see bench_loops.h
 * for why they are generated).
 *
 *   BENCH_RW_DEFINE(id, "name", type, init_expr, read_expr, write_expr,
 *                   fini_expr, write_pred);
 *   BENCH_RW_LOCK_DEFINE(id, "name", type, init_expr, read_lock_expr,
 *                   read_unlock_expr, write_lock_expr, write_unlock_expr,
 *                   fini_expr, write_pred);
 *
 * Every operation is a read or a write, as @write_pred decides.  A write
 * increments the protected counter and its mirror, so the lost-update
 * check still holds (the tally's updates are the writes); a read loads
 * both, and a read that finds them different is a torn read, which fails
 * the run as a lost update does.  The expressions see `lock` (a `type *`)
 * and `sh`; @read_expr must set the longs `a` and `b`, with bench_rw_read()
 * under a lock or bench_rw_read_once() where a reader may race a writer
 * (a seqlock), and @write_expr updates with the matching bench_rw_write()
 * or bench_rw_write_once().  @write_pred sees `rng` (this thread's PRNG
 * state), `me` (this thread's number, from 0) and `n` (its operations so
 * far): BENCH_RW_MIX(10) writes one operation in ten, at random;
 * BENCH_RW_OCCASIONAL has thread 0 alone write, once in a while.
 *
 * The rows have no timed loop, so no worst wait.  The shortcut form is
 * for locks with a lock and an unlock on each side.
 */
#ifndef KSYNC_BENCH_LOOPS_RW_H
#define KSYNC_BENCH_LOOPS_RW_H

#include "bench_loops.h"

/* A write chance in 2^32ths, for comparing with 32 random bits. */
#define BENCH_PERCENT(p)	((uint32_t)(((uint64_t)(p) << 32) / 100))

/*
 * xorshift64: three shifts and xors per operation, so deciding costs far
 * less than the lock does, and each thread has its own state, so deciding
 * shares nothing.
 */
static inline bool bench_rw_chance(uint64_t *state, uint32_t threshold)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return (uint32_t)(x >> 32) < threshold;
}

/* Any nonzero start will do (zero would stay zero): odd times nonzero. */
static inline uint64_t bench_rw_seed(unsigned int me)
{
	return ((uint64_t)me + 1) * 0x9e3779b97f4a7c15ull;
}

#define BENCH_RW_MIX(write_percent)					\
	bench_rw_chance(rng, BENCH_PERCENT(write_percent))

/* One write in this many of thread 0's operations. */
#define BENCH_RW_WRITE_EVERY	1024u
#define BENCH_RW_OCCASIONAL						\
	(me == 0 && n % BENCH_RW_WRITE_EVERY == 0)

/* Plain accesses under the lock: a sanitizer then checks the lock. */
static inline void bench_rw_read(const struct bench_shared *sh, long *a, long *b)
{
	*a = sh->counter;
	*b = sh->mirror;
}

static inline void bench_rw_write(struct bench_shared *sh)
{
	sh->counter++;
	sh->mirror++;
}

/*
 * Relaxed atomics, for readers that run beside a writer by design and
 * find out afterwards (a seqlock retries): plain accesses there would be
 * a data race.  On x86-64 they compile to the same moves.
 */
static inline void bench_rw_read_once(const struct bench_shared *sh,
				      long *a, long *b)
{
	*a = __atomic_load_n(&sh->counter, __ATOMIC_RELAXED);
	*b = __atomic_load_n(&sh->mirror, __ATOMIC_RELAXED);
}

static inline void bench_rw_write_once(struct bench_shared *sh)
{
	long v = __atomic_load_n(&sh->counter, __ATOMIC_RELAXED) + 1;

	__atomic_store_n(&sh->counter, v, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->mirror, v, __ATOMIC_RELAXED);
}

/* What one thread's operations came to. */
struct bench_rw_count {
	unsigned long writes;
	unsigned long torn;
};

#define BENCH_RW_DEFINE(id, name_str, type, init_expr, read_expr,	\
			write_expr, fini_expr, write_pred)		\
	_Static_assert(sizeof(type) <= BENCH_LOCK_MAX,			\
		       #type " does not fit in the lock block");	\
									\
	static void bench_##id##_init(void *mem)			\
	{								\
		type *lock = mem;					\
									\
		init_expr;						\
	}								\
									\
	static void bench_##id##_fini(void *mem)			\
	{								\
		type *lock = mem;					\
									\
		(void)lock;						\
		fini_expr;						\
	}								\
									\
	/* One operation, inlined into both loops. */			\
	static inline __attribute__((always_inline)) void		\
	bench_##id##_op(struct bench_shared *sh, type *lock,		\
			uint64_t *rng, unsigned int me,			\
			unsigned long n, struct bench_rw_count *c)	\
	{								\
		(void)rng;						\
		(void)me;						\
		(void)n;						\
		if (write_pred) {					\
			write_expr;					\
			c->writes++;					\
		} else {						\
			long a, b;					\
									\
			read_expr;					\
			c->torn += a != b;				\
		}							\
	}								\
									\
	static uint64_t bench_##id##_solo(struct bench_shared *sh,	\
					  uint64_t iters,		\
					  struct bench_tally *tally)	\
	{								\
		type *lock = (type *)sh->lock;				\
		uint64_t rng = bench_rw_seed(0), start, end;		\
		struct bench_rw_count c = { 0, 0 };			\
									\
		(void)lock;						\
		start = bench_now_ns();					\
		for (uint64_t i = 0; i < iters; i++)			\
			bench_##id##_op(sh, lock, &rng, 0,		\
					(unsigned long)i, &c);		\
		end = bench_now_ns();					\
		tally->acquisitions = iters;				\
		tally->updates = c.writes;				\
		tally->torn = c.torn;					\
		return end - start;					\
	}								\
									\
	static void bench_##id##_worker(struct bench_shared *sh,	\
					struct bench_tally *tally)	\
	{								\
		type *lock = (type *)sh->lock;				\
		unsigned int me = __atomic_fetch_add(&sh->next_thread, 1, \
						     __ATOMIC_RELAXED);	\
		uint64_t rng = bench_rw_seed(me);			\
		struct bench_rw_count c = { 0, 0 };			\
		unsigned long n = 0;					\
									\
		(void)lock;						\
		while (!bench_stopped(sh))				\
			bench_##id##_op(sh, lock, &rng, me, n++, &c);	\
		bench_tally_publish(tally, &(struct bench_tally){	\
			.acquisitions = n, .updates = c.writes,		\
			.torn = c.torn });				\
	}								\
									\
	BENCH_LOCK_DECLARE(id);						\
	const struct bench_lock bench_lock_##id = {			\
		.name = name_str,					\
		.init = bench_##id##_init,				\
		.fini = bench_##id##_fini,				\
		.solo = bench_##id##_solo,				\
		.worker = bench_##id##_worker,				\
	}

#define BENCH_RW_LOCK_DEFINE(id, name_str, type, init_expr,		\
			     read_lock_expr, read_unlock_expr,		\
			     write_lock_expr, write_unlock_expr,	\
			     fini_expr, write_pred)			\
	BENCH_RW_DEFINE(id, name_str, type, init_expr,			\
			(read_lock_expr, bench_rw_read(sh, &a, &b),	\
			 read_unlock_expr),				\
			(write_lock_expr, bench_rw_write(sh),		\
			 write_unlock_expr),				\
			fini_expr, write_pred)

#endif /* KSYNC_BENCH_LOOPS_RW_H */
