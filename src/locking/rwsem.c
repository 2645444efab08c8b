// SPDX-License-Identifier: MIT
/* Model-checked: models/rwsem.pml (docs/models.md); change both together. */
/*
 * struct rw_semaphore (kernel/locking/rwsem.c, as of 6.1): the slow paths.
 *
 * The fast paths are inline in <ksync/rwsem.h>: a reader adds
 * RWSEM_READER_BIAS to count and has the lock if no writer, waiter or
 * handoff bit was set; a writer swaps 0 for RWSEM_WRITER_LOCKED.  Here:
 *
 *  - a reader that failed may still steal the lock if no writer holds it
 *    and no handoff is pending (but not from other readers while someone
 *    waits, or a stream of readers would starve the waiter); otherwise it
 *    takes its bias back, queues and sleeps until a waker grants it the
 *    lock by clearing waiter->task;
 *  - a writer that failed spins a little (rwsem_spin.c), then queues and
 *    retries under wait_lock each time it is woken;
 *  - an unlock that finds the waiters bit wakes the first waiter: a writer
 *    alone, or readers, up to MAX_READERS_WAKEUP of them from anywhere in
 *    the queue, granted the lock together before they are woken;
 *  - a waiter queued for longer than RWSEM_WAIT_TIMEOUT sets the handoff
 *    bit when the lock is taken from under it; from then on no reader can
 *    steal the lock and no writer but the first waiter can take it.
 *
 * wait_lock protects the wait list and every change of the waiters and
 * handoff bits, as in the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>

#include <ksync/lockdep.h>
#include <ksync/rwsem.h>
#include <ksync/spinlock.h>
#include "cpu.h"
#include "futex.h"
#include "debug_checks.h"
#include "site.h"
#include "list.h"
#include "report.h"
#include "rwsem_internal.h"
#include "sched_internal.h"

enum rwsem_waiter_type {
	RWSEM_WAITING_FOR_WRITE,
	RWSEM_WAITING_FOR_READ,
};

/* On the waiter's stack, in wait_list while it waits. */
struct rwsem_waiter {
	struct ksync_list_head list;
	/* The waiter; a reader's is cleared (atomically) to grant it the lock. */
	struct ksync_cpu *task;
	enum rwsem_waiter_type type;
	uint64_t timeout_ns;		/* may ask for a handoff after this */
	bool handoff_set;		/* atomic: read outside wait_lock */
};

enum rwsem_wake_type {
	RWSEM_WAKE_ANY,		/* wake whatever is at the head of the queue */
	RWSEM_WAKE_READERS,	/* wake readers only */
	RWSEM_WAKE_READ_OWNED,	/* the waker holds the read lock */
};

/*
 * Readers woken by one wake-up, even with writers queued among them: it
 * bounds the waker's work, and the count cannot overflow.
 */
#define MAX_READERS_WAKEUP	0x100

/*
 * The kernel's wake_q: threads to wake once wait_lock is dropped.  One
 * rwsem_mark_wake() adds one writer or at most MAX_READERS_WAKEUP readers.
 */
struct rwsem_wake_q {
	unsigned int n;
	struct ksync_cpu *task[MAX_READERS_WAKEUP];
};

static inline void wake_q_init(struct rwsem_wake_q *q)
{
	q->n = 0;
}

static inline void wake_q_add(struct rwsem_wake_q *q, struct ksync_cpu *task)
{
	if (likely(q->n < ARRAY_SIZE(q->task)))
		q->task[q->n++] = task;
	else
		ksync_wake_cpu(task);	/* cannot happen; waking early is safe */
}

/* A stale wake-up is harmless: every sleeper re-checks its condition. */
static void wake_up_q(struct rwsem_wake_q *q)
{
	for (unsigned int i = 0; i < q->n; i++)
		ksync_wake_cpu(q->task[i]);
	q->n = 0;
}

/* --- the waiter ------------------------------------------------------------- */

static inline struct ksync_cpu *waiter_task(struct rwsem_waiter *w)
{
	return __atomic_load_n(&w->task, __ATOMIC_RELAXED);
}

