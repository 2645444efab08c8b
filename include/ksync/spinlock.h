/* SPDX-License-Identifier: MIT */
/*
 * <ksync/spinlock.h> - spin_lock() and friends.
 *
 *   DEFINE_SPINLOCK(x), spin_lock_init(&l)
 *   spin_lock(&l), spin_unlock(&l), spin_trylock(&l) (1 if taken)
 *   spin_lock_nested(&l, subclass)
 *   spin_is_locked(&l), spin_is_contended(&l), assert_spin_locked(&l)
 *   and raw_spin_* for each.  The _irq, _irqsave and _bh forms are in
 *   <ksync/spinlock_irq.h>.
 *
 * As in the kernel, a spinlock disables preemption while it is held: here
 * that means it adds to preempt_count(), so in_atomic() is true inside the
 * critical section and might_sleep() complains.
 *
 * The kernel names are macros over inline functions so that each call
 * passes where it was written (file, line, lock expression) to the debug
 * paths.  With debugging off, a lock is one compare-and-swap and an unlock
 * one store.  The lock waits by spinning for a bounded time and then
 * sleeping in the kernel (futex), so it does not collapse when threads
 * outnumber CPUs.
 */
#ifndef _KSYNC_SPINLOCK_H
#define _KSYNC_SPINLOCK_H

#include <ksync/compiler.h>
#include <ksync/barrier.h>
#include <ksync/spinlock_types.h>
#include <ksync/preempt.h>
#include <ksync/debug_locks.h>
#include <ksync/cleanup.h>

/* Out-of-line paths, taken when any run-time debugging is on. */
KSYNC_API void ksync_raw_spin_lock_debug(raw_spinlock_t *lock, int subclass,
					 const struct ksync_site *site);
KSYNC_API int ksync_raw_spin_trylock_debug(raw_spinlock_t *lock,
					   const struct ksync_site *site);
KSYNC_API void ksync_raw_spin_unlock_debug(raw_spinlock_t *lock,
					   const struct ksync_site *site);
KSYNC_API void ksync_raw_spin_lock_init(raw_spinlock_t *lock, const char *name,
					struct lock_class_key *key, short inner);
KSYNC_API void ksync_assert_spin_locked_failed(raw_spinlock_t *lock,
					       const struct ksync_site *site);

static __always_inline raw_spinlock_t *spinlock_check(spinlock_t *lock)
{
	return &lock->rlock;
}

#define __raw_spin_lock_init(lock, name, key, inner)			\
	ksync_raw_spin_lock_init((lock), (name), (key), (inner))

/* One lockdep class per place in the source that initialises locks. */
#define raw_spin_lock_init(lock)					\
	do {								\
		static struct lock_class_key __key;			\
		ksync_raw_spin_lock_init((lock), #lock, &__key, LD_WAIT_SPIN); \
	} while (0)

#define spin_lock_init(_lock)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_raw_spin_lock_init(spinlock_check(_lock), #_lock,	\
					 &__key, LD_WAIT_CONFIG);	\
	} while (0)

static __always_inline void
__ksync_raw_spin_lock(raw_spinlock_t *lock, int subclass,
		      const struct ksync_site *site)
{
	preempt_disable();
	if (ksync_debug_active()) {
		ksync_raw_spin_lock_debug(lock, subclass, site);
		return;
	}
	queued_spin_lock(&lock->raw_lock);
}

static __always_inline int
__ksync_raw_spin_trylock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	preempt_disable();
	if (ksync_debug_active()) {
		if (ksync_raw_spin_trylock_debug(lock, site))
			return 1;
	} else if (queued_spin_trylock(&lock->raw_lock)) {
		return 1;
	}
	preempt_enable();
	return 0;
}

static __always_inline void
__ksync_raw_spin_unlock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	if (ksync_debug_active())
		ksync_raw_spin_unlock_debug(lock, site);
	else
		queued_spin_unlock(&lock->raw_lock);
	preempt_enable();
}

static __always_inline void
__ksync_assert_raw_spin_locked(raw_spinlock_t *lock, const struct ksync_site *site)
{
	if (__ksync_unlikely(!queued_spin_is_locked(&lock->raw_lock)))
		ksync_assert_spin_locked_failed(lock, site);
}

#define raw_spin_lock(lock)						\
	__ksync_raw_spin_lock((lock), 0, KSYNC_SITE(#lock))
#define raw_spin_lock_nested(lock, subclass)				\
	__ksync_raw_spin_lock((lock), (subclass), KSYNC_SITE(#lock))
#define raw_spin_trylock(lock)						\
	__ksync_raw_spin_trylock((lock), KSYNC_SITE(#lock))
#define raw_spin_unlock(lock)						\
	__ksync_raw_spin_unlock((lock), KSYNC_SITE(#lock))
#define raw_spin_is_locked(lock)	queued_spin_is_locked(&(lock)->raw_lock)
#define raw_spin_is_contended(lock)	queued_spin_is_contended(&(lock)->raw_lock)
#define assert_raw_spin_locked(lock)					\
	__ksync_assert_raw_spin_locked((lock), KSYNC_SITE(#lock))

#define spin_lock(lock)							\
	__ksync_raw_spin_lock(spinlock_check(lock), 0, KSYNC_SITE(#lock))
#define spin_lock_nested(lock, subclass)				\
	__ksync_raw_spin_lock(spinlock_check(lock), (subclass), KSYNC_SITE(#lock))
#define spin_trylock(lock)						\
	__ksync_raw_spin_trylock(spinlock_check(lock), KSYNC_SITE(#lock))
#define spin_unlock(lock)						\
	__ksync_raw_spin_unlock(spinlock_check(lock), KSYNC_SITE(#lock))
#define spin_is_locked(lock)		raw_spin_is_locked(spinlock_check(lock))
#define spin_is_contended(lock)		raw_spin_is_contended(spinlock_check(lock))
#define assert_spin_locked(lock)					\
	__ksync_assert_raw_spin_locked(spinlock_check(lock), KSYNC_SITE(#lock))

DEFINE_LOCK_GUARD_1(raw_spinlock, raw_spinlock_t,
		    raw_spin_lock(_T->lock), raw_spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(raw_spinlock, _try, raw_spin_trylock(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_nested, raw_spinlock_t,
		    raw_spin_lock_nested(_T->lock, SINGLE_DEPTH_NESTING),
		    raw_spin_unlock(_T->lock))

DEFINE_LOCK_GUARD_1(spinlock, spinlock_t,
		    spin_lock(_T->lock), spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(spinlock, _try, spin_trylock(_T->lock))

#endif /* _KSYNC_SPINLOCK_H */
