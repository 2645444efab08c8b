/* SPDX-License-Identifier: MIT */
/*
 * <ksync/rwlock_types.h> - arch_rwlock_t (the queued rwlock) and rwlock_t.
 *
 * The queued rwlock is the kernel's (asm-generic/qrwlock_types.h): one
 * 32-bit count word and a queued spinlock that orders the waiters.
 *
 *   cnts bits  0- 7: _QW_LOCKED (0xff) while a writer holds the lock;
 *                    the byte is also reachable alone, as wlocked
 *   cnts bit      8: _QW_WAITING, a writer waits for the readers to drain
 *   cnts bits  9-31: the number of readers (and of would-be readers that
 *                    are about to back out), in units of _QR_BIAS
 *
 * rwlock_t adds the CONFIG_DEBUG_SPINLOCK fields (magic, owner, owner_cpu;
 * owner is the write owner only) and a lockdep map, as raw_spinlock_t
 * does.  They are always there, because debugging is chosen at run time.
 *
 * Never copy or move an initialised lock: waiters and lockdep know it by
 * its address.
 */
#ifndef _KSYNC_RWLOCK_TYPES_H
#define _KSYNC_RWLOCK_TYPES_H

#include <ksync/compiler.h>
#include <ksync/atomic.h>
#include <ksync/qspinlock.h>
#include <ksync/lockdep_types.h>
#include <ksync/spinlock_types.h>

typedef struct qrwlock {
	union {
		atomic_t cnts;
		struct {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			uint8_t wlocked;	/* 0xff: held for write */
			uint8_t __lstate[3];
#else
			uint8_t __lstate[3];
			uint8_t wlocked;
#endif
		};
	};
	arch_spinlock_t wait_lock;	/* queues readers and writers that wait */
} arch_rwlock_t;

#define __ARCH_RW_LOCK_UNLOCKED						\
	{								\
		{ .cnts = ATOMIC_INIT(0) },				\
		.wait_lock = __ARCH_SPIN_LOCK_UNLOCKED,			\
	}

#define RWLOCK_MAGIC		0xdeaf1eed

typedef struct rwlock {
	arch_rwlock_t raw_lock;
	unsigned int magic, owner_cpu;
	void *owner;
	struct lockdep_map dep_map;
} rwlock_t;

/* rwlock_t is a spinning lock that sleeps on PREEMPT_RT: LD_WAIT_CONFIG. */
#define __RW_LOCK_INITIALIZER(lockname)					\
	{								\
		.raw_lock = __ARCH_RW_LOCK_UNLOCKED,			\
		.magic = RWLOCK_MAGIC,					\
		.owner_cpu = -1,					\
		.owner = SPINLOCK_OWNER_INIT,				\
		.dep_map = {						\
			.name = #lockname,				\
			.wait_type_inner = LD_WAIT_CONFIG,		\
			.kind = KSYNC_LOCK_RWLOCK,			\
		},							\
	}
#define __RW_LOCK_UNLOCKED(lockname)	((rwlock_t) __RW_LOCK_INITIALIZER(lockname))
#define DEFINE_RWLOCK(x)	rwlock_t x = __RW_LOCK_UNLOCKED(x)

#endif /* _KSYNC_RWLOCK_TYPES_H */
