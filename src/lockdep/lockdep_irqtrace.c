// SPDX-License-Identifier: MIT
/*
 * Interrupt-state tracing (the kernel's lockdep_hardirqs_on/off,
 * trace_softirqs_on/off): each change is stamped, and enabling interrupts
 * or softirqs marks every held lock as taken with them enabled.  Also the
 * pieces of other reports that show these stamps.
 */
#define _GNU_SOURCE
#include <ksync/irqflags.h>
#include <ksync/lockdep.h>
#include <ksync/preempt.h>
#include "cpu.h"
#include "lockdep_internal.h"
#include "report.h"

void ksync_lockdep_hardirqs_off(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &lockdep_cpu(ksync_this_cpu())->irqtrace;

	t->hardirq_disable_event = ++t->irq_events;
	t->hardirq_disable_site = site;
}

/* Interrupts are about to be enabled: every held lock becomes irq-unsafe. */
void ksync_lockdep_hardirqs_on(const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	struct ksync_irqtrace *t = &lockdep_cpu(c)->irqtrace;
	unsigned long flags;

	t->hardirq_enable_event = ++t->irq_events;
	t->hardirq_enable_site = site;
	if (!lockdep_validating() || lockdep_cpu(c)->recursion || !lockdep_cpu(c)->held.depth)
		return;
	flags = lockdep_enter(c);
	if (mark_held_locks(c, LOCK_ENABLED_HARDIRQ, site, 0) && lockdep_softirqs_enabled())
		mark_held_locks(c, LOCK_ENABLED_SOFTIRQ, site, 0);
	lockdep_exit(c, flags);
}

/* Called by the last local_bh_enable(), before softirqs are on again. */
void ksync_lockdep_softirqs_on(const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	struct ksync_irqtrace *t = &lockdep_cpu(c)->irqtrace;
	unsigned long flags;

	t->softirq_enable_event = ++t->irq_events;
	t->softirq_enable_site = site;
	if (!lockdep_validating() || lockdep_cpu(c)->recursion || !lockdep_cpu(c)->held.depth ||
	    irqs_disabled())
		return;
	flags = lockdep_enter(c);
	mark_held_locks(c, LOCK_ENABLED_SOFTIRQ, site, 0);
	lockdep_exit(c, flags);
}

KSYNC_API void ksync_trace_softirqs_off(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &lockdep_cpu(ksync_this_cpu())->irqtrace;

	t->softirq_disable_event = ++t->irq_events;
	t->softirq_disable_site = site;
}

/* --- pieces of other reports --------------------------------------------------------- */

static void print_irq_event(const char *what, unsigned int event,
			    const struct ksync_site *site)
{
	char where[256];

	ksync_printk("%s at (%u): %s\n", what, event,
		     site ? ksync_site_str(site, 0, where, sizeof(where)) : "0x0");
}

void ksync_print_irqtrace_events(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	const struct ksync_irqtrace *t;

	if (!c)
		return;
	t = &lockdep_cpu(c)->irqtrace;
	ksync_printk("irq event stamp: %u\n", t->irq_events);
	print_irq_event("hardirqs last  enabled", t->hardirq_enable_event,
			t->hardirq_enable_site);
	print_irq_event("hardirqs last disabled", t->hardirq_disable_event,
			t->hardirq_disable_site);
	print_irq_event("softirqs last  enabled", t->softirq_enable_event,
			t->softirq_enable_site);
	print_irq_event("softirqs last disabled", t->softirq_disable_event,
			t->softirq_disable_site);
}

/*
 * The kernel prints where preemption was disabled (with the preempt
 * tracer).  Here the outermost held lock is where it was, when known.
 */
void ksync_print_preempt_disable_site(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	char where[256];

	if (!c || !lockdep_tracking() || !lockdep_cpu(c)->held.depth || !preempt_count())
		return;
	ksync_printk("Preemption disabled at:\n");
	ksync_printk("[<%p>] %s\n", (void *)lockdep_cpu(c)->held.stack[0].ip,
		     ksync_site_str(lockdep_cpu(c)->held.stack[0].site, lockdep_cpu(c)->held.stack[0].ip,
				    where, sizeof(where)));
}

