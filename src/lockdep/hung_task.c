// SPDX-License-Identifier: MIT
/*
 * The hung-task detector (the kernel's kernel/hung_task.c, khungtaskd)
 * and debug_show_all_locks() on a signal.
 *
 * With KSYNC_HUNG_TASK_SECS=N (N > 0), a thread of ours, khungtaskd,
 * looks every N/2 seconds at every
 * thread's "blocked since" record (base/blocked.h): a thread asleep
 * uninterruptibly in a ksync lock or wait for N seconds or more is
 * reported as the kernel reports it ("INFO: task comm:pid blocked for
 * more than N seconds.", the stack it went to sleep with), and then every
 * thread's held locks (debug_show_all_locks()), so that a program that
 * really deadlocked says who holds what.  As the kernel's
 * hung_task_warnings, at most 10 tasks are reported in a process's life.
 * Unlike the kernel, which reports a task again at every check while it
 * stays blocked, each sleep is reported once: a deadlock's report is not
 * repeated until the budget is gone.
 *
 * With KSYNC_SHOW_LOCKS_SIGNAL=SIG, SIG (which the program must not use
 * for itself: only a signal the user names is taken) makes the same
 * thread print debug_show_all_locks().  The handler only counts and
 * wakes the thread; printing in a signal handler could not symbolise,
 * and could deadlock on the report lock.
 *
 * The thread starts when libksync is loaded (a constructor), as the
 * kernel starts khungtaskd at boot, and only when one of the two is set.
 * Not at the first sleep: a lock call may come from inside the program's
 * memory allocator holding its own lock (ksync-lockdep validating
 * jemalloc's mutexes, tests/lockdep/pt_alloc.c), and pthread_create()
 * allocates.  A fork() child has no detector (threads do not survive a
 * fork, and starting one in the child's fork handler could meet the
 * allocator's locks still held); a program it execs starts its own.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <ksync/debug_locks.h>
#include "blocked.h"
#include "env.h"
#include "futex.h"
#include "init.h"
#include "lockdep_internal.h"
#include "report.h"

/* The kernel's sysctl_hung_task_warnings: tasks reported, at most. */
#define HUNG_TASK_WARNINGS	10
static int hung_task_warnings = HUNG_TASK_WARNINGS;

/* Requests from the signal handler: a counter, and the futex it wakes. */
static uint32_t show_requests;

static void show_locks_handler(int sig)
{
	(void)sig;
	/* Release: nothing to order but the count; the wake is a syscall. */
	__atomic_fetch_add(&show_requests, 1, __ATOMIC_RELEASE);
	ksync_futex_wake(&show_requests, 1);
}

/* Report, at most once each, the threads asleep uninterruptibly >= secs. */
static void check_hung_tasks(int secs)
{
	uint64_t limit = (uint64_t)secs * 1000000000ull, now = ksync_now_ns();
	bool show = false;

	for (int cpu = 0; cpu < KSYNC_NR_CPUS && hung_task_warnings > 0; cpu++) {
		struct ksync_cpu *c = ksync_cpu_peek(cpu);
		struct ksync_blocked *b;

		if (!c || !ksync_cpu_tid(cpu) || !ksync_blocked_pin(c))
			continue;
		b = ksync_blocked_of(c);
		if (b->hung_check && !b->reported && now - b->since_ns >= limit) {
			b->reported = true;
			hung_task_warnings--;
			ksync_report_lock();
			ksync_blocked_print_hung(c, __atomic_load_n(&c->tid, __ATOMIC_RELAXED),
						 (now - b->since_ns) / 1000000000ull);
			ksync_report_unlock();
			show = true;
		}
		ksync_blocked_unpin(c);
	}
	if (show)
		ksync_debug_show_all_locks();
}

static void *khungtaskd(void *arg)
{
	int secs = ksync_settings.hung_task_secs;
	uint32_t seen = __atomic_load_n(&show_requests, __ATOMIC_ACQUIRE);
	/* Every N/2 s: a sleep is reported between N and 1.5 N s old. */
	struct timespec every = ksync_ns_to_timespec((uint64_t)secs * 500000000ull);

	(void)arg;
	for (;;) {
		uint32_t now;

		ksync_futex_wait(&show_requests, seen, secs ? &every : NULL);
		now = __atomic_load_n(&show_requests, __ATOMIC_ACQUIRE);
		if (now != seen) {
			seen = now;
			ksync_debug_show_all_locks();
		}
		if (secs)
			check_hung_tasks(secs);
	}
	return NULL;
}

/* Start khungtaskd with every signal blocked: none is meant for it. */
static void start_khungtaskd(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, khungtaskd, NULL) == 0)
		pthread_setname_np(t, "khungtaskd");
	else
		ksync_env_warn("cannot start the hung-task detector's thread; "
			       "KSYNC_HUNG_TASK_SECS and KSYNC_SHOW_LOCKS_SIGNAL "
			       "have no effect\n");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* At start-up (lockdep's init hook): the signal's handler. */
void lockdep_hung_task_init(void)
{
	struct sigaction sa;

	if (!ksync_settings.show_locks_signal)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = show_locks_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(ksync_settings.show_locks_signal, &sa, NULL);
}

__attribute__((constructor)) static void khungtaskd_at_load(void)
{
	ksync_init_once();
	if (ksync_settings.hung_task_secs > 0 || ksync_settings.show_locks_signal)
		start_khungtaskd();
}
