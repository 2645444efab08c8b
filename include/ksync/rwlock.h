/* SPDX-License-Identifier: MIT */
/*
 * <ksync/rwlock.h> - rwlock_t, the kernel's spinning reader-writer lock.
 *
 *   DEFINE_RWLOCK(x), rwlock_init(&l)
 *   read_lock(&l), read_unlock(&l), read_trylock(&l)       (1 if taken)
 *   write_lock(&l), write_unlock(&l), write_trylock(&l)    (1 if taken)
 *   write_lock_nested(&l, subclass)
 *   read_lock_irq / read_unlock_irq, write_lock_irq / write_unlock_irq
 *   read_lock_irqsave(&l, flags) / read_unlock_irqrestore(&l, flags),
 *   write_lock_irqsave(&l, flags) / write_unlock_irqrestore(&l, flags),
 *   write_trylock_irqsave(&l, flags)                       (flags: unsigned long)
 *   read_lock_bh / read_unlock_bh, write_lock_bh / write_unlock_bh
 *   rwlock_is_contended(&l)
 *   guards: read_lock, read_lock_irq, read_lock_irqsave, read_lock_bh and
 *           the same four for write_lock
 *
 * The lock is the queued rwlock (kernel/locking/qrwlock.c): readers add a
 * bias to one word, a writer swaps 0 for _QW_LOCKED; whoever has to wait
 * queues on a queued spinlock, so waiters are served roughly in order and
 * a writer is not starved by a stream of readers.  As in the kernel:
 *
 *  - a reader in task context that finds a writer holding *or waiting*
 *    queues behind it, so read_lock() must not nest in task context (a
 *    second read_lock() deadlocks if a writer arrived in between);
 *  - a reader in interrupt context (in_interrupt(): a handler, a softirq,
 *    or bottom halves disabled) only waits for a writer that holds the
 *    lock, so an interrupt handler may read_lock() a lock its thread
 *    already holds for read;
 *  - a held rwlock counts as preempt-disabled, like a spinlock.
 *
 * With KSYNC_DEBUG=1 every call goes through the debug paths: the kernel's
 * rwlock checks (bad magic, recursion, wrong owner, ...) and lockdep.
 */
#ifndef _KSYNC_RWLOCK_H
#define _KSYNC_RWLOCK_H

#include <ksync/compiler.h>
#include <ksync/atomic.h>
#include <ksync/barrier.h>
#include <ksync/bottom_half.h>
#include <ksync/cleanup.h>
#include <ksync/debug_locks.h>
#include <ksync/irqflags.h>
#include <ksync/preempt.h>
#include <ksync/qspinlock.h>
#include <ksync/rwlock_types.h>
#include <ksync/spinlock.h>
#include <ksync/tsan.h>

/* --- the queued rwlock (asm-generic/qrwlock.h) ---------------------------- */

#define _QW_WAITING	0x100		/* a writer is waiting */
#define _QW_LOCKED	0x0ff		/* a writer holds the lock */
#define _QW_WMASK	0x1ff		/* either */
#define _QR_SHIFT	9		/* the reader count starts here */
#define _QR_BIAS	(1U << _QR_SHIFT)

KSYNC_API void ksync_queued_read_lock_slowpath(arch_rwlock_t *lock);
KSYNC_API void ksync_queued_write_lock_slowpath(arch_rwlock_t *lock);

/*
 * Look before adding: a failed attempt then costs no write to the line
 * when a writer is there.  The add is acquire for the same reason as in
 * queued_read_lock(); backing out needs no order (nothing was read).
 */
static __always_inline int queued_read_trylock(arch_rwlock_t *lock)
{
	int cnts = atomic_read(&lock->cnts);

	if (__ksync_likely(!(cnts & _QW_WMASK))) {
		cnts = atomic_add_return_acquire(_QR_BIAS, &lock->cnts);
		if (__ksync_likely(!(cnts & _QW_WMASK)))
			return 1;
		atomic_sub(_QR_BIAS, &lock->cnts);
	}
	return 0;
}

static __always_inline int queued_write_trylock(arch_rwlock_t *lock)
{
	int cnts = atomic_read(&lock->cnts);

	if (__ksync_unlikely(cnts))
		return 0;
	/* Acquire: pairs with the release in both unlocks. */
	return atomic_try_cmpxchg_acquire(&lock->cnts, &cnts, _QW_LOCKED);
}

/*
 * One add: if no writer bit was set before it, the lock is ours.  Acquire:
 * pairs with queued_write_unlock()'s release, so the last writer's
 * critical section happens before ours.  The slow path backs the bias out
 * if it has to queue.
 */
