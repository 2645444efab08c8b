// SPDX-License-Identifier: MIT
/*
 * Lock classes: finding a lock's class from its key, registering new ones.
 *
 * A class is named by a key address: the static struct lock_class_key an
 * init macro declares at its call site, or, for a lock set up by a static
 * initialiser, the lock's own address.  Subclass n of a key is the address
 * key + n.  Classes are freed only when their key is unregistered
 * (lockdep_keys.c); a class pointer cached in a lock's map is checked
 * against the map's key before use (class_cache_valid()).
 */
#define _GNU_SOURCE
#include <string.h>

#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

struct lock_class lock_classes[MAX_LOCKDEP_KEYS];	/* [0] unused */
unsigned int nr_lock_classes;

#define CLASSHASH_BITS	12
static struct lock_class *classhash[1u << CLASSHASH_BITS];

KSYNC_API struct lock_class_key __lockdep_no_validate__;

static const char *const usage_str[LOCK_USAGE_STATES] = {
	[LOCK_USED_IN_HARDIRQ]		= "IN-HARDIRQ-W",
	[LOCK_USED_IN_HARDIRQ_READ]	= "IN-HARDIRQ-R",
	[LOCK_ENABLED_HARDIRQ]		= "HARDIRQ-ON-W",
	[LOCK_ENABLED_HARDIRQ_READ]	= "HARDIRQ-ON-R",
	[LOCK_USED_IN_SOFTIRQ]		= "IN-SOFTIRQ-W",
	[LOCK_USED_IN_SOFTIRQ_READ]	= "IN-SOFTIRQ-R",
	[LOCK_ENABLED_SOFTIRQ]		= "SOFTIRQ-ON-W",
	[LOCK_ENABLED_SOFTIRQ_READ]	= "SOFTIRQ-ON-R",
	[LOCK_USED]			= "INITIAL USE",
	[LOCK_USED_READ]		= "INITIAL READ USE",
};

const char *lockdep_usage_str(enum lock_usage_bit bit)
{
	return bit < LOCK_USAGE_STATES ? usage_str[bit] : "?";
}

/* "HARDIRQ", "SOFTIRQ-READ", ...: the state a usage bit belongs to. */
const char *lockdep_state_name(enum lock_usage_bit bit)
{
	static const char *const names[2][2] = {
		{ "HARDIRQ", "HARDIRQ-READ" },
		{ "SOFTIRQ", "SOFTIRQ-READ" },
	};

	return names[(bit >> 2) & 1][bit & LOCK_USAGE_READ_MASK];
}

static lockdep_name_fn name_fn;

KSYNC_API void ksync_lockdep_set_name_fn(lockdep_name_fn fn)
{
	/* Release: whatever fn needs is set up before lockdep calls it. */
	__atomic_store_n(&name_fn, fn, __ATOMIC_RELEASE);
}

const char *lockdep_printed_name(const char *name)
{
	lockdep_name_fn fn = __atomic_load_n(&name_fn, __ATOMIC_ACQUIRE);
	const char *made;

	if (!name)
		return "<unnamed>";
	made = fn ? fn(name) : NULL;
	return made ? made : name;
}

const char *lockdep_class_name(const struct lock_class *class, char *buf, size_t len)
{
	int n = ksync_snprintf(buf, len, "%s", lockdep_printed_name(class->name));

	if (class->name_version > 1 && (size_t)n < len)
		n += ksync_snprintf(buf + n, len - (size_t)n, "#%d", class->name_version);
	if (class->subclass && (size_t)n < len)
		ksync_snprintf(buf + n, len - (size_t)n, "/%u", class->subclass);
	return buf;
}

static unsigned int key_hash(const void *key)
{
	uint64_t k = (uintptr_t)key;

	k ^= k >> 29;
	k *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(k >> (64 - CLASSHASH_BITS));
}

static const void *class_key(const struct lockdep_map *map, unsigned int subclass)
{
	const char *base = map->key ? (const char *)map->key : (const char *)map;

	return base + subclass;
}

/* Lock-free: buckets and links are published with release stores. */
static struct lock_class *find_class(const void *key)
{
	struct lock_class *class;

	class = __atomic_load_n(&classhash[key_hash(key)], __ATOMIC_ACQUIRE);
	/* Acquire on key too: a slot lockdep_unregister_key() freed is reused. */
	for (; class; class = __atomic_load_n(&class->hash_next, __ATOMIC_ACQUIRE))
		if (__atomic_load_n(&class->key, __ATOMIC_ACQUIRE) == key)
			return class;
	return NULL;
}

/*
 * Take a class out of its bucket (graph lock held; the class's key is
 * already cleared).  Its own hash_next is left alone: a lock-free reader
 * standing on it goes on down the chain.
 */
void lockdep_unhash_class(struct lock_class *class, const void *key)
{
	struct lock_class **pp = &classhash[key_hash(key)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == class) {
			__atomic_store_n(pp, class->hash_next, __ATOMIC_RELEASE);
			return;
		}
	}
}

