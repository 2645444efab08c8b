/* SPDX-License-Identifier: MIT */
/*
 * <ksync/completion.h> - completions: "wait until this has happened".
 *
 *   DECLARE_COMPLETION(done), DECLARE_COMPLETION_ONSTACK(done)
 *   init_completion(&done), reinit_completion(&done)
 *   complete(&done)		one event: wakes one waiter, or is kept
 *				for the next wait (counted)
 *   complete_all(&done)	done for good: every wait, now and later,
 *				returns at once until reinit_completion()
 *   wait_for_completion(&done)
 *   wait_for_completion_timeout(&done, jiffies)
 *				0 on timeout, else the jiffies left (>= 1)
 *   wait_for_completion_interruptible(&done)		0 or -ERESTARTSYS
 *   wait_for_completion_interruptible_timeout(&done, j)	-ERESTARTSYS, 0, or left
 *   wait_for_completion_killable(&done)		0 or -ERESTARTSYS
 *   wait_for_completion_killable_timeout(&done, j)	-ERESTARTSYS, 0, or left
 *   try_wait_for_completion(&done)	true if it consumed an event
 *   completion_done(&done)		true if a wait would not sleep
 *
 * The kernel's algorithm (kernel/sched/completion.c): a count of events,
 * done, and a FIFO of sleeping waiters under a raw spinlock taken with
 * interrupts masked, so complete() and complete_all() may be called from
 * interrupt handlers.  complete_all() sets done to UINT_MAX, which waits
 * never decrement.
 *
 * The interruptible and killable waits return -ERESTARTSYS (512,
 * <ksync/errno.h>) when a signal ends them, as the kernel's do (ksync
 * before 0.3 returned -EINTR).
 * The waits may sleep: calling them in atomic context is reported by
 * might_sleep().  Never copy an initialised completion.
 */
#ifndef _KSYNC_COMPLETION_H
#define _KSYNC_COMPLETION_H

#include <limits.h>
#include <ksync/compiler.h>
#include <ksync/errno.h>
#include <ksync/jiffies.h>
#include <ksync/list_types.h>
#include <ksync/sched.h>
#include <ksync/spinlock_types.h>
#include <ksync/tsan.h>

struct completion {
	unsigned int done;		/* events not yet consumed; UINT_MAX: all */
	struct {			/* the kernel's simple wait queue */
		raw_spinlock_t lock;
		struct ksync_list_head task_list;
	} wait;
};

#define COMPLETION_INITIALIZER(work)					\
	{								\
		.done = 0,						\
		.wait = {						\
			.lock = __RAW_SPIN_LOCK_INITIALIZER((work).wait.lock), \
			.task_list = KSYNC_LIST_HEAD_INIT((work).wait.task_list), \
		},							\
	}

#define DECLARE_COMPLETION(work)					\
	struct completion work = COMPLETION_INITIALIZER(work)

KSYNC_API void ksync_init_completion(struct completion *x, const char *name,
				     struct lock_class_key *key);

/* One lock class per place in the source that initialises completions. */
#define init_completion(x)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_init_completion((x), #x, &__key);			\
	} while (0)

/*
 * On the stack, initialise at run time so that the inner lock's class is
 * this line's, not the (reused) stack address, as the kernel does with
 * lockdep.  The copy is of the object onto itself, so the list head still
 * points at itself.
 */
#define COMPLETION_INITIALIZER_ONSTACK(work)				\
	(*({ init_completion(&(work)); &(work); }))
#define DECLARE_COMPLETION_ONSTACK(work)				\
	struct completion work = COMPLETION_INITIALIZER_ONSTACK(work)

/* Forget past events; not while anyone waits on or completes it. */
static __always_inline void reinit_completion(struct completion *x)
{
	__atomic_store_n(&x->done, 0, __ATOMIC_RELAXED);
}

/* site: the caller's, so that reports on the inner lock name it. */
KSYNC_API void ksync_complete(struct completion *x, const struct ksync_site *site);
KSYNC_API void ksync_complete_all(struct completion *x,
				  const struct ksync_site *site);
KSYNC_API long ksync_wait_for_completion(struct completion *x, long timeout,
					 unsigned int state,
					 const struct ksync_site *site);
KSYNC_API bool ksync_try_wait_for_completion(struct completion *x,
					     const struct ksync_site *site);
KSYNC_API bool ksync_completion_done(struct completion *x,
				     const struct ksync_site *site);

/* The kernel's unsigned timeouts, clamped so that they stay positive. */
static __always_inline long __ksync_completion_timeout(unsigned long timeout)
{
	return timeout > (unsigned long)MAX_SCHEDULE_TIMEOUT ?
		MAX_SCHEDULE_TIMEOUT : (long)timeout;
}

