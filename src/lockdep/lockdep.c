// SPDX-License-Identifier: MIT
/*
 * Lockdep: the annotation entry points and the per-thread held-lock stack
 * (kernel/locking/lockdep.c: lock_acquire, __lock_acquire, validate_chain,
 * lock_release, ...).  The per-thread state, the irq-state tracing, the
 * questions about held locks and the files written at exit have files of
 * their own (lockdep_cpu.c, lockdep_irqtrace.c, lockdep_held.c,
 * lockdep_files.c).
 *
 * Each thread keeps the stack of locks it holds (the kernel's
 * current->held_locks, MAX_LOCK_DEPTH deep).  With KSYNC_DEBUG it serves
 * the exit check, the freed-lock check, the held-lock assertions and the
 * depth limit; with KSYNC_LOCK_STAT it times holds and waits; with
 * KSYNC_LOCKDEP every new entry is also validated: its class's usage bits,
 * and, when the sequence of held classes is new (a chain-cache miss), the
 * dependency graph.
 *
 * Lockdep runs with this thread's interrupts masked (soft mask: nothing
 * but a flag) and a recursion count raised, as the kernel's
 * raw_local_irq_save() + lockdep_recursion: an interrupt handler that
 * takes a lock waits until lockdep is done with the stack it shares.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <ksync/irqflags.h>
#include <ksync/lockdep.h>
#include <ksync/preempt.h>
#include <ksync/qspinlock.h>
#include "cpu.h"
#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

KSYNC_API void ksync_lockdep_init_map_type(struct lockdep_map *map, const char *name,
					   struct lock_class_key *key, int subclass,
					   int wait_type_inner, int wait_type_outer,
					   int lock_type, int kind)
{
	__atomic_store_n(&map->class_cache[0], NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&map->class_cache[1], NULL, __ATOMIC_RELAXED);
	map->name = name ? name : "NULL";
	map->key = key;
	map->wait_type_outer = (unsigned char)wait_type_outer;
	map->wait_type_inner = (unsigned char)wait_type_inner;
	map->lock_type = (unsigned char)lock_type & 7;
	map->kind = (unsigned char)kind & 31;
	map->subclass = (unsigned char)subclass;
	map->cpu = raw_smp_processor_id();
	map->last_where = 0;
	if (key && lockdep_validating())
		lockdep_check_key_at_init(key, (uintptr_t)__builtin_return_address(0));
}

KSYNC_API void ksync_lockdep_init_map(struct lockdep_map *map, const char *name,
				      struct lock_class_key *key, int subclass,
				      int wait_type_inner, int kind)
{
	ksync_lockdep_init_map_type(map, name, key, subclass, wait_type_inner, 0,
				    LD_LOCK_NORMAL, kind);
}

/* --- acquire --------------------------------------------------------------------- */

/* Without a site, the program's own call if a preload library named it. */
static inline uintptr_t caller_ip(const struct ksync_site *site, uintptr_t ip)
{
	uintptr_t override;

	if (site)
		return ip;
	override = __atomic_load_n(&ksync_tls.caller_ip, __ATOMIC_RELAXED);
	return override ? override : ip;
}

static void report_depth_overflow(struct ksync_cpu *c)
{
	if (!lockdep_stop_report_begin())
		return;
	ksync_printk("BUG: MAX_LOCK_DEPTH too low!\n");
	ksync_printk("turning off the locking correctness validator.\n");
	ksync_printk("depth: %i  max: %d!\n", lockdep_cpu(c)->held.depth, MAX_LOCK_DEPTH);
	lockdep_print_held_locks(c);
	ksync_dump_stack();
	lockdep_report_end();
}

static struct lock_class *map_class(struct lockdep_map *map, unsigned int subclass)
{
	struct lock_class *class = NULL;

	/* Acquire: pairs with the release that cached a complete class. */
	if (subclass < NR_LOCKDEP_CACHING_CLASSES)
		class = __atomic_load_n(&map->class_cache[subclass], __ATOMIC_ACQUIRE);
	/* Not cached, or its key was unregistered since (lockdep_keys.c). */
	if (__ksync_unlikely(!class || !class_cache_valid(map, subclass, class)))
		class = register_lock_class(map, subclass);
	return class;
}

static unsigned int task_irq_context(void)
{
	return (in_hardirq() ? LOCK_CHAIN_HARDIRQ_CONTEXT : 0) |
	       (in_serving_softirq() ? LOCK_CHAIN_SOFTIRQ_CONTEXT : 0);
}

/* The chain-key id of a held lock: its class, and whether it is a read. */
static uint32_t hlock_id(const struct ksync_held_lock *hl)
{
	return hl->class_idx | ((uint32_t)hl->read << MAX_LOCKDEP_KEYS_BITS);
}

