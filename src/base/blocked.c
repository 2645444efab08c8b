// SPDX-License-Identifier: MIT
/*
 * "Blocked since" records (blocked.h): stamped by a thread going to sleep
 * in ksync, pinned by whoever prints it (the hung-task detector,
 * debug_show_all_locks()).
 *
 * Why the sleeper saves its own backtrace: the kernel's detector prints
 * a blocked task's stack by walking it from the outside
 * (sched_show_task()); a user-space thread's stack cannot be walked by
 * another thread.  So a watched sleep saves its backtrace itself, with
 * libgcc's unwinder (no allocation, no dynamic loader lock: the sleep may
 * be in a lock the program's allocator takes), and the detector
 * symbolises it when it reports.  An unwind costs microseconds, as much
 * as a short sleep (a contended mutex with 4 threads ran 1.4x slower
 * unwinding at every sleep), so it is done late: a watched sleep wakes
 * itself once, a quarter of KSYNC_HUNG_TASK_SECS in, saves its backtrace
 * if it is still asleep, and sleeps on (ksync_blocked_frames_due()).  A
 * sleep the detector reports (N seconds old, checked every N/2) has
 * saved it long before; short sleeps never pay.
 */
#define _GNU_SOURCE
#include <string.h>

#include <ksync/interpose.h>
#include "backtrace.h"
#include "blocked.h"
#include "cpu.h"
#include "env.h"
#include "futex.h"
#include "layer_hooks.h"
#include "report.h"
#include "version.h"

KSYNC_DEFINE_CPU_PART(struct ksync_blocked, ksync_blocked_part);

struct ksync_blocked *ksync_blocked_of(struct ksync_cpu *c)
{
	return ksync_cpu_part(c, ksync_blocked_part);
}

/* The sleep's backtrace, from the first frame outside ksync. */
static void save_frames(struct ksync_blocked *b)
{
	b->nframes = ksync_save_caller_stack(b->frames, KSYNC_BLOCKED_FRAMES);
}

void ksync_blocked_begin(struct ksync_cpu *c, bool hung_check)
{
	struct ksync_blocked *b = ksync_blocked_of(c);
	bool watched = hung_check && ksync_settings.hung_task_secs > 0;

	b->hung_check = watched;
	b->reported = false;
	b->frames_saved = false;
	b->nframes = 0;
	b->since_ns = ksync_now_ns();
	/* Release: an inspector that pins us sees all of the above. */
	__atomic_store_n(&b->state, KSYNC_BLOCKED_ASLEEP, __ATOMIC_RELEASE);
}

