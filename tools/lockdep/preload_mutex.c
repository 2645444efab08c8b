// SPDX-License-Identifier: MIT
/*
 * libksync-preload: pthread_mutex_*.
 *
 * Validating, every call goes to the C library, with lockdep told first:
 * an acquisition before the lock is waited for (so a deadlock is reported
 * rather than hung), a release before the unlock.  A recursive mutex is
 * one acquisition for lockdep, however deep it is taken.
 *
 * Replacing, a mutex is a ksync struct mutex.  It does not fit in a
 * pthread_mutex_t, so the first word of the pthread_mutex_t points to it
 * (0 in a PTHREAD_MUTEX_INITIALIZER, so it is made on first use); the
 * type stays where the C library's static initialisers put it
 * (__data.__kind), and recursion and error checking are done here.
 * Process-shared, robust and priority-protocol mutexes stay the C
 * library's: their __kind carries flags that mark them.
 */
#include "preload.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <ksync/mutex.h>

/* The C library's __kind flags (nptl's pthreadP.h). */
#define KIND_TYPE_MASK		3
#define KIND_ROBUST		16
#define KIND_PRIO_INHERIT	32
#define KIND_PRIO_PROTECT	64
#define KIND_PSHARED		128
#define KIND_GLIBC_ONLY		(KIND_ROBUST | KIND_PRIO_INHERIT | KIND_PRIO_PROTECT | KIND_PSHARED)

static int mutex_type(const pthread_mutex_t *m)
{
	return m->__data.__kind & KIND_TYPE_MASK;
}

/* --- replaced: a ksync struct mutex -------------------------------------------------- */

/*
 * The fields of ours first, so that depth shares the cache line of the
 * mutex's owner word: every lock and unlock writes both, and a struct
 * mutex is longer than a line (160 bytes), so with depth after it each
 * acquisition dirtied two lines, and a mutex last taken on another CPU
 * cost two cache-line transfers instead of one.  (preload_alloc() puts
 * objects on line boundaries.)
 */
struct rmutex {
	unsigned int depth;	/* recursion; the owner's alone */
	int type;
	const pthread_mutex_t *user;	/* the pthread_mutex_t it stands for */
	struct mutex m;
};

_Static_assert(offsetof(struct rmutex, m.owner) + sizeof(atomic_long_t) <= 64,
	       "depth and the owner word share the first cache line");

static void print_rmutex(const struct lockdep_map *map)
{
	const struct rmutex *r = (const void *)((const char *)map -
						offsetof(struct rmutex, m.dep_map));

	ksync_report_printf(" @%p", (const void *)r->user);
}

static struct lock_class_key plain_key;

static struct rmutex **rmutex_slot(pthread_mutex_t *m)
{
	return (struct rmutex **)(void *)m;
}

bool preload_mutex_replaced(const pthread_mutex_t *m)
{
	if (!preload_replacing(REPLACE_MUTEX) || (m->__data.__kind & KIND_GLIBC_ONLY) ||
	    preload_is_foreign(m))
		return false;
	return !preload_keep_foreign(m);
}

static struct rmutex *rmutex_new(pthread_mutex_t *m, uintptr_t ip, bool from_init)
{
	struct rmutex *r = preload_obj_get(POOL_MUTEX, sizeof(*r));
	struct shadow *s;

	if (!r)
		return NULL;
	/* The class lockdep will know it by, if lockdep is on. */
	s = shadow_for_replaced(m, SHADOW_MUTEX, ip, from_init);
	preload_busy++;
	ksync_mutex_init(&r->m, s ? s->map.name : "pthread_mutex",
			 s ? s->map.key : &plain_key);
	if (s)
		preload_set_cmp_fn(&r->m.dep_map, print_rmutex);
	r->type = mutex_type(m);
	r->user = m;
	preload_busy--;
	return r;
}

static struct rmutex *rmutex_of(pthread_mutex_t *m, uintptr_t ip)
{
	struct rmutex **slot = rmutex_slot(m), *r, *none = NULL;

