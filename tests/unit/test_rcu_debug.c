// SPDX-License-Identifier: MIT
/*
 * RCU's checks, each provoked in a child process and matched on its
 * output:
 *
 *  - rcu_dereference() outside a read side, rcu_dereference_protected()
 *    whose condition is false: the kernel's "WARNING: suspicious RCU
 *    usage" (CONFIG_PROVE_RCU: only with KSYNC_LOCKDEP=1), once per place,
 *    and nothing where the read side or the condition holds;
 *  - synchronize_rcu() inside a read side: the same report with "Illegal
 *    synchronize_rcu() in RCU read-side critical section", and no hang;
 *  - sleeping inside a read side: might_sleep()'s BUG with "RCU nest
 *    depth: 1" and rcu_read_lock among the held locks; schedule()'s
 *    "Voluntary context switch within RCU read-side critical section!";
 *  - rcu_read_unlock() without rcu_read_lock(), and a thread that exits
 *    inside a read side: a warning, and grace periods still end.
 */
#include <sys/prctl.h>
#include <ksync/lockdep.h>
#include <ksync/mutex.h>
#include <ksync/rcupdate.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };
static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

struct obj {
	int v;
	struct rcu_head rcu;
};

static struct obj the_obj = { .v = 42 };
static struct obj __rcu *gp = &the_obj;
static DEFINE_SPINLOCK(gp_lock);
static DEFINE_MUTEX(sleepy);

/* --- children -------------------------------------------------------------- */

static void child_deref_outside(void)
{
	int sum = 0;

	prctl(PR_SET_NAME, "deref");
	for (int i = 0; i < 3; i++)
		sum += rcu_dereference(gp)->v;	/* the same place: one report */
	printf("went on, sum %d\n", sum);
}

static void child_deref_ok(void)
{
	int sum = 0;

	rcu_read_lock();
	sum += rcu_dereference(gp)->v;
	rcu_read_unlock();
	scoped_guard(rcu)
		sum += rcu_dereference(gp)->v;
	spin_lock(&gp_lock);
	sum += rcu_dereference_check(gp, lockdep_is_held(&gp_lock))->v;
	sum += rcu_dereference_protected(gp, lockdep_is_held(&gp_lock))->v;
	spin_unlock(&gp_lock);
	sum += rcu_dereference_raw(gp)->v;
	printf("went on, sum %d\n", sum);
}

static void child_protected_unlocked(void)
{
	printf("went on, v %d\n", rcu_dereference_protected(gp, lockdep_is_held(&gp_lock))->v);
}

static void child_check_unlocked(void)
{
	printf("went on, v %d\n", rcu_dereference_check(gp, lockdep_is_held(&gp_lock))->v);
}

static void child_sync_in_reader(void)
{
	prctl(PR_SET_NAME, "syncer");
	rcu_read_lock();
	synchronize_rcu();
	CHECK(rcu_read_lock_held());
	rcu_read_unlock();
	synchronize_rcu();	/* outside: fine, and not stuck */
	printf("went on\n");
}

static void child_mutex_in_reader(void)
{
	prctl(PR_SET_NAME, "sleeper");
	rcu_read_lock();
	mutex_lock(&sleepy);
	mutex_unlock(&sleepy);
	rcu_read_unlock();
	printf("went on\n");
}

static void child_schedule_in_reader(void)
{
	prctl(PR_SET_NAME, "sleeper");
	rcu_read_lock();
	set_current_state(TASK_UNINTERRUPTIBLE);
	schedule_timeout(1);
	rcu_read_unlock();
	printf("went on\n");
}

static void child_sleep_outside_reader(void)
{
	rcu_read_lock();
	rcu_read_unlock();
	mutex_lock(&sleepy);
	mutex_unlock(&sleepy);
	set_current_state(TASK_UNINTERRUPTIBLE);
	schedule_timeout(1);
	synchronize_rcu();
	printf("went on\n");
}

static void child_unbalanced_unlock(void)
{
	rcu_read_unlock();
	synchronize_rcu();
	printf("went on, held %d\n", rcu_read_lock_held());
}

static void *exit_inside(void *arg)
{
	(void)arg;
	rcu_read_lock();
	return NULL;
}

static void child_exit_in_reader(void)
{
	pthread_t t;

	CHECK_EQ(pthread_create(&t, NULL, exit_inside, NULL), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	synchronize_rcu();	/* would wait for the dead reader for ever */
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "deref_outside", child_deref_outside },
	{ "deref_ok", child_deref_ok },
	{ "protected_unlocked", child_protected_unlocked },
	{ "check_unlocked", child_check_unlocked },
	{ "sync_in_reader", child_sync_in_reader },
	{ "mutex_in_reader", child_mutex_in_reader },
	{ "schedule_in_reader", child_schedule_in_reader },
	{ "sleep_outside_reader", child_sleep_outside_reader },
	{ "unbalanced_unlock", child_unbalanced_unlock },
	{ "exit_in_reader", child_exit_in_reader },
	{ NULL, NULL },
};

/* --- the tests ---------------------------------------------------------------- */

