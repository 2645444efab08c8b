// SPDX-License-Identifier: MIT
/* Model-checked: models/qspinlock.pml (docs/models.md); change both together. */
/*
 * Sleeping and waking for the queued spinlock (the userspace counterpart
 * of kernel/locking/qspinlock_paravirt.h).
 *
 * A waiter that has spun long enough sleeps on the futex word in its own
 * queue node.  Who wakes it?  The kernel marks the lock word (_Q_SLOW_VAL)
 * and makes the unlock a compare-and-swap that notices the mark.  Here the
 * unlock is a plain store, so that an uncontended unlock costs no atomic
 * instruction; and the unlocker must not look at the lock after its store,
 * because the lock's memory may be freed by then.  So:
 *
 *  - a sleeper registers (lock -> node) in a hash table that lives outside
 *    every lock, and counts itself in ksync_qspinlock_sleepers;
 *  - an unlock stores 0 into the locked byte, then reads the counter; if it
 *    is non-zero it looks up the table by the lock's address (never
 *    dereferencing it) and wakes every node registered for that lock.
 *
 * The unlocker's store-then-load and the sleeper's
 * register-then-check-the-lock form Dekker's pattern, which needs a full
 * fence on both sides.  The sleeper pays for both with membarrier(2)
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED): it runs a full barrier on every CPU
 * currently running a thread of this process, and a thread that is not
 * running passes one when it is scheduled.  After it, either the
 * unlocker's store is visible to the sleeper's check (it does not sleep),
 * or the sleeper's registration is visible to the unlocker's load (it
 * wakes the sleeper).  This is the asymmetric fence of liburcu's "memb"
 * flavour; the unlock needs only a compiler barrier.
 *
 * Where membarrier(2) is missing (old kernels, seccomp), sleeps are timed
 * polls instead, so a missed wakeup costs a short delay, never a hang.
 *
 * Table entries are one 64-bit word, (lock address << 16) | tail code of
 * the node, so inserting and removing is a single compare-and-swap and
 * entries cannot be confused (no ABA).  An entry lives in a 16-slot window
 * that starts at the lock's hash; if the window is full, the sleeper polls.
 * Whoever removes an entry - the unlocker, or the node itself once it has
 * the lock - owns the wakeup; the node's state goes to RUNNING before the
 * FUTEX_WAKE, and a node never sleeps unless its state still says it is in
 * the table, so no wakeup is lost and a stale one is merely spurious.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include <ksync/barrier.h>
#include "arch_cpu.h"
#include "futex.h"
#include "env.h"
#include "layer_hooks.h"
#include "qspinlock_pv.h"

#define PV_HASH_BITS	12
#define PV_HASH_SIZE	(1u << PV_HASH_BITS)
#define PV_WINDOW	16			/* two cache lines */
#define PV_POLL_NS	200000ull		/* timed sleep when untimed is unsafe */

KSYNC_API unsigned int ksync_qspinlock_sleepers;

static uint64_t pv_table[PV_HASH_SIZE] __attribute__((aligned(64)));
static bool pv_membarrier_ok;

static unsigned int pv_home(uintptr_t lock)
{
	uint64_t h = (uint64_t)(lock >> 2) * 0x9e3779b97f4a7c15ull;

	return (unsigned int)(h >> (64 - PV_HASH_BITS)) & ~7u;
}

static uint16_t node_code(const struct ksync_qnode *node)
{
	const struct ksync_arch_cpu *a = arch_cpu(ksync_cpu_of(node->cpu));
	unsigned int idx = (unsigned int)(node - a->qnodes);

	return (uint16_t)((unsigned)(node->cpu + 1) << 2 | idx);
}

static struct ksync_qnode *code_node(uint16_t code)
{
	return &arch_cpu(ksync_cpu_of((code >> 2) - 1))->qnodes[code & 3];
}

static uint64_t pv_entry(arch_spinlock_t *lock, struct ksync_qnode *node)
{
	return (uint64_t)(uintptr_t)lock << 16 | node_code(node);
}

