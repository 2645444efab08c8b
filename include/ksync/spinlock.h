/* SPDX-License-Identifier: MIT */
/*
 * <ksync/spinlock.h> - spin_lock() and friends.
 *
 *   DEFINE_SPINLOCK(x), spin_lock_init(&l)
 *   spin_lock(&l), spin_unlock(&l), spin_trylock(&l) (1 if taken)
 *   spin_lock_nested(&l, subclass)
 *   spin_lock_irq / spin_unlock_irq / spin_trylock_irq
 *   spin_lock_irqsave(&l, flags) / spin_unlock_irqrestore(&l, flags) /
 *     spin_trylock_irqsave(&l, flags)          (flags: unsigned long)
 *   spin_lock_bh / spin_unlock_bh / spin_trylock_bh
 *   spin_lock_irq_disable / spin_unlock_irq_enable /
 *     spin_trylock_irq_disable                  (counted, any release order)
 *   spin_lock_with(&l, &token) / spin_trylock_with(&l, &token)
 *                                               (interrupts already off)
 *   spin_is_locked, spin_is_contended, assert_spin_locked
 *   and raw_spin_* for each.
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
#include <ksync/cleanup.h>
#include <ksync/spinlock_api.h>

static __always_inline raw_spinlock_t *spinlock_check(spinlock_t *lock)
{
	return &lock->rlock;
}

/* The kernel's typecheck(unsigned long, flags), as a hard error. */
#define __ksync_check_flags(flags)					\
	_Static_assert(__builtin_types_compatible_p(__typeof__(flags),	\
						    unsigned long),	\
		       "irq flags must be unsigned long")

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

/* --- raw_spin_* ------------------------------------------------------------ */

#define __KSYNC_HERE(lock)	KSYNC_SITE(#lock)

#define raw_spin_lock(lock)	__ksync_raw_spin_lock((lock), 0, __KSYNC_HERE(lock))
#define raw_spin_lock_nested(lock, subclass)				\
	__ksync_raw_spin_lock((lock), (subclass), __KSYNC_HERE(lock))
#define raw_spin_lock_nest_lock(lock, nest_lock)			\
	__ksync_raw_spin_lock_nest_lock((lock), &(nest_lock)->dep_map,	\
					__KSYNC_HERE(lock))
#define raw_spin_trylock(lock)	__ksync_raw_spin_trylock((lock), __KSYNC_HERE(lock))
#define raw_spin_unlock(lock)	__ksync_raw_spin_unlock((lock), __KSYNC_HERE(lock))

#define raw_spin_lock_irq(lock)	__ksync_raw_spin_lock_irq((lock), __KSYNC_HERE(lock))
#define raw_spin_trylock_irq(lock)					\
	__ksync_raw_spin_trylock_irq((lock), __KSYNC_HERE(lock))
#define raw_spin_unlock_irq(lock)					\
	__ksync_raw_spin_unlock_irq((lock), __KSYNC_HERE(lock))

#define raw_spin_lock_irqsave(lock, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_raw_spin_lock_irqsave((lock), 0,	\
							__KSYNC_HERE(lock)); \
	} while (0)
#define raw_spin_lock_irqsave_nested(lock, flags, subclass)		\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_raw_spin_lock_irqsave((lock), (subclass), \
							__KSYNC_HERE(lock)); \
	} while (0)
#define raw_spin_trylock_irqsave(lock, flags)				\
	({								\
		__ksync_check_flags(flags);				\
		__ksync_raw_spin_trylock_irqsave((lock), &(flags),	\
						 __KSYNC_HERE(lock));	\
	})
#define raw_spin_unlock_irqrestore(lock, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		__ksync_raw_spin_unlock_irqrestore((lock), (flags),	\
						   __KSYNC_HERE(lock));	\
	} while (0)

#define raw_spin_lock_bh(lock)	__ksync_raw_spin_lock_bh((lock), __KSYNC_HERE(lock))
#define raw_spin_trylock_bh(lock)					\
	__ksync_raw_spin_trylock_bh((lock), __KSYNC_HERE(lock))
#define raw_spin_unlock_bh(lock)					\
	__ksync_raw_spin_unlock_bh((lock), __KSYNC_HERE(lock))

#define raw_spin_lock_irq_disable(lock)					\
	__ksync_raw_spin_lock_irq_disable((lock), __KSYNC_HERE(lock))
#define raw_spin_trylock_irq_disable(lock)				\
	__ksync_raw_spin_trylock_irq_disable((lock), __KSYNC_HERE(lock))
