/* SPDX-License-Identifier: MIT */
/*
 * <ksync/bit_spinlock.h> - one bit of a word used as a spinlock.
 *
 *   bit_spin_lock(bitnum, addr)		spin until the bit was 0 and is ours
 *   bit_spin_trylock(bitnum, addr)	1 if taken, 0 if held
 *   bit_spin_unlock(bitnum, addr)	clear_bit_unlock()
 *   __bit_spin_unlock(bitnum, addr)	a plain release store of the word:
 *					only if nobody changes its other bits
 *   bit_spin_is_locked(bitnum, addr)
 *
 * As the kernel's (include/linux/bit_spinlock.h): holding one disables
 * preemption (counts in preempt_count(), so might_sleep() inside reports
 * "sleeping function called from invalid context"); a waiter spins with
 * preemption enabled, reading the bit, and retries test_and_set_bit_lock()
 * when it sees it clear.  The other bits of the word stay the caller's
 * (a hash bucket's list pointer, flags).
 *
 * Differences: a waiter does not spin for ever.  A userspace holder can
 * be preempted, and then spinning only keeps it off the CPU; after a
 * short, growing spin (about 50 us) a waiter yields the CPU, and after
 * a thousand yields it sleeps 50 us between looks.  Nothing tells a
 * waiter that the bit was cleared (the word is the caller's), so
 * unlocking costs nothing more and a sleeping waiter notices within its
 * sleep.  With KSYNC_DEBUG=1, unlocking a bit that is not set is the
 * kernel's CONFIG_DEBUG_SPINLOCK BUG: "kernel BUG at file:line!".
 *
 * Lockdep does not see bit spinlocks, as in the kernel: a bit has no
 * room for a lock map, and a class per call site would cry wolf (two
 * buckets' bit locks taken at one site would look like recursion).
 */
#ifndef _KSYNC_BIT_SPINLOCK_H
#define _KSYNC_BIT_SPINLOCK_H

#include <ksync/compiler.h>
#include <ksync/bitops.h>
#include <ksync/bug.h>
#include <ksync/debug_locks.h>
#include <ksync/preempt.h>

/* Wait, politely, until the bit reads 0 (it may be taken again at once). */
KSYNC_API void ksync_bit_spin_wait(unsigned long nr,
				   const volatile unsigned long *addr);

static __always_inline void bit_spin_lock(int bitnum, unsigned long *addr)
{
	preempt_disable();
	while (__ksync_unlikely(test_and_set_bit_lock((unsigned long)bitnum, addr))) {
		preempt_enable();
		ksync_bit_spin_wait((unsigned long)bitnum, addr);
		preempt_disable();
	}
}

static __always_inline int bit_spin_trylock(int bitnum, unsigned long *addr)
{
	preempt_disable();
	if (__ksync_unlikely(test_and_set_bit_lock((unsigned long)bitnum, addr))) {
		preempt_enable();
		return 0;
	}
	return 1;
}

static __always_inline void
__ksync_bit_spin_unlock(int bitnum, unsigned long *addr, bool plain,
			const struct ksync_site *site)
{
	if (ksync_debug_active() && !test_bit((unsigned long)bitnum, addr))
		ksync_bug(site);
	if (plain)
		__clear_bit_unlock((unsigned long)bitnum, addr);
	else
		clear_bit_unlock((unsigned long)bitnum, addr);
	preempt_enable();
}

#define bit_spin_unlock(bitnum, addr)					\
	__ksync_bit_spin_unlock((bitnum), (addr), false,		\
				KSYNC_SITE("!test_bit(" #bitnum ", " #addr ")"))
#define __bit_spin_unlock(bitnum, addr)					\
	__ksync_bit_spin_unlock((bitnum), (addr), true,			\
				KSYNC_SITE("!test_bit(" #bitnum ", " #addr ")"))

static __always_inline int bit_spin_is_locked(int bitnum, unsigned long *addr)
{
	return test_bit((unsigned long)bitnum, addr);
}

#endif /* _KSYNC_BIT_SPINLOCK_H */
