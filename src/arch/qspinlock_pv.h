/* SPDX-License-Identifier: MIT */
/*
 * The paravirt half of the queued spinlock, adapted to userspace: where
 * the kernel halts a vCPU (pv_wait) and kicks it (pv_kick), a thread
 * sleeps on a futex in its queue node and is woken with FUTEX_WAKE.
 */
#ifndef _KSYNC_SRC_QSPINLOCK_PV_H
#define _KSYNC_SRC_QSPINLOCK_PV_H

#include <stdbool.h>
#include <stdint.h>
#include <ksync/qspinlock.h>
#include "mcs.h"

struct ksync_cpu;

/*
 * A lockup watch, for a debug path above (spinlock_debug.c's): while the
 * slow path waits, it calls watch() every KSYNC_LOCKUP_MS/8 once the wait
 * is KSYNC_LOCKUP_MS old; watch() looks at what the wait depends on and
 * returns true once it has reported.  Set up with .watch, .lock and
 * .start_ns; the rest starts zeroed.  The slow path knows nothing of the
 * lock above its arch_spinlock_t: .lock and the holder fields are the
 * watcher's.
 */
struct ksync_lockup {
	bool (*watch)(struct ksync_lockup *lk);
	void *lock;			/* the watcher's lock */
	uint64_t start_ns;		/* the wait began */
	bool reported;
	uint64_t next_ns;		/* next look; 0: KSYNC_LOCKUP_MS after start */
	/* What the last look found (the watcher's). */
	int holder_kind;
	struct ksync_cpu *holder;
	unsigned int holder_incarnation;
	uint64_t holder_cpu_ns;		/* its CPU time then */
};

/* Insert (lock -> node) so that an unlock of lock wakes node. */
bool ksync_pv_hash(arch_spinlock_t *lock, struct ksync_qnode *node);
/* Remove our own entry; false if an unlocker removed it first. */
bool ksync_pv_unhash(arch_spinlock_t *lock, struct ksync_qnode *node);
/* Make a node RUNNING and wake it if it sleeps. */
void ksync_pv_wake_node(struct ksync_qnode *node);
/* Order our hash entry before every running thread's next load. */
void ksync_pv_membarrier(void);
/* Whether sleeps may be untimed (membarrier(2) works here). */
bool ksync_pv_untimed_ok(void);
/*
 * Sleep while *word == val.  Timed (a short poll) when untimed sleeps are
 * not safe; with a lockup watch, wakes up to check the lockup deadline.
 */
void ksync_pv_wait(uint32_t *word, uint32_t val, bool timed,
		   struct ksync_lockup *lk);
/* Called from waits: look at the holder when due; report a lockup once. */
void ksync_pv_check_lockup(struct ksync_lockup *lk);


#endif /* _KSYNC_SRC_QSPINLOCK_PV_H */
