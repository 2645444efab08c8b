/* SPDX-License-Identifier: MIT */
/*
 * A plain sleeping lock on a futex word, for the low layers' own rare,
 * process-context critical sections (the context layer's request_irq()):
 * no lockdep, no debug checks, no pthread call an interposer would take
 * for the program's.  The classic three-state futex mutex:
 *
 *   0 unlocked --lock--> 1 locked --contended lock--> 2 locked, waiters
 *   1 --unlock--> 0;  2 --unlock--> 0 and wake one
 */
#ifndef _KSYNC_SRC_FUTEX_LOCK_H
#define _KSYNC_SRC_FUTEX_LOCK_H

#include <stdint.h>
#include "futex.h"

struct ksync_futex_lock {
	uint32_t word;
};

static inline void ksync_futex_lock(struct ksync_futex_lock *l)
{
	uint32_t c = 0;

	/* Acquire: the previous holder's writes happen before ours. */
	if (__atomic_compare_exchange_n(&l->word, &c, 1, 0, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return;
	/* Mark it contended; sleep while it stays locked by someone else. */
	while (__atomic_exchange_n(&l->word, 2, __ATOMIC_ACQUIRE) != 0)
		ksync_futex_wait(&l->word, 2, NULL);
}

static inline void ksync_futex_unlock(struct ksync_futex_lock *l)
{
	/* Release: our writes happen before the next holder's. */
	if (__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) == 2)
		ksync_futex_wake(&l->word, 1);
}

#endif /* _KSYNC_SRC_FUTEX_LOCK_H */
