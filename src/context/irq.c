// SPDX-License-Identifier: MIT
/* Model-checked: models/irqflags.pml (docs/models.md); change both together. */
/*
 * Interrupts as signals: request_irq(), free_irq(), the dispatcher, and
 * raising an interrupt on a CPU.
 *
 * request_irq() installs one signal handler, the dispatcher, for the
 * signal.  When the signal arrives at a thread, the dispatcher looks at the
 * thread's soft interrupt mask: if interrupts are off it records the
 * signal (how many times, per signal) and returns; the thread's
 * local_irq_enable() runs it later (irqflags.c).  If they are on, it runs
 * the handlers at once, in hardirq context: mask set, preempt_count()
 * raised by HARDIRQ_OFFSET.  On the way out it runs pending softirqs, as
 * the kernel's irq_exit() does.
 *
 * The signal action blocks every requested signal while the dispatcher
 * runs, so ksync interrupts never nest, as hardirq handlers do not nest in
 * the kernel; they are held by the kernel until the dispatcher returns.
 *
 * Handlers are read without locks by the dispatcher (it runs in a signal
 * handler); request_irq()/free_irq() update them under a mutex, and
 * free_irq() waits for dispatchers still using the line, as the kernel's
 * synchronize_irq() does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <ksync/interrupt.h>
#include "blocked.h"
#include "cpu.h"
#include "futex_lock.h"
#include "init.h"
#include "irq_internal.h"
#include "lockdep_hooks.h"
#include "debug_checks.h"
#include "site.h"
#include "report.h"

#define NR_IRQS		65	/* signals 1..64 */

struct irq_action {
	irq_handler_t handler;	/* NULL: free slot */
	void *dev;
	const char *name;
	unsigned long flags;
};

struct irq_desc {
	struct irq_action action[KSYNC_IRQ_MAX_ACTIONS];
	int nr_actions;
	int in_flight;		/* dispatchers running this line now */
	struct sigaction old;	/* the disposition before request_irq() */
};

static struct irq_desc irq_desc[NR_IRQS];
/*
 * The kernel's request_mutex.  A bare futex lock: the interrupt layer sits
 * below the sleeping locks, and a pthread mutex would be taken by an
 * interposer (ksync-lockdep) for the program's.
 */
static struct ksync_futex_lock irq_request_mutex;
static sigset_t irq_signals;	/* every requested signal (under irq_request_mutex) */
static unsigned long long irq_requested;	/* the same, readable anywhere */

/* --- running handlers ------------------------------------------------------ */

/*
 * A handler that would be a thread on PREEMPT_RT (forced threading: not
 * IRQF_NO_THREAD, nor an IRQF_ONESHOT primary handler) tells lockdep, as
 * the kernel's __handle_irq_event_percpu() does: it may take a
 * spinlock_t under KSYNC_PROVE_RAW_LOCK_NESTING.
 */
static void run_action(struct irq_action *a, irq_handler_t h, int irq)
{
	unsigned long flags = __atomic_load_n(&a->flags, __ATOMIC_RELAXED);
	int before = ksync_lockdep_hardirq_threaded(!(flags & (IRQF_NO_THREAD | IRQF_ONESHOT)));

	h(irq, __atomic_load_n(&a->dev, __ATOMIC_RELAXED));
	ksync_lockdep_hardirq_threaded(before);
}

static void run_actions(int irq)
{
	struct irq_desc *desc = &irq_desc[irq];

	/*
	 * seq_cst pairs with free_irq(): it clears a handler, then waits for
	 * in_flight to reach 0; either it waits for us or we see NULL.
	 */
	__atomic_fetch_add(&desc->in_flight, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < KSYNC_IRQ_MAX_ACTIONS; i++) {
		struct irq_action *a = &desc->action[i];
		irq_handler_t h = __atomic_load_n(&a->handler, __ATOMIC_SEQ_CST);

		if (h)
			run_action(a, h, irq);
	}
	__atomic_fetch_sub(&desc->in_flight, 1, __ATOMIC_RELEASE);
	ksync_tls.irqs_handled++;
	ksync_sched_irq_arrived();
}

