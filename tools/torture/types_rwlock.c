// SPDX-License-Identifier: MIT
/*
 * The rwlock family: rwlock_t, the spinning reader-writer lock, with
 * writers and readers.  The delays are locktorture's: a writer holds the
 * lock for 2 us, a reader for 10 us, and now and then either holds it for
 * a long time, which makes everyone else pile up in the queue.  Holders
 * count as preempt-disabled, so the delays spin (see delay.c).
 */
#define _GNU_SOURCE
#include <ksync/rwlock.h>
#include "torture.h"

#define RW_WRITE_DELAY_US	2
#define RW_READ_DELAY_US	10

static DEFINE_RWLOCK(torture_rwlock);

static void torture_rwlock_write_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nwriters);
	torture_udelay(RW_WRITE_DELAY_US);
}

static void torture_rwlock_read_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nreaders);
	torture_udelay(RW_READ_DELAY_US);
}

/* rw_lock: read_lock()/write_lock(). */
static void torture_rwlock_write_lock(int tid __maybe_unused)
{
	write_lock(&torture_rwlock);
}

static void torture_rwlock_write_unlock(int tid __maybe_unused)
{
	write_unlock(&torture_rwlock);
}

static void torture_rwlock_read_lock(int tid __maybe_unused)
{
	read_lock(&torture_rwlock);
}

static void torture_rwlock_read_unlock(int tid __maybe_unused)
{
	read_unlock(&torture_rwlock);
}

static const struct torture_lock_ops rw_lock_ops = {
	.name		= "rw_lock",
	.desc		= "rwlock_t: read_lock()/write_lock()",
	.writelock	= torture_rwlock_write_lock,
	.write_delay	= torture_rwlock_write_delay,
	.writeunlock	= torture_rwlock_write_unlock,
	.readlock	= torture_rwlock_read_lock,
	.read_delay	= torture_rwlock_read_delay,
	.readunlock	= torture_rwlock_read_unlock,
};

/*
 * rw_lock_irq: the _irqsave forms.  Readers hold the lock together, so
 * each thread keeps its saved flags in its own slot.
 */
static unsigned long torture_rw_wflags[TORTURE_MAX_THREADS];
static unsigned long torture_rw_rflags[TORTURE_MAX_THREADS];

static void torture_rwlock_write_lock_irq(int tid)
{
	unsigned long flags;

	write_lock_irqsave(&torture_rwlock, flags);
	torture_rw_wflags[tid] = flags;
}

static void torture_rwlock_write_unlock_irq(int tid)
{
	write_unlock_irqrestore(&torture_rwlock, torture_rw_wflags[tid]);
}

static void torture_rwlock_read_lock_irq(int tid)
{
	unsigned long flags;

	read_lock_irqsave(&torture_rwlock, flags);
	torture_rw_rflags[tid] = flags;
}

static void torture_rwlock_read_unlock_irq(int tid)
{
	read_unlock_irqrestore(&torture_rwlock, torture_rw_rflags[tid]);
}

static const struct torture_lock_ops rw_lock_irq_ops = {
	.name		= "rw_lock_irq",
	.desc		= "rwlock_t: read_lock_irqsave()/write_lock_irqsave()",
	.writelock	= torture_rwlock_write_lock_irq,
	.write_delay	= torture_rwlock_write_delay,
	.writeunlock	= torture_rwlock_write_unlock_irq,
	.readlock	= torture_rwlock_read_lock_irq,
	.read_delay	= torture_rwlock_read_delay,
	.readunlock	= torture_rwlock_read_unlock_irq,
};

/* The rwlock family, in --list order; NULL ends it. */
const struct torture_lock_ops *const torture_types_rwlock[] = {
	&rw_lock_ops,
	&rw_lock_irq_ops,
	NULL
};
