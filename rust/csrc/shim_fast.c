// SPDX-License-Identifier: MIT
/*
 * The shim's fast paths, for when no debugging is switched on: compiled
 * with KSYNC_NO_DEBUG, so that the inline bodies do not test the debug
 * flags again (the Rust side has just tested them, and they are set once,
 * before main()).  The same bodies as csrc/shim.c otherwise.
 *
 * SpinLock's own lock and unlock are not here: the crate inlines them
 * (src/sync/lock/spinlock_fast.rs).
 */
#define KSYNC_NO_DEBUG 1
#include <stdint.h>

#include <ksync/ksync.h>

void ksync_rs_spin_lock_irq_disable_fast(spinlock_t *lock)
{
	__ksync_raw_spin_lock_irq_disable(spinlock_check(lock), NULL);
}

void ksync_rs_spin_unlock_irq_enable_fast(spinlock_t *lock)
{
	__ksync_raw_spin_unlock_irq_enable(spinlock_check(lock), NULL);
}

/*
 * might_sleep() checks even with debugging off; its report then names the
 * Rust caller's code address (see ksync_rs_mutex_lock() in shim.c).
 */
void ksync_rs_mutex_lock_fast(struct mutex *lock)
{
	uintptr_t saved;

	if (__ksync_likely(!preempt_count() && !irqs_disabled())) {
		(void)__ksync_mutex_lock(lock, TASK_UNINTERRUPTIBLE, 0, NULL, NULL);
		return;
	}
	saved = ksync_tls.caller_ip;
	ksync_tls.caller_ip = (uintptr_t)__builtin_extract_return_addr(__builtin_return_address(0));
	(void)__ksync_mutex_lock(lock, TASK_UNINTERRUPTIBLE, 0, NULL, NULL);
	ksync_tls.caller_ip = saved;
}

void ksync_rs_mutex_unlock_fast(struct mutex *lock)
{
	__ksync_mutex_unlock(lock, NULL);
}
