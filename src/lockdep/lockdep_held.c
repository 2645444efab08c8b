// SPDX-License-Identifier: MIT
/*
 * Questions about the locks a thread holds (the kernel's lock_is_held(),
 * debug_check_no_locks_freed(), debug_check_no_locks_held(),
 * lockdep_print_held_locks()), the check when a thread exits, and
 * lockdep's counters.
 */
#define _GNU_SOURCE
#include <string.h>

#include <ksync/lockdep.h>
#include <ksync/preempt.h>
#include "cpu.h"
#include "debug_checks.h"
#include "lockdep_internal.h"
#include "report.h"

bool lockdep_held_by(struct ksync_cpu *c, const struct lockdep_map *map, int read)
{
	for (int i = 0; i < lockdep_cpu(c)->held.depth; i++) {
		const struct ksync_held_lock *hl = &lockdep_cpu(c)->held.stack[i];

		if (lockdep_match_held_lock(hl, map))
			return read == -1 || !!hl->read == read;
	}
	return false;
}

KSYNC_API int ksync_lock_is_held_type(const struct lockdep_map *map, int read)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (!lockdep_tracking() || (c && lockdep_cpu(c)->recursion))
		return LOCK_STATE_UNKNOWN;
	return c && lockdep_held_by(c, map, read) ? LOCK_STATE_HELD : LOCK_STATE_NOT_HELD;
}

int ksync_lockdep_held_how(const struct lockdep_map *map)
{
	struct ksync_cpu *c = ksync_this_cpu();
	const struct ksync_held_locks *h = &lockdep_cpu(c)->held;

	if (!ksync_lockdep_tracking() || h->depth >= MAX_LOCK_DEPTH)
		return -2;
	for (int i = h->depth - 1; i >= 0; i--)
		if (h->stack[i].instance == map)
			return h->stack[i].read;
	return -1;
}

bool ksync_lockdep_held_write_at(const struct lockdep_map *map,
				 const struct ksync_site **site, uintptr_t *ip)
{
	struct ksync_cpu *c = ksync_this_cpu();
	const struct ksync_held_locks *h = &lockdep_cpu(c)->held;

	if (!ksync_lockdep_tracking())
		return false;	/* the stack is stale after a report */
	for (int i = h->depth - 1; i >= 0; i--) {
		if (h->stack[i].instance == map && !h->stack[i].read) {
			*site = h->stack[i].site;
			*ip = h->stack[i].ip;
			return true;
		}
	}
	return false;
}

KSYNC_API void ksync_lockdep_assert_failed(const struct ksync_site *site,
					   const char *why)
{
	ksync_warn_once(site, "%s: %s\n", site && site->expr ? site->expr : "lockdep_assert",
			why);
}

static void report_freed_lock(struct ksync_cpu *c, const void *from, const void *to,
			      const struct ksync_held_lock *hl)
{
	char comm[KSYNC_COMM_LEN];

	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: held lock freed!");
	ksync_printk("%s/%d is freeing memory %p-%p, with a lock still held there!\n",
		     ksync_comm(comm), (int)ksync_gettid(), from, to);
	lockdep_print_lock(hl);
	lockdep_print_held_locks(c);
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
	lockdep_report_end();
}

KSYNC_API void ksync_debug_check_no_locks_freed(const void *mem, size_t len)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	const char *from = mem, *to = from + len;

	if (!c || !lockdep_tracking() || !len)
		return;
	for (int i = 0; i < lockdep_cpu(c)->held.depth; i++) {
		const char *lock = (const char *)lockdep_cpu(c)->held.stack[i].instance;

		if (lock >= from && lock < to) {
			report_freed_lock(c, from, to - 1, &lockdep_cpu(c)->held.stack[i]);
			return;
		}
	}
}

static void report_locks_held(struct ksync_cpu *c)
{
	char comm[KSYNC_COMM_LEN];
	char title[96];

	if (!lockdep_report_begin())
		return;
	ksync_snprintf(title, sizeof(title), "WARNING: %s/%d still has locks held!",
		       ksync_comm(comm), (int)ksync_gettid());
	ksync_report_header(title);
	lockdep_print_held_locks(c);
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
	lockdep_report_end();
}

KSYNC_API void ksync_debug_check_no_locks_held(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && lockdep_tracking() && lockdep_cpu(c)->held.depth)
		report_locks_held(c);
}

KSYNC_API void ksync_lockdep_print_held_locks(void)
{
	lockdep_print_held_locks(ksync_this_cpu_or_null());
}

void ksync_lockdep_print_held_locks_if_tracked(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();

	if (c && lockdep_tracking())
		lockdep_print_held_locks(c);
}

void lockdep_thread_exit(struct ksync_cpu *c)
{
	char comm[KSYNC_COMM_LEN];

	if (lockdep_tracking() && ksync_debug_checks()) {
		if (lockdep_cpu(c)->held.depth)
			report_locks_held(c);
		if (preempt_count())
			ksync_printk("note: %s[%d] exited with preempt_count %d\n",
				     ksync_comm(comm), (int)ksync_gettid(), preempt_count());
	}
	if (lock_stat_on())
		lock_stat_thread_exit(c);
	/* The next thread with this CPU number starts clean. */
	__atomic_store_n(&lockdep_cpu(c)->held.depth, 0, __ATOMIC_RELAXED);
	lockdep_cpu(c)->held.chain_key = 0;
	lockdep_cpu(c)->recursion = 0;
}

KSYNC_API void ksync_lockdep_get_stats(struct ksync_lockdep_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->classes = __atomic_load_n(&nr_lock_classes, __ATOMIC_RELAXED) -
		      lockdep_nr_free_classes();
	st->dependencies = __atomic_load_n(&nr_dependencies, __ATOMIC_RELAXED);
	st->chains = lockdep_nr_chains();
	lockdep_chain_stats(&st->chain_lookups, &st->chain_hits);
	st->max_depth = __atomic_load_n(&max_lockdep_depth, __ATOMIC_RELAXED);
	st->debug_locks = __atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED) &&
			  !__atomic_load_n(&lockdep_stopped, __ATOMIC_RELAXED);
}

