// SPDX-License-Identifier: MIT
/*
 * The report stack: a big stack of ksync's own, for the part of a report
 * that needs far more stack than a thread may have.
 *
 * libdw, reading a module's DWARF line table to turn an address into
 * file:line, keeps its working arrays on the stack: well over 100 KiB.
 * Programs that make many threads give each a small stack (16 KiB, the
 * least glibc allows, is not rare), and a report raised on such a thread
 * overflowed it and killed the program.  So the symbolizer runs libdw on
 * this stack instead: one stack of 1 MiB (touched pages only), mapped the
 * first time a report needs it, with a guard page below, used by one
 * thread at a time.  A caller that finds it busy (another thread's
 * report, or the code this signal handler interrupted) is told so and
 * does without (dladdr()).  The switch is ucontext's makecontext() and
 * swapcontext(): ordinary calls, no allocation; never used in a signal
 * handler (the symbolizer does not use libdw there).
 *
 * AddressSanitizer is told of the switch (its fiber-switch calls), so
 * that it checks the right stack's bounds.  ThreadSanitizer is not: to it
 * this is one thread making ordinary nested calls (its fibers would give
 * the callee a shadow call stack of its own, which the return through
 * uc_link leaves unbalanced), and the stack's memory passes from thread
 * to thread under stack_lock, an acquire/release pair it sees.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "layer_hooks.h"
#include "report.h"
#include "try_lock.h"

#define REPORT_STACK_SIZE	(1024 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

/* All below is the holder's alone (stack_lock). */
static int stack_lock;
static char *stack_lo;			/* lowest usable byte */
static ucontext_t caller_ctx, callee_ctx;
static void (*call_fn)(void *);
static void *call_arg;
#if defined(__SANITIZE_ADDRESS__)
static const void *caller_stack_lo;
static size_t caller_stack_size;
#endif

static bool map_stack(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p;

	if (stack_lo)
		return true;
	p = mmap(NULL, REPORT_STACK_SIZE + (size_t)page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return false;
	/* A guard page: an overflow faults instead of writing below. */
	mprotect(p, (size_t)page, PROT_NONE);
	stack_lo = p + page;
	return true;
}

/* Runs on the report stack; returning resumes the caller (uc_link). */
static void on_report_stack(void)
{
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_finish_switch_fiber(NULL, &caller_stack_lo, &caller_stack_size);
#endif
	call_fn(call_arg);
#if defined(__SANITIZE_ADDRESS__)
	/* NULL: this fiber's frames are done with. */
	__sanitizer_start_switch_fiber(NULL, caller_stack_lo, caller_stack_size);
#endif
}

static void switch_and_call(void)
{
#if defined(__SANITIZE_ADDRESS__)
	void *fake_stack = NULL;

	__sanitizer_start_switch_fiber(&fake_stack, stack_lo, REPORT_STACK_SIZE);
#endif
	swapcontext(&caller_ctx, &callee_ctx);
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#endif
}

bool ksync_call_on_report_stack(void (*fn)(void *), void *arg)
{
	if (!ksync_try_lock(&stack_lock))
		return false;
	if (!map_stack() || getcontext(&callee_ctx) != 0) {
		ksync_try_unlock(&stack_lock);
		return false;
	}
	callee_ctx.uc_stack.ss_sp = stack_lo;
	callee_ctx.uc_stack.ss_size = REPORT_STACK_SIZE;
	callee_ctx.uc_link = &caller_ctx;
	makecontext(&callee_ctx, on_report_stack, 0);
	call_fn = fn;
	call_arg = arg;
	switch_and_call();
	ksync_try_unlock(&stack_lock);
	return true;
}

/*
 * fork(): a thread that was on the report stack does not exist in the
 * child; the stack is free there (the forking thread was not on it: fork
 * is not called from a report).
 */
static void report_stack_fork_child(void)
{
	ksync_try_unlock(&stack_lock);
}

KSYNC_HOOKS(report_stack_hooks) = {
	.layer = KSYNC_LAYER_BASE,
	.fork_child = report_stack_fork_child,
};
