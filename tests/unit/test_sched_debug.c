// SPDX-License-Identifier: MIT
/*
 * The scheduler's and the preemption count's own checks, each provoked
 * in a child process and matched on its output:
 *
 *  - schedule() in atomic context: "BUG: scheduling while atomic" (the
 *    kernel's __schedule_bug(), always checked);
 *  - preempt_enable() without preempt_disable(), and preempt_disable()
 *    nested until the count would spill into the softirq field: the
 *    kernel's CONFIG_DEBUG_PREEMPT warnings, with KSYNC_DEBUG=1.
 */
#include <sys/prctl.h>
#include <ksync/bottom_half.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

/* --- children -------------------------------------------------------------- */

static DEFINE_SPINLOCK(atomic_lock);

static void child_schedule_in_spinlock(void)
{
	long left;

	prctl(PR_SET_NAME, "sleeper");
	spin_lock(&atomic_lock);
	set_current_state(TASK_UNINTERRUPTIBLE);
	left = schedule_timeout(1);
	spin_unlock(&atomic_lock);
	printf("went on, left %ld, preempt_count %x\n", left, preempt_count());
}

static void child_schedule_ok(void)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	schedule_timeout(1);
	spin_lock(&atomic_lock);
	spin_unlock(&atomic_lock);
	set_current_state(TASK_INTERRUPTIBLE);
	schedule_timeout(1);
	printf("went on\n");
}

static void child_preempt_underflow(void)
{
	preempt_enable();		/* never disabled */
	printf("preempt_count %08x\n", preempt_count());
	preempt_disable();
	preempt_enable();		/* balanced: fine */
	printf("preempt_count %08x\n", preempt_count());
}

static void child_preempt_nested(void)
{
	for (int i = 0; i < 300; i++)
		preempt_disable();
	printf("preempt_count %08x in_softirq %d\n", preempt_count(), !!in_softirq());
}

static void child_preempt_into_bh(void)
{
	local_bh_disable();
	preempt_enable();		/* the preempt field is empty */
	printf("preempt_count %08x\n", preempt_count());
	local_bh_enable();
	printf("preempt_count %08x\n", preempt_count());
}

static void child_preempt_balanced(void)
{
	for (int i = 0; i < 200; i++)
		preempt_disable();
	spin_lock(&atomic_lock);
	spin_unlock(&atomic_lock);
	for (int i = 0; i < 200; i++)
		preempt_enable();
	local_bh_disable();
	preempt_disable();
	preempt_enable();
	local_bh_enable();
	{
		guard(preempt)();
	}
	printf("preempt_count %08x\n", preempt_count());
}

static const struct ktest_scenario scenarios[] = {
	{ "schedule_in_spinlock", child_schedule_in_spinlock },
	{ "schedule_ok", child_schedule_ok },
	{ "preempt_underflow", child_preempt_underflow },
	{ "preempt_nested", child_preempt_nested },
	{ "preempt_into_bh", child_preempt_into_bh },
	{ "preempt_balanced", child_preempt_balanced },
	{ NULL, NULL },
};

/* --- the tests ---------------------------------------------------------------- */

static struct ktest_child c;

static void test_scheduling_while_atomic(void)
{
	RUN_CHILD(&c, "schedule_in_spinlock", debug_env, 20000);
	CHECK_OUT(&c, "BUG: scheduling while atomic: sleeper/");
	CHECK_OUT(&c, "/0x00000001\n1 lock held by sleeper/");
	CHECK_OUT(&c, " #0: ");
	CHECK_OUT(&c, "(atomic_lock), at: test_sched_debug.c:");
	CHECK_OUT(&c, "Preemption disabled at:\n");
	CHECK_OUT(&c, "Call Trace:\n");
	CHECK_OUT(&c, "child_schedule_in_spinlock");
	/* Not a lockdep report: the program goes on, the count intact. */
	CHECK_OUT(&c, "went on, left 0, preempt_count 0\n");

	/* Checked without KSYNC_DEBUG too (no held-lock list then). */
	RUN_CHILD(&c, "schedule_in_spinlock", NULL, 20000);
	CHECK_OUT(&c, "BUG: scheduling while atomic: sleeper/");
	CHECK_OUT(&c, "/0x00000001\n");
	CHECK_OUT(&c, "Call Trace:\n");
	CHECK_OUT(&c, "went on, left 0, preempt_count 0\n");
}

static void test_scheduling_outside_atomic_is_silent(void)
{
	RUN_CHILD(&c, "schedule_ok", debug_env, 20000);
	CHECK_OUT(&c, "went on");
	CHECK_NOT_OUT(&c, "BUG:");
}

static void test_preempt_enable_underflow(void)
{
	RUN_CHILD(&c, "preempt_underflow", debug_env, 20000);
	CHECK_OUT(&c, "------------[ cut here ]------------\n"
		  "DEBUG_LOCKS_WARN_ON(val > preempt_count())\n");
	CHECK_OUT(&c, " at test_sched_debug.c:");
	/* Refused, as the kernel does: the count is not wrapped. */
	CHECK_OUT(&c, "preempt_count 00000000\npreempt_count 00000000\n");

	/* Without the checks the count wraps, as before (and as the kernel). */
	RUN_CHILD(&c, "preempt_underflow", NULL, 20000);
	CHECK_NOT_OUT(&c, "DEBUG_LOCKS_WARN_ON");
	CHECK_OUT(&c, "preempt_count ffffffff\n");
}

static void test_preempt_disable_overflow(void)
{
	RUN_CHILD(&c, "preempt_nested", debug_env, 20000);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON((preempt_count() & PREEMPT_MASK) >= PREEMPT_MASK - 10)\n");
	CHECK_OUT(&c, "preempt_count 000000f5: preemption disabled 245 times over");
	CHECK_OUT(&c, " at test_sched_debug.c:");
	/* Warned once; the kernel, too, goes on counting. */
	CHECK_OUT(&c, "preempt_count 0000012c in_softirq 1\n");
}

static void test_preempt_enable_inside_bh(void)
{
	RUN_CHILD(&c, "preempt_into_bh", debug_env, 20000);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON((val < PREEMPT_MASK) && "
		  "!(preempt_count() & PREEMPT_MASK))\n");
	CHECK_OUT(&c, "preempt_count 00000200\npreempt_count 00000000\n");
}

static void test_balanced_use_is_silent(void)
{
	RUN_CHILD(&c, "preempt_balanced", debug_env, 20000);
	CHECK_NOT_OUT(&c, "DEBUG_LOCKS_WARN_ON");
	CHECK_NOT_OUT(&c, "BUG:");
	CHECK_OUT(&c, "preempt_count 00000000\n");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_scheduling_while_atomic);
	RUN(test_scheduling_outside_atomic_is_silent);
	RUN(test_preempt_enable_underflow);
	RUN(test_preempt_disable_overflow);
	RUN(test_preempt_enable_inside_bh);
	RUN(test_balanced_use_is_silent);
	return 0;
}
