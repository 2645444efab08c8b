// SPDX-License-Identifier: MIT
/*
 * Simple wait queues, as kernel code spells them: every swait_event_*()
 * woken by swake_up_one() (0, or jiffies left), interrupted where it is
 * interruptible or killable (-ERESTARTSYS, off the queue), timing out (0);
 * swake_up_one() wakes the first waiter only, swake_up_all() every one,
 * swake_up_locked() under the lock; a hand-written loop with
 * prepare_to_swait_exclusive()/finish_swait().  Stress with exact counts
 * and more threads than CPUs: tokens to exclusive waiters, no wakeup lost.
 */
#define _GNU_SOURCE
#include <ksync/interrupt.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include <ksync/swait.h>
#include "ktest_deadline.h"

#define LONG_WAIT	((long)(KTEST_DEADLINE_S * HZ))

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int queued(struct swait_queue_head *q)
{
	unsigned long flags;
	int n = 0;

	raw_spin_lock_irqsave(&q->lock, flags);
	for (struct ksync_list_head *p = q->task_list.next; p != &q->task_list; p = p->next)
		n++;
	raw_spin_unlock_irqrestore(&q->lock, flags);
	return n;
}

/* --- every form ------------------------------------------------------------------ */

enum form {
	F_PLAIN, F_TIMEOUT, F_INTR, F_INTR_TIMEOUT, F_KILLABLE, F_IDLE, F_IDLE_TIMEOUT,
	F_HAND, NR_FORMS
};

static const char *const names[NR_FORMS] = {
	"swait_event_exclusive", "swait_event_timeout_exclusive",
	"swait_event_interruptible_exclusive",
	"swait_event_interruptible_timeout_exclusive",
	"swait_event_killable_exclusive", "swait_event_idle_exclusive",
	"swait_event_idle_timeout_exclusive", "prepare_to_swait_exclusive",
};

static DECLARE_SWAIT_QUEUE_HEAD(sq);
static int flag, waiter_cpu = -1;
static long waiter_result;
static long timeout_arg;

static void *waiter(void *arg)
{
	enum form f = (enum form)(long)arg;
	long r = 4242;

	store(&waiter_cpu, smp_processor_id());
	switch (f) {
	case F_PLAIN:
		swait_event_exclusive(sq, load(&flag));
		r = 0;
		break;
	case F_TIMEOUT:
		r = swait_event_timeout_exclusive(sq, load(&flag), timeout_arg);
		break;
	case F_INTR:
		r = swait_event_interruptible_exclusive(sq, load(&flag));
		break;
	case F_INTR_TIMEOUT:
		r = swait_event_interruptible_timeout_exclusive(sq, load(&flag), timeout_arg);
		break;
	case F_KILLABLE:
		r = swait_event_killable_exclusive(sq, load(&flag));
		break;
	case F_IDLE:
		swait_event_idle_exclusive(sq, load(&flag));
		r = 0;
		break;
	case F_IDLE_TIMEOUT:
		r = swait_event_idle_timeout_exclusive(sq, load(&flag), timeout_arg);
		break;
	case F_HAND: {
		DECLARE_SWAITQUEUE(wait);

		for (;;) {
			prepare_to_swait_exclusive(&sq, &wait, TASK_UNINTERRUPTIBLE);
			if (load(&flag))
				break;
			schedule();
		}
		finish_swait(&sq, &wait);
		r = 0;
		break;
	}
	case NR_FORMS:
		break;
	}
	__atomic_store_n(&waiter_result, r, __ATOMIC_RELEASE);
	return NULL;
}

static pthread_t start(enum form f, long timeout)
{
	pthread_t t;

	store(&flag, 0);
	store(&waiter_cpu, -1);
	timeout_arg = timeout;
	waiter_result = 4242;
	CHECK(pthread_create(&t, NULL, waiter, (void *)(long)f) == 0);
	/* A short timeout may be over before we look: only long ones wait. */
	if (timeout >= LONG_WAIT)
		KTEST_WAIT_UNTIL(queued(&sq) == 1);
	return t;
}

static long result(void)
{
	return __atomic_load_n(&waiter_result, __ATOMIC_ACQUIRE);
}

static bool timed(enum form f)
{
	return f == F_TIMEOUT || f == F_INTR_TIMEOUT || f == F_IDLE_TIMEOUT;
}

static void test_each_form_woken(void)
{
	for (int f = 0; f < NR_FORMS; f++) {
		pthread_t t = start(f, LONG_WAIT);

		ktest_current = names[f];
		store(&flag, 1);
		swake_up_one(&sq);
		ktest_join_or_fail(t);
		if (timed(f))
			CHECK(result() > 0 && result() <= LONG_WAIT);
		else
			CHECK_EQ(result(), 0);
		CHECK(!swait_active(&sq));
	}
}

static irqreturn_t nop_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

static void test_interrupts_and_fatal_signals(void)
{
	for (int f = 0; f < NR_FORMS; f++) {
		pthread_t t = start(f, LONG_WAIT);
		bool intr = f == F_INTR || f == F_INTR_TIMEOUT;

		ktest_current = names[f];
		CHECK_EQ(ksync_raise_irq(load(&waiter_cpu), SIGUSR1), 0);
		if (intr) {
			ktest_join_or_fail(t);
			CHECK_EQ(result(), -ERESTARTSYS);
			CHECK(!swait_active(&sq));
			continue;
		}
		ktest_sleep_ms(20);
		CHECK_EQ(result(), 4242);
		if (f == F_KILLABLE) {
			CHECK_EQ(ksync_send_fatal_signal(load(&waiter_cpu)), 0);
			ktest_join_or_fail(t);
			CHECK_EQ(result(), -ERESTARTSYS);
			CHECK(!swait_active(&sq));
			continue;
		}
		store(&flag, 1);
		swake_up_one(&sq);
		ktest_join_or_fail(t);
		CHECK(result() >= 0);
	}
}

