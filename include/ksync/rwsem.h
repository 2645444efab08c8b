/* SPDX-License-Identifier: MIT */
/* Model-checked: models/rwsem.pml (docs/models.md); change both together. */
/*
 * <ksync/rwsem.h> - struct rw_semaphore, the kernel's sleeping
 * reader-writer lock.
 *
 *   DECLARE_RWSEM(s), init_rwsem(&s)
 *   down_read(&s), up_read(&s)
 *   down_read_interruptible(&s)	0, or -EINTR if an interrupt arrived
 *   down_read_killable(&s)		0, or -EINTR after a fatal signal
 *   down_read_trylock(&s)		1 if taken, 0 if not
 *   down_write(&s), up_write(&s)
 *   down_write_killable(&s)		0, or -EINTR after a fatal signal
 *   down_write_trylock(&s)		1 if taken, 0 if not
 *   downgrade_write(&s)			write lock -> read lock, atomically
 *   down_read_nested(&s, subclass), down_write_nested(&s, subclass),
 *   down_read_killable_nested, down_write_killable_nested,
 *   down_write_nest_lock(&s, &outer)
 *   down_read_non_owner(&s), up_read_non_owner(&s)
 *   rwsem_is_locked(&s), rwsem_is_contended(&s)
 *   guard(rwsem_read)(&s), rwsem_read_try, rwsem_read_intr,
 *   guard(rwsem_write)(&s), rwsem_write_try; __free(up_read), __free(up_write)
 *
 * The algorithm is the kernel's (6.1).  One word, count, holds the state:
 * bit 0 a writer holds it, bit 1 there are waiters, bit 2 a waiter asked
 * for a handoff, bit 3 (ksync's own) the first waiter is a writer that is
 * awake, and from bit 8 up the number of readers (the top bit is a guard
 * against overflow).  A reader adds its bias and has the lock if no
 * writer, waiter, handoff or overflow bit was set (or if the only waiter
 * bit says "an awake writer is first" and it is the only reader); a
 * writer swaps 0 for "writer locked".
 * Anything else goes to the slow path, where waiters queue in FIFO order
 * and sleep; readers are woken in batches; and a waiter that has waited
 * more than 4 ms (RWSEM_WAIT_TIMEOUT) sets the handoff bit, after which
 * nobody may take the lock past the first waiter: neither a stream of
 * readers starves a writer, nor a stream of writers the readers.
 *
 * owner holds the writer's CPU block, or the last reader's with
 * RWSEM_READER_OWNED: a hint for optimistic spinning and for debugging.
 *
 * An rw_semaphore may sleep: taking one in atomic context is reported by
 * might_sleep().  With KSYNC_DEBUG=1 an up_write() by a thread that does
 * not hold the lock, an up_read() or up_write() of an rw_semaphore that is
 * not locked that way, a downgrade_write() without the write lock, taking
 * it again while holding it for writing, and an rw_semaphore that was
 * never initialised are reported; the bad unlocks and downgrades are
 * refused rather than let corrupt the count.  Never copy an initialised
 * rw_semaphore.  See docs/rwsem.md.
 */
#ifndef _KSYNC_RWSEM_H
#define _KSYNC_RWSEM_H

#include <limits.h>
#include <sys/types.h>
#include <ksync/compiler.h>
#include <ksync/atomic.h>
#include <ksync/cleanup.h>
#include <ksync/debug_locks.h>
#include <ksync/list_types.h>
#include <ksync/lockdep_types.h>
#include <ksync/percpu.h>
#include <ksync/sched.h>
#include <ksync/spinlock_types.h>
#include <ksync/tsan.h>

struct rw_semaphore {
	atomic_long_t count;		/* RWSEM_* bits and the reader count */
	atomic_long_t owner;		/* writer's CPU block, or reader | flags */
	atomic_t spinner;		/* 1 while a writer spins optimistically */
	raw_spinlock_t wait_lock;	/* protects wait_list */
	struct ksync_list_head wait_list;
	void *magic;			/* the rw_semaphore's own address */
	struct lockdep_map dep_map;
};

