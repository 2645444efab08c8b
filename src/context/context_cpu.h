/* SPDX-License-Identifier: MIT */
/*
 * The context layer's per-CPU part (base/cpu.h): the task's sleep state
 * and pending signals (kernel/sched), the tasklets scheduled on the CPU
 * (kernel/softirq.c).  Layers above use the functions of sched_internal.h,
 * never these fields.
 */
#ifndef _KSYNC_SRC_CONTEXT_CPU_H
#define _KSYNC_SRC_CONTEXT_CPU_H

#include <stdint.h>
#include <ksync/sched.h>
#include "cpu.h"

struct tasklet_struct;

struct ksync_context_cpu {
	/*
	 * Task state (TASK_*) while it sleeps: also its futex word.  It is
	 * the first field of the thread's struct task_struct (current).
	 */
	union {
		uint32_t state;
		struct task_struct task;
	};
	/*
	 * 1 while the thread is in (or about to enter) its futex wait on
	 * state: a waker that finds 0 after making it runnable skips the
	 * FUTEX_WAKE (sched.c says why that cannot lose a wake-up).
	 */
	uint32_t in_futex;
	/*
	 * The wake-up spin's record (sched.c), this thread's own: spins
	 * that ran out in a row, and sleeps still to make without one.
	 */
	uint16_t spin_misses, spin_skip;
	/* An interrupt arrived during an interruptible sleep. */
	uint32_t sigpending;
	/* ksync_send_fatal_signal() was called for this thread. */
	uint32_t fatal;
	/* A KSYNC_TASK_DEADLINE wait ends here (CLOCK_MONOTONIC ns). */
	uint64_t wait_deadline;
	/* Tasklets scheduled on this CPU (tasklet_vec, tasklet_hi_vec). */
	struct tasklet_struct *tasklets[2];
};

extern struct ksync_context_cpu ksync_context_cpu_part;

static inline struct ksync_context_cpu *context_cpu(const struct ksync_cpu *c)
{
	return ksync_cpu_part((struct ksync_cpu *)c, ksync_context_cpu_part);
}

/* The block whose context part holds task p. */
static inline struct ksync_cpu *context_cpu_of_task(struct task_struct *p)
{
	struct ksync_context_cpu *x = (struct ksync_context_cpu *)
		((char *)p - __builtin_offsetof(struct ksync_context_cpu, task));

	return ksync_cpu_of_part(x, ksync_context_cpu_part);
}

#endif /* _KSYNC_SRC_CONTEXT_CPU_H */
