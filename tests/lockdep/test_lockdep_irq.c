// SPDX-License-Identifier: MIT
/*
 * KSYNC_LOCKDEP=1 and interrupt state: the hardirq and softirq safe/unsafe
 * combinations of the kernel's self-tests, with real interrupts (a signal
 * requested with request_irq() and raised on this thread) and real
 * softirqs (a tasklet run by local_bh_enable()).  Each scenario runs in a
 * child and is matched on its report; the correct forms must be silent.
 */
#include <signal.h>
#include <ksync/interrupt.h>
#include <ksync/lockdep.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest.h"

#define IRQ	SIGUSR1

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };

static DEFINE_SPINLOCK(irq_lock);	/* taken by the interrupt handler */
static DEFINE_SPINLOCK(other_lock);	/* never taken in an interrupt */
static volatile int handled;
static int dev_id;

static irqreturn_t take_irq_lock(int irq, void *dev)
{
	spin_lock(&irq_lock);
	handled++;
	spin_unlock(&irq_lock);
	return IRQ_HANDLED;
}

/* Raise the interrupt on this thread and wait until it has run. */
static void interrupt_now(void)
{
	int before = handled;

	if (request_irq(IRQ, take_irq_lock, 0, "lockdep-test", &dev_id) != 0) {
		printf("request_irq failed\n");
		exit(3);
	}
	ksync_raise_irq(smp_processor_id(), IRQ);
	while (handled == before)
		ktest_sleep_ms(1);	/* TSan delivers at the next libc call */
	free_irq(IRQ, &dev_id);
}

static void tasklet_fn(unsigned long data)
{
	spin_lock(&irq_lock);
	handled++;
	spin_unlock(&irq_lock);
}

static DECLARE_TASKLET(tl, tasklet_fn, 0);

/* Run the tasklet in softirq context: scheduled, then bottom halves on. */
static void softirq_now(void)
{
	local_bh_disable();
	tasklet_schedule(&tl);
	local_bh_enable();
}

/* --- inconsistent lock state ---------------------------------------------------- */

static void hardirq_on_then_in(void)
{
	spin_lock(&irq_lock);
	spin_unlock(&irq_lock);
	interrupt_now();
	printf("went on\n");
}

static void hardirq_in_then_on(void)
{
	interrupt_now();
	spin_lock(&irq_lock);
	spin_unlock(&irq_lock);
	printf("went on\n");
}

/* Interrupts enabled while a lock used in interrupts is held. */
static void hardirq_enabled_under(void)
{
	unsigned long flags;

	interrupt_now();
	spin_lock_irqsave(&irq_lock, flags);
	local_irq_enable();
	local_irq_disable();
	spin_unlock_irqrestore(&irq_lock, flags);
	printf("went on\n");
}

static void hardirq_correct(void)
{
	unsigned long flags;

	interrupt_now();
	spin_lock_irqsave(&irq_lock, flags);
	spin_unlock_irqrestore(&irq_lock, flags);
	spin_lock_irq(&irq_lock);
	spin_unlock_irq(&irq_lock);
	spin_lock_irq_disable(&irq_lock);
	spin_unlock_irq_enable(&irq_lock);
	interrupt_now();
	/* An irq-safe lock may be taken inside another one, with irqs off. */
	spin_lock_irqsave(&other_lock, flags);
	spin_lock(&irq_lock);
	spin_unlock(&irq_lock);
	spin_unlock_irqrestore(&other_lock, flags);
	printf("went on\n");
}

static void softirq_on_then_in(void)
{
	spin_lock(&irq_lock);
	spin_unlock(&irq_lock);
	softirq_now();
	printf("went on\n");
}

static void softirq_in_then_on(void)
{
	softirq_now();
	spin_lock(&irq_lock);
	spin_unlock(&irq_lock);
	printf("went on\n");
}

static void softirq_correct(void)
{
	softirq_now();
	spin_lock_bh(&irq_lock);
	spin_unlock_bh(&irq_lock);
	spin_lock_irq(&irq_lock);
	spin_unlock_irq(&irq_lock);
	softirq_now();
	printf("went on\n");
}

