// SPDX-License-Identifier: MIT
/*
 * The context layer's per-CPU part: what a new thread on a reused block
 * starts from, and, in a fork child, the tasklets of CPUs that are gone.
 */
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <ksync/interrupt.h>
#include "context_cpu.h"
#include "layer_hooks.h"

KSYNC_DEFINE_CPU_PART(struct ksync_context_cpu, ksync_context_cpu_part);

/*
 * The thread's struct task_struct (the rest of it: its first field is the
 * state).  prctl() is a plain system call, safe in the signal handler that
 * may be registering us.
 */
static void task_fill(struct ksync_cpu *c)
{
	struct task_struct *t = &context_cpu(c)->task;

	t->pid = c->tid;
	t->tgid = getpid();
	t->cpu = c->cpu;
	t->migration_disabled = 0;
	memset(t->comm, 0, sizeof(t->comm));
	if (prctl(PR_GET_NAME, t->comm, 0, 0, 0) != 0)
		t->comm[0] = '\0';
	t->comm[TASK_COMM_LEN - 1] = '\0';
}

/* A fresh thread: awake, with nothing pending. */
static void context_cpu_reset(struct ksync_cpu *c)
{
	struct ksync_context_cpu *x = context_cpu(c);

	x->tasklets[0] = x->tasklets[1] = NULL;
	x->wait_deadline = 0;
	/* Atomic: a stale waker may still look at the old state word. */
	__atomic_store_n(&x->state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&x->in_futex, 0, __ATOMIC_RELAXED);
	x->spin_misses = x->spin_skip = 0;
	__atomic_store_n(&x->sigpending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&x->fatal, 0, __ATOMIC_RELAXED);
	task_fill(c);
}

/*
 * The kernel's takeover_tasklets(): a dead CPU's tasklets run here.  Only
 * in a fork child, which is single-threaded: plain accesses.
 */
static void context_cpu_dead(struct ksync_cpu *me, struct ksync_cpu *dead)
{
	for (int hi = 0; hi < 2; hi++) {
		struct tasklet_struct **tail = &context_cpu(me)->tasklets[hi];

		if (!context_cpu(dead)->tasklets[hi])
			continue;
		while (*tail)
			tail = &(*tail)->next;
		*tail = context_cpu(dead)->tasklets[hi];
		context_cpu(dead)->tasklets[hi] = NULL;
		ksync_raise_softirq_irqoff(hi ? HI_SOFTIRQ : TASKLET_SOFTIRQ);
	}
}

/* fork(): the child's one thread is a new task (its pid, its name). */
static void context_fork_child(void)
{
	struct ksync_cpu *me = ksync_this_cpu_or_null();

	if (me)
		task_fill(me);
}

KSYNC_HOOKS(context_cpu_hooks) = {
	.layer = KSYNC_LAYER_CONTEXT,
	.cpu_reset = context_cpu_reset,
	.cpu_dead = context_cpu_dead,
	.fork_child = context_fork_child,
};
