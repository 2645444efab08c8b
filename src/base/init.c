// SPDX-License-Identifier: MIT
/*
 * Start-up: read the environment, run every layer's start-up hook, install
 * the fork handlers that run every layer's fork hooks (layer_hooks.h).
 *
 * A constructor runs this before main() in a dynamically linked program.
 * With the static library, or when another library's constructor or a
 * preloaded library calls ksync first, the first slow path runs it
 * instead (ksync_cpu_slow() calls ksync_init_once()); it runs once.
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <pthread.h>

#include <ksync/debug_locks.h>
#include "env.h"
#include "layer_hooks.h"
#include "init.h"

static int init_state;		/* 0 not yet, 1 running, 2 done */

static void fork_prepare(void)
{
	ksync_hooks_run(KSYNC_HOOK_FORK_PREPARE);
}

static void fork_parent(void)
{
	ksync_hooks_run(KSYNC_HOOK_FORK_PARENT);
}

static void fork_child(void)
{
	ksync_hooks_run(KSYNC_HOOK_FORK_CHILD);
}

void ksync_init_once(void)
{
	int expect = 0;

	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (!__atomic_compare_exchange_n(&init_state, &expect, 1, 0,
					 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		/* Another thread is initialising; it finishes quickly. */
		while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2)
			;
		return;
	}
	ksync_env_read();
	ksync_hooks_run(KSYNC_HOOK_INIT);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	/* Release: the settings and what the hooks set up, for every reader. */
	__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void ksync_constructor(void)
{
	ksync_init_once();
	if (ksync_debug_flags) {
		/*
		 * backtrace() dlopen()s libgcc_s on first use: not in a report.
		 * Here, not in ksync_init_once(), which a lock call may run
		 * first - from inside a memory allocator that takes pthread
		 * locks (jemalloc), which dlopen()'s malloc() would re-enter.
		 */
		void *frame;

		backtrace(&frame, 1);
	}
}
