// SPDX-License-Identifier: MIT
/*
 * Timed locking: a mutex or rw_semaphore acquisition that gives up at a
 * deadline.  The kernel has none (its sleeping locks wait for ever, or
 * until a signal); ksync has them for pthread_mutex_timedlock() and
 * pthread_rwlock_timed*lock() when ksync-lockdep --replace runs a program
 * on ksync's locks.
 *
 * The waits are the ordinary ones with KSYNC_TASK_DEADLINE in the task
 * state: the sleep ends at the deadline and the wait backs out as it does
 * for a signal, leaving the queue as a signalled waiter would.
 */
#define _GNU_SOURCE
#include <errno.h>

#include <ksync/mutex.h>
#include <ksync/rwsem.h>
#include "cpu.h"
#include "sched_internal.h"

#define TIMED_STATE	(TASK_UNINTERRUPTIBLE | KSYNC_TASK_DEADLINE)

KSYNC_API int ksync_mutex_lock_until(struct mutex *lock, uint64_t deadline_ns,
				     const struct ksync_site *site)
{
	int ret;

	ksync_set_wait_deadline(deadline_ns ? deadline_ns : 1);
	ret = __ksync_mutex_lock(lock, TIMED_STATE, 0, NULL, site);
	ksync_set_wait_deadline(0);
	return ret ? -ETIMEDOUT : 0;
}

KSYNC_API int ksync_down_read_until(struct rw_semaphore *sem, uint64_t deadline_ns,
				    const struct ksync_site *site)
{
	int ret;

	ksync_set_wait_deadline(deadline_ns ? deadline_ns : 1);
	ret = __ksync_down_read(sem, TIMED_STATE, 0, site);
	ksync_set_wait_deadline(0);
	return ret ? -ETIMEDOUT : 0;
}

KSYNC_API int ksync_down_write_until(struct rw_semaphore *sem, uint64_t deadline_ns,
				     const struct ksync_site *site)
{
	int ret;

	ksync_set_wait_deadline(deadline_ns ? deadline_ns : 1);
	ret = __ksync_down_write(sem, TIMED_STATE, 0, NULL, site);
	ksync_set_wait_deadline(0);
	return ret ? -ETIMEDOUT : 0;
}
