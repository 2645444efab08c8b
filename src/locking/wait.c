// SPDX-License-Identifier: MIT
/*
 * Wait queues (kernel/sched/wait.c).
 *
 * A queue is a list of entries under a spinlock.  A waiter queues an
 * entry naming itself, sets its task state and tests its condition; a
 * waker walks the list under the lock and calls each entry's wake
 * function, which for ordinary waiters makes the task runnable and takes
 * the entry off the list (autoremove_wake_function).
 *
 * Two things are read without the lock, as in the kernel: the queue head
 * (waitqueue_active(), wq_has_sleeper()) and a waiter's own entry, which
 * finish_wait() checks to skip the lock when a waker already took it off.
 * So every store to a list pointer here is an atomic store, relaxed under
 * the lock, and the one that tells a waiter its entry is free is a
 * release; the lockless reads are atomic loads.  That keeps the lockless
 * reads free of data races, and ThreadSanitizer sees every ordering.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include <ksync/wait.h>
#include "cpu.h"
#include "futex.h"
#include "kernel_compat.h"
#include "list.h"
#include "sched_internal.h"
#include "zero_init.h"

/* --- the list, with pointer stores that lockless readers may race ------- */

static inline void wq_set(struct ksync_list_head **field, struct ksync_list_head *v)
{
	/* Relaxed: the queue's lock orders it for lock holders. */
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static void wq_list_insert(struct ksync_list_head *n, struct ksync_list_head *prev,
			   struct ksync_list_head *next)
{
	wq_set(&next->prev, n);
	wq_set(&n->next, next);
	wq_set(&n->prev, prev);
	wq_set(&prev->next, n);
}

static void wq_list_unlink(struct ksync_list_head *e)
{
	wq_set(&e->next->prev, e->prev);
	wq_set(&e->prev->next, e->next);
}

static void wq_list_del_init(struct ksync_list_head *e)
{
	wq_list_unlink(e);
	wq_set(&e->prev, e);
	wq_set(&e->next, e);
}

/*
 * The kernel's list_del_init_careful(): the entry's owner may see it empty
 * without the lock and free it (return from its stack frame), so the
 * store that says "empty" goes last, as a release, and nothing touches
 * the entry after it.
 */
static void wq_list_del_init_careful(struct ksync_list_head *e)
{
	wq_list_unlink(e);
	wq_set(&e->prev, e);
	__atomic_store_n(&e->next, e, __ATOMIC_RELEASE);
}

/* Owner only, without the lock; acquire pairs with the release above. */
static bool wq_list_empty_careful(struct ksync_list_head *e)
{
	struct ksync_list_head *next = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);

	return next == e && next == __atomic_load_n(&e->prev, __ATOMIC_RELAXED);
}

static inline bool entry_queued(struct wait_queue_entry *wq_entry)
{
	return wq_entry->entry.next != &wq_entry->entry;	/* lock held */
}

/* Non-exclusive waiters go first: every wakeup reaches them anyway. */
static void queue_entry(struct wait_queue_head *wq_head,
			struct wait_queue_entry *wq_entry)
{
	if (wq_entry->flags & WQ_FLAG_EXCLUSIVE)
		wq_list_insert(&wq_entry->entry, wq_head->head.prev, &wq_head->head);
	else
		wq_list_insert(&wq_entry->entry, &wq_head->head, wq_head->head.next);
}

static inline void set_exclusive(struct wait_queue_entry *wq_entry, bool exclusive)
{
	if (exclusive)
		wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
	else
		wq_entry->flags &= ~WQ_FLAG_EXCLUSIVE;
}

/* --- initialisation ------------------------------------------------------ */

/*
 * A zero-filled head works as an initialised one (zero_init.c).  Every
 * entry point that takes the queue's lock looks first; the lockless
 * waitqueue_active() finds a NULL head "active", which sends its caller
 * to wake_up(), which looks.
 */
static inline raw_spinlock_t *wq_lock(struct wait_queue_head *wq_head,
				      const struct ksync_site *site)
{
	raw_spinlock_t *lock = spinlock_check(&wq_head->lock);

	ksync_check_zero_filled(lock, &wq_head->head, LD_WAIT_CONFIG,
				"wait queue head",
				"init_waitqueue_head() or DECLARE_WAIT_QUEUE_HEAD()", site);
	return lock;
}

KSYNC_API void ksync___init_waitqueue_head(struct wait_queue_head *wq_head,
					   const char *name,
					   struct lock_class_key *key)
{
	ksync_raw_spin_lock_init(spinlock_check(&wq_head->lock), name, key,
				 LD_WAIT_CONFIG);
	wq_set(&wq_head->head.next, &wq_head->head);
	wq_set(&wq_head->head.prev, &wq_head->head);
}

