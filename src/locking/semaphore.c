// SPDX-License-Identifier: MIT
/*
 * Counting semaphores (kernel/locking/semaphore.c): the contended paths.
 *
 * The uncontended down() and up() are inline in <ksync/semaphore.h>; they
 * come here with sem->lock held when down() finds the count at 0 or up()
 * finds waiters.  A waiter queues itself at the tail of wait_list and
 * sleeps; up() takes the first waiter off the list, marks it up and wakes
 * it, so the unit goes to it directly and the count never rises while
 * anyone waits.  Every field is protected by sem->lock, so no atomics are
 * needed beyond the spinlock's and the task state's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include <ksync/semaphore.h>
#include "cpu.h"
#include "kernel_compat.h"
#include "list.h"
#include "report.h"
#include "site.h"
#include "sched_internal.h"

struct semaphore_waiter {
	struct ksync_list_head list;
	struct ksync_cpu *task;
	bool up;		/* up() gave us the unit: under sem->lock */
};

KSYNC_API void ksync_sema_init(struct semaphore *sem, int val,
			       struct lock_class_key *key)
{
	/* The kernel's class name for every semaphore's inner lock. */
	ksync_raw_spin_lock_init(&sem->lock, "semaphore->lock", key, LD_WAIT_SPIN);
	sem->count = (unsigned int)val;
	list_init(&sem->wait_list);
}

/*
 * Sleep until up() hands us a unit, a signal that state allows arrives,
 * or the timeout runs out.  The task state is set before the signal
 * check: ksync's schedule does not look at signals, so a fatal signal
 * sent after the check must find us in a wakeable state (the kernel's
 * __schedule() re-checks instead).
 */
KSYNC_API int ksync_down_slowpath(struct semaphore *sem, unsigned int state,
				  long timeout)
{
	struct ksync_cpu *me = ksync_this_cpu();
	struct semaphore_waiter waiter = { .task = me, .up = false };
	bool timed_out = timeout <= 0;
	uint64_t deadline = timed_out ? 0 : ksync_jiffies_deadline(timeout);
	int ret;

	ksync_wait_begin(me);
	list_add_tail(&waiter.list, &sem->wait_list);
	for (;;) {
		ksync_set_current_state(state);
		if (ksync_cpu_signal_pending_state(state, me)) {
			ret = -EINTR;
			break;
		}
		if (timed_out) {
			ret = -ETIME;
			break;
		}
		raw_spin_unlock_irq(&sem->lock);
		timed_out = !ksync_schedule_until(deadline);
		raw_spin_lock_irq(&sem->lock);
		/* up() dequeued us; the state is running again. */
		if (waiter.up)
			return 0;
	}
	ksync___set_current_state(TASK_RUNNING);
	list_del(&waiter.list);
	return ret;
}

KSYNC_API struct task_struct *ksync_up_slowpath(struct semaphore *sem)
{
	struct semaphore_waiter *waiter =
		list_first_entry(&sem->wait_list, struct semaphore_waiter, list);
	struct ksync_cpu *task = waiter->task;

	list_del(&waiter->list);
	/* Once we unlock, the waiter may return and its frame is gone. */
	waiter->up = true;
	return cpu_task(task);
}

KSYNC_API void ksync_up_overflow(struct semaphore *sem,
				 const struct ksync_site *site)
{
	uintptr_t was = ksync_site_caller_begin(site, RET_IP);

	ksync_warn_once(site, "up(%s): semaphore count overflow (more up() than "
			"the count can hold): count left at %u\n",
			site && site->expr ? site->expr : "", sem->count);
	ksync_site_caller_end(was);
}