static inline bool waiter_handoff_set(struct rwsem_waiter *w)
{
	return __atomic_load_n(&w->handoff_set, __ATOMIC_RELAXED);
}

/* Written under wait_lock; the waiter reads it outside only as a hint. */
static inline void waiter_set_handoff(struct rwsem_waiter *w)
{
	__atomic_store_n(&w->handoff_set, true, __ATOMIC_RELAXED);
}

static void waiter_init(struct rwsem_waiter *w, struct ksync_cpu *curr,
			enum rwsem_waiter_type type)
{
	w->task = curr;
	w->type = type;
	w->timeout_ns = ksync_jiffies_deadline(RWSEM_WAIT_TIMEOUT);
	w->handoff_set = false;
}

static inline bool waited_too_long(const struct rwsem_waiter *w)
{
	return ksync_now_ns() > w->timeout_ns;
}

/* --- wait_lock and the wait list ---------------------------------------------- */

/*
 * wait_lock is internal: the arch lock, kept out of lockdep and the
 * spinlock checks.  As in the kernel it masks interrupts, so that an
 * up_read_non_owner() from a handler cannot find its own thread holding
 * it, and it counts as preemption disabled.
 */
static inline unsigned long rwsem_wait_lock(struct rw_semaphore *sem)
{
	unsigned long flags = arch_local_irq_save();

	preempt_disable();
	queued_spin_lock(&sem->wait_lock.raw_lock);
	/* Zero-filled (never initialised): give it its empty list. */
	if (unlikely(!sem->wait_list.next))
		list_init(&sem->wait_list);
	return flags;
}

static inline void rwsem_wait_unlock(struct rw_semaphore *sem, unsigned long flags)
{
	queued_spin_unlock(&sem->wait_lock.raw_lock);
	preempt_enable();
	arch_local_irq_restore(flags);
}

static inline struct rwsem_waiter *rwsem_first_waiter(struct rw_semaphore *sem)
{
	return list_first_entry(&sem->wait_list, struct rwsem_waiter, list);
}

static inline void list_move_tail(struct ksync_list_head *e, struct ksync_list_head *h)
{
	list_del(e);
	list_add_tail(e, h);
}

/*
 * Take a waiter off the list; the last one out clears the waiters and
 * handoff bits.  Returns true if others still wait.  Relaxed: the bits
 * change only under wait_lock, and an unlocker's RMW on count either sees
 * them or runs after ours.
 */
static bool rwsem_del_waiter(struct rw_semaphore *sem, struct rwsem_waiter *waiter)
{
	list_del(&waiter->list);
	if (likely(!list_empty(&sem->wait_list)))
		return true;
	atomic_long_andnot(RWSEM_FLAG_HANDOFF | RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN,
			   &sem->count);
	return false;
}

/*
 * RWSEM_FLAG_WOKEN (ksync's; a bit the kernel keeps reserved) says that
 * the first waiter is a writer that is awake: woken, or not yet asleep.
 * While it is set, unlocks do not wake it again and stealing readers do
 * not look at the queue, so neither takes wait_lock.  The kernel takes
 * wait_lock for both each time; with more threads than CPUs a woken
 * writer may wait a whole time slice for a CPU, and meanwhile every read
 * would take wait_lock twice.
 *
 * It is set (under wait_lock) by whoever wakes the first writer, and by a
 * writer that queues first; it is cleared when that writer leaves the
 * queue, and by the writer itself before it sleeps, with a re-check: see
 * rwsem_writer_may_sleep().  So it is set only while a writer is first.
 */

/* Returns true if the first writer was asleep (WOKEN was clear). */
static bool rwsem_mark_writer_woken(struct rw_semaphore *sem)
{
	/* Relaxed: changed under wait_lock; see rwsem_del_waiter(). */
	return !(atomic_long_fetch_or_relaxed(RWSEM_FLAG_WOKEN, &sem->count) &
		 RWSEM_FLAG_WOKEN);
}

