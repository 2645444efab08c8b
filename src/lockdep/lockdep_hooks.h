/* SPDX-License-Identifier: MIT */
/*
 * The one door through which the layers above lockdep (context, locking)
 * reach it beyond the kernel's annotations.  Lock code annotates with the
 * kernel's names (<ksync/lockdep.h>: spin_acquire, mutex_acquire_nest,
 * lock_contended, ...); what is here is what the kernel's irq tracing,
 * might_sleep() and debug checks ask lockdep for.
 */
#ifndef _KSYNC_SRC_LOCKDEP_HOOKS_H
#define _KSYNC_SRC_LOCKDEP_HOOKS_H

#include <stdint.h>
#include <ksync/compiler.h>
#include <ksync/lockdep.h>

/* Interrupt-state tracing (the kernel's lockdep_hardirqs_on/off, ...). */
void ksync_lockdep_hardirqs_off(const struct ksync_site *site);
void ksync_lockdep_hardirqs_on(const struct ksync_site *site);
void ksync_lockdep_softirqs_on(const struct ksync_site *site);

/*
 * The interrupt handler about to run would be a thread on PREEMPT_RT
 * (the kernel's lockdep_hardirq_threaded()), so that the wait-context
 * check allows it what a thread may take.  Returns the value before,
 * to be given back when the handler returns.
 */
int ksync_lockdep_hardirq_threaded(int threaded);

/* Report pieces shared with might_sleep() and friends. */
void ksync_lockdep_print_held_locks_if_tracked(void);
void ksync_print_irqtrace_events(void);
void ksync_print_preempt_disable_site(void);

/*
 * How this thread holds the lock of map according to its held-lock
 * stack: -1 not at all, else the read value of the innermost entry (0
 * write, 1 or 2 read); -2 if the stack cannot tell (no longer tracked: a
 * report turned lock debugging off, or the stack is full).
 */
int ksync_lockdep_held_how(const struct lockdep_map *map);

/*
 * Whether this thread holds map for writing (lockdep tracking), and
 * where it took it (*site, *ip).
 */
bool ksync_lockdep_held_write_at(const struct lockdep_map *map,
				 const struct ksync_site **site, uintptr_t *ip);

#endif /* _KSYNC_SRC_LOCKDEP_HOOKS_H */
