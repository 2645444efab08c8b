// SPDX-License-Identifier: MIT
/*
 * Lockdep's wait-context check ("BUG: Invalid wait context"), after the
 * kernel self-test's wait-context rows (lib/locking-selftest.c,
 * wait_context_tests()): a lock taken where what it waits by is not
 * allowed - in a hard interrupt, a softirq, an RCU read side, under a
 * raw_spinlock_t, spinlock_t or local_lock_t - with and without
 * KSYNC_PROVE_RAW_LOCK_NESTING=1, and the override map.  Each scenario
 * runs in a child and is matched on its output; the correct forms must
 * be silent in both modes.
 */
#include <signal.h>
#include <ksync/interrupt.h>
#include <ksync/local_lock.h>
#include <ksync/lockdep.h>
#include <ksync/mutex.h>
#include <ksync/percpu.h>
#include <ksync/rwsem.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#ifdef KTEST_HAVE_RCU
#include <ksync/rcupdate.h>
#endif
#include "ktest.h"

#define IRQ	SIGUSR1

static const char *const lax_env[] = { "KSYNC_LOCKDEP=1", NULL };
static const char *const strict_env[] = {
	"KSYNC_LOCKDEP=1", "KSYNC_PROVE_RAW_LOCK_NESTING=1", NULL
};
static const char *const keep_going_env[] = {
	"KSYNC_LOCKDEP=1", "KSYNC_KEEP_GOING=1", NULL
};
static const char *const bad_value_env[] = {
	"KSYNC_LOCKDEP=1", "KSYNC_PROVE_RAW_LOCK_NESTING=yes", NULL
};
static const char *const no_lockdep_env[] = { "KSYNC_PROVE_RAW_LOCK_NESTING=1", NULL };

#define BANNER	"[ BUG: Invalid wait context ]"

static DEFINE_RAW_SPINLOCK(raw_a);
static DEFINE_SPINLOCK(spin_a);
static DEFINE_SPINLOCK(spin_b);
static DEFINE_MUTEX(mutex_a);
static DEFINE_MUTEX(mutex_b);
static DECLARE_RWSEM(rwsem_a);
static DEFINE_PER_CPU(local_lock_t, llock) = INIT_LOCAL_LOCK(llock);

/* Annotations with no wait type (LD_WAIT_INV): never checked. */
static struct lock_class_key plain_key;
static struct lockdep_map plain_map = STATIC_LOCKDEP_MAP_INIT("plain_map", &plain_key);

static DEFINE_WAIT_OVERRIDE_MAP(allow_spin, LD_WAIT_CONFIG);
static DEFINE_WAIT_OVERRIDE_MAP(only_raw, LD_WAIT_SPIN);
static DEFINE_WAIT_OVERRIDE_MAP(nothing_waits, LD_WAIT_FREE);

/* What the code under test does: run in process context or a handler. */
static void (*body)(void);

static void debug_locks_line(void)
{
	struct ksync_lockdep_stats st;

	ksync_lockdep_get_stats(&st);
	printf("debug_locks=%d\n", st.debug_locks);
}

/* --- the contexts ---------------------------------------------------------------- */

static volatile int handled;
static int dev_id;
/* request_irq() flags: IRQF_NO_THREAD stays a hard interrupt on PREEMPT_RT. */
static unsigned long irq_flags;

static irqreturn_t handler(int irq, void *dev)
{
	body();
	handled++;
	return IRQ_HANDLED;
}

/* Run body in hardirq context: raised on this thread, waited for. */
static void in_hardirq_run(void (*fn)(void))
{
	int before = handled;

	body = fn;
	if (request_irq(IRQ, handler, irq_flags, "wait-context-test", &dev_id) != 0) {
		printf("request_irq failed\n");
		exit(3);
	}
	ksync_raise_irq(smp_processor_id(), IRQ);
	while (handled == before)
		ktest_sleep_ms(1);	/* TSan delivers at the next libc call */
	free_irq(IRQ, &dev_id);
}

static void tasklet_fn(unsigned long data)
{
	(void)data;
	body();
	handled++;
}

static DECLARE_TASKLET(tl, tasklet_fn, 0);

/* Run body in softirq context: a tasklet run by local_bh_enable(). */
static void in_softirq_run(void (*fn)(void))
{
	body = fn;
	local_bh_disable();
	tasklet_schedule(&tl);
	local_bh_enable();
}

/* --- what runs in them ------------------------------------------------------------- */

static void take_mutex(void)
{
	mutex_lock(&mutex_a);
	mutex_unlock(&mutex_a);
}

static void take_spin(void)
{
	spin_lock(&spin_a);
	spin_unlock(&spin_a);
}

