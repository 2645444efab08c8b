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
	ksync_lockdep_init_map(map, name, key, 0, map->wait_type_inner, map->kind);
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
 * Another thread's stack, as the kernel prints another task's: the count,
 * and the locks only if it sleeps (a running thread changes its stack
 * under us).  Acquire on the state pairs with set_current_state()'s
 * barrier, after which the sleeper's stack stays as it was.
 */
static void print_task_held_locks(const struct task_struct *task, struct ksync_cpu *c)
{
	int depth = c ? __atomic_load_n(&lockdep_cpu(c)->held.depth, __ATOMIC_RELAXED) : 0;

	if (depth < 0 || depth > MAX_LOCK_DEPTH)
		depth = 0;
	if (!depth)
		ksync_printk("no locks held by %s/%d.\n", task->comm, task->pid);
	else
		ksync_printk("%d lock%s held by %s/%d:\n", depth, depth > 1 ? "s" : "",
			     task->comm, task->pid);
	if (__atomic_load_n(&task->__state, __ATOMIC_ACQUIRE) == TASK_RUNNING)
		return;
	for (int i = 0; i < depth; i++) {
		ksync_printk(" #%d: ", i);
		lockdep_print_lock(&lockdep_cpu(c)->held.stack[i]);
	}
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
