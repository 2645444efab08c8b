// SPDX-License-Identifier: MIT
/*
 * A mutex's owner is a thread, not a CPU number.  A thread exits holding
 * a mutex; the next thread gets its CPU number (and CPU block, which is
 * what the owner word holds).  It does not own the mutex: trylock fails,
 * lock is reported as waiting for an owner that exited (not as this
 * thread's recursion), unlock is refused.  Real recursion is still
 * recursion.  Each case in a child process, matched on its output.
 */
#include <ksync/mutex.h>
#include <ksync/sched.h>
#include <ksync/smp.h>
#include "ktest.h"

static DEFINE_MUTEX(left_locked);

static int exited_cpu;

static void *exit_holding(void *arg)
{
	exited_cpu = smp_processor_id();
	mutex_lock(&left_locked);
	return arg;			/* exits with the mutex held */
}

/* Run fn in a new thread, after a thread exited holding left_locked. */
static void after_exit_holding(void *(*fn)(void *))
{
	pthread_t t;

	(void)smp_processor_id();
	CHECK(pthread_create(&t, NULL, exit_holding, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(pthread_create(&t, NULL, fn, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
}

static void *try_it(void *arg)
{
	CHECK_EQ(smp_processor_id(), exited_cpu);	/* the owner's number */
	printf("trylock %d\n", mutex_trylock(&left_locked));
	return arg;
}

static void *unlock_it(void *arg)
{
	CHECK_EQ(smp_processor_id(), exited_cpu);
	mutex_unlock(&left_locked);
	printf("still locked %d\n", mutex_is_locked(&left_locked));
	return arg;
}

static int registered;

static void *lock_it(void *arg)
{
	CHECK_EQ(smp_processor_id(), exited_cpu);
	__atomic_store_n(&registered, 1, __ATOMIC_RELEASE);
	/* Would wait for ever (the owner is gone): the test kills the wait. */
	printf("lock %d\n", mutex_lock_killable(&left_locked));
	return arg;
}

static void child_trylock(void)
{
	after_exit_holding(try_it);
}

static void child_unlock(void)
{
	after_exit_holding(unlock_it);
}

static void child_lock(void)
{
	pthread_t t;

	(void)smp_processor_id();
	CHECK(pthread_create(&t, NULL, exit_holding, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(pthread_create(&t, NULL, lock_it, NULL) == 0);
	while (!__atomic_load_n(&registered, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	/*
	 * Let it wait past the mutex's handoff time (1 ms), so that it asks
	 * the exited owner for a handoff: the owner word then names this
	 * thread's CPU block with HANDOFF set, which is not the lock handed
	 * to it (the waiter once took it so: "lock 0").
	 */
	ktest_sleep_ms(30);
	/* Fatal for good: the killable wait ends once it begins. */
	CHECK_EQ(ksync_send_fatal_signal(exited_cpu), 0);
	CHECK(pthread_join(t, NULL) == 0);
}

static void child_recursion(void)
{
	mutex_lock(&left_locked);
	mutex_lock(&left_locked);
	printf("unreachable\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "trylock", child_trylock },
	{ "unlock", child_unlock },
	{ "lock", child_lock },
	{ "recursion", child_recursion },
	{ NULL, NULL },
};

static struct ktest_child c;
/* The exit check reports first; keep going to see what follows. */
static const char *const debug_env[] = { "KSYNC_DEBUG=1", "KSYNC_KEEP_GOING=1", NULL };
static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", "KSYNC_KEEP_GOING=1", NULL };

static void test_trylock_fails(void)
{
	const char *const *envs[] = { NULL, debug_env, lockdep_env };

	for (int i = 0; i < 3; i++) {
		RUN_CHILD(&c, "trylock", envs[i], 10000);
		CHECK_OUT(&c, "trylock 0");
		CHECK_NOT_OUT(&c, "DEBUG_LOCKS_WARN_ON");
	}
}

static void test_unlock_refused(void)
{
	const char *const *envs[] = { debug_env, lockdep_env };

	for (int i = 0; i < 2; i++) {
		RUN_CHILD(&c, "unlock", envs[i], 10000);
		CHECK_OUT(&c, "still has locks held!");	/* the exit check */
		CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current)");
		CHECK_OUT(&c, "mutex_unlock(left_locked): held by a thread that exited "
			  "(or did not survive fork()) with this thread's CPU number, "
			  "not by this thread");
		CHECK_OUT(&c, "still locked 1");
	}
}

static void test_lock_names_the_exited_owner(void)
{
	const char *const *envs[] = { debug_env, lockdep_env };

	for (int i = 0; i < 2; i++) {
		RUN_CHILD(&c, "lock", envs[i], 10000);
		CHECK_OUT(&c, "lock -4");	/* -EINTR */
		CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(__mutex_owner(lock) exited)");
		CHECK_OUT(&c, "mutex left_locked: its owner exited (or did not survive "
			  "fork()) without unlocking it");
		CHECK_NOT_OUT(&c, "already holds it");
		CHECK_NOT_OUT(&c, "possible recursive locking");
	}
	/* Without the debug paths the owner's identity is not recorded. */
	RUN_CHILD(&c, "lock", NULL, 10000);
	CHECK_OUT(&c, "lock -4");
	CHECK_OUT(&c, "mutex left_locked: held by this thread, or by an exited thread "
		  "that had its CPU number (KSYNC_DEBUG=1 tells which)");
}

static void test_recursion_is_still_recursion(void)
{
	ktest_run_child(&c, "recursion", debug_env, 1500);
	CHECK(c.timed_out);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(__mutex_owner(lock) == current)");
	CHECK_OUT(&c, "mutex left_locked: this thread already holds it; locking it "
		  "again deadlocks");
	CHECK_NOT_OUT(&c, "unreachable");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_trylock_fails);
	RUN(test_unlock_refused);
	RUN(test_lock_names_the_exited_owner);
	RUN(test_recursion_is_still_recursion);
	return 0;
}
