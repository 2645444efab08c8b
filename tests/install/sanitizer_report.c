// SPDX-License-Identifier: MIT
/*
 * Built with a sanitizer against the installed, plain ksync by
 * test_sanitizers.sh, run with KSYNC_LOCKDEP=1: a lockdep report (an AB-BA
 * order) must be printed, symbolised, without the sanitizer runtime ending
 * the process; and an interrupt must end an interruptible sleep in the
 * library.  Under ThreadSanitizer the AB-BA order is TSan's report too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ksync/ksync.h>

static DEFINE_MUTEX(a);
static DEFINE_MUTEX(b);
static DECLARE_COMPLETION(never);
static int waiter_cpu = -1;
static int waiter_ret = 1;

static irqreturn_t nop_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

static void *waiter(void *arg)
{
	__atomic_store_n(&waiter_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	__atomic_store_n(&waiter_ret, wait_for_completion_interruptible(&never),
			 __ATOMIC_RELEASE);
	return arg;
}

/* The waiter is queued on the completion (so asleep, or about to be). */
static bool waiter_queued(void)
{
	struct ksync_list_head *first =
		__atomic_load_n(&never.wait.task_list.next, __ATOMIC_RELAXED);

	return first != &never.wait.task_list;
}

static void test_interrupted_sleep(void)
{
	struct timespec give_up;
	pthread_t t;
	int cpu;

	if (request_irq(SIGUSR1, nop_handler, 0, "sanitizer-report", NULL)) {
		printf("request_irq failed\n");
		exit(1);
	}
	pthread_create(&t, NULL, waiter, NULL);
	while (!waiter_queued())
		sched_yield();
	cpu = __atomic_load_n(&waiter_cpu, __ATOMIC_ACQUIRE);
	if (ksync_raise_irq(cpu, SIGUSR1)) {
		printf("ksync_raise_irq failed\n");
		exit(1);
	}
	/* A watchdog, not a verdict: a sleep that ignores the interrupt hangs. */
	clock_gettime(CLOCK_REALTIME, &give_up);
	give_up.tv_sec += 60;
	if (pthread_timedjoin_np(t, NULL, &give_up)) {
		printf("stuck: the interrupt did not end the sleep\n");
		exit(1);
	}
	printf("interrupted: %s\n",
	       __atomic_load_n(&waiter_ret, __ATOMIC_ACQUIRE) == -ERESTARTSYS ? "-ERESTARTSYS" : "?");
}

static void abba(void)
{
	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
	mutex_lock(&b);
	mutex_lock(&a);		/* lockdep: possible circular locking dependency */
	mutex_unlock(&a);
	mutex_unlock(&b);
	printf("abba done\n");
}

int main(void)
{
	test_interrupted_sleep();
	abba();
	return 0;
}
