/* SPDX-License-Identifier: MIT */
/*
 * <ksync/rcupdate.h> - read-copy update, from liburcu, with lockdep's checks.
 *
 *   rcu_read_lock() / rcu_read_unlock(), guard(rcu)(), scoped_guard(rcu)
 *				a read-side section: nests, never blocks,
 *				must not sleep
 *   rcu_dereference(p)		load an RCU-protected pointer in a read side
 *   rcu_dereference_check(p, c)	... or where c says it is safe
 *   rcu_dereference_protected(p, c)	an updater's load; c says why it may
 *   rcu_dereference_raw(p), rcu_access_pointer(p)	unchecked loads
 *   rcu_assign_pointer(p, v)	publish v (release: its contents first)
 *   RCU_INIT_POINTER(p, v)	store without ordering (NULL, or unpublished)
 *   rcu_replace_pointer(p, v, c)	publish v, return the old pointer
 *   synchronize_rcu()		wait until every read side begun before ends
 *   call_rcu(&obj->rcu, func)	func(&obj->rcu) after such a grace period
 *   kfree_rcu(obj, rcu)		free(obj) after a grace period
 *   kvfree_rcu(obj, rcu)	the same
 *   kfree_rcu_mightsleep(obj)	synchronize_rcu(), then free(obj)
 *   rcu_barrier()		wait until every call_rcu() callback queued
 *				so far has run
 *   rcu_read_lock_held()	1 inside a read side (see below)
 *   RCU_LOCKDEP_WARN(c, s)	"suspicious RCU usage" when c, under lockdep
 *
 * RCU is liburcu's (Debian's liburcu-dev), urcu-memb flavour: readers pay
 * no barrier (the membarrier() system call makes synchronize_rcu() pay
 * instead), and threads need no quiescent-state calls.  A thread is
 * registered with liburcu the first time it calls rcu_read_lock() or
 * call_rcu(), and unregistered when it exits.  call_rcu() callbacks run
 * on liburcu's call_rcu thread; kfree_rcu() frees with free().  ksync is
 * built without RCU when liburcu is not installed (the configure summary
 * says so); then this header is not installed and libksync has none of
 * these symbols.  It is not included by <ksync/ksync.h>: include it, as
 * kernel code includes <linux/rcupdate.h>.  Do not include liburcu's own
 * headers in the same file: they define the same names.
 *
 * Lockdep's RCU checks, as the kernel's CONFIG_PROVE_RCU (with
 * KSYNC_LOCKDEP=1):
 *  - the read side is a lock map, rcu_read_lock, taken as a recursive
 *    read that is not validated (as the kernel's rcu_lock_acquire()): it
 *    appears among the held locks in reports, and lock_is_held() sees it;
 *  - rcu_dereference_check() / rcu_dereference() outside a read side, and
 *    rcu_dereference_protected() where c is false, print the kernel's
 *    "WARNING: suspicious RCU usage" report, once per place;
 *  - synchronize_rcu() inside a read side prints that report with the
 *    kernel's "Illegal synchronize_rcu() in RCU read-side critical
 *    section" (and does not deadlock: see docs/rcu.md);
 *  - sleeping inside a read side is reported always (not only under
 *    lockdep), as the kernel's CONFIG_PREEMPT_RCU does: might_sleep()
 *    prints "BUG: sleeping function called from invalid context" with
 *    "RCU nest depth: 1", and schedule() "Voluntary context switch within
 *    RCU read-side critical section!".
 *
 * rcu_read_lock_held() is exact: ksync counts each thread's read-side
 * nesting, with or without lockdep (the kernel answers 1 when lockdep is
 * off, because it cannot tell).
 */
#ifndef _KSYNC_RCUPDATE_H
#define _KSYNC_RCUPDATE_H

#include <stddef.h>
#include <stdlib.h>
#include <ksync/compiler.h>
#include <ksync/cleanup.h>
#include <ksync/debug_locks.h>
#include <ksync/lockdep_types.h>
#include <ksync/percpu.h>
#include <ksync/tsan.h>
#include <ksync/urcu_abi.h>

/* The kernel's struct callback_head, also liburcu's struct rcu_head layout. */
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __attribute__((aligned(sizeof(void *))));
#define rcu_head callback_head

typedef void (*rcu_callback_t)(struct rcu_head *head);

