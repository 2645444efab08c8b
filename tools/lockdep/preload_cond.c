// SPDX-License-Identifier: MIT
/*
 * libksync-preload: pthread_cond_*.
 *
 * Validating: the C library waits; lockdep sees the mutex released for
 * the wait and taken again after it, which is what happens.
 *
 * Replacing: a condition variable must release and retake the program's
 * mutex, now a ksync mutex the C library's condvar cannot handle, so it
 * is ksync's: a sequence number that every signal bumps, and a futex wait
 * on it.  A waiter reads the sequence while holding the mutex, so a signal
 * made after it let go changes the number and the futex wait returns at
 * once: no wakeup is lost.  Wakeups may be spurious, as POSIX allows.  It
 * lives in the first bytes of the pthread_cond_t, zero in
 * PTHREAD_COND_INITIALIZER; process-shared condition variables stay the C
 * library's (its __wrefs marks them), and wait with a replaced mutex
 * through a mutex of the C library's (shared_wait()).  As POSIX requires,
 * a wait is a cancellation point, and destroy waits until the waiters a
 * broadcast woke have left.
 */
#include "preload.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#define COND_SHARED_MASK	1u	/* the C library's __wrefs bit */
#define COND_DESTROYING		0x80000000u	/* in waiters: destroy waits */

struct rcond {
	uint32_t seq;		/* futex word: bumped by every signal */
	uint32_t waiters;	/* in the wait or on their way out, | DESTROYING */
	uint32_t clock;		/* CLOCK_REALTIME (0) or CLOCK_MONOTONIC */
};

_Static_assert(sizeof(struct rcond) <= offsetof(struct __pthread_cond_s, __wrefs),
	       "the replacement condvar must leave __wrefs alone");

static struct rcond *rcond(pthread_cond_t *c)
{
	return (struct rcond *)(void *)c;
}

