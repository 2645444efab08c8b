// SPDX-License-Identifier: MIT
/*
 * spinlock_t and raw_spinlock_t: initialisation and the debug paths
 * (kernel/locking/spinlock.c with LOCK_CONTENDED and spinlock_debug.c).
 *
 * The fast paths are inline in <ksync/spinlock.h>; they come here only
 * when a run-time debug switch is on.  Then a lock is: tell lockdep (before
 * waiting, so a deadlock is reported instead of hanging), check the debug
 * fields, try the lock, and if that fails record the contention and wait
 * in the queued slow path, which watches for a lockup.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include <ksync/lockdep.h>
#include <ksync/spinlock.h>
#include "cpu.h"
#include "futex.h"
#include "debug_checks.h"
#include "site.h"
#include "qspinlock_pv.h"
#include "report.h"
#include "spinlock_debug.h"

KSYNC_API void ksync_raw_spin_lock_init(raw_spinlock_t *lock, const char *name,
					struct lock_class_key *key, short inner)
{
	/* Re-initialising a lock that is held is a bug: say so. */
	ksync_debug_check_no_locks_freed(lock, sizeof(*lock));
	ksync_lockdep_init_map(&lock->dep_map, name, key, 0, inner, KSYNC_LOCK_SPIN);
	__atomic_store_n(&lock->raw_lock.val, 0, __ATOMIC_RELAXED);
	lock->magic = SPINLOCK_MAGIC;
	lock->owner = SPINLOCK_OWNER_INIT;
	lock->owner_cpu = -1;
}

/*
 * The slow path with the lockup watch, and this CPU marked as waiting
 * for lock, for the watch of whoever waits for a lock we hold.  The mark
 * is saved and restored: an interrupt handler's wait nests in ours.
 */
static void spin_lock_watched(raw_spinlock_t *lock)
{
	struct ksync_lockup lk = {
		.watch = ksync_spin_lockup_watch, .lock = lock,
		.start_ns = ksync_now_ns(),
	};
	void **waiting_on = &locking_cpu(ksync_this_cpu())->spin_waiting_on;
	void *was = __atomic_load_n(waiting_on, __ATOMIC_RELAXED);

	/* Relaxed: read by other threads' lockup watches, a hint to follow. */
	__atomic_store_n(waiting_on, lock, __ATOMIC_RELAXED);
	ksync_queued_spin_lock_slowpath(&lock->raw_lock, &lk);
	__atomic_store_n(waiting_on, was, __ATOMIC_RELAXED);
}

static void do_raw_spin_lock(raw_spinlock_t *lock, const struct ksync_site *site,
			     uintptr_t ip)
{
	int checks = ksync_debug_checks();

	if (checks)
		ksync_debug_spin_lock_before(lock, site);
	if (!queued_spin_trylock(&lock->raw_lock)) {
		lock_contended(&lock->dep_map, KSYNC_SITE_IP(site, ip));
		if (checks)
			spin_lock_watched(lock);
		else
			ksync_queued_spin_lock_slowpath(&lock->raw_lock, NULL);
	}
	lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	if (checks)
		ksync_debug_spin_lock_after(lock);
}

KSYNC_API void ksync_raw_spin_lock_debug(raw_spinlock_t *lock, int subclass,
					 const struct ksync_site *site)
{
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	if (ksync_debug_checks())
		ksync_debug_spin_check_magic(lock, site);
	spin_acquire(&lock->dep_map, (unsigned int)subclass, 0, KSYNC_SITE_IP(site, ip));
	do_raw_spin_lock(lock, site, ip);
}

KSYNC_API void ksync_raw_spin_lock_nest_debug(raw_spinlock_t *lock,
					      struct lockdep_map *nest_lock,
					      const struct ksync_site *site)
{
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	if (ksync_debug_checks())
		ksync_debug_spin_check_magic(lock, site);
	spin_acquire_nest(&lock->dep_map, 0, 0, nest_lock, KSYNC_SITE_IP(site, ip));
	do_raw_spin_lock(lock, site, ip);
}

KSYNC_API int ksync_raw_spin_trylock_debug(raw_spinlock_t *lock,
					   const struct ksync_site *site)
{
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	if (ksync_debug_checks())
		ksync_debug_spin_check_magic(lock, site);
	if (!queued_spin_trylock(&lock->raw_lock))
		return 0;
	if (ksync_debug_checks())
		ksync_debug_spin_lock_after(lock);
	spin_acquire(&lock->dep_map, 0, 1, KSYNC_SITE_IP(site, ip));
	lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	return 1;
}

KSYNC_API void ksync_raw_spin_unlock_debug(raw_spinlock_t *lock,
					   const struct ksync_site *site)
{
	int checks = ksync_debug_checks();

	site = ksync_site_resolve(site);
	if (checks)
		ksync_debug_spin_check_magic(lock, site);
	spin_release(&lock->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (checks)
		ksync_debug_spin_unlock(lock, site);
	queued_spin_unlock(&lock->raw_lock);
}

KSYNC_API void ksync_assert_spin_locked_failed(raw_spinlock_t *lock,
					       const struct ksync_site *site)
{
	char where[256];

	ksync_report_lock();
	ksync_printk("BUG: assert_spin_locked(%s) failed at %s: the lock is not held\n",
		     site ? site->expr : (lock->dep_map.name ? lock->dep_map.name : "?"),
		     ksync_site_str(site, RET_IP, where, sizeof(where)));
	ksync_dump_stack();
	ksync_report_unlock();
	abort();
}
