// SPDX-License-Identifier: MIT
/*
 * Lockdep's API around the validator: lockdep_assert_*(), LOCKED_BY(),
 * lock classes and subclasses set by hand, lockdep_off(), the depth
 * limit, non-static keys, lock_stat (KSYNC_LOCK_STAT) and the DOT graph
 * (KSYNC_LOCKDEP_DOT).  Each scenario runs in a child process.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <ksync/interrupt.h>
#include <ksync/lockdep.h>
#include <ksync/locked_by.h>
#include <ksync/mutex.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };
static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static DEFINE_MUTEX(big_mutex);

/* --- assertions ------------------------------------------------------------------ */

static void asserts_hold(void)
{
	lockdep_assert_not_held(&lock_a);
	spin_lock(&lock_a);
	lockdep_assert_held(&lock_a);
	lockdep_assert_held_write(&lock_a);
	lockdep_assert_not_held(&lock_b);
	spin_unlock(&lock_a);
	mutex_lock(&big_mutex);
	lockdep_assert_held(&big_mutex);
	mutex_unlock(&big_mutex);
	lockdep_assert_not_held(&big_mutex);
	lockdep_assert_irqs_enabled();
	local_irq_disable();
	lockdep_assert_irqs_disabled();
	lockdep_assert_preemption_disabled();
	local_irq_enable();
	lockdep_assert_preemption_enabled();
	local_bh_disable();
	lockdep_assert_in_softirq();
	local_bh_enable();
	printf("went on\n");
}

static void assert_held_fails(void)
{
	lockdep_assert_held(&lock_a);
	printf("went on\n");
}

static void assert_not_held_fails(void)
{
	spin_lock(&lock_b);
	lockdep_assert_not_held(&lock_b);
	spin_unlock(&lock_b);
	printf("went on\n");
}

static void assert_held_read_fails(void)
{
	spin_lock(&lock_a);
	lockdep_assert_held_read(&lock_a);	/* held, but for writing */
	spin_unlock(&lock_a);
	printf("went on\n");
}

static void assert_irqs_fail(void)
{
	lockdep_assert_irqs_disabled();
	local_irq_disable();
	lockdep_assert_irqs_enabled();
	local_irq_enable();
	lockdep_assert_in_softirq();
	printf("went on\n");
}

/* --- LOCKED_BY ---------------------------------------------------------------------- */

struct bank {
	spinlock_t lock;
};

struct account {
	LOCKED_BY(long) balance;
};

static struct bank bank, other_bank;
static struct account savings;

static void setup_bank(void)
{
	spin_lock_init(&bank.lock);
	spin_lock_init(&other_bank.lock);
	locked_by_init(&savings.balance, &bank.lock, 100);
}

static void locked_by_ok(void)
{
	setup_bank();
	spin_lock(&bank.lock);
	locked_by_access(&savings.balance, &bank.lock) += 10;
	printf("balance %ld\n", locked_by_access(&savings.balance, &bank.lock));
	spin_unlock(&bank.lock);
	printf("went on\n");
}

static void locked_by_not_held(void)
{
	setup_bank();
	locked_by_access(&savings.balance, &bank.lock) += 10;
	printf("went on\n");
}

static void locked_by_wrong_lock(void)
{
	setup_bank();
	spin_lock(&other_bank.lock);
	locked_by_access(&savings.balance, &other_bank.lock) += 10;
	spin_unlock(&other_bank.lock);
	printf("unreachable\n");
}

/* --- classes by hand ----------------------------------------------------------------- */

static spinlock_t pair[2];
static struct lock_class_key second_key;

static void init_pair(void)
{
	for (int i = 0; i < 2; i++)
		spin_lock_init(&pair[i]);	/* one site: one class */
}

static void nest_pair(void)
{
	spin_lock(&pair[0]);
	spin_lock(&pair[1]);
	spin_unlock(&pair[1]);
	spin_unlock(&pair[0]);
}

static void set_class(void)
{
	init_pair();
	lockdep_set_class(&pair[1], &second_key);
	nest_pair();
	printf("went on\n");
}

