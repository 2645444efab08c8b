// SPDX-License-Identifier: MIT
/*
 * local_lock_t's debug side (the kernel's local_lock_acquire() and
 * local_lock_release() under CONFIG_DEBUG_LOCK_ALLOC): a lockdep map per
 * CPU copy, and an owner.
 */
#define _GNU_SOURCE
#include <ksync/local_lock.h>
#include <ksync/lockdep.h>
#include <ksync/sched.h>
#include "cpu.h"
#include "debug_checks.h"
#include "site.h"
#include "report.h"

KSYNC_API void ksync_local_lock_init(local_lock_t *l, const char *name,
				     struct lock_class_key *key)
{
	ksync_debug_check_no_locks_freed(l, sizeof(*l));
	ksync_lockdep_init_map_type(&l->dep_map, name, key, 0, LD_WAIT_CONFIG, 0,
				    LD_LOCK_PERCPU, KSYNC_LOCK_OTHER);
	__atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
}

/*
 * A copy made from a statically initialised template has no key: it
 * would be a class of its own, keyed by its (heap) address.  Key it by
 * the template, the per-CPU variable, so that every CPU's copy is one
 * class, as the kernel keys a per-CPU lock by its canonical address.
 * The template is static, so lockdep accepts it as a key.
 */
static void key_by_variable(local_lock_t *l, const local_lock_t *var)
{
	if (!__atomic_load_n(&l->dep_map.key, __ATOMIC_RELAXED) && l != var)
		__atomic_store_n(&l->dep_map.key, (struct lock_class_key *)var,
				 __ATOMIC_RELAXED);
}

static const char *ll_name(const local_lock_t *l, const struct ksync_site *site)
{
	if (l->dep_map.name)
		return l->dep_map.name;
	return site && site->expr ? site->expr : "?";
}

/* Only this thread writes its CPU's copy; reports elsewhere read it. */
KSYNC_API void ksync_local_lock_acquire(local_lock_t *l, const local_lock_t *var,
					const struct ksync_site *site)
{
	struct task_struct *me = ksync_current();

	site = ksync_site_resolve(site);
	key_by_variable(l, var);
	lock_acquire_exclusive(&l->dep_map, 0, 0, NULL, KSYNC_SITE_IP(site, RET_IP));
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED))
		ksync_debug_locks_warn(site, "l->owner",
				       "local_lock(%s): this CPU's local lock is held "
				       "already (by this thread: a CPU is one thread here)\n",
				       ll_name(l, site));
	__atomic_store_n(&l->owner, me, __ATOMIC_RELAXED);
}

KSYNC_API void ksync_local_lock_release(local_lock_t *l, const local_lock_t *var,
					const struct ksync_site *site)
{
	struct task_struct *me = ksync_current();

	site = ksync_site_resolve(site);
	key_by_variable(l, var);
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != me)
		ksync_debug_locks_warn(site, "l->owner != current",
				       "local_unlock(%s): this CPU's local lock is not "
				       "held\n", ll_name(l, site));
	__atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
	lock_release(&l->dep_map, KSYNC_SITE_IP(site, RET_IP));
}
