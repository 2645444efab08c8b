/* SPDX-License-Identifier: MIT */
/*
 * <ksync/percpu-rwsem.h> - struct percpu_rw_semaphore.
 *
 *   DEFINE_STATIC_PERCPU_RWSEM(name), DEFINE_PERCPU_RWSEM(name)
 *   percpu_init_rwsem(&sem)		0, or -ENOMEM
 *   percpu_free_rwsem(&sem)
 *   percpu_down_read(&sem), percpu_up_read(&sem)
 *   percpu_down_read_trylock(&sem)	1 if taken, 0 if not
 *   percpu_down_write(&sem), percpu_up_write(&sem)
 *   percpu_is_read_locked(&sem)	readers inside and no writer (the kernel's)
 *   percpu_is_write_locked(&sem)	a writer holds or waits
 *   percpu_rwsem_assert_held(&sem)
 *
 * A reader-writer semaphore for data that is read all the time and
 * written almost never: a reader touches only its own CPU's counter (a
 * 64-byte line of its own) and reads one shared word that does not
 * change while there is no writer, so readers on many CPUs never share a
 * written cache line.  A writer pays instead: it tells the readers to
 * take the slow path, forces a memory barrier onto every running thread
 * of the process (membarrier(2)), and waits until the readers that got
 * in before it have left.  Writers are preferred: once one waits, new
 * readers wait for it.
 *
 * Why the readers' fast path needs no fence (the kernel uses rcu_sync
 * for this; ksync has no RCU).  The reader stores its count, then loads
 * `block`; the writer stores `block`, then loads every count.  That is
 * the store-buffering pattern: with a full barrier on both sides, at
 * least one of them sees the other's store.  The reader has only a
 * compiler barrier; the writer's membarrier(2) puts a full barrier into
 * every thread that is running at that moment, between two of its
 * instructions, and a thread that is not running passed through one
 * (the context switch).  If the reader's load of `block` came before
 * that barrier, its store came before it too and is visible to the
 * writer, which then waits for it; if the load came after, it sees
 * `block` set and the reader backs out.  The same holds for the
 * decrement in percpu_up_read() and its look at `block` to wake the
 * writer.  Where membarrier(2) is missing (KSYNC_NO_MEMBARRIER=1, old
 * kernels, seccomp) readers take the library's path, where the
 * reader's store is seq_cst (an xchg on x86), and so are the writer's
 * accesses: C11's own answer to the pattern.
 *
 * Sleeping: readers and writers may sleep (might_sleep()).  With
 * KSYNC_LOCKDEP=1 lockdep sees it as the kernel's (an rw_semaphore
 * class: readers shared, writers exclusive, LD_WAIT_SLEEP); with any
 * debug switch every operation takes the library's path.
 */
#ifndef _KSYNC_PERCPU_RWSEM_H
#define _KSYNC_PERCPU_RWSEM_H

#include <ksync/compiler.h>
#include <ksync/debug_locks.h>
#include <ksync/lockdep.h>
#include <ksync/lockdep_types.h>
#include <ksync/percpu.h>
#include <ksync/sched.h>
#include <ksync/tsan.h>
#include <ksync/wait.h>

/* One CPU's readers of one semaphore, alone in its cache line. */
struct ksync_percpu_rw_count {
	unsigned int count;
} __attribute__((aligned(64)));

struct percpu_rw_semaphore {
	/* KSYNC_NR_CPUS counters, mapped on first use (NULL until then). */
	struct ksync_percpu_rw_count *read_count;
	/* 1 while a writer holds it or waits for readers to leave. */
	int block;
	/* Readers and writers waiting for block to clear. */
	struct wait_queue_head waiters;
	/* The writer, waiting for the readers' counts to drain. */
	struct wait_queue_head writer;
	struct lockdep_map dep_map;
};

#define __PERCPU_RWSEM_INITIALIZER(semname)				\
	{								\
		.read_count = NULL,					\
		.block = 0,						\
		.waiters = __WAIT_QUEUE_HEAD_INITIALIZER((semname).waiters), \
		.writer = __WAIT_QUEUE_HEAD_INITIALIZER((semname).writer), \
		.dep_map = {						\
			.name = #semname,				\
			.wait_type_inner = LD_WAIT_SLEEP,		\
			.kind = KSYNC_LOCK_RWSEM,			\
		},							\
	}

