// SPDX-License-Identifier: MIT
/*
 * Simple wait queues (kernel/sched/swait.c).
 *
 * A FIFO of waiters under a raw spinlock taken with interrupts masked.  A
 * waker takes the first waiter off the list, then wakes it; a waiter that
 * finds its entry off the list in finish_swait() leaves without the lock.
 * That one lockless read (and swait_active()'s) is why every store to a
 * list pointer is an atomic store, relaxed under the lock, with a release
 * for the one that tells a waiter its entry is free, as in wait.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include <ksync/spinlock.h>
#include <ksync/swait.h>
#include "cpu.h"
#include "kernel_compat.h"
#include "sched_internal.h"
#include "zero_init.h"

/* --- the list ---------------------------------------------------------------- */

static inline void sw_set(struct ksync_list_head **field, struct ksync_list_head *v)
{
	/* Relaxed: the queue's lock orders it for lock holders. */
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static void sw_add_tail(struct ksync_list_head *n, struct ksync_list_head *head)
{
	struct ksync_list_head *prev = head->prev;

	sw_set(&head->prev, n);
	sw_set(&n->next, head);
	sw_set(&n->prev, prev);
	sw_set(&prev->next, n);
}

static void sw_unlink(struct ksync_list_head *e)
{
	sw_set(&e->next->prev, e->prev);
	sw_set(&e->prev->next, e->next);
}

/* Lock held; the owner may not look (it is on the list until we are done). */
static void sw_del_init(struct ksync_list_head *e)
{
	sw_unlink(e);
	sw_set(&e->prev, e);
	sw_set(&e->next, e);
}

/*
 * Lock held, the owner may be looking without it: "empty" is stored last,
 * as a release, and the entry is not touched after (its owner may have
 * returned from the frame it lives in).
 */
static void sw_del_init_careful(struct ksync_list_head *e)
{
	sw_unlink(e);
	sw_set(&e->prev, e);
	__atomic_store_n(&e->next, e, __ATOMIC_RELEASE);
}

/* Owner only, without the lock; acquire pairs with the release above. */
static bool sw_empty_careful(struct ksync_list_head *e)
{
	struct ksync_list_head *next = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);

	return next == e && next == __atomic_load_n(&e->prev, __ATOMIC_RELAXED);
}

static inline bool sw_empty(const struct ksync_list_head *head)
{
	return head->next == head;	/* lock held */
}

/* --- initialisation ------------------------------------------------------------ */

/* A zero-filled head works as an initialised one (zero_init.c). */
static inline raw_spinlock_t *sw_lock(struct swait_queue_head *q,
				      const struct ksync_site *site)
{
	ksync_check_zero_filled(&q->lock, &q->task_list, LD_WAIT_SPIN,
				"simple wait queue head",
				"init_swait_queue_head() or DECLARE_SWAIT_QUEUE_HEAD()", site);
	return &q->lock;
}

KSYNC_API void ksync___init_swait_queue_head(struct swait_queue_head *q,
					     const char *name,
					     struct lock_class_key *key)
{
	ksync_raw_spin_lock_init(&q->lock, name, key, LD_WAIT_SPIN);
	sw_set(&q->task_list.next, &q->task_list);
	sw_set(&q->task_list.prev, &q->task_list);
}

KSYNC_API void ksync_init_swait_entry(struct swait_queue *wait)
{
	struct ksync_cpu *me = ksync_this_cpu();

	ksync_wait_begin(me);
	wait->task = cpu_task(me);
	wait->task_list.next = &wait->task_list;
	wait->task_list.prev = &wait->task_list;
}

/* --- waking ---------------------------------------------------------------------- */

/* Lock held: take the first waiter off; whom to wake (NULL: nobody). */
static struct ksync_cpu *dequeue_first(struct swait_queue_head *q)
{
	struct swait_queue *curr;
	struct ksync_cpu *task;

	if (sw_empty(&q->task_list))
		return NULL;
	curr = container_of(q->task_list.next, struct swait_queue, task_list);
	task = task_cpu_block(curr->task);
	sw_del_init_careful(&curr->task_list);
	return task;
}

/*
 * The kernel wakes, then takes the entry off; here it is the other way
 * round, so the task is read before the entry may go.  CPU blocks are
 * never freed, so waking one whose thread already left is harmless.
 */
