/* SPDX-License-Identifier: MIT */
/*
 * <ksync/interrupt.h> - interrupts as signals, softirqs and tasklets.
 *
 * request_irq(irq, handler, flags, name, dev) claims the signal number irq
 * for ksync: from then on, when that signal arrives at a thread, ksync
 * runs handler(irq, dev) in hardirq context on that thread - with the
 * thread's interrupts masked, preempt_count() raised by HARDIRQ_OFFSET -
 * unless the thread has masked interrupts (local_irq_disable()), in which
 * case the handler runs as soon as it unmasks.  A plain pthread_kill() of
 * the signal works; ksync_raise_irq() sends it to a CPU (thread) by number.
 *
 * Signals that cannot serve get -EINVAL: 0 and numbers past the last
 * signal, SIGKILL and SIGSTOP (they cannot be caught), the synchronous
 * faults SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP and SIGSYS (they report a
 * fault in the code that is running, they cannot be deferred), and the
 * signals the C library keeps for itself.  Signals never requested stay
 * untouched: to ksync they are NMIs, which cannot be masked.
 *
 * Use real-time signals (SIGRTMIN + n) where every raise must be counted:
 * the kernel queues those, while a standard signal raised again before the
 * first was delivered is merged with it.
 *
 * Softirqs (open_softirq(), raise_softirq()) and tasklets are deferred work
 * of the CPU that raised them: they run at the exit of the outermost
 * interrupt unless bottom halves are disabled there, else at the
 * local_bh_enable() that enables them.  Raised in task context with bottom
 * halves enabled, they run at once (there is no ksoftirqd thread that could
 * run on this CPU's behalf).
 */
#ifndef _KSYNC_INTERRUPT_H
#define _KSYNC_INTERRUPT_H

#include <ksync/compiler.h>
#include <ksync/atomic.h>
#include <ksync/bottom_half.h>
#include <ksync/hardirq.h>
#include <ksync/irqflags.h>
#include <ksync/preempt.h>

enum irqreturn {
	IRQ_NONE		= (0 << 0),
	IRQ_HANDLED		= (1 << 0),
	IRQ_WAKE_THREAD		= (1 << 1),
};
typedef enum irqreturn irqreturn_t;
#define IRQ_RETVAL(x)	((x) ? IRQ_HANDLED : IRQ_NONE)

typedef irqreturn_t (*irq_handler_t)(int irq, void *dev);

/*
 * request_irq() flags.  IRQF_SHARED allows more handlers on the line;
 * IRQF_NO_THREAD and IRQF_ONESHOT say the handler stays a hard interrupt
 * on PREEMPT_RT, which lockdep's wait-context check takes into account;
 * nothing else changes.
 */
#define IRQF_SHARED		0x00000080
#define IRQF_PROBE_SHARED	0x00000100
#define IRQF_NO_THREAD		0x00010000
#define IRQF_ONESHOT		0x00002000

/* Handlers per interrupt line (IRQF_SHARED). */
#define KSYNC_IRQ_MAX_ACTIONS	8

KSYNC_API int ksync_request_irq(unsigned int irq, irq_handler_t handler,
				unsigned long flags, const char *name, void *dev);
KSYNC_API const void *ksync_free_irq(unsigned int irq, void *dev);
/* Raise interrupt irq on CPU cpu (a registered thread): 0 or -errno. */
KSYNC_API int ksync_raise_irq(int cpu, unsigned int irq);
/* Interrupts handled on this CPU so far (all lines). */
KSYNC_API unsigned long ksync_irqs_handled(void);

#define request_irq(irq, handler, flags, name, dev)			\
	ksync_request_irq((irq), (handler), (flags), (name), (dev))
#define free_irq(irq, dev)	ksync_free_irq((irq), (dev))

/* --- softirqs ------------------------------------------------------------ */

enum {
	HI_SOFTIRQ = 0,
	TIMER_SOFTIRQ,
	NET_TX_SOFTIRQ,
	NET_RX_SOFTIRQ,
	BLOCK_SOFTIRQ,
	IRQ_POLL_SOFTIRQ,
	TASKLET_SOFTIRQ,
	SCHED_SOFTIRQ,
	HRTIMER_SOFTIRQ,
	RCU_SOFTIRQ,
	NR_SOFTIRQS
};

struct softirq_action {
	void (*action)(struct softirq_action *);
};

KSYNC_API void ksync_open_softirq(int nr, void (*action)(struct softirq_action *));
KSYNC_API void ksync_raise_softirq(unsigned int nr);
KSYNC_API void ksync_raise_softirq_irqoff(unsigned int nr);
/* Run this CPU's pending softirqs now (if not in interrupt context). */
KSYNC_API void ksync_do_softirq(void);

#define open_softirq(nr, action)	ksync_open_softirq((nr), (action))
#define raise_softirq(nr)		ksync_raise_softirq(nr)
#define raise_softirq_irqoff(nr)	ksync_raise_softirq_irqoff(nr)
#define do_softirq()			ksync_do_softirq()

static __always_inline unsigned int local_softirq_pending(void)
{
	return __atomic_load_n(&ksync_tls.softirq_pending, __ATOMIC_RELAXED);
}

/* --- tasklets ------------------------------------------------------------ */

struct tasklet_struct {
	struct tasklet_struct *next;
	unsigned long state;		/* TASKLET_STATE_* bits */
	atomic_t count;			/* > 0: disabled */
	void (*func)(unsigned long data);
	unsigned long data;
};

enum {
	TASKLET_STATE_SCHED,		/* scheduled for execution */
	TASKLET_STATE_RUN,		/* running */
};

#define DECLARE_TASKLET(name, f, d)					\
	struct tasklet_struct name = { NULL, 0, ATOMIC_INIT(0), (f), (d) }
#define DECLARE_TASKLET_DISABLED(name, f, d)				\
	struct tasklet_struct name = { NULL, 0, ATOMIC_INIT(1), (f), (d) }

KSYNC_API void ksync_tasklet_init(struct tasklet_struct *t,
				  void (*func)(unsigned long), unsigned long data);
KSYNC_API void ksync_tasklet_schedule(struct tasklet_struct *t);
KSYNC_API void ksync_tasklet_hi_schedule(struct tasklet_struct *t);
KSYNC_API void ksync_tasklet_kill(struct tasklet_struct *t);

#define tasklet_init(t, func, data)	ksync_tasklet_init((t), (func), (data))
#define tasklet_schedule(t)		ksync_tasklet_schedule(t)
#define tasklet_hi_schedule(t)		ksync_tasklet_hi_schedule(t)
#define tasklet_kill(t)			ksync_tasklet_kill(t)

static __always_inline void tasklet_disable_nosync(struct tasklet_struct *t)
{
	atomic_inc(&t->count);
	smp_mb__after_atomic();
}

static __always_inline void tasklet_enable(struct tasklet_struct *t)
{
	smp_mb__before_atomic();
	atomic_dec(&t->count);
}

#endif /* _KSYNC_INTERRUPT_H */
