// SPDX-License-Identifier: MIT
/*
 * struct rt_mutex over a PI futex (kernel/locking/rtmutex.c's API; the
 * priority inheritance is the kernel's own, kernel/futex/pi.c).
 *
 * The word is the futex protocol's: the owner's thread id, with
 * FUTEX_WAITERS once a waiter has queued in the kernel; 0 when free.
 *
 *   lock:    0 -> tid with a compare-and-swap; else FUTEX_LOCK_PI, which
 *            queues us by priority, boosts the owner (and whatever it
 *            waits for in turn) and returns when the lock was handed to
 *            us (the word holds our tid then).
 *   unlock:  tid -> 0 with a compare-and-swap; if FUTEX_WAITERS is set
 *            that fails and FUTEX_UNLOCK_PI hands the lock to the top
 *            waiter and drops our boost.
 *   trylock: the compare-and-swap; FUTEX_TRYLOCK_PI for a word with no
 *            owner but flag bits (the kernel's to sort out).
 *
 * Interruptible and killable waits: FUTEX_LOCK_PI is restarted by the
 * kernel after a signal handler, never interrupted, so these wait in
 * slices (with an absolute deadline) and look for a pending ksync
 * interrupt or fatal signal between them.  A slice ends only such a
 * waiter's place in the queue for a moment, not the boost it gives.
 *
 * Thread ids: the CPU block's tid, which the fork child's thread gets
 * afresh (cpu.c), so a child never locks with its parent's id.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include <ksync/lockdep.h>
#include <ksync/rtmutex.h>
#include "blocked.h"
#include "cpu.h"
#include "futex.h"
#include "debug_checks.h"
#include "site.h"
#include "report.h"
#include "sched_internal.h"

#define RT_MUTEX_DESTROYED	((void *)1)
/* An interruptible waiter looks for signals this often (ns). */
#define RT_SLICE_NS		10000000ull

static long futex_pi(uint32_t *uaddr, int op, const struct timespec *abs)
{
	long r = syscall(SYS_futex, uaddr, op | FUTEX_PRIVATE_FLAG, 0, abs, NULL, 0);

	return r < 0 ? -errno : 0;
}

static inline uint32_t word_owner(uint32_t w)
{
	return w & FUTEX_TID_MASK;
}

static const char *rt_name(struct rt_mutex *lock, const struct ksync_site *site)
{
	if (lock->dep_map.name && lock->magic == lock)
		return lock->dep_map.name;
	return site && site->expr ? site->expr : "?";
}

/* --- misuse ------------------------------------------------------------------ */

/*
 * A zero-filled rt_mutex is a free one (the word is 0), but it has no
 * name and was not meant: say so once.  Garbage (freed or overwritten
 * memory) has a word that names any thread: stop before using it.
 */
