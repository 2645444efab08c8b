// SPDX-License-Identifier: MIT
/*
 * Where lockdep saw things happen: the call site of a lock operation and,
 * for the events a report may need later (a new dependency, a new usage
 * bit), a short stack trace kept in a shared pool, as the kernel's
 * save_trace() does.  The pool is only appended to, under the graph lock.
 *
 * Saving a trace happens inside the program's lock call, which may be
 * made by its memory allocator while that holds a lock of its own
 * (jemalloc initialising, say).  So the walk must not allocate, load a
 * library or take the dynamic loader's lock: glibc's backtrace() loads
 * libgcc_s (dlopen, malloc) the first time, dladdr() takes the loader's
 * lock.  The walk here calls libgcc's unwinder directly (libksync links
 * libgcc_s, so it is loaded with the program) and tells ksync's own
 * frames apart with _dl_find_object(), which takes no lock.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <unwind.h>

#include "kernel_compat.h"
#include "lockdep_internal.h"
#include "report.h"

static uintptr_t trace_pool[MAX_STACK_TRACE_ENTRIES];
static unsigned int nr_trace_entries;
static bool pool_full_noted;

/* The start of the object addr is in, and its file name; lock-free. */
static bool object_of(uintptr_t addr, uintptr_t *start, const char **file)
{
#ifdef DLFO_EH_SEGMENT_TYPE
	struct dl_find_object o;

	if (_dl_find_object((void *)addr, &o) != 0)
		return false;
	*start = (uintptr_t)o.dlfo_map_start;
	*file = o.dlfo_link_map ? o.dlfo_link_map->l_name : NULL;
	return true;
#else
	Dl_info info;	/* before glibc 2.35: the loader's lock, alas */

	if (!dladdr((void *)addr, &info))
		return false;
	*start = (uintptr_t)info.dli_fbase;
	*file = info.dli_fname;
	return true;
#endif
}

static _Unwind_Reason_Code walk_frame(struct _Unwind_Context *ctx, void *arg);

/*
 * libksync's start, or 1 when it cannot be told from the program's (the
 * static library): then no frame is skipped.  A race only computes it
 * twice.
 */
static uintptr_t ksync_start(void)
{
	static uintptr_t start;
	uintptr_t mine = __atomic_load_n(&start, __ATOMIC_RELAXED), prog;
	const char *file;

	if (mine)
		return mine;
	if (!object_of((uintptr_t)walk_frame, &mine, &file) ||
	    !object_of((uintptr_t)getauxval(AT_PHDR), &prog, &file) || mine == prog)
		mine = 1;
	__atomic_store_n(&start, mine, __ATOMIC_RELAXED);
	return mine;
}

/* Inside libksync, or a library of ksync's own (libksync-preload)? */
static bool ksync_frame(uintptr_t ip)
{
	uintptr_t mine = ksync_start(), start;
	const char *file, *base;

	if (mine == 1 || !object_of(ip, &start, &file))
		return false;
	if (start == mine)
		return true;
	base = file ? strrchr(file, '/') : NULL;
	base = base ? base + 1 : file;
	return base && !strncmp(base, "libksync-", 9);
}

struct walk {
	uintptr_t ip[64];
	int n;
};

static _Unwind_Reason_Code walk_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct walk *w = arg;
	uintptr_t ip = _Unwind_GetIP(ctx);

	if (!ip || w->n >= (int)(sizeof(w->ip) / sizeof(w->ip[0])))
		return _URC_END_OF_STACK;
	w->ip[w->n++] = ip;
	return _URC_NO_REASON;
}

/* Up to max return addresses, the first outside ksync. */
static int save_stack(uintptr_t *frames, int max)
{
	struct walk w = { .n = 0 };
	int i = 1, saved = 0;	/* frame 0 is this function itself */

	_Unwind_Backtrace(walk_frame, &w);
	while (i < w.n - 1 && ksync_frame(w.ip[i]))
		i++;
	for (; i < w.n && saved < max; i++)
		frames[saved++] = w.ip[i];
	return saved;
}

static void save_trace(struct lock_trace *trace)
{
	uintptr_t frames[LOCKDEP_TRACE_DEPTH];
	int n = save_stack(frames, LOCKDEP_TRACE_DEPTH);

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
		trace_pool[nr_trace_entries + (unsigned int)i] = frames[i];
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
