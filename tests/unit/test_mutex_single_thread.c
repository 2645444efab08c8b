// SPDX-License-Identifier: MIT
/*
 * The mutex fast paths without a bus lock while the process has a single
 * thread (<ksync/mutex.h>, __libc_single_threaded), and the arrival of
 * the second thread: a mutex locked while single-threaded must stay
 * locked for the newcomer, which sleeps until the unlock; afterwards the
 * usual atomic paths must give exact counts.  This checks that the
 * shortcut is safe; its speed is ksync-bench's business.
 */
#define _GNU_SOURCE
#include <ksync/mutex.h>
#include "ktest.h"
#include "ktest_deadline.h"

static DEFINE_MUTEX(m);
static int acquired, trying;
static long counter;

static void *newcomer(void *arg)
{
	__atomic_store_n(&trying, 1, __ATOMIC_RELEASE);
	mutex_lock(&m);
	__atomic_store_n(&acquired, 1, __ATOMIC_RELEASE);
	mutex_unlock(&m);
	return arg;
}

static void *counting(void *arg)
{
	for (int i = 0; i < 20000; i++) {
		mutex_lock(&m);
		counter++;
		mutex_unlock(&m);
	}
	return arg;
}

static void test_single_then_second_thread(void)
{
	pthread_t t;

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	CHECK(__ksync_single_threaded());	/* the shortcut is what runs */
#endif
	mutex_lock(&m);
	CHECK(mutex_is_locked(&m));
	CHECK(!mutex_trylock(&m));
	mutex_unlock(&m);
	CHECK(!mutex_is_locked(&m));
	CHECK(mutex_trylock(&m));
	mutex_unlock(&m);

	/* Held, single-threaded; then a second thread wants it. */
	mutex_lock(&m);
	CHECK(pthread_create(&t, NULL, newcomer, NULL) == 0);
	CHECK(!__ksync_single_threaded());
	KTEST_WAIT_UNTIL(__atomic_load_n(&trying, __ATOMIC_ACQUIRE));
	ktest_sleep_ms(20);
	CHECK(!__atomic_load_n(&acquired, __ATOMIC_ACQUIRE));
	mutex_unlock(&m);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(__atomic_load_n(&acquired, __ATOMIC_ACQUIRE));
	CHECK(!mutex_is_locked(&m));
}

static void test_exact_counts_after(void)
{
	ktest_run_threads(8, counting);
	CHECK_EQ(counter, 8L * 20000);
}

int main(void)
{
	RUN(test_single_then_second_thread);
	RUN(test_exact_counts_after);
	return 0;
}
