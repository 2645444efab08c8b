// SPDX-License-Identifier: MIT
/*
 * libksync-preload: lock classes for locks that were never annotated.
 *
 * The kernel names a class by the place a lock is initialised
 * (spin_lock_init() declares a static key there), or by the lock's own
 * address for a statically initialised lock.  A pthread program has the
 * same two kinds of lock, so ksync-lockdep does the same:
 *  - pthread_*_init() at a call site: one class per site;
 *  - a lock set up by PTHREAD_*_INITIALIZER (or zeroed memory) in static
 *    storage: its own class, named after its symbol when there is one;
 *  - such a lock in heap or stack memory, which the kernel would refuse:
 *    one class per place it was first locked (std::mutex members, say).
 * With KSYNC_PRELOAD_CLASS=instance every lock has a class of its own.
 *
 * A program cannot say that it nests two locks of one class on purpose
 * (hand-over-hand list walks, arrays of bucket locks), as kernel code does
 * with subclasses; so in the per-site mode, two *different* locks of one
 * class may nest (a comparison function says so to lockdep), while taking
 * the *same* lock again is still reported.
 *
 * The lock address -> shadow table is open-addressed and lock-free to
 * read; entries are never removed (a destroyed lock's entry is reused when
 * the address is initialised again).
 *
 * Choosing a class happens inside the program's lock call, which its
 * memory allocator may make while holding a lock of its own.  So nothing
 * here allocates (but with mmap), loads a library or takes the dynamic
 * loader's lock: the call chain comes from libgcc's unwinder (linked, so
 * loaded with the program) rather than glibc's backtrace() (which loads
 * libgcc_s the first time), static storage is told by _dl_find_object()
 * rather than dladdr(), and names are made when printed (preload_names.c).
 */
#include "preload.h"

#include <dlfcn.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unwind.h>

#include <ksync/qspinlock.h>

#define SHADOW_BITS	20
#define SHADOW_SIZE	(1u << SHADOW_BITS)
#define MAX_PROBE	4096

struct slot {
	uintptr_t lock;
	struct shadow *shadow;
};

static struct slot shadows[SHADOW_SIZE];
static bool table_full_said;
/*
 * Whether any slot was ever claimed.  The table is 16 MiB of untouched
 * memory, so a lookup in it is a page fault per page it has not met yet:
 * without validation no shadow is ever made, and pthread_mutex_destroy()
 * of replaced locks (a program that frees its 1024 mutexes at exit, or
 * that makes and destroys locks as it goes) paid one fault per lock to
 * learn that.
 */
static bool shadows_made;

static const char *const kind_name[SHADOW_KINDS] = { "mutex", "rwlock", "spinlock" };
/*
 * How each kind waits (outer).  Inside any of them anything may be taken
 * (inner LD_WAIT_SLEEP): a pthread spinlock neither disables preemption
 * nor makes its holder atomic, so a mutex taken under one is no invalid
 * wait context, as it would be under a kernel spinlock.
 */
static const unsigned char kind_wait[SHADOW_KINDS] = { LD_WAIT_SLEEP, LD_WAIT_SLEEP, LD_WAIT_SPIN };
static const unsigned char kind_lockdep[SHADOW_KINDS] = {
	KSYNC_LOCK_MUTEX, KSYNC_LOCK_RWSEM, KSYNC_LOCK_SPIN,
};

static unsigned int slot_of(uintptr_t lock)
{
	uint64_t h = (uint64_t)lock;

	h ^= h >> 21;
	h *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(h >> (64 - SHADOW_BITS));
}

/* The slot's shadow, once its maker has published it. */
static struct shadow *wait_shadow(struct slot *sl)
{
	struct shadow *s;

	/* Acquire: pairs with the release that published a complete shadow. */
	while (!(s = __atomic_load_n(&sl->shadow, __ATOMIC_ACQUIRE)))
		sched_yield();
	return s;
}

struct shadow *shadow_find(const void *lock)
{
	uintptr_t key = (uintptr_t)lock;
	unsigned int i = slot_of(key);

	/*
	 * Relaxed: a lookup that must find a shadow comes after its making
	 * (the program orders them, as it orders init before use or
	 * destroy), and that order carries the flag set before it.
	 */
	if (!__atomic_load_n(&shadows_made, __ATOMIC_RELAXED))
		return NULL;
	for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (SHADOW_SIZE - 1)) {
		/* Acquire: a key seen here was claimed by its maker. */
		uintptr_t k = __atomic_load_n(&shadows[i].lock, __ATOMIC_ACQUIRE);

		if (k == key)
			return wait_shadow(&shadows[i]);
		if (!k)
			return NULL;
	}
	return NULL;
}

/* Find the lock's slot or claim an empty one for it (*fresh). */
static struct slot *claim_slot(uintptr_t key, bool *fresh)
{
	unsigned int i = slot_of(key);

