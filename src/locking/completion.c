// SPDX-License-Identifier: MIT
/* Model-checked: models/completion.pml (docs/models.md); change both together. */
/*
 * Completions (kernel/sched/completion.c and the simple wait queue of
 * kernel/sched/swait.c that they sleep on).
 *
 * done counts events not yet consumed; UINT_MAX means "complete for
 * good".  Waiters queue in FIFO order on wait.task_list under wait.lock.
 * complete() takes the first waiter off the list before it wakes it, so a
 * second complete() wakes the next one; a woken waiter re-checks done
 * under the lock and, if another thread consumed the event first, queues
 * again at the tail.  A waiter that times out or is interrupted still
 * takes an event that arrived meanwhile, so none is ever lost.
 *
 * done is only changed under wait.lock, but try_wait_for_completion() and
 * completion_done() peek at it without the lock, as the kernel does; so
 * every access is a relaxed atomic (the lock orders the rest).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include <ksync/completion.h>
#include <ksync/spinlock.h>
#include "cpu.h"
#include "site.h"
#include "kernel_compat.h"
#include "list.h"
#include "sched_internal.h"
#include "zero_init.h"

/* complete_all() wakes this many waiters per hold of the lock. */
#define WAKE_BATCH	16

/* A deadline already in the past: schedule returns at once. */
#define DEADLINE_PASSED	1ull

struct swait_waiter {
	struct ksync_list_head list;	/* empty once a completer took us off */
	struct ksync_cpu *task;
};

static inline unsigned int done_read(struct completion *x)
{
	return __atomic_load_n(&x->done, __ATOMIC_RELAXED);
}

static inline void done_write(struct completion *x, unsigned int done)
{
	__atomic_store_n(&x->done, done, __ATOMIC_RELAXED);
}

KSYNC_API void ksync_init_completion(struct completion *x, const char *name,
				     struct lock_class_key *key)
{
	ksync_raw_spin_lock_init(&x->wait.lock, name, key, LD_WAIT_SPIN);
	done_write(x, 0);
	list_init(&x->wait.task_list);
}

/* A zero-filled completion works as an initialised one (zero_init.c). */
static inline void check_initialised(struct completion *x, const struct ksync_site *site)
{
	ksync_check_zero_filled(&x->wait.lock, &x->wait.task_list, LD_WAIT_SPIN,
				"completion", "init_completion() or DECLARE_COMPLETION()",
				site);
}

/* Take the first waiter off the list (lock held); whom to wake. */
static struct ksync_cpu *dequeue_first(struct completion *x)
{
	struct swait_waiter *w;

	if (list_empty(&x->wait.task_list))
		return NULL;
	w = list_first_entry(&x->wait.task_list, struct swait_waiter, list);
	list_del(&w->list);	/* leaves it empty: the waiter checks that */
	return w->task;
}

static void do_complete(struct completion *x, const struct ksync_site *site)
{
	struct ksync_cpu *wake;
	unsigned long flags;
	unsigned int done;

	check_initialised(x, site);
	flags = __ksync_raw_spin_lock_irqsave(&x->wait.lock, 0, site);
	done = done_read(x);
	if (done != UINT_MAX)
		done_write(x, done + 1);
	wake = dequeue_first(x);
	__ksync_raw_spin_unlock_irqrestore(&x->wait.lock, flags, site);
	/* After the unlock, so that the waiter does not spin on our lock. */
	if (wake)
		ksync_wake_cpu(wake);
}

/*
 * Waiters still on the list stay safe to touch only under the lock, so
 * the wakeups go out in batches: take up to WAKE_BATCH off the list, drop
 * the lock, wake them, and come back for more (as the kernel's
 * swake_up_all() drops the lock between waiters).
 */
static void do_complete_all(struct completion *x,
				  const struct ksync_site *site)
{
	struct ksync_cpu *batch[WAKE_BATCH];
	unsigned long flags;
	bool more;
	int n;

	check_initialised(x, site);
	flags = __ksync_raw_spin_lock_irqsave(&x->wait.lock, 0, site);
	done_write(x, UINT_MAX);
	do {
		for (n = 0; n < WAKE_BATCH; n++) {
			batch[n] = dequeue_first(x);
			if (!batch[n])
				break;
		}
		more = !list_empty(&x->wait.task_list);
		__ksync_raw_spin_unlock_irqrestore(&x->wait.lock, flags, site);
		for (int i = 0; i < n; i++)
			ksync_wake_cpu(batch[i]);
		if (more)
			flags = __ksync_raw_spin_lock_irqsave(&x->wait.lock, 0, site);
	} while (more);
}

static uint64_t wait_deadline(long timeout)
{
	if (timeout <= 0)
		return DEADLINE_PASSED;
	return ksync_jiffies_deadline(timeout);	/* 0 for MAX_SCHEDULE_TIMEOUT */
}

