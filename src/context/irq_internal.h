/* SPDX-License-Identifier: MIT */
/*
 * Shared between the interrupt pieces: irq.c (dispatcher), irqflags.c
 * (masking and replay), softirq.c and sched.c.
 */
#ifndef _KSYNC_SRC_IRQ_INTERNAL_H
#define _KSYNC_SRC_IRQ_INTERNAL_H

#include <sys/types.h>
#include <ksync/compiler.h>

/* irq.c: in hardirq context, mask set: run what was held back. */
void ksync_irq_run_held(void);
/* softirq.c: run pending softirqs (caller checked the context). */
void ksync_softirq_run_pending(void);
/* sched.c: an interrupt was handled on this thread. */
void ksync_sched_irq_arrived(void);

#endif /* _KSYNC_SRC_IRQ_INTERNAL_H */
