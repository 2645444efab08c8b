/* SPDX-License-Identifier: MIT */
/*
 * <ksync/refcount.h> - refcount_t, the kernel's saturating reference count,
 * and the dec-and-lock helpers.
 *
 *   refcount_t r = REFCOUNT_INIT(1);
 *   refcount_set(&r, n), refcount_read(&r)		(unsigned int)
 *   refcount_inc(&r), refcount_add(i, &r)
 *   refcount_inc_not_zero(&r), refcount_add_not_zero(i, &r)   false at 0
 *   refcount_dec(&r)				must not reach 0
 *   refcount_dec_and_test(&r), refcount_sub_and_test(i, &r)  true at 0
 *   refcount_dec_if_one(&r)			1 -> 0 or nothing
 *   refcount_dec_not_one(&r)			false (and no change) at 1
 *   refcount_dec_and_lock(&r, &spinlock)		true: 0, and locked
 *   refcount_dec_and_lock_irqsave(&r, &spinlock, &flags)
 *   refcount_dec_and_mutex_lock(&r, &mutex)
 *   atomic_dec_and_lock(&atomic, &spinlock)	the same on an atomic_t
 *   atomic_dec_and_lock_irqsave(&atomic, &spinlock, flags)	(flags by name)
 *   atomic_dec_and_raw_lock(&atomic, &raw_spinlock)
 *   atomic_dec_and_raw_lock_irqsave(&atomic, &raw_spinlock, flags)
 *   and __refcount_inc(&r, &old) and friends, which also return the old value.
 *
 * Semantics are lib/refcount.c's: a count that would overflow past
 * INT_MAX, be incremented from 0 (a use after free), or go below 0
 * (an underflow) is set to REFCOUNT_SATURATED (INT_MIN / 2) and stays
 * there: the object leaks instead of being freed while in use.  Each
 * kind of event is reported once per process, in the kernel's words, by
 * a WARN (<ksync/bug.h>) naming the call that found it:
 *
 *	refcount_t: saturated; leaking memory.
 *	refcount_t: addition on 0; use-after-free.
 *	refcount_t: underflow; use-after-free.
 *	refcount_t: decrement hit 0; leaking memory.
 *
 * The checks are always on, as in the kernel since 5.5.
 *
 * Orders are the kernel's: increments are relaxed (the caller already
 * holds a reference, or RCU keeps the memory, so nothing needs ordering);
 * decrements are release, so that what a holder did with the object
 * happens before the free; the decrement that reaches zero is also
 * acquire (the kernel's smp_acquire__after_ctrl_dep()), so that the
 * freeing thread sees every holder's accesses.  That one is an acq_rel
 * read-modify-write here: the same instruction on x86, and an order
 * ThreadSanitizer can see, which a fence is not.
 *
 * Calls are macros, so that a report names the caller's file:line.
 */
#ifndef _KSYNC_REFCOUNT_H
#define _KSYNC_REFCOUNT_H

#include <limits.h>
#include <ksync/compiler.h>
#include <ksync/atomic.h>
#include <ksync/spinlock.h>
#include <ksync/mutex.h>

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

#define REFCOUNT_INIT(n)	{ .refs = ATOMIC_INIT(n), }
#define REFCOUNT_MAX		INT_MAX
#define REFCOUNT_SATURATED	(INT_MIN / 2)

enum refcount_saturation_type {
	REFCOUNT_ADD_NOT_ZERO_OVF,
	REFCOUNT_ADD_OVF,
	REFCOUNT_ADD_UAF,
	REFCOUNT_SUB_UAF,
	REFCOUNT_DEC_LEAK,
};

/* Saturate *r and report t (once per kind), naming site. */
KSYNC_API void ksync_refcount_warn_saturate(refcount_t *r,
					    enum refcount_saturation_type t,
					    const struct ksync_site *site);
