/* SPDX-License-Identifier: MIT */
/*
 * Lockdep's internal data (kernel/locking/lockdep_internals.h).
 *
 * Everything lives in static arrays, as in the kernel: lockdep runs inside
 * interrupt handlers (signal handlers) and must not allocate.
 *
 * The graph lock serialises every writer (new classes, dependencies,
 * chains, usage bits) and every reader of the dependency lists.  The hot
 * path - a lock whose class is cached in its map, usage bits already set,
 * a held-class sequence already in the chain cache - reads without it: a
 * class pointer, a usage mask and a chain key, each published with a
 * release store after the thing it names is complete.
 */
#ifndef _KSYNC_SRC_LOCKDEP_INTERNAL_H
#define _KSYNC_SRC_LOCKDEP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <ksync/lockdep.h>
#include <ksync/preempt.h>
#include "cpu.h"
#include "debug_checks.h"
#include "site.h"
#include "held_lock.h"
#include "lockdep_hooks.h"

/* Lockdep's record of the last interrupt-state changes on a CPU. */
struct ksync_irqtrace {
	unsigned int irq_events;
	unsigned int hardirq_enable_event, hardirq_disable_event;
	unsigned int softirq_enable_event, softirq_disable_event;
	const struct ksync_site *hardirq_enable_site, *hardirq_disable_site;
	const struct ksync_site *softirq_enable_site, *softirq_disable_site;
};

/* lockdep's per-CPU part (base/cpu.h): the kernel's task lockdep fields. */
struct ksync_lockdep_cpu {
	/* Locks this thread holds, for the debug checks and lockdep. */
	struct ksync_held_locks held;
	struct ksync_irqtrace irqtrace;
	/* > 0 inside lockdep or after lockdep_off(): lockdep ignores us. */
	int recursion;
	/* The interrupt mask as it was when lockdep was entered. */
	int irqs_off;
	/* The handler running would be a thread on PREEMPT_RT (wait context). */
	int hardirq_threaded;
	/* Chain-cache lookups and hits on this CPU (owner writes only). */
	unsigned long chain_lookups, chain_hits;
};

extern struct ksync_lockdep_cpu ksync_lockdep_cpu_part;

static inline struct ksync_lockdep_cpu *lockdep_cpu(const struct ksync_cpu *c)
{
	return ksync_cpu_part((struct ksync_cpu *)c, ksync_lockdep_cpu_part);
}

#define MAX_LOCKDEP_KEYS_BITS	13
#define MAX_LOCKDEP_KEYS	(1u << MAX_LOCKDEP_KEYS_BITS)	/* classes */
#define MAX_LOCKDEP_ENTRIES	32768u		/* list entries, two per dependency */
#define MAX_LOCKDEP_CHAINS	65536u
#define MAX_STACK_TRACE_ENTRIES	(1u << 17)
#define LOCKDEP_TRACE_DEPTH	16		/* frames saved per event */
#define LOCKSTAT_POINTS		4

/*
 * Usage bits: (state << 2) | (dir << 1) | read; state 0 hardirq, 1
 * softirq; dir 0 "used in that context", 1 "taken with it enabled".
 */
enum lock_usage_bit {
	LOCK_USED_IN_HARDIRQ = 0,
	LOCK_USED_IN_HARDIRQ_READ,
	LOCK_ENABLED_HARDIRQ,
	LOCK_ENABLED_HARDIRQ_READ,
	LOCK_USED_IN_SOFTIRQ,
	LOCK_USED_IN_SOFTIRQ_READ,
	LOCK_ENABLED_SOFTIRQ,
	LOCK_ENABLED_SOFTIRQ_READ,
	LOCK_USED,
	LOCK_USED_READ,
	LOCK_USAGE_STATES,
};

