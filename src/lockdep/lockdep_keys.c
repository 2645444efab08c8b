// SPDX-License-Identifier: MIT
/*
 * Dynamic keys (kernel/locking/lockdep.c: lockdep_register_key(),
 * lockdep_unregister_key(), is_dynamic_key(), zap_class()).
 *
 * A class is named by its key's address, so a key must outlive its locks.
 * A key in static storage does; one in a heap object must be registered
 * while it is used, and unregistered before its memory is freed.
 * Unregistering forgets the key's classes: their dependencies (both list
 * entries of each go back to the graph's free list), every cached chain
 * (chain keys hash class indexes, which are reused), the lock_stat
 * counts, and the class slots themselves, which the next new class takes.
 *
 * Who may look at a freed slot: a lock's map caches class pointers, and
 * those maps cannot be found from the key.  A cached class is used only
 * after class_cache_valid() has seen its key still be the map's (the key
 * is cleared first when a slot is freed, and stored last, with release,
 * when it is reused), so a map whose key went away finds no class and is
 * reported instead of feeding a stale or foreign class.  Slots live in a
 * static array and are never unmapped: a stale pointer reads old or new
 * contents, never freed memory.
 *
 * The registered keys are an open-addressed set of addresses, written
 * under the graph lock and read without it; a removed key leaves a
 * tombstone, which a later insert on the same probe path reuses.
 */
#define _GNU_SOURCE
#include <link.h>
#include <string.h>

#include <ksync/bug.h>
#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

/* --- memory that lives for ever ---------------------------------------------- */

#define MAX_PERMANENT_RANGES	1024

/*
 * Claimed by a fetch-add, then filled: end is stored last with release,
 * and a reader skips a claimed slot whose end is still 0.
 */
static struct { uintptr_t start, end; } permanent[MAX_PERMANENT_RANGES];
static unsigned int nr_permanent;

KSYNC_API void ksync_lockdep_permanent_memory(const void *start, size_t len)
{
	unsigned int i = __atomic_fetch_add(&nr_permanent, 1, __ATOMIC_RELAXED);

	if (i >= MAX_PERMANENT_RANGES) {
		__atomic_store_n(&nr_permanent, MAX_PERMANENT_RANGES, __ATOMIC_RELAXED);
		if (i == MAX_PERMANENT_RANGES)
			ksync_env_warn("ksync_lockdep_permanent_memory(): more than %u "
				       "ranges; keys in later ones are not static\n",
				       MAX_PERMANENT_RANGES);
		return;
	}
	__atomic_store_n(&permanent[i].start, (uintptr_t)start, __ATOMIC_RELAXED);
	/* Release: start is set for whoever sees end. */
	__atomic_store_n(&permanent[i].end, (uintptr_t)start + len, __ATOMIC_RELEASE);
}

