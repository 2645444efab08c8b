// SPDX-License-Identifier: MIT
/*
 * rwlock_t: initialisation and the debug paths (kernel/locking/spinlock.c
 * with LOCK_CONTENDED, and the rwlock half of spinlock_debug.c).
 *
 * The fast paths are inline in <ksync/rwlock.h>; they come here only when
 * a run-time debug switch is on.  A lock is then: tell lockdep (before
 * waiting, so that a deadlock is reported rather than hung on), check the
 * debug fields, try the lock, and if that fails record the contention and
 * wait in the queued slow path.
 *
 * The kernel checks the write side (magic, recursion, wrong owner, wrong
 * CPU) and only the magic on the read side, because readers are not
 * recorded in the lock.  ksync also catches, from the debug fields and the
 * thread's held-lock stack:
 *  - read_lock() or write_lock() of a lock this thread holds for write,
 *    and write_lock() of a lock it holds for read ("recursion": these
 *    deadlock for sure);
 *  - read_unlock() of a lock with no readers, write_unlock() of a lock no
 *    writer holds ("already unlocked"; the unlock is then skipped, so the
 *    reader count is not corrupted);
 *  - read_unlock() by a thread that holds no read lock on it ("wrong
 *    owner").
 */
#define _GNU_SOURCE
#include <ksync/lockdep.h>
#include <ksync/rwlock.h>
#include "cpu.h"
#include "lockdep_hooks.h"
#include "debug_checks.h"
#include "site.h"
#include "kernel_compat.h"
#include "report.h"

KSYNC_API void ksync_rwlock_init(rwlock_t *lock, const char *name,
				 struct lock_class_key *key)
{
	/* Re-initialising a lock that is held is a bug: say so. */
	ksync_debug_check_no_locks_freed(lock, sizeof(*lock));
	ksync_lockdep_init_map(&lock->dep_map, name, key, 0, LD_WAIT_CONFIG,
			       KSYNC_LOCK_RWLOCK);
	atomic_set(&lock->raw_lock.cnts, 0);
	__atomic_store_n(&lock->raw_lock.wait_lock.val, 0, __ATOMIC_RELAXED);
	lock->magic = RWLOCK_MAGIC;
	lock->owner = SPINLOCK_OWNER_INIT;
	lock->owner_cpu = -1;
}

/* --- reports --------------------------------------------------------------- */

static const char *lock_name(const rwlock_t *lock, const struct ksync_site *site)
{
	if (READ_ONCE(lock->magic) == RWLOCK_MAGIC && lock->dep_map.name)
		return lock->dep_map.name;
	/* Never initialised: name it by the expression the caller wrote. */
	return site && site->expr ? site->expr : "?";
}

/*
 * The kernel's line ("BUG: rwlock %s on CPU#%d, %s/%d, %p"), then the lock
 * by name with its fields as spinlock reports show them, and the place.
 */
static void rwlock_dump(rwlock_t *lock, const char *msg,
			const struct ksync_site *site)
{
	/* Only a real task is named: a garbage lock's owner is garbage. */
	struct ksync_cpu *owner = ksync_task_or_null(READ_ONCE(lock->owner));
	char comm[KSYNC_COMM_LEN], ocomm[KSYNC_COMM_LEN];
	char where[256];
	unsigned int cnts = (unsigned int)atomic_read(&lock->raw_lock.cnts);

	ksync_report_lock();
	ksync_printk("BUG: rwlock %s on CPU#%d, %s/%d, %p\n", msg,
		     raw_smp_processor_id(), ksync_comm(comm), (int)ksync_gettid(),
		     (void *)lock);
	ksync_printk(" lock: %s, .magic: %08x, .owner: %s/%d, .owner_cpu: %d, "
		     ".readers: %u, .wlocked: %s, .waiting: %s\n",
		     lock_name(lock, site), READ_ONCE(lock->magic),
		     owner ? ksync_comm_of(owner->tid, ocomm) : "<none>",
		     owner ? (int)owner->tid : -1, (int)READ_ONCE(lock->owner_cpu),
		     cnts >> _QR_SHIFT, (cnts & _QW_LOCKED) ? "yes" : "no",
		     (cnts & _QW_WAITING) ? "yes" : "no");
	if (site)
		ksync_printk(" at: %s\n", ksync_site_str(site, 0, where, sizeof(where)));
	ksync_dump_stack();
	ksync_report_unlock();
}

static void rwlock_bug(rwlock_t *lock, const char *msg,
		       const struct ksync_site *site)
{
	if (!ksync_debug_locks_off())
		return;
	rwlock_dump(lock, msg, site);
}

/* Reports if cond holds, and says whether it did. */
#define RWLOCK_BUG_ON(cond, lock, msg, site)				\
	({								\
		bool __bug = unlikely(cond);				\
		if (__bug)						\
			rwlock_bug(lock, msg, site);			\
		__bug;							\
	})

/* --- what this thread holds ------------------------------------------------ */

/*
 * How this thread holds the lock according to its held-lock stack:
 * -1 not at all, else the read value of the innermost entry (0 write,
 * 1 or 2 read).  -2 if the stack cannot tell (no longer tracked: a
 * report turned lockdep off, or the stack is full).
 */
static int held_by_me(rwlock_t *lock)
{
	return ksync_lockdep_held_how(&lock->dep_map);
}

/* --- the checks -------------------------------------------------------------- */

static void debug_read_lock_before(rwlock_t *lock, const struct ksync_site *site)
{
	RWLOCK_BUG_ON(READ_ONCE(lock->magic) != RWLOCK_MAGIC, lock, "bad magic", site);
	/* A reader waits for the writer, which is us. */
	RWLOCK_BUG_ON(READ_ONCE(lock->owner) == ksync_this_cpu(), lock,
		      "recursion", site);
}

