// SPDX-License-Identifier: MIT
/*
 * debug_show_all_locks(): every thread's held locks, as the kernel's
 * (kernel/locking/lockdep.c), for the hung-task detector's report and on
 * demand.
 *
 * Reading another thread's held-lock stack while it runs is a race: the
 * kernel prints a running task's count only ("It's not reliable to print
 * a task's held locks if it's not sleeping and it's not the current
 * task"), and a sleeping task's whole stack.  Here a sleeping thread may
 * wake at any moment, so "sleeping" is made a promise: a thread asleep in
 * ksync is pinned (base/blocked.h) while its locks are printed, and it
 * cannot leave its sleep, nor run an interrupt handler, until it is
 * unpinned; everything it wrote to its stack before it slept is ordered
 * before the pin.  A thread that is not asleep in ksync (running, or
 * waiting for a spinlock, or asleep in the C library) gets its count
 * line only, from the depth it stores atomically; the calling thread
 * prints its own stack with interrupts masked.
 */
#define _GNU_SOURCE
#include <ksync/debug_locks.h>
#include "blocked.h"
#include "lockdep_internal.h"
#include "report.h"

/* "N locks held by comm/pid:" and, if full, the locks (kernel layout). */
static void print_held_of(struct ksync_cpu *c, pid_t tid, bool full)
{
	struct ksync_held_locks *h = &lockdep_cpu(c)->held;
	int depth = __atomic_load_n(&h->depth, __ATOMIC_RELAXED);
	char comm[KSYNC_COMM_LEN];

	if (depth <= 0 || depth > MAX_LOCK_DEPTH)
		return;
	ksync_printk("%d lock%s held by %s/%d:\n", depth, depth > 1 ? "s" : "",
		     ksync_comm_of(tid, comm), (int)tid);
	if (!full)
		return;
	for (int i = 0; i < depth; i++) {
		ksync_printk(" #%d: ", i);
		lockdep_print_lock(&h->stack[i]);
	}
}

static void show_cpu(int cpu, struct ksync_cpu *self)
{
	struct ksync_cpu *c = ksync_cpu_peek(cpu);
	pid_t tid = ksync_cpu_tid(cpu);

	if (!c || !tid)
		return;
	if (c == self) {
		print_held_of(c, tid, true);
	} else if (ksync_blocked_pin(c)) {
		/* Asleep and pinned: this block's thread cannot exit now. */
		print_held_of(c, __atomic_load_n(&c->tid, __ATOMIC_RELAXED), true);
		ksync_blocked_unpin(c);
	} else {
		print_held_of(c, tid, false);
	}
}

KSYNC_API void ksync_debug_show_all_locks(void)
{
	struct ksync_cpu *self = ksync_this_cpu_or_null();
	unsigned long flags = 0;

	if (!lockdep_tracking()) {
		ksync_printk("INFO: lockdep is turned off.\n");
		return;
	}
	/* Our own stack does not change under us (no interrupt handler). */
	if (self)
		flags = lockdep_enter(self);
	ksync_report_lock();
	ksync_printk("\nShowing all locks held in the system:\n");
	for (int cpu = 0; cpu < KSYNC_NR_CPUS; cpu++)
		show_cpu(cpu, self);
	ksync_printk("\n=============================================\n\n");
	ksync_report_unlock();
	if (self)
		lockdep_exit(self, flags);
}