/* Validate hl against the graph unless its held-class sequence is cached. */
static bool validate_chain(struct ksync_cpu *c, struct ksync_held_lock *hl,
			   bool chain_head, uint64_t chain_key)
{
	bool ok;

	if (hl->trylock || !hl->check)
		return true;
	if (!lookup_chain_cache_add(c, chain_key))
		return true;
	ok = check_deadlock_and_prevs(c, hl, chain_head);
	graph_unlock();
	return ok;
}

/* Count a nest_lock'ed acquisition into the entry of the same class on top. */
static void merge_nested(struct ksync_held_lock *top, int references)
{
	if (!references)
		references = 1;
	if (!top->references)
		top->references = 1;
	top->references = (unsigned short)(top->references + references);
}

struct acquire_args;
static bool mergeable(const struct ksync_held_lock *top, const struct lock_class *class,
		      const struct acquire_args *a);

struct acquire_args {
	struct lockdep_map *map;
	struct lockdep_map *nest_lock;
	const struct ksync_site *site;
	uintptr_t ip;
	unsigned int subclass;
	int trylock, read, check, hardirqs_off, references;
	unsigned int pin_count;
};

/*
 * Another lock of the class on top of the stack, counted into that entry:
 * under a nest_lock, as the kernel does; or, a ksync extension, when the
 * class's cmp_fn says its locks nest in order (so that a program taking
 * a thousand bucket locks of one class does not overflow the stack).
 */
static bool mergeable(const struct ksync_held_lock *top, const struct lock_class *class,
		      const struct acquire_args *a)
{
	lock_cmp_fn cmp;

	if (top->class_idx != (unsigned int)(class - lock_classes))
		return false;
	if (a->nest_lock)
		return true;
	cmp = class_cmp_fn(class);

	/*
	 * A trylock orders nothing, so it may join any entry; a blocking
	 * acquisition may not join a trylock's entry, which recorded no
	 * dependencies on the locks below it.
	 */
	return cmp && top->instance != a->map && top->read == a->read &&
	       (a->trylock || !top->trylock) && cmp(top->instance, a->map) < 0;
}

/*
 * Push the lock (validating it when lockdep is on).  Returns 0 if it was
 * not pushed (lockdep is off now), 1 if pushed, 2 if merged into the top
 * entry (a nest_lock'ed acquisition of the same class).
 */
static __always_inline int __lock_acquire(struct ksync_cpu *c,
					  const struct acquire_args *a)
{
	struct ksync_held_locks *h = &lockdep_cpu(c)->held;
	bool validate = lockdep_validating(), chain_head = false;
	struct lock_class *class = NULL;
	struct ksync_held_lock *hl;
	uint64_t chain_key = h->chain_key;
	int depth = h->depth;

	if (validate || lock_stat_on()) {
		class = map_class(a->map, a->subclass);
		if (!class)
			return 0;
	}
	if (depth >= MAX_LOCK_DEPTH) {
		report_depth_overflow(c);
		return 0;
	}
	if (depth && class && mergeable(&h->stack[depth - 1], class, a)) {
		merge_nested(&h->stack[depth - 1], a->references);
		return 2;
	}

	hl = &h->stack[depth];
	memset(hl, 0, sizeof(*hl));
	hl->instance = a->map;
	hl->nest_lock = a->nest_lock;
	hl->site = a->site;
	hl->ip = a->ip;
	hl->class_idx = class ? (unsigned int)(class - lock_classes) : 0;
	hl->subclass = (unsigned char)a->subclass;
	hl->read = (unsigned char)a->read;
	hl->trylock = (unsigned char)a->trylock;
	hl->check = (unsigned char)(a->check && class && !class->no_validate);
	hl->hardirqs_off = (unsigned char)a->hardirqs_off;
	hl->irq_context = (unsigned char)task_irq_context();
	hl->references = (unsigned short)a->references;
	hl->pin_count = a->pin_count;
	hl->prev_chain_key = chain_key;
	if (class && lock_stat_on())
		lock_stat_begin(hl);

	if (validate) {
		if (!check_wait_context(c, hl))
			goto bug;
		if (hl->check && !usage_marked(class, hl) && !mark_usage(c, hl))
			goto bug;
		if (!depth || h->stack[depth - 1].irq_context != hl->irq_context) {
			chain_key = 0;
			chain_head = true;
		}
		chain_key = iterate_chain_key(chain_key, hlock_id(hl));
		if (a->nest_lock && !lockdep_held_by(c, a->nest_lock, -1)) {
			print_lock_nested_lock_not_held(c, hl);
			goto bug;
		}
		if (!validate_chain(c, hl, chain_head, chain_key))
			goto bug;
	}
push:
	h->chain_key = chain_key;
	/* A handler on this thread sees the entry only once it is complete. */
	barrier();
	/* Atomic: debug_show_all_locks() reads other threads' depths. */
	__atomic_store_n(&h->depth, depth + 1, __ATOMIC_RELAXED);
	if ((unsigned long)h->depth > __atomic_load_n(&max_lockdep_depth, __ATOMIC_RELAXED))
		__atomic_store_n(&max_lockdep_depth, (unsigned long)h->depth, __ATOMIC_RELAXED);
	return 1;
bug:
	/* Reported.  With KSYNC_KEEP_GOING, keep the books straight. */
	if (__atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED))
		goto push;
	return 0;
}

