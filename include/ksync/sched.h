/* SPDX-License-Identifier: MIT */
/*
 * <ksync/sched.h> - might_sleep() and friends.
 *
 * A sleeping function called from atomic context is a bug the kernel
 * catches with might_sleep() (CONFIG_DEBUG_ATOMIC_SLEEP).  ksync always
 * checks: the test is one read of preempt_count() and of the interrupt
 * mask.  In atomic context it prints
 *
 *   BUG: sleeping function called from invalid context at file.c:42
 *   in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1234, name: prog
 *   preempt_count: 1, expected: 0
 *   RCU nest depth: 0, expected: 0
 *   ...held locks, "Preemption disabled at:", stack...
 *
 * at most once a second, as the kernel does, and the program goes on.  It
 * is not a lockdep report: it does not turn debug_locks off.  Every ksync
 * primitive that can sleep calls it with its caller's file and line.
 */
#ifndef _KSYNC_SCHED_H
#define _KSYNC_SCHED_H

#include <ksync/compiler.h>
#include <ksync/irqflags.h>
#include <ksync/preempt.h>

KSYNC_API void ksync_might_resched_report(const struct ksync_site *site,
					  int expected_preempt);
KSYNC_API void ksync_cant_sleep_report(const struct ksync_site *site);

static __always_inline void
__ksync_might_sleep(const struct ksync_site *site, int expected)
{
	if (__ksync_unlikely(preempt_count() != expected || irqs_disabled()))
		ksync_might_resched_report(site, expected);
}

#define might_sleep()	__ksync_might_sleep(KSYNC_SITE("might_sleep"), 0)
#define might_sleep_if(cond)						\
	do {								\
		if (cond)						\
			might_sleep();					\
	} while (0)

#define cant_sleep()							\
	do {								\
		if (__ksync_unlikely(!preempt_count() && !irqs_disabled())) \
			ksync_cant_sleep_report(KSYNC_SITE("cant_sleep")); \
	} while (0)

#endif /* _KSYNC_SCHED_H */
