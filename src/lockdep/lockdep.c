// SPDX-License-Identifier: MIT
/*
 * Lockdep: the entry points and the per-thread held-lock stack
 * (kernel/locking/lockdep.c: lock_acquire, __lock_acquire, validate_chain,
 * lock_release, ...).
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
#include <unistd.h>
#include <sys/stat.h>

#include <ksync/irqflags.h>
#include <ksync/lockdep.h>
#include <ksync/preempt.h>
#include <ksync/qspinlock.h>
#include "cpu.h"
#include "ksync_internal.h"
#include "lockdep_internal.h"
#include "report.h"

static arch_spinlock_t lockdep_graph_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static unsigned long max_lockdep_depth;

void graph_lock(void)
{
	queued_spin_lock(&lockdep_graph_lock);
}

void graph_unlock(void)
{
	queued_spin_unlock(&lockdep_graph_lock);
}

/*
 * fork(): the child must not inherit a graph lock held by another thread.
 * Between this prepare handler and ours for the parent or child, the
 * forking thread holds the graph lock and still runs the fork handlers of
 * libraries that registered theirs before libksync did - jemalloc's locks
 * every arena mutex - and unlocks them in their parent and child handlers,
 * which run before ours.  Lockdep must not take the graph lock again for
 * those: it does not watch this thread meanwhile, at either end, as
 * lockdep_off() would.
 */
void ksync_lockdep_fork_prepare(void)
{
	graph_lock();
	ksync_this_cpu()->lockdep_recursion++;
}

static void fork_done(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && c->lockdep_recursion)
		c->lockdep_recursion--;
}

void ksync_lockdep_fork_parent(void)
{
	fork_done();
	graph_unlock();
}

static int took_a_lock;		/* this process: since it started, or forked */

void ksync_lockdep_fork_child(void)
{
	fork_done();
	__atomic_store_n(&lockdep_graph_lock.val, 0, __ATOMIC_RELAXED);
	/* The child's lock_stat counts its own locking, from here. */
	__atomic_store_n(&took_a_lock, 0, __ATOMIC_RELAXED);
	ksync_lock_stat_clear();
}

bool lockdep_report_begin(void)
{
	if (!ksync_debug_locks_off())
		return false;
	ksync_report_lock();
	return true;
}

int lockdep_stopped;

/*
 * The kernel's debug_locks_off() is for good.  KSYNC_KEEP_GOING keeps
 * reporting problems in the program, which leave lockdep's books
 * straight; but once lockdep itself has lost track (a lock it could not
 * push, a dependency it could not record), whatever it said next about
 * those locks would be false ("bad unlock balance" for a lock it never
 * saw taken), and the limit would be hit again at every new lock.
 */
bool lockdep_stop_report_begin(void)
{
	if (__atomic_exchange_n(&lockdep_stopped, 1, __ATOMIC_RELAXED))
		return false;
	return lockdep_report_begin();
}

void lockdep_report_end(void)
{
	ksync_report_unlock();
}

/* Held locks are tracked: a debug switch is on, and no report stopped it. */
static inline bool tracking(void)
{
	return __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&lockdep_stopped, __ATOMIC_RELAXED);
}

KSYNC_API int ksync_lockdep_tracking(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	return tracking() && (!c || !c->lockdep_recursion);
}

int lockdep_hardirqs_enabled(const struct ksync_cpu *c)
{
	return c && c->lockdep_recursion ? !c->lockdep_irqs_off : !irqs_disabled();
}

/* Enter lockdep: mask interrupts on this thread, block recursion. */
static unsigned long lockdep_enter(struct ksync_cpu *c)
{
	unsigned long flags = arch_local_irq_save();

	c->lockdep_irqs_off = arch_irqs_disabled_flags(flags);
	c->lockdep_recursion++;
	return flags;
}

/* Leave it; interrupts held back meanwhile run here. */
static void lockdep_exit(struct ksync_cpu *c, unsigned long flags)
{
	c->lockdep_recursion--;
	arch_local_irq_restore(flags);
}

KSYNC_API void ksync_lockdep_off(void)
{
	ksync_this_cpu()->lockdep_recursion++;
}

KSYNC_API void ksync_lockdep_on(void)
{
	ksync_this_cpu()->lockdep_recursion--;
}

