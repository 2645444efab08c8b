// SPDX-License-Identifier: MIT
/*
 * The queued rwlock's slow paths (kernel/locking/qrwlock.c).
 *
 * Waiters queue on wait_lock, a queued spinlock, which hands it out
 * roughly in arrival order and puts the waiters behind the head to sleep
 * (src/qspinlock.c).  Only the head - the one thread that holds wait_lock
 * - and readers in interrupt context, which do not queue, poll the count
 * word.  They poll with a bounded exponential backoff, then yield the CPU
 * between polls: the thread they wait for (a writer, or the last reader)
 * may have lost its CPU, and with more threads than cores it can only get
 * it back if the waiters give theirs up.  See docs/rwlock.md for the
 * measurements behind the numbers.
 */
#define _GNU_SOURCE
#include <sched.h>

#include <ksync/preempt.h>
#include <ksync/rwlock.h>
#include "cpu.h"
#include "spin_clock.h"

/*
 * How long a waiter polls before it starts to yield, in time
 * (spin_clock.h): this was 64 polls with pauses doubling up to 32, about
 * 1900 pauses, ~50 us with the 25 ns pause of the 2-core development
 * machine and four times more on a CPU whose pause is four times longer
 * (Intel Skylake+).  Long enough for any critical section whose owner is
 * running, far shorter than the time slice (a few ms) that a preempted
 * owner waits for.  Of 0, 16, 64, 256 polls and spinning for ever, 16 to
 * 256 did best with more threads than cores, 64 by a little.  A thread
 * that may run on one CPU only yields at once: what it waits for cannot
 * happen while it spins.
 */
#define QRW_SPIN_NS		48000u
#define QRW_MAX_PAUSE_NS	800u

struct qrw_backoff {
	uint64_t deadline;	/* 0: yield at once */
	unsigned int pauses, max_pauses;
};

static void qrw_backoff_init(struct qrw_backoff *b)
{
	b->deadline = ksync_spin_pays(ksync_this_cpu()) ?
		      ksync_spin_deadline(QRW_SPIN_NS) : 0;
	b->pauses = 1;
	b->max_pauses = ksync_relax_rounds(QRW_MAX_PAUSE_NS);
}

static void qrw_relax(struct qrw_backoff *b)
{
	if (b->deadline && !ksync_spin_expired(b->deadline)) {
		for (unsigned int i = 0; i < b->pauses; i++)
			cpu_relax();
		if (b->pauses < b->max_pauses)
			b->pauses <<= 1;
		return;
	}
	/* Whoever we wait for may need this CPU to get anywhere. */
	b->deadline = 0;
	sched_yield();
}

/*
 * Wait until no writer holds the lock.  The loads are acquire, as the
 * kernel's atomic_cond_read_acquire(): the one that sees _QW_LOCKED clear
 * reads the writer's release store (or an RMW after it), so the writer's
 * critical section happens before ours.
 */
static void qrw_wait_for_writer(arch_rwlock_t *lock)
{
	struct qrw_backoff b;

	qrw_backoff_init(&b);
	while (atomic_read_acquire(&lock->cnts) & _QW_LOCKED)
		qrw_relax(&b);
}

/*
 * Wait until only our _QW_WAITING is left (no reader, no writer).  Relaxed
 * polls: ownership is decided by the caller's acquire compare-and-swap.
 */
static int qrw_wait_for_readers(arch_rwlock_t *lock)
{
	struct qrw_backoff b;
	int cnts;

	qrw_backoff_init(&b);
	while ((cnts = atomic_read(&lock->cnts)) != _QW_WAITING)
		qrw_relax(&b);
	return cnts;
}

KSYNC_API void ksync_queued_read_lock_slowpath(arch_rwlock_t *lock)
{
	/*
	 * In interrupt context, a waiting writer must not stop us: the
	 * interrupted code may hold the lock for read, and would never get
	 * to release it.  Keep the bias and wait only for a writer that
	 * holds the lock.
	 */
	if (__ksync_unlikely(in_interrupt())) {
		qrw_wait_for_writer(lock);
		return;
	}
	/* Nothing was read under the bias, so backing out needs no order. */
	atomic_sub(_QR_BIAS, &lock->cnts);

	queued_spin_lock(&lock->wait_lock);
	/*
	 * At the head of the queue.  Writers behind us cannot set
	 * _QW_WAITING without wait_lock, so once the current writer leaves,
	 * the bias is enough to keep the next one out.
	 */
	atomic_add(_QR_BIAS, &lock->cnts);
	qrw_wait_for_writer(lock);
	/* Let the next waiter (reader or writer) become the head. */
	queued_spin_unlock(&lock->wait_lock);
}

KSYNC_API void ksync_queued_write_lock_slowpath(arch_rwlock_t *lock)
{
	int cnts;

	queued_spin_lock(&lock->wait_lock);

	/* Free by now?  Take it directly (acquire: as in the fast path). */
	cnts = atomic_read(&lock->cnts);
	if (!cnts && atomic_try_cmpxchg_acquire(&lock->cnts, &cnts, _QW_LOCKED))
		goto unlock;

	/*
	 * Tell new readers in task context to queue behind us.  Relaxed: the
	 * flag only steers them; who owns the lock is decided by the
	 * compare-and-swap below, which fails if any bias is left.
	 */
	atomic_or(_QW_WAITING, &lock->cnts);
	do {
		cnts = qrw_wait_for_readers(lock);
		/* Acquire: pairs with the last reader's release. */
	} while (!atomic_try_cmpxchg_acquire(&lock->cnts, &cnts, _QW_LOCKED));
unlock:
	queued_spin_unlock(&lock->wait_lock);
}
