// SPDX-License-Identifier: MIT
/*
 * Waiters to interrupt (ktest_waiter.h).  The fields the test and the
 * waiter share are read and written with __atomic ops: the test polls
 * them while the waiter runs.
 */
#include "ktest_deadline.h"
#include "ktest_waiter.h"
#include <ksync/sched.h>
#include <ksync/smp.h>

/* Release pairs with the test's acquire: what fn did before is seen. */
static void store(long *p, long v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static long load(long *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void *waiter_main(void *arg)
{
	struct ktest_waiter *w = arg;

	store(&w->cpu, smp_processor_id());
	store(&w->started, 1);
	w->fn(w);
	return NULL;
}

void ktest_waiter_start(struct ktest_waiter *w, void (*fn)(struct ktest_waiter *w),
			void *arg, int how)
{
	memset(w, 0, sizeof(*w));
	w->fn = fn;
	w->arg = arg;
	w->how = how;
	w->cpu = -1;
	w->result = KTEST_STILL_WAITING;
	CHECK(pthread_create(&w->thread, NULL, waiter_main, w) == 0);
	KTEST_WAIT_UNTIL(load(&w->started));
}

void ktest_waiter_set_result(struct ktest_waiter *w, long result)
{
	store(&w->result, result);
}

long ktest_waiter_result(struct ktest_waiter *w)
{
	return load(&w->result);
}

int ktest_waiter_interrupt(struct ktest_waiter *w, unsigned int irq)
{
	return ksync_raise_irq((int)load(&w->cpu), irq);
}

int ktest_waiter_kill(struct ktest_waiter *w)
{
	return ksync_send_fatal_signal((int)load(&w->cpu));
}

long ktest_waiter_join(struct ktest_waiter *w)
{
	ktest_join_or_fail(w->thread);
	return load(&w->result);
}

long ktest_waiter_interrupt_join(struct ktest_waiter *w, unsigned int irq)
{
	CHECK_EQ(ktest_waiter_interrupt(w, irq), 0);
	return ktest_waiter_join(w);
}

long ktest_waiter_kill_join(struct ktest_waiter *w)
{
	CHECK_EQ(ktest_waiter_kill(w), 0);
	return ktest_waiter_join(w);
}

long ktest_waiter_release(struct ktest_waiter *w)
{
	store(&w->release, 1);
	return ktest_waiter_join(w);
}

int ktest_waiter_released(struct ktest_waiter *w)
{
	return load(&w->release) != 0;
}

static void idle(struct ktest_waiter *w)
{
	while (!ktest_waiter_released(w))
		ktest_sleep_ms(1);	/* a libc call: TSan delivers signals there */
}

long ktest_waiter_join_irq_elsewhere(struct ktest_waiter *w, unsigned int irq)
{
	struct ktest_waiter elsewhere;
	long result;

	ktest_waiter_start(&elsewhere, idle, NULL, 0);
	CHECK_EQ(ktest_waiter_interrupt(&elsewhere, irq), 0);
	result = ktest_waiter_join(w);
	ktest_waiter_release(&elsewhere);
	return result;
}

irqreturn_t ktest_nop_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}
