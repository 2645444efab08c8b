/* SPDX-License-Identifier: MIT */
/*
 * BENCH_LOCK_DEFINE(): one lock row, with its measuring loops generated
 * for its lock type.
 *
 * ksync's lock fast paths are inline.  Calling every lock and unlock
 * through a function pointer would add a call to each side and hide the
 * very thing being measured, so each row gets its own copy of the loops,
 * with the lock and unlock expressions pasted in.
 *
 *   BENCH_LOCK_DEFINE(id, "name", type, ctx_type,
 *                     init_expr, lock_expr, unlock_expr, fini_expr);
 *   BENCH_LOCK_DEFINE_SCOPED(id, "name", type, ctx_type, init_expr,
 *                     enter_expr, lock_expr, unlock_expr, leave_expr,
 *                     fini_expr);
 *
 * The scoped form runs enter_expr and leave_expr on the measuring thread
 * around its loop (to take a lock with interrupts already off, say).
 * Each defines `const struct bench_lock bench_lock_<id>`, with three
 * loops: solo (one thread, timed as a whole), worker (untimed, until
 * stopped) and timed_worker (the worker's loop with the clock read around
 * every lock call, for the worst wait).  The expressions see
 * `lock`, a `type *` to the lock under test, and `ctx`, a `ctx_type *` to
 * a context private to the calling thread (an MCS queue node, say; it
 * starts zeroed).  Rows that need no context use bench_noctx_t.  Every
 * loop increments the protected counter once per acquisition, inside the
 * critical section.
 */
#ifndef KSYNC_BENCH_LOOPS_H
#define KSYNC_BENCH_LOOPS_H

#include "bench.h"

typedef struct { char unused; } bench_noctx_t;

/*
 * ThreadSanitizer cannot see ordering done in inline assembly, which is
 * how Concurrency Kit's locks order memory; rows built on such a lock tell
 * it with these, so that a TSan build reports real races only.
 */
#if defined(__SANITIZE_THREAD__)
#define BENCH_TSAN	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENCH_TSAN	1
#endif
#endif

#ifdef BENCH_TSAN
#include <sanitizer/tsan_interface.h>
#define bench_tsan_acquire(addr)	__tsan_acquire(addr)
#define bench_tsan_release(addr)	__tsan_release(addr)
#else
#define bench_tsan_acquire(addr)	((void)0)
#define bench_tsan_release(addr)	((void)0)
#endif

/* Polled once per acquisition, so even a lock that collapses stops. */
static inline bool bench_stopped(const struct bench_shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED);
}

/* Release: the main thread reads the tally with acquire after joining. */
static inline void bench_tally_publish(struct bench_tally *t,
				       const struct bench_tally *mine)
{
	__atomic_store_n(&t->acquisitions, mine->acquisitions, __ATOMIC_RELEASE);
	__atomic_store_n(&t->updates, mine->updates, __ATOMIC_RELEASE);
	__atomic_store_n(&t->torn, mine->torn, __ATOMIC_RELEASE);
	__atomic_store_n(&t->worst_wait_ns, mine->worst_wait_ns, __ATOMIC_RELEASE);
}

#define BENCH_LOCK_DECLARE(id)	extern const struct bench_lock bench_lock_##id

#define BENCH_LOCK_DEFINE_SCOPED(id, name_str, type, ctx_type, init_expr,	\
				 enter_expr, lock_expr, unlock_expr,	\
				 leave_expr, fini_expr)			\
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
	static uint64_t bench_##id##_solo(struct bench_shared *sh,	\
					  uint64_t iters,		\
					  struct bench_tally *tally)	\
	{								\
		type *lock = (type *)sh->lock;				\
		ctx_type ctx_storage = { 0 }, *ctx = &ctx_storage;	\
		uint64_t start, end;					\
									\
		(void)lock;						\
		(void)ctx;						\
		enter_expr;						\
		start = bench_now_ns();					\
		for (uint64_t i = 0; i < iters; i++) {			\
			lock_expr;					\
			sh->counter++;					\
			unlock_expr;					\
		}							\
		end = bench_now_ns();					\
		leave_expr;						\
		tally->acquisitions = tally->updates = iters;		\
		return end - start;					\
	}								\
									\
	static void bench_##id##_worker(struct bench_shared *sh,	\
					struct bench_tally *tally)	\
	{								\
		type *lock = (type *)sh->lock;				\
		ctx_type ctx_storage = { 0 }, *ctx = &ctx_storage;	\
		unsigned long n = 0;					\
									\
		(void)lock;						\
		(void)ctx;						\
		enter_expr;						\
		while (!bench_stopped(sh)) {				\
			lock_expr;					\
			sh->counter++;					\
			unlock_expr;					\
			n++;						\
		}							\
		leave_expr;						\
		bench_tally_publish(tally, &(struct bench_tally){	\
			.acquisitions = n, .updates = n });		\
	}								\
									\
	/*								\
	 * The worker's loop, timed: a loop of its own, because two	\
	 * clock reads per acquisition would distort the throughput	\
	 * runs.  The clock is read just before the lock call and as	\
	 * soon as it returns; the maximum is kept after the unlock, so	\
	 * that only one clock read lengthens the critical section.	\
	 */								\
	static void bench_##id##_timed_worker(struct bench_shared *sh,	\
					      struct bench_tally *tally) \
	{								\
		type *lock = (type *)sh->lock;				\
		ctx_type ctx_storage = { 0 }, *ctx = &ctx_storage;	\
		uint64_t worst = 0;					\
		unsigned long n = 0;					\
									\
		(void)lock;						\
		(void)ctx;						\
		enter_expr;						\
		while (!bench_stopped(sh)) {				\
			uint64_t t0 = bench_now_ns(), t1;		\
									\
			lock_expr;					\
			t1 = bench_now_ns();				\
			sh->counter++;					\
			unlock_expr;					\
			worst = t1 - t0 > worst ? t1 - t0 : worst;	\
			n++;						\
		}							\
		leave_expr;						\
		bench_tally_publish(tally, &(struct bench_tally){	\
			.acquisitions = n, .updates = n,		\
			.worst_wait_ns = worst });			\
	}								\
									\
	BENCH_LOCK_DECLARE(id);						\
	const struct bench_lock bench_lock_##id = {			\
		.name = name_str,					\
		.init = bench_##id##_init,				\
		.fini = bench_##id##_fini,				\
		.solo = bench_##id##_solo,				\
		.worker = bench_##id##_worker,				\
		.timed_worker = bench_##id##_timed_worker,		\
	}

#define BENCH_LOCK_DEFINE(id, name_str, type, ctx_type,			\
			  init_expr, lock_expr, unlock_expr, fini_expr)	\
	BENCH_LOCK_DEFINE_SCOPED(id, name_str, type, ctx_type, init_expr,	\
				 (void)0, lock_expr, unlock_expr,	\
				 (void)0, fini_expr)

#endif /* KSYNC_BENCH_LOOPS_H */