/* True if the unlock must be skipped (it would corrupt the count). */
static bool debug_read_unlock(rwlock_t *lock, const struct ksync_site *site)
{
	unsigned int cnts = (unsigned int)atomic_read(&lock->raw_lock.cnts);
	int held;

	RWLOCK_BUG_ON(READ_ONCE(lock->magic) != RWLOCK_MAGIC, lock, "bad magic", site);
	if (RWLOCK_BUG_ON(cnts < _QR_BIAS, lock, "already unlocked", site))
		return true;
	held = held_by_me(lock);
	RWLOCK_BUG_ON(held == -1 || held == 0, lock, "wrong owner", site);
	return false;
}

/* held: held_by_me() from before lockdep recorded this acquisition. */
static void debug_write_lock_before(rwlock_t *lock, int held,
				    const struct ksync_site *site)
{
	struct ksync_cpu *me = ksync_this_cpu();

	RWLOCK_BUG_ON(READ_ONCE(lock->magic) != RWLOCK_MAGIC, lock, "bad magic", site);
	RWLOCK_BUG_ON(READ_ONCE(lock->owner) == me, lock, "recursion", site);
	RWLOCK_BUG_ON(READ_ONCE(lock->owner_cpu) == (unsigned int)me->cpu, lock,
		      "cpu recursion", site);
	/* Our own read lock keeps the count up: the writer would wait forever. */
	RWLOCK_BUG_ON(held > 0, lock, "recursion", site);
}

static void debug_write_lock_after(rwlock_t *lock)
{
	struct ksync_cpu *me = ksync_this_cpu();

	WRITE_ONCE(lock->owner_cpu, (unsigned int)me->cpu);
	WRITE_ONCE(lock->owner, (void *)me);
}

/* True if the unlock must be skipped. */
static bool debug_write_unlock(rwlock_t *lock, const struct ksync_site *site)
{
	struct ksync_cpu *me = ksync_this_cpu();
	uint8_t wlocked = __atomic_load_n(&lock->raw_lock.wlocked, __ATOMIC_RELAXED);

	RWLOCK_BUG_ON(READ_ONCE(lock->magic) != RWLOCK_MAGIC, lock, "bad magic", site);
	if (RWLOCK_BUG_ON(wlocked != _QW_LOCKED, lock, "already unlocked", site))
		return true;
	RWLOCK_BUG_ON(READ_ONCE(lock->owner) != me, lock, "wrong owner", site);
	RWLOCK_BUG_ON(READ_ONCE(lock->owner_cpu) != (unsigned int)me->cpu, lock,
		      "wrong CPU", site);
	WRITE_ONCE(lock->owner, SPINLOCK_OWNER_INIT);
	WRITE_ONCE(lock->owner_cpu, -1);
	return false;
}

/* --- the debug paths --------------------------------------------------------- */

KSYNC_API void ksync_read_lock_debug(rwlock_t *lock, const struct ksync_site *site)
{
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	rwlock_acquire_read(&lock->dep_map, 0, 0, KSYNC_SITE_IP(site, ip));
	if (ksync_debug_checks())
		debug_read_lock_before(lock, site);
	if (!queued_read_trylock(&lock->raw_lock)) {
		lock_contended(&lock->dep_map, KSYNC_SITE_IP(site, ip));
		queued_read_lock(&lock->raw_lock);
	}
	lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
}

KSYNC_API int ksync_read_trylock_debug(rwlock_t *lock, const struct ksync_site *site)
{
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	if (!queued_read_trylock(&lock->raw_lock))
		return 0;
	rwlock_acquire_read(&lock->dep_map, 0, 1, KSYNC_SITE_IP(site, ip));
	lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	return 1;
}

KSYNC_API void ksync_read_unlock_debug(rwlock_t *lock, const struct ksync_site *site)
{
	bool skip = false;

	site = ksync_site_resolve(site);
	/* Before the release: the held-lock stack says who holds it. */
	if (ksync_debug_checks())
		skip = debug_read_unlock(lock, site);
	rwlock_release(&lock->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (!skip)
		queued_read_unlock(&lock->raw_lock);
}

KSYNC_API void ksync_write_lock_debug(rwlock_t *lock, int subclass,
				      const struct ksync_site *site)
{
	uintptr_t ip = RET_IP;
	int checks = ksync_debug_checks();
	int held = checks ? held_by_me(lock) : -1;

	site = ksync_site_resolve(site);
	rwlock_acquire(&lock->dep_map, (unsigned int)subclass, 0, KSYNC_SITE_IP(site, ip));
	if (checks)
		debug_write_lock_before(lock, held, site);
	if (!queued_write_trylock(&lock->raw_lock)) {
		lock_contended(&lock->dep_map, KSYNC_SITE_IP(site, ip));
		queued_write_lock(&lock->raw_lock);
	}
	lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	if (checks)
		debug_write_lock_after(lock);
}

KSYNC_API int ksync_write_trylock_debug(rwlock_t *lock, const struct ksync_site *site)
{
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	if (!queued_write_trylock(&lock->raw_lock))
		return 0;
	if (ksync_debug_checks())
		debug_write_lock_after(lock);
	rwlock_acquire(&lock->dep_map, 0, 1, KSYNC_SITE_IP(site, ip));
	lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	return 1;
}

KSYNC_API void ksync_write_unlock_debug(rwlock_t *lock, const struct ksync_site *site)
{
	bool skip = false;

	site = ksync_site_resolve(site);
	rwlock_release(&lock->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (ksync_debug_checks())
		skip = debug_write_unlock(lock, site);
	if (!skip)
		queued_write_unlock(&lock->raw_lock);
}
