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
 * The count lives in one 64-bit word with two flags (WAITERS: someone
 * sleeps in wait_list; HANDOFF: the first waiter has waited too long),
 * so that the uncontended down() and up() are one compare-and-swap, as
 * sem_t's, and up() and down_trylock() work in interrupt handlers.  The
 * wait list is the kernel's, under a raw spinlock taken with interrupts
 * saved and masked.  Unlike the kernel, up() with waiters raises the
 * count and wakes the first waiter, which competes for the unit with
 * threads that are running (they may take it first, as with sem_t and
 * ksync's mutex); a first waiter that has waited 1 ms asks for a
 * handoff, and the next up() gives the unit to it directly, so no waiter
 * starves (docs/semaphore.md says why).
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

/*
 * count is the low half of word (the free units); the high half holds
 * the flags (src/locking/semaphore.c).  Only the library and its inline
 * paths below change them, atomically.
 */
#define KSYNC_SEM_COUNT_MASK	0xffffffffull
#define KSYNC_SEM_WAITERS	(1ull << 32)	/* wait_list is not empty */
#define KSYNC_SEM_HANDOFF	(1ull << 33)	/* the next unit is the first waiter's */

struct semaphore {
	raw_spinlock_t lock;		/* protects wait_list; flags change under it */
	union {
		unsigned long long word;	/* count | flags << 32 */
		struct {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			unsigned int count;
			unsigned int __flags;
#else
			unsigned int __flags;
			unsigned int count;
#endif
		};
	};
	struct ksync_list_head wait_list;
};

#define __SEMAPHORE_INITIALIZER(name, n)				\
	{								\
		.lock = __RAW_SPIN_LOCK_INITIALIZER((name).lock),	\
		.word = (unsigned int)(n),				\
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
/* down() when no unit could be taken at once: queues and sleeps. */
KSYNC_API int ksync_down_slow(struct semaphore *sem, unsigned int state,
			      long timeout, const struct ksync_site *site);
/* up() when someone waits (or the count is full). */
KSYNC_API void ksync_up_slow(struct semaphore *sem, const struct ksync_site *site);

/* One lock class for the inner spinlock per place that initialises. */
#define sema_init(sem, val)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_sema_init((sem), (val), &__key);			\
	} while (0)

/*
 * The paths below are inline: in the common case a down() or an up() is
 * one compare-and-swap on the word.
 *
 * Take a unit if there is one and no waiter was promised the next
 * (HANDOFF; the count is then 0 anyway).  Acquire: what the thread that
 * gave the unit back did before its up() (release) is seen by us.
 */
static __always_inline bool __ksync_sem_take(struct semaphore *sem)
{
	unsigned long long w = __atomic_load_n(&sem->word, __ATOMIC_RELAXED);

	while ((w & KSYNC_SEM_COUNT_MASK) && !(w & KSYNC_SEM_HANDOFF))
		if (__atomic_compare_exchange_n(&sem->word, &w, w - 1, 1,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

static __always_inline int
__ksync_down(struct semaphore *sem, unsigned int state, long timeout,
	     const struct ksync_site *site)
{
	int ret;

	__ksync_might_sleep(site, 0);
	if (__ksync_likely(__ksync_sem_take(sem)))
		return 0;
	ret = ksync_down_slow(sem, state, timeout, site);
	/*
	 * The unit was taken or handed over in the library, which a program
	 * built with TSan against the plain library does not see: pairs with
	 * the release in every up() (<ksync/tsan.h>).
	 */
	if (!ret)
		__ksync_tsan_acquire(sem);
	return ret;
}

/* 0 if a unit was taken, 1 if none was left; never sleeps. */
static __always_inline int
__ksync_down_trylock(struct semaphore *sem, const struct ksync_site *site)
{
	(void)site;
	return !__ksync_sem_take(sem);
}

/*
 * Release: what we did before up() is seen by whoever takes the unit.
 * With waiters, or a full count (the kernel lets it wrap; ksync says
 * so), the library's path.
 */
static __always_inline void
__ksync_up(struct semaphore *sem, const struct ksync_site *site)
{
	unsigned long long w = __atomic_load_n(&sem->word, __ATOMIC_RELAXED);

	__ksync_tsan_release(sem);	/* see __ksync_down() */
	while (__ksync_likely(!(w & ~KSYNC_SEM_COUNT_MASK) &&
			      (w & KSYNC_SEM_COUNT_MASK) != KSYNC_SEM_COUNT_MASK))
		if (__atomic_compare_exchange_n(&sem->word, &w, w + 1, 1,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	ksync_up_slow(sem, site);
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