/*
 * The first writer is going to sleep (with wait_lock held, after a failed
 * try): clear WOKEN so that the next unlock wakes it.  An unlock whose RMW
 * came before our clear saw WOKEN and did not wake us, but then its
 * result shows in the value we get back: if the lock is free now, do not
 * sleep, try again.  Returns false for "try again".
 */
static bool rwsem_writer_may_sleep(struct rw_semaphore *sem, struct rwsem_waiter *waiter)
{
	long count;

	if (rwsem_first_waiter(sem) != waiter)
		return true;
	count = atomic_long_fetch_andnot_relaxed(RWSEM_FLAG_WOKEN, &sem->count);
	return (count & RWSEM_LOCK_MASK) != 0;
}

/* --- waking ---------------------------------------------------------------------- */

/*
 * Grant the lock to the readers we wake (called with up to all of them
 * collected in wlist, and their biases added): clear each waiter->task,
 * then queue the thread for waking.
 *
 * seq_cst store: the reader sets its state (seq_cst) and then loads task
 * (seq_cst); we store task, and ksync_wake_cpu() then loads its state
 * (seq_cst).  Either it sees NULL, or we see it asleep and wake it: no
 * lost wake-up.  The store also releases the count update above it.
 * After it the waiter may return and its stack frame be reused, so it is
 * the last access to the waiter.
 */
static void rwsem_grant_readers(struct ksync_list_head *wlist,
				struct rwsem_wake_q *wake_q)
{
	struct rwsem_waiter *waiter, *tmp;

	list_for_each_entry_safe(waiter, tmp, wlist, list) {
		struct ksync_cpu *task = waiter_task(waiter);

		__atomic_store_n(&waiter->task, NULL, __ATOMIC_SEQ_CST);
		wake_q_add(wake_q, task);
	}
}

/*
 * Collect the readers to wake from the whole queue, up to
 * MAX_READERS_WAKEUP (phase-fair: in a reader phase every queued reader
 * may go, writers keep their order).  Returns how many.
 */
static long rwsem_collect_readers(struct rw_semaphore *sem,
				  struct ksync_list_head *wlist)
{
	struct rwsem_waiter *waiter, *tmp;
	long woken = 0;

	list_for_each_entry_safe(waiter, tmp, &sem->wait_list, list) {
		if (waiter->type == RWSEM_WAITING_FOR_WRITE)
			continue;
		list_move_tail(&waiter->list, wlist);
		if (unlikely(++woken >= MAX_READERS_WAKEUP))
			break;
	}
	return woken;
}

/*
 * Grant the first reader its read lock before counting the others, so
 * that a writer that stole the lock meanwhile is found at once.  Returns
 * false (with the bias taken back) if a writer holds it; a reader that
 * has waited too long then asks for a handoff.
 *
 * Acquire: the readers granted here run after the last writer's release
 * (they get it through the store to their waiter->task).
 */
static bool rwsem_grant_first_reader(struct rw_semaphore *sem,
				     struct rwsem_waiter *first)
{
	long adjustment = RWSEM_READER_BIAS;
	long oldcount = atomic_long_fetch_add_acquire(adjustment, &sem->count);

	if (unlikely(oldcount & RWSEM_WRITER_MASK)) {
		if (waited_too_long(first)) {
			if (!(oldcount & RWSEM_FLAG_HANDOFF))
				adjustment -= RWSEM_FLAG_HANDOFF;
			waiter_set_handoff(first);
		}
		/* Relaxed: we never held it. */
		atomic_long_add(-adjustment, &sem->count);
		return false;
	}
	/* Spinners see at once that readers own it now. */
	rwsem_set_reader_owned(sem, waiter_task(first));
	return true;
}

/*
 * Wake whoever may go now (the kernel's rwsem_mark_wake()): the first
 * waiter if it is a writer (it retries itself; another writer may steal
 * the lock first), or readers.  Called with wait_lock held and the list
 * not empty.
 */
static void rwsem_mark_wake(struct rw_semaphore *sem, enum rwsem_wake_type wake_type,
			    struct rwsem_wake_q *wake_q)
{
	struct rwsem_waiter *first = rwsem_first_waiter(sem);
	struct ksync_list_head wlist;
	long woken, adjustment = 0, oldcount;