bool ksync_pv_hash(arch_spinlock_t *lock, struct ksync_qnode *node)
{
	uintptr_t addr = (uintptr_t)lock;
	unsigned int home = pv_home(addr);
	uint64_t e;

	if (addr >> 48)		/* does not fit an entry: poll instead */
		return false;
	e = pv_entry(lock, node);
	/* Counted before the entry can be seen, so a scan never misses it. */
	__atomic_fetch_add(&ksync_qspinlock_sleepers, 1, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < PV_WINDOW; i++) {
		uint64_t *slot = &pv_table[(home + i) & (PV_HASH_SIZE - 1)];
		uint64_t empty = 0;

		/* Release: whoever removes the entry sees the node HASHED. */
		if (!__atomic_load_n(slot, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(slot, &empty, e, 0,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return true;
	}
	__atomic_fetch_sub(&ksync_qspinlock_sleepers, 1, __ATOMIC_RELAXED);
	return false;
}

bool ksync_pv_unhash(arch_spinlock_t *lock, struct ksync_qnode *node)
{
	unsigned int home = pv_home((uintptr_t)lock);
	uint64_t e = pv_entry(lock, node);

	for (unsigned int i = 0; i < PV_WINDOW; i++) {
		uint64_t *slot = &pv_table[(home + i) & (PV_HASH_SIZE - 1)];
		uint64_t expect = e;

		if (__atomic_load_n(slot, __ATOMIC_RELAXED) == e &&
		    __atomic_compare_exchange_n(slot, &expect, 0, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			__atomic_fetch_sub(&ksync_qspinlock_sleepers, 1,
					   __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

void ksync_pv_wake_node(struct ksync_qnode *node)
{
	/* Release: pairs with the sleeper's acquire read of its state. */
	__atomic_store_n(&node->state, VCPU_RUNNING, __ATOMIC_RELEASE);
	ksync_futex_wake(&node->state, 1);
}

/*
 * The unlock slow path: wake everything registered for this lock.  The
 * lock itself is not touched; it may be gone already.
 */
KSYNC_API void ksync_queued_spin_unlock_wake(arch_spinlock_t *lock)
{
	uintptr_t addr = (uintptr_t)lock;
	unsigned int home = pv_home(addr);

	for (unsigned int i = 0; i < PV_WINDOW; i++) {
		uint64_t *slot = &pv_table[(home + i) & (PV_HASH_SIZE - 1)];
		uint64_t v = __atomic_load_n(slot, __ATOMIC_RELAXED);

		if (!v || (v >> 16) != addr)
			continue;
		/* Acquire: the sleeper's HASHED state is visible to us. */
		if (__atomic_compare_exchange_n(slot, &v, 0, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_sub(&ksync_qspinlock_sleepers, 1,
					   __ATOMIC_RELAXED);
			lockevent_inc(pv_kick_unlock);
			ksync_pv_wake_node(code_node((uint16_t)v));
		}
	}
}

void ksync_pv_membarrier(void)
{
	if (pv_membarrier_ok)
		syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

bool ksync_pv_untimed_ok(void)
{
	return pv_membarrier_ok;
}

/* When the lockup watch looks next: KSYNC_LOCKUP_MS in, then every 1/8. */
static uint64_t lockup_due(const struct ksync_lockup *lk)
{
	return lk->next_ns ? lk->next_ns
			   : lk->start_ns + (uint64_t)ksync_settings.lockup_ms * 1000000ull;
}

void ksync_pv_check_lockup(struct ksync_lockup *lk)
{
	uint64_t now, every;

	if (!lk || lk->reported)
		return;
	now = ksync_now_ns();
	if (now < lockup_due(lk))
		return;
	every = (uint64_t)ksync_settings.lockup_ms * 1000000ull / 8;
	lk->next_ns = now + (every > 1000000ull ? every : 1000000ull);
	lk->reported = lk->watch(lk);
}

void ksync_pv_wait(uint32_t *word, uint32_t val, bool timed,
		   struct ksync_lockup *lk)
{
	uint64_t limit = UINT64_MAX;
	struct timespec ts;

	if (timed)
		limit = PV_POLL_NS;
	if (lk && !lk->reported) {
		uint64_t due = lockup_due(lk);
		uint64_t now = ksync_now_ns();
		uint64_t left = due > now ? due - now : 1;

		if (left < limit)
			limit = left;
	}
	if (limit == UINT64_MAX) {
		ksync_futex_wait(word, val, NULL);
	} else {
		ts = ksync_ns_to_timespec(limit);
		ksync_futex_wait(word, val, &ts);
	}
	ksync_pv_check_lockup(lk);
}

static void pv_init(void)
{
	if (ksync_settings.no_membarrier)
		return;
	pv_membarrier_ok = syscall(SYS_membarrier,
				   MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
				   0, 0) == 0;
}

/* In a fork()ed child the other threads are gone, and so are their sleeps. */
static void pv_fork_child(void)
{
	memset(pv_table, 0, sizeof(pv_table));
	ksync_qspinlock_sleepers = 0;
	pv_init();
}

KSYNC_HOOKS(pv_hooks) = {
	.layer = KSYNC_LAYER_ARCH,
	.init = pv_init,
	.fork_child = pv_fork_child,
};