KSYNC_API struct task_struct *ksync_wait_entry_task(struct task_struct *p)
{
	struct ksync_cpu *me = ksync_this_cpu_or_null();

	if (p && task_cpu_block(p) == me)
		ksync_wait_begin(me);
	return p;
}

KSYNC_API void ksync_init_wait_entry(struct wait_queue_entry *wq_entry, int flags)
{
	struct ksync_cpu *me = ksync_this_cpu();

	ksync_wait_begin(me);
	wq_entry->flags = (unsigned int)flags;
	wq_entry->private = cpu_task(me);
	wq_entry->func = ksync_autoremove_wake_function;
	wq_entry->entry.next = &wq_entry->entry;
	wq_entry->entry.prev = &wq_entry->entry;
}

/* --- waking ---------------------------------------------------------------- */

/*
 * The FUTEX_WAKE calls of one __wake_up(), made after it drops the queue
 * lock (the kernel's wake_q).  Made under the lock, a wake-up lets the
 * wakee run - at once, on the waker's CPU when they share one - and find
 * the lock still held: it must then wait for it, a second sleep and
 * wake-up for one wake_up().  The state goes to TASK_RUNNING under the
 * lock as before, so who was woken is decided there; a futex call that
 * comes late finds the state changed (the wakee does not sleep on it) or,
 * if the wakee has gone to sleep again meanwhile, wakes it spuriously,
 * which every sleep loop allows for.  CPU blocks are never freed.
 *
 * Per thread, innermost __wake_up() only: a nested one (from a wake
 * function or an interrupt handler) saves and restores the pointer, and
 * only wake functions called by wake_up_common() defer (WAKE_DEFER).
 */
#define WAKE_Q_MAX	8
#define WAKE_DEFER	0x40000000	/* wake_flags bit: a wake_q is set up */

struct wake_q {
	unsigned int n;
	struct ksync_cpu *task[WAKE_Q_MAX];
};

static __thread struct wake_q *this_wake_q;

static void wake_q_flush(struct wake_q *q)
{
	for (unsigned int i = 0; i < q->n; i++)
		ksync_task_kick(q->task[i]);
	q->n = 0;
}

/*
 * try_to_wake_up(): make p runnable if its state is one that mode wakes
 * (sched.c), and kick it now or, inside __wake_up(), from the wake_q.
 * 1 if we woke it, 0 if it was running (or in a state mode leaves alone).
 */
static int try_to_wake_up(struct ksync_cpu *p, unsigned int mode, int wake_flags)
{
	struct wake_q *q;

	if (!ksync_task_set_running(p, mode))
		return 0;
	q = (wake_flags & WAKE_DEFER) ? this_wake_q : NULL;
	if (q && q->n < WAKE_Q_MAX)
		q->task[q->n++] = p;
	else
		ksync_task_kick(p);
	return 1;
}

KSYNC_API int ksync_default_wake_function(struct wait_queue_entry *wq_entry,
					  unsigned int mode, int flags, void *key)
{
	(void)flags;
	(void)key;
	return try_to_wake_up(task_cpu_block(wq_entry->private), mode, flags);
}

KSYNC_API int ksync_autoremove_wake_function(struct wait_queue_entry *wq_entry,
					     unsigned int mode, int flags,
					     void *key)
{
	int ret = ksync_default_wake_function(wq_entry, mode, flags, key);

	if (ret)
		wq_list_del_init_careful(&wq_entry->entry);
	return ret;
}

/*
 * Walk the queue and wake: every non-exclusive waiter, and exclusive ones
 * until nr_exclusive of them were woken (0: all).  A wake function that
 * returns < 0 stops the walk.  Each entry's flags are read before its
 * function runs: after it, the entry may belong to a returned waiter.
 * Returns the exclusive wakeups still owed.
 */
