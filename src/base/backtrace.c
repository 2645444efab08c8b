// SPDX-License-Identifier: MIT
/*
 * ksync_save_caller_stack(): libgcc's unwinder walks the stack (the
 * frames need .eh_frame, which gcc and clang emit by default); frames in
 * ksync's own code (ksync_code_is_ours()) are skipped from the top, so a
 * trace starts where the program called into the library.
 */
#include <unwind.h>
#include "backtrace.h"
#include "report.h"

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

int ksync_save_caller_stack(uintptr_t *frames, int max)
{
	struct walk w = { .n = 0 };
	int i = 1, saved = 0;	/* frame 0 is this function itself */

	_Unwind_Backtrace(walk_frame, &w);
	while (i < w.n - 1 && ksync_code_is_ours(w.ip[i]))
		i++;
	for (; i < w.n && saved < max; i++)
		frames[saved++] = w.ip[i];
	return saved;
}