/* Sparse's address space marker in the kernel; nothing here. */
#ifndef __rcu
#define __rcu
#endif

/* --- out of line (src/rcu/) ------------------------------------------------ */

KSYNC_API void ksync_rcu_read_lock(const struct ksync_site *site);
KSYNC_API void ksync_rcu_read_unlock(const struct ksync_site *site);
KSYNC_API int ksync_rcu_read_lock_held(void);
KSYNC_API void ksync_synchronize_rcu(const struct ksync_site *site);
KSYNC_API void ksync_call_rcu(struct rcu_head *head, rcu_callback_t func,
			      const struct ksync_site *site);
KSYNC_API void ksync_kvfree_call_rcu(struct rcu_head *head, size_t offset,
				     const struct ksync_site *site);
KSYNC_API void ksync_rcu_barrier(void);
/* The read side's lock map, as the kernel's rcu_lock_map. */
extern KSYNC_API struct lockdep_map ksync_rcu_lock_map;
#define rcu_lock_map	ksync_rcu_lock_map

/* Lockdep's part (always in libksync): see src/lockdep/lockdep_rcu.c. */
KSYNC_API int ksync_debug_lockdep_rcu_enabled(void);
KSYNC_API void ksync_lockdep_rcu_suspicious(const char *file, int line,
					    const char *s);
#define debug_lockdep_rcu_enabled()	ksync_debug_lockdep_rcu_enabled()
#define lockdep_rcu_suspicious(file, line, s)				\
	ksync_lockdep_rcu_suspicious((file), (line), (s))

/* --- the read side ------------------------------------------------------------ */

/*
 * Inline, as the kernel's: with no debug switch on (ksync_debug_flags 0)
 * and the thread registered with liburcu, a read side is liburcu-memb's
 * reader counter update plus ksync's nesting count, with no call.
 * Anything else (first use: registration; lockdep: the rcu_lock_map;
 * an unbalanced unlock: the warning; a TSan build: its annotations) goes
 * to the library, which keeps the same two counters, so the two paths
 * mix freely.  liburcu's objects are reached under ksync's names
 * (<ksync/urcu_abi.h>, checked against liburcu's headers when ksync is
 * built): the asm labels give liburcu-memb's exported symbols, so a
 * program using RCU links -lurcu-memb (ksync's CMake target and ksync.pc
 * say so).  Initial-exec TLS, as ksync_tls: liburcu-memb is loaded with
 * libksync at start-up (a __tls_get_addr() call per access would cost
 * what the inline path saves).
 */
#ifndef __KSYNC_UNDER_TSAN
extern __thread struct ksync_urcu_reader __ksync_urcu_reader
	__asm__("urcu_memb_reader") __attribute__((tls_model("initial-exec")));
extern struct ksync_urcu_gp __ksync_urcu_gp __asm__("urcu_memb_gp");
extern int __ksync_urcu_has_sys_membarrier
	__asm__("urcu_memb_has_sys_membarrier");
/* Set once this thread is registered (by ksync or by the program). */
extern KSYNC_API __thread bool ksync_rcu_registered
	__attribute__((tls_model("initial-exec")));
/* The outermost unlock saw synchronize_rcu() sleeping: wake it. */
KSYNC_API void ksync_rcu_wake_up_gp(void);

/*
 * liburcu-memb's reader-side barrier: with the membarrier() system call
 * (the usual case) the writer's membarrier() orders readers, so only the
 * compiler must keep the reader's accesses in place; without it, a full
 * fence, as urcu_memb_smp_mb_slave().
 */
