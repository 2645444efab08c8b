/* SPDX-License-Identifier: MIT */
/*
 * <ksync/mutex.h> - struct mutex, the kernel's sleeping lock.
 *
 *   DEFINE_MUTEX(m), mutex_init(&m), mutex_destroy(&m)
 *   mutex_lock(&m), mutex_unlock(&m)
 *   mutex_lock_interruptible(&m)	0, or -EINTR if an interrupt arrived
 *   mutex_lock_killable(&m)		0, or -EINTR after a fatal signal
 *   mutex_trylock(&m)			1 if taken, 0 if not
 *   mutex_lock_nested(&m, subclass), mutex_lock_nest_lock(&m, &outer)
 *   mutex_is_locked(&m), atomic_dec_and_mutex_lock(&cnt, &m)
 *   guard(mutex)(&m), scoped_guard(mutex_try, &m), mutex_intr
 *
 * The algorithm is the kernel's: an owner word holding the owner (its CPU
 * block) and three flag bits; one compare-and-swap to lock and one to
 * unlock when uncontended; optimistic spinning while the owner runs, with
 * an MCS-style queue (the OSQ) so that at most one thread spins on the
 * owner; then sleeping on a futex in FIFO order; and handoff, so that a
 * waiter that has waited long enough gets the lock directly instead of
 * losing it, again and again, to threads that are already running.
 *
 * A mutex may sleep: taking one in atomic context (spinlock held,
 * interrupts masked, in a handler) is reported by might_sleep().  With
 * KSYNC_DEBUG=1, unlocking a mutex that the caller does not hold, taking a
 * mutex twice, and destroying or re-initialising a held mutex are
 * reported too.  Never copy an initialised mutex.
 */
#ifndef _KSYNC_MUTEX_H
#define _KSYNC_MUTEX_H

#include <ksync/compiler.h>
#include <ksync/atomic.h>
#include <ksync/cleanup.h>
#include <ksync/debug_locks.h>
#include <ksync/list_types.h>
#include <ksync/lockdep_types.h>
#include <ksync/percpu.h>
#include <ksync/sched.h>
#include <ksync/spinlock_types.h>
#include <ksync/tsan.h>

/*
 * While the process has one thread, the fast paths need no bus lock (as
 * glibc's own locks): glibc clears __libc_single_threaded in
 * pthread_create() before the second thread exists, and only this very
 * thread can create it, so between our load and our store no other
 * thread exists; pthread_create() then orders our plain stores before
 * anything the new thread does.  A mutex is never taken in an interrupt
 * handler (might_sleep()), and a trylock there that completes before it
 * returns leaves the word as it found it.  Threads made with a raw
 * clone(CLONE_VM) bypass glibc's flag, and with them this shortcut: build
 * with -DKSYNC_NO_SINGLE_THREAD_FAST_PATH if you do that.
 */
#if defined(__GLIBC__) && !defined(KSYNC_NO_SINGLE_THREAD_FAST_PATH) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#include <sys/single_threaded.h>
#define __ksync_single_threaded()	(__libc_single_threaded != 0)
#else
#define __ksync_single_threaded()	0
#endif

/* The optimistic spinners' queue: tail = CPU number + 1, 0 when empty. */
struct optimistic_spin_queue {
	atomic_t tail;
};
#define OSQ_UNLOCKED_VAL	0
#define OSQ_LOCK_UNLOCKED	{ ATOMIC_INIT(OSQ_UNLOCKED_VAL) }

struct mutex {
	atomic_long_t owner;		/* owner's CPU block | MUTEX_FLAG_* */
	raw_spinlock_t wait_lock;	/* protects wait_list */
	struct optimistic_spin_queue osq;
	/*
	 * Debug: which thread owns it (its incarnation, see smp.h), written
	 * by the slow path, which every acquisition takes while debugging.
	 * A thread that reuses an exited owner's CPU block is then not
	 * taken for the owner.  Fills a hole: the size is unchanged.
	 */
	unsigned int owner_incarnation;
	struct ksync_list_head wait_list;
	void *magic;			/* the mutex's own address once initialised */
	struct lockdep_map dep_map;
};

#define __MUTEX_INITIALIZER(lockname)					\
	{								\
		.owner = ATOMIC_LONG_INIT(0),				\
		.wait_lock = __RAW_SPIN_LOCK_INITIALIZER(lockname.wait_lock), \
		.osq = OSQ_LOCK_UNLOCKED,				\
		.wait_list = KSYNC_LIST_HEAD_INIT(lockname.wait_list),	\
		.magic = &lockname,					\
		.dep_map = {						\
			.name = #lockname,				\
			.wait_type_inner = LD_WAIT_SLEEP,		\
			.kind = KSYNC_LOCK_MUTEX,			\
		},							\
	}

