/* SPDX-License-Identifier: MIT */
/*
 * <ksync/bottom_half.h> - disabling softirqs (bottom halves).
 *
 * local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET to preempt_count(), so
 * softirqs raised meanwhile wait; the local_bh_enable() that brings the
 * count back to zero runs them, outside interrupt context.
 */
#ifndef _KSYNC_BOTTOM_HALF_H
#define _KSYNC_BOTTOM_HALF_H

#include <ksync/compiler.h>
#include <ksync/debug_locks.h>
#include <ksync/preempt.h>

KSYNC_API void ksync_local_bh_enable_slow(unsigned int cnt,
					  const struct ksync_site *site);
KSYNC_API void ksync_trace_softirqs_off(const struct ksync_site *site);

/* cnt: SOFTIRQ_DISABLE_OFFSET, or SOFTIRQ_LOCK_OFFSET for spin_lock_bh(). */
static __always_inline void
__ksync_local_bh_disable(unsigned int cnt, const struct ksync_site *site)
{
	__preempt_count_add((int)cnt);
	barrier();
	/* The first disable is an event lockdep records. */
	if (ksync_debug_active() &&
	    (unsigned int)(preempt_count() & SOFTIRQ_MASK) == (cnt & SOFTIRQ_MASK))
		ksync_trace_softirqs_off(site);
}

/*
 * The common case - nothing pending, or still nested - is a subtraction;
 * otherwise (softirqs to run, or debug checks) the slow path.
 */
static __always_inline void
__ksync_local_bh_enable(unsigned int cnt, const struct ksync_site *site)
{
	barrier();
	if (__ksync_unlikely(__atomic_load_n(&ksync_tls.softirq_pending, __ATOMIC_RELAXED) ||
			     ksync_debug_active())) {
		ksync_local_bh_enable_slow(cnt, site);
		return;
	}
	__preempt_count_sub((int)cnt);
}

#define local_bh_disable()						\
	__ksync_local_bh_disable(SOFTIRQ_DISABLE_OFFSET, KSYNC_SITE("local_bh_disable"))
#define local_bh_enable()						\
	__ksync_local_bh_enable(SOFTIRQ_DISABLE_OFFSET, KSYNC_SITE("local_bh_enable"))

#endif /* _KSYNC_BOTTOM_HALF_H */
