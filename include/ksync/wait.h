/* SPDX-License-Identifier: MIT */
/*
 * <ksync/wait.h> - wait queues: sleep until a condition becomes true.
 *
 *   DECLARE_WAIT_QUEUE_HEAD(wq), init_waitqueue_head(&wq)
 *   wait_event(wq, cond)
 *   wait_event_timeout(wq, cond, jiffies)	0: timed out with cond false;
 *						else jiffies left, at least 1
 *   wait_event_interruptible(wq, cond)	0, or -EINTR on an interrupt
 *   wait_event_interruptible_timeout(wq, cond, jiffies)	-EINTR, 0, left
 *   wait_event_interruptible_exclusive(wq, cond)		0 or -EINTR
 *   wait_event_killable(wq, cond)		0, or -EINTR on a fatal signal
 *   wait_event_killable_timeout(wq, cond, jiffies)	-EINTR, 0, left
 *   wait_event_idle(wq, cond), wait_event_idle_exclusive(wq, cond)
 *   wait_event_idle_timeout(wq, cond, j), _idle_exclusive_timeout	0 or left
 *					(TASK_IDLE: uninterruptible, no load)
 *   wait_event_cmd(wq, cond, cmd1, cmd2)	cmd1 before each sleep, cmd2 after
 *   wait_event_lock_irq(wq, cond, lock)	cond checked under lock, a
 *						spinlock_t held with _irq
 *   wait_event_lock_irq_cmd(wq, cond, lock, cmd), _lock_irq_timeout	0 or left
 *   wait_event_interruptible_lock_irq(wq, cond, lock)	0 or -ERESTARTSYS
 *   wait_event_interruptible_lock_irq_cmd(wq, cond, lock, cmd)
 *   wait_event_interruptible_lock_irq_timeout(wq, cond, lock, j)
 *						-ERESTARTSYS, 0 or left
 *   wait_event_interruptible_locked(wq, cond)	wq.lock held by spin_lock()
 *   wait_event_interruptible_locked_irq(wq, cond)	... by spin_lock_irq()
 *   wait_event_interruptible_exclusive_locked(_irq)(wq, cond)
 *						0 or -ERESTARTSYS
 *   wake_up(&wq), wake_up_nr(&wq, nr), wake_up_all(&wq)
 *   wake_up_interruptible(&wq), _nr, _all	only TASK_INTERRUPTIBLE sleepers
 *   wake_up_locked(&wq), wake_up_all_locked(&wq)	wq.lock held
 *   wake_up_poll(&wq, events), wake_up_interruptible_poll, _locked_poll
 *					key = poll_to_key(events)
 *   wake_up_sync(&wq), wake_up_interruptible_sync(&wq)	WF_SYNC hint
 *   wait_woken(&wait, state, timeout), woken_wake_function
 *   waitqueue_active(&wq), wq_has_sleeper(&wq), wq_has_single_sleeper(&wq)
 *
 * and the parts the macros are made of, for hand-written wait loops:
 *
 *   DEFINE_WAIT(wait);
 *   for (;;) {
 *	prepare_to_wait(&wq, &wait, TASK_UNINTERRUPTIBLE);
 *	if (cond)
 *		break;
 *	schedule();
 *   }
 *   finish_wait(&wq, &wait);
 *
 * (prepare_to_wait_exclusive(), init_wait_entry(), DECLARE_WAITQUEUE(),
 * add_wait_queue(), add_wait_queue_exclusive(), remove_wait_queue(),
 * default_wake_function, autoremove_wake_function).
 *
 * The rule that makes wakeups never get lost is the kernel's: the waker
 * makes the condition true, then calls wake_up(); the waiter sets its
 * task state (a full barrier) before it tests the condition.  Then either
 * the waiter sees the condition or the waker sees the waiter's state and
 * wakes it.  A waiter woken by wake_up() tests the condition again, so a
 * wakeup that finds the condition false again just sends it back to sleep.
 *
 * Exclusive waiters (prepare_to_wait_exclusive(), the _exclusive macros)
 * queue at the tail and are woken nr at a time: one by wake_up(), nr by
 * wake_up_nr(), all by wake_up_all(); non-exclusive waiters queue at the
 * head and are always woken.  wake_up() and friends take the queue's lock
 * with interrupts saved, so they may be called from interrupt handlers.
 *
 * Interrupted waits return -ERESTARTSYS (<ksync/errno.h>), as the
 * kernel's (ksync 0.2 returned -EINTR).  Difference from the kernel: a
 * wait "begins" when its entry is initialised (DEFINE_WAIT(),
 * init_wait_entry(), the macros): only interrupts that arrive after that
 * interrupt it.
 */
