/* SPDX-License-Identifier: MIT */
/*
 * <ksync/debug_locks.h> - the run-time debugging switches.
 *
 * The kernel chooses its lock debugging at build time (DEBUG_SPINLOCK,
 * PROVE_LOCKING, LOCK_STAT).  ksync chooses at start-up, from the
 * environment, so any program linked with ksync can be debugged without a
 * rebuild:
 *
 *   KSYNC_DEBUG=1       spinlock/mutex debug checks (magic, owner, recursion,
 *                       lockup), held-lock tracking, might_sleep() checks
 *   KSYNC_LOCKDEP=1     the lock validator (implies the above)
 *   KSYNC_LOCK_STAT=1   lock statistics
 *   KSYNC_KEEP_GOING=1  keep reporting after the first report (not after
 *                       lockdep itself stops: "turning off the locking
 *                       correctness validator" is for good)
 *
 * Every lock fast path tests ksync_debug_flags once; with all switches off
 * that is one predictable branch.  Building a file with -DKSYNC_NO_DEBUG
 * removes even that test from the inline fast paths it compiles.
 */
#ifndef _KSYNC_DEBUG_LOCKS_H
#define _KSYNC_DEBUG_LOCKS_H

#include <ksync/compiler.h>

#define KSYNC_DEBUG_CHECKS	0x1u	/* KSYNC_DEBUG */
#define KSYNC_DEBUG_LOCKDEP	0x2u	/* KSYNC_LOCKDEP */
#define KSYNC_DEBUG_STAT	0x4u	/* KSYNC_LOCK_STAT */

/* Set once, before main(), from the environment; read-mostly after. */
extern KSYNC_API unsigned int ksync_debug_flags;

/* 1 until the first report; reporting (and validation) stops at 0. */
extern KSYNC_API int ksync_debug_locks;
#define debug_locks ksync_debug_locks

#ifdef KSYNC_NO_DEBUG
#define ksync_debug_active()	0
#else
#define ksync_debug_active()	__ksync_unlikely(__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED))
#endif

/*
 * Turn reporting off; returns 1 for the caller that turned it off, which is
 * then the one allowed to print.  With KSYNC_KEEP_GOING=1 it always returns
 * 1 and leaves debug_locks on.
 */
KSYNC_API int ksync_debug_locks_off(void);
#define debug_locks_off()	ksync_debug_locks_off()

/*
 * The kernel's debug_show_all_locks(): "Showing all locks held in the
 * system:" and, for every thread holding locks, "N locks held by
 * comm/pid:" with the locks of a thread asleep in ksync (or the caller's
 * own); a thread that is running gets its count line only, as in the
 * kernel.  "INFO: lockdep is turned off." without held-lock tracking
 * (KSYNC_DEBUG or KSYNC_LOCKDEP) or after lockdep stopped.  The
 * hung-task detector (KSYNC_HUNG_TASK_SECS) prints it after its report,
 * and KSYNC_SHOW_LOCKS_SIGNAL names a signal that prints it.
 */
KSYNC_API void ksync_debug_show_all_locks(void);
#define debug_show_all_locks()	ksync_debug_show_all_locks()

#endif /* _KSYNC_DEBUG_LOCKS_H */
