/* SPDX-License-Identifier: MIT */
/*
 * <ksync/ww_mutex.h> - wound/wait mutexes (the kernel's ww_mutex).
 *
 * Locks of one class taken in any order by transactions that back off
 * when they would deadlock: each transaction (struct ww_acquire_ctx) gets
 * a stamp from its class when it begins; when two collide, the older one
 * wins and the younger one gets -EDEADLK, drops every lock of the class
 * it holds, takes the contended one with ww_mutex_lock_slow() and starts
 * over.  Two ways to decide (a property of the class):
 *
 *   DEFINE_WD_CLASS(c)	wait-die: a younger transaction that would wait
 *			for an older holder dies (-EDEADLK) at once
 *   DEFINE_WW_CLASS(c)	wound-wait: an older transaction that would wait
 *			for a younger holder wounds it; the wounded one
 *			backs off at its next contended ww_mutex_lock()
 *
 *   ww_mutex_init(&m, &c), ww_mutex_destroy(&m), ww_mutex_is_locked(&m)
 *   ww_acquire_init(&ctx, &c), ww_acquire_done(&ctx), ww_acquire_fini(&ctx)
 *   ww_mutex_lock(&m, &ctx)		0, -EDEADLK (back off), -EALREADY
 *					(ctx holds it already)
 *   ww_mutex_lock_interruptible(&m, &ctx)	the same, or -EINTR
 *   ww_mutex_lock_slow(&m, &ctx)		after -EDEADLK, no lock held
 *   ww_mutex_lock_slow_interruptible(&m, &ctx)	0 or -EINTR
 *   ww_mutex_trylock(&m, &ctx)		1 if taken, 0 if not; ctx may be NULL
 *   ww_mutex_unlock(&m)
 *
 * A NULL ctx makes ww_mutex_lock() a plain mutex_lock() (lockdep then
 * reports two locks of one class as recursion, as in the kernel).
 *
 * Built over struct mutex's owner word (the same one compare-and-swap each
 * way when uncontended), with a slow path of its own that keeps the wait
 * list in stamp order (src/locking/ww_mutex.c).  Use only the ww_mutex_*
 * calls on a ww_mutex, never mutex_lock(&m.base).  See docs/ww_mutex.md.
 */
#ifndef _KSYNC_WW_MUTEX_H
#define _KSYNC_WW_MUTEX_H

#include <ksync/errno.h>
#include <ksync/mutex.h>
#include <ksync/lockdep.h>

struct ww_class {
	atomic_long_t stamp;			/* the last stamp handed out */
	struct lock_class_key acquire_key;	/* lockdep: the contexts' class */
	struct lock_class_key mutex_key;	/* lockdep: the mutexes' class */
	const char *acquire_name;
	const char *mutex_name;
	unsigned int is_wait_die;
};

struct ww_acquire_ctx {
	struct task_struct *task;
	unsigned long stamp;
	unsigned int acquired;		/* ww_mutexes held under this ctx */
	unsigned short wounded;		/* wound-wait: back off (other threads set it) */
	unsigned short is_wait_die;
	/* The checks of the kernel's DEBUG_WW_MUTEXES (KSYNC_DEBUG=1). */
	unsigned int done_acquire;
	struct ww_class *ww_class;
	void *contending_lock;		/* the lock that said -EDEADLK */
	struct lockdep_map dep_map;	/* held from init to fini */
};

struct ww_mutex {
	struct mutex base;
	struct ww_acquire_ctx *ctx;	/* the holder's ctx; NULL without one */
	struct ww_class *ww_class;
};

#define __WW_CLASS_INITIALIZER(ww_class, _is_wait_die)			\
	{								\
		.stamp = ATOMIC_LONG_INIT(0),				\
		.acquire_name = #ww_class "_acquire",			\
		.mutex_name = #ww_class "_mutex",			\
		.is_wait_die = (_is_wait_die),				\
	}

#define DEFINE_WD_CLASS(classname)					\
	struct ww_class classname = __WW_CLASS_INITIALIZER(classname, 1)
#define DEFINE_WW_CLASS(classname)					\
	struct ww_class classname = __WW_CLASS_INITIALIZER(classname, 0)

KSYNC_API void ksync_ww_acquire_init(struct ww_acquire_ctx *ctx,
				     struct ww_class *ww_class,
				     const struct ksync_site *site);
KSYNC_API void ksync_ww_acquire_done(struct ww_acquire_ctx *ctx,
				     const struct ksync_site *site);
KSYNC_API void ksync_ww_acquire_fini(struct ww_acquire_ctx *ctx,
				     const struct ksync_site *site);
KSYNC_API int ksync_ww_mutex_lock_slowpath(struct ww_mutex *lock,
					   struct ww_acquire_ctx *ctx,
					   unsigned int state,
					   const struct ksync_site *site);