bool lockdep_permanent_obj(const void *addr)
{
	unsigned int n = __atomic_load_n(&nr_permanent, __ATOMIC_RELAXED);

	if (n > MAX_PERMANENT_RANGES)
		n = MAX_PERMANENT_RANGES;
	/* Newest first: an arena's keys are mostly in its latest chunk. */
	while (n--) {
		uintptr_t end = __atomic_load_n(&permanent[n].end, __ATOMIC_ACQUIRE);

		if (end && (uintptr_t)addr < end &&
		    (uintptr_t)addr >= __atomic_load_n(&permanent[n].start, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

/*
 * The kernel's static_obj() for a key: in a loaded object's data or bss
 * (_dl_find_object() takes no lock, so this may run inside a lock call
 * made by the program's allocator), or in permanent memory.
 */
static bool static_key_fast(const void *key)
{
#ifdef DLFO_EH_SEGMENT_TYPE
	struct dl_find_object o;

	if (_dl_find_object((void *)key, &o) == 0)
		return true;
#endif
	return lockdep_permanent_obj(key);
}

static int in_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t addr = *(const uintptr_t *)arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && addr >= start && addr < start + ph->p_memsz)
			return 1;
	}
	return 0;
}

/*
 * The slow last word: every loaded object's segments (the loader's lock
 * in a dynamic program, so only where the fast test said no: before a
 * report, or in a static program, where _dl_find_object() knows nothing
 * and dladdr() finds no object either).
 */
bool lockdep_static_obj(const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	return static_key_fast(addr) || dl_iterate_phdr(in_segment, &a) != 0;
}

static bool static_key(const void *key)
{
	return lockdep_static_obj(key);
}

/* --- the registered keys ---------------------------------------------------------- */

#define KEYHASH_BITS	15
#define KEYHASH_SIZE	(1u << KEYHASH_BITS)
#define KEY_EMPTY	0
#define KEY_REMOVED	1	/* a tombstone: keep probing past it */

static uintptr_t keyhash[KEYHASH_SIZE];

static unsigned int key_slot(const void *key)
{
	uint64_t k = (uintptr_t)key;

	k ^= k >> 31;
	k *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(k >> (64 - KEYHASH_BITS));
}

/* Lock-free (the kernel's is_dynamic_key()). */
static bool is_dynamic_key(const void *key)
{
	unsigned int i = key_slot(key);

	for (unsigned int n = 0; n < KEYHASH_SIZE; n++, i = (i + 1) % KEYHASH_SIZE) {
		/* Relaxed: a key's slot publishes nothing but the key itself. */
		uintptr_t v = __atomic_load_n(&keyhash[i], __ATOMIC_RELAXED);

		if (v == (uintptr_t)key)
			return true;
		if (v == KEY_EMPTY)
			return false;
	}
	return false;
}

/* Under the graph lock: false if the set is full. */
static bool key_insert(const void *key)
{
	unsigned int i = key_slot(key), slot = KEYHASH_SIZE;

	for (unsigned int n = 0; n < KEYHASH_SIZE; n++, i = (i + 1) % KEYHASH_SIZE) {
		uintptr_t v = keyhash[i];

		if (v == KEY_REMOVED && slot == KEYHASH_SIZE)
			slot = i;
		if (v == KEY_EMPTY) {
			if (slot == KEYHASH_SIZE)
				slot = i;
			break;
		}
	}
	if (slot == KEYHASH_SIZE)
		return false;
	__atomic_store_n(&keyhash[slot], (uintptr_t)key, __ATOMIC_RELAXED);
	return true;
}

/* Under the graph lock: whether it was there. */
static bool key_remove(const void *key)
{
	unsigned int i = key_slot(key);

	for (unsigned int n = 0; n < KEYHASH_SIZE; n++, i = (i + 1) % KEYHASH_SIZE) {
		if (keyhash[i] == (uintptr_t)key) {
			__atomic_store_n(&keyhash[i], KEY_REMOVED, __ATOMIC_RELAXED);
			return true;
		}
		if (keyhash[i] == KEY_EMPTY)
			return false;
	}
	return false;
}

static bool key_known(const void *key)
{
	return static_key_fast(key) || is_dynamic_key(key) || static_key(key);
}

/* --- checks where a key is given and where it makes a class ---------------------- */

void lockdep_check_key_at_init(const struct lock_class_key *key, uintptr_t ip)
{
	uintptr_t caller = __atomic_load_n(&ksync_tls.caller_ip, __ATOMIC_RELAXED);
	bool place = !caller && ip && !ksync_code_is_ours(ip);

	if (key_known(key) || !__atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED))
		return;
	ksync_printk("BUG: key %p has not been registered!\n", (const void *)key);
	/* The WARN names the init call when the program made it directly. */
	if (place)
		__atomic_store_n(&ksync_tls.caller_ip, ip, __ATOMIC_RELAXED);
	ksync_debug_locks_warn(NULL, "1",
			       "a lock was given a lock_class_key that is neither static nor "
			       "registered with lockdep_register_key()\n");
	if (place)
		__atomic_store_n(&ksync_tls.caller_ip, 0, __ATOMIC_RELAXED);
}

bool lockdep_key_valid_for_class(const struct lockdep_map *map)
{
	if (key_known(map->key))
		return true;
	if (!lockdep_stop_report_begin())
		return false;
	ksync_printk("BUG: key %p has not been registered!\n", (const void *)map->key);
	ksync_printk("(lock %p, %s: its key is neither static nor registered with\n"
		     "lockdep_register_key(), or it was unregistered since)\n",
		     (const void *)map, lockdep_printed_name(map->name));
	ksync_printk("turning off the locking correctness validator.\n");
	ksync_dump_stack();
	lockdep_report_end();
	return false;
}

/* --- freeing a key's classes ---------------------------------------------------- */

static unsigned int free_classes[MAX_LOCKDEP_KEYS];
static unsigned int nr_free_classes;

struct lock_class *lockdep_reuse_class(void)
{
	if (!nr_free_classes)
		return NULL;
	__atomic_store_n(&nr_free_classes, nr_free_classes - 1, __ATOMIC_RELAXED);
	return &lock_classes[free_classes[nr_free_classes]];
}

unsigned int lockdep_nr_free_classes(void)
{
	return __atomic_load_n(&nr_free_classes, __ATOMIC_RELAXED);
}

