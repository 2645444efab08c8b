// SPDX-License-Identifier: MIT
/*
 * Unit test for <ksync/atomic.h> and <ksync/barrier.h>.
 *
 * Single-threaded, every operation of atomic_t, atomic64_t and
 * atomic_long_t is checked for its value and return value.  The checks are
 * written once, as macros, and instantiated for the three families.
 * Every barrier is also called once, to show it compiles and runs.
 *
 * Multi-threaded, the tests check exact totals under contention. Plain
 * data is passed through message passing and guarded by a small lock built
 * from the _acquire/_release forms.  If any of those forms were weaker
 * than its name, ThreadSanitizer would report the plain data as racing.
 * ThreadSanitizer does not model stand-alone fences, so no concurrent test
 * depends on smp_mb(), smp_rmb() or smp_wmb().
 *
 * Only <ksync/atomic.h> is included, never <stdatomic.h>: the kernel names
 * atomic_fetch_add() and its siblings must be the kernel's.
 */
#include <limits.h>
#include <sched.h>
#include <ksync/atomic.h>
#include "ktest.h"

/*
 * Test values for each family, as P##_BIG, P##_X and P##_Y.  In the
 * 64-bit families each has bits set above bit 31, and bit 31 set too, so
 * its low half reads as a negative int: an operation that went through an
 * int would lose the high bits or get the sign wrong.  All are positive,
 * and no expected value below (at most 3 * BIG) overflows.
 */
#define atomic_BIG		0x01234567
#define atomic_X		0x5a5a5a5a
#define atomic_Y		0x0ff00ff0
#define atomic_MAX		INT_MAX
#define atomic_MIN		INT_MIN

#define atomic64_BIG		0x0123456789abcdefLL
#define atomic64_X		0x5a5a5a5aa5a5a5a5LL
#define atomic64_Y		0x0ff00ff0f00ff00fLL
#define atomic64_MAX		LLONG_MAX
#define atomic64_MIN		LLONG_MIN

#if LONG_MAX > INT_MAX
#define atomic_long_BIG		0x0123456789abcdefL
#define atomic_long_X		0x5a5a5a5aa5a5a5a5L
#define atomic_long_Y		0x0ff00ff0f00ff00fL
#else
#define atomic_long_BIG		0x01234567L
#define atomic_long_X		0x5a5a5a5aL
#define atomic_long_Y		0x0ff00ff0L
#endif
#define atomic_long_MAX		LONG_MAX
#define atomic_long_MIN		LONG_MIN

#define SAME_TYPE(a, T)	__builtin_types_compatible_p(__typeof__(a), T)

/*
 * The initialisers, read/set and their _acquire/_release forms.  Each
 * function must also take and return the family's own width.
 */
