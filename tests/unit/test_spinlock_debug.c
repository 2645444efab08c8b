// SPDX-License-Identifier: MIT
/*
 * KSYNC_DEBUG=1: every misuse the spinlock debug checks know, each
 * provoked in a child process and matched on its output.  Also: the same
 * misuse without KSYNC_DEBUG says nothing (as in a kernel without
 * CONFIG_DEBUG_SPINLOCK), and correct use with KSYNC_DEBUG says nothing.
 */
#include <sys/prctl.h>
#include <ksync/lockdep.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

/* --- child scenarios ----------------------------------------------------- */

static spinlock_t never_initialised;	/* zero-filled */

static void child_bad_magic(void)
{
	spin_lock(&never_initialised);
	spin_unlock(&never_initialised);
	printf("went on\n");
}

static DEFINE_SPINLOCK(twice_unlocked);

static void child_already_unlocked(void)
{
	spin_lock(&twice_unlocked);
	spin_unlock(&twice_unlocked);
	spin_unlock(&twice_unlocked);
	printf("went on\n");
}

static DEFINE_SPINLOCK(owned_by_main);

static void *unlock_from_other_thread(void *arg)
{
	prctl(PR_SET_NAME, "intruder");
	spin_unlock(&owned_by_main);
	return arg;
}

static void child_wrong_owner(void)
{
	pthread_t t;

	prctl(PR_SET_NAME, "rightful");
	spin_lock(&owned_by_main);
	pthread_create(&t, NULL, unlock_from_other_thread, NULL);
	pthread_join(t, NULL);
	printf("went on\n");
}

static DEFINE_SPINLOCK(taken_twice);

static void child_recursion(void)
{
	spin_lock(&taken_twice);
	spin_lock(&taken_twice);	/* deadlocks, as in the kernel */
	printf("unreachable\n");
}

static DEFINE_SPINLOCK(held_long);
static int holder_ready;

static void *hold_for_a_while(void *arg)
{
	prctl(PR_SET_NAME, "slowholder");
	spin_lock(&held_long);
	__atomic_store_n(&holder_ready, 1, __ATOMIC_RELEASE);
	/*
	 * Run, holding the lock, until the waiter's report turns debug_locks
	 * off: a lockup.  (A holder that sleeps is not one: test_lockup.c.)
	 */
	while (__atomic_load_n(&debug_locks, __ATOMIC_RELAXED))
		cpu_relax();
	spin_unlock(&held_long);
	return arg;
}

