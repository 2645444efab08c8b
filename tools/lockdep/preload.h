/* SPDX-License-Identifier: MIT */
/*
 * libksync-preload: the library ksync-lockdep preloads into a program.
 *
 * It defines the program's pthread_mutex_*, pthread_rwlock_*,
 * pthread_spin_* and pthread_cond_* functions (LD_PRELOAD puts them ahead
 * of the C library's), and for each call either
 *  - validates: tells ksync's lockdep what the program does with its
 *    locks, then lets the C library do it ("real" functions below); or
 *  - replaces (ksync-lockdep --replace): does it with ksync's mutex,
 *    rw_semaphore and queued spinlock instead, which lockdep validates
 *    through their own annotations.
 *
 * Lock classes are chosen here (preload_class.c): the place a lock was
 * initialised, its address for statically initialised locks, or one class
 * per lock (KSYNC_PRELOAD_CLASS=instance).
 */
#ifndef KSYNC_PRELOAD_H
#define KSYNC_PRELOAD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <ksync/debug_locks.h>
#include <ksync/interpose.h>
#include <ksync/lockdep.h>
#include <ksync/qspinlock.h>

#define PRELOAD_API	__attribute__((visibility("default")))
#define RET_IP		((uintptr_t)__builtin_return_address(0))

/* The C library's functions, found with dlsym(RTLD_NEXT). */
struct real_pthread {
	int (*real_mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*real_mutex_destroy)(pthread_mutex_t *);
	int (*real_mutex_lock)(pthread_mutex_t *);
	int (*real_mutex_trylock)(pthread_mutex_t *);
	int (*real_mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
	int (*real_mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*real_mutex_unlock)(pthread_mutex_t *);
	int (*real_rwlock_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
	int (*real_rwlock_destroy)(pthread_rwlock_t *);
	int (*real_rwlock_rdlock)(pthread_rwlock_t *);
	int (*real_rwlock_tryrdlock)(pthread_rwlock_t *);
	int (*real_rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
	int (*real_rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*real_rwlock_wrlock)(pthread_rwlock_t *);
	int (*real_rwlock_trywrlock)(pthread_rwlock_t *);
	int (*real_rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
	int (*real_rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*real_rwlock_unlock)(pthread_rwlock_t *);
	int (*real_spin_init)(pthread_spinlock_t *, int);
	int (*real_spin_destroy)(pthread_spinlock_t *);
	int (*real_spin_lock)(pthread_spinlock_t *);
	int (*real_spin_trylock)(pthread_spinlock_t *);
	int (*real_spin_unlock)(pthread_spinlock_t *);
	int (*real_cond_init)(pthread_cond_t *, const pthread_condattr_t *);
	int (*real_cond_destroy)(pthread_cond_t *);
	int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*real_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	int (*real_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
			      const struct timespec *);
	int (*real_cond_signal)(pthread_cond_t *);
	int (*real_cond_broadcast)(pthread_cond_t *);
};

extern struct real_pthread real;
/* Find the real functions (done before main, and again if called early). */
void preload_resolve(void);

static inline const struct real_pthread *realfn(void)
{
	if (__builtin_expect(!real.real_mutex_lock, 0))
		preload_resolve();
	return &real;
}

/* --- configuration (set by ksync-lockdep in the environment) ------------------- */

/*
 * KSYNC_PRELOAD_REPLACE=1 (all) or a list of mutex,rwlock,spin,cond: the
 * kinds of lock replaced.  Replacing mutexes replaces condition variables
 * too (the C library's cannot release a ksync mutex).
 */
enum { REPLACE_MUTEX = 1, REPLACE_RWLOCK = 2, REPLACE_SPIN = 4, REPLACE_COND = 8 };
extern unsigned int preload_replace;
extern bool preload_instance_classes;	/* KSYNC_PRELOAD_CLASS=instance */
extern unsigned int preload_class_depth;	/* KSYNC_PRELOAD_CLASS_DEPTH, 1-4 */

/*
 * > 0 while the preload library itself runs (allocating, naming a class):
 * pthread calls made meanwhile - by libdw, by malloc - are its own, not
 * the program's, and go straight to the C library.
 */
extern __thread int preload_busy;

/*
 * Tell lockdep about this call: it validates (KSYNC_LOCKDEP) or counts
 * (KSYNC_LOCK_STAT), it has not turned itself off, and the call is the
 * program's own.
 */
static inline bool preload_validating(void)
{
	return (__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) &
		(KSYNC_DEBUG_LOCKDEP | KSYNC_DEBUG_STAT)) &&
	       __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED) && !preload_busy &&
	       !ksync_in_self();
}

/* This kind of lock is replaced (whether this one is, the caller says). */
static inline bool preload_replacing(unsigned int kind)
{
	realfn();	/* the settings are read with the real functions */
	return preload_replace & kind;
}

/* ksync is working for itself (symbolising with libdw). */
static inline bool preload_in_ksync(void)
{
	return ksync_in_self();
}

/*
 * Locks that stay the C library's although we replace: first met while
 * ksync worked for itself (see preload_core.c).
 */
extern unsigned int preload_nr_foreign;
bool preload_find_foreign(const void *lock);
bool preload_keep_foreign_slow(const void *lock);

/*
 * Inline, as they are asked on every lock and unlock of a replaced lock
 * and almost always answer no on a word in this thread's cache.
 */
static inline bool preload_is_foreign(const void *lock)
{
	/* Acquire: pairs with the release that counted a published entry. */
	if (__builtin_expect(!__atomic_load_n(&preload_nr_foreign, __ATOMIC_ACQUIRE), 1))
		return false;
	return preload_find_foreign(lock);
}

void preload_set_foreign(const void *lock);
/* Initialised (or destroyed) outside ksync: the address is the program's. */
void preload_clear_foreign(const void *lock);
/*
 * A replaceable lock whose first word (the pointer to its ksync object) is
 * still empty, met while ksync works for itself: mark it the C library's
 * for good and say so.
 */
static inline bool preload_keep_foreign(const void *lock)
{
	if (__builtin_expect(!preload_in_ksync(), 1))
		return false;
	return preload_keep_foreign_slow(lock);
}

/* lock_stat is on: time the C library's waits too. */
static inline bool preload_stat(void)
{
	return __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) & KSYNC_DEBUG_STAT;
}

/* The calling thread's kernel tid, cached (reset in a fork child). */
pid_t preload_gettid(void);

/* Absolute time on clock -> CLOCK_MONOTONIC ns, for ksync's deadlines. */
uint64_t preload_deadline_ns(clockid_t clock, const struct timespec *abstime);
/* EINVAL for a timespec POSIX rejects. */
bool preload_timespec_valid(const struct timespec *ts);

/* --- the preload's own locks, and fork() ------------------------------------------- */

/*
 * The preload's own locks (its memory, its classes by place) are bare
 * queued spinlocks, taken by its fork() prepare handlers so that the child
 * inherits them free.  The fork handlers of libraries that registered
 * theirs before ours run after ours, and may lock (jemalloc locks every
 * arena mutex): the forking thread, which holds our locks already, then
 * uses them without locking.  preload_fork_held has a bit per lock so held.
 */
enum { HELD_MEM = 1, HELD_CLASS = 2 };
extern __thread unsigned int preload_fork_held;

static inline void preload_own_lock(arch_spinlock_t *l, unsigned int held)
{
	if (!(preload_fork_held & held))
		queued_spin_lock(l);
}

static inline void preload_own_unlock(arch_spinlock_t *l, unsigned int held)
{
	if (!(preload_fork_held & held))
		queued_spin_unlock(l);
}

/* --- memory: zeroed, never returned to the system -------------------------------- */

void *preload_alloc(size_t size);
/* Objects of one size, recycled (replace mode: struct mutex and friends). */
void *preload_obj_get(int pool, size_t size);
void preload_obj_put(int pool, void *obj);
enum { POOL_MUTEX, POOL_RWLOCK, POOL_NR };

/* --- lock classes and the lockdep maps of the C library's locks --------------- */

/* A class by place tells apart the call that made a lock and its callers. */
#define PRELOAD_MAX_CLASS_DEPTH	4

/* How a class is named (preload_names.c): see the top of preload_class.c. */
enum name_how { NAME_SITE, NAME_STATIC, NAME_INSTANCE };

/*
 * The name to give lockdep for a class: made without symbolising or
 * allocating (safe inside the program's allocator); lockdep prints the
 * real name, made when first printed.  ip[depth] is the chain of calls
 * (NAME_SITE) or the call (NAME_INSTANCE).  When out of room for the
 * records that remember how to make it, the cheap name is printed as it is.
 */
const char *preload_lazy_name(enum name_how how, const char *kind, const void *lock,
			      const uintptr_t *ip, unsigned int depth);
/* Tell lockdep how to print those names (the preload's constructor). */
void preload_names_start(void);

enum shadow_kind { SHADOW_MUTEX, SHADOW_RWLOCK, SHADOW_SPIN, SHADOW_KINDS };

/*
 * What lockdep knows about one lock address: its class (key and name) and,
 * for the C library's locks, its lockdep map.
 */
struct shadow {
	const void *lock;
	struct lockdep_map map;
	struct lock_class_key key;	/* the class key of a static lock */
	unsigned char kind;
	unsigned char read;		/* rwlock: lockdep read value (1 or 2) */
	unsigned char destroyed;	/* *_destroy()ed: reclassify on reuse */
};

/* The lock's shadow, NULL if it has none (yet). */
struct shadow *shadow_find(const void *lock);
/*
 * The lock's shadow, made on first use: classed by its address if it is
 * in static storage, else by ip (the call that first used it).  NULL if
 * the table is full.
 */
struct shadow *shadow_get(const void *lock, enum shadow_kind kind, uintptr_t ip);
/* A *_init() call at ip: the lock's class is that place from now on. */
struct shadow *shadow_init(const void *lock, enum shadow_kind kind, uintptr_t ip);
/* The class for a replaced lock's ksync object: NULL unless validating. */
struct shadow *shadow_for_replaced(const void *lock, enum shadow_kind kind, uintptr_t ip,
				   bool from_init);
/*
 * Nesting two locks of one class is in order unless they are one lock
 * (per-site classes only); print names the program's lock in reports.
 */
void preload_set_cmp_fn(struct lockdep_map *map, lock_print_fn print);

/* --- lockdep calls on the program's behalf ------------------------------------------ */

static inline void preload_acquire(struct shadow *s, int trylock, int read, uintptr_t ip)
{
	if (s)
		lock_acquire(&s->map, 0, trylock, read, 1, NULL, ip);
}

/*
 * lock_stat for a C library lock: the caller tried it first; if that
 * failed, the wait that follows is a contention.
 */
static inline void preload_contended(struct shadow *s, uintptr_t ip)
{
	if (s)
		lock_contended(&s->map, ip);
}

/* lock_stat only: nothing else needs to hear that the wait is over. */
static inline void preload_acquired(struct shadow *s, uintptr_t ip)
{
	if (s && preload_stat())
		lock_acquired(&s->map, ip);
}

static inline void preload_release(struct shadow *s, uintptr_t ip)
{
	if (s)
		lock_release(&s->map, ip);
}

/* Replace mode: ksync calls made for the program's call at ip. */
static inline void preload_blame(uintptr_t ip)
{
	ksync_caller_set(ip);
}

static inline void preload_unblame(void)
{
	ksync_caller_clear();
}

/*
 * Replacing, some misuse is answered here with the C library's error code
 * (EDEADLK for an error-checking relock, EPERM for an unlock by a
 * non-owner) before ksync's lock is touched; lockdep hears of it all the
 * same, as it does when validating the C library's locks.
 */
static inline void preload_tell_relock(struct lockdep_map *map, int read, uintptr_t ip)
{
	if (!preload_validating())
		return;
	lock_acquire(map, 0, 0, read, 1, NULL, ip);
	lock_release(map, ip);
}

static inline void preload_tell_bad_unlock(struct lockdep_map *map, uintptr_t ip)
{
	if (preload_validating())
		lock_release(map, ip);
}

/* preload_mutex.c, for condition variables: the mutex ops behind them. */
bool preload_mutex_replaced(const pthread_mutex_t *m);
bool preload_mutex_owned(pthread_mutex_t *m);
/* Replaced mutexes: unlock for a wait, and lock again after it. */
int preload_mutex_unlock(pthread_mutex_t *m, uintptr_t ip);
int preload_mutex_relock(pthread_mutex_t *m, uintptr_t ip);
/*
 * The C library's mutexes: tell lockdep about a wait's unlock (true if it
 * was told: a recursive mutex locked deeper is not let go) and relock.
 */
bool preload_mutex_wait_begin(pthread_mutex_t *m, uintptr_t ip);
void preload_mutex_wait_end(pthread_mutex_t *m, bool told, uintptr_t ip);
/* A wait with a mutex this thread does not hold: lockdep reports it. */
void preload_mutex_wait_unowned(pthread_mutex_t *m, uintptr_t ip);

/*
 * A lock of this kind is being initialised: whether to make it one of
 * ksync's.  One made while ksync works for itself (libdw's, during a
 * report) stays the C library's for good, and is marked so; any other
 * forgets such a mark left at the address by an earlier lock.
 */
static inline bool preload_init_replaces(const void *lock, unsigned int kind)
{
	if (!preload_replacing(kind))
		return false;
	if (preload_in_ksync()) {
		preload_set_foreign(lock);
		return false;
	}
	preload_clear_foreign(lock);
	return true;
}

/*
 * A lock is destroyed: the address may hold another lock next.  Freeing
 * a lock the thread holds is the kernel's "held lock freed"; its shadow
 * is reclassified if the address is used again.
 */
static inline void preload_destroyed(const void *lock)
{
	struct shadow *s;

	preload_clear_foreign(lock);
	if (preload_validating() && (s = shadow_find(lock))) {
		ksync_debug_check_no_locks_freed(&s->map, sizeof(s->map));
		s->destroyed = 1;
	}
}

#endif /* KSYNC_PRELOAD_H */
