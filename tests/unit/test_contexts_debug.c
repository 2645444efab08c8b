// SPDX-License-Identifier: MIT
/*
 * Context misuse, each provoked in a child process and matched on its
 * output: sleeping in atomic context, unbalanced interrupt enabling,
 * a handler taking a spinlock its thread holds with interrupts on, a
 * stale lock_with() token, a softirq that leaks preemption counts.
 */
#include <sys/prctl.h>
#include <ksync/interrupt.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

/* --- children -------------------------------------------------------------- */

static DEFINE_SPINLOCK(atomic_lock);

static void child_might_sleep_in_spinlock(void)
{
	prctl(PR_SET_NAME, "sleeper");
	spin_lock(&atomic_lock);
	might_sleep();
	might_sleep();			/* rate-limited: not printed again */
	spin_unlock(&atomic_lock);
	might_sleep();			/* fine here */
	printf("went on\n");
}

static void child_might_sleep_irqs_off(void)
{
	local_irq_disable();
	might_sleep();
	local_irq_enable();
	printf("went on\n");
}

static void child_might_sleep_ok(void)
{
	might_sleep();			/* task context: fine */
	spin_lock(&atomic_lock);
	cant_sleep();			/* atomic context: fine */
	spin_unlock(&atomic_lock);
	printf("went on\n");
}

static void child_cant_sleep(void)
{
	cant_sleep();
	printf("went on\n");
}

static void child_irq_enable_unbalanced(void)
{
	local_irq_enable();
	printf("went on\n");
}

static void child_interrupt_enable_underflow(void)
{
	local_interrupt_disable();
	local_interrupt_enable();
	local_interrupt_enable();
	printf("went on\n");
}

static void child_enable_inside_counted(void)
{
	DEFINE_SPINLOCK(l);

	local_interrupt_disable();
	spin_lock_irq(&l);
	spin_unlock_irq(&l);		/* turns interrupts on too early */
	local_interrupt_enable();
	printf("went on\n");
}

static DEFINE_SPINLOCK(shared_with_handler);

static irqreturn_t takes_the_lock(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	spin_lock(&shared_with_handler);
	spin_unlock(&shared_with_handler);
	return IRQ_HANDLED;
}

static void child_handler_recursion(void)
{
	request_irq(SIGUSR1, takes_the_lock, 0, "recursion", NULL);
	spin_lock(&shared_with_handler);	/* should be spin_lock_irq */
	pthread_kill(pthread_self(), SIGUSR1);	/* deadlocks in the kernel */
	printf("unreachable\n");
}

static void child_stale_token(void)
{
	DEFINE_SPINLOCK(l);
	local_interrupt_disabled_t tok = local_interrupt_disable();

	local_interrupt_enable();
	spin_lock_with(&l, &tok);	/* interrupts are on again */
	spin_unlock(&l);
	printf("went on\n");
}

static void leaky_softirq(struct softirq_action *a)
{
	(void)a;
	preempt_disable();		/* and never enabled */
}

static void child_softirq_leak(void)
{
	open_softirq(BLOCK_SOFTIRQ, leaky_softirq);
	raise_softirq(BLOCK_SOFTIRQ);
	printf("preempt_count %d\n", preempt_count());
}

static const struct ktest_scenario scenarios[] = {
	{ "might_sleep_in_spinlock", child_might_sleep_in_spinlock },
	{ "might_sleep_irqs_off", child_might_sleep_irqs_off },
	{ "might_sleep_ok", child_might_sleep_ok },
	{ "cant_sleep", child_cant_sleep },
	{ "irq_enable_unbalanced", child_irq_enable_unbalanced },
	{ "interrupt_enable_underflow", child_interrupt_enable_underflow },
	{ "enable_inside_counted", child_enable_inside_counted },
	{ "handler_recursion", child_handler_recursion },
	{ "stale_token", child_stale_token },
	{ "softirq_leak", child_softirq_leak },
	{ NULL, NULL },
};

/* --- checks ---------------------------------------------------------------- */

static struct ktest_child c;