static void child_lockup(void)
{
	pthread_t t;

	pthread_create(&t, NULL, hold_for_a_while, NULL);
	while (!__atomic_load_n(&holder_ready, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	spin_lock(&held_long);		/* KSYNC_LOCKUP_MS=100 */
	spin_unlock(&held_long);
	pthread_join(t, NULL);
	printf("went on\n");
}

static void child_held_lock_freed(void)
{
	spinlock_t *l = malloc(sizeof(*l));

	spin_lock_init(l);
	spin_lock(l);
	spin_lock_init(l);		/* re-initialising a held lock */
	printf("went on\n");
	free(l);
}

static DEFINE_SPINLOCK(left_held);

static void *exit_holding(void *arg)
{
	prctl(PR_SET_NAME, "leaver");
	spin_lock(&left_held);
	return arg;			/* exits with the lock held */
}

static void child_exit_with_lock_held(void)
{
	pthread_t t;

	pthread_create(&t, NULL, exit_holding, NULL);
	pthread_join(t, NULL);
	printf("went on\n");
}

static void child_max_lock_depth(void)
{
	static spinlock_t chain[50];

	for (int i = 0; i < 50; i++) {
		spin_lock_init(&chain[i]);
		spin_lock(&chain[i]);
	}
	for (int i = 49; i >= 0; i--)
		spin_unlock(&chain[i]);
	printf("went on\n");
}

static DEFINE_SPINLOCK(not_held);

static void child_assert_not_held(void)
{
	assert_spin_locked(&not_held);
	printf("unreachable\n");
}

static DEFINE_SPINLOCK(used_well);

static void child_correct_use(void)
{
	spinlock_t dyn;

	spin_lock_init(&dyn);
	for (int i = 0; i < 1000; i++) {
		spin_lock(&used_well);
		spin_lock(&dyn);
		CHECK(spin_trylock(&dyn) == 0);
		spin_unlock(&dyn);
		spin_unlock(&used_well);
	}
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "bad_magic", child_bad_magic },
	{ "already_unlocked", child_already_unlocked },
	{ "wrong_owner", child_wrong_owner },
	{ "recursion", child_recursion },
	{ "lockup", child_lockup },
	{ "held_lock_freed", child_held_lock_freed },
	{ "exit_with_lock_held", child_exit_with_lock_held },
	{ "max_lock_depth", child_max_lock_depth },
	{ "assert_not_held", child_assert_not_held },
	{ "correct_use", child_correct_use },
	{ NULL, NULL },
};

/* --- the checks ------------------------------------------------------------ */

static struct ktest_child c;

static void test_bad_magic(void)
{
	RUN_CHILD(&c, "bad_magic", debug_env, 10000);
	CHECK_OUT(&c, "BUG: spinlock bad magic on CPU#");
	/* Never initialised, so named by the expression the caller wrote. */
	CHECK_OUT(&c, " lock: &never_initialised, .magic: 00000000, .owner: <none>/-1, .owner_cpu: 0");
	CHECK_OUT(&c, "test_spinlock_debug.c:");
	CHECK_OUT(&c, "Call Trace:");
	CHECK_OUT(&c, "went on");
}

static void test_already_unlocked(void)
{
	RUN_CHILD(&c, "already_unlocked", debug_env, 10000);
	CHECK_OUT(&c, "BUG: spinlock already unlocked on CPU#");
	CHECK_OUT(&c, " lock: twice_unlocked, .magic: dead4ead, .owner: <none>/-1");
	CHECK_OUT(&c, "went on");
}

static void test_wrong_owner(void)
{
	RUN_CHILD(&c, "wrong_owner", debug_env, 10000);
	CHECK_OUT(&c, "BUG: spinlock wrong owner on CPU#");
	CHECK_OUT(&c, ", intruder/");
	CHECK_OUT(&c, " lock: owned_by_main, .magic: dead4ead, .owner: rightful/");
}

static void test_recursion(void)
{
	ktest_run_child(&c, "recursion", debug_env, 1500);
	CHECK(c.timed_out);		/* reported, then deadlocked */
	CHECK_OUT(&c, "BUG: spinlock recursion on CPU#");
	CHECK_OUT(&c, " lock: taken_twice, .magic: dead4ead, .owner: ");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_lockup_suspected(void)
{
	static const char *const env[] = { "KSYNC_DEBUG=1", "KSYNC_LOCKUP_MS=100", NULL };

	RUN_CHILD(&c, "lockup", env, 20000);
	CHECK_OUT(&c, "BUG: spinlock lockup suspected on CPU#");
	CHECK_OUT(&c, " lock: held_long, .magic: dead4ead, .owner: slowholder/");
	CHECK_OUT(&c, "went on");
}

static void test_held_lock_freed(void)
{
	RUN_CHILD(&c, "held_lock_freed", debug_env, 10000);
	CHECK_OUT(&c, "=========================\nWARNING: held lock freed!\n");
	CHECK_OUT(&c, "is freeing memory");
	CHECK_OUT(&c, "with a lock still held there!");
	CHECK_OUT(&c, "(l), at: test_spinlock_debug.c:");
}

static void test_exit_with_lock_held(void)
{
	RUN_CHILD(&c, "exit_with_lock_held", debug_env, 10000);
	CHECK_OUT(&c, "WARNING: leaver/");
	CHECK_OUT(&c, " still has locks held!");
	CHECK_OUT(&c, "1 lock held by leaver/");
	CHECK_OUT(&c, " #0: ");
	CHECK_OUT(&c, "(left_held), at: test_spinlock_debug.c:");
	CHECK_OUT(&c, "note: leaver[");
	CHECK_OUT(&c, "exited with preempt_count 1");
}

static void test_max_lock_depth(void)
{
	RUN_CHILD(&c, "max_lock_depth", debug_env, 10000);
	CHECK_OUT(&c, "BUG: MAX_LOCK_DEPTH too low!");
	CHECK_OUT(&c, "depth: 48  max: 48!");
	CHECK_OUT(&c, "48 locks held by");
}

static void test_assert_not_held(void)
{
	ktest_run_child(&c, "assert_not_held", NULL, 10000);	/* no debug switch needed */
	CHECK(!c.timed_out && WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
	CHECK_OUT(&c, "BUG: assert_spin_locked(&not_held) failed at test_spinlock_debug.c:");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_silent_without_debug(void)
{
	RUN_CHILD(&c, "bad_magic", NULL, 10000);
	CHECK_NOT_OUT(&c, "BUG");
	RUN_CHILD(&c, "already_unlocked", NULL, 10000);
	CHECK_NOT_OUT(&c, "BUG");
}

static void test_correct_use_is_silent(void)
{
	RUN_CHILD(&c, "correct_use", debug_env, 10000);
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_bad_magic);
	RUN(test_already_unlocked);
	RUN(test_wrong_owner);
	RUN(test_recursion);
	RUN(test_lockup_suspected);
	RUN(test_held_lock_freed);
	RUN(test_exit_with_lock_held);
	RUN(test_max_lock_depth);
	RUN(test_assert_not_held);
	RUN(test_silent_without_debug);
	RUN(test_correct_use_is_silent);
	return 0;
}