static __always_inline void queued_read_lock(arch_rwlock_t *lock)
{
	int cnts = atomic_add_return_acquire(_QR_BIAS, &lock->cnts);

	if (__ksync_likely(!(cnts & _QW_WMASK)))
		return;
	ksync_queued_read_lock_slowpath(lock);
}

static __always_inline void queued_write_lock(arch_rwlock_t *lock)
{
	int cnts = 0;

	/* Acquire: pairs with the release in both unlocks. */
	if (__ksync_likely(atomic_try_cmpxchg_acquire(&lock->cnts, &cnts, _QW_LOCKED)))
		return;
	ksync_queued_write_lock_slowpath(lock);
}

/* Release: our reads happen before a writer that sees the count drop. */
static __always_inline void queued_read_unlock(arch_rwlock_t *lock)
{
	(void)atomic_sub_return_release(_QR_BIAS, &lock->cnts);
}

/*
 * A release store of the writer byte alone, as in the kernel: readers
 * that added their bias meanwhile, and _QW_WAITING, are left alone.
 * Nothing to wake: waiters either sleep in wait_lock, whose own unlock
 * wakes them, or poll the word (see src/qrwlock.c).
 */
static __always_inline void queued_write_unlock(arch_rwlock_t *lock)
{
	__atomic_store_n(&lock->wlocked, 0, __ATOMIC_RELEASE);
}

/* Contended: someone waits in the queue. */
static __always_inline int queued_rwlock_is_contended(arch_rwlock_t *lock)
{
	return arch_spin_is_locked(&lock->wait_lock);
}

#define arch_read_lock(l)		queued_read_lock(l)
#define arch_write_lock(l)		queued_write_lock(l)
#define arch_read_trylock(l)		queued_read_trylock(l)
#define arch_write_trylock(l)		queued_write_trylock(l)
#define arch_read_unlock(l)		queued_read_unlock(l)
#define arch_write_unlock(l)		queued_write_unlock(l)
#define arch_rwlock_is_contended(l)	queued_rwlock_is_contended(l)

/* --- debug paths (src/rwlock.c) -------------------------------------------- */

KSYNC_API void ksync_rwlock_init(rwlock_t *lock, const char *name,
				 struct lock_class_key *key);
KSYNC_API void ksync_read_lock_debug(rwlock_t *lock, const struct ksync_site *site);
KSYNC_API int ksync_read_trylock_debug(rwlock_t *lock, const struct ksync_site *site);
KSYNC_API void ksync_read_unlock_debug(rwlock_t *lock, const struct ksync_site *site);
KSYNC_API void ksync_write_lock_debug(rwlock_t *lock, int subclass,
				      const struct ksync_site *site);
KSYNC_API int ksync_write_trylock_debug(rwlock_t *lock, const struct ksync_site *site);
KSYNC_API void ksync_write_unlock_debug(rwlock_t *lock, const struct ksync_site *site);

/*
 * --- do_raw_*: the lock alone, or its debug path -------------------------
 * Under ThreadSanitizer each is annotated as a read or write operation on
 * the rwlock_t (<ksync/tsan.h>): the waits and the debug paths are in the
 * library, where TSan cannot see the hand-over.
 */

static __always_inline void
__ksync_do_raw_read_lock(rwlock_t *lock, const struct ksync_site *site)
{
	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_READ);
	if (ksync_debug_active())
		ksync_read_lock_debug(lock, site);
	else
		queued_read_lock(&lock->raw_lock);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_READ, 1);
}

static __always_inline int
__ksync_do_raw_read_trylock(rwlock_t *lock, const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY);
	if (ksync_debug_active())
		taken = ksync_read_trylock_debug(lock, site);
	else
		taken = queued_read_trylock(&lock->raw_lock);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_READ | __KSYNC_TSAN_TRY, taken);
	return taken;
}

static __always_inline void
__ksync_do_raw_read_unlock(rwlock_t *lock, const struct ksync_site *site)
{
	__ksync_tsan_pre_unlock(lock, __KSYNC_TSAN_READ);
	if (ksync_debug_active())
		ksync_read_unlock_debug(lock, site);
	else
		queued_read_unlock(&lock->raw_lock);
	__ksync_tsan_post_unlock(lock, __KSYNC_TSAN_READ);
}

static __always_inline void
__ksync_do_raw_write_lock_nested(rwlock_t *lock, int subclass,
				 const struct ksync_site *site)
{
	__ksync_tsan_pre_lock(lock, 0);
	if (ksync_debug_active())
		ksync_write_lock_debug(lock, subclass, site);
	else
		queued_write_lock(&lock->raw_lock);
	__ksync_tsan_post_lock(lock, 0, 1);
}

