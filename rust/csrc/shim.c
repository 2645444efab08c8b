// SPDX-License-Identifier: MIT
/*
 * The Rust crate's door into ksync: out-of-line ksync_rs_* functions over
 * the C API's static inline entry points, which Rust cannot call.
 *
 * Each takes the call site record the Rust side made for the caller's
 * source line (src/site.rs), or NULL when no debugging is switched on; the
 * inline bodies only look at it on their debug paths, as in C.  With
 * debugging off each function is the C fast path plus one call.
 */
#include <errno.h>
#include <stdint.h>

#include <ksync/ksync.h>

typedef const struct ksync_site site_t;

/* --- spinlock_t: SpinLockBackend, SpinLockIrqBackend -------------------- */

void ksync_rs_spin_lock_init(spinlock_t *lock, const char *name,
			     struct lock_class_key *key)
{
	ksync_raw_spin_lock_init(spinlock_check(lock), name, key, LD_WAIT_CONFIG);
}

void ksync_rs_spin_lock(spinlock_t *lock, site_t *site)
{
	__ksync_raw_spin_lock(spinlock_check(lock), 0, site);
}

int ksync_rs_spin_trylock(spinlock_t *lock, site_t *site)
{
	return __ksync_raw_spin_trylock(spinlock_check(lock), site);
}

void ksync_rs_spin_unlock(spinlock_t *lock, site_t *site)
{
	__ksync_raw_spin_unlock(spinlock_check(lock), site);
}

/* The counted forms: interrupts off while held, in any release order. */
void ksync_rs_spin_lock_irq_disable(spinlock_t *lock, site_t *site)
{
	__ksync_raw_spin_lock_irq_disable(spinlock_check(lock), site);
}

int ksync_rs_spin_trylock_irq_disable(spinlock_t *lock, site_t *site)
{
	return __ksync_raw_spin_trylock_irq_disable(spinlock_check(lock), site);
}

void ksync_rs_spin_unlock_irq_enable(spinlock_t *lock, site_t *site)
{
	__ksync_raw_spin_unlock_irq_enable(spinlock_check(lock), site);
}

int ksync_rs_spin_is_locked(spinlock_t *lock)
{
	return spin_is_locked(lock);
}

/*
 * For the Rust inline fast path (src/sync/lock/spinlock_fast.rs): this
 * thread's preempt_count() word.  ksync_tls is C thread-local storage,
 * which stable Rust cannot name; its address is fixed for the thread's
 * life, so the Rust side asks once per thread and keeps it in a Rust
 * thread_local.  Only this thread and its signal handlers touch the word,
 * as in C.
 */
unsigned int *ksync_rs_preempt_count_ptr(void)
{
	return &ksync_tls.preempt_count;
}

/* preempt_count(), for tests and assertions. */
unsigned int ksync_rs_preempt_count(void)
{
	return (unsigned int)preempt_count();
}

/* --- struct mutex: MutexBackend ----------------------------------------- */

void ksync_rs_mutex_init(struct mutex *lock, const char *name,
			 struct lock_class_key *key)
{
	ksync_mutex_init(lock, name, key);
}

/*
 * With debugging on (shim_fast.c has the lock without it).  A site can
 * still be missing (the Rust side's table of them is full): then a
 * might_sleep() report names the Rust caller's code address instead, as
 * for the preload library's callers (ksync_tls.caller_ip).
 */
#define RS_RET_IP	((uintptr_t)__builtin_extract_return_addr(__builtin_return_address(0)))

void ksync_rs_mutex_lock(struct mutex *lock, site_t *site)
{
	uintptr_t saved = ksync_tls.caller_ip;

	if (!site)
		ksync_tls.caller_ip = RS_RET_IP;
	(void)__ksync_mutex_lock(lock, TASK_UNINTERRUPTIBLE, 0, NULL, site);
	ksync_tls.caller_ip = saved;
}

int ksync_rs_mutex_trylock(struct mutex *lock, site_t *site)
{
	return __ksync_mutex_trylock(lock, site);
}

void ksync_rs_mutex_unlock(struct mutex *lock, site_t *site)
{
	__ksync_mutex_unlock(lock, site);
}

int ksync_rs_mutex_is_locked(struct mutex *lock)
{
	return mutex_is_locked(lock);
}

/*
 * Backend::assert_is_held(): lockdep_assert_held().  Only held-lock
 * tracking (KSYNC_DEBUG or KSYNC_LOCKDEP) can tell; without it the
 * assertion passes, as in a kernel without lockdep.
 */