static void take_raw(void)
{
	raw_spin_lock(&raw_a);
	raw_spin_unlock(&raw_a);
}

static void take_local_lock(void)
{
	local_lock(&llock);
	local_unlock(&llock);
}

/* --- scenarios -------------------------------------------------------------------- */

static void hardirq_mutex(void)
{
	in_hardirq_run(take_mutex);
	debug_locks_line();
}

static void hardirq_mutex_nothread(void)
{
	irq_flags = IRQF_NO_THREAD;
	hardirq_mutex();
}

static void hardirq_spin(void)
{
	in_hardirq_run(take_spin);
	debug_locks_line();
}

static void hardirq_spin_nothread(void)
{
	irq_flags = IRQF_NO_THREAD;
	hardirq_spin();
}

static void hardirq_spin_oneshot(void)
{
	irq_flags = IRQF_ONESHOT;
	hardirq_spin();
}

static void hardirq_raw(void)
{
	in_hardirq_run(take_raw);
	debug_locks_line();
}

static void hardirq_local_lock(void)
{
	in_hardirq_run(take_local_lock);
	debug_locks_line();
}

static void hardirq_local_lock_nothread(void)
{
	irq_flags = IRQF_NO_THREAD;
	hardirq_local_lock();
}

/* irq_enter() by hand: a hard interrupt context, never a thread. */
static void irq_enter_spin(void)
{
	local_irq_disable();
	irq_enter();
	take_spin();
	irq_exit();
	local_irq_enable();
	debug_locks_line();
}

static void softirq_mutex(void)
{
	in_softirq_run(take_mutex);
	debug_locks_line();
}

static void softirq_spin(void)
{
	in_softirq_run(take_spin);
	in_softirq_run(take_raw);
	in_softirq_run(take_local_lock);
	debug_locks_line();
}

static void raw_spin(void)
{
	raw_spin_lock(&raw_a);
	take_spin();
	raw_spin_unlock(&raw_a);
	debug_locks_line();
}

static void raw_mutex(void)
{
	raw_spin_lock(&raw_a);
	take_mutex();
	raw_spin_unlock(&raw_a);
	debug_locks_line();
}

static void spin_mutex(void)
{
	spin_lock(&spin_a);
	take_mutex();
	spin_unlock(&spin_a);
	debug_locks_line();
}

static void spin_rwsem(void)
{
	spin_lock(&spin_a);
	down_read(&rwsem_a);
	up_read(&rwsem_a);
	spin_unlock(&spin_a);
	debug_locks_line();
}

static void raw_local_lock(void)
{
	raw_spin_lock(&raw_a);
	take_local_lock();
	raw_spin_unlock(&raw_a);
	debug_locks_line();
}

static void local_lock_mutex(void)
{
	local_lock(&llock);
	take_mutex();
	local_unlock(&llock);
	debug_locks_line();
}

/* Everything that is right in process context, in either mode. */
static void process_correct(void)
{
	mutex_lock(&mutex_a);
	mutex_lock(&mutex_b);			/* mutex under mutex */
	down_write(&rwsem_a);
	local_lock(&llock);			/* spinning under sleeping */
	spin_lock(&spin_a);
	spin_lock(&spin_b);			/* spinlock_t under spinlock_t */
	raw_spin_lock(&raw_a);			/* raw under spinlock_t */
	lock_map_acquire(&plain_map);		/* LD_WAIT_INV: not checked */
	lock_map_release(&plain_map);
	raw_spin_unlock(&raw_a);
	spin_unlock(&spin_b);
	spin_unlock(&spin_a);
	local_unlock(&llock);
	up_write(&rwsem_a);
	mutex_unlock(&mutex_b);
	mutex_unlock(&mutex_a);
	debug_locks_line();
}

/* A trylock never waits: not checked (the kernel's next->trylock). */
static void trylock_not_checked(void)
{
	raw_spin_lock(&raw_a);
	if (mutex_trylock(&mutex_a))
		mutex_unlock(&mutex_a);
	if (spin_trylock(&spin_a))
		spin_unlock(&spin_a);
	raw_spin_unlock(&raw_a);
	debug_locks_line();
}

/* ... but a lock held by trylock still bounds what is taken inside it. */
static void under_trylock(void)
{
	if (raw_spin_trylock(&raw_a)) {
		take_spin();
		raw_spin_unlock(&raw_a);
	}
	debug_locks_line();
}

static void take_plain_map(void)
{
	lock_map_acquire(&plain_map);
	lock_map_release(&plain_map);
}

static void hardirq_plain_map(void)
{
	in_hardirq_run(take_plain_map);
	debug_locks_line();
}

