// SPDX-License-Identifier: MIT
/*
 * The context layer's per-CPU part: what a new thread on a reused block
 * starts from, and, in a fork child, the tasklets of CPUs that are gone.
 */
#include <ksync/interrupt.h>
#include "context_cpu.h"
#include "layer_hooks.h"

KSYNC_DEFINE_CPU_PART(struct ksync_context_cpu, ksync_context_cpu_part);

/* A fresh thread: awake, with nothing pending. */
static void context_cpu_reset(struct ksync_cpu *c)
{
	struct ksync_context_cpu *x = context_cpu(c);

	x->tasklets[0] = x->tasklets[1] = NULL;
	x->wait_deadline = 0;
	/* Atomic: a stale waker may still look at the old state word. */
	__atomic_store_n(&x->state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&x->sigpending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&x->fatal, 0, __ATOMIC_RELAXED);
}

/*
 * The kernel's takeover_tasklets(): a dead CPU's tasklets run here.  Only
 * in a fork child, which is single-threaded: plain accesses.
 */
static void context_cpu_dead(struct ksync_cpu *me, struct ksync_cpu *dead)
{
	for (int hi = 0; hi < 2; hi++) {
		struct tasklet_struct **tail = &context_cpu(me)->tasklets[hi];

		if (!context_cpu(dead)->tasklets[hi])
			continue;
		while (*tail)
			tail = &(*tail)->next;
		*tail = context_cpu(dead)->tasklets[hi];
		context_cpu(dead)->tasklets[hi] = NULL;
		ksync_raise_softirq_irqoff(hi ? HI_SOFTIRQ : TASKLET_SOFTIRQ);
	}
}

KSYNC_HOOKS(context_cpu_hooks) = {
	.layer = KSYNC_LAYER_CONTEXT,
	.cpu_reset = context_cpu_reset,
	.cpu_dead = context_cpu_dead,
};
