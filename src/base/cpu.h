/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data: one block per registered thread, in a table indexed by
 * CPU number so that other threads can reach it (to hand over an MCS
 * queue, to wake a sleeper).  Blocks are never freed: a CPU number and its
 * block pass to the next thread that registers, so a stale reference can
 * at worst cause a spurious wakeup, never a use after free.
 */
#ifndef _KSYNC_SRC_CPU_H
#define _KSYNC_SRC_CPU_H

#include <sys/types.h>
#include <ksync/smp.h>
#include "mcs.h"
#include "held_lock.h"
#include <ksync/lock_events.h>

/* Lockdep's record of the last interrupt-state changes on a CPU. */
struct ksync_irqtrace {
	unsigned int irq_events;
	unsigned int hardirq_enable_event, hardirq_disable_event;
	unsigned int softirq_enable_event, softirq_disable_event;
	const struct ksync_site *hardirq_enable_site, *hardirq_disable_site;
	const struct ksync_site *softirq_enable_site, *softirq_disable_site;
};

struct tasklet_struct;

/* A CPU's node in an optimistic spinners' queue (osq_lock.c). */
struct ksync_osq_node {
	struct ksync_osq_node *next, *prev;
	int locked;		/* 1: the OSQ was handed to us */
	int cpu;		/* encoded: CPU number + 1 */
};

struct ksync_cpu {
	struct ksync_qnode qnodes[MCS_MAX_NODES];
	int cpu;
	pid_t tid;
	/*
	 * Which thread this is: a number no other registration in this
	 * process had (CPU numbers and blocks are reused; this is not).  The
	 * debug paths record it beside a lock's owner so that a thread that
	 * reuses an exited owner's CPU number is not taken for the owner.
	 */
	unsigned int incarnation;
	/*
	 * The debug lock this CPU waits for in the queued slow path (NULL:
	 * none), so that the lockup detector can follow a chain of waiters
	 * to the thread at its end.
	 */
	void *spin_waiting_on;
	/* Slow-path event counts; written only by this CPU. */
	unsigned long long lockevents[LOCKEVENT_NUM];
	/* Locks this thread holds, for the debug checks and lockdep. */
	struct ksync_held_locks held;
	struct ksync_irqtrace irqtrace;
	/* Tasklets scheduled on this CPU (tasklet_vec, tasklet_hi_vec). */
	struct tasklet_struct *tasklets[2];
	/* This CPU's optimistic spinning node: one, as in the kernel. */
	struct ksync_osq_node osq_node;
	/* Task state (TASK_*) while it sleeps: also its futex word. */
	uint32_t state;
	/* An interrupt arrived during an interruptible sleep. */
	uint32_t sigpending;
	/* ksync_send_fatal_signal() was called for this thread. */
	uint32_t fatal;
	/* A KSYNC_TASK_DEADLINE wait ends here (CLOCK_MONOTONIC ns). */
	uint64_t wait_deadline;
	/* > 0 inside lockdep or after lockdep_off(): lockdep ignores us. */
	int lockdep_recursion;
	/* The interrupt mask as it was when lockdep was entered. */
	int lockdep_irqs_off;
	/* Chain-cache lookups and hits on this CPU (owner writes only). */
	unsigned long lockdep_chain_lookups, lockdep_chain_hits;
	/*
	 * CPUs this thread may run on, read when it registered: with one,
	 * a lock's owner can never run while we spin, so spinning never
	 * pays (ksync_spin_pays()).
	 */
	int cpus_allowed;
} __attribute__((aligned(64)));

struct ksync_cpu *ksync_cpu_slow(void);
struct ksync_cpu *ksync_cpu_of(int cpu);
/* CPU cpu's block if it was ever allocated, else NULL (allocates nothing). */
struct ksync_cpu *ksync_cpu_peek(int cpu);
void ksync_cpu_fork_child(void);
/* Whether incarnation inc still runs on block c (it has not exited). */
bool ksync_cpu_incarnation_alive(const struct ksync_cpu *c, unsigned int inc);
/*
 * More ksync threads than hardware CPUs this process may run on: a
 * spinner would then likely take the CPU its lock's owner needs.
 */
bool ksync_cpus_oversubscribed(void);

/*
 * Whether waiting by spinning can pay off for thread c: not if it may run
 * on one CPU only (taskset -c 0), where whoever it waits for is off the
 * CPU for as long as it spins.
 */
static inline bool ksync_spin_pays(const struct ksync_cpu *c)
{
	return c->cpus_allowed != 1;
}

/* This thread's block, registering the thread on first use. */
static inline struct ksync_cpu *ksync_this_cpu(void)
{
	struct ksync_cpu *c = __atomic_load_n(&ksync_tls.cpu, __ATOMIC_RELAXED);

	if (__builtin_expect(c != NULL, 1))
		return c;
	return ksync_cpu_slow();
}

/* This thread's block if it is registered, else NULL. */
static inline struct ksync_cpu *ksync_this_cpu_or_null(void)
{
	return __atomic_load_n(&ksync_tls.cpu, __ATOMIC_RELAXED);
}

/* Count a slow-path event on this CPU (owner-only write, relaxed). */
static inline void lockevent_inc_cpu(struct ksync_cpu *c, enum ksync_lock_event ev)
{
	__atomic_store_n(&c->lockevents[ev],
			 __atomic_load_n(&c->lockevents[ev], __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

#define lockevent_inc(ev)	lockevent_inc_cpu(ksync_this_cpu(), LOCKEVENT_##ev)

#endif /* _KSYNC_SRC_CPU_H */