/* count: the kernel's bit layout (64-bit). */
#define RWSEM_UNLOCKED_VALUE	0L
#define RWSEM_WRITER_LOCKED	(1L << 0)
#define RWSEM_FLAG_WAITERS	(1L << 1)
#define RWSEM_FLAG_HANDOFF	(1L << 2)
#define RWSEM_FLAG_WOKEN	(1L << 3)	/* ksync: first waiter is an awake writer */
#define RWSEM_FLAG_READFAIL	LONG_MIN	/* the top bit */
#define RWSEM_READER_SHIFT	8
#define RWSEM_READER_BIAS	(1L << RWSEM_READER_SHIFT)
#define RWSEM_READER_MASK	(~(RWSEM_READER_BIAS - 1))
#define RWSEM_WRITER_MASK	RWSEM_WRITER_LOCKED
#define RWSEM_LOCK_MASK		(RWSEM_WRITER_MASK | RWSEM_READER_MASK)
#define RWSEM_READ_FAILED_MASK	(RWSEM_WRITER_MASK | RWSEM_FLAG_WAITERS | \
				 RWSEM_FLAG_HANDOFF | RWSEM_FLAG_READFAIL)

/* owner: CPU blocks are 64-byte aligned, so the low bits are free. */
#define RWSEM_READER_OWNED	(1L << 0)
#define RWSEM_NONSPINNABLE	(1L << 1)
#define RWSEM_OWNER_FLAGS_MASK	(RWSEM_READER_OWNED | RWSEM_NONSPINNABLE)

#define __RWSEM_INITIALIZER(lockname)					\
	{								\
		.count = ATOMIC_LONG_INIT(RWSEM_UNLOCKED_VALUE),	\
		.owner = ATOMIC_LONG_INIT(0),				\
		.spinner = ATOMIC_INIT(0),				\
		.wait_lock = __RAW_SPIN_LOCK_INITIALIZER(lockname.wait_lock), \
		.wait_list = KSYNC_LIST_HEAD_INIT((lockname).wait_list),	\
		.magic = &(lockname),					\
		.dep_map = {						\
			.name = #lockname,				\
			.wait_type_inner = LD_WAIT_SLEEP,		\
			.kind = KSYNC_LOCK_RWSEM,			\
		},							\
	}

#define DECLARE_RWSEM(lockname)						\
	struct rw_semaphore lockname = __RWSEM_INITIALIZER(lockname)

KSYNC_API void ksync_init_rwsem(struct rw_semaphore *sem, const char *name,
				struct lock_class_key *key);

#define __init_rwsem(sem, name, key)	ksync_init_rwsem((sem), (name), (key))

