// SPDX-License-Identifier: MIT
/*
 * libksync-preload: pthread_rwlock_*.
 *
 * Validating: lockdep sees a reader as recursive (read = 2), because the
 * C library's default rwlock lets a reader in past waiting writers, so a
 * thread may read-lock it again; a rwlock made with
 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP is not (read = 1).
 *
 * Replacing: a ksync rw_semaphore, pointed to from the first word of the
 * pthread_rwlock_t as for mutexes.  An rw_semaphore's readers are not
 * recursive - a queued writer stops new readers - but POSIX lets a thread
 * hold a read lock several times, so each thread counts its own read holds
 * and takes the rw_semaphore once.  Process-shared rwlocks stay the C
 * library's (__data.__shared marks them).
 */
#include "preload.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>

#include <ksync/rwsem.h>

/*
 * writer first, so that it shares the first cache line with the
 * semaphore's count and owner words, which every write lock and unlock
 * writes too (see struct rmutex in preload_mutex.c).
 */
struct rrwlock {
	void *writer;		/* the write owner's CPU block */
	const pthread_rwlock_t *user;	/* the pthread_rwlock_t it stands for */
	struct rw_semaphore sem;
};

_Static_assert(offsetof(struct rrwlock, sem.owner) + sizeof(atomic_long_t) <= 64,
	       "writer and the count and owner words share the first cache line");

static void print_rrwlock(const struct lockdep_map *map)
{
	const struct rrwlock *r = (const void *)((const char *)map -
						 offsetof(struct rrwlock, sem.dep_map));

	ksync_report_printf(" @%p", (const void *)r->user);
}

/*
 * The read locks this thread holds, and how many times each: a small
 * open-addressed table (linear probing, deletion by shifting back) that
 * doubles when half full - a program may hold a thousand bucket locks.
 */
struct read_hold {
	struct rrwlock *r;
	unsigned int count;
};

#define READ_HOLDS_FIRST	16	/* a power of two */

static __thread struct read_holds {
	struct read_hold *slot;
	unsigned int size, used;
	struct read_hold first[READ_HOLDS_FIRST];
} holds __attribute__((tls_model("initial-exec")));

static unsigned int hold_slot(const struct rrwlock *r, unsigned int size)
{
	return (unsigned int)(((uintptr_t)r * 0x9e3779b97f4a7c15ull) >> 40) & (size - 1);
}

static struct read_hold *read_hold(struct rrwlock *r)
{
	if (!holds.used)
		return NULL;
	for (unsigned int i = hold_slot(r, holds.size);; i = (i + 1) & (holds.size - 1)) {
		if (holds.slot[i].r == r)
			return &holds.slot[i];
		if (!holds.slot[i].r)
			return NULL;
	}
}

static void put_hold(struct read_hold *table, unsigned int size, struct rrwlock *r,
		     unsigned int count)
{
	unsigned int i = hold_slot(r, size);

	while (table[i].r)
		i = (i + 1) & (size - 1);
	table[i].r = r;
	table[i].count = count;
}

/* A slot for a new read hold, growing the table when half full. */
static struct read_hold *new_read_hold(struct rrwlock *r)
{
	if (!holds.slot) {
		holds.slot = holds.first;
		holds.size = READ_HOLDS_FIRST;
	}
	if (2 * (holds.used + 1) > holds.size) {
		unsigned int size = 2 * holds.size;
		struct read_hold *bigger = preload_alloc(size * sizeof(*bigger));

		if (!bigger)
			return NULL;
		for (unsigned int i = 0; i < holds.size; i++)
			if (holds.slot[i].r)
				put_hold(bigger, size, holds.slot[i].r, holds.slot[i].count);
		holds.slot = bigger;	/* the old one is not reused: small */
		holds.size = size;
	}
	put_hold(holds.slot, holds.size, r, 1);
	holds.used++;
	return read_hold(r);
}

/* Empty the slot, moving later entries of its probe run back into it. */
static void drop_read_hold(struct read_hold *h)
{
	unsigned int mask = holds.size - 1, hole = (unsigned int)(h - holds.slot);

	for (unsigned int i = (hole + 1) & mask; holds.slot[i].r; i = (i + 1) & mask) {
		unsigned int home = hold_slot(holds.slot[i].r, holds.size);

		/* Movable if its home is not in (hole, i] (cyclically). */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			holds.slot[hole] = holds.slot[i];
			hole = i;
		}
	}
	holds.slot[hole].r = NULL;
	holds.slot[hole].count = 0;
	holds.used--;
}

