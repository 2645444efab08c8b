// SPDX-License-Identifier: MIT
/*
 * Bounded unfairness of struct mutex (src/locking/mutex.c).
 *
 * A top waiter whose lock call has waited MUTEX_HANDOFF_NS (1 ms) gets
 * the lock from the next unlock: the unlocker does not leave the free
 * lock to whoever comes first (it used to, until the sleeping waiter
 * had run, asked for a handoff and been woken again).  Checked step by
 * step, no timing judged: main holds the mutex, a waiter queues; once it
 * is in the wait list main sleeps 2 ms and unlocks.  The mutex must
 * stay locked - reserved for the waiter, or held by it, which keeps it
 * until main has looked - and main's trylock must fail.
 *
 * Then exact counts with threads >> CPUs, and a thread that must make
 * progress while others take the lock back to back for as long as it
 * has not finished (a stealing storm): the run ends only if it does.
 */
#include <ksync/mutex.h>
#include "ktest.h"

static struct mutex m;
static int waiter_done, release_it;

/* Holds the mutex, once it has it, until main has looked. */
static void *waiter_fn(void *arg)
{
	mutex_lock(&m);
	__atomic_store_n(&waiter_done, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&release_it, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	mutex_unlock(&m);
	return arg;
}

static void test_unlock_hands_to_starving_waiter(void)
{
	double deadline = ktest_now() + 20;
	pthread_t w;

	mutex_init(&m);
	mutex_lock(&m);
	CHECK(pthread_create(&w, NULL, waiter_fn, NULL) == 0);
	while (!(atomic_long_read(&m.owner) & (long)MUTEX_FLAG_WAITERS)) {
		if (ktest_now() > deadline)
			KTEST_FAIL("the waiter never joined the wait list");
		ktest_sleep_ms(1);
	}
	ktest_sleep_ms(2);		/* its lock call has waited > 1 ms now */
	mutex_unlock(&m);
	/* Handed over (or taken by the waiter already), not released. */
	bool barged = mutex_trylock(&m);
	if (barged)
		mutex_unlock(&m);
	__atomic_store_n(&release_it, 1, __ATOMIC_RELEASE);
	CHECK(!barged);
	CHECK(pthread_join(w, NULL) == 0);
	CHECK(__atomic_load_n(&waiter_done, __ATOMIC_ACQUIRE));
	CHECK(!mutex_is_locked(&m));
}

#define THREADS		48
#define ROUNDS		1000

static struct mutex counted;
static long counter;

static void *counting_fn(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		mutex_lock(&counted);
		counter++;
		for (int j = 0; j < 50; j++)
			cpu_relax();
		mutex_unlock(&counted);
	}
	return arg;
}

static void test_exact_counts_oversubscribed(void)
{
	mutex_init(&counted);
	counter = 0;
	ktest_run_threads(THREADS, counting_fn);
	CHECK_EQ(counter, (long)THREADS * ROUNDS);
	CHECK(!mutex_is_locked(&counted));
}

#define STORMERS	16
#define VICTIM_ROUNDS	200

static int victim_finished;
static long storm_count;

/* Take the lock back to back until the victim is through. */
static void *stormer_fn(void *arg)
{
	while (!__atomic_load_n(&victim_finished, __ATOMIC_ACQUIRE)) {
		mutex_lock(&counted);
		storm_count++;
		mutex_unlock(&counted);
	}
	return arg;
}

static void *victim_fn(void *arg)
{
	for (int i = 0; i < VICTIM_ROUNDS; i++) {
		mutex_lock(&counted);
		counter++;
		mutex_unlock(&counted);
	}
	__atomic_store_n(&victim_finished, 1, __ATOMIC_RELEASE);
	return arg;
}

static void test_progress_under_a_stealing_storm(void)
{
	pthread_t storm[STORMERS], victim;

	mutex_init(&counted);
	counter = 0;
	for (int i = 0; i < STORMERS; i++)
		CHECK(pthread_create(&storm[i], NULL, stormer_fn, NULL) == 0);
	CHECK(pthread_create(&victim, NULL, victim_fn, NULL) == 0);
	CHECK(pthread_join(victim, NULL) == 0);
	for (int i = 0; i < STORMERS; i++)
		CHECK(pthread_join(storm[i], NULL) == 0);
	CHECK_EQ(counter, (long)VICTIM_ROUNDS);
	CHECK(!mutex_is_locked(&counted));
	printf("stormers took the lock %ld times meanwhile\n", storm_count);
}

int main(void)
{
	RUN(test_unlock_hands_to_starving_waiter);
	RUN(test_exact_counts_oversubscribed);
	RUN(test_progress_under_a_stealing_storm);
	return 0;
}