#ifndef _KSYNC_WAIT_H
#define _KSYNC_WAIT_H

#include <ksync/compiler.h>
#include <ksync/errno.h>
#include <ksync/jiffies.h>
#include <ksync/list_types.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>

typedef struct wait_queue_entry wait_queue_entry_t;

typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry,
				 unsigned int mode, int flags, void *key);

/* wait_queue_entry::flags */
#define WQ_FLAG_EXCLUSIVE	0x01
#define WQ_FLAG_WOKEN		0x02
#define WQ_FLAG_CUSTOM		0x08
#define WQ_FLAG_DONE		0x10

struct wait_queue_entry {
	unsigned int flags;
	void *private;			/* the sleeping task */
	wait_queue_func_t func;		/* called by wake_up() under the lock */
	struct ksync_list_head entry;
};

struct wait_queue_head {
	spinlock_t lock;
	struct ksync_list_head head;
};
typedef struct wait_queue_head wait_queue_head_t;

/* --- initialisation ---------------------------------------------------- */

#define __WAIT_QUEUE_HEAD_INITIALIZER(name)				\
	{								\
		.lock = __SPIN_LOCK_INITIALIZER((name).lock),		\
		.head = KSYNC_LIST_HEAD_INIT((name).head),		\
	}

#define DECLARE_WAIT_QUEUE_HEAD(name)					\
	struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)

KSYNC_API void ksync___init_waitqueue_head(struct wait_queue_head *wq_head,
					   const char *name,
					   struct lock_class_key *key);
#define __init_waitqueue_head(wq_head, name, key)			\
	ksync___init_waitqueue_head((wq_head), (name), (key))

