// SPDX-License-Identifier: MIT
/*
 * Exact-count stress for spinlock_t and raw_spinlock_t: 16 threads on
 * however few cores, plain (non-atomic) increments inside the critical
 * section, an invariant that breaks if two threads are ever inside at
 * once, and holders that sometimes yield the CPU while holding the lock so
 * that waiters must sleep and be woken.  A watchdog turns a lost wakeup
 * into a failure instead of a hang.
 */
#include <sched.h>
#include <ksync/spinlock.h>
#include <ksync/lock_events.h>
#include "ktest.h"

#define THREADS		16
#define ITERS		200000

static DEFINE_SPINLOCK(slock);
static DEFINE_RAW_SPINLOCK(rlock);

/* Protected by the lock under test; deliberately not atomic. */
static struct {
	long a, b;
	int inside;
} shared;

static int use_raw;
static int violations;

static void critical_section(long i, long tid)
{
	if (shared.inside++)
		__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
	shared.a++;
	if ((i + tid) % 997 == 0)
		sched_yield();		/* holder loses the CPU */
	shared.b++;
	if (shared.a != shared.b)
		__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
	shared.inside--;
}

static void *worker(void *arg)
{
	long tid = (long)arg;

	for (long i = 0; i < ITERS; i++) {
		if (use_raw) {
			raw_spin_lock(&rlock);
			critical_section(i, tid);
			raw_spin_unlock(&rlock);
		} else if (i % 7 == 3) {
			while (!spin_trylock(&slock))
				sched_yield();
			critical_section(i, tid);
			spin_unlock(&slock);
		} else {
			spin_lock(&slock);
			critical_section(i, tid);
			spin_unlock(&slock);
		}
	}
	return NULL;
}

static void watchdog(int sig)
{
	static const char msg[] = "FAIL: stress test did not finish in time (lost wakeup?)\n";

	(void)sig;
	write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void run(int raw)
{
	double t0 = ktest_now();

	use_raw = raw;
	memset(&shared, 0, sizeof(shared));
	violations = 0;
	ktest_run_threads(THREADS, worker);
	CHECK_EQ(violations, 0);
	CHECK_EQ(shared.a, (long)THREADS * ITERS);
	CHECK_EQ(shared.b, (long)THREADS * ITERS);
	CHECK(!spin_is_locked(&slock));
	CHECK(!raw_spin_is_locked(&rlock));
	printf("# %s: %d threads x %d in %.2f s\n", raw ? "raw_spinlock_t" : "spinlock_t",
	       THREADS, ITERS, ktest_now() - t0);
	for (int e = 0; e < LOCKEVENT_NUM; e++)
		printf("#   %-20s %llu\n", ksync_lockevent_name(e), ksync_lockevent_read(e));
}

static void test_spinlock_exact_count(void)
{
	run(0);
}

static void test_raw_spinlock_exact_count(void)
{
	run(1);
}

int main(void)
{
	signal(SIGALRM, watchdog);
	alarm(240);
	RUN(test_spinlock_exact_count);
	RUN(test_raw_spinlock_exact_count);
	return 0;
}
