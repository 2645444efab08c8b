// SPDX-License-Identifier: MIT
/* Model-checked: models/mutex.pml (docs/models.md); change both together. */
/*
 * struct mutex (kernel/locking/mutex.c).
 *
 * The owner word holds the owner's CPU block (64-byte aligned) and three
 * flags: WAITERS (unlock must wake someone), HANDOFF (unlock must hand the
 * lock to the top waiter), PICKUP (handed off; the named waiter picks it
 * up).  Uncontended, lock and unlock are one compare-and-swap each (inline
 * in <ksync/mutex.h>).  Contended:
 *
 *  1. try once more, then spin optimistically: queue on the OSQ so that
 *     only one thread spins on the owner word, and spin while the owner is
 *     running (not asleep in ksync) and the spin budget lasts;
 *  2. otherwise join the FIFO wait list under wait_lock and sleep;
 *  3. a woken top waiter tries again, spins a while itself, and after
 *     waiting MUTEX_HANDOFF_NS asks for a handoff: from then on no newcomer
 *     can take the lock, the next unlock gives it to that waiter.
 *
 * Differences from the kernel, because userspace cannot see the scheduler:
 * spinning is bounded in time (spin_clock.h) and polls with backoff (the kernel stops
 * on need_resched() or a preempted owner vCPU); a newcomer does not spin
 * while others sleep in the wait list (see mutex_optimistic_spin());
 * "owner running" means "owner not asleep in a ksync wait"; and the top
 * waiter asks for a handoff after a time (as the kernel's rw_semaphore
 * does), not on its first failed try, because a handoff to a thread that
 * is not running stops everybody.
 */
#define _GNU_SOURCE
#include <ksync/lockdep.h>
#include <ksync/mutex.h>
#include <ksync/spinlock.h>
#include "cpu.h"
#include "futex.h"
#include "debug_checks.h"
#include "site.h"
#include "list.h"
#include "osq_lock.h"
#include "report.h"
#include "sched_internal.h"
#include "spin_clock.h"

/*
 * Optimistic spinning per slow-path entry, and the longest pause between
 * two looks at the owner word, in time (spin_clock.h): these were 512 and
 * 32 cpu_relax() rounds of about 25 ns on the AMD EPYC VM they were tuned
 * on, which on Intel Skylake+ (PAUSE ~40 ns, ~140 cycles) meant spinning
 * 60% longer and noticing a released lock 1.3 us late.
 */
#define MUTEX_SPIN_NS		12800u
#define SPIN_BACKOFF_MAX_NS	800u
/* A top waiter that has waited this long asks for the lock to be handed over. */
#define MUTEX_HANDOFF_NS	1000000ull
/* mutex->magic of a destroyed mutex; NULL means never initialised. */
#define MUTEX_DESTROYED		((void *)1)
#define MUTEX_INITIALISING	((void *)2)

struct mutex_waiter {
	struct ksync_list_head list;
	struct ksync_cpu *task;
	uint64_t since_ns;
};

/* --- the owner word -------------------------------------------------------- */

static inline struct ksync_cpu *owner_task(unsigned long owner)
{
	return (struct ksync_cpu *)(owner & ~MUTEX_FLAGS);
}

static inline unsigned long owner_flags(unsigned long owner)
{
	return owner & MUTEX_FLAGS;
}

static inline struct ksync_cpu *mutex_owner(struct mutex *lock)
{
	return owner_task((unsigned long)atomic_long_read(&lock->owner));
}

/*
 * Take the lock if it is free or handed to us; with @handoff, ask for a
 * handoff instead when it is owned.  Returns NULL if we own it now, else
 * the owner.  Acquire on success: pairs with the release of the unlock or
 * the handoff.
 */
static struct ksync_cpu *mutex_trylock_common(struct mutex *lock,
					      struct ksync_cpu *curr, bool handoff)
{
	long owner = atomic_long_read(&lock->owner);

