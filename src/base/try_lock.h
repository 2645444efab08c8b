/* SPDX-License-Identifier: MIT */
/*
 * A lock that is only ever tried, never waited for: for what a report may
 * do without (symbolising with libdw, the report stack) when another
 * thread, or the code a signal handler interrupted, is doing it.  No
 * queue, no sleeping, no lockdep: base sits below all of those.
 */
#ifndef _KSYNC_SRC_TRY_LOCK_H
#define _KSYNC_SRC_TRY_LOCK_H

#include <stdbool.h>

/* Acquire: the previous holder's writes happen before ours. */
static inline bool ksync_try_lock(int *flag)
{
	return !__atomic_exchange_n(flag, 1, __ATOMIC_ACQUIRE);
}

/* Release: our writes happen before the next holder's. */
static inline void ksync_try_unlock(int *flag)
{
	__atomic_store_n(flag, 0, __ATOMIC_RELEASE);
}

#endif /* _KSYNC_SRC_TRY_LOCK_H */