#define LOCK_USAGE_READ_MASK	1
#define LOCK_USAGE_DIR_MASK	2
#define LOCK_USAGE_STATE_MASK	(~(LOCK_USAGE_READ_MASK | LOCK_USAGE_DIR_MASK))
#define LOCKF(bit)		(1u << (bit))
#define LOCKF_USED_IN_IRQ_ALL	(LOCKF(0) | LOCKF(1) | LOCKF(4) | LOCKF(5))
#define LOCKF_ENABLED_IRQ_ALL	(LOCKF(2) | LOCKF(3) | LOCKF(6) | LOCKF(7))
#define LOCKF_IRQ		(LOCKF(0) | LOCKF(2) | LOCKF(4) | LOCKF(6))
#define LOCKF_IRQ_READ		(LOCKF(1) | LOCKF(3) | LOCKF(5) | LOCKF(7))

/*
 * Dependency kinds (lockdep-design.rst): S/E is the earlier lock shared or
 * exclusive, R/N the later one recursive-read or not.  bit0 is
 * "prev->read == 0", bit1 "next->read != 2".
 */
#define DEP_SR_MASK	(1u << 0)
#define DEP_ER_MASK	(1u << 1)
#define DEP_SN_MASK	(1u << 2)
#define DEP_EN_MASK	(1u << 3)

/* held_lock.irq_context bits */
#define LOCK_CHAIN_SOFTIRQ_CONTEXT	1
#define LOCK_CHAIN_HARDIRQ_CONTEXT	2

/* A saved stack trace: a run of entries in the shared pool. */
struct lock_trace {
	unsigned int offset;
	unsigned int nr;
};

/* Where something happened: the call site (or code address) and a trace. */
struct lock_where {
	const struct ksync_site *site;
	uintptr_t ip;
	struct lock_trace trace;
};

struct lock_time {
	uint64_t min, max, total, nr;
};

enum { STAT_WRITE, STAT_READ };

struct lock_class_stats {
	struct lock_time waittime[2];		/* STAT_WRITE, STAT_READ */
	struct lock_time holdtime[2];
	unsigned long con_bounces[2];
	unsigned long acq_bounces[2];
	unsigned long contention_count[LOCKSTAT_POINTS];
	unsigned long contending_count[LOCKSTAT_POINTS];
};

struct lock_list;

struct lock_class {
	const void *key;		/* the map's key plus the subclass */
	struct lock_class *hash_next;	/* next class in the key's hash bucket */
	const char *name;
	int name_version;		/* > 1: printed as name#version */
	unsigned int subclass;
	unsigned char wait_type_inner, wait_type_outer;
	unsigned char kind;		/* enum ksync_lock_kind */
	unsigned char no_validate;
	unsigned char lock_type;	/* enum lockdep_lock_type */
	unsigned char wait_reported;	/* an invalid wait context was reported */
	unsigned int usage_mask;	/* LOCKF(usage bit) */
	struct lock_where usage[LOCK_USAGE_STATES];
	struct lock_list *after;	/* dependencies: this -> later */
	struct lock_list *before;	/* dependencies: earlier -> this */
	unsigned int dep_gen_id[2];	/* BFS visited marks, by only_xr */
	lock_cmp_fn cmp_fn;		/* lockdep_set_lock_cmp_fn() */
	lock_print_fn print_fn;
	/* lock_stat: contention points (waiters) and contending points
	 * (holders), as "where" words (see lockdep_map.last_where). */
	uintptr_t contention_point[LOCKSTAT_POINTS];
	uintptr_t contending_point[LOCKSTAT_POINTS];
	struct lock_class_stats stats;
};

/*
 * One direction of a dependency prev -> next: in prev's after-list (class
 * is next) and in next's before-list (class is prev).
 */
struct lock_list {
	struct lock_class *class;	/* the class at the other end */
	struct lock_list *next;		/* next entry in the same list */
	struct lock_list *twin;		/* the same dependency, other list */
	unsigned short distance;	/* 1: directly nested */
	unsigned char dep;		/* DEP_*_MASK bits */
	unsigned char forward;		/* in an after-list */
	struct lock_where prev_at;	/* where prev was taken */
	struct lock_where next_at;	/* where next was taken, with prev held */
};