static int wake_up_common(struct wait_queue_head *wq_head, unsigned int mode,
			  int nr_exclusive, int wake_flags, void *key)
{
	struct wait_queue_entry *curr, *next;

	list_for_each_entry_safe(curr, next, &wq_head->head, entry) {
		/* Atomic: wait_woken() clears WQ_FLAG_WOKEN without the lock. */
		unsigned int flags = __atomic_load_n(&curr->flags, __ATOMIC_RELAXED);
		int ret = curr->func(curr, mode, wake_flags, key);

		if (ret < 0)
			break;
		if (ret && (flags & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;
	}
	return nr_exclusive;
}

KSYNC_API int ksync___wake_up(struct wait_queue_head *wq_head, unsigned int mode,
			      int nr_exclusive, void *key,
			      const struct ksync_site *site)
{
	raw_spinlock_t *lock = wq_lock(wq_head, site);
	struct wake_q q = { .n = 0 }, *outer = this_wake_q;
	unsigned long flags;
	int remaining;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	this_wake_q = &q;
	remaining = wake_up_common(wq_head, mode, nr_exclusive, WAKE_DEFER, key);
	this_wake_q = outer;
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
	wake_q_flush(&q);
	return nr_exclusive - remaining;
}

/* The caller holds the queue's lock (wake_up_locked() and friends). */
KSYNC_API int ksync___wake_up_locked(struct wait_queue_head *wq_head,
				     unsigned int mode, int nr_exclusive,
				     void *key, int wake_flags)
{
	return nr_exclusive - wake_up_common(wq_head, mode, nr_exclusive,
					     wake_flags, key);
}

KSYNC_API void ksync___wake_up_sync_key(struct wait_queue_head *wq_head,
					unsigned int mode, void *key,
					const struct ksync_site *site)
{
	raw_spinlock_t *lock = wq_lock(wq_head, site);
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	wake_up_common(wq_head, mode, 1, WF_SYNC, key);
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
}

/*
 * The kernel's woken_wake_function() and wait_woken(): the waker marks
 * the entry WQ_FLAG_WOKEN (a seq_cst RMW: the kernel's smp_mb() C, before
 * it), then wakes the task; the waiter sets its state (seq_cst, A), sleeps
 * only if the flag is clear, then clears it (seq_cst, B: the kernel's
 * smp_store_mb()).  So a wakeup either finds the waiter's state and wakes
 * it, or leaves the flag, which the waiter finds before sleeping; and a
 * condition the waker stored before waking is seen by the waiter's next
 * test, after B.
 */
KSYNC_API int ksync_woken_wake_function(struct wait_queue_entry *wq_entry,
					unsigned int mode, int sync, void *key)
{
	__atomic_fetch_or(&wq_entry->flags, WQ_FLAG_WOKEN, __ATOMIC_SEQ_CST);
	return ksync_default_wake_function(wq_entry, mode, sync, key);
}

KSYNC_API long ksync_wait_woken(struct wait_queue_entry *wq_entry,
				unsigned int mode, long timeout)
{
	struct ksync_cpu *me = ksync_this_cpu();

	ksync_set_current_state(mode);					/* A */
	/*
	 * The kernel's schedule() does not sleep in an interruptible state
	 * with a signal pending; ksync's does not look, so look here.
	 */
	if (!(__atomic_load_n(&wq_entry->flags, __ATOMIC_SEQ_CST) & WQ_FLAG_WOKEN) &&
	    !ksync_cpu_signal_pending_state(mode, me))
		timeout = ksync_schedule_timeout(timeout);
	ksync___set_current_state(TASK_RUNNING);
	__atomic_fetch_and(&wq_entry->flags, ~WQ_FLAG_WOKEN, __ATOMIC_SEQ_CST);	/* B */
	return timeout;
}

/*
 * smp_mb(); waitqueue_active() in the kernel.  ThreadSanitizer does not
 * model a stand-alone fence, so the barrier is an atomic read-modify-write
 * of the queue's lock word, which changes nothing but is ordered with
 * every lock and unlock of it:
 *  - if it comes after a waiter's unlock, it reads from that release (or
 *    a later one), so the waiter's queued entry is visible to the test;
 *  - if it comes before a waiter's lock, that lock reads from it, so the
 *    waiter sees the condition we set before calling;
 *  - if it falls inside someone's critical section, the word says locked
 *    and we answer "maybe": the caller's wake_up() takes the lock.
 */
KSYNC_API bool ksync_wq_has_sleeper(struct wait_queue_head *wq_head)
{
	uint32_t *word = &wq_head->lock.rlock.raw_lock.val;

	if (__atomic_fetch_or(word, 0, __ATOMIC_SEQ_CST))
		return true;
	return waitqueue_active(wq_head);
}

/* --- queueing and sleeping ----------------------------------------------- */

KSYNC_API void ksync_add_wait_queue(struct wait_queue_head *wq_head,
				    struct wait_queue_entry *wq_entry,
				    bool exclusive, const struct ksync_site *site)
{
	raw_spinlock_t *lock = wq_lock(wq_head, site);
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	/* Under the lock: a waker may read the flags of a queued entry. */
	set_exclusive(wq_entry, exclusive);
	queue_entry(wq_head, wq_entry);
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
}

KSYNC_API void ksync_remove_wait_queue(struct wait_queue_head *wq_head,
				       struct wait_queue_entry *wq_entry,
				       const struct ksync_site *site)
{
	raw_spinlock_t *lock = wq_lock(wq_head, site);
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	wq_list_del_init(&wq_entry->entry);
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
}

/* Returns whether the queue was empty before (for the exclusive form). */
KSYNC_API bool ksync_prepare_to_wait(struct wait_queue_head *wq_head,
				     struct wait_queue_entry *wq_entry,
				     unsigned int state, bool exclusive,
				     const struct ksync_site *site)
{
	raw_spinlock_t *lock = wq_lock(wq_head, site);
	bool was_empty = false;
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	set_exclusive(wq_entry, exclusive);
	if (!entry_queued(wq_entry)) {
		was_empty = wq_head->head.next == &wq_head->head;
		queue_entry(wq_head, wq_entry);
	}
	ksync_set_current_state(state);
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
	return was_empty;
}

/*
 * The step of every wait_event*() loop.  If a signal that state allows is
 * pending, leave the queue and return -ERESTARTSYS (as the kernel); an exclusive waiter must
 * not take a wakeup with it that it will not act on, and since wakers
 * take the same lock, a waker that runs after this picks someone else.
 * The state is set before the signal test (ksync's schedule does not
 * test for signals, the kernel's does).
 */
KSYNC_API long ksync_prepare_to_wait_event(struct wait_queue_head *wq_head,
					   struct wait_queue_entry *wq_entry,
					   unsigned int state,
					   const struct ksync_site *site)
{
	raw_spinlock_t *lock = wq_lock(wq_head, site);
	struct ksync_cpu *me = task_cpu_block(wq_entry->private);
	unsigned long flags;
	long ret = 0;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	if (!entry_queued(wq_entry))
		queue_entry(wq_head, wq_entry);
	ksync_set_current_state(state);
	if (ksync_cpu_signal_pending_state(state, me)) {
		wq_list_del_init(&wq_entry->entry);
		ksync___set_current_state(TASK_RUNNING);
		ret = -ERESTARTSYS;
	}
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
	return ret;
}

/*
 * The kernel's do_wait_intr() / do_wait_intr_irq(), for the
 * wait_event_interruptible*_locked() macros: the caller holds the queue's
 * lock (with spin_lock(), or spin_lock_irq() when irq).
 */
KSYNC_API int ksync_do_wait_intr(struct wait_queue_head *wq_head,
				 struct wait_queue_entry *wq_entry, bool irq)
{
	static const struct ksync_site site = {
		__FILE__, "wait_event_interruptible_locked", "wq.lock", __LINE__
	};
	raw_spinlock_t *lock = spinlock_check(&wq_head->lock);

	if (!entry_queued(wq_entry))
		queue_entry(wq_head, wq_entry);
	ksync_set_current_state(TASK_INTERRUPTIBLE);
	if (ksync_cpu_signal_pending_state(TASK_INTERRUPTIBLE,
					   task_cpu_block(wq_entry->private)))
		return -ERESTARTSYS;
	if (irq)
		__ksync_raw_spin_unlock_irq(lock, &site);
	else
		__ksync_raw_spin_unlock(lock, &site);
	ksync_schedule();
	if (irq)
		__ksync_raw_spin_lock_irq(lock, &site);
	else
		__ksync_raw_spin_lock(lock, 0, &site);
	return 0;
}

KSYNC_API void ksync___remove_wait_queue(struct wait_queue_head *wq_head,
					 struct wait_queue_entry *wq_entry)
{
	(void)wq_head;
	wq_list_del_init(&wq_entry->entry);
}

/*
 * Running again, leave the queue.  If the entry is already off it (a
 * wake function took it off), skip the lock: that waker no longer
 * touches the entry.  Once our state is TASK_RUNNING no wake function
 * takes the entry off, so the re-check under the lock settles who did.
 */
KSYNC_API bool ksync_finish_wait(struct wait_queue_head *wq_head,
				 struct wait_queue_entry *wq_entry,
				 const struct ksync_site *site)
{
	raw_spinlock_t *lock = wq_lock(wq_head, site);
	unsigned long flags;
	bool was_off = true;

	ksync___set_current_state(TASK_RUNNING);
	if (!wq_list_empty_careful(&wq_entry->entry)) {
		flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
		if (entry_queued(wq_entry)) {
			wq_list_del_init(&wq_entry->entry);
			was_off = false;
		}
		__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
	}
	return was_off;
}

KSYNC_API long ksync_wait_schedule_timeout(uint64_t *deadline, long timeout)
{
	if (timeout <= 0) {
		/* Nothing left to wait: as schedule_timeout(0), but at once. */
		ksync___set_current_state(TASK_RUNNING);
		return 0;
	}
	if (!*deadline)
		*deadline = ksync_jiffies_deadline(timeout);	/* 0: none */
	if (!ksync_schedule_spin_until(*deadline))
		return 0;
	return ksync_jiffies_left(*deadline);
}
