/* SPDX-License-Identifier: MIT */
/*
 * <ksync/preempt.h> - the preemption count and the context predicates.
 *
 * A userspace thread cannot stop the scheduler from preempting it, so
 * preempt_disable() does not disable anything: it counts.  The count is
 * what in_atomic(), might_sleep() and lockdep read, so it has to tell the
 * truth: spinlocks add to it, interrupt and softirq handlers add to it,
 * local_bh_disable() adds to it.  The layout is the kernel's (6.1):
 *
 *         PREEMPT_MASK:	0x000000ff
 *         SOFTIRQ_MASK:	0x0000ff00
 *         HARDIRQ_MASK:	0x000f0000
 *             NMI_MASK:	0x00f00000
 *
 * Serving a softirq adds SOFTIRQ_OFFSET; disabling bottom halves adds
 * 2 * SOFTIRQ_OFFSET, so bit 8 tells the two apart.
 *
 * The count is per thread and only this thread (and its signal handlers,
 * which run on top of it) touches it, so plain increments with a compiler
 * barrier suffice, as on x86 where the kernel's count is per-CPU.
 */
#ifndef _KSYNC_PREEMPT_H
#define _KSYNC_PREEMPT_H

#include <ksync/compiler.h>
#include <ksync/percpu.h>

#define PREEMPT_BITS	8
#define SOFTIRQ_BITS	8
#define HARDIRQ_BITS	4
#define NMI_BITS	4

#define PREEMPT_SHIFT	0
#define SOFTIRQ_SHIFT	(PREEMPT_SHIFT + PREEMPT_BITS)
#define HARDIRQ_SHIFT	(SOFTIRQ_SHIFT + SOFTIRQ_BITS)
#define NMI_SHIFT	(HARDIRQ_SHIFT + HARDIRQ_BITS)

#define __IRQ_MASK(x)	((1UL << (x)) - 1)
#define PREEMPT_MASK	(__IRQ_MASK(PREEMPT_BITS) << PREEMPT_SHIFT)
#define SOFTIRQ_MASK	(__IRQ_MASK(SOFTIRQ_BITS) << SOFTIRQ_SHIFT)
#define HARDIRQ_MASK	(__IRQ_MASK(HARDIRQ_BITS) << HARDIRQ_SHIFT)
#define NMI_MASK	(__IRQ_MASK(NMI_BITS) << NMI_SHIFT)

#define PREEMPT_OFFSET	(1UL << PREEMPT_SHIFT)
#define SOFTIRQ_OFFSET	(1UL << SOFTIRQ_SHIFT)
#define HARDIRQ_OFFSET	(1UL << HARDIRQ_SHIFT)
#define NMI_OFFSET	(1UL << NMI_SHIFT)

#define SOFTIRQ_DISABLE_OFFSET	(2 * SOFTIRQ_OFFSET)
#define PREEMPT_LOCK_OFFSET	PREEMPT_OFFSET
#define SOFTIRQ_LOCK_OFFSET	(SOFTIRQ_DISABLE_OFFSET + PREEMPT_LOCK_OFFSET)

static __always_inline int preempt_count(void)
{
	return (int)__atomic_load_n(&ksync_tls.preempt_count, __ATOMIC_RELAXED);
}

/*
 * A signal handler may interrupt the increment, but it restores the count
 * before it returns, so a plain read-modify-write on this thread's own
 * word is safe; the relaxed atomic accesses only keep the compiler honest.
 */
static __always_inline void __preempt_count_add(int val)
{
	unsigned int c = __atomic_load_n(&ksync_tls.preempt_count, __ATOMIC_RELAXED);

	__atomic_store_n(&ksync_tls.preempt_count, c + val, __ATOMIC_RELAXED);
}

static __always_inline void __preempt_count_sub(int val)
{
	__preempt_count_add(-val);
}

/*
 * The kernel's CONFIG_DEBUG_PREEMPT checks, at the call: with
 * KSYNC_DEBUG, preempt_enable() without a preempt_disable() says
 * DEBUG_LOCKS_WARN_ON(val > preempt_count()) and leaves the count alone
 * instead of wrapping it to ffffffff, and nesting preempt_disable() so
 * deep that the count is about to spill into the softirq field says
 * DEBUG_LOCKS_WARN_ON((preempt_count() & PREEMPT_MASK) >= PREEMPT_MASK - 10).
 *
 * Cost when all is well, debugging or not: one test of the count just
 * loaded, which sends only a count at the edge of its field out of line
 * (ksync_preempt_count_*_slow() decide there whether to check).  The
 * __preempt_count_*() forms, for interrupt and softirq entry, check
 * nothing, as in the kernel.
 */
KSYNC_API void ksync_preempt_count_add_slow(int val, const struct ksync_site *site);
KSYNC_API void ksync_preempt_count_sub_slow(int val, const struct ksync_site *site);