/* One lock class per place in the source that initialises wait queues. */
#define init_waitqueue_head(wq_head)					\
	do {								\
		static struct lock_class_key __key;			\
		ksync___init_waitqueue_head((wq_head), #wq_head, &__key); \
	} while (0)

/* On the stack: a run-time key (a stack address makes a poor class). */
#define DECLARE_WAIT_QUEUE_HEAD_ONSTACK(name)				\
	struct wait_queue_head name = (*({ init_waitqueue_head(&(name)); &(name); }))

KSYNC_API int ksync_default_wake_function(struct wait_queue_entry *wq_entry,
					  unsigned int mode, int flags, void *key);
KSYNC_API int ksync_autoremove_wake_function(struct wait_queue_entry *wq_entry,
					     unsigned int mode, int flags,
					     void *key);
#define default_wake_function		ksync_default_wake_function
#define autoremove_wake_function	ksync_autoremove_wake_function

/*
 * p, after beginning its wait if p is the calling thread: interrupts that
 * arrived before no longer count as pending for interruptible sleeps.
 */
KSYNC_API struct task_struct *ksync_wait_entry_task(struct task_struct *p);

#define __WAITQUEUE_INITIALIZER(name, tsk)				\
	{								\
		.flags = 0,						\
		.private = ksync_wait_entry_task(tsk),			\
		.func = default_wake_function,				\
		.entry = KSYNC_LIST_HEAD_INIT((name).entry),		\
	}
#define DECLARE_WAITQUEUE(name, tsk)					\
	struct wait_queue_entry name = __WAITQUEUE_INITIALIZER(name, tsk)

#define DEFINE_WAIT_FUNC(name, function)				\
	struct wait_queue_entry name = {				\
		.flags = 0,						\
		.private = ksync_wait_entry_task(ksync_current()),	\
		.func = (function),					\
		.entry = KSYNC_LIST_HEAD_INIT((name).entry),		\
	}
#define DEFINE_WAIT(name)	DEFINE_WAIT_FUNC(name, autoremove_wake_function)

static __always_inline void
init_waitqueue_entry(struct wait_queue_entry *wq_entry, struct task_struct *p)
{
	wq_entry->flags = 0;
	wq_entry->private = ksync_wait_entry_task(p);
	wq_entry->func = default_wake_function;
	wq_entry->entry.next = wq_entry->entry.prev = &wq_entry->entry;
}

static __always_inline void
init_waitqueue_func_entry(struct wait_queue_entry *wq_entry, wait_queue_func_t func)
{
	wq_entry->flags = 0;
	wq_entry->private = NULL;
	wq_entry->func = func;
	wq_entry->entry.next = wq_entry->entry.prev = &wq_entry->entry;
}

/* For the current thread, woken by autoremove_wake_function; begins a wait. */
KSYNC_API void ksync_init_wait_entry(struct wait_queue_entry *wq_entry, int flags);
#define init_wait_entry(wq_entry, flags)	ksync_init_wait_entry((wq_entry), (flags))
#define init_wait(wait)				ksync_init_wait_entry((wait), 0)

/* --- queueing, sleeping, waking ---------------------------------------- */

/* site: the caller's, for reports on the queue's lock. */
KSYNC_API void ksync_add_wait_queue(struct wait_queue_head *wq_head,
				    struct wait_queue_entry *wq_entry,
				    bool exclusive, const struct ksync_site *site);
KSYNC_API void ksync_remove_wait_queue(struct wait_queue_head *wq_head,
				       struct wait_queue_entry *wq_entry,
				       const struct ksync_site *site);
KSYNC_API bool ksync_prepare_to_wait(struct wait_queue_head *wq_head,
				     struct wait_queue_entry *wq_entry,
				     unsigned int state, bool exclusive,
				     const struct ksync_site *site);
KSYNC_API long ksync_prepare_to_wait_event(struct wait_queue_head *wq_head,
					   struct wait_queue_entry *wq_entry,
					   unsigned int state,
					   const struct ksync_site *site);
/* true if the entry was off the queue: a wake function took it off. */
KSYNC_API bool ksync_finish_wait(struct wait_queue_head *wq_head,
				 struct wait_queue_entry *wq_entry,
				 const struct ksync_site *site);
KSYNC_API int ksync___wake_up(struct wait_queue_head *wq_head, unsigned int mode,
			      int nr_exclusive, void *key,
			      const struct ksync_site *site);
KSYNC_API bool ksync_wq_has_sleeper(struct wait_queue_head *wq_head);
/* The queue's lock held by the caller; wake_flags WF_SYNC or 0. */
KSYNC_API int ksync___wake_up_locked(struct wait_queue_head *wq_head,
				     unsigned int mode, int nr_exclusive,
				     void *key, int wake_flags);
/* As __wake_up(), with the WF_SYNC hint (the waker is about to sleep). */
KSYNC_API void ksync___wake_up_sync_key(struct wait_queue_head *wq_head,
					unsigned int mode, void *key,
					const struct ksync_site *site);
KSYNC_API long ksync_wait_woken(struct wait_queue_entry *wq_entry,
				unsigned int mode, long timeout);
KSYNC_API int ksync_woken_wake_function(struct wait_queue_entry *wq_entry,
					unsigned int mode, int sync, void *key);
/*
 * One step of wait_event_interruptible_locked*() (the kernel's
 * do_wait_intr() and do_wait_intr_irq()): queue, and sleep with the
 * queue's lock dropped; -ERESTARTSYS if interrupted.
 */
KSYNC_API int ksync_do_wait_intr(struct wait_queue_head *wq_head,
				 struct wait_queue_entry *wq_entry, bool irq);
/* The caller holds the queue's lock (the _locked waits). */
KSYNC_API void ksync___remove_wait_queue(struct wait_queue_head *wq_head,
					 struct wait_queue_entry *wq_entry);
/*
 * schedule_timeout() against one deadline for a whole wait: *deadline is
 * set from timeout on the first call (0 before), so wakeups that send the
 * waiter back to sleep do not stretch the wait.  Returns the jiffies left,
 * 0 once the deadline passed.
 */
KSYNC_API long ksync_wait_schedule_timeout(uint64_t *deadline, long timeout);

#define __KSYNC_WQ_SITE(wq)	KSYNC_SITE(#wq)

#define add_wait_queue(wq_head, wq_entry)				\
	ksync_add_wait_queue((wq_head), (wq_entry), false, __KSYNC_WQ_SITE(wq_head))
#define add_wait_queue_exclusive(wq_head, wq_entry)			\
	ksync_add_wait_queue((wq_head), (wq_entry), true, __KSYNC_WQ_SITE(wq_head))
#define remove_wait_queue(wq_head, wq_entry)				\
	ksync_remove_wait_queue((wq_head), (wq_entry), __KSYNC_WQ_SITE(wq_head))
#define prepare_to_wait(wq_head, wq_entry, state)			\
	((void)ksync_prepare_to_wait((wq_head), (wq_entry), (state), false, \
				     __KSYNC_WQ_SITE(wq_head)))
/* true if the queue was empty: we are the first waiter. */
#define prepare_to_wait_exclusive(wq_head, wq_entry, state)		\
	ksync_prepare_to_wait((wq_head), (wq_entry), (state), true,	\
			      __KSYNC_WQ_SITE(wq_head))
#define prepare_to_wait_event(wq_head, wq_entry, state)			\
	ksync_prepare_to_wait_event((wq_head), (wq_entry), (state),	\
				    __KSYNC_WQ_SITE(wq_head))
#define finish_wait(wq_head, wq_entry)					\
	((void)ksync_finish_wait((wq_head), (wq_entry), __KSYNC_WQ_SITE(wq_head)))

/* The number of exclusive waiters woken. */
#define __wake_up(wq_head, mode, nr, key)				\
	ksync___wake_up((wq_head), (mode), (nr), (key), __KSYNC_WQ_SITE(wq_head))
#define wake_up(x)			__wake_up(x, TASK_NORMAL, 1, NULL)
#define wake_up_nr(x, nr)		__wake_up(x, TASK_NORMAL, nr, NULL)
#define wake_up_all(x)			__wake_up(x, TASK_NORMAL, 0, NULL)
#define wake_up_interruptible(x)	__wake_up(x, TASK_INTERRUPTIBLE, 1, NULL)
#define wake_up_interruptible_nr(x, nr)	__wake_up(x, TASK_INTERRUPTIBLE, nr, NULL)
#define wake_up_interruptible_all(x)	__wake_up(x, TASK_INTERRUPTIBLE, 0, NULL)

/* The waker holds the queue's lock (spin_lock(&wq.lock)). */
#define __wake_up_locked(x, mode, nr)	ksync___wake_up_locked((x), (mode), (nr), NULL, 0)
#define __wake_up_locked_key(x, mode, key)				\
	ksync___wake_up_locked((x), (mode), 1, (key), 0)
#define wake_up_locked(x)		__wake_up_locked((x), TASK_NORMAL, 1)
#define wake_up_all_locked(x)		__wake_up_locked((x), TASK_NORMAL, 0)

/*
 * poll events as the wake key (the kernel's __poll_t): a custom wake
 * function sees them in key, key_to_poll(key).
 */
#define poll_to_key(m)		((void *)(uintptr_t)(m))
#define key_to_poll(m)		((unsigned int)(uintptr_t)(m))
#define wake_up_poll(x, m)						\
	__wake_up(x, TASK_NORMAL, 1, poll_to_key(m))
#define wake_up_locked_poll(x, m)					\
	__wake_up_locked_key((x), TASK_NORMAL, poll_to_key(m))
#define wake_up_interruptible_poll(x, m)				\
	__wake_up(x, TASK_INTERRUPTIBLE, 1, poll_to_key(m))
#define wake_up_interruptible_sync_poll(x, m)				\
	ksync___wake_up_sync_key((x), TASK_INTERRUPTIBLE, poll_to_key(m), \
				 __KSYNC_WQ_SITE(x))

/*
 * WF_SYNC: the waker will sleep soon, so the woken need not be moved to
 * another CPU.  A hint to the kernel's scheduler; ksync wakes one
 * exclusive waiter as wake_up() does, and hands the flag to wake
 * functions.
 */
#define WF_SYNC				0x10
#define wake_up_sync(x)							\
	ksync___wake_up_sync_key((x), TASK_NORMAL, NULL, __KSYNC_WQ_SITE(x))
#define wake_up_interruptible_sync(x)					\
	ksync___wake_up_sync_key((x), TASK_INTERRUPTIBLE, NULL, __KSYNC_WQ_SITE(x))

/*
 * wait_woken(): for a waiter on the queue (add_wait_queue() of an entry
 * made with DEFINE_WAIT_FUNC(wait, woken_wake_function)) that tests its
 * condition in a loop of its own:
 *
 *	add_wait_queue(&wq, &wait);
 *	while (!cond)
 *		timeout = wait_woken(&wait, TASK_INTERRUPTIBLE, timeout);
 *	remove_wait_queue(&wq, &wait);
 *
 * A wakeup that comes between the test and the sleep is kept in the
 * entry (WQ_FLAG_WOKEN), so the sleep returns at once.  Returns the
 * jiffies left.
 */
#define wait_woken(wq_entry, mode, timeout)				\
	ksync_wait_woken((wq_entry), (mode), (timeout))
#define woken_wake_function		ksync_woken_wake_function

/*
 * waitqueue_active(): is anyone queued?  Without the lock this is only a
 * hint; a waker that uses it to skip wake_up() must order its condition
 * store before the test, which is what wq_has_sleeper() does.
 */
static __always_inline int waitqueue_active(struct wait_queue_head *wq_head)
{
	/* Relaxed: a snapshot; the queue's lock or wq_has_sleeper() orders. */
	return __atomic_load_n(&wq_head->head.next, __ATOMIC_RELAXED) != &wq_head->head;
}

static __always_inline bool wq_has_single_sleeper(struct wait_queue_head *wq_head)
{
	struct ksync_list_head *next;

	next = __atomic_load_n(&wq_head->head.next, __ATOMIC_RELAXED);
	return next != &wq_head->head &&
	       next == __atomic_load_n(&wq_head->head.prev, __ATOMIC_RELAXED);
}

/*
 * The waker's side of a lockless check:
 *
 *	cond = true;
 *	if (wq_has_sleeper(&wq))
 *		wake_up(&wq);
 *
 * true if a waiter may be queued (when in doubt, true).
 */
#define wq_has_sleeper(wq_head)		ksync_wq_has_sleeper(wq_head)

/* --- wait_event() and friends ------------------------------------------ */

#define ___wait_cond_timeout(condition)					\
	({								\
		bool __cond = (condition);				\
		if (__cond && !__ret)					\
			__ret = 1;					\
		__cond || !__ret;					\
	})

#define ___wait_is_interruptible(state)					\
	(!__builtin_constant_p(state) ||				\
	 ((state) & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)))