KSYNC_API void ksync_ww_mutex_fast_waiters(struct ww_mutex *lock,
					   struct ww_acquire_ctx *ctx);
KSYNC_API int ksync_ww_mutex_trylock_slowpath(struct ww_mutex *lock,
					      struct ww_acquire_ctx *ctx,
					      const struct ksync_site *site);
KSYNC_API void ksync_ww_mutex_unlock_slowpath(struct ww_mutex *lock,
					      const struct ksync_site *site);
KSYNC_API void ksync_ww_mutex_lock_slow_check(struct ww_acquire_ctx *ctx,
					      const struct ksync_site *site);

static inline void ww_mutex_init(struct ww_mutex *lock, struct ww_class *ww_class)
{
	ksync_mutex_init(&lock->base, ww_class->mutex_name, &ww_class->mutex_key);
	lock->ctx = NULL;
	lock->ww_class = ww_class;
}

static inline bool ww_mutex_is_locked(struct ww_mutex *lock)
{
	return mutex_is_locked(&lock->base);
}

/* Non-zero: the fast path fences itself (no membarrier(2) here). */
extern KSYNC_API int ksync_ww_mutex_fast_fence;

/*
 * Taken with the inline compare-and-swap: say so under ctx.  A thread
 * that queued meanwhile may need to die or to wound us, and it may have
 * looked for lock->ctx before we stored it.  Each side stores, then loads
 * the other's word (we: lock->ctx, then WAITERS; the waiter: WAITERS, then
 * lock->ctx): store buffering, which needs a full barrier on both sides
 * (the kernel's smp_mb() pair) so that at least one sees the other.  As
 * percpu_rw_semaphore's readers, the fast side pays only a compiler
 * barrier: the waiter that sets WAITERS issues membarrier(2), which puts
 * a full barrier into every running thread.  Where membarrier(2) is
 * missing, both sides are sequentially consistent instead.  While the
 * process has one thread nobody can queue (see <ksync/mutex.h>).
 */
static __always_inline void
__ksync_ww_set_context_fast(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	long owner;

	/*
	 * Relaxed: a wound can come late, after our last unlock (a waiter
	 * that read our ctx under wait_lock before it), but it happened
	 * before this lock: we were then blocked on that wait_lock, or our
	 * unlock acquired the last waiter's release clear of WAITERS.
	 */
	if (!ctx->acquired)
		__atomic_store_n(&ctx->wounded, 0, __ATOMIC_RELAXED);
	ctx->acquired++;
	if (__ksync_unlikely(__atomic_load_n(&ksync_ww_mutex_fast_fence, __ATOMIC_RELAXED))) {
		(void)__atomic_exchange_n(&lock->ctx, ctx, __ATOMIC_SEQ_CST);
		owner = __atomic_load_n(&lock->base.owner.counter, __ATOMIC_SEQ_CST);
	} else {
		/* Release: the ctx's stamp, which waiters read through it. */
		__atomic_store_n(&lock->ctx, ctx, __ATOMIC_RELEASE);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		owner = __atomic_load_n(&lock->base.owner.counter, __ATOMIC_RELAXED);
	}
	if (__ksync_unlikely(owner & (long)MUTEX_FLAG_WAITERS))
		ksync_ww_mutex_fast_waiters(lock, ctx);
}

/*
 * The inline lock: the mutex's (<ksync/mutex.h>), then the ctx.  With one
 * thread in the process nobody can queue: plain accesses, no barrier.
 */
static __always_inline bool
__ksync_ww_trylock_fast(struct ww_mutex *lock, struct ww_acquire_ctx *ctx)
{
	long curr = (long)ksync_tls.cpu, unowned = 0;

	if (ksync_debug_active() || !curr)
		return false;
	if (__ksync_single_threaded()) {
		if (atomic_long_read(&lock->base.owner) != 0)
			return false;
		atomic_long_set(&lock->base.owner, curr);
		if (ctx) {
			if (!ctx->acquired)
				__atomic_store_n(&ctx->wounded, 0, __ATOMIC_RELAXED);
			ctx->acquired++;
			__atomic_store_n(&lock->ctx, ctx, __ATOMIC_RELEASE);
		}
		return true;
	}
	/* Acquire: pairs with the release in the unlock paths. */
	if (!atomic_long_try_cmpxchg_acquire(&lock->base.owner, &unowned, curr))
		return false;
	if (ctx)
		__ksync_ww_set_context_fast(lock, ctx);
	return true;
}

/*
 * TSan sees every ww lock as a try: a ww class takes its locks in any
 * order by design (the stamps resolve the cycles), so TSan's lock-order
 * check must not count them; lockdep checks what matters (the ctx).
 */
