// SPDX-License-Identifier: MIT
/*
 * The optimistic spinners' queue (kernel/locking/osq_lock.c).
 *
 * An MCS lock whose waiters can give up.  The mutex puts its spinners in
 * it so that only the queue head spins on the owner field; the others spin
 * on a node of their own.  One node per CPU is enough, because a sleeping
 * lock is never taken from an interrupt handler (might_sleep() says so).
 *
 * The kernel unqueues when the spinner must reschedule or the vCPU ahead
 * is preempted; userspace knows neither, so a spinner unqueues when its
 * spin deadline (ksync_spin_now() time, see spin_clock.h) passes.  Unqueueing is the kernel's three steps: A, stop
 * prev from handing us the lock by taking back prev->next; B, find a
 * stable next, or move the tail back to prev if we are last; C, link prev
 * and next.
 *
 * Nodes live in CPU blocks that are never freed, so a racing neighbour's
 * node can always be touched.  The queue orders no data of its own (the
 * mutex's owner word does that), so most accesses are relaxed; they are
 * atomic so that racing neighbours never tear them.
 */
#define _GNU_SOURCE
#include <ksync/barrier.h>
#include "arch_cpu.h"
#include "osq_lock.h"
#include "spin_clock.h"

static inline struct ksync_osq_node *decode_cpu(int encoded)
{
	return &arch_cpu(ksync_cpu_of(encoded - 1))->osq_node;
}

static inline struct ksync_osq_node *node_next(struct ksync_osq_node *n)
{
	return __atomic_load_n(&n->next, __ATOMIC_ACQUIRE);
}

/*
 * A stable next for unlock or unqueue; NULL if we were last and moved the
 * tail back to prev (or emptied the queue).
 */
static struct ksync_osq_node *osq_wait_next(struct optimistic_spin_queue *lock,
					    struct ksync_osq_node *node,
					    struct ksync_osq_node *prev)
{
	int curr = __atomic_load_n(&node->cpu, __ATOMIC_RELAXED);
	int old = prev ? __atomic_load_n(&prev->cpu, __ATOMIC_RELAXED) : OSQ_UNLOCKED_VAL;
	struct ksync_osq_node *next;

	for (;;) {
		int tail = curr;

		/* Acquire: pairs with a newcomer's tail exchange. */
		if (atomic_read(&lock->tail) == curr &&
		    atomic_try_cmpxchg_acquire(&lock->tail, &tail, old))
			return NULL;
		/*
		 * Take next with an exchange: leaving it would let next's
		 * concurrent unqueue think its prev is still valid.
		 */
		if (node_next(node)) {
			next = __atomic_exchange_n(&node->next, NULL, __ATOMIC_ACQ_REL);
			if (next)
				return next;
		}
		cpu_relax();
	}
}

bool ksync_osq_lock(struct optimistic_spin_queue *lock, uint64_t deadline)
{
	struct ksync_cpu *c = ksync_this_cpu();
	struct ksync_osq_node *node = &arch_cpu(c)->osq_node, *prev, *next;
	int curr = c->cpu + 1, old;

	__atomic_store_n(&node->locked, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&node->next, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&node->cpu, curr, __ATOMIC_RELAXED);

	/*
	 * acq_rel: acquire pairs with the release of the previous owner's
	 * unlock; release publishes our node's fields to whoever links in.
	 */
	old = __atomic_exchange_n(&lock->tail.counter, curr, __ATOMIC_ACQ_REL);
	if (old == OSQ_UNLOCKED_VAL)
		return true;

	prev = decode_cpu(old);
	__atomic_store_n(&node->prev, prev, __ATOMIC_RELAXED);
	/* Release: node->prev is set before prev can see us (unqueue step C). */
	__atomic_store_n(&prev->next, node, __ATOMIC_RELEASE);

	/* Spin on our own node until handed the lock or out of time. */
	for (unsigned int loop = 1;; loop++) {
		if (__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
			return true;
		if (!(loop % KSYNC_SPIN_CLOCK_EVERY) && ksync_spin_expired(deadline))
			break;
		cpu_relax();
	}

	/* Step A: undo prev->next = node, unless prev is handing over now. */
	for (;;) {
		struct ksync_osq_node *expect = node;

		if (__atomic_load_n(&prev->next, __ATOMIC_RELAXED) == node &&
		    __atomic_compare_exchange_n(&prev->next, &expect, NULL, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
		/* We can only fail racing an unlock, which hands it to us. */
		if (__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
			return true;
		cpu_relax();
		/* Or a concurrent unqueue of prev gave us a new prev (its C). */
		prev = __atomic_load_n(&node->prev, __ATOMIC_ACQUIRE);
	}

	/* Step B: a stable next, or the tail moved back to prev. */
	next = osq_wait_next(lock, node, prev);
	if (!next)
		return false;

	/* Step C: prev waits for a new next, next waits in its step A. */
	__atomic_store_n(&next->prev, prev, __ATOMIC_RELEASE);
	__atomic_store_n(&prev->next, next, __ATOMIC_RELEASE);
	return false;
}

void ksync_osq_unlock(struct optimistic_spin_queue *lock)
{
	struct ksync_osq_node *node = &arch_cpu(ksync_this_cpu())->osq_node, *next;
	int curr = __atomic_load_n(&node->cpu, __ATOMIC_RELAXED);

	/* The common case: nobody behind us.  Release: ends our section. */
	if (__ksync_likely(atomic_try_cmpxchg_release(&lock->tail, &curr,
						      OSQ_UNLOCKED_VAL)))
		return;

	next = __atomic_exchange_n(&node->next, NULL, __ATOMIC_ACQ_REL);
	if (!next)
		next = osq_wait_next(lock, node, NULL);
	/* Release: pairs with the acquire load of locked in ksync_osq_lock(). */
	if (next)
		__atomic_store_n(&next->locked, 1, __ATOMIC_RELEASE);
}