/*
 * A step of a breadth-first search: a class, reached over entry from the
 * parent step.  only_xr: every dependency that can continue a strong path
 * from here must start with an exclusive holder (-(E*)->), because the
 * last step was only -(*R)->.  Forward and backward searches keep their
 * steps apart, as one report may need a path of each.
 */
struct bfs_node {
	struct lock_class *class;
	struct lock_list *entry;	/* NULL at the root */
	const struct bfs_node *parent;	/* NULL at the root */
	unsigned char only_xr;
};

/* State shared by every thread (lockdep.c). */
extern struct lock_class lock_classes[MAX_LOCKDEP_KEYS];
extern unsigned int nr_lock_classes;
extern unsigned long nr_dependencies;

static inline struct lock_class *hlock_class(const struct ksync_held_lock *hl)
{
	return hl->class_idx ? &lock_classes[hl->class_idx] : NULL;
}

/* Set once by lockdep_set_lock_cmp_fn(), read without the graph lock. */
static inline lock_cmp_fn class_cmp_fn(const struct lock_class *class)
{
	return __atomic_load_n(&class->cmp_fn, __ATOMIC_ACQUIRE);
}

static inline unsigned int class_usage(const struct lock_class *class)
{
	return __atomic_load_n(&class->usage_mask, __ATOMIC_ACQUIRE);
}

/* lockdep.c */
void graph_lock(void);
void graph_unlock(void);
/* Turn lockdep off for a report: false if someone else already did. */
bool lockdep_report_begin(void);
void lockdep_report_end(void);
/*
 * For a report after which lockdep cannot go on (a table is full, a lock
 * could not be tracked): lockdep stops for good, KSYNC_KEEP_GOING or not,
 * and only the first such report is printed.
 */
bool lockdep_stop_report_begin(void);
int lockdep_hardirqs_enabled(const struct ksync_cpu *c);

/*
 * 1 once lockdep has stopped for good (see lockdep_stop_report_begin()).
 * Written once, read relaxed everywhere: a thread that has not seen it yet
 * goes on with state that is still consistent for that thread.
 */
extern int lockdep_stopped;

/* Held locks are tracked: a debug switch is on, and no report stopped it. */
static inline bool lockdep_tracking(void)
{
	return __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&lockdep_stopped, __ATOMIC_RELAXED);
}

/*
 * This thread's block if lockdep looks at the call being made: held locks
 * are tracked, and the thread is not inside lockdep (nor lockdep_off()).
 * NULL if it does not look.
 */
static inline struct ksync_cpu *lockdep_watched_cpu(void)
{
	struct ksync_cpu *c;

	if (!lockdep_tracking())
		return NULL;
	c = ksync_this_cpu();
	return lockdep_cpu(c)->recursion ? NULL : c;
}

/* Enter lockdep: mask interrupts on this thread, block recursion. */
static inline unsigned long lockdep_enter(struct ksync_cpu *c)
{
	unsigned long flags = arch_local_irq_save();

	lockdep_cpu(c)->irqs_off = arch_irqs_disabled_flags(flags);
	lockdep_cpu(c)->recursion++;
	return flags;
}

/* Leave it; interrupts held back meanwhile run here. */
static inline void lockdep_exit(struct ksync_cpu *c, unsigned long flags)
{
	lockdep_cpu(c)->recursion--;
	arch_local_irq_restore(flags);
}

/*
 * An annotation's ip that names a call site (KSYNC_SITE_IP() of
 * <ksync/lockdep.h>): the site, with *ip cleared; else NULL.
 */
static inline const struct ksync_site *lockdep_ip_site(unsigned long *ip)
{
	const struct ksync_site *site;

	if (!(*ip & KSYNC_IP_IS_SITE))
		return NULL;
	site = (const struct ksync_site *)(*ip & ~KSYNC_IP_IS_SITE);
	*ip = 0;
	return site;
}

/* The deepest held-lock stack seen; whether this process took a lock. */
extern unsigned long max_lockdep_depth;
extern int took_a_lock;

