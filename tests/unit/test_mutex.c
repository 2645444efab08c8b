// SPDX-License-Identifier: MIT
/*
 * struct mutex: the API and its return values, exact counts under
 * contention with more threads than cores, handoff against starvation,
 * interruptible and killable waits, guards, and every misuse report.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <ksync/interrupt.h>
#include <ksync/mutex.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest.h"
#include "ktest_deadline.h"
#include "ktest_waiter.h"

static DEFINE_MUTEX(static_mutex);

static void test_initialisers(void)
{
	struct mutex a, b;

	CHECK(!mutex_is_locked(&static_mutex));
	CHECK(strcmp(static_mutex.dep_map.name, "static_mutex") == 0);
	CHECK(static_mutex.dep_map.key == NULL);	/* keyed by address */
	for (int i = 0; i < 2; i++)
		mutex_init(i ? &b : &a);
	CHECK(a.dep_map.key && a.dep_map.key == b.dep_map.key);
	CHECK(strcmp(a.dep_map.name, "i ? &b : &a") == 0);
	mutex_destroy(&a);
	mutex_destroy(&b);
}

static void test_lock_trylock_unlock(void)
{
	mutex_lock(&static_mutex);
	CHECK(mutex_is_locked(&static_mutex));
	CHECK_EQ(mutex_trylock(&static_mutex), 0);
	mutex_unlock(&static_mutex);
	CHECK(!mutex_is_locked(&static_mutex));
	CHECK_EQ(mutex_trylock(&static_mutex), 1);
	mutex_unlock(&static_mutex);
	CHECK_EQ(mutex_lock_interruptible(&static_mutex), 0);
	mutex_unlock(&static_mutex);
	CHECK_EQ(mutex_lock_killable(&static_mutex), 0);
	mutex_unlock(&static_mutex);
	mutex_lock_nested(&static_mutex, 1);
	mutex_unlock(&static_mutex);
	CHECK_EQ(preempt_count(), 0);	/* a mutex does not disable preemption */
}

static void test_guards(void)
{
	{
		guard(mutex)(&static_mutex);
		CHECK(mutex_is_locked(&static_mutex));
		scoped_guard(mutex_try, &static_mutex)
			CHECK(0);	/* held: the body is skipped */
	}
	CHECK(!mutex_is_locked(&static_mutex));
	scoped_guard(mutex_try, &static_mutex)
		CHECK(mutex_is_locked(&static_mutex));
	CHECK(!mutex_is_locked(&static_mutex));
}

static int intr_guard(void)
{
	scoped_cond_guard(mutex_intr, return -EINTR, &static_mutex)
		return mutex_is_locked(&static_mutex) ? 0 : -1;
	return -2;
}

static void test_cond_guard(void)
{
	CHECK_EQ(intr_guard(), 0);
	CHECK(!mutex_is_locked(&static_mutex));
}

static void test_atomic_dec_and_mutex_lock(void)
{
	atomic_t refs = ATOMIC_INIT(2);

	CHECK_EQ(atomic_dec_and_mutex_lock(&refs, &static_mutex), 0);
	CHECK_EQ(atomic_read(&refs), 1);
	CHECK(!mutex_is_locked(&static_mutex));
	CHECK_EQ(atomic_dec_and_mutex_lock(&refs, &static_mutex), 1);
	CHECK_EQ(atomic_read(&refs), 0);
	CHECK(mutex_is_locked(&static_mutex));	/* last one: held */
	mutex_unlock(&static_mutex);
}

/* --- exact counts, more threads than cores ---------------------------------- */

#define THREADS	16
#define ITERS	30000

static struct {
	long a, b;
	int inside;
} shared;
static int violations;
static DEFINE_MUTEX(stress_mutex);

static void *stress_worker(void *arg)
{
	long tid = (long)arg;

	for (long i = 0; i < ITERS; i++) {
		if ((i + tid) % 5 == 0) {
			while (!mutex_trylock(&stress_mutex))
				;
		} else {
			mutex_lock(&stress_mutex);
		}
		if (shared.inside++)
			__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
		shared.a++;
		if ((i + tid) % 1000 == 0)
			usleep(100);	/* a long hold: waiters must sleep */
		shared.b++;
		if (shared.a != shared.b)
			__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
		shared.inside--;
		mutex_unlock(&stress_mutex);
	}
	return NULL;
}

