// SPDX-License-Identifier: MIT
/*
 * The lock types ksync-torture can torture.
 *
 * To add one: write its lock, delay and unlock functions, fill in a
 * struct torture_lock_ops (readlock and friends too if the lock has
 * readers), and list it in its family's table (this file holds the
 * spinlock family; see registry.c for the others).  Nothing else in the
 * tester needs to change: the reader threads, the "Reads :" line and the
 * reader defaults follow from readlock being set.
 *
 * Delays run with the lock held and must not sleep; see delay.c.
 */
#define _GNU_SOURCE
#include <string.h>

#include <ksync/spinlock.h>
#include "torture.h"

/* locktorture's numbers: holds are mostly short, rarely very long. */
#define SPIN_SHORT_DELAY_US	2

/*
 * The spinlock write delay: a 2 us hold about once in 2 * nwriters * 2
 * rounds, otherwise none, and now and then a long hold.
 */
static void torture_spin_write_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nwriters);
	torture_short_delay_maybe(rand, cxt.nwriters, SPIN_SHORT_DELAY_US);
}

/*
 * lock_busted: takes nothing, so writers overlap freely.  It exists to
 * prove that the tester notices; a run with it must end in FAILURE.  It
 * holds "the lock" as long as spin_lock does, which keeps the windows in
 * which writers overlap as wide as a real lock's critical section.
 */
static void torture_lock_busted_write_lock(int tid __maybe_unused)
{
	/* BUGGY, on purpose. */
}

static void torture_lock_busted_write_unlock(int tid __maybe_unused)
{
	/* BUGGY, on purpose. */
}

static const struct torture_lock_ops lock_busted_ops = {
	.name		= "lock_busted",
	.desc		= "no exclusion at all (must end in FAILURE)",
	.writelock	= torture_lock_busted_write_lock,
	.write_delay	= torture_spin_write_delay,
	.writeunlock	= torture_lock_busted_write_unlock,
};

/* spin_lock: spinlock_t, the lock most code uses. */
static DEFINE_SPINLOCK(torture_spinlock);

static void torture_spin_lock_write_lock(int tid __maybe_unused)
{
	spin_lock(&torture_spinlock);
}

static void torture_spin_lock_write_unlock(int tid __maybe_unused)
{
	spin_unlock(&torture_spinlock);
}

static const struct torture_lock_ops spin_lock_ops = {
	.name		= "spin_lock",
	.desc		= "spinlock_t: spin_lock()/spin_unlock()",
	.writelock	= torture_spin_lock_write_lock,
	.write_delay	= torture_spin_write_delay,
	.writeunlock	= torture_spin_lock_write_unlock,
};

/* raw_spin_lock: raw_spinlock_t, the layer spinlock_t is built on. */
static DEFINE_RAW_SPINLOCK(torture_raw_spinlock);

static void torture_raw_spin_lock_write_lock(int tid __maybe_unused)
{
	raw_spin_lock(&torture_raw_spinlock);
}

static void torture_raw_spin_lock_write_unlock(int tid __maybe_unused)
{
	raw_spin_unlock(&torture_raw_spinlock);
}

static const struct torture_lock_ops raw_spin_lock_ops = {
	.name		= "raw_spin_lock",
	.desc		= "raw_spinlock_t: raw_spin_lock()/raw_spin_unlock()",
	.writelock	= torture_raw_spin_lock_write_lock,
	.write_delay	= torture_spin_write_delay,
	.writeunlock	= torture_raw_spin_lock_write_unlock,
};

/*
 * spin_lock_irq: spinlock_t taken with interrupts masked.  The flags are
 * saved in a global, written only by the holder, as locktorture does.
 */
static unsigned long torture_irq_flags;

static void torture_spin_lock_irq_write_lock(int tid __maybe_unused)
{
	unsigned long flags;

	spin_lock_irqsave(&torture_spinlock, flags);
	torture_irq_flags = flags;
}

static void torture_spin_lock_irq_write_unlock(int tid __maybe_unused)
{
	spin_unlock_irqrestore(&torture_spinlock, torture_irq_flags);
}

static const struct torture_lock_ops spin_lock_irq_ops = {
	.name		= "spin_lock_irq",
	.desc		= "spinlock_t: spin_lock_irqsave()/spin_unlock_irqrestore()",
	.writelock	= torture_spin_lock_irq_write_lock,
	.write_delay	= torture_spin_write_delay,
	.writeunlock	= torture_spin_lock_irq_write_unlock,
};

/* The spinlock family, in --list order; NULL ends it. */
const struct torture_lock_ops *const torture_types_spin[] = {
	&lock_busted_ops,
	&spin_lock_ops,
	&spin_lock_irq_ops,
	&raw_spin_lock_ops,
	NULL
};