/*
 * The class key a map's class_cache[requested] stands for: the map's key
 * (or the map itself) plus the subclass; slot 0 holds the map's default.
 */
static inline const void *map_class_key(const struct lockdep_map *map,
					unsigned int requested)
{
	const char *base = map->key ? (const char *)map->key : (const char *)map;

	return base + (requested ? requested : map->subclass);
}

/*
 * A class cached in a map is still that map's: lockdep_unregister_key()
 * frees the classes of a key (their slots are reused), and the maps that
 * cached one cannot all be found, so every use checks.  Acquire pairs
 * with the release store that makes a reused slot's key final.
 */
static inline bool class_cache_valid(const struct lockdep_map *map,
				     unsigned int requested,
				     const struct lock_class *class)
{
	return __atomic_load_n(&class->key, __ATOMIC_ACQUIRE) ==
	       map_class_key(map, requested);
}

/* lockdep.c */
/* The index of map's entry in c's held stack (within one context), or -1. */
int find_held_lock(const struct ksync_cpu *c, const struct lockdep_map *map);
/* Push saved[0 .. depth - from) again as entries from .. depth - 1. */
void reacquire_held_locks(struct ksync_cpu *c, int from, int depth,
			  struct ksync_held_lock *saved);

/* lockdep_pin.c */
/*
 * The kernel's WARN(1, fmt) from inside lockdep: placed at the lock
 * call's site, or at ip (a return address) when there is none.
 */