KSYNC_API void ksync_lock_acquire(struct lockdep_map *map, unsigned int subclass,
				  int trylock, int read, int check,
				  struct lockdep_map *nest_lock, unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);
	struct acquire_args a = {
		.map = map, .nest_lock = nest_lock, .site = site,
		.ip = caller_ip(site, ip), .subclass = subclass,
		.trylock = trylock, .read = read, .check = check,
	};
	struct ksync_cpu *c;
	unsigned long flags;

	c = lockdep_watched_cpu();
	if (!c)
		return;
	/* Read first: the line stays shared once it is set. */
	if (__ksync_unlikely(!__atomic_load_n(&took_a_lock, __ATOMIC_RELAXED)))
		__atomic_store_n(&took_a_lock, 1, __ATOMIC_RELAXED);
	flags = lockdep_enter(c);
	a.hardirqs_off = lockdep_cpu(c)->irqs_off;
	__lock_acquire(c, &a);
	lockdep_exit(c, flags);
}

/* --- release ------------------------------------------------------------------- */

/* hl is map, or (nest_lock merging) an entry standing for map's class. */
bool lockdep_match_held_lock(const struct ksync_held_lock *hl,
			    const struct lockdep_map *map)
{
	const struct lock_class *class;

	if (hl->instance == map)
		return true;
	/* A merged entry (see mergeable()) stands for its class. */
	if (!hl->references || !hl->class_idx)
		return false;
	class = __atomic_load_n(&map->class_cache[0], __ATOMIC_ACQUIRE);
	if (!class || !class_cache_valid(map, 0, class))
		class = look_up_lock_class(map, 0);
	return class && hl->class_idx == (unsigned int)(class - lock_classes);
}

/* The entry for map, searching down from the top within one context. */
int find_held_lock(const struct ksync_cpu *c, const struct lockdep_map *map)
{
	const struct ksync_held_lock *stack = lockdep_cpu(c)->held.stack;

	for (int i = lockdep_cpu(c)->held.depth - 1; i >= 0; i--) {
		if (lockdep_match_held_lock(&stack[i], map))
			return i;
		if (i && stack[i].irq_context != stack[i - 1].irq_context)
			break;
	}
	return -1;
}

/*
 * Take entries [from, depth) off and push them again, so chain keys and
 * dependencies describe the stack as it is now.  Stat stamps survive.
 */
void reacquire_held_locks(struct ksync_cpu *c, int from, int depth,
			  struct ksync_held_lock *saved)
{
	for (int i = from; i < depth; i++) {
		const struct ksync_held_lock *old = &saved[i - from];
		struct acquire_args a = {
			.map = old->instance, .nest_lock = old->nest_lock,
			.site = old->site, .ip = old->ip, .subclass = old->subclass,
			.trylock = old->trylock, .read = old->read, .check = old->check,
			.hardirqs_off = old->hardirqs_off, .references = old->references,
			.pin_count = old->pin_count,
		};
		int ret = __lock_acquire(c, &a);

		if (ret == 0)
			return;
		if (ret == 1) {
			struct ksync_held_lock *now = &lockdep_cpu(c)->held.stack[lockdep_cpu(c)->held.depth - 1];

			now->acquire_ns = old->acquire_ns;
			now->wait_ns = old->wait_ns;
		}
	}
}

/* Remove entry i; the ones above it are pushed again. */
static void remove_held_lock(struct ksync_cpu *c, int i)
{
	struct ksync_held_locks *h = &lockdep_cpu(c)->held;
	struct ksync_held_lock saved[MAX_LOCK_DEPTH];
	int depth = h->depth, above = depth - i - 1;

	if (above > 0)
		memcpy(saved, &h->stack[i + 1], (size_t)above * sizeof(saved[0]));
	__atomic_store_n(&h->depth, i, __ATOMIC_RELAXED);
	h->chain_key = h->stack[i].prev_chain_key;
	if (above > 0 && lockdep_validating()) {
		reacquire_held_locks(c, i + 1, depth, saved);
	} else if (above > 0) {
		memcpy(&h->stack[i], saved, (size_t)above * sizeof(saved[0]));
		barrier();
		__atomic_store_n(&h->depth, depth - 1, __ATOMIC_RELAXED);
	}
}