/* --- safe -> unsafe order ---------------------------------------------------------- */

static void hardirq_safe_unsafe(void)
{
	unsigned long flags;

	spin_lock(&other_lock);		/* other_lock: hardirq-unsafe */
	spin_unlock(&other_lock);
	interrupt_now();		/* irq_lock: hardirq-safe */
	spin_lock_irqsave(&irq_lock, flags);
	spin_lock(&other_lock);		/* irq_lock -> other_lock */
	spin_unlock(&other_lock);
	spin_unlock_irqrestore(&irq_lock, flags);
	printf("went on\n");
}

static void softirq_safe_unsafe(void)
{
	spin_lock(&other_lock);		/* softirq-unsafe */
	spin_unlock(&other_lock);
	softirq_now();			/* irq_lock: softirq-safe */
	spin_lock_bh(&irq_lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock_bh(&irq_lock);
	printf("went on\n");
}

/* --- irq lock inversion -------------------------------------------------------------- */

/* The order irq_lock -> other_lock exists before irq_lock turns irq-safe. */
static void hardirq_inversion_forwards(void)
{
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	local_irq_disable();
	spin_lock(&irq_lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&irq_lock);
	local_irq_enable();
	interrupt_now();
	printf("went on\n");
}

/* irq_lock is irq-safe and ordered before other_lock; then other_lock is
 * taken with interrupts on. */
static void hardirq_inversion_backwards(void)
{
	interrupt_now();
	local_irq_disable();
	spin_lock(&irq_lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&irq_lock);
	local_irq_enable();
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	printf("went on\n");
}

static void softirq_inversion_forwards(void)
{
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	local_bh_disable();
	spin_lock(&irq_lock);
	spin_lock(&other_lock);
	spin_unlock(&other_lock);
	spin_unlock(&irq_lock);
	local_bh_enable();
	softirq_now();
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "hardirq_on_then_in", hardirq_on_then_in },
	{ "hardirq_in_then_on", hardirq_in_then_on },
	{ "hardirq_enabled_under", hardirq_enabled_under },
	{ "hardirq_correct", hardirq_correct },
	{ "softirq_on_then_in", softirq_on_then_in },
	{ "softirq_in_then_on", softirq_in_then_on },
	{ "softirq_correct", softirq_correct },
	{ "hardirq_safe_unsafe", hardirq_safe_unsafe },
	{ "softirq_safe_unsafe", softirq_safe_unsafe },
	{ "hardirq_inversion_forwards", hardirq_inversion_forwards },
	{ "hardirq_inversion_backwards", hardirq_inversion_backwards },
	{ "softirq_inversion_forwards", softirq_inversion_forwards },
	{ NULL, NULL },
};

/* --- the parent ------------------------------------------------------------------- */

static struct ktest_child c;

static void run(const char *name)
{
	RUN_CHILD(&c, name, lockdep_env, 20000);
	CHECK_OUT(&c, "went on");
}

static void expect_inconsistent(const char *name, const char *usage, const char *ctx)
{
	run(name);
	CHECK_OUT(&c, "\n================================\n"
		      "WARNING: inconsistent lock state\n");
	CHECK_OUT(&c, usage);
	CHECK_OUT(&c, ctx);
	CHECK_OUT(&c, "(irq_lock){");
	CHECK_OUT(&c, "state was registered at:\n  at test_lockdep_irq.c:");
	CHECK_OUT(&c, "irq event stamp: ");
	CHECK_OUT(&c, "hardirqs last  enabled at (");
	CHECK_OUT(&c, "  lock(irq_lock);\n  <Interrupt>\n    lock(irq_lock);\n");
	CHECK_OUT(&c, "stack backtrace:");
}

