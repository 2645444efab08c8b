// SPDX-License-Identifier: MIT
/*
 * The seqlock family: seqlock_t.  Writers take write_seqlock() and
 * rewrite a pair (a, b = -a) half before their hold and half after it,
 * so the pair is torn for the whole write delay.  Readers first read the
 * pair locklessly (read_seqbegin()/read_seqretry()) and must never accept
 * it torn - that counts as a failure - then take the locking reader,
 * read_seqlock_excl(), for the tester's usual exclusion check.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include <ksync/seqlock.h>
#include "torture.h"

#define SEQ_WRITE_DELAY_US	2
#define SEQ_READ_DELAY_US	5

static DEFINE_SEQLOCK(torture_seqlock);
static unsigned long torture_seq_a, torture_seq_b;	/* b == -a between writers */
static atomic_t torture_seq_torn_reported;

static void torture_seqlock_write_lock(int tid __maybe_unused)
{
	write_seqlock(&torture_seqlock);
	WRITE_ONCE(torture_seq_a, torture_seq_a + 1);	/* torn from here... */
}

static void torture_seqlock_write_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nwriters);
	torture_short_delay_maybe(rand, cxt.nwriters, SEQ_WRITE_DELAY_US);
}

static void torture_seqlock_write_unlock(int tid __maybe_unused)
{
	WRITE_ONCE(torture_seq_b, -torture_seq_a);	/* ...to here */
	write_sequnlock(&torture_seqlock);
}

/* One lockless read; a torn pair that passes read_seqretry() is a failure. */
static void torture_seqlock_lockless_read(int tid)
{
	unsigned long a, b;
	unsigned int seq;

	do {
		seq = read_seqbegin(&torture_seqlock);
		a = READ_ONCE(torture_seq_a);
		b = READ_ONCE(torture_seq_b);
	} while (read_seqretry(&torture_seqlock, seq));
	if (b == -a)
		return;
	atomic_long_inc(&cxt.rstats[tid].n_lock_fail);
	if (!atomic_xchg_relaxed(&torture_seq_torn_reported, 1))
		fprintf(stderr, "seqlock-torture: reader %d: accepted a torn pair (%lu, %lu)\n",
			tid, a, b);
}

static void torture_seqlock_read_lock(int tid)
{
	torture_seqlock_lockless_read(tid);
	read_seqlock_excl(&torture_seqlock);
}

static void torture_seqlock_read_delay(struct torture_rand *rand)
{
	torture_long_hold_maybe(rand, cxt.nreaders);
	torture_short_delay_maybe(rand, cxt.nreaders, SEQ_READ_DELAY_US);
}

static void torture_seqlock_read_unlock(int tid __maybe_unused)
{
	read_sequnlock_excl(&torture_seqlock);
}

static const struct torture_lock_ops seqlock_ops = {
	.name		= "seqlock",
	.desc		= "seqlock_t: write_seqlock(); lockless readers, then read_seqlock_excl()",
	.writelock	= torture_seqlock_write_lock,
	.write_delay	= torture_seqlock_write_delay,
	.writeunlock	= torture_seqlock_write_unlock,
	.readlock	= torture_seqlock_read_lock,
	.read_delay	= torture_seqlock_read_delay,
	.readunlock	= torture_seqlock_read_unlock,
};

/* The seqlock family, in --list order; NULL ends it. */
const struct torture_lock_ops *const torture_types_seqlock[] = {
	&seqlock_ops,
	NULL
};
