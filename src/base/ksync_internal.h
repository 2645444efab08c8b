/* SPDX-License-Identifier: MIT */
/*
 * Declarations shared between ksync's source files, not exported.
 */
#ifndef _KSYNC_SRC_INTERNAL_H
#define _KSYNC_SRC_INTERNAL_H

#include <ksync/compiler.h>
#include <ksync/debug_locks.h>

struct ksync_cpu;

/* init.c: idempotent start-up (run by a constructor; slow paths re-check). */
void ksync_init_once(void);
extern int ksync_lockup_ms;		/* KSYNC_LOCKUP_MS, default 1000 */
extern int ksync_no_membarrier;		/* KSYNC_NO_MEMBARRIER=1 */

/* cpu.c */
void ksync_cpu_init(void);

/* lockdep.c: the graph lock across fork(). */
void ksync_lockdep_fork_prepare(void);
void ksync_lockdep_fork_parent(void);
void ksync_lockdep_fork_child(void);

/* lockdep.c: checks run when a registered thread exits. */
void ksync_thread_exit_checks(struct ksync_cpu *c);

/* lockdep.c: interrupt-state tracing (hardirqs on/off events). */
void ksync_lockdep_hardirqs_off(const struct ksync_site *site);
void ksync_lockdep_hardirqs_on(const struct ksync_site *site);
void ksync_lockdep_softirqs_on(const struct ksync_site *site);
/* lockdep.c: report pieces shared with might_sleep(). */
void ksync_lockdep_print_held_locks_if_tracked(void);
void ksync_print_irqtrace_events(void);
void ksync_print_preempt_disable_site(void);

/* qspinlock_pv.c */
void ksync_pv_init(void);
void ksync_pv_fork_child(void);

/*
 * The site a report should show for a lock call: the guard() line for lock
 * calls written inside a guard class (expression "_T" or "_T->..."),
 * otherwise the call's own site.
 */
const struct ksync_site *ksync_site_resolve(const struct ksync_site *site);

static inline int ksync_debug_checks(void)
{
	return __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) &
	       (KSYNC_DEBUG_CHECKS | KSYNC_DEBUG_LOCKDEP);
}

static inline int ksync_lockdep_enabled(void)
{
	return (__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) &
		KSYNC_DEBUG_LOCKDEP) &&
	       __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED);
}

#endif /* _KSYNC_SRC_INTERNAL_H */