/* An override map that allows spinlock_t where a raw lock is held. */
static void override_raises(void)
{
	raw_spin_lock(&raw_a);
	lock_map_acquire_try(&allow_spin);
	take_spin();
	lock_map_release(&allow_spin);
	raw_spin_unlock(&raw_a);
	debug_locks_line();
}

/* An override map that allows only raw spinning, in process context. */
static void override_lowers(void)
{
	lock_map_acquire_try(&only_raw);
	take_raw();
	take_spin();
	lock_map_release(&only_raw);
	debug_locks_line();
}

/* Wait-free: not even a raw spinlock. */
static void override_free(void)
{
	lock_map_acquire_try(&nothing_waits);
	take_raw();
	lock_map_release(&nothing_waits);
	debug_locks_line();
}

/* The override covers only what is inside it. */
static void override_released(void)
{
	raw_spin_lock(&raw_a);
	lock_map_acquire_try(&allow_spin);
	lock_map_release(&allow_spin);
	take_spin();
	raw_spin_unlock(&raw_a);
	debug_locks_line();
}

/*
 * The kernel self-test's local_lock rows (local_lock_2, local_lock_3A/B):
 * a local_lock_t is per CPU, so it links no interrupt-safe lock to an
 * interrupt-unsafe one; it is left out of the interrupt usage searches.
 */
static void local_lock_irq_order(void)
{
	unsigned long flags;

	take_local_lock();			/* HARDIRQ-ON */
	in_hardirq_run(take_spin);		/* spin_a: IN-HARDIRQ */
	local_irq_save(flags);
	spin_lock(&spin_a);
	take_local_lock();			/* spin_a -> llock: not an inversion */
	spin_unlock(&spin_a);
	local_irq_restore(flags);
	debug_locks_line();
}

static void local_lock_irq_order_3(void)
{
	unsigned long flags;

	local_lock(&llock);			/* HARDIRQ-ON */
	spin_lock(&spin_b);			/* llock -> spin_b, spin_b HARDIRQ-ON */
	spin_unlock(&spin_b);
	local_unlock(&llock);
	in_hardirq_run(take_spin);		/* spin_a: IN-HARDIRQ */
	local_irq_save(flags);
	spin_lock(&spin_a);
	take_local_lock();			/* spin_a -> llock -> spin_b: not a path */
	spin_unlock(&spin_a);
	local_irq_restore(flags);
	debug_locks_line();
}

/* ... but the same order without the local lock between is one (3B). */
static void local_lock_irq_order_3b(void)
{
	unsigned long flags;

	local_lock_irq_order_3();
	local_irq_save(flags);
	spin_lock(&spin_a);
	spin_lock(&spin_b);			/* spin_a -> spin_b: an inversion */
	spin_unlock(&spin_b);
	spin_unlock(&spin_a);
	local_irq_restore(flags);
	debug_locks_line();
}

/* Twice the same bug under KSYNC_KEEP_GOING=1: one report. */
static void keep_going_once(void)
{
	for (int i = 0; i < 2; i++) {
		spin_lock(&spin_a);
		take_mutex();
		spin_unlock(&spin_a);
	}
	debug_locks_line();
}

#ifdef KTEST_HAVE_RCU
static void rcu_mutex(void)
{
	rcu_read_lock();
	take_mutex();
	rcu_read_unlock();
	debug_locks_line();
}

static void rcu_spin(void)
{
	rcu_read_lock();
	take_spin();
	take_raw();
	take_local_lock();
	rcu_read_unlock();
	debug_locks_line();
}
#endif

static const struct ktest_scenario scenarios[] = {
	{ "hardirq_mutex", hardirq_mutex },
	{ "hardirq_mutex_nothread", hardirq_mutex_nothread },
	{ "hardirq_spin", hardirq_spin },
	{ "hardirq_spin_nothread", hardirq_spin_nothread },
	{ "hardirq_spin_oneshot", hardirq_spin_oneshot },
	{ "hardirq_local_lock_nothread", hardirq_local_lock_nothread },
	{ "irq_enter_spin", irq_enter_spin },
	{ "hardirq_raw", hardirq_raw },
	{ "hardirq_local_lock", hardirq_local_lock },
	{ "softirq_mutex", softirq_mutex },
	{ "softirq_spin", softirq_spin },
	{ "raw_spin", raw_spin },
	{ "raw_mutex", raw_mutex },
	{ "spin_mutex", spin_mutex },
	{ "spin_rwsem", spin_rwsem },
	{ "raw_local_lock", raw_local_lock },
	{ "local_lock_mutex", local_lock_mutex },
	{ "process_correct", process_correct },
	{ "trylock_not_checked", trylock_not_checked },
	{ "under_trylock", under_trylock },
	{ "hardirq_plain_map", hardirq_plain_map },
	{ "override_raises", override_raises },
	{ "override_lowers", override_lowers },
	{ "override_free", override_free },
	{ "override_released", override_released },
	{ "keep_going_once", keep_going_once },
	{ "local_lock_irq_order", local_lock_irq_order },
	{ "local_lock_irq_order_3", local_lock_irq_order_3 },
	{ "local_lock_irq_order_3b", local_lock_irq_order_3b },
#ifdef KTEST_HAVE_RCU
	{ "rcu_mutex", rcu_mutex },
	{ "rcu_spin", rcu_spin },
#endif
	{ NULL, NULL },
};