	for (;;) {
		unsigned long flags = owner_flags((unsigned long)owner);
		unsigned long task = (unsigned long)owner & ~MUTEX_FLAGS;
		/*
		 * Whether this exchange takes the lock.  Not "task == curr"
		 * after it: an owner that exited holding the lock left our
		 * CPU block in the word, and asking it for a handoff is not
		 * taking the lock.
		 */
		bool taking = true;

		if (task) {
			if (flags & MUTEX_FLAG_PICKUP) {
				if (task != (unsigned long)curr)
					break;
				flags &= ~MUTEX_FLAG_PICKUP;
			} else if (handoff) {
				if (flags & MUTEX_FLAG_HANDOFF)
					break;
				flags |= MUTEX_FLAG_HANDOFF;
				taking = false;
			} else {
				break;
			}
		} else {
			task = (unsigned long)curr;
		}
		if (atomic_long_try_cmpxchg_acquire(&lock->owner, &owner,
						    (long)(task | flags))) {
			if (taking)
				return NULL;
			owner = (long)(task | flags);
			break;
		}
	}
	return owner_task((unsigned long)owner);
}

static inline bool mutex_trylock_or_handoff(struct mutex *lock,
					    struct ksync_cpu *curr, bool handoff)
{
	return !mutex_trylock_common(lock, curr, handoff);
}

static inline bool __mutex_trylock(struct mutex *lock, struct ksync_cpu *curr)
{
	return !mutex_trylock_common(lock, curr, false);
}

/* Flag changes need no order: the wait list is ordered by wait_lock. */
static inline void mutex_set_flag(struct mutex *lock, unsigned long flag)
{
	atomic_long_or((long)flag, &lock->owner);
}

static inline void mutex_clear_flag(struct mutex *lock, unsigned long flag)
{
	atomic_long_andnot((long)flag, &lock->owner);
}

/*
 * Give the lock to @task (NULL: a plain unlock).  Release: the critical
 * section before the new owner's acquire in mutex_trylock_common().
 */
static void mutex_handoff(struct mutex *lock, struct ksync_cpu *task)
{
	long owner = atomic_long_read(&lock->owner);

	for (;;) {
		long next = (long)(owner_flags((unsigned long)owner) & MUTEX_FLAG_WAITERS);

		if (task)
			next |= (long)((unsigned long)task | MUTEX_FLAG_PICKUP);
		if (atomic_long_try_cmpxchg_release(&lock->owner, &owner, next))
			return;
	}
}

/* --- wait_lock and the wait list --------------------------------------------- */

/*
 * wait_lock is an internal lock: the arch lock with the preemption count,
 * kept out of lockdep and the spinlock debug checks.
 */
static inline void wait_lock(struct mutex *lock)
{
	preempt_disable();
	queued_spin_lock(&lock->wait_lock.raw_lock);
}

static inline void wait_unlock(struct mutex *lock)
{
	queued_spin_unlock(&lock->wait_lock.raw_lock);
	preempt_enable();
}

static inline bool waiter_is_first(struct mutex *lock, struct mutex_waiter *w)
{
	return list_first_entry(&lock->wait_list, struct mutex_waiter, list) == w;
}

static void add_waiter(struct mutex *lock, struct mutex_waiter *w)
{
	list_add_tail(&w->list, &lock->wait_list);
	if (waiter_is_first(lock, w))
		mutex_set_flag(lock, MUTEX_FLAG_WAITERS);
}

static void remove_waiter(struct mutex *lock, struct mutex_waiter *w)
{
	list_del(&w->list);
	if (list_empty(&lock->wait_list))
		mutex_clear_flag(lock, MUTEX_FLAGS);
}

/* --- optimistic spinning ----------------------------------------------------- */

/* Userspace cannot ask the scheduler: asleep in ksync is all we know. */
static inline bool owner_running(struct ksync_cpu *owner)
{
	return ksync_cpu_running(owner);
}

/*
 * Worth spinning on this owner word?  Not if the lock was handed to a
 * waiter (PICKUP): it is reserved for a thread that was asleep and may
 * not be on a CPU yet, and a spinner only keeps it off one (the kernel
 * sees that the new owner is not on_cpu).  A newcomer also stops when a
 * handoff was asked for: the lock will go to the top waiter, not to it.
 */
