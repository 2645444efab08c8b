// SPDX-License-Identifier: MIT
/*
 * rt_mutex: the API and its return values; the lock word (the owner's
 * thread id, FUTEX_WAITERS); exact counts with threads far more than
 * cores; -EINTR from the interruptible and killable forms; priority
 * inheritance seen in the owner's effective priority
 * (/proc/self/task/TID/stat, field 18, which the kernel computes from
 * the boosted priority): a nice 0 waiter lifts a nice 10 owner (no
 * privilege needed), and a SCHED_FIFO waiter lifts a SCHED_OTHER owner
 * into the real-time range (needs CAP_SYS_NICE or RLIMIT_RTPRIO: skipped
 * with a message otherwise); in a fork child, the child's own id.  In
 * children: the misuse reports and lockdep's.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <ksync/interrupt.h>
#include <ksync/mutex.h>
#include <ksync/rtmutex.h>
#include <ksync/smp.h>
#include "ktest_deadline.h"

#define NTHREADS	16
#define ROUNDS		20000

static DEFINE_RT_MUTEX(static_rt);

static void test_api(void)
{
	struct rt_mutex m;

	rt_mutex_init(&m);
	CHECK(!rt_mutex_is_locked(&m));
	rt_mutex_lock(&m);
	CHECK(rt_mutex_is_locked(&m));
	CHECK_EQ(m.rtmutex.owner, gettid());
	CHECK_EQ(rt_mutex_trylock(&static_rt), 1);
	CHECK_EQ(static_rt.rtmutex.owner, gettid());
	rt_mutex_unlock(&static_rt);
	rt_mutex_unlock(&m);
	CHECK_EQ(m.rtmutex.owner, 0);
	CHECK_EQ(rt_mutex_lock_interruptible(&m), 0);
	rt_mutex_unlock(&m);
	CHECK_EQ(rt_mutex_lock_killable(&m), 0);
	rt_mutex_unlock(&m);
	rt_mutex_lock_nested(&m, SINGLE_DEPTH_NESTING);
	rt_mutex_unlock(&m);
	{
		guard(rt_mutex)(&m);
		CHECK(rt_mutex_is_locked(&m));
	}
	CHECK(!rt_mutex_is_locked(&m));
	scoped_guard(rt_mutex_try, &m)
		CHECK(rt_mutex_is_locked(&m));
	rt_mutex_destroy(&m);
}

static void *try_held(void *arg)
{
	CHECK_EQ(rt_mutex_trylock((struct rt_mutex *)arg), 0);
	return NULL;
}

static void test_trylock_held(void)
{
	pthread_t t;

	rt_mutex_lock(&static_rt);
	CHECK(pthread_create(&t, NULL, try_held, &static_rt) == 0);
	ktest_join_or_fail(t);
	rt_mutex_unlock(&static_rt);
}

/* --- exact counts --------------------------------------------------------------- */

static DEFINE_RT_MUTEX(count_lock);
static long counted;
static int saw_waiters;

static void *count_many(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		if (i % 4 == 0) {
			while (!rt_mutex_trylock(&count_lock))
				;
		} else {
			rt_mutex_lock(&count_lock);
		}
		if (__atomic_load_n(&count_lock.rtmutex.owner, __ATOMIC_RELAXED) & FUTEX_WAITERS)
			saw_waiters = 1;
		CHECK_EQ(__atomic_load_n(&count_lock.rtmutex.owner, __ATOMIC_RELAXED) &
			 FUTEX_TID_MASK, gettid());
		counted++;
		rt_mutex_unlock(&count_lock);
	}
	return arg;
}

static void test_exact_count(void)
{
	ktest_run_threads(NTHREADS, count_many);
	CHECK_EQ(counted, (long)NTHREADS * ROUNDS);
	CHECK(!rt_mutex_is_locked(&count_lock));
	printf("# contended in the kernel (FUTEX_WAITERS seen): %s\n",
	       saw_waiters ? "yes" : "no");
}

