// SPDX-License-Identifier: MIT
/*
 * Where lockdep saw things happen: the call site of a lock operation and,
 * for the events a report may need later (a new dependency, a new usage
 * bit), a short stack trace kept in a shared pool, as the kernel's
 * save_trace() does, each distinct trace once.  The pool is only appended
 * to, under the graph lock.
 *
 * Saving a trace happens inside the program's lock call, which may be
 * made by its memory allocator while that holds a lock of its own
 * (jemalloc initialising, say).  So the walk must not allocate, load a
 * library or take the dynamic loader's lock: glibc's backtrace() loads
 * libgcc_s (dlopen, malloc) the first time, dladdr() takes the loader's
 * lock.  The walk (base/backtrace.c) calls libgcc's unwinder directly (libksync links
 * libgcc_s, so it is loaded with the program) and tells ksync's own
 * frames apart with _dl_find_object(), which takes no lock.
 */
#define _GNU_SOURCE
#include <string.h>

#include "backtrace.h"
#include "kernel_compat.h"
#include "lockdep_internal.h"
#include "report.h"

static uintptr_t trace_pool[MAX_STACK_TRACE_ENTRIES];
static unsigned int nr_trace_entries;
static bool pool_full_noted;

/*
 * Saved traces by content, as the kernel's stack_trace_hash: the same
 * trace is kept once, so that classes made and freed over and over
 * (lockdep_unregister_key()) at one place do not fill the pool.
 */
#define TRACE_HASH_SIZE	16384u
static struct { uint64_t hash; struct lock_trace trace; } trace_hash[TRACE_HASH_SIZE];

static uint64_t frames_hash(const uintptr_t *frames, int n)
{
	uint64_t h = (uint64_t)n;

	for (int i = 0; i < n; i++) {
		h ^= frames[i];
		h *= 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h | 1;	/* 0 marks a free slot */
}

/* A trace already saved with these frames; else where to note it (or NULL). */
static bool find_trace(const uintptr_t *frames, int n, uint64_t h,
		       struct lock_trace *found, unsigned int *slot)
{
	*slot = TRACE_HASH_SIZE;
	for (unsigned int p = 0, i = (unsigned int)h % TRACE_HASH_SIZE; p < 64;
	     p++, i = (i + 1) % TRACE_HASH_SIZE) {
		const struct lock_trace *t = &trace_hash[i].trace;

		if (!trace_hash[i].hash) {
			*slot = i;
			return false;
		}
		if (trace_hash[i].hash == h && t->nr == (unsigned int)n &&
		    !memcmp(&trace_pool[t->offset], frames, (size_t)n * sizeof(frames[0]))) {
			*found = *t;
			return true;
		}
	}
	return false;
}

static void save_trace(struct lock_trace *trace)
{
	uintptr_t frames[LOCKDEP_TRACE_DEPTH];
	int n = ksync_save_caller_stack(frames, LOCKDEP_TRACE_DEPTH);
	uint64_t h;
	unsigned int slot;

	if (n <= 0)
		return;
	h = frames_hash(frames, n);
	if (find_trace(frames, n, h, trace, &slot))
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
		trace_pool[nr_trace_entries + (unsigned int)i] = frames[i];
	trace->offset = nr_trace_entries;
	trace->nr = (unsigned int)n;
	nr_trace_entries += (unsigned int)n;
	if (slot < TRACE_HASH_SIZE) {
		trace_hash[slot].trace = *trace;
		trace_hash[slot].hash = h;
	}
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