void ksync_rs_assert_held(struct lockdep_map *map, site_t *site)
{
	if (ksync_lock_is_held_type(map, -1) == LOCK_STATE_NOT_HELD)
		ksync_lockdep_assert_failed(site, "lock not held");
}

struct lockdep_map *ksync_rs_spin_dep_map(spinlock_t *lock)
{
	return &lock->dep_map;
}

struct lockdep_map *ksync_rs_mutex_dep_map(struct mutex *lock)
{
	return &lock->dep_map;
}

/* --- interrupts: kernel::interrupt ------------------------------------- */

void ksync_rs_local_interrupt_disable(site_t *site)
{
	(void)__ksync_local_interrupt_disable(site);
}

void ksync_rs_local_interrupt_enable(site_t *site)
{
	__ksync_local_interrupt_enable(site);
}

int ksync_rs_irqs_disabled(void)
{
	return irqs_disabled();
}

unsigned int ksync_rs_local_interrupt_disable_count(void)
{
	return local_interrupt_disable_count();
}

/*
 * A LocalInterruptDisabled token used while interrupts are on: only
 * possible through LocalInterruptDisabled::assume_disabled() misused.
 * Checked with debugging on, as spin_lock_with() checks its token in C.
 */
void ksync_rs_check_token(const char *what, site_t *site)
{
	if (ksync_debug_active() && !irqs_disabled())
		ksync_token_misuse(what, site);
}

/* In an interrupt handler (a signal) or NMI: no allocation is safe here. */
int ksync_rs_in_irq(void)
{
	return (preempt_count() & (HARDIRQ_MASK | NMI_MASK)) != 0;
}

/* --- condition variables: kernel::sync::CondVar -------------------------- */

void ksync_rs_condvar_init(struct condvar *cv, const char *name,
			   struct lock_class_key *key)
{
	ksync_condvar_init(cv, name, key);
}

/*
 * CondVar::wait() over any Rust Guard: the wait releases and retakes the
 * lock through the guard's own Backend (Rust callbacks), the kernel's
 * guard.do_unlocked(), so every lock flavour relocks the way it locked.
 */
struct rs_wait {
	void *guard;
	void (*unlock)(void *guard);
	void (*relock)(void *guard);
};

/* The caller lent the wait a &mut Guard: the lock is held, proved by Rust. */
static bool rs_guard_held(void *lock)
{
	(void)lock;
	return true;
}

static unsigned long rs_guard_unlock(void *lock, site_t *site)
{
	struct rs_wait *w = lock;

	(void)site;
	w->unlock(w->guard);
	return 0;
}

static void rs_guard_relock(void *lock, unsigned long cookie, site_t *site)
{
	struct rs_wait *w = lock;

	(void)cookie;
	(void)site;
	w->relock(w->guard);
}

static const struct ksync_condvar_backend rs_guard_backend = {
	.name = "Rust Guard",
	.held = rs_guard_held,
	.unlock = rs_guard_unlock,
	.relock = rs_guard_relock,
};

/* As ksync_condvar_wait(): jiffies left (>= 1) if woken, 0, or -EINTR. */
long ksync_rs_condvar_wait(struct condvar *cv, void *guard,
			   void (*unlock)(void *), void (*relock)(void *),
			   int interruptible, long timeout, site_t *site)
{
	struct rs_wait w = { .guard = guard, .unlock = unlock, .relock = relock };
	uintptr_t saved = ksync_tls.caller_ip;
	long ret;

	/* A wait may sleep: named as in ksync_rs_mutex_lock(). */
	if (!site)
		ksync_tls.caller_ip = RS_RET_IP;
	ret = ksync_condvar_wait(cv, &w, &rs_guard_backend,
				 interruptible ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE,
				 timeout, site);
	ksync_tls.caller_ip = saved;
	return ret;
}

unsigned long ksync_rs_msecs_to_jiffies(unsigned int ms)
{
	return msecs_to_jiffies(ms);
}

/* --- call sites ------------------------------------------------------------ */

/*
 * The address the caller returns to: inside the Rust function that wrote
 * the lock call, since the crate's lock methods are #[inline(always)].
 * Names that function in the call site record.
 */
__attribute__((noinline)) uintptr_t ksync_rs_return_address(void)
{
	return (uintptr_t)__builtin_extract_return_addr(__builtin_return_address(0));
}
