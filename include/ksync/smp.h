/* SPDX-License-Identifier: MIT */
/*
 * <ksync/smp.h> - threads as CPUs.
 *
 * Any thread that touches ksync becomes a "CPU": the first call that needs
 * a CPU number registers the thread, with no explicit call, and gives it
 * the smallest free number.  The number is released when the thread exits
 * and reused by the next thread that registers.  The queued spinlock's tail
 * encodes CPU + 1 in 14 bits, so at most KSYNC_NR_CPUS (16383) threads can
 * be registered at once; registering one more prints why and aborts, as
 * corrupting a lock word would be worse.
 *
 * A number is reused, but a thread is not: each registration also gets
 * an incarnation number no other thread of the process had.  The debug
 * checks record it beside a lock's owner, so a thread that has an exited
 * owner's CPU number is not taken for that owner.
 */
#ifndef _KSYNC_SMP_H
#define _KSYNC_SMP_H

#include <ksync/compiler.h>
#include <ksync/percpu.h>
#include <ksync/preempt.h>

#define KSYNC_NR_CPUS	16383
#ifndef NR_CPUS
#define NR_CPUS		KSYNC_NR_CPUS
#endif

/* Registers the calling thread if needed; returns its CPU number. */
KSYNC_API int ksync_cpu_register(void);
/* Number of threads registered right now. */
KSYNC_API int ksync_num_online_cpus(void);

static __always_inline int raw_smp_processor_id(void)
{
	unsigned int c = __atomic_load_n(&ksync_tls.cpu_plus_one, __ATOMIC_RELAXED);

	if (__ksync_likely(c))
		return (int)c - 1;
	return ksync_cpu_register();
}

#define smp_processor_id()	raw_smp_processor_id()

/* The kernel's get_cpu()/put_cpu(): the CPU number, preemption counted off. */
#define get_cpu()	({ preempt_disable(); smp_processor_id(); })
#define put_cpu()	preempt_enable()
#define num_online_cpus()	ksync_num_online_cpus()
#define num_possible_cpus()	KSYNC_NR_CPUS

#endif /* _KSYNC_SMP_H */