/* Take one held-back signal; 0 if none. */
static int take_held_irq(unsigned int *count)
{
	unsigned long long pending = __atomic_load_n(&ksync_tls.irq_pending,
						     __ATOMIC_RELAXED);
	int irq;

	if (!pending)
		return 0;
	irq = __builtin_ctzll(pending) + 1;
	/*
	 * Clear the bit, then take the count: a signal arriving in between
	 * sets the bit again and is taken on the next round (or now, with
	 * its count, leaving a bit with count 0, which is harmless).
	 */
	__atomic_fetch_and(&ksync_tls.irq_pending, ~(1ull << (irq - 1)), __ATOMIC_RELAXED);
	*count = __atomic_exchange_n(&ksync_tls.irq_held[irq], 0, __ATOMIC_RELAXED);
	return irq;
}

/* In hardirq context with the mask set: run what was held back. */
void ksync_irq_run_held(void)
{
	unsigned int count;
	int irq;

	while ((irq = take_held_irq(&count)))
		while (count--)
			run_actions(irq);
}

/* --- the dispatcher ---------------------------------------------------------- */

/* Run one interrupt that arrived with the mask clear. */
static void handle_irq(int irq)
{
	const struct ksync_site *guard_site = ksync_tls.guard_site;
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	/* A sleeper's record is not read while the handler takes locks. */
	bool was_asleep = ksync_blocked_irq_suspend(c);

	arch_local_irq_disable();
	ksync_irq_enter();
	run_actions(irq);
	ksync_irq_run_held();
	ksync_irq_exit();
	/* A guard() interrupted between its two halves keeps its site. */
	ksync_tls.guard_site = guard_site;
	arch_local_irq_enable();
	if (was_asleep)
		ksync_blocked_irq_resume(c);
}

/*
 * Raising orders the raiser's earlier writes before the handler, as an
 * IPI does in the kernel: a release in ksync_raise_irq(), an acquire here.
 * (The signal itself orders them on real hardware, but ThreadSanitizer
 * cannot see that.)
 */
static unsigned long irq_raise_seq;

static void irq_dispatcher(int sig, siginfo_t *info, void *uctx)
{
	int saved_errno = errno;

	(void)info;
	(void)uctx;
	/* Acquire: pairs with the release in ksync_raise_irq(). */
	(void)__atomic_load_n(&irq_raise_seq, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&ksync_tls.irqs_off, __ATOMIC_RELAXED)) {
		/* Masked: hold it; local_irq_enable() will run it. */
		__atomic_fetch_add(&ksync_tls.irq_held[sig], 1, __ATOMIC_RELAXED);
		__atomic_fetch_or(&ksync_tls.irq_pending, 1ull << (sig - 1),
				  __ATOMIC_RELAXED);
	} else {
		handle_irq(sig);
	}
	errno = saved_errno;
}

void ksync_irq_enter(void)
{
	__preempt_count_add(HARDIRQ_OFFSET);
	barrier();
}

void ksync_irq_exit(void)
{
	barrier();
	__preempt_count_sub(HARDIRQ_OFFSET);
	/*
	 * Softirqs run here unless the interrupted code is itself in
	 * interrupt or bottom-half context, or inside a counted
	 * local_interrupt_disable(), which holds softirqs back as well.
	 */
	if (!in_interrupt() && local_softirq_pending() &&
	    !ksync_tls.irq_disable_count)
		ksync_softirq_run_pending();
}

void ksync_nmi_enter(void)
{
	if ((preempt_count() & NMI_MASK) == NMI_MASK)
		ksync_fatal("nmi_enter(): NMI nesting deeper than the NMI field allows\n");
	__preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
	barrier();
}

void ksync_nmi_exit(void)
{
	barrier();
	__preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
}

/* --- request_irq() and free_irq() ---------------------------------------- */

/*
 * Signals that cannot be interrupts: uncatchable, synchronous faults, and
 * the C library's own (sigaction() refuses those with EINVAL anyway).
 */
static bool irq_number_valid(unsigned int irq)
{
	switch (irq) {
	case SIGKILL:
	case SIGSTOP:
	case SIGSEGV:
	case SIGBUS:
	case SIGFPE:
	case SIGILL:
	case SIGTRAP:
	case SIGSYS:
		return false;
	}
	return irq >= 1 && irq < NR_IRQS;
}

/* Every dispatcher blocks every requested signal while it runs. */
static int install_dispatcher(unsigned int irq, struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = irq_dispatcher;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sa.sa_mask = irq_signals;
	return sigaction((int)irq, &sa, old) ? -errno : 0;
}

static void refresh_masks(void)
{
	for (unsigned int irq = 1; irq < NR_IRQS; irq++)
		if (irq_desc[irq].nr_actions)
			install_dispatcher(irq, NULL);
}

