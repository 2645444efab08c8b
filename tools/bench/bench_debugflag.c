// SPDX-License-Identifier: MIT
/*
 * spin_lock/spin_unlock with the run-time debug test in place, lockdep
 * off: the twin of bench_nodebug.c.
 *
 * The two files are the same but for -DKSYNC_NO_DEBUG, and CMake builds
 * both with the same function and loop alignment, so that the lockdep
 * section compares two loops that differ only by the test of
 * ksync_debug_flags - not by where the linker happened to put them.
 */
#include <ksync/spinlock.h>

#include "bench_loops.h"

#ifdef KSYNC_NO_DEBUG
#error "bench_debugflag.c must be built with the debug test (see tools/CMakeLists.txt)"
#endif

BENCH_LOCK_DEFINE(spin_lockdep_off, "spin_lock lockdep off", spinlock_t,
		  bench_noctx_t,
		  spin_lock_init(lock), spin_lock(lock), spin_unlock(lock),
		  (void)0);