	for (int n = 0; n < MAX_PROBE; n++, i = (i + 1) & (SHADOW_SIZE - 1)) {
		uintptr_t k = __atomic_load_n(&shadows[i].lock, __ATOMIC_ACQUIRE);

		/* Set before the claim: whoever can see the key sees the flag. */
		if (!k && !__atomic_load_n(&shadows_made, __ATOMIC_RELAXED))
			__atomic_store_n(&shadows_made, true, __ATOMIC_RELAXED);
		if (!k && __atomic_compare_exchange_n(&shadows[i].lock, &k, key, 0,
						      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			*fresh = true;
			return &shadows[i];
		}
		if (k == key) {
			*fresh = false;
			return &shadows[i];
		}
	}
	return NULL;
}

static void say_table_full(void)
{
	if (__atomic_exchange_n(&table_full_said, true, __ATOMIC_RELAXED))
		return;
	fprintf(stderr, "ksync-lockdep: more than %u locks, or too many in one place: "
		"locks made from now on are not validated\n", SHADOW_SIZE / 2);
}

/* --- classes by place ----------------------------------------------------------------- */

#define MAX_CLASS_DEPTH	PRELOAD_MAX_CLASS_DEPTH

struct site {
	uintptr_t ip[MAX_CLASS_DEPTH];	/* the call, then its callers */
	unsigned int depth;
	unsigned int kind;
	struct lock_class_key key;
	const char *name;
	struct site *next;
};

#define SITE_BUCKETS	4096
static struct site *sites[SITE_BUCKETS];
/* The bare queued spinlock: no lockdep, no pthread call to interpose. */
static arch_spinlock_t class_lock = __ARCH_SPIN_LOCK_UNLOCKED;

void preload_class_fork_prepare(void)
{
	queued_spin_lock(&class_lock);
	preload_fork_held |= HELD_CLASS;
}

void preload_class_fork_parent(void)
{
	preload_fork_held &= ~HELD_CLASS;
	queued_spin_unlock(&class_lock);
}

void preload_class_fork_child(void)
{
	preload_fork_held &= ~HELD_CLASS;
	__atomic_store_n(&class_lock.val, 0, __ATOMIC_RELAXED);
}

static bool same_chain(const struct site *s, const uintptr_t *ip, unsigned int depth,
		       unsigned int kind)
{
	return s->kind == kind && s->depth == depth &&
	       !memcmp(s->ip, ip, depth * sizeof(ip[0]));
}

static struct site *site_lookup(const uintptr_t *ip, unsigned int depth, unsigned int kind,
				unsigned int b)
{
	for (struct site *s = sites[b]; s; s = s->next)
		if (same_chain(s, ip, depth, kind))
			return s;
	return NULL;
}

/*
 * The call chain that made (or first used) a lock: the call itself and
 * KSYNC_PRELOAD_CLASS_DEPTH - 1 of its callers, so that locks made by one
 * wrapper (a C++ Mutex class, an allocator of mutexes) for different
 * purposes are told apart.
 */
struct walk {
	uintptr_t ip;			/* the program's call */
	uintptr_t *chain;
	unsigned int depth;		/* found so far, from ip on */
};

static _Unwind_Reason_Code walk_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct walk *w = arg;
	uintptr_t pc = _Unwind_GetIP(ctx);

	if (!pc)
		return _URC_END_OF_STACK;
	if (!w->depth && pc != w->ip)
		return _URC_NO_REASON;	/* still inside the preload */
	w->chain[w->depth++] = pc;
	return w->depth < preload_class_depth ? _URC_NO_REASON : _URC_END_OF_STACK;
}

static unsigned int call_chain(uintptr_t ip, uintptr_t *chain)
{
	struct walk w = { .ip = ip, .chain = chain, .depth = 0 };

	_Unwind_Backtrace(walk_frame, &w);
	if (w.depth)
		return w.depth;
	chain[0] = ip;
	return 1;
}

/* The class of locks of this kind made (or first used) by this chain. */
static struct site *site_get(uintptr_t ip, unsigned int kind)
{
	uintptr_t chain[MAX_CLASS_DEPTH];
	unsigned int depth = call_chain(ip, chain), b;
	uint64_t h = kind;
	struct site *s, *mine;

	for (unsigned int d = 0; d < depth; d++)
		h = (h ^ chain[d]) * 0x9e3779b97f4a7c15ull;
	b = (unsigned int)(h >> 52) % SITE_BUCKETS;
	preload_own_lock(&class_lock, HELD_CLASS);
	s = site_lookup(chain, depth, kind, b);
	preload_own_unlock(&class_lock, HELD_CLASS);
	if (s)
		return s;
	mine = preload_alloc(sizeof(*mine));
	if (!mine)
		return NULL;
	memcpy(mine->ip, chain, depth * sizeof(chain[0]));
	mine->depth = depth;
	mine->kind = kind;
	/* "mutex@made_here<-called_from<-...", when printed. */
	mine->name = preload_lazy_name(NAME_SITE, kind_name[kind], NULL, chain, depth);
	preload_own_lock(&class_lock, HELD_CLASS);
	s = site_lookup(chain, depth, kind, b);
	if (!s) {
		mine->next = sites[b];
		sites[b] = s = mine;
	}
	preload_own_unlock(&class_lock, HELD_CLASS);
	return s;
}

