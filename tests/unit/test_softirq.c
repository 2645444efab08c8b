// SPDX-License-Identifier: MIT
/*
 * Softirqs and tasklets: raised in a hardirq handler they run at its exit,
 * in softirq context with interrupts on; never inside a bh-disabled
 * section (they wait for its local_bh_enable()) and never in hardirq
 * context; raised in task context they run at once; a softirq that raises
 * more is restarted.  Tasklets run once per scheduling, not while
 * disabled, and tasklet_kill() waits for them.
 */
#include <ksync/interrupt.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static int irq;
/* Changed by handlers behind calls the compiler thinks cannot reach them. */
static volatile int softirq_runs, bad_context, hardirq_done, order_ok;

static void timer_softirq(struct softirq_action *a)
{
	(void)a;
	if (in_hardirq() || !in_serving_softirq() || irqs_disabled())
		bad_context++;
	/* At irq exit: the hardirq handler finished before us. */
	if (hardirq_done)
		order_ok++;
	softirq_runs++;
}

static irqreturn_t raise_from_hardirq(int n, void *dev)
{
	(void)n;
	(void)dev;
	raise_softirq(TIMER_SOFTIRQ);
	CHECK_EQ(softirq_runs, 0);	/* not now: we are in hardirq */
	hardirq_done = 1;
	return IRQ_HANDLED;
}

static void reset(void)
{
	softirq_runs = bad_context = hardirq_done = order_ok = 0;
}

static void test_runs_at_irq_exit(void)
{
	reset();
	CHECK(pthread_kill(pthread_self(), irq) == 0);
	CHECK_EQ(softirq_runs, 1);
	CHECK_EQ(order_ok, 1);
	CHECK_EQ(bad_context, 0);
	CHECK_EQ(local_softirq_pending(), 0);
}

static void test_waits_for_local_bh_enable(void)
{
	reset();
	local_bh_disable();
	CHECK(in_softirq() && !in_serving_softirq());
	CHECK(pthread_kill(pthread_self(), irq) == 0);
	CHECK_EQ(hardirq_done, 1);
	CHECK_EQ(softirq_runs, 0);	/* bottom halves are off */
	CHECK(local_softirq_pending() & (1u << TIMER_SOFTIRQ));
	local_bh_enable();
	CHECK_EQ(softirq_runs, 1);
	CHECK_EQ(bad_context, 0);

	/* spin_lock_bh() disables bottom halves too. */
	DEFINE_SPINLOCK(l);
	reset();
	spin_lock_bh(&l);
	CHECK(pthread_kill(pthread_self(), irq) == 0);
	CHECK_EQ(softirq_runs, 0);
	spin_unlock_bh(&l);
	CHECK_EQ(softirq_runs, 1);
}

static void test_task_context_runs_at_once(void)
{
	reset();
	hardirq_done = 1;
	raise_softirq(TIMER_SOFTIRQ);
	CHECK_EQ(softirq_runs, 1);
	CHECK_EQ(bad_context, 0);

	/* With interrupts off it waits for a point where it may run. */
	reset();
	local_irq_disable();
	raise_softirq_irqoff(TIMER_SOFTIRQ);
	CHECK_EQ(softirq_runs, 0);
	local_irq_enable();
	CHECK_EQ(softirq_runs, 0);
	do_softirq();
	CHECK_EQ(softirq_runs, 1);
}

static volatile int chain_runs;

static void chain_softirq(struct softirq_action *a)
{
	(void)a;
	if (++chain_runs < 3)
		raise_softirq_irqoff(NET_RX_SOFTIRQ);	/* restarts the loop */
}

static void test_raised_again_is_restarted(void)
{
	open_softirq(NET_RX_SOFTIRQ, chain_softirq);
	raise_softirq(NET_RX_SOFTIRQ);
	CHECK_EQ(chain_runs, 3);
	CHECK_EQ(local_softirq_pending(), 0);
}

static volatile int tasklet_runs;
static volatile unsigned long tasklet_data;

static void tasklet_fn(unsigned long data)
{
	if (!in_serving_softirq() || in_hardirq())
		bad_context++;
	tasklet_data = data;
	tasklet_runs++;
}

static DECLARE_TASKLET(tl, tasklet_fn, 42);

static irqreturn_t schedule_tasklet_twice(int n, void *dev)
{
	(void)n;
	(void)dev;
	tasklet_schedule(&tl);
	tasklet_schedule(&tl);		/* already scheduled: one run */
	return IRQ_HANDLED;
}

static void test_tasklets(void)
{
	bad_context = 0;
	CHECK(free_irq((unsigned)irq, NULL) != NULL);
	CHECK_EQ(request_irq((unsigned)irq, schedule_tasklet_twice, 0, "tl", NULL), 0);
	CHECK(pthread_kill(pthread_self(), irq) == 0);
	CHECK_EQ(tasklet_runs, 1);
	CHECK_EQ(tasklet_data, 42);
	CHECK_EQ(bad_context, 0);

	tasklet_disable_nosync(&tl);
	tasklet_schedule(&tl);
	CHECK_EQ(tasklet_runs, 1);	/* disabled: stays scheduled */
	tasklet_enable(&tl);
	do_softirq();
	CHECK_EQ(tasklet_runs, 2);
	tasklet_kill(&tl);
	CHECK(!(tl.state & (1ul << TASKLET_STATE_SCHED)));
	CHECK(free_irq((unsigned)irq, NULL) != NULL);
}

int main(void)
{
	irq = SIGRTMIN + 2;
	open_softirq(TIMER_SOFTIRQ, timer_softirq);
	CHECK_EQ(request_irq((unsigned)irq, raise_from_hardirq, 0, "softirq-test", NULL), 0);
	RUN(test_runs_at_irq_exit);
	RUN(test_waits_for_local_bh_enable);
	RUN(test_task_context_runs_at_once);
	RUN(test_raised_again_is_restarted);
	RUN(test_tasklets);
	return 0;
}