#define DEFINE_TEST_READ_SET(P, A, T, INIT)				\
static void test_##P##_read_set(void)					\
{									\
	static A s = INIT(P##_BIG);					\
	A v = INIT(-7);							\
	const T big = P##_BIG;						\
									\
	_Static_assert(sizeof(v.counter) == sizeof(T), #A " width");	\
	_Static_assert(SAME_TYPE(P##_read(&v), T), #P "_read type");	\
	_Static_assert(SAME_TYPE(P##_fetch_add(0, &v), T),		\
		       #P "_fetch_add type");				\
	_Static_assert(SAME_TYPE(P##_try_cmpxchg(&v, &v.counter, 0), bool), \
		       #P "_try_cmpxchg type");				\
									\
	CHECK_EQ(P##_read(&s), big);					\
	CHECK_EQ(P##_read_acquire(&s), big);				\
	CHECK_EQ(P##_read(&v), -7);					\
	P##_set(&v, -big);						\
	CHECK_EQ(P##_read(&v), -big);					\
	P##_set_release(&v, big + 1);					\
	CHECK_EQ(P##_read_acquire(&v), big + 1);			\
	/* The counter is a plain member, as in the kernel. */		\
	CHECK_EQ(v.counter, big + 1);					\
}

/* The RMW operations that return nothing. */
#define DEFINE_TEST_VOID_OPS(P, A, T)					\
static void test_##P##_void_ops(void)					\
{									\
	const T big = P##_BIG, x = P##_X, y = P##_Y;			\
	A v;								\
									\
	P##_set(&v, big);						\
	P##_add(2 * big, &v);						\
	CHECK_EQ(P##_read(&v), 3 * big);				\
	P##_sub(big, &v);						\
	CHECK_EQ(P##_read(&v), 2 * big);				\
	P##_set(&v, -1);						\
	P##_inc(&v);							\
	CHECK_EQ(P##_read(&v), 0);					\
	P##_dec(&v);							\
	P##_dec(&v);							\
	CHECK_EQ(P##_read(&v), -2);					\
	P##_sub(-big, &v);						\
	CHECK_EQ(P##_read(&v), big - 2);				\
									\
	P##_set(&v, x);							\
	P##_and(y, &v);							\
	CHECK_EQ(P##_read(&v), x & y);					\
	P##_or(x, &v);							\
	CHECK_EQ(P##_read(&v), x);					\
	P##_xor(y, &v);							\
	CHECK_EQ(P##_read(&v), x ^ y);					\
	P##_andnot(y, &v);						\
	CHECK_EQ(P##_read(&v), x & ~y);					\
	P##_andnot(0, &v);		/* ~0 keeps every bit */	\
	CHECK_EQ(P##_read(&v), x & ~y);					\
}

/*
 * Every value-returning RMW in one ordering: SFX is _acquire, _release,
 * _relaxed, or empty for the fully ordered form.  A single thread cannot
 * observe ordering.  What is checked is that each name exists, does its
 * operation on the full width, and returns the right value.
 */
#define CHECK_RMW_ORDER(P, A, T, SFX)					\
	do {								\
		const T big = P##_BIG, x = P##_X, y = P##_Y;		\
		A v;							\
		T old;							\
									\
		P##_set(&v, big);					\
		CHECK_EQ(P##_add_return##SFX(big, &v), 2 * big);	\
		CHECK_EQ(P##_sub_return##SFX(3 * big, &v), -big);	\
		CHECK_EQ(P##_inc_return##SFX(&v), 1 - big);		\
		CHECK_EQ(P##_dec_return##SFX(&v), -big);		\
		CHECK_EQ(P##_read(&v), -big);				\
									\
		CHECK_EQ(P##_fetch_add##SFX(3 * big, &v), -big);	\
		CHECK_EQ(P##_fetch_sub##SFX(big, &v), 2 * big);		\
		CHECK_EQ(P##_fetch_inc##SFX(&v), big);			\
		CHECK_EQ(P##_fetch_dec##SFX(&v), big + 1);		\
		CHECK_EQ(P##_read(&v), big);				\
									\
		P##_set(&v, x);						\
		CHECK_EQ(P##_fetch_and##SFX(y, &v), x);			\
		CHECK_EQ(P##_fetch_or##SFX(x, &v), x & y);		\
		CHECK_EQ(P##_fetch_xor##SFX(y, &v), x);			\
		CHECK_EQ(P##_fetch_andnot##SFX(y, &v), x ^ y);		\
		CHECK_EQ(P##_read(&v), x & ~y);				\
									\
		CHECK_EQ(P##_xchg##SFX(&v, big), x & ~y);		\
		CHECK_EQ(P##_read(&v), big);				\
									\
		/* cmpxchg returns the old value, whether it wrote or not. */ \
		CHECK_EQ(P##_cmpxchg##SFX(&v, big, -big), big);		\
		CHECK_EQ(P##_read(&v), -big);				\
		CHECK_EQ(P##_cmpxchg##SFX(&v, big, 7), -big);		\
		CHECK_EQ(P##_read(&v), -big);				\
									\
		/* try_cmpxchg leaves *old alone on success... */	\
		old = -big;						\
		CHECK(P##_try_cmpxchg##SFX(&v, &old, x));		\
		CHECK_EQ(old, -big);					\
		CHECK_EQ(P##_read(&v), x);				\
		/* ...and loads the value it found into it on failure, */ \
		old = y;						\
		CHECK(!P##_try_cmpxchg##SFX(&v, &old, 1));		\
		CHECK_EQ(old, x);					\
		CHECK_EQ(P##_read(&v), x);				\
		/* so that a retry with it succeeds. */			\
		CHECK(P##_try_cmpxchg##SFX(&v, &old, y));		\
		CHECK_EQ(P##_read(&v), y);				\
	} while (0)

#define DEFINE_TEST_RMW(P, A, T)					\
static void test_##P##_rmw_orders(void)					\
{									\
	CHECK_RMW_ORDER(P, A, T, );					\
	CHECK_RMW_ORDER(P, A, T, _acquire);				\
	CHECK_RMW_ORDER(P, A, T, _release);				\
	CHECK_RMW_ORDER(P, A, T, _relaxed);				\
}

/* The *_and_test and add_negative predicates on the new value. */
#define DEFINE_TEST_PREDICATES(P, A, T)					\
static void test_##P##_predicates(void)					\
{									\
	const T big = P##_BIG;						\
	A v;								\
									\
	P##_set(&v, big);						\
	CHECK(!P##_sub_and_test(1, &v));				\
	CHECK_EQ(P##_read(&v), big - 1);				\
	CHECK(P##_sub_and_test(big - 1, &v));				\
	CHECK_EQ(P##_read(&v), 0);					\
	CHECK(!P##_sub_and_test(-big, &v));				\
	CHECK_EQ(P##_read(&v), big);					\
									\
	P##_set(&v, 2);							\
	CHECK(!P##_dec_and_test(&v));					\
	CHECK(P##_dec_and_test(&v));					\
	CHECK(!P##_dec_and_test(&v));	/* 0 -> -1 is not zero */	\
	CHECK_EQ(P##_read(&v), -1);					\
									\
	P##_set(&v, -2);						\
	CHECK(!P##_inc_and_test(&v));					\
	CHECK(P##_inc_and_test(&v));					\
	CHECK(!P##_inc_and_test(&v));					\
	CHECK_EQ(P##_read(&v), 1);					\
									\
	/* Zero is not negative; the sign is that of the full width. */	\
	P##_set(&v, 0);							\
	CHECK(!P##_add_negative(big, &v));				\
	CHECK(!P##_add_negative(-big, &v));				\
	CHECK_EQ(P##_read(&v), 0);					\
	CHECK(P##_add_negative(-1, &v));				\
	CHECK(P##_add_negative(-big, &v));				\
	CHECK_EQ(P##_read(&v), -big - 1);				\
	CHECK(!P##_add_negative(2 * big + 1, &v));			\
	CHECK_EQ(P##_read(&v), big);					\
}

/*
 * The conditional RMWs, at and around each boundary: whether they act,
 * what they return, and that the counter is untouched when they do not.
 */
#define DEFINE_TEST_CONDITIONAL(P, A, T)				\
static void test_##P##_conditional(void)				\
{									\
	const T big = P##_BIG, max = P##_MAX, min = P##_MIN;		\
	A v;								\
									\
	/* fetch_add_unless returns the old value in both cases. */	\
	P##_set(&v, big);						\
	CHECK_EQ(P##_fetch_add_unless(&v, big, 0), big);		\
	CHECK_EQ(P##_read(&v), 2 * big);				\
	CHECK_EQ(P##_fetch_add_unless(&v, 5, 2 * big), 2 * big);	\
	CHECK_EQ(P##_read(&v), 2 * big);				\
	CHECK(P##_add_unless(&v, -big, 0));				\
	CHECK_EQ(P##_read(&v), big);					\
	CHECK(!P##_add_unless(&v, 1, big));				\
	CHECK_EQ(P##_read(&v), big);					\
									\
	P##_set(&v, 0);							\
	CHECK(!P##_inc_not_zero(&v));					\
	CHECK_EQ(P##_read(&v), 0);					\
	P##_set(&v, -1);						\
	CHECK(P##_inc_not_zero(&v));					\
	CHECK_EQ(P##_read(&v), 0);					\
	P##_set(&v, big);						\
	CHECK(P##_inc_not_zero(&v));					\
	CHECK_EQ(P##_read(&v), big + 1);				\
									\
	P##_set(&v, 0);							\
	CHECK(P##_inc_unless_negative(&v));				\
	CHECK_EQ(P##_read(&v), 1);					\
	P##_set(&v, big);						\
	CHECK(P##_inc_unless_negative(&v));				\
	CHECK_EQ(P##_read(&v), big + 1);				\
	P##_set(&v, -1);						\
	CHECK(!P##_inc_unless_negative(&v));				\
	CHECK_EQ(P##_read(&v), -1);					\
	P##_set(&v, min);						\
	CHECK(!P##_inc_unless_negative(&v));				\
	CHECK_EQ(P##_read(&v), min);					\
									\
	P##_set(&v, 0);							\
	CHECK(P##_dec_unless_positive(&v));				\
	CHECK_EQ(P##_read(&v), -1);					\
	P##_set(&v, -big);						\
	CHECK(P##_dec_unless_positive(&v));				\
	CHECK_EQ(P##_read(&v), -big - 1);				\
	P##_set(&v, 1);							\
	CHECK(!P##_dec_unless_positive(&v));				\
	CHECK_EQ(P##_read(&v), 1);					\
	P##_set(&v, max);						\
	CHECK(!P##_dec_unless_positive(&v));				\
	CHECK_EQ(P##_read(&v), max);					\
									\
	/* dec_if_positive returns old - 1, and stores it only if >= 0. */ \
	P##_set(&v, 1);							\
	CHECK_EQ(P##_dec_if_positive(&v), 0);				\
	CHECK_EQ(P##_read(&v), 0);					\
	CHECK_EQ(P##_dec_if_positive(&v), -1);				\
	CHECK_EQ(P##_read(&v), 0);					\
	P##_set(&v, big);						\
	CHECK_EQ(P##_dec_if_positive(&v), big - 1);			\
	CHECK_EQ(P##_read(&v), big - 1);				\
	P##_set(&v, -big);						\
	CHECK_EQ(P##_dec_if_positive(&v), -big - 1);			\
	CHECK_EQ(P##_read(&v), -big);					\
	P##_set(&v, max);						\
	CHECK_EQ(P##_dec_if_positive(&v), max - 1);			\
	CHECK_EQ(P##_read(&v), max - 1);				\
									\
	/* At the edges they wrap, as the kernel's do. */		\
	P##_set(&v, max);						\
	CHECK(P##_inc_unless_negative(&v));				\
	CHECK_EQ(P##_read(&v), min);					\
	P##_set(&v, min);						\
	CHECK(P##_dec_unless_positive(&v));				\
	CHECK_EQ(P##_read(&v), max);					\
	P##_set(&v, min);						\
	CHECK_EQ(P##_dec_if_positive(&v), max);				\
	CHECK_EQ(P##_read(&v), max);					\
	P##_set(&v, max);						\
	CHECK_EQ(P##_fetch_add_unless(&v, 1, 0), max);			\
	CHECK_EQ(P##_read(&v), min);					\
}

/*
 * The unconditional arithmetic wraps in two's complement, as the kernel
 * documents (and as the __atomic builtins define; no UB, so UBSan is
 * quiet).
 */
#define DEFINE_TEST_WRAP(P, A, T)					\
static void test_##P##_wrap(void)					\
{									\
	const T max = P##_MAX, min = P##_MIN;				\
	A v;								\
									\
	P##_set(&v, max);						\
	P##_inc(&v);							\
	CHECK_EQ(P##_read(&v), min);					\
	CHECK_EQ(P##_dec_return(&v), max);				\
	CHECK_EQ(P##_fetch_add(1, &v), max);				\
	CHECK(P##_add_negative(0, &v));					\
	CHECK_EQ(P##_sub_return(1, &v), max);				\
	CHECK(P##_add_negative(max, &v));	/* max + max == -2 */	\
	CHECK_EQ(P##_read(&v), -2);					\
}

/* The cond_read spinners, where the condition already holds. */
#define DEFINE_TEST_COND_READ(P, A, T)					\
static void test_##P##_cond_read(void)					\
{									\
	const T big = P##_BIG;						\
	A v;								\
									\
	P##_set(&v, big);						\
	CHECK_EQ(P##_cond_read_acquire(&v, VAL == big), big);		\
	CHECK_EQ(P##_cond_read_relaxed(&v, VAL > 0), big);		\
	_Static_assert(SAME_TYPE(P##_cond_read_acquire(&v, 1), T),	\
		       #P "_cond_read_acquire type");			\
}

#define DEFINE_FAMILY_TESTS(P, A, T, INIT)				\
	DEFINE_TEST_READ_SET(P, A, T, INIT)				\
	DEFINE_TEST_VOID_OPS(P, A, T)					\
	DEFINE_TEST_RMW(P, A, T)					\
	DEFINE_TEST_PREDICATES(P, A, T)					\
	DEFINE_TEST_CONDITIONAL(P, A, T)				\
	DEFINE_TEST_WRAP(P, A, T)					\
	DEFINE_TEST_COND_READ(P, A, T)

DEFINE_FAMILY_TESTS(atomic, atomic_t, int, ATOMIC_INIT)
DEFINE_FAMILY_TESTS(atomic64, atomic64_t, long long, ATOMIC64_INIT)
DEFINE_FAMILY_TESTS(atomic_long, atomic_long_t, long, ATOMIC_LONG_INIT)

#define RUN_FAMILY(P)							\
	do {								\
		RUN(test_##P##_read_set);				\
		RUN(test_##P##_void_ops);				\
		RUN(test_##P##_rmw_orders);				\
		RUN(test_##P##_predicates);				\
		RUN(test_##P##_conditional);				\
		RUN(test_##P##_wrap);					\
		RUN(test_##P##_cond_read);				\
	} while (0)

/* ---- barrier.h, single-threaded ---- */

static void test_read_write_once(void)
{
	static int i;
	static long l;
	static int *p;
	static uint8_t u8;
	static struct { uint8_t a, b, c, d; } bytes = { 1, 2, 3, 4 };
	const long cl = LONG_MIN;
	int n = 0;

	WRITE_ONCE(i, -5);
	CHECK_EQ(READ_ONCE(i), -5);
	WRITE_ONCE(l, LONG_MIN);	/* full width, on any ABI */
	CHECK_EQ(READ_ONCE(l), LONG_MIN);
	WRITE_ONCE(p, &i);
	CHECK(READ_ONCE(p) == &i);
	WRITE_ONCE(p, NULL);
	CHECK(READ_ONCE(p) == NULL);
	WRITE_ONCE(u8, 0xff);
	CHECK_EQ(READ_ONCE(u8), 0xff);	/* unsigned: no sign extension */
	CHECK_EQ(READ_ONCE(cl), LONG_MIN);	/* works on const objects */

	/* READ_ONCE has the type of its object. */
	_Static_assert(SAME_TYPE(READ_ONCE(u8), uint8_t), "READ_ONCE(u8)");
	_Static_assert(SAME_TYPE(READ_ONCE(p), int *), "READ_ONCE(p)");

	/* A byte store writes only that byte. */
	WRITE_ONCE(bytes.b, 0xee);
	CHECK(bytes.a == 1 && bytes.b == 0xee && bytes.c == 3 && bytes.d == 4);

	/* The value is evaluated exactly once. */
	WRITE_ONCE(i, ++n);
	CHECK_EQ(n, 1);
	CHECK_EQ(i, 1);
}

static void test_acquire_release(void)
{
	static int i;
	static long l;
	static int *p;
	static uint8_t u8;
	int n = 0;

	smp_store_release(&i, -9);
	CHECK_EQ(smp_load_acquire(&i), -9);
	smp_store_release(&l, LONG_MAX);
	CHECK_EQ(smp_load_acquire(&l), LONG_MAX);
	smp_store_release(&p, &i);
	CHECK(smp_load_acquire(&p) == &i);
	smp_store_release(&u8, 0x80);
	CHECK_EQ(smp_load_acquire(&u8), 0x80);

	smp_store_release(&i, ++n);
	CHECK_EQ(n, 1);
	CHECK_EQ(i, 1);

	/* smp_store_mb() takes the object, not its address. */
	smp_store_mb(l, LONG_MIN);
	CHECK_EQ(READ_ONCE(l), LONG_MIN);
	smp_store_mb(u8, 7);
	CHECK_EQ(u8, 7);

	/* The spinners return the value that satisfied the condition. */
	CHECK(smp_cond_load_acquire(&p, VAL != NULL) == &i);
	CHECK_EQ(smp_cond_load_relaxed(&u8, VAL & 1), 7);
	CHECK_EQ(smp_cond_load_acquire(&l, VAL < 0), LONG_MIN);
}

/* Each barrier compiles, runs, and leaves the data alone. */
static void test_barriers_run(void)
{
	static int x;
	atomic_t a = ATOMIC_INIT(0);

	WRITE_ONCE(x, 1);
	smp_wmb();
	smp_mb();
	smp_rmb();
	CHECK_EQ(READ_ONCE(x), 1);
	if (READ_ONCE(x))
		smp_acquire__after_ctrl_dep();
	smp_mb__before_atomic();
	atomic_inc(&a);
	smp_mb__after_atomic();
	smp_mb__after_spinlock();
	smp_mb__after_unlock_lock();
	barrier();
	cpu_relax();
	CHECK_EQ(atomic_read(&a), 1);
}

/* The kernel's argument order, not <stdatomic.h>'s generic (obj, arg). */
static void test_kernel_names_win(void)
{
	atomic_t a = ATOMIC_INIT(5);

	CHECK_EQ(atomic_fetch_add(2, &a), 5);
	CHECK_EQ(atomic_fetch_sub(1, &a), 7);
	CHECK_EQ(atomic_fetch_and(3, &a), 6);
	CHECK_EQ(atomic_fetch_or(8, &a), 2);
	CHECK_EQ(atomic_fetch_xor(1, &a), 10);
	CHECK_EQ(atomic_read(&a), 11);
}

/* ---- concurrency ---- */

#define THREADS		8
#define ITERS		200000

/*
 * Always false, for use in a smp_cond_load_*() condition: yields the CPU
 * every so often, so that on a machine with fewer CPUs than threads a
 * spinner lets the thread it waits for run.
 */
static inline bool yield_sometimes(unsigned *spins)
{
	if (++*spins % 64 == 0)
		sched_yield();
	return false;
}

/*
 * The canonical loop: a failed try_cmpxchg has already reloaded old.
 * Returns how often it had to retry, to show there was contention.
 */
static long cas_inc(atomic_t *v)
{
	int old = atomic_read(v);
	long retries = 0;

	while (!atomic_try_cmpxchg(v, &old, old + 1))
		retries++;
	return retries;
}

/* One bit in each 32-bit half: a lost carry or a truncation would show. */
#define STEP64		0x100000001LL

static atomic_t cnt_inc;
static atomic64_t cnt_add64;
static atomic_long_t cnt_fetch_add;
static atomic_t cnt_cas;
static atomic_long_t cas_retries;

static void *counter_worker(void *arg)
{
	long prev = -1, retries = 0;

	for (long i = 0; i < ITERS; i++) {
		long old;

		atomic_inc(&cnt_inc);
		atomic64_add(STEP64, &cnt_add64);
		old = atomic_long_fetch_add(3, &cnt_fetch_add);
		/* Every caller gets a distinct old value; ours only grow. */
		CHECK(old > prev);
		prev = old;
		retries += cas_inc(&cnt_cas);
	}
	atomic_long_add(retries, &cas_retries);
	return NULL;
}

static void test_concurrent_counters(void)
{
	atomic_set(&cnt_inc, 0);
	atomic64_set(&cnt_add64, 0);
	atomic_long_set(&cnt_fetch_add, 0);
	atomic_set(&cnt_cas, 0);
	atomic_long_set(&cas_retries, 0);
	ktest_run_threads(THREADS, counter_worker);
	CHECK_EQ(atomic_read(&cnt_inc), THREADS * ITERS);
	CHECK_EQ(atomic64_read(&cnt_add64), STEP64 * THREADS * ITERS);
	CHECK_EQ(atomic_long_read(&cnt_fetch_add), 3L * THREADS * ITERS);
	CHECK_EQ(atomic_read(&cnt_cas), THREADS * ITERS);
	printf("# %d threads x %d: %ld try_cmpxchg retries\n", THREADS, ITERS,
	       atomic_long_read(&cas_retries));
}

/*
 * dec_if_positive as a token pool: threads race to take tokens until it
 * says none are left.  Exactly the pool is handed out, never one more.
 */
#define TOKENS		(THREADS * 20000 + 3)

static atomic_t tokens;
static atomic_long_t taken;

static void *token_worker(void *arg)
{
	long mine = 0;

	while (atomic_dec_if_positive(&tokens) >= 0)
		mine++;
	atomic_long_add(mine, &taken);
	return NULL;
}

static void test_concurrent_tokens(void)
{
	atomic_set(&tokens, TOKENS);
	atomic_long_set(&taken, 0);
	ktest_run_threads(THREADS, token_worker);
	CHECK_EQ(atomic_read(&tokens), 0);
	CHECK_EQ(atomic_long_read(&taken), TOKENS);
}

/*
 * A test-and-set lock that takes each acquiring RMW in turn and releases
 * with each releasing RMW in turn (0 free, 1 held), guarding plain data.
 * If a form were weaker than its name, ThreadSanitizer would report the
 * plain data as racing.  Without ThreadSanitizer, the exact count still
 * catches an RMW that lets two threads in at once.
 */
#define LOCK_ITERS	50000

static atomic_t tas;
static struct {
	long count;
	int inside;
} guarded;
static atomic_t lock_violations;

static bool tas_trylock(int how)
{
	int old = 0;

	switch (how) {
	case 0: return atomic_xchg_acquire(&tas, 1) == 0;
	case 1: return atomic_cmpxchg_acquire(&tas, 0, 1) == 0;
	case 2: return atomic_try_cmpxchg_acquire(&tas, &old, 1);
	case 3: return atomic_fetch_or_acquire(1, &tas) == 0;
	case 4: return atomic_xchg(&tas, 1) == 0;
	default: return atomic_try_cmpxchg(&tas, &old, 1);
	}
}
#define TRYLOCK_KINDS	6

static void tas_unlock(int how)
{
	int old = 1;

	switch (how) {
	case 0: atomic_set_release(&tas, 0); break;
	case 1: CHECK_EQ(atomic_xchg_release(&tas, 0), 1); break;
	case 2: CHECK_EQ(atomic_cmpxchg_release(&tas, 1, 0), 1); break;
	case 3: CHECK(atomic_try_cmpxchg_release(&tas, &old, 0)); break;
	case 4: CHECK_EQ(atomic_fetch_and_release(0, &tas), 1); break;
	case 5: CHECK_EQ(atomic_fetch_andnot_release(1, &tas), 1); break;
	case 6: CHECK_EQ(atomic_fetch_xor_release(1, &tas), 1); break;
	case 7: CHECK_EQ(atomic_dec_return_release(&tas), 0); break;
	case 8: CHECK_EQ(atomic_fetch_dec_release(&tas), 1); break;
	case 9: CHECK_EQ(atomic_sub_return_release(1, &tas), 0); break;
	case 10: CHECK_EQ(atomic_fetch_sub_release(1, &tas), 1); break;
	default: CHECK_EQ(atomic_fetch_add_release(-1, &tas), 1); break;
	}
}
#define UNLOCK_KINDS	12

static void *lock_worker(void *arg)
{
	long tid = (long)arg;

	for (long i = 0; i < LOCK_ITERS; i++) {
		unsigned spins = 0;

		while (!tas_trylock((int)((i + tid) % TRYLOCK_KINDS)))
			atomic_cond_read_relaxed(&tas, VAL == 0 ||
						 yield_sometimes(&spins));
		if (guarded.inside++)
			atomic_inc(&lock_violations);
		guarded.count++;
		guarded.inside--;
		tas_unlock((int)((i * 7 + tid) % UNLOCK_KINDS));
	}
	return NULL;
}

static void test_acquire_release_lock(void)
{
	atomic_set(&tas, 0);
	atomic_set(&lock_violations, 0);
	guarded.count = 0;
	ktest_run_threads(THREADS, lock_worker);
	CHECK_EQ(atomic_read(&lock_violations), 0);
	CHECK_EQ(guarded.count, (long)THREADS * LOCK_ITERS);
	CHECK_EQ(atomic_read(&tas), 0);
}

/*
 * Message passing through smp_store_release/smp_cond_load_acquire.  The
 * flag is a handoff: the writer fills the message and releases flag = 1;
 * the reader acquires it, checks the message, and hands it back with a
 * release of flag = 0 (so the writer may not overwrite a message still
 * being read).  The message is plain and WRITE_ONCE data, and carries the
 * round number, so a stale read shows as a wrong value. Without the
 * acquire/release, ThreadSanitizer would also report it.
 */
#define MP_ROUNDS	100000

static int cells[4];
static struct {
	int round;	/* plain */
	long payload;	/* plain */
	int *cell;	/* WRITE_ONCE */
	uint8_t tag;	/* WRITE_ONCE */
} msg;
static int msg_flag;

static long payload_of(int r)
{
	return (long)r * -0x10001L;
}

static void mp_writer(void)
{
	for (int r = 1; r <= MP_ROUNDS; r++) {
		unsigned spins = 0;

		smp_cond_load_acquire(&msg_flag, VAL == 0 || yield_sometimes(&spins));
		msg.round = r;
		msg.payload = payload_of(r);
		WRITE_ONCE(msg.cell, &cells[r % 4]);
		WRITE_ONCE(msg.tag, (uint8_t)r);
		smp_store_release(&msg_flag, 1);
	}
}

static void mp_reader(void)
{
	for (int r = 1; r <= MP_ROUNDS; r++) {
		unsigned spins = 0;

		CHECK_EQ(smp_cond_load_acquire(&msg_flag,
					       VAL == 1 || yield_sometimes(&spins)), 1);
		CHECK_EQ(msg.round, r);
		CHECK_EQ(msg.payload, payload_of(r));
		CHECK(READ_ONCE(msg.cell) == &cells[r % 4]);
		CHECK_EQ(READ_ONCE(msg.tag), (uint8_t)r);
		smp_store_release(&msg_flag, 0);
	}
}

static void *mp_smp_worker(void *arg)
{
	if ((long)arg == 0)
		mp_writer();
	else
		mp_reader();
	return NULL;
}

static void test_message_passing_smp(void)
{
	msg_flag = 0;
	ktest_run_threads(2, mp_smp_worker);
	CHECK_EQ(msg_flag, 0);
	CHECK_EQ(msg.round, MP_ROUNDS);
}

/*
 * Message passing through atomic*_set_release/atomic*_cond_read_acquire.
 * The writer streams messages into slots: it fills slot r with plain
 * stores and publishes the count r + 1 in each family's counter.  Three
 * readers, one per family, wait with cond_read_acquire until the count
 * covers slot r and check it; a fourth polls the three with read_acquire.
 */
static struct {
	int round;
	long payload;
} slots[MP_ROUNDS];
static atomic_t published;
static atomic64_t published64;
static atomic_long_t published_long;

static void stream_writer(void)
{
	for (int r = 0; r < MP_ROUNDS; r++) {
		slots[r].round = r;
		slots[r].payload = payload_of(r);
		atomic_set_release(&published, r + 1);
		atomic64_set_release(&published64, r + 1);
		atomic_long_set_release(&published_long, r + 1);
	}
}

/* Poll one family's count with read_acquire, chosen by the slot. */
static bool stream_published(int r)
{
	switch (r % 3) {
	case 0: return atomic_read_acquire(&published) > r;
	case 1: return atomic64_read_acquire(&published64) > r;
	default: return atomic_long_read_acquire(&published_long) > r;
	}
}

static void stream_reader(long how)
{
	for (int r = 0; r < MP_ROUNDS; r++) {
		unsigned spins = 0;

		if (how == 1)
			atomic_cond_read_acquire(&published,
						 VAL > r || yield_sometimes(&spins));
		else if (how == 2)
			atomic64_cond_read_acquire(&published64,
						   VAL > r || yield_sometimes(&spins));
		else if (how == 3)
			atomic_long_cond_read_acquire(&published_long,
						      VAL > r || yield_sometimes(&spins));
		else
			while (!stream_published(r))
				yield_sometimes(&spins);
		CHECK_EQ(slots[r].round, r);
		CHECK_EQ(slots[r].payload, payload_of(r));
	}
}

static void *stream_worker(void *arg)
{
	if ((long)arg == 0)
		stream_writer();
	else
		stream_reader((long)arg);
	return NULL;
}

static void test_message_passing_atomic(void)
{
	atomic_set(&published, 0);
	atomic64_set(&published64, 0);
	atomic_long_set(&published_long, 0);
	ktest_run_threads(5, stream_worker);
	CHECK_EQ(atomic_read(&published), MP_ROUNDS);
}

static void watchdog(int sig)
{
	static const char text[] = "FAIL: test_atomic did not finish in time (lost message?)\n";

	(void)sig;
	write(2, text, sizeof(text) - 1);
	_exit(1);
}

int main(void)
{
	signal(SIGALRM, watchdog);
	alarm(240);

	RUN_FAMILY(atomic);
	RUN_FAMILY(atomic64);
	RUN_FAMILY(atomic_long);
	RUN(test_read_write_once);
	RUN(test_acquire_release);
	RUN(test_barriers_run);
	RUN(test_kernel_names_win);

	RUN(test_concurrent_counters);
	RUN(test_concurrent_tokens);
	RUN(test_acquire_release_lock);
	RUN(test_message_passing_smp);
	RUN(test_message_passing_atomic);
	return 0;
}
