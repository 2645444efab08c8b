/* SPDX-License-Identifier: MIT */
/*
 * <ksync/lockdep.h> - the runtime lock validator.
 *
 * Lockdep is switched on with KSYNC_LOCKDEP=1 (no rebuild).  It then sees
 * every acquisition of every ksync lock, learns which lock classes are
 * taken while which others are held, and reports an order that *could*
 * deadlock the first time it becomes possible (see docs/lockdep.md).
 *
 * Every ksync lock calls the entry points below from its debug path,
 * never from the fast path: acquire before it waits, so that a deadlock is
 * reported instead of hanging; release when it unlocks.  They are exported
 * so that a lock built outside libksync can be validated too (the
 * ksync-lockdep preload library does that for pthread locks).
 *
 * site is where the lock call was written (may be NULL); ip is the code
 * address to symbolise when there is no site.  read: 0 exclusive, 1 shared,
 * 2 shared and recursive.
 */
#ifndef _KSYNC_LOCKDEP_H
#define _KSYNC_LOCKDEP_H

#include <stddef.h>
#include <ksync/bug.h>
#include <ksync/compiler.h>
#include <ksync/irqflags.h>
#include <ksync/lockdep_types.h>
#include <ksync/preempt.h>

KSYNC_API void ksync_lockdep_init_map(struct lockdep_map *map, const char *name,
				      struct lock_class_key *key, int subclass,
				      int wait_type_inner, int kind);
/*
 * The same with the wait-context fields (the kernel's
 * lockdep_init_map_type()): outer 0 means as inner; lock_type is an
 * enum lockdep_lock_type.
 */
KSYNC_API void ksync_lockdep_init_map_type(struct lockdep_map *map, const char *name,
					   struct lock_class_key *key, int subclass,
					   int wait_type_inner, int wait_type_outer,
					   int lock_type, int kind);
/*
 * The annotations, with the kernel's arguments (lock_acquire() and its
 * kin, below, are what to call).  ip is the caller's code address
 * (_RET_IP_), or a call site made with KSYNC_SITE_IP(): reports then name
 * file:line and the lock expression as written.
 */
KSYNC_API void ksync_lock_acquire(struct lockdep_map *map, unsigned int subclass,
				  int trylock, int read, int check,
				  struct lockdep_map *nest_lock, unsigned long ip);
KSYNC_API void ksync_lock_release(struct lockdep_map *map, unsigned long ip);
KSYNC_API void ksync_lock_contended(struct lockdep_map *map, unsigned long ip);
KSYNC_API void ksync_lock_acquired(struct lockdep_map *map, unsigned long ip);
/* A held write lock becomes a read lock (downgrade_write()). */
KSYNC_API void ksync_lock_downgrade(struct lockdep_map *map, unsigned long ip);

#ifndef _RET_IP_
#define _RET_IP_	((unsigned long)__builtin_return_address(0))
#endif
#ifndef _THIS_IP_
#define _THIS_IP_	({ __label__ __here; __here: (unsigned long)&&__here; })
#endif

/*
 * An ip that names a call site: bit 63, never set in a user-space code
 * address on x86-64 or arm64, marks the rest as a struct ksync_site
 * pointer.  Without a site (NULL), the code address ip itself.
 */
#define KSYNC_IP_IS_SITE	(1UL << 63)
static inline unsigned long KSYNC_SITE_IP(const struct ksync_site *site, unsigned long ip)
{
	return site ? (unsigned long)site | KSYNC_IP_IS_SITE : ip;
}

/* Report if [mem, mem + len) holds a lock the calling thread holds. */
KSYNC_API void ksync_debug_check_no_locks_freed(const void *mem, size_t len);
/* Report if the calling thread holds any lock. */
KSYNC_API void ksync_debug_check_no_locks_held(void);
/* Print the calling thread's held locks. */
KSYNC_API void ksync_lockdep_print_held_locks(void);

struct task_struct;
/*
 * The kernel's debug_show_held_locks(task): the locks task holds (current,
 * or another thread's task_struct, <ksync/sched.h>).  As the kernel, a
 * task other than the caller that is running gets only the count line
 * (its stack may change under the reader); "INFO: lockdep is turned off."
 * when held locks are not tracked.
 */
KSYNC_API void ksync_debug_show_held_locks(struct task_struct *task);