static __always_inline void
__ksync_do_raw_write_lock(rwlock_t *lock, const struct ksync_site *site)
{
	__ksync_do_raw_write_lock_nested(lock, 0, site);
}

static __always_inline int
__ksync_do_raw_write_trylock(rwlock_t *lock, const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_TRY);
	if (ksync_debug_active())
		taken = ksync_write_trylock_debug(lock, site);
	else
		taken = queued_write_trylock(&lock->raw_lock);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_TRY, taken);
	return taken;
}

static __always_inline void
__ksync_do_raw_write_unlock(rwlock_t *lock, const struct ksync_site *site)
{
	__ksync_tsan_pre_unlock(lock, 0);
	if (ksync_debug_active())
		ksync_write_unlock_debug(lock, site);
	else
		queued_write_unlock(&lock->raw_lock);
	__ksync_tsan_post_unlock(lock, 0);
}

/*
 * --- the contexts around the lock (rwlock_api_smp.h) ---------------------
 * The kernel's order: enter the context (interrupts off, bottom halves
 * off, preemption counted), then lock; unlock, then leave the context.
 * Generated for read and write alike: RW is read or write.
 */
#define __KSYNC_RWLOCK_API(RW)						\
static __always_inline void						\
__ksync_##RW##_lock(rwlock_t *lock, const struct ksync_site *site)	\
{									\
	preempt_disable();						\
	__ksync_do_raw_##RW##_lock(lock, site);				\
}									\
static __always_inline int						\
__ksync_##RW##_trylock(rwlock_t *lock, const struct ksync_site *site)	\
{									\
	preempt_disable();						\
	if (__ksync_do_raw_##RW##_trylock(lock, site))			\
		return 1;						\
	preempt_enable();						\
	return 0;							\
}									\
static __always_inline void						\
__ksync_##RW##_unlock(rwlock_t *lock, const struct ksync_site *site)	\
{									\
	__ksync_do_raw_##RW##_unlock(lock, site);			\
	preempt_enable();						\
}									\
static __always_inline void						\
__ksync_##RW##_lock_irq(rwlock_t *lock, const struct ksync_site *site)	\
{									\
	__ksync_local_irq_disable(site);				\
	preempt_disable();						\
	__ksync_do_raw_##RW##_lock(lock, site);				\
}									\
static __always_inline void						\
__ksync_##RW##_unlock_irq(rwlock_t *lock, const struct ksync_site *site) \
{									\
	__ksync_do_raw_##RW##_unlock(lock, site);			\
	__ksync_local_irq_enable(site);					\
	preempt_enable();						\
}									\
static __always_inline unsigned long					\
__ksync_##RW##_lock_irqsave(rwlock_t *lock, const struct ksync_site *site) \
{									\
	unsigned long flags = __ksync_local_irq_save(site);		\
									\
	preempt_disable();						\
	__ksync_do_raw_##RW##_lock(lock, site);				\
	return flags;							\
}									\
static __always_inline void						\
__ksync_##RW##_unlock_irqrestore(rwlock_t *lock, unsigned long flags,	\
				 const struct ksync_site *site)		\
{									\
	__ksync_do_raw_##RW##_unlock(lock, site);			\
	__ksync_local_irq_restore(flags, site);				\
	preempt_enable();						\
}									\
/* _bh: one add of SOFTIRQ_LOCK_OFFSET, as the kernel. */		\
static __always_inline void						\
__ksync_##RW##_lock_bh(rwlock_t *lock, const struct ksync_site *site)	\
{									\
	__ksync_local_bh_disable(SOFTIRQ_LOCK_OFFSET, site);		\
	__ksync_do_raw_##RW##_lock(lock, site);				\
}									\
static __always_inline void						\
__ksync_##RW##_unlock_bh(rwlock_t *lock, const struct ksync_site *site)	\
{									\
	__ksync_do_raw_##RW##_unlock(lock, site);			\
	__ksync_local_bh_enable(SOFTIRQ_LOCK_OFFSET, site);		\
}

__KSYNC_RWLOCK_API(read)
__KSYNC_RWLOCK_API(write)

static __always_inline void
__ksync_write_lock_nested(rwlock_t *lock, int subclass,
			  const struct ksync_site *site)
{
	preempt_disable();
	__ksync_do_raw_write_lock_nested(lock, subclass, site);
}

