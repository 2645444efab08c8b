// SPDX-License-Identifier: MIT
/*
 * might_sleep() and cant_sleep() reports (kernel/sched/core.c
 * __might_resched), and the hook that lets an interrupt wake an
 * interruptible sleeper.
 */
#define _GNU_SOURCE
#include <ksync/sched.h>
#include "cpu.h"
#include "futex.h"
#include "irq_internal.h"
#include "ksync_internal.h"
#include "report.h"
#include "sched_internal.h"

/* Once a second at most, as the kernel's prev_jiffy check. */
static bool rate_limited(void)
{
	static uint64_t prev;
	uint64_t now = ksync_now_ns();
	uint64_t last = __atomic_load_n(&prev, __ATOMIC_RELAXED);

	if (last && now - last < 1000000000ull)
		return true;
	return !__atomic_compare_exchange_n(&prev, &last, now, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static const char *site_file(const struct ksync_site *site)
{
	const char *slash;

	if (!site)
		return "?";
	slash = __builtin_strrchr(site->file, '/');
	return slash ? slash + 1 : site->file;
}

KSYNC_API void ksync_might_resched_report(const struct ksync_site *site,
					  int expected_preempt)
{
	char comm[KSYNC_COMM_LEN];

	if (rate_limited())
		return;
	ksync_report_lock();
	ksync_printk("BUG: sleeping function called from invalid context at %s:%d\n",
		     site_file(site), site ? site->line : 0);
	ksync_printk("in_atomic(): %d, irqs_disabled(): %d, non_block: %d, pid: %d, name: %s\n",
		     in_atomic() ? 1 : 0, irqs_disabled() ? 1 : 0, 0,
		     (int)ksync_gettid(), ksync_comm(comm));
	ksync_printk("preempt_count: %x, expected: %x\n", (unsigned)preempt_count(),
		     (unsigned)expected_preempt);
	ksync_printk("RCU nest depth: %d, expected: %u\n", 0, 0u);
	ksync_lockdep_print_held_locks_if_tracked();
	if (irqs_disabled())
		ksync_print_irqtrace_events();
	ksync_print_preempt_disable_site();
	ksync_dump_stack();
	ksync_report_unlock();
}

KSYNC_API void ksync_cant_sleep_report(const struct ksync_site *site)
{
	char comm[KSYNC_COMM_LEN];

	if (rate_limited())
		return;
	ksync_report_lock();
	ksync_printk("BUG: assuming atomic context at %s:%d\n", site_file(site),
		     site ? site->line : 0);
	ksync_printk("in_atomic(): %d, irqs_disabled(): %d, pid: %d, name: %s\n",
		     in_atomic() ? 1 : 0, irqs_disabled() ? 1 : 0,
		     (int)ksync_gettid(), ksync_comm(comm));
	ksync_printk("preempt_count: %x, expected: %x\n", (unsigned)preempt_count(), 0u);
	ksync_dump_stack();
	ksync_report_unlock();
}

/*
 * An interrupt was handled on this thread.  If the thread was in an
 * interruptible sleep, mark a signal pending and make it runnable: its
 * futex wait on the state word then returns (the kernel restarts the
 * wait after the handler, finds the word changed, and returns EAGAIN).
 */
void ksync_sched_irq_arrived(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	uint32_t state;

	if (!c)
		return;
	state = __atomic_load_n(&c->state, __ATOMIC_RELAXED);
	if (!(state & KSYNC_TASK_INTERRUPTIBLE))
		return;
	__atomic_store_n(&c->sigpending, 1, __ATOMIC_RELAXED);
	__atomic_compare_exchange_n(&c->state, &state, KSYNC_TASK_RUNNING, 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}
