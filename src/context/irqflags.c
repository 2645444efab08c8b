// SPDX-License-Identifier: MIT
/* Model-checked: models/irqflags.pml (docs/models.md); change both together. */
/*
 * The soft interrupt mask: what replaying an interrupt that arrived while
 * it was set means (arch/irq_replay.c loops; here: hardirq context and
 * the dispatcher's held-back handlers), and the debug checks around it.
 */
#define _GNU_SOURCE
#include <ksync/hardirq.h>
#include <ksync/irqflags.h>
#include "irq_internal.h"
#include "debug_checks.h"
#include "irq_replay.h"
#include "layer_hooks.h"
#include "lockdep_hooks.h"
#include "report.h"

/* Run what the dispatcher held back while the mask was set (irq_replay.c). */
static void run_held_irqs(void)
{
	ksync_irq_enter();
	ksync_irq_run_held();
	ksync_irq_exit();
}

static void irqflags_init(void)
{
	ksync_irq_set_replay(run_held_irqs);
}

KSYNC_HOOKS(irqflags_hooks) = {
	.layer = KSYNC_LAYER_CONTEXT,
	.init = irqflags_init,
};

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