static struct lock_class_key plain_key;

static struct rrwlock **rrwlock_slot(pthread_rwlock_t *rw)
{
	return (struct rrwlock **)(void *)rw;
}

static bool replaced(const pthread_rwlock_t *rw)
{
	if (!preload_replacing(REPLACE_RWLOCK) || rw->__data.__shared || preload_is_foreign(rw))
		return false;
	return !preload_keep_foreign(rw);
}

static struct rrwlock *rrwlock_new(pthread_rwlock_t *rw, uintptr_t ip, bool from_init)
{
	struct rrwlock *r = preload_obj_get(POOL_RWLOCK, sizeof(*r));
	struct shadow *s;

	if (!r)
		return NULL;
	/* The class lockdep will know it by, if lockdep is on. */
	s = shadow_for_replaced(rw, SHADOW_RWLOCK, ip, from_init);
	preload_busy++;
	ksync_init_rwsem(&r->sem, s ? s->map.name : "pthread_rwlock",
			 s ? s->map.key : &plain_key);
	if (s)
		preload_set_cmp_fn(&r->sem.dep_map, print_rrwlock);
	r->user = rw;
	preload_busy--;
	return r;
}

static struct rrwlock *rrwlock_of(pthread_rwlock_t *rw, uintptr_t ip)
{
	struct rrwlock **slot = rrwlock_slot(rw), *r, *none = NULL;

	/* Acquire: pairs with the release that published it complete. */
	r = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (__builtin_expect(r != NULL, 1))
		return r;
	r = rrwlock_new(rw, ip, false);
	if (r && !__atomic_compare_exchange_n(slot, &none, r, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE)) {
		preload_obj_put(POOL_RWLOCK, r);
		r = none;
	}
	return r;
}

static bool write_owned(struct rrwlock *r)
{
	return __atomic_load_n(&r->writer, __ATOMIC_RELAXED) == (void *)ksync_tls.cpu &&
	       ksync_tls.cpu;
}

/* --- real-time readers ---------------------------------------------------------------- */

/*
 * POSIX (pthread_rwlock_rdlock(), Thread Execution Scheduling): a
 * SCHED_FIFO or SCHED_RR reader "shall not acquire the lock if a writer
 * holds the lock or if writers of higher or equal priority are blocked
 * on the read-write lock; otherwise, the calling thread shall acquire the
 * lock."  An rw_semaphore queues every reader behind a waiting writer
 * (the kernel's rule, fair to writers), so such a reader, where it would
 * queue, joins the readers that hold the lock instead.  A writer that is
 * not real-time counts as below every real-time reader.
 */
#define RT_WRITERS_LOOKED_AT	64

/* The thread's real-time priority, -1 if it is not real-time. */
static int rt_priority(pid_t tid)
{
	struct sched_param sp;
	int policy = sched_getscheduler(tid);

	if (policy < 0)
		return -1;
	policy &= ~SCHED_RESET_ON_FORK;
	if ((policy != SCHED_FIFO && policy != SCHED_RR) || sched_getparam(tid, &sp))
		return -1;
	return sp.sched_priority;
}

/* Readers hold it, no writer does, someone waits: a reader would queue. */
static bool readers_with_waiters(long count)
{
	return !(count & (RWSEM_WRITER_LOCKED | RWSEM_FLAG_READFAIL)) &&
	       (count & RWSEM_FLAG_WAITERS) && (count >> RWSEM_READER_SHIFT);
}

/* Add a reader to those holding it, past the queue. */
static bool join_readers(struct rw_semaphore *sem)
{
	long count = atomic_long_read(&sem->count);

	while (readers_with_waiters(count)) {
		/*
		 * Acquire, as a reader's fast path: pairs with the release of
		 * the last writer.  The waiters are still woken by whichever
		 * reader leaves last (up_read() sees the waiters bit).
		 */
		if (atomic_long_try_cmpxchg_acquire(&sem->count, &count,
						    count + RWSEM_READER_BIAS))
			return true;
	}
	return false;
}

