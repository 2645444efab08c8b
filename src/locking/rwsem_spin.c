// SPDX-License-Identifier: MIT
/*
 * Optimistic spinning of rw_semaphore writers (the kernel's
 * CONFIG_RWSEM_SPIN_ON_OWNER part of kernel/locking/rwsem.c).
 *
 * A writer whose fast path failed may spin, before it queues, while the
 * lock looks about to be free: a writer owner that is running, or readers
 * for a short while.  Sleeping and being woken costs two futex calls and
 * two context switches; a short critical section is over sooner.
 *
 * The kernel spins while the owner is on a CPU and nobody else needs this
 * one (need_resched()).  Userspace can see neither, so here:
 *
 *  - "the owner runs" means "the owner is not asleep in a ksync wait"
 *    (its task state is TASK_RUNNING); a preempted owner looks running;
 *  - so every spin is bounded by time: RWSEM_SPIN_MAX_NS (20 us) in all
 *    per slow-path entry, checked every 16 rounds (the first check starts
 *    the clock: a spin that wins sooner never reads it); on a reader phase also
 *    by the kernel's threshold (10 us + 0.5 us per reader, at most 25 us),
 *    after which RWSEM_NONSPINNABLE tells later writers not to try;
 *  - only one writer spins at a time (sem->spinner), where the kernel
 *    queues spinners on an MCS-style OSQ: the others queue and sleep at
 *    once instead of burning CPUs that, with more threads than cores, the
 *    owner may need.
 */
#define _GNU_SOURCE
#include <ksync/barrier.h>
#include <ksync/rwsem.h>
#include "cpu.h"
#include "futex.h"
#include "rwsem_internal.h"
#include "sched_internal.h"
#include "spin_clock.h"

/* Rounds of cpu_relax() between clock reads (spin_clock.h: a few ns). */
#define SPIN_CLOCK_EVERY	16u

/* Userspace cannot ask the scheduler: asleep in ksync is all we know. */
static inline bool owner_running(struct ksync_cpu *owner)
{
	return ksync_cpu_running(owner);
}

/* The budget is spent; its first check starts it (rwsem_internal.h). */
static bool budget_spent(unsigned int loop, struct rwsem_spin_budget *b)
{
	uint64_t now;

	if (loop % SPIN_CLOCK_EVERY)
		return false;
	now = ksync_spin_now();
	if (!b->deadline_ns) {
		b->deadline_ns = now + b->len_ns;
		return false;
	}
	return now > b->deadline_ns;
}

/*
 * Worth spinning at all?  Not if spinning on this reader phase was given
 * up, nor on a writer that sleeps.  (A reader owner may be stale: not
 * looked at.)  CPU blocks are never freed, so reading a former owner's
 * state is safe.
 */
bool rwsem_can_spin_on_owner(struct rw_semaphore *sem)
{
	unsigned long flags;
	struct ksync_cpu *owner = rwsem_owner_flags(sem, &flags);

	if (flags & RWSEM_NONSPINNABLE)
		return false;
	/* On one CPU the owner cannot run while we spin. */
	if (!ksync_spin_pays(ksync_this_cpu()))
		return false;
	return !owner || (flags & RWSEM_READER_OWNED) || owner_running(owner);
}

static enum rwsem_owner_state rwsem_owner_state(struct ksync_cpu *owner,
						unsigned long flags)
{
	if (flags & RWSEM_NONSPINNABLE)
		return OWNER_NONSPINNABLE;
	if (flags & RWSEM_READER_OWNED)
		return OWNER_READER;
	return owner ? OWNER_WRITER : OWNER_NULL;
}

/*
 * Spin while the same writer owns the lock and runs, until the budget is
 * spent.  Returns the owner state found at the end (OWNER_NONSPINNABLE:
 * give up).
 */
enum rwsem_owner_state rwsem_spin_on_owner(struct rw_semaphore *sem,
					   struct rwsem_spin_budget *budget)
{
	unsigned long flags, new_flags;
	struct ksync_cpu *owner = rwsem_owner_flags(sem, &flags), *new;
	enum rwsem_owner_state state = rwsem_owner_state(owner, flags);

