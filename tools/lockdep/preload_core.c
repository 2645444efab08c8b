// SPDX-License-Identifier: MIT
/*
 * libksync-preload: finding the C library's functions, the settings
 * ksync-lockdep passes in the environment, memory, and fork().
 */
#include "preload.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <ksync/qspinlock.h>
#include <ksync/smp.h>

struct real_pthread real;
unsigned int preload_replace;
bool preload_instance_classes;
unsigned int preload_class_depth = 2;
__thread int preload_busy __attribute__((tls_model("initial-exec")));
static __thread pid_t cached_tid __attribute__((tls_model("initial-exec")));
static pid_t my_pid;		/* this process's, as of start-up or fork */
__thread unsigned int preload_fork_held __attribute__((tls_model("initial-exec")));
static void (*real_exit)(int) __attribute__((noreturn));

static bool env_is(const char *name, const char *value)
{
	const char *v = getenv(name);

	return v && !strcmp(v, value);
}

static unsigned int replace_kinds(const char *v)
{
	unsigned int kinds = 0;

	if (!v || !*v || !strcmp(v, "0"))
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "all"))
		return REPLACE_MUTEX | REPLACE_RWLOCK | REPLACE_SPIN | REPLACE_COND;
	if (strstr(v, "mutex"))
		kinds |= REPLACE_MUTEX | REPLACE_COND;
	if (strstr(v, "rwlock"))
		kinds |= REPLACE_RWLOCK;
	if (strstr(v, "spin"))
		kinds |= REPLACE_SPIN;
	if (strstr(v, "cond"))
		kinds |= REPLACE_COND;
	return kinds;
}

/* pthread_cond_* come in two versions; the program uses the current one. */
static void *find(const char *name, const char *version)
{
	void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;

	return p ? p : dlsym(RTLD_NEXT, name);
}

#define FIND(field, name)		*(void **)&real.field = find(name, NULL)
#define FIND_COND(field, name)		*(void **)&real.field = find(name, "GLIBC_2.3.2")

void preload_resolve(void)
{
	struct real_pthread r;
	const char *depth;

	if (__atomic_load_n(&real.real_mutex_lock, __ATOMIC_ACQUIRE))
		return;
	preload_busy++;
	FIND(real_mutex_init, "pthread_mutex_init");
	FIND(real_mutex_destroy, "pthread_mutex_destroy");
	FIND(real_mutex_trylock, "pthread_mutex_trylock");
	FIND(real_mutex_timedlock, "pthread_mutex_timedlock");
	FIND(real_mutex_clocklock, "pthread_mutex_clocklock");
	FIND(real_mutex_unlock, "pthread_mutex_unlock");
	FIND(real_rwlock_init, "pthread_rwlock_init");
	FIND(real_rwlock_destroy, "pthread_rwlock_destroy");
	FIND(real_rwlock_rdlock, "pthread_rwlock_rdlock");
	FIND(real_rwlock_tryrdlock, "pthread_rwlock_tryrdlock");
	FIND(real_rwlock_timedrdlock, "pthread_rwlock_timedrdlock");
	FIND(real_rwlock_clockrdlock, "pthread_rwlock_clockrdlock");
	FIND(real_rwlock_wrlock, "pthread_rwlock_wrlock");
	FIND(real_rwlock_trywrlock, "pthread_rwlock_trywrlock");
	FIND(real_rwlock_timedwrlock, "pthread_rwlock_timedwrlock");
	FIND(real_rwlock_clockwrlock, "pthread_rwlock_clockwrlock");
	FIND(real_rwlock_unlock, "pthread_rwlock_unlock");
	FIND(real_spin_init, "pthread_spin_init");
	FIND(real_spin_destroy, "pthread_spin_destroy");
	FIND(real_spin_lock, "pthread_spin_lock");
	FIND(real_spin_trylock, "pthread_spin_trylock");
	FIND(real_spin_unlock, "pthread_spin_unlock");
	FIND_COND(real_cond_init, "pthread_cond_init");
	FIND_COND(real_cond_destroy, "pthread_cond_destroy");
	FIND_COND(real_cond_wait, "pthread_cond_wait");
	FIND_COND(real_cond_timedwait, "pthread_cond_timedwait");
	FIND(real_cond_clockwait, "pthread_cond_clockwait");
	FIND_COND(real_cond_signal, "pthread_cond_signal");
	FIND_COND(real_cond_broadcast, "pthread_cond_broadcast");
	*(void **)&real_exit = find("_exit", NULL);
	/*
	 * The settings too: a library's constructor may run before ours and
	 * lock already, and every lock must be replaced or not from its
	 * first use.
	 */
	preload_replace = replace_kinds(getenv("KSYNC_PRELOAD_REPLACE"));
	preload_instance_classes = env_is("KSYNC_PRELOAD_CLASS", "instance");
	depth = getenv("KSYNC_PRELOAD_CLASS_DEPTH");
	if (depth && atoi(depth) >= 1 && atoi(depth) <= PRELOAD_MAX_CLASS_DEPTH)
		preload_class_depth = (unsigned int)atoi(depth);
	preload_names_start();
	/*
	 * ksync's settings too, for the same reason: a lock made before
	 * libksync's constructor ran (by jemalloc, initialised from an early
	 * malloc()) gets its class like any other.  Initialising ksync takes
	 * no lock, allocates nothing and loads nothing.
	 */
	(void)raw_smp_processor_id();
	/* mutex_lock last, with release: it says "all found". */
	*(void **)&r.real_mutex_lock = find("pthread_mutex_lock", NULL);
	if (!r.real_mutex_lock) {
		fprintf(stderr, "ksync-lockdep: cannot find the C library's pthread_mutex_lock\n");
		abort();
	}
	__atomic_store_n(&real.real_mutex_lock, r.real_mutex_lock, __ATOMIC_RELEASE);
	preload_busy--;
}