static inline bool spin_worth_it(long word, bool top_waiter)
{
	if (word & (long)MUTEX_FLAG_PICKUP)
		return false;
	return top_waiter || !(word & (long)MUTEX_FLAG_HANDOFF);
}

/*
 * Spin while @owner holds the lock and runs; false to go to sleep.  The
 * polls back off exponentially, so that the spinner does not pull the
 * lock's line away from a running owner on every iteration.
 */
static bool spin_on_owner(struct mutex *lock, struct ksync_cpu *owner,
			  uint64_t deadline, bool top_waiter)
{
	unsigned int step = 1, max = ksync_relax_rounds(SPIN_BACKOFF_MAX_NS);
	long word;

	while (owner_task((unsigned long)(word = atomic_long_read(&lock->owner))) == owner) {
		if (!owner_running(owner) || !spin_worth_it(word, top_waiter) ||
		    ksync_spin_expired(deadline))
			return false;
		for (unsigned int i = 0; i < step; i++)
			cpu_relax();
		if (step < max)
			step <<= 1;
	}
	return true;
}

/*
 * Spin to take the lock while its owner runs.  A new contender first
 * queues on the OSQ so that only one spins on the owner word; the top
 * waiter (@waiter set) spins beside it without queueing, as in the kernel.
 *
 * The kernel's spinners stop when another task wants their CPU
 * (need_resched()).  Userspace cannot see that; the nearest sign is a
 * non-empty wait list while there are more ksync threads than CPUs: then
 * a newcomer does not spin at all, as spinning would only take a CPU
 * from the owner.  (Measured with 8 and 32 threads on 2 CPUs: 32 M
 * acquisitions/s this way against 13 M when newcomers spin.)  With CPUs
 * to spare it spins as in the kernel: on 16 CPUs, sleeping newcomers
 * turned every handover into a futex wake-up.
 */
static bool mutex_optimistic_spin(struct mutex *lock, struct ksync_cpu *curr,
				  struct mutex_waiter *waiter)
{
	uint64_t deadline = ksync_spin_deadline(MUTEX_SPIN_NS);
	struct ksync_cpu *owner;

	/* On one CPU the owner cannot run while we spin: sleep instead. */
	if (!ksync_spin_pays(curr))
		return false;
	if (!waiter) {
		long word = atomic_long_read(&lock->owner);

		owner = owner_task((unsigned long)word);
		if (owner && (!owner_running(owner) || !spin_worth_it(word, false)))
			return false;
		if ((word & (long)MUTEX_FLAG_WAITERS) && ksync_cpus_oversubscribed())
			return false;
		if (!ksync_osq_lock(&lock->osq, deadline))
			return false;
	}
	while ((owner = mutex_trylock_common(lock, curr, false))) {
		if (!spin_on_owner(lock, owner, deadline, waiter != NULL))
			break;
		cpu_relax();
	}
	if (!waiter)
		ksync_osq_unlock(&lock->osq);
	return owner == NULL;
}

/* --- misuse ------------------------------------------------------------------ */

static const char *lock_name(struct mutex *lock, const struct ksync_site *site)
{
	if (lock->dep_map.name && lock->magic == lock)
		return lock->dep_map.name;
	return site && site->expr ? site->expr : "?";
}

/*
 * A zero-filled mutex works while uncontended (as in a kernel without
 * DEBUG_MUTEXES) but has no wait list, and the slow path would crash on
 * it.  Say so, then initialise it, once, even with racing callers.  Any
 * other wrong magic is garbage (freed or overwritten memory): its owner
 * word and list point anywhere, so say so and stop, before lockdep or
 * the lock itself reads them.
 */
