/* SPDX-License-Identifier: MIT */
/*
 * The optimistic spinners' queue (kernel/locking/osq_lock.c): at most one
 * thread spins on a sleeping lock's owner; the others spin on their own
 * node, and any of them can leave the queue when its spin budget runs out.
 */
#ifndef _KSYNC_SRC_OSQ_LOCK_H
#define _KSYNC_SRC_OSQ_LOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <ksync/mutex.h>

/* A CPU's node in an optimistic spinners' queue (in its arch part). */
struct ksync_osq_node {
	struct ksync_osq_node *next, *prev;
	int locked;		/* 1: the OSQ was handed to us */
	int cpu;		/* encoded: CPU number + 1 */
};

/* Queue up; false if the deadline (ksync_spin_now() ns) passed first. */
bool ksync_osq_lock(struct optimistic_spin_queue *lock, uint64_t deadline);
void ksync_osq_unlock(struct optimistic_spin_queue *lock);

static inline bool osq_is_locked(struct optimistic_spin_queue *lock)
{
	return atomic_read(&lock->tail) != OSQ_UNLOCKED_VAL;
}

#endif /* _KSYNC_SRC_OSQ_LOCK_H */
