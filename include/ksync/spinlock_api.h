/* SPDX-License-Identifier: MIT */
/*
 * <ksync/spinlock_api.h> - the inline bodies behind the spin_* macros
 * (the kernel's spinlock_api_smp.h).  Include <ksync/spinlock.h>.
 *
 * Each entry takes the lock as a raw_spinlock_t and the call site.  The
 * order of steps is the kernel's: enter the context (interrupts off,
 * bottom halves off, preemption counted), then take the lock; release the
 * lock, then leave the context.
 */
#ifndef _KSYNC_SPINLOCK_API_H
#define _KSYNC_SPINLOCK_API_H

#include <ksync/compiler.h>
#include <ksync/bottom_half.h>
#include <ksync/debug_locks.h>
#include <ksync/irqflags.h>
#include <ksync/preempt.h>
#include <ksync/spinlock_types.h>
#include <ksync/tsan.h>

/* Out-of-line paths, taken when any run-time debugging is on. */
KSYNC_API void ksync_raw_spin_lock_debug(raw_spinlock_t *lock, int subclass,
					 const struct ksync_site *site);
KSYNC_API void ksync_raw_spin_lock_nest_debug(raw_spinlock_t *lock,
					      struct lockdep_map *nest_lock,
					      const struct ksync_site *site);
KSYNC_API int ksync_raw_spin_trylock_debug(raw_spinlock_t *lock,
					   const struct ksync_site *site);
KSYNC_API void ksync_raw_spin_unlock_debug(raw_spinlock_t *lock,
					   const struct ksync_site *site);
KSYNC_API void ksync_raw_spin_lock_init(raw_spinlock_t *lock, const char *name,
					struct lock_class_key *key, short inner);
KSYNC_API void ksync_assert_spin_locked_failed(raw_spinlock_t *lock,
					       const struct ksync_site *site);

/*
 * --- the lock itself, without context changes (do_raw_spin_*) -----------
 * Under ThreadSanitizer each is annotated as a lock operation on the
 * raw_spinlock_t (<ksync/tsan.h>): the wait and the debug paths are in
 * the library, where TSan cannot see the hand-over.
 */

static __always_inline void
__ksync_do_raw_spin_lock(raw_spinlock_t *lock, int subclass,
			 const struct ksync_site *site)
{
	__ksync_tsan_pre_lock(lock, 0);
	if (ksync_debug_active())
		ksync_raw_spin_lock_debug(lock, subclass, site);
	else
		queued_spin_lock(&lock->raw_lock);
	__ksync_tsan_post_lock(lock, 0, 1);
}

static __always_inline int
__ksync_do_raw_spin_trylock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	int taken;

	__ksync_tsan_pre_lock(lock, __KSYNC_TSAN_TRY);
	if (ksync_debug_active())
		taken = ksync_raw_spin_trylock_debug(lock, site);
	else
		taken = queued_spin_trylock(&lock->raw_lock);
	__ksync_tsan_post_lock(lock, __KSYNC_TSAN_TRY, taken);
	return taken;
}

static __always_inline void
__ksync_do_raw_spin_unlock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_tsan_pre_unlock(lock, 0);
	if (ksync_debug_active())
		ksync_raw_spin_unlock_debug(lock, site);
	else
		queued_spin_unlock(&lock->raw_lock);
	__ksync_tsan_post_unlock(lock, 0);
}

/* --- plain ------------------------------------------------------------- */

static __always_inline void
__ksync_raw_spin_lock(raw_spinlock_t *lock, int subclass,
		      const struct ksync_site *site)
{
	preempt_disable();
	__ksync_do_raw_spin_lock(lock, subclass, site);
}

/* Many locks of one class under an outer lock that orders them. */
static __always_inline void
__ksync_raw_spin_lock_nest_lock(raw_spinlock_t *lock, struct lockdep_map *nest_lock,
				const struct ksync_site *site)
{
	preempt_disable();
	__ksync_tsan_pre_lock(lock, 0);
	if (ksync_debug_active())
		ksync_raw_spin_lock_nest_debug(lock, nest_lock, site);
	else
		queued_spin_lock(&lock->raw_lock);
	__ksync_tsan_post_lock(lock, 0, 1);
}

static __always_inline int
__ksync_raw_spin_trylock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	preempt_disable();
	if (__ksync_do_raw_spin_trylock(lock, site))
		return 1;
	preempt_enable();
	return 0;
}

static __always_inline void
__ksync_raw_spin_unlock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_do_raw_spin_unlock(lock, site);
	preempt_enable();
}

/* --- _irq: interrupts off, unconditionally on again at unlock ---------- */

static __always_inline void
__ksync_raw_spin_lock_irq(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_local_irq_disable(site);
	preempt_disable();
	__ksync_do_raw_spin_lock(lock, 0, site);
}

static __always_inline int
__ksync_raw_spin_trylock_irq(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_local_irq_disable(site);
	if (__ksync_raw_spin_trylock(lock, site))
		return 1;
	__ksync_local_irq_enable(site);
	return 0;
}

