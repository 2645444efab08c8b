// SPDX-License-Identifier: MIT
/*
 * Walking the hook table (layer_hooks.h): every entry of one layer, then the
 * next layer, bottom up or top down.  The table is read-only and complete
 * at link time, so walking it needs no lock.
 */
#include <stdbool.h>
#include <stddef.h>
#include "layer_hooks.h"

extern const struct ksync_hooks *const __start_ksync_hooks[]
	__attribute__((visibility("hidden")));
extern const struct ksync_hooks *const __stop_ksync_hooks[]
	__attribute__((visibility("hidden")));

/* base's own entry, so that the section exists in every build. */
KSYNC_HOOKS(base_nothing) = { .layer = KSYNC_LAYER_BASE };

typedef void (*hook_fn)(const struct ksync_hooks *h, void *arg);

static void walk(bool top_down, hook_fn fn, void *arg)
{
	for (int i = 0; i < KSYNC_NR_LAYERS; i++) {
		int layer = top_down ? KSYNC_NR_LAYERS - 1 - i : i;

		for (const struct ksync_hooks *const *h = __start_ksync_hooks;
		     h < __stop_ksync_hooks; h++)
			if ((*h)->layer == (enum ksync_layer)layer)
				fn(*h, arg);
	}
}

static void call_plain(const struct ksync_hooks *h, void *arg)
{
	void (*fn)(void) = NULL;

	switch (*(enum ksync_hook *)arg) {
	case KSYNC_HOOK_INIT:		fn = h->init; break;
	case KSYNC_HOOK_FORK_PREPARE:	fn = h->fork_prepare; break;
	case KSYNC_HOOK_FORK_PARENT:	fn = h->fork_parent; break;
	case KSYNC_HOOK_FORK_CHILD:	fn = h->fork_child; break;
	}
	if (fn)
		fn();
}

void ksync_hooks_run(enum ksync_hook which)
{
	walk(which == KSYNC_HOOK_FORK_PREPARE, call_plain, &which);
}

static void call_reset(const struct ksync_hooks *h, void *arg)
{
	if (h->cpu_reset)
		h->cpu_reset(arg);
}

void ksync_hooks_cpu_reset(struct ksync_cpu *c)
{
	walk(false, call_reset, c);
}

struct dead_args {
	struct ksync_cpu *me, *dead;
};

static void call_dead(const struct ksync_hooks *h, void *arg)
{
	struct dead_args *a = arg;

	if (h->cpu_dead)
		h->cpu_dead(a->me, a->dead);
}

void ksync_hooks_cpu_dead(struct ksync_cpu *me, struct ksync_cpu *dead)
{
	struct dead_args a = { me, dead };

	walk(false, call_dead, &a);
}

static void call_exit(const struct ksync_hooks *h, void *arg)
{
	if (h->thread_exit)
		h->thread_exit(arg);
}

void ksync_hooks_thread_exit(struct ksync_cpu *c)
{
	walk(true, call_exit, c);
}
