/* SPDX-License-Identifier: MIT */
/*
 * MCS queue nodes for the queued spinlock (kernel/locking/mcs_spinlock.h
 * plus the paravirt fields of qspinlock_paravirt.h).
 *
 * Each CPU (thread) owns four, one per context that can nest on it: task,
 * softirq, hardirq, NMI.  A signal handler that takes a spinlock while its
 * thread waits in a queue uses the next node.  qnodes[0].count is the
 * nesting index; only the owning thread and its handlers touch it.
 */
#ifndef _KSYNC_SRC_MCS_H
#define _KSYNC_SRC_MCS_H

#include <stdint.h>

#define MCS_MAX_NODES	4

/* pv state of a node, also its futex word while it sleeps. */
enum {
	VCPU_RUNNING = 0,
	VCPU_HALTED,	/* asleep in pv_wait_node(), not in the hash */
	VCPU_HASHED,	/* in the hash table; an unlock will wake it */
};

struct ksync_qnode {
	struct ksync_qnode *next;
	int locked;		/* 1: the MCS lock was handed to us */
	int count;		/* nesting level, qnodes[0] only */
	int cpu;		/* owner's CPU number */
	uint32_t state;		/* VCPU_*: futex word */
	uint64_t __pad;
};

_Static_assert(sizeof(struct ksync_qnode) == 32, "two nodes per cache line");

#endif /* _KSYNC_SRC_MCS_H */