KSYNC_API void ksync_lockdep_init_map(struct lockdep_map *map, const char *name,
				      struct lock_class_key *key, int subclass,
				      int wait_type_inner, int kind)
{
	__atomic_store_n(&map->class_cache[0], NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&map->class_cache[1], NULL, __ATOMIC_RELAXED);
	map->name = name ? name : "NULL";
	map->key = key;
	map->wait_type_outer = 0;
	map->wait_type_inner = (unsigned char)wait_type_inner;
	map->kind = (unsigned char)kind;
	map->subclass = (unsigned char)subclass;
	map->cpu = raw_smp_processor_id();
	map->last_where = 0;
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
	ksync_printk("depth: %i  max: %d!\n", c->held.depth, MAX_LOCK_DEPTH);
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
	if (__ksync_unlikely(!class))
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

static bool lock_is_held_by(struct ksync_cpu *c, const struct lockdep_map *map,
			    int read);

/* Count a nest_lock'ed acquisition into the entry of the same class on top. */
static bool merge_nested(struct ksync_held_lock *top, int references)
{
	if (!references)
		references = 1;
	if (!top->references)
		top->references = 1;
	top->references = (unsigned short)(top->references + references);
	return true;
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
	struct ksync_held_locks *h = &c->held;
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
	if (depth && class && mergeable(&h->stack[depth - 1], class, a))
		return merge_nested(&h->stack[depth - 1], a->references) ? 2 : 0;

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
	hl->prev_chain_key = chain_key;
	if (class && lock_stat_on())
		lock_stat_begin(hl);

	if (validate) {
		if (hl->check && !usage_marked(class, hl) && !mark_usage(c, hl))
			goto bug;
		if (!depth || h->stack[depth - 1].irq_context != hl->irq_context) {
			chain_key = 0;
			chain_head = true;
		}
		chain_key = iterate_chain_key(chain_key, hlock_id(hl));
		if (a->nest_lock && !lock_is_held_by(c, a->nest_lock, -1)) {
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
	h->depth = depth + 1;
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
				  struct lockdep_map *nest_lock,
				  const struct ksync_site *site, uintptr_t ip)
{
	struct acquire_args a = {
		.map = map, .nest_lock = nest_lock, .site = site,
		.ip = caller_ip(site, ip), .subclass = subclass,
		.trylock = trylock, .read = read, .check = check,
	};
	struct ksync_cpu *c;
	unsigned long flags;

	if (!tracking())
		return;
	c = ksync_this_cpu();
	if (c->lockdep_recursion)
		return;
	/* Read first: the line stays shared once it is set. */
	if (__ksync_unlikely(!__atomic_load_n(&took_a_lock, __ATOMIC_RELAXED)))
		__atomic_store_n(&took_a_lock, 1, __ATOMIC_RELAXED);
	flags = lockdep_enter(c);
	a.hardirqs_off = c->lockdep_irqs_off;
	__lock_acquire(c, &a);
	lockdep_exit(c, flags);
}

/* --- release ------------------------------------------------------------------- */

/* hl is map, or (nest_lock merging) an entry standing for map's class. */
static bool match_held_lock(const struct ksync_held_lock *hl,
			    const struct lockdep_map *map)
{
	const struct lock_class *class;

	if (hl->instance == map)
		return true;
	/* A merged entry (see mergeable()) stands for its class. */
	if (!hl->references || !hl->class_idx)
		return false;
	class = __atomic_load_n(&map->class_cache[0], __ATOMIC_ACQUIRE);
	if (!class)
		class = look_up_lock_class(map, 0);
	return class && hl->class_idx == (unsigned int)(class - lock_classes);
}

/* The entry for map, searching down from the top within one context. */
static int find_held_lock(const struct ksync_cpu *c, const struct lockdep_map *map)
{
	const struct ksync_held_lock *stack = c->held.stack;

	for (int i = c->held.depth - 1; i >= 0; i--) {
		if (match_held_lock(&stack[i], map))
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
static void reacquire_held_locks(struct ksync_cpu *c, int from, int depth,
				 struct ksync_held_lock *saved)
{
	for (int i = from; i < depth; i++) {
		const struct ksync_held_lock *old = &saved[i - from];
		struct acquire_args a = {
			.map = old->instance, .nest_lock = old->nest_lock,
			.site = old->site, .ip = old->ip, .subclass = old->subclass,
			.trylock = old->trylock, .read = old->read, .check = old->check,
			.hardirqs_off = old->hardirqs_off, .references = old->references,
		};
		int ret = __lock_acquire(c, &a);

		if (ret == 0)
			return;
		if (ret == 1) {
			struct ksync_held_lock *now = &c->held.stack[c->held.depth - 1];

			now->acquire_ns = old->acquire_ns;
			now->wait_ns = old->wait_ns;
		}
	}
}

/* Remove entry i; the ones above it are pushed again. */
static void remove_held_lock(struct ksync_cpu *c, int i)
{
	struct ksync_held_locks *h = &c->held;
	struct ksync_held_lock saved[MAX_LOCK_DEPTH];
	int depth = h->depth, above = depth - i - 1;

	if (above > 0)
		memcpy(saved, &h->stack[i + 1], (size_t)above * sizeof(saved[0]));
	h->depth = i;
	h->chain_key = h->stack[i].prev_chain_key;
	if (above > 0 && lockdep_validating()) {
		reacquire_held_locks(c, i + 1, depth, saved);
	} else if (above > 0) {
		memcpy(&h->stack[i], saved, (size_t)above * sizeof(saved[0]));
		barrier();
		h->depth = depth - 1;
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
	hl = &c->held.stack[i];
	if (hl->instance == map && hl->class_idx && lock_stat_on())
		lock_stat_release(hl);
	if (hl->references && --hl->references)
		return;		/* more nest_lock'ed acquisitions remain */
	remove_held_lock(c, i);
}

KSYNC_API void ksync_lock_release(struct lockdep_map *map,
				  const struct ksync_site *site, uintptr_t ip)
{
	struct ksync_cpu *c;
	unsigned long flags;

	if (!tracking())
		return;
	c = ksync_this_cpu();
	if (c->lockdep_recursion)
		return;
	flags = lockdep_enter(c);
	__lock_release(c, map, site, caller_ip(site, ip));
	lockdep_exit(c, flags);
}

KSYNC_API void ksync_lock_downgrade(struct lockdep_map *map,
				   const struct ksync_site *site, uintptr_t ip)
{
	struct ksync_held_lock saved[MAX_LOCK_DEPTH];
	struct ksync_cpu *c;
	unsigned long flags;
	int i, depth;

	if (!tracking())
		return;
	c = ksync_this_cpu();
	if (c->lockdep_recursion)
		return;
	flags = lockdep_enter(c);
	i = find_held_lock(c, map);
	if (i < 0) {
		if (lockdep_validating())
			print_unlock_imbalance_bug(c, map, site, ip);
	} else if (!lockdep_validating()) {
		c->held.stack[i].read = 1;
	} else {
		depth = c->held.depth;
		memcpy(saved, &c->held.stack[i], (size_t)(depth - i) * sizeof(saved[0]));
		saved[0].read = 1;
		saved[0].site = site;
		saved[0].ip = caller_ip(site, ip);
		c->held.depth = i;
		c->held.chain_key = saved[0].prev_chain_key;
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

	if (!lock_stat_on() || !tracking())
		return;
	c = ksync_this_cpu();
	if (c->lockdep_recursion)
		return;
	flags = lockdep_enter(c);
	i = find_held_lock(c, map);
	if (i >= 0 && c->held.stack[i].instance == map && c->held.stack[i].class_idx) {
		if (contended)
			lock_stat_contended(c, &c->held.stack[i], site, caller_ip(site, ip));
		else
			lock_stat_acquired(c, &c->held.stack[i], site, caller_ip(site, ip));
	}
	lockdep_exit(c, flags);
}

KSYNC_API void ksync_lock_contended(struct lockdep_map *map,
				    const struct ksync_site *site, uintptr_t ip)
{
	stat_event(map, site, ip, true);
}

KSYNC_API void ksync_lock_acquired(struct lockdep_map *map,
				   const struct ksync_site *site, uintptr_t ip)
{
	stat_event(map, site, ip, false);
}

/* --- questions about held locks ---------------------------------------------------- */

static bool lock_is_held_by(struct ksync_cpu *c, const struct lockdep_map *map,
			    int read)
{
	for (int i = 0; i < c->held.depth; i++) {
		const struct ksync_held_lock *hl = &c->held.stack[i];

		if (match_held_lock(hl, map))
			return read == -1 || !!hl->read == read;
	}
	return false;
}

KSYNC_API int ksync_lock_is_held_type(const struct lockdep_map *map, int read)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (!tracking() || (c && c->lockdep_recursion))
		return LOCK_STATE_UNKNOWN;
	return c && lock_is_held_by(c, map, read) ? LOCK_STATE_HELD : LOCK_STATE_NOT_HELD;
}

KSYNC_API void ksync_lockdep_assert_failed(const struct ksync_site *site,
					   const char *why)
{
	ksync_warn_once(site, "%s: %s\n", site && site->expr ? site->expr : "lockdep_assert",
			why);
}

static void report_freed_lock(struct ksync_cpu *c, const void *from, const void *to,
			      const struct ksync_held_lock *hl)
{
	char comm[KSYNC_COMM_LEN];

	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: held lock freed!");
	ksync_printk("%s/%d is freeing memory %p-%p, with a lock still held there!\n",
		     ksync_comm(comm), (int)ksync_gettid(), from, to);
	lockdep_print_lock(hl);
	lockdep_print_held_locks(c);
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
	lockdep_report_end();
}

KSYNC_API void ksync_debug_check_no_locks_freed(const void *mem, size_t len)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	const char *from = mem, *to = from + len;

	if (!c || !tracking() || !len)
		return;
	for (int i = 0; i < c->held.depth; i++) {
		const char *lock = (const char *)c->held.stack[i].instance;

		if (lock >= from && lock < to) {
			report_freed_lock(c, from, to - 1, &c->held.stack[i]);
			return;
		}
	}
}

static void report_locks_held(struct ksync_cpu *c)
{
	char comm[KSYNC_COMM_LEN];
	char title[96];

	if (!lockdep_report_begin())
		return;
	ksync_snprintf(title, sizeof(title), "WARNING: %s/%d still has locks held!",
		       ksync_comm(comm), (int)ksync_gettid());
	ksync_report_header(title);
	lockdep_print_held_locks(c);
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
	lockdep_report_end();
}

KSYNC_API void ksync_debug_check_no_locks_held(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && tracking() && c->held.depth)
		report_locks_held(c);
}

KSYNC_API void ksync_lockdep_print_held_locks(void)
{
	lockdep_print_held_locks(ksync_this_cpu_or_null());
}

void ksync_lockdep_print_held_locks_if_tracked(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && tracking())
		lockdep_print_held_locks(c);
}

void ksync_thread_exit_checks(struct ksync_cpu *c)
{
	char comm[KSYNC_COMM_LEN];

	if (tracking() && ksync_debug_checks()) {
		if (c->held.depth)
			report_locks_held(c);
		if (preempt_count())
			ksync_printk("note: %s[%d] exited with preempt_count %d\n",
				     ksync_comm(comm), (int)ksync_gettid(), preempt_count());
	}
	if (lock_stat_on())
		lock_stat_thread_exit(c);
	/* The next thread with this CPU number starts clean. */
	c->held.depth = 0;
	c->held.chain_key = 0;
	c->lockdep_recursion = 0;
}

KSYNC_API void ksync_lockdep_get_stats(struct ksync_lockdep_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->classes = __atomic_load_n(&nr_lock_classes, __ATOMIC_RELAXED);
	st->dependencies = __atomic_load_n(&nr_dependencies, __ATOMIC_RELAXED);
	st->chains = lockdep_nr_chains();
	lockdep_chain_stats(&st->chain_lookups, &st->chain_hits);
	st->max_depth = __atomic_load_n(&max_lockdep_depth, __ATOMIC_RELAXED);
	st->debug_locks = __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED) &&
			  !__atomic_load_n(&lockdep_stopped, __ATOMIC_RELAXED);
}

/* --- interrupt-state tracing ------------------------------------------------------- */

void ksync_lockdep_hardirqs_off(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &ksync_this_cpu()->irqtrace;

	t->hardirq_disable_event = ++t->irq_events;
	t->hardirq_disable_site = site;
}

/* Interrupts are about to be enabled: every held lock becomes irq-unsafe. */
void ksync_lockdep_hardirqs_on(const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	struct ksync_irqtrace *t = &c->irqtrace;
	unsigned long flags;

	t->hardirq_enable_event = ++t->irq_events;
	t->hardirq_enable_site = site;
	if (!lockdep_validating() || c->lockdep_recursion || !c->held.depth)
		return;
	flags = lockdep_enter(c);
	if (mark_held_locks(c, LOCK_ENABLED_HARDIRQ, site, 0) && lockdep_softirqs_enabled())
		mark_held_locks(c, LOCK_ENABLED_SOFTIRQ, site, 0);
	lockdep_exit(c, flags);
}

/* Called by the last local_bh_enable(), before softirqs are on again. */
void ksync_lockdep_softirqs_on(const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	struct ksync_irqtrace *t = &c->irqtrace;
	unsigned long flags;

	t->softirq_enable_event = ++t->irq_events;
	t->softirq_enable_site = site;
	if (!lockdep_validating() || c->lockdep_recursion || !c->held.depth ||
	    irqs_disabled())
		return;
	flags = lockdep_enter(c);
	mark_held_locks(c, LOCK_ENABLED_SOFTIRQ, site, 0);
	lockdep_exit(c, flags);
}

KSYNC_API void ksync_trace_softirqs_off(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &ksync_this_cpu()->irqtrace;

	t->softirq_disable_event = ++t->irq_events;
	t->softirq_disable_site = site;
}

/* --- pieces of other reports --------------------------------------------------------- */

static void print_irq_event(const char *what, unsigned int event,
			    const struct ksync_site *site)
{
	char where[256];

	ksync_printk("%s at (%u): %s\n", what, event,
		     site ? ksync_site_str(site, 0, where, sizeof(where)) : "0x0");
}

void ksync_print_irqtrace_events(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	const struct ksync_irqtrace *t;

	if (!c)
		return;
	t = &c->irqtrace;
	ksync_printk("irq event stamp: %u\n", t->irq_events);
	print_irq_event("hardirqs last  enabled", t->hardirq_enable_event,
			t->hardirq_enable_site);
	print_irq_event("hardirqs last disabled", t->hardirq_disable_event,
			t->hardirq_disable_site);
	print_irq_event("softirqs last  enabled", t->softirq_enable_event,
			t->softirq_enable_site);
	print_irq_event("softirqs last disabled", t->softirq_disable_event,
			t->softirq_disable_site);
}

/*
 * The kernel prints where preemption was disabled (with the preempt
 * tracer).  Here the outermost held lock is where it was, when known.
 */
void ksync_print_preempt_disable_site(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	char where[256];

	if (!c || !tracking() || !c->held.depth || !preempt_count())
		return;
	ksync_printk("Preemption disabled at:\n");
	ksync_printk("[<%p>] %s\n", (void *)c->held.stack[0].ip,
		     ksync_site_str(c->held.stack[0].site, c->held.stack[0].ip,
				    where, sizeof(where)));
}

/* --- files written at exit ----------------------------------------------------------- */

static pid_t loaded_by;		/* the process that loaded libksync */

__attribute__((constructor)) static void note_loader(void)
{
	loaded_by = getpid();
}

/*
 * A program that forks, or runs others (git running pack-objects), has
 * one file per process: the program itself - the process whose pid is
 * KSYNC_OUTPUT_PID (ksync-lockdep sets it to the program's), or else the
 * one that loaded libksync - writes FILE, every other process FILE.PID,
 * and only if it took a lock (so do their tables on the report stream,
 * file NULL; and to FILE itself if it is no regular file, /dev/null say).
 * False: nothing to write.
 */
bool lockdep_output_path(const char *file, char *buf, size_t len)
{
	const char *owner = getenv("KSYNC_OUTPUT_PID");
	pid_t me = getpid();
	bool mine = owner && *owner ? atol(owner) == (long)me : me == loaded_by;

	struct stat st;

	if (!mine && !__atomic_load_n(&took_a_lock, __ATOMIC_RELAXED))
		return false;
	/* Not a file to have siblings of (/dev/null, a pipe): that one. */
	if (file && (mine || (stat(file, &st) == 0 && !S_ISREG(st.st_mode))))
		ksync_snprintf(buf, len, "%s", file);
	else if (file)
		ksync_snprintf(buf, len, "%s.%d", file, (int)me);
	return true;
}

/* At exit: the lock_stat table and the graph, if asked for; once. */
KSYNC_API void ksync_lockdep_exit_files(void)
{
	static int written;

	if (__atomic_exchange_n(&written, 1, __ATOMIC_RELAXED))
		return;
	lock_stat_at_exit();
	lockdep_dot_at_exit();
}

__attribute__((destructor)) static void lockdep_at_exit(void)
{
	ksync_lockdep_exit_files();
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
	if (c->lockdep_recursion)
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
