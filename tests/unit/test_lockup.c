// SPDX-License-Identifier: MIT
/*
 * The spinlock lockup detector (KSYNC_DEBUG=1): a wait is a lockup when
 * the thread it waits for runs and does not release, not merely when it
 * is long.  A process stopped (SIGSTOP, Ctrl-Z, a debugger) while threads
 * wait on a held spinlock, then continued, is not one; a holder that
 * spins for ever is one, stopped in between or not; so is a deadlock.
 *
 * The stop is real: the test stops the child process with SIGSTOP once
 * its threads wait, sees it stopped, waits ten thresholds, continues it.
 */
#include <sys/prctl.h>
#include <ksync/spinlock.h>
#include "ktest.h"
#include "ktest_log.h"

static DEFINE_SPINLOCK(stop_lock);
/* Set by SIGCONT's handler, on whichever thread runs it. */
static int continued;
static int holder_holds;

static void on_sigcont(int sig)
{
	(void)sig;
	__atomic_store_n(&continued, 1, __ATOMIC_RELAXED);
}

/* Burn ms of this thread's CPU time. */
static void burn_cpu_ms(long ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

/* Holds the lock across the stop: releases soon after SIGCONT. */
static void *holder_across_stop(void *arg)
{
	prctl(PR_SET_NAME, "holder");
	spin_lock(&stop_lock);
	__atomic_store_n(&holder_holds, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&continued, __ATOMIC_RELAXED))
		ktest_sleep_ms(1);
	burn_cpu_ms(10);		/* runs a little after the stop */
	spin_unlock(&stop_lock);
	return arg;
}

/* Runs, holding the lock, until a report turns debug_locks off. */
static void *holder_spinning(void *arg)
{
	prctl(PR_SET_NAME, "holder");
	spin_lock(&stop_lock);
	__atomic_store_n(&holder_holds, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&debug_locks, __ATOMIC_RELAXED))
		cpu_relax();
	spin_unlock(&stop_lock);
	return arg;
}

static void *waiter(void *arg)
{
	spin_lock(&stop_lock);
	spin_unlock(&stop_lock);
	return arg;
}

/* A holder and two waiters; "waiting" once they wait (the test stops us). */
static void run_holder_and_waiters(void *(*holder)(void *))
{
	pthread_t h, w[2];

	signal(SIGCONT, on_sigcont);
	CHECK(pthread_create(&h, NULL, holder, NULL) == 0);
	while (!__atomic_load_n(&holder_holds, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&w[i], NULL, waiter, NULL) == 0);
	while (!spin_is_contended(&stop_lock))
		ktest_sleep_ms(1);
	printf("waiting\n");
	fflush(stdout);
	CHECK(pthread_join(h, NULL) == 0);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_join(w[i], NULL) == 0);
	printf("went on\n");
}

static void child_stopped(void)
{
	run_holder_and_waiters(holder_across_stop);
}

static void child_spinning(void)
{
	run_holder_and_waiters(holder_spinning);
}

/* Two threads, two locks, opposite orders: each waits for the other. */
static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static pthread_barrier_t both_hold;

static void *a_then_b(void *arg)
{
	spin_lock(&lock_a);
	pthread_barrier_wait(&both_hold);
	spin_lock(&lock_b);
	return arg;
}

static void *b_then_a(void *arg)
{
	spin_lock(&lock_b);
	pthread_barrier_wait(&both_hold);
	spin_lock(&lock_a);
	return arg;
}

static void child_abba(void)
{
	pthread_t t[2];

	pthread_barrier_init(&both_hold, NULL, 2);
	CHECK(pthread_create(&t[0], NULL, a_then_b, NULL) == 0);
	CHECK(pthread_create(&t[1], NULL, b_then_a, NULL) == 0);
	/* The threads stay deadlocked; leave once one has reported. */
	ktest_log_wait_for(KTEST_END_OF_DUMP);
	printf("reported\n");
	fflush(stdout);
	_exit(0);
}

static const struct ktest_scenario scenarios[] = {
	{ "stopped", child_stopped },
	{ "spinning", child_spinning },
	{ "abba", child_abba },
	{ NULL, NULL },
};

/* --- running a child and stopping it ------------------------------------------------ */

/* How long to leave the child stopped, and whether it was. */
struct stop {
	int stop_ms;
	int stopped;
};

/* When the child prints "waiting": SIGSTOP it, leave it stopped, SIGCONT it. */
static void stop_when_waiting(struct ktest_child *c, pid_t pid, void *arg)
{
	struct stop *st = arg;
	int status;

	if (st->stopped || !strstr(c->out, "waiting\n"))
		return;
	st->stopped = 1;
	CHECK(kill(pid, SIGSTOP) == 0);
	CHECK(waitpid(pid, &status, WUNTRACED) == pid);
	CHECK(WIFSTOPPED(status));
	ktest_sleep_ms(st->stop_ms);
	CHECK(kill(pid, SIGCONT) == 0);
}

/* Run the child, and stop it for stop_ms once it is waiting. */
static void spawn_and_stop(struct ktest_child *c, const char *name,
			   const char *const *env, int stop_ms, int timeout_ms)
{
	struct stop st = { stop_ms, 0 };

	ktest_run_child_watched(c, name, env, timeout_ms, stop_when_waiting, &st);
	CHECK(st.stopped);
}

static struct ktest_child c;

static void test_stopped_process_is_no_lockup(void)
{
	static const char *const env[] = { "KSYNC_DEBUG=1", "KSYNC_LOCKUP_MS=200", NULL };

	/* Stopped for ten times the threshold, with the lock held. */
	spawn_and_stop(&c, "stopped", env, 2000, 60000);
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "went on");
	CHECK_NOT_OUT(&c, "lockup suspected");
	CHECK_NOT_OUT(&c, "BUG:");
}

static void test_spinning_holder_is_a_lockup(void)
{
	static const char *const env[] = { "KSYNC_DEBUG=1", "KSYNC_LOCKUP_MS=100", NULL };

	/* Stopped too: the stop neither causes nor hides the report. */
	spawn_and_stop(&c, "spinning", env, 1000, 60000);
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "BUG: spinlock lockup suspected on CPU#");
	CHECK_OUT(&c, " lock: stop_lock, .magic: dead4ead, .owner: holder/");
	CHECK_OUT(&c, " its owner holder/");
	CHECK_OUT(&c, " ms on a CPU while this thread waited, without releasing\n");
	CHECK_OUT(&c, "went on");
}

static void test_deadlock_is_a_lockup(void)
{
	static char log[64];
	const char *const env[] = { "KSYNC_DEBUG=1", "KSYNC_LOCKUP_MS=100", log, NULL };

	ktest_log_create(log);
	ktest_run_child(&c, "abba", env, 60000);
	ktest_log_collect(&c, log);
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "BUG: spinlock lockup suspected on CPU#");
	CHECK_OUT(&c, " its owner waits (through 1 spinlock wait) for a lock this "
		  "thread holds: deadlock\n");
	CHECK_OUT(&c, "reported");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_stopped_process_is_no_lockup);
	RUN(test_spinning_holder_is_a_lockup);
	RUN(test_deadlock_is_a_lockup);
	return 0;
}
