/* SPDX-License-Identifier: MIT */
/*
 * What rwsem.c, rwsem_spin.c and rwsem_debug.c share: the owner word,
 * optimistic spinning, and the plain (undebugged) operations.
 */
#ifndef _KSYNC_SRC_RWSEM_INTERNAL_H
#define _KSYNC_SRC_RWSEM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <ksync/jiffies.h>
#include <ksync/rwsem.h>
#include "cpu.h"
#include "kernel_compat.h"

/*
 * A waiter that has waited this long (jiffies: 4 ms at HZ=1000) may set
 * the handoff bit: the kernel's DIV_ROUND_UP(HZ, 250).
 */
#define RWSEM_WAIT_TIMEOUT	((HZ + 249) / 250)

/* --- the owner word ------------------------------------------------------- */

static inline struct ksync_cpu *rwsem_owner_flags(struct rw_semaphore *sem,
						  unsigned long *flags)
{
	unsigned long owner = (unsigned long)atomic_long_read(&sem->owner);

	*flags = owner & RWSEM_OWNER_FLAGS_MASK;
	return (struct ksync_cpu *)(owner & ~(unsigned long)RWSEM_OWNER_FLAGS_MASK);
}

static inline struct ksync_cpu *rwsem_owner(struct rw_semaphore *sem)
{
	unsigned long flags;

	return rwsem_owner_flags(sem, &flags);
}

static inline bool rwsem_test_oflags(struct rw_semaphore *sem, long flags)
{
	return atomic_long_read(&sem->owner) & flags;
}

/*
 * owner is a hint (spinning, debugging), never what mutual exclusion
 * rests on: relaxed stores.  It is written right after the count change
 * that grants the lock, by the thread that holds it.
 */
static inline void rwsem_set_owner(struct rw_semaphore *sem, struct ksync_cpu *curr)
{
	atomic_long_set(&sem->owner, (long)curr);
}

static inline void rwsem_set_reader_owned(struct rw_semaphore *sem,
					  struct ksync_cpu *reader)
{
	__ksync_rwsem_set_reader_owned(sem, (long)reader);
}

/*
 * Readers kept a spinning writer waiting too long: no more spinning on
 * this reader phase.  Only while RWSEM_READER_OWNED is still set.
 */
static inline void rwsem_set_nonspinnable(struct rw_semaphore *sem)
{
	long owner = atomic_long_read(&sem->owner);

	do {
		if (!(owner & RWSEM_READER_OWNED) || (owner & RWSEM_NONSPINNABLE))
			return;
		/* Relaxed: a hint; the RMW only keeps a racing change intact. */
	} while (!atomic_long_try_cmpxchg_relaxed(&sem->owner, &owner,
						  owner | RWSEM_NONSPINNABLE));
}

/* The reader count reached 0: writers may spin on the next reader phase. */
static inline void rwsem_clear_nonspinnable(struct rw_semaphore *sem)
{
	if (unlikely(rwsem_test_oflags(sem, RWSEM_NONSPINNABLE)))
		atomic_long_andnot(RWSEM_NONSPINNABLE, &sem->owner);
}

/* --- optimistic spinning (rwsem_spin.c) ------------------------------------ */

enum rwsem_owner_state {
	OWNER_NULL		= 1 << 0,	/* no owner recorded */
	OWNER_WRITER		= 1 << 1,	/* a writer, which may still be running */
	OWNER_READER		= 1 << 2,	/* readers (maybe) */
	OWNER_NONSPINNABLE	= 1 << 3,	/* stop spinning */
};
#define OWNER_SPINNABLE		(OWNER_NULL | OWNER_WRITER | OWNER_READER)

/* How long one slow-path entry may spin in all, in nanoseconds. */
#define RWSEM_SPIN_MAX_NS	20000ull

/*
 * A spin's budget, in time.  The clock is read every SPIN_CLOCK_EVERY
 * rounds, the first time at the first such check: the budget starts
 * there, so a spin that ends sooner (the common case: the lock was free,
 * or freed at once) never reads it.  A read costs about 30 ns on the
 * 2-core VM (rdtsc), more than an uncontended lock+unlock; every writer
 * slow path used to make one on entry, even when it then took the lock
 * at the first try.
 */
struct rwsem_spin_budget {
	uint64_t len_ns;
	uint64_t deadline_ns;		/* 0: not started */
};

#define RWSEM_SPIN_BUDGET(ns)	((struct rwsem_spin_budget){ .len_ns = (ns) })

bool rwsem_can_spin_on_owner(struct rw_semaphore *sem);
bool rwsem_optimistic_spin(struct rw_semaphore *sem, struct ksync_cpu *curr);
enum rwsem_owner_state rwsem_spin_on_owner(struct rw_semaphore *sem,
					   struct rwsem_spin_budget *budget);

/* --- plain operations (rwsem.c), for the debug paths ---------------------- */

void rwsem_downgrade(struct rw_semaphore *sem, struct ksync_cpu *curr);

#endif /* _KSYNC_SRC_RWSEM_INTERNAL_H */
