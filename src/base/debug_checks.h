/* SPDX-License-Identifier: MIT */
/*
 * Which debug paths are on (<ksync/debug_locks.h> holds the switches,
 * base/env.c sets them at start-up, a report clears debug_locks).
 */
#ifndef _KSYNC_SRC_DEBUG_CHECKS_H
#define _KSYNC_SRC_DEBUG_CHECKS_H

#include <ksync/compiler.h>
#include <ksync/debug_locks.h>

/* KSYNC_DEBUG or KSYNC_LOCKDEP: the debug checks run. */
static inline int ksync_debug_checks(void)
{
	return __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) &
	       (KSYNC_DEBUG_CHECKS | KSYNC_DEBUG_LOCKDEP);
}

/* KSYNC_LOCKDEP, and no report has turned lock debugging off. */
static inline int ksync_lockdep_enabled(void)
{
	return (__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) &
		KSYNC_DEBUG_LOCKDEP) &&
	       __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED);
}

#endif /* _KSYNC_SRC_DEBUG_CHECKS_H */
