// SPDX-License-Identifier: MIT
/*
 * spinlock_t with the run-time debug switch compiled out.
 *
 * CMake builds this one file with -DKSYNC_NO_DEBUG=1, which turns
 * ksync_debug_active() into a constant 0: the inline fast paths lose the
 * load and branch on ksync_debug_flags.  Beside the "spinlock_t" row, it
 * prices that test, which every ksync program pays for being debuggable
 * without a rebuild.
 */
#include <ksync/spinlock.h>

#include "bench_loops.h"

#ifndef KSYNC_NO_DEBUG
#error "bench_nodebug.c must be compiled with -DKSYNC_NO_DEBUG=1 (see tools/CMakeLists.txt)"
#endif

BENCH_LOCK_DEFINE(spinlock_nodebug, "spinlock_t nodebug", spinlock_t,
		  bench_noctx_t,
		  spin_lock_init(lock), spin_lock(lock), spin_unlock(lock),
		  (void)0);

/* The same, under the lockdep section's name for it. */
BENCH_LOCK_DEFINE(spin_lockdep_out, "spin_lock compiled out", spinlock_t,
		  bench_noctx_t,
		  spin_lock_init(lock), spin_lock(lock), spin_unlock(lock),
		  (void)0);
