// SPDX-License-Identifier: MIT
/*
 * rw_semaphore entry points out of line: lockdep and the kernel's
 * CONFIG_DEBUG_RWSEMS checks, the non-owner and downgrade operations.
 *
 * The inline API in <ksync/rwsem.h> comes here when a debug switch is on
 * (or the thread has no CPU block yet).  Then an acquisition is, as the
 * kernel's LOCK_CONTENDED(): tell lockdep (before waiting, so a deadlock
 * is reported instead of hanging), try the lock, and if that fails record
 * the contention and take the slow path.
 *
 * Misuse is reported in the DEBUG_LOCKS_WARN_ON() layout with the state
 * of the lock, once (debug_locks goes off).  Where the kernel would go on
 * and corrupt the count (an unlock of an rw_semaphore that is not locked,
 * a downgrade without the write lock) or release somebody else's write
 * lock, ksync reports and does nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>

#include <ksync/lockdep.h>
#include <ksync/rwsem.h>
#include "cpu.h"
#include "debug_checks.h"
#include "site.h"
#include "report.h"
#include "rwsem_internal.h"

/* --- reports ------------------------------------------------------------------ */

static const char *rwsem_name(struct rw_semaphore *sem, const struct ksync_site *site)
{
	if (__atomic_load_n(&sem->magic, __ATOMIC_RELAXED) == sem && sem->dep_map.name)
		return sem->dep_map.name;
	/* Never initialised: name it by the expression the caller wrote. */
	return site && site->expr ? site->expr : "?";
}

/* "writer comm/tid", "readers (last: comm/tid)", "readers" or "none". */
static const char *describe_owner(struct rw_semaphore *sem, char *buf, size_t len)
{
	unsigned long flags;
	struct ksync_cpu *raw = rwsem_owner_flags(sem, &flags);
	/* Named only if it is a task: a garbage owner word is anything. */
	struct ksync_cpu *owner = ksync_task_or_null(raw);
	char comm[KSYNC_COMM_LEN];

	if (!owner && raw)
		ksync_snprintf(buf, len, "not a thread");
	else if (!owner)
		ksync_snprintf(buf, len, "%s", flags & RWSEM_READER_OWNED ? "readers" : "none");
	else
		ksync_snprintf(buf, len, "%s %s/%d",
			       flags & RWSEM_READER_OWNED ? "readers, last" : "writer",
			       ksync_comm_of(owner->tid, comm), (int)owner->tid);
	return buf;
}

/*
 * DEBUG_RWSEMS_WARN_ON(): the message, then the state of the lock as the
 * kernel prints it (count, owner, current, whether anyone waits).
 */
static void __printf(4, 5)
rwsem_warn(struct rw_semaphore *sem, const struct ksync_site *site,
	   const char *cond, const char *fmt, ...)
{
	long count = atomic_long_read(&sem->count);
	char msg[256], owner[96], comm[KSYNC_COMM_LEN];
	struct ksync_cpu *curr = ksync_this_cpu();
	va_list ap;

	va_start(ap, fmt);
	ksync_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksync_debug_locks_warn(site, cond,
			       "%s\ncount = 0x%lx (readers %ld%s%s%s%s), owner = 0x%lx (%s), "
			       "curr 0x%lx (%s/%d), list %sempty\n",
			       msg, (unsigned long)count, count >> RWSEM_READER_SHIFT,
			       count & RWSEM_WRITER_LOCKED ? ", writer" : "",
			       count & RWSEM_FLAG_WAITERS ? ", waiters" : "",
			       count & RWSEM_FLAG_HANDOFF ? ", handoff" : "",
			       count & RWSEM_FLAG_WOKEN ? ", writer awake" : "",
			       (unsigned long)atomic_long_read(&sem->owner),
			       describe_owner(sem, owner, sizeof(owner)),
			       (unsigned long)curr, ksync_comm(comm), (int)curr->tid,
			       count & RWSEM_FLAG_WAITERS ? "not " : "");
}