/* --- the checks ------------------------------------------------------------------ */

static struct ktest_child c;

#define CHECK_ONE_REPORT(c)						\
	do {								\
		if (ktest_count((c)->out, BANNER) != 1)			\
			KTEST_FAIL("not one report:\n%s", (c)->out);	\
	} while (0)

/* The scenario ran to its end without any report from lockdep. */
static void expect_silent(const char *name, const char *const *env)
{
	RUN_CHILD(&c, name, env, 20000);
	CHECK_NOT_OUT(&c, "Invalid wait context");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_OUT(&c, "debug_locks=1");
}

/*
 * The kernel's report, once: the lock being taken (with its wait types),
 * the context's, the held locks with theirs, a backtrace; then lockdep
 * is off.
 */
static void expect_report(const char *name, const char *const *env,
			  const char *lock, const char *context, const char *held)
{
	RUN_CHILD(&c, name, env, 20000);
	CHECK_OUT(&c, "=============================\n" BANNER "\n");
	CHECK_OUT(&c, "-----------------------------\n");
	CHECK_OUT(&c, " is trying to lock:\n");
	CHECK_OUT(&c, lock);
	CHECK_OUT(&c, "other info that might help us debug this:\n");
	CHECK_OUT(&c, context);
	CHECK_OUT(&c, held);
	CHECK_OUT(&c, "stack backtrace:\n");
	CHECK_ONE_REPORT(&c);
	CHECK_OUT(&c, "debug_locks=0");
}

/*
 * A handler that PREEMPT_RT would run as a thread (the default) allows a
 * spinlock_t even in the stricter mode; IRQF_NO_THREAD and IRQF_ONESHOT
 * ones, and irq_enter() sections, only raw spinning.
 */
static void test_hardirq(void)
{
	expect_report("hardirq_mutex", lax_env, "(mutex_a){", "context-{3:3}\n",
		      "no locks held by");
	/* might_sleep() reports too, before lockdep, as in the kernel. */
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context");
	CHECK(strstr(c.out, "BUG: sleeping function") < strstr(c.out, BANNER));
	expect_report("hardirq_mutex_nothread", lax_env, "(mutex_a){", "context-{2:2}\n",
		      "no locks held by");
	expect_silent("hardirq_spin", lax_env);
	expect_silent("hardirq_spin", strict_env);
	expect_silent("hardirq_spin_nothread", lax_env);
	expect_report("hardirq_spin_nothread", strict_env, "(spin_a){", "context-{2:2}\n",
		      "no locks held by");
	expect_report("hardirq_spin_oneshot", strict_env, "(spin_a){", "context-{2:2}\n",
		      "no locks held by");
	expect_silent("irq_enter_spin", lax_env);
	expect_report("irq_enter_spin", strict_env, "(spin_a){", "context-{2:2}\n",
		      "no locks held by");
	expect_silent("hardirq_raw", lax_env);
	expect_silent("hardirq_raw", strict_env);
	expect_silent("hardirq_local_lock", strict_env);
	expect_silent("hardirq_local_lock_nothread", lax_env);
	expect_report("hardirq_local_lock_nothread", strict_env, "(llock){",
		      "context-{2:2}\n", "no locks held by");
	expect_silent("hardirq_plain_map", strict_env);
}

static void test_softirq(void)
{
	expect_report("softirq_mutex", lax_env, "(mutex_a){", "context-{3:3}\n",
		      "no locks held by");
	expect_report("softirq_mutex", strict_env, "(mutex_a){", "context-{3:3}\n",
		      "no locks held by");
	expect_silent("softirq_spin", lax_env);
	expect_silent("softirq_spin", strict_env);
}