static __always_inline void __ksync_urcu_reader_barrier(void)
{
	if (__ksync_likely(__atomic_load_n(&__ksync_urcu_has_sys_membarrier,
					   __ATOMIC_RELAXED)))
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * The counter is this thread's; synchronize_rcu() only reads it, and
 * orders itself against it with membarrier() (or the fence above):
 * relaxed atomics, the plain moves liburcu's volatile accesses make.
 */
static __always_inline void __ksync_rcu_read_lock(const struct ksync_site *site)
{
	unsigned long ctr;

	if (__ksync_unlikely(__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) ||
			     !ksync_rcu_registered)) {
		ksync_rcu_read_lock(site);
		return;
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	ctr = __atomic_load_n(&__ksync_urcu_reader.ctr, __ATOMIC_RELAXED);
	if (__ksync_likely(!(ctr & KSYNC_URCU_GP_CTR_NEST_MASK))) {
		/* Outermost: enter the current phase, nest count 1. */
		__atomic_store_n(&__ksync_urcu_reader.ctr,
				 __atomic_load_n(&__ksync_urcu_gp.ctr, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
		__ksync_urcu_reader_barrier();
	} else {
		__atomic_store_n(&__ksync_urcu_reader.ctr,
				 ctr + KSYNC_URCU_GP_COUNT, __ATOMIC_RELAXED);
	}
	/* Only this thread writes its nesting (might_sleep() reads it). */
	__atomic_store_n(&ksync_tls.rcu_read_lock_nesting,
			 ksync_tls.rcu_read_lock_nesting + 1, __ATOMIC_RELAXED);
}

static __always_inline void __ksync_rcu_read_unlock(const struct ksync_site *site)
{
	unsigned int n = __atomic_load_n(&ksync_tls.rcu_read_lock_nesting,
					 __ATOMIC_RELAXED);
	unsigned long ctr;

	/* n == 0: an unlock without a lock, which the library reports. */
	if (__ksync_unlikely(__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED) ||
			     !n)) {
		ksync_rcu_read_unlock(site);
		return;
	}
	__atomic_store_n(&ksync_tls.rcu_read_lock_nesting, n - 1, __ATOMIC_RELAXED);
	ctr = __atomic_load_n(&__ksync_urcu_reader.ctr, __ATOMIC_RELAXED);
	if (__ksync_likely((ctr & KSYNC_URCU_GP_CTR_NEST_MASK) == KSYNC_URCU_GP_COUNT)) {
		/* Outermost: the section's accesses before the leaving store. */
		__ksync_urcu_reader_barrier();
		__atomic_store_n(&__ksync_urcu_reader.ctr, ctr - KSYNC_URCU_GP_COUNT,
				 __ATOMIC_RELAXED);
		/* ... and the store before the look at the writer's futex. */
		__ksync_urcu_reader_barrier();
		if (__ksync_unlikely(__atomic_load_n(&__ksync_urcu_gp.futex,
						     __ATOMIC_RELAXED) == -1))
			ksync_rcu_wake_up_gp();
	} else {
		__atomic_store_n(&__ksync_urcu_reader.ctr, ctr - KSYNC_URCU_GP_COUNT,
				 __ATOMIC_RELAXED);
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

#define rcu_read_lock()		__ksync_rcu_read_lock(KSYNC_SITE("rcu_read_lock"))
#define rcu_read_unlock()	__ksync_rcu_read_unlock(KSYNC_SITE("rcu_read_unlock"))
#else
/* Under ThreadSanitizer: the library, which tells TSan about grace periods. */
#define rcu_read_lock()		ksync_rcu_read_lock(KSYNC_SITE("rcu_read_lock"))
#define rcu_read_unlock()	ksync_rcu_read_unlock(KSYNC_SITE("rcu_read_unlock"))
#endif
#define rcu_read_lock_held()	ksync_rcu_read_lock_held()
/* ksync has one RCU flavour: any read side is this one. */
#define rcu_read_lock_any_held()	ksync_rcu_read_lock_held()

DEFINE_LOCK_GUARD_0(rcu, rcu_read_lock(), rcu_read_unlock())

/*
 * The kernel's RCU_LOCKDEP_WARN(): once per place, only under lockdep
 * (tested inline first: rcu_dereference() is on readers' fast path).
 * The flag is an atomic so that two threads reporting at once is no race.
 */
#define RCU_LOCKDEP_WARN(c, s)						\
	do {								\
		static bool __warned;					\
									\
		if (__ksync_unlikely(__atomic_load_n(&ksync_debug_flags, \
						     __ATOMIC_RELAXED) & \
				     KSYNC_DEBUG_LOCKDEP) &&		\
		    debug_lockdep_rcu_enabled() &&			\
		    (c) && !__atomic_load_n(&__warned, __ATOMIC_RELAXED) && \
		    !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED)) \
			lockdep_rcu_suspicious(__FILE__, __LINE__, s);	\
	} while (0)

/* --- pointers ------------------------------------------------------------------- */

/*
 * Readers load with consume order (the kernel's READ_ONCE() plus address
 * dependency); compilers make it acquire, which is free on x86 and what
 * ThreadSanitizer follows.  It pairs with rcu_assign_pointer()'s release:
 * a reader that sees the pointer sees what was stored through it before.
 */
#define __ksync_rcu_load(p)	__atomic_load_n(&(p), __ATOMIC_CONSUME)

#define rcu_dereference_check(p, c)					\
	({								\
		RCU_LOCKDEP_WARN(!(c) && !rcu_read_lock_held(),		\
				 "suspicious rcu_dereference_check() usage"); \
		__ksync_rcu_load(p);					\
	})
#define rcu_dereference(p)		rcu_dereference_check(p, 0)
#define rcu_dereference_raw(p)		__ksync_rcu_load(p)
#define rcu_dereference_raw_check(p)	__ksync_rcu_load(p)

/*
 * The updater's load, where c says no other updater can store (a lock
 * held).  Relaxed: readers may load at the same time, never store.
 */
#define rcu_dereference_protected(p, c)					\
	({								\
		RCU_LOCKDEP_WARN(!(c), "suspicious rcu_dereference_protected() usage"); \
		__atomic_load_n(&(p), __ATOMIC_RELAXED);		\
	})

/* The pointer's value only (compare it, test it for NULL): no check. */
#define rcu_access_pointer(p)		__atomic_load_n(&(p), __ATOMIC_RELAXED)

/* Release: the new object's contents are stored before it is published. */
#define rcu_assign_pointer(p, v)					\
	__atomic_store_n(&(p), (__typeof__(p))(v), __ATOMIC_RELEASE)

/* No ordering: for NULL, or before readers can reach p. */
#define RCU_INIT_POINTER(p, v)						\
	__atomic_store_n(&(p), (__typeof__(p))(v), __ATOMIC_RELAXED)
#define RCU_POINTER_INITIALIZER(p, v)	.p = (v)

#define rcu_replace_pointer(rcu_ptr, ptr, c)				\
	({								\
		__typeof__(ptr) __ksync_rcu_old =			\
			rcu_dereference_protected((rcu_ptr), (c));	\
		rcu_assign_pointer((rcu_ptr), (ptr));			\
		__ksync_rcu_old;					\
	})

/* --- updaters ------------------------------------------------------------------- */

#define synchronize_rcu()	ksync_synchronize_rcu(KSYNC_SITE("synchronize_rcu"))
/* ksync has no expedited grace periods; liburcu's are already short. */
#define synchronize_rcu_expedited()	synchronize_rcu()
#define call_rcu(head, func)						\
	ksync_call_rcu((head), (func), KSYNC_SITE("call_rcu"))
#define rcu_barrier()		ksync_rcu_barrier()

/*
 * kfree_rcu(ptr, rhf): free(ptr) after a grace period, where rhf is the
 * name of ptr's struct rcu_head member.  As in the kernel the member's
 * offset must be below 4096 (a compile-time check), and NULL is ignored.
 * No callback to write: the library frees the object from its offset.
 */
#define __KSYNC_KVFREE_RCU_MAX_OFFSET	4096

#define kvfree_rcu(ptr, rhf)						\
	do {								\
		__typeof__(ptr) ___p = (ptr);				\
									\
		_Static_assert(offsetof(__typeof__(*(ptr)), rhf) <	\
			       __KSYNC_KVFREE_RCU_MAX_OFFSET,		\
			       "kfree_rcu(): rcu_head too far into the object"); \
		if (___p)						\
			ksync_kvfree_call_rcu(&___p->rhf,		\
					      offsetof(__typeof__(*(ptr)), rhf), \
					      KSYNC_SITE("kfree_rcu"));	\
	} while (0)
#define kfree_rcu(ptr, rhf)	kvfree_rcu(ptr, rhf)

/* No rcu_head in the object: wait here (may sleep), then free. */
#define kfree_rcu_mightsleep(ptr)					\
	do {								\
		void *___p = (ptr);					\
									\
		if (___p) {						\
			synchronize_rcu();				\
			free(___p);					\
		}							\
	} while (0)
#define kvfree_rcu_mightsleep(ptr)	kfree_rcu_mightsleep(ptr)

#endif /* _KSYNC_RCUPDATE_H */
