// SPDX-License-Identifier: MIT
/*
 * Softirqs and tasklets (kernel/softirq.c): work an interrupt handler
 * defers to run right after it, with interrupts enabled, still on the same
 * CPU.
 *
 * Pending softirqs are one bitmask per thread.  They run at the exit of
 * the outermost interrupt (irq.c) unless the interrupted code has bottom
 * halves disabled or is itself an interrupt, and otherwise at the
 * local_bh_enable() that re-enables bottom halves.  There is no ksoftirqd
 * thread: another thread could not run a softirq on this CPU's behalf, so
 * a softirq raised in task context with bottom halves and interrupts on
 * runs at once, and one that keeps re-raising itself beyond the kernel's
 * restart budget waits for the next of those points.
 */
#define _GNU_SOURCE
#include <sched.h>

#include <ksync/interrupt.h>
#include "cpu.h"
#include "futex.h"
#include "context_cpu.h"
#include "irq_internal.h"
#include "layer_hooks.h"
#include "lockdep_hooks.h"
#include "debug_checks.h"
#include "site.h"
#include "report.h"

#define MAX_SOFTIRQ_RESTART	10
#define MAX_SOFTIRQ_TIME_NS	2000000ull

static struct softirq_action softirq_vec[NR_SOFTIRQS];

static const char *const softirq_names[NR_SOFTIRQS] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL",
	"TASKLET", "SCHED", "HRTIMER", "RCU",
};

KSYNC_API void ksync_open_softirq(int nr, void (*action)(struct softirq_action *))
{
	if (nr < 0 || nr >= NR_SOFTIRQS)
		return;
	__atomic_store_n(&softirq_vec[nr].action, action, __ATOMIC_RELEASE);
}

KSYNC_API void ksync_raise_softirq_irqoff(unsigned int nr)
{
	if (nr < NR_SOFTIRQS)
		__atomic_fetch_or(&ksync_tls.softirq_pending, 1u << nr,
				  __ATOMIC_RELAXED);
}

/* Where the kernel would wake ksoftirqd: run them here if we may. */
static void run_now_if_allowed(void)
{
	if (!in_interrupt() && !irqs_disabled() && local_softirq_pending())
		ksync_softirq_run_pending();
}

KSYNC_API void ksync_raise_softirq(unsigned int nr)
{
	unsigned long flags;

	raw_local_irq_save(flags);
	ksync_raise_softirq_irqoff(nr);
	raw_local_irq_restore(flags);
	run_now_if_allowed();
}

static void run_one(unsigned int nr)
{
	struct softirq_action *h = &softirq_vec[nr];
	void (*action)(struct softirq_action *) =
		__atomic_load_n(&h->action, __ATOMIC_ACQUIRE);
	int prev_count = preempt_count();

	if (!action)
		return;
	action(h);
	if (preempt_count() != prev_count) {
		ksync_printk("huh, entered softirq %u %s %p with preempt_count %08x, exited with %08x?\n",
			     nr, softirq_names[nr], (void *)action,
			     (unsigned)prev_count, (unsigned)preempt_count());
		__preempt_count_sub(preempt_count() - prev_count);
	}
}

/*
 * __do_softirq(): serving (SOFTIRQ_OFFSET) with interrupts on while the
 * handlers run, restarting while more get raised, within a budget.
 */
void ksync_softirq_run_pending(void)
{
	uint64_t end = 0;
	int restart = MAX_SOFTIRQ_RESTART;
	unsigned long flags;
	unsigned int pending;

	raw_local_irq_save(flags);
	__preempt_count_add(SOFTIRQ_OFFSET);
	do {
		/* Taken with interrupts off: a handler may raise more. */
		pending = __atomic_exchange_n(&ksync_tls.softirq_pending, 0,
					      __ATOMIC_RELAXED);
		raw_local_irq_enable();
		for (unsigned int nr = 0; pending; nr++, pending >>= 1)
			if (pending & 1)
				run_one(nr);
		raw_local_irq_disable();
		if (!end)
			end = ksync_now_ns() + MAX_SOFTIRQ_TIME_NS;
	} while (local_softirq_pending() && --restart &&
		 ksync_now_ns() < end);
	__preempt_count_sub(SOFTIRQ_OFFSET);
	raw_local_irq_restore(flags);
}

KSYNC_API void ksync_do_softirq(void)
{
	if (in_interrupt())
		return;
	if (local_softirq_pending())
		ksync_softirq_run_pending();
}

/*
 * __local_bh_enable_ip(): drop all but one preemption unit, run pending
 * softirqs if that leaves us outside interrupt context, drop the last.
 */