/*
 * The loop every wait_event*() is made of (the kernel's ___wait_event()):
 * queue, set the state, test, sleep (cmd), until the condition holds or a
 * signal the state allows arrives.  __ret is shadowed on purpose, so that
 * ___wait_cond_timeout() and cmd see this loop's copy; __wq_deadline
 * serves the timeout forms.
 */
#define ___ksync_wait_event(wq_head, condition, state, exclusive, ret, cmd) \
	({								\
		__label__ __out;					\
		const struct ksync_site *__wq_site = __KSYNC_WQ_SITE(wq_head); \
		struct wait_queue_entry __wq_entry;			\
		uint64_t __wq_deadline __maybe_unused = 0;		\
		long __ret = (ret);					\
									\
		ksync_init_wait_entry(&__wq_entry,			\
				      (exclusive) ? WQ_FLAG_EXCLUSIVE : 0); \
		for (;;) {						\
			long __int = ksync_prepare_to_wait_event(&(wq_head), \
						&__wq_entry, (state), __wq_site); \
									\
			if (condition)					\
				break;					\
			if (___wait_is_interruptible(state) && __int) {	\
				__ret = __int;				\
				goto __out;				\
			}						\
			cmd;						\
		}							\
		ksync_finish_wait(&(wq_head), &__wq_entry, __wq_site);	\
__out:		__ret;							\
	})

