// SPDX-License-Identifier: MIT
/*
 * A completion or wait queue head that nobody initialised, because it is
 * a static (or calloc()ed) object its author took for ready, is all
 * zeroes: an unlocked lock, but a list head of NULL pointers, on which
 * the first complete() or wake_up() crashed.  In the kernel a zero-filled
 * list head is as invalid; but a zeroed lock works there, and a C
 * programmer expects zeroed statics to be usable, so ksync makes such an
 * object what its initialiser would have made it, the first time it is
 * used: the list head points to itself, the inner lock gets its debug
 * fields and a lockdep map keyed by its address (as any lock without a
 * key), and only then its magic, which is what every entry point looks
 * at first.  With KSYNC_DEBUG or KSYNC_LOCKDEP this is reported once, as
 * a warning: it is still a bug to fix.
 *
 * Racing first users serialise on one global lock, held with interrupts
 * masked so that a handler on the same thread that completes the same
 * object waits for nothing; each re-checks the magic under it.  Garbage
 * (a magic neither 0 nor an initialised lock's) is left alone here: the
 * inner lock's debug check reports it and stops.
 */
#define _GNU_SOURCE
#include <stdbool.h>

#include <ksync/irqflags.h>
#include <ksync/lockdep.h>
#include <ksync/qspinlock.h>
#include "debug_checks.h"
#include "site.h"
#include "report.h"
#include "zero_init.h"

static arch_spinlock_t zero_init_lock = __ARCH_SPIN_LOCK_UNLOCKED;

static void init_fields(raw_spinlock_t *lock, struct ksync_list_head *list,
			int wait_type, const char *name)
{
	/* Relaxed: published by the release of the magic below. */
	__atomic_store_n(&list->next, list, __ATOMIC_RELAXED);
	__atomic_store_n(&list->prev, list, __ATOMIC_RELAXED);
	lock->owner = SPINLOCK_OWNER_INIT;
	lock->owner_cpu = -1;
	/* The lock word is left as it is: 0, unlocked, as zeroes are. */
	ksync_lockdep_init_map(&lock->dep_map, name, NULL, 0, wait_type,
			       KSYNC_LOCK_SPIN);
	__atomic_store_n(&lock->magic, SPINLOCK_MAGIC, __ATOMIC_RELEASE);
}

void ksync_init_zero_filled(raw_spinlock_t *lock, struct ksync_list_head *list,
			    int wait_type, const char *what, const char *inits,
			    const struct ksync_site *site)
{
	const char *name = site && site->expr ? site->expr : what;
	unsigned long flags;
	bool done_here = false;

	if (__atomic_load_n(&lock->magic, __ATOMIC_ACQUIRE) != 0)
		return;		/* initialised meanwhile, or garbage */
	raw_local_irq_save(flags);
	queued_spin_lock(&zero_init_lock);
	if (__atomic_load_n(&lock->magic, __ATOMIC_ACQUIRE) == 0) {
		init_fields(lock, list, wait_type, name);
		done_here = true;
	}
	queued_spin_unlock(&zero_init_lock);
	raw_local_irq_restore(flags);
	if (done_here && ksync_debug_checks())
		ksync_warn_once(site, "%s%s%s used without %s: zero-filled, "
				"initialised now\n", what, name != what ? " " : "",
				name != what ? name : "", inits);
}