/* Adding val may take the preemption field to PREEMPT_MASK - 10 or past it. */
static __always_inline bool __ksync_preempt_add_at_edge(unsigned int c, int val)
{
	if (val < (int)PREEMPT_MASK)
		return (int)(c & PREEMPT_MASK) + val >= (int)PREEMPT_MASK - 10;
	return ((c + (unsigned int)val) & PREEMPT_MASK) >= PREEMPT_MASK - 10 || (int)c < 0;
}

/* Subtracting val may take the preemption field (or the count) below 0. */
static __always_inline bool __ksync_preempt_sub_at_edge(unsigned int c, int val)
{
	if (val < (int)PREEMPT_MASK)
		return (int)(c & PREEMPT_MASK) < val;
	return (int)c < val;
}

static __always_inline void
__ksync_preempt_count_add(int val, const struct ksync_site *site)
{
	unsigned int c = __atomic_load_n(&ksync_tls.preempt_count, __ATOMIC_RELAXED);

#ifndef KSYNC_NO_DEBUG
	if (__ksync_unlikely(__ksync_preempt_add_at_edge(c, val))) {
		ksync_preempt_count_add_slow(val, site);
		return;
	}
#else
	(void)site;
#endif
	__atomic_store_n(&ksync_tls.preempt_count, c + val, __ATOMIC_RELAXED);
}

static __always_inline void
__ksync_preempt_count_sub(int val, const struct ksync_site *site)
{
	unsigned int c = __atomic_load_n(&ksync_tls.preempt_count, __ATOMIC_RELAXED);

#ifndef KSYNC_NO_DEBUG
	if (__ksync_unlikely(__ksync_preempt_sub_at_edge(c, val))) {
		ksync_preempt_count_sub_slow(val, site);
		return;
	}
#else
	(void)site;
#endif
	__atomic_store_n(&ksync_tls.preempt_count, c - val, __ATOMIC_RELAXED);
}

#define preempt_count_add(val)						\
	__ksync_preempt_count_add((val), KSYNC_SITE("preempt_count_add"))
#define preempt_count_sub(val)						\
	__ksync_preempt_count_sub((val), KSYNC_SITE("preempt_count_sub"))
#define preempt_count_inc()						\
	__ksync_preempt_count_add(1, KSYNC_SITE("preempt_count_inc"))
#define preempt_count_dec()						\
	__ksync_preempt_count_sub(1, KSYNC_SITE("preempt_count_dec"))

#define preempt_disable()						\
	do {								\
		__ksync_preempt_count_add(1, KSYNC_SITE("preempt_disable")); \
		barrier();						\
	} while (0)

/* Nothing to reschedule in userspace: the scheduler never waited for us. */
#define preempt_enable()						\
	do {								\
		barrier();						\
		__ksync_preempt_count_sub(1, KSYNC_SITE("preempt_enable")); \
	} while (0)

#define preempt_enable_no_resched()	preempt_enable()
#define preempt_disable_notrace()	preempt_disable()
#define preempt_enable_notrace()	preempt_enable()

/*
 * preemptible(): the kernel's test, here whether sleeping is allowed (no
 * preemption count, interrupts not masked).
 */
#define preemptible()	(preempt_count() == 0 && !__atomic_load_n(&ksync_tls.irqs_off, __ATOMIC_RELAXED))

/*
 * migrate_disable()/migrate_enable(): pin the task to its CPU without
 * disabling preemption.  A ksync thread never changes CPU number, so
 * this only counts (current->migration_disabled), for
 * is_migration_disabled() and the kernel's check of an unbalanced
 * migrate_enable().
 */
KSYNC_API void ksync_migrate_disable(void);
KSYNC_API void ksync_migrate_enable(const struct ksync_site *site);
#define migrate_disable()	ksync_migrate_disable()
#define migrate_enable()	ksync_migrate_enable(KSYNC_SITE("migrate_enable"))

#define nmi_count()		(preempt_count() & NMI_MASK)
#define hardirq_count()		(preempt_count() & HARDIRQ_MASK)
#define softirq_count()		(preempt_count() & SOFTIRQ_MASK)
#define irq_count()		(preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK))

#define in_nmi()		(nmi_count())
#define in_hardirq()		(hardirq_count())
#define in_irq()		in_hardirq()
#define in_serving_softirq()	(softirq_count() & SOFTIRQ_OFFSET)
#define in_softirq()		(softirq_count())
#define in_interrupt()		(irq_count())
#define in_task()		(!(preempt_count() &			\
				   (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET)))
#define in_atomic()		(preempt_count() != 0)

/* 0 task, 1 softirq, 2 hardirq, 3 NMI - which MCS node a lock call uses. */
static __always_inline unsigned char interrupt_context_level(void)
{
	unsigned long pc = (unsigned long)preempt_count();
	unsigned char level = 0;

	level += !!(pc & NMI_MASK);
	level += !!(pc & (NMI_MASK | HARDIRQ_MASK));
	level += !!(pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET));
	return level;
}

#endif /* _KSYNC_PREEMPT_H */
