// SPDX-License-Identifier: MIT
/*
 * fork() while other threads hold locks and wait in queues.  In the child
 * only the forking thread exists; a thread the child creates takes the
 * CPU number of a parent thread that does not exist there, and must not
 * inherit its held locks, its queue nodes or anything else: the debug
 * checks and lockdep say nothing about locks it never took.  What the
 * vanished threads held stays held; taking it is reported as held by an
 * owner that is gone, never as this thread's own recursion.
 *
 * Each scenario runs in a child process (the test binary again, with the
 * switches in its environment), which forks; the grandchild reports.
 */
#include <ksync/lock_events.h>
#include <ksync/lockdep.h>
#include <ksync/mutex.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest.h"
#include "ktest_log.h"

static DEFINE_SPINLOCK(held_spin);	/* held by a parent thread at fork */
static DEFINE_MUTEX(held_mutex);	/* held by a parent thread at fork */
static DEFINE_SPINLOCK(waited_spin);	/* a parent thread waits for it */
static DEFINE_SPINLOCK(child_spin);	/* taken in the child */
static DEFINE_MUTEX(child_mutex);	/* taken in the child */

static pthread_barrier_t parent_done;
static int holding;

static void *parent_holder(void *arg)
{
	mutex_lock(&held_mutex);
	spin_lock(&held_spin);
	__atomic_store_n(&holding, 1, __ATOMIC_RELEASE);
	pthread_barrier_wait(&parent_done);	/* until the fork is over */
	spin_unlock(&held_spin);
	mutex_unlock(&held_mutex);
	return arg;
}

static void *parent_waiter(void *arg)
{
	spin_lock(&waited_spin);	/* queued behind main at fork */
	spin_unlock(&waited_spin);
	return arg;
}

/*
 * CPU 0: main, holding waited_spin; CPU 1: a thread holding held_spin
 * and held_mutex; CPU 2: a thread queued for waited_spin.  Then fork.
 * Returns in the child (0) and in the parent (the child's pid).
 */