#define __ksync_wait_might_sleep(wq_head)				\
	__ksync_might_sleep(__KSYNC_WQ_SITE(wq_head), 0)

#define __ksync_wait_sleep_timeout()					\
	(__ret = ksync_wait_schedule_timeout(&__wq_deadline, __ret))

#define wait_event(wq_head, condition)					\
	do {								\
		__ksync_wait_might_sleep(wq_head);			\
		if (condition)						\
			break;						\
		(void)___ksync_wait_event(wq_head, condition,		\
					  TASK_UNINTERRUPTIBLE, 0, 0,	\
					  ksync_schedule());		\
	} while (0)

#define __ksync_wait_event_timeout(wq_head, condition, state, timeout)	\
	({								\
		long __ret = (timeout);					\
									\
		__ksync_wait_might_sleep(wq_head);			\
		if (!___wait_cond_timeout(condition)) {			\
			long __ksync_wq_t = __ret;			\
									\
			__ret = ___ksync_wait_event(wq_head,		\
					___wait_cond_timeout(condition), \
					state, 0, __ksync_wq_t,		\
					__ksync_wait_sleep_timeout());	\
		}							\
		__ret;							\
	})

#define __ksync_wait_event_status(wq_head, condition, state, exclusive)	\
	({								\
		int __ksync_wq_r = 0;					\
									\
		__ksync_wait_might_sleep(wq_head);			\
		if (!(condition))					\
			__ksync_wq_r = (int)___ksync_wait_event(wq_head, \
					condition, state, exclusive, 0,	\
					ksync_schedule());		\
		__ksync_wq_r;						\
	})