/* An rw_semaphore nobody initialised (zero-filled) is a bug. */
static void rwsem_check_magic(struct rw_semaphore *sem, const char *op,
			      const struct ksync_site *site)
{
	void *magic = __atomic_load_n(&sem->magic, __ATOMIC_RELAXED);

	if (likely(magic == sem))
		return;
	if (!magic)
		rwsem_warn(sem, site, "sem->magic != sem",
			   "%s(%s): rw_semaphore used without init_rwsem() or DECLARE_RWSEM()",
			   op, rwsem_name(sem, site));
}

/*
 * Any other magic: garbage (freed or overwritten memory), or a copy of an
 * initialised rw_semaphore, whose wait list is the original's.  Either
 * way its words point anywhere: report and stop, before lockdep or the
 * lock reads them.  Checked first on every debug entry.
 */
static void rwsem_stop_if_garbage(struct rw_semaphore *sem, const char *op,
				  const struct ksync_site *site)
{
	void *magic = __atomic_load_n(&sem->magic, __ATOMIC_RELAXED);

	if (likely(magic == sem || !magic))
		return;
	ksync_report_lock();	/* the report and the stop as one */
	rwsem_warn(sem, site, "sem->magic != sem",
		   "%s(%s): rw_semaphore corrupted, or copied after initialisation "
		   "(magic %p)", op, rwsem_name(sem, site), magic);
	ksync_stop_on_garbage_lock("rw_semaphore", rwsem_name(sem, site), sem,
				   (unsigned long)magic);
}

/* Write-locking again what this thread holds for writing deadlocks. */
static void rwsem_check_recursion(struct rw_semaphore *sem, struct ksync_cpu *curr,
				  const char *op, const struct ksync_site *site)
{
	unsigned long flags;

	if (likely(rwsem_owner_flags(sem, &flags) != curr ||
		   (flags & RWSEM_READER_OWNED) ||
		   !(atomic_long_read(&sem->count) & RWSEM_WRITER_LOCKED)))
		return;
	rwsem_warn(sem, site, "rwsem_owner(sem) == current",
		   "%s(%s): this thread holds it for writing already; taking it "
		   "again deadlocks", op, rwsem_name(sem, site));
}

static void rwsem_entry_checks(struct rw_semaphore *sem, struct ksync_cpu *curr,
			       const char *op, const struct ksync_site *site)
{
	if (!ksync_debug_checks())
		return;
	rwsem_stop_if_garbage(sem, op, site);
	rwsem_check_magic(sem, op, site);
	if (curr)
		rwsem_check_recursion(sem, curr, op, site);
}

/* --- read lock ---------------------------------------------------------------- */

KSYNC_API int ksync_down_read_debug(struct rw_semaphore *sem, unsigned int state,
				    unsigned int subclass,
				    const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	uintptr_t ip = RET_IP;

	if (!ksync_debug_active())
		return __ksync_rwsem_down_read(sem, (long)curr, state);
	site = ksync_site_resolve(site);
	rwsem_entry_checks(sem, curr, "down_read", site);
	/* read = 1: an rw_semaphore's readers do not recurse. */
	rwsem_acquire_read(&sem->dep_map, subclass, 0, KSYNC_SITE_IP(site, ip));
	if (!__ksync_rwsem_read_trylock(sem, (long)curr)) {
		lock_contended(&sem->dep_map, KSYNC_SITE_IP(site, ip));
		if (__ksync_rwsem_down_read(sem, (long)curr, state)) {
			rwsem_release(&sem->dep_map, KSYNC_SITE_IP(site, ip));
			return -EINTR;
		}
	}
	lock_acquired(&sem->dep_map, KSYNC_SITE_IP(site, ip));
	return 0;
}

KSYNC_API int ksync_down_read_trylock_debug(struct rw_semaphore *sem,
					    const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	uintptr_t ip = RET_IP;

	if (!ksync_debug_active())
		return __ksync_rwsem_read_trylock(sem, (long)curr);
	site = ksync_site_resolve(site);
	if (ksync_debug_checks()) {
		rwsem_stop_if_garbage(sem, "down_read_trylock", site);
		rwsem_check_magic(sem, "down_read_trylock", site);
	}
	if (!__ksync_rwsem_read_trylock(sem, (long)curr))
		return 0;
	rwsem_acquire_read(&sem->dep_map, 0, 1, KSYNC_SITE_IP(site, ip));
	lock_acquired(&sem->dep_map, KSYNC_SITE_IP(site, ip));
	return 1;
}

