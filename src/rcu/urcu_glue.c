// SPDX-License-Identifier: MIT
/*
 * Everything that touches liburcu (urcu-memb flavour), in the one file
 * that includes its headers: they define rcu_read_lock(), call_rcu(),
 * struct rcu_head ... under the names <ksync/rcupdate.h> uses, so no file
 * includes both (src/rcu/rcu.c has the rest).
 *
 * The read side is here, inline: liburcu's out-of-line
 * urcu_memb_read_lock() reaches its per-thread counter through
 * __tls_get_addr(), which made a lock+unlock pair cost ~60 ns here
 * against ~6 ns inline.  So this file is built with _LGPL_SOURCE (only
 * liburcu's read-side functions have inline forms: a few lines each, the
 * "small inline functions" LGPL-2.1 section 5 leaves unrestricted) and
 * with the initial-exec TLS model (src/CMakeLists.txt), as ksync_tls is:
 * libksync and liburcu are loaded at start-up.
 */
#define _GNU_SOURCE
/*
 * Not under ThreadSanitizer: liburcu's inline read side uses volatile
 * accesses where it means atomics, which TSan would report once compiled
 * into this (instrumented) file; its exported functions are not
 * instrumented.  The reader struct is still wanted, for the registration
 * check, from the static header.
 */
#ifndef __SANITIZE_THREAD__
#define _LGPL_SOURCE
#endif
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <urcu/urcu-memb.h>
#ifdef __SANITIZE_THREAD__
#include <urcu/static/urcu-memb.h>
#endif

#include <ksync/debug_locks.h>
#include <ksync/lockdep.h>
#include <ksync/urcu_abi.h>
#include <ksync/percpu.h>
#include "debug_checks.h"
#include "site.h"
#include "futex.h"
#include "report.h"
#include "urcu_glue.h"

/*
 * ksync's struct callback_head (<ksync/rcupdate.h>) is handed to liburcu
 * as its struct rcu_head: the same two words, next and func.
 */
struct ksync_callback_head_layout {
	void *next;
	void (*func)(void *);
};
_Static_assert(sizeof(struct rcu_head) == sizeof(struct ksync_callback_head_layout),
	       "liburcu's struct rcu_head is not two words");
_Static_assert(offsetof(struct rcu_head, func) ==
	       offsetof(struct ksync_callback_head_layout, func),
	       "liburcu's struct rcu_head has func elsewhere");

/*
 * <ksync/rcupdate.h>'s inline read side reaches liburcu's reader counter,
 * grace-period state and membarrier flag under ksync's names, with asm
 * labels, through the mirror in <ksync/urcu_abi.h>: check it against the
 * real thing.  A liburcu with another layout fails here, at build time.
 */
#ifndef CONFIG_RCU_TLS
#error "liburcu built without compiler TLS: urcu_memb_reader is no __thread symbol"
#endif
#ifdef CONFIG_RCU_FORCE_SYS_MEMBARRIER
#error "liburcu forces membarrier: urcu_memb_has_sys_membarrier is no symbol"
#endif
#define KSYNC_SAME_TYPE(a, b)	__builtin_types_compatible_p(__typeof__(a), __typeof__(b))
_Static_assert(offsetof(struct urcu_reader, ctr) ==
	       offsetof(struct ksync_urcu_reader, ctr) &&
	       KSYNC_SAME_TYPE(((struct urcu_reader *)0)->ctr,
			       ((struct ksync_urcu_reader *)0)->ctr),
	       "liburcu's struct urcu_reader has ctr elsewhere");
_Static_assert(offsetof(struct urcu_gp, ctr) == offsetof(struct ksync_urcu_gp, ctr) &&
	       KSYNC_SAME_TYPE(urcu_memb_gp.ctr, ((struct ksync_urcu_gp *)0)->ctr),
	       "liburcu's struct urcu_gp has ctr elsewhere");
_Static_assert(offsetof(struct urcu_gp, futex) == offsetof(struct ksync_urcu_gp, futex) &&
	       KSYNC_SAME_TYPE(urcu_memb_gp.futex, ((struct ksync_urcu_gp *)0)->futex),
	       "liburcu's struct urcu_gp has futex elsewhere");