/* --- interrupted waits -------------------------------------------------------------- */

#define IRQ	SIGRTMIN

static DEFINE_RT_MUTEX(held);
static int waiter_cpu = -1, result = 1;
static unsigned int wait_state;

static irqreturn_t nop_irq(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

static void *wait_held(void *arg)
{
	int r;

	__atomic_store_n(&waiter_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	if (wait_state == TASK_INTERRUPTIBLE)
		r = rt_mutex_lock_interruptible(&held);
	else
		r = rt_mutex_lock_killable(&held);
	__atomic_store_n(&result, r, __ATOMIC_RELEASE);
	return arg;
}

static void interrupted(unsigned int state)
{
	pthread_t t;
	int cpu;

	wait_state = state;
	__atomic_store_n(&result, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&waiter_cpu, -1, __ATOMIC_RELAXED);
	rt_mutex_lock(&held);
	CHECK(pthread_create(&t, NULL, wait_held, NULL) == 0);
	KTEST_WAIT_UNTIL((cpu = __atomic_load_n(&waiter_cpu, __ATOMIC_ACQUIRE)) >= 0 &&
			 (__atomic_load_n(&held.rtmutex.owner, __ATOMIC_RELAXED) & FUTEX_WAITERS));
	if (state == TASK_INTERRUPTIBLE)
		CHECK_EQ(ksync_raise_irq(cpu, (unsigned)IRQ), 0);
	else
		CHECK_EQ(ksync_send_fatal_signal(cpu), 0);
	ktest_join_or_fail(t);
	CHECK_EQ(__atomic_load_n(&result, __ATOMIC_ACQUIRE), -EINTR);
	rt_mutex_unlock(&held);
	CHECK(!rt_mutex_is_locked(&held));
}

static void test_interruptible(void)
{
	CHECK_EQ(request_irq((unsigned)IRQ, nop_irq, 0, "rt", &result), 0);
	interrupted(TASK_INTERRUPTIBLE);
	free_irq((unsigned)IRQ, &result);
}

static void test_killable(void)
{
	interrupted(TASK_KILLABLE);
}

/* --- priority inheritance -------------------------------------------------------------- */

/* Field 18 of /proc/self/task/TID/stat: the kernel's task_prio(), boosted. */
static int effective_prio(pid_t tid)
{
	char path[64], buf[1024], *p;
	int prio = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	CHECK(f != NULL);
	CHECK(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	p = strrchr(buf, ')');		/* comm may hold spaces */
	CHECK(p != NULL);
	/* Fields 3..17 then 18: state ppid pgrp ... nice is 19. */
	p += 2;
	for (int field = 3; field < 18; field++) {
		p = strchr(p, ' ');
		CHECK(p != NULL);
		p++;
	}
	CHECK(sscanf(p, "%d", &prio) == 1);
	return prio;
}

static DEFINE_RT_MUTEX(pi_lock);
static pid_t owner_tid;
static int owner_go, owner_exit, waiter_has_it;

static void *low_owner(void *arg)
{
	CHECK(setpriority(PRIO_PROCESS, (id_t)gettid(), 10) == 0);
	rt_mutex_lock(&pi_lock);
	__atomic_store_n(&owner_tid, gettid(), __ATOMIC_RELEASE);
	KTEST_WAIT_UNTIL(__atomic_load_n(&owner_go, __ATOMIC_ACQUIRE));
	rt_mutex_unlock(&pi_lock);
	KTEST_WAIT_UNTIL(__atomic_load_n(&owner_exit, __ATOMIC_ACQUIRE));
	return arg;
}

static void *high_waiter(void *arg)
{
	rt_mutex_lock(&pi_lock);
	__atomic_store_n(&waiter_has_it, 1, __ATOMIC_RELEASE);
	rt_mutex_unlock(&pi_lock);
	return arg;
}

/*
 * The owner runs at nice 10 (priority 30 in stat's terms); the waiter
 * started from attr (NULL: nice 0, priority 20).  Returns the owner's
 * priority while the waiter waited, or 1000 if the waiter could not be
 * made (no permission).
 */
static int boost_seen(const pthread_attr_t *attr, int want)
{
	pthread_t lo, hi;
	int before, during, after, err;
	pid_t tid;

	__atomic_store_n(&owner_tid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&owner_go, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&owner_exit, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&waiter_has_it, 0, __ATOMIC_RELAXED);
	CHECK(pthread_create(&lo, NULL, low_owner, NULL) == 0);
	KTEST_WAIT_UNTIL((tid = __atomic_load_n(&owner_tid, __ATOMIC_ACQUIRE)) != 0);
	before = effective_prio(tid);
	CHECK_EQ(before, 30);
	err = pthread_create(&hi, attr, high_waiter, NULL);
	if (err == EPERM) {
		__atomic_store_n(&owner_go, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&owner_exit, 1, __ATOMIC_RELEASE);
		ktest_join_or_fail(lo);
		return 1000;
	}
	CHECK_EQ(err, 0);
	/* The waiter queued in the kernel: the owner now runs at its priority. */
	KTEST_WAIT_UNTIL(__atomic_load_n(&pi_lock.rtmutex.owner, __ATOMIC_RELAXED) &
			 FUTEX_WAITERS);
	KTEST_WAIT_UNTIL((during = effective_prio(tid)) == want);
	CHECK(!__atomic_load_n(&waiter_has_it, __ATOMIC_ACQUIRE));
	__atomic_store_n(&owner_go, 1, __ATOMIC_RELEASE);
	ktest_join_or_fail(hi);
	CHECK(__atomic_load_n(&waiter_has_it, __ATOMIC_ACQUIRE));
	/* Unboosted at unlock (lo waits for owner_exit, so it still exists). */
	after = effective_prio(tid);
	__atomic_store_n(&owner_exit, 1, __ATOMIC_RELEASE);
	ktest_join_or_fail(lo);
	CHECK_EQ(after, 30);
	return during;
}

static void test_pi_nice(void)
{
	CHECK_EQ(boost_seen(NULL, 20), 20);
}

static void test_pi_fifo(void)
{
	struct sched_param sp = { .sched_priority = 50 };
	pthread_attr_t attr;
	int during;

	pthread_attr_init(&attr);
	CHECK(pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) == 0);
	CHECK(pthread_attr_setschedpolicy(&attr, SCHED_FIFO) == 0);
	CHECK(pthread_attr_setschedparam(&attr, &sp) == 0);
	during = boost_seen(&attr, -51);
	pthread_attr_destroy(&attr);
	if (during == 1000) {
		printf("# skip: a SCHED_FIFO waiter needs CAP_SYS_NICE or RLIMIT_RTPRIO "
		       "(run as root); the nice-level boost above was checked\n");
		return;
	}
	CHECK_EQ(during, -51);		/* -1 - rt_priority: real-time 50 */
}

/* --- fork ----------------------------------------------------------------------------------- */

static void test_fork(void)
{
	pid_t pid;
	int status;

#ifdef __SANITIZE_THREAD__
	printf("# skipped under ThreadSanitizer: it does not support the child "
	       "of a multithreaded fork()\n");
	return;
#endif
	rt_mutex_lock(&static_rt);
	rt_mutex_unlock(&static_rt);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		rt_mutex_lock(&static_rt);
		_exit(static_rt.rtmutex.owner == (uint32_t)gettid() ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* --- misuse, in children ------------------------------------------------------------------------ */

static int me_cpu = -1;

static void *kill_later(void *arg)
{
	KTEST_WAIT_UNTIL(__atomic_load_n(&me_cpu, __ATOMIC_ACQUIRE) >= 0);
	ktest_sleep_ms(200);
	CHECK_EQ(ksync_send_fatal_signal(me_cpu), 0);
	return arg;
}

/* Locks it twice: the report, then a wait that only a fatal signal ends. */
static void child_recursion(void)
{
	pthread_t t;

	rt_mutex_lock(&static_rt);
	CHECK(pthread_create(&t, NULL, kill_later, NULL) == 0);
	__atomic_store_n(&me_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	printf("second lock %d\n", rt_mutex_lock_killable(&static_rt));
	ktest_join_or_fail(t);
}

static void *hold_it(void *arg)
{
	rt_mutex_lock(&static_rt);
	return arg;		/* exits with it held */
}

static void child_unlock_other(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, hold_it, NULL) == 0);
	ktest_join_or_fail(t);
	rt_mutex_unlock(&static_rt);
	printf("still locked %d\n", rt_mutex_is_locked(&static_rt));
}

static void child_unlock_unlocked(void)
{
	rt_mutex_unlock(&static_rt);
	printf("done\n");
}

static void child_destroy_locked(void)
{
	struct rt_mutex m;

	rt_mutex_init(&m);
	rt_mutex_lock(&m);
	rt_mutex_destroy(&m);
}

static DEFINE_MUTEX(plain);

static void child_abba(void)
{
	rt_mutex_lock(&static_rt);
	mutex_lock(&plain);
	mutex_unlock(&plain);
	rt_mutex_unlock(&static_rt);
	mutex_lock(&plain);
	rt_mutex_lock(&static_rt);
	rt_mutex_unlock(&static_rt);
	mutex_unlock(&plain);
}

static void child_clean(void)
{
	test_api();
	test_trylock_held();
	rt_mutex_lock(&static_rt);
	mutex_lock(&plain);
	mutex_unlock(&plain);
	rt_mutex_unlock(&static_rt);
	printf("clean done\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "recursion", child_recursion },
	{ "unlock_other", child_unlock_other },
	{ "unlock_unlocked", child_unlock_unlocked },
	{ "destroy_locked", child_destroy_locked },
	{ "abba", child_abba },
	{ "clean", child_clean },
	{ NULL, NULL },
};

static void run_child(struct ktest_child *c, const char *name, const char *env)
{
	const char *envp[] = { env, NULL };

	ktest_spawn(c, "/proc/self/exe", name, envp, 20000);
	CHECK(!c->timed_out);
}

static void test_reports(void)
{
	static struct ktest_child c;

	run_child(&c, "recursion", "KSYNC_DEBUG=1");
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(rt_mutex_owner(lock) == current)");
	CHECK_OUT(&c, "rt_mutex static_rt: this thread already holds it");
	CHECK_OUT(&c, "second lock -4");
	/* Without debugging, the kernel's EDEADLK says the same. */
	run_child(&c, "recursion", "KSYNC_DEBUG=0");
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(rt_mutex_owner(lock) == current)");
	CHECK_OUT(&c, "second lock -4");
	run_child(&c, "unlock_other", "KSYNC_DEBUG=0");
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(rt_mutex_owner(lock) != current)");
	CHECK_OUT(&c, "not by this thread");
	CHECK_OUT(&c, "still locked 1");
	run_child(&c, "unlock_unlocked", "KSYNC_DEBUG=1");
	CHECK_OUT(&c, "rt_mutex_unlock(static_rt): the rt_mutex is not locked");
	CHECK_OUT(&c, "done");
	run_child(&c, "destroy_locked", "KSYNC_DEBUG=1");
	CHECK_OUT(&c, "rt_mutex_destroy(&m): the rt_mutex is still locked");
	run_child(&c, "abba", "KSYNC_LOCKDEP=1");
	CHECK_OUT(&c, "WARNING: possible circular locking dependency detected");
	CHECK_OUT(&c, "static_rt");
	CHECK_OUT(&c, "plain");
	run_child(&c, "clean", "KSYNC_LOCKDEP=1");
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "clean done");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "DEBUG_LOCKS_WARN_ON");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_api);
	RUN(test_trylock_held);
	RUN(test_exact_count);
	RUN(test_interruptible);
	RUN(test_killable);
	RUN(test_pi_nice);
	RUN(test_pi_fifo);
	RUN(test_fork);
	RUN(test_reports);
	return 0;
}