/* A real-time reader that POSIX lets in now: let it in. */
static bool rt_reader_passes(struct rrwlock *r, bool trylock, uintptr_t ip)
{
	struct rw_semaphore *sem = &r->sem;
	pid_t tids[RT_WRITERS_LOOKED_AT];
	unsigned int n;
	int prio;

	/* Cheap first: most readers get in, or are not real-time. */
	if (__builtin_expect(!readers_with_waiters(atomic_long_read(&sem->count)), 1) ||
	    (prio = rt_priority(0)) < 0)
		return false;
	n = ksync_rwsem_queued_writers(sem, tids, RT_WRITERS_LOOKED_AT);
	if (n > RT_WRITERS_LOOKED_AT)
		return false;	/* too many to look at: queue, as others do */
	for (unsigned int i = 0; i < n; i++)
		if (rt_priority(tids[i]) >= prio)
			return false;
	if (!join_readers(sem))
		return false;
	if (ksync_tls.cpu)
		__ksync_rwsem_set_reader_owned(sem, (long)ksync_tls.cpu);
	/* What the rw_semaphore's own read lock tells lockdep. */
	if (ksync_debug_active()) {
		lock_acquire(&sem->dep_map, 0, trylock, 1, 1, NULL, ip);
		lock_acquired(&sem->dep_map, ip);
	}
	return true;
}

static int rrw_rdlock(pthread_rwlock_t *rw, uintptr_t ip, uint64_t deadline, bool trylock)
{
	struct rrwlock *r = rrwlock_of(rw, ip);
	struct read_hold *h;
	int ret = 0;

	if (!r)
		return ENOMEM;
	if (write_owned(r)) {
		if (trylock)
			return EBUSY;
		preload_tell_relock(&r->sem.dep_map, 1, ip);
		return EDEADLK;
	}
	if ((h = read_hold(r))) {
		if (h->count == ~0u)
			return EAGAIN;
		h->count++;
		return 0;
	}
	preload_blame(ip);
	if (rt_reader_passes(r, trylock, ip))
		ret = 0;
	else if (trylock)
		ret = __ksync_down_read_trylock(&r->sem, NULL) ? 0 : EBUSY;
	else if (deadline)
		ret = ksync_down_read_until(&r->sem, deadline, NULL) ? ETIMEDOUT : 0;
	else
		__ksync_down_read(&r->sem, TASK_UNINTERRUPTIBLE, 0, NULL);
	preload_unblame();
	if (!ret && !new_read_hold(r)) {
		__ksync_up_read(&r->sem, NULL);
		ret = EAGAIN;		/* no memory to count it in */
	}
	return ret;
}

static int rrw_wrlock(pthread_rwlock_t *rw, uintptr_t ip, uint64_t deadline, bool trylock)
{
	struct rrwlock *r = rrwlock_of(rw, ip);
	int ret = 0;

	if (!r)
		return ENOMEM;
	if (write_owned(r) || read_hold(r)) {
		if (trylock)
			return EBUSY;
		preload_tell_relock(&r->sem.dep_map, 0, ip);
		return EDEADLK;
	}
	preload_blame(ip);
	if (trylock)
		ret = __ksync_down_write_trylock(&r->sem, NULL) ? 0 : EBUSY;
	else if (deadline)
		ret = ksync_down_write_until(&r->sem, deadline, NULL) ? ETIMEDOUT : 0;
	else
		__ksync_down_write(&r->sem, TASK_UNINTERRUPTIBLE, 0, NULL, NULL);
	preload_unblame();
	if (!ret)
		__atomic_store_n(&r->writer, (void *)ksync_tls.cpu, __ATOMIC_RELAXED);
	return ret;
}

static int rrw_unlock(pthread_rwlock_t *rw, uintptr_t ip)
{
	struct rrwlock *r = rrwlock_of(rw, ip);
	struct read_hold *h;

	if (!r)
		return EPERM;
	preload_blame(ip);
	if (write_owned(r)) {
		__atomic_store_n(&r->writer, NULL, __ATOMIC_RELAXED);
		__ksync_up_write(&r->sem, NULL);
	} else if ((h = read_hold(r))) {
		if (!--h->count) {
			drop_read_hold(h);
			__ksync_up_read(&r->sem, NULL);
		}
	} else {
		preload_unblame();
		preload_tell_bad_unlock(&r->sem.dep_map, ip);
		return EPERM;
	}
	preload_unblame();
	return 0;
}