#define wait_event_timeout(wq_head, condition, timeout)			\
	__ksync_wait_event_timeout(wq_head, condition, TASK_UNINTERRUPTIBLE, timeout)
#define wait_event_interruptible(wq_head, condition)			\
	__ksync_wait_event_status(wq_head, condition, TASK_INTERRUPTIBLE, 0)
#define wait_event_interruptible_timeout(wq_head, condition, timeout)	\
	__ksync_wait_event_timeout(wq_head, condition, TASK_INTERRUPTIBLE, timeout)
#define wait_event_interruptible_exclusive(wq_head, condition)		\
	__ksync_wait_event_status(wq_head, condition, TASK_INTERRUPTIBLE, 1)
#define wait_event_killable(wq_head, condition)				\
	__ksync_wait_event_status(wq_head, condition, TASK_KILLABLE, 0)
#define wait_event_killable_timeout(wq_head, condition, timeout)	\
	__ksync_wait_event_timeout(wq_head, condition, TASK_KILLABLE, timeout)

/* TASK_IDLE: uninterruptible, and not counted as load in the kernel. */
#define wait_event_idle(wq_head, condition)				\
	do {								\
		__ksync_wait_might_sleep(wq_head);			\
		if (condition)						\
			break;						\
		(void)___ksync_wait_event(wq_head, condition, TASK_IDLE, 0, 0, \
					  ksync_schedule());		\
	} while (0)
#define wait_event_idle_exclusive(wq_head, condition)			\
	do {								\
		__ksync_wait_might_sleep(wq_head);			\
		if (condition)						\
			break;						\
		(void)___ksync_wait_event(wq_head, condition, TASK_IDLE, 1, 0, \
					  ksync_schedule());		\
	} while (0)
#define wait_event_idle_timeout(wq_head, condition, timeout)		\
	__ksync_wait_event_timeout(wq_head, condition, TASK_IDLE, timeout)
#define wait_event_idle_exclusive_timeout(wq_head, condition, timeout)	\
	({								\
		long __ret = (timeout);					\
									\
		__ksync_wait_might_sleep(wq_head);			\
		if (!___wait_cond_timeout(condition)) {			\
			long __ksync_wq_t = __ret;			\
									\
			__ret = ___ksync_wait_event(wq_head,		\
					___wait_cond_timeout(condition), \
					TASK_IDLE, 1, __ksync_wq_t,	\
					__ksync_wait_sleep_timeout());	\
		}							\
		__ret;							\
	})

/* cmd1 runs before each sleep, cmd2 after it (a lock dropped and retaken). */
#define wait_event_cmd(wq_head, condition, cmd1, cmd2)			\
	do {								\
		if (condition)						\
			break;						\
		(void)___ksync_wait_event(wq_head, condition,		\
					  TASK_UNINTERRUPTIBLE, 0, 0,	\
					  cmd1; __ksync_wait_might_sleep(wq_head); \
					  ksync_schedule(); cmd2);	\
	} while (0)

/*
 * Called with lock (a spinlock_t, not a pointer) held by spin_lock_irq();
 * the condition is tested under it, and it is dropped while sleeping (cmd
 * runs after it is dropped).  Returns with it held.
 */
