/* SPDX-License-Identifier: MIT */
/*
 * <ksync/atomic.h> - the kernel's atomic_t API and memory barriers.
 *
 * Everything here is built on the compiler's __atomic builtins, which
 * implement the C11 memory model (the same orders as <stdatomic.h>) but also
 * work on plain integers.  That matters for two reasons: atomic_t must stay
 * the kernel's { int counter; } so it can be embedded anywhere, and the
 * queued spinlock reads one 32-bit word through byte and halfword views,
 * which _Atomic types cannot express.
 *
 * Orders follow Documentation/atomic_t.txt:
 *  - atomic_read/atomic_set and RMW ops without a return value: relaxed;
 *  - RMW ops that return a value (and successful cmpxchg): fully ordered,
 *    as if smp_mb() stood before and after.  Built as a SEQ_CST RMW between
 *    smp_mb__before_atomic()/smp_mb__after_atomic().  On x86 a locked
 *    instruction is already a full fence, so those two are compiler
 *    barriers there (as in the kernel); elsewhere they are real fences.
 *    The SEQ_CST RMW also tells ThreadSanitizer about the acquire+release.
 *  - the _acquire/_release/_relaxed variants use exactly that order;
 *  - a failed cmpxchg/try_cmpxchg is relaxed.
 *
 * Several kernel names (atomic_fetch_add and its siblings) are also C11
 * generic functions in <stdatomic.h>.  In a file that includes this header
 * the kernel meaning wins; include <stdatomic.h> in other files.
 */
#ifndef _KSYNC_ATOMIC_H
#define _KSYNC_ATOMIC_H

#include <ksync/compiler.h>
#include <ksync/barrier.h>
#include <ksync/cmpxchg.h>

/* The C11 generic names that the kernel API reuses with other arguments. */
#undef atomic_fetch_add
#undef atomic_fetch_sub
#undef atomic_fetch_and
#undef atomic_fetch_or
#undef atomic_fetch_xor

typedef struct { int counter; } atomic_t;
typedef struct { long long counter; } atomic64_t;
typedef struct { long counter; } atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }

/*
 * __KSYNC_ATOMIC_ORDERS generates the four orderings of one operation:
 * NAME_relaxed, NAME_acquire, NAME_release and the fully ordered NAME.
 * OP(mo) is a macro that evaluates the operation with memory order mo,
 * using the parameter names of PARAMS.
 */
#define __KSYNC_ATOMIC_FN(fname, RT, PARAMS, OP, mo)			\
static __always_inline RT fname PARAMS { return OP(mo); }

#define __KSYNC_ATOMIC_FULL(fname, RT, PARAMS, OP)			\
static __always_inline RT fname PARAMS					\
{									\
	RT __ret;							\
	smp_mb__before_atomic();					\
	__ret = OP(__ATOMIC_SEQ_CST);					\
	smp_mb__after_atomic();						\
	return __ret;							\
}