	if (first->type == RWSEM_WAITING_FOR_WRITE) {
		if (wake_type == RWSEM_WAKE_ANY && rwsem_mark_writer_woken(sem))
			wake_q_add(wake_q, waiter_task(first));
		return;
	}

	/* The reader count overflowed into the fail bit: grant no more. */
	if (unlikely(atomic_long_read(&sem->count) < 0))
		return;

	if (wake_type != RWSEM_WAKE_READ_OWNED) {
		if (!rwsem_grant_first_reader(sem, first))
			return;
		adjustment = RWSEM_READER_BIAS;
	}

	/*
	 * Two passes, as in the kernel: all the biases go into count before
	 * any reader is released, or a released reader could unlock before
	 * its bias was added.
	 */
	list_init(&wlist);
	woken = rwsem_collect_readers(sem, &wlist);
	adjustment = woken * RWSEM_READER_BIAS - adjustment;

	oldcount = atomic_long_read(&sem->count);
	if (list_empty(&sem->wait_list)) {
		adjustment -= RWSEM_FLAG_WAITERS;
		if (oldcount & RWSEM_FLAG_HANDOFF)
			adjustment -= RWSEM_FLAG_HANDOFF;
	} else if (woken && (oldcount & RWSEM_FLAG_HANDOFF)) {
		/* Readers go: nobody needs to force writers out any more. */
		adjustment -= RWSEM_FLAG_HANDOFF;
	}
	/* Relaxed: released to the readers by the stores in grant_readers. */
	if (adjustment)
		atomic_long_add(adjustment, &sem->count);

	rwsem_grant_readers(&wlist, wake_q);
}

/*
 * A waiter leaves (a signal): take it off the list and, if it was first,
 * let the next ones try.  Drops wait_lock.
 */
static void rwsem_del_wake_waiter(struct rw_semaphore *sem, struct rwsem_waiter *waiter,
				  struct rwsem_wake_q *wake_q, unsigned long flags)
{
	bool first = rwsem_first_waiter(sem) == waiter;

	wake_q_init(wake_q);
	/* The next first waiter is not known to be awake. */
	if (first)
		atomic_long_andnot(RWSEM_FLAG_WOKEN, &sem->count);
	if (rwsem_del_waiter(sem, waiter) && first)
		rwsem_mark_wake(sem, RWSEM_WAKE_ANY, wake_q);
	rwsem_wait_unlock(sem, flags);
	wake_up_q(wake_q);
}

/*
 * After queueing: if no writer holds the lock, wake whom the state of
 * count allows (readers hold it: readers only; free: anyone).
 */
static void rwsem_cond_wake_waiter(struct rw_semaphore *sem, long count,
				   struct rwsem_wake_q *wake_q)
{
	enum rwsem_wake_type wake_type;

	if (count & RWSEM_WRITER_MASK)
		return;
	if (count & RWSEM_READER_MASK) {
		wake_type = RWSEM_WAKE_READERS;
	} else {
		wake_type = RWSEM_WAKE_ANY;
		rwsem_clear_nonspinnable(sem);
	}
	rwsem_mark_wake(sem, wake_type, wake_q);
}

static void rwsem_wake(struct rw_semaphore *sem, enum rwsem_wake_type wake_type)
{
	struct rwsem_wake_q wake_q;
	unsigned long flags;

	wake_q_init(&wake_q);
	flags = rwsem_wait_lock(sem);
	if (!list_empty(&sem->wait_list))
		rwsem_mark_wake(sem, wake_type, &wake_q);
	rwsem_wait_unlock(sem, flags);
	wake_up_q(&wake_q);
}

/* --- readers ---------------------------------------------------------------- */

/* The fast path's WARN_ON_ONCE(count < 0), kept out of the inline code. */
static void rwsem_reader_overflow(struct rw_semaphore *sem)
{
	ksync_warn_once(KSYNC_SITE("down_read"),
			"rw_semaphore %s: reader count overflow (count = 0x%lx)\n",
			sem->dep_map.name ? sem->dep_map.name : "?",
			(unsigned long)atomic_long_read(&sem->count));
	/* Stop writers spinning on this reader phase. */
	rwsem_set_nonspinnable(sem);
}