#define DEFINE_PERCPU_RWSEM(semname)					\
	struct percpu_rw_semaphore semname = __PERCPU_RWSEM_INITIALIZER(semname)
#define DEFINE_STATIC_PERCPU_RWSEM(semname)				\
	static struct percpu_rw_semaphore semname = __PERCPU_RWSEM_INITIALIZER(semname)

KSYNC_API int ksync_percpu_init_rwsem(struct percpu_rw_semaphore *sem,
				      const char *name, struct lock_class_key *key);
KSYNC_API void ksync_percpu_free_rwsem(struct percpu_rw_semaphore *sem);
KSYNC_API int ksync_percpu_down_read(struct percpu_rw_semaphore *sem, bool try,
				     const struct ksync_site *site);
KSYNC_API void ksync_percpu_up_read(struct percpu_rw_semaphore *sem,
				    const struct ksync_site *site);
KSYNC_API void ksync_percpu_down_write(struct percpu_rw_semaphore *sem,
				       const struct ksync_site *site);
KSYNC_API void ksync_percpu_up_write(struct percpu_rw_semaphore *sem,
				     const struct ksync_site *site);
KSYNC_API int ksync_percpu_is_read_locked(struct percpu_rw_semaphore *sem);
/*
 * Non-zero: readers take the library's path (a debug switch is on, or
 * membarrier(2) is missing); 0 once start-up found neither.
 */
extern KSYNC_API int ksync_percpu_rwsem_slow;

