// SPDX-License-Identifier: MIT
/*
 * The semaphore family: struct semaphore with a count of 1, used as a
 * sleeping lock (the kernel's locktorture has no semaphore type; its
 * mutex type is the model).  A semaphore sleeps, so its holders may too:
 * besides the busy long hold, a holder now and then gives up the CPU,
 * which lets waiters pile up behind it and exercises the FIFO hand-off.
 */
#define _GNU_SOURCE
#include <sched.h>

#include <ksync/semaphore.h>
#include "torture.h"

#define SEM_SHORT_DELAY_US	5

static DEFINE_SEMAPHORE(torture_sem, 1);

static void torture_sem_down(int tid __maybe_unused)
{
	down(&torture_sem);
}

static void torture_sem_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nwriters);
	torture_short_delay_maybe(rand, cxt.nwriters, SEM_SHORT_DELAY_US);
	/* As locktorture's torture_preempt_schedule() in its mutex delay. */
	if (torture_one_in(rand, 20000ull * (unsigned long long)cxt.nwriters))
		sched_yield();
}

static void torture_sem_up(int tid __maybe_unused)
{
	up(&torture_sem);
}

static const struct torture_lock_ops sem_down_ops = {
	.name		= "sem_down",
	.desc		= "struct semaphore, count 1: down()/up()",
	.writelock	= torture_sem_down,
	.write_delay	= torture_sem_delay,
	.writeunlock	= torture_sem_up,
};

const struct torture_lock_ops *const torture_types_sem[] = {
	&sem_down_ops,
	NULL
};