/*
 * Steal the read lock after a failed fast path: our bias is already in
 * count (its add was the acquire), and no writer holds the lock.  The
 * first reader in also lets the queued readers in.
 */
static void rwsem_read_steal(struct rw_semaphore *sem, struct ksync_cpu *curr,
			     long count)
{
	struct rwsem_wake_q wake_q;
	unsigned long flags;

	rwsem_set_reader_owned(sem, curr);
	/* Not with an awake writer first: it would wake no reader. */
	if ((count >> RWSEM_READER_SHIFT) != 1 ||
	    (count & (RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN)) != RWSEM_FLAG_WAITERS)
		return;
	wake_q_init(&wake_q);
	flags = rwsem_wait_lock(sem);
	if (!list_empty(&sem->wait_list))
		rwsem_mark_wake(sem, RWSEM_WAKE_READ_OWNED, &wake_q);
	rwsem_wait_unlock(sem, flags);
	wake_up_q(&wake_q);
}

/*
 * Sleep until a waker clears waiter->task.  0 with the read lock, or
 * -EINTR (off the queue) if a signal came first.
 */
static int rwsem_read_wait(struct rw_semaphore *sem, struct rwsem_waiter *waiter,
			   struct ksync_cpu *curr, unsigned int state)
{
	struct rwsem_wake_q wake_q;
	unsigned long flags;

	for (;;) {
		ksync_set_current_state(state);
		/* seq_cst: pairs with rwsem_grant_readers(); also the acquire. */
		if (!__atomic_load_n(&waiter->task, __ATOMIC_SEQ_CST))
			break;
		if (ksync_cpu_signal_pending_state(state, curr)) {
			flags = rwsem_wait_lock(sem);
			if (waiter_task(waiter)) {
				rwsem_del_wake_waiter(sem, waiter, &wake_q, flags);
				ksync___set_current_state(TASK_RUNNING);
				return -EINTR;
			}
			/* Granted meanwhile; wait_lock ordered it before us. */
			rwsem_wait_unlock(sem, flags);
			break;
		}
		ksync_schedule_until(0);
	}
	ksync___set_current_state(TASK_RUNNING);
	return 0;
}

KSYNC_API int ksync_down_read_slowpath(struct rw_semaphore *sem, long count,
				       unsigned int state)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	long adjustment = -RWSEM_READER_BIAS;
	struct rwsem_waiter waiter;
	struct rwsem_wake_q wake_q;
	unsigned long flags;

	if (unlikely(count < 0))
		rwsem_reader_overflow(sem);

	/*
	 * Readers hold it and someone waits: queue behind the waiter rather
	 * than steal from the other readers, or a constant stream of readers
	 * would starve it.
	 */
	if ((atomic_long_read(&sem->owner) & RWSEM_READER_OWNED) &&
	    (count >> RWSEM_READER_SHIFT) > 1 && !(count & RWSEM_WRITER_LOCKED))
		goto queue;

	if (!(count & (RWSEM_WRITER_LOCKED | RWSEM_FLAG_HANDOFF))) {
		rwsem_read_steal(sem, curr, count);
		return 0;
	}

queue:
	waiter_init(&waiter, curr, RWSEM_WAITING_FOR_READ);
	wake_q_init(&wake_q);
	if (state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL))
		ksync_wait_begin(curr);

	flags = rwsem_wait_lock(sem);
	if (list_empty(&sem->wait_list)) {
		/*
		 * Nobody waits and no writer holds it: our bias is still in
		 * count, so the lock is ours.  Acquire: pairs with the
		 * release of the writer that cleared the bit.
		 */
		if (!(atomic_long_read_acquire(&sem->count) & RWSEM_WRITER_MASK)) {
			rwsem_wait_unlock(sem, flags);
			rwsem_set_reader_owned(sem, curr);
			return 0;
		}
		adjustment += RWSEM_FLAG_WAITERS;
	}
	list_add_tail(&waiter.list, &sem->wait_list);

	/*
	 * Take our bias back and (first waiter) set WAITERS.  Relaxed: RMWs
	 * on count are totally ordered, so an unlock either sees WAITERS and
	 * wakes, or ran before and we see its result here.
	 */
	count = atomic_long_add_return_relaxed(adjustment, &sem->count);
	rwsem_cond_wake_waiter(sem, count, &wake_q);
	rwsem_wait_unlock(sem, flags);
	wake_up_q(&wake_q);

	return rwsem_read_wait(sem, &waiter, curr, state);
}

