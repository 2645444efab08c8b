// SPDX-License-Identifier: MIT
/* Model-checked: models/qspinlock.pml (docs/models.md); change both together. */
/*
 * The queued spinlock slow path (kernel/locking/qspinlock.c, in its
 * paravirt form).
 *
 * Why the paravirt form: the kernel's native slow path assumes the lock
 * holder and the queued waiters keep their CPUs.  In userspace any of them
 * can be preempted; a strict FIFO queue then hands the lock to a thread
 * that is not running, and throughput collapses once threads outnumber
 * cores.  The kernel meets the same problem in virtual machines, where a
 * vCPU can be descheduled, with the paravirt qspinlock, whose ideas are
 * kept here:
 *
 *  - hybrid fairness: a newcomer may steal the lock (set the locked byte)
 *    while the queue head is not in its no-steal phase; the head announces
 *    that phase with the pending byte.  Pending is used for nothing else,
 *    so the native pending-bit fast lane is skipped, as it is under PV;
 *  - queued waiters spin a bounded time, then sleep; a waiter whose
 *    predecessor sleeps goes to sleep early;
 *  - the new lock owner does not wake its sleeping successor at once; it
 *    registers it so that the owner's own unlock wakes it (pv_kick_node).
 *
 * One change for this machine: a handover between CPUs costs more than a
 * whole uncontended critical section, so the head first spins for a while
 * taking the lock the moment it is free, in competition with newcomers,
 * and only then sets pending.  A burst of acquisitions by one running
 * thread (which finds the lock line in its own cache) is then allowed, the
 * way a test-and-set lock allows it, but the head's wait is bounded.
 *
 * Orders: every wait that ends in ownership is an acquire (a CAS, or a
 * load-acquire of node->locked); every handover is a release store.  The
 * tail is exchanged acq_rel so that a node's initialisation is visible to
 * the thread that links behind it.
 */
#define _GNU_SOURCE
#include <sched.h>

#include <ksync/barrier.h>
#include <ksync/qspinlock.h>
#include "arch_cpu.h"
#include "futex.h"
#include "qspinlock_pv.h"
#include "spin_clock.h"

#define _Q_TAIL_OFFSET		16

/*
 * Spin budgets, in nanoseconds (docs/design-spinning.md): the same time on
 * every CPU, where a count of cpu_relax() rounds is four times longer on
 * Intel Skylake+ (PAUSE ~40 ns) than on AMD Zen (~10 ns).  The values are
 * the round counts this was tuned with on an AMD EPYC VM (25 ns a round
 * there) turned into time.  Newcomers and the head in its stealing phase
 * poll with exponential backoff up to BACKOFF_MAX_NS between reads, so a
 * waiter does not pull the lock's cache line away from a running owner on
 * every iteration: that is what lets one running thread take the lock
 * many times in a row instead of paying a cross-CPU handover each time
 * (2-thread throughput doubled with it here).
 */
#define PV_STEAL_NS		6400u		/* newcomer, before queueing */
#define PV_HEAD_STEAL_NS	25600u		/* head, stealers still allowed */
#define PV_SPIN_THRESHOLD_NS	25600u		/* head, pending set */
#define PV_NODE_SPIN_NS		25600u		/* queued, not head */
#define BACKOFF_MAX_NS		800u
/*
 * Bounded unfairness: a queue head that has been head this long keeps
 * pending set while it sleeps, so newcomers queue behind it instead of
 * stealing, and the next unlock's wake-up gives the lock to it.  As the
 * kernel's paravirt lock lets newcomers steal only while the head is not
 * spinning, this lets them steal only while the head has not waited long.
 */
#define PV_HEAD_STARVE_NS	1000000ull

struct backoff {
	unsigned int step, max;
	uint64_t deadline;
};

static inline void backoff_start(struct backoff *b, unsigned int budget_ns)
{
	b->step = 1;
	b->max = ksync_relax_rounds(BACKOFF_MAX_NS);
	b->deadline = ksync_spin_deadline(budget_ns);
}

/* Exponential backoff between polls; false once the budget is spent. */
static inline bool backoff(struct backoff *b)
{
	for (unsigned int i = 0; i < b->step; i++)
		cpu_relax();
	if (b->step < b->max)
		b->step <<= 1;
	return !ksync_spin_expired(b->deadline);
}

#define PV_PREV_CHECK_MASK	0xff
#define NO_NODE_YIELD_MASK	0x3ff