void lockdep_warn(const struct ksync_site *site, uintptr_t ip, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* lockdep_keys.c */
/* lockdep_init_map() with a key: static or registered, else say so. */
void lockdep_check_key_at_init(const struct lock_class_key *key, uintptr_t ip);
/* A class is made for key: static or registered, else report; false then. */
bool lockdep_key_valid_for_class(const struct lockdep_map *map);
/* A slot lockdep_unregister_key() freed, to reuse (graph lock held); NULL if none. */
struct lock_class *lockdep_reuse_class(void);
/* The next "#N" for a new class of this name (lockdep_names.c; graph lock held). */
int lockdep_next_name_version(const char *name);
unsigned int lockdep_nr_free_classes(void);
/* lockdep_classes.c: out of the class hash (graph lock held). */
void lockdep_unhash_class(struct lock_class *class, const void *key);
/* The class slot holds no class (freed and not reused). */
static inline bool class_free(const struct lock_class *class)
{
	return !__atomic_load_n(&class->key, __ATOMIC_ACQUIRE);
}
/* Memory the program declared permanent (ksync_lockdep_permanent_memory()). */
bool lockdep_permanent_obj(const void *addr);
/* In a loaded object's data or bss, or permanent: the kernel's static_obj(). */
bool lockdep_static_obj(const void *addr);

/* lockdep_held.c */
bool lockdep_held_by(struct ksync_cpu *c, const struct lockdep_map *map, int read);
void lockdep_thread_exit(struct ksync_cpu *c);
/* lockdep.c: hl is map, or a merged entry standing for map's class. */
bool lockdep_match_held_lock(const struct ksync_held_lock *hl,
			     const struct lockdep_map *map);

static inline bool lockdep_validating(void)
{
	return ksync_lockdep_enabled() && !__atomic_load_n(&lockdep_stopped, __ATOMIC_RELAXED);
}

/* Softirqs can run here: not disabled, not being served. */
static inline int lockdep_softirqs_enabled(void)
{
	return !softirq_count();
}

/* lockdep_classes.c */
/* A map's or class's name as printed (see ksync_lockdep_set_name_fn()). */
const char *lockdep_printed_name(const char *name);
struct lock_class *register_lock_class(struct lockdep_map *map, unsigned int subclass);
struct lock_class *look_up_lock_class(const struct lockdep_map *map,
				      unsigned int subclass);
const char *lockdep_usage_str(enum lock_usage_bit bit);
const char *lockdep_state_name(enum lock_usage_bit bit);
/* "name#2/1" into buf. */
const char *lockdep_class_name(const struct lock_class *class, char *buf, size_t len);

/* lockdep_trace.c */
void lockdep_save_where(struct lock_where *w, const struct ksync_site *site,
			uintptr_t ip, bool with_trace);
void lockdep_print_where(const struct lock_where *w, int spaces);
void lockdep_print_trace(const struct lock_trace *trace, int spaces);

/* lockdep_graph.c (all under the graph lock) */
enum bfs_result {
	BFS_EQUEUEFULL = -1,
	BFS_RMATCH = 0,
	BFS_RNOMATCH = 1,
};

/*
 * Search from hl's class, forwards (over after-lists) or backwards; the
 * root's only_xr as the kernel's bfs_init_root()/bfs_init_rootb() set it.
 * The result stays valid until the next search in the same direction.
 */
enum bfs_result lockdep_bfs(const struct ksync_held_lock *hl, bool forwards,
			    bool (*match)(const struct bfs_node *n, void *data),
			    void *data, const struct bfs_node **target);
/*
 * The same, leaving out (neither matched nor gone through) every class
 * whose map is not a plain lock: the kernel's usage_skip() for the
 * interrupt usage searches.  A local_lock_t is per CPU, so it orders
 * nothing between an interrupt and the code it interrupts on that CPU;
 * an override map is no lock at all.
 */
enum bfs_result lockdep_bfs_usage(const struct ksync_held_lock *hl, bool forwards,
				  bool (*match)(const struct bfs_node *n, void *data),
				  void *data, const struct bfs_node **target);
int bfs_depth(const struct bfs_node *n);
/*
 * Give back the entry pair of the dependency e is half of, once both
 * halves are out of their lists (lockdep_unregister_key()).
 */
void lockdep_free_dependency(struct lock_list *e);
/* check_deadlock() and check_prevs_add(), for a new chain. */
bool check_deadlock_and_prevs(struct ksync_cpu *c, struct ksync_held_lock *next,
			      bool chain_head);

/* The usage bits an acquisition sets: irq context, irq state, use. */
static inline unsigned int lockdep_usage_of(const struct ksync_held_lock *hl)
{
	unsigned int read = hl->read ? LOCK_USAGE_READ_MASK : 0;
	unsigned int need = LOCKF(hl->read ? LOCK_USED_READ : LOCK_USED);

	if (!hl->trylock) {
		if (in_hardirq())
			need |= LOCKF(LOCK_USED_IN_HARDIRQ + read);
		if (in_serving_softirq())
			need |= LOCKF(LOCK_USED_IN_SOFTIRQ + read);
	}
	if (!hl->hardirqs_off) {
		need |= LOCKF(LOCK_ENABLED_HARDIRQ + read);
		if (lockdep_softirqs_enabled())
			need |= LOCKF(LOCK_ENABLED_SOFTIRQ + read);
	}
	return need;
}

/* The class has every usage bit this acquisition sets: the usual case. */
static inline bool usage_marked(const struct lock_class *class,
				const struct ksync_held_lock *hl)
{
	unsigned int need = lockdep_usage_of(hl);

	return (class_usage(class) & need) == need;
}

/* lockdep_wait.c: whether next may be taken here (else reported). */
bool check_wait_context(struct ksync_cpu *c, const struct ksync_held_lock *next);

/* lockdep_irq.c */
bool mark_usage(struct ksync_cpu *c, struct ksync_held_lock *hl);
bool mark_held_locks(struct ksync_cpu *c, enum lock_usage_bit base,
		     const struct ksync_site *site, uintptr_t ip);
bool check_irq_usage(struct ksync_cpu *c, struct ksync_held_lock *prev,
		     struct ksync_held_lock *next);

/* lockdep_chain.c */
/* A 64-bit mix of the running key with the next held lock's id. */
static inline uint64_t iterate_chain_key(uint64_t key, uint32_t id)
{
	uint64_t k = key ^ ((uint64_t)id * 0x9e3779b97f4a7c15ull);

	k ^= k >> 32;
	k *= 0xd6e8feb86659fd93ull;
	k ^= k >> 32;
	return k;
}

/* true: a new chain, to validate (with the graph lock held). */
bool lookup_chain_cache_add(struct ksync_cpu *c, uint64_t key);
unsigned long lockdep_nr_chains(void);
/* Forget every chain (graph lock held): a class they name was freed. */
void lockdep_flush_chains(void);
void lockdep_chain_stats(unsigned long *lookups, unsigned long *hits);

/* lockdep_report.c (printing, with the report lock held) */
void lockdep_print_lock_name(const struct lock_class *class);
void lockdep_print_short_name(const struct lock_class *class);
void lockdep_print_lock(const struct ksync_held_lock *hl);
/* hung_task.c: KSYNC_SHOW_LOCKS_SIGNAL's handler, at start-up. */
void lockdep_hung_task_init(void);
void lockdep_print_held_locks(const struct ksync_cpu *c);
void lockdep_print_ctx(const struct ksync_cpu *c, const char *what);
void print_deadlock_bug(struct ksync_cpu *c, struct ksync_held_lock *prev,
			struct ksync_held_lock *next);
void print_circular_bug(struct ksync_cpu *c, const struct bfs_node *target,
			struct ksync_held_lock *src, struct ksync_held_lock *tgt);
void print_usage_bug(struct ksync_cpu *c, struct ksync_held_lock *hl,
		     enum lock_usage_bit prev_bit, enum lock_usage_bit new_bit);
void print_irq_inversion_bug(struct ksync_cpu *c, const struct bfs_node *other,
			     struct ksync_held_lock *hl, bool forwards,
			     enum lock_usage_bit bit);
void print_bad_irq_dependency(struct ksync_cpu *c,
			      const struct bfs_node *backwards_entry,
			      const struct bfs_node *forwards_entry,
			      struct ksync_held_lock *prev,
			      struct ksync_held_lock *next,
			      enum lock_usage_bit bit1, enum lock_usage_bit bit2);
void print_unlock_imbalance_bug(struct ksync_cpu *c, const struct lockdep_map *map,
				const struct ksync_site *site, uintptr_t ip);
void print_lock_nested_lock_not_held(struct ksync_cpu *c, struct ksync_held_lock *hl);
void print_lockdep_off(const char *bug);

/* lock_stat.c */
static inline bool lock_stat_on(void)
{
	return __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) & KSYNC_DEBUG_STAT;
}

