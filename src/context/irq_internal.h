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
void ksync_softirq_init(void);
/* sched.c: an interrupt was handled on this thread. */
void ksync_sched_irq_arrived(void);
/* cpu.c: the thread id of an online CPU, 0 if it is not online. */
pid_t ksync_cpu_tid(int cpu);

#endif /* _KSYNC_SRC_IRQ_INTERNAL_H */
