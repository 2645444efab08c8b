// SPDX-License-Identifier: MIT
/*
 * The rw_semaphore family: struct rw_semaphore, the kernel's sleeping
 * reader-writer lock, with writer and reader threads.
 *
 * Holds are mostly short and now and then long (a busy delay, as
 * locktorture's mdelay()), so that both kinds pile up behind each other:
 * readers behind a queued writer, writers behind a crowd of readers, and
 * waiters long enough in the queue to ask for a handoff.  Under a sleeping
 * lock a holder may also sleep: about once in a thousand holds per thread
 * it does, for a millisecond, so that waiters find the owner off its CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>

#include <ksync/rwsem.h>
#include "torture.h"

#define RWSEM_SHORT_DELAY_US	5

static DECLARE_RWSEM(torture_rwsem);

static void rwsem_sleep_maybe(struct torture_rand *rand, int nthreads)
{
	struct timespec ts = { 0, 1000000L };

	if (!torture_one_in(rand, (unsigned long long)(nthreads > 0 ? nthreads : 1) * 1000))
		return;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void torture_rwsem_write_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nwriters);
	torture_short_delay_maybe(rand, cxt.nwriters, RWSEM_SHORT_DELAY_US);
	rwsem_sleep_maybe(rand, cxt.nwriters);
}

static void torture_rwsem_read_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nreaders);
	torture_short_delay_maybe(rand, cxt.nreaders, RWSEM_SHORT_DELAY_US);
	rwsem_sleep_maybe(rand, cxt.nreaders);
}

static void torture_rwsem_down_write(int tid __maybe_unused)
{
	down_write(&torture_rwsem);
}

static void torture_rwsem_up_write(int tid __maybe_unused)
{
	up_write(&torture_rwsem);
}

static void torture_rwsem_down_read(int tid __maybe_unused)
{
	down_read(&torture_rwsem);
}

static void torture_rwsem_up_read(int tid __maybe_unused)
{
	up_read(&torture_rwsem);
}

static const struct torture_lock_ops rwsem_lock_ops = {
	.name		= "rwsem_lock",
	.desc		= "struct rw_semaphore: down_write()/up_write(), down_read()/up_read()",
	.writelock	= torture_rwsem_down_write,
	.write_delay	= torture_rwsem_write_delay,
	.writeunlock	= torture_rwsem_up_write,
	.readlock	= torture_rwsem_down_read,
	.read_delay	= torture_rwsem_read_delay,
	.readunlock	= torture_rwsem_up_read,
};

/*
 * rwsem_downgrade: every write unlock goes through downgrade_write() and
 * a short hold for reading, counted as a reader inside, so that a writer
 * let in by a broken downgrade finds "readers inside".
 */
static void torture_rwsem_downgrade_up_write(int tid __maybe_unused)
{
	downgrade_write(&torture_rwsem);
	atomic_inc(&lock_is_read_held);
	torture_udelay(1);
	atomic_dec(&lock_is_read_held);
	up_read(&torture_rwsem);
}

static const struct torture_lock_ops rwsem_downgrade_ops = {
	.name		= "rwsem_downgrade",
	.desc		= "struct rw_semaphore: writers unlock through downgrade_write()",
	.writelock	= torture_rwsem_down_write,
	.write_delay	= torture_rwsem_write_delay,
	.writeunlock	= torture_rwsem_downgrade_up_write,
	.readlock	= torture_rwsem_down_read,
	.read_delay	= torture_rwsem_read_delay,
	.readunlock	= torture_rwsem_up_read,
};

const struct torture_lock_ops *const torture_types_rwsem[] = {
	&rwsem_lock_ops,
	&rwsem_downgrade_ops,
	NULL
};
