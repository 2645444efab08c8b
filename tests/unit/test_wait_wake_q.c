// SPDX-License-Identifier: MIT
/*
 * wake_up() makes its FUTEX_WAKE calls after it drops the queue's lock
 * (src/locking/wait.c, the kernel's wake_q): a wakee that runs at once -
 * on the waker's CPU, say - must not find the lock still held and have to
 * wait for it, a second sleep and wake-up for one wake_up().
 *
 * The test interposes syscall(2), through which libksync makes its futex
 * calls, and, for the FUTEX_WAKEs that this thread's wake_up() makes,
 * records whether the queue's lock was held at that moment.  Both wake_up()
 * of one sleeper and of several (condvar_notify_all() on a wait queue with
 * three) are checked; the wakers' counts must match the sleepers woken.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include <ksync/wait.h>
#include "ktest.h"
#include "ktest_deadline.h"

static DECLARE_WAIT_QUEUE_HEAD(wq);
static int flag, woken;
static __thread int in_wake_up;
static int wakes, wakes_under_lock;

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (nr == SYS_futex && in_wake_up &&
	    (a[1] & FUTEX_CMD_MASK) == FUTEX_WAKE) {
		__atomic_fetch_add(&wakes, 1, __ATOMIC_RELAXED);
		if (spin_is_locked(&wq.lock))
			__atomic_fetch_add(&wakes_under_lock, 1, __ATOMIC_RELAXED);
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void *sleeper(void *arg)
{
	wait_event(wq, __atomic_load_n(&flag, __ATOMIC_ACQUIRE));
	__atomic_fetch_add(&woken, 1, __ATOMIC_RELEASE);
	return arg;
}

static int queued(void)
{
	int q = 0;

	spin_lock(&wq.lock);
	for (struct ksync_list_head *p = wq.head.next; p != &wq.head; p = p->next)
		q++;
	spin_unlock(&wq.lock);
	return q;
}

static void wake_sleepers(int n, bool all)
{
	pthread_t t[3];

	__atomic_store_n(&flag, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&woken, 0, __ATOMIC_RELAXED);
	wakes = wakes_under_lock = 0;
	for (int i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, sleeper, NULL) == 0);
	/* All queued; then give them time to be asleep in the futex. */
	KTEST_WAIT_UNTIL(queued() == n);
	ktest_sleep_ms(20);
	__atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
	in_wake_up = 1;
	if (all)
		wake_up_all(&wq);
	else
		for (int i = 0; i < n; i++)
			wake_up(&wq);
	in_wake_up = 0;
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK_EQ(woken, n);
	CHECK(wakes >= 1);
	CHECK_EQ(wakes_under_lock, 0);
}

static void test_wake_up_one(void)
{
	wake_sleepers(1, false);
}

static void test_wake_up_all(void)
{
	wake_sleepers(3, true);
}

int main(void)
{
	RUN(test_wake_up_one);
	RUN(test_wake_up_all);
	return 0;
}
