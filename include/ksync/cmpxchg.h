/* SPDX-License-Identifier: MIT */
/*
 * <ksync/cmpxchg.h> - the kernel's generic atomics on plain variables.
 *
 *   xchg(ptr, new)			store new, return the old value
 *   cmpxchg(ptr, old, new)		store new if *ptr == old; return *ptr as read
 *   try_cmpxchg(ptr, &old, new)	true if stored; else old = *ptr as read
 *   cmpxchg64(ptr, old, new), try_cmpxchg64()	the same on 64-bit variables
 *   cmpxchg_local(), cmpxchg64_local()	atomic only against this thread's
 *					own interrupt handlers: unordered
 *
 * each also as _relaxed, _acquire and _release.  ptr points to a scalar
 * or a pointer of 1, 2, 4 or 8 bytes (cmpxchg64: 8); new and old are
 * converted to its type.  Orders are those of <ksync/atomic.h>: the plain
 * forms are fully ordered when they store (a SEQ_CST read-modify-write
 * between smp_mb__before_atomic() and smp_mb__after_atomic()); a
 * compare that fails is unordered, whatever the suffix.
 *
 * Included by <ksync/atomic.h>, as the kernel's <linux/atomic.h> brings
 * <asm/cmpxchg.h>.
 */
#ifndef _KSYNC_CMPXCHG_H
#define _KSYNC_CMPXCHG_H

#include <ksync/compiler.h>
#include <ksync/barrier.h>

#define __ksync_xchg(ptr, x, mo)					\
	__atomic_exchange_n((ptr), (__typeof__(*(ptr)))(x), (mo))

#define __ksync_cmpxchg(ptr, o, n, mo)					\
	({								\
		__typeof__(*(ptr)) __ksync_old = (o);			\
		(void)__atomic_compare_exchange_n((ptr), &__ksync_old,	\
				(__typeof__(*(ptr)))(n), 0, (mo),	\
				__ATOMIC_RELAXED);			\
		__ksync_old;						\
	})

#define __ksync_try_cmpxchg(ptr, oldp, n, mo)				\
	__atomic_compare_exchange_n((ptr), (oldp),			\
				    (__typeof__(*(ptr)))(n), 0, (mo),	\
				    __ATOMIC_RELAXED)

/* The fully ordered form of op (an expression of the memory order). */
#define __ksync_full(type, op)						\
	({								\
		type __ksync_full_ret;					\
		smp_mb__before_atomic();				\
		__ksync_full_ret = op;					\
		smp_mb__after_atomic();					\
		__ksync_full_ret;					\
	})

#define xchg_relaxed(ptr, x)	__ksync_xchg(ptr, x, __ATOMIC_RELAXED)
#define xchg_acquire(ptr, x)	__ksync_xchg(ptr, x, __ATOMIC_ACQUIRE)
#define xchg_release(ptr, x)	__ksync_xchg(ptr, x, __ATOMIC_RELEASE)
#define xchg(ptr, x)							\
	__ksync_full(__typeof__(*(ptr)), __ksync_xchg(ptr, x, __ATOMIC_SEQ_CST))

#define cmpxchg_relaxed(ptr, o, n)	__ksync_cmpxchg(ptr, o, n, __ATOMIC_RELAXED)
#define cmpxchg_acquire(ptr, o, n)	__ksync_cmpxchg(ptr, o, n, __ATOMIC_ACQUIRE)
#define cmpxchg_release(ptr, o, n)	__ksync_cmpxchg(ptr, o, n, __ATOMIC_RELEASE)
#define cmpxchg(ptr, o, n)						\
	__ksync_full(__typeof__(*(ptr)), __ksync_cmpxchg(ptr, o, n, __ATOMIC_SEQ_CST))

#define try_cmpxchg_relaxed(ptr, oldp, n)				\
	__ksync_try_cmpxchg(ptr, oldp, n, __ATOMIC_RELAXED)
#define try_cmpxchg_acquire(ptr, oldp, n)				\
	__ksync_try_cmpxchg(ptr, oldp, n, __ATOMIC_ACQUIRE)
#define try_cmpxchg_release(ptr, oldp, n)				\
	__ksync_try_cmpxchg(ptr, oldp, n, __ATOMIC_RELEASE)
#define try_cmpxchg(ptr, oldp, n)					\
	__ksync_full(bool, __ksync_try_cmpxchg(ptr, oldp, n, __ATOMIC_SEQ_CST))

/* 64-bit only: a compile-time error on anything narrower. */
#define __ksync_check64(ptr)						\
	_Static_assert(sizeof(*(ptr)) == 8, "cmpxchg64 on a variable that is not 64-bit")
#define __ksync_64(ptr, expr)	({ __ksync_check64(ptr); expr; })

#define cmpxchg64(ptr, o, n)		__ksync_64(ptr, cmpxchg(ptr, o, n))
#define cmpxchg64_relaxed(ptr, o, n)	__ksync_64(ptr, cmpxchg_relaxed(ptr, o, n))
#define cmpxchg64_acquire(ptr, o, n)	__ksync_64(ptr, cmpxchg_acquire(ptr, o, n))
#define cmpxchg64_release(ptr, o, n)	__ksync_64(ptr, cmpxchg_release(ptr, o, n))
#define try_cmpxchg64(ptr, oldp, n)	__ksync_64(ptr, try_cmpxchg(ptr, oldp, n))
#define try_cmpxchg64_relaxed(ptr, oldp, n)				\
	__ksync_64(ptr, try_cmpxchg_relaxed(ptr, oldp, n))
#define try_cmpxchg64_acquire(ptr, oldp, n)				\
	__ksync_64(ptr, try_cmpxchg_acquire(ptr, oldp, n))
#define try_cmpxchg64_release(ptr, oldp, n)				\
	__ksync_64(ptr, try_cmpxchg_release(ptr, oldp, n))

/*
 * _local: the kernel's promise is atomicity against this CPU only, which
 * for a ksync CPU (a thread) means against its signal handlers.  A relaxed
 * atomic read-modify-write gives that.
 */
#define cmpxchg_local(ptr, o, n)	cmpxchg_relaxed(ptr, o, n)
#define cmpxchg64_local(ptr, o, n)	cmpxchg64_relaxed(ptr, o, n)
#define try_cmpxchg_local(ptr, oldp, n)	try_cmpxchg_relaxed(ptr, oldp, n)

#endif /* _KSYNC_CMPXCHG_H */
