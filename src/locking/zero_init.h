/* SPDX-License-Identifier: MIT */
/*
 * Zero-filled (never initialised) completions and wait queue heads: made
 * to work as initialised ones on first use; see zero_init.c.
 */
#ifndef _KSYNC_SRC_ZERO_INIT_H
#define _KSYNC_SRC_ZERO_INIT_H

#include <ksync/list_types.h>
#include <ksync/spinlock_types.h>
#include "kernel_compat.h"

void ksync_init_zero_filled(raw_spinlock_t *lock, struct ksync_list_head *list,
			    int wait_type, const char *what, const char *inits,
			    const struct ksync_site *site);

/*
 * An object whose inner lock has an initialised lock's magic is ready.
 * Acquire: pairs with the release that publishes a lazy initialisation.
 */
static inline void ksync_check_zero_filled(raw_spinlock_t *lock,
					   struct ksync_list_head *list,
					   int wait_type, const char *what,
					   const char *inits,
					   const struct ksync_site *site)
{
	if (unlikely(__atomic_load_n(&lock->magic, __ATOMIC_ACQUIRE) != SPINLOCK_MAGIC))
		ksync_init_zero_filled(lock, list, wait_type, what, inits, site);
}

#endif /* _KSYNC_SRC_ZERO_INIT_H */