static void rt_check_initialised(struct rt_mutex *lock, const struct ksync_site *site)
{
	void *magic = __atomic_load_n(&lock->magic, __ATOMIC_RELAXED), *none = NULL;

	if (__ksync_likely(magic == lock))
		return;
	if (magic == RT_MUTEX_DESTROYED) {
		ksync_debug_locks_warn(site, "lock->magic != lock",
				       "rt_mutex %s used after rt_mutex_destroy()\n",
				       rt_name(lock, site));
		return;
	}
	if (magic) {
		ksync_report_lock();	/* the report and the stop as one */
		ksync_debug_locks_warn(site, "lock->magic != lock",
				       "rt_mutex %s at %p: bad magic %p\n",
				       rt_name(lock, site), (void *)lock, magic);
		ksync_stop_on_garbage_lock("rt_mutex", rt_name(lock, site), lock,
					   (unsigned long)magic);
	}
	/* Relaxed: the magic guards no other field. */
	if (__atomic_compare_exchange_n(&lock->magic, &none, lock, 0,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		ksync_debug_locks_warn(site, "lock->magic != lock",
				       "rt_mutex %s used without rt_mutex_init() or "
				       "DEFINE_RT_MUTEX()\n",
				       site && site->expr ? site->expr : "?");
}

/* The kernel's rt_mutex deadlock: the owner waits for itself. */
static void report_recursion(struct rt_mutex *lock, const struct ksync_site *site)
{
	ksync_debug_locks_warn(site, "rt_mutex_owner(lock) == current",
			       "rt_mutex %s: this thread already holds it; locking "
			       "it again deadlocks\n", rt_name(lock, site));
}

static void report_owner_gone(struct rt_mutex *lock, uint32_t tid,
			      const struct ksync_site *site)
{
	ksync_debug_locks_warn(site, "rt_mutex_owner(lock) exited",
			       "rt_mutex %s: its owner (thread %u) exited without "
			       "unlocking it; it stays locked, and this thread waits "
			       "for ever\n", rt_name(lock, site), tid);
}

/*
 * What the kernel does on a real deadlock: the task sleeps for good.
 * Only an interrupt (interruptible) or a fatal signal (killable) ends it.
 */
static int wait_for_ever(struct ksync_cpu *c, unsigned int state)
{
	for (;;) {
		ksync_set_current_state(state);
		if (ksync_cpu_signal_pending_state(state, c)) {
			ksync___set_current_state(TASK_RUNNING);
			return -EINTR;
		}
		ksync_schedule_until(0);
	}
}

/* --- lock ------------------------------------------------------------------- */

static struct timespec slice_deadline(void)
{
	struct timespec ts;
	uint64_t ns;

	/* FUTEX_LOCK_PI's timeout is absolute, on CLOCK_REALTIME. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (uint64_t)ts.tv_nsec + RT_SLICE_NS;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	return ts;
}

/*
 * Queue in the kernel until the lock is ours.  0, or -EINTR for an
 * interruptible or killable wait that a signal ended.
 */
static int rt_mutex_wait(struct rt_mutex *lock, struct ksync_cpu *c,
			 unsigned int state, const struct ksync_site *site)
{
	bool sliced = state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL);
	uint32_t *word = &lock->rtmutex.owner;

	if (sliced)
		ksync_wait_begin(c);
	for (;;) {
		struct timespec abs;
		int r;

		if (sliced) {
			if (ksync_cpu_signal_pending_state(state, c))
				return -EINTR;
			abs = slice_deadline();
			/* So that an interrupt marks a signal pending. */
			ksync_set_current_state(state);
		}
		/* "Blocked since", for the hung-task detector (blocked.h). */
		ksync_blocked_begin(c, state == TASK_UNINTERRUPTIBLE);
		/* FUTEX_LOCK_PI sleeps in one call: the backtrace now. */
		if (ksync_blocked_frames_due(c) != UINT64_MAX)
			ksync_blocked_save_frames(c);
		r = futex_pi(word, FUTEX_LOCK_PI, sliced ? &abs : NULL);
		ksync_blocked_end(c);
		if (sliced)
			ksync___set_current_state(TASK_RUNNING);
		if (r == 0) {
			/*
			 * Acquire: the kernel handed us the word with its own
			 * full barriers; this load tells ThreadSanitizer, which
			 * cannot see them, that the unlock happened before.
			 */
			(void)__atomic_load_n(word, __ATOMIC_ACQUIRE);
			return 0;
		}
		switch (r) {
		case -ETIMEDOUT:
		case -EINTR:
		case -EAGAIN:		/* the owner was exiting: look again */
			continue;
		case -EDEADLK:
			report_recursion(lock, site);
			return wait_for_ever(c, state);
		case -ESRCH:
			report_owner_gone(lock, word_owner(__atomic_load_n(word, __ATOMIC_RELAXED)),
					  site);
			return wait_for_ever(c, state);
		default:
			ksync_fatal("rt_mutex %s: FUTEX_LOCK_PI failed: %s\n",
				    rt_name(lock, site), strerror(-r));
		}
	}
}

/* Acquire on success: pairs with the release of the unlock. */
static inline bool rt_mutex_cmpxchg_lock(struct rt_mutex *lock, uint32_t tid,
					 uint32_t *seen)
{
	*seen = 0;
	return __atomic_compare_exchange_n(&lock->rtmutex.owner, seen, tid, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

KSYNC_API int ksync_rt_mutex_lock(struct rt_mutex *lock, unsigned int state,
				  unsigned int subclass, const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	uint32_t tid = (uint32_t)c->tid, seen;
	uintptr_t ip = RET_IP;
	bool debug = ksync_debug_active();
	int ret;

	if (__ksync_likely(!debug) && rt_mutex_cmpxchg_lock(lock, tid, &seen))
		return 0;
	site = ksync_site_resolve(site);
	if (debug) {
		rt_check_initialised(lock, site);
		mutex_acquire(&lock->dep_map, subclass, 0, KSYNC_SITE_IP(site, ip));
		if (rt_mutex_cmpxchg_lock(lock, tid, &seen))
			goto acquired;
		if (word_owner(seen) == tid) {
			report_recursion(lock, site);
			ret = wait_for_ever(c, state);
			goto failed;
		}
		lock_contended(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	}
	ret = rt_mutex_wait(lock, c, state, site);
	if (ret)
		goto failed;
acquired:
	if (debug)
		lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	return 0;
failed:
	if (debug)
		mutex_release(&lock->dep_map, KSYNC_SITE_IP(site, ip));
	return ret;
}

KSYNC_API int ksync_rt_mutex_trylock(struct rt_mutex *lock, const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	uint32_t tid = (uint32_t)c->tid, seen;
	bool debug = ksync_debug_active();

	if (debug) {
		site = ksync_site_resolve(site);
		rt_check_initialised(lock, site);
		/* The kernel's WARN_ON_ONCE(!in_task()) under DEBUG_RT_MUTEXES. */
		if (!in_task()) {
			ksync_warn_once(site, "rt_mutex_trylock(%s) in interrupt context\n",
					rt_name(lock, site));
			return 0;
		}
	}
	if (!rt_mutex_cmpxchg_lock(lock, tid, &seen)) {
		/* No owner, only flag bits: the kernel decides. */
		if (word_owner(seen) || futex_pi(&lock->rtmutex.owner, FUTEX_TRYLOCK_PI, NULL))
			return 0;
		/* Acquire: as after FUTEX_LOCK_PI. */
		(void)__atomic_load_n(&lock->rtmutex.owner, __ATOMIC_ACQUIRE);
	}
	if (debug) {
		mutex_acquire(&lock->dep_map, 0, 1, KSYNC_SITE_IP(site, RET_IP));
		lock_acquired(&lock->dep_map, KSYNC_SITE_IP(site, RET_IP));
	}
	return 1;
}

/* --- unlock ----------------------------------------------------------------- */

static void report_bad_unlock(struct rt_mutex *lock, uint32_t word,
			      const struct ksync_site *site)
{
	char comm[KSYNC_COMM_LEN];

	if (!word_owner(word))
		ksync_debug_locks_warn(site, "rt_mutex_owner(lock) != current",
				       "rt_mutex_unlock(%s): the rt_mutex is not locked\n",
				       rt_name(lock, site));
	else
		ksync_debug_locks_warn(site, "rt_mutex_owner(lock) != current",
				       "rt_mutex_unlock(%s): held by %s/%u, not by this "
				       "thread\n", rt_name(lock, site),
				       ksync_comm_of((pid_t)word_owner(word), comm),
				       word_owner(word));
}

KSYNC_API void ksync_rt_mutex_unlock(struct rt_mutex *lock, const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	uint32_t tid = (uint32_t)c->tid, seen = tid, *word = &lock->rtmutex.owner;
	bool debug = ksync_debug_active();
	int r;

	/* Release: the critical section before the next owner's acquire. */
	if (__ksync_likely(!debug) &&
	    __atomic_compare_exchange_n(word, &seen, 0, 0, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	site = ksync_site_resolve(site);
	if (debug) {
		rt_check_initialised(lock, site);
		/* Lockdep first, as the kernel: its report names the imbalance. */
		mutex_release(&lock->dep_map, KSYNC_SITE_IP(site, RET_IP));
	}
	seen = __atomic_load_n(word, __ATOMIC_RELAXED);
	if (word_owner(seen) != tid) {
		/* Always refused: it would release someone else's section. */
		report_bad_unlock(lock, seen, site);
		return;
	}
	seen = tid;
	if (__atomic_compare_exchange_n(word, &seen, 0, 0, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return;
	/*
	 * Waiters: the kernel hands over.  Release, with an atomic no-op on
	 * the word: for ThreadSanitizer, which does not see the kernel's
	 * barriers, our section happens before the next owner's acquire.
	 */
	(void)__atomic_fetch_or(word, 0, __ATOMIC_RELEASE);
	r = (int)futex_pi(word, FUTEX_UNLOCK_PI, NULL);
	if (r == -EPERM)
		report_bad_unlock(lock, __atomic_load_n(word, __ATOMIC_RELAXED), site);
	else if (r)
		ksync_fatal("rt_mutex %s: FUTEX_UNLOCK_PI failed: %s\n",
			    rt_name(lock, site), strerror(-r));
}

/* --- the rest ----------------------------------------------------------------- */

KSYNC_API void ksync_rt_mutex_init(struct rt_mutex *lock, const char *name,
				   struct lock_class_key *key)
{
	ksync_debug_check_no_locks_freed(lock, sizeof(*lock));
	__atomic_store_n(&lock->rtmutex.owner, 0, __ATOMIC_RELAXED);
	ksync_lockdep_init_map(&lock->dep_map, name, key, 0, LD_WAIT_SLEEP,
			       KSYNC_LOCK_MUTEX);
	/* Release: a thread that sees the magic sees the map too. */
	__atomic_store_n(&lock->magic, lock, __ATOMIC_RELEASE);
}

KSYNC_API void ksync_rt_mutex_destroy(struct rt_mutex *lock, const struct ksync_site *site)
{
	if (ksync_debug_active() && rt_mutex_is_locked(lock))
		ksync_debug_locks_warn(ksync_site_resolve(site), "rt_mutex_is_locked(lock)",
				       "rt_mutex_destroy(%s): the rt_mutex is still locked\n",
				       rt_name(lock, site));
	__atomic_store_n(&lock->magic, RT_MUTEX_DESTROYED, __ATOMIC_RELAXED);
}