#define DEFINE_MUTEX(mutexname)						\
	struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

KSYNC_API void ksync_mutex_init(struct mutex *lock, const char *name,
				struct lock_class_key *key);
KSYNC_API void ksync_mutex_destroy(struct mutex *lock, const struct ksync_site *site);
KSYNC_API int ksync_mutex_lock_slowpath(struct mutex *lock, unsigned int state,
					unsigned int subclass,
					struct lockdep_map *nest_lock,
					const struct ksync_site *site);
KSYNC_API int ksync_mutex_trylock_slowpath(struct mutex *lock,
					   const struct ksync_site *site);
KSYNC_API void ksync_mutex_unlock_slowpath(struct mutex *lock,
					   const struct ksync_site *site);
KSYNC_API int ksync_atomic_dec_and_mutex_lock(atomic_t *cnt, struct mutex *lock,
					      const struct ksync_site *site);
/*
 * ksync extension (the kernel has no timed mutex): lock, or give up at
 * deadline_ns (CLOCK_MONOTONIC) with -ETIMEDOUT.  For pthread_mutex_timedlock().
 */
KSYNC_API int ksync_mutex_lock_until(struct mutex *lock, uint64_t deadline_ns,
				     const struct ksync_site *site);

/* One lockdep class per place in the source that initialises mutexes. */
#define mutex_init(mutex)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_mutex_init((mutex), #mutex, &__key);		\
	} while (0)

#define MUTEX_FLAG_WAITERS	0x01UL	/* wait list non-empty: unlock wakes */
#define MUTEX_FLAG_HANDOFF	0x02UL	/* unlock must hand to the top waiter */
#define MUTEX_FLAG_PICKUP	0x04UL	/* handed off, waiting for pickup */
#define MUTEX_FLAGS		0x07UL

static __always_inline bool mutex_is_locked(struct mutex *lock)
{
	return (atomic_long_read(&lock->owner) & ~MUTEX_FLAGS) != 0;
}

/*
 * The fast paths: the owner word goes 0 -> current and back.  current is
 * this thread's CPU block; a thread that has none yet takes the slow path,
 * which registers it.  Debugging sends everything to the slow path.
 */
static __always_inline bool __ksync_mutex_trylock_fast(struct mutex *lock)
{
	long curr = (long)ksync_tls.cpu, unowned = 0;

	if (ksync_debug_active() || !curr)
		return false;
	if (__ksync_single_threaded()) {
		/* No other thread: a plain load and store (see above). */
		if (atomic_long_read(&lock->owner) != 0)
			return false;
		atomic_long_set(&lock->owner, curr);
		return true;
	}
	/* Acquire: pairs with the release in the unlock paths. */
	return atomic_long_try_cmpxchg_acquire(&lock->owner, &unowned, curr);
}

/*
 * Under ThreadSanitizer each operation is annotated as one on the mutex
 * (<ksync/tsan.h>): the slow paths are in the library, where TSan cannot
 * see the hand-over.  A lock that fails (-EINTR) is a failed attempt.
 */
static __always_inline int
__ksync_mutex_lock(struct mutex *lock, unsigned int state, unsigned int subclass,
		   struct lockdep_map *nest, const struct ksync_site *site)
{
	int ret = 0;

	__ksync_might_sleep(site, 0);
	__ksync_tsan_pre_lock(lock, 0);
	if (!__ksync_likely(__ksync_mutex_trylock_fast(lock)))
		ret = ksync_mutex_lock_slowpath(lock, state, subclass, nest, site);
	__ksync_tsan_post_lock(lock, 0, ret == 0);
	return ret;
}

static __always_inline int
__ksync_mutex_trylock(struct mutex *lock, const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_TRY);
	taken = __ksync_likely(__ksync_mutex_trylock_fast(lock)) ||
		ksync_mutex_trylock_slowpath(lock, site);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_TRY, taken);
	return taken;
}