	/* Acquire: pairs with the release that published a complete mutex. */
	r = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (__builtin_expect(r != NULL, 1))
		return r;
	r = rmutex_new(m, ip, false);
	if (!r)
		return NULL;
	if (!__atomic_compare_exchange_n(slot, &none, r, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		preload_obj_put(POOL_MUTEX, r);	/* someone else's came first */
		r = none;
	}
	return r;
}

static bool owned_by_me(struct rmutex *r)
{
	long owner = atomic_long_read(&r->m.owner) & ~(long)MUTEX_FLAGS;

	return owner && owner == (long)ksync_tls.cpu;
}

/* Locked by this thread already: what the type says to do. */
static int relock(struct rmutex *r, bool trylock)
{
	if (r->type == PTHREAD_MUTEX_RECURSIVE) {
		if (r->depth == ~0u)
			return EAGAIN;
		r->depth++;
		return 0;
	}
	if (trylock)
		return EBUSY;
	if (r->type == PTHREAD_MUTEX_ERRORCHECK)
		return EDEADLK;
	return -1;	/* normal: deadlock, as the C library would */
}

/*
 * A free mutex, taken with one compare-and-exchange on its owner word as
 * the C library's is.  Asking owned_by_me() first read that word, which
 * fetched its cache line shared and then again for ownership when
 * another CPU had used the mutex last: two transfers where glibc has one.
 * A mutex this thread holds is never free, so recursion can be looked
 * for after a failed try.  Not when validating (the fast path is off
 * then, and lockdep must see a lock, not a trylock).
 */
static bool rmutex_lock_fast(struct rmutex *r, uintptr_t ip)
{
	if (!__ksync_mutex_trylock_fast(&r->m))
		return false;	/* __ksync_mutex_lock() checks might_sleep() */
	r->depth = 1;
	preload_blame(ip);	/* a might_sleep() report names the program's call */
	__ksync_might_sleep(NULL, 0);
	preload_unblame();
	return true;
}

static int rmutex_lock(pthread_mutex_t *m, uintptr_t ip, uint64_t deadline)
{
	struct rmutex *r = rmutex_of(m, ip);
	int ret = 0;

	if (!r)
		return ENOMEM;
	if (!deadline && rmutex_lock_fast(r, ip))
		return 0;
	if (owned_by_me(r) && (ret = relock(r, false)) >= 0) {
		if (ret == EDEADLK)
			preload_tell_relock(&r->m.dep_map, 0, ip);
		return ret;
	}
	preload_blame(ip);
	if (deadline)
		ret = ksync_mutex_lock_until(&r->m, deadline, NULL) ? ETIMEDOUT : 0;
	else
		__ksync_mutex_lock(&r->m, TASK_UNINTERRUPTIBLE, 0, NULL, NULL);
	preload_unblame();
	if (!ret)
		r->depth = 1;
	return ret;
}

static int rmutex_trylock(pthread_mutex_t *m, uintptr_t ip)
{
	struct rmutex *r = rmutex_of(m, ip);
	int ok;

	if (!r)
		return ENOMEM;
	/* Free: taken at once (see rmutex_lock_fast()). */
	if (__ksync_mutex_trylock_fast(&r->m)) {
		r->depth = 1;
		return 0;
	}
	if (owned_by_me(r))
		return relock(r, true);
	preload_blame(ip);
	ok = __ksync_mutex_trylock(&r->m, NULL);
	preload_unblame();
	if (!ok)
		return EBUSY;
	r->depth = 1;
	return 0;
}

/*
 * Unlocking a mutex this thread does not hold: EPERM for every type.
 * (POSIX leaves it undefined for normal mutexes, where the C library
 * would release someone else's lock.)
 */
static int rmutex_unlock(pthread_mutex_t *m, uintptr_t ip)
{
	struct rmutex *r = rmutex_of(m, ip);

	if (!r)
		return EPERM;
	if (!owned_by_me(r)) {
		preload_tell_bad_unlock(&r->m.dep_map, ip);
		return EPERM;
	}
	if (r->depth > 1) {
		r->depth--;
		return 0;
	}
	r->depth = 0;
	preload_blame(ip);
	__ksync_mutex_unlock(&r->m, NULL);
	preload_unblame();
	return 0;
}

static int rmutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr, uintptr_t ip)
{
	int type = PTHREAD_MUTEX_DEFAULT, pshared = PTHREAD_PROCESS_PRIVATE;
	int robust = PTHREAD_MUTEX_STALLED, protocol = PTHREAD_PRIO_NONE;
	struct rmutex *r;

	if (attr) {
		pthread_mutexattr_gettype(attr, &type);
		pthread_mutexattr_getpshared(attr, &pshared);
		pthread_mutexattr_getrobust(attr, &robust);
		pthread_mutexattr_getprotocol(attr, &protocol);
	}
	/* Shared with other processes, robust, PI/PP: the C library's. */
	if (pshared != PTHREAD_PROCESS_PRIVATE || robust != PTHREAD_MUTEX_STALLED ||
	    protocol != PTHREAD_PRIO_NONE)
		return -1;
	memset(m, 0, sizeof(*m));
	m->__data.__kind = type;
	r = rmutex_new(m, ip, true);
	if (!r)
		return ENOMEM;
	__atomic_store_n(rmutex_slot(m), r, __ATOMIC_RELEASE);
	return 0;
}