static bool subclass_valid(unsigned int subclass)
{
	if (subclass < MAX_LOCKDEP_SUBCLASSES)
		return true;
	if (lockdep_stop_report_begin()) {
		ksync_printk("BUG: looking up invalid subclass: %u\n", subclass);
		ksync_printk("turning off the locking correctness validator.\n");
		ksync_dump_stack();
		lockdep_report_end();
	}
	return false;
}

struct lock_class *look_up_lock_class(const struct lockdep_map *map,
				      unsigned int subclass)
{
	if (!subclass)
		subclass = map->subclass;
	if (!subclass_valid(subclass))
		return NULL;
	return find_class(class_key(map, subclass));
}

/*
 * A lock keyed by its own address must live for ever, as a key must: a
 * lock in a heap block or on the stack would make a new class each time,
 * and a freed one would hand its class to whatever lands there next.  An
 * address inside a loaded object (its data or bss) is static.
 */
static bool static_obj(const void *addr)
{
	return lockdep_static_obj(addr);
}

static void print_non_static_key(const struct lockdep_map *map)
{
	if (!lockdep_stop_report_begin())
		return;
	ksync_printk("INFO: trying to register non-static key.\n");
	ksync_printk("The code is fine but needs lockdep annotation, or maybe\n");
	ksync_printk("you didn't initialize this object before use?\n");
	ksync_printk("(lock %p, %s: a lock set up by a static initialiser outside static\n"
		     "storage needs an init call, such as spin_lock_init() or mutex_init())\n",
		     (const void *)map, lockdep_printed_name(map->name));
	ksync_printk("turning off the locking correctness validator.\n");
	ksync_dump_stack();
	lockdep_report_end();
}

/*
 * The version of a new class: its key's other subclasses share theirs
 * (one lock, nested), else the name's next one (lockdep_names.c).
 */
static int name_version(const struct lock_class *new_class, const void *key)
{
	const char *base = (const char *)key - new_class->subclass;

	if (!new_class->name)
		return 0;
	for (unsigned int sub = 0; sub < MAX_LOCKDEP_SUBCLASSES; sub++) {
		const struct lock_class *class;

		if (sub == new_class->subclass)
			continue;
		class = find_class(base + sub);
		if (class)
			return class->name_version;
	}
	return lockdep_next_name_version(new_class->name);
}

static struct lock_class *new_class(const struct lockdep_map *map,
				    const void *key, unsigned int subclass)
{
	struct lock_class *class;
	unsigned int h = key_hash(key);

	class = lockdep_reuse_class();
	if (!class && nr_lock_classes + 1 >= MAX_LOCKDEP_KEYS) {
		print_lockdep_off("BUG: MAX_LOCKDEP_KEYS too low!");
		return NULL;
	}
	if (!class) {
		class = &lock_classes[nr_lock_classes + 1];
		__atomic_store_n(&nr_lock_classes, nr_lock_classes + 1, __ATOMIC_RELEASE);
	}
	class->name = map->name;
	class->subclass = subclass;
	class->wait_type_inner = map->wait_type_inner;
	class->wait_type_outer = map->wait_type_outer;
	class->kind = map->kind;
	class->lock_type = map->lock_type;
	class->no_validate = map->key == &__lockdep_no_validate__;
	class->name_version = name_version(class, key);
	class->hash_next = classhash[h];
	/*
	 * Complete before it can be found: release pairs with find_class()
	 * and class_cache_valid(), which a stale map cache of a reused slot
	 * goes through.
	 */
	__atomic_store_n(&class->key, key, __ATOMIC_RELEASE);
	__atomic_store_n(&classhash[h], class, __ATOMIC_RELEASE);
	return class;
}

/*
 * requested is the subclass the lock call asked for; 0 means the map's
 * default (lockdep_set_subclass()), and the class cache slot 0 holds that.
 */
struct lock_class *register_lock_class(struct lockdep_map *map, unsigned int requested)
{
	unsigned int subclass = requested ? requested : map->subclass;
	struct lock_class *class;
	const void *key;

	if (!subclass_valid(subclass))
		return NULL;
	key = class_key(map, subclass);
	class = find_class(key);
	if (!class) {
		if (!map->key && !static_obj(map)) {
			print_non_static_key(map);
			return NULL;
		}
		if (map->key && !lockdep_key_valid_for_class(map))
			return NULL;
		graph_lock();
		class = find_class(key);	/* again: we may have raced */
		if (!class)
			class = new_class(map, key, subclass);
		graph_unlock();
		if (!class)
			return NULL;
	}
	/* Release: the class is complete for whoever loads it from here. */
	if (requested < NR_LOCKDEP_CACHING_CLASSES)
		__atomic_store_n(&map->class_cache[requested], class, __ATOMIC_RELEASE);
	return class;
}