/* Drop a reader bias, refusing (with a report) if no reader holds it. */
static void rwsem_up_read_checked(struct rw_semaphore *sem, const char *op,
				  const struct ksync_site *site)
{
	long count = atomic_long_read(&sem->count), next;

	do {
		if (count & RWSEM_WRITER_LOCKED) {
			rwsem_warn(sem, site, "!is_rwsem_reader_owned(sem)",
				   "%s(%s): the rw_semaphore is write-locked, not read-locked",
				   op, rwsem_name(sem, site));
			return;
		}
		if (!(count & RWSEM_READER_MASK)) {
			rwsem_warn(sem, site, "count < 0",
				   "%s(%s): the rw_semaphore is not locked (reader count "
				   "underflow)", op, rwsem_name(sem, site));
			return;
		}
		next = count - RWSEM_READER_BIAS;
		/* Release: as in up_read(). */
	} while (!atomic_long_try_cmpxchg_release(&sem->count, &count, next));
	if ((next & (RWSEM_LOCK_MASK | RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN)) ==
	    RWSEM_FLAG_WAITERS)
		ksync_up_read_slowpath(sem);
}

/* The kernel's DEBUG_RWSEMS rwsem_clear_reader_owned(): forget us as owner. */
static void rwsem_clear_reader_owned(struct rw_semaphore *sem, struct ksync_cpu *curr)
{
	long owner = atomic_long_read(&sem->owner);

	while ((owner & ~RWSEM_OWNER_FLAGS_MASK) == (long)curr) {
		/* Relaxed: a hint; the RMW only keeps a racing change intact. */
		if (atomic_long_try_cmpxchg_relaxed(&sem->owner, &owner,
						    owner & RWSEM_OWNER_FLAGS_MASK))
			return;
	}
}