/* 0, or -ERESTARTSYS for an interrupted wait. */
static __always_inline int __ksync_completion_status(long ret)
{
	return ret < 0 ? (int)ret : 0;
}

/*
 * Under ThreadSanitizer a complete() releases the completion and a wait
 * that returns with an event acquires it (<ksync/tsan.h>): the hand-over
 * is under the completion's lock, in the library, where TSan cannot see
 * it.  What the completer wrote before complete() happens before what the
 * waiter reads after its wait, as in the kernel.
 */
static __always_inline void
__ksync_complete(struct completion *x, bool all, const struct ksync_site *site)
{
	__ksync_tsan_release(x);
	if (all)
		ksync_complete_all(x, site);
	else
		ksync_complete(x, site);
}

/* A wait's result: > 0 when it consumed an event. */
static __always_inline long
__ksync_wait_for_completion(struct completion *x, long timeout, unsigned int state,
			    const struct ksync_site *site)
{
	long ret = ksync_wait_for_completion(x, timeout, state, site);

	if (ret > 0)
		__ksync_tsan_acquire(x);
	return ret;
}

static __always_inline bool
__ksync_try_wait_for_completion(struct completion *x, const struct ksync_site *site)
{
	bool got = ksync_try_wait_for_completion(x, site);

	if (got)
		__ksync_tsan_acquire(x);
	return got;
}

/* True: complete() has run, and what it published is ours to read. */
static __always_inline bool
__ksync_completion_done(struct completion *x, const struct ksync_site *site)
{
	bool done = ksync_completion_done(x, site);

	if (done)
		__ksync_tsan_acquire(x);
	return done;
}

/*
 * Functions, as the kernel's, so that a program may have its own
 * functions or members of these names.  Always inlined, so that a report
 * names the program's line that called them, through the debug
 * information of the inlined call.
 */
static __always_inline void
complete(struct completion *x)
{
	__ksync_complete(x, false, NULL);
}

static __always_inline void
complete_all(struct completion *x)
{
	__ksync_complete(x, true, NULL);
}

static __always_inline bool
try_wait_for_completion(struct completion *x)
{
	return __ksync_try_wait_for_completion(x, NULL);
}

static __always_inline bool
completion_done(struct completion *x)
{
	return __ksync_completion_done(x, NULL);
}

static __always_inline void
wait_for_completion(struct completion *x)
{
	(void)__ksync_wait_for_completion(x, MAX_SCHEDULE_TIMEOUT,
					  TASK_UNINTERRUPTIBLE, NULL);
}

static __always_inline void
wait_for_completion_io(struct completion *x)
{
	(void)__ksync_wait_for_completion(x, MAX_SCHEDULE_TIMEOUT,
					  TASK_UNINTERRUPTIBLE, NULL);
}

static __always_inline unsigned long
wait_for_completion_timeout(struct completion *x, unsigned long timeout)
{
	return (unsigned long)__ksync_wait_for_completion(x,
			__ksync_completion_timeout(timeout), TASK_UNINTERRUPTIBLE, NULL);
}

static __always_inline unsigned long
wait_for_completion_io_timeout(struct completion *x, unsigned long timeout)
{
	return (unsigned long)__ksync_wait_for_completion(x,
			__ksync_completion_timeout(timeout), TASK_UNINTERRUPTIBLE, NULL);
}

static __always_inline __attribute__((__warn_unused_result__)) int
wait_for_completion_interruptible(struct completion *x)
{
	return __ksync_completion_status(__ksync_wait_for_completion(x,
			MAX_SCHEDULE_TIMEOUT, TASK_INTERRUPTIBLE, NULL));
}

static __always_inline long
wait_for_completion_interruptible_timeout(struct completion *x, unsigned long timeout)
{
	return __ksync_wait_for_completion(x, __ksync_completion_timeout(timeout),
					   TASK_INTERRUPTIBLE, NULL);
}

static __always_inline __attribute__((__warn_unused_result__)) int
wait_for_completion_killable(struct completion *x)
{
	return __ksync_completion_status(__ksync_wait_for_completion(x,
			MAX_SCHEDULE_TIMEOUT, TASK_KILLABLE, NULL));
}

static __always_inline long
wait_for_completion_killable_timeout(struct completion *x, unsigned long timeout)
{
	return __ksync_wait_for_completion(x, __ksync_completion_timeout(timeout),
					   TASK_KILLABLE, NULL);
}

static __always_inline __attribute__((__warn_unused_result__)) int
wait_for_completion_state(struct completion *x, unsigned int state)
{
	return __ksync_completion_status(__ksync_wait_for_completion(x,
			MAX_SCHEDULE_TIMEOUT, state, NULL));
}

#endif /* _KSYNC_COMPLETION_H */