_Static_assert(KSYNC_SAME_TYPE(urcu_memb_has_sys_membarrier, int),
	       "liburcu's urcu_memb_has_sys_membarrier is not an int");
_Static_assert(KSYNC_SAME_TYPE(URCU_TLS(urcu_memb_reader), struct urcu_reader),
	       "liburcu's urcu_memb_reader is not a struct urcu_reader");
_Static_assert(URCU_GP_COUNT == KSYNC_URCU_GP_COUNT, "URCU_GP_COUNT differs");
_Static_assert(URCU_GP_CTR_NEST_MASK == KSYNC_URCU_GP_CTR_NEST_MASK,
	       "URCU_GP_CTR_NEST_MASK differs");

/*
 * ThreadSanitizer (a TSan build of libksync): liburcu is not instrumented,
 * so TSan cannot see that a grace period orders every read side before
 * the frees that follow it, and would call a reader's loads and the
 * call_rcu() callback's free() a race.  Say it with one synchronisation
 * object: every rcu_read_unlock() releases it, and whatever waited for a
 * grace period (synchronize_rcu(), each callback) acquires it.  Never in
 * a plain build.
 */
#ifdef __SANITIZE_THREAD__
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char rcu_tsan_gp;

static inline void tsan_read_side_done(void)
{
	__tsan_release(&rcu_tsan_gp);
}

static inline void tsan_after_grace_period(void)
{
	__tsan_acquire(&rcu_tsan_gp);
}

/* The callback, with the acquire before it (allocated per call_rcu()). */
struct tsan_callback {
	struct rcu_head head;
	struct callback_head *user;
	void (*func)(struct callback_head *head);
};

static void tsan_callback_run(struct rcu_head *head)
{
	struct tsan_callback *cb = caa_container_of(head, struct tsan_callback, head);
	struct callback_head *user;

	/* liburcu's queue handed the record over: pairs with the release. */
	__tsan_acquire(cb);
	user = cb->user;
	void (*func)(struct callback_head *) = cb->func;

	free(cb);
	tsan_after_grace_period();
	func(user);
}

/*
 * rcu_barrier(): liburcu's allocates a record that its call_rcu thread
 * frees, a hand-over TSan cannot see.  Every ksync thread queues on
 * liburcu's default call_rcu thread (ksync creates no other), whose queue
 * is FIFO: a marker queued now runs after every callback queued before.
 */
struct tsan_barrier {
	struct rcu_head head;
	uint32_t done;
};

static void tsan_barrier_run(struct rcu_head *head)
{
	struct tsan_barrier *b = caa_container_of(head, struct tsan_barrier, head);

	__tsan_acquire(b);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	/* b may be gone already (its waiter saw done): a stray wake is harmless. */
	ksync_futex_wake(&b->done, 1);
}

static bool tsan_barrier(void)
{
	struct tsan_barrier b = { .done = 0 };

	__tsan_release(&b);
	urcu_memb_call_rcu(&b.head, tsan_barrier_run);
	while (!__atomic_load_n(&b.done, __ATOMIC_ACQUIRE))
		ksync_futex_wait(&b.done, 0, NULL);
	return true;
}

static bool tsan_call_rcu(struct callback_head *head,
			  void (*func)(struct callback_head *head))
{
	struct tsan_callback *cb = malloc(sizeof(*cb));

	if (!cb) {
		/* No memory for the record: wait here instead. */
		urcu_memb_synchronize_rcu();
		tsan_after_grace_period();
		func(head);
		return true;
	}
	cb->user = head;
	cb->func = func;
	/* What we wrote (the record, the caller's object) before queueing. */
	__tsan_release(cb);
	urcu_memb_call_rcu(&cb->head, tsan_callback_run);
	return true;
}
#else
static inline void tsan_read_side_done(void)
{
}

static inline void tsan_after_grace_period(void)
{
}

static inline bool tsan_call_rcu(struct callback_head *head,
				 void (*func)(struct callback_head *head))
{
	(void)head;
	(void)func;
	return false;
}

static inline bool tsan_barrier(void)
{
	return false;
}
#endif

