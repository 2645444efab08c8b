// SPDX-License-Identifier: MIT
/*
 * libksync-preload: pthread_spin_*.
 *
 * A pthread_spinlock_t is one int, and so is ksync's queued spinlock: when
 * replacing, the int *is* an arch_spinlock_t (0 unlocked; there is no
 * static initialiser, pthread_spin_init() sets it), with its MCS queue
 * and its sleeping fallback when threads outnumber CPUs.  A process-shared spinlock cannot be one (the
 * queue nodes are per process), so those are remembered at init and left
 * to the C library.  Lockdep sees spinlocks through their shadow maps in
 * both modes.
 */
#include "preload.h"

#include <errno.h>

#include <ksync/qspinlock.h>

/* Process-shared spinlocks: few, so a small list checked only if any. */
#define MAX_SHARED	64
static const void *shared[MAX_SHARED];
static unsigned int nr_shared;
static arch_spinlock_t shared_lock = __ARCH_SPIN_LOCK_UNLOCKED;

static bool is_shared(const pthread_spinlock_t *l)
{
	if (__builtin_expect(!__atomic_load_n(&nr_shared, __ATOMIC_ACQUIRE), 1))
		return false;
	for (unsigned int i = 0; i < MAX_SHARED; i++)
		if (__atomic_load_n(&shared[i], __ATOMIC_RELAXED) == l)
			return true;
	return false;
}

static void set_shared(const pthread_spinlock_t *l, bool on)
{
	queued_spin_lock(&shared_lock);
	for (unsigned int i = 0; i < MAX_SHARED; i++) {
		const void *cur = __atomic_load_n(&shared[i], __ATOMIC_RELAXED);

		if (on && !cur) {
			__atomic_store_n(&shared[i], (const void *)l, __ATOMIC_RELAXED);
			/* Release: the entry is there before the count says so. */
			__atomic_fetch_add(&nr_shared, 1, __ATOMIC_RELEASE);
			break;
		}
		if (!on && cur == l) {
			__atomic_store_n(&shared[i], NULL, __ATOMIC_RELAXED);
			__atomic_fetch_sub(&nr_shared, 1, __ATOMIC_RELEASE);
			break;
		}
	}
	queued_spin_unlock(&shared_lock);
}

static bool replaced(const pthread_spinlock_t *l)
{
	return preload_replacing(REPLACE_SPIN) && !is_shared(l) && !preload_is_foreign((const void *)l);
}

static arch_spinlock_t *qlock(pthread_spinlock_t *l)
{
	_Static_assert(sizeof(arch_spinlock_t) == sizeof(pthread_spinlock_t),
		       "a queued spinlock must fit a pthread_spinlock_t");
	return (arch_spinlock_t *)(void *)l;
}

PRELOAD_API int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	uintptr_t ip = RET_IP;
	int ret;

	if (preload_replacing(REPLACE_SPIN) && preload_in_ksync())
		preload_set_foreign((const void *)l);
	else if (preload_replacing(REPLACE_SPIN))
		preload_clear_foreign((const void *)l);
	if (pshared == PTHREAD_PROCESS_SHARED && preload_replacing(REPLACE_SPIN)) {
		if (nr_shared >= MAX_SHARED)
			return ENOMEM;
		set_shared(l, true);
	}
	if (replaced(l)) {
		/* Ours: 0 is unlocked.  (x86-64's C library uses 1 for that.) */
		__atomic_store_n(&qlock(l)->val, 0, __ATOMIC_RELAXED);
		ret = 0;
	} else {
		ret = realfn()->real_spin_init(l, pshared);
	}
	if (!ret && preload_validating())
		shadow_init((const void *)l, SHADOW_SPIN, ip);
	return ret;
}

PRELOAD_API int pthread_spin_destroy(pthread_spinlock_t *l)
{
	struct shadow *s;

	if (preload_validating() && (s = shadow_find((const void *)l))) {
		ksync_debug_check_no_locks_freed(&s->map, sizeof(s->map));
		s->destroyed = 1;
	}
	if ((preload_replace & REPLACE_SPIN) && is_shared(l))
		set_shared(l, false);
	preload_clear_foreign((const void *)l);
	return realfn()->real_spin_destroy(l);
}

PRELOAD_API int pthread_spin_lock(pthread_spinlock_t *l)
{
	uintptr_t ip = RET_IP;
	struct shadow *s = NULL;

	if (preload_validating()) {
		s = shadow_get((const void *)l, SHADOW_SPIN, ip);
		preload_acquire(s, 0, 0, ip);
	}
	if (replaced(l)) {
		if (s && preload_stat() && queued_spin_trylock(qlock(l)))
			goto acquired;
		if (s && preload_stat())
			preload_contended(s, ip);
		queued_spin_lock(qlock(l));
	} else {
		if (s && preload_stat() && !realfn()->real_spin_trylock(l))
			goto acquired;
		if (s && preload_stat())
			preload_contended(s, ip);
		realfn()->real_spin_lock(l);
	}
acquired:
	preload_acquired(s, ip);
	return 0;
}

PRELOAD_API int pthread_spin_trylock(pthread_spinlock_t *l)
{
	uintptr_t ip = RET_IP;
	int ret;

	if (replaced(l))
		ret = queued_spin_trylock(qlock(l)) ? 0 : EBUSY;
	else
		ret = realfn()->real_spin_trylock(l);
	if (!ret && preload_validating())
		preload_acquire(shadow_get((const void *)l, SHADOW_SPIN, ip), 1, 0, ip);
	return ret;
}

PRELOAD_API int pthread_spin_unlock(pthread_spinlock_t *l)
{
	uintptr_t ip = RET_IP;

	if (preload_validating())
		preload_release(shadow_get((const void *)l, SHADOW_SPIN, ip), ip);
	if (replaced(l)) {
		queued_spin_unlock(qlock(l));
		return 0;
	}
	return realfn()->real_spin_unlock(l);
}
