/* SPDX-License-Identifier: MIT */
/*
 * <ksync/swait.h> - simple wait queues: a FIFO of sleeping tasks under a
 * raw spinlock, every waiter exclusive, no wake functions.
 *
 *   DECLARE_SWAIT_QUEUE_HEAD(q), init_swait_queue_head(&q),
 *   DECLARE_SWAIT_QUEUE_HEAD_ONSTACK(q)
 *   swait_event_exclusive(q, cond)
 *   swait_event_timeout_exclusive(q, cond, j)		0 or jiffies left
 *   swait_event_interruptible_exclusive(q, cond)	0 or -ERESTARTSYS
 *   swait_event_interruptible_timeout_exclusive(q, cond, j)
 *							-ERESTARTSYS, 0 or left
 *   swait_event_killable_exclusive(q, cond)		0 or -ERESTARTSYS
 *   swait_event_idle_exclusive(q, cond)		(TASK_IDLE)
 *   swait_event_idle_timeout_exclusive(q, cond, j)	0 or left
 *   swake_up_one(&q)		wake the first waiter
 *   swake_up_all(&q)		wake every waiter (not from interrupt
 *				handlers: it drops and retakes the lock
 *				between waiters, with interrupts on)
 *   swake_up_locked(&q)	swake_up_one() with q.lock held
 *   swait_active(&q), swq_has_sleeper(&q)
 *   DECLARE_SWAITQUEUE(w), prepare_to_swait_exclusive(&q, &w, state),
 *   prepare_to_swait_event(&q, &w, state), finish_swait(&q, &w)
 *
 * The kernel's simple wait queues (kernel/sched/swait.c): the same rule
 * as wait queues makes wakeups never lost (the waker makes the condition
 * true, then wakes; the waiter queues and sets its state before it
 * tests).  A waiter woken while its condition is still false sleeps
 * again at the tail.  As with wait queues (<ksync/wait.h>), a wait begins
 * when its entry is initialised: only interrupts after that interrupt it.
 */
#ifndef _KSYNC_SWAIT_H
#define _KSYNC_SWAIT_H

#include <ksync/compiler.h>
#include <ksync/errno.h>
#include <ksync/list_types.h>
#include <ksync/sched.h>
#include <ksync/spinlock_types.h>
#include <ksync/wait.h>

struct swait_queue_head {
	raw_spinlock_t lock;
	struct ksync_list_head task_list;
};

struct swait_queue {
	struct task_struct *task;
	struct ksync_list_head task_list;	/* empty once a waker took it */
};

#define __SWAIT_QUEUE_HEAD_INITIALIZER(name)				\
	{								\
		.lock = __RAW_SPIN_LOCK_INITIALIZER((name).lock),	\
		.task_list = KSYNC_LIST_HEAD_INIT((name).task_list),	\
	}

#define DECLARE_SWAIT_QUEUE_HEAD(name)					\
	struct swait_queue_head name = __SWAIT_QUEUE_HEAD_INITIALIZER(name)

KSYNC_API void ksync___init_swait_queue_head(struct swait_queue_head *q,
					     const char *name,
					     struct lock_class_key *key);
#define __init_swait_queue_head(q, name, key)				\
	ksync___init_swait_queue_head((q), (name), (key))