#define refcount_warn_saturate(r, t)					\
	ksync_refcount_warn_saturate((r), (t), KSYNC_SITE(#r))

static __always_inline void refcount_set(refcount_t *r, int n)
{
	atomic_set(&r->refs, n);
}

static __always_inline void refcount_set_release(refcount_t *r, int n)
{
	atomic_set_release(&r->refs, n);
}

static __always_inline unsigned int refcount_read(const refcount_t *r)
{
	return (unsigned int)atomic_read(&r->refs);
}

/* old + i, wrapping as the kernel's -fno-strict-overflow does. */
static __always_inline int __ksync_refcount_wrap_add(int old, int i)
{
	return (int)((unsigned int)old + (unsigned int)i);
}

static __always_inline bool
__ksync_refcount_add_not_zero(int i, refcount_t *r, int *oldp,
			      const struct ksync_site *site)
{
	int old = refcount_read(r);

	do {
		if (!old)
			break;
		/* Relaxed: RCU or the like keeps the object; see above. */
	} while (!atomic_try_cmpxchg_relaxed(&r->refs, &old,
					     __ksync_refcount_wrap_add(old, i)));
	if (oldp)
		*oldp = old;
	if (__ksync_unlikely(old < 0 || __ksync_refcount_wrap_add(old, i) < 0))
		ksync_refcount_warn_saturate(r, REFCOUNT_ADD_NOT_ZERO_OVF, site);
	return old;
}

static __always_inline void
__ksync_refcount_add(int i, refcount_t *r, int *oldp, const struct ksync_site *site)
{
	/* Relaxed: the caller holds a reference already. */
	int old = atomic_fetch_add_relaxed(i, &r->refs);

	if (oldp)
		*oldp = old;
	if (__ksync_unlikely(!old))
		ksync_refcount_warn_saturate(r, REFCOUNT_ADD_UAF, site);
	else if (__ksync_unlikely(old < 0 || __ksync_refcount_wrap_add(old, i) < 0))
		ksync_refcount_warn_saturate(r, REFCOUNT_ADD_OVF, site);
}

static __always_inline bool
__ksync_refcount_sub_and_test(int i, refcount_t *r, int *oldp,
			      const struct ksync_site *site)
{
	/* Release: our use of the object before whoever frees it; acquire,
	 * needed only when we reach 0, is folded in (see the top). */
	int old = __atomic_fetch_sub(&r->refs.counter, i, __ATOMIC_ACQ_REL);

	if (oldp)
		*oldp = old;
	if (old == i)
		return true;
	if (__ksync_unlikely(old < 0 || __ksync_refcount_wrap_add(old, -i) < 0))
		ksync_refcount_warn_saturate(r, REFCOUNT_SUB_UAF, site);
	return false;
}

static __always_inline void
__ksync_refcount_dec(refcount_t *r, int *oldp, const struct ksync_site *site)
{
	/* Release: our use of the object before the last holder's free. */
	int old = atomic_fetch_sub_release(1, &r->refs);

	if (oldp)
		*oldp = old;
	if (__ksync_unlikely(old <= 1))
		ksync_refcount_warn_saturate(r, REFCOUNT_DEC_LEAK, site);
}

static __always_inline bool refcount_dec_if_one(refcount_t *r)
{
	int one = 1;

	/* Acq_rel on success: we are about to free, as in sub_and_test. */
	return __atomic_compare_exchange_n(&r->refs.counter, &one, 0, 0,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* Decrement unless the count is 1 (false) or saturated (true, no change). */
static __always_inline bool
__ksync_refcount_dec_not_one(refcount_t *r, const struct ksync_site *site)
{
	int val = atomic_read(&r->refs), new;

	do {
		if (__ksync_unlikely(val == REFCOUNT_SATURATED))
			return true;
		if (val == 1)
			return false;
		new = __ksync_refcount_wrap_add(val, -1);
		if (__ksync_unlikely(new > val)) {
			ksync_refcount_warn_saturate(r, REFCOUNT_SUB_UAF, site);
			return true;
		}
		/* Release: as refcount_dec(). */
	} while (!atomic_try_cmpxchg_release(&r->refs, &val, new));
	return true;
}

#define __KSYNC_REF_SITE(r)	KSYNC_SITE(#r)

#define __refcount_add_not_zero(i, r, oldp)				\
	__ksync_refcount_add_not_zero((i), (r), (oldp), __KSYNC_REF_SITE(r))
#define refcount_add_not_zero(i, r)					\
	__ksync_refcount_add_not_zero((i), (r), NULL, __KSYNC_REF_SITE(r))
#define __refcount_inc_not_zero(r, oldp)				\
	__ksync_refcount_add_not_zero(1, (r), (oldp), __KSYNC_REF_SITE(r))
#define refcount_inc_not_zero(r)					\
	__ksync_refcount_add_not_zero(1, (r), NULL, __KSYNC_REF_SITE(r))
#define __refcount_add(i, r, oldp)					\
	__ksync_refcount_add((i), (r), (oldp), __KSYNC_REF_SITE(r))
#define refcount_add(i, r)						\
	__ksync_refcount_add((i), (r), NULL, __KSYNC_REF_SITE(r))
#define __refcount_inc(r, oldp)						\
	__ksync_refcount_add(1, (r), (oldp), __KSYNC_REF_SITE(r))
#define refcount_inc(r)							\
	__ksync_refcount_add(1, (r), NULL, __KSYNC_REF_SITE(r))
#define __refcount_sub_and_test(i, r, oldp)				\
	__ksync_refcount_sub_and_test((i), (r), (oldp), __KSYNC_REF_SITE(r))
#define refcount_sub_and_test(i, r)					\
	__ksync_refcount_sub_and_test((i), (r), NULL, __KSYNC_REF_SITE(r))
#define __refcount_dec_and_test(r, oldp)				\
	__ksync_refcount_sub_and_test(1, (r), (oldp), __KSYNC_REF_SITE(r))
#define refcount_dec_and_test(r)					\
	__ksync_refcount_sub_and_test(1, (r), NULL, __KSYNC_REF_SITE(r))
#define __refcount_dec(r, oldp)						\
	__ksync_refcount_dec((r), (oldp), __KSYNC_REF_SITE(r))
#define refcount_dec(r)							\
	__ksync_refcount_dec((r), NULL, __KSYNC_REF_SITE(r))
#define refcount_dec_not_one(r)						\
	__ksync_refcount_dec_not_one((r), __KSYNC_REF_SITE(r))

/* --- decrement, and lock if it reached zero (lib/refcount.c, dec_and_lock.c) */

/*
 * Each returns true with the lock held when the count went to 0, false
 * (the lock not held) otherwise.  The lock is taken only for the last
 * reference, so that the caller can unlink the object before anyone can
 * look it up again.  The site is the caller's, for the lock's reports.
 */
static __always_inline bool
__ksync_refcount_dec_and_mutex_lock(refcount_t *r, struct mutex *lock,
				    const struct ksync_site *site)
{
	if (__ksync_refcount_dec_not_one(r, site))
		return false;
	(void)__ksync_mutex_lock(lock, TASK_UNINTERRUPTIBLE, 0, NULL, site);
	if (!__ksync_refcount_sub_and_test(1, r, NULL, site)) {
		__ksync_mutex_unlock(lock, site);
		return false;
	}
	return true;
}

static __always_inline bool
__ksync_refcount_dec_and_lock(refcount_t *r, spinlock_t *lock,
			      const struct ksync_site *site)
{
	if (__ksync_refcount_dec_not_one(r, site))
		return false;
	__ksync_raw_spin_lock(spinlock_check(lock), 0, site);
	if (!__ksync_refcount_sub_and_test(1, r, NULL, site)) {
		__ksync_raw_spin_unlock(spinlock_check(lock), site);
		return false;
	}
	return true;
}

static __always_inline bool
__ksync_refcount_dec_and_lock_irqsave(refcount_t *r, spinlock_t *lock,
				      unsigned long *flags,
				      const struct ksync_site *site)
{
	if (__ksync_refcount_dec_not_one(r, site))
		return false;
	*flags = __ksync_raw_spin_lock_irqsave(spinlock_check(lock), 0, site);
	if (!__ksync_refcount_sub_and_test(1, r, NULL, site)) {
		__ksync_raw_spin_unlock_irqrestore(spinlock_check(lock), *flags, site);
		return false;
	}
	return true;
}

#define refcount_dec_and_mutex_lock(r, lock)				\
	__ksync_refcount_dec_and_mutex_lock((r), (lock), KSYNC_SITE(#lock))
#define refcount_dec_and_lock(r, lock)					\
	__ksync_refcount_dec_and_lock((r), (lock), KSYNC_SITE(#lock))
#define refcount_dec_and_lock_irqsave(r, lock, flags)			\
	__ksync_refcount_dec_and_lock_irqsave((r), (lock), (flags),	\
					      KSYNC_SITE(#lock))

/* The same on an atomic_t, which has no saturation: int, as the kernel's. */
static __always_inline int
__ksync_atomic_dec_and_lock(atomic_t *cnt, raw_spinlock_t *lock,
			    const struct ksync_site *site)
{
	/* Not the last reference: drop it without the lock. */
	if (atomic_add_unless(cnt, -1, 1))
		return 0;
	__ksync_raw_spin_lock(lock, 0, site);
	if (atomic_dec_and_test(cnt))
		return 1;
	__ksync_raw_spin_unlock(lock, site);
	return 0;
}

static __always_inline int
__ksync_atomic_dec_and_lock_irqsave(atomic_t *cnt, raw_spinlock_t *lock,
				    unsigned long *flags,
				    const struct ksync_site *site)
{
	if (atomic_add_unless(cnt, -1, 1))
		return 0;
	*flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	if (atomic_dec_and_test(cnt))
		return 1;
	__ksync_raw_spin_unlock_irqrestore(lock, *flags, site);
	return 0;
}

#define atomic_dec_and_lock(cnt, lock)					\
	__ksync_atomic_dec_and_lock((cnt), spinlock_check(lock), KSYNC_SITE(#lock))
#define atomic_dec_and_lock_irqsave(cnt, lock, flags)			\
	({								\
		__ksync_check_flags(flags);				\
		__ksync_atomic_dec_and_lock_irqsave((cnt), spinlock_check(lock), \
						    &(flags), KSYNC_SITE(#lock)); \
	})
#define atomic_dec_and_raw_lock(cnt, lock)				\
	__ksync_atomic_dec_and_lock((cnt), (lock), KSYNC_SITE(#lock))
#define atomic_dec_and_raw_lock_irqsave(cnt, lock, flags)		\
	({								\
		__ksync_check_flags(flags);				\
		__ksync_atomic_dec_and_lock_irqsave((cnt), (lock), &(flags), \
						    KSYNC_SITE(#lock));	\
	})

#endif /* _KSYNC_REFCOUNT_H */
