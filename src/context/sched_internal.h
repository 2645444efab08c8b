/* SPDX-License-Identifier: MIT */
/*
 * The sleeping core shared by the sleeping primitives (mutex, semaphore,
 * rw_semaphore, completion, wait queues): task states on the CPU block,
 * sleeping with a deadline, waking.
 */
#ifndef _KSYNC_SRC_SCHED_INTERNAL_H
#define _KSYNC_SRC_SCHED_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <ksync/sched.h>
#include "context_cpu.h"
#include "cpu.h"

#define KSYNC_TASK_RUNNING		TASK_RUNNING
#define KSYNC_TASK_INTERRUPTIBLE	TASK_INTERRUPTIBLE
#define KSYNC_TASK_UNINTERRUPTIBLE	TASK_UNINTERRUPTIBLE
#define KSYNC_TASK_WAKEKILL		TASK_WAKEKILL
/*
 * A wait with a deadline (pthread_*_timedlock through ksync-lockdep):
 * sleeps end at the CPU's wait_deadline, and the wait gives up there as
 * if interrupted.  Not a kernel state; ksync only.
 */
#define KSYNC_TASK_DEADLINE		0x10000

static inline struct task_struct *cpu_task(struct ksync_cpu *c)
{
	return &context_cpu(c)->task;
}

static inline struct ksync_cpu *task_cpu_block(struct task_struct *p)
{
	return context_cpu_of_task(p);
}

/*
 * Sleep while our state is not TASK_RUNNING, until deadline_ns
 * (CLOCK_MONOTONIC; 0: none).  Returns false if the deadline passed first,
 * in which case the state is set back to TASK_RUNNING.
 */
bool ksync_schedule_until(uint64_t deadline_ns);
/*
 * The same, after waiting for the wake-up on a running CPU for a few
 * microseconds where that can pay (sched.c): for the sleeps of
 * semaphores, completions, wait queues and condition variables, whose
 * waker is often about to come.
 */
bool ksync_schedule_spin_until(uint64_t deadline_ns);

/* Deadline for a timeout in jiffies (MAX_SCHEDULE_TIMEOUT: none, 0). */
uint64_t ksync_jiffies_deadline(long timeout);
/* Jiffies left until deadline (0 if it passed). */
long ksync_jiffies_left(uint64_t deadline_ns);

/* A wait begins: interrupts that arrived before it do not interrupt it. */
static inline void ksync_wait_begin(struct ksync_cpu *c)
{
	__atomic_store_n(&context_cpu(c)->sigpending, 0, __ATOMIC_RELAXED);
}

bool ksync_cpu_signal_pending_state(unsigned int state, struct ksync_cpu *c);
bool ksync_wake_cpu(struct ksync_cpu *c);
/*
 * try_to_wake_up(): make p runnable if its state is one that mode wakes.
 * 1 if we woke it, 0 if it was running (or in a state mode leaves alone).
 */
int ksync_try_to_wake_up(struct ksync_cpu *p, unsigned int mode);
/*
 * The two halves of it, for a waker that kicks after dropping its lock
 * (wait.c's wake_q): make p runnable if its state is one mode wakes
 * (true if we did); wake its futex sleep (spurious if it is not asleep).
 */
bool ksync_task_set_running(struct ksync_cpu *p, unsigned int mode);
void ksync_task_kick(struct ksync_cpu *p);

/* Whether CPU c's thread is running (not asleep in a ksync wait). */
static inline bool ksync_cpu_running(const struct ksync_cpu *c)
{
	return __atomic_load_n(&context_cpu(c)->state, __ATOMIC_RELAXED) == TASK_RUNNING;
}

/*
 * The deadline of this thread's next KSYNC_TASK_DEADLINE wait
 * (CLOCK_MONOTONIC ns; 0: none).  Only the thread itself sets it.
 */
static inline void ksync_set_wait_deadline(uint64_t deadline_ns)
{
	context_cpu(ksync_this_cpu())->wait_deadline = deadline_ns;
}

#endif /* _KSYNC_SRC_SCHED_INTERNAL_H */