/* Sleep (wait.lock dropped); the jiffies left, 0 once the deadline passed. */
static long sleep_once(struct completion *x, uint64_t deadline,
		       const struct ksync_site *site)
{
	bool woken;

	__ksync_raw_spin_unlock_irq(&x->wait.lock, site);
	woken = ksync_schedule_spin_until(deadline);
	__ksync_raw_spin_lock_irq(&x->wait.lock, site);
	if (!woken)
		return 0;
	return deadline ? ksync_jiffies_left(deadline) : MAX_SCHEDULE_TIMEOUT;
}

/*
 * The kernel's do_wait_for_common(), with wait.lock held.  As in
 * ksync's other sleeps the state is set before the signal check, so that
 * a fatal signal sent after the check still finds a wakeable state.
 */
static long do_wait_for_common(struct completion *x, long timeout,
			       unsigned int state, const struct ksync_site *site)
{
	if (!done_read(x)) {
		struct ksync_cpu *me = ksync_this_cpu();
		struct swait_waiter w = { .task = me };
		uint64_t deadline = wait_deadline(timeout);

		list_init(&w.list);
		ksync_wait_begin(me);
		do {
			if (list_empty(&w.list))
				list_add_tail(&w.list, &x->wait.task_list);
			ksync_set_current_state(state);
			if (ksync_cpu_signal_pending_state(state, me)) {
				timeout = -ERESTARTSYS;
				break;
			}
			timeout = sleep_once(x, deadline, site);
		} while (!done_read(x) && timeout);
		ksync___set_current_state(TASK_RUNNING);
		if (!list_empty(&w.list))
			list_del(&w.list);
		if (!done_read(x))
			return timeout;
	}
	if (done_read(x) != UINT_MAX)
		done_write(x, done_read(x) - 1);
	return timeout ? timeout : 1;
}

static long do_wait_for_completion(struct completion *x, long timeout,
					 unsigned int state,
					 const struct ksync_site *site)
{
	__ksync_might_sleep(site, 0);
	check_initialised(x, site);
	__ksync_raw_spin_lock_irq(&x->wait.lock, site);
	timeout = do_wait_for_common(x, timeout, state, site);
	__ksync_raw_spin_unlock_irq(&x->wait.lock, site);
	return timeout;
}

static bool do_try_wait_for_completion(struct completion *x,
					     const struct ksync_site *site)
{
	unsigned long flags;
	unsigned int done;
	bool ret = true;

	/* Nothing to take: no need for the lock. */
	if (!done_read(x))
		return false;
	check_initialised(x, site);
	flags = __ksync_raw_spin_lock_irqsave(&x->wait.lock, 0, site);
	done = done_read(x);
	if (!done)
		ret = false;
	else if (done != UINT_MAX)
		done_write(x, done - 1);
	__ksync_raw_spin_unlock_irqrestore(&x->wait.lock, flags, site);
	return ret;
}

/*
 * Once done is set, wait for the completer to let go of the lock: the
 * caller may free the completion as soon as we return true.  Taking the
 * lock also orders what the completer wrote before complete() before
 * what our caller reads next.
 */
static bool do_completion_done(struct completion *x,
				     const struct ksync_site *site)
{
	unsigned long flags;

	if (!done_read(x))
		return false;
	check_initialised(x, site);
	flags = __ksync_raw_spin_lock_irqsave(&x->wait.lock, 0, site);
	__ksync_raw_spin_unlock_irqrestore(&x->wait.lock, flags, site);
	return true;
}

KSYNC_API void ksync_complete(struct completion *x, const struct ksync_site *site)
{
	uintptr_t was = ksync_site_caller_begin(site, RET_IP);

	do_complete(x, site);
	ksync_site_caller_end(was);
}

KSYNC_API void ksync_complete_all(struct completion *x,
				  const struct ksync_site *site)
{
	uintptr_t was = ksync_site_caller_begin(site, RET_IP);

	do_complete_all(x, site);
	ksync_site_caller_end(was);
}

KSYNC_API long ksync_wait_for_completion(struct completion *x, long timeout,
					 unsigned int state,
					 const struct ksync_site *site)
{
	uintptr_t was = ksync_site_caller_begin(site, RET_IP);
	long ret = do_wait_for_completion(x, timeout, state, site);

	ksync_site_caller_end(was);
	return ret;
}

KSYNC_API bool ksync_try_wait_for_completion(struct completion *x,
					     const struct ksync_site *site)
{
	uintptr_t was = ksync_site_caller_begin(site, RET_IP);
	bool ret = do_try_wait_for_completion(x, site);

	ksync_site_caller_end(was);
	return ret;
}

KSYNC_API bool ksync_completion_done(struct completion *x,
				     const struct ksync_site *site)
{
	uintptr_t was = ksync_site_caller_begin(site, RET_IP);
	bool ret = do_completion_done(x, site);

	ksync_site_caller_end(was);
	return ret;
}
