/* SPDX-License-Identifier: MIT */
/*
 * <ksync/rtmutex.h> - struct rt_mutex, the priority-inheriting mutex.
 *
 *   DEFINE_RT_MUTEX(m), rt_mutex_init(&m), rt_mutex_destroy(&m)
 *   rt_mutex_lock(&m), rt_mutex_unlock(&m)
 *   rt_mutex_lock_nested(&m, subclass)
 *   rt_mutex_lock_interruptible(&m)	0, or -EINTR if an interrupt arrived
 *   rt_mutex_lock_killable(&m)		0, or -EINTR after a fatal signal
 *   rt_mutex_trylock(&m)		1 if taken, 0 if not
 *   rt_mutex_is_locked(&m)
 *   guard(rt_mutex)(&m), scoped_guard(rt_mutex_try, &m)
 *
 * Priority inheritance is the kernel's own: the lock word is a PI futex
 * (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI / FUTEX_TRYLOCK_PI), holding the
 * owner's thread id and FUTEX_WAITERS, 0 when free.  Uncontended, lock
 * and unlock are one compare-and-swap of the word in userspace (0 <->
 * tid), as glibc's PTHREAD_PRIO_INHERIT mutex does.  Contended, the
 * waiter asks the kernel to queue it: the kernel then runs the owner at
 * the best priority of the threads that wait for it (and so on along a
 * chain of rt_mutexes) until it unlocks, and the unlock hands the lock
 * to the best waiter.  So a SCHED_FIFO thread waiting for an rt_mutex
 * held by a low-priority thread is not held up by threads of middle
 * priority: the owner runs at the waiter's priority.
 *
 * An rt_mutex may sleep: taking one in atomic context is reported by
 * might_sleep().  Unlocking an rt_mutex the caller does not hold is
 * refused and reported, always; with KSYNC_DEBUG=1, taking one twice,
 * destroying a held one and using a destroyed one are reported too, and
 * with KSYNC_LOCKDEP=1 lockdep validates it as the kernel does (its class
 * is the init site's, wait type LD_WAIT_SLEEP).
 */
#ifndef _KSYNC_RTMUTEX_H
#define _KSYNC_RTMUTEX_H

#include <stdint.h>
#include <ksync/compiler.h>
#include <ksync/cleanup.h>
#include <ksync/debug_locks.h>
#include <ksync/lockdep_types.h>
#include <ksync/sched.h>
#include <ksync/tsan.h>

struct rt_mutex_base {
	/* The PI futex word: owner's tid | FUTEX_WAITERS; 0 when free. */
	uint32_t owner;
};

struct rt_mutex {
	struct rt_mutex_base rtmutex;
	/* The rt_mutex's own address once initialised (1: destroyed). */
	void *magic;
	struct lockdep_map dep_map;
};

#define __RT_MUTEX_INITIALIZER(mutexname)				\
	{								\
		.rtmutex = { .owner = 0 },				\
		.magic = &mutexname,					\
		.dep_map = {						\
			.name = #mutexname,				\
			.wait_type_inner = LD_WAIT_SLEEP,		\
			.kind = KSYNC_LOCK_MUTEX,			\
		},							\
	}

#define DEFINE_RT_MUTEX(mutexname)					\
	struct rt_mutex mutexname = __RT_MUTEX_INITIALIZER(mutexname)

KSYNC_API void ksync_rt_mutex_init(struct rt_mutex *lock, const char *name,
				   struct lock_class_key *key);
KSYNC_API void ksync_rt_mutex_destroy(struct rt_mutex *lock,
				      const struct ksync_site *site);
KSYNC_API int ksync_rt_mutex_lock(struct rt_mutex *lock, unsigned int state,
				  unsigned int subclass, const struct ksync_site *site);
KSYNC_API int ksync_rt_mutex_trylock(struct rt_mutex *lock,
				     const struct ksync_site *site);
KSYNC_API void ksync_rt_mutex_unlock(struct rt_mutex *lock,
				     const struct ksync_site *site);

