/* SPDX-License-Identifier: MIT */
/*
 * arch's per-CPU part (base/cpu.h): the queue nodes a CPU waits in, for
 * the queued spinlock (four, one per nesting context) and for optimistic
 * spinning (one).  Other CPUs reach them by CPU number, to link a queue
 * and to hand it over.
 */
#ifndef _KSYNC_SRC_ARCH_CPU_H
#define _KSYNC_SRC_ARCH_CPU_H

#include "cpu.h"
#include "mcs.h"
#include "osq_lock.h"

struct ksync_arch_cpu {
	struct ksync_qnode qnodes[MCS_MAX_NODES];
	/* This CPU's optimistic spinning node: one, as in the kernel. */
	struct ksync_osq_node osq_node;
};

extern struct ksync_arch_cpu ksync_arch_cpu_part;

static inline struct ksync_arch_cpu *arch_cpu(struct ksync_cpu *c)
{
	return ksync_cpu_part(c, ksync_arch_cpu_part);
}

#endif /* _KSYNC_SRC_ARCH_CPU_H */
