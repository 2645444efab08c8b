// SPDX-License-Identifier: MIT
/*
 * Counting semaphores (kernel/locking/semaphore.c): the contended paths.
 *
 * sem->word holds the free units (the low 32 bits, sem->count) and two
 * flags.  The uncontended down() and up() in <ksync/semaphore.h> are one
 * compare-and-swap each; they come here when down() finds no unit or
 * up() finds a flag set (or the count full).
 *
 * - WAITERS: wait_list is not empty.  A waiter sets it (under sem->lock)
 *   before its last try for a unit, with an atomic read-modify-write of
 *   the same word that up() increments: so either that try sees up()'s
 *   unit, or up() sees WAITERS, takes sem->lock and wakes the first
 *   waiter.  No wake-up is lost.
 * - HANDOFF: the first waiter has waited HANDOFF_NS and asked for the
 *   next unit.  It is set only while the count is 0, nobody takes from a
 *   count of 0, and up() does not raise the count while it is set: it
 *   gives the unit to the first waiter directly (waiter->up), as the
 *   kernel's __up() always does.
 *
 * Otherwise up() raises the count and wakes the first waiter, which
 * competes for the unit with running threads (lock stealing): a unit
 * does not wait for a sleeping thread to be scheduled, which is what made
 * the kernel's always-hand-off 0.02-0.08x sem_t as a lock (see
 * docs/semaphore.md).  Every waiter that leaves the list with units still
 * free wakes the next first waiter, so that several up()s that woke the
 * same first waiter do not leave units unclaimed while others sleep.
 *
 * The flags and wait_list change only under sem->lock; the count changes
 * anywhere, by compare-and-swap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include <ksync/semaphore.h>
#include "cpu.h"
#include "futex.h"
#include "kernel_compat.h"
#include "list.h"
#include "report.h"
#include "site.h"
#include "sched_internal.h"
#include "spin_clock.h"

/*
 * A first waiter that has waited this long gets the next unit handed to
 * it, as the mutex's top waiter does (docs/design-spinning.md): long
 * enough that a running thread usually takes a free unit first (no
 * wake-up latency per unit), short enough that no waiter starves.
 */
#define HANDOFF_NS	1000000ull

#define COUNT_MASK	KSYNC_SEM_COUNT_MASK
#define WAITERS		KSYNC_SEM_WAITERS
#define HANDOFF		KSYNC_SEM_HANDOFF

struct semaphore_waiter {
	struct ksync_list_head list;
	struct ksync_cpu *task;
	bool up;		/* up() handed us the unit: under sem->lock */
};

KSYNC_API void ksync_sema_init(struct semaphore *sem, int val,
			       struct lock_class_key *key)
{
	/* The kernel's class name for every semaphore's inner lock. */
	ksync_raw_spin_lock_init(&sem->lock, "semaphore->lock", key, LD_WAIT_SPIN);
	__atomic_store_n(&sem->word, (unsigned int)val, __ATOMIC_RELAXED);
	list_init(&sem->wait_list);
}

static inline unsigned long long word_read(struct semaphore *sem)
{
	return __atomic_load_n(&sem->word, __ATOMIC_RELAXED);
}

/* Set or clear flags (sem->lock held: nobody else changes them). */
static inline void flags_set(struct semaphore *sem, unsigned long long f)
{
	__atomic_fetch_or(&sem->word, f, __ATOMIC_RELAXED);
}

static inline void flags_clear(struct semaphore *sem, unsigned long long f)
{
	__atomic_fetch_and(&sem->word, ~f, __ATOMIC_RELAXED);
}

/*
 * A queued waiter takes a unit if there is one.  HANDOFF need not be
 * looked at: while it is set the count stays 0.  Acquire, as the fast
 * path's.
 */