KSYNC_API void ksync_swake_up_locked(struct swait_queue_head *q)
{
	struct ksync_cpu *task = dequeue_first(q);

	if (task)
		ksync_wake_cpu(task);
}

KSYNC_API void ksync_swake_up_one(struct swait_queue_head *q,
				  const struct ksync_site *site)
{
	raw_spinlock_t *lock = sw_lock(q, site);
	struct ksync_cpu *task;
	unsigned long flags;
	bool woke;

	/*
	 * Made runnable under the lock, kicked out of its futex after the
	 * unlock (as wait.c's wake_q): woken under the lock, it could run at
	 * once on our CPU, find the lock held and wait for us.
	 */
	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	task = dequeue_first(q);
	woke = task && ksync_task_set_running(task, ~0u);
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
	if (woke)
		ksync_task_kick(task);
}

/*
 * Every waiter queued now, one per hold of the lock, as the kernel does
 * (it keeps interrupt-disabled regions short).  Waiters that queue meanwhile
 * are woken too: they test a condition the caller already made true.
 * With interrupts on between waiters: not from an interrupt handler.
 */
KSYNC_API void ksync_swake_up_all(struct swait_queue_head *q,
				  const struct ksync_site *site)
{
	raw_spinlock_t *lock = sw_lock(q, site);
	struct ksync_cpu *task;

	__ksync_raw_spin_lock_irq(lock, site);
	while ((task = dequeue_first(q))) {
		ksync_wake_cpu(task);
		__ksync_raw_spin_unlock_irq(lock, site);
		__ksync_raw_spin_lock_irq(lock, site);
	}
	__ksync_raw_spin_unlock_irq(lock, site);
}

/* As ksync_wq_has_sleeper() (wait.c): an RMW of the lock word is the barrier. */
KSYNC_API bool ksync_swq_has_sleeper(struct swait_queue_head *q)
{
	if (__atomic_fetch_or(&q->lock.raw_lock.val, 0, __ATOMIC_SEQ_CST))
		return true;
	return swait_active(q);
}

/* --- waiting ------------------------------------------------------------------------ */

static void queue_if_off(struct swait_queue_head *q, struct swait_queue *wait)
{
	if (wait->task_list.next == &wait->task_list)	/* lock held */
		sw_add_tail(&wait->task_list, &q->task_list);
}

KSYNC_API void ksync_prepare_to_swait_exclusive(struct swait_queue_head *q,
						struct swait_queue *wait,
						unsigned int state,
						const struct ksync_site *site)
{
	raw_spinlock_t *lock = sw_lock(q, site);
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	queue_if_off(q, wait);
	ksync_set_current_state(state);
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
}

/*
 * A pending signal the state allows: off the queue, -ERESTARTSYS.  Under
 * the lock, so a swake_up_one() after this picks another waiter and none
 * is lost.  The state is set before the signal test, as in wait.c (ksync's
 * schedule does not test for signals).
 */
KSYNC_API long ksync_prepare_to_swait_event(struct swait_queue_head *q,
					    struct swait_queue *wait,
					    unsigned int state,
					    const struct ksync_site *site)
{
	raw_spinlock_t *lock = sw_lock(q, site);
	unsigned long flags;
	long ret = 0;

	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	queue_if_off(q, wait);
	ksync_set_current_state(state);
	if (ksync_cpu_signal_pending_state(state, task_cpu_block(wait->task))) {
		sw_del_init(&wait->task_list);
		ksync___set_current_state(TASK_RUNNING);
		ret = -ERESTARTSYS;
	}
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
	return ret;
}

/*
 * Running again: leave the queue.  Off it already (a waker took us): no
 * lock, that waker touches the entry no more.  Once our state is
 * TASK_RUNNING nobody else takes it off, so the lock settles the rest.
 */
KSYNC_API void ksync_finish_swait(struct swait_queue_head *q,
				  struct swait_queue *wait,
				  const struct ksync_site *site)
{
	raw_spinlock_t *lock = sw_lock(q, site);
	unsigned long flags;

	ksync___set_current_state(TASK_RUNNING);
	if (sw_empty_careful(&wait->task_list))
		return;
	flags = __ksync_raw_spin_lock_irqsave(lock, 0, site);
	if (wait->task_list.next != &wait->task_list)
		sw_del_init(&wait->task_list);
	__ksync_raw_spin_unlock_irqrestore(lock, flags, site);
}