static void mutex_check_initialised(struct mutex *lock, const struct ksync_site *site)
{
	void *magic = __atomic_load_n(&lock->magic, __ATOMIC_ACQUIRE);
	void *none = NULL;

	if (__ksync_likely(magic == lock))
		return;
	if (magic == MUTEX_DESTROYED) {
		ksync_debug_locks_warn(site, "lock->magic != lock",
				       "mutex %s used after mutex_destroy()\n",
				       lock_name(lock, site));
		return;
	}
	if (magic != NULL && magic != MUTEX_INITIALISING) {
		ksync_report_lock();	/* the report and the stop as one */
		ksync_debug_locks_warn(site, "lock->magic != lock",
				       "mutex %s at %p: bad magic %p\n",
				       lock_name(lock, site), (void *)lock, magic);
		ksync_stop_on_garbage_lock("mutex", lock_name(lock, site), lock,
					   (unsigned long)magic);
	}
	if (magic == NULL &&
	    __atomic_compare_exchange_n(&lock->magic, &none, MUTEX_INITIALISING, 0,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		ksync_debug_locks_warn(site, "lock->magic != lock",
				       "mutex %s used without mutex_init() or DEFINE_MUTEX()\n",
				       site && site->expr ? site->expr : "?");
		queued_spin_lock(&lock->wait_lock.raw_lock);
		list_init(&lock->wait_list);
		queued_spin_unlock(&lock->wait_lock.raw_lock);
		/* Release: the list is ready before anyone sees the magic. */
		__atomic_store_n(&lock->magic, lock, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&lock->magic, __ATOMIC_ACQUIRE) == MUTEX_INITIALISING)
		cpu_relax();
}

/*
 * Owner identity.  The owner word holds the owner's CPU block, which a
 * new thread inherits with the CPU number when the owner exits (or did
 * not survive fork()); the slow path also records the owner's
 * incarnation, which no other thread has.  Every acquisition takes the
 * slow path while debugging, so then the record is always current.
 * Without debugging the fast path does not write it, so a record that
 * names this thread is still true (only we write our incarnation, and
 * only on taking the lock), but one that does not proves nothing.
 */
static inline void mutex_set_owner_incarnation(struct mutex *lock, struct ksync_cpu *curr)
{
	/* Relaxed: read back only by later threads on this CPU block. */
	__atomic_store_n(&lock->owner_incarnation, curr->incarnation, __ATOMIC_RELAXED);
}

static inline bool owner_incarnation_is(struct mutex *lock, struct ksync_cpu *curr)
{
	return __atomic_load_n(&lock->owner_incarnation, __ATOMIC_RELAXED) ==
	       curr->incarnation;
}

/* Our CPU block is in the owner word: ours, or an exited thread's? */
static void report_recursion(struct mutex *lock, struct ksync_cpu *curr,
			     const struct ksync_site *site)
{
	if (owner_incarnation_is(lock, curr))
		ksync_debug_locks_warn(site, "__mutex_owner(lock) == current",
				       "mutex %s: this thread already holds it; locking it "
				       "again deadlocks\n", lock_name(lock, site));
	else if (ksync_debug_active())
		ksync_debug_locks_warn(site, "__mutex_owner(lock) exited",
				       "mutex %s: its owner exited (or did not survive "
				       "fork()) without unlocking it; it stays locked, and "
				       "this thread, which has the owner's CPU number, "
				       "waits for ever\n", lock_name(lock, site));
	else
		ksync_debug_locks_warn(site, "__mutex_owner(lock) == current",
				       "mutex %s: held by this thread, or by an exited "
				       "thread that had its CPU number (KSYNC_DEBUG=1 tells "
				       "which); locking it waits for ever\n",
				       lock_name(lock, site));
}

/* --- lock ------------------------------------------------------------------- */

static int mutex_wait(struct mutex *lock, struct ksync_cpu *curr, unsigned int state)
{
	struct mutex_waiter waiter = { .task = curr, .since_ns = ksync_now_ns() };
	int ret = 0;

	wait_lock(lock);
	if (__mutex_trylock(lock, curr))
		goto unlock;
	add_waiter(lock, &waiter);
	if (state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL))
		ksync_wait_begin(curr);
	ksync_set_current_state(state);
	for (;;) {
		bool first, handoff;

		/* Under wait_lock: picks up a handoff before checking signals. */
		if (__mutex_trylock(lock, curr))
			break;
		if (ksync_cpu_signal_pending_state(state, curr)) {
			ret = -EINTR;
			break;
		}
		wait_unlock(lock);
		ksync_schedule_until(0);
		wait_lock(lock);

		first = waiter_is_first(lock, &waiter);
		handoff = first && ksync_now_ns() - waiter.since_ns > MUTEX_HANDOFF_NS;
		ksync_set_current_state(state);
		if (mutex_trylock_or_handoff(lock, curr, handoff))
			break;
		if (first) {
			bool spun;

			/*
			 * Spin as a running task: an unlock then finds us
			 * running and makes no futex call to wake us (the
			 * kernel's wake-up of a running task is nearly free;
			 * FUTEX_WAKE is a system call in the unlocker's path).
			 * Under wait_lock, the state goes back before the
			 * trylock at the top of the loop: no wake-up is lost.
			 */
			ksync___set_current_state(TASK_RUNNING);
			wait_unlock(lock);
			spun = mutex_optimistic_spin(lock, curr, &waiter);
			wait_lock(lock);
			if (spun)
				break;
			ksync_set_current_state(state);
		}
	}
	ksync___set_current_state(TASK_RUNNING);
	remove_waiter(lock, &waiter);
unlock:
	wait_unlock(lock);
	return ret;
}