/* One lock class per place in the source that initialises queues. */
#define init_swait_queue_head(q)					\
	do {								\
		static struct lock_class_key __key;			\
		ksync___init_swait_queue_head((q), #q, &__key);		\
	} while (0)

#define DECLARE_SWAIT_QUEUE_HEAD_ONSTACK(name)				\
	struct swait_queue_head name =					\
		(*({ init_swait_queue_head(&(name)); &(name); }))

/* For the calling thread; begins its wait. */
KSYNC_API void ksync_init_swait_entry(struct swait_queue *wait);
#define DECLARE_SWAITQUEUE(name)					\
	struct swait_queue name = (*({ ksync_init_swait_entry(&(name)); &(name); }))

/* --- out of line (src/locking/swait.c) ------------------------------------- */

KSYNC_API void ksync_swake_up_one(struct swait_queue_head *q,
				  const struct ksync_site *site);
KSYNC_API void ksync_swake_up_all(struct swait_queue_head *q,
				  const struct ksync_site *site);
KSYNC_API void ksync_swake_up_locked(struct swait_queue_head *q);
KSYNC_API void ksync_prepare_to_swait_exclusive(struct swait_queue_head *q,
						struct swait_queue *wait,
						unsigned int state,
						const struct ksync_site *site);
KSYNC_API long ksync_prepare_to_swait_event(struct swait_queue_head *q,
					    struct swait_queue *wait,
					    unsigned int state,
					    const struct ksync_site *site);
KSYNC_API void ksync_finish_swait(struct swait_queue_head *q,
				  struct swait_queue *wait,
				  const struct ksync_site *site);
KSYNC_API bool ksync_swq_has_sleeper(struct swait_queue_head *q);

#define __KSYNC_SWQ_SITE(q)	KSYNC_SITE(#q)

#define swake_up_one(q)		ksync_swake_up_one((q), __KSYNC_SWQ_SITE(q))
#define swake_up_all(q)		ksync_swake_up_all((q), __KSYNC_SWQ_SITE(q))
#define swake_up_locked(q)	ksync_swake_up_locked(q)
#define prepare_to_swait_exclusive(q, wait, state)			\
	ksync_prepare_to_swait_exclusive((q), (wait), (state), __KSYNC_SWQ_SITE(q))
#define prepare_to_swait_event(q, wait, state)				\
	ksync_prepare_to_swait_event((q), (wait), (state), __KSYNC_SWQ_SITE(q))
#define finish_swait(q, wait)						\
	ksync_finish_swait((q), (wait), __KSYNC_SWQ_SITE(q))

/* A hint without the lock; see waitqueue_active() in <ksync/wait.h>. */
static __always_inline int swait_active(struct swait_queue_head *q)
{
	return __atomic_load_n(&q->task_list.next, __ATOMIC_RELAXED) != &q->task_list;
}

/* The waker's side of a lockless check, with the barrier it needs. */
#define swq_has_sleeper(q)	ksync_swq_has_sleeper(q)

/* --- swait_event*() ------------------------------------------------------------ */

/* The kernel's ___swait_event(); ___wait_cond_timeout() etc. from wait.h. */
#define ___ksync_swait_event(wq, condition, state, ret, cmd)		\
	({								\
		__label__ __out;					\
		const struct ksync_site *__swq_site = __KSYNC_SWQ_SITE(wq); \
		struct swait_queue __wait;				\
		uint64_t __wq_deadline __maybe_unused = 0;		\
		long __ret = (ret);					\
									\
		ksync_init_swait_entry(&__wait);			\
		for (;;) {						\
			long __int = ksync_prepare_to_swait_event(&(wq), \
						&__wait, (state), __swq_site); \
									\
			if (condition)					\
				break;					\
			if (___wait_is_interruptible(state) && __int) {	\
				__ret = __int;				\
				goto __out;				\
			}						\
			cmd;						\
		}							\
		ksync_finish_swait(&(wq), &__wait, __swq_site);		\
__out:		__ret;							\
	})

#define __ksync_swait_might_sleep(wq)					\
	__ksync_might_sleep(__KSYNC_SWQ_SITE(wq), 0)

#define __ksync_swait_event(wq, condition, state)			\
	do {								\
		__ksync_swait_might_sleep(wq);				\
		if (condition)						\
			break;						\
		(void)___ksync_swait_event(wq, condition, state, 0,	\
					   ksync_schedule());		\
	} while (0)

#define __ksync_swait_event_status(wq, condition, state)		\
	({								\
		int __ksync_swq_r = 0;					\
									\
		__ksync_swait_might_sleep(wq);				\
		if (!(condition))					\
			__ksync_swq_r = (int)___ksync_swait_event(wq,	\
					condition, state, 0, ksync_schedule()); \
		__ksync_swq_r;						\
	})

#define __ksync_swait_event_timeout(wq, condition, state, timeout)	\
	({								\
		long __ret = (timeout);					\
									\
		__ksync_swait_might_sleep(wq);				\
		if (!___wait_cond_timeout(condition)) {			\
			long __ksync_swq_t = __ret;			\
									\
			__ret = ___ksync_swait_event(wq,		\
					___wait_cond_timeout(condition), \
					state, __ksync_swq_t,		\
					__ksync_wait_sleep_timeout());	\
		}							\
		__ret;							\
	})

#define swait_event_exclusive(wq, condition)				\
	__ksync_swait_event(wq, condition, TASK_UNINTERRUPTIBLE)
#define swait_event_timeout_exclusive(wq, condition, timeout)		\
	__ksync_swait_event_timeout(wq, condition, TASK_UNINTERRUPTIBLE, timeout)
#define swait_event_interruptible_exclusive(wq, condition)		\
	__ksync_swait_event_status(wq, condition, TASK_INTERRUPTIBLE)
#define swait_event_interruptible_timeout_exclusive(wq, condition, timeout) \
	__ksync_swait_event_timeout(wq, condition, TASK_INTERRUPTIBLE, timeout)
#define swait_event_killable_exclusive(wq, condition)			\
	__ksync_swait_event_status(wq, condition, TASK_KILLABLE)
#define swait_event_idle_exclusive(wq, condition)			\
	__ksync_swait_event(wq, condition, TASK_IDLE)
#define swait_event_idle_timeout_exclusive(wq, condition, timeout)	\
	__ksync_swait_event_timeout(wq, condition, TASK_IDLE, timeout)

#endif /* _KSYNC_SWAIT_H */
