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
 * Each thread keeps its read-side nesting in ksync_tls, where might_sleep()
 * and schedule() look (the kernel's rcu_preempt_depth()).  Only the
 * thread itself touches its own count, so relaxed loads and stores do;
 * liburcu orders the read side against grace periods.
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
#include "ksync_internal.h"
#include "report.h"
#include "urcu_glue.h"

#define RET_IP	((uintptr_t)__builtin_return_address(0))

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

/* Registered with liburcu (this thread); initial-exec: no TLS call. */
static __thread bool rcu_registered __attribute__((tls_model("initial-exec")));

static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_exit_key;

static inline unsigned int nesting(void)
{
	return __atomic_load_n(&ksync_tls.rcu_read_lock_nesting, __ATOMIC_RELAXED);
}

static inline void set_nesting(unsigned int n)
{
	__atomic_store_n(&ksync_tls.rcu_read_lock_nesting, n, __ATOMIC_RELAXED);
}

/*
 * A thread that exits inside a read side would hold up every grace
 * period for ever (liburcu would wait for it): say so, end its read side,
 * and leave liburcu.  Lockdep's exit check has named the held
 * rcu_read_lock already.
 */
static void rcu_thread_exit(void *arg)
{
	static const struct ksync_site site = {
		__FILE__, "rcu_thread_exit", "rcu_read_lock", __LINE__
	};
	unsigned int n = nesting();

	(void)arg;
	if (n) {
		ksync_warn_once(&site, "thread exiting inside %u RCU read-side critical "
				"section%s: ending them, or every synchronize_rcu() "
				"would wait for it for ever\n", n, n > 1 ? "s" : "");
		while (n--)
			ksync_urcu_read_unlock();
		set_nesting(0);
	}
	ksync_urcu_unregister_thread();
	rcu_registered = false;
}

/*
 * liburcu's call_rcu threads must be stopped around fork() and started
 * again in the child, or the child's callbacks never run (liburcu's rule
 * for programs that fork without exec).
 */
static void rcu_init_once(void)
{
	if (pthread_key_create(&rcu_exit_key, rcu_thread_exit) != 0)
		ksync_fatal("pthread_key_create failed\n");
	if (pthread_atfork(ksync_urcu_before_fork, ksync_urcu_after_fork_parent,
			   ksync_urcu_after_fork_child) != 0)
		ksync_fatal("pthread_atfork failed\n");
}

/* Not from an interrupt handler: liburcu takes a mutex and allocates. */
static void __attribute__((noinline)) rcu_register_this_thread(void)
{
	pthread_once(&rcu_once, rcu_init_once);
	ksync_urcu_register_thread();
	rcu_registered = true;
	/* Any non-NULL value: the destructor runs at thread exit. */
	pthread_setspecific(rcu_exit_key, &rcu_registered);
}

static inline void rcu_register_lazily(void)
{
	if (__ksync_unlikely(!rcu_registered))
		rcu_register_this_thread();
}

/* --- the read side ------------------------------------------------------------ */

/*
 * The kernel's rcu_lock_acquire(): a recursive read (2), not validated
 * (check 0): it is on the held-lock stack, for lock_is_held() and reports,
 * and adds no dependencies (readers in interrupt handlers and tasks are
 * all fine).
 */
KSYNC_API void ksync_rcu_read_lock(const struct ksync_site *site)
{
	rcu_register_lazily();
	ksync_urcu_read_lock();
	set_nesting(nesting() + 1);
	if (ksync_debug_active())
		ksync_lock_acquire(&ksync_rcu_lock_map, 0, 0, 2, 0, NULL, site, RET_IP);
}

KSYNC_API void ksync_rcu_read_unlock(const struct ksync_site *site)
{
	unsigned int n = nesting();

	/* liburcu's count would go wrong for good: refuse, and say so. */
	if (__ksync_unlikely(!n)) {
		ksync_warn_once(ksync_site_resolve(site),
				"rcu_read_unlock() without rcu_read_lock(): ignored\n");
		return;
	}
	if (ksync_debug_active())
		ksync_lock_release(&ksync_rcu_lock_map, site, RET_IP);
	set_nesting(n - 1);
	ksync_urcu_read_unlock();
}

KSYNC_API int ksync_rcu_read_lock_held(void)
{
	return nesting() != 0;
}

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
	n = nesting();
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
	rcu_register_lazily();
	ksync_urcu_call_rcu(head, func);
}

/* liburcu refuses (and says so) inside a read side; might_sleep() reports it. */
KSYNC_API void ksync_rcu_barrier(void)
{
	__ksync_might_sleep(KSYNC_SITE("rcu_barrier"), 0);
	rcu_register_lazily();
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