static void unlink_entry(struct lock_list **head, const struct lock_list *e)
{
	for (; *head; head = &(*head)->next) {
		if (*head == e) {
			*head = e->next;
			return;
		}
	}
}

/*
 * Both halves of every dependency of class leave their lists; the pairs
 * go back to the graph.  A dependency of class on itself is one pair with
 * both halves in class's own lists: freed once, from the after-list.
 */
static void zap_dependencies(struct lock_class *class)
{
	struct lock_list *e, *next;

	for (e = class->after; e; e = next) {
		next = e->next;
		if (e->class != class)
			unlink_entry(&e->class->before, e->twin);
		lockdep_free_dependency(e);
	}
	for (e = class->before; e; e = next) {
		next = e->next;
		if (e->class == class)
			continue;
		unlink_entry(&e->class->after, e->twin);
		lockdep_free_dependency(e);
	}
	class->after = class->before = NULL;
}

/* The kernel's zap_class(): the slot holds no class afterwards. */
static void zap_class(struct lock_class *class)
{
	const void *key = class->key;

	/* First: a map that cached the class no longer takes it as its own. */
	__atomic_store_n(&class->key, NULL, __ATOMIC_RELEASE);
	lockdep_unhash_class(class, key);
	zap_dependencies(class);
	__atomic_store_n(&class->usage_mask, 0, __ATOMIC_RELAXED);
	memset(class->usage, 0, sizeof(class->usage));
	class->name = NULL;
	class->name_version = 0;
	class->subclass = 0;
	class->no_validate = 0;
	class->dep_gen_id[0] = class->dep_gen_id[1] = 0;
	__atomic_store_n(&class->cmp_fn, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&class->print_fn, NULL, __ATOMIC_RELAXED);
	for (int p = 0; p < LOCKSTAT_POINTS; p++) {
		__atomic_store_n(&class->contention_point[p], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&class->contending_point[p], 0, __ATOMIC_RELAXED);
	}
	/* Nobody holds a lock of a key being unregistered: no count races. */
	memset(&class->stats, 0, sizeof(class->stats));
	free_classes[nr_free_classes] = (unsigned int)(class - lock_classes);
	__atomic_store_n(&nr_free_classes, nr_free_classes + 1, __ATOMIC_RELAXED);
}

/* The kernel's __lockdep_free_key_range(key, 1): every subclass's class. */
static void free_key_classes(const struct lock_class_key *key)
{
	const char *from = (const char *)key, *to = from + sizeof(*key);
	bool zapped = false;

	for (unsigned int i = 1; i <= nr_lock_classes; i++) {
		struct lock_class *class = &lock_classes[i];
		const char *k = __atomic_load_n(&class->key, __ATOMIC_RELAXED);

		if (k >= from && k < to) {
			zap_class(class);
			zapped = true;
		}
	}
	if (zapped)
		lockdep_flush_chains();
}

/* --- the API ----------------------------------------------------------------------- */

/* The kernel's WARN_ON_ONCE() in these two: once each, whoever calls. */
static bool warned_static_register, warned_twice, warned_static_unregister, warned_unknown;

static void warn_once(bool *warned, const struct ksync_site *site, const char *cond)
{
	if (__atomic_exchange_n(warned, true, __ATOMIC_RELAXED))
		return;
	lockdep_warn(site, 0, "%s: WARN_ON_ONCE(%s)\n",
		     site && site->expr ? site->expr : "lockdep key", cond);
}

KSYNC_API void ksync_lockdep_register_key(struct lock_class_key *key,
					  const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	unsigned long flags;
	bool full = false;

	if (static_key(key)) {
		warn_once(&warned_static_register, site, "static_obj(key)");
		return;
	}
	flags = lockdep_enter(c);
	graph_lock();
	if (is_dynamic_key(key))
		warn_once(&warned_twice, site, "k == key");
	else
		full = !key_insert(key);
	graph_unlock();
	lockdep_exit(c, flags);
	if (full)
		print_lockdep_off("BUG: MAX_LOCKDEP_KEYS too low!");
}

KSYNC_API void ksync_lockdep_unregister_key(struct lock_class_key *key,
					    const struct ksync_site *site)
{
	struct ksync_cpu *c = ksync_this_cpu();
	unsigned long flags;
	bool found;

	if (static_key(key)) {
		warn_once(&warned_static_unregister, site, "static_obj(key)");
		return;
	}
	flags = lockdep_enter(c);
	graph_lock();
	found = key_remove(key);
	if (found)
		free_key_classes(key);
	graph_unlock();
	lockdep_exit(c, flags);
	if (!found && __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED))
		warn_once(&warned_unknown, site, "!found && debug_locks");
}
