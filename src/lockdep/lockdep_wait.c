// SPDX-License-Identifier: MIT
/*
 * The wait-context check (kernel/locking/lockdep.c: task_wait_context(),
 * check_wait_context(), print_lock_invalid_wait_context()).
 *
 * Every lock says how it waits (enum lockdep_wait_type): a raw spinlock
 * spins (LD_WAIT_SPIN), a spinlock_t spins here but sleeps on a
 * PREEMPT_RT kernel (LD_WAIT_CONFIG), a mutex sleeps (LD_WAIT_SLEEP).
 * Where one may wait is bounded by the context (a hard interrupt may only
 * spin; a softirq, and an interrupt handler PREEMPT_RT would thread, may
 * take a spinlock_t) and by every lock held
 * in it: a lock may not be taken where what it waits by is not allowed.
 * This catches a mutex taken under a spinlock even where the mutex is
 * never contended, and, in the stricter mode, a spinlock_t under a raw
 * spinlock, which is only a bug on PREEMPT_RT.
 *
 * The stricter mode is the kernel's CONFIG_PROVE_RAW_LOCK_NESTING, at
 * run time (KSYNC_PROVE_RAW_LOCK_NESTING=1).  Without it LD_WAIT_CONFIG
 * counts as LD_WAIT_SPIN, as in a kernel built without that option; the
 * numbers printed are always the types as declared.
 */
#define _GNU_SOURCE
#include <ksync/preempt.h>
#include "env.h"
#include "lockdep_internal.h"
#include "report.h"

/* What a declared type counts as in this mode. */
static unsigned int effective(unsigned int wait_type)
{
	if (wait_type == LD_WAIT_CONFIG &&
	    !__atomic_load_n(&ksync_settings.prove_raw_lock_nesting, __ATOMIC_RELAXED))
		return LD_WAIT_SPIN;
	return wait_type;
}

/*
 * Only while lockdep validates: a handler on a thread that has no CPU
 * block yet gets one here only if its locks would get one anyway.
 */
int ksync_lockdep_hardirq_threaded(int threaded)
{
	struct ksync_lockdep_cpu *l;
	int before;

	if (!lockdep_validating())
		return 0;
	l = lockdep_cpu(ksync_this_cpu());
	before = l->hardirq_threaded;
	l->hardirq_threaded = threaded;
	return before;
}

/*
 * What the context allows before any lock.  An interrupt handler may
 * only spin, unless it would be a thread on PREEMPT_RT (requested
 * without IRQF_NO_THREAD or IRQF_ONESHOT), where a spinlock_t is fine; a
 * softirq is always a thread there; anything else may sleep.
 */
static unsigned int task_wait_context(const struct ksync_cpu *c)
{
	if (in_hardirq())
		return lockdep_cpu(c)->hardirq_threaded ? LD_WAIT_CONFIG : LD_WAIT_SPIN;
	if (in_serving_softirq())
		return LD_WAIT_CONFIG;
	return LD_WAIT_MAX;
}

/* The first entry of the held-lock stack in next's interrupt context. */
static int context_start(const struct ksync_held_locks *h,
			 const struct ksync_held_lock *next)
{
	int depth = h->depth - 1;

	while (depth >= 0 && h->stack[depth].irq_context == next->irq_context)
		depth--;
	return depth + 1;
}

/*
 * The strictest wait type allowed where next is taken: the context's,
 * lowered by each lock held in it.  Not simply the innermost lock's: a
 * lock may allow more inside than where it may be taken (RCU: taken
 * anywhere, LD_WAIT_FREE outside, LD_WAIT_CONFIG inside), and a trylock
 * may have been taken where it could not have waited.  An override map
 * sets the level, up or down, for what is taken inside it.
 */
static unsigned int allowed_here(const struct ksync_cpu *c,
				 const struct ksync_held_lock *next)
{
	const struct ksync_held_locks *h = &lockdep_cpu(c)->held;
	unsigned int curr_inner = effective(task_wait_context(c));

	for (int i = context_start(h, next); i < h->depth; i++) {
		const struct lock_class *class = hlock_class(&h->stack[i]);
		unsigned int prev_inner;

		if (!class || !class->wait_type_inner)
			continue;
		prev_inner = effective(class->wait_type_inner);
		if (prev_inner < curr_inner ||
		    class->lock_type == LD_LOCK_WAIT_OVERRIDE)
			curr_inner = prev_inner;
	}
	return curr_inner;
}

static void print_lock_invalid_wait_context(struct ksync_cpu *c,
					    const struct ksync_held_lock *hl)
{
	char comm[KSYNC_COMM_LEN];
	unsigned int curr_inner;

	if (!lockdep_report_begin())
		return;
	ksync_report_header("[ BUG: Invalid wait context ]");
	ksync_printk("%s/%d is trying to lock:\n", ksync_comm(comm), (int)ksync_gettid());
	lockdep_print_lock(hl);
	ksync_printk("other info that might help us debug this:\n");
	curr_inner = task_wait_context(c);
	ksync_printk("context-{%u:%u}\n", curr_inner, curr_inner);
	lockdep_print_held_locks(c);
	ksync_printk("stack backtrace:\n");
	ksync_dump_stack();
	lockdep_report_end();
}

/*
 * Whether next may be taken here; if not, report (once per class: with
 * KSYNC_KEEP_GOING the same call would otherwise report at every pass)
 * and return false.  Every acquisition is checked, validated or not
 * (rcu_read_lock() is tracked without validation and still bounds what
 * may be taken inside), except trylocks, which never wait, and maps
 * that declare no type (LD_WAIT_INV), as in the kernel.
 */
bool check_wait_context(struct ksync_cpu *c, const struct ksync_held_lock *next)
{
	struct lock_class *class = hlock_class(next);
	unsigned int next_inner, next_outer;

	if (!class || !class->wait_type_inner || next->trylock)
		return true;
	next_inner = class->wait_type_inner;
	next_outer = class->wait_type_outer ? class->wait_type_outer : next_inner;
	if (effective(next_outer) <= allowed_here(c, next))
		return true;
	if (!__atomic_exchange_n(&class->wait_reported, 1, __ATOMIC_RELAXED))
		print_lock_invalid_wait_context(c, next);
	return false;
}
