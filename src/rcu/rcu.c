// SPDX-License-Identifier: MIT
/*
 * RCU (<ksync/rcupdate.h>): liburcu's urcu-memb flavour, plus what the
 * kernel's RCU adds for its users - lockdep's read-side lock map, the
 * sleeping checks, kfree_rcu() - and lazy registration of threads.
 *
 * A layer of its own above locking, built only when liburcu is installed
 * (src/CMakeLists.txt); it calls only lower layers (context's
 * might_sleep(), lockdep, base's reports).
 *
 * The read side and liburcu's calls are in urcu_glue.c (see there why).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <ksync/debug_locks.h>
#include <ksync/lockdep.h>
#include <ksync/percpu.h>
#include <ksync/rcupdate.h>
#include <ksync/sched.h>
#include "debug_checks.h"
#include "site.h"
#include "report.h"
#include "urcu_glue.h"

static struct lock_class_key rcu_lock_key;

/*
 * The kernel's rcu_lock_map: named rcu_read_lock in reports; taking it
 * never waits (outer LD_WAIT_FREE), and inside it one may take a
 * spinlock_t but not sleep (inner LD_WAIT_CONFIG), as the kernel's map
 * says for its wait-context check.
 */
KSYNC_API struct lockdep_map ksync_rcu_lock_map = {
	.key = &rcu_lock_key,
	.name = "rcu_read_lock",
	.wait_type_outer = LD_WAIT_FREE,
	.wait_type_inner = LD_WAIT_CONFIG,
	.kind = KSYNC_LOCK_OTHER,
};

/* --- grace periods --------------------------------------------------------------- */

/*
 * The kernel's check in synchronize_rcu(), RCU_LOCKDEP_WARN(lock_is_held(
 * &rcu_lock_map), "Illegal synchronize_rcu() in RCU read-side critical
 * section"), at the caller's place.  The kernel then deadlocks: the grace
 * period waits for this read side, which waits for the grace period.
 * ksync does not hang the program after the report: it leaves its read
 * side for the wait and enters it again, so the grace period does not
 * cover what this thread read before the call (its own bug, reported).
 */
static void check_not_in_read_side(const struct ksync_site *site)
{
	static bool warned;

	if (!ksync_debug_lockdep_rcu_enabled() ||
	    !ksync_lock_is_held_type(&ksync_rcu_lock_map, -1))
		return;
	if (__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		return;
	site = ksync_site_resolve(site);
	ksync_lockdep_rcu_suspicious(site ? site->file : "?", site ? site->line : 0,
				     "Illegal synchronize_rcu() in RCU read-side critical section");
}

KSYNC_API void ksync_synchronize_rcu(const struct ksync_site *site)
{
	unsigned int n;

	check_not_in_read_side(site);
	__ksync_might_sleep(site, 0);
	n = __atomic_load_n(&ksync_tls.rcu_read_lock_nesting, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < n; i++)
		ksync_urcu_read_unlock();
	ksync_urcu_synchronize_rcu();
	for (unsigned int i = 0; i < n; i++)
		ksync_urcu_read_lock();
}

KSYNC_API void ksync_call_rcu(struct rcu_head *head, rcu_callback_t func,
			      const struct ksync_site *site)
{
	(void)site;
	ksync_urcu_register_lazily();
	ksync_urcu_call_rcu(head, func);
}

/* liburcu refuses (and says so) inside a read side; might_sleep() reports it. */
KSYNC_API void ksync_rcu_barrier(void)
{
	__ksync_might_sleep(KSYNC_SITE("rcu_barrier"), 0);
	ksync_urcu_register_lazily();
	ksync_urcu_barrier();
}

/* --- kfree_rcu() ------------------------------------------------------------------ */

/*
 * The callback that frees an object must know where it starts, and
 * liburcu hands it only the rcu_head.  The kernel encodes the head's
 * offset in place of the callback; here there is one callback per
 * possible offset instead (a head is pointer-aligned, and kfree_rcu()
 * checks at compile time that it is below 4096 bytes in): 512 functions
 * of one instruction and a jump.  The offset is octal in the names.
 */
#define KFREE_RCU_FN(o)							\
	static void kfree_rcu_##o(struct rcu_head *head)		\
	{								\
		free((char *)head - (o) * sizeof(void *));		\
	}
#define KFREE_RCU_8(m, o)	m(o##0) m(o##1) m(o##2) m(o##3) m(o##4) m(o##5) m(o##6) m(o##7)
#define KFREE_RCU_64(m, o)						\
	KFREE_RCU_8(m, o##0) KFREE_RCU_8(m, o##1) KFREE_RCU_8(m, o##2)	\
	KFREE_RCU_8(m, o##3) KFREE_RCU_8(m, o##4) KFREE_RCU_8(m, o##5)	\
	KFREE_RCU_8(m, o##6) KFREE_RCU_8(m, o##7)
#define KFREE_RCU_512(m)						\
	KFREE_RCU_64(m, 00) KFREE_RCU_64(m, 01) KFREE_RCU_64(m, 02)	\
	KFREE_RCU_64(m, 03) KFREE_RCU_64(m, 04) KFREE_RCU_64(m, 05)	\
	KFREE_RCU_64(m, 06) KFREE_RCU_64(m, 07)

KFREE_RCU_512(KFREE_RCU_FN)

#define KFREE_RCU_ENTRY(o)	kfree_rcu_##o,

#define KFREE_RCU_FNS	(__KSYNC_KVFREE_RCU_MAX_OFFSET / sizeof(void *))

static const rcu_callback_t kfree_rcu_fns[KFREE_RCU_FNS] = {
	KFREE_RCU_512(KFREE_RCU_ENTRY)
};

_Static_assert(sizeof(kfree_rcu_fns) / sizeof(kfree_rcu_fns[0]) == 512,
	       "one kfree_rcu callback per pointer-aligned offset below 4096");

KSYNC_API void ksync_kvfree_call_rcu(struct rcu_head *head, size_t offset,
				     const struct ksync_site *site)
{
	/* kvfree_rcu() checks the offset at compile time; this is for others. */
	if (offset % sizeof(void *) || offset / sizeof(void *) >= KFREE_RCU_FNS) {
		ksync_warn_once(ksync_site_resolve(site),
				"kvfree_rcu(): rcu_head at offset %zu: not pointer-aligned "
				"or not below %d; the object is leaked\n",
				offset, __KSYNC_KVFREE_RCU_MAX_OFFSET);
		return;
	}
	ksync_call_rcu(head, kfree_rcu_fns[offset / sizeof(void *)], site);
}
