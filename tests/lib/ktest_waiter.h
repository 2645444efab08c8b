/* SPDX-License-Identifier: MIT */
/*
 * Waiters to interrupt: the tests of sleeping primitives start a thread
 * that sleeps in a lock or a wait, raise an interrupt (a signal) or a
 * fatal signal at its CPU while it sleeps, and check what the sleep
 * returned and the state it left.
 *
 *	static void down_it(struct ktest_waiter *w)
 *	{
 *		ktest_waiter_set_result(w, down_interruptible(w->arg));
 *	}
 *
 *	ktest_waiter_start(&w, down_it, &sem, 0);
 *	KTEST_WAIT_UNTIL(queued(&sem) == 1);		(asleep)
 *	CHECK_EQ(ktest_waiter_interrupt_join(&w, SIGUSR1), -EINTR);
 *
 * A waiter that holds something until told (ktest_waiter_release()) polls
 * ktest_waiter_released().
 */
#ifndef KSYNC_TEST_KTEST_WAITER_H
#define KSYNC_TEST_KTEST_WAITER_H

#include <pthread.h>
#include <ksync/interrupt.h>

/* What a waiter's result is until its function stores one. */
#define KTEST_STILL_WAITING	12345L

struct ktest_waiter {
	void (*fn)(struct ktest_waiter *w);	/* runs in the thread */
	void *arg;		/* what fn works on */
	int how;		/* which call fn makes, where it has several */
	pthread_t thread;
	long cpu;		/* the thread's CPU number, once it runs */
	long started;		/* fn is about to run */
	long release;		/* ktest_waiter_release() was called */
	long result;		/* KTEST_STILL_WAITING until fn stores one */
};

/* Start a thread running fn(w); return once it runs (w->cpu is known). */
void ktest_waiter_start(struct ktest_waiter *w, void (*fn)(struct ktest_waiter *w),
			void *arg, int how);

/* In fn: what the sleep returned (for ktest_waiter_result()). */
void ktest_waiter_set_result(struct ktest_waiter *w, long result);

/* What fn stored, or KTEST_STILL_WAITING (read with acquire). */
long ktest_waiter_result(struct ktest_waiter *w);

/* Raise interrupt irq, or a fatal signal, at the waiter's CPU. */
int ktest_waiter_interrupt(struct ktest_waiter *w, unsigned int irq);
int ktest_waiter_kill(struct ktest_waiter *w);

/* Join the waiter (failing after KTEST_DEADLINE_S) and return its result. */
long ktest_waiter_join(struct ktest_waiter *w);

/* Interrupt it (or kill it), then join it: what its sleep returned. */
long ktest_waiter_interrupt_join(struct ktest_waiter *w, unsigned int irq);
long ktest_waiter_kill_join(struct ktest_waiter *w);

/* Tell the waiter to stop holding (ktest_waiter_released()), then join it. */
long ktest_waiter_release(struct ktest_waiter *w);
int ktest_waiter_released(struct ktest_waiter *w);

/*
 * Raise irq at a thread of its own that idles meanwhile (so the handler
 * runs on another CPU than the sleeper's, and wakes it from there), then
 * join the waiter and return its result.
 */
long ktest_waiter_join_irq_elsewhere(struct ktest_waiter *w, unsigned int irq);

/* A handler that does nothing: an interrupt that only interrupts. */
irqreturn_t ktest_nop_handler(int irq, void *dev);

#endif /* KSYNC_TEST_KTEST_WAITER_H */