static __always_inline void
__ksync_mutex_unlock(struct mutex *lock, const struct ksync_site *site)
{
	long curr = (long)ksync_tls.cpu;

	__ksync_tsan_pre_unlock(lock, 0);
	if (__ksync_unlikely(ksync_debug_active() || !curr)) {
		ksync_mutex_unlock_slowpath(lock, site);
	} else if (__ksync_single_threaded()) {
		/* No other thread: nobody waits, nothing to order (see above). */
		if (__ksync_likely(atomic_long_read(&lock->owner) == curr))
			atomic_long_set(&lock->owner, 0);
		else
			ksync_mutex_unlock_slowpath(lock, site);
	} else if (__ksync_unlikely(!atomic_long_try_cmpxchg_release(&lock->owner,
								     &curr, 0))) {
		/* Release: the critical section before the next owner's acquire. */
		ksync_mutex_unlock_slowpath(lock, site);
	}
	__ksync_tsan_post_unlock(lock, 0);
}

static __always_inline void
__ksync_mutex_destroy(struct mutex *lock, const struct ksync_site *site)
{
	ksync_mutex_destroy(lock, site);
	__ksync_tsan_destroy(lock);
}

/*
 * Locks only when the count drops to 0, and may sleep then: annotated as
 * a try, so that TSan's lock-order check does not count the calls that
 * take nothing.  The timed lock likewise (as TSan's pthread_mutex_timedlock).
 */
static __always_inline int
__ksync_atomic_dec_and_mutex_lock(atomic_t *cnt, struct mutex *lock,
				  const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_TRY);
	taken = ksync_atomic_dec_and_mutex_lock(cnt, lock, site);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_TRY, taken);
	return taken;
}

#ifdef __KSYNC_TSAN_ANNOTATE
static __always_inline int
__ksync_tsan_mutex_lock_until(struct mutex *lock, uint64_t deadline_ns,
			      const struct ksync_site *site)
{
	int ret;

	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_TRY);
	ret = (ksync_mutex_lock_until)(lock, deadline_ns, site);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_TRY, ret == 0);
	return ret;
}
#define ksync_mutex_lock_until(lock, deadline_ns, site)			\
	__ksync_tsan_mutex_lock_until((lock), (deadline_ns), (site))
#endif

#define __KSYNC_MUTEX_SITE(lock)	KSYNC_SITE(#lock)

#define mutex_lock(lock)						\
	((void)__ksync_mutex_lock((lock), TASK_UNINTERRUPTIBLE, 0, NULL,	\
				  __KSYNC_MUTEX_SITE(lock)))
#define mutex_lock_nested(lock, subclass)				\
	((void)__ksync_mutex_lock((lock), TASK_UNINTERRUPTIBLE, (subclass), \
				  NULL, __KSYNC_MUTEX_SITE(lock)))
#define mutex_lock_nest_lock(lock, nest)				\
	((void)__ksync_mutex_lock((lock), TASK_UNINTERRUPTIBLE, 0,	\
				  &(nest)->dep_map, __KSYNC_MUTEX_SITE(lock)))
#define mutex_lock_io(lock)		mutex_lock(lock)
#define mutex_lock_interruptible(lock)					\
	__ksync_mutex_lock((lock), TASK_INTERRUPTIBLE, 0, NULL,		\
			   __KSYNC_MUTEX_SITE(lock))
#define mutex_lock_interruptible_nested(lock, subclass)			\
	__ksync_mutex_lock((lock), TASK_INTERRUPTIBLE, (subclass), NULL,	\
			   __KSYNC_MUTEX_SITE(lock))
#define mutex_lock_killable(lock)					\
	__ksync_mutex_lock((lock), TASK_KILLABLE, 0, NULL,		\
			   __KSYNC_MUTEX_SITE(lock))
#define mutex_lock_killable_nested(lock, subclass)			\
	__ksync_mutex_lock((lock), TASK_KILLABLE, (subclass), NULL,	\
			   __KSYNC_MUTEX_SITE(lock))
#define mutex_trylock(lock)						\
	__ksync_mutex_trylock((lock), __KSYNC_MUTEX_SITE(lock))
#define mutex_unlock(lock)						\
	__ksync_mutex_unlock((lock), __KSYNC_MUTEX_SITE(lock))
#define mutex_destroy(lock)						\
	__ksync_mutex_destroy((lock), __KSYNC_MUTEX_SITE(lock))
#define atomic_dec_and_mutex_lock(cnt, lock)				\
	__ksync_atomic_dec_and_mutex_lock((cnt), (lock), __KSYNC_MUTEX_SITE(lock))

DEFINE_GUARD(mutex, struct mutex *, mutex_lock(_T), mutex_unlock(_T))
DEFINE_GUARD_COND(mutex, _try, mutex_trylock(_T))
DEFINE_GUARD_COND(mutex, _intr, mutex_lock_interruptible(_T) == 0)

#endif /* _KSYNC_MUTEX_H */