#define debug_check_no_locks_freed(mem, len)	ksync_debug_check_no_locks_freed((mem), (len))
#define debug_check_no_locks_held()		ksync_debug_check_no_locks_held()
#define debug_show_held_locks(task)		ksync_debug_show_held_locks(task)

/* --- is it held? ------------------------------------------------------------- */

#define LOCK_STATE_UNKNOWN	-1
#define LOCK_STATE_NOT_HELD	0
#define LOCK_STATE_HELD		1

/*
 * Whether the calling thread holds the lock: read -1 any mode, 0 for
 * writing, 1 for reading.  LOCK_STATE_UNKNOWN when held locks are not
 * tracked (no debug switch on, or lockdep turned itself off after a
 * report), so that assertions then pass, as in the kernel.
 */
KSYNC_API int ksync_lock_is_held_type(const struct lockdep_map *map, int read);
/* Held locks are tracked now (the kernel's debug_locks, at run time). */
KSYNC_API int ksync_lockdep_tracking(void);

#define lock_is_held_type(map, r)	ksync_lock_is_held_type((map), (r))
#define lock_is_held(map)		ksync_lock_is_held_type((map), -1)
#define lockdep_is_held(lock)		ksync_lock_is_held_type(&(lock)->dep_map, -1)
#define lockdep_is_held_type(lock, r)	ksync_lock_is_held_type(&(lock)->dep_map, (r))

/* An assertion failed: the kernel's WARN_ON layout, once per site. */
KSYNC_API void ksync_lockdep_assert_failed(const struct ksync_site *site,
					   const char *why);

#define __ksync_lockdep_assert(cond, why, what)				\
	do {								\
		if (__ksync_unlikely(!(cond)))				\
			ksync_lockdep_assert_failed(KSYNC_SITE(what), (why)); \
	} while (0)

/*
 * The kernel's lockdep_assert(cond): WARN_ON(!cond) while lockdep tracks
 * held locks (KSYNC_DEBUG or KSYNC_LOCKDEP, and no report turned it
 * off), and cond is then evaluated; otherwise nothing, cond not evaluated.
 * lockdep_assert_once() is WARN_ON_ONCE (once per call site).
 */
#define lockdep_assert(cond)						\
	do { WARN_ON(ksync_lockdep_tracking() && !(cond)); } while (0)
#define lockdep_assert_once(cond)					\
	do { WARN_ON_ONCE(ksync_lockdep_tracking() && !(cond)); } while (0)