/*
 * Registered with liburcu (this thread), by ksync or by the program.
 * rcupdate.h's inline read side tests it: a thread without it goes to
 * ksync_rcu_read_lock(), which registers it (and, once per process,
 * installs the fork handlers and the exit destructor).  ksync's own flag
 * rather than liburcu's registered bit: that bit is a bit-field (no
 * offset to mirror), and it is also set for a thread the program
 * registered itself, which must still pass here once for the fork
 * handlers.  Initial-exec, as ksync_tls (the file is built with it).
 */
KSYNC_API __thread bool ksync_rcu_registered;

static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_exit_key;

/*
 * The read-side nesting lives in ksync_tls, where might_sleep() and
 * schedule() look (the kernel's rcu_preempt_depth()).  Only the thread
 * itself writes it: relaxed.
 */
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
 * and leave liburcu.
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
		tsan_read_side_done();
		while (n--)
			urcu_memb_read_unlock();
		set_nesting(0);
	}
	urcu_memb_unregister_thread();
	ksync_rcu_registered = false;
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
	if (pthread_atfork(urcu_memb_call_rcu_before_fork,
			   urcu_memb_call_rcu_after_fork_parent,
			   urcu_memb_call_rcu_after_fork_child) != 0)
		ksync_fatal("pthread_atfork failed\n");
}

/*
 * Not from an interrupt handler: liburcu takes a mutex and allocates.  A
 * thread the program registered with liburcu itself stays the program's
 * to unregister (liburcu aborts on a second registration).
 */
static void __attribute__((noinline)) rcu_register_this_thread(void)
{
	pthread_once(&rcu_once, rcu_init_once);
	if (!URCU_TLS(urcu_memb_reader).registered) {
		urcu_memb_register_thread();
		/* Any non-NULL value: the destructor runs at thread exit. */
		pthread_setspecific(rcu_exit_key, &ksync_rcu_registered);
	}
	/* Only now: the inline read side must find liburcu's reader ready. */
	ksync_rcu_registered = true;
}

void ksync_urcu_register_lazily(void)
{
	if (__ksync_unlikely(!ksync_rcu_registered))
		rcu_register_this_thread();
}

/* --- the read side ------------------------------------------------------------ */

/*
 * The kernel's rcu_lock_acquire(): a recursive read (2), not validated
 * (check 0): on the held-lock stack, for lock_is_held() and reports, and
 * no dependencies (readers in interrupt handlers and in tasks are all
 * fine).
 */
KSYNC_API void ksync_rcu_read_lock(const struct ksync_site *site)
{
	ksync_urcu_register_lazily();
	urcu_memb_read_lock();
	set_nesting(nesting() + 1);
	if (ksync_debug_active())
		lock_acquire(&ksync_rcu_lock_map, 0, 0, 2, 0, NULL, KSYNC_SITE_IP(site, RET_IP));
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
		lock_release(&ksync_rcu_lock_map, KSYNC_SITE_IP(site, RET_IP));
	set_nesting(n - 1);
	tsan_read_side_done();
	urcu_memb_read_unlock();
}

/*
 * The inline rcu_read_unlock() left its outermost read side and found
 * synchronize_rcu() asleep on the futex: liburcu's wake-up, out of line.
 */
KSYNC_API void ksync_rcu_wake_up_gp(void)
{
	urcu_common_wake_up_gp(&urcu_memb_gp);
}

KSYNC_API int ksync_rcu_read_lock_held(void)
{
	return nesting() != 0;
}

/* --- the rest: liburcu's library calls ------------------------------------------ */

void ksync_urcu_read_lock(void)
{
	urcu_memb_read_lock();
}

void ksync_urcu_read_unlock(void)
{
	tsan_read_side_done();
	urcu_memb_read_unlock();
}

void ksync_urcu_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
	tsan_after_grace_period();
}

void ksync_urcu_call_rcu(struct callback_head *head,
			 void (*func)(struct callback_head *head))
{
	if (tsan_call_rcu(head, func))
		return;
	urcu_memb_call_rcu((struct rcu_head *)head,
			   (void (*)(struct rcu_head *))func);
}

void ksync_urcu_barrier(void)
{
	if (tsan_barrier())
		return;
	urcu_memb_barrier();
}
