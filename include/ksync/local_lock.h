/* SPDX-License-Identifier: MIT */
/*
 * <ksync/local_lock.h> - local_lock_t, the kernel's per-CPU lock.
 *
 *   DEFINE_PER_CPU(local_lock_t, llock) = INIT_LOCAL_LOCK(llock);
 *   struct s { local_lock_t lock; int n; };
 *   DEFINE_PER_CPU(struct s, s) = { .lock = INIT_LOCAL_LOCK(lock) };
 *   local_lock_init(&l)
 *
 *   local_lock(&llock)  ...  local_unlock(&llock)
 *   local_lock_irq(&llock)  ...  local_unlock_irq(&llock)
 *   local_lock_irqsave(&llock, flags)  ...  local_unlock_irqrestore(&llock, flags)
 *
 * As in a kernel without PREEMPT_RT: a local lock protects this CPU's
 * copy of per-CPU data by disabling preemption (or local interrupts),
 * which here counts and keeps out ksync interrupts (signal handlers),
 * and with the debug switches on it is a lockdep map per CPU with an
 * owner: taking this CPU's local lock twice is recursive locking,
 * unlocking one this thread does not hold is reported, and the order
 * against other locks is validated; its wait type is LD_WAIT_CONFIG, as
 * a spinlock_t's.  All CPUs' copies of one local lock are one lockdep
 * class, named after the variable (the kernel's canonical per-CPU
 * address).  The argument is the per-CPU variable (&llock), never one
 * CPU's copy.
 */
#ifndef _KSYNC_LOCAL_LOCK_H
#define _KSYNC_LOCAL_LOCK_H

#include <ksync/compiler.h>
#include <ksync/debug_locks.h>
#include <ksync/irqflags.h>
#include <ksync/lockdep_types.h>
#include <ksync/percpu.h>
#include <ksync/preempt.h>

struct task_struct;

typedef struct {
	struct lockdep_map dep_map;
	struct task_struct *owner;
} local_lock_t;

#define INIT_LOCAL_LOCK(lockname)					\
	{								\
		.dep_map = {						\
			.name = #lockname,				\
			.wait_type_inner = LD_WAIT_CONFIG,		\
			.lock_type = LD_LOCK_PERCPU,			\
			.kind = KSYNC_LOCK_OTHER,			\
		},							\
		.owner = NULL,						\
	}

KSYNC_API void ksync_local_lock_init(local_lock_t *l, const char *name,
				     struct lock_class_key *key);
/* l: this CPU's copy; var: the per-CPU variable (the class). */
KSYNC_API void ksync_local_lock_acquire(local_lock_t *l, const local_lock_t *var,
					const struct ksync_site *site);
KSYNC_API void ksync_local_lock_release(local_lock_t *l, const local_lock_t *var,
					const struct ksync_site *site);

#define local_lock_init(lock)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_local_lock_init((lock), #lock, &__key);		\
	} while (0)

/* Debugging only: the lock is nothing but the preemption/irq state else. */
static __always_inline void
__ksync_local_lock_acquire(local_lock_t *var, const struct ksync_site *site)
{
	if (ksync_debug_active())
		ksync_local_lock_acquire(this_cpu_ptr(var), var, site);
}

static __always_inline void
__ksync_local_lock_release(local_lock_t *var, const struct ksync_site *site)
{
	if (ksync_debug_active())
		ksync_local_lock_release(this_cpu_ptr(var), var, site);
}

#define __KSYNC_LL_SITE(lock)	KSYNC_SITE(#lock)

#define local_lock(lock)						\
	do {								\
		preempt_disable();					\
		__ksync_local_lock_acquire((lock), __KSYNC_LL_SITE(lock)); \
	} while (0)
#define local_lock_irq(lock)						\
	do {								\
		local_irq_disable();					\
		__ksync_local_lock_acquire((lock), __KSYNC_LL_SITE(lock)); \
	} while (0)
#define local_lock_irqsave(lock, flags)					\
	do {								\
		local_irq_save(flags);					\
		__ksync_local_lock_acquire((lock), __KSYNC_LL_SITE(lock)); \
	} while (0)
#define local_unlock(lock)						\
	do {								\
		__ksync_local_lock_release((lock), __KSYNC_LL_SITE(lock)); \
		preempt_enable();					\
	} while (0)
#define local_unlock_irq(lock)						\
	do {								\
		__ksync_local_lock_release((lock), __KSYNC_LL_SITE(lock)); \
		local_irq_enable();					\
	} while (0)
#define local_unlock_irqrestore(lock, flags)				\
	do {								\
		__ksync_local_lock_release((lock), __KSYNC_LL_SITE(lock)); \
		local_irq_restore(flags);				\
	} while (0)

#endif /* _KSYNC_LOCAL_LOCK_H */