static void set_class_and_name(void)
{
	init_pair();
	lockdep_set_class_and_name(&pair[1], &second_key, "inner_pair_lock");
	nest_pair();
	/* The other order is now a cycle between the two named classes. */
	spin_lock(&pair[1]);
	spin_lock(&pair[0]);
	spin_unlock(&pair[0]);
	spin_unlock(&pair[1]);
	printf("went on\n");
}

static void set_subclass(void)
{
	init_pair();
	lockdep_set_subclass(&pair[1], 1);
	nest_pair();
	ksync_lockdep_print_held_locks();
	spin_lock(&pair[0]);
	spin_lock(&pair[1]);
	ksync_lockdep_print_held_locks();	/* names the subclass: &pair[i]/1 */
	spin_unlock(&pair[1]);
	spin_unlock(&pair[0]);
	printf("went on\n");
}

static void same_class_unannotated(void)
{
	init_pair();
	nest_pair();
	printf("went on\n");
}

static void invalid_subclass(void)
{
	spin_lock_nested(&lock_a, MAX_LOCKDEP_SUBCLASSES);
	spin_unlock(&lock_a);
	printf("went on\n");
}

static void off_and_on(void)
{
	lockdep_off();
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	spin_lock(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	lockdep_on();
	printf("went on\n");
}

static void non_static_key(void)
{
	spinlock_t on_stack = __SPIN_LOCK_UNLOCKED(on_stack);

	spin_lock(&on_stack);
	spin_unlock(&on_stack);
	printf("went on\n");
}

/* 49 locks of 49 classes, one inside the other. */
static spinlock_t deep[MAX_LOCK_DEPTH + 1];
static struct lock_class_key deep_keys[MAX_LOCK_DEPTH + 1];

static void too_deep(void)
{
	for (int i = 0; i <= MAX_LOCK_DEPTH; i++) {
		spin_lock_init(&deep[i]);
		lockdep_set_class(&deep[i], &deep_keys[i]);
	}
	for (int i = 0; i <= MAX_LOCK_DEPTH; i++)
		spin_lock(&deep[i]);
	for (int i = MAX_LOCK_DEPTH; i >= 0; i--)
		spin_unlock(&deep[i]);
	printf("went on\n");
}

static void sleep_in_atomic(void)
{
	spin_lock(&lock_a);
	mutex_lock(&big_mutex);
	mutex_unlock(&big_mutex);
	spin_unlock(&lock_a);
	printf("went on\n");
}

/* --- lock_stat and the graph ----------------------------------------------------------- */

static DEFINE_SPINLOCK(contended_lock);
static int waiter_started;

static void *waiter(void *arg)
{
	__atomic_store_n(&waiter_started, 1, __ATOMIC_RELEASE);
	spin_lock(&contended_lock);	/* waits until main lets go */
	spin_unlock(&contended_lock);
	mutex_lock(&big_mutex);
	mutex_unlock(&big_mutex);
	return arg;
}

static void lock_stat_table(void)
{
	pthread_t t;
	char path[] = "/tmp/ksync-lockstat-XXXXXX";
	int fd = mkstemp(path);

	spin_lock(&contended_lock);
	pthread_create(&t, NULL, waiter, NULL);
	while (!__atomic_load_n(&waiter_started, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	ktest_sleep_ms(50);		/* the waiter is waiting by now */
	spin_unlock(&contended_lock);
	pthread_join(t, NULL);
	for (int i = 0; i < 100; i++) {
		spin_lock(&lock_a);
		spin_unlock(&lock_a);
	}
	/* On demand... */
	if (fd >= 0 && ksync_lock_stat_write(fd) == 0) {
		char buf[8192];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		if (strstr(buf, "lock_stat version 0.4") && strstr(buf, "lock_a:"))
			printf("on demand ok\n");
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	ksync_lock_stat_clear();
	spin_lock(&contended_lock);
	pthread_create(&t, NULL, waiter, NULL);
	ktest_sleep_ms(50);
	spin_unlock(&contended_lock);
	pthread_join(t, NULL);
	printf("went on\n");
	/* ...and the table again at exit. */
}

static void dot_graph(void)
{
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	mutex_lock(&big_mutex);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	mutex_unlock(&big_mutex);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "asserts_hold", asserts_hold },
	{ "assert_held_fails", assert_held_fails },
	{ "assert_not_held_fails", assert_not_held_fails },
	{ "assert_held_read_fails", assert_held_read_fails },
	{ "assert_irqs_fail", assert_irqs_fail },
	{ "locked_by_ok", locked_by_ok },
	{ "locked_by_not_held", locked_by_not_held },
	{ "locked_by_wrong_lock", locked_by_wrong_lock },
	{ "set_class", set_class },
	{ "set_class_and_name", set_class_and_name },
	{ "set_subclass", set_subclass },
	{ "same_class_unannotated", same_class_unannotated },
	{ "invalid_subclass", invalid_subclass },
	{ "off_and_on", off_and_on },
	{ "non_static_key", non_static_key },
	{ "too_deep", too_deep },
	{ "sleep_in_atomic", sleep_in_atomic },
	{ "lock_stat_table", lock_stat_table },
	{ "dot_graph", dot_graph },
	{ NULL, NULL },
};

/* --- the parent ------------------------------------------------------------------------ */

static struct ktest_child c;

static void run_ok(const char *name, const char *const *env)
{
	RUN_CHILD(&c, name, env, 20000);
	CHECK_OUT(&c, "went on");
}

static void test_asserts(void)
{
	run_ok("asserts_hold", lockdep_env);
	CHECK_NOT_OUT(&c, "WARNING");
	run_ok("assert_held_fails", lockdep_env);
	CHECK_OUT(&c, "------------[ cut here ]------------\n"
		      "lockdep_assert_held(&lock_a): lock not held\n"
		      "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_lockdep_api.c:");
	run_ok("assert_not_held_fails", lockdep_env);
	CHECK_OUT(&c, "lockdep_assert_not_held(&lock_b): lock held\n");
	run_ok("assert_held_read_fails", lockdep_env);
	CHECK_OUT(&c, "lockdep_assert_held_read(&lock_a): lock not held for reading\n");
	run_ok("assert_irqs_fail", lockdep_env);
	CHECK_OUT(&c, "lockdep_assert_irqs_disabled(): interrupts enabled\n");
	CHECK_OUT(&c, "lockdep_assert_irqs_enabled(): interrupts disabled\n");
	CHECK_OUT(&c, "lockdep_assert_in_softirq(): not in softirq context\n");
}

static void test_asserts_need_tracking(void)
{
	run_ok("assert_held_fails", NULL);
	CHECK_NOT_OUT(&c, "WARNING");
	run_ok("assert_held_fails", debug_env);	/* KSYNC_DEBUG tracks too */
	CHECK_OUT(&c, "lockdep_assert_held(&lock_a): lock not held\n");
}

static void test_locked_by(void)
{
	run_ok("locked_by_ok", lockdep_env);
	CHECK_OUT(&c, "balance 110");
	CHECK_NOT_OUT(&c, "WARNING");
	run_ok("locked_by_not_held", lockdep_env);
	CHECK_OUT(&c, "locked_by_access(&savings.balance, &bank.lock): lock not held\n");
	ktest_run_child(&c, "locked_by_wrong_lock", NULL, 20000);	/* checked with no switch on */
	CHECK(!c.timed_out && WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
	CHECK_OUT(&c, "BUG: locked_by_access(&savings.balance, &other_bank.lock) at "
		      "test_lockdep_api.c:");
	CHECK_OUT(&c, ": the data is protected by the lock at ");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_classes(void)
{
	run_ok("same_class_unannotated", lockdep_env);
	CHECK_OUT(&c, "WARNING: possible recursive locking detected");
	CHECK_OUT(&c, "(&pair[i]){");
	run_ok("set_class", lockdep_env);
	CHECK_NOT_OUT(&c, "WARNING");
	run_ok("set_class_and_name", lockdep_env);
	CHECK_OUT(&c, "WARNING: possible circular locking dependency detected");
	CHECK_OUT(&c, "(inner_pair_lock){");
	CHECK_OUT(&c, "  lock(&pair[i]);");
	run_ok("set_subclass", lockdep_env);
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "(&pair[i]/1){");
	run_ok("invalid_subclass", lockdep_env);
	CHECK_OUT(&c, "BUG: looking up invalid subclass: 8\n"
		      "turning off the locking correctness validator.\n");
}

static void test_off_on(void)
{
	run_ok("off_and_on", lockdep_env);
	CHECK_NOT_OUT(&c, "WARNING");
}

static void test_non_static_key(void)
{
	run_ok("non_static_key", lockdep_env);
	CHECK_OUT(&c, "INFO: trying to register non-static key.\n");
	CHECK_OUT(&c, "turning off the locking correctness validator.\n");
}

static void test_too_deep(void)
{
	run_ok("too_deep", lockdep_env);
	CHECK_OUT(&c, "BUG: MAX_LOCK_DEPTH too low!\n");
	CHECK_OUT(&c, "depth: 48  max: 48!");
	CHECK_OUT(&c, "48 locks held by ");
}

static void test_sleep_in_atomic(void)
{
	run_ok("sleep_in_atomic", lockdep_env);
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at "
		      "test_lockdep_api.c:");
	CHECK_OUT(&c, "1 lock held by ");
	CHECK_OUT(&c, "(lock_a){");
}

static void test_lock_stat(void)
{
	static const char *const env[] = { "KSYNC_LOCK_STAT=1", NULL };

	run_ok("lock_stat_table", env);
	CHECK_OUT(&c, "on demand ok");
	CHECK_OUT(&c, "lock_stat version 0.4\n---");
	CHECK_OUT(&c, "                              class name    con-bounces    "
		      "contentions   waittime-min   waittime-max waittime-total   "
		      "waittime-avg    acq-bounces   acquisitions   holdtime-min   "
		      "holdtime-max holdtime-total   holdtime-avg\n");
	/* After the clear: one contention on contended_lock, and its points. */
	CHECK_OUT(&c, "                         contended_lock:");
	CHECK_OUT(&c, "                         contended_lock              1"
		      "                               test_lockdep_api.c:");
	CHECK_OUT(&c, "                              big_mutex:");
	CHECK_NOT_OUT(&c, "lock_a:");	/* cleared, not taken since */
	CHECK_NOT_OUT(&c, "WARNING");
}

static void test_dot(void)
{
	char path[] = "/tmp/ksync-dot-XXXXXX";
	char env_dot[128], buf[8192];
	const char *env[] = { env_dot, NULL };
	int fd = mkstemp(path);
	ssize_t n;

	CHECK(fd >= 0);
	snprintf(env_dot, sizeof(env_dot), "KSYNC_LOCKDEP_DOT=%s", path);
	run_ok("dot_graph", env);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	if (!strstr(buf, "digraph lockdep {") || !strstr(buf, "label=\"lock_a\\n{+.+.}\"") ||
	    !strstr(buf, "label=\"big_mutex\\n{+.+.}\"") || !strstr(buf, " -> c") ||
	    !strstr(buf, "test_lockdep_api.c:") || !strstr(buf, "}\n"))
		KTEST_FAIL("unexpected DOT output:\n%s", buf);
	/* Three dependencies: lock_a -> lock_b, big_mutex -> lock_a; no more. */
	CHECK_EQ(ktest_count(buf, " -> "), 2);
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_asserts);
	RUN(test_asserts_need_tracking);
	RUN(test_locked_by);
	RUN(test_classes);
	RUN(test_off_on);
	RUN(test_non_static_key);
	RUN(test_too_deep);
	RUN(test_sleep_in_atomic);
	RUN(test_lock_stat);
	RUN(test_dot);
	return 0;
}
