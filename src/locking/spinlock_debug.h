/* SPDX-License-Identifier: MIT */
#ifndef _KSYNC_SRC_SPINLOCK_DEBUG_H
#define _KSYNC_SRC_SPINLOCK_DEBUG_H

#include <ksync/spinlock_types.h>

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
