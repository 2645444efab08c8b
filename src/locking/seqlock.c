// SPDX-License-Identifier: MIT
/*
 * Sequence counters: what does not belong inline in <ksync/seqlock.h>.
 *
 *  - A reader that finds a writer inside waits here.  The kernel's reader
 *    spins with cpu_relax(): its writer cannot be preempted.  A userspace
 *    writer can lose its CPU at any time, so a reader polls with a bounded
 *    backoff and then yields, as the queued rwlock's waiters do
 *    (src/qrwlock.c), instead of burning a time slice.
 *  - The debug paths: lockdep's view of readers and writers, and checks
 *    the kernel leaves to lockdep (a preemptible writer) or does not make
 *    (unbalanced write sections, a reader that interrupted its own CPU's
 *    write section and would spin for ever).
 */
#define _GNU_SOURCE
#include <sched.h>

#include <ksync/lockdep.h>
#include <ksync/seqlock.h>
#include "cpu.h"
#include "lockdep_hooks.h"
#include "debug_checks.h"
#include "site.h"
#include "kernel_compat.h"
#include "report.h"

/* Polls before yielding; same policy and numbers as src/qrwlock.c. */
#define SEQ_SPIN_POLLS		64
#define SEQ_MAX_PAUSES		32

KSYNC_API void ksync_seqcount_init(seqcount_t *s, const char *name,
				   struct lock_class_key *key)
{
	/* Re-initialising a counter inside its write section is a bug. */
	ksync_debug_check_no_locks_freed(s, sizeof(*s));
	ksync_lockdep_init_map(&s->dep_map, name, key, 0, LD_WAIT_INV,
			       KSYNC_LOCK_SEQLOCK);
	__atomic_store_n(&s->sequence, 0, __ATOMIC_RELAXED);
}

static const char *seq_name(const seqcount_t *s, const struct ksync_site *site)
{
	if (s->dep_map.name)
		return s->dep_map.name;
	return site && site->expr ? site->expr : "?";
}

/*
 * A reader on the CPU (thread) that is inside the write section: an
 * interrupt handler, usually, and the writer cannot finish until it
 * returns.  The kernel deadlocks the same way (lockdep would name it).
 */
static void check_reader_not_own_writer(const seqcount_t *s,
					const struct ksync_site *site)
{
	const struct ksync_site *begun;
	uintptr_t begun_ip;
	char where[256];

	if (!ksync_lockdep_held_write_at(&s->dep_map, &begun, &begun_ip))
		return;
	ksync_debug_locks_warn(site, "write_section_of_mine(s)",
			       "%s: read section of %s on the CPU that is inside its write section "
			       "(begun at %s): the count stays odd until this reader returns, "
			       "which it never will; disable interrupts in the writer "
			       "(write_seqlock_irqsave()) or use a latch\n",
			       site && site->func ? site->func : "?", seq_name(s, site),
			       ksync_site_str(begun, begun_ip, where, sizeof(where)));
}

KSYNC_API unsigned int ksync_seqcount_wait_even(const seqcount_t *s,
						const struct ksync_site *site)
{
	unsigned int polls = 0, pauses = 1, seq;

	if (ksync_debug_checks())
		check_reader_not_own_writer(s, ksync_site_resolve(site));
	/* Acquire, as the inline first load: see <ksync/seqlock.h>. */
	while ((seq = __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE)) & 1) {
		if (polls < SEQ_SPIN_POLLS) {
			polls++;
			for (unsigned int i = 0; i < pauses; i++)
				cpu_relax();
			if (pauses < SEQ_MAX_PAUSES)
				pauses <<= 1;
		} else {
			/* The writer may be off its CPU and need ours. */
			sched_yield();
		}
	}
	return seq;
}

/*
 * The kernel's seqcount_lockdep_reader_access(): a recursive read, at once
 * over, made with interrupts saved and masked, as the kernel makes it.  A
 * lockless reader holds nothing an interrupt could need, so it must not
 * mark the counter as taken with interrupts on: a writer in a hard
 * interrupt and readers in task context (timekeeping) are correct, and
 * reported nothing.  A reader in an interrupt handler is still marked as
 * one (lockdep looks at the context, not the mask), so a task writer with
 * interrupts on is still reported against it.
 */
KSYNC_API void ksync_seqcount_reader_debug(const seqcount_t *s,
					   const struct ksync_site *site)
{
	struct lockdep_map *map = (struct lockdep_map *)&s->dep_map;
	uintptr_t ip = RET_IP;
	unsigned long flags;

	site = ksync_site_resolve(site);
	flags = __ksync_local_irq_save(site);
	seqcount_acquire_read(map, 0, 0, KSYNC_SITE_IP(site, ip));
	seqcount_release(map, KSYNC_SITE_IP(site, ip));
	__ksync_local_irq_restore(flags, site);
}

static bool preemptible_here(void)
{
	return preempt_count() == 0 && !irqs_disabled();
}

KSYNC_API void ksync_seqcount_write_begin_debug(seqcount_t *s, int subclass,
						bool must_be_atomic,
						const struct ksync_site *site)
{
	site = ksync_site_resolve(site);
	if (ksync_debug_checks()) {
		/* lockdep_assert_preemption_disabled(), for a plain seqcount_t. */
		if (must_be_atomic && preemptible_here())
			ksync_warn_once(site,
					"write_seqcount_begin(%s) with preemption enabled: a seqcount_t "
					"writer must be serialised and non-preemptible (hold a spinlock "
					"or use a seqlock_t); readers wait while it is off its CPU\n",
					seq_name(s, site));
		if (READ_ONCE(s->sequence) & 1)
			ksync_debug_locks_warn(site, "s->sequence & 1",
					       "write_seqcount_begin(%s): another write section "
					       "is open (writers not serialised, or a missing "
					       "write_seqcount_end())\n", seq_name(s, site));
	}
	seqcount_acquire(&s->dep_map, (unsigned int)subclass, 0, KSYNC_SITE_IP(site, RET_IP));
}

KSYNC_API bool ksync_seqcount_write_end_debug(seqcount_t *s,
					      const struct ksync_site *site)
{
	site = ksync_site_resolve(site);
	seqcount_release(&s->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (ksync_debug_checks() && !(READ_ONCE(s->sequence) & 1)) {
		ksync_debug_locks_warn(site, "!(s->sequence & 1)",
				       "write_seqcount_end(%s) without write_seqcount_begin(): "
				       "ignored, it would leave the count odd and readers "
				       "waiting for ever\n", seq_name(s, site));
		return true;
	}
	return false;
}
