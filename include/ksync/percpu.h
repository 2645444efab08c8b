/* SPDX-License-Identifier: MIT */
/*
 * <ksync/percpu.h> - the per-thread state that plays per-CPU data.
 *
 * ksync treats every thread as a CPU.  What the kernel keeps in per-CPU
 * variables and in the task (preempt count, interrupt mask, the CPU number)
 * lives here, in one thread-local block.  It uses the initial-exec TLS
 * model so that inline fast paths in a program reach it with one
 * %fs-relative access; the general-dynamic model would cost a call into
 * the dynamic linker each time (measured: about twice the cost of a whole
 * lock+unlock pair).
 *
 * Larger per-CPU data (MCS queue nodes, lockdep's held-lock stack) lives in
 * a table indexed by CPU number so that other threads can reach it; see
 * smp.h.  Only ksync itself should touch these fields.
 */
#ifndef _KSYNC_PERCPU_H
#define _KSYNC_PERCPU_H

#include <stdint.h>
#include <ksync/compiler.h>

struct ksync_cpu;

struct ksync_tls {
	/* The kernel's preempt_count(); see preempt.h for the fields. */
	unsigned int preempt_count;
	/* Soft interrupt mask: non-zero while local interrupts are off. */
	unsigned int irqs_off;
	/* CPU number + 1 once registered, 0 before. */
	unsigned int cpu_plus_one;
	/* Nesting count of local_interrupt_disable(). */
	unsigned int irq_disable_count;
	/* Interrupts (signals) held back while masked: bit (signal - 1). */
	unsigned long long irq_pending;
	/* Softirqs raised on this CPU and not yet run, one bit each. */
	unsigned int softirq_pending;
	/* Flags word saved by the outermost local_interrupt_disable(). */
	unsigned int irq_disable_saved;
	/* Interrupts handled on this CPU, for interruptible sleeps. */
	unsigned long irqs_handled;
	/* How many times each held-back signal arrived, by signal number. */
	unsigned int irq_held[65];
	/* This thread's per-CPU block, NULL until registered. */
	struct ksync_cpu *cpu;
	/* Where a guard() was written, for the lock call inside the guard. */
	const struct ksync_site *guard_site;
	/*
	 * The program's call that a lock operation without a site stands
	 * for (set by ksync-lockdep's preload library around its calls).
	 */
	uintptr_t caller_ip;
	/*
	 * > 0 while ksync works for itself (symbolising a report with
	 * libdw): pthread calls made meanwhile are not the program's.
	 */
	unsigned int in_ksync;
	/*
	 * rcu_read_lock() nesting (the kernel's rcu_preempt_depth()):
	 * might_sleep() reports a sleep inside a read-side section.
	 */
	unsigned int rcu_read_lock_nesting;
};

extern KSYNC_API __thread struct ksync_tls ksync_tls
	__attribute__((tls_model("initial-exec")));

/* DEFINE_PER_CPU() and the accessors, as <linux/percpu.h> brings them. */
#include <ksync/percpu-defs.h>

#endif /* _KSYNC_PERCPU_H */
