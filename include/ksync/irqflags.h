/* SPDX-License-Identifier: MIT */
/* Model-checked: models/irqflags.pml (docs/models.md); change both together. */
/*
 * <ksync/irqflags.h> - masking local interrupts, and the counted
 * local_interrupt_disable()/local_interrupt_enable() proposed for the
 * kernel with the Rust lock_with() interface (refcounted interrupt
 * disabling, 2026).
 *
 * In ksync an interrupt is an asynchronous signal requested with
 * request_irq() (see <ksync/interrupt.h>), and "local interrupts off" is a
 * per-thread soft mask: local_irq_disable() sets a flag, it makes no
 * system call.  A requested signal that arrives while the flag is set is
 * recorded and its handler runs when the flag is cleared, before
 * local_irq_enable()/local_irq_restore() returns: none is lost, none runs
 * while masked, none runs twice.  (The same idea as powerpc's lazy
 * interrupt masking.)
 *
 *   local_irq_disable(), local_irq_enable()
 *   local_irq_save(flags), local_irq_restore(flags)   flags: unsigned long
 *   irqs_disabled(), irqs_disabled_flags(flags)
 *   raw_local_irq_*: the same without the debug hooks
 *
 *   local_interrupt_disable(), local_interrupt_enable()
 *     counted: only the outermost disable masks and only the last enable
 *     unmasks, so nested irq-disabling locks may be released in any order.
 *     local_interrupt_disable() returns a token proving interrupts are off,
 *     for spin_lock_with(); call it as a plain statement when the token is
 *     not needed.
 */
#ifndef _KSYNC_IRQFLAGS_H
#define _KSYNC_IRQFLAGS_H

#include <ksync/compiler.h>
#include <ksync/debug_locks.h>
#include <ksync/percpu.h>

#define KSYNC_IRQ_FLAGS_DISABLED	1UL

/* Run interrupts that arrived while masked (called with the mask clear). */
KSYNC_API void ksync_irq_replay(void);
/* Debug paths (lockdep's irq tracing, misuse checks). */
KSYNC_API void ksync_trace_irqs_off(const struct ksync_site *site);
KSYNC_API void ksync_trace_irqs_on(const struct ksync_site *site);
KSYNC_API void ksync_local_interrupt_misuse(int underflow,
					    const struct ksync_site *site);

static __always_inline unsigned long arch_local_save_flags(void)
{
	return __atomic_load_n(&ksync_tls.irqs_off, __ATOMIC_RELAXED) ?
	       KSYNC_IRQ_FLAGS_DISABLED : 0;
}

static __always_inline int arch_irqs_disabled_flags(unsigned long flags)
{
	return (flags & KSYNC_IRQ_FLAGS_DISABLED) != 0;
}

/*
 * The compiler barriers keep the critical section inside the masked
 * region, as seen by a signal handler on this thread; nothing else can
 * see the mask, so no CPU fence is needed.
 */
static __always_inline void arch_local_irq_disable(void)
{
	__atomic_store_n(&ksync_tls.irqs_off, 1, __ATOMIC_RELAXED);
	barrier();
}

/*
 * Clear, then check for held-back interrupts.  A signal that arrives after
 * the clear runs at once; one that arrived before it is in irq_pending.
 */
static __always_inline void arch_local_irq_enable(void)
{
	barrier();
	__atomic_store_n(&ksync_tls.irqs_off, 0, __ATOMIC_RELAXED);
	barrier();
	if (__ksync_unlikely(__atomic_load_n(&ksync_tls.irq_pending, __ATOMIC_RELAXED)))
		ksync_irq_replay();
}

static __always_inline unsigned long arch_local_irq_save(void)
{
	unsigned long flags = arch_local_save_flags();

	arch_local_irq_disable();
	return flags;
}

static __always_inline void arch_local_irq_restore(unsigned long flags)
{
	if (!arch_irqs_disabled_flags(flags))
		arch_local_irq_enable();
}

#define raw_local_irq_disable()		arch_local_irq_disable()
#define raw_local_irq_enable()		arch_local_irq_enable()
#define raw_local_irq_save(flags)	do { (flags) = arch_local_irq_save(); } while (0)
#define raw_local_irq_restore(flags)	arch_local_irq_restore(flags)
#define raw_local_save_flags(flags)	do { (flags) = arch_local_save_flags(); } while (0)
#define raw_irqs_disabled_flags(flags)	arch_irqs_disabled_flags(flags)
#define raw_irqs_disabled()		arch_irqs_disabled_flags(arch_local_save_flags())