static int rrw_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *attr, uintptr_t ip)
{
	int pshared = PTHREAD_PROCESS_PRIVATE;
	struct rrwlock *r;

	if (attr)
		pthread_rwlockattr_getpshared(attr, &pshared);
	if (pshared != PTHREAD_PROCESS_PRIVATE)
		return -1;
	memset(rw, 0, sizeof(*rw));
	r = rrwlock_new(rw, ip, true);
	if (!r)
		return ENOMEM;
	__atomic_store_n(rrwlock_slot(rw), r, __ATOMIC_RELEASE);
	return 0;
}

static int rrw_destroy(pthread_rwlock_t *rw)
{
	struct rrwlock *r = __atomic_load_n(rrwlock_slot(rw), __ATOMIC_ACQUIRE);
	struct shadow *s;

	if (!r)
		return 0;
	if (rwsem_is_locked(&r->sem))
		return EBUSY;
	if ((s = shadow_find(rw)))
		s->destroyed = 1;
	__atomic_store_n(rrwlock_slot(rw), NULL, __ATOMIC_RELAXED);
	preload_obj_put(POOL_RWLOCK, r);
	return 0;
}

/* --- validated ------------------------------------------------------------------------- */

static struct shadow *vrw(pthread_rwlock_t *rw, uintptr_t ip)
{
	struct shadow *s = shadow_get(rw, SHADOW_RWLOCK, ip);

	if (s && !s->read)
		s->read = rw->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP ?
			  1 : 2;
	return s;
}

/*
 * A read lock this thread holds for reading already, on a rwlock that lets
 * readers past waiting writers (the C library's default): it cannot wait,
 * so, like a trylock, it orders nothing.  (Not so for a
 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP rwlock, whose readers queue
 * behind writers: there the second read is a real dependency.)
 */
static bool read_again(struct shadow *s)
{
	return s && s->read == 2 && ksync_lock_is_held_type(&s->map, 1) == LOCK_STATE_HELD;
}

/* A lock call of either kind: lockdep first, then the C library. */
/*
 * Wait for the C library's rwlock as a sleep the hung-task detector
 * watches: first until the moment it wants our backtrace, then for good.
 */
static int watched_rw_lock(pthread_rwlock_t *rw, bool write, int (*lock)(pthread_rwlock_t *))
{
	int (*clock)(pthread_rwlock_t *, clockid_t, const struct timespec *) =
		write ? realfn()->real_rwlock_clockwrlock : realfn()->real_rwlock_clockrdlock;
	struct timespec at;
	int ret;

	if (ksync_interposer_sleep_begin(&at) && clock) {
		ret = clock(rw, CLOCK_MONOTONIC, &at);
		if (ret == ETIMEDOUT) {
			ksync_interposer_sleep_long();
			ret = lock(rw);
		}
	} else {
		ret = lock(rw);
	}
	ksync_interposer_sleep_end();
	return ret;
}

static int vrw_lock(pthread_rwlock_t *rw, uintptr_t ip, bool write,
		    int (*lock)(pthread_rwlock_t *), int (*try)(pthread_rwlock_t *))
{
	struct shadow *s;
	int ret;

	if (!preload_validating())
		return lock(rw);
	s = vrw(rw, ip);
	preload_acquire(s, !write && read_again(s), write ? 0 : (s ? s->read : 2), ip);
	/*
	 * A failed try makes the wait that follows a contention (lock_stat)
	 * and a sleep the hung-task detector watches.
	 */
	if (s && !try(rw)) {
		ret = 0;
	} else if (s) {
		if (preload_stat())
			preload_contended(s, ip);
		ret = watched_rw_lock(rw, write, lock);
	} else {
		ret = lock(rw);
	}
	if (ret)
		preload_release(s, ip);
	else
		preload_acquired(s, ip);
	return ret;
}

static int vrw_trylock(pthread_rwlock_t *rw, uintptr_t ip, bool write,
		       int (*trylock)(pthread_rwlock_t *))
{
	int ret = trylock(rw);
	struct shadow *s;

	if (!ret && preload_validating() && (s = vrw(rw, ip)))
		preload_acquire(s, 1, write ? 0 : s->read, ip);
	return ret;
}

