// SPDX-License-Identifier: MIT
/*
 * Lockdep: held-lock tracking.
 *
 * Each thread keeps the stack of locks it holds (the kernel's
 * current->held_locks, MAX_LOCK_DEPTH deep).  With KSYNC_DEBUG it serves
 * the exit check, the freed-lock check and the depth limit; with
 * KSYNC_LOCKDEP every new entry is also validated.
 */
#define _GNU_SOURCE
#include <string.h>

#include <ksync/lockdep.h>
#include <ksync/preempt.h>
#include "cpu.h"
#include "ksync_internal.h"
#include "report.h"

KSYNC_API void ksync_lockdep_init_map(struct lockdep_map *map, const char *name,
				      struct lock_class_key *key, int subclass,
				      int wait_type_inner, int kind)
{
	map->name = name;
	map->key = key;
	map->class_cache[0] = NULL;
	map->class_cache[1] = NULL;
	map->wait_type_outer = 0;
	map->wait_type_inner = (unsigned char)wait_type_inner;
	map->kind = (unsigned char)kind;
	map->subclass = (unsigned char)subclass;
}

static const char *map_name(const struct lockdep_map *map)
{
	return map->name ? map->name : "<unnamed>";
}

static void print_held_lock(const struct ksync_held_lock *hl)
{
	char site[256];

	ksync_printk("%p (%s), at: %s\n", (void *)hl->instance,
		     map_name(hl->instance),
		     ksync_site_str(hl->site, hl->ip, site, sizeof(site)));
}

static void print_held_locks(const struct ksync_held_locks *h)
{
	char comm[KSYNC_COMM_LEN];
	int tid = (int)ksync_gettid();

	ksync_comm(comm);
	if (!h || !h->depth) {
		ksync_printk("no locks held by %s/%d.\n", comm, tid);
		return;
	}
	ksync_printk("%d lock%s held by %s/%d:\n", h->depth,
		     h->depth > 1 ? "s" : "", comm, tid);
	for (int i = 0; i < h->depth; i++) {
		ksync_printk(" #%d: ", i);
		print_held_lock(&h->stack[i]);
	}
}

KSYNC_API void ksync_lockdep_print_held_locks(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	print_held_locks(c ? &c->held : NULL);
}

static void report_depth_overflow(struct ksync_held_locks *h)
{
	if (h->overflowed || !ksync_debug_locks_off())
		return;
	h->overflowed = 1;
	ksync_report_lock();
	ksync_printk("BUG: MAX_LOCK_DEPTH too low!\n");
	ksync_printk("turning off the locking correctness validator.\n");
	ksync_printk("depth: %i  max: %d!\n", h->depth, MAX_LOCK_DEPTH);
	print_held_locks(h);
	ksync_dump_stack();
	ksync_report_unlock();
}

KSYNC_API void ksync_lock_acquire(struct lockdep_map *map, unsigned int subclass,
				  int trylock, int read, int check,
				  struct lockdep_map *nest_lock,
				  const struct ksync_site *site, uintptr_t ip)
{
	struct ksync_held_locks *h;
	struct ksync_held_lock *hl;

	if (!ksync_debug_checks())
		return;
	h = &ksync_this_cpu()->held;
	if (h->depth >= MAX_LOCK_DEPTH) {
		report_depth_overflow(h);
		return;
	}
	hl = &h->stack[h->depth];
	memset(hl, 0, sizeof(*hl));
	hl->instance = map;
	hl->nest_lock = nest_lock;
	hl->site = site;
	hl->ip = ip;
	hl->subclass = (unsigned char)subclass;
	hl->read = (unsigned char)read;
	hl->trylock = (unsigned char)trylock;
	hl->check = (unsigned char)check;
	hl->references = 1;
	/* Visible to a handler on this thread only after it is complete. */
	barrier();
	h->depth++;
}

static int find_held(const struct ksync_held_locks *h, const struct lockdep_map *map)
{
	for (int i = h->depth - 1; i >= 0; i--)
		if (h->stack[i].instance == map)
			return i;
	return -1;
}

KSYNC_API void ksync_lock_release(struct lockdep_map *map,
				  const struct ksync_site *site, uintptr_t ip)
{
	struct ksync_held_locks *h;
	int i;

	(void)site;
	(void)ip;
	if (!ksync_debug_checks())
		return;
	h = &ksync_this_cpu()->held;
	i = find_held(h, map);
	if (i < 0)
		return;
	/* Out-of-order release is allowed: close the gap. */
	memmove(&h->stack[i], &h->stack[i + 1],
		(size_t)(h->depth - i - 1) * sizeof(h->stack[0]));
	barrier();
	h->depth--;
}

KSYNC_API void ksync_lock_contended(struct lockdep_map *map,
				    const struct ksync_site *site, uintptr_t ip)
{
	(void)map;
	(void)site;
	(void)ip;
}