/* In a loaded object's data or bss: a lock that lives for ever. */
static bool static_storage(const void *lock)
{
#ifdef DLFO_EH_SEGMENT_TYPE
	struct dl_find_object o;

	return _dl_find_object((void *)lock, &o) == 0;
#else
	Dl_info info;	/* before glibc 2.35: the loader's lock, alas */

	return dladdr(lock, &info) != 0;
#endif
}

static int instances_ordered(const struct lockdep_map *a, const struct lockdep_map *b)
{
	return a == b ? 0 : -1;
}

/* Reports name the program's lock by its address, after the class. */
static void print_shadow(const struct lockdep_map *map)
{
	const struct shadow *s = (const void *)((const char *)map - offsetof(struct shadow, map));

	ksync_report_printf(" @%p", s->lock);
}

void preload_set_cmp_fn(struct lockdep_map *map, lock_print_fn print)
{
	ksync_lockdep_set_lock_cmp_fn(map, preload_instance_classes ? NULL : instances_ordered,
				      print);
}

/* Give the shadow's map its class; see the top of this file. */
static void classify(struct shadow *s, enum shadow_kind kind, uintptr_t ip, bool from_init)
{
	struct lock_class_key *key = NULL;
	const char *name = kind_name[kind];
	struct site *site;

	s->kind = (unsigned char)kind;
	if (preload_instance_classes) {
		/* A fresh key each time: a reused address is a new lock. */
		key = preload_alloc(sizeof(*key));
		/* "mutex[0x...]@made_here", when printed. */
		name = preload_lazy_name(NAME_INSTANCE, kind_name[kind], s->lock, &ip, 1);
	} else if (!from_init && static_storage(s->lock)) {
		key = &s->key;
		/* Its variable's name ("big_lock"), when printed. */
		name = preload_lazy_name(NAME_STATIC, kind_name[kind], s->lock, NULL, 0);
	} else if ((site = site_get(ip, kind))) {
		key = &site->key;
		name = site->name;
	}
	if (!key)
		key = &s->key;
	ksync_lockdep_init_map_type(&s->map, name, key, 0, LD_WAIT_SLEEP, kind_wait[kind],
				    LD_LOCK_NORMAL, kind_lockdep[kind]);
	preload_set_cmp_fn(&s->map, print_shadow);
	s->destroyed = 0;
}

/* Allocated before a slot is claimed, kept for next time if not needed. */
static __thread struct shadow *spare __attribute__((tls_model("initial-exec")));

static struct shadow *shadow_make(const void *lock, enum shadow_kind kind, uintptr_t ip,
				  bool from_init)
{
	struct shadow *s = NULL;
	struct slot *sl;
	bool fresh;

	preload_busy++;
	if (!spare)
		spare = preload_alloc(sizeof(*spare));
	sl = spare ? claim_slot((uintptr_t)lock, &fresh) : NULL;
	if (!sl) {
		say_table_full();
	} else if (!fresh) {
		s = wait_shadow(sl);
		if (from_init || s->destroyed || s->kind != kind)
			classify(s, kind, ip, from_init);
	} else {
		s = spare;
		spare = NULL;
		s->lock = lock;
		classify(s, kind, ip, from_init);
		/* Release: the shadow is complete before anyone can use it. */
		__atomic_store_n(&sl->shadow, s, __ATOMIC_RELEASE);
	}
	preload_busy--;
	return s;
}

/*
 * The shadows this thread used last, by lock address: a lock and its
 * unlock, or a few nested locks, look the table up once.  An address's
 * shadow never changes once published (entries are never removed), so an
 * entry stays right; what a shadow says (destroyed, kind) is read afresh.
 */
#define RECENT	8
static __thread struct recent {
	uintptr_t lock;
	struct shadow *shadow;
} recent[RECENT] __attribute__((tls_model("initial-exec")));

static struct shadow *shadow_find_recent(const void *lock)
{
	struct recent *r = &recent[((uintptr_t)lock >> 3) % RECENT];
	struct shadow *s;

	if (r->lock == (uintptr_t)lock)
		return r->shadow;
	s = shadow_find(lock);
	if (s) {
		r->lock = (uintptr_t)lock;
		r->shadow = s;
	}
	return s;
}

struct shadow *shadow_get(const void *lock, enum shadow_kind kind, uintptr_t ip)
{
	struct shadow *s = shadow_find_recent(lock);

	if (__builtin_expect(s && !s->destroyed && s->kind == kind, 1))
		return s;
	return shadow_make(lock, kind, ip, false);
}

struct shadow *shadow_init(const void *lock, enum shadow_kind kind, uintptr_t ip)
{
	return shadow_make(lock, kind, ip, true);
}

struct shadow *shadow_for_replaced(const void *lock, enum shadow_kind kind, uintptr_t ip,
				   bool from_init)
{
	struct shadow *s;

	if (!preload_validating())
		return NULL;
	preload_busy++;		/* the C library's locks taken here are ours */
	s = from_init ? shadow_init(lock, kind, ip) : shadow_get(lock, kind, ip);
	preload_busy--;
	return s;
}