KSYNC_API void ksync_local_bh_enable_slow(unsigned int cnt,
					  const struct ksync_site *site)
{
	if (ksync_debug_checks()) {
		if (in_hardirq())
			ksync_warn_once(site, "local_bh_enable() in hardirq context\n");
		if ((unsigned int)softirq_count() < (cnt & SOFTIRQ_MASK))
			ksync_warn_once(site, "local_bh_enable() without a matching local_bh_disable()\n");
		/* The last enable turns softirqs on: lockdep marks held locks. */
		if ((unsigned int)softirq_count() == (cnt & SOFTIRQ_MASK))
			ksync_lockdep_softirqs_on(site);
	}
	__preempt_count_sub((int)cnt - 1);
	if (!in_interrupt() && local_softirq_pending() && !irqs_disabled())
		ksync_softirq_run_pending();
	__preempt_count_sub(1);
}

/* --- tasklets ---------------------------------------------------------------- */

static bool test_and_set(unsigned long *state, int bit)
{
	return __atomic_fetch_or(state, 1ul << bit, __ATOMIC_ACQ_REL) & (1ul << bit);
}

static bool test_bit(const unsigned long *state, int bit)
{
	return __atomic_load_n(state, __ATOMIC_ACQUIRE) & (1ul << bit);
}

static void clear_bit_release(unsigned long *state, int bit)
{
	__atomic_fetch_and(state, ~(1ul << bit), __ATOMIC_RELEASE);
}

KSYNC_API void ksync_tasklet_init(struct tasklet_struct *t,
				  void (*func)(unsigned long), unsigned long data)
{
	t->next = NULL;
	t->state = 0;
	atomic_set(&t->count, 0);
	t->func = func;
	t->data = data;
}

/* Append to this CPU's list (with interrupts off: handlers schedule too). */
static void tasklet_queue(struct tasklet_struct *t, int hi)
{
	struct ksync_cpu *c = ksync_this_cpu();
	struct tasklet_struct **p;
	unsigned long flags;

	raw_local_irq_save(flags);
	for (p = &context_cpu(c)->tasklets[hi]; *p; p = &(*p)->next)
		;
	t->next = NULL;
	*p = t;
	ksync_raise_softirq_irqoff(hi ? HI_SOFTIRQ : TASKLET_SOFTIRQ);
	raw_local_irq_restore(flags);
}

static void tasklet_schedule_common(struct tasklet_struct *t, int hi)
{
	if (test_and_set(&t->state, TASKLET_STATE_SCHED))
		return;		/* already scheduled */
	tasklet_queue(t, hi);
	run_now_if_allowed();
}

KSYNC_API void ksync_tasklet_schedule(struct tasklet_struct *t)
{
	tasklet_schedule_common(t, 0);
}

KSYNC_API void ksync_tasklet_hi_schedule(struct tasklet_struct *t)
{
	tasklet_schedule_common(t, 1);
}

/* Run one tasklet if it is enabled and not running elsewhere; else requeue. */
static void tasklet_run_one(struct tasklet_struct *t, int hi)
{
	if (!test_and_set(&t->state, TASKLET_STATE_RUN)) {
		if (!atomic_read(&t->count)) {
			clear_bit_release(&t->state, TASKLET_STATE_SCHED);
			t->func(t->data);
			clear_bit_release(&t->state, TASKLET_STATE_RUN);
			return;
		}
		clear_bit_release(&t->state, TASKLET_STATE_RUN);
	}
	tasklet_queue(t, hi);
}

static void tasklet_action_common(int hi)
{
	struct ksync_cpu *c = ksync_this_cpu();
	struct tasklet_struct *list, *next;
	unsigned long flags;

	raw_local_irq_save(flags);
	list = context_cpu(c)->tasklets[hi];
	context_cpu(c)->tasklets[hi] = NULL;
	raw_local_irq_restore(flags);
	for (; list; list = next) {
		next = list->next;
		tasklet_run_one(list, hi);
	}
}

static void tasklet_action(struct softirq_action *a)
{
	(void)a;
	tasklet_action_common(0);
}

static void tasklet_hi_action(struct softirq_action *a)
{
	(void)a;
	tasklet_action_common(1);
}

KSYNC_API void ksync_tasklet_kill(struct tasklet_struct *t)
{
	if (in_interrupt())
		ksync_warn_once(KSYNC_SITE("tasklet_kill"),
				"Attempt to kill tasklet from interrupt\n");
	/* Wait for a scheduled run to finish, then keep it unscheduled. */
	while (test_and_set(&t->state, TASKLET_STATE_SCHED)) {
		do {
			ksync_do_softirq();
			sched_yield();
		} while (test_bit(&t->state, TASKLET_STATE_SCHED));
	}
	while (test_bit(&t->state, TASKLET_STATE_RUN))
		sched_yield();
	clear_bit_release(&t->state, TASKLET_STATE_SCHED);
}

static void softirq_init(void)
{
	ksync_open_softirq(TASKLET_SOFTIRQ, tasklet_action);
	ksync_open_softirq(HI_SOFTIRQ, tasklet_hi_action);
}

KSYNC_HOOKS(softirq_hooks) = {
	.layer = KSYNC_LAYER_CONTEXT,
	.init = softirq_init,
};