pid_t preload_gettid(void)
{
	if (__builtin_expect(!cached_tid, 0))
		cached_tid = (pid_t)syscall(SYS_gettid);
	return cached_tid;
}

bool preload_timespec_valid(const struct timespec *ts)
{
	return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

uint64_t preload_deadline_ns(clockid_t clock, const struct timespec *abstime)
{
	struct timespec now, mono;
	int64_t left;

	clock_gettime(clock, &now);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	left = (int64_t)(abstime->tv_sec - now.tv_sec) * 1000000000 +
	       (abstime->tv_nsec - now.tv_nsec);
	if (left < 0)
		left = 0;
	/* +1: a deadline of 0 would mean "none" to ksync. */
	return (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec + (uint64_t)left + 1;
}

/* --- memory ------------------------------------------------------------------------ */

#define CHUNK	(1u << 20)

/* The bare queued spinlock: no lockdep, no pthread call. */
static arch_spinlock_t mem_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static char *chunk_next, *chunk_end;
static void *pool_free[POOL_NR];

void *preload_alloc(size_t size)
{
	void *p = NULL;

	size = (size + 63) & ~(size_t)63;	/* cache-line apart */
	preload_own_lock(&mem_lock, HELD_MEM);
	if (!chunk_next || (size_t)(chunk_end - chunk_next) < size) {
		size_t len = size > CHUNK ? size : CHUNK;
		char *c = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (c == MAP_FAILED) {
			preload_own_unlock(&mem_lock, HELD_MEM);
			return NULL;
		}
		chunk_next = c;
		chunk_end = c + len;
		/* Never unmapped: class keys in it are as good as static ones. */
		ksync_lockdep_permanent_memory(c, len);
	}
	p = chunk_next;
	chunk_next += size;
	preload_own_unlock(&mem_lock, HELD_MEM);
	return p;
}

void *preload_obj_get(int pool, size_t size)
{
	void *p;

	preload_own_lock(&mem_lock, HELD_MEM);
	p = pool_free[pool];
	if (p)
		pool_free[pool] = *(void **)p;
	preload_own_unlock(&mem_lock, HELD_MEM);
	if (p) {
		memset(p, 0, size);
		return p;
	}
	return preload_alloc(size);
}

void preload_obj_put(int pool, void *obj)
{
	preload_own_lock(&mem_lock, HELD_MEM);
	*(void **)obj = pool_free[pool];
	pool_free[pool] = obj;
	preload_own_unlock(&mem_lock, HELD_MEM);
}

/* --- start-up and fork --------------------------------------------------------------- */

/*
 * Between our prepare handler and our parent or child handler, the forking
 * thread runs the handlers of libraries that registered theirs before us,
 * at both ends: jemalloc locks every arena mutex, a hundred and more, and
 * unlocks them after.  Lockdep does not watch that (it would overflow the
 * held-lock stack with classes per lock, and report from inside the
 * allocator, whose symbolising would need the allocator).
 */
static void fork_prepare(void)
{
	queued_spin_lock(&mem_lock);
	preload_fork_held |= HELD_MEM;
	ksync_lockdep_off();
}

static void fork_parent(void)
{
	ksync_lockdep_on();
	preload_fork_held &= ~HELD_MEM;
	queued_spin_unlock(&mem_lock);
}

static void fork_child(void)
{
	ksync_lockdep_on();
	cached_tid = 0;		/* the child's thread has a tid of its own */
	my_pid = getpid();
	preload_fork_held &= ~HELD_MEM;
	__atomic_store_n(&mem_lock.val, 0, __ATOMIC_RELAXED);
}


void preload_class_fork_prepare(void);
void preload_class_fork_parent(void);
void preload_class_fork_child(void);

__attribute__((constructor)) static void preload_start(void)
{
	my_pid = getpid();
	preload_resolve();
	/* Reports start their backtraces in the program, not in us. */
	ksync_interposer_register((const void *)preload_start);
	/*
	 * Prepare handlers run in reverse order of registration: the class
	 * tables' lock is taken before the memory lock, as when they nest.
	 */
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	pthread_atfork(preload_class_fork_prepare, preload_class_fork_parent,
		       preload_class_fork_child);
}

/* --- leaving through _exit() ------------------------------------------------------ */

/*
 * _exit() runs no destructors, so a program that leaves through it (many
 * do, in a forked child) would write no lock_stat table and no graph: do
 * it here.  Not in a vfork() child, which shares its parent's memory and
 * must touch nothing: its pid is not the one this process started or
 * forked with (vfork() runs no fork handlers).
 */
static void leaving(void)
{
	if (getpid() == my_pid)
		ksync_lockdep_exit_files();
}

static __attribute__((noreturn)) void really_exit(int status)
{
	realfn();
	if (real_exit)
		real_exit(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

PRELOAD_API __attribute__((noreturn)) void _exit(int status)
{
	leaving();
	really_exit(status);
}

PRELOAD_API __attribute__((noreturn)) void _Exit(int status)
{
	leaving();
	really_exit(status);
}

/* --- locks that are the C library's ---------------------------------------------- */

/*
 * When replacing, a lock first met while ksync works for itself (libdw
 * and what it loads - libcurl, libcrypto - during a report's
 * symbolisation) is left to the C library for good: that code's locks
 * are not the program's, and a lock must be one implementation for its
 * whole life (libcrypto takes its locks again at exit, outside ksync).
 */
#define FOREIGN_SLOTS	4096
#define TOMBSTONE	((uintptr_t)1)	/* removed: probing goes on past it */
static uintptr_t foreign[FOREIGN_SLOTS];
unsigned int preload_nr_foreign;
static bool foreign_full_said;

static unsigned int foreign_slot(uintptr_t p)
{
	return (unsigned int)((p * 0x9e3779b97f4a7c15ull) >> 54) % FOREIGN_SLOTS;
}

static uintptr_t *foreign_find(uintptr_t key)
{
	for (unsigned int n = 0, i = foreign_slot(key); n < FOREIGN_SLOTS;
	     n++, i = (i + 1) % FOREIGN_SLOTS) {
		uintptr_t k = __atomic_load_n(&foreign[i], __ATOMIC_ACQUIRE);

		if (k == key)
			return &foreign[i];
		if (!k)
			return NULL;
	}
	return NULL;
}

bool preload_keep_foreign_slow(const void *lock)
{
	/* Acquire: a non-empty first word is an object someone made. */
	if (__atomic_load_n((void *const *)lock, __ATOMIC_ACQUIRE))
		return false;
	preload_set_foreign(lock);
	return true;
}

bool preload_find_foreign(const void *lock)
{
	return foreign_find((uintptr_t)lock) != NULL;
}

void preload_set_foreign(const void *lock)
{
	uintptr_t key = (uintptr_t)lock;

	if (foreign_find(key))
		return;
	for (unsigned int n = 0, i = foreign_slot(key); n < FOREIGN_SLOTS;
	     n++, i = (i + 1) % FOREIGN_SLOTS) {
		uintptr_t k = __atomic_load_n(&foreign[i], __ATOMIC_ACQUIRE);

		/* Release: the entry is there before the count says so. */
		if ((!k || k == TOMBSTONE) &&
		    __atomic_compare_exchange_n(&foreign[i], &k, key, 0, __ATOMIC_RELEASE,
						__ATOMIC_ACQUIRE)) {
			__atomic_fetch_add(&preload_nr_foreign, 1, __ATOMIC_RELEASE);
			return;
		}
	}
	/* Full: that lock will be taken for the program's. Say so, once. */
	if (!__atomic_exchange_n(&foreign_full_said, true, __ATOMIC_RELAXED))
		fprintf(stderr, "ksync-lockdep: more than %d locks made inside ksync's own "
			"reporting; --replace may misbehave from here\n", FOREIGN_SLOTS);
}

/* The address holds a lock of the program's now (initialised again). */
void preload_clear_foreign(const void *lock)
{
	uintptr_t *slot;

	if (!__atomic_load_n(&preload_nr_foreign, __ATOMIC_ACQUIRE) ||
	    !(slot = foreign_find((uintptr_t)lock)))
		return;
	__atomic_store_n(slot, TOMBSTONE, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&preload_nr_foreign, 1, __ATOMIC_RELEASE);
}