#define raw_spin_unlock_irq_enable(lock)				\
	__ksync_raw_spin_unlock_irq_enable((lock), __KSYNC_HERE(lock))

#define raw_spin_lock_with(lock, token)					\
	__ksync_raw_spin_lock_with((lock), (token), __KSYNC_HERE(lock))
#define raw_spin_trylock_with(lock, token)				\
	__ksync_raw_spin_trylock_with((lock), (token), __KSYNC_HERE(lock))

#define raw_spin_is_locked(lock)	queued_spin_is_locked(&(lock)->raw_lock)
#define raw_spin_is_contended(lock)	queued_spin_is_contended(&(lock)->raw_lock)
#define assert_raw_spin_locked(lock)					\
	__ksync_assert_raw_spin_locked((lock), __KSYNC_HERE(lock))

/* --- spin_*: the same on spinlock_t, named by the caller's expression ----- */

#define spin_lock(lock)		__ksync_raw_spin_lock(spinlock_check(lock), 0, __KSYNC_HERE(lock))
#define spin_lock_nested(lock, subclass)				\
	__ksync_raw_spin_lock(spinlock_check(lock), (subclass), __KSYNC_HERE(lock))
#define spin_lock_nest_lock(lock, nest_lock)				\
	__ksync_raw_spin_lock_nest_lock(spinlock_check(lock),		\
					&(nest_lock)->dep_map, __KSYNC_HERE(lock))
#define spin_trylock(lock)						\
	__ksync_raw_spin_trylock(spinlock_check(lock), __KSYNC_HERE(lock))
#define spin_unlock(lock)						\
	__ksync_raw_spin_unlock(spinlock_check(lock), __KSYNC_HERE(lock))

#define spin_lock_irq(lock)						\
	__ksync_raw_spin_lock_irq(spinlock_check(lock), __KSYNC_HERE(lock))
#define spin_trylock_irq(lock)						\
	__ksync_raw_spin_trylock_irq(spinlock_check(lock), __KSYNC_HERE(lock))
#define spin_unlock_irq(lock)						\
	__ksync_raw_spin_unlock_irq(spinlock_check(lock), __KSYNC_HERE(lock))

#define spin_lock_irqsave(lock, flags)					\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_raw_spin_lock_irqsave(spinlock_check(lock), 0, \
							__KSYNC_HERE(lock)); \
	} while (0)
#define spin_lock_irqsave_nested(lock, flags, subclass)			\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_raw_spin_lock_irqsave(spinlock_check(lock), \
							(subclass),	\
							__KSYNC_HERE(lock)); \
	} while (0)
#define spin_trylock_irqsave(lock, flags)				\
	({								\
		__ksync_check_flags(flags);				\
		__ksync_raw_spin_trylock_irqsave(spinlock_check(lock),	\
						 &(flags), __KSYNC_HERE(lock)); \
	})
#define spin_unlock_irqrestore(lock, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		__ksync_raw_spin_unlock_irqrestore(spinlock_check(lock), (flags), \
						   __KSYNC_HERE(lock));	\
	} while (0)

#define spin_lock_bh(lock)						\
	__ksync_raw_spin_lock_bh(spinlock_check(lock), __KSYNC_HERE(lock))
#define spin_trylock_bh(lock)						\
	__ksync_raw_spin_trylock_bh(spinlock_check(lock), __KSYNC_HERE(lock))
#define spin_unlock_bh(lock)						\
	__ksync_raw_spin_unlock_bh(spinlock_check(lock), __KSYNC_HERE(lock))

#define spin_lock_irq_disable(lock)					\
	__ksync_raw_spin_lock_irq_disable(spinlock_check(lock), __KSYNC_HERE(lock))
#define spin_trylock_irq_disable(lock)					\
	__ksync_raw_spin_trylock_irq_disable(spinlock_check(lock), __KSYNC_HERE(lock))
#define spin_unlock_irq_enable(lock)					\
	__ksync_raw_spin_unlock_irq_enable(spinlock_check(lock), __KSYNC_HERE(lock))

#define spin_lock_with(lock, token)					\
	__ksync_raw_spin_lock_with(spinlock_check(lock), (token), __KSYNC_HERE(lock))
#define spin_trylock_with(lock, token)					\
	__ksync_raw_spin_trylock_with(spinlock_check(lock), (token),	\
				      __KSYNC_HERE(lock))