#define __KSYNC_ATOMIC_ORDERS(NAME, RT, PARAMS, OP)			\
	__KSYNC_ATOMIC_FN(NAME##_relaxed, RT, PARAMS, OP, __ATOMIC_RELAXED) \
	__KSYNC_ATOMIC_FN(NAME##_acquire, RT, PARAMS, OP, __ATOMIC_ACQUIRE) \
	__KSYNC_ATOMIC_FN(NAME##_release, RT, PARAMS, OP, __ATOMIC_RELEASE) \
	__KSYNC_ATOMIC_FULL(NAME, RT, PARAMS, OP)

/* Operation bodies; they name the parameters v, i, old and new. */
#define __ka_add_ret(mo)	__atomic_add_fetch(&v->counter, i, mo)
#define __ka_sub_ret(mo)	__atomic_sub_fetch(&v->counter, i, mo)
#define __ka_inc_ret(mo)	__atomic_add_fetch(&v->counter, 1, mo)
#define __ka_dec_ret(mo)	__atomic_sub_fetch(&v->counter, 1, mo)
#define __ka_fadd(mo)		__atomic_fetch_add(&v->counter, i, mo)
#define __ka_fsub(mo)		__atomic_fetch_sub(&v->counter, i, mo)
#define __ka_finc(mo)		__atomic_fetch_add(&v->counter, 1, mo)
#define __ka_fdec(mo)		__atomic_fetch_sub(&v->counter, 1, mo)
#define __ka_fand(mo)		__atomic_fetch_and(&v->counter, i, mo)
#define __ka_fandnot(mo)	__atomic_fetch_and(&v->counter, ~i, mo)
#define __ka_for(mo)		__atomic_fetch_or(&v->counter, i, mo)
#define __ka_fxor(mo)		__atomic_fetch_xor(&v->counter, i, mo)
#define __ka_xchg(mo)		__atomic_exchange_n(&v->counter, new, mo)
#define __ka_try_cmpxchg(mo)						\
	__atomic_compare_exchange_n(&v->counter, old, new, 0, mo,	\
				    __ATOMIC_RELAXED)
#define __ka_cmpxchg(mo)						\
	({ __atomic_compare_exchange_n(&v->counter, &old, new, 0, mo,	\
				       __ATOMIC_RELAXED); old; })

/*
 * Wrapping signed arithmetic, as the kernel gets from -fno-strict-overflow
 * (plain C would make MAX + 1 undefined).
 */
#define __ka_wrap_add(a, b)						\
	({ __typeof__(a) __r; (void)__builtin_add_overflow(a, b, &__r); __r; })
#define __ka_wrap_sub(a, b)						\
	({ __typeof__(a) __r; (void)__builtin_sub_overflow(a, b, &__r); __r; })

/*
 * The whole family for one type.  P is the name prefix (atomic, atomic64,
 * atomic_long), A the struct type and T the counter type.
 */
#define __KSYNC_ATOMIC_FAMILY(P, A, T)					\
static __always_inline T P##_read(const A *v)				\
{ return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }		\
static __always_inline T P##_read_acquire(const A *v)			\
{ return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE); }		\
static __always_inline void P##_set(A *v, T i)				\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }		\
static __always_inline void P##_set_release(A *v, T i)			\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELEASE); }		\
/* No return value: unordered (relaxed), as the kernel documents. */	\
static __always_inline void P##_add(T i, A *v) { (void)__ka_fadd(__ATOMIC_RELAXED); } \
static __always_inline void P##_sub(T i, A *v) { (void)__ka_fsub(__ATOMIC_RELAXED); } \
static __always_inline void P##_inc(A *v) { (void)__ka_finc(__ATOMIC_RELAXED); } \
static __always_inline void P##_dec(A *v) { (void)__ka_fdec(__ATOMIC_RELAXED); } \
static __always_inline void P##_and(T i, A *v) { (void)__ka_fand(__ATOMIC_RELAXED); } \
static __always_inline void P##_andnot(T i, A *v) { (void)__ka_fandnot(__ATOMIC_RELAXED); } \
static __always_inline void P##_or(T i, A *v) { (void)__ka_for(__ATOMIC_RELAXED); } \
static __always_inline void P##_xor(T i, A *v) { (void)__ka_fxor(__ATOMIC_RELAXED); } \
__KSYNC_ATOMIC_ORDERS(P##_add_return, T, (T i, A *v), __ka_add_ret)	\
__KSYNC_ATOMIC_ORDERS(P##_sub_return, T, (T i, A *v), __ka_sub_ret)	\
__KSYNC_ATOMIC_ORDERS(P##_inc_return, T, (A *v), __ka_inc_ret)		\
__KSYNC_ATOMIC_ORDERS(P##_dec_return, T, (A *v), __ka_dec_ret)		\
__KSYNC_ATOMIC_ORDERS(P##_fetch_add, T, (T i, A *v), __ka_fadd)	\
__KSYNC_ATOMIC_ORDERS(P##_fetch_sub, T, (T i, A *v), __ka_fsub)	\
__KSYNC_ATOMIC_ORDERS(P##_fetch_inc, T, (A *v), __ka_finc)		\
__KSYNC_ATOMIC_ORDERS(P##_fetch_dec, T, (A *v), __ka_fdec)		\
__KSYNC_ATOMIC_ORDERS(P##_fetch_and, T, (T i, A *v), __ka_fand)	\
__KSYNC_ATOMIC_ORDERS(P##_fetch_andnot, T, (T i, A *v), __ka_fandnot)	\
__KSYNC_ATOMIC_ORDERS(P##_fetch_or, T, (T i, A *v), __ka_for)		\
__KSYNC_ATOMIC_ORDERS(P##_fetch_xor, T, (T i, A *v), __ka_fxor)	\
__KSYNC_ATOMIC_ORDERS(P##_xchg, T, (A *v, T new), __ka_xchg)		\
__KSYNC_ATOMIC_ORDERS(P##_cmpxchg, T, (A *v, T old, T new), __ka_cmpxchg) \
__KSYNC_ATOMIC_ORDERS(P##_try_cmpxchg, bool, (A *v, T *old, T new),	\
		      __ka_try_cmpxchg)					\
static __always_inline bool P##_sub_and_test(T i, A *v)			\
{ return P##_sub_return(i, v) == 0; }					\
static __always_inline bool P##_dec_and_test(A *v)			\
{ return P##_dec_return(v) == 0; }					\
static __always_inline bool P##_inc_and_test(A *v)			\
{ return P##_inc_return(v) == 0; }					\
static __always_inline bool P##_add_negative(T i, A *v)			\
{ return P##_add_return(i, v) < 0; }					\
/* Conditional RMWs: fully ordered on success, unordered on failure. */	\
static __always_inline T P##_fetch_add_unless(A *v, T a, T u)		\
{									\
	T c = P##_read(v);						\
	do {								\
		if (__ksync_unlikely(c == u))					\
			break;						\
	} while (!P##_try_cmpxchg(v, &c, __ka_wrap_add(c, a)));			\
	return c;							\
}									\
static __always_inline bool P##_add_unless(A *v, T a, T u)		\
{ return P##_fetch_add_unless(v, a, u) != u; }				\
static __always_inline bool P##_inc_not_zero(A *v)			\
{ return P##_add_unless(v, 1, 0); }					\
static __always_inline bool P##_inc_unless_negative(A *v)		\
{									\
	T c = P##_read(v);						\
	do {								\
		if (__ksync_unlikely(c < 0))					\
			return false;					\
	} while (!P##_try_cmpxchg(v, &c, __ka_wrap_add(c, (T)1)));			\
	return true;							\
}									\
static __always_inline bool P##_dec_unless_positive(A *v)		\
{									\
	T c = P##_read(v);						\
	do {								\
		if (__ksync_unlikely(c > 0))					\
			return false;					\
	} while (!P##_try_cmpxchg(v, &c, __ka_wrap_sub(c, (T)1)));			\
	return true;							\
}									\
/* Returns the old value minus one; decrements only if that is >= 0. */	\
static __always_inline T P##_dec_if_positive(A *v)			\
{									\
	T dec, c = P##_read(v);						\
	do {								\
		dec = __ka_wrap_sub(c, (T)1);				\
		if (__ksync_unlikely(dec < 0))					\
			break;						\
	} while (!P##_try_cmpxchg(v, &c, dec));				\
	return dec;							\
}

__KSYNC_ATOMIC_FAMILY(atomic, atomic_t, int)
__KSYNC_ATOMIC_FAMILY(atomic64, atomic64_t, long long)
__KSYNC_ATOMIC_FAMILY(atomic_long, atomic_long_t, long)

/* Spin until cond_expr (in terms of VAL) holds for the counter. */
#define atomic_cond_read_acquire(v, c)	smp_cond_load_acquire(&(v)->counter, (c))
#define atomic_cond_read_relaxed(v, c)	smp_cond_load_relaxed(&(v)->counter, (c))
#define atomic64_cond_read_acquire(v, c) smp_cond_load_acquire(&(v)->counter, (c))
#define atomic64_cond_read_relaxed(v, c) smp_cond_load_relaxed(&(v)->counter, (c))
#define atomic_long_cond_read_acquire(v, c) smp_cond_load_acquire(&(v)->counter, (c))
#define atomic_long_cond_read_relaxed(v, c) smp_cond_load_relaxed(&(v)->counter, (c))

#endif /* _KSYNC_ATOMIC_H */
