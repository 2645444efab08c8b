/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU variables' storage (percpu.c), as cpu.c sees it.
 */
#ifndef _KSYNC_SRC_PERCPU_INTERNAL_H
#define _KSYNC_SRC_PERCPU_INTERNAL_H

#include <sys/types.h>

/*
 * CPU number cpu passes to a new thread: its per-CPU copies start again
 * from the templates.  Called by the registering thread, before it runs
 * as that CPU.
 */
void ksync_percpu_cpu_reset(int cpu);
/* The thread id registered as CPU cpu, 0 if none (cpu.c). */
pid_t ksync_cpu_tid(int cpu);

#endif /* _KSYNC_SRC_PERCPU_INTERNAL_H */
