/* SPDX-License-Identifier: MIT */
/*
 * <ksync/condvar.h> - condition variables, the CondVar of Rust for Linux
 * (rust/kernel/sync/condvar.rs) in C.
 *
 *   DEFINE_CONDVAR(cv), condvar_init(&cv)
 *   condvar_wait(&cv, lock)				sleeps; lock held again
 *   condvar_wait_interruptible(&cv, lock)		0, or -EINTR
 *   condvar_wait_timeout(&cv, lock, jiffies)		jiffies left, 0: timed out
 *   condvar_wait_interruptible_timeout(&cv, lock, jiffies)
 *							jiffies left, 0, or -EINTR
 *   condvar_notify_one(&cv), condvar_notify_all(&cv)
 *
 * lock is what the caller holds, and the wait releases and retakes:
 *
 *   struct mutex *		held with mutex_lock() (or a guard)
 *   spinlock_t *		held with spin_lock(), spin_lock_irq(),
 *   raw_spinlock_t *		spin_lock_irqsave() or spin_lock_irq_disable()
 *
 * One set of names serves every lock type: the macros pick the release
 * and retake functions from the lock pointer's type with _Generic, the C
 * counterpart of CondVar::wait() being generic over the lock's Backend.
 * Any other pointer type is a compile error.  With a spinlock, interrupts
 * that the caller had masked are unmasked while it sleeps and masked again
 * before it returns (Rust's SpinLockIrq backend does the same).
 *
 *	mutex_lock(&m);
 *	while (!ready)
 *		condvar_wait(&cv, &m);
 *	...
 *	mutex_unlock(&m);
 *
 * The wait queues itself on the condition variable, then releases the lock,
 * then sleeps: a notify that comes after the release finds it queued, so
 * none is lost in between.  But notifications are not remembered: a notify
 * with nobody waiting does nothing.  And a wait may return without a
 * notify (a spurious wakeup), so always wait in a loop that re-tests the
 * condition under the lock, as above.
 *
 * Waiters are exclusive, FIFO: condvar_notify_one() wakes the one that has
 * waited longest, condvar_notify_all() wakes them all.  Notifying does not
 * need the lock, and may be done from interrupt handlers.
 *
 * The three outcomes of Rust's wait_interruptible_timeout(), the
 * CondVarTimeoutResult, map to condvar_wait_interruptible_timeout()'s
 * return value: Woken { jiffies } is jiffies > 0 (at least 1), Timeout is
 * 0, Signal { jiffies } is -EINTR (the jiffies left are not returned).
 * Rust's wait_interruptible() returns whether a signal is pending; here
 * that is -EINTR, else 0.  condvar_wait_timeout() is the uninterruptible
 * form, with the first two outcomes only.
 *
 * With KSYNC_DEBUG=1, waiting without holding lock is reported, and the
 * wait then leaves the lock alone.
 */
#ifndef _KSYNC_CONDVAR_H
#define _KSYNC_CONDVAR_H

#include <ksync/compiler.h>
#include <ksync/jiffies.h>
#include <ksync/mutex.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>
#include <ksync/tsan.h>
#include <ksync/wait.h>

struct condvar {
	struct wait_queue_head wait_queue_head;
};

#define __CONDVAR_INITIALIZER(name)					\
	{ .wait_queue_head = __WAIT_QUEUE_HEAD_INITIALIZER((name).wait_queue_head) }

#define DEFINE_CONDVAR(name)	struct condvar name = __CONDVAR_INITIALIZER(name)

KSYNC_API void ksync_condvar_init(struct condvar *cv, const char *name,
				  struct lock_class_key *key);

/* One lock class per place in the source that initialises condvars. */
#define condvar_init(cv)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_condvar_init((cv), #cv, &__key);			\
	} while (0)

/*
 * How a wait releases and retakes the caller's lock (Rust's Backend):
 * unlock returns a cookie that relock gets back.  held is the debug check.
 */
struct ksync_condvar_backend {
	const char *name;
	bool (*held)(void *lock);
	unsigned long (*unlock)(void *lock, const struct ksync_site *site);
	void (*relock)(void *lock, unsigned long cookie,
		       const struct ksync_site *site);
};

extern KSYNC_API const struct ksync_condvar_backend ksync_condvar_spinlock_backend;
extern KSYNC_API const struct ksync_condvar_backend ksync_condvar_raw_spinlock_backend;

/*
 * The mutex backend lives here rather than in the library, so that the
 * condition variable does not tie libksync's link to the mutex's.
 */
static inline bool __ksync_condvar_mutex_held(void *lock)
{
	struct mutex *m = (struct mutex *)lock;
	long me = (long)ksync_tls.cpu;

	return me && (atomic_long_read(&m->owner) & ~(long)MUTEX_FLAGS) == me;
}

static inline unsigned long
__ksync_condvar_mutex_unlock(void *lock, const struct ksync_site *site)
{
	__ksync_mutex_unlock((struct mutex *)lock, site);
	return 0;
}

static inline void
__ksync_condvar_mutex_relock(void *lock, unsigned long cookie,
			     const struct ksync_site *site)
{
	(void)cookie;
	(void)__ksync_mutex_lock((struct mutex *)lock, TASK_UNINTERRUPTIBLE, 0,
				 NULL, site);
}