static inline uint32_t encode_tail(int cpu, int idx)
{
	return (uint32_t)(cpu + 1) << _Q_TAIL_CPU_OFFSET |
	       (uint32_t)idx << _Q_TAIL_IDX_OFFSET;
}

static inline struct ksync_qnode *decode_tail(uint32_t tail)
{
	int cpu = (int)(tail >> _Q_TAIL_CPU_OFFSET) - 1;
	int idx = (int)((tail & _Q_TAIL_IDX_MASK) >> _Q_TAIL_IDX_OFFSET);

	return &arch_cpu(ksync_cpu_of(cpu))->qnodes[idx];
}

/*
 * acq_rel: release publishes our node's initialisation to the next waiter,
 * which reads our tail here; acquire makes the previous tail's node
 * initialised for us before we link into it.
 */
static inline uint32_t xchg_tail(arch_spinlock_t *lock, uint32_t tail)
{
	uint16_t old = __atomic_exchange_n(&lock->tail,
					   (uint16_t)(tail >> _Q_TAIL_OFFSET),
					   __ATOMIC_ACQ_REL);

	return (uint32_t)old << _Q_TAIL_OFFSET;
}

/* Take the locked byte if nobody holds it and the head is not pending. */
/* models/qspinlock.pml: the steal rule is its inline steal_lock(). */
static inline bool steal_lock(arch_spinlock_t *lock, uint32_t val)
{
	uint8_t unlocked = 0;

	if (val & _Q_LOCKED_PENDING_MASK)
		return false;
	/* Acquire: pairs with the release store of the last unlock. */
	return __atomic_compare_exchange_n(&lock->locked, &unlocked,
					   (uint8_t)_Q_LOCKED_VAL, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Hybrid PV queued/unfair lock: a newcomer polls (with backoff) and steals
 * the lock when it sees it free, until the queue head sets pending or the
 * budget runs out; then it queues.  The kernel's PV version queues at once
 * when there is no queue; polling first lets a short-lived contention end
 * without anyone touching the queue.
 */
static bool pv_hybrid_trylock(arch_spinlock_t *lock, unsigned int budget_ns)
{
	struct backoff b;

	backoff_start(&b, budget_ns);
	do {
		uint32_t val = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);

		if (steal_lock(lock, val)) {
			lockevent_inc(pv_lock_stealing);
			return true;
		}
		if (val & _Q_PENDING_MASK)
			break;
	} while (backoff(&b));
	return false;
}

static inline void set_pending(arch_spinlock_t *lock)
{
	__atomic_store_n(&lock->pending, 1, __ATOMIC_RELAXED);
}

static inline void clear_pending(arch_spinlock_t *lock)
{
	__atomic_store_n(&lock->pending, 0, __ATOMIC_RELAXED);
}

/* 0,1,0 -> 0,0,1: the pending head takes the lock once it is free. */
static inline bool trylock_clear_pending(arch_spinlock_t *lock)
{
	uint16_t pending = _Q_PENDING_VAL;

	if (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
		return false;
	/* Acquire: pairs with the release store of the last unlock. */
	return __atomic_compare_exchange_n(&lock->locked_pending, &pending,
					   (uint16_t)_Q_LOCKED_VAL, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Wait to become the queue head: spin on our node, sleep after a while or
 * as soon as the node ahead of us is asleep.  Returns when our
 * predecessor has set node->locked (read with acquire by the caller).
 */
static void pv_wait_node(struct ksync_qnode *node, struct ksync_qnode *prev,
			 unsigned int budget_ns, struct ksync_lockup *lk)
{
	for (;;) {
		uint64_t deadline = ksync_spin_deadline(budget_ns);

		for (unsigned int loop = 1;; loop++) {
			if (__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
				return;
			if (!(loop & PV_PREV_CHECK_MASK) &&
			    __atomic_load_n(&prev->state, __ATOMIC_RELAXED) != VCPU_RUNNING)
				break;
			if (!(loop % KSYNC_SPIN_CLOCK_EVERY) && ksync_spin_expired(deadline))
				break;
			cpu_relax();
		}
		/*
		 * [S] state = HALTED; [L] node->locked, both seq_cst, pairs
		 * with the kicker's seq_cst [S] node->locked = 1; [RmW] state
		 * in pv_kick_node(): in the single order of seq_cst
		 * operations one of us comes first, so either we see locked
		 * or the kicker sees HALTED.  (The kernel writes smp_mb()
		 * between the two; a seq_cst pair is the same on x86 and is
		 * something ThreadSanitizer understands.)
		 */
		__atomic_store_n(&node->state, VCPU_HALTED, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&node->locked, __ATOMIC_SEQ_CST)) {
			lockevent_inc(pv_wait_node);
			ksync_pv_wait(&node->state, VCPU_HALTED, false, lk);
		}
		/* Keep HASHED if the kicker set it: we are in the table then. */
		uint32_t halted = VCPU_HALTED;
		__atomic_compare_exchange_n(&node->state, &halted, VCPU_RUNNING, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		if (__atomic_load_n(&node->locked, __ATOMIC_ACQUIRE))
			return;
		lockevent_inc(pv_spurious_wakeup);
	}
}

/*
 * The new lock owner hands the MCS queue to next.  If next is asleep, do
 * not wake it now only to have it spin against us: register it, and our
 * own unlock will wake it.
 */
static void pv_kick_node(arch_spinlock_t *lock, struct ksync_qnode *next)
{
	uint32_t halted = VCPU_HALTED;

	/* seq_cst, after the seq_cst handover: see pv_wait_node(). */
	if (!__atomic_compare_exchange_n(&next->state, &halted, VCPU_HASHED, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	if (!ksync_pv_hash(lock, next))
		ksync_pv_wake_node(next);	/* no room: wake it now */
}

/* Sleep as the queue head until an unlock wakes us (or a poll expires). */
static bool pv_head_sleep(arch_spinlock_t *lock, struct ksync_qnode *node,
			  bool hashed, struct ksync_lockup *lk)
{
	bool timed = !ksync_pv_untimed_ok();

	if (!hashed) {
		/* HASHED before the entry is visible: see qspinlock_pv.c. */
		__atomic_store_n(&node->state, VCPU_HASHED, __ATOMIC_RELAXED);
		if (!ksync_pv_hash(lock, node)) {
			__atomic_store_n(&node->state, VCPU_RUNNING, __ATOMIC_RELAXED);
			ksync_pv_wait(&node->state, VCPU_RUNNING, true, lk);
			return false;
		}
		ksync_pv_membarrier();
	}
	if (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED)) {
		lockevent_inc(pv_wait_head);
		ksync_pv_wait(&node->state, VCPU_HASHED, timed, lk);
	}
	/* Acquire: pairs with the waker's release of RUNNING. */
	return __atomic_load_n(&node->state, __ATOMIC_ACQUIRE) == VCPU_HASHED;
}

/* Having taken the lock, leave the table and make the node quiet. */
static void pv_head_unhash(arch_spinlock_t *lock, struct ksync_qnode *node)
{
	if (!ksync_pv_unhash(lock, node)) {
		/* An unlocker took our entry and is about to set RUNNING. */
		while (__atomic_load_n(&node->state, __ATOMIC_ACQUIRE) == VCPU_HASHED)
			ksync_futex_wait(&node->state, VCPU_HASHED, NULL);
	}
	__atomic_store_n(&node->state, VCPU_RUNNING, __ATOMIC_RELAXED);
}

/*
 * The queue head waits for the lock: first spinning while newcomers may
 * still steal it, then spinning with pending set (no stealing), then
 * asleep until an unlock wakes it.  Once it has been head for
 * PV_HEAD_STARVE_NS it sleeps with pending still set: newcomers can no
 * longer take the lock past it, and the unlock that wakes it leaves the
 * lock to it (bounded unfairness).  Returns with the lock held and the
 * current lock value.
 */
static uint32_t pv_wait_head_or_lock(arch_spinlock_t *lock,
				     struct ksync_qnode *node, bool spin,
				     struct ksync_lockup *lk)
{
	bool hashed = __atomic_load_n(&node->state, __ATOMIC_ACQUIRE) == VCPU_HASHED;
	uint64_t head_since = ksync_spin_now();
	bool starving = false;

	for (;;) {
		struct backoff b;
		uint64_t deadline;

		if (!starving) {
			backoff_start(&b, spin ? PV_HEAD_STEAL_NS : 0);
			do {
				if (steal_lock(lock, __atomic_load_n(&lock->val,
								     __ATOMIC_RELAXED))) {
					lockevent_inc(pv_head_steal);
					goto gotlock;
				}
			} while (backoff(&b));
			set_pending(lock);
		}
		deadline = ksync_spin_deadline(spin ? PV_SPIN_THRESHOLD_NS : 0);
		for (unsigned int loop = 1;; loop++) {
			if (trylock_clear_pending(lock)) {
				lockevent_inc(lock_pending);
				goto gotlock;
			}
			if (!(loop % KSYNC_SPIN_CLOCK_EVERY) && ksync_spin_expired(deadline))
				break;
			cpu_relax();
		}
		/* models/qspinlock.pml: starve[L], where the steal bound is asserted. */
		if (!starving && ksync_spin_now() - head_since >= PV_HEAD_STARVE_NS) {
			starving = true;
			lockevent_inc(pv_head_no_steal);
		}
		if (!starving)
			clear_pending(lock);
		hashed = pv_head_sleep(lock, node, hashed, lk);
	}
gotlock:
	if (hashed)
		pv_head_unhash(lock, node);
	return __atomic_load_n(&lock->val, __ATOMIC_RELAXED) | _Q_LOCKED_VAL;
}

/* Out of queue nodes (nesting deeper than task/softirq/hardirq/NMI). */
static void spin_without_node(arch_spinlock_t *lock, struct ksync_lockup *lk)
{
	for (unsigned int i = 1;; i++) {
		if (steal_lock(lock, __atomic_load_n(&lock->val, __ATOMIC_RELAXED)))
			return;
		cpu_relax();
		if (!(i & NO_NODE_YIELD_MASK)) {
			sched_yield();
			ksync_pv_check_lockup(lk);
		}
	}
}

KSYNC_API void ksync_queued_spin_lock_slowpath(arch_spinlock_t *lock,
					       struct ksync_lockup *lk)
{
	struct ksync_qnode *node, *prev, *next;
	struct ksync_cpu *cpu;
	struct ksync_qnode *qnodes;
	uint32_t old, tail, val;
	bool spin;
	int idx;

	/*
	 * On one CPU (taskset -c 0) the holder is off the CPU while we spin:
	 * every budget is then 0, one look and we queue or sleep.
	 */
	cpu = ksync_this_cpu();
	spin = ksync_spin_pays(cpu);
	if (pv_hybrid_trylock(lock, spin ? PV_STEAL_NS : 0))
		return;

	qnodes = arch_cpu(cpu)->qnodes;
	lockevent_inc_cpu(cpu, LOCKEVENT_lock_slowpath);
	node = &qnodes[0];
	idx = node->count++;
	tail = encode_tail(cpu->cpu, idx);

	if (__builtin_expect(idx >= MCS_MAX_NODES, 0)) {
		lockevent_inc_cpu(cpu, LOCKEVENT_lock_no_node);
		spin_without_node(lock, lk);
		goto release;
	}
	if (idx)
		lockevent_inc_cpu(cpu, LOCKEVENT_lock_use_node2 + idx - 1);
	node = &qnodes[idx];
	/*
	 * The count must be visible to a signal handler that interrupts us
	 * before we initialise the node, or it would use the same node.
	 */
	barrier();
	__atomic_store_n(&node->locked, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&node->next, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&node->state, VCPU_RUNNING, __ATOMIC_RELAXED);

	/* We touched a cold line; the lock may have been released meanwhile. */
	if (queued_spin_trylock(lock))
		goto release;

	old = xchg_tail(lock, tail);
	next = NULL;
	if (old & _Q_TAIL_MASK) {
		prev = decode_tail(old);
		/* Release: our node's initialisation before prev sees it. */
		__atomic_store_n(&prev->next, node, __ATOMIC_RELEASE);
		pv_wait_node(node, prev, spin ? PV_NODE_SPIN_NS : 0, lk);
		/* Acquire: the next pointer may already be set behind us. */
		next = __atomic_load_n(&node->next, __ATOMIC_ACQUIRE);
	}

	val = pv_wait_head_or_lock(lock, node, spin, lk);

	/*
	 * We hold the lock.  If we are also the last in the queue, clear the
	 * tail (n,0,1 -> 0,0,1); a failed CAS means someone queued behind us.
	 */
	if ((val & _Q_TAIL_MASK) == tail &&
	    __atomic_compare_exchange_n(&lock->val, &val, _Q_LOCKED_VAL, 0,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		goto release;

	if (!next)
		next = smp_cond_load_acquire(&node->next, VAL != NULL);
	/*
	 * Hand the queue head to next: release for its acquire, and seq_cst
	 * for the Dekker pairing with its sleep in pv_wait_node().
	 */
	__atomic_store_n(&next->locked, 1, __ATOMIC_SEQ_CST);
	pv_kick_node(lock, next);
release:
	qnodes[0].count--;
}