static int vrw_timedlock(pthread_rwlock_t *rw, uintptr_t ip, bool write, clockid_t clock,
			 const struct timespec *abstime, bool clocked)
{
	const struct real_pthread *f = realfn();
	struct shadow *s = NULL;
	int ret;

	if (preload_validating()) {
		s = vrw(rw, ip);
		preload_acquire(s, 0, write ? 0 : (s ? s->read : 2), ip);
	}
	if (clocked)
		ret = write ? (f->real_rwlock_clockwrlock ? f->real_rwlock_clockwrlock(rw, clock, abstime) : ENOSYS)
			    : (f->real_rwlock_clockrdlock ? f->real_rwlock_clockrdlock(rw, clock, abstime) : ENOSYS);
	else
		ret = write ? f->real_rwlock_timedwrlock(rw, abstime) : f->real_rwlock_timedrdlock(rw, abstime);
	if (ret)
		preload_release(s, ip);
	return ret;
}

/* --- the entry points ----------------------------------------------------------------- */

PRELOAD_API int pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *attr)
{
	uintptr_t ip = RET_IP;
	struct shadow *s;
	int ret;

	if (preload_init_replaces(rw, REPLACE_RWLOCK) && (ret = rrw_init(rw, attr, ip)) >= 0)
		return ret;
	ret = realfn()->real_rwlock_init(rw, attr);
	if (!ret && preload_validating() && (s = shadow_init(rw, SHADOW_RWLOCK, ip)))
		s->read = 0;	/* vrw() reads the kind again */
	return ret;
}

PRELOAD_API int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
	if (replaced(rw))
		return rrw_destroy(rw);
	preload_destroyed(rw);
	return realfn()->real_rwlock_destroy(rw);
}

PRELOAD_API int pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
	if (replaced(rw))
		return rrw_rdlock(rw, RET_IP, 0, false);
	return vrw_lock(rw, RET_IP, false, realfn()->real_rwlock_rdlock,
			realfn()->real_rwlock_tryrdlock);
}

PRELOAD_API int pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
	if (replaced(rw))
		return rrw_wrlock(rw, RET_IP, 0, false);
	return vrw_lock(rw, RET_IP, true, realfn()->real_rwlock_wrlock,
			realfn()->real_rwlock_trywrlock);
}

PRELOAD_API int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw)
{
	if (replaced(rw))
		return rrw_rdlock(rw, RET_IP, 0, true);
	return vrw_trylock(rw, RET_IP, false, realfn()->real_rwlock_tryrdlock);
}

PRELOAD_API int pthread_rwlock_trywrlock(pthread_rwlock_t *rw)
{
	if (replaced(rw))
		return rrw_wrlock(rw, RET_IP, 0, true);
	return vrw_trylock(rw, RET_IP, true, realfn()->real_rwlock_trywrlock);
}

static int timed(pthread_rwlock_t *rw, uintptr_t ip, bool write, clockid_t clock,
		 const struct timespec *abstime, bool clocked)
{
	uint64_t deadline;

	if (!replaced(rw))
		return vrw_timedlock(rw, ip, write, clock, abstime, clocked);
	if (!preload_timespec_valid(abstime) ||
	    (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC))
		return EINVAL;
	deadline = preload_deadline_ns(clock, abstime);
	return write ? rrw_wrlock(rw, ip, deadline, false) : rrw_rdlock(rw, ip, deadline, false);
}

PRELOAD_API int pthread_rwlock_timedrdlock(pthread_rwlock_t *rw, const struct timespec *t)
{
	return timed(rw, RET_IP, false, CLOCK_REALTIME, t, false);
}

PRELOAD_API int pthread_rwlock_timedwrlock(pthread_rwlock_t *rw, const struct timespec *t)
{
	return timed(rw, RET_IP, true, CLOCK_REALTIME, t, false);
}

PRELOAD_API int pthread_rwlock_clockrdlock(pthread_rwlock_t *rw, clockid_t clock,
					   const struct timespec *t)
{
	return timed(rw, RET_IP, false, clock, t, true);
}

PRELOAD_API int pthread_rwlock_clockwrlock(pthread_rwlock_t *rw, clockid_t clock,
					   const struct timespec *t)
{
	return timed(rw, RET_IP, true, clock, t, true);
}

PRELOAD_API int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
	uintptr_t ip = RET_IP;

	if (replaced(rw))
		return rrw_unlock(rw, ip);
	if (preload_validating())
		preload_release(vrw(rw, ip), ip);
	return realfn()->real_rwlock_unlock(rw);
}