/* One lockdep class per place in the source that initialises rt_mutexes. */
#define rt_mutex_init(mutex)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_rt_mutex_init((mutex), #mutex, &__key);		\
	} while (0)
#define __rt_mutex_init(mutex, name, key)	ksync_rt_mutex_init((mutex), (name), (key))

static __always_inline int rt_mutex_base_is_locked(struct rt_mutex_base *lock)
{
	/* Bit 30 (FUTEX_OWNER_DIED) and 31 (FUTEX_WAITERS) are not owners. */
	return (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) & 0x3fffffffu) != 0;
}

static __always_inline int rt_mutex_is_locked(struct rt_mutex *lock)
{
	return rt_mutex_base_is_locked(&lock->rtmutex);
}

/*
 * Under ThreadSanitizer each operation is annotated as one on the lock
 * (<ksync/tsan.h>): the hand-over happens in the kernel, out of its sight.
 */
static __always_inline int
__ksync_rt_mutex_lock(struct rt_mutex *lock, unsigned int state,
		      unsigned int subclass, const struct ksync_site *site)
{
	int ret;

	__ksync_might_sleep(site, 0);
	__ksync_tsan_pre_lock(lock, 0);
	ret = ksync_rt_mutex_lock(lock, state, subclass, site);
	__ksync_tsan_post_lock(lock, 0, ret == 0);
	return ret;
}

static __always_inline int
__ksync_rt_mutex_trylock(struct rt_mutex *lock, const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_TRY);
	taken = ksync_rt_mutex_trylock(lock, site);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_TRY, taken);
	return taken;
}

static __always_inline void
__ksync_rt_mutex_unlock(struct rt_mutex *lock, const struct ksync_site *site)
{
	__ksync_tsan_pre_unlock(lock, 0);
	ksync_rt_mutex_unlock(lock, site);
	__ksync_tsan_post_unlock(lock, 0);
}

static __always_inline void
__ksync_rt_mutex_destroy(struct rt_mutex *lock, const struct ksync_site *site)
{
	ksync_rt_mutex_destroy(lock, site);
	__ksync_tsan_destroy(lock);
}

#define __KSYNC_RT_SITE(lock)	KSYNC_SITE(#lock)

#define rt_mutex_lock(lock)						\
	((void)__ksync_rt_mutex_lock((lock), TASK_UNINTERRUPTIBLE, 0,	\
				     __KSYNC_RT_SITE(lock)))
#define rt_mutex_lock_nested(lock, subclass)				\
	((void)__ksync_rt_mutex_lock((lock), TASK_UNINTERRUPTIBLE,	\
				     (subclass), __KSYNC_RT_SITE(lock)))
#define rt_mutex_lock_interruptible(lock)				\
	__ksync_rt_mutex_lock((lock), TASK_INTERRUPTIBLE, 0, __KSYNC_RT_SITE(lock))
#define rt_mutex_lock_killable(lock)					\
	__ksync_rt_mutex_lock((lock), TASK_KILLABLE, 0, __KSYNC_RT_SITE(lock))
#define rt_mutex_trylock(lock)						\
	__ksync_rt_mutex_trylock((lock), __KSYNC_RT_SITE(lock))
#define rt_mutex_unlock(lock)						\
	__ksync_rt_mutex_unlock((lock), __KSYNC_RT_SITE(lock))
#define rt_mutex_destroy(lock)						\
	__ksync_rt_mutex_destroy((lock), __KSYNC_RT_SITE(lock))

DEFINE_GUARD(rt_mutex, struct rt_mutex *, rt_mutex_lock(_T), rt_mutex_unlock(_T))
DEFINE_GUARD_COND(rt_mutex, _try, rt_mutex_trylock(_T))
DEFINE_GUARD_COND(rt_mutex, _intr, rt_mutex_lock_interruptible(_T) == 0)

#endif /* _KSYNC_RTMUTEX_H */
