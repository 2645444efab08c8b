/* SPDX-License-Identifier: MIT */
/*
 * <ksync/locked_by.h> - data protected by a lock that lives elsewhere,
 * the C form of Rust's kernel::sync::LockedBy.
 *
 * Sometimes a field is protected not by a lock beside it but by a lock in
 * another object (every inode's i_list by one global lock, each child by
 * its parent's lock).  LOCKED_BY(type) wraps such a field together with
 * the identity of its lock; the only way in is locked_by_access(), which
 * names the lock the caller holds and checks it:
 *
 *   struct account {
 *           LOCKED_BY(long) balance;        // protected by bank->lock
 *   };
 *   locked_by_init(&acct->balance, &bank->lock, 0);
 *   ...
 *   spin_lock(&bank->lock);
 *   locked_by_access(&acct->balance, &bank->lock) += 10;
 *   spin_unlock(&bank->lock);
 *
 * Rust proves at compile time that the lock is held (access() takes a
 * reference to the lock's guarded data) and checks at run time that it is
 * the right lock.  C cannot prove the first, so:
 *  - naming another lock than the one given to locked_by_init() is always
 *    a bug: the program stops with a clear message (Rust panics too);
 *  - while held locks are tracked (KSYNC_DEBUG or KSYNC_LOCKDEP), access
 *    without holding the lock is reported as lockdep_assert_held() would.
 * Any lock with a dep_map works: spinlock_t, raw_spinlock_t, rwlock_t,
 * struct mutex, struct rw_semaphore.
 */
#ifndef _KSYNC_LOCKED_BY_H
#define _KSYNC_LOCKED_BY_H

#include <ksync/compiler.h>
#include <ksync/debug_locks.h>
#include <ksync/lockdep.h>

#define LOCKED_BY(type)							\
	struct {							\
		type __data;						\
		const void *__owner;					\
	}

#define locked_by_init(lb, lock, value)					\
	do {								\
		(lb)->__owner = (const void *)(lock);			\
		(lb)->__data = (value);					\
	} while (0)

KSYNC_API void ksync_locked_by_mismatch(const void *owner, const void *lock,
					const struct ksync_site *site)
	__attribute__((noreturn));

static __always_inline void *
__ksync_locked_by_access(void *data, const void *owner, const void *lock,
			 const struct lockdep_map *map, const struct ksync_site *site)
{
	if (__ksync_unlikely(owner != lock))
		ksync_locked_by_mismatch(owner, lock, site);
	if (ksync_debug_active() &&
	    ksync_lock_is_held_type(map, -1) == LOCK_STATE_NOT_HELD)
		ksync_lockdep_assert_failed(site, "lock not held");
	return data;
}

/* The protected value, as an lvalue; lock is the lock the caller holds. */
#define locked_by_access(lb, lock)					\
	(*(__typeof__(&(lb)->__data))__ksync_locked_by_access(		\
		&(lb)->__data, (lb)->__owner, (const void *)(lock),	\
		&(lock)->dep_map,					\
		KSYNC_SITE("locked_by_access(" #lb ", " #lock ")")))

#endif /* _KSYNC_LOCKED_BY_H */