static int rmutex_destroy(pthread_mutex_t *m)
{
	struct rmutex *r = __atomic_load_n(rmutex_slot(m), __ATOMIC_ACQUIRE);
	struct shadow *s;

	if (!r)
		return 0;
	if (mutex_is_locked(&r->m))
		return EBUSY;
	s = shadow_find(m);
	if (s)
		s->destroyed = 1;
	__atomic_store_n(rmutex_slot(m), NULL, __ATOMIC_RELAXED);
	preload_obj_put(POOL_MUTEX, r);
	return 0;
}

/* --- validated: the C library's mutex, lockdep told --------------------------------- */

/* A recursive mutex taken again by its owner: not a new acquisition. */
static bool taken_again(const pthread_mutex_t *m)
{
	return mutex_type(m) == PTHREAD_MUTEX_RECURSIVE &&
	       m->__data.__owner == preload_gettid();
}

static struct shadow *vmutex_acquire(pthread_mutex_t *m, uintptr_t ip)
{
	struct shadow *s;

	if (taken_again(m))
		return NULL;
	s = shadow_get(m, SHADOW_MUTEX, ip);
	preload_acquire(s, 0, 0, ip);
	return s;
}

static struct shadow *vmutex_release(pthread_mutex_t *m, uintptr_t ip)
{
	struct shadow *s;

	if (taken_again(m) && m->__data.__count > 1)
		return NULL;
	s = shadow_get(m, SHADOW_MUTEX, ip);
	preload_release(s, ip);
	return s;
}

/* --- the entry points ---------------------------------------------------------------- */

PRELOAD_API int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	uintptr_t ip = RET_IP;
	int ret;

	if (preload_init_replaces(m, REPLACE_MUTEX) && (ret = rmutex_init(m, attr, ip)) >= 0)
		return ret;
	ret = realfn()->real_mutex_init(m, attr);
	if (!ret && preload_validating())
		shadow_init(m, SHADOW_MUTEX, ip);
	return ret;
}

PRELOAD_API int pthread_mutex_destroy(pthread_mutex_t *m)
{
	if (preload_mutex_replaced(m))
		return rmutex_destroy(m);
	preload_destroyed(m);
	return realfn()->real_mutex_destroy(m);
}

/*
 * Wait for the C library's mutex as a sleep the hung-task detector
 * watches: first until the moment it wants our backtrace, then for good.
 */
static int watched_mutex_lock(pthread_mutex_t *m)
{
	struct timespec at;
	int ret;

	if (ksync_interposer_sleep_begin(&at) && realfn()->real_mutex_clocklock) {
		ret = realfn()->real_mutex_clocklock(m, CLOCK_MONOTONIC, &at);
		if (ret == ETIMEDOUT) {
			ksync_interposer_sleep_long();
			ret = realfn()->real_mutex_lock(m);
		}
	} else {
		ret = realfn()->real_mutex_lock(m);
	}
	ksync_interposer_sleep_end();
	return ret;
}

PRELOAD_API int pthread_mutex_lock(pthread_mutex_t *m)
{
	uintptr_t ip = RET_IP;
	struct shadow *s;
	int ret;

	if (preload_mutex_replaced(m))
		return rmutex_lock(m, ip, 0);
	if (!preload_validating())
		return realfn()->real_mutex_lock(m);
	s = vmutex_acquire(m, ip);
	/*
	 * A failed try makes the wait that follows a contention (lock_stat)
	 * and a sleep the hung-task detector watches.
	 */
	if (s && !realfn()->real_mutex_trylock(m)) {
		ret = 0;
	} else if (s) {
		if (preload_stat())
			preload_contended(s, ip);
		ret = watched_mutex_lock(m);
	} else {
		ret = realfn()->real_mutex_lock(m);
	}
	if (ret)
		preload_release(s, ip);
	else
		preload_acquired(s, ip);
	return ret;
}