KSYNC_API void ksync_up_read_debug(struct rw_semaphore *sem,
				   const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();

	site = ksync_site_resolve(site);
	if (ksync_debug_checks())
		rwsem_stop_if_garbage(sem, "up_read", site);
	rwsem_release(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (!ksync_debug_checks()) {
		__ksync_rwsem_up_read(sem);
		return;
	}
	rwsem_check_magic(sem, "up_read", site);
	rwsem_clear_reader_owned(sem, curr);
	rwsem_up_read_checked(sem, "up_read", site);
}

/* --- write lock --------------------------------------------------------------- */

KSYNC_API int ksync_down_write_debug(struct rw_semaphore *sem, unsigned int state,
				     unsigned int subclass, struct lockdep_map *nest,
				     const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	uintptr_t ip = RET_IP;

	if (!ksync_debug_active())
		return __ksync_rwsem_down_write(sem, (long)curr, state);
	site = ksync_site_resolve(site);
	rwsem_entry_checks(sem, curr, "down_write", site);
	rwsem_acquire_nest(&sem->dep_map, subclass, 0, nest, KSYNC_SITE_IP(site, ip));
	if (!__ksync_rwsem_write_trylock(sem, (long)curr)) {
		lock_contended(&sem->dep_map, KSYNC_SITE_IP(site, ip));
		if (__ksync_rwsem_down_write(sem, (long)curr, state)) {
			rwsem_release(&sem->dep_map, KSYNC_SITE_IP(site, ip));
			return -EINTR;
		}
	}
	lock_acquired(&sem->dep_map, KSYNC_SITE_IP(site, ip));
	return 0;
}

KSYNC_API int ksync_down_write_trylock_debug(struct rw_semaphore *sem,
					     const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	uintptr_t ip = RET_IP;

	if (!ksync_debug_active())
		return __ksync_rwsem_write_trylock(sem, (long)curr);
	site = ksync_site_resolve(site);
	if (ksync_debug_checks()) {
		rwsem_stop_if_garbage(sem, "down_write_trylock", site);
		rwsem_check_magic(sem, "down_write_trylock", site);
	}
	if (!__ksync_rwsem_write_trylock(sem, (long)curr))
		return 0;
	rwsem_acquire(&sem->dep_map, 0, 1, KSYNC_SITE_IP(site, ip));
	lock_acquired(&sem->dep_map, KSYNC_SITE_IP(site, ip));
	return 1;
}

/*
 * May this thread give up the write lock (up_write, downgrade_write)?
 * Not if nobody holds it for writing, nor if another thread does (unless
 * the owner was made anonymous with NONSPINNABLE, as the kernel allows).
 */
static bool rwsem_write_owner_ok(struct rw_semaphore *sem, struct ksync_cpu *curr,
				 const char *op, const struct ksync_site *site)
{
	long count = atomic_long_read(&sem->count);
	unsigned long flags;
	struct ksync_cpu *owner = rwsem_owner_flags(sem, &flags);
	char comm[KSYNC_COMM_LEN];

	if (!(count & RWSEM_WRITER_LOCKED)) {
		rwsem_warn(sem, site, "!(count & RWSEM_WRITER_LOCKED)",
			   "%s(%s): the rw_semaphore is not write-locked%s", op,
			   rwsem_name(sem, site),
			   count & RWSEM_READER_MASK ? " (it is read-locked)" : "");
		return false;
	}
	if (likely(owner == curr || (flags & RWSEM_NONSPINNABLE)))
		return true;
	owner = ksync_task_or_null(owner);	/* named only if a task */
	if (owner)
		rwsem_warn(sem, site, "rwsem_owner(sem) != current",
			   "%s(%s): write-locked by %s/%d, not by this thread", op,
			   rwsem_name(sem, site), ksync_comm_of(owner->tid, comm),
			   (int)owner->tid);
	else
		rwsem_warn(sem, site, "rwsem_owner(sem) != current",
			   "%s(%s): write-locked by another thread, not by this one", op,
			   rwsem_name(sem, site));
	return false;
}

KSYNC_API void ksync_up_write_debug(struct rw_semaphore *sem,
				    const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();

	site = ksync_site_resolve(site);
	if (ksync_debug_checks())
		rwsem_stop_if_garbage(sem, "up_write", site);
	/* Lockdep first, as the kernel: its report names the imbalance. */
	rwsem_release(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (ksync_debug_checks()) {
		rwsem_check_magic(sem, "up_write", site);
		if (!rwsem_write_owner_ok(sem, curr, "up_write", site))
			return;
	}
	__ksync_rwsem_up_write(sem);
}

/* --- downgrade, non-owner ----------------------------------------------------- */

KSYNC_API void ksync_downgrade_write(struct rw_semaphore *sem,
				     const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	uintptr_t ip = RET_IP;

	if (ksync_debug_active()) {
		site = ksync_site_resolve(site);
		if (ksync_debug_checks()) {
			rwsem_stop_if_garbage(sem, "downgrade_write", site);
			rwsem_check_magic(sem, "downgrade_write", site);
			if (!rwsem_write_owner_ok(sem, curr, "downgrade_write", site))
				return;
		}
		/* Held for writing becomes held for reading, in place. */
		lock_downgrade(&sem->dep_map, KSYNC_SITE_IP(site, ip));
	}
	rwsem_downgrade(sem, curr);
}

/* No lockdep: another thread will release it (the kernel does the same). */
KSYNC_API void ksync_down_read_non_owner(struct rw_semaphore *sem,
					 const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();

	if (ksync_debug_checks()) {
		site = ksync_site_resolve(site);
		rwsem_stop_if_garbage(sem, "down_read_non_owner", site);
		rwsem_check_magic(sem, "down_read_non_owner", site);
	}
	(void)__ksync_rwsem_down_read(sem, (long)curr, TASK_UNINTERRUPTIBLE);
	/* No owner to record: whoever releases it is not known. */
	__ksync_rwsem_set_reader_owned(sem, 0);
}

KSYNC_API void ksync_up_read_non_owner(struct rw_semaphore *sem,
				       const struct ksync_site *site)
{
	if (!ksync_debug_checks()) {
		__ksync_rwsem_up_read(sem);
		return;
	}
	site = ksync_site_resolve(site);
	rwsem_stop_if_garbage(sem, "up_read_non_owner", site);
	rwsem_check_magic(sem, "up_read_non_owner", site);
	rwsem_up_read_checked(sem, "up_read_non_owner", site);
}
