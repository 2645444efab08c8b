// SPDX-License-Identifier: MIT
/*
 * Lockdep's per-thread side: its part of each CPU block (the kernel's
 * task fields: held locks, irq trace, recursion), what happens to it when
 * a thread exits or forks, the graph lock, and the start and end of a
 * report (debug_locks_off(), and lockdep stopping for good).
 */
#define _GNU_SOURCE
#include <string.h>

#include <ksync/irqflags.h>
#include <ksync/lockdep.h>
#include <ksync/preempt.h>
#include <ksync/qspinlock.h>
#include "cpu.h"
#include "layer_hooks.h"
#include "lockdep_internal.h"
#include "report.h"

KSYNC_DEFINE_CPU_PART(struct ksync_lockdep_cpu, ksync_lockdep_cpu_part);

static arch_spinlock_t lockdep_graph_lock = __ARCH_SPIN_LOCK_UNLOCKED;
unsigned long max_lockdep_depth;

void graph_lock(void)
{
	queued_spin_lock(&lockdep_graph_lock);
}

void graph_unlock(void)
{
	queued_spin_unlock(&lockdep_graph_lock);
}

/*
 * fork(): the child must not inherit a graph lock held by another thread.
 * Between this prepare handler and ours for the parent or child, the
 * forking thread holds the graph lock and still runs the fork handlers of
 * libraries that registered theirs before libksync did - jemalloc's locks
 * every arena mutex - and unlocks them in their parent and child handlers,
 * which run before ours.  Lockdep must not take the graph lock again for
 * those: it does not watch this thread meanwhile, at either end, as
 * lockdep_off() would.
 */
static void lockdep_fork_prepare(void)
{
	graph_lock();
	lockdep_cpu(ksync_this_cpu())->recursion++;
}

static void fork_done(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && lockdep_cpu(c)->recursion)
		lockdep_cpu(c)->recursion--;
}

static void lockdep_fork_parent(void)
{
	fork_done();
	graph_unlock();
}

int took_a_lock;		/* this process: since it started, or forked */

static void lockdep_fork_child(void)
{
	fork_done();
	__atomic_store_n(&lockdep_graph_lock.val, 0, __ATOMIC_RELAXED);
	/* The child's lock_stat counts its own locking, from here. */
	__atomic_store_n(&took_a_lock, 0, __ATOMIC_RELAXED);
	ksync_lock_stat_clear();
}

bool lockdep_report_begin(void)
{
	if (!ksync_debug_locks_off())
		return false;
	ksync_report_lock();
	return true;
}

int lockdep_stopped;

/*
 * The kernel's debug_locks_off() is for good.  KSYNC_KEEP_GOING keeps
 * reporting problems in the program, which leave lockdep's books
 * straight; but once lockdep itself has lost track (a lock it could not
 * push, a dependency it could not record), whatever it said next about
 * those locks would be false ("bad unlock balance" for a lock it never
 * saw taken), and the limit would be hit again at every new lock.
 */
bool lockdep_stop_report_begin(void)
{
	if (__atomic_exchange_n(&lockdep_stopped, 1, __ATOMIC_RELAXED))
		return false;
	return lockdep_report_begin();
}

void lockdep_report_end(void)
{
	ksync_report_unlock();
}

KSYNC_API int ksync_lockdep_tracking(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	return lockdep_tracking() && (!c || !lockdep_cpu(c)->recursion);
}

int lockdep_hardirqs_enabled(const struct ksync_cpu *c)
{
	return c && lockdep_cpu(c)->recursion ? !lockdep_cpu(c)->irqs_off : !irqs_disabled();
}

KSYNC_API void ksync_lockdep_off(void)
{
	lockdep_cpu(ksync_this_cpu())->recursion++;
}

KSYNC_API void ksync_lockdep_on(void)
{
	lockdep_cpu(ksync_this_cpu())->recursion--;
}


/* A new thread on block c holds nothing and has no irq history. */
static void lockdep_cpu_reset(struct ksync_cpu *c)
{
	struct ksync_lockdep_cpu *l = lockdep_cpu(c);

	__atomic_store_n(&l->held.depth, 0, __ATOMIC_RELAXED);
	l->held.chain_key = 0;
	memset(&l->irqtrace, 0, sizeof(l->irqtrace));
	l->recursion = 0;
	l->irqs_off = 0;
	l->hardirq_threaded = 0;
}

KSYNC_HOOKS(lockdep_hooks) = {
	.layer = KSYNC_LAYER_LOCKDEP,
	.init = lockdep_hung_task_init,
	.cpu_reset = lockdep_cpu_reset,
	.thread_exit = lockdep_thread_exit,
	.fork_prepare = lockdep_fork_prepare,
	.fork_parent = lockdep_fork_parent,
	.fork_child = lockdep_fork_child,
};