static bool waiter_take(struct semaphore *sem)
{
	unsigned long long w = word_read(sem);

	while (w & COUNT_MASK)
		if (__atomic_compare_exchange_n(&sem->word, &w, w - 1, 1,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

/*
 * The first waiter, after HANDOFF_NS: take a unit if one is free, else
 * ask for the next one (only with the count at 0, so that HANDOFF's
 * "count stays 0" holds).  True if we took a unit.
 */
static bool ask_handoff(struct semaphore *sem)
{
	unsigned long long w = word_read(sem);

	for (;;) {
		if (w & COUNT_MASK) {
			if (__atomic_compare_exchange_n(&sem->word, &w, w - 1, 1,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return true;
		} else if (__atomic_compare_exchange_n(&sem->word, &w, w | HANDOFF, 1,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			return false;
		}
	}
}

/*
 * Make the first waiter runnable (sem->lock held, so that its frame is
 * still there); the futex wake-up, if it sleeps there, goes out after
 * the unlock: returns whom to kick, or NULL.
 */
static struct ksync_cpu *wake_first(struct semaphore *sem)
{
	struct semaphore_waiter *w;

	if (list_empty(&sem->wait_list))
		return NULL;
	w = list_first_entry(&sem->wait_list, struct semaphore_waiter, list);
	/* Any sleeping state: ~0u. */
	return ksync_task_set_running(w->task, ~0u) ? w->task : NULL;
}

/*
 * We leave the list (sem->lock held), with a unit or without: clear the
 * flags that no longer hold, and if units are free and others still
 * wait, wake the new first one (it may be that the up()s that left them
 * all woke us).  Returns whom to kick.
 */
static struct ksync_cpu *waiter_leave(struct semaphore *sem,
				      struct semaphore_waiter *waiter)
{
	bool was_first = sem->wait_list.next == &waiter->list;

	list_del(&waiter->list);
	if (list_empty(&sem->wait_list)) {
		flags_clear(sem, WAITERS | HANDOFF);
		return NULL;
	}
	if (was_first && (word_read(sem) & HANDOFF))
		flags_clear(sem, HANDOFF);	/* it was our request */
	if (word_read(sem) & COUNT_MASK)
		return wake_first(sem);
	return NULL;
}

/*
 * Before queueing, poll for a unit given back by a running holder: how
 * long, and the longest pause between two looks at the word (backoff,
 * so that the holders' up() and down() keep the line).  The same order
 * as the mutex's spin (docs/design-spinning.md); a futex sleep and
 * wake-up cost more.
 */
#define SPIN_NS			10000ull
#define SPIN_BACKOFF_MAX_NS	800u

/*
 * A semaphore has no owner, so whether its holders run is not known.
 * Spin only while nobody sleeps in the wait list (then the units are
 * held by threads that took them on the fast path or by spinning, and
 * likely run), never with HANDOFF set (the next unit is promised), and
 * never when this thread may run on one CPU only (ksync_spin_pays()).
 * True if we took a unit.
 */
static bool spin_for_unit(struct semaphore *sem, struct ksync_cpu *me)
{
	unsigned int step = 1, max = ksync_relax_rounds(SPIN_BACKOFF_MAX_NS);
	uint64_t deadline;
	unsigned long long w;

	if (!ksync_spin_pays(me))
		return false;
	deadline = ksync_spin_deadline(SPIN_NS);
	while (!((w = word_read(sem)) & (WAITERS | HANDOFF))) {
		if ((w & COUNT_MASK) && __ksync_sem_take(sem))
			return true;
		if (ksync_spin_expired(deadline))
			return false;
		for (unsigned int i = 0; i < step; i++)
			cpu_relax();
		if (step < max)
			step <<= 1;
	}
	return false;
}

/*
 * Sleep until we take a unit, up() hands us one, a signal that state
 * allows arrives, or the timeout runs out.  The task state is set before
 * the signal check: ksync's schedule does not look at signals, so a
 * fatal signal sent after the check must find us in a wakeable state
 * (the kernel's __schedule() re-checks instead).
 */
KSYNC_API int ksync_down_slow(struct semaphore *sem, unsigned int state,
			      long timeout, const struct ksync_site *site)
{
	struct ksync_cpu *me = ksync_this_cpu(), *kick;
	struct semaphore_waiter waiter = { .task = me, .up = false };
	bool timed_out = timeout <= 0, asked = false;
	uint64_t deadline = timed_out ? 0 : ksync_jiffies_deadline(timeout);
	uint64_t since = ksync_now_ns();
	unsigned long flags;
	int ret;

	if (spin_for_unit(sem, me))
		return 0;
	ksync_wait_begin(me);
	flags = __ksync_raw_spin_lock_irqsave(&sem->lock, 0, site);
	list_add_tail(&waiter.list, &sem->wait_list);
	/* Before the tries below; see the top of this file. */
	flags_set(sem, WAITERS);
	for (;;) {
		if (waiter.up) {
			/* up() took us off the list and made us runnable. */
			__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
			return 0;
		}
		if (waiter_take(sem)) {
			ret = 0;
			break;
		}
		/*
		 * Once: HANDOFF then stays set until up() hands us a unit or
		 * we leave (nobody queues ahead of us, so we stay first).
		 */
		if (!asked && sem->wait_list.next == &waiter.list &&
		    ksync_now_ns() - since >= HANDOFF_NS) {
			asked = true;
			if (ask_handoff(sem)) {
				ret = 0;
				break;
			}
		}
		ksync_set_current_state(state);
		if (ksync_cpu_signal_pending_state(state, me)) {
			ret = -EINTR;
			break;
		}
		if (timed_out) {
			ret = -ETIME;
			break;
		}
		__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
		timed_out = !ksync_schedule_spin_until(deadline);
		flags = __ksync_raw_spin_lock_irqsave(&sem->lock, 0, site);
	}
	ksync___set_current_state(TASK_RUNNING);
	kick = waiter_leave(sem, &waiter);
	__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
	if (kick)
		ksync_task_kick(kick);
	return ret;
}

static void up_overflow(struct semaphore *sem, const struct ksync_site *site)
{
	uintptr_t was = ksync_site_caller_begin(site, RET_IP);

	ksync_warn_once(site, "up(%s): semaphore count overflow (more up() than "
			"the count can hold): count left at %u\n",
			site && site->expr ? site->expr : "",
			(unsigned int)(word_read(sem) & COUNT_MASK));
	ksync_site_caller_end(was);
}

/* Give the unit to the first waiter, which asked for it (lock held). */
static struct ksync_cpu *handoff_first(struct semaphore *sem)
{
	struct semaphore_waiter *w =
		list_first_entry(&sem->wait_list, struct semaphore_waiter, list);

	list_del(&w->list);
	flags_clear(sem, list_empty(&sem->wait_list) ? WAITERS | HANDOFF : HANDOFF);
	/* Once we unlock, the waiter may return and its frame is gone. */
	w->up = true;
	return ksync_task_set_running(w->task, ~0u) ? w->task : NULL;
}

KSYNC_API void ksync_up_slow(struct semaphore *sem, const struct ksync_site *site)
{
	struct ksync_cpu *kick = NULL;
	unsigned long long w;
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(&sem->lock, 0, site);
	/* The flags cannot change now; the count still can (CAS below). */
	w = word_read(sem);
	if (w & HANDOFF) {
		kick = handoff_first(sem);
	} else {
		for (;;) {
			if ((w & COUNT_MASK) == COUNT_MASK) {
				/* The kernel lets the count wrap; ksync says so instead. */
				__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
				up_overflow(sem, site);
				return;
			}
			/* Release: as the fast path's. */
			if (__atomic_compare_exchange_n(&sem->word, &w, w + 1, 1,
							__ATOMIC_RELEASE, __ATOMIC_RELAXED))
				break;
		}
		if (w & WAITERS)
			kick = wake_first(sem);
	}
	__ksync_raw_spin_unlock_irqrestore(&sem->lock, flags, site);
	/* After the unlock, so that the wakee does not wait for our lock. */
	if (kick)
		ksync_task_kick(kick);
}