/* ASLEEP -> RUNNING, waiting out an inspector's pin.  Async-signal-safe. */
static void leave(struct ksync_blocked *b)
{
	uint32_t v = KSYNC_BLOCKED_ASLEEP;

	/* Acquire: what the inspector wrote (reported) before unpinning. */
	while (!__atomic_compare_exchange_n(&b->state, &v, KSYNC_BLOCKED_RUNNING, 0,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		if (v == KSYNC_BLOCKED_PINNED)
			ksync_futex_wait(&b->state, KSYNC_BLOCKED_PINNED, NULL);
		v = KSYNC_BLOCKED_ASLEEP;
	}
}

void ksync_blocked_end(struct ksync_cpu *c)
{
	leave(ksync_blocked_of(c));
}

uint64_t ksync_blocked_frames_due(struct ksync_cpu *c)
{
	struct ksync_blocked *b = ksync_blocked_of(c);

	/* Our own fields: an inspector only reads them (and writes reported). */
	if (!b->hung_check || b->frames_saved)
		return UINT64_MAX;
	return b->since_ns + (uint64_t)ksync_settings.hung_task_secs * 250000000ull;
}

void ksync_blocked_save_frames(struct ksync_cpu *c)
{
	struct ksync_blocked *b = ksync_blocked_of(c);

	leave(b);
	save_frames(b);
	b->frames_saved = true;
	/* Release: an inspector that pins us sees the frames. */
	__atomic_store_n(&b->state, KSYNC_BLOCKED_ASLEEP, __ATOMIC_RELEASE);
}

bool ksync_blocked_irq_suspend(struct ksync_cpu *c)
{
	struct ksync_blocked *b;

	if (!c)
		return false;
	b = ksync_blocked_of(c);
	/* Only this thread moves its record out of RUNNING: relaxed. */
	if (__atomic_load_n(&b->state, __ATOMIC_RELAXED) == KSYNC_BLOCKED_RUNNING)
		return false;
	leave(b);
	return true;
}

void ksync_blocked_irq_resume(struct ksync_cpu *c)
{
	/* Release: the handler's changes to our held locks before a pin. */
	__atomic_store_n(&ksync_blocked_of(c)->state, KSYNC_BLOCKED_ASLEEP,
			 __ATOMIC_RELEASE);
}

bool ksync_blocked_pin(struct ksync_cpu *c)
{
	struct ksync_blocked *b = ksync_blocked_of(c);
	uint32_t v = KSYNC_BLOCKED_ASLEEP;

	/* Acquire: pairs with the sleeper's release when it blocked. */
	return __atomic_compare_exchange_n(&b->state, &v, KSYNC_BLOCKED_PINNED, 0,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void ksync_blocked_unpin(struct ksync_cpu *c)
{
	struct ksync_blocked *b = ksync_blocked_of(c);

	/* Release: pairs with the sleeper's acquire in leave(). */
	__atomic_store_n(&b->state, KSYNC_BLOCKED_ASLEEP, __ATOMIC_RELEASE);
	ksync_futex_wake(&b->state, 1);
}

KSYNC_API bool ksync_interposer_sleep_begin(struct timespec *save_at)
{
	struct ksync_cpu *c = ksync_this_cpu();
	uint64_t due, now;

	ksync_blocked_begin(c, true);
	due = ksync_blocked_frames_due(c);
	if (due == UINT64_MAX)
		return false;
	now = ksync_now_ns();
	*save_at = ksync_ns_to_timespec(due > now ? due : now);
	return true;
}

KSYNC_API void ksync_interposer_sleep_long(void)
{
	ksync_blocked_save_frames(ksync_this_cpu());
}

KSYNC_API void ksync_interposer_sleep_end(void)
{
	ksync_blocked_end(ksync_this_cpu());
}

/*
 * A new thread on block c is not asleep.  In a fork child every other
 * thread's block is reset: their sleeps did not survive the fork.
 */
static void blocked_cpu_reset(struct ksync_cpu *c)
{
	struct ksync_blocked *b = ksync_blocked_of(c);

	__atomic_store_n(&b->state, KSYNC_BLOCKED_RUNNING, __ATOMIC_RELAXED);
	b->hung_check = false;
	b->reported = false;
	b->frames_saved = false;
	b->nframes = 0;
	b->since_ns = 0;
}

KSYNC_HOOKS(blocked_hooks) = {
	.layer = KSYNC_LAYER_BASE,
	.cpu_reset = blocked_cpu_reset,
};

/*
 * The kernel's check_hung_task() lines and sched_show_task(), for a
 * pinned record: the stack is the one saved when the thread went to
 * sleep.
 */
void ksync_blocked_print_hung(struct ksync_cpu *c, pid_t tid, uint64_t secs)
{
	struct ksync_blocked *b = ksync_blocked_of(c);
	char comm[KSYNC_COMM_LEN], sym[512];

	ksync_comm_of(tid, comm);
	ksync_printk("INFO: task %s:%d blocked for more than %llu seconds.\n",
		     comm, (int)tid, (unsigned long long)secs);
	ksync_printk("      %s\n", KSYNC_TAINT_LINE);
	ksync_printk("\"KSYNC_HUNG_TASK_SECS=0\" disables this message.\n");
	ksync_printk("task:%-15.15s state:D pid:%-5d cpu:%d\n", comm, (int)tid, c->cpu);
	ksync_printk("Call Trace:\n <TASK>\n");
	if (!b->frames_saved)
		ksync_printk(" (not saved: the thread has not run since it went to sleep)\n");
	for (int i = 0; i < b->nframes; i++) {
		/* Return addresses point after the call: name the call. */
		ksync_symbolize_return(b->frames[i], sym, sizeof(sym));
		ksync_printk(" %s\n", sym);
	}
	ksync_printk(" </TASK>\n");
}