static void test_exact_count(void)
{
	double t0 = ktest_now();

	ktest_run_threads(THREADS, stress_worker);
	CHECK_EQ(violations, 0);
	CHECK_EQ(shared.a, (long)THREADS * ITERS);
	CHECK_EQ(shared.b, (long)THREADS * ITERS);
	CHECK(!mutex_is_locked(&stress_mutex));
	CHECK_EQ(atomic_long_read(&stress_mutex.owner), 0);	/* no flag left */
	printf("# %d threads x %d in %.2f s\n", THREADS, ITERS, ktest_now() - t0);
}

/* --- handoff: a waiter is not starved by running threads -------------------- */

#define HOGS	4
static DEFINE_MUTEX(hog_mutex);
static int hogs_stop;

static void *hog(void *arg)
{
	while (!__atomic_load_n(&hogs_stop, __ATOMIC_RELAXED)) {
		mutex_lock(&hog_mutex);
		/* Hold it for a while, then take it again at once. */
		for (volatile int i = 0; i < 2000; i++)
			;
		mutex_unlock(&hog_mutex);
	}
	return arg;
}

static void test_handoff_bounds_starvation(void)
{
	pthread_t t[HOGS];
	double worst = 0;

	for (long i = 0; i < HOGS; i++)
		CHECK(pthread_create(&t[i], NULL, hog, NULL) == 0);
	ktest_sleep_ms(50);
	for (int round = 0; round < 20; round++) {
		double t0 = ktest_now(), waited;

		mutex_lock(&hog_mutex);
		waited = ktest_now() - t0;
		mutex_unlock(&hog_mutex);
		if (waited > worst)
			worst = waited;
		ktest_sleep_ms(5);
	}
	__atomic_store_n(&hogs_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < HOGS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	printf("# worst wait against %d lock hogs: %.2f ms\n", HOGS, worst * 1e3);
	CHECK(worst < 2.0);	/* a generous bound: starvation would be unbounded */
}

/* --- interruptible and killable ------------------------------------------------ */

static DEFINE_MUTEX(held_mutex);

/* Killable (how 1) or interruptible; it unlocks what it got. */
static void interruptible_waiter(struct ktest_waiter *w)
{
	long r = w->how ? mutex_lock_killable(&held_mutex)
			: mutex_lock_interruptible(&held_mutex);

	ktest_waiter_set_result(w, r);
	if (r == 0)
		mutex_unlock(&held_mutex);
}

/* Until the waiter is queued (the WAITERS flag) or the deadline. */
static void wait_until_queued(struct mutex *m)
{
	double deadline = ktest_now() + 10;

	while (!(atomic_long_read(&m->owner) & (long)MUTEX_FLAG_WAITERS)) {
		if (ktest_now() > deadline)
			KTEST_FAIL("the waiter never queued");
		ktest_sleep_ms(1);
	}
	ktest_sleep_ms(20);	/* and is asleep */
}

static void run_interrupted(int killable)
{
	struct ktest_waiter w;

	mutex_lock(&held_mutex);
	ktest_waiter_start(&w, interruptible_waiter, NULL, killable);
	wait_until_queued(&held_mutex);
	if (killable)
		CHECK_EQ(ktest_waiter_kill(&w), 0);
	else
		CHECK_EQ(ktest_waiter_interrupt(&w, SIGUSR1), 0);
	CHECK_EQ(ktest_waiter_join(&w), -EINTR);
	mutex_unlock(&held_mutex);
	CHECK(!(atomic_long_read(&held_mutex.owner) & (long)MUTEX_FLAGS));
}

static void test_interruptible_returns_eintr(void)
{
	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "mutex-test", NULL), 0);
	run_interrupted(0);
	run_interrupted(1);
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

static void plain_waiter(struct ktest_waiter *w)
{
	mutex_lock(&held_mutex);
	ktest_waiter_set_result(w, 0);
	mutex_unlock(&held_mutex);
}

