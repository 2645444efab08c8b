/* SPDX-License-Identifier: MIT */
/*
 * <ksync/hardirq.h> - entering and leaving interrupt contexts.
 *
 * ksync's interrupt dispatcher calls irq_enter()/irq_exit() around every
 * handler.  A program's own signal handlers - signals it did not request
 * through ksync, which ksync treats as NMIs - may call nmi_enter() and
 * nmi_exit() so that in_nmi() tells the truth inside them and lockdep
 * leaves them alone.
 */
#ifndef _KSYNC_HARDIRQ_H
#define _KSYNC_HARDIRQ_H

#include <ksync/compiler.h>
#include <ksync/preempt.h>

KSYNC_API void ksync_irq_enter(void);
KSYNC_API void ksync_irq_exit(void);
KSYNC_API void ksync_nmi_enter(void);
KSYNC_API void ksync_nmi_exit(void);

#define irq_enter()	ksync_irq_enter()
#define irq_exit()	ksync_irq_exit()
#define nmi_enter()	ksync_nmi_enter()
#define nmi_exit()	ksync_nmi_exit()

#endif /* _KSYNC_HARDIRQ_H */