static bool replaced(const pthread_cond_t *c)
{
	return preload_replacing(REPLACE_COND) && !(c->__data.__wrefs & COND_SHARED_MASK) &&
	       !preload_is_foreign(c);
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

/* A wait in progress: what it needs to end, normally or cancelled. */
struct waiting {
	struct rcond *rc;
	pthread_mutex_t *m;
	uintptr_t ip;
	bool told;		/* lockdep was told the C library's mutex went */
};

/* Let go of the mutex for the wait, whoever implements it. */
static int release_mutex(struct waiting *w)
{
	if (preload_mutex_replaced(w->m))
		return preload_mutex_unlock(w->m, w->ip);
	w->told = preload_mutex_wait_begin(w->m, w->ip);
	return realfn()->real_mutex_unlock(w->m);
}

static void retake_mutex(struct waiting *w)
{
	if (preload_mutex_replaced(w->m)) {
		preload_mutex_relock(w->m, w->ip);
		return;
	}
	preload_mutex_wait_end(w->m, w->told, w->ip);
	realfn()->real_mutex_lock(w->m);
}

/*
 * The waiter's last touch of the condition variable.  Release: its reads
 * of it come before a destroyer's return (which acquires the count).  A
 * destroyer waiting for the count is woken by the last one out; that
 * wake may reach memory reused already, where it is a spurious wakeup,
 * which every futex user tolerates (the C library's condvar does the
 * same).
 */
static void rcond_leave(struct rcond *rc)
{
	uint32_t old = __atomic_fetch_sub(&rc->waiters, 1, __ATOMIC_RELEASE);

	if (old == (COND_DESTROYING | 1))
		futex(&rc->waiters, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

/*
 * Cancelled in the wait (POSIX: a cancellation point): the mutex is held
 * again before the program's cleanup handlers run.  A signal may have
 * woken this waiter just before the cancellation took it: POSIX says a
 * cancelled waiter must not consume a signal others wait for, so wake
 * one more (a spurious wakeup at worst) before leaving.
 */
static void rcond_cancelled(void *arg)
{
	struct waiting *w = arg;

	futex(&w->rc->seq, FUTEX_WAKE_PRIVATE, 1, NULL);
	rcond_leave(w->rc);
	retake_mutex(w);
}

/*
 * The futex wait, as a cancellation point: cancellation is asynchronous
 * during the system call alone, as in the C library's own waits (a
 * cancellation pending on entry is acted on at once).  Returns the
 * system call's result, errno kept in *err.
 */
static long cancellable_wait(struct waiting *w, int op, uint32_t seq,
			     const struct timespec *ts, int *err)
{
	int oldtype;
	long r;

	pthread_cleanup_push(rcond_cancelled, w);
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &oldtype);
	r = futex(&w->rc->seq, op, seq, ts);
	*err = errno;
	pthread_setcanceltype(oldtype, NULL);
	pthread_cleanup_pop(0);
	return r;
}

static int rcond_wait(pthread_cond_t *c, pthread_mutex_t *m, bool timed, clockid_t clock,
		      const struct timespec *abstime, uintptr_t ip)
{
	struct waiting w = { rcond(c), m, ip, false };
	int saved_errno = errno, ret = 0, err = 0, op;
	struct timespec ts;
	uint32_t seq;
	long r;

	if (timed && (!preload_timespec_valid(abstime) ||
		      (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)))
		return EINVAL;
	if (!preload_mutex_owned(m)) {
		preload_mutex_wait_unowned(m, ip);
		return EPERM;
	}
	/*
	 * seq_cst, with the signaller's bump and its read of waiters: either
	 * it sees us counted and wakes, or we see its bump in the futex wait.
	 */
	seq = __atomic_load_n(&w.rc->seq, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&w.rc->waiters, 1, __ATOMIC_SEQ_CST);
	if (release_mutex(&w)) {
		rcond_leave(w.rc);
		return EPERM;
	}
	if (timed) {
		ts = *abstime;
		op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG |
		     (clock == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
		r = cancellable_wait(&w, op, seq, &ts, &err);
		if (r < 0 && err == ETIMEDOUT)
			ret = ETIMEDOUT;
	} else {
		cancellable_wait(&w, FUTEX_WAIT_PRIVATE, seq, NULL, &err);
	}
	rcond_leave(w.rc);
	retake_mutex(&w);
	errno = saved_errno;
	return ret;
}

static int rcond_wake(pthread_cond_t *c, int n)
{
	struct rcond *rc = rcond(c);
	int saved_errno = errno;

	/* seq_cst: see rcond_wait(). */
	__atomic_fetch_add(&rc->seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&rc->waiters, __ATOMIC_SEQ_CST))
		futex(&rc->seq, FUTEX_WAKE_PRIVATE, (uint32_t)n, NULL);
	errno = saved_errno;
	return 0;
}

/*
 * POSIX lets a program destroy a condition variable as soon as no thread
 * is blocked on it - right after a broadcast, say - and reuse the memory,
 * while the woken waiters have yet to leave the wait.  So wait for them
 * to leave, as the C library does (a waiter leaves before it takes the
 * mutex, so holding the mutex here is fine).  Waiters still blocked, which
 * POSIX makes undefined, keep destroy waiting.
 */
static int rcond_destroy(pthread_cond_t *c)
{
	struct rcond *rc = rcond(c);
	int saved_errno = errno;
	/* Acquire: pairs with each leaver's release (rcond_leave()). */
	uint32_t w = __atomic_or_fetch(&rc->waiters, COND_DESTROYING, __ATOMIC_ACQUIRE);

	while (w != COND_DESTROYING) {
		futex(&rc->waiters, FUTEX_WAIT_PRIVATE, w, NULL);
		w = __atomic_load_n(&rc->waiters, __ATOMIC_ACQUIRE);
	}
	errno = saved_errno;
	return 0;
}

/*
 * A condition variable of the C library's (process-shared) used with a
 * replaced mutex: the C library's wait cannot let go of a ksync mutex, so
 * it waits with a mutex of its own, handoff, taken before the ksync mutex
 * is let go and given up by the wait once it has counted this thread in.
 * Signals of such condition variables take handoff too, so that none
 * made under the ksync mutex falls between its release and the wait.
 * (A signal from another process cannot have been made under this
 * process's private mutex: no ordering was promised to it.)
 */
static pthread_mutex_t handoff = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handoff_once = PTHREAD_ONCE_INIT;

static void handoff_prepare(void)
{
	realfn()->real_mutex_lock(&handoff);
}

static void handoff_parent(void)
{
	realfn()->real_mutex_unlock(&handoff);
}

static void handoff_child(void)
{
	realfn()->real_mutex_init(&handoff, NULL);
}

/*
 * fork() must not copy handoff held.  Registered at first use, after the
 * handlers of ksync and of the rest of this library, so that it is taken
 * before their locks: a thread holding handoff may take those (lockdep's,
 * letting go of the ksync mutex), never the other way round.
 */
static void handoff_atfork(void)
{
	pthread_atfork(handoff_prepare, handoff_parent, handoff_child);
}

static void handoff_lock(void)
{
	pthread_once(&handoff_once, handoff_atfork);
	realfn()->real_mutex_lock(&handoff);
}

/* Cancelled: the C library took handoff again; give it up, retake ours. */
static void shared_cancelled(void *arg)
{
	struct waiting *w = arg;

	realfn()->real_mutex_unlock(&handoff);
	preload_mutex_relock(w->m, w->ip);
}

static int shared_wait(pthread_cond_t *c, pthread_mutex_t *m, int kind, clockid_t clock,
		       const struct timespec *abstime, uintptr_t ip)
{
	const struct real_pthread *f = realfn();
	struct waiting w = { NULL, m, ip, false };
	int ret;

	if (!preload_mutex_owned(m)) {
		preload_mutex_wait_unowned(m, ip);
		return EPERM;
	}
	handoff_lock();
	preload_mutex_unlock(m, ip);
	pthread_cleanup_push(shared_cancelled, &w);
	if (kind == 0)
		ret = f->real_cond_wait(c, &handoff);
	else if (kind == 1)
		ret = f->real_cond_timedwait(c, &handoff, abstime);
	else
		ret = f->real_cond_clockwait ?
		      f->real_cond_clockwait(c, &handoff, clock, abstime) : ENOSYS;
	pthread_cleanup_pop(0);
	f->real_mutex_unlock(&handoff);
	preload_mutex_relock(m, ip);
	return ret;
}

/* A signal or broadcast of a condition variable of the C library's. */
static int vcond_wake(pthread_cond_t *c, bool all)
{
	const struct real_pthread *f = realfn();
	bool handed = preload_replacing(REPLACE_MUTEX) && (c->__data.__wrefs & COND_SHARED_MASK);
	int ret;

	if (!handed)
		return all ? f->real_cond_broadcast(c) : f->real_cond_signal(c);
	handoff_lock();
	ret = all ? f->real_cond_broadcast(c) : f->real_cond_signal(c);
	f->real_mutex_unlock(&handoff);
	return ret;
}

/* Cancelled in the C library's wait, which took the mutex again. */
static void vcond_cancelled(void *arg)
{
	struct waiting *w = arg;

	preload_mutex_wait_end(w->m, w->told, w->ip);
}

/* The C library waits; lockdep sees the mutex go and come back. */
static int vcond_wait(pthread_cond_t *c, pthread_mutex_t *m, int kind, clockid_t clock,
		      const struct timespec *abstime, uintptr_t ip)
{
	const struct real_pthread *f = realfn();
	struct waiting w = { NULL, m, ip, false };
	int ret;

	if (preload_mutex_replaced(m))
		return shared_wait(c, m, kind, clock, abstime, ip);
	w.told = preload_mutex_wait_begin(m, ip);
	pthread_cleanup_push(vcond_cancelled, &w);
	if (kind == 0)
		ret = f->real_cond_wait(c, m);
	else if (kind == 1)
		ret = f->real_cond_timedwait(c, m, abstime);
	else
		ret = f->real_cond_clockwait ? f->real_cond_clockwait(c, m, clock, abstime) : ENOSYS;
	pthread_cleanup_pop(0);
	/* EPERM: the mutex was not this thread's, and is not now. */
	if (ret != EPERM)
		preload_mutex_wait_end(m, w.told, ip);
	return ret;
}

PRELOAD_API int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	int pshared = PTHREAD_PROCESS_PRIVATE;
	clockid_t clock = CLOCK_REALTIME;

	if (!preload_init_replaces(c, REPLACE_COND))
		return realfn()->real_cond_init(c, attr);
	if (attr) {
		pthread_condattr_getpshared(attr, &pshared);
		pthread_condattr_getclock(attr, &clock);
	}
	if (pshared != PTHREAD_PROCESS_PRIVATE)
		return realfn()->real_cond_init(c, attr);
	memset(c, 0, sizeof(*c));
	rcond(c)->clock = (uint32_t)clock;
	return 0;
}

PRELOAD_API int pthread_cond_destroy(pthread_cond_t *c)
{
	if (replaced(c))
		return rcond_destroy(c);
	preload_clear_foreign(c);
	return realfn()->real_cond_destroy(c);
}

PRELOAD_API int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (replaced(c))
		return rcond_wait(c, m, false, CLOCK_REALTIME, NULL, RET_IP);
	return vcond_wait(c, m, 0, CLOCK_REALTIME, NULL, RET_IP);
}

PRELOAD_API int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				       const struct timespec *abstime)
{
	if (replaced(c))
		return rcond_wait(c, m, true, (clockid_t)rcond(c)->clock, abstime, RET_IP);
	return vcond_wait(c, m, 1, CLOCK_REALTIME, abstime, RET_IP);
}

PRELOAD_API int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
				       clockid_t clock, const struct timespec *abstime)
{
	if (replaced(c))
		return rcond_wait(c, m, true, clock, abstime, RET_IP);
	return vcond_wait(c, m, 2, clock, abstime, RET_IP);
}

PRELOAD_API int pthread_cond_signal(pthread_cond_t *c)
{
	if (replaced(c))
		return rcond_wake(c, 1);
	return vcond_wake(c, false);
}

PRELOAD_API int pthread_cond_broadcast(pthread_cond_t *c)
{
	if (replaced(c))
		return rcond_wake(c, INT_MAX);
	return vcond_wake(c, true);
}
