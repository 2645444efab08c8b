// SPDX-License-Identifier: MIT
/*
 * Bounded unfairness of the queued spinlock (src/arch/qspinlock.c).
 *
 * A queue head that has been head for a while (PV_HEAD_STARVE_NS, 1 ms)
 * sleeps with the pending byte still set, so that newcomers cannot take
 * the lock past it.  The test makes that happen step by step, with no
 * timing judged: main holds the lock, a victim queues as head and falls
 * asleep; main sleeps 2 ms (so the victim has been head for longer than
 * the bound), then releases and at once takes the lock again, as a
 * running thread that keeps barging in would.  The victim, woken, spins
 * and sleeps again: this time the pending byte must stay set while it
 * sleeps (before bounded unfairness it was cleared, and every newcomer
 * could steal the lock for ever).
 *
 * Then exact counts with threads >> CPUs, where heads do go starving:
 * no acquisition lost, no wake-up lost (the run ends).
 */
#include <ksync/lock_events.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static raw_spinlock_t lock;
static int victim_done;

static void *victim_fn(void *arg)
{
	raw_spin_lock(&lock);
	__atomic_store_n(&victim_done, 1, __ATOMIC_RELEASE);
	raw_spin_unlock(&lock);
	return arg;
}

static unsigned long long head_sleeps(void)
{
	return ksync_lockevent_read(LOCKEVENT_pv_wait_head);
}

static bool wait_head_sleep(unsigned long long before)
{
	double deadline = ktest_now() + 20;

	while (head_sleeps() <= before) {
		if (__atomic_load_n(&victim_done, __ATOMIC_ACQUIRE))
			return false;
		if (ktest_now() > deadline)
			KTEST_FAIL("the queue head never went to sleep");
		ktest_sleep_ms(1);
	}
	return true;
}

/* One try; false if the victim won a race and the scenario must restart. */
static bool starving_head_blocks_stealing(void)
{
	unsigned long long sleeps;
	pthread_t victim;
	bool checked = false;

	raw_spin_lock_init(&lock);
	__atomic_store_n(&victim_done, 0, __ATOMIC_RELAXED);
	raw_spin_lock(&lock);
	sleeps = head_sleeps();
	CHECK(pthread_create(&victim, NULL, victim_fn, NULL) == 0);
	if (wait_head_sleep(sleeps)) {
		ktest_sleep_ms(2);
		sleeps = head_sleeps();
		raw_spin_unlock(&lock);
		raw_spin_lock(&lock);		/* barge in again */
		if (!__atomic_load_n(&victim_done, __ATOMIC_ACQUIRE) &&
		    wait_head_sleep(sleeps)) {
			CHECK(__atomic_load_n(&lock.raw_lock.pending, __ATOMIC_RELAXED));
			CHECK(!raw_spin_trylock(&lock) || (raw_spin_unlock(&lock), 0));
			checked = true;
		}
	}
	raw_spin_unlock(&lock);
	CHECK(pthread_join(victim, NULL) == 0);
	CHECK(__atomic_load_n(&victim_done, __ATOMIC_ACQUIRE));
	CHECK(!raw_spin_is_locked(&lock));
	return checked;
}

static void test_starving_head_blocks_stealing(void)
{
	const char *poll = getenv("KSYNC_NO_MEMBARRIER");

	/*
	 * The scenario needs a head that sleeps until it is kicked: without
	 * membarrier(2) sleeping heads poll, wake on their own and win the
	 * race the scenario makes them lose.  The counts below still run.
	 */
	if (poll && !strcmp(poll, "1")) {
		printf("skip - test_starving_head_blocks_stealing: heads poll "
		       "without membarrier(2)\n");
		return;
	}
	for (int tries = 0; tries < 50; tries++)
		if (starving_head_blocks_stealing())
			return;
	KTEST_FAIL("the victim won every race: the scenario never ran");
}

#define THREADS		48
#define ROUNDS		2000

static spinlock_t counted;
static long counter;

static void *counting_fn(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		spin_lock(&counted);
		counter++;
		for (int j = 0; j < 50; j++)
			cpu_relax();
		spin_unlock(&counted);
	}
	return arg;
}

static void test_exact_counts_oversubscribed(void)
{
	spin_lock_init(&counted);
	ktest_run_threads(THREADS, counting_fn);
	CHECK_EQ(counter, (long)THREADS * ROUNDS);
	CHECK(!spin_is_locked(&counted));
}

int main(void)
{
	RUN(test_starving_head_blocks_stealing);
	RUN(test_exact_counts_oversubscribed);
	printf("pv_head_no_steal events: %llu\n",
	       ksync_lockevent_read(LOCKEVENT_pv_head_no_steal));
	return 0;
}
