// SPDX-License-Identifier: MIT
/*
 * Where lockdep saw things happen: the call site of a lock operation and,
 * for the events a report may need later (a new dependency, a new usage
 * bit), a short stack trace kept in a shared pool, as the kernel's
 * save_trace() does.  The pool is only appended to, under the graph lock.
 */
#define _GNU_SOURCE
#include <string.h>

#include "kernel_compat.h"
#include "lockdep_internal.h"
#include "report.h"

static uintptr_t trace_pool[MAX_STACK_TRACE_ENTRIES];
static unsigned int nr_trace_entries;
static bool pool_full_noted;

static void save_trace(struct lock_trace *trace)
{
	void *frames[LOCKDEP_TRACE_DEPTH];
	int n = ksync_save_stack(frames, LOCKDEP_TRACE_DEPTH);

	if (n <= 0)
		return;
	if (nr_trace_entries + (unsigned int)n > MAX_STACK_TRACE_ENTRIES) {
		/* Sites are still recorded; only the traces stop. */
		if (!pool_full_noted)
			ksync_printk("lockdep: MAX_STACK_TRACE_ENTRIES reached: "
				     "no more stack traces are saved\n");
		pool_full_noted = true;
		return;
	}
	for (int i = 0; i < n; i++)
		trace_pool[nr_trace_entries + (unsigned int)i] = (uintptr_t)frames[i];
	trace->offset = nr_trace_entries;
	trace->nr = (unsigned int)n;
	nr_trace_entries += (unsigned int)n;
}

void lockdep_save_where(struct lock_where *w, const struct ksync_site *site,
			uintptr_t ip, bool with_trace)
{
	w->site = site;
	w->ip = ip;
	w->trace.offset = 0;
	w->trace.nr = 0;
	if (with_trace)
		save_trace(&w->trace);
}

void lockdep_print_trace(const struct lock_trace *trace, int spaces)
{
	char sym[512];

	for (unsigned int i = 0; i < trace->nr; i++) {
		/* Return addresses point after the call: name the call. */
		ksync_symbolize_return(trace_pool[trace->offset + i], sym, sizeof(sym));
		ksync_printk("%*s%s\n", spaces, "", sym);
	}
}

void lockdep_print_where(const struct lock_where *w, int spaces)
{
	char where[256];

	if (w->site)
		ksync_printk("%*sat %s in %s()\n", spaces, "",
			     ksync_site_str(w->site, 0, where, sizeof(where)),
			     w->site->func ? w->site->func : "?");
	else if (w->ip)
		ksync_printk("%*sat %s\n", spaces, "",
			     ksync_site_str(NULL, w->ip, where, sizeof(where)));
	lockdep_print_trace(&w->trace, spaces);
}
