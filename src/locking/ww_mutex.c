// SPDX-License-Identifier: MIT
/*
 * Wound/wait mutexes (kernel/locking/ww_mutex.h and the ww parts of
 * kernel/locking/mutex.c, 6.1).
 *
 * A ww_mutex is a struct mutex: the same owner word, taken and released
 * by the same inline compare-and-swap when uncontended (<ksync/ww_mutex.h>),
 * plus the holder's acquire context.  Its slow path is this file's, not
 * mutex.c's, because its waiters carry a context and the list is kept in
 * stamp order (oldest first; waiters without a context in FIFO order where
 * they queued), and because a waiter must decide, under wait_lock, whether
 * it dies (wait-die), wounds the holder (wound-wait) or sleeps.  Only the
 * WAITERS flag of the owner word is used here (no handoff, no optimistic
 * spinning: see docs/ww_mutex.md).
 *
 * What other threads read of a context, and when:
 *  - ctx->stamp, is_wait_die: written before the ctx is published (through
 *    lock->ctx or the wait list), constant after;
 *  - a waiter's ctx->acquired: read under wait_lock while the waiter is on
 *    the list, where its thread does not change it;
 *  - ctx->wounded: set by an older waiter of another lock, under that
 *    lock's wait_lock, read by the ctx's thread under its own wait_lock:
 *    atomics, sequentially consistent against the task state (the kernel's
 *    wake_up_process()/set_current_state() pairing);
 *  - lock->ctx: written by the owner, read by waiters under wait_lock
 *    (atomics: the fast path stores it with a release, outside wait_lock;
 *    its store and a waiter's WAITERS are a pair, see ww_add_waiter()).
 * A holder's ctx stays valid while a queued waiter reads it: with WAITERS
 * set the holder's unlock must take wait_lock to wake someone; if the
 * waiters all left first, the last one cleared WAITERS with a release
 * that the unlock's compare-and-swap acquires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ksync/lockdep.h>
#include <ksync/ww_mutex.h>
#include "cpu.h"
#include "debug_checks.h"
#include "init.h"
#include "layer_hooks.h"
#include "list.h"
#include "qspinlock_pv.h"
#include "report.h"
#include "sched_internal.h"
#include "site.h"

/* The magic mutex_destroy() leaves (mutex.c's MUTEX_DESTROYED). */
#define MUTEX_DESTROYED		((void *)1)

/* 1 until membarrier(2) is known to work: the fast path fences itself. */
KSYNC_API int ksync_ww_mutex_fast_fence = 1;

/*
 * Whether the fast path must fence itself follows whether the waiters'
 * membarrier(2) works (qspinlock_pv.c decides, at start-up and again in a
 * fork child).  Relaxed: set while the process has one thread - in the
 * library's constructor, before the program's threads, and in a fork
 * child, before it can make any.
 */
