/* SPDX-License-Identifier: MIT */
/*
 * <ksync/ksync.h> - everything ksync offers, in one include, with the
 * errno codes (<errno.h>) that kernel-style code returns.
 */
#ifndef _KSYNC_KSYNC_H
#define _KSYNC_KSYNC_H

#include <errno.h>
#include <ksync/compiler.h>
#include <ksync/types.h>
#include <ksync/bug.h>
#include <ksync/errno.h>
#include <ksync/barrier.h>
#include <ksync/atomic.h>
#include <ksync/cmpxchg.h>
#include <ksync/bitops.h>
#include <ksync/percpu.h>
#include <ksync/smp.h>
#include <ksync/preempt.h>
#include <ksync/irqflags.h>
#include <ksync/hardirq.h>
#include <ksync/bottom_half.h>
#include <ksync/interrupt.h>
#include <ksync/sched.h>
#include <ksync/debug_locks.h>
#include <ksync/cleanup.h>
#include <ksync/lockdep_types.h>
#include <ksync/lockdep.h>
#include <ksync/qspinlock.h>
#include <ksync/spinlock_types.h>
#include <ksync/spinlock_api.h>
#include <ksync/spinlock.h>
#include <ksync/rwlock_types.h>
#include <ksync/rwlock.h>
#include <ksync/seqlock.h>
#include <ksync/jiffies.h>
#include <ksync/mutex.h>
#include <ksync/ww_mutex.h>
#include <ksync/rwsem.h>
#include <ksync/rtmutex.h>
#include <ksync/percpu-rwsem.h>
#include <ksync/semaphore.h>
#include <ksync/completion.h>
#include <ksync/wait.h>
#include <ksync/condvar.h>
#include <ksync/refcount.h>
#include <ksync/kref.h>
#include <ksync/bit_spinlock.h>
#include <ksync/wait_bit.h>
#include <ksync/locked_by.h>
#include <ksync/local_lock.h>
#include <ksync/lock_events.h>

#endif /* _KSYNC_KSYNC_H */
