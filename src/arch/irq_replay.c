// SPDX-License-Identifier: MIT
/*
 * The soft interrupt mask's replay: local_irq_enable() clears the mask
 * and, if the dispatcher held interrupts back meanwhile (irq_pending),
 * calls ksync_irq_replay(), which runs them with the mask set again before
 * local_irq_enable() returns.  A signal arriving during the replay finds
 * the mask set and is held too, so the loop ends only when nothing is
 * pending with the mask clear.
 *
 * The mask itself is a flag in ksync_tls (<ksync/irqflags.h>); what
 * "running a held-back interrupt" means (hardirq context, the handlers)
 * belongs to the context layer, which registers it at start-up: any layer
 * may restore the mask - lockdep does, after its own critical sections -
 * without depending on the layer that dispatches interrupts.
 */
#include <ksync/irqflags.h>
#include "irq_replay.h"

/* Set once at start-up, before any interrupt can be held back. */
static void (*run_held_irqs)(void);

void ksync_irq_set_replay(void (*run_held)(void))
{
	__atomic_store_n(&run_held_irqs, run_held, __ATOMIC_RELEASE);
}

KSYNC_API void ksync_irq_replay(void)
{
	const struct ksync_site *guard_site = ksync_tls.guard_site;
	/* Acquire: pairs with the registration; nothing pends before it. */
	void (*run_held)(void) = __atomic_load_n(&run_held_irqs, __ATOMIC_ACQUIRE);

	if (!run_held)
		return;
	while (__atomic_load_n(&ksync_tls.irq_pending, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&ksync_tls.irqs_off, __ATOMIC_RELAXED)) {
		arch_local_irq_disable();
		run_held();
		/* A handler's guard() must not leak into the code it interrupted. */
		ksync_tls.guard_site = guard_site;
		/* Clear without recursing; the loop re-checks. */
		barrier();
		__atomic_store_n(&ksync_tls.irqs_off, 0, __ATOMIC_RELAXED);
		barrier();
	}
}
