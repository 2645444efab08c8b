// SPDX-License-Identifier: MIT
/* Model-checked: models/irqflags.pml (docs/models.md); change both together. */
/*
 * The soft interrupt mask: replaying interrupts that arrived while it was
 * set, and the debug checks around it.
 *
 * local_irq_enable() clears the mask and, if the dispatcher held anything
 * back meanwhile, calls ksync_irq_replay(), which runs those handlers in
 * hardirq context on this thread before local_irq_enable() returns.  A
 * signal arriving during the replay finds the mask set again and is held
 * too, so the loop ends only when nothing is pending with the mask clear.
 */
#define _GNU_SOURCE
#include <ksync/hardirq.h>
#include <ksync/irqflags.h>
#include "irq_internal.h"
#include "ksync_internal.h"
#include "report.h"

KSYNC_API void ksync_irq_replay(void)
{
	const struct ksync_site *guard_site = ksync_tls.guard_site;

	while (__atomic_load_n(&ksync_tls.irq_pending, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&ksync_tls.irqs_off, __ATOMIC_RELAXED)) {
		arch_local_irq_disable();
		ksync_irq_enter();
		ksync_irq_run_held();
		ksync_irq_exit();
		ksync_tls.guard_site = guard_site;
		/* Clear without recursing; the loop re-checks. */
		barrier();
		__atomic_store_n(&ksync_tls.irqs_off, 0, __ATOMIC_RELAXED);
		barrier();
	}
}

KSYNC_API void ksync_trace_irqs_off(const struct ksync_site *site)
{
	ksync_lockdep_hardirqs_off(site);
}

/*
 * Called before the mask is cleared.  Enabling interrupts that are already
 * on is harmless to the hardware, but with a soft mask it usually means an
 * unbalanced pair: an enable with no matching disable.
 */
KSYNC_API void ksync_trace_irqs_on(const struct ksync_site *site)
{
	if (!ksync_debug_checks())
		return;
	if (!__atomic_load_n(&ksync_tls.irqs_off, __ATOMIC_RELAXED)) {
		ksync_warn_once(site, "%s: interrupts are already enabled "
				"(local_irq_enable() without a matching local_irq_disable())\n",
				site && site->expr ? site->expr : "local_irq_enable");
		return;
	}
	/* local_interrupt_enable() drops the count before it restores. */
	if (ksync_tls.irq_disable_count)
		ksync_warn_once(site, "%s: interrupts enabled inside local_interrupt_disable() "
				"(count %u)\n", site && site->expr ? site->expr : "?",
				ksync_tls.irq_disable_count);
	ksync_lockdep_hardirqs_on(site);
}

KSYNC_API void ksync_local_interrupt_misuse(int underflow,
					    const struct ksync_site *site)
{
	if (underflow)
		ksync_warn_once(site, "local_interrupt_enable(): count underflow "
				"(no matching local_interrupt_disable())\n");
	else
		ksync_warn_once(site, "local_interrupt_disable(): count overflow "
				"(nested more than %u deep)\n", KSYNC_IRQ_DISABLE_MAX);
}

KSYNC_API void ksync_token_misuse(const char *what, const struct ksync_site *site)
{
	ksync_warn_once(site, "%s(): interrupts are enabled: the "
			"local_interrupt_disabled token does not hold\n", what);
}