KSYNC_API void ksync_up_read_slowpath(struct rw_semaphore *sem)
{
	rwsem_clear_nonspinnable(sem);
	rwsem_wake(sem, RWSEM_WAKE_ANY);
}

/* --- writers ---------------------------------------------------------------- */

/*
 * Take the write lock for a queued waiter, or ask for a handoff (the
 * kernel's rwsem_try_write_lock()).  Called with wait_lock held; on
 * success the waiter is off the list.
 */
static bool rwsem_try_write_lock(struct rw_semaphore *sem, struct rwsem_waiter *waiter)
{
	struct rwsem_waiter *first = rwsem_first_waiter(sem);
	long count, new;

	count = atomic_long_read(&sem->count);
	do {
		bool has_handoff = count & RWSEM_FLAG_HANDOFF;

		/* Only the first waiter may take it once it asked for it. */
		if (has_handoff && waiter_handoff_set(first) && waiter != first)
			return false;

		new = count;
		if (count & RWSEM_LOCK_MASK) {
			/* Held: any waiter that has waited too long may ask. */
			if (has_handoff || !waited_too_long(waiter))
				return false;
			new |= RWSEM_FLAG_HANDOFF;
		} else {
			new |= RWSEM_WRITER_LOCKED;
			new &= ~RWSEM_FLAG_HANDOFF;
			/* It leaves the queue: WOKEN was about it. */
			if (waiter == first)
				new &= ~RWSEM_FLAG_WOKEN;
			if (list_is_singular(&sem->wait_list))
				new &= ~RWSEM_FLAG_WAITERS;
		}
		/* Acquire: pairs with the release of the last unlock. */
	} while (!atomic_long_try_cmpxchg_acquire(&sem->count, &count, new));

	if (new & RWSEM_FLAG_HANDOFF) {
		/* The first waiter may now spin on the owner (and is owed it). */
		waiter_set_handoff(first);
		return false;
	}
	list_del(&waiter->list);
	rwsem_set_owner(sem, waiter_task(waiter));
	return true;
}

/* Queue a writer; wakes whom its arrival lets go.  Drops nothing. */
static unsigned long rwsem_queue_writer(struct rw_semaphore *sem,
					struct rwsem_waiter *waiter)
{
	struct rwsem_wake_q wake_q;
	unsigned long flags = rwsem_wait_lock(sem);

	list_add_tail(&waiter->list, &sem->wait_list);
	if (rwsem_first_waiter(sem) != waiter) {
		wake_q_init(&wake_q);
		rwsem_cond_wake_waiter(sem, atomic_long_read(&sem->count), &wake_q);
		if (wake_q.n) {
			/* Keep wait_lock short when many readers are woken. */
			rwsem_wait_unlock(sem, flags);
			wake_up_q(&wake_q);
			flags = rwsem_wait_lock(sem);
		}
	} else {
		/* First, and awake.  Relaxed: see rwsem_del_waiter(). */
		atomic_long_or(RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN, &sem->count);
	}
	return flags;
}