static void __lock_release(struct ksync_cpu *c, struct lockdep_map *map,
			   const struct ksync_site *site, uintptr_t ip)
{
	struct ksync_held_lock *hl;
	int i = find_held_lock(c, map);

	if (i < 0) {
		/* KSYNC_DEBUG alone leaves this to the lock's own checks. */
		if (lockdep_validating())
			print_unlock_imbalance_bug(c, map, site, ip);
		return;
	}
	hl = &lockdep_cpu(c)->held.stack[i];
	if (hl->instance == map && hl->class_idx && lock_stat_on())
		lock_stat_release(hl);
	if (hl->pin_count)
		lockdep_warn(site, ip, "releasing a pinned lock\n");
	if (hl->references && --hl->references)
		return;		/* more nest_lock'ed acquisitions remain */
	remove_held_lock(c, i);
}

KSYNC_API void ksync_lock_release(struct lockdep_map *map, unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);
	struct ksync_cpu *c;
	unsigned long flags;

	c = lockdep_watched_cpu();
	if (!c)
		return;
	flags = lockdep_enter(c);
	__lock_release(c, map, site, caller_ip(site, ip));
	lockdep_exit(c, flags);
}

KSYNC_API void ksync_lock_downgrade(struct lockdep_map *map, unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);
	struct ksync_held_lock saved[MAX_LOCK_DEPTH];
	struct ksync_cpu *c;
	unsigned long flags;
	int i, depth;

	c = lockdep_watched_cpu();
	if (!c)
		return;
	flags = lockdep_enter(c);
	i = find_held_lock(c, map);
	if (i < 0) {
		if (lockdep_validating())
			print_unlock_imbalance_bug(c, map, site, ip);
	} else if (lockdep_cpu(c)->held.stack[i].read) {
		lockdep_warn(site, ip, "downgrading a read lock\n");
	} else if (!lockdep_validating()) {
		lockdep_cpu(c)->held.stack[i].read = 1;
	} else {
		depth = lockdep_cpu(c)->held.depth;
		memcpy(saved, &lockdep_cpu(c)->held.stack[i], (size_t)(depth - i) * sizeof(saved[0]));
		saved[0].read = 1;
		saved[0].site = site;
		saved[0].ip = caller_ip(site, ip);
		__atomic_store_n(&lockdep_cpu(c)->held.depth, i, __ATOMIC_RELAXED);
		lockdep_cpu(c)->held.chain_key = saved[0].prev_chain_key;
		reacquire_held_locks(c, i, depth, saved);
	}
	lockdep_exit(c, flags);
}

/* --- lock_stat hooks ------------------------------------------------------------- */

static void stat_event(struct lockdep_map *map, const struct ksync_site *site,
		       uintptr_t ip, bool contended)
{
	struct ksync_cpu *c;
	unsigned long flags;
	int i;

	if (!lock_stat_on() || !(c = lockdep_watched_cpu()))
		return;
	flags = lockdep_enter(c);
	i = find_held_lock(c, map);
	if (i >= 0 && lockdep_cpu(c)->held.stack[i].instance == map && lockdep_cpu(c)->held.stack[i].class_idx) {
		if (contended)
			lock_stat_contended(c, &lockdep_cpu(c)->held.stack[i], site, caller_ip(site, ip));
		else
			lock_stat_acquired(c, &lockdep_cpu(c)->held.stack[i], site, caller_ip(site, ip));
	}
	lockdep_exit(c, flags);
}

KSYNC_API void ksync_lock_contended(struct lockdep_map *map, unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);

	stat_event(map, site, ip, true);
}

KSYNC_API void ksync_lock_acquired(struct lockdep_map *map, unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);

	stat_event(map, site, ip, false);
}

KSYNC_API void ksync_lockdep_set_lock_cmp_fn(struct lockdep_map *map, lock_cmp_fn cmp_fn,
					     lock_print_fn print_fn)
{
	struct ksync_cpu *c;
	struct lock_class *class;
	unsigned long flags;

	if (!lockdep_validating())
		return;
	c = ksync_this_cpu();
	if (lockdep_cpu(c)->recursion)
		return;
	flags = lockdep_enter(c);
	class = map_class(map, 0);
	if (class) {
		graph_lock();
		__atomic_store_n(&class->print_fn, print_fn, __ATOMIC_RELAXED);
		/* Release: print_fn is set for whoever sees cmp_fn. */
		__atomic_store_n(&class->cmp_fn, cmp_fn, __ATOMIC_RELEASE);
		graph_unlock();
	}
	lockdep_exit(c, flags);
}