PRELOAD_API int pthread_mutex_trylock(pthread_mutex_t *m)
{
	uintptr_t ip = RET_IP;
	bool again;
	int ret;

	if (preload_mutex_replaced(m))
		return rmutex_trylock(m, ip);
	if (!preload_validating())
		return realfn()->real_mutex_trylock(m);
	again = taken_again(m);
	ret = realfn()->real_mutex_trylock(m);
	if (!ret && !again)
		preload_acquire(shadow_get(m, SHADOW_MUTEX, ip), 1, 0, ip);
	return ret;
}

static int timed_lock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime,
		      bool clocklock, uintptr_t ip)
{
	struct shadow *s;
	int ret;

	if (preload_mutex_replaced(m)) {
		if (!preload_timespec_valid(abstime) ||
		    (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC))
			return EINVAL;
		return rmutex_lock(m, ip, preload_deadline_ns(clock, abstime));
	}
	s = preload_validating() ? vmutex_acquire(m, ip) : NULL;
	if (clocklock)
		ret = realfn()->real_mutex_clocklock ? realfn()->real_mutex_clocklock(m, clock, abstime)
						: ENOSYS;
	else
		ret = realfn()->real_mutex_timedlock(m, abstime);
	if (ret)
		preload_release(s, ip);
	return ret;
}

PRELOAD_API int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	return timed_lock(m, CLOCK_REALTIME, abstime, false, RET_IP);
}

PRELOAD_API int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
					const struct timespec *abstime)
{
	return timed_lock(m, clock, abstime, true, RET_IP);
}

PRELOAD_API int pthread_mutex_unlock(pthread_mutex_t *m)
{
	uintptr_t ip = RET_IP;

	if (preload_mutex_replaced(m))
		return rmutex_unlock(m, ip);
	if (preload_validating())
		vmutex_release(m, ip);
	return realfn()->real_mutex_unlock(m);
}

/* --- for condition variables ---------------------------------------------------------- */

bool preload_mutex_owned(pthread_mutex_t *m)
{
	struct rmutex *r;

	if (!preload_mutex_replaced(m))
		return m->__data.__owner == preload_gettid();
	r = __atomic_load_n(rmutex_slot(m), __ATOMIC_ACQUIRE);
	return r && owned_by_me(r);
}

/* Replaced mutexes: release all the way for the wait, as the C library does. */
int preload_mutex_unlock(pthread_mutex_t *m, uintptr_t ip)
{
	return rmutex_unlock(m, ip);
}

int preload_mutex_relock(pthread_mutex_t *m, uintptr_t ip)
{
	return rmutex_lock(m, ip, 0);
}

/*
 * The C library's mutexes: lockdep sees a wait's unlock and relock.  The
 * C library's wait lets go of a mutex only if it is locked once: a
 * recursive mutex locked deeper stays locked, one level less, and is not
 * taken again after the wait either (POSIX warns of it).  So lockdep is
 * told of a release only where there is one, and of the taking again
 * only after a release it was told of.  Returns whether it was told.
 */
bool preload_mutex_wait_begin(pthread_mutex_t *m, uintptr_t ip)
{
	if (!preload_validating() || (taken_again(m) && m->__data.__count > 1))
		return false;
	preload_release(shadow_get(m, SHADOW_MUTEX, ip), ip);
	return true;
}

/*
 * The mutex is held again, or about to be (the wait returned, or was
 * cancelled: the C library takes the mutex again before the cleanup
 * handlers run).  Not taken_again(): the owner is this thread again by
 * now, yet this is the first level of the mutex.
 */
void preload_mutex_wait_end(pthread_mutex_t *m, bool told, uintptr_t ip)
{
	if (told && preload_validating())
		preload_acquire(shadow_get(m, SHADOW_MUTEX, ip), 0, 0, ip);
}

/*
 * A wait with a mutex this thread does not hold: the wait fails (EPERM)
 * or, for a normal mutex of the C library's, lets go of someone else's
 * lock.  Lockdep reports the unlock of a lock not held, as for
 * pthread_mutex_unlock().
 */
void preload_mutex_wait_unowned(pthread_mutex_t *m, uintptr_t ip)
{
	struct rmutex *r;

	if (!preload_mutex_replaced(m)) {
		if (preload_validating())
			preload_release(shadow_get(m, SHADOW_MUTEX, ip), ip);
		return;
	}
	r = __atomic_load_n(rmutex_slot(m), __ATOMIC_ACQUIRE);
	if (r)
		preload_tell_bad_unlock(&r->m.dep_map, ip);
}
