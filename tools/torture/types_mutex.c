// SPDX-License-Identifier: MIT
/*
 * The mutex family: struct mutex, the kernel's sleeping lock.  The
 * occasional long hold (a busy delay, as locktorture's mdelay()) outlasts
 * every spin budget, so waiters queue, sleep and get the lock handed off.
 */
#define _GNU_SOURCE
#include <ksync/mutex.h>
#include "torture.h"

#define MUTEX_SHORT_DELAY_US	5

static DEFINE_MUTEX(torture_mutex);

static void torture_mutex_lock(int tid __maybe_unused)
{
	mutex_lock(&torture_mutex);
}

static void torture_mutex_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nwriters);
	torture_short_delay_maybe(rand, cxt.nwriters, MUTEX_SHORT_DELAY_US);
}

static void torture_mutex_unlock(int tid __maybe_unused)
{
	mutex_unlock(&torture_mutex);
}

static const struct torture_lock_ops mutex_lock_ops = {
	.name		= "mutex_lock",
	.desc		= "struct mutex: mutex_lock()/mutex_unlock()",
	.writelock	= torture_mutex_lock,
	.write_delay	= torture_mutex_delay,
	.writeunlock	= torture_mutex_unlock,
};

const struct torture_lock_ops *const torture_types_mutex[] = {
	&mutex_lock_ops,
	NULL
};
