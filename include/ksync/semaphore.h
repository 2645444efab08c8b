/* SPDX-License-Identifier: MIT */
/*
 * <ksync/semaphore.h> - struct semaphore, the kernel's counting semaphore.
 *
 *   DEFINE_SEMAPHORE(name)		count 1 (a sleeping lock)
 *   DEFINE_SEMAPHORE(name, n)		count n (the 6.4+ kernels' form)
 *   sema_init(&sem, val)
 *   down(&sem)				sleeps until it can take one
 *   down_interruptible(&sem)		0, or -EINTR if an interrupt arrived
 *   down_killable(&sem)		0, or -EINTR after a fatal signal
 *   down_trylock(&sem)			0 if taken, 1 if not (inverted, as
 *					in the kernel)
 *   down_timeout(&sem, jiffies)	0, or -ETIME when the time ran out
 *   up(&sem)				gives one back, or hands it to the
 *					first waiter
 *   guard(semaphore)(&sem), scoped_guard(semaphore_try, &sem) { }
 *
 * The algorithm is the kernel's (kernel/locking/semaphore.c): a count and
 * a FIFO list of waiters under a raw spinlock, taken with interrupts
 * saved and masked so that up() and down_trylock() work in interrupt
 * handlers.  up() with waiters does not raise the count: it hands the unit
 * straight to the first waiter, so a thread that comes later cannot barge
 * in ahead of one that waits.
 *
 * A semaphore has no owner: any thread (or handler) may up() what another
 * took, and lockdep does not track semaphores, as in the kernel.  down()
 * and its variants may sleep, so calling them in atomic context is
 * reported by might_sleep().  Never copy an initialised semaphore.
 */
#ifndef _KSYNC_SEMAPHORE_H
#define _KSYNC_SEMAPHORE_H

#include <limits.h>
#include <ksync/compiler.h>
#include <ksync/cleanup.h>
#include <ksync/jiffies.h>
#include <ksync/list_types.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>
#include <ksync/tsan.h>

struct semaphore {
	raw_spinlock_t lock;		/* protects count and wait_list */
	unsigned int count;
	struct ksync_list_head wait_list;
};

#define __SEMAPHORE_INITIALIZER(name, n)				\
	{								\
		.lock = __RAW_SPIN_LOCK_INITIALIZER((name).lock),	\
		.count = (n),						\
		.wait_list = KSYNC_LIST_HEAD_INIT((name).wait_list),	\
	}

/*
 * DEFINE_SEMAPHORE(name) gives a count of 1, as kernels before 6.4 did;
 * DEFINE_SEMAPHORE(name, n) takes the count, as 6.4 and later do.  Both
 * spellings work: the count defaults to 1 when it is left out.
 */
#define __KSYNC_DEFINE_SEMAPHORE(name, n, ...)				\
	struct semaphore name = __SEMAPHORE_INITIALIZER(name, n)
#define DEFINE_SEMAPHORE(...)	__KSYNC_DEFINE_SEMAPHORE(__VA_ARGS__, 1, ~)

KSYNC_API void ksync_sema_init(struct semaphore *sem, int val,
			       struct lock_class_key *key);
/* Called with sem->lock held, interrupts masked, the count at 0. */
KSYNC_API int ksync_down_slowpath(struct semaphore *sem, unsigned int state,
				  long timeout);
/* Called with sem->lock held and waiters queued: returns whom to wake. */
KSYNC_API struct task_struct *ksync_up_slowpath(struct semaphore *sem);
KSYNC_API void ksync_up_overflow(struct semaphore *sem,
				 const struct ksync_site *site);

/* One lock class for the inner spinlock per place that initialises. */
#define sema_init(sem, val)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_sema_init((sem), (val), &__key);			\
	} while (0)

/*
 * The paths below are inline: in the common case a down() or an up() is
 * the spinlock's own fast path and a change of the count.
 */
static __always_inline int
__ksync_down(struct semaphore *sem, unsigned int state, long timeout,
	     const struct ksync_site *site)
{
	unsigned long flags;
	int ret = 0;

	__ksync_might_sleep(site, 0);
	flags = __ksync_raw_spin_lock_irqsave(&sem->lock, 0, site);
	if (__ksync_likely(sem->count > 0)) {
		sem->count--;
	} else {
		/*
		 * The wait drops sem->lock and retakes it in the library:
		 * tell ThreadSanitizer, while it is held (<ksync/tsan.h>), so
		 * that it sees the up() that handed us the unit.
		 */
		__ksync_tsan_unlocking(&sem->lock, 0);
		ret = ksync_down_slowpath(sem, state, timeout);
		__ksync_tsan_locked(&sem->lock, 0);
	}
	__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
	return ret;
}

/* 0 if a unit was taken, 1 if none was left; never sleeps. */
static __always_inline int
__ksync_down_trylock(struct semaphore *sem, const struct ksync_site *site)
{
	unsigned long flags;
	int busy = 1;

	flags = __ksync_raw_spin_lock_irqsave(&sem->lock, 0, site);
	if (__ksync_likely(sem->count > 0)) {
		sem->count--;
		busy = 0;
	}
	__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
	return busy;
}

static __always_inline void
__ksync_up(struct semaphore *sem, const struct ksync_site *site)
{
	struct task_struct *wake = NULL;
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(&sem->lock, 0, site);
	if (__ksync_likely(sem->wait_list.next == &sem->wait_list)) {
		/* The kernel lets the count wrap; ksync says so instead. */
		if (__ksync_unlikely(sem->count == UINT_MAX))
			ksync_up_overflow(sem, site);
		else
			sem->count++;
	} else {
		wake = ksync_up_slowpath(sem);
	}
	__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
	/* Woken after the unlock, so that it does not wait for our lock. */
	if (wake)
		ksync_wake_up_process(wake);
}

/*
 * Functions, as the kernel's, so that a program may have its own
 * functions or members of these names.  Always inlined, so that a report
 * (might_sleep() in down(), say) names the program's line that called
 * them, through the debug information of the inlined call.
 */
static __always_inline void down(struct semaphore *sem)
{
	(void)__ksync_down(sem, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT, NULL);
}

static __always_inline __attribute__((__warn_unused_result__)) int
down_interruptible(struct semaphore *sem)
{
	return __ksync_down(sem, TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT, NULL);
}

static __always_inline __attribute__((__warn_unused_result__)) int
down_killable(struct semaphore *sem)
{
	return __ksync_down(sem, TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT, NULL);
}

static __always_inline __attribute__((__warn_unused_result__)) int
down_timeout(struct semaphore *sem, long timeout)
{
	return __ksync_down(sem, TASK_UNINTERRUPTIBLE, timeout, NULL);
}

static __always_inline __attribute__((__warn_unused_result__)) int
down_trylock(struct semaphore *sem)
{
	return __ksync_down_trylock(sem, NULL);
}

static __always_inline void up(struct semaphore *sem)
{
	__ksync_up(sem, NULL);
}


/* guard(semaphore)(&sem): down() now, up() at the end of the scope. */
DEFINE_GUARD(semaphore, struct semaphore *, down(_T), up(_T))
DEFINE_GUARD_COND(semaphore, _try, !down_trylock(_T))
DEFINE_GUARD_COND(semaphore, _intr, down_interruptible(_T) == 0)

#endif /* _KSYNC_SEMAPHORE_H */