	if (state != OWNER_WRITER)
		return state;
	for (unsigned int loop = 1;; loop++) {
		new = rwsem_owner_flags(sem, &new_flags);
		if (new != owner || new_flags != flags)
			return rwsem_owner_state(new, new_flags);
		if (!owner_running(owner) || budget_spent(loop, budget))
			return OWNER_NONSPINNABLE;
		cpu_relax();
	}
}

/*
 * Take the write lock before queueing: only if it is free and nobody
 * asked for a handoff (waiters may exist: a spinner may pass them, as in
 * the kernel, until one of them has waited too long).
 */
static bool rwsem_try_write_lock_unqueued(struct rw_semaphore *sem,
					  struct ksync_cpu *curr)
{
	long count = atomic_long_read(&sem->count);

	while (!(count & (RWSEM_LOCK_MASK | RWSEM_FLAG_HANDOFF))) {
		/* Acquire: pairs with the release of the last unlock. */
		if (atomic_long_try_cmpxchg_acquire(&sem->count, &count,
						    count | RWSEM_WRITER_LOCKED)) {
			rwsem_set_owner(sem, curr);
			return true;
		}
	}
	return false;
}

/*
 * How long to spin on readers: the more of them, the longer they take to
 * leave.  The kernel's (10 + readers / 2) us, at most 25 us.
 */
static struct rwsem_spin_budget rwsem_rspin_budget(struct rw_semaphore *sem)
{
	long readers = atomic_long_read(&sem->count) >> RWSEM_READER_SHIFT;

	if (readers > 30)
		readers = 30;
	if (readers < 0)
		readers = 0;
	return RWSEM_SPIN_BUDGET((uint64_t)(20 + readers) * 1000u / 2);
}

/* One spinner at a time.  Relaxed: it guards no data, only the CPUs. */
static inline bool spinner_trylock(struct rw_semaphore *sem)
{
	int idle = 0;

	return atomic_read(&sem->spinner) == 0 &&
	       atomic_try_cmpxchg_relaxed(&sem->spinner, &idle, 1);
}

static inline void spinner_unlock(struct rw_semaphore *sem)
{
	atomic_set(&sem->spinner, 0);
}

/*
 * Spin on a reader phase: false (and NONSPINNABLE set) once it has lasted
 * past the threshold.  rbudget->len_ns is 0 when the phase just began.
 */
static bool rwsem_spin_on_readers(struct rw_semaphore *sem,
				  struct rwsem_spin_budget *rbudget, unsigned int loop)
{
	if (!rbudget->len_ns) {
		if (rwsem_test_oflags(sem, RWSEM_NONSPINNABLE))
			return false;
		*rbudget = rwsem_rspin_budget(sem);
		return true;
	}
	if (budget_spent(loop, rbudget)) {
		rwsem_set_nonspinnable(sem);
		return false;
	}
	return true;
}

bool rwsem_optimistic_spin(struct rw_semaphore *sem, struct ksync_cpu *curr)
{
	struct rwsem_spin_budget budget = RWSEM_SPIN_BUDGET(RWSEM_SPIN_MAX_NS);
	struct rwsem_spin_budget rbudget = RWSEM_SPIN_BUDGET(0);
	bool taken = false;

	if (!spinner_trylock(sem))
		return false;
	for (unsigned int loop = 1;; loop++) {
		enum rwsem_owner_state state = rwsem_spin_on_owner(sem, &budget);

		if (!(state & OWNER_SPINNABLE))
			break;
		taken = rwsem_try_write_lock_unqueued(sem, curr);
		if (taken)
			break;
		if (state == OWNER_READER) {
			if (!rwsem_spin_on_readers(sem, &rbudget, loop))
				break;
		} else {
			/* A new reader phase gets a new threshold. */
			rbudget = RWSEM_SPIN_BUDGET(0);
		}
		if (budget_spent(loop, &budget)) {
			if (state == OWNER_READER)
				rwsem_set_nonspinnable(sem);
			break;
		}
		cpu_relax();
	}
	spinner_unlock(sem);
	return taken;
}