static int add_action(struct irq_desc *desc, irq_handler_t handler,
		      unsigned long flags, const char *name, void *dev)
{
	for (int i = 0; i < KSYNC_IRQ_MAX_ACTIONS; i++) {
		struct irq_action *a = &desc->action[i];

		if (a->handler)
			continue;
		a->dev = dev;
		a->name = name;
		a->flags = flags;
		/* Release: the dispatcher sees dev and name with the handler. */
		__atomic_store_n(&a->handler, handler, __ATOMIC_RELEASE);
		desc->nr_actions++;
		return 0;
	}
	return -EBUSY;
}

/* A second handler on a line needs IRQF_SHARED on both, as in the kernel. */
static bool can_share(const struct irq_desc *desc, unsigned long flags)
{
	if (!desc->nr_actions)
		return true;
	if (!(flags & IRQF_SHARED))
		return false;
	for (int i = 0; i < KSYNC_IRQ_MAX_ACTIONS; i++)
		if (desc->action[i].handler && !(desc->action[i].flags & IRQF_SHARED))
			return false;
	return true;
}

KSYNC_API int ksync_request_irq(unsigned int irq, irq_handler_t handler,
				unsigned long flags, const char *name, void *dev)
{
	struct irq_desc *desc;
	int ret;

	if (!irq_number_valid(irq) || !handler)
		return -EINVAL;
	ksync_init_once();
	desc = &irq_desc[irq];
	ksync_futex_lock(&irq_request_mutex);
	if (!can_share(desc, flags)) {
		ret = -EBUSY;
		goto out;
	}
	if (!desc->nr_actions) {
		sigaddset(&irq_signals, (int)irq);
		ret = install_dispatcher(irq, &desc->old);
		if (ret) {
			sigdelset(&irq_signals, (int)irq);
			goto out;
		}
		refresh_masks();
		__atomic_fetch_or(&irq_requested, 1ull << (irq - 1), __ATOMIC_RELAXED);
	}
	ret = add_action(desc, handler, flags, name, dev);
out:
	ksync_futex_unlock(&irq_request_mutex);
	return ret;
}

/* Wait until no dispatcher runs a handler of this line (synchronize_irq). */
static void synchronize_irq(struct irq_desc *desc)
{
	while (__atomic_load_n(&desc->in_flight, __ATOMIC_SEQ_CST))
		sched_yield();
}

KSYNC_API const void *ksync_free_irq(unsigned int irq, void *dev)
{
	struct irq_desc *desc;
	const char *name = NULL;

	if (!irq_number_valid(irq))
		return NULL;
	desc = &irq_desc[irq];
	ksync_futex_lock(&irq_request_mutex);
	for (int i = 0; i < KSYNC_IRQ_MAX_ACTIONS && !name; i++) {
		struct irq_action *a = &desc->action[i];

		if (!a->handler || a->dev != dev)
			continue;
		name = a->name ? a->name : "";
		__atomic_store_n(&a->handler, NULL, __ATOMIC_SEQ_CST);
		desc->nr_actions--;
	}
	if (name && !desc->nr_actions) {
		__atomic_fetch_and(&irq_requested, ~(1ull << (irq - 1)), __ATOMIC_RELAXED);
		sigaction((int)irq, &desc->old, NULL);
		sigdelset(&irq_signals, (int)irq);
		refresh_masks();
	}
	ksync_futex_unlock(&irq_request_mutex);
	if (!name) {
		ksync_warn_once(KSYNC_SITE("free_irq"),
				"Trying to free already-free IRQ %u\n", irq);
		return NULL;
	}
	synchronize_irq(desc);
	return name;
}

KSYNC_API int ksync_raise_irq(int cpu, unsigned int irq)
{
	pid_t tid;

	if (!irq_number_valid(irq) ||
	    !(__atomic_load_n(&irq_requested, __ATOMIC_RELAXED) & (1ull << (irq - 1))))
		return -EINVAL;
	if (cpu < 0 || cpu >= KSYNC_NR_CPUS || !(tid = ksync_cpu_tid(cpu)))
		return -ESRCH;
	__atomic_fetch_add(&irq_raise_seq, 1, __ATOMIC_RELEASE);
	return syscall(SYS_tgkill, getpid(), tid, (int)irq) ? -errno : 0;
}

KSYNC_API unsigned long ksync_irqs_handled(void)
{
	return ksync_tls.irqs_handled;
}
