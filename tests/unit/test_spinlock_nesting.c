// SPDX-License-Identifier: MIT
/*
 * The four MCS nesting levels: a thread waits, queued, for lock 1; a
 * signal handler on that thread waits, queued, for lock 2 with the next
 * node; a nested handler for lock 3, and so on.  The fifth level has no
 * node left and must spin without queueing.  Each level's position is
 * read back from the lock word's tail (CPU + 1, node index), and every
 * lock is then released innermost first and must be granted correctly.
 */
#include <ksync/lock_events.h>
#include <ksync/spinlock.h>
#include <ksync/smp.h>
#include "ktest.h"

/*
 * Task + 4 nested handlers.  ThreadSanitizer defers a signal that arrives
 * while a handler runs until that handler returns, so under it handlers
 * cannot nest and only the first handler level is exercised.
 */
#ifdef __SANITIZE_THREAD__
#define LEVELS	2
#else
#define LEVELS	5
#endif

static spinlock_t locks[LEVELS];
static int signals[LEVELS];
static int granted[LEVELS];
static int worker_cpu = -1;
static pthread_t worker;

static void take_and_release(int level)
{
	spin_lock(&locks[level]);
	__atomic_store_n(&granted[level], 1, __ATOMIC_RELEASE);
	spin_unlock(&locks[level]);
}

static void handler(int sig)
{
	for (int level = 1; level < LEVELS; level++)
		if (signals[level] == sig)
			take_and_release(level);
}

static void *worker_fn(void *arg)
{
	__atomic_store_n(&worker_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	take_and_release(0);
	return arg;
}

static uint32_t tail_of(spinlock_t *l)
{
	return __atomic_load_n(&l->rlock.raw_lock.val, __ATOMIC_RELAXED) & _Q_TAIL_MASK;
}

static void wait_for(int (*cond)(int), int arg)
{
	double deadline = ktest_now() + 20;

	while (!cond(arg)) {
		if (ktest_now() > deadline)
			KTEST_FAIL("timed out waiting at level %d", arg);
		ktest_sleep_ms(1);
	}
}

static int is_queued(int level)
{
	return tail_of(&locks[level]) != 0;
}

static int is_granted(int level)
{
	return __atomic_load_n(&granted[level], __ATOMIC_ACQUIRE);
}

static unsigned long long no_node_before;

static int spun_without_node(int level)
{
	(void)level;
	return ksync_lockevent_read(LOCKEVENT_lock_no_node) > no_node_before;
}

static void test_nesting_levels(void)
{
	struct sigaction sa = { .sa_handler = handler };

	const int sigs[] = { 0, SIGUSR1, SIGUSR2, SIGRTMIN, SIGRTMIN + 1 };

	for (int level = 1; level < LEVELS; level++)
		signals[level] = sigs[level];
	sigemptyset(&sa.sa_mask);
	for (int level = 1; level < LEVELS; level++)
		CHECK(sigaction(signals[level], &sa, NULL) == 0);
	for (int level = 0; level < LEVELS; level++) {
		spin_lock_init(&locks[level]);
		/* main holds every lock; one class, a subclass per level */
		spin_lock_nested(&locks[level], level);
	}
	no_node_before = ksync_lockevent_read(LOCKEVENT_lock_no_node);

	CHECK(pthread_create(&worker, NULL, worker_fn, NULL) == 0);
	for (int level = 0; level < LEVELS; level++) {
		if (level)
			CHECK(pthread_kill(worker, signals[level]) == 0);
		if (level < 4) {
			uint32_t tail, idx, cpu;

			wait_for(is_queued, level);
			tail = tail_of(&locks[level]);
			idx = (tail & _Q_TAIL_IDX_MASK) >> _Q_TAIL_IDX_OFFSET;
			cpu = (tail >> _Q_TAIL_CPU_OFFSET) - 1;
			CHECK_EQ(idx, level);
			CHECK_EQ(cpu, __atomic_load_n(&worker_cpu, __ATOMIC_ACQUIRE));
		} else {
			/* No node left: it spins on the lock, never queued. */
			wait_for(spun_without_node, level);
			CHECK(!is_queued(level));
		}
	}
	/* Innermost first: each outer level resumes only after it. */
	for (int level = LEVELS - 1; level >= 0; level--) {
		CHECK(!is_granted(level));
		spin_unlock(&locks[level]);
		wait_for(is_granted, level);
	}
	CHECK(pthread_join(worker, NULL) == 0);
	for (int level = 0; level < LEVELS; level++) {
		CHECK(!spin_is_locked(&locks[level]));
		CHECK(!spin_is_contended(&locks[level]));
	}
	for (int level = 1; level < LEVELS && level < 4; level++)
		CHECK(ksync_lockevent_read(LOCKEVENT_lock_use_node2 + level - 1) >= 1);
}

int main(void)
{
	RUN(test_nesting_levels);
	return 0;
}