KSYNC_API void ksync_lock_acquired(struct lockdep_map *map,
				   const struct ksync_site *site, uintptr_t ip)
{
	(void)map;
	(void)site;
	(void)ip;
}

static void report_freed_lock(const void *from, const void *to,
			      const struct ksync_held_lock *hl,
			      const struct ksync_held_locks *h)
{
	char comm[KSYNC_COMM_LEN];

	if (!ksync_debug_locks_off())
		return;
	ksync_report_lock();
	ksync_report_header("WARNING: held lock freed!");
	ksync_printk("%s/%d is freeing memory %p-%p, with a lock still held there!\n",
		     ksync_comm(comm), (int)ksync_gettid(), from, to);
	print_held_lock(hl);
	print_held_locks(h);
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
	ksync_report_unlock();
}

KSYNC_API void ksync_debug_check_no_locks_freed(const void *mem, size_t len)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	const char *from = mem, *to = from + len;

	if (!c || !ksync_debug_checks() || !len)
		return;
	for (int i = 0; i < c->held.depth; i++) {
		const char *lock = (const char *)c->held.stack[i].instance;

		if (lock >= from && lock < to) {
			report_freed_lock(from, to - 1, &c->held.stack[i], &c->held);
			return;
		}
	}
}

static void report_locks_held(const struct ksync_held_locks *h)
{
	char comm[KSYNC_COMM_LEN];
	char title[96];

	if (!ksync_debug_locks_off())
		return;
	ksync_snprintf(title, sizeof(title), "WARNING: %s/%d still has locks held!",
		       ksync_comm(comm), (int)ksync_gettid());
	ksync_report_lock();
	ksync_report_header(title);
	print_held_locks(h);
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
	ksync_report_unlock();
}

KSYNC_API void ksync_debug_check_no_locks_held(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && ksync_debug_checks() && c->held.depth)
		report_locks_held(&c->held);
}

void ksync_thread_exit_checks(struct ksync_cpu *c)
{
	char comm[KSYNC_COMM_LEN];

	if (!ksync_debug_checks())
		return;
	if (c->held.depth)
		report_locks_held(&c->held);
	if (preempt_count())
		ksync_printk("note: %s[%d] exited with preempt_count %d\n",
			     ksync_comm(comm), (int)ksync_gettid(), preempt_count());
	/* The next thread with this CPU number starts clean. */
	c->held.depth = 0;
	c->held.overflowed = 0;
	c->held.chain_key = 0;
}

/* --- interrupt-state tracing ------------------------------------------------ */

void ksync_lockdep_hardirqs_off(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &ksync_this_cpu()->irqtrace;

	t->hardirq_disable_event = ++t->irq_events;
	t->hardirq_disable_site = site;
}

void ksync_lockdep_hardirqs_on(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &ksync_this_cpu()->irqtrace;

	t->hardirq_enable_event = ++t->irq_events;
	t->hardirq_enable_site = site;
}

void ksync_lockdep_softirqs_on(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &ksync_this_cpu()->irqtrace;

	t->softirq_enable_event = ++t->irq_events;
	t->softirq_enable_site = site;
}

KSYNC_API void ksync_trace_softirqs_off(const struct ksync_site *site)
{
	struct ksync_irqtrace *t = &ksync_this_cpu()->irqtrace;

	t->softirq_disable_event = ++t->irq_events;
	t->softirq_disable_site = site;
}

/* --- pieces of other reports ------------------------------------------------ */

void ksync_lockdep_print_held_locks_if_tracked(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && ksync_debug_checks())
		print_held_locks(&c->held);
}

static void print_irq_event(const char *what, unsigned int event,
			    const struct ksync_site *site)
{
	char where[256];

	ksync_printk("%s at (%u): %s\n", what, event,
		     site ? ksync_site_str(site, 0, where, sizeof(where)) : "0x0");
}

void ksync_print_irqtrace_events(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	const struct ksync_irqtrace *t;

	if (!c)
		return;
	t = &c->irqtrace;
	ksync_printk("irq event stamp: %u\n", t->irq_events);
	print_irq_event("hardirqs last  enabled", t->hardirq_enable_event,
			t->hardirq_enable_site);
	print_irq_event("hardirqs last disabled", t->hardirq_disable_event,
			t->hardirq_disable_site);
	print_irq_event("softirqs last  enabled", t->softirq_enable_event,
			t->softirq_enable_site);
	print_irq_event("softirqs last disabled", t->softirq_disable_event,
			t->softirq_disable_site);
}

/*
 * The kernel prints where preemption was disabled (with the preempt
 * tracer).  Here the outermost held lock is where it was, when known.
 */
void ksync_print_preempt_disable_site(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	char where[256];

	if (!c || !ksync_debug_checks() || !c->held.depth || !preempt_count())
		return;
	ksync_printk("Preemption disabled at:\n");
	ksync_printk("[<%p>] %s\n", (void *)c->held.stack[0].ip,
		     ksync_site_str(c->held.stack[0].site, c->held.stack[0].ip,
				    where, sizeof(where)));
}