static void test_uninterruptible_ignores_interrupts(void)
{
	struct ktest_waiter w;

	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "mutex-test", NULL), 0);
	mutex_lock(&held_mutex);
	ktest_waiter_start(&w, plain_waiter, NULL, 0);
	wait_until_queued(&held_mutex);
	CHECK_EQ(ktest_waiter_interrupt(&w, SIGUSR1), 0);
	ktest_sleep_ms(20);
	CHECK_EQ(ktest_waiter_result(&w), KTEST_STILL_WAITING);
	mutex_unlock(&held_mutex);
	CHECK_EQ(ktest_waiter_join(&w), 0);
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

/* --- misuse, in children ---------------------------------------------------------- */

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static DEFINE_MUTEX(misused);
static DEFINE_SPINLOCK(outer_spin);

static void child_sleep_in_atomic(void)
{
	spin_lock(&outer_spin);
	mutex_lock(&misused);
	mutex_unlock(&misused);
	spin_unlock(&outer_spin);
	printf("went on\n");
}

static void *unlock_it(void *arg)
{
	prctl(PR_SET_NAME, "stranger");
	mutex_unlock(&misused);
	return arg;
}

static void child_unlock_not_owner(void)
{
	pthread_t t;

	prctl(PR_SET_NAME, "holder");
	mutex_lock(&misused);
	pthread_create(&t, NULL, unlock_it, NULL);
	pthread_join(t, NULL);
	printf("still locked %d\n", mutex_is_locked(&misused));
}

static void child_unlock_unlocked(void)
{
	mutex_unlock(&misused);
	printf("went on\n");
}

static void child_recursion(void)
{
	mutex_lock(&misused);
	mutex_lock(&misused);
	printf("unreachable\n");
}

static void child_destroy_held(void)
{
	struct mutex m;

	mutex_init(&m);
	mutex_lock(&m);
	mutex_destroy(&m);
	printf("went on\n");
}

static struct mutex zeroed;	/* never initialised */

static void *contend_zeroed(void *arg)
{
	mutex_lock(&zeroed);
	mutex_unlock(&zeroed);
	return arg;
}

static void child_uninitialised(void)
{
	pthread_t t;

	mutex_lock(&zeroed);
	pthread_create(&t, NULL, contend_zeroed, NULL);
	usleep(20000);
	mutex_unlock(&zeroed);
	pthread_join(t, NULL);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "sleep_in_atomic", child_sleep_in_atomic },
	{ "unlock_not_owner", child_unlock_not_owner },
	{ "unlock_unlocked", child_unlock_unlocked },
	{ "recursion", child_recursion },
	{ "destroy_held", child_destroy_held },
	{ "uninitialised", child_uninitialised },
	{ NULL, NULL },
};

static struct ktest_child c;

static void test_misuse_reports(void)
{
	RUN_CHILD(&c, "sleep_in_atomic", NULL, 10000);
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_mutex.c:");
	CHECK_OUT(&c, "in_atomic(): 1, irqs_disabled(): 0");

	/* Checked always: releasing another thread's lock would corrupt it. */
	RUN_CHILD(&c, "unlock_not_owner", NULL, 10000);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current)");
	CHECK_OUT(&c, "mutex_unlock(misused): held by holder/");
	CHECK_OUT(&c, "still locked 1");

	RUN_CHILD(&c, "unlock_unlocked", NULL, 10000);
	CHECK_OUT(&c, "mutex_unlock(misused): the mutex is not locked");

	ktest_run_child(&c, "recursion", NULL, 1500);
	CHECK(c.timed_out);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(__mutex_owner(lock) == current)");
	CHECK_OUT(&c, "mutex misused: this thread already holds it; locking it again deadlocks");
	CHECK_NOT_OUT(&c, "unreachable");

	RUN_CHILD(&c, "destroy_held", debug_env, 10000);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(mutex_is_locked(lock))");
	CHECK_OUT(&c, "mutex_destroy(&m): the mutex is still locked");

	RUN_CHILD(&c, "uninitialised", NULL, 10000);
	CHECK_OUT(&c, "mutex &zeroed used without mutex_init() or DEFINE_MUTEX()");
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_initialisers);
	RUN(test_lock_trylock_unlock);
	RUN(test_guards);
	RUN(test_cond_guard);
	RUN(test_atomic_dec_and_mutex_lock);
	RUN(test_exact_count);
	RUN(test_handoff_bounds_starvation);
	RUN(test_interruptible_returns_eintr);
	RUN(test_uninterruptible_ignores_interrupts);
	RUN(test_misuse_reports);
	return 0;
}
