// SPDX-License-Identifier: MIT
/*
 * Spinlock debugging (kernel/locking/spinlock_debug.c): magic, owner and
 * owner_cpu checks, and the lockup detector the kernel once had.
 *
 * Each check prints the kernel's message and the program goes on as the
 * kernel does: a recursive lock then deadlocks, an unlock of an unlocked
 * lock is a no-op.  Only the first report is printed (debug_locks goes to
 * 0), unless KSYNC_KEEP_GOING=1.
 *
 * Bad magic is checked first, before lockdep reads the lock's map: a
 * magic of 0 is a zero-filled lock nobody initialised, reported and then
 * used as the unlocked lock it is; any other wrong magic means the
 * "lock" is garbage (freed or overwritten memory), whose lock word, owner
 * and map point anywhere: reported, and the program stops.  Reports read
 * nothing through the lock's pointers unchecked.
 */
#define _GNU_SOURCE
#include <ksync/spinlock.h>
#include "cpu.h"
#include "ksync_internal.h"
#include "kernel_compat.h"
#include "report.h"
#include "spinlock_debug.h"

static const char *lock_name(const raw_spinlock_t *lock, const struct ksync_site *site)
{
	if (READ_ONCE(lock->magic) == SPINLOCK_MAGIC && lock->dep_map.name)
		return lock->dep_map.name;
	/* Never initialised: name it by the expression the caller wrote. */
	return site && site->expr ? site->expr : "?";
}

static void spin_dump(raw_spinlock_t *lock, const char *msg,
		      const struct ksync_site *site)
{
	/* A garbage lock's owner is garbage too: only a real task is named. */
	void *raw_owner = READ_ONCE(lock->owner);
	struct ksync_cpu *owner = ksync_task_or_null(raw_owner);
	bool none = !raw_owner || raw_owner == SPINLOCK_OWNER_INIT;
	char comm[KSYNC_COMM_LEN], ocomm[KSYNC_COMM_LEN];
	char where[256];

	ksync_report_lock();
	ksync_printk("BUG: spinlock %s on CPU#%d, %s/%d\n", msg,
		     raw_smp_processor_id(), ksync_comm(comm), (int)ksync_gettid());
	ksync_printk(" lock: %s, .magic: %08x, .owner: %s/%d, .owner_cpu: %d\n",
		     lock_name(lock, site), READ_ONCE(lock->magic),
		     owner ? ksync_comm_of(owner->tid, ocomm) :
		     none ? "<none>" : "<not a task>",
		     owner ? (int)owner->tid : -1, (int)READ_ONCE(lock->owner_cpu));
	if (site)
		ksync_printk(" at: %s\n", ksync_site_str(site, 0, where, sizeof(where)));
	ksync_dump_stack();
	ksync_report_unlock();
}

static void spin_bug(raw_spinlock_t *lock, const char *msg,
		     const struct ksync_site *site)
{
	if (!ksync_debug_locks_off())
		return;
	spin_dump(lock, msg, site);
}

#define SPIN_BUG_ON(cond, lock, msg, site)				\
	do {								\
		if (unlikely(cond))					\
			spin_bug(lock, msg, site);			\
	} while (0)

void ksync_debug_spin_check_magic(raw_spinlock_t *lock, const struct ksync_site *site)
{
	unsigned int magic = READ_ONCE(lock->magic);

	if (likely(magic == SPINLOCK_MAGIC))
		return;
	spin_bug(lock, "bad magic", site);
	if (magic != 0)
		ksync_stop_on_garbage_lock("spinlock", lock_name(lock, site), lock, magic);
}

void ksync_debug_spin_lock_before(raw_spinlock_t *lock, const struct ksync_site *site)
{
	struct ksync_cpu *me = ksync_this_cpu();
	void *owner = READ_ONCE(lock->owner);

	SPIN_BUG_ON(owner == me, lock, "recursion", site);
	/* No owner ever recorded (zero-filled): owner_cpu 0 is no CPU's. */
	SPIN_BUG_ON(owner && READ_ONCE(lock->owner_cpu) == (unsigned int)me->cpu,
		    lock, "cpu recursion", site);
}

void ksync_debug_spin_lock_after(raw_spinlock_t *lock)
{
	struct ksync_cpu *me = ksync_this_cpu();

	WRITE_ONCE(lock->owner_cpu, (unsigned int)me->cpu);
	WRITE_ONCE(lock->owner, (void *)me);
}

void ksync_debug_spin_unlock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	struct ksync_cpu *me = ksync_this_cpu();

	SPIN_BUG_ON(!raw_spin_is_locked(lock), lock, "already unlocked", site);
	SPIN_BUG_ON(READ_ONCE(lock->owner) != me, lock, "wrong owner", site);
	SPIN_BUG_ON(READ_ONCE(lock->owner_cpu) != (unsigned int)me->cpu, lock,
		    "wrong CPU", site);
	WRITE_ONCE(lock->owner, SPINLOCK_OWNER_INIT);
	WRITE_ONCE(lock->owner_cpu, -1);
}

/* Called by the slow path when a wait passes KSYNC_LOCKUP_MS. */
void ksync_spin_lockup_report(raw_spinlock_t *lock)
{
	if (!lock || !ksync_debug_checks())
		return;
	spin_bug(lock, "lockup suspected", NULL);
}
