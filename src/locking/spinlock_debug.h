/* SPDX-License-Identifier: MIT */
#ifndef _KSYNC_SRC_SPINLOCK_DEBUG_H
#define _KSYNC_SRC_SPINLOCK_DEBUG_H

#include <stdbool.h>
#include <ksync/spinlock_types.h>
#include "cpu.h"
#include "qspinlock_pv.h"

/*
 * The locking layer's per-CPU part (base/cpu.h): the debug lock this CPU
 * waits for in the queued slow path (NULL: none), so that the lockup
 * watch can follow a chain of waiters to the thread at its end.
 */
struct ksync_locking_cpu {
	void *spin_waiting_on;
};

extern struct ksync_locking_cpu ksync_locking_cpu_part;

static inline struct ksync_locking_cpu *locking_cpu(const struct ksync_cpu *c)
{
	return ksync_cpu_part((struct ksync_cpu *)c, ksync_locking_cpu_part);
}

/*
 * The lockup watch of a debug raw_spinlock_t wait (struct ksync_lockup's
 * watch): true once it has reported.
 */
bool ksync_spin_lockup_watch(struct ksync_lockup *lk);

/*
 * The CONFIG_DEBUG_SPINLOCK checks, around the arch lock operations.
 * check_magic comes first, before lockdep reads the lock's map; it does
 * not return for a garbage lock.
 */
void ksync_debug_spin_check_magic(raw_spinlock_t *lock, const struct ksync_site *site);
void ksync_debug_spin_lock_before(raw_spinlock_t *lock, const struct ksync_site *site);
void ksync_debug_spin_lock_after(raw_spinlock_t *lock);
void ksync_debug_spin_unlock(raw_spinlock_t *lock, const struct ksync_site *site);

#endif /* _KSYNC_SRC_SPINLOCK_DEBUG_H */