static struct ktest_child c;

static void spawn(const char *name, const char *const *env)
{
	ktest_spawn(&c, "/proc/self/exe", name, env, 30000);
	if (!ktest_exited(&c, 0))
		KTEST_FAIL("%s: child failed:\n%s", name, c.out);
}

static int count(const char *s)
{
	int n = 0;

	for (const char *p = c.out; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

static void test_dereference_outside_read_side(void)
{
	spawn("deref_outside", lockdep_env);
	CHECK_OUT(&c, "=============================\n"
		  "WARNING: suspicious RCU usage\n");
	CHECK_OUT(&c, "-----------------------------\n"
		  "test_rcu_debug.c:");
	CHECK_OUT(&c, " suspicious rcu_dereference_check() usage!\n"
		  "\nother info that might help us debug this:\n\n"
		  "\nrcu_scheduler_active = 2, debug_locks = 1\n"
		  "no locks held by deref/");
	CHECK_OUT(&c, "\nstack backtrace:\n");
	CHECK_OUT(&c, "child_deref_outside");
	CHECK_EQ(count("WARNING: suspicious RCU usage"), 1);
	CHECK_OUT(&c, "went on, sum 126\n");

	/* Lockdep off: the kernel without CONFIG_PROVE_RCU says nothing. */
	spawn("deref_outside", debug_env);
	CHECK_NOT_OUT(&c, "suspicious");
	CHECK_OUT(&c, "went on, sum 126\n");
}

static void test_dereference_inside_is_silent(void)
{
	spawn("deref_ok", lockdep_env);
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_OUT(&c, "went on, sum 210\n");
}

static void test_protected_without_lock(void)
{
	spawn("protected_unlocked", lockdep_env);
	CHECK_OUT(&c, "WARNING: suspicious RCU usage\n");
	CHECK_OUT(&c, " suspicious rcu_dereference_protected() usage!\n");
	CHECK_OUT(&c, "went on, v 42\n");

	spawn("check_unlocked", lockdep_env);
	CHECK_OUT(&c, " suspicious rcu_dereference_check() usage!\n");
	CHECK_OUT(&c, "went on, v 42\n");
}

static void test_synchronize_in_read_side(void)
{
	spawn("sync_in_reader", lockdep_env);
	CHECK_OUT(&c, "WARNING: suspicious RCU usage\n");
	CHECK_OUT(&c, " Illegal synchronize_rcu() in RCU read-side critical section!\n");
	CHECK_OUT(&c, "1 lock held by syncer/");
	CHECK_OUT(&c, " (rcu_read_lock){....}-{1:3}, at: test_rcu_debug.c:");
	/* It may sleep, too: might_sleep()'s report, as in the kernel. */
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_rcu_debug.c:");
	CHECK_OUT(&c, "RCU nest depth: 1, expected: 0\n");
	CHECK_OUT(&c, "went on\n");
}

static void test_sleep_in_read_side(void)
{
	spawn("mutex_in_reader", debug_env);
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_rcu_debug.c:");
	CHECK_OUT(&c, "in_atomic(): 0, irqs_disabled(): 0, non_block: 0, pid: ");
	CHECK_OUT(&c, "preempt_count: 0, expected: 0\nRCU nest depth: 1, expected: 0\n");
	CHECK_OUT(&c, "1 lock held by sleeper/");
	CHECK_OUT(&c, " (rcu_read_lock), at: test_rcu_debug.c:");
	CHECK_OUT(&c, "went on\n");

	/* Checked always, as might_sleep() is (no held-lock list then). */
	spawn("mutex_in_reader", NULL);
	CHECK_OUT(&c, "RCU nest depth: 1, expected: 0\n");
	CHECK_OUT(&c, "went on\n");

	spawn("schedule_in_reader", NULL);
	CHECK_OUT(&c, "------------[ cut here ]------------\n"
		  "Voluntary context switch within RCU read-side critical section!\n"
		  "WARNING: CPU: ");
	CHECK_OUT(&c, "went on\n");
}

static void test_sleep_outside_is_silent(void)
{
	spawn("sleep_outside_reader", lockdep_env);
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "went on\n");
}

static void test_unbalanced_unlock(void)
{
	spawn("unbalanced_unlock", NULL);
	CHECK_OUT(&c, "rcu_read_unlock() without rcu_read_lock(): ignored\n"
		  "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_rcu_debug.c:");
	CHECK_OUT(&c, "went on, held 0\n");
}

static void test_exit_in_read_side(void)
{
	spawn("exit_in_reader", NULL);
	CHECK_OUT(&c, "thread exiting inside 1 RCU read-side critical section: ending them");
	CHECK_OUT(&c, "went on\n");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_dereference_outside_read_side);
	RUN(test_dereference_inside_is_silent);
	RUN(test_protected_without_lock);
	RUN(test_synchronize_in_read_side);
	RUN(test_sleep_in_read_side);
	RUN(test_sleep_outside_is_silent);
	RUN(test_unbalanced_unlock);
	RUN(test_exit_in_read_side);
	return 0;
}
