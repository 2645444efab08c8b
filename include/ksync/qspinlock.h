/* SPDX-License-Identifier: MIT */
/* Model-checked: models/qspinlock.pml (docs/models.md); change both together. */
/*
 * <ksync/qspinlock.h> - the queued spinlock (arch_spinlock_t).
 *
 * One 32-bit word, laid out as the kernel lays it out for fewer than 16K
 * CPUs:
 *
 *   bits  0- 7: locked byte
 *   bits  8-15: pending byte
 *   bits 16-17: tail index (nesting level of the queued node: 0..3)
 *   bits 18-31: tail CPU + 1 (0: no queue)
 *
 * The lock and trylock fast paths are one compare-and-swap of the locked
 * byte; unlock is one release store of it.  Everything else - the MCS queue, the
 * paravirt-style spin-then-sleep - is in src/qspinlock.c.
 *
 * The word is read and written through byte and halfword views, as the
 * kernel does; the compiler's __atomic builtins allow that on one object,
 * where C11 _Atomic types would not.
 */
#ifndef _KSYNC_QSPINLOCK_H
#define _KSYNC_QSPINLOCK_H

#include <ksync/compiler.h>

typedef struct qspinlock {
	union {
		uint32_t val;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		struct {
			uint8_t locked;
			uint8_t pending;
		};
		struct {
			uint16_t locked_pending;
			uint16_t tail;
		};
#else
		struct {
			uint16_t tail;
			uint16_t locked_pending;
		};
		struct {
			uint8_t reserved[2];
			uint8_t pending;
			uint8_t locked;
		};
#endif
	};
} arch_spinlock_t;

#define __ARCH_SPIN_LOCK_UNLOCKED	{ { .val = 0 } }

#define _Q_LOCKED_OFFSET	0
#define _Q_LOCKED_BITS		8
#define _Q_PENDING_OFFSET	8
#define _Q_PENDING_BITS		8
#define _Q_TAIL_IDX_OFFSET	16
#define _Q_TAIL_IDX_BITS	2
#define _Q_TAIL_CPU_OFFSET	18
#define _Q_TAIL_CPU_BITS	14

#define _Q_MASK(off, bits)	(((1U << (bits)) - 1) << (off))
#define _Q_LOCKED_MASK		_Q_MASK(_Q_LOCKED_OFFSET, _Q_LOCKED_BITS)
#define _Q_PENDING_MASK		_Q_MASK(_Q_PENDING_OFFSET, _Q_PENDING_BITS)
#define _Q_LOCKED_PENDING_MASK	(_Q_LOCKED_MASK | _Q_PENDING_MASK)
#define _Q_TAIL_IDX_MASK	_Q_MASK(_Q_TAIL_IDX_OFFSET, _Q_TAIL_IDX_BITS)
#define _Q_TAIL_CPU_MASK	_Q_MASK(_Q_TAIL_CPU_OFFSET, _Q_TAIL_CPU_BITS)
#define _Q_TAIL_MASK		(_Q_TAIL_IDX_MASK | _Q_TAIL_CPU_MASK)

#define _Q_LOCKED_VAL		(1U << _Q_LOCKED_OFFSET)
#define _Q_PENDING_VAL		(1U << _Q_PENDING_OFFSET)

/*
 * The slow path.  lk: a lockup watch for a debug path above (NULL here;
 * see the library's qspinlock_pv.h).
 */
struct ksync_lockup;
KSYNC_API void ksync_queued_spin_lock_slowpath(arch_spinlock_t *lock,
					       struct ksync_lockup *lk);
KSYNC_API void ksync_queued_spin_unlock_wake(arch_spinlock_t *lock);

/* Threads sleeping in some queued spinlock, see ksync_queued_spin_unlock(). */
extern KSYNC_API unsigned int ksync_qspinlock_sleepers;

/* Any state but all-zero counts as locked: a waiter is about to own it. */
static __always_inline int queued_spin_is_locked(arch_spinlock_t *lock)
{
	return __atomic_load_n(&lock->val, __ATOMIC_RELAXED) != 0;
}

static __always_inline int queued_spin_value_unlocked(arch_spinlock_t lock)
{
	return !lock.val;
}

/* Contended: someone is pending or queued. */
static __always_inline int queued_spin_is_contended(arch_spinlock_t *lock)
{
	return (__atomic_load_n(&lock->val, __ATOMIC_RELAXED) & ~_Q_LOCKED_MASK) != 0;
}

/*
 * Take the locked byte if it is free and no queue head has claimed the
 * next turn (pending).  A queue may exist: taking the lock past it is the
 * paravirt qspinlock's "steal", allowed until the head sets pending.
 *
 * The kernel's fast path is a compare-and-swap of the whole word from 0;
 * this one works on the locked byte, because the unlock stores that byte:
 * a word-sized compare-and-swap right after a byte store to the same word
 * cannot take the stored value from the store buffer and stalls until the
 * store reaches the cache (measured here: about 8% of an uncontended
 * lock+unlock pair).  The pending byte is a different address, so reading
 * it does not stall.
 */
static __always_inline int queued_spin_trylock(arch_spinlock_t *lock)
{
	uint8_t unlocked = 0;

	if (__atomic_load_n(&lock->pending, __ATOMIC_RELAXED))
		return 0;
	/* Acquire: pairs with the release store in queued_spin_unlock(). */
	return __atomic_compare_exchange_n(&lock->locked, &unlocked,
					   (uint8_t)_Q_LOCKED_VAL, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static __always_inline void queued_spin_lock(arch_spinlock_t *lock)
{
	if (__ksync_likely(queued_spin_trylock(lock)))
		return;
	ksync_queued_spin_lock_slowpath(lock, NULL);
}

/*
 * Unlock is a release store of the locked byte, as in the kernel, so an
 * uncontended unlock costs no atomic instruction and no system call.
 *
 * A waiter that went to sleep must be woken, and the unlocker must not
 * read the lock after releasing it (the memory may already be freed).
 * So sleepers register in a hash table outside the lock, counted by
 * ksync_qspinlock_sleepers, and the unlocker checks that counter after its
 * store.  The store-then-load pair needs a full fence in between, which
 * would cost as much as the lock itself; instead the sleeper issues
 * membarrier(2), which forces that fence onto every running thread of the
 * process just before it sleeps (the asymmetric fence of liburcu's memb
 * flavour).  Here a compiler barrier is enough.  See src/qspinlock_pv.c.
 */
static __always_inline void queued_spin_unlock(arch_spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__ksync_unlikely(__atomic_load_n(&ksync_qspinlock_sleepers, __ATOMIC_RELAXED)))
		ksync_queued_spin_unlock_wake(lock);
}

#define arch_spin_is_locked(l)		queued_spin_is_locked(l)
#define arch_spin_is_contended(l)	queued_spin_is_contended(l)
#define arch_spin_value_unlocked(l)	queued_spin_value_unlocked(l)
#define arch_spin_lock(l)		queued_spin_lock(l)
#define arch_spin_trylock(l)		queued_spin_trylock(l)
#define arch_spin_unlock(l)		queued_spin_unlock(l)

#endif /* _KSYNC_QSPINLOCK_H */