KSYNC_API int ksync_down_write_slowpath(struct rw_semaphore *sem, unsigned int state)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	struct rwsem_waiter waiter;
	struct rwsem_wake_q wake_q;
	unsigned long flags;

	if (rwsem_can_spin_on_owner(sem) && rwsem_optimistic_spin(sem, curr))
		return 0;

	waiter_init(&waiter, curr, RWSEM_WAITING_FOR_WRITE);
	if (state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL))
		ksync_wait_begin(curr);
	flags = rwsem_queue_writer(sem, &waiter);

	/* Set before each try: a wake-up after a failed try is not lost. */
	ksync_set_current_state(state);
	for (;;) {
		if (rwsem_try_write_lock(sem, &waiter))
			break;
		if (!rwsem_writer_may_sleep(sem, &waiter))
			continue;
		rwsem_wait_unlock(sem, flags);

		if (ksync_cpu_signal_pending_state(state, curr))
			goto out_nolock;

		/*
		 * We asked for a handoff: the lock is ours as soon as the
		 * owner lets go, so watch it a while before sleeping.
		 */
		if (waiter_handoff_set(&waiter)) {
			struct rwsem_spin_budget budget = RWSEM_SPIN_BUDGET(RWSEM_SPIN_MAX_NS);

			if (rwsem_spin_on_owner(sem, &budget) == OWNER_NULL)
				goto trylock_again;
		}

		ksync_schedule_until(0);
		ksync_set_current_state(state);
trylock_again:
		flags = rwsem_wait_lock(sem);
	}
	ksync___set_current_state(TASK_RUNNING);
	rwsem_wait_unlock(sem, flags);
	return 0;

out_nolock:
	ksync___set_current_state(TASK_RUNNING);
	flags = rwsem_wait_lock(sem);
	rwsem_del_wake_waiter(sem, &waiter, &wake_q, flags);
	return -EINTR;
}

KSYNC_API void ksync_up_write_slowpath(struct rw_semaphore *sem)
{
	rwsem_wake(sem, RWSEM_WAKE_ANY);
}

/*
 * Write lock -> read lock, with no moment unlocked: add a reader bias and
 * drop the writer bit in one step, then let the queued readers in
 * (writers stay queued: we still hold it for reading).
 *
 * Release: nothing from the write side may move past the point where
 * other readers can come in.
 */
void rwsem_downgrade(struct rw_semaphore *sem, struct ksync_cpu *curr)
{
	long count = atomic_long_fetch_add_release(RWSEM_READER_BIAS - RWSEM_WRITER_LOCKED,
						   &sem->count);

	rwsem_set_reader_owned(sem, curr);
	/* An awake writer first: no reader to let in. */
	if ((count & (RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN)) == RWSEM_FLAG_WAITERS)
		rwsem_wake(sem, RWSEM_WAKE_READ_OWNED);
}

/* --- for ksync-lockdep -------------------------------------------------------------- */

KSYNC_API unsigned int ksync_rwsem_queued_writers(struct rw_semaphore *sem, pid_t *tids,
						  unsigned int max)
{
	struct rwsem_waiter *waiter;
	unsigned long flags;
	unsigned int n = 0;

	flags = rwsem_wait_lock(sem);
	list_for_each_entry(waiter, &sem->wait_list, list) {
		if (waiter->type != RWSEM_WAITING_FOR_WRITE)
			continue;
		if (n < max)
			tids[n] = waiter_task(waiter)->tid;
		n++;
	}
	rwsem_wait_unlock(sem, flags);
	return n;
}

/* --- initialisation ------------------------------------------------------------ */

KSYNC_API void ksync_init_rwsem(struct rw_semaphore *sem, const char *name,
				struct lock_class_key *key)
{
	static struct lock_class_key wait_lock_key;

	/* Re-initialising an rw_semaphore that is held is a bug: say so. */
	ksync_debug_check_no_locks_freed(sem, sizeof(*sem));
	ksync_lockdep_init_map(&sem->dep_map, name, key, 0, LD_WAIT_SLEEP,
			       KSYNC_LOCK_RWSEM);
	atomic_long_set(&sem->count, RWSEM_UNLOCKED_VALUE);
	atomic_long_set(&sem->owner, 0);
	atomic_set(&sem->spinner, 0);
	ksync_raw_spin_lock_init(&sem->wait_lock, "&sem->wait_lock",
				 &wait_lock_key, LD_WAIT_SPIN);
	list_init(&sem->wait_list);
	/* Release: everything above is visible to whoever sees the magic. */
	__atomic_store_n(&sem->magic, sem, __ATOMIC_RELEASE);
}
