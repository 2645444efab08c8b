/* SPDX-License-Identifier: MIT */
/*
 * "Blocked since": what a thread asleep in ksync records about its sleep,
 * for the hung-task detector and for debug_show_all_locks() (both in the
 * lockdep layer, above this one).  The sleeping side is the context
 * layer's ksync_schedule_until() (every mutex, rwsem, semaphore,
 * completion, wait queue and condvar sleep) and rt_mutex's PI futex
 * wait; only slow paths, never a lock's fast path.
 *
 * The record also makes another thread's per-CPU state safe to read.  A
 * thread that sleeps has stopped changing its held-lock stack; but in
 * user space it may wake at any moment, or an interrupt (a signal) may
 * run lock code on it.  So the record's state word is a small lock
 * between the sleeper and an inspector:
 *
 *   RUNNING --sleeper: block--> BLOCKED --inspector: pin--> PINNED
 *   PINNED --inspector: unpin--> BLOCKED --sleeper: unblock--> RUNNING
 *
 * The sleeper leaves BLOCKED only by a compare-and-swap from BLOCKED, so
 * while an inspector holds the pin the sleeper neither returns to its
 * code nor runs an interrupt handler: it waits (futex) for the unpin.  An
 * inspector reads the sleeper's held locks, backtrace and stamp under the
 * pin only; everything the sleeper wrote before it blocked (release) is
 * visible to the inspector that pinned it (acquire), and everything the
 * inspector wrote before unpinning (release) is visible to the sleeper
 * once it leaves (acquire).  An inspector holds a pin for as long as it
 * takes to print one thread's lines.
 */
#ifndef _KSYNC_SRC_BLOCKED_H
#define _KSYNC_SRC_BLOCKED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ksync_cpu;

#define KSYNC_BLOCKED_FRAMES	24

enum {
	KSYNC_BLOCKED_RUNNING,
	KSYNC_BLOCKED_ASLEEP,
	KSYNC_BLOCKED_PINNED,
};

/* Base's per-CPU part for it (cpu.h's KSYNC_DEFINE_CPU_PART). */
struct ksync_blocked {
	uint32_t state;			/* the word above; futex */
	/* All below: written by the sleeper before it blocks. */
	bool hung_check;		/* an uninterruptible sleep: watched */
	bool reported;			/* the detector reported this sleep */
	bool frames_saved;		/* frames[] hold this sleep's backtrace */
	int nframes;
	uint64_t since_ns;		/* CLOCK_MONOTONIC, when it blocked */
	uintptr_t frames[KSYNC_BLOCKED_FRAMES];	/* return addresses */
};

struct ksync_blocked *ksync_blocked_of(struct ksync_cpu *c);

/*
 * The sleeper: about to sleep (hung_check: an uninterruptible sleep,
 * which the hung-task detector watches, when it is on), and back.
 */
void ksync_blocked_begin(struct ksync_cpu *c, bool hung_check);
void ksync_blocked_end(struct ksync_cpu *c);
/*
 * A watched sleep's backtrace is saved late (blocked.c says why): the
 * CLOCK_MONOTONIC time (ns) at which the sleeper, if still asleep, should
 * wake and call ksync_blocked_save_frames(); UINT64_MAX if never.
 */
uint64_t ksync_blocked_frames_due(struct ksync_cpu *c);
void ksync_blocked_save_frames(struct ksync_cpu *c);

/*
 * An interrupt handler about to run on c (async-signal-safe): if c was
 * asleep, leave the record (waiting out a pin) and return true, so that
 * ksync_blocked_irq_resume() restores it after the handler.
 */
bool ksync_blocked_irq_suspend(struct ksync_cpu *c);
void ksync_blocked_irq_resume(struct ksync_cpu *c);

/* An inspector: pin c's record if it is asleep (true), and let it go. */
bool ksync_blocked_pin(struct ksync_cpu *c);
void ksync_blocked_unpin(struct ksync_cpu *c);

/*
 * For the detector, c pinned: "INFO: task comm:tid blocked for more than
 * secs seconds.", as the kernel's, and the stack saved at the sleep.
 */
void ksync_blocked_print_hung(struct ksync_cpu *c, pid_t tid, uint64_t secs);


#endif /* _KSYNC_SRC_BLOCKED_H */