static void ww_mutex_fence_setup(void)
{
	__atomic_store_n(&ksync_ww_mutex_fast_fence, !ksync_pv_untimed_ok(),
			 __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void ww_mutex_setup(void)
{
	ksync_init_once();
	ww_mutex_fence_setup();
}

/* After the arch layer's fork_child (hooks run bottom up) re-tried membarrier. */
KSYNC_HOOKS(ww_mutex_hooks) = {
	.layer = KSYNC_LAYER_LOCKING,
	.fork_child = ww_mutex_fence_setup,
};

struct ww_waiter {
	struct ksync_list_head list;
	struct ksync_cpu *task;
	struct ww_acquire_ctx *ww_ctx;	/* NULL: a plain ww_mutex_lock(m, NULL) */
};

/* DEBUG_LOCKS_WARN_ON(cond), with KSYNC_DEBUG (the kernel's DEBUG_WW_MUTEXES). */
#define WW_WARN_ON(cond, site, ...)					\
	({								\
		bool __c = ksync_debug_checks() && (cond);		\
		if (__ksync_unlikely(__c))				\
			ksync_debug_locks_warn((site), #cond, __VA_ARGS__); \
		__c;							\
	})

/* --- the owner word (struct mutex's) ------------------------------------------ */

static inline struct ksync_cpu *ww_owner(struct ww_mutex *lock)
{
	return (struct ksync_cpu *)((unsigned long)atomic_long_read(&lock->base.owner) &
				    ~MUTEX_FLAGS);
}

/* Take it if no thread owns it, keeping WAITERS.  Acquire: pairs with unlock. */
static bool ww_trylock(struct ww_mutex *lock, struct ksync_cpu *curr)
{
	long owner = atomic_long_read(&lock->base.owner);

	while (!((unsigned long)owner & ~MUTEX_FLAGS)) {
		if (atomic_long_try_cmpxchg_acquire(&lock->base.owner, &owner,
						    owner | (long)curr))
			return true;
	}
	return false;
}

/* wait_lock: the arch lock, kept out of lockdep, as in mutex.c. */
static inline void ww_wait_lock(struct ww_mutex *lock)
{
	preempt_disable();
	queued_spin_lock(&lock->base.wait_lock.raw_lock);
}

static inline void ww_wait_unlock(struct ww_mutex *lock)
{
	queued_spin_unlock(&lock->base.wait_lock.raw_lock);
	preempt_enable();
}

static inline struct ksync_list_head *ww_list(struct ww_mutex *lock)
{
	return &lock->base.wait_list;
}

static struct ww_waiter *ww_waiter_first(struct ww_mutex *lock)
{
	return list_empty(ww_list(lock)) ? NULL :
	       list_first_entry(ww_list(lock), struct ww_waiter, list);
}

static struct ww_waiter *ww_waiter_last(struct ww_mutex *lock)
{
	return list_empty(ww_list(lock)) ? NULL :
	       list_entry(ww_list(lock)->prev, struct ww_waiter, list);
}

static struct ww_waiter *ww_waiter_next(struct ww_mutex *lock, struct ww_waiter *w)
{
	return w->list.next == ww_list(lock) ? NULL :
	       list_entry(w->list.next, struct ww_waiter, list);
}

static struct ww_waiter *ww_waiter_prev(struct ww_mutex *lock, struct ww_waiter *w)
{
	return w->list.prev == ww_list(lock) ? NULL :
	       list_entry(w->list.prev, struct ww_waiter, list);
}

/*
 * Queue w before pos (at the tail if pos is NULL).  Setting WAITERS is
 * our side of the store-buffering pair with the inline fast path's store
 * of lock->ctx (<ksync/ww_mutex.h>): after it we read lock->ctx (now for
 * wound-wait, in ww_check_kill() for wait-die), the fast path reads
 * WAITERS after its store.  A sequentially consistent RMW, and where the
 * fast path only has a compiler barrier, membarrier(2) from whoever sets
 * the flag: a waiter that finds it set already came after the one that
 * set it (wait_lock), and what that one saw or made the holder see holds
 * for it too.
 */
static void ww_add_waiter(struct ww_mutex *lock, struct ww_waiter *w,
			  struct ww_waiter *pos)
{
	long old;

	list_add_tail(&w->list, pos ? &pos->list : ww_list(lock));
	old = __atomic_fetch_or(&lock->base.owner.counter, (long)MUTEX_FLAG_WAITERS,
				__ATOMIC_SEQ_CST);
	/* Under wait_lock, but once per 0 -> 1 of WAITERS, on the way to sleep. */
	if (!(old & (long)MUTEX_FLAG_WAITERS) &&
	    !__atomic_load_n(&ksync_ww_mutex_fast_fence, __ATOMIC_RELAXED))
		ksync_pv_membarrier();
}

/*
 * The last waiter out clears WAITERS with a release: a holder that then
 * unlocks without taking wait_lock (its ctx, which waiters read, may be
 * reused at once) acquires it with its unlock's compare-and-swap.
 */
static void ww_remove_waiter(struct ww_mutex *lock, struct ww_waiter *w)
{
	list_del(&w->list);
	if (list_empty(ww_list(lock)))
		__atomic_fetch_and(&lock->base.owner.counter, ~(long)MUTEX_FLAG_WAITERS,
				   __ATOMIC_RELEASE);
}

static inline bool ww_waiter_is_first(struct ww_mutex *lock, struct ww_waiter *w)
{
	return ww_waiter_first(lock) == w;
}

static const char *ww_name(struct ww_mutex *lock)
{
	return lock->base.dep_map.name ? lock->base.dep_map.name : "?";
}

/* --- wait-die and wound-wait -------------------------------------------------- */

/* a is younger than b (bigger stamp; wraps as the kernel's). */
static inline bool ww_ctx_less(struct ww_acquire_ctx *a, struct ww_acquire_ctx *b)
{
	return (long)(a->stamp - b->stamp) > 0;
}

/*
 * Wait-die: wake a younger waiter that holds locks so that it dies.  Only
 * the first waiter with a context can hold locks (the others die as they
 * queue or are woken to), so the walks stop at the first context.
 */
static bool ww_die(struct ww_waiter *waiter, struct ww_acquire_ctx *ww_ctx)
{
	if (!ww_ctx->is_wait_die)
		return false;
	if (waiter->ww_ctx->acquired > 0 && ww_ctx_less(waiter->ww_ctx, ww_ctx))
		ksync_wake_cpu(waiter->task);
	return true;
}

/*
 * Wound-wait: wound the younger holder context hold_ctx if ww_ctx holds
 * locks (it could otherwise not be in the holder's way), and wake the
 * holder so that a wait of its own notices.  Under wait_lock.
 */
static bool ww_wound(struct ww_mutex *lock, struct ww_acquire_ctx *ww_ctx,
		     struct ww_acquire_ctx *hold_ctx)
{
	struct ksync_cpu *owner = ww_owner(lock);

	/* NULL: the fast path has not stored it yet; it checks the waiters. */
	if (!hold_ctx || !owner)
		return false;
	if (ww_ctx->acquired > 0 && ww_ctx_less(hold_ctx, ww_ctx)) {
		/* Sequentially consistent: against the holder's task state. */
		__atomic_store_n(&hold_ctx->wounded, 1, __ATOMIC_SEQ_CST);
		if (owner != ksync_this_cpu())
			ksync_wake_cpu(owner);
		return true;
	}
	return false;
}

/*
 * We hold lock under ww_ctx now: an older waiter may want to wound us, a
 * younger one holding locks must die.  Under wait_lock; we are not queued.
 */
static void ww_check_waiters(struct ww_mutex *lock, struct ww_acquire_ctx *ww_ctx)
{
	for (struct ww_waiter *cur = ww_waiter_first(lock); cur;
	     cur = ww_waiter_next(lock, cur)) {
		if (!cur->ww_ctx)
			continue;
		if (ww_die(cur, ww_ctx) || ww_wound(lock, cur->ww_ctx, ww_ctx))
			break;
	}
}

/*
 * Back off: -EDEADLK if the ctx holds locks (else it may simply wait,
 * holding nothing anyone could want).  Remember the lock, for the checks.
 */
static int ww_kill(struct ww_mutex *lock, struct ww_acquire_ctx *ww_ctx,
		   const struct ksync_site *site)
{
	if (!ww_ctx->acquired)
		return 0;
	if (ksync_debug_checks()) {
		WW_WARN_ON(ww_ctx->contending_lock, site,
			   "ww_mutex %s: -EDEADLK again, but the ctx never took the "
			   "lock that said -EDEADLK before (%p): unlock all, then "
			   "ww_mutex_lock_slow() it\n", ww_name(lock),
			   ww_ctx->contending_lock);
		ww_ctx->contending_lock = lock;
	}
	return -EDEADLK;
}

/*
 * Under wait_lock, queued: must we back off?  Wound-wait: if wounded.
 * Wait-die: if the holder or a waiter before us (the list is in stamp
 * order) is older.
 */
static int ww_check_kill(struct ww_mutex *lock, struct ww_waiter *waiter,
			 struct ww_acquire_ctx *ctx, const struct ksync_site *site)
{
	/*
	 * Seq_cst: the second half of our side of the store-buffering pair
	 * with the fast path (we set WAITERS and our task state, then load
	 * ctx; it stores ctx, then loads the owner word).  With membarrier(2)
	 * the fence comes from there; without, both sides must be seq_cst,
	 * or on a weakly ordered CPU we could miss the holder's ctx while it
	 * misses our WAITERS, and sleep when we should die.  It is also the
	 * acquire that makes the holder's stamp visible.
	 */
	struct ww_acquire_ctx *hold_ctx = __atomic_load_n(&lock->ctx, __ATOMIC_SEQ_CST);

	if (!ctx->acquired)
		return 0;
	if (!ctx->is_wait_die)
		return __atomic_load_n(&ctx->wounded, __ATOMIC_SEQ_CST) ?
		       ww_kill(lock, ctx, site) : 0;
	if (hold_ctx && ww_ctx_less(ctx, hold_ctx))
		return ww_kill(lock, ctx, site);
	for (struct ww_waiter *cur = ww_waiter_prev(lock, waiter); cur;
	     cur = ww_waiter_prev(lock, cur))
		if (cur->ww_ctx)
			return ww_kill(lock, ctx, site);
	return 0;
}

/*
 * Queue in stamp order, behind every older context and ahead of the
 * first younger one; waiters without a context are passed over, not
 * overtaken (they would starve).  Wait-die: die at once behind an older
 * waiter, and wake the younger ones we pass so that they die.
 * Wound-wait: wound a younger holder.
 */
static int ww_queue(struct ww_mutex *lock, struct ww_waiter *waiter,
		    struct ww_acquire_ctx *ww_ctx, const struct ksync_site *site)
{
	struct ww_waiter *cur, *pos = NULL;

	if (!ww_ctx) {
		ww_add_waiter(lock, waiter, NULL);
		return 0;
	}
	for (cur = ww_waiter_last(lock); cur; cur = ww_waiter_prev(lock, cur)) {
		if (!cur->ww_ctx)
			continue;
		if (ww_ctx_less(ww_ctx, cur->ww_ctx)) {
			if (ww_ctx->is_wait_die) {
				int ret = ww_kill(lock, ww_ctx, site);

				if (ret)
					return ret;
			}
			break;
		}
		pos = cur;
		ww_die(cur, ww_ctx);
	}
	ww_add_waiter(lock, waiter, pos);
	if (!ww_ctx->is_wait_die)
		/* Ordered after WAITERS by ww_add_waiter()'s RMW (see there). */
		ww_wound(lock, ww_ctx, __atomic_load_n(&lock->ctx, __ATOMIC_SEQ_CST));
	return 0;
}

/* --- debug checks ---------------------------------------------------------------- */

/*
 * A ww_mutex never initialised (zero magic), destroyed, or garbage.  A
 * destroyed one still has its list: say so and go on, as a mutex does.
 * The others have no class to lock under: say so and stop.
 */
static void ww_check_initialised(struct ww_mutex *lock, const struct ksync_site *site)
{
	void *magic = __atomic_load_n(&lock->base.magic, __ATOMIC_ACQUIRE);

	if (__ksync_likely(magic == &lock->base))
		return;
	if (magic == MUTEX_DESTROYED) {
		ksync_debug_locks_warn(site, "lock->magic != lock",
				       "ww_mutex %s used after ww_mutex_destroy()\n",
				       ww_name(lock));
		return;
	}
	ksync_report_lock();	/* the report and the stop as one */
	ksync_debug_locks_warn(site, "lock->magic != lock",
			       "ww_mutex %s at %p: %s\n",
			       site && site->expr ? site->expr : "?", (void *)lock,
			       magic ? "bad magic" : "used without ww_mutex_init()");
	ksync_stop_on_garbage_lock("ww_mutex", site && site->expr ? site->expr : "?",
				   lock, (unsigned long)magic);
}

/* The kernel's ww_mutex_lock_acquired(): lock is ours now, under ww_ctx. */
static void ww_lock_acquired(struct ww_mutex *ww, struct ww_acquire_ctx *ww_ctx,
			     const struct ksync_site *site)
{
	if (ksync_debug_checks()) {
		WW_WARN_ON(ww->ctx, site,
			   "ww_mutex %s: still has a ctx: was it released with "
			   "mutex_unlock() instead of ww_mutex_unlock()?\n", ww_name(ww));
		WW_WARN_ON(ww_ctx->done_acquire, site,
			   "ww_mutex %s locked after ww_acquire_done() (or "
			   "ww_acquire_fini()) of its ctx\n", ww_name(ww));
		if (ww_ctx->contending_lock) {
			WW_WARN_ON(ww_ctx->contending_lock != ww, site,
				   "ww_mutex %s locked after -EDEADLK from another "
				   "lock (%p): back off and ww_mutex_lock_slow() that "
				   "one first\n", ww_name(ww), ww_ctx->contending_lock);
			WW_WARN_ON(ww_ctx->acquired > 0, site,
				   "ww_mutex %s locked after -EDEADLK while the ctx "
				   "still holds %u other lock(s): unlock them all first\n",
				   ww_name(ww), ww_ctx->acquired);
			ww_ctx->contending_lock = NULL;
		}
		WW_WARN_ON(ww_ctx->ww_class != ww->ww_class, site,
			   "ww_mutex %s (class %s) locked with a ctx of class %s\n",
			   ww_name(ww), ww->ww_class ? ww->ww_class->mutex_name : "?",
			   ww_ctx->ww_class ? ww_ctx->ww_class->acquire_name : "?");
	}
	ww_ctx->acquired++;
	/* Relaxed: waiters read it under wait_lock, which we hold. */
	__atomic_store_n(&ww->ctx, ww_ctx, __ATOMIC_RELAXED);
}

/* --- lock -------------------------------------------------------------------------- */

/*
 * Queued: sleep until the lock is ours, a signal (interruptible), or the
 * algorithm says back off.  The trylock comes first under wait_lock, so
 * a woken waiter takes a free lock rather than leaving with an error and
 * the wake-up lost.  Returns with wait_lock held, dequeued.
 */
static int ww_wait(struct ww_mutex *lock, struct ww_waiter *waiter,
		   struct ww_acquire_ctx *ww_ctx, unsigned int state,
		   const struct ksync_site *site)
{
	struct ksync_cpu *curr = waiter->task;
	int ret = 0;

	if (state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL))
		ksync_wait_begin(curr);
	ksync_set_current_state(state);
	for (;;) {
		if (ww_trylock(lock, curr))
			break;
		if (ksync_cpu_signal_pending_state(state, curr)) {
			ret = -EINTR;
			break;
		}
		if (ww_ctx && (ret = ww_check_kill(lock, waiter, ww_ctx, site)))
			break;
		ww_wait_unlock(lock);
		ksync_schedule_until(0);
		ww_wait_lock(lock);
		ksync_set_current_state(state);
	}
	ksync___set_current_state(TASK_RUNNING);
	/* Wound-wait: we may have overtaken older waiters; they may wound us. */
	if (!ret && ww_ctx && !ww_ctx->is_wait_die && !ww_waiter_is_first(lock, waiter)) {
		ww_remove_waiter(lock, waiter);
		ww_check_waiters(lock, ww_ctx);
	} else {
		ww_remove_waiter(lock, waiter);
	}
	return ret;
}

static void ww_report_recursion(struct ww_mutex *lock, struct ww_acquire_ctx *ctx,
				const struct ksync_site *site)
{
	if (ctx)
		ksync_debug_locks_warn(site, "__mutex_owner(lock) == current",
				       "ww_mutex %s: this thread holds it under another "
				       "ctx (or none); locking it again deadlocks\n",
				       ww_name(lock));
	else
		ksync_debug_locks_warn(site, "__mutex_owner(lock) == current",
				       "ww_mutex %s: this thread already holds it; locking "
				       "it again deadlocks\n", ww_name(lock));
}

KSYNC_API int ksync_ww_mutex_lock_slowpath(struct ww_mutex *lock,
					   struct ww_acquire_ctx *ww_ctx,
					   unsigned int state,
					   const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	struct ww_waiter waiter = { .task = curr, .ww_ctx = ww_ctx };
	struct lockdep_map *nest = NULL;
	bool debug = ksync_debug_active();
	uintptr_t ip;
	int ret;

	site = ksync_site_resolve(site);
	ip = KSYNC_SITE_IP(site, RET_IP);
	ww_check_initialised(lock, site);
	if (ww_ctx) {
		if (__ksync_unlikely(__atomic_load_n(&lock->ctx, __ATOMIC_RELAXED) == ww_ctx))
			return -EALREADY;
		/* Nobody wounds a ctx that holds nothing: forget an old wound. */
		if (!ww_ctx->acquired)
			__atomic_store_n(&ww_ctx->wounded, 0, __ATOMIC_RELAXED);
		nest = &ww_ctx->dep_map;
	}
	if (debug)
		mutex_acquire_nest(&lock->base.dep_map, 0, 0, nest, ip);
	if (ww_owner(lock) == curr)
		ww_report_recursion(lock, ww_ctx, site);

	ww_wait_lock(lock);
	if (ww_trylock(lock, curr)) {
		if (ww_ctx)
			ww_check_waiters(lock, ww_ctx);
		goto acquired;
	}
	if (debug)
		lock_contended(&lock->base.dep_map, ip);
	ret = ww_queue(lock, &waiter, ww_ctx, site);
	if (!ret)
		ret = ww_wait(lock, &waiter, ww_ctx, state, site);
	if (ret) {
		ww_wait_unlock(lock);
		if (debug)
			mutex_release(&lock->base.dep_map, ip);
		return ret;
	}
acquired:
	if (ww_ctx)
		ww_lock_acquired(lock, ww_ctx, site);
	ww_wait_unlock(lock);
	if (debug)
		lock_acquired(&lock->base.dep_map, ip);
	return 0;
}

/*
 * The inline path took the lock while threads were queued: they may have
 * looked for lock->ctx too early; check them now, as they would have.
 */
KSYNC_API void ksync_ww_mutex_fast_waiters(struct ww_mutex *lock,
					   struct ww_acquire_ctx *ctx)
{
	ww_wait_lock(lock);
	ww_check_waiters(lock, ctx);
	ww_wait_unlock(lock);
}

KSYNC_API int ksync_ww_mutex_trylock_slowpath(struct ww_mutex *lock,
					      struct ww_acquire_ctx *ww_ctx,
					      const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu();
	uintptr_t ip = RET_IP;

	site = ksync_site_resolve(site);
	ww_check_initialised(lock, site);
	if (ww_ctx && !ww_ctx->acquired)
		__atomic_store_n(&ww_ctx->wounded, 0, __ATOMIC_RELAXED);
	if (!ww_trylock(lock, curr))
		return 0;
	if (ww_ctx) {
		ww_wait_lock(lock);
		ww_lock_acquired(lock, ww_ctx, site);
		ww_check_waiters(lock, ww_ctx);
		ww_wait_unlock(lock);
	}
	if (ksync_debug_active()) {
		mutex_acquire_nest(&lock->base.dep_map, 0, 1,
				   ww_ctx ? &ww_ctx->dep_map : NULL,
				   KSYNC_SITE_IP(site, ip));
		lock_acquired(&lock->base.dep_map, KSYNC_SITE_IP(site, ip));
	}
	return 1;
}

/* --- unlock ------------------------------------------------------------------------ */

/* Refuse (and say so) an unlock by a thread that does not hold the lock. */
static bool ww_unlock_allowed(struct ww_mutex *lock, struct ksync_cpu *curr,
			      const struct ksync_site *site)
{
	struct ksync_cpu *holder = ww_owner(lock);
	char comm[KSYNC_COMM_LEN];

	if (__ksync_likely(holder == curr))
		return true;
	if (!holder)
		ksync_debug_locks_warn(site, "__owner_task(owner) != current",
				       "ww_mutex_unlock(%s): the ww_mutex is not locked\n",
				       ww_name(lock));
	else if (!(holder = ksync_task_or_null(holder)))
		ksync_debug_locks_warn(site, "__owner_task(owner) != current",
				       "ww_mutex_unlock(%s): its owner word is not a "
				       "thread's\n", ww_name(lock));
	else
		ksync_debug_locks_warn(site, "__owner_task(owner) != current",
				       "ww_mutex_unlock(%s): held by %s/%d (and its ctx), "
				       "not by this thread\n", ww_name(lock),
				       ksync_comm_of(holder->tid, comm), (int)holder->tid);
	return false;
}

/*
 * Debugging, or the inline release failed (WAITERS, or not ours): check,
 * forget the ctx, release, and wake the first waiter.  Waking only the
 * first is enough: a waiter that leaves with an error took the lock
 * instead if it was free (ww_wait()), and a waiter that was overtaken
 * sleeps until the next unlock.
 */
KSYNC_API void ksync_ww_mutex_unlock_slowpath(struct ww_mutex *lock,
					      const struct ksync_site *site)
{
	struct ksync_cpu *curr = ksync_this_cpu(), *next = NULL;
	struct ww_acquire_ctx *ctx;
	long owner;

	site = ksync_site_resolve(site);
	ww_check_initialised(lock, site);
	if (ksync_debug_active())
		mutex_release(&lock->base.dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (!ww_unlock_allowed(lock, curr, site))
		return;
	ctx = __atomic_load_n(&lock->ctx, __ATOMIC_RELAXED);
	if (ctx) {
		WW_WARN_ON(!lock->ctx->acquired, site,
			   "ww_mutex_unlock(%s): its ctx holds no lock by its own "
			   "count (re-initialised, or finished, while holding it?)\n",
			   ww_name(lock));
		if (ctx->acquired > 0)
			ctx->acquired--;
		__atomic_store_n(&lock->ctx, NULL, __ATOMIC_RELAXED);
	}
	/*
	 * Release, keeping WAITERS: pairs with the next owner's acquire.
	 * Fully ordered: also acquires the last waiter's leaving (see
	 * ww_remove_waiter()) when we return without taking wait_lock.
	 */
	owner = atomic_long_read(&lock->base.owner);
	while (!atomic_long_try_cmpxchg(&lock->base.owner, &owner,
					owner & (long)MUTEX_FLAG_WAITERS))
		;
	if (!(owner & (long)MUTEX_FLAG_WAITERS))
		return;
	ww_wait_lock(lock);
	if (!list_empty(ww_list(lock)))
		next = ww_waiter_first(lock)->task;
	ww_wait_unlock(lock);
	if (next)
		ksync_wake_cpu(next);
}

/* --- the acquire context ------------------------------------------------------------- */

KSYNC_API void ksync_ww_acquire_init(struct ww_acquire_ctx *ctx,
				     struct ww_class *ww_class,
				     const struct ksync_site *site)
{
	ctx->task = current;
	/* Relaxed: only uniqueness and order of the stamps matter. */
	ctx->stamp = (unsigned long)atomic_long_inc_return_relaxed(&ww_class->stamp);
	ctx->acquired = 0;
	ctx->wounded = 0;
	ctx->is_wait_die = (unsigned short)ww_class->is_wait_die;
	ctx->ww_class = ww_class;
	ctx->done_acquire = 0;
	ctx->contending_lock = NULL;
	if (ksync_debug_active())
		ksync_debug_check_no_locks_freed(ctx, sizeof(*ctx));
	ksync_lockdep_init_map(&ctx->dep_map, ww_class->acquire_name,
			       &ww_class->acquire_key, 0, 0, KSYNC_LOCK_OTHER);
	if (ksync_debug_active())
		mutex_acquire(&ctx->dep_map, 0, 0,
			      KSYNC_SITE_IP(ksync_site_resolve(site), RET_IP));
}

KSYNC_API void ksync_ww_acquire_done(struct ww_acquire_ctx *ctx,
				     const struct ksync_site *site)
{
	site = ksync_site_resolve(site);
	if (!ksync_debug_checks())
		return;
	if (ksync_lock_is_held_type(&ctx->dep_map, -1) == LOCK_STATE_NOT_HELD)
		ksync_lockdep_assert_failed(site, "lock not held");
	WW_WARN_ON(ctx->done_acquire, site,
		   "ww_acquire_done(): called twice, or after ww_acquire_fini()\n");
	ctx->done_acquire = 1;
}

KSYNC_API void ksync_ww_acquire_fini(struct ww_acquire_ctx *ctx,
				     const struct ksync_site *site)
{
	site = ksync_site_resolve(site);
	if (ksync_debug_active())
		mutex_release(&ctx->dep_map, KSYNC_SITE_IP(site, RET_IP));
	if (!ksync_debug_checks())
		return;
	WW_WARN_ON(ctx->acquired, site,
		   "ww_acquire_fini(): the ctx still holds %u ww_mutex(es)%s\n",
		   ctx->acquired, ctx->acquired == ~0u ? " (or was finished twice)" : "");
	/* Later use of the ctx is caught by the checks, as in the kernel. */
	ctx->done_acquire = 1;
	ctx->acquired = ~0u;
}

/* ww_mutex_lock_slow(): only after -EDEADLK (it would wait for ever, never die). */
KSYNC_API void ksync_ww_mutex_lock_slow_check(struct ww_acquire_ctx *ctx,
					      const struct ksync_site *site)
{
	if (!ksync_debug_checks())
		return;
	WW_WARN_ON(!ctx->contending_lock, ksync_site_resolve(site),
		   "ww_mutex_lock_slow() without an -EDEADLK to back off from\n");
}
