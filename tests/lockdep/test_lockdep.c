// SPDX-License-Identifier: MIT
/*
 * KSYNC_LOCKDEP=1: the scenario matrix of the kernel's locking self-tests
 * (lib/locking-selftest.c), each scenario in a child process and matched
 * on its report, for spinlock_t, rwlock_t (write side), struct mutex and
 * struct rw_semaphore (write side); then the read-lock rules.  Also what
 * must NOT be reported: subclass nesting, nest_lock, orders that agree
 * across many threads, read recursion where it is allowed.
 */
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <ksync/lockdep.h>
#include <ksync/mutex.h>
#include <ksync/rwlock.h>
#include <ksync/rwsem.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };

#define LU2(L, U, x, y)							\
	do {								\
		L(&x);							\
		L(&y);							\
		U(&y);							\
		U(&x);							\
	} while (0)

static void *exit_holding(void *fn)
{
	prctl(PR_SET_NAME, "leaver");
	((void (*)(void))fn)();
	return NULL;
}

/*
 * The matrix for one lock type: A, B, C, D are four classes; X1 and X2
 * are two locks of one class (initialised at one place), as the kernel's
 * AA test uses, so that AA is reported without hanging.
 */
#define LOCKDEP_MATRIX(p, type, DEFINE, INIT, L, U)			\
static DEFINE(p##_A);							\
static DEFINE(p##_B);							\
static DEFINE(p##_C);							\
static DEFINE(p##_D);							\
static type p##_X1, p##_X2;						\
static void p##_init_x(type *x)						\
{									\
	INIT(x);							\
}									\
static void p##_AA(void)						\
{									\
	p##_init_x(&p##_X1);						\
	p##_init_x(&p##_X2);						\
	L(&p##_X1);							\
	L(&p##_X2);							\
	U(&p##_X2);							\
	U(&p##_X1);							\
	printf("went on\n");						\
}									\
static void p##_ABBA(void)						\
{									\
	LU2(L, U, p##_A, p##_B);					\
	LU2(L, U, p##_B, p##_A);					\
	printf("went on\n");						\
}									\
static void p##_ABBCCA(void)						\
{									\
	LU2(L, U, p##_A, p##_B);					\
	LU2(L, U, p##_B, p##_C);					\
	LU2(L, U, p##_C, p##_A);					\
	printf("went on\n");						\
}									\
static void p##_ABCABC(void)						\
{									\
	LU2(L, U, p##_A, p##_B);					\
	LU2(L, U, p##_C, p##_A);					\
	LU2(L, U, p##_B, p##_C);					\
	printf("went on\n");						\
}									\
static void p##_ABCDBDDA(void)						\
{									\
	LU2(L, U, p##_A, p##_B);					\
	LU2(L, U, p##_C, p##_D);					\
	LU2(L, U, p##_B, p##_D);					\
	LU2(L, U, p##_D, p##_A);					\
	printf("went on\n");						\
}									\
static void p##_ABCDBCDA(void)						\
{									\
	LU2(L, U, p##_A, p##_B);					\
	LU2(L, U, p##_C, p##_D);					\
	LU2(L, U, p##_B, p##_C);					\
	LU2(L, U, p##_D, p##_A);					\
	printf("went on\n");						\
}									\
static void p##_double_unlock(void)					\
{									\
	L(&p##_A);							\
	U(&p##_A);							\
	U(&p##_A);							\
	printf("went on\n");						\
}									\
static void p##_unlock_never_taken(void)				\
{									\
	U(&p##_B);							\
	printf("went on\n");						\
}									\
static void p##_free_held(void)						\
{									\
	type *l = malloc(sizeof(*l));					\
									\
	INIT(l);							\
	L(l);								\
	debug_check_no_locks_freed(l, sizeof(*l));			\
	U(l);								\
	free(l);							\
	printf("went on\n");						\
}									\
static void p##_take_and_leave(void)					\
{									\
	L(&p##_C);							\
}									\
static void p##_exit_held(void)						\
{									\
	pthread_t t;							\
									\
	pthread_create(&t, NULL, exit_holding, (void *)p##_take_and_leave); \
	pthread_join(t, NULL);						\
	printf("went on\n");						\
}									\
/* Correct: one order everywhere, subclasses for same-class nesting. */ \
static void p##_correct(void)						\
{									\
	p##_init_x(&p##_X1);						\
	p##_init_x(&p##_X2);						\
	for (int i = 0; i < 3; i++) {					\
		LU2(L, U, p##_A, p##_B);				\
		LU2(L, U, p##_B, p##_C);				\
		LU2(L, U, p##_A, p##_D);				\
	}								\
	printf("went on\n");						\
}

#define SPIN_INIT(x)	spin_lock_init(x)
#define RWLOCK_INIT(x)	rwlock_init(x)
#define MUTEX_INIT(x)	mutex_init(x)
#define RWSEM_INIT(x)	init_rwsem(x)
LOCKDEP_MATRIX(spin, spinlock_t, DEFINE_SPINLOCK, SPIN_INIT, spin_lock, spin_unlock)
LOCKDEP_MATRIX(rwlock, rwlock_t, DEFINE_RWLOCK, RWLOCK_INIT, write_lock, write_unlock)
LOCKDEP_MATRIX(mutex, struct mutex, DEFINE_MUTEX, MUTEX_INIT, mutex_lock, mutex_unlock)
LOCKDEP_MATRIX(rwsem, struct rw_semaphore, DECLARE_RWSEM, RWSEM_INIT, down_write, up_write)

/* --- read locks ------------------------------------------------------------------ */

/*
 * A queued rwlock's read_lock() in process context waits behind a queued
 * writer, so it is not recursive: two readers of one class nest badly.
 */
static void rwlock_read_AA(void)
{
	rwlock_init_x(&rwlock_X1);
	rwlock_init_x(&rwlock_X2);
	read_lock(&rwlock_X1);
	read_lock(&rwlock_X2);
	read_unlock(&rwlock_X2);
	read_unlock(&rwlock_X1);
	printf("went on\n");
}

/* In interrupt context (here: bottom halves off) it is recursive. */
static void rwlock_read_recursive(void)
{
	rwlock_init_x(&rwlock_X1);
	rwlock_init_x(&rwlock_X2);
	local_bh_disable();
	read_lock(&rwlock_X1);
	read_lock(&rwlock_X2);
	read_unlock(&rwlock_X2);
	read_unlock(&rwlock_X1);
	/*
	 * And A(recursive read) -> B, B -> A(recursive read) is no cycle: a
	 * recursive reader gets in past the writer that waits on B.
	 */
	read_lock(&rwlock_A);
	write_lock(&rwlock_B);
	write_unlock(&rwlock_B);
	read_unlock(&rwlock_A);
	write_lock(&rwlock_B);
	read_lock(&rwlock_A);
	read_unlock(&rwlock_A);
	write_unlock(&rwlock_B);
	local_bh_enable();
	printf("went on\n");
}

/* The same orders with process-context (non-recursive) readers deadlock. */
static void rwlock_read_ABBA(void)
{
	read_lock(&rwlock_A);
	write_lock(&rwlock_B);
	write_unlock(&rwlock_B);
	read_unlock(&rwlock_A);
	write_lock(&rwlock_B);
	read_lock(&rwlock_A);
	read_unlock(&rwlock_A);
	write_unlock(&rwlock_B);
	printf("went on\n");
}

/* Two readers -> writer orders that meet only at readers: no cycle. */
static void rwlock_shared_both_ends(void)
{
	local_bh_disable();
	read_lock(&rwlock_C);
	read_lock(&rwlock_D);
	read_unlock(&rwlock_D);
	read_unlock(&rwlock_C);
	read_lock(&rwlock_D);
	read_lock(&rwlock_C);
	read_unlock(&rwlock_C);
	read_unlock(&rwlock_D);
	local_bh_enable();
	printf("went on\n");
}

/* rw_semaphore readers are never recursive. */
static void rwsem_read_AA(void)
{
	rwsem_init_x(&rwsem_X1);
	rwsem_init_x(&rwsem_X2);
	down_read(&rwsem_X1);
	down_read(&rwsem_X2);
	up_read(&rwsem_X2);
	up_read(&rwsem_X1);
	printf("went on\n");
}

static void rwsem_read_ABBA(void)
{
	down_read(&rwsem_A);
	down_write(&rwsem_B);
	up_write(&rwsem_B);
	up_read(&rwsem_A);
	down_write(&rwsem_B);
	down_read(&rwsem_A);
	up_read(&rwsem_A);
	up_write(&rwsem_B);
	printf("went on\n");
}

/* Subclasses and downgrade: held for writing, then for reading. */
static void rwsem_nested_downgrade(void)
{
	rwsem_init_x(&rwsem_X1);
	rwsem_init_x(&rwsem_X2);
	down_write(&rwsem_X1);
	down_read_nested(&rwsem_X2, SINGLE_DEPTH_NESTING);
	up_read(&rwsem_X2);
	down_write_nested(&rwsem_X2, SINGLE_DEPTH_NESTING);
	lockdep_assert_held_write(&rwsem_X2);
	downgrade_write(&rwsem_X2);
	lockdep_assert_held_read(&rwsem_X2);
	up_read(&rwsem_X2);
	up_write(&rwsem_X1);
	read_lock(&rwlock_A);
	lockdep_assert_held_read(&rwlock_A);
	read_unlock(&rwlock_A);
	printf("went on\n");
}

/* --- what must not be reported ------------------------------------------------- */

static void spin_subclass(void)
{
	spin_init_x(&spin_X1);
	spin_init_x(&spin_X2);
	for (int i = 0; i < 3; i++) {
		spin_lock(&spin_X1);
		spin_lock_nested(&spin_X2, SINGLE_DEPTH_NESTING);
		spin_unlock(&spin_X2);
		spin_unlock(&spin_X1);
	}
	printf("went on\n");
}

static void mutex_subclass(void)
{
	mutex_init_x(&mutex_X1);
	mutex_init_x(&mutex_X2);
	mutex_lock(&mutex_X1);
	mutex_lock_nested(&mutex_X2, SINGLE_DEPTH_NESTING);
	mutex_unlock(&mutex_X2);
	mutex_unlock(&mutex_X1);
	printf("went on\n");
}

static void rwlock_subclass(void)
{
	rwlock_init_x(&rwlock_X1);
	rwlock_init_x(&rwlock_X2);
	write_lock(&rwlock_X1);
	write_lock_nested(&rwlock_X2, SINGLE_DEPTH_NESTING);
	write_unlock(&rwlock_X2);
	write_unlock(&rwlock_X1);
	printf("went on\n");
}

static void rwsem_subclass(void)
{
	rwsem_init_x(&rwsem_X1);
	rwsem_init_x(&rwsem_X2);
	down_write(&rwsem_X1);
	down_write_nested(&rwsem_X2, SINGLE_DEPTH_NESTING);
	up_write(&rwsem_X2);
	up_write(&rwsem_X1);
	printf("went on\n");
}

/* Many locks of one class, ordered by an outer lock (nest_lock). */
static spinlock_t many[8];
static DEFINE_MUTEX(outer_mutex);
static struct mutex many_mutexes[8];

static void init_many(void)
{
	for (int i = 0; i < 8; i++)
		spin_lock_init(&many[i]);
	for (int i = 0; i < 8; i++)
		mutex_init(&many_mutexes[i]);
}

static void nest_lock(void)
{
	init_many();
	spin_lock(&spin_A);
	for (int i = 0; i < 8; i++)
		spin_lock_nest_lock(&many[i], &spin_A);
	for (int i = 7; i >= 0; i--)
		spin_unlock(&many[i]);
	spin_unlock(&spin_A);
	mutex_lock(&outer_mutex);
	for (int i = 0; i < 8; i++)
		mutex_lock_nest_lock(&many_mutexes[i], &outer_mutex);
	for (int i = 0; i < 8; i++)
		mutex_unlock(&many_mutexes[i]);
	mutex_unlock(&outer_mutex);
	printf("went on\n");
}

/* The same without the annotation is a recursive locking report. */
static void nest_lock_missing(void)
{
	init_many();
	spin_lock(&spin_A);
	spin_lock(&many[0]);
	spin_lock(&many[1]);
	spin_unlock(&many[1]);
	spin_unlock(&many[0]);
	spin_unlock(&spin_A);
	printf("went on\n");
}

/* nest_lock names a lock the thread does not hold. */
static void nest_lock_not_held(void)
{
	init_many();
	spin_lock_nest_lock(&many[0], &spin_B);
	spin_unlock(&many[0]);
	printf("went on\n");
}

/*
 * lockdep_set_lock_cmp_fn(): 64 mutexes and 64 spinlocks of one class
 * each, ordered by address.  Taken in order (the spinlocks by trylock)
 * they neither report recursion nor overflow the 48-entry held-lock
 * stack: each run is one entry.
 */
#define NR_ORDERED 64
static struct mutex ordered_m[NR_ORDERED];
static spinlock_t ordered_s[NR_ORDERED];

static int by_address(const struct lockdep_map *a, const struct lockdep_map *b)
{
	return a < b ? -1 : a > b;
}

static void print_index(const struct lockdep_map *map)
{
	const struct mutex *m = (const void *)((const char *)map - offsetof(struct mutex, dep_map));

	ksync_report_printf(" [slot %d]", (int)(m - ordered_m));
}

static void init_ordered(void)
{
	for (int i = 0; i < NR_ORDERED; i++) {
		mutex_init(&ordered_m[i]);
		lockdep_set_lock_cmp_fn(&ordered_m[i], by_address, print_index);
		spin_lock_init(&ordered_s[i]);
		lockdep_set_lock_cmp_fn(&ordered_s[i], by_address, NULL);
	}
}

static void cmp_fn_ordered(void)
{
	struct ksync_lockdep_stats st;

	init_ordered();
	for (int i = 0; i < NR_ORDERED; i++)
		mutex_lock(&ordered_m[i]);
	for (int i = 0; i < NR_ORDERED; i++) {
		if (!spin_trylock(&ordered_s[i]))
			abort();
	}
	ksync_lockdep_get_stats(&st);
	if (st.max_depth != 2) {
		printf("held-lock stack %lu deep, not 2\n", st.max_depth);
		abort();
	}
	for (int i = 0; i < NR_ORDERED; i += 2)	/* any order */
		spin_unlock(&ordered_s[i]);
	for (int i = 1; i < NR_ORDERED; i += 2)
		spin_unlock(&ordered_s[i]);
	for (int i = NR_ORDERED - 1; i >= 0; i--)
		mutex_unlock(&ordered_m[i]);
	printf("went on\n");
}

/* Against the order: recursive locking, and the print_fn's words. */
static void cmp_fn_reversed(void)
{
	init_ordered();
	mutex_lock(&ordered_m[5]);
	mutex_lock(&ordered_m[3]);
	mutex_unlock(&ordered_m[3]);
	mutex_unlock(&ordered_m[5]);
	printf("went on\n");
}

/*
 * 16 threads (more than cores) take random subsets of A < B < C < D, in
 * that order, mutexes and spinlocks mixed: never a report.
 */
static DEFINE_MUTEX(order_m);

static void *ordered_worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	for (int i = 0; i < 2000; i++) {
		unsigned int pick = (unsigned int)rand_r(&seed);

		mutex_lock(&order_m);
		if (pick & 1)
			spin_lock(&spin_A);
		if (pick & 2)
			spin_lock(&spin_B);
		if (pick & 4)
			spin_lock(&spin_C);
		if (pick & 8)
			spin_lock(&spin_D);
		if (pick & 8)
			spin_unlock(&spin_D);
		/* Out-of-order release is fine too. */
		if (pick & 1)
			spin_unlock(&spin_A);
		if (pick & 4)
			spin_unlock(&spin_C);
		if (pick & 2)
			spin_unlock(&spin_B);
		mutex_unlock(&order_m);
	}
	return NULL;
}

static void consistent_threads(void)
{
	struct ksync_lockdep_stats st;
	pthread_t t[16];

	for (uintptr_t i = 0; i < 16; i++)
		pthread_create(&t[i], NULL, ordered_worker, (void *)(i + 1));
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	ksync_lockdep_get_stats(&st);
	/* Most acquisitions found their chain validated already. */
	printf("chains %lu lookups %lu hits %lu debug_locks %d\n", st.chains,
	       st.chain_lookups, st.chain_hits, st.debug_locks);
	if (st.chain_hits * 10 > st.chain_lookups * 9 && st.debug_locks &&
	    st.dependencies >= 10 && st.chains <= 64)
		printf("went on\n");
}

/* A -> B in one thread, B -> A in another: found without them racing. */
static void *order_ab(void *arg)
{
	LU2(spin_lock, spin_unlock, spin_A, spin_B);
	return arg;
}

static void *order_ba(void *arg)
{
	prctl(PR_SET_NAME, "second");
	LU2(spin_lock, spin_unlock, spin_B, spin_A);
	return arg;
}

static void two_thread_cycle(void)
{
	pthread_t t;

	pthread_create(&t, NULL, order_ab, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, order_ba, NULL);
	pthread_join(t, NULL);
	printf("went on\n");
}

/* Mixed types: mutex -> spinlock here, spinlock -> mutex impossible, so
 * mutex A -> mutex B -> spin C -> ... the cycle via mutex_lock nested. */
static void mixed_cycle(void)
{
	mutex_lock(&mutex_A);
	spin_lock(&spin_A);
	spin_unlock(&spin_A);
	mutex_unlock(&mutex_A);
	spin_lock(&spin_A);
	/* A trylock never waits, so it adds no dependency and is not reported. */
	if (mutex_trylock(&mutex_A))
		mutex_unlock(&mutex_A);
	spin_unlock(&spin_A);
	printf("went on\n");
}

/* After the first report lockdep is off; with KSYNC_KEEP_GOING it is not. */
static void two_bugs(void)
{
	LU2(spin_lock, spin_unlock, spin_A, spin_B);
	LU2(spin_lock, spin_unlock, spin_B, spin_A);
	LU2(spin_lock, spin_unlock, spin_C, spin_D);
	LU2(spin_lock, spin_unlock, spin_D, spin_C);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
#define S(p)								\
	{ #p "_AA", p##_AA }, { #p "_ABBA", p##_ABBA },			\
	{ #p "_ABBCCA", p##_ABBCCA }, { #p "_ABCABC", p##_ABCABC },	\
	{ #p "_ABCDBDDA", p##_ABCDBDDA }, { #p "_ABCDBCDA", p##_ABCDBCDA }, \
	{ #p "_double_unlock", p##_double_unlock },			\
	{ #p "_unlock_never_taken", p##_unlock_never_taken },		\
	{ #p "_free_held", p##_free_held },				\
	{ #p "_exit_held", p##_exit_held },				\
	{ #p "_correct", p##_correct }
	S(spin),
	S(rwlock),
	S(mutex),
	S(rwsem),
#undef S
	{ "rwlock_read_AA", rwlock_read_AA },
	{ "rwlock_read_recursive", rwlock_read_recursive },
	{ "rwlock_read_ABBA", rwlock_read_ABBA },
	{ "rwlock_shared_both_ends", rwlock_shared_both_ends },
	{ "rwsem_read_AA", rwsem_read_AA },
	{ "rwsem_read_ABBA", rwsem_read_ABBA },
	{ "rwsem_nested_downgrade", rwsem_nested_downgrade },
	{ "spin_subclass", spin_subclass },
	{ "mutex_subclass", mutex_subclass },
	{ "rwlock_subclass", rwlock_subclass },
	{ "rwsem_subclass", rwsem_subclass },
	{ "nest_lock", nest_lock },
	{ "nest_lock_missing", nest_lock_missing },
	{ "nest_lock_not_held", nest_lock_not_held },
	{ "cmp_fn_ordered", cmp_fn_ordered },
	{ "cmp_fn_reversed", cmp_fn_reversed },
	{ "consistent_threads", consistent_threads },
	{ "two_thread_cycle", two_thread_cycle },
	{ "mixed_cycle", mixed_cycle },
	{ "two_bugs", two_bugs },
	{ NULL, NULL },
};

/* --- the parent: run each scenario and read its report ------------------------------ */

static struct ktest_child c;

/* A clean run: exit 0, "went on", no report of any kind. */
static void expect_silence(const char *name)
{
	RUN_CHILD(&c, name, lockdep_env, 20000);
	CHECK_OUT(&c, "went on");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "BUG");
}

/* The report every lockdep report has: who, held locks, a backtrace. */
static void expect_report(const char *name, const char *headline)
{
	RUN_CHILD(&c, name, lockdep_env, 20000);
	CHECK_OUT(&c, headline);
	CHECK_OUT(&c, "stack backtrace:\n");
	CHECK_OUT(&c, "Call Trace:");
	CHECK_OUT(&c, "went on");
}

static void expect_circular(const char *name, const char *a, const char *b)
{
	char buf[256];

	expect_report(name, "\n======================================================\n"
			    "WARNING: possible circular locking dependency detected\n");
	CHECK_OUT(&c, " is trying to acquire lock:\n");
	CHECK_OUT(&c, "but task is already holding lock:\n");
	CHECK_OUT(&c, "which lock already depends on the new lock.");
	CHECK_OUT(&c, "the existing dependency chain (in reverse order) is:");
	CHECK_OUT(&c, "-> #1 (");
	CHECK_OUT(&c, "-> #0 (");
	CHECK_OUT(&c, " Possible unsafe locking scenario:\n\n"
		      "       CPU0                    CPU1\n"
		      "       ----                    ----\n");
	snprintf(buf, sizeof(buf), "  lock(%s);\n", a);
	CHECK_OUT(&c, buf);
	snprintf(buf, sizeof(buf), "  lock(%s);\n", b);
	CHECK_OUT(&c, buf);
	CHECK_OUT(&c, " *** DEADLOCK ***");
	CHECK_OUT(&c, "1 lock held by ");
	CHECK_OUT(&c, "at test_lockdep.c:");	/* where each link was made */
	CHECK_OUT(&c, ", at: test_lockdep.c:");	/* where each held lock was taken */
}

#define MATRIX_TESTS(p, kind)						\
static void test_##p##_AA(void)						\
{									\
	expect_report(#p "_AA", "WARNING: possible recursive locking detected\n"); \
	CHECK_OUT(&c, "but task is already holding lock:");		\
	CHECK_OUT(&c, "(x){");						\
	CHECK_OUT(&c, "  lock(x);\n  lock(x);\n");			\
	CHECK_OUT(&c, "May be due to missing lock nesting notation");	\
}									\
static void test_##p##_cycles(void)					\
{									\
	expect_circular(#p "_ABBA", #p "_B", #p "_A");			\
	CHECK_NOT_OUT(&c, "Chain exists of:");				\
	expect_circular(#p "_ABBCCA", #p "_C", #p "_A");		\
	CHECK_OUT(&c, "Chain exists of:\n  " #p "_A --> " #p "_B --> " #p "_C\n"); \
	expect_circular(#p "_ABCABC", #p "_B", #p "_C");		\
	CHECK_OUT(&c, "Chain exists of:\n  " #p "_C --> " #p "_A --> " #p "_B\n"); \
	expect_circular(#p "_ABCDBDDA", #p "_D", #p "_A");		\
	CHECK_OUT(&c, "Chain exists of:\n  " #p "_A --> " #p "_B --> " #p "_D\n"); \
	expect_circular(#p "_ABCDBCDA", #p "_D", #p "_A");		\
	CHECK_OUT(&c, "-> #3 (");					\
	CHECK_OUT(&c, "Chain exists of:\n  " #p "_A --> " #p "_C --> " #p "_D\n"); \
}									\
static void test_##p##_balance(void)					\
{									\
	expect_report(#p "_double_unlock", "WARNING: bad unlock balance detected!\n"); \
	CHECK_OUT(&c, "is trying to release lock (" #p "_A) at:\ntest_lockdep.c:"); \
	CHECK_OUT(&c, "but there are no more locks to release!");	\
	expect_report(#p "_unlock_never_taken",				\
		      "WARNING: bad unlock balance detected!\n");	\
	CHECK_OUT(&c, "is trying to release lock (" #p "_B) at:");	\
}									\
static void test_##p##_freed_and_exit(void)				\
{									\
	expect_report(#p "_free_held", "WARNING: held lock freed!\n");	\
	CHECK_OUT(&c, "with a lock still held there!");			\
	CHECK_OUT(&c, "(l){");						\
	RUN_CHILD(&c, #p "_exit_held", lockdep_env, 20000);		\
	CHECK_OUT(&c, "WARNING: leaver/");				\
	CHECK_OUT(&c, " still has locks held!");			\
	CHECK_OUT(&c, "1 lock held by leaver/");			\
	CHECK_OUT(&c, "(" #p "_C){");					\
}									\
static void test_##p##_correct(void)					\
{									\
	expect_silence(#p "_correct");					\
	expect_silence(#p "_subclass");					\
}

MATRIX_TESTS(spin, "spin")
MATRIX_TESTS(rwlock, "rwlock")
MATRIX_TESTS(mutex, "mutex")
MATRIX_TESTS(rwsem, "rwsem")

static void test_read_rules(void)
{
	expect_report("rwlock_read_AA", "WARNING: possible recursive locking detected\n");
	expect_silence("rwlock_read_recursive");
	expect_circular("rwlock_read_ABBA", "rwlock_B", "rwlock_A");
	CHECK_OUT(&c, "  rlock(rwlock_A);");
	expect_silence("rwlock_shared_both_ends");
	expect_report("rwsem_read_AA", "WARNING: possible recursive locking detected\n");
	expect_circular("rwsem_read_ABBA", "rwsem_B", "rwsem_A");
	expect_silence("rwsem_nested_downgrade");
}

static void test_nest_lock(void)
{
	expect_silence("nest_lock");
	expect_report("nest_lock_missing", "WARNING: possible recursive locking detected\n");
	CHECK_OUT(&c, "(&many[i]){");
	expect_report("nest_lock_not_held", "WARNING: Nested lock was not taken\n");
	CHECK_OUT(&c, "but this task is not holding:\nspin_B\n");
}

static void test_cmp_fn(void)
{
	expect_silence("cmp_fn_ordered");
	expect_report("cmp_fn_reversed", "WARNING: possible recursive locking detected\n");
	CHECK_OUT(&c, " [slot 3]");
	CHECK_OUT(&c, " [slot 5]");
}

static void test_consistent_threads(void)
{
	expect_silence("consistent_threads");
}

static void test_two_thread_cycle(void)
{
	expect_circular("two_thread_cycle", "spin_A", "spin_B");
	CHECK_OUT(&c, "second/");
}

static void test_mixed(void)
{
	expect_silence("mixed_cycle");
}

static void test_off_without_env(void)
{
	RUN_CHILD(&c, "spin_ABBA", NULL, 20000);
	CHECK_OUT(&c, "went on");
	CHECK_NOT_OUT(&c, "WARNING");
}

static void test_one_report_then_off(void)
{
	static const char *const keep[] = { "KSYNC_LOCKDEP=1", "KSYNC_KEEP_GOING=1", NULL };
	const char *first, *second;

	RUN_CHILD(&c, "two_bugs", lockdep_env, 20000);
	first = strstr(c.out, "WARNING: possible circular locking dependency detected");
	CHECK(first && !strstr(first + 1, "WARNING: possible circular"));
	RUN_CHILD(&c, "two_bugs", keep, 20000);
	first = strstr(c.out, "WARNING: possible circular locking dependency detected");
	second = first ? strstr(first + 1, "WARNING: possible circular") : NULL;
	CHECK(second != NULL);
	CHECK(second && strstr(second, "  lock(spin_D);"));
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_spin_AA);
	RUN(test_spin_cycles);
	RUN(test_spin_balance);
	RUN(test_spin_freed_and_exit);
	RUN(test_spin_correct);
	RUN(test_rwlock_AA);
	RUN(test_rwlock_cycles);
	RUN(test_rwlock_balance);
	RUN(test_rwlock_freed_and_exit);
	RUN(test_rwlock_correct);
	RUN(test_mutex_AA);
	RUN(test_mutex_cycles);
	RUN(test_mutex_balance);
	RUN(test_mutex_freed_and_exit);
	RUN(test_mutex_correct);
	RUN(test_rwsem_AA);
	RUN(test_rwsem_cycles);
	RUN(test_rwsem_balance);
	RUN(test_rwsem_freed_and_exit);
	RUN(test_rwsem_correct);
	RUN(test_read_rules);
	RUN(test_nest_lock);
	RUN(test_cmp_fn);
	RUN(test_consistent_threads);
	RUN(test_two_thread_cycle);
	RUN(test_mixed);
	RUN(test_off_without_env);
	RUN(test_one_report_then_off);
	return 0;
}