static __always_inline void
__ksync_raw_spin_unlock_irq(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_do_raw_spin_unlock(lock, site);
	__ksync_local_irq_enable(site);
	preempt_enable();
}

/* --- _irqsave: interrupts off, the previous state restored at unlock --- */

static __always_inline unsigned long
__ksync_raw_spin_lock_irqsave(raw_spinlock_t *lock, int subclass,
			      const struct ksync_site *site)
{
	unsigned long flags = __ksync_local_irq_save(site);

	preempt_disable();
	__ksync_do_raw_spin_lock(lock, subclass, site);
	return flags;
}

static __always_inline int
__ksync_raw_spin_trylock_irqsave(raw_spinlock_t *lock, unsigned long *flags,
				 const struct ksync_site *site)
{
	*flags = __ksync_local_irq_save(site);
	if (__ksync_raw_spin_trylock(lock, site))
		return 1;
	__ksync_local_irq_restore(*flags, site);
	return 0;
}

static __always_inline void
__ksync_raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags,
				   const struct ksync_site *site)
{
	__ksync_do_raw_spin_unlock(lock, site);
	__ksync_local_irq_restore(flags, site);
	preempt_enable();
}

/* --- _bh: softirqs off (one add of SOFTIRQ_LOCK_OFFSET, as the kernel) - */

static __always_inline void
__ksync_raw_spin_lock_bh(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_local_bh_disable(SOFTIRQ_LOCK_OFFSET, site);
	__ksync_do_raw_spin_lock(lock, 0, site);
}

static __always_inline int
__ksync_raw_spin_trylock_bh(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_local_bh_disable(SOFTIRQ_LOCK_OFFSET, site);
	if (__ksync_do_raw_spin_trylock(lock, site))
		return 1;
	__ksync_local_bh_enable(SOFTIRQ_LOCK_OFFSET, site);
	return 0;
}

static __always_inline void
__ksync_raw_spin_unlock_bh(raw_spinlock_t *lock, const struct ksync_site *site)
{
	__ksync_do_raw_spin_unlock(lock, site);
	__ksync_local_bh_enable(SOFTIRQ_LOCK_OFFSET, site);
}

/*
 * --- _irq_disable: counted interrupt disabling (refcounted: see irqflags.h) -----------
 * Only the first nested disable masks and only the last enable unmasks,
 * so these locks may be released in any order.  The count implies
 * preemption is off in the kernel; here the lock counts it as usual.
 */

static __always_inline void
__ksync_raw_spin_lock_irq_disable(raw_spinlock_t *lock,
				  const struct ksync_site *site)
{
	(void)__ksync_local_interrupt_disable(site);
	__ksync_raw_spin_lock(lock, 0, site);
}

static __always_inline int
__ksync_raw_spin_trylock_irq_disable(raw_spinlock_t *lock,
				     const struct ksync_site *site)
{
	(void)__ksync_local_interrupt_disable(site);
	if (__ksync_raw_spin_trylock(lock, site))
		return 1;
	__ksync_local_interrupt_enable(site);
	return 0;
}

static __always_inline void
__ksync_raw_spin_unlock_irq_enable(raw_spinlock_t *lock,
				   const struct ksync_site *site)
{
	__ksync_raw_spin_unlock(lock, site);
	__ksync_local_interrupt_enable(site);
}

/*
 * --- _with: lock_with(), the guard that proves interrupts are off --------------------------------------
 * The caller proves interrupts are already off with a token from
 * local_interrupt_disable() (or local_interrupt_disabled_assume() in code
 * that runs with them off), so the interrupt bookkeeping is skipped: this
 * is a plain spin_lock(), and the lock is released with spin_unlock().
 * With debugging on, a token used while interrupts are on is reported.
 */

static __always_inline void
__ksync_check_token(const local_interrupt_disabled_t *token,
		    const struct ksync_site *site)
{
	(void)token;
	if (ksync_debug_active() && !irqs_disabled())
		ksync_token_misuse("spin_lock_with", site);
}

static __always_inline void
__ksync_raw_spin_lock_with(raw_spinlock_t *lock,
			   const local_interrupt_disabled_t *token,
			   const struct ksync_site *site)
{
	__ksync_check_token(token, site);
	__ksync_raw_spin_lock(lock, 0, site);
}

static __always_inline int
__ksync_raw_spin_trylock_with(raw_spinlock_t *lock,
			      const local_interrupt_disabled_t *token,
			      const struct ksync_site *site)
{
	__ksync_check_token(token, site);
	return __ksync_raw_spin_trylock(lock, site);
}

static __always_inline void
__ksync_assert_raw_spin_locked(raw_spinlock_t *lock, const struct ksync_site *site)
{
	if (__ksync_unlikely(!queued_spin_is_locked(&lock->raw_lock)))
		ksync_assert_spin_locked_failed(lock, site);
}

#endif /* _KSYNC_SPINLOCK_API_H */
