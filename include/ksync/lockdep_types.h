/* SPDX-License-Identifier: MIT */
/*
 * <ksync/lockdep_types.h> - the lockdep map every lock embeds, and keys.
 *
 * As in the kernel, validation works on lock classes, not on lock
 * instances.  A class is named by a key: the static struct lock_class_key
 * that an init macro (spin_lock_init(), mutex_init(), ...) declares at its
 * call site, so every lock initialised at one place in the source shares a
 * class; or, for a statically initialised lock (DEFINE_SPINLOCK(), ...),
 * the lock's own address.  A key holds one byte per subclass so that
 * key + subclass is a distinct address too.
 */
#ifndef _KSYNC_LOCKDEP_TYPES_H
#define _KSYNC_LOCKDEP_TYPES_H

#include <stdint.h>
#include <ksync/compiler.h>

#define MAX_LOCKDEP_SUBCLASSES	8U
/* Locks one thread can hold at once, as the kernel's held_locks[]. */
#define MAX_LOCK_DEPTH		48
#define SINGLE_DEPTH_NESTING	1

/*
 * How a lock may wait, for the kernel's wait-context rules: no lock may
 * be taken where something of a lower type is held (or in a hard
 * interrupt, LD_WAIT_SPIN; a softirq or a handler PREEMPT_RT would
 * thread, LD_WAIT_CONFIG).  LD_WAIT_CONFIG counts as
 * LD_WAIT_SPIN unless KSYNC_PROVE_RAW_LOCK_NESTING=1 (the kernel's
 * CONFIG_PROVE_RAW_LOCK_NESTING); reports print these numbers.
 */
enum lockdep_wait_type {
	LD_WAIT_INV = 0,	/* not checked, catch-all */
	LD_WAIT_FREE,		/* wait free, rcu etc. */
	LD_WAIT_SPIN,		/* spin loops, raw_spinlock_t etc. */
	LD_WAIT_CONFIG,		/* spinlock_t: sleeps on PREEMPT_RT */
	LD_WAIT_SLEEP,		/* sleeping locks, mutex etc. */
	LD_WAIT_MAX,
};

/*
 * What a map is, for the wait-context check (the kernel's LD_LOCK_*): a
 * lock, a per-CPU lock (local_lock_t), or an annotation that sets what
 * may be taken inside it (DEFINE_WAIT_OVERRIDE_MAP()).
 */
enum lockdep_lock_type {
	LD_LOCK_NORMAL = 0,
	LD_LOCK_PERCPU,
	LD_LOCK_WAIT_OVERRIDE,
	LD_LOCK_MAX,
};

/* Which primitive a map belongs to; the read-lock rules depend on it. */
enum ksync_lock_kind {
	KSYNC_LOCK_SPIN = 0,	/* spinlock_t, raw_spinlock_t */
	KSYNC_LOCK_RWLOCK,	/* rwlock_t (queued rwlock) */
	KSYNC_LOCK_MUTEX,
	KSYNC_LOCK_RWSEM,
	KSYNC_LOCK_SEMAPHORE,
	KSYNC_LOCK_SEQLOCK,
	KSYNC_LOCK_OTHER,
};

struct lockdep_subclass_key {
	char __one_byte;
} __attribute__((packed));

struct lock_class_key {
	struct lockdep_subclass_key subkeys[MAX_LOCKDEP_SUBCLASSES];
};

struct lock_class;
struct lockdep_map;

/*
 * Order two locks of one class (the kernel's lockdep_set_lock_cmp_fn()):
 * < 0 if a may be held while b is taken, 0 if nesting them is a bug.
 */
typedef int (*lock_cmp_fn)(const struct lockdep_map *a, const struct lockdep_map *b);
/* Add to a lock's name in reports (printed inside its parentheses). */
typedef void (*lock_print_fn)(const struct lockdep_map *map);

#define NR_LOCKDEP_CACHING_CLASSES	2

struct lockdep_map {
	struct lock_class_key *key;		/* NULL: keyed by the map's address */
	struct lock_class *class_cache[NR_LOCKDEP_CACHING_CLASSES];
	const char *name;			/* the stringified lock expression */
	unsigned char wait_type_outer;
	unsigned char wait_type_inner;
	unsigned char kind : 5;			/* enum ksync_lock_kind */
	unsigned char lock_type : 3;		/* enum lockdep_lock_type */
	unsigned char subclass;			/* default, lockdep_set_subclass() */
	/* lock_stat: the CPU that last took the lock, and where (a site
	 * pointer tagged with the top bit, or a code address). */
	int cpu;
	uintptr_t last_where;
};

#endif /* _KSYNC_LOCKDEP_TYPES_H */