static void test_timeouts(void)
{
	static const enum form forms[] = { F_TIMEOUT, F_INTR_TIMEOUT, F_IDLE_TIMEOUT };

	for (unsigned int i = 0; i < 3; i++) {
		pthread_t t = start(forms[i], 2);

		ktest_current = names[forms[i]];
		ktest_join_or_fail(t);
		CHECK_EQ(result(), 0);
		CHECK(!swait_active(&sq));
	}
	/* The condition already true: jiffies left, at least 1, as the kernel. */
	store(&flag, 1);
	CHECK_EQ(swait_event_timeout_exclusive(sq, load(&flag), 0), 1);
}

/* --- who is woken ----------------------------------------------------------------- */

#define NWAIT	6

static DECLARE_SWAIT_QUEUE_HEAD(gate_q);
static int gate, passed;

static void *gate_waiter(void *arg)
{
	(void)arg;
	swait_event_exclusive(gate_q, load(&gate) > 0 && __atomic_fetch_sub(&gate, 1, __ATOMIC_ACQ_REL) > 0);
	__atomic_fetch_add(&passed, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_one_and_all(void)
{
	struct swait_queue_head q;
	pthread_t t[NWAIT];

	init_swait_queue_head(&q);
	CHECK(!swait_active(&q));
	CHECK(!swq_has_sleeper(&q));
	swake_up_one(&q);	/* nobody: nothing happens */
	swake_up_all(&q);

	for (int i = 0; i < NWAIT; i++)
		CHECK(pthread_create(&t[i], NULL, gate_waiter, NULL) == 0);
	KTEST_WAIT_UNTIL(queued(&gate_q) == NWAIT);
	CHECK(swq_has_sleeper(&gate_q));
	/* One token, one wakeup: exactly one passes. */
	store(&gate, 1);
	swake_up_one(&gate_q);
	KTEST_WAIT_UNTIL(load(&passed) == 1);
	KTEST_WAIT_UNTIL(queued(&gate_q) == NWAIT - 1);
	/* Two tokens, under the lock. */
	store(&gate, 2);
	raw_spin_lock_irq(&gate_q.lock);
	swake_up_locked(&gate_q);
	swake_up_locked(&gate_q);
	raw_spin_unlock_irq(&gate_q.lock);
	KTEST_WAIT_UNTIL(load(&passed) == 3);
	/* The rest: every one. */
	store(&gate, NWAIT - 3);
	swake_up_all(&gate_q);
	for (int i = 0; i < NWAIT; i++)
		ktest_join_or_fail(t[i]);
	CHECK_EQ(load(&passed), NWAIT);
	CHECK(!swait_active(&gate_q));
}

/* --- stress: tokens, exact counts ------------------------------------------------ */

#define CONSUMERS	12
#define PRODUCERS	4
#define TOKENS_EACH	400

static DECLARE_SWAIT_QUEUE_HEAD(tok_q);
static int tokens, done_producing;
static DEFINE_RAW_SPINLOCK(tok_lock);

static bool take_token(int *got)
{
	bool ret = false;

	raw_spin_lock(&tok_lock);
	if (tokens > 0) {
		tokens--;
		*got = 1;
		ret = true;
	} else if (done_producing) {
		ret = true;
	}
	raw_spin_unlock(&tok_lock);
	return ret;
}

static void *tok_consumer(void *arg)
{
	long mine = 0;

	(void)arg;
	for (;;) {
		int got = 0;

		swait_event_exclusive(tok_q, take_token(&got));
		if (!got)
			break;
		mine++;
	}
	swake_up_one(&tok_q);	/* pass the end on */
	return (void *)mine;
}

static void *tok_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < TOKENS_EACH; i++) {
		raw_spin_lock(&tok_lock);
		tokens++;
		raw_spin_unlock(&tok_lock);
		swake_up_one(&tok_q);
		if (!(i % 16))
			sched_yield();
	}
	return NULL;
}

static void test_token_stress(void)
{
	pthread_t c[CONSUMERS], p[PRODUCERS];
	long total = 0;

	for (int i = 0; i < CONSUMERS; i++)
		CHECK(pthread_create(&c[i], NULL, tok_consumer, NULL) == 0);
	for (int i = 0; i < PRODUCERS; i++)
		CHECK(pthread_create(&p[i], NULL, tok_producer, NULL) == 0);
	for (int i = 0; i < PRODUCERS; i++)
		ktest_join_or_fail(p[i]);
	raw_spin_lock(&tok_lock);
	done_producing = 1;
	raw_spin_unlock(&tok_lock);
	swake_up_all(&tok_q);
	for (int i = 0; i < CONSUMERS; i++)
		total += (long)ktest_join_or_fail(c[i]);
	CHECK_EQ(total, (long)PRODUCERS * TOKENS_EACH);
	CHECK_EQ(tokens, 0);
}

int main(void)
{
	CHECK_EQ(request_irq(SIGUSR1, nop_handler, 0, "swait-test", NULL), 0);
	ktest_start_watchdog();
	RUN(test_each_form_woken);
	RUN(test_interrupts_and_fatal_signals);
	RUN(test_timeouts);
	RUN(test_one_and_all);
	RUN(test_token_stress);
	return 0;
}