KSYNC_API int ksync_mutex_lock_slowpath(struct mutex *lock, unsigned int state,
					unsigned int subclass,
					struct lockdep_map *nest_lock,
					const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	bool debug = ksync_debug_active();
	uintptr_t ip = RET_IP;
	int ret = 0;

	site = ksync_site_resolve(site);
	mutex_check_initialised(lock, site);
	if (debug)
		mutex_acquire_nest(&lock->dep_map, subclass, 0, nest_lock, KSYNC_SITE_IP(site, ip));
	if (mutex_owner(lock) == curr)
		report_recursion(lock, curr, site);

	if (__mutex_trylock(lock, curr) || mutex_optimistic_spin(lock, curr, NULL))
		goto acquired;
	if (debug)
		lock_contended(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	ret = mutex_wait(lock, curr, state);
	if (ret) {
		if (debug)
			mutex_release(&lock->dep_map, KSYNC_SITE_IP(site, ip));
		return ret;
	}
acquired:
	mutex_set_owner_incarnation(lock, curr);
	if (debug)
		lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	return 0;
}

KSYNC_API int ksync_mutex_trylock_slowpath(struct mutex *lock,
					   const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	if (ksync_debug_checks() && in_interrupt())
		ksync_warn_once(site, "mutex_trylock(%s) in interrupt context\n",
				lock_name(lock, site));
	if (!__mutex_trylock(lock, curr))
		return 0;
	mutex_set_owner_incarnation(lock, curr);
	if (ksync_debug_active()) {
		mutex_acquire(&lock->dep_map, 0, 1, KSYNC_SITE_IP(site, ip));
		lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	}
	return 1;
}

/* --- unlock ----------------------------------------------------------------- */

/*
 * Unlocking a mutex this thread does not hold would release someone
 * else's critical section: refuse, and say so (always: it is the slow
 * path, and corruption would be worse).
 */
static bool unlock_allowed(struct mutex *lock, struct ksync_cpu *curr,
			   long owner, const struct ksync_site *site)
{
	struct ksync_cpu *holder = owner_task((unsigned long)owner);
	char comm[KSYNC_COMM_LEN];

	if (__ksync_likely(holder == curr && !(owner & (long)MUTEX_FLAG_PICKUP) &&
			   (!ksync_debug_active() || owner_incarnation_is(lock, curr))))
		return true;
	if (holder == curr && !(owner & (long)MUTEX_FLAG_PICKUP))
		ksync_debug_locks_warn(site, "__owner_task(owner) != current",
				       "mutex_unlock(%s): held by a thread that exited (or "
				       "did not survive fork()) with this thread's CPU number, "
				       "not by this thread\n", lock_name(lock, site));
	/* Named only if it is a task: the owner word could be anything. */
	else if (!(holder = ksync_task_or_null(holder)) && !owner_task((unsigned long)owner))
		ksync_debug_locks_warn(site, "__owner_task(owner) != current",
				       "mutex_unlock(%s): the mutex is not locked\n",
				       lock_name(lock, site));
	else if (!holder)
		ksync_debug_locks_warn(site, "__owner_task(owner) != current",
				       "mutex_unlock(%s): its owner word (0x%lx) is not a "
				       "thread's\n", lock_name(lock, site), (unsigned long)owner);
	else
		ksync_debug_locks_warn(site, "__owner_task(owner) != current",
				       "mutex_unlock(%s): held by %s/%d, not by this thread\n",
				       lock_name(lock, site),
				       ksync_comm_of(holder->tid, comm), (int)holder->tid);
	return false;
}

KSYNC_API void ksync_mutex_unlock_slowpath(struct mutex *lock,
					   const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu(), *next = NULL;
	long owner = atomic_long_read(&lock->owner);

	site = ksync_site_resolve(site);
	mutex_check_initialised(lock, site);
	/* Lockdep first, as the kernel: its report names the imbalance. */
	if (ksync_debug_active())
		mutex_release(&lock->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (!unlock_allowed(lock, curr, owner, site))
		return;

	/* Release before taking wait_lock, unless a handoff is due. */
	for (;;) {
		if (owner & (long)MUTEX_FLAG_HANDOFF)
			break;
		/* Release: pairs with the next owner's acquire. */
		if (atomic_long_try_cmpxchg_release(&lock->owner, &owner,
						    (long)owner_flags((unsigned long)owner))) {
			if (owner & (long)MUTEX_FLAG_WAITERS)
				break;
			return;
		}
	}

	wait_lock(lock);
	if (!list_empty(&lock->wait_list))
		next = list_first_entry(&lock->wait_list, struct mutex_waiter, list)->task;
	if (owner & (long)MUTEX_FLAG_HANDOFF)
		mutex_handoff(lock, next);
	wait_unlock(lock);
	if (next)
		ksync_wake_cpu(next);
}

/* --- the rest of the API --------------------------------------------------------- */

KSYNC_API void ksync_mutex_init(struct mutex *lock, const char *name,
				struct lock_class_key *key)
{
	static struct lock_class_key wait_lock_key;

	ksync_debug_check_no_locks_freed(lock, sizeof(*lock));
	atomic_long_set(&lock->owner, 0);
	ksync_raw_spin_lock_init(&lock->wait_lock, "&lock->wait_lock",
				 &wait_lock_key, LD_WAIT_SPIN);
	atomic_set(&lock->osq.tail, OSQ_UNLOCKED_VAL);
	list_init(&lock->wait_list);
	ksync_lockdep_init_map(&lock->dep_map, name, key, 0, LD_WAIT_SLEEP,
			       KSYNC_LOCK_MUTEX);
	/* Release: everything above is visible to whoever sees the magic. */
	__atomic_store_n(&lock->magic, lock, __ATOMIC_RELEASE);
}

KSYNC_API void ksync_mutex_destroy(struct mutex *lock, const struct ksync_site *site)
{
	if (mutex_is_locked(lock))
		ksync_debug_locks_warn(site, "mutex_is_locked(lock)",
				       "mutex_destroy(%s): the mutex is still locked\n",
				       lock_name(lock, site));
	__atomic_store_n(&lock->magic, MUTEX_DESTROYED, __ATOMIC_RELAXED);
}

KSYNC_API int ksync_atomic_dec_and_mutex_lock(atomic_t *cnt, struct mutex *lock,
					      const struct ksync_site *site)
{
	/* Not the last reference: just drop it, no lock. */
	if (atomic_add_unless(cnt, -1, 1))
		return 0;
	__ksync_mutex_lock(lock, TASK_UNINTERRUPTIBLE, 0, NULL, site);
	if (!atomic_dec_and_test(cnt)) {
		__ksync_mutex_unlock(lock, site);
		return 0;
	}
	return 1;
}