static __always_inline int
__ksync_write_trylock_irqsave(rwlock_t *lock, unsigned long *flags,
			      const struct ksync_site *site)
{
	*flags = __ksync_local_irq_save(site);
	if (__ksync_write_trylock(lock, site))
		return 1;
	__ksync_local_irq_restore(*flags, site);
	return 0;
}

/* --- the kernel's names ------------------------------------------------------ */

/* One lockdep class per place in the source that initialises rwlocks. */
#define rwlock_init(lock)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_rwlock_init((lock), #lock, &__key);		\
	} while (0)

#define __KSYNC_RW_HERE(lock)	KSYNC_SITE(#lock)

#define read_lock(lock)		__ksync_read_lock((lock), __KSYNC_RW_HERE(lock))
#define read_trylock(lock)	__ksync_read_trylock((lock), __KSYNC_RW_HERE(lock))
#define read_unlock(lock)	__ksync_read_unlock((lock), __KSYNC_RW_HERE(lock))
#define write_lock(lock)	__ksync_write_lock((lock), __KSYNC_RW_HERE(lock))
#define write_lock_nested(lock, subclass)				\
	__ksync_write_lock_nested((lock), (subclass), __KSYNC_RW_HERE(lock))
#define write_trylock(lock)	__ksync_write_trylock((lock), __KSYNC_RW_HERE(lock))
#define write_unlock(lock)	__ksync_write_unlock((lock), __KSYNC_RW_HERE(lock))

#define read_lock_irq(lock)	__ksync_read_lock_irq((lock), __KSYNC_RW_HERE(lock))
#define read_unlock_irq(lock)	__ksync_read_unlock_irq((lock), __KSYNC_RW_HERE(lock))
#define write_lock_irq(lock)	__ksync_write_lock_irq((lock), __KSYNC_RW_HERE(lock))
#define write_unlock_irq(lock)	__ksync_write_unlock_irq((lock), __KSYNC_RW_HERE(lock))

#define read_lock_irqsave(lock, flags)					\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_read_lock_irqsave((lock), __KSYNC_RW_HERE(lock)); \
	} while (0)
#define read_unlock_irqrestore(lock, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		__ksync_read_unlock_irqrestore((lock), (flags),		\
					       __KSYNC_RW_HERE(lock));	\
	} while (0)
#define write_lock_irqsave(lock, flags)					\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_write_lock_irqsave((lock), __KSYNC_RW_HERE(lock)); \
	} while (0)
#define write_unlock_irqrestore(lock, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		__ksync_write_unlock_irqrestore((lock), (flags),	\
						__KSYNC_RW_HERE(lock));	\
	} while (0)
#define write_trylock_irqsave(lock, flags)				\
	({								\
		__ksync_check_flags(flags);				\
		__ksync_write_trylock_irqsave((lock), &(flags),		\
					      __KSYNC_RW_HERE(lock));	\
	})

#define read_lock_bh(lock)	__ksync_read_lock_bh((lock), __KSYNC_RW_HERE(lock))
#define read_unlock_bh(lock)	__ksync_read_unlock_bh((lock), __KSYNC_RW_HERE(lock))
#define write_lock_bh(lock)	__ksync_write_lock_bh((lock), __KSYNC_RW_HERE(lock))
#define write_unlock_bh(lock)	__ksync_write_unlock_bh((lock), __KSYNC_RW_HERE(lock))

#define rwlock_is_contended(lock)	arch_rwlock_is_contended(&(lock)->raw_lock)

/* --- guards ------------------------------------------------------------------ */

DEFINE_LOCK_GUARD_1(read_lock, rwlock_t,
		    read_lock(_T->lock), read_unlock(_T->lock))
DEFINE_LOCK_GUARD_1(read_lock_irq, rwlock_t,
		    read_lock_irq(_T->lock), read_unlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1(read_lock_irqsave, rwlock_t,
		    read_lock_irqsave(_T->lock, _T->flags),
		    read_unlock_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)
DEFINE_LOCK_GUARD_1(read_lock_bh, rwlock_t,
		    read_lock_bh(_T->lock), read_unlock_bh(_T->lock))

DEFINE_LOCK_GUARD_1(write_lock, rwlock_t,
		    write_lock(_T->lock), write_unlock(_T->lock))
DEFINE_LOCK_GUARD_1(write_lock_irq, rwlock_t,
		    write_lock_irq(_T->lock), write_unlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1(write_lock_irqsave, rwlock_t,
		    write_lock_irqsave(_T->lock, _T->flags),
		    write_unlock_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)
DEFINE_LOCK_GUARD_1(write_lock_bh, rwlock_t,
		    write_lock_bh(_T->lock), write_unlock_bh(_T->lock))

#endif /* _KSYNC_RWLOCK_H */