static inline const struct ksync_condvar_backend *__ksync_condvar_mutex_backend(void)
{
	static const struct ksync_condvar_backend backend = {
		.name = "mutex",
		.held = __ksync_condvar_mutex_held,
		.unlock = __ksync_condvar_mutex_unlock,
		.relock = __ksync_condvar_mutex_relock,
	};

	return &backend;
}

#ifdef __KSYNC_TSAN_ANNOTATE
/*
 * Under ThreadSanitizer the library's spinlock backends are wrapped here,
 * so that their release and retake are annotated (<ksync/tsan.h>), each
 * while the lock is held; the mutex backend above goes through the
 * annotated mutex calls already.  spinlock_t starts with its
 * raw_spinlock_t: one address, one lock to TSan.
 */
static inline bool __ksync_condvar_tsan_spin_held(void *lock)
{
	return ksync_condvar_raw_spinlock_backend.held(lock);
}

static inline unsigned long
__ksync_condvar_tsan_spin_unlock(void *lock, const struct ksync_site *site)
{
	__ksync_tsan_unlocking(lock, 0);
	return ksync_condvar_raw_spinlock_backend.unlock(lock, site);
}

static inline void
__ksync_condvar_tsan_spin_relock(void *lock, unsigned long cookie,
				 const struct ksync_site *site)
{
	ksync_condvar_raw_spinlock_backend.relock(lock, cookie, site);
	__ksync_tsan_locked(lock, 0);
}

#define __KSYNC_CONDVAR_TSAN_SPIN(type_name)				\
	{								\
		.name = type_name,					\
		.held = __ksync_condvar_tsan_spin_held,			\
		.unlock = __ksync_condvar_tsan_spin_unlock,		\
		.relock = __ksync_condvar_tsan_spin_relock,		\
	}

static inline const struct ksync_condvar_backend *__ksync_condvar_tsan_spinlock(void)
{
	static const struct ksync_condvar_backend backend =
		__KSYNC_CONDVAR_TSAN_SPIN("spinlock_t");

	return &backend;
}

static inline const struct ksync_condvar_backend *__ksync_condvar_tsan_raw_spinlock(void)
{
	static const struct ksync_condvar_backend backend =
		__KSYNC_CONDVAR_TSAN_SPIN("raw_spinlock_t");

	return &backend;
}

#define __ksync_condvar_backend(lock)					\
	_Generic((lock),						\
		 struct mutex *: __ksync_condvar_mutex_backend(),	\
		 spinlock_t *: __ksync_condvar_tsan_spinlock(),		\
		 raw_spinlock_t *: __ksync_condvar_tsan_raw_spinlock())
#else
#define __ksync_condvar_backend(lock)					\
	_Generic((lock),						\
		 struct mutex *: __ksync_condvar_mutex_backend(),	\
		 spinlock_t *: &ksync_condvar_spinlock_backend,		\
		 raw_spinlock_t *: &ksync_condvar_raw_spinlock_backend)
#endif

/*
 * The wait itself: 0 or the jiffies left (at least 1) when woken, 0 when
 * timeout ran out first, -EINTR when a signal that state allows arrived.
 */
KSYNC_API long ksync_condvar_wait(struct condvar *cv, void *lock,
				  const struct ksync_condvar_backend *backend,
				  unsigned int state, long timeout,
				  const struct ksync_site *site);
KSYNC_API void ksync_condvar_notify(struct condvar *cv, int count,
				    const struct ksync_site *site);

#define __ksync_condvar_wait(cv, lock, state, timeout)			\
	ksync_condvar_wait((cv), (lock), __ksync_condvar_backend(lock),	\
			   (state), (timeout), KSYNC_SITE(#lock))

/* -EINTR, or 0 (woken: by a notify, or spuriously). */
static __always_inline int __ksync_condvar_status(long ret)
{
	return ret < 0 ? (int)ret : 0;
}

/* lock goes through unparenthesised, so that reports name it as written. */
#define condvar_wait(cv, lock)						\
	((void)__ksync_condvar_wait(cv, lock, TASK_UNINTERRUPTIBLE,	\
				    MAX_SCHEDULE_TIMEOUT))
#define condvar_wait_interruptible(cv, lock)				\
	__ksync_condvar_status(__ksync_condvar_wait(cv, lock,		\
						    TASK_INTERRUPTIBLE,	\
						    MAX_SCHEDULE_TIMEOUT))
#define condvar_wait_timeout(cv, lock, jiffies)				\
	__ksync_condvar_wait(cv, lock, TASK_UNINTERRUPTIBLE, (long)(jiffies))
#define condvar_wait_interruptible_timeout(cv, lock, jiffies)		\
	__ksync_condvar_wait(cv, lock, TASK_INTERRUPTIBLE, (long)(jiffies))

#define condvar_notify_one(cv)	ksync_condvar_notify((cv), 1, KSYNC_SITE(#cv))
#define condvar_notify_all(cv)	ksync_condvar_notify((cv), 0, KSYNC_SITE(#cv))

#endif /* _KSYNC_CONDVAR_H */
