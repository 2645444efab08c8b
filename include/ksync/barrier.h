/* SPDX-License-Identifier: MIT */
/*
 * <ksync/barrier.h> - READ_ONCE/WRITE_ONCE and the smp_* barriers.
 *
 * Each maps to the weakest C11 order that gives the guarantee
 * Documentation/memory-barriers.txt documents:
 *   READ_ONCE/WRITE_ONCE        relaxed atomic load/store (no tearing, no
 *                               fusing, no invention by the compiler)
 *   smp_mb()                    seq_cst fence
 *   smp_rmb()                   acquire fence (C11 has no load-load fence)
 *   smp_wmb()                   release fence (C11 has no store-store fence)
 *   smp_load_acquire()          acquire load
 *   smp_store_release()         release store
 *   smp_store_mb()              relaxed store + seq_cst fence
 *   smp_cond_load_acquire()     spin with acquire loads until the
 *                               condition on VAL holds; an acquire load
 *                               costs nothing extra on x86 and, unlike a
 *                               trailing fence, ThreadSanitizer sees it
 *   smp_cond_load_relaxed()     the same with relaxed loads
 */
#ifndef _KSYNC_BARRIER_H
#define _KSYNC_BARRIER_H

#include <ksync/compiler.h>

#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)						\
	do {								\
		__typeof__(x) __wo_val = (val);				\
		__atomic_store_n(&(x), __wo_val, __ATOMIC_RELAXED);	\
	} while (0)

#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)						\
	do {								\
		__typeof__(*(p)) __sr_val = (v);			\
		__atomic_store_n((p), __sr_val, __ATOMIC_RELEASE);	\
	} while (0)
#define smp_store_mb(x, v)						\
	do {								\
		WRITE_ONCE(x, v);					\
		smp_mb();						\
	} while (0)

/* A control dependency followed by this orders later loads too. */
#define smp_acquire__after_ctrl_dep()	smp_rmb()

/*
 * Full-barrier upgrades around a non-returning RMW.  A locked x86
 * instruction is a full fence, so only the compiler needs stopping there
 * (as in arch/x86/include/asm/barrier.h).
 */
#if defined(__x86_64__) || defined(__i386__)
#define smp_mb__before_atomic()		barrier()
#define smp_mb__after_atomic()		barrier()
#else
#define smp_mb__before_atomic()		smp_mb()
#define smp_mb__after_atomic()		smp_mb()
#endif

/* Make a lock acquisition a full barrier (for the rare code that needs it). */
#define smp_mb__after_spinlock()	smp_mb()
#define smp_mb__after_unlock_lock()	smp_mb()

static __always_inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	barrier();
#endif
}

/* Spin, loading *ptr with order mo into VAL, until cond_expr holds. */
#define __ksync_cond_load(ptr, cond_expr, mo)				\
	({								\
		__typeof__(ptr) __cl_ptr = (ptr);			\
		__typeof__(__atomic_load_n(__cl_ptr, __ATOMIC_RELAXED)) VAL; \
		for (;;) {						\
			VAL = __atomic_load_n(__cl_ptr, mo);		\
			if (cond_expr)					\
				break;					\
			cpu_relax();					\
		}							\
		VAL;							\
	})

#define smp_cond_load_relaxed(ptr, cond_expr)				\
	__ksync_cond_load(ptr, cond_expr, __ATOMIC_RELAXED)
#define smp_cond_load_acquire(ptr, cond_expr)				\
	__ksync_cond_load(ptr, cond_expr, __ATOMIC_ACQUIRE)

#endif /* _KSYNC_BARRIER_H */