static __always_inline void
__ksync_local_irq_disable(const struct ksync_site *site)
{
	arch_local_irq_disable();
	if (ksync_debug_active())
		ksync_trace_irqs_off(site);
}

static __always_inline void
__ksync_local_irq_enable(const struct ksync_site *site)
{
	if (ksync_debug_active())
		ksync_trace_irqs_on(site);
	arch_local_irq_enable();
}

static __always_inline unsigned long
__ksync_local_irq_save(const struct ksync_site *site)
{
	unsigned long flags = arch_local_irq_save();

	if (ksync_debug_active() && !arch_irqs_disabled_flags(flags))
		ksync_trace_irqs_off(site);
	return flags;
}

static __always_inline void
__ksync_local_irq_restore(unsigned long flags, const struct ksync_site *site)
{
	if (!arch_irqs_disabled_flags(flags))
		__ksync_local_irq_enable(site);
}

#define local_irq_disable()	__ksync_local_irq_disable(KSYNC_SITE("local_irq_disable"))
#define local_irq_enable()	__ksync_local_irq_enable(KSYNC_SITE("local_irq_enable"))
#define local_irq_save(flags)						\
	do {								\
		(flags) = __ksync_local_irq_save(KSYNC_SITE("local_irq_save")); \
	} while (0)
#define local_irq_restore(flags)					\
	__ksync_local_irq_restore((flags), KSYNC_SITE("local_irq_restore"))
#define local_save_flags(flags)		raw_local_save_flags(flags)
#define irqs_disabled_flags(flags)	raw_irqs_disabled_flags(flags)
#define irqs_disabled()			raw_irqs_disabled()

/* --- counted disabling ------------------------------------------------- */

/* The kernel keeps this count in an 8-bit field of preempt_count. */
#define KSYNC_IRQ_DISABLE_MAX	255U

/*
 * Proof that local interrupts are off on this thread, for
 * spin_lock_with().  C cannot tie its lifetime to the disabled region as
 * Rust does; with debugging on, using it while interrupts are on is
 * reported.
 */
typedef struct local_interrupt_disabled {
	unsigned char __proof;
} local_interrupt_disabled_t;

/*
 * Mask first, then count: an interrupt can then never see the count raised
 * while interrupts are still on (the race the series' v2 closed by keeping
 * softirqs from running at interrupt exit).
 */
static __always_inline local_interrupt_disabled_t
__ksync_local_interrupt_disable(const struct ksync_site *site)
{
	unsigned long flags = __ksync_local_irq_save(site);
	unsigned int n = ksync_tls.irq_disable_count;

	if (__ksync_unlikely(n >= KSYNC_IRQ_DISABLE_MAX))
		ksync_local_interrupt_misuse(0, site);
	else
		ksync_tls.irq_disable_count = n + 1;
	if (n == 0)
		ksync_tls.irq_disable_saved = (unsigned int)flags;
	return (local_interrupt_disabled_t){ 1 };
}

static __always_inline void
__ksync_local_interrupt_enable(const struct ksync_site *site)
{
	unsigned int n = ksync_tls.irq_disable_count;

	if (__ksync_unlikely(n == 0)) {
		ksync_local_interrupt_misuse(1, site);
		return;
	}
	ksync_tls.irq_disable_count = n - 1;
	if (n == 1)
		__ksync_local_irq_restore(ksync_tls.irq_disable_saved, site);
}

#define local_interrupt_disable()					\
	__ksync_local_interrupt_disable(KSYNC_SITE("local_interrupt_disable"))
#define local_interrupt_enable()					\
	__ksync_local_interrupt_enable(KSYNC_SITE("local_interrupt_enable"))

/* Nesting depth of local_interrupt_disable() on this thread. */
static __always_inline unsigned int local_interrupt_disable_count(void)
{
	return ksync_tls.irq_disable_count;
}

/*
 * A token for code that runs with interrupts off without having disabled
 * them itself (an interrupt handler), as Rust's assume_disabled().
 */
KSYNC_API void ksync_token_misuse(const char *what, const struct ksync_site *site);

static __always_inline local_interrupt_disabled_t
__ksync_local_interrupt_disabled_assume(const struct ksync_site *site)
{
	if (ksync_debug_active() && !irqs_disabled())
		ksync_token_misuse("local_interrupt_disabled_assume", site);
	return (local_interrupt_disabled_t){ 1 };
}

#define local_interrupt_disabled_assume()				\
	__ksync_local_interrupt_disabled_assume(KSYNC_SITE("local_interrupt_disabled_assume"))

#endif /* _KSYNC_IRQFLAGS_H */
