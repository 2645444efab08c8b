/* SPDX-License-Identifier: MIT */
/*
 * <ksync/spinlock_types.h> - raw_spinlock_t and spinlock_t.
 *
 * Layered as in the kernel: spinlock_t wraps raw_spinlock_t, which wraps
 * the queued spinlock.  The debug fields (magic, owner, owner_cpu) and the
 * lockdep map are always present, because debugging is switched on at run
 * time rather than at build time; they cost space, not time.
 *
 * Never copy or move an initialised lock: queued waiters, lockdep and the
 * sleep/wake machinery all know it by its address.
 */
#ifndef _KSYNC_SPINLOCK_TYPES_H
#define _KSYNC_SPINLOCK_TYPES_H

#include <stddef.h>
#include <ksync/compiler.h>
#include <ksync/qspinlock.h>
#include <ksync/lockdep_types.h>

#define SPINLOCK_MAGIC		0xdead4ead
#define SPINLOCK_OWNER_INIT	((void *)-1L)

typedef struct raw_spinlock {
	arch_spinlock_t raw_lock;
	unsigned int magic, owner_cpu;
	/* The owner thread's incarnation (see smp.h); 0 when unowned. */
	unsigned int owner_incarnation;
	void *owner;
	struct lockdep_map dep_map;
} raw_spinlock_t;

/*
 * As in the kernel, the lockdep map is reachable as lock->dep_map from a
 * spinlock_t too, so lockdep_assert_held(&lock) works on either type.
 */
typedef struct spinlock {
	union {
		struct raw_spinlock rlock;
		struct {
			unsigned char __padding[offsetof(struct raw_spinlock, dep_map)];
			struct lockdep_map dep_map;
		};
	};
} spinlock_t;

#define __KSYNC_SPIN_DEP_MAP_INIT(lockname, wait)			\
	.dep_map = {							\
		.name = #lockname,					\
		.wait_type_inner = (wait),				\
		.kind = KSYNC_LOCK_SPIN,				\
	}

#define __KSYNC_SPIN_LOCK_INIT(lockname, wait)				\
	{								\
		.raw_lock = __ARCH_SPIN_LOCK_UNLOCKED,			\
		.magic = SPINLOCK_MAGIC,				\
		.owner_cpu = -1,					\
		.owner = SPINLOCK_OWNER_INIT,				\
		__KSYNC_SPIN_DEP_MAP_INIT(lockname, wait)		\
	}

#define __RAW_SPIN_LOCK_INITIALIZER(lockname)				\
	__KSYNC_SPIN_LOCK_INIT(lockname, LD_WAIT_SPIN)
#define __RAW_SPIN_LOCK_UNLOCKED(lockname)				\
	((raw_spinlock_t) __RAW_SPIN_LOCK_INITIALIZER(lockname))
#define DEFINE_RAW_SPINLOCK(x)	raw_spinlock_t x = __RAW_SPIN_LOCK_UNLOCKED(x)

#define __SPIN_LOCK_INITIALIZER(lockname)				\
	{ { .rlock = __KSYNC_SPIN_LOCK_INIT(lockname, LD_WAIT_CONFIG) } }
#define __SPIN_LOCK_UNLOCKED(lockname)					\
	((spinlock_t) __SPIN_LOCK_INITIALIZER(lockname))
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

#endif /* _KSYNC_SPINLOCK_TYPES_H */