#define spin_is_locked(lock)		raw_spin_is_locked(spinlock_check(lock))
#define spin_is_contended(lock)		raw_spin_is_contended(spinlock_check(lock))
#define assert_spin_locked(lock)					\
	__ksync_assert_raw_spin_locked(spinlock_check(lock), __KSYNC_HERE(lock))

/* --- guards ----------------------------------------------------------------- */

DEFINE_LOCK_GUARD_1(raw_spinlock, raw_spinlock_t,
		    raw_spin_lock(_T->lock), raw_spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(raw_spinlock, _try, raw_spin_trylock(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_nested, raw_spinlock_t,
		    raw_spin_lock_nested(_T->lock, SINGLE_DEPTH_NESTING),
		    raw_spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_irq, raw_spinlock_t,
		    raw_spin_lock_irq(_T->lock), raw_spin_unlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1_COND(raw_spinlock_irq, _try, raw_spin_trylock_irq(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_irqsave, raw_spinlock_t,
		    raw_spin_lock_irqsave(_T->lock, _T->flags),
		    raw_spin_unlock_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)
DEFINE_LOCK_GUARD_1_COND(raw_spinlock_irqsave, _try,
			 raw_spin_trylock_irqsave(_T->lock, _T->flags))
DEFINE_LOCK_GUARD_1(raw_spinlock_bh, raw_spinlock_t,
		    raw_spin_lock_bh(_T->lock), raw_spin_unlock_bh(_T->lock))
DEFINE_LOCK_GUARD_1(raw_spinlock_irq_disable, raw_spinlock_t,
		    raw_spin_lock_irq_disable(_T->lock),
		    raw_spin_unlock_irq_enable(_T->lock))

DEFINE_LOCK_GUARD_1(spinlock, spinlock_t,
		    spin_lock(_T->lock), spin_unlock(_T->lock))
DEFINE_LOCK_GUARD_1_COND(spinlock, _try, spin_trylock(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock_irq, spinlock_t,
		    spin_lock_irq(_T->lock), spin_unlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1_COND(spinlock_irq, _try, spin_trylock_irq(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock_irqsave, spinlock_t,
		    spin_lock_irqsave(_T->lock, _T->flags),
		    spin_unlock_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)
DEFINE_LOCK_GUARD_1_COND(spinlock_irqsave, _try,
			 spin_trylock_irqsave(_T->lock, _T->flags))
DEFINE_LOCK_GUARD_1(spinlock_bh, spinlock_t,
		    spin_lock_bh(_T->lock), spin_unlock_bh(_T->lock))
DEFINE_LOCK_GUARD_1_COND(spinlock_bh, _try, spin_trylock_bh(_T->lock))
DEFINE_LOCK_GUARD_1(spinlock_irq_disable, spinlock_t,
		    spin_lock_irq_disable(_T->lock), spin_unlock_irq_enable(_T->lock))

/*
 * guard(spinlock_with)(&lock, &token): the lock_with() guard.  What it
 * holds is a plain spinlock, released with spin_unlock().
 */
typedef struct {
	spinlock_t *lock;
} class_spinlock_with_t;

static __always_inline void class_spinlock_with_destructor(class_spinlock_with_t *_T)
{
	if (_T->lock)
		spin_unlock(_T->lock);
}

static __always_inline void *class_spinlock_with_lock_ptr(class_spinlock_with_t *_T)
{
	return _T->lock;
}

static __always_inline class_spinlock_with_t
class_spinlock_with_constructor(spinlock_t *l, const local_interrupt_disabled_t *token)
{
	class_spinlock_with_t _t = { .lock = l };

	/* "_T->lock": reported at the guard() line, as other guards are. */
	__ksync_raw_spin_lock_with(spinlock_check(l), token, KSYNC_SITE("_T->lock"));
	return _t;
}
enum { class_spinlock_with_is_conditional = 0 };

/* Guards for the contexts themselves. */
DEFINE_LOCK_GUARD_0(irq, local_irq_disable(), local_irq_enable())
DEFINE_LOCK_GUARD_0(irqsave, local_irq_save(_T->flags),
		    local_irq_restore(_T->flags), unsigned long flags)
DEFINE_LOCK_GUARD_0(local_interrupt, local_interrupt_disable(),
		    local_interrupt_enable())
DEFINE_LOCK_GUARD_0(preempt, preempt_disable(), preempt_enable())
DEFINE_LOCK_GUARD_0(bh, local_bh_disable(), local_bh_enable())

#endif /* _KSYNC_SPINLOCK_H */
