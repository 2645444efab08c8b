// SPDX-License-Identifier: MIT
/*
 * The shim's fast paths, for when no debugging is switched on: compiled
 * with KSYNC_NO_DEBUG, so that the inline bodies do not test the debug
 * flags again (the Rust side has just tested them, and they are set once,
 * before main()).  The same bodies as csrc/shim.c otherwise.
 */
#define KSYNC_NO_DEBUG 1
#include <ksync/ksync.h>

void ksync_rs_spin_lock_fast(spinlock_t *lock)
{
	__ksync_raw_spin_lock(spinlock_check(lock), 0, NULL);
}

void ksync_rs_spin_unlock_fast(spinlock_t *lock)
{
	__ksync_raw_spin_unlock(spinlock_check(lock), NULL);
}

void ksync_rs_spin_lock_irq_disable_fast(spinlock_t *lock)
{
	__ksync_raw_spin_lock_irq_disable(spinlock_check(lock), NULL);
}

void ksync_rs_spin_unlock_irq_enable_fast(spinlock_t *lock)
{
	__ksync_raw_spin_unlock_irq_enable(spinlock_check(lock), NULL);
}

void ksync_rs_mutex_unlock_fast(struct mutex *lock)
{
	__ksync_mutex_unlock(lock, NULL);
}
