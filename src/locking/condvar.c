// SPDX-License-Identifier: MIT
/*
 * Condition variables (rust/kernel/sync/condvar.rs): a wait queue whose
 * waits release a held lock and retake it.
 *
 * The order is the Rust code's: queue as an exclusive waiter and set the
 * task state, release the lock, sleep, leave the queue, retake the lock.
 * Being queued with a sleeping state before the lock goes is what makes
 * "release and sleep" atomic: a notify that runs at any point after the
 * release finds the waiter queued and makes it runnable, so its sleep
 * returns at once.
 *
 * The lock is released and retaken through a backend chosen from the
 * lock's type in <ksync/condvar.h>; the spinlock backends are here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include <ksync/condvar.h>
#include "cpu.h"
#include "debug_checks.h"
#include "site.h"
#include "report.h"
#include "sched_internal.h"

KSYNC_API void ksync_condvar_init(struct condvar *cv, const char *name,
				  struct lock_class_key *key)
{
	ksync___init_waitqueue_head(&cv->wait_queue_head, name, key);
}

/* --- the spinlock backends ------------------------------------------------ */

/* How the caller had interrupts while holding the spinlock. */
enum spin_irq_mode {
	SPIN_IRQS_ON,		/* spin_lock() */
	SPIN_IRQS_OFF,		/* spin_lock_irq(), spin_lock_irqsave() */
	SPIN_IRQS_COUNTED,	/* spin_lock_irq_disable() */
};

/* Debug mode only: the debug lock path records the owner's CPU block. */
static bool spin_held(void *lock)
{
	raw_spinlock_t *l = lock;
	void *me = ksync_this_cpu_or_null();

	return me && queued_spin_is_locked(&l->raw_lock) &&
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me;
}

/*
 * Release for the sleep; interrupts the caller had masked come back on,
 * as sleeping with them off is a bug (and might_sleep() would say so).
 */
static unsigned long spin_unlock_for_wait(void *lock, const struct ksync_site *site)
{
	enum spin_irq_mode mode = SPIN_IRQS_ON;

	if (irqs_disabled())
		mode = local_interrupt_disable_count() ? SPIN_IRQS_COUNTED : SPIN_IRQS_OFF;
	__ksync_raw_spin_unlock(lock, site);
	if (mode == SPIN_IRQS_COUNTED)
		__ksync_local_interrupt_enable(site);
	else if (mode == SPIN_IRQS_OFF)
		__ksync_local_irq_enable(site);
	return mode;
}

static void spin_relock_after_wait(void *lock, unsigned long mode,
				   const struct ksync_site *site)
{
	if (mode == SPIN_IRQS_COUNTED)
		(void)__ksync_local_interrupt_disable(site);
	else if (mode == SPIN_IRQS_OFF)
		__ksync_local_irq_disable(site);
	__ksync_raw_spin_lock(lock, 0, site);
}

/* spinlock_t starts with its raw_spinlock_t: one set of functions serves. */
KSYNC_API const struct ksync_condvar_backend ksync_condvar_spinlock_backend = {
	.name = "spinlock_t",
	.held = spin_held,
	.unlock = spin_unlock_for_wait,
	.relock = spin_relock_after_wait,
};

KSYNC_API const struct ksync_condvar_backend ksync_condvar_raw_spinlock_backend = {
	.name = "raw_spinlock_t",
	.held = spin_held,
	.unlock = spin_unlock_for_wait,
	.relock = spin_relock_after_wait,
};

_Static_assert(offsetof(spinlock_t, rlock) == 0,
	       "the spinlock backend takes a spinlock_t as its raw_spinlock_t");

/* --- waiting and notifying ------------------------------------------------- */

static void report_not_held(const struct ksync_condvar_backend *backend,
			    const struct ksync_site *site)
{
	ksync_warn_once(site, "condvar_wait(): %s (a %s) is not held by this "
			"thread: waiting without releasing it\n",
			site && site->expr ? site->expr : "the lock", backend->name);
}

/* Sleep unless a signal is already pending: schedule() would not sleep. */
static long sleep_for_notify(struct ksync_cpu *me, unsigned int state,
			     long timeout)
{
	uint64_t deadline = 0;

	if (ksync_cpu_signal_pending_state(state, me)) {
		ksync___set_current_state(TASK_RUNNING);
		return timeout;
	}
	return ksync_wait_schedule_timeout(&deadline, timeout);
}

KSYNC_API long ksync_condvar_wait(struct condvar *cv, void *lock,
				  const struct ksync_condvar_backend *backend,
				  unsigned int state, long timeout,
				  const struct ksync_site *site)
{
	struct wait_queue_head *wq = &cv->wait_queue_head;
	struct wait_queue_entry wait;
	struct ksync_cpu *me;
	unsigned long cookie = 0;
	bool held = true, notified, signalled;
	long left;

	if (ksync_debug_checks() && !backend->held(lock)) {
		report_not_held(backend, site);
		held = false;
	}
	ksync_init_wait_entry(&wait, WQ_FLAG_EXCLUSIVE);
	me = task_cpu_block(wait.private);
	ksync_prepare_to_wait(wq, &wait, state, true, site);
	if (held)
		cookie = backend->unlock(lock, site);
	__ksync_might_sleep(site, 0);
	left = sleep_for_notify(me, state, timeout);
	/* Off the queue already: a notify chose us. */
	notified = ksync_finish_wait(wq, &wait, site);
	signalled = ksync_cpu_signal_pending_state(state, me);
	/*
	 * Interrupted after a notify_one() picked us: pass it on, or a waiter
	 * that would act on it could sleep through it.  (After notify_all()
	 * this is one spurious wakeup, which waiters allow for.)
	 */
	if (signalled && notified)
		ksync___wake_up(wq, TASK_NORMAL, 1, NULL, site);
	if (held)
		backend->relock(lock, cookie, site);
	if (signalled)
		return -EINTR;
	/* A notify that came as the time ran out still counts as one. */
	if (notified && !left)
		left = 1;
	return left;
}

KSYNC_API void ksync_condvar_notify(struct condvar *cv, int count,
				    const struct ksync_site *site)
{
	ksync___wake_up(&cv->wait_queue_head, TASK_NORMAL, count, NULL, site);
}