void lock_stat_begin(struct ksync_held_lock *hl);
void lock_stat_contended(struct ksync_cpu *c, struct ksync_held_lock *hl,
			 const struct ksync_site *site, uintptr_t ip);
void lock_stat_acquired(struct ksync_cpu *c, struct ksync_held_lock *hl,
			const struct ksync_site *site, uintptr_t ip);
void lock_stat_release(struct ksync_held_lock *hl);
void lock_stat_at_exit(void);
/* A thread exits holding locks: count their holds (or waits) until now. */
void lock_stat_thread_exit(struct ksync_cpu *c);
/* lockdep.c: this process's name for an at-exit FILE; false: write none. */
bool lockdep_output_path(const char *file, char *buf, size_t len);

/* lockdep_dot.c */
void lockdep_dot_at_exit(void);

/*
 * A "where" word: a site pointer tagged with the top bit (user-space
 * addresses never have it), or a code address.
 */
#define WHERE_SITE	(1ull << 63)

static inline uintptr_t where_word(const struct ksync_site *site, uintptr_t ip)
{
	return site ? (uintptr_t)site | WHERE_SITE : ip;
}

static inline const struct ksync_site *where_site(uintptr_t where)
{
	return where & WHERE_SITE ? (const struct ksync_site *)(where & ~WHERE_SITE) : NULL;
}

#endif /* _KSYNC_SRC_LOCKDEP_INTERNAL_H */
