// SPDX-License-Identifier: MIT
/*
 * Re-classing a held lock and printing a task's held locks
 * (kernel/locking/lockdep.c: lock_set_class(), __lock_set_class(),
 * lockdep_print_held_locks() as debug_show_held_locks() calls it).
 */
#define _GNU_SOURCE
#include <string.h>

#include <ksync/sched.h>
#include "lockdep_internal.h"
#include "report.h"

/*
 * The kernel's __lock_set_class(): the map gets its new key and name, and
 * the stack is rebuilt from the lock up, so that the lock's entry names
 * the new class and the locks above it are validated again after it.
 */
static void __lock_set_class(struct ksync_cpu *c, struct lockdep_map *map,
			     const char *name, struct lock_class_key *key,
			     unsigned int subclass, const struct ksync_site *site,
			     uintptr_t ip)
{
	struct ksync_held_locks *h = &lockdep_cpu(c)->held;
	struct ksync_held_lock saved[MAX_LOCK_DEPTH];
	int depth = h->depth, i;

	if (!depth) {
		ksync_debug_locks_warn(site, "!depth",
				       "lock_set_class(): this thread holds no lock at all\n");
		return;
	}
	i = find_held_lock(c, map);
	if (i < 0) {
		if (lockdep_validating())
			print_unlock_imbalance_bug(c, map, site, ip);
		return;
	}
	/* Same wait types and lock type: only the class changes. */
	ksync_lockdep_init_map_type(map, name, key, 0, map->wait_type_inner,
				    map->wait_type_outer, map->lock_type, map->kind);
	memcpy(saved, &h->stack[i], (size_t)(depth - i) * sizeof(saved[0]));
	saved[0].subclass = (unsigned char)subclass;
	h->depth = i;
	h->chain_key = saved[0].prev_chain_key;
	reacquire_held_locks(c, i, depth, saved);
}

KSYNC_API void ksync_lock_set_class(struct lockdep_map *map, const char *name,
				    struct lock_class_key *key, unsigned int subclass,
				    unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);
	struct ksync_cpu *c = lockdep_watched_cpu();
	unsigned long flags;

	if (!c)
		return;
	flags = lockdep_enter(c);
	__lock_set_class(c, map, name, key, subclass, site, ip);
	lockdep_exit(c, flags);
}

/*
 * Another thread's held stack, which only it writes, with plain stores:
 * read the kernel's way, racily (the kernel's lockdep_print_held_locks()
 * reads another task's held_locks unlocked), so not instrumented for
 * ThreadSanitizer.  Byte by byte through volatile, so that no memcpy()
 * is made of it.  The depth before and after must agree, else -1.
 */
__attribute__((no_sanitize_thread))
static int snapshot_held(const struct ksync_held_locks *h, struct ksync_held_lock *out)
{
	const volatile int *vdepth = &h->depth;
	const volatile unsigned char *from = (const volatile unsigned char *)h->stack;
	unsigned char *to = (unsigned char *)out;
	int depth = *vdepth;

	if (depth < 0 || depth > MAX_LOCK_DEPTH)
		return -1;
	for (size_t i = 0; i < (size_t)depth * sizeof(*out); i++)
		to[i] = from[i];
	return *vdepth == depth ? depth : -1;
}

/* An entry of a snapshot that may be torn: print it only if it can be. */
static void print_snapshot_entry(int i, const struct ksync_held_lock *hl)
{
	ksync_printk(" #%d: ", i);
	if (hl->class_idx && hl->class_idx < MAX_LOCKDEP_KEYS)
		lockdep_print_lock(hl);
	else
		ksync_printk("%p (changing), at: ?\n", (void *)hl->instance);
}

/*
 * Another thread's stack, as the kernel prints another task's: the count,
 * and the locks only if it sleeps (a running thread changes its stack
 * under us).
 */
static void print_task_held_locks(const struct task_struct *task, struct ksync_cpu *c)
{
	static struct ksync_held_lock copy[MAX_LOCK_DEPTH];	/* under the report lock */
	int depth = -1;

	for (int tries = 0; c && depth < 0 && tries < 100; tries++)
		depth = snapshot_held(&lockdep_cpu(c)->held, copy);
	if (depth < 0)
		depth = 0;
	if (!depth)
		ksync_printk("no locks held by %s/%d.\n", task->comm, task->pid);
	else
		ksync_printk("%d lock%s held by %s/%d:\n", depth, depth > 1 ? "s" : "",
			     task->comm, task->pid);
	if (__atomic_load_n(&task->__state, __ATOMIC_RELAXED) == TASK_RUNNING)
		return;
	for (int i = 0; i < depth; i++)
		print_snapshot_entry(i, &copy[i]);
}

KSYNC_API void ksync_debug_show_held_locks(struct task_struct *task)
{
	struct ksync_cpu *me = ksync_this_cpu_or_null();
	struct ksync_cpu *c;

	if (!lockdep_tracking()) {
		ksync_printk("INFO: lockdep is turned off.\n");
		return;
	}
	c = task ? ksync_cpu_peek(task->cpu) : me;
	ksync_report_lock();
	if (!task || c == me)
		lockdep_print_held_locks(me);
	else
		print_task_held_locks(task, c);
	ksync_report_unlock();
}
