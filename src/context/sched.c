// SPDX-License-Identifier: MIT
/* schedule_until()/wake_cpu() are modelled in models/{mutex,completion}.pml. */
/*
 * might_sleep() and cant_sleep() reports (kernel/sched/core.c
 * __might_resched), "scheduling while atomic" (__schedule_bug), the
 * preemption count's checks (CONFIG_DEBUG_PREEMPT), the sleeping core,
 * and the hook that lets an interrupt wake an interruptible sleeper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <ksync/sched.h>
#include "blocked.h"
#include "cpu.h"
#include "futex.h"
#include "irq_internal.h"
#include "lockdep_hooks.h"
#include "debug_checks.h"
#include "site.h"
#include "report.h"
#include "sched_internal.h"
#include "spin_clock.h"
#include <ksync/jiffies.h>
#include <ksync/barrier.h>

/*
 * Once a second at most, as the kernel's prev_jiffy check; the second
 * counts from the end of the last report, which may take long to print
 * (symbolising its backtrace), so that it is not spent printing.
 */
static uint64_t prev;

static bool rate_limited(void)
{
	uint64_t now = ksync_now_ns();
	uint64_t last = __atomic_load_n(&prev, __ATOMIC_RELAXED);

	if (last && now - last < 1000000000ull)
		return true;
	return !__atomic_compare_exchange_n(&prev, &last, now, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static const char *site_file(const struct ksync_site *site)
{
	const char *slash;

	if (!site)
		return "?";
	slash = __builtin_strrchr(site->file, '/');
	return slash ? slash + 1 : site->file;
}

KSYNC_API void ksync_might_resched_report(const struct ksync_site *site,
					  int expected_preempt)
{
	uintptr_t ip = ksync_tls.caller_ip ? ksync_tls.caller_ip :
		       (uintptr_t)__builtin_return_address(0);
	char comm[KSYNC_COMM_LEN];

	if (rate_limited())
		return;
	/* A sleep inside a guard() body names the guard()'s line. */
	site = ksync_site_resolve(site);
	ksync_report_lock();
	if (site) {
		ksync_printk("BUG: sleeping function called from invalid context at %s:%d\n",
			     site_file(site), site->line);
	} else {
		char where[256];

		/* The program's call (down(): functions without a site). */
		ksync_printk("BUG: sleeping function called from invalid context at %s\n",
			     ksync_site_str(NULL, ip, where, sizeof(where)));
	}
	ksync_printk("in_atomic(): %d, irqs_disabled(): %d, non_block: %d, pid: %d, name: %s\n",
		     in_atomic() ? 1 : 0, irqs_disabled() ? 1 : 0, 0,
		     (int)ksync_gettid(), ksync_comm(comm));
	ksync_printk("preempt_count: %x, expected: %x\n", (unsigned)preempt_count(),
		     (unsigned)expected_preempt);
	ksync_printk("RCU nest depth: %u, expected: %u\n",
		     __atomic_load_n(&ksync_tls.rcu_read_lock_nesting, __ATOMIC_RELAXED), 0u);
	ksync_lockdep_print_held_locks_if_tracked();
	if (irqs_disabled())
		ksync_print_irqtrace_events();
	ksync_print_preempt_disable_site();
	ksync_dump_stack();
	ksync_report_unlock();
	__atomic_store_n(&prev, ksync_now_ns(), __ATOMIC_RELAXED);
}

KSYNC_API void ksync_cant_sleep_report(const struct ksync_site *site)
{
	char comm[KSYNC_COMM_LEN];

	if (rate_limited())
		return;
	ksync_report_lock();
	ksync_printk("BUG: assuming atomic context at %s:%d\n", site_file(site),
		     site ? site->line : 0);
	ksync_printk("in_atomic(): %d, irqs_disabled(): %d, pid: %d, name: %s\n",
		     in_atomic() ? 1 : 0, irqs_disabled() ? 1 : 0,
		     (int)ksync_gettid(), ksync_comm(comm));
	ksync_printk("preempt_count: %x, expected: %x\n", (unsigned)preempt_count(), 0u);
	ksync_dump_stack();
	ksync_report_unlock();
}

/*
 * The kernel's __schedule_bug(): schedule() called with a spinlock held,
 * preemption disabled or inside a handler.  Always checked, as in the
 * kernel (one read of the count); every occurrence is printed, as there.
 * Not a lockdep report: debug_locks stays on.  The kernel then sets the
 * count back to what schedule() expects; ksync leaves it, since the
 * locks that raised it are still held and their unlocks will lower it.
 */
static void __attribute__((noinline)) schedule_bug(void)
{
	char comm[KSYNC_COMM_LEN];

	ksync_report_lock();
	ksync_printk("BUG: scheduling while atomic: %s/%d/0x%08x\n", ksync_comm(comm),
		     (int)ksync_gettid(), (unsigned)preempt_count());
	ksync_lockdep_print_held_locks_if_tracked();
	if (irqs_disabled())
		ksync_print_irqtrace_events();
	ksync_print_preempt_disable_site();
	ksync_dump_stack();
	ksync_report_unlock();
}

/*
 * The kernel's rcu_note_context_switch() under CONFIG_PREEMPT_RCU: a
 * thread that sleeps inside rcu_read_lock() holds up every grace period
 * (and every call_rcu() callback) until it wakes.  Once per process, as
 * the kernel's WARN_ONCE.
 */
static void __attribute__((noinline)) rcu_context_switch_bug(void)
{
	static const struct ksync_site site = {
		__FILE__, "schedule", "rcu_read_lock_nesting", __LINE__
	};

	ksync_warn_once(&site, "Voluntary context switch within RCU read-side critical section!\n");
}

/* --- the preemption count's checks (CONFIG_DEBUG_PREEMPT) --------------------- */

/*
 * The inline preempt_count_add()/_sub() come here only when the count
 * is about to leave its field (see preempt.h).  With the debug checks on
 * these are the kernel's checks; an underflow is then refused, as there.
 * Without them, the count moves as it would have inline.
 */
KSYNC_API void ksync_preempt_count_add_slow(int val, const struct ksync_site *site)
{
	unsigned int c = (unsigned int)preempt_count();

	if (ksync_debug_checks()) {
		if ((int)c < 0) {
			ksync_debug_locks_warn(site, "(preempt_count() < 0)",
					       "preempt_count %08x: an earlier preempt_enable() "
					       "had no preempt_disable()\n", c);
			return;
		}
		__preempt_count_add(val);
		if ((preempt_count() & PREEMPT_MASK) >= PREEMPT_MASK - 10)
			ksync_debug_locks_warn(site,
					       "(preempt_count() & PREEMPT_MASK) >= PREEMPT_MASK - 10",
					       "preempt_count %08x: preemption disabled %u times "
					       "over; past %lu it spills into the softirq count\n",
					       (unsigned)preempt_count(),
					       (unsigned)(preempt_count() & PREEMPT_MASK),
					       PREEMPT_MASK);
		return;
	}
	__preempt_count_add(val);
}

KSYNC_API void ksync_preempt_count_sub_slow(int val, const struct ksync_site *site)
{
	unsigned int c = (unsigned int)preempt_count();

	if (ksync_debug_checks()) {
		if (val > (int)c) {
			ksync_debug_locks_warn(site, "val > preempt_count()",
					       "preempt_count %08x: enabling preemption that "
					       "was not disabled\n", c);
			return;
		}
		if ((unsigned int)val < PREEMPT_MASK && !(c & PREEMPT_MASK)) {
			ksync_debug_locks_warn(site,
					       "(val < PREEMPT_MASK) && !(preempt_count() & PREEMPT_MASK)",
					       "preempt_count %08x: enabling preemption that "
					       "was not disabled\n", c);
			return;
		}
	}
	__preempt_count_sub(val);
}

/* --- jiffies ----------------------------------------------------------------- */

static uint64_t jiffies_epoch;

/* Counted from the first call, so it starts small and never wraps early. */
KSYNC_API unsigned long ksync_jiffies(void)
{
	uint64_t now = ksync_now_ns(), epoch = __atomic_load_n(&jiffies_epoch, __ATOMIC_RELAXED);

	if (!epoch) {
		uint64_t zero = 0;

		epoch = now - 1;
		if (!__atomic_compare_exchange_n(&jiffies_epoch, &zero, epoch, 0,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			epoch = zero;
	}
	return (unsigned long)((now - epoch) / (1000000000ull / HZ));
}

uint64_t ksync_jiffies_deadline(long timeout)
{
	if (timeout == MAX_SCHEDULE_TIMEOUT || timeout < 0)
		return 0;
	return ksync_now_ns() + (uint64_t)timeout * (1000000000ull / HZ);
}

long ksync_jiffies_left(uint64_t deadline_ns)
{
	uint64_t now = ksync_now_ns();
	uint64_t tick = 1000000000ull / HZ;

	if (!deadline_ns)
		return MAX_SCHEDULE_TIMEOUT;
	if (now >= deadline_ns)
		return 0;
	/* Round up: time left is never reported as none. */
	return (long)((deadline_ns - now + tick - 1) / tick);
}

/* --- task state, sleeping, waking --------------------------------------------- */

KSYNC_API struct task_struct *ksync_current(void)
{
	return cpu_task(ksync_this_cpu());
}

/*
 * The kernel's __set_task_comm(): the task's comm and, for the calling
 * thread, the thread's name as the system shows it.  Another thread's
 * name is set by the thread itself (this may race with a reader of comm
 * in that thread, as in the kernel: a torn name, never an overrun).
 */
KSYNC_API void ksync_set_task_comm(struct task_struct *p, const char *name)
{
	size_t i = 0;

	for (; i < TASK_COMM_LEN - 1 && name[i]; i++)
		p->comm[i] = name[i];
	for (; i < TASK_COMM_LEN; i++)
		p->comm[i] = '\0';
	if (task_cpu_block(p) == ksync_this_cpu_or_null())
		prctl(PR_SET_NAME, p->comm, 0, 0, 0);
}

/* Only this thread writes its count; others may read it (relaxed). */
KSYNC_API void ksync_migrate_disable(void)
{
	struct task_struct *p = ksync_current();

	__atomic_store_n(&p->migration_disabled, p->migration_disabled + 1,
			 __ATOMIC_RELAXED);
}

/* The kernel's WARN_ON_ONCE(!p->migration_disabled), and the count stays. */
KSYNC_API void ksync_migrate_enable(const struct ksync_site *site)
{
	struct task_struct *p = ksync_current();

	if (__ksync_unlikely(!p->migration_disabled)) {
		ksync_warn_once(site, "migrate_enable() without migrate_disable()\n");
		return;
	}
	__atomic_store_n(&p->migration_disabled, p->migration_disabled - 1,
			 __ATOMIC_RELAXED);
}

/* smp_store_mb(): the condition is read after the state is visible. */
KSYNC_API void ksync_set_current_state(unsigned int state)
{
	__atomic_store_n(&context_cpu(ksync_this_cpu())->state, state, __ATOMIC_SEQ_CST);
}

KSYNC_API void ksync___set_current_state(unsigned int state)
{
	__atomic_store_n(&context_cpu(ksync_this_cpu())->state, state, __ATOMIC_RELAXED);
}

/*
 * ThreadSanitizer runs a signal handler only when the thread enters an
 * intercepted libc call; a raw futex wait is not one.  So under it sleeps
 * are cut into slices, and clock_gettime() between them (intercepted)
 * lets an interrupt wake an interruptible sleep.  Under it: this library
 * built with it, or a program built with it using the plain library, when
 * TSan's runtime (__tsan_init) is in the process.
 */
#define SLEEP_SLICE_NS	5000000ull
#ifdef __SANITIZE_THREAD__
#define sleep_sliced()	true
#else
extern void __tsan_init(void) __attribute__((weak));
#define sleep_sliced()	(__tsan_init != NULL)
#endif

/*
 * The hung-task detector watches an uninterruptible sleep only, as the
 * kernel's ("==": not killable, not TASK_IDLE); a deadline does not
 * change what the sleep is.
 */
static bool hung_task_watches(uint32_t state)
{
	return (state & ~(uint32_t)KSYNC_TASK_DEADLINE) == TASK_UNINTERRUPTIBLE;
}

static bool schedule_sleep(struct ksync_cpu *c, uint64_t deadline_ns);

/*
 * A watched sleep wakes once, a while in, to save its backtrace for the
 * detector (base/blocked.c says why not at once): the sleep's length.
 */
static uint64_t frames_due_in(struct ksync_cpu *c, uint64_t now, uint64_t left)
{
	uint64_t due = ksync_blocked_frames_due(c);

	if (due == UINT64_MAX)
		return left;
	if (now >= due) {
		ksync_blocked_save_frames(c);
		return left;
	}
	return due - now < left ? due - now : left;
}

bool ksync_schedule_until(uint64_t deadline_ns)
{
	struct ksync_cpu *c = ksync_this_cpu();
	uint32_t state = __atomic_load_n(&context_cpu(c)->state, __ATOMIC_RELAXED);
	bool woken;

	if (state == TASK_RUNNING)
		return schedule_sleep(c, deadline_ns);
	/* "Blocked since", for the hung-task detector (base/blocked.h). */
	ksync_blocked_begin(c, hung_task_watches(state));
	woken = schedule_sleep(c, deadline_ns);
	ksync_blocked_end(c);
	return woken;
}

static bool schedule_sleep(struct ksync_cpu *c, uint64_t deadline_ns)
{
	uint32_t state;

	if (__ksync_unlikely(preempt_count()))
		schedule_bug();
	if (__ksync_unlikely(__atomic_load_n(&ksync_tls.rcu_read_lock_nesting,
					     __ATOMIC_RELAXED)))
		rcu_context_switch_bug();

	if (!deadline_ns &&
	    (__atomic_load_n(&context_cpu(c)->state, __ATOMIC_RELAXED) & KSYNC_TASK_DEADLINE))
		deadline_ns = context_cpu(c)->wait_deadline;

	/* Acquire: pairs with the waker's release of TASK_RUNNING. */
	while ((state = __atomic_load_n(&context_cpu(c)->state, __ATOMIC_ACQUIRE)) != TASK_RUNNING) {
		uint64_t now = ksync_now_ns(), left = UINT64_MAX;
		struct timespec ts;

		if (deadline_ns) {
			if (now >= deadline_ns) {
				/* Timed out; a racing wake-up finds us running. */
				__atomic_store_n(&context_cpu(c)->state, TASK_RUNNING, __ATOMIC_RELAXED);
				return false;
			}
			left = deadline_ns - now;
		}
		if (sleep_sliced() && left > SLEEP_SLICE_NS)
			left = SLEEP_SLICE_NS;
		left = frames_due_in(c, now, left);
		/*
		 * Say that we sleep in the futex, then look at the state
		 * again (both seq_cst): a waker stores TASK_RUNNING, then
		 * reads in_futex (ksync_task_kick()).  Either it sees 1 and
		 * makes the FUTEX_WAKE, or our load below sees its
		 * TASK_RUNNING and we do not sleep; the futex wait itself
		 * rechecks the word in the kernel, so a wake-up that comes
		 * between the load and the wait is not lost either.
		 */
		__atomic_store_n(&context_cpu(c)->in_futex, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&context_cpu(c)->state, __ATOMIC_SEQ_CST) == state) {
			if (left == UINT64_MAX) {
				ksync_futex_wait(&context_cpu(c)->state, state, NULL);
			} else {
				ts = ksync_ns_to_timespec(left);
				ksync_futex_wait(&context_cpu(c)->state, state, &ts);
			}
		}
		__atomic_store_n(&context_cpu(c)->in_futex, 0, __ATOMIC_RELAXED);
	}
	return true;
}

/*
 * Before a futex sleep, wait this long on a running CPU for the wake-up
 * (docs/design-spinning.md): a sleep and its wake-up cost 5-50 us here
 * (two system calls, two context switches, an idle CPU's exit), a
 * partner on another CPU often answers within a few.  Spinning on our
 * own state word costs the waker nothing: it finds us running and
 * makes no FUTEX_WAKE.
 */
#define WAKE_SPIN_NS	20000ull

/* After this many misses in a row, a spin is tried once per 2^n sleeps. */
#define WAKE_SPIN_MAX_SHIFT	10

/* Hardware CPUs online (0: not counted yet). */
static int online_cpus;

static bool one_cpu_machine(void)
{
	int n = __atomic_load_n(&online_cpus, __ATOMIC_RELAXED);

	if (__ksync_unlikely(!n)) {
		long v = sysconf(_SC_NPROCESSORS_ONLN);

		n = v > 0 ? (int)v : 1;
		/* Relaxed: a plain cached number; racing callers agree. */
		__atomic_store_n(&online_cpus, n, __ATOMIC_RELAXED);
	}
	return n == 1;
}

/*
 * Spin while our state is not TASK_RUNNING, for WAKE_SPIN_NS at most;
 * true if a wake-up came.  A sleeper cannot know who will wake it (a
 * semaphore or a completion has no owner), so whether spinning can pay
 * is learnt: never on a one-CPU machine; elsewhere, a spin that ran out
 * (the waker was slow, or could not run because it shares our CPU:
 * threads pinned to one CPU, more threads than CPUs) makes the next
 * 1, 2, 4 ... 1024 sleeps go without one, and one that was answered
 * starts again.  So a thread that spins in vain wastes at most
 * WAKE_SPIN_NS per 1025 sleeps, about 20 ns a sleep.
 */
static bool spin_for_wakeup(struct ksync_cpu *c, uint64_t deadline_ns)
{
	struct ksync_context_cpu *x = context_cpu(c);
	uint64_t until;
	unsigned int i = 0;

	if (one_cpu_machine())
		return false;
	if (x->spin_skip) {
		x->spin_skip--;
		return false;
	}
	until = ksync_spin_deadline(WAKE_SPIN_NS);
	if (deadline_ns && deadline_ns < ksync_now_ns() + WAKE_SPIN_NS)
		return false;		/* a short timed wait: just sleep */
	/* Acquire: pairs with the waker's setting of TASK_RUNNING. */
	while (__atomic_load_n(&x->state, __ATOMIC_ACQUIRE) != TASK_RUNNING) {
		cpu_relax();
		if (++i % KSYNC_SPIN_CLOCK_EVERY == 0 && ksync_spin_expired(until))
			goto miss;
	}
	/*
	 * Woken, but only after the budget: we were preempted while
	 * spinning (the waker may have needed our CPU), so it did not pay.
	 */
	if (ksync_spin_expired(until))
		goto miss;
	x->spin_misses = 0;
	return true;
miss:
	if (x->spin_misses < WAKE_SPIN_MAX_SHIFT)
		x->spin_misses++;
	x->spin_skip = (uint16_t)(1u << x->spin_misses);
	return false;
}

bool ksync_schedule_spin_until(uint64_t deadline_ns)
{
	struct ksync_cpu *c = ksync_this_cpu();

	/*
	 * The sleep's own checks (scheduling while atomic) are made by
	 * ksync_schedule_until(), which a wake-up during the spin still
	 * goes through: it then returns at once.
	 */
	if (!preempt_count() && !(__atomic_load_n(&context_cpu(c)->state,
						  __ATOMIC_RELAXED) & KSYNC_TASK_DEADLINE))
		spin_for_wakeup(c, deadline_ns);
	return ksync_schedule_until(deadline_ns);
}

/* The wait queues' sleep (wait_event*(), hand-written loops): spins first. */
KSYNC_API void ksync_schedule(void)
{
	ksync_schedule_spin_until(0);
}

KSYNC_API long ksync_schedule_timeout(long timeout)
{
	uint64_t deadline = ksync_jiffies_deadline(timeout);

	if (!ksync_schedule_spin_until(deadline))
		return 0;
	return deadline ? ksync_jiffies_left(deadline) : MAX_SCHEDULE_TIMEOUT;
}

/*
 * seq_cst: pairs with set_current_state(); either the sleeper sees the
 * condition the waker set before calling us, or we see its sleeping state.
 */
/*
 * seq_cst pairs with the sleeper's set_current_state(): either it sees
 * the waker's condition, or we see its sleeping state.
 */
bool ksync_task_set_running(struct ksync_cpu *p, unsigned int mode)
{
	struct ksync_context_cpu *x = context_cpu(p);
	uint32_t state = __atomic_load_n(&x->state, __ATOMIC_SEQ_CST);

	while (state & mode)
		if (__atomic_compare_exchange_n(&x->state, &state, TASK_RUNNING, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return true;
	return false;
}

/*
 * Wake p's futex sleep on its state word, after p was made runnable
 * (seq_cst, in ksync_task_set_running() or ksync_wake_cpu()).  Only if
 * p is in or entering the futex wait: a sleeper that is still spinning,
 * or that never got that far, sees TASK_RUNNING itself (the seq_cst
 * pair in ksync_schedule_until()), so the system call would be wasted.
 * A 1 left from a later sleep of p only makes a spurious FUTEX_WAKE.
 */
void ksync_task_kick(struct ksync_cpu *p)
{
	if (__atomic_load_n(&context_cpu(p)->in_futex, __ATOMIC_SEQ_CST))
		ksync_futex_wake(&context_cpu(p)->state, 1);
}

int ksync_try_to_wake_up(struct ksync_cpu *p, unsigned int mode)
{
	if (!ksync_task_set_running(p, mode))
		return 0;
	ksync_task_kick(p);
	return 1;
}

bool ksync_wake_cpu(struct ksync_cpu *c)
{
	uint32_t state = __atomic_load_n(&context_cpu(c)->state, __ATOMIC_SEQ_CST);

	while (state != TASK_RUNNING) {
		if (__atomic_compare_exchange_n(&context_cpu(c)->state, &state, TASK_RUNNING, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			ksync_task_kick(c);
			return true;
		}
	}
	return false;
}

KSYNC_API long ksync_schedule_timeout_state(unsigned int state, long timeout)
{
	struct ksync_cpu *c = ksync_this_cpu();

	ksync_wait_begin(c);
	ksync_set_current_state(state);
	if (ksync_cpu_signal_pending_state(state, c)) {
		ksync___set_current_state(TASK_RUNNING);
		return timeout;
	}
	return ksync_schedule_timeout(timeout);
}

KSYNC_API int ksync_wake_up_process(struct task_struct *p)
{
	return ksync_wake_cpu(task_cpu_block(p));
}

bool ksync_cpu_signal_pending_state(unsigned int state, struct ksync_cpu *c)
{
	/* A timed wait gives up at its deadline the way a signal ends it. */
	if ((state & KSYNC_TASK_DEADLINE) && ksync_now_ns() >= context_cpu(c)->wait_deadline)
		return true;
	if (!(state & (TASK_INTERRUPTIBLE | TASK_WAKEKILL)))
		return false;
	if ((state & TASK_INTERRUPTIBLE) &&
	    __atomic_load_n(&context_cpu(c)->sigpending, __ATOMIC_RELAXED))
		return true;
	/* seq_cst: pairs with the sender's store, as set_current_state(). */
	return __atomic_load_n(&context_cpu(c)->fatal, __ATOMIC_SEQ_CST) != 0;
}

KSYNC_API int ksync_signal_pending(struct task_struct *p)
{
	struct ksync_cpu *c = task_cpu_block(p);

	return __atomic_load_n(&context_cpu(c)->sigpending, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&context_cpu(c)->fatal, __ATOMIC_ACQUIRE);
}

KSYNC_API int ksync_fatal_signal_pending(struct task_struct *p)
{
	return __atomic_load_n(&context_cpu(task_cpu_block(p))->fatal, __ATOMIC_ACQUIRE) != 0;
}

KSYNC_API int ksync_signal_pending_state(unsigned int state, struct task_struct *p)
{
	return ksync_cpu_signal_pending_state(state, task_cpu_block(p));
}

KSYNC_API void ksync_flush_signals(struct task_struct *p)
{
	__atomic_store_n(&context_cpu(task_cpu_block(p))->sigpending, 0, __ATOMIC_RELAXED);
}

/* The SIGKILL of ksync: wakes killable and interruptible sleeps for good. */
KSYNC_API int ksync_send_fatal_signal(int cpu)
{
	struct ksync_cpu *c;
	uint32_t state;

	if (cpu < 0 || cpu >= KSYNC_NR_CPUS || !ksync_cpu_tid(cpu))
		return -ESRCH;
	c = ksync_cpu_of(cpu);
	/*
	 * seq_cst: a sleeper stores its state then reads fatal; we store
	 * fatal then read its state: one of us sees the other.
	 */
	__atomic_store_n(&context_cpu(c)->fatal, 1, __ATOMIC_SEQ_CST);
	state = __atomic_load_n(&context_cpu(c)->state, __ATOMIC_SEQ_CST);
	while (state & (TASK_WAKEKILL | TASK_INTERRUPTIBLE)) {
		if (__atomic_compare_exchange_n(&context_cpu(c)->state, &state, TASK_RUNNING, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			ksync_futex_wake(&context_cpu(c)->state, 1);
			break;
		}
	}
	return 0;
}

/*
 * An interrupt was handled on this thread.  If the thread was in an
 * interruptible sleep, mark a signal pending and make it runnable: its
 * futex wait on the state word then returns (the kernel restarts the
 * wait after the handler, finds the word changed, and returns EAGAIN).
 */
void ksync_sched_irq_arrived(void)
{
	struct ksync_cpu *c = ksync_this_cpu_or_null();
	uint32_t state;

	if (!c)
		return;
	state = __atomic_load_n(&context_cpu(c)->state, __ATOMIC_RELAXED);
	if (!(state & KSYNC_TASK_INTERRUPTIBLE))
		return;
	__atomic_store_n(&context_cpu(c)->sigpending, 1, __ATOMIC_RELAXED);
	__atomic_compare_exchange_n(&context_cpu(c)->state, &state, KSYNC_TASK_RUNNING, 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}