#define lockdep_assert_held(l)						\
	__ksync_lockdep_assert(lockdep_is_held(l) != LOCK_STATE_NOT_HELD, \
			       "lock not held", "lockdep_assert_held(" #l ")")
#define lockdep_assert_not_held(l)					\
	__ksync_lockdep_assert(lockdep_is_held(l) != LOCK_STATE_HELD,	\
			       "lock held", "lockdep_assert_not_held(" #l ")")
#define lockdep_assert_held_write(l)					\
	__ksync_lockdep_assert(lockdep_is_held_type(l, 0) != LOCK_STATE_NOT_HELD, \
			       "lock not held for writing",		\
			       "lockdep_assert_held_write(" #l ")")
#define lockdep_assert_held_read(l)					\
	__ksync_lockdep_assert(lockdep_is_held_type(l, 1) != LOCK_STATE_NOT_HELD, \
			       "lock not held for reading",		\
			       "lockdep_assert_held_read(" #l ")")
#define lockdep_assert_held_once(l)	lockdep_assert_held(l)


#define lockdep_assert_irqs_disabled()					\
	__ksync_lockdep_assert(!ksync_lockdep_tracking() || irqs_disabled(), \
			       "interrupts enabled", "lockdep_assert_irqs_disabled()")
#define lockdep_assert_irqs_enabled()					\
	__ksync_lockdep_assert(!ksync_lockdep_tracking() || !irqs_disabled(), \
			       "interrupts disabled", "lockdep_assert_irqs_enabled()")
#define lockdep_assert_in_softirq()					\
	__ksync_lockdep_assert(!ksync_lockdep_tracking() ||		\
			       (in_softirq() && !in_irq() && !in_nmi()), \
			       "not in softirq context", "lockdep_assert_in_softirq()")
#define lockdep_assert_in_irq()						\
	__ksync_lockdep_assert(!ksync_lockdep_tracking() || in_irq(),	\
			       "not in hardirq context", "lockdep_assert_in_irq()")
#define lockdep_assert_preemption_disabled()				\
	__ksync_lockdep_assert(!ksync_lockdep_tracking() ||		\
			       preempt_count() || irqs_disabled(),	\
			       "preemption enabled",			\
			       "lockdep_assert_preemption_disabled()")
#define lockdep_assert_preemption_enabled()				\
	__ksync_lockdep_assert(!ksync_lockdep_tracking() ||		\
			       (!preempt_count() && !irqs_disabled()),	\
			       "preemption disabled",			\
			       "lockdep_assert_preemption_enabled()")

/* --- classes ------------------------------------------------------------------ */

/*
 * Give a lock another class (and name) than its init site gave it,
 * keeping its wait types.  The key must outlive every lock of the class:
 * a static variable, or a key registered with lockdep_register_key().
 */
#define __ksync_lockdep_reinit(lock, name, key, sub)			\
	ksync_lockdep_init_map_type(&(lock)->dep_map, (name), (key), (sub), \
				    (lock)->dep_map.wait_type_inner,	\
				    (lock)->dep_map.wait_type_outer,	\
				    (lock)->dep_map.lock_type,		\
				    (lock)->dep_map.kind)
#define lockdep_set_class(lock, key)					\
	__ksync_lockdep_reinit(lock, #key, (key), 0)
#define lockdep_set_class_and_name(lock, key, name)			\
	__ksync_lockdep_reinit(lock, (name), (key), 0)
#define lockdep_set_class_and_subclass(lock, key, sub)			\
	__ksync_lockdep_reinit(lock, #key, (key), (sub))
#define lockdep_set_subclass(lock, sub)					\
	__ksync_lockdep_reinit(lock, (lock)->dep_map.name,		\
			       (lock)->dep_map.key, (sub))
/*
 * Keys in memory that is not static (a heap object's, the kernel's
 * lockdep_register_key()): register the key before a lock uses it, and
 * unregister it before its memory is freed.  Unregistering forgets every
 * class of the key - its dependencies, cached chains, lock_stat counts -
 * so the memory may be reused for another key without the old key's
 * dependencies showing up.  No lock of the key may be held then, and a
 * lock still set to the key must be set to another before it is taken
 * again (taking it is reported: "BUG: key ... has not been registered!").
 * A static key needs neither (each WARNs, as the kernel).
 */
KSYNC_API void ksync_lockdep_register_key(struct lock_class_key *key,
					  const struct ksync_site *site);
KSYNC_API void ksync_lockdep_unregister_key(struct lock_class_key *key,
					    const struct ksync_site *site);
#define lockdep_register_key(key)					\
	ksync_lockdep_register_key((key), KSYNC_SITE("lockdep_register_key(" #key ")"))
#define lockdep_unregister_key(key)					\
	ksync_lockdep_unregister_key((key), KSYNC_SITE("lockdep_unregister_key(" #key ")"))

/*
 * ksync: [start, start + len) is never freed or reused (an arena of
 * a library's own), so keys in it, and locks keyed by their own address
 * in it, count as static, as the program's data and bss do.
 */
KSYNC_API void ksync_lockdep_permanent_memory(const void *start, size_t len);

/*
 * Give a held lock another class (the kernel's lock_set_class()): the map
 * takes name, key and subclass as lockdep_init_map() gives them, and the
 * held-lock stack is rebuilt from that lock up, so later dependencies are
 * the new class's.  lock_set_subclass() keeps name and key.  Not holding
 * the lock is "bad unlock balance"; holding none, DEBUG_LOCKS_WARN_ON.
 */
KSYNC_API void ksync_lock_set_class(struct lockdep_map *map, const char *name,
				    struct lock_class_key *key, unsigned int subclass,
				    unsigned long ip);
#define lock_set_class(map, name, key, sub, ip)				\
	ksync_lock_set_class((map), (name), (key), (sub), (ip))
#define lock_set_subclass(map, sub, ip)					\
	ksync_lock_set_class((map), (map)->name, (map)->key, (sub), (ip))

/* Never validated (the kernel's __lockdep_no_validate__). */
extern KSYNC_API struct lock_class_key __lockdep_no_validate__;
#define lockdep_set_novalidate_class(lock)				\
	lockdep_set_class_and_name(lock, &__lockdep_no_validate__, #lock)
#define lockdep_match_class(lock, key)	((lock)->dep_map.key == (key))

/*
 * Locks of one class that may nest in a known order (the kernel's
 * lockdep_set_lock_cmp_fn()): cmp_fn(a, b) < 0 means holding a while
 * taking b is fine, so it is neither recursive locking nor a dependency.
 * print_fn (may be NULL) adds a line about a lock to reports.
 */
KSYNC_API void ksync_lockdep_set_lock_cmp_fn(struct lockdep_map *map, lock_cmp_fn cmp_fn,
					     lock_print_fn print_fn);
#define lockdep_set_lock_cmp_fn(lock, cmp_fn, print_fn)			\
	ksync_lockdep_set_lock_cmp_fn(&(lock)->dep_map, (cmp_fn), (print_fn))
/* Print to the report stream (stderr or KSYNC_LOG), for a print_fn. */
KSYNC_API void ksync_report_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Maps for things that are not locks (the kernel's lock_map_*()). */
#define lockdep_init_map(map, name, key, sub)				\
	ksync_lockdep_init_map((map), (name), (key), (sub), 0, KSYNC_LOCK_OTHER)
#define STATIC_LOCKDEP_MAP_INIT(_name, _key)				\
	{ .key = (_key), .name = (_name), .kind = KSYNC_LOCK_OTHER }

#define __ksync_map_site(map)	KSYNC_SITE_IP(KSYNC_SITE(#map), 0)

/*
 * The kernel's annotations (include/linux/lockdep.h), for lock code: the
 * library's own locks enter lockdep only through these, and a user's own
 * lock annotates the same way.  read: 0 exclusive, 1 shared, 2 shared
 * and recursive; check: 1 validate, 0 only track.
 */
#define lock_acquire(l, s, t, r, c, n, i)				\
	ksync_lock_acquire((l), (s), (t), (r), (c), (n), (i))
#define lock_release(l, i)		ksync_lock_release((l), (i))
#define lock_contended(l, i)		ksync_lock_contended((l), (i))
#define lock_acquired(l, i)		ksync_lock_acquired((l), (i))
#define lock_downgrade(l, i)		ksync_lock_downgrade((l), (i))

#define lock_acquire_exclusive(l, s, t, n, i)	lock_acquire(l, s, t, 0, 1, n, i)
#define lock_acquire_shared(l, s, t, n, i)	lock_acquire(l, s, t, 1, 1, n, i)
#define lock_acquire_shared_recursive(l, s, t, n, i) lock_acquire(l, s, t, 2, 1, n, i)

#define spin_acquire(l, s, t, i)		lock_acquire_exclusive(l, s, t, NULL, i)
#define spin_acquire_nest(l, s, t, n, i)	lock_acquire_exclusive(l, s, t, n, i)
#define spin_release(l, i)			lock_release(l, i)

/*
 * The kernel's read_lock_is_recursive() with queued rwlocks: a reader in
 * interrupt context does not queue behind a waiting writer, so lockdep
 * may treat it as a recursive read (2); in task context it is a plain
 * shared acquisition (1), which may not nest.
 */
static inline int ksync_read_lock_is_recursive(void)
{
	return in_interrupt() != 0;
}

#define rwlock_acquire(l, s, t, i)		lock_acquire_exclusive(l, s, t, NULL, i)
/*
 * A reader of a queued rwlock is recursive (may nest inside a writer's
 * wait) only in interrupt context, as the kernel's read_lock_is_recursive().
 */
#define rwlock_acquire_read(l, s, t, i)					\
	lock_acquire(l, s, t, ksync_read_lock_is_recursive() ? 2 : 1, 1, NULL, i)
#define rwlock_release(l, i)			lock_release(l, i)

#define seqcount_acquire(l, s, t, i)		lock_acquire_exclusive(l, s, t, NULL, i)
#define seqcount_acquire_read(l, s, t, i)	lock_acquire_shared_recursive(l, s, t, NULL, i)
#define seqcount_release(l, i)			lock_release(l, i)

#define mutex_acquire(l, s, t, i)		lock_acquire_exclusive(l, s, t, NULL, i)
#define mutex_acquire_nest(l, s, t, n, i)	lock_acquire_exclusive(l, s, t, n, i)
#define mutex_release(l, i)			lock_release(l, i)

#define rwsem_acquire(l, s, t, i)		lock_acquire_exclusive(l, s, t, NULL, i)
#define rwsem_acquire_nest(l, s, t, n, i)	lock_acquire_exclusive(l, s, t, n, i)
#define rwsem_acquire_read(l, s, t, i)		lock_acquire_shared(l, s, t, NULL, i)
#define rwsem_release(l, i)			lock_release(l, i)

#define lock_map_acquire(map)						\
	lock_acquire_exclusive((map), 0, 0, NULL, __ksync_map_site(map))
#define lock_map_acquire_try(map)					\
	lock_acquire_exclusive((map), 0, 1, NULL, __ksync_map_site(map))
#define lock_map_acquire_read(map)					\
	lock_acquire_shared_recursive((map), 0, 0, NULL, __ksync_map_site(map))
#define lock_map_acquire_tryread(map)					\
	lock_acquire_shared_recursive((map), 0, 1, NULL, __ksync_map_site(map))
#define lock_map_release(map)		lock_release((map), __ksync_map_site(map))

/*
 * The dependencies taking the lock would make, recorded without taking
 * it (the kernel's might_lock(): an acquire and a release of its map).
 * As in the kernel, might_lock_nested() is a read acquisition.
 */
#define __ksync_might_lock(lock, sub, r, what)				\
	do {								\
		struct lockdep_map *__ml_map = &(lock)->dep_map;	\
		unsigned long __ml_ip = KSYNC_SITE_IP(KSYNC_SITE(what), _THIS_IP_); \
		lock_acquire(__ml_map, (sub), 0, (r), 1, NULL, __ml_ip);	\
		lock_release(__ml_map, __ml_ip);			\
	} while (0)
#define might_lock(lock)	__ksync_might_lock(lock, 0, 0, "might_lock(" #lock ")")
#define might_lock_read(lock)	__ksync_might_lock(lock, 0, 1, "might_lock_read(" #lock ")")
#define might_lock_nested(lock, sub)					\
	__ksync_might_lock(lock, sub, 1, "might_lock_nested(" #lock ")")

/*
 * Pinning (the kernel's lockdep_pin_lock()): code that must not have a
 * held lock released under it - by a callee that drops and retakes it -
 * pins it and gets a cookie; releasing a pinned lock WARNs ("releasing a
 * pinned lock"), and unpinning needs the same cookie ("pin count
 * corrupted" if it is not).  The cookie is NIL_COOKIE (val 0) when held
 * locks are not tracked.
 */
struct pin_cookie { unsigned int val; };
#define NIL_COOKIE	(struct pin_cookie){ .val = 0U, }

KSYNC_API struct pin_cookie ksync_lock_pin_lock(struct lockdep_map *map, unsigned long ip);
KSYNC_API void ksync_lock_repin_lock(struct lockdep_map *map, struct pin_cookie cookie,
				     unsigned long ip);
KSYNC_API void ksync_lock_unpin_lock(struct lockdep_map *map, struct pin_cookie cookie,
				     unsigned long ip);

#define lock_pin_lock(map)						\
	ksync_lock_pin_lock((map), __ksync_map_site(map))
#define lock_repin_lock(map, c)						\
	ksync_lock_repin_lock((map), (c), __ksync_map_site(map))
#define lock_unpin_lock(map, c)						\
	ksync_lock_unpin_lock((map), (c), __ksync_map_site(map))
#define lockdep_pin_lock(l)						\
	ksync_lock_pin_lock(&(l)->dep_map,				\
			    KSYNC_SITE_IP(KSYNC_SITE("lockdep_pin_lock(" #l ")"), 0))
#define lockdep_repin_lock(l, c)					\
	ksync_lock_repin_lock(&(l)->dep_map, (c),			\
			      KSYNC_SITE_IP(KSYNC_SITE("lockdep_repin_lock(" #l ")"), 0))
#define lockdep_unpin_lock(l, c)					\
	ksync_lock_unpin_lock(&(l)->dep_map, (c),			\
			      KSYNC_SITE_IP(KSYNC_SITE("lockdep_unpin_lock(" #l ")"), 0))

/*
 * A map that sets what may be taken while it is held, whatever is held
 * outside it (the kernel's DEFINE_WAIT_OVERRIDE_MAP()): LD_WAIT_SLEEP
 * lets code that runs under a raw_spinlock_t on a kernel without
 * PREEMPT_RT take wider locks; a lower type forbids them.  Take it with
 * lock_map_acquire_try(), as the kernel says: a trylock is not itself
 * checked against the context, nor does it count as a lock in interrupt
 * usage.  Only the wait-context check reads the type.
 */
#define DEFINE_WAIT_OVERRIDE_MAP(_name, _wait_type)			\
	struct lockdep_map _name = {					\
		.name = #_name "-wait-type-override",			\
		.wait_type_inner = (_wait_type),			\
		.lock_type = LD_LOCK_WAIT_OVERRIDE,			\
		.kind = KSYNC_LOCK_OTHER,				\
	}

/*
 * Try the lock; if that fails, tell lock_stat the lock was contended and
 * take it: the kernel's LOCK_CONTENDED() for a lock with a dep_map.
 */
#define LOCK_CONTENDED(_lock, try, lock)				\
do {									\
	if (!try(_lock)) {						\
		lock_contended(&(_lock)->dep_map, _RET_IP_);		\
		lock(_lock);						\
	}								\
	lock_acquired(&(_lock)->dep_map, _RET_IP_);			\
} while (0)

/*
 * Switch validation off and on for the calling thread (nestable), for
 * code that knowingly breaks the rules.
 */
KSYNC_API void ksync_lockdep_off(void);
KSYNC_API void ksync_lockdep_on(void);
#define lockdep_off()	ksync_lockdep_off()
#define lockdep_on()	ksync_lockdep_on()

/*
 * A short name for a code or data address, as reports print places:
 * "file.c:42", "func+0x1c", or a data symbol ("big_lock").  For naming
 * the classes of locks made outside libksync (the preload library).
 */
KSYNC_API const char *ksync_lockdep_site_name(uintptr_t addr, char *buf, size_t len);
/* The demangled name of the function holding a code address ("" if unknown). */
KSYNC_API const char *ksync_symbol_name(uintptr_t addr, char *buf, size_t len);

/*
 * Names made when they are printed.  A library that names lock classes
 * after places (the preload library) cannot symbolise a place when a lock
 * is first used: that may allocate or load libraries from inside the
 * program's allocator, which takes pthread locks of its own.  It gives
 * lockdep_init_map() a name that costs nothing to make, and sets fn:
 * whenever lockdep prints a lock's name (a report, lock_stat, the graph)
 * it prints fn(name) instead, which may be name itself.  fn is called
 * with lockdep's report or graph lock held, never on a lock's fast path;
 * the string it returns must stay valid for ever.
 */
typedef const char *(*lockdep_name_fn)(const char *name);
KSYNC_API void ksync_lockdep_set_name_fn(lockdep_name_fn fn);

/* --- what lockdep knows -------------------------------------------------------- */

struct ksync_lockdep_stats {
	unsigned long classes;		/* lock classes registered */
	unsigned long dependencies;	/* direct dependencies in the graph */
	unsigned long chains;		/* distinct held-class sequences seen */
	unsigned long chain_lookups;	/* acquisitions looked up in the cache */
	unsigned long chain_hits;	/* ... and found there (not validated again) */
	unsigned long max_depth;	/* deepest held-lock stack seen */
	int debug_locks;		/* 0 once a report turned lockdep off */
};

KSYNC_API void ksync_lockdep_get_stats(struct ksync_lockdep_stats *st);

/*
 * Write the dependency graph as Graphviz DOT to fd; 0 or -errno.  Also
 * written at exit to the file KSYNC_LOCKDEP_DOT names.
 */
KSYNC_API int ksync_lockdep_write_dot(int fd);

/*
 * Write what is written at exit - the lock_stat table, the graph - now,
 * once: for a process about to leave through _exit(), which runs no
 * destructors (ksync-lockdep calls it from its _exit()).  Each process
 * writes its own files: the program writes KSYNC_LOCK_STAT_FILE and
 * KSYNC_LOCKDEP_DOT as named, every other process (a fork child, a program
 * it runs) FILE.PID if it took a lock; "the program" is the process whose
 * pid KSYNC_OUTPUT_PID holds, or else the one that loaded libksync.
 */
KSYNC_API void ksync_lockdep_exit_files(void);

/*
 * lock_stat (KSYNC_LOCK_STAT=1): write the table to fd (0 or -errno), or
 * reset the counts.  The table is also written at exit, to the file
 * KSYNC_LOCK_STAT_FILE names or else to stderr.
 */
KSYNC_API int ksync_lock_stat_write(int fd);
KSYNC_API void ksync_lock_stat_clear(void);

#endif /* _KSYNC_LOCKDEP_H */