static void test_raw_spinlock(void)
{
	expect_silent("raw_spin", lax_env);
	expect_report("raw_spin", strict_env, "(spin_a){....}-{3:3}, at: ",
		      "context-{5:5}\n", "1 lock held by");
	CHECK_OUT(&c, " #0: ");
	CHECK_OUT(&c, "(raw_a){+.+.}-{2:2}, at: test_lockdep_wait_context.c:");
	expect_report("raw_mutex", lax_env, "(mutex_a){....}-{4:4}", "context-{5:5}\n",
		      "(raw_a){+.+.}-{2:2}");
	expect_report("raw_mutex", strict_env, "(mutex_a){....}-{4:4}", "context-{5:5}\n",
		      "(raw_a){+.+.}-{2:2}");
	expect_silent("raw_local_lock", lax_env);
	expect_report("raw_local_lock", strict_env, "(llock){", "context-{5:5}\n",
		      "(raw_a){");
}

static void test_spinlock(void)
{
	expect_report("spin_mutex", lax_env, "(mutex_a){....}-{4:4}", "context-{5:5}\n",
		      "(spin_a){+.+.}-{3:3}");
	/* might_sleep() reports too, before lockdep, as in the kernel. */
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context");
	CHECK(strstr(c.out, "BUG: sleeping function") < strstr(c.out, BANNER));
	expect_report("spin_rwsem", lax_env, "(rwsem_a){", "context-{5:5}\n", "(spin_a){");
	expect_report("local_lock_mutex", lax_env, "(mutex_a){", "context-{5:5}\n",
		      "(llock){");
}

static void test_process_context(void)
{
	expect_silent("process_correct", lax_env);
	expect_silent("process_correct", strict_env);
}

static void test_trylock(void)
{
	expect_silent("trylock_not_checked", strict_env);
	expect_silent("under_trylock", lax_env);
	expect_report("under_trylock", strict_env, "(spin_a){", "context-{5:5}\n",
		      "(raw_a){");
}

static void test_override(void)
{
	expect_silent("override_raises", strict_env);
	expect_report("override_released", strict_env, "(spin_a){", "context-{5:5}\n",
		      "(raw_a){");
	/* With the switch off, spinlock_t counts as raw: allowed. */
	expect_silent("override_lowers", lax_env);
	expect_report("override_lowers", strict_env, "(spin_a){", "context-{5:5}\n",
		      "(only_raw-wait-type-override");
	expect_report("override_free", lax_env, "(raw_a){", "context-{5:5}\n",
		      "(nothing_waits-wait-type-override){");
}

static void test_local_lock_irq_order(void)
{
	expect_silent("local_lock_irq_order", lax_env);
	expect_silent("local_lock_irq_order_3", lax_env);
	RUN_CHILD(&c, "local_lock_irq_order_3b", lax_env, 20000);
	CHECK_OUT(&c, "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected\n");
	CHECK_OUT(&c, " (spin_a){-...}-{3:3} -> (spin_b){+.+.}-{3:3}\n");
}

static void test_keep_going(void)
{
	RUN_CHILD(&c, "keep_going_once", keep_going_env, 20000);
	CHECK_ONE_REPORT(&c);
	CHECK_OUT(&c, "debug_locks=1");
}

static void test_switch(void)
{
	/* A value that is neither 0 nor 1: said, and the check stays lax. */
	RUN_CHILD(&c, "raw_spin", bad_value_env, 20000);
	CHECK_OUT(&c, "KSYNC_PROVE_RAW_LOCK_NESTING=yes: expected 0 or 1; taken as 0 (off)");
	CHECK_NOT_OUT(&c, BANNER);
	/* Without lockdep there is no check: said. */
	RUN_CHILD(&c, "raw_spin", no_lockdep_env, 20000);
	CHECK_OUT(&c, "KSYNC_PROVE_RAW_LOCK_NESTING=1: no wait-context check without "
		      "KSYNC_LOCKDEP=1");
	CHECK_NOT_OUT(&c, BANNER);
}

#ifdef KTEST_HAVE_RCU
static void test_rcu(void)
{
	expect_report("rcu_mutex", lax_env, "(mutex_a){", "context-{5:5}\n",
		      "(rcu_read_lock){....}-{1:3}");
	expect_silent("rcu_spin", lax_env);
	expect_silent("rcu_spin", strict_env);
}
#endif

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_hardirq);
	RUN(test_softirq);
	RUN(test_raw_spinlock);
	RUN(test_spinlock);
	RUN(test_process_context);
	RUN(test_trylock);
	RUN(test_override);
	RUN(test_local_lock_irq_order);
	RUN(test_keep_going);
	RUN(test_switch);
#ifdef KTEST_HAVE_RCU
	RUN(test_rcu);
#endif
	return 0;
}