static void test_inconsistent_hardirq(void)
{
	expect_inconsistent("hardirq_on_then_in",
			    "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.\n",
			    " [HC1[1]:SC0[0]:HE0:SE1] takes:\n");
	/* Taken in the handler; the first usage was in process context. */
	CHECK_OUT(&c, "(irq_lock){?.+.}-{3:3}, at: test_lockdep_irq.c:");
	CHECK_OUT(&c, "in hardirq_on_then_in()");
	expect_inconsistent("hardirq_in_then_on",
			    "inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.\n",
			    " [HC0[0]:SC0[0]:HE1:SE1] takes:\n");
	expect_inconsistent("hardirq_enabled_under",
			    "inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.\n",
			    " takes:\n");
}

static void test_inconsistent_softirq(void)
{
	expect_inconsistent("softirq_on_then_in",
			    "inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage.\n",
			    " [HC0[0]:SC1[1]:HE1:SE0] takes:\n");
	CHECK_OUT(&c, "in softirq_on_then_in()");
	expect_inconsistent("softirq_in_then_on",
			    "inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.\n",
			    " [HC0[0]:SC0[0]:HE1:SE1] takes:\n");
}

static void test_correct_is_silent(void)
{
	run("hardirq_correct");
	CHECK_NOT_OUT(&c, "WARNING");
	run("softirq_correct");
	CHECK_NOT_OUT(&c, "WARNING");
}

static void expect_safe_unsafe(const char *name, const char *irq)
{
	char buf[256];

	run(name);
	snprintf(buf, sizeof(buf), "WARNING: %s-safe -> %s-unsafe lock order detected\n",
		 irq, irq);
	CHECK_OUT(&c, buf);
	CHECK_OUT(&c, "is trying to acquire:\n");
	CHECK_OUT(&c, "and this task is already holding:\n");
	CHECK_OUT(&c, "which would create a new lock dependency:\n"
		      " (irq_lock){");
	snprintf(buf, sizeof(buf), "but this new dependency connects a %s-irq-safe lock:\n"
		 " (irq_lock){", irq);
	CHECK_OUT(&c, buf);
	snprintf(buf, sizeof(buf), "to a %s-irq-unsafe lock:\n (other_lock){", irq);
	CHECK_OUT(&c, buf);
	CHECK_OUT(&c, " Possible interrupt unsafe locking scenario:\n");
	CHECK_OUT(&c, "  lock(other_lock);\n"
		      "                               local_irq_disable();\n"
		      "                               lock(irq_lock);\n"
		      "                               lock(other_lock);\n"
		      "  <Interrupt>\n"
		      "    lock(irq_lock);\n");
	CHECK_OUT(&c, "the dependencies between the lock to be acquired");
	CHECK_OUT(&c, "stack backtrace:");
}

static void test_safe_unsafe(void)
{
	expect_safe_unsafe("hardirq_safe_unsafe", "HARDIRQ");
	expect_safe_unsafe("softirq_safe_unsafe", "SOFTIRQ");
}

static void test_inversion(void)
{
	run("hardirq_inversion_forwards");
	CHECK_OUT(&c, "WARNING: possible irq lock inversion dependency detected\n");
	CHECK_OUT(&c, "just changed the state of lock:\n");
	CHECK_OUT(&c, "but this lock took another, HARDIRQ-unsafe lock in the past:\n"
		      " (other_lock){");
	CHECK_OUT(&c, "and interrupts could create inverse lock ordering between them.");
	CHECK_OUT(&c, "the shortest dependencies between 2nd lock and 1st lock:");
	run("hardirq_inversion_backwards");
	CHECK_OUT(&c, "WARNING: possible irq lock inversion dependency detected\n");
	CHECK_OUT(&c, "but this lock was taken by another, HARDIRQ-safe lock in the past:\n"
		      " (irq_lock){");
	run("softirq_inversion_forwards");
	CHECK_OUT(&c, "WARNING: possible irq lock inversion dependency detected\n");
	CHECK_OUT(&c, "but this lock took another, SOFTIRQ-unsafe lock in the past:\n");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_inconsistent_hardirq);
	RUN(test_inconsistent_softirq);
	RUN(test_correct_is_silent);
	RUN(test_safe_unsafe);
	RUN(test_inversion);
	return 0;
}