#define __ksync_wait_lock_irq(wq_head, condition, lock, state, cmd)	\
	___ksync_wait_event(wq_head, condition, state, 0, 0,		\
			    spin_unlock_irq(&(lock)); cmd;		\
			    __ksync_wait_might_sleep(wq_head);		\
			    ksync_schedule();				\
			    spin_lock_irq(&(lock)))

#define wait_event_lock_irq_cmd(wq_head, condition, lock, cmd)		\
	do {								\
		if (condition)						\
			break;						\
		(void)__ksync_wait_lock_irq(wq_head, condition, lock,	\
					    TASK_UNINTERRUPTIBLE, cmd);	\
	} while (0)
#define wait_event_lock_irq(wq_head, condition, lock)			\
	wait_event_lock_irq_cmd(wq_head, condition, lock, (void)0)

#define wait_event_interruptible_lock_irq_cmd(wq_head, condition, lock, cmd) \
	({								\
		int __ksync_wq_r = 0;					\
									\
		if (!(condition))					\
			__ksync_wq_r = (int)__ksync_wait_lock_irq(wq_head, \
					condition, lock, TASK_INTERRUPTIBLE, cmd); \
		__ksync_wq_r;						\
	})
#define wait_event_interruptible_lock_irq(wq_head, condition, lock)	\
	wait_event_interruptible_lock_irq_cmd(wq_head, condition, lock, (void)0)

#define __ksync_wait_lock_irq_timeout(wq_head, condition, lock, state, timeout) \
	({								\
		long __ret = (timeout);					\
									\
		if (!___wait_cond_timeout(condition)) {			\
			long __ksync_wq_t = __ret;			\
									\
			__ret = ___ksync_wait_event(wq_head,		\
					___wait_cond_timeout(condition), \
					state, 0, __ksync_wq_t,		\
					spin_unlock_irq(&(lock));	\
					__ksync_wait_might_sleep(wq_head); \
					__ksync_wait_sleep_timeout();	\
					spin_lock_irq(&(lock)));	\
		}							\
		__ret;							\
	})
#define wait_event_lock_irq_timeout(wq_head, condition, lock, timeout)	\
	__ksync_wait_lock_irq_timeout(wq_head, condition, lock,		\
				      TASK_UNINTERRUPTIBLE, timeout)
#define wait_event_interruptible_lock_irq_timeout(wq_head, condition, lock, timeout) \
	__ksync_wait_lock_irq_timeout(wq_head, condition, lock,		\
				      TASK_INTERRUPTIBLE, timeout)

/*
 * Called with the queue's own lock held (spin_lock(&wq.lock), or
 * spin_lock_irq() for the _irq forms), for code that changes the
 * condition under it and wakes with wake_up_locked().  The lock is
 * dropped while sleeping and held again on return.  Exclusive forms wake
 * one at a time.  0, or -ERESTARTSYS if an interrupt came first.
 */
#define __ksync_wait_event_interruptible_locked(wq, condition, exclusive, irq) \
	({								\
		struct wait_queue_entry __wq_entry;			\
		int __ret;						\
									\
		ksync_init_wait_entry(&__wq_entry,			\
				      (exclusive) ? WQ_FLAG_EXCLUSIVE : 0); \
		do {							\
			__ret = ksync_do_wait_intr(&(wq), &__wq_entry, (irq)); \
			if (__ret)					\
				break;					\
		} while (!(condition));					\
		ksync___remove_wait_queue(&(wq), &__wq_entry);		\
		__set_current_state(TASK_RUNNING);			\
		__ret;							\
	})

#define wait_event_interruptible_locked(wq, condition)			\
	((condition) ? 0 : __ksync_wait_event_interruptible_locked(wq, condition, 0, false))
#define wait_event_interruptible_locked_irq(wq, condition)		\
	((condition) ? 0 : __ksync_wait_event_interruptible_locked(wq, condition, 0, true))
#define wait_event_interruptible_exclusive_locked(wq, condition)	\
	((condition) ? 0 : __ksync_wait_event_interruptible_locked(wq, condition, 1, false))
#define wait_event_interruptible_exclusive_locked_irq(wq, condition)	\
	((condition) ? 0 : __ksync_wait_event_interruptible_locked(wq, condition, 1, true))

#endif /* _KSYNC_WAIT_H */