static __always_inline int
__ksync_ww_mutex_lock(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
		      unsigned int state, const struct ksync_site *site)
{
	int ret = 0;

	__ksync_might_sleep(site, 0);
	__ksync_tsan_pre_lock(&lock->base, __KSYNC_TSAN_TRY);
	if (!__ksync_likely(__ksync_ww_trylock_fast(lock, ctx)))
		ret = ksync_ww_mutex_lock_slowpath(lock, ctx, state, site);
	__ksync_tsan_post_lock(&lock->base, __KSYNC_TSAN_TRY, ret == 0);
	return ret;
}

static __always_inline int
__ksync_ww_mutex_trylock(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
			 const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(&lock->base, __KSYNC_TSAN_TRY);
	taken = __ksync_ww_trylock_fast(lock, ctx) ||
		ksync_ww_mutex_trylock_slowpath(lock, ctx, site);
	__ksync_tsan_post_lock(&lock->base, __KSYNC_TSAN_TRY, taken);
	return taken;
}

/*
 * Ours (else the slow path refuses it, ctx untouched): forget the ctx,
 * then release, which publishes that too.
 */
static __always_inline void
__ksync_ww_mutex_unlock(struct ww_mutex *lock, const struct ksync_site *site)
{
	long curr = (long)ksync_tls.cpu;
	struct ww_acquire_ctx *ctx;

	__ksync_tsan_pre_unlock(&lock->base, 0);
	if (__ksync_unlikely(ksync_debug_active() || !curr ||
			     (atomic_long_read(&lock->base.owner) & ~(long)MUTEX_FLAGS) != curr)) {
		ksync_ww_mutex_unlock_slowpath(lock, site);
		goto out;
	}
	ctx = lock->ctx;
	if (ctx) {
		if (__ksync_likely(ctx->acquired > 0))
			ctx->acquired--;
		/* Relaxed: the release of the owner word orders it. */
		__atomic_store_n(&lock->ctx, NULL, __ATOMIC_RELAXED);
	}
	if (__ksync_single_threaded())
		atomic_long_set(&lock->base.owner, 0);	/* nobody waits */
	/*
	 * Release: the critical section before the next owner's acquire.
	 * And acquire: a waiter that read our ctx left the list before we
	 * got here, clearing WAITERS last with a release (ww_mutex.c); our
	 * ctx may be reused once we return.  On x86 the same instruction.
	 */
	else if (!atomic_long_try_cmpxchg(&lock->base.owner, &curr, 0))
		ksync_ww_mutex_unlock_slowpath(lock, site);
out:
	__ksync_tsan_post_unlock(&lock->base, 0);
}

#define __KSYNC_WW_SITE(lock)	KSYNC_SITE(#lock)

#define ww_acquire_init(ctx, ww_class)					\
	ksync_ww_acquire_init((ctx), (ww_class), __KSYNC_WW_SITE(ctx))
#define ww_acquire_done(ctx)						\
	ksync_ww_acquire_done((ctx), __KSYNC_WW_SITE(ctx))
#define ww_acquire_fini(ctx)						\
	ksync_ww_acquire_fini((ctx), __KSYNC_WW_SITE(ctx))

#define ww_mutex_lock(lock, ctx)					\
	__ksync_ww_mutex_lock((lock), (ctx), TASK_UNINTERRUPTIBLE,	\
			      __KSYNC_WW_SITE(lock))
#define ww_mutex_lock_interruptible(lock, ctx)				\
	__ksync_ww_mutex_lock((lock), (ctx), TASK_INTERRUPTIBLE,	\
			      __KSYNC_WW_SITE(lock))
/* After -EDEADLK, with every other lock of the ctx dropped: waits, never dies. */
#define ww_mutex_lock_slow(lock, ctx)					\
	do {								\
		struct ww_acquire_ctx *__wws_ctx = (ctx);		\
									\
		ksync_ww_mutex_lock_slow_check(__wws_ctx, __KSYNC_WW_SITE(lock)); \
		(void)__ksync_ww_mutex_lock((lock), __wws_ctx,		\
					    TASK_UNINTERRUPTIBLE,	\
					    __KSYNC_WW_SITE(lock));	\
	} while (0)
#define ww_mutex_lock_slow_interruptible(lock, ctx)			\
	({								\
		struct ww_acquire_ctx *__wws_ctx = (ctx);		\
									\
		ksync_ww_mutex_lock_slow_check(__wws_ctx, __KSYNC_WW_SITE(lock)); \
		__ksync_ww_mutex_lock((lock), __wws_ctx, TASK_INTERRUPTIBLE, \
				      __KSYNC_WW_SITE(lock));		\
	})
#define ww_mutex_trylock(lock, ctx)					\
	__ksync_ww_mutex_trylock((lock), (ctx), __KSYNC_WW_SITE(lock))
#define ww_mutex_unlock(lock)						\
	__ksync_ww_mutex_unlock((lock), __KSYNC_WW_SITE(lock))
#define ww_mutex_destroy(lock)						\
	__ksync_mutex_destroy(&(lock)->base, __KSYNC_WW_SITE(lock))

#endif /* _KSYNC_WW_MUTEX_H */
