/* SPDX-License-Identifier: MIT */
/*
 * <ksync/lock_events.h> - counters of slow-path events (the kernel's
 * CONFIG_LOCK_EVENT_COUNTS), for tests, benchmarks and the curious.
 *
 * Counted per CPU (thread) by the slow paths only; the fast paths never
 * touch them.  ksync_lockevent_read() sums over all CPUs.
 */
#ifndef _KSYNC_LOCK_EVENTS_H
#define _KSYNC_LOCK_EVENTS_H

#include <ksync/compiler.h>

enum ksync_lock_event {
	LOCKEVENT_lock_slowpath,	/* queued spinlock slow path entered */
	LOCKEVENT_pv_lock_stealing,	/* newcomer stole the lock past a queue */
	LOCKEVENT_pv_head_steal,	/* queue head took it before setting pending */
	LOCKEVENT_lock_pending,		/* queue head took it with pending set */
	LOCKEVENT_pv_wait_node,		/* queued waiter went to sleep */
	LOCKEVENT_pv_wait_head,		/* queue head went to sleep */
	LOCKEVENT_pv_kick_unlock,	/* unlock woke a sleeper */
	LOCKEVENT_pv_spurious_wakeup,	/* woken without the lock being ours */
	LOCKEVENT_lock_use_node2,	/* queued at nesting level 1 */
	LOCKEVENT_lock_use_node3,	/* queued at nesting level 2 */
	LOCKEVENT_lock_use_node4,	/* queued at nesting level 3 */
	LOCKEVENT_lock_no_node,		/* nesting deeper than 4: spun unqueued */
	LOCKEVENT_pv_head_no_steal,	/* head waited long: slept with pending set */
	LOCKEVENT_NUM,
};

KSYNC_API unsigned long long ksync_lockevent_read(enum ksync_lock_event ev);
KSYNC_API const char *ksync_lockevent_name(enum ksync_lock_event ev);

#endif /* _KSYNC_LOCK_EVENTS_H */