#define percpu_init_rwsem(sem)						\
	({								\
		static struct lock_class_key __key;			\
		ksync_percpu_init_rwsem((sem), #sem, &__key);		\
	})
#define __percpu_init_rwsem(sem, name, key)	ksync_percpu_init_rwsem((sem), (name), (key))
#define percpu_free_rwsem(sem)		ksync_percpu_free_rwsem(sem)

/*
 * This thread's counter, or NULL for the library's path: no counters
 * mapped yet, a thread without a CPU number yet, or readers that must
 * not take the fast path at all (ksync_percpu_rwsem_slow: a debug
 * switch is on, or membarrier(2) is missing and the fast path's
 * argument above does not hold; the library's path is all seq_cst).
 * One flag for both, set once at start-up: one load, not two, and the
 * count's stores below need no test of their own.
 */
static __always_inline unsigned int *
__ksync_percpu_my_count(struct percpu_rw_semaphore *sem)
{
	/* Relaxed: the counters are zero pages, nothing to publish. */
	struct ksync_percpu_rw_count *rc = __atomic_load_n(&sem->read_count, __ATOMIC_RELAXED);
	unsigned int cpu = __atomic_load_n(&ksync_tls.cpu_plus_one, __ATOMIC_RELAXED);

	/* Relaxed: set before main(); a reader that still sees 1 is slow, not wrong. */
	if (__ksync_unlikely(!rc || !cpu ||
			     __atomic_load_n(&ksync_percpu_rwsem_slow, __ATOMIC_RELAXED)))
		return NULL;
	return &rc[cpu - 1].count;
}

/*
 * The fast path: count ourselves in, then look for a writer.  Only this
 * thread writes its counter, so a load and a store do (no read-modify-
 * write); the writer reads it.  The load of block is also an acquire:
 * it pairs with the writer's release in percpu_up_write(), so its
 * section happens before ours.  On finding
 * a writer, the count is taken back and the slow path waits (and wakes
 * the writer, which may have counted us).
 */
static __always_inline bool __ksync_percpu_read_fast(struct percpu_rw_semaphore *sem)
{
	unsigned int *cnt = __ksync_percpu_my_count(sem);

	if (__ksync_unlikely(!cnt))
		return false;
	/* Relaxed: the writer's membarrier(2) orders it (see the top). */
	__atomic_store_n(cnt, __atomic_load_n(cnt, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	/* The compiler must not move the load of block above the store. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* seq_cst (a plain load on x86): also acquire, see above. */
	if (__ksync_likely(!__atomic_load_n(&sem->block, __ATOMIC_SEQ_CST)))
		return true;
	/* Release: whatever we did not do yet stays ours; the writer re-reads. */
	__atomic_store_n(cnt, __atomic_load_n(cnt, __ATOMIC_RELAXED) - 1, __ATOMIC_RELEASE);
	return false;
}

static __always_inline void
__ksync_percpu_down_read(struct percpu_rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_might_sleep(site, 0);
	__ksync_tsan_pre_lock(sem, __KSYNC_TSAN_READ);
	if (!__ksync_likely(__ksync_percpu_read_fast(sem)))
		ksync_percpu_down_read(sem, false, site);
	__ksync_tsan_post_lock(sem, __KSYNC_TSAN_READ, 1);
}

static __always_inline int
__ksync_percpu_down_read_trylock(struct percpu_rw_semaphore *sem,
				 const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(sem, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY);
	taken = __ksync_likely(__ksync_percpu_read_fast(sem)) ||
		ksync_percpu_down_read(sem, true, site);
	__ksync_tsan_post_lock(sem, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY, taken);
	return taken;
}

/*
 * Release on the count: our section happens before the writer's, which
 * reads it with acquire.  Then the look at block (the second half of the
 * pattern): a writer waiting for us is woken.
 */
static __always_inline void
__ksync_percpu_up_read(struct percpu_rw_semaphore *sem, const struct ksync_site *site)
{
	unsigned int *cnt = __ksync_percpu_my_count(sem);

	__ksync_tsan_pre_unlock(sem, __KSYNC_TSAN_READ);
	if (__ksync_likely(cnt != NULL)) {
		__atomic_store_n(cnt, __atomic_load_n(cnt, __ATOMIC_RELAXED) - 1,
				 __ATOMIC_RELEASE);
		/* As in the fast path: block is loaded after the store. */
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (__ksync_unlikely(__atomic_load_n(&sem->block, __ATOMIC_SEQ_CST)))
			wake_up(&sem->writer);
	} else {
		ksync_percpu_up_read(sem, site);
	}
	__ksync_tsan_post_unlock(sem, __KSYNC_TSAN_READ);
}

static __always_inline void
__ksync_percpu_down_write(struct percpu_rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_might_sleep(site, 0);
	__ksync_tsan_pre_lock(sem, 0);
	ksync_percpu_down_write(sem, site);
	__ksync_tsan_post_lock(sem, 0, 1);
}

static __always_inline void
__ksync_percpu_up_write(struct percpu_rw_semaphore *sem, const struct ksync_site *site)
{
	__ksync_tsan_pre_unlock(sem, 0);
	ksync_percpu_up_write(sem, site);
	__ksync_tsan_post_unlock(sem, 0);
}

#define __KSYNC_PRW_SITE(sem)	KSYNC_SITE(#sem)

#define percpu_down_read(sem)	__ksync_percpu_down_read((sem), __KSYNC_PRW_SITE(sem))
#define percpu_down_read_trylock(sem)					\
	__ksync_percpu_down_read_trylock((sem), __KSYNC_PRW_SITE(sem))
#define percpu_up_read(sem)	__ksync_percpu_up_read((sem), __KSYNC_PRW_SITE(sem))
#define percpu_down_write(sem)	__ksync_percpu_down_write((sem), __KSYNC_PRW_SITE(sem))
#define percpu_up_write(sem)	__ksync_percpu_up_write((sem), __KSYNC_PRW_SITE(sem))

#define percpu_is_write_locked(sem)	(__atomic_load_n(&(sem)->block, __ATOMIC_RELAXED) != 0)
#define percpu_is_read_locked(sem)	ksync_percpu_is_read_locked(sem)
#define percpu_rwsem_is_held(sem)	lockdep_is_held(sem)
#define percpu_rwsem_assert_held(sem)	lockdep_assert_held(sem)

DEFINE_GUARD(percpu_read, struct percpu_rw_semaphore *,
	     percpu_down_read(_T), percpu_up_read(_T))
DEFINE_GUARD_COND(percpu_read, _try, percpu_down_read_trylock(_T))
DEFINE_GUARD(percpu_write, struct percpu_rw_semaphore *,
	     percpu_down_write(_T), percpu_up_write(_T))

#endif /* _KSYNC_PERCPU_RWSEM_H */
