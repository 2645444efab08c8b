// SPDX-License-Identifier: MIT
/*
 * arch's per-CPU part and what a new thread on a reused CPU block starts
 * from: queue nodes that are in no queue.
 */
#include "arch_cpu.h"
#include "layer_hooks.h"

KSYNC_DEFINE_CPU_PART(struct ksync_arch_cpu, ksync_arch_cpu_part);

/* Atomic stores: a stale waker may still look at the old nodes. */
static void arch_cpu_reset(struct ksync_cpu *c)
{
	struct ksync_arch_cpu *a = arch_cpu(c);

	for (int i = 0; i < MCS_MAX_NODES; i++) {
		struct ksync_qnode *n = &a->qnodes[i];

		n->cpu = c->cpu;
		n->count = 0;
		__atomic_store_n(&n->next, NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&n->locked, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&n->state, VCPU_RUNNING, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&a->osq_node.next, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&a->osq_node.prev, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&a->osq_node.locked, 0, __ATOMIC_RELAXED);
}

KSYNC_HOOKS(arch_cpu_hooks) = {
	.layer = KSYNC_LAYER_ARCH,
	.cpu_reset = arch_cpu_reset,
};