/* One lockdep class per place in the source that initialises rwsems. */
#define init_rwsem(sem)							\
	do {								\
		static struct lock_class_key __key;			\
		ksync_init_rwsem((sem), #sem, &__key);			\
	} while (0)

/* Slow paths, after the inline fast path failed. */
KSYNC_API int ksync_down_read_slowpath(struct rw_semaphore *sem, long count,
				       unsigned int state);
KSYNC_API int ksync_down_write_slowpath(struct rw_semaphore *sem,
					unsigned int state);
KSYNC_API void ksync_up_read_slowpath(struct rw_semaphore *sem);
KSYNC_API void ksync_up_write_slowpath(struct rw_semaphore *sem);

/*
 * Whole operations out of line: taken when a debug switch is on (checks,
 * lockdep) or when the calling thread has no CPU block yet.
 */
KSYNC_API int ksync_down_read_debug(struct rw_semaphore *sem, unsigned int state,
				    unsigned int subclass,
				    const struct ksync_site *site);
KSYNC_API int ksync_down_read_trylock_debug(struct rw_semaphore *sem,
					    const struct ksync_site *site);
KSYNC_API int ksync_down_write_debug(struct rw_semaphore *sem, unsigned int state,
				     unsigned int subclass, struct lockdep_map *nest,
				     const struct ksync_site *site);
KSYNC_API int ksync_down_write_trylock_debug(struct rw_semaphore *sem,
					     const struct ksync_site *site);
KSYNC_API void ksync_up_read_debug(struct rw_semaphore *sem,
				   const struct ksync_site *site);
KSYNC_API void ksync_up_write_debug(struct rw_semaphore *sem,
				    const struct ksync_site *site);

/* Rare operations, always out of line. */
/*
 * ksync extension (not in the kernel): take it for reading or writing, or
 * give up at deadline_ns (CLOCK_MONOTONIC) with -ETIMEDOUT.  For
 * pthread_rwlock_timedrdlock()/timedwrlock().
 */
KSYNC_API int ksync_down_read_until(struct rw_semaphore *sem, uint64_t deadline_ns,
				    const struct ksync_site *site);
KSYNC_API int ksync_down_write_until(struct rw_semaphore *sem, uint64_t deadline_ns,
				     const struct ksync_site *site);
/*
 * ksync extension (not in the kernel): the thread ids of the writers
 * queued on sem, at most max of them; returns how many are queued (which
 * may be more).  For ksync-lockdep's pthread_rwlock_rdlock(), which under
 * SCHED_FIFO or SCHED_RR lets a reader in past writers of lower priority,
 * as POSIX requires.
 */
KSYNC_API unsigned int ksync_rwsem_queued_writers(struct rw_semaphore *sem, pid_t *tids,
						  unsigned int max);
KSYNC_API void ksync_downgrade_write(struct rw_semaphore *sem,
				     const struct ksync_site *site);
KSYNC_API void ksync_down_read_non_owner(struct rw_semaphore *sem,
					 const struct ksync_site *site);
KSYNC_API void ksync_up_read_non_owner(struct rw_semaphore *sem,
				       const struct ksync_site *site);

/* count != 0: held, or a reader is on its way in or out. */
static __always_inline int rwsem_is_locked(struct rw_semaphore *sem)
{
	return atomic_long_read(&sem->count) != 0;
}

/*
 * Someone waits.  The kernel reads the wait list without the lock; ksync
 * reads the WAITERS bit, which is set exactly while the list is not empty
 * and, being an atomic, is not a data race.
 */
static __always_inline int rwsem_is_contended(struct rw_semaphore *sem)
{
	return (atomic_long_read(&sem->count) & RWSEM_FLAG_WAITERS) != 0;
}

/* --- the lock word (the kernel's __down_read() and friends) ---------------- */

/*
 * Record a reader as the owner, keeping NONSPINNABLE.  Only a hint: a
 * racing reader may overwrite it, as in the kernel.
 */
static __always_inline void __ksync_rwsem_set_reader_owned(struct rw_semaphore *sem,
							   long reader)
{
	long owner = atomic_long_read(&sem->owner);
	long next = reader | RWSEM_READER_OWNED | (owner & RWSEM_NONSPINNABLE);

	/* Skip the store when it changes nothing: the line stays shared. */
	if (owner != next)
		atomic_long_set(&sem->owner, next);
}

/*
 * After the add: the first waiter is a writer that is awake (WOKEN), no
 * writer holds the lock, nobody asked for a handoff, and we are the only
 * reader.  The slow path would steal the lock then and do nothing else
 * (an awake writer needs no wake-up, and no reader can be first), so the
 * fast path does it.  With more threads than CPUs a woken writer may wait
 * a whole time slice for a CPU, with WAITERS set all that while: every
 * read then used to call the slow path for this.
 */
static __always_inline bool __ksync_rwsem_read_passes_woken(long count)
{
	return (count & (RWSEM_READ_FAILED_MASK | RWSEM_FLAG_WOKEN | RWSEM_READER_MASK)) ==
	       (RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN | RWSEM_READER_BIAS);
}

static __always_inline int
__ksync_rwsem_down_read(struct rw_semaphore *sem, long curr, unsigned int state)
{
	/* Acquire: pairs with the release in up_write()/downgrade_write(). */
	long count = atomic_long_add_return_acquire(RWSEM_READER_BIAS, &sem->count);

	if (__ksync_likely(!(count & RWSEM_READ_FAILED_MASK)) ||
	    __ksync_rwsem_read_passes_woken(count)) {
		__ksync_rwsem_set_reader_owned(sem, curr);
		return 0;
	}
	return ksync_down_read_slowpath(sem, count, state);
}

static __always_inline int __ksync_rwsem_read_trylock(struct rw_semaphore *sem, long curr)
{
	long count = atomic_long_read(&sem->count);

	while (!(count & RWSEM_READ_FAILED_MASK)) {
		/* Acquire: pairs with the release in up_write(). */
		if (atomic_long_try_cmpxchg_acquire(&sem->count, &count,
						    count + RWSEM_READER_BIAS)) {
			__ksync_rwsem_set_reader_owned(sem, curr);
			return 1;
		}
	}
	return 0;
}

static __always_inline int __ksync_rwsem_write_trylock(struct rw_semaphore *sem, long curr)
{
	long unlocked = RWSEM_UNLOCKED_VALUE;

	/* Acquire: pairs with the release in up_read()/up_write(). */
	if (atomic_long_try_cmpxchg_acquire(&sem->count, &unlocked, RWSEM_WRITER_LOCKED)) {
		atomic_long_set(&sem->owner, curr);
		return 1;
	}
	return 0;
}

static __always_inline int
__ksync_rwsem_down_write(struct rw_semaphore *sem, long curr, unsigned int state)
{
	if (__ksync_likely(__ksync_rwsem_write_trylock(sem, curr)))
		return 0;
	return ksync_down_write_slowpath(sem, state);
}

static __always_inline void __ksync_rwsem_up_read(struct rw_semaphore *sem)
{
	/* Release: the read-side critical section before a writer's acquire. */
	long count = atomic_long_add_return_release(-RWSEM_READER_BIAS, &sem->count);

	/*
	 * The last reader out, with waiters and no writer: wake them, unless
	 * the first waiter is a writer that is awake already (WOKEN).
	 */
	if (__ksync_unlikely((count & (RWSEM_LOCK_MASK | RWSEM_FLAG_WAITERS |
				       RWSEM_FLAG_WOKEN)) == RWSEM_FLAG_WAITERS))
		ksync_up_read_slowpath(sem);
}

static __always_inline void __ksync_rwsem_up_write(struct rw_semaphore *sem)
{
	long count;

	atomic_long_set(&sem->owner, 0);
	/* Release: the critical section before the next owner's acquire. */
	count = atomic_long_fetch_add_release(-RWSEM_WRITER_LOCKED, &sem->count);
	if (__ksync_unlikely((count & (RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN)) ==
			     RWSEM_FLAG_WAITERS))
		ksync_up_write_slowpath(sem);
}

/* --- the API: fast paths inline, anything else out of line ---------------- */

/* The calling thread's CPU block, 0 if it has none yet (slow path registers). */
static __always_inline long __ksync_rwsem_current(void)
{
	return (long)ksync_tls.cpu;
}

/*
 * Under ThreadSanitizer each operation is annotated as a read or write
 * operation on the rw_semaphore (<ksync/tsan.h>): the slow paths are in
 * the library, where TSan cannot see the hand-over.  A lock that fails
 * (-EINTR) is a failed attempt.
 */
static __always_inline int
__ksync_down_read(struct rw_semaphore *sem, unsigned int state,
		  unsigned int subclass, const struct ksync_site *site)
{
	long curr = __ksync_rwsem_current();
	int ret;

	__ksync_might_sleep(site, 0);
	__ksync_tsan_pre_lock(sem, __KSYNC_TSAN_READ);
	if (__ksync_likely(!ksync_debug_active() && curr))
		ret = __ksync_rwsem_down_read(sem, curr, state);
	else
		ret = ksync_down_read_debug(sem, state, subclass, site);
	__ksync_tsan_post_lock(sem, __KSYNC_TSAN_READ, ret == 0);
	return ret;
}

static __always_inline __attribute__((warn_unused_result)) int
__ksync_down_read_checked(struct rw_semaphore *sem, unsigned int state,
			  unsigned int subclass, const struct ksync_site *site)
{
	return __ksync_down_read(sem, state, subclass, site);
}

static __always_inline int
__ksync_down_read_trylock(struct rw_semaphore *sem, const struct ksync_site *site)
{
	long curr = __ksync_rwsem_current();
	int taken;

	__ksync_tsan_pre_lock(sem, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY);
	if (__ksync_likely(!ksync_debug_active() && curr))
		taken = __ksync_rwsem_read_trylock(sem, curr);
	else
		taken = ksync_down_read_trylock_debug(sem, site);
	__ksync_tsan_post_lock(sem, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY, taken);
	return taken;
}

static __always_inline int
__ksync_down_write(struct rw_semaphore *sem, unsigned int state,
		   unsigned int subclass, struct lockdep_map *nest,
		   const struct ksync_site *site)
{
	long curr = __ksync_rwsem_current();
	int ret;

	__ksync_might_sleep(site, 0);
	__ksync_tsan_pre_lock(sem, 0);
	if (__ksync_likely(!ksync_debug_active() && curr))
		ret = __ksync_rwsem_down_write(sem, curr, state);
	else
		ret = ksync_down_write_debug(sem, state, subclass, nest, site);
	__ksync_tsan_post_lock(sem, 0, ret == 0);
	return ret;
}

static __always_inline __attribute__((warn_unused_result)) int
__ksync_down_write_checked(struct rw_semaphore *sem, unsigned int state,
			   unsigned int subclass, const struct ksync_site *site)
{
	return __ksync_down_write(sem, state, subclass, NULL, site);
}

static __always_inline int
__ksync_down_write_trylock(struct rw_semaphore *sem, const struct ksync_site *site)
{
	long curr = __ksync_rwsem_current();
	int taken;

	__ksync_tsan_pre_lock(sem, __KSYNC_TSAN_TRY);
	if (__ksync_likely(!ksync_debug_active() && curr))
		taken = __ksync_rwsem_write_trylock(sem, curr);
	else
		taken = ksync_down_write_trylock_debug(sem, site);
	__ksync_tsan_post_lock(sem, __KSYNC_TSAN_TRY, taken);
	return taken;
}

static __always_inline void
__ksync_up_read(struct rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_tsan_pre_unlock(sem, __KSYNC_TSAN_READ);
	if (__ksync_likely(!ksync_debug_active()))
		__ksync_rwsem_up_read(sem);
	else
		ksync_up_read_debug(sem, site);
	__ksync_tsan_post_unlock(sem, __KSYNC_TSAN_READ);
}

static __always_inline void
__ksync_up_write(struct rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_tsan_pre_unlock(sem, 0);
	if (__ksync_likely(!ksync_debug_active()))
		__ksync_rwsem_up_write(sem);
	else
		ksync_up_write_debug(sem, site);
	__ksync_tsan_post_unlock(sem, 0);
}

/*
 * Write lock to read lock: to TSan, a write unlock while the write lock is
 * still held, then a read lock once it is held for reading (TSan has no
 * downgrade); other readers let in meanwhile find it read-locked or free.
 */
static __always_inline void
__ksync_downgrade_write(struct rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_tsan_unlocking(sem, 0);
	ksync_downgrade_write(sem, site);
	__ksync_tsan_locked(sem, __KSYNC_TSAN_READ);
}

/*
 * Taken by one thread, released by another: TSan's mutexes have owners, so
 * these are only the happens-before edges (the writer's release before the
 * read, the read before the next writer), not lock operations.
 */
static __always_inline void
__ksync_down_read_non_owner(struct rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_might_sleep(site, 0);
	ksync_down_read_non_owner(sem, site);
	__ksync_tsan_acquire(sem);
}

static __always_inline void
__ksync_up_read_non_owner(struct rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_tsan_release(sem);
	ksync_up_read_non_owner(sem, site);
}

#ifdef __KSYNC_TSAN_ANNOTATE
/* The timed locks: annotated as tries, as TSan's pthread_rwlock_timed*lock. */
static __always_inline int
__ksync_tsan_down_read_until(struct rw_semaphore *sem, uint64_t deadline_ns,
			     const struct ksync_site *site)
{
	int ret;

	__ksync_tsan_pre_lock(sem, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY);
	ret = (ksync_down_read_until)(sem, deadline_ns, site);
	__ksync_tsan_post_lock(sem, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY, ret == 0);
	return ret;
}

static __always_inline int
__ksync_tsan_down_write_until(struct rw_semaphore *sem, uint64_t deadline_ns,
			      const struct ksync_site *site)
{
	int ret;

	__ksync_tsan_pre_lock(sem, __KSYNC_TSAN_TRY);
	ret = (ksync_down_write_until)(sem, deadline_ns, site);
	__ksync_tsan_post_lock(sem, __KSYNC_TSAN_TRY, ret == 0);
	return ret;
}
#define ksync_down_read_until(sem, deadline_ns, site)			\
	__ksync_tsan_down_read_until((sem), (deadline_ns), (site))
#define ksync_down_write_until(sem, deadline_ns, site)			\
	__ksync_tsan_down_write_until((sem), (deadline_ns), (site))
#endif

#define __KSYNC_RWSEM_SITE(sem)		KSYNC_SITE(#sem)

#define down_read(sem)							\
	((void)__ksync_down_read((sem), TASK_UNINTERRUPTIBLE, 0,	\
				 __KSYNC_RWSEM_SITE(sem)))
#define down_read_nested(sem, subclass)					\
	((void)__ksync_down_read((sem), TASK_UNINTERRUPTIBLE, (subclass), \
				 __KSYNC_RWSEM_SITE(sem)))
#define down_read_interruptible(sem)					\
	__ksync_down_read_checked((sem), TASK_INTERRUPTIBLE, 0,		\
				  __KSYNC_RWSEM_SITE(sem))
#define down_read_killable(sem)						\
	__ksync_down_read_checked((sem), TASK_KILLABLE, 0,		\
				  __KSYNC_RWSEM_SITE(sem))
#define down_read_killable_nested(sem, subclass)			\
	__ksync_down_read_checked((sem), TASK_KILLABLE, (subclass),	\
				  __KSYNC_RWSEM_SITE(sem))
#define down_read_trylock(sem)						\
	__ksync_down_read_trylock((sem), __KSYNC_RWSEM_SITE(sem))
#define up_read(sem)							\
	__ksync_up_read((sem), __KSYNC_RWSEM_SITE(sem))

#define down_write(sem)							\
	((void)__ksync_down_write((sem), TASK_UNINTERRUPTIBLE, 0, NULL,	\
				  __KSYNC_RWSEM_SITE(sem)))
#define down_write_nested(sem, subclass)				\
	((void)__ksync_down_write((sem), TASK_UNINTERRUPTIBLE, (subclass), \
				  NULL, __KSYNC_RWSEM_SITE(sem)))
#define down_write_nest_lock(sem, nest_lock)				\
	((void)__ksync_down_write((sem), TASK_UNINTERRUPTIBLE, 0,	\
				  &(nest_lock)->dep_map,		\
				  __KSYNC_RWSEM_SITE(sem)))
#define down_write_killable(sem)					\
	__ksync_down_write_checked((sem), TASK_KILLABLE, 0,		\
				   __KSYNC_RWSEM_SITE(sem))
#define down_write_killable_nested(sem, subclass)			\
	__ksync_down_write_checked((sem), TASK_KILLABLE, (subclass),	\
				   __KSYNC_RWSEM_SITE(sem))
#define down_write_trylock(sem)						\
	__ksync_down_write_trylock((sem), __KSYNC_RWSEM_SITE(sem))
#define up_write(sem)							\
	__ksync_up_write((sem), __KSYNC_RWSEM_SITE(sem))

#define downgrade_write(sem)						\
	__ksync_downgrade_write((sem), __KSYNC_RWSEM_SITE(sem))

/*
 * Read-locked by one thread, unlocked by another.  Lockdep does not track
 * these (as in the kernel); prefer a completion where you can.
 */
#define down_read_non_owner(sem)					\
	__ksync_down_read_non_owner((sem), __KSYNC_RWSEM_SITE(sem))
#define up_read_non_owner(sem)						\
	__ksync_up_read_non_owner((sem), __KSYNC_RWSEM_SITE(sem))

/* --- guards ----------------------------------------------------------------- */

DEFINE_GUARD(rwsem_read, struct rw_semaphore *, down_read(_T), up_read(_T))
DEFINE_GUARD_COND(rwsem_read, _try, down_read_trylock(_T))
DEFINE_GUARD_COND(rwsem_read, _intr, down_read_interruptible(_T) == 0)

DEFINE_GUARD(rwsem_write, struct rw_semaphore *, down_write(_T), up_write(_T))
DEFINE_GUARD_COND(rwsem_write, _try, down_write_trylock(_T))

DEFINE_FREE(up_read, struct rw_semaphore *, if (_T) up_read(_T))
DEFINE_FREE(up_write, struct rw_semaphore *, if (_T) up_write(_T))

#endif /* _KSYNC_RWSEM_H */