static pid_t fork_with_busy_threads(pthread_t t[2])
{
	pid_t pid;

	CHECK_EQ(smp_processor_id(), 0);
	pthread_barrier_init(&parent_done, NULL, 2);
	CHECK(pthread_create(&t[0], NULL, parent_holder, NULL) == 0);
	while (!__atomic_load_n(&holding, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	spin_lock(&waited_spin);
	CHECK(pthread_create(&t[1], NULL, parent_waiter, NULL) == 0);
	/* Contended: the waiter is in the slow path with its node queued. */
	while (!spin_is_contended(&waited_spin))
		ktest_sleep_ms(1);
	CHECK_EQ(num_online_cpus(), 3);
	pid = fork();
	CHECK(pid >= 0);
	return pid;
}

static void finish_parent(pid_t pid, pthread_t t[2])
{
	int status;

	spin_unlock(&waited_spin);
	pthread_barrier_wait(&parent_done);
	CHECK(pthread_join(t[0], NULL) == 0);
	CHECK(pthread_join(t[1], NULL) == 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	if (WIFEXITED(status))
		printf("child exit %d\n", WEXITSTATUS(status));
	else
		printf("child killed by signal %d\n", WTERMSIG(status));
}

/* --- a child's thread on a vanished thread's CPU number ------------------- */

static void *on_holders_cpu(void *arg)
{
	/* The number of the thread that held held_spin and held_mutex. */
	if (smp_processor_id() != 1)
		KTEST_FAIL("expected CPU 1, got %d", smp_processor_id());
	CHECK(!in_atomic());
	CHECK(!irqs_disabled());
	lockdep_assert_not_held(&held_spin);
	lockdep_assert_not_held(&held_mutex);
	/* Held by a thread that is gone: they stay held, silently. */
	CHECK(!spin_trylock(&held_spin));
	CHECK(!mutex_trylock(&held_mutex));
	/* New locks, nested: lockdep sees only what this thread does. */
	mutex_lock(&child_mutex);
	spin_lock(&child_spin);
	lockdep_assert_held(&child_spin);
	spin_unlock(&child_spin);
	mutex_unlock(&child_mutex);
	return arg;		/* exits holding nothing */
}

static int contender_cpu;

static void *occupy_cpu(void *arg)
{
	(void)smp_processor_id();
	__atomic_store_n(&holding, 1, __ATOMIC_RELEASE);
	pthread_barrier_wait(&parent_done);
	return arg;
}

static void *on_waiters_cpu(void *arg)
{
	contender_cpu = smp_processor_id();
	spin_lock(&child_spin);		/* main holds it: queues */
	spin_unlock(&child_spin);
	return arg;
}

static void child_side(void)
{
	unsigned long long node2;
	pthread_t a, b;

	spin_unlock(&waited_spin);	/* main's own lock: still ours */
	CHECK_EQ(num_online_cpus(), 1);
	CHECK(pthread_create(&a, NULL, on_holders_cpu, NULL) == 0);
	CHECK(pthread_join(a, NULL) == 0);

	/*
	 * Keep CPU 1 busy so that the next thread gets CPU 2, the number
	 * of the thread that was queued at fork, and make it queue: it
	 * must use its first node, not the second.
	 */
	pthread_barrier_init(&parent_done, NULL, 2);
	holding = 0;
	CHECK(pthread_create(&a, NULL, occupy_cpu, NULL) == 0);
	while (!__atomic_load_n(&holding, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	node2 = ksync_lockevent_read(LOCKEVENT_lock_use_node2);
	spin_lock(&child_spin);
	CHECK(pthread_create(&b, NULL, on_waiters_cpu, NULL) == 0);
	while (!spin_is_contended(&child_spin))
		ktest_sleep_ms(1);
	spin_unlock(&child_spin);
	CHECK(pthread_join(b, NULL) == 0);
	CHECK_EQ(contender_cpu, 2);
	CHECK_EQ(ksync_lockevent_read(LOCKEVENT_lock_use_node2), node2);
	pthread_barrier_wait(&parent_done);
	CHECK(pthread_join(a, NULL) == 0);
	printf("child ok\n");
}

static void scenario_threads_in_child(void)
{
	pthread_t t[2];
	pid_t pid = fork_with_busy_threads(t);

	if (pid == 0) {
		child_side();
		fflush(stdout);
		_exit(0);
	}
	finish_parent(pid, t);
}

/* --- taking what a vanished thread holds ---------------------------------- */

/* The taker stays blocked, as it should: leave once it has reported. */
static void wait_for_report_then_exit(const char *end)
{
	ktest_log_wait_for(end);
	printf("reported\n");
	fflush(stdout);
	_exit(0);
}

static void *take_held_spin(void *arg)
{
	CHECK_EQ(smp_processor_id(), 1);
	spin_lock(&held_spin);
	printf("unreachable\n");
	return arg;
}

static void *take_held_mutex(void *arg)
{
	CHECK_EQ(smp_processor_id(), 1);
	mutex_lock(&held_mutex);
	printf("unreachable\n");
	return arg;
}

static void take_in_child(void *(*fn)(void *), const char *end)
{
	pthread_t t[2], a;
	pid_t pid = fork_with_busy_threads(t);

	if (pid == 0) {
		spin_unlock(&waited_spin);
		CHECK(pthread_create(&a, NULL, fn, NULL) == 0);
		wait_for_report_then_exit(end);
	}
	finish_parent(pid, t);
}

static void scenario_take_spin(void)
{
	take_in_child(take_held_spin, KTEST_END_OF_DUMP);
}

static void scenario_take_mutex(void)
{
	take_in_child(take_held_mutex, KTEST_END_OF_WARN);
}

static const struct ktest_scenario scenarios[] = {
	{ "threads_in_child", scenario_threads_in_child },
	{ "take_spin", scenario_take_spin },
	{ "take_mutex", scenario_take_mutex },
	{ NULL, NULL },
};

/* --- the tests ---------------------------------------------------------------- */

static struct ktest_child c;

/* No report of any kind. */
static void check_silent(void)
{
	CHECK_NOT_OUT(&c, "BUG:");
	CHECK_NOT_OUT(&c, "WARNING:");
	CHECK_NOT_OUT(&c, "DEBUG_LOCKS_WARN_ON");
	CHECK_NOT_OUT(&c, "FAIL");
}

static void test_threads_in_child(void)
{
	static const char *const envs[][3] = {
		{ NULL },
		{ "KSYNC_DEBUG=1", NULL },
		{ "KSYNC_LOCKDEP=1", NULL },
		{ "KSYNC_LOCKDEP=1", "KSYNC_LOCK_STAT=1", NULL },
	};

	for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		ktest_run_child(&c, "threads_in_child", envs[i], 30000);
		if (!ktest_exited(&c, 0))
			KTEST_FAIL("env %s: child failed:\n%s", envs[i][0] ? envs[i][0] : "-", c.out);
		CHECK_OUT(&c, "child ok");
		CHECK_OUT(&c, "child exit 0");
		check_silent();
	}
}

static void test_take_vanished_spinlock(void)
{
	static char log[64];
	const char *const env[] = { "KSYNC_DEBUG=1", "KSYNC_LOCKUP_MS=100", log, NULL };

	ktest_log_create(log);
	ktest_run_child(&c, "take_spin", env, 30000);
	ktest_log_collect(&c, log);
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "child exit 0");
	CHECK_OUT(&c, "reported");
	CHECK_NOT_OUT(&c, "spinlock recursion");
	CHECK_NOT_OUT(&c, "spinlock cpu recursion");
	CHECK_OUT(&c, "BUG: spinlock lockup suspected on CPU#1");
	CHECK_OUT(&c, " lock: held_spin, .magic: dead4ead, .owner: <exited>/-1, .owner_cpu: 1\n");
	CHECK_OUT(&c, " its owner exited (or did not survive fork()) without unlocking\n");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_take_vanished_mutex(void)
{
	static char log[64];
	const char *const envs[][3] = {
		{ "KSYNC_DEBUG=1", log, NULL },
		{ "KSYNC_LOCKDEP=1", log, NULL },
	};

	for (size_t i = 0; i < 2; i++) {
		ktest_log_create(log);
		ktest_run_child(&c, "take_mutex", envs[i], 30000);
		ktest_log_collect(&c, log);
		CHECK_EXITED(&c, 0);
		CHECK_OUT(&c, "child exit 0");
		CHECK_OUT(&c, "reported");
		CHECK_NOT_OUT(&c, "already holds it");
		CHECK_NOT_OUT(&c, "possible recursive locking");
		CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(__mutex_owner(lock) exited)");
		CHECK_OUT(&c, "mutex held_mutex: its owner exited (or did not survive fork())");
		CHECK_NOT_OUT(&c, "unreachable");
	}
}

int main(int argc, char **argv)
{
#ifdef __SANITIZE_THREAD__
	printf("# skipped under ThreadSanitizer: it cannot start threads in the "
	       "child of a multithreaded fork()\n");
	return 0;
#endif
	ktest_child_main(argc, argv, scenarios);
	RUN(test_threads_in_child);
	RUN(test_take_vanished_spinlock);
	RUN(test_take_vanished_mutex);
	return 0;
}
