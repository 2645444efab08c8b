// SPDX-License-Identifier: MIT
/*
 * The debug switches and the kernel's debug_locks: the first report turns
 * lock debugging off (lib/debug_locks.c), unless KSYNC_KEEP_GOING=1.
 */
#include <ksync/debug_locks.h>
#include "env.h"

KSYNC_API unsigned int ksync_debug_flags;
KSYNC_API int ksync_debug_locks = 1;

KSYNC_API int ksync_debug_locks_off(void)
{
	if (ksync_settings.keep_going)
		return __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED);
	return __atomic_exchange_n(&ksync_debug_locks, 0, __ATOMIC_RELAXED);
}