static void test_might_sleep_in_atomic(void)
{
	ktest_run_child(&c, "might_sleep_in_spinlock", NULL, 10000);	/* no switch needed */
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_contexts_debug.c:");
	CHECK_OUT(&c, "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ");
	CHECK_OUT(&c, ", name: sleeper\n");
	CHECK_OUT(&c, "preempt_count: 1, expected: 0\n");
	CHECK_OUT(&c, "RCU nest depth: 0, expected: 0\n");
	CHECK_OUT(&c, "Call Trace:");
	CHECK_EQ(ktest_count(c.out, "BUG: sleeping function"), 1);
	CHECK_OUT(&c, "went on");

	/* With KSYNC_DEBUG the held locks and where preemption went off. */
	ktest_run_child(&c, "might_sleep_in_spinlock", debug_env, 10000);
	CHECK_OUT(&c, "1 lock held by sleeper/");
	CHECK_OUT(&c, "(atomic_lock), at: test_contexts_debug.c:");
	CHECK_OUT(&c, "Preemption disabled at:");
}

static void test_might_sleep_irqs_off(void)
{
	RUN_CHILD(&c, "might_sleep_irqs_off", debug_env, 10000);
	CHECK_OUT(&c, "in_atomic(): 0, irqs_disabled(): 1,");
	CHECK_OUT(&c, "irq event stamp: ");
	CHECK_OUT(&c, "hardirqs last disabled at (");
}

static void test_might_sleep_ok_is_silent(void)
{
	RUN_CHILD(&c, "might_sleep_ok", debug_env, 10000);
	CHECK_NOT_OUT(&c, "BUG");
}

static void test_cant_sleep(void)
{
	RUN_CHILD(&c, "cant_sleep", NULL, 10000);
	CHECK_OUT(&c, "BUG: assuming atomic context at test_contexts_debug.c:");
}

static void test_unbalanced_irq_enable(void)
{
	RUN_CHILD(&c, "irq_enable_unbalanced", debug_env, 10000);
	CHECK_OUT(&c, "------------[ cut here ]------------");
	CHECK_OUT(&c, "interrupts are already enabled (local_irq_enable() without a matching local_irq_disable())");
	CHECK_OUT(&c, "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_contexts_debug.c:");
}

static void test_interrupt_enable_underflow(void)
{
	ktest_run_child(&c, "interrupt_enable_underflow", NULL, 10000);	/* always checked */
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "local_interrupt_enable(): count underflow");
	CHECK_OUT(&c, "WARNING: CPU: ");
}

static void test_enable_inside_counted(void)
{
	RUN_CHILD(&c, "enable_inside_counted", debug_env, 10000);
	CHECK_OUT(&c, "interrupts enabled inside local_interrupt_disable() (count 1)");
}

static void test_handler_takes_held_lock(void)
{
	ktest_run_child(&c, "handler_recursion", debug_env, 1500);
	CHECK(c.timed_out);		/* a real deadlock, as in the kernel */
	CHECK_OUT(&c, "BUG: spinlock recursion on CPU#");
	CHECK_OUT(&c, " lock: shared_with_handler, .magic: dead4ead");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_stale_token(void)
{
	RUN_CHILD(&c, "stale_token", debug_env, 10000);
	CHECK_OUT(&c, "spin_lock_with(): interrupts are enabled: the local_interrupt_disabled token does not hold");
	ktest_run_child(&c, "stale_token", NULL, 10000);	/* unchecked without debugging */
	CHECK_NOT_OUT(&c, "WARNING");
}

static void test_softirq_leak_repaired(void)
{
	RUN_CHILD(&c, "softirq_leak", NULL, 10000);
	CHECK_OUT(&c, "huh, entered softirq 4 BLOCK ");
	CHECK_OUT(&c, "with preempt_count 00000100, exited with 00000101?");
	CHECK_OUT(&c, "preempt_count 0\n");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_might_sleep_in_atomic);
	RUN(test_might_sleep_irqs_off);
	RUN(test_might_sleep_ok_is_silent);
	RUN(test_cant_sleep);
	RUN(test_unbalanced_irq_enable);
	RUN(test_interrupt_enable_underflow);
	RUN(test_enable_inside_counted);
	RUN(test_handler_takes_held_lock);
	RUN(test_stale_token);
	RUN(test_softirq_leak_repaired);
	return 0;
}
