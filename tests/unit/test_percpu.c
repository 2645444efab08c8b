// SPDX-License-Identifier: MIT
/*
 * Per-CPU variables and local_lock_t.
 *
 * Per-CPU data: every copy starts from the initialiser; this_cpu_*(),
 * __this_cpu_*() and per_cpu() reach this thread's or a given CPU's
 * copy (struct members too); exact sums over all CPUs with threads far
 * more than cores; this_cpu_inc() is not torn by an interrupt (a signal
 * handler) on the same thread; a CPU number passed to a new thread
 * starts from the initialiser again while the exited thread's values
 * were readable until then; get_cpu()/put_cpu(), migrate_disable(),
 * preemptible().
 *
 * local_lock_t: the preemption/interrupt state each form leaves; a
 * per-CPU list kept under it by many threads, exact; in children, with
 * the debug switches, the kernel's reports: recursion, an unlock
 * without the lock, an order inverted against a spinlock (all CPUs'
 * copies are one class), migrate_enable() without migrate_disable(),
 * and a clean run that must report nothing.
 */
#define _GNU_SOURCE
#include <ksync/interrupt.h>
#include <ksync/local_lock.h>
#include <ksync/percpu.h>
#include <ksync/sched.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest_deadline.h"

#define NTHREADS	16
#define ROUNDS		20000

struct stats {
	long hits;
	long bytes;
};

static DEFINE_PER_CPU(int, seven) = 7;
static DEFINE_PER_CPU(long, counter);
DEFINE_PER_CPU(struct stats, stats);
DECLARE_PER_CPU(struct stats, stats);
static DEFINE_PER_CPU_ALIGNED(unsigned long, aligned_word);

static long sum_counter(void)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(counter, cpu));
	return sum;
}

static void test_accessors(void)
{
	int cpu = smp_processor_id(), *p;
	long old;

	CHECK_EQ(this_cpu_read(seven), 7);
	p = this_cpu_ptr(&seven);
	CHECK(p == per_cpu_ptr(&seven, cpu));
	CHECK(p == &per_cpu(seven, cpu));
	CHECK(p == raw_cpu_ptr(&seven));
	CHECK(p != &seven);			/* the template is no CPU's copy */
	this_cpu_write(seven, 8);
	CHECK_EQ(per_cpu(seven, cpu), 8);
	CHECK_EQ(seven, 7);
	this_cpu_add(seven, 5);
	this_cpu_sub(seven, 3);
	this_cpu_inc(seven);
	this_cpu_dec(seven);
	CHECK_EQ(__this_cpu_read(seven), 10);
	__this_cpu_add(seven, 2);
	__this_cpu_sub(seven, 1);
	__this_cpu_inc(seven);
	__this_cpu_dec(seven);
	__this_cpu_write(seven, __this_cpu_read(seven) + 1);
	CHECK_EQ(this_cpu_read(seven), 12);
	CHECK_EQ(this_cpu_add_return(seven, 3), 15);
	CHECK_EQ(this_cpu_inc_return(seven), 16);
	CHECK_EQ(this_cpu_xchg(seven, 1), 16);
	CHECK_EQ(this_cpu_cmpxchg(seven, 1, 2), 1);
	CHECK_EQ(this_cpu_cmpxchg(seven, 1, 3), 2);	/* fails: old value back */
	CHECK_EQ(this_cpu_read(seven), 2);

	this_cpu_inc(stats.hits);
	this_cpu_add(stats.bytes, 100);
	CHECK_EQ(per_cpu(stats, cpu).hits, 1);
	CHECK_EQ(per_cpu_ptr(&stats, cpu)->bytes, 100);
	CHECK_EQ(((uintptr_t)this_cpu_ptr(&aligned_word)) % 64, 0);
	old = sum_counter();
	this_cpu_add(counter, 5);
	CHECK_EQ(sum_counter(), old + 5);
	CHECK(nr_cpu_ids > cpu);
	CHECK(cpu_online(cpu));
}

/*
 * All alive until all have counted: a thread that took over an exited
 * one's CPU number would start from zero (the reuse rule).
 */
static pthread_barrier_t all_counted;

static void *count_many(void *arg)
{
	CHECK_EQ(this_cpu_read(seven), 7);	/* a fresh copy */
	for (int i = 0; i < ROUNDS; i++) {
		this_cpu_inc(counter);
		this_cpu_inc(stats.hits);
	}
	pthread_barrier_wait(&all_counted);
	return arg;
}

static void test_exact_sums(void)
{
	long before = sum_counter(), hits = 0;
	int cpu;

	pthread_barrier_init(&all_counted, NULL, NTHREADS);
	ktest_run_threads(NTHREADS, count_many);
	pthread_barrier_destroy(&all_counted);
	CHECK_EQ(sum_counter(), before + (long)NTHREADS * ROUNDS);
	for_each_possible_cpu(cpu)
		hits += READ_ONCE(per_cpu(stats, cpu).hits);
	CHECK_EQ(hits, 1 + (long)NTHREADS * ROUNDS);	/* 1: test_accessors */
}

/* --- interrupts ------------------------------------------------------------------ */

#define IRQ		SIGRTMIN
#define IRQ_RAISES	2000

static DEFINE_PER_CPU(unsigned long, irq_count);
static int handled, irq_cpu = -1, irq_done;

static irqreturn_t count_in_irq(int irq, void *dev)
{
	this_cpu_inc(irq_count);
	__atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

/*
 * ThreadSanitizer delivers a signal only when the thread enters an
 * intercepted libc call, and keeps one pending slot per signal, so
 * raises before that merge: under it the task makes such a call now and
 * then, and the raiser waits for each raise to be handled.
 */
#ifdef __SANITIZE_THREAD__
#define TSAN_DELIVERY_POINT(n)	do { if (((n) & 255) == 0) usleep(0); } while (0)
#define TSAN_ONE_AT_A_TIME	1
#else
#define TSAN_DELIVERY_POINT(n)	do { } while (0)
#define TSAN_ONE_AT_A_TIME	0
#endif

static void *count_in_task(void *arg)
{
	long n = 0;

	__atomic_store_n(&irq_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&irq_done, __ATOMIC_ACQUIRE)) {
		this_cpu_inc(irq_count);
		n++;
		TSAN_DELIVERY_POINT(n);
	}
	/* Each raise is handled at the latest here (the mask is open). */
	KTEST_WAIT_UNTIL(__atomic_load_n(&handled, __ATOMIC_RELAXED) == IRQ_RAISES);
	CHECK_EQ(this_cpu_read(irq_count), n + IRQ_RAISES);
	return arg;
}

static void test_irq_safe(void)
{
	pthread_t t;
	int cpu;

	CHECK_EQ(request_irq((unsigned)IRQ, count_in_irq, 0, "percpu", &handled), 0);
	CHECK(pthread_create(&t, NULL, count_in_task, NULL) == 0);
	KTEST_WAIT_UNTIL((cpu = __atomic_load_n(&irq_cpu, __ATOMIC_ACQUIRE)) >= 0);
	for (int i = 0; i < IRQ_RAISES; i++) {
		CHECK_EQ(ksync_raise_irq(cpu, (unsigned)IRQ), 0);
		if (TSAN_ONE_AT_A_TIME)
			KTEST_WAIT_UNTIL(__atomic_load_n(&handled, __ATOMIC_RELAXED) == i + 1);
	}
	__atomic_store_n(&irq_done, 1, __ATOMIC_RELEASE);
	ktest_join_or_fail(t);
	free_irq((unsigned)IRQ, &handled);
}

/* --- a CPU number passed on --------------------------------------------------------- */

static int first_cpu;

static void *leave_values(void *arg)
{
	first_cpu = smp_processor_id();
	this_cpu_write(seven, 70);
	this_cpu_add(stats.bytes, 12345);
	return arg;
}

static void *find_fresh_values(void *arg)
{
	CHECK_EQ(smp_processor_id(), first_cpu);
	CHECK_EQ(this_cpu_read(seven), 7);
	CHECK_EQ(this_cpu_read(stats.bytes), 0);
	CHECK_EQ(this_cpu_read(counter), 0);
	return arg;
}

static void test_reused_cpu(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, leave_values, NULL) == 0);
	ktest_join_or_fail(t);
	/* Exited, number not yet reused: its values are still there. */
	CHECK_EQ(per_cpu(seven, first_cpu), 70);
	CHECK_EQ(per_cpu(stats, first_cpu).bytes, 12345);
	CHECK(!cpu_online(first_cpu));
	CHECK(pthread_create(&t, NULL, find_fresh_values, NULL) == 0);
	ktest_join_or_fail(t);
	CHECK_EQ(per_cpu(seven, first_cpu), 7);
}

/* --- get_cpu, migrate_disable, preemptible ------------------------------------------- */

static void test_cpu_pinning(void)
{
	int cpu;
	unsigned long flags;

	CHECK(preemptible());
	cpu = get_cpu();
	CHECK_EQ(cpu, smp_processor_id());
	CHECK_EQ(preempt_count(), 1);
	CHECK(!preemptible());
	put_cpu();
	CHECK_EQ(preempt_count(), 0);

	CHECK(!is_migration_disabled(current));
	migrate_disable();
	migrate_disable();
	CHECK(is_migration_disabled(current));
	CHECK(preemptible());			/* pinned, still preemptible */
	migrate_enable();
	CHECK(is_migration_disabled(current));
	migrate_enable();
	CHECK(!is_migration_disabled(current));

	local_irq_save(flags);
	CHECK(!preemptible());
	local_irq_restore(flags);
	CHECK(preemptible());
}

/* --- local_lock_t --------------------------------------------------------------------- */

struct pcp_list {
	local_lock_t lock;
	long items;
	long adds;
};

static DEFINE_PER_CPU(local_lock_t, llock) = INIT_LOCAL_LOCK(llock);
static DEFINE_PER_CPU(struct pcp_list, pcp) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

static void test_local_lock_states(void)
{
	unsigned long flags;
	local_lock_t dyn;

	local_lock_init(&dyn);
	CHECK(dyn.owner == NULL);

	local_lock(&llock);
	CHECK_EQ(preempt_count(), 1);
	CHECK(!irqs_disabled());
	local_unlock(&llock);
	CHECK_EQ(preempt_count(), 0);

	local_lock_irq(&llock);
	CHECK(irqs_disabled());
	CHECK_EQ(preempt_count(), 0);
	local_unlock_irq(&llock);
	CHECK(!irqs_disabled());

	local_irq_disable();
	local_lock_irqsave(&llock, flags);
	CHECK(irqs_disabled());
	local_unlock_irqrestore(&llock, flags);
	CHECK(irqs_disabled());			/* restored: still off */
	local_irq_enable();
	CHECK(preemptible());
}

static void *fill_list(void *arg)
{
	/* Registered (a fresh copy) before anyone exits: see count_many(). */
	(void)smp_processor_id();
	pthread_barrier_wait(&all_counted);
	unsigned long flags;

	for (int i = 0; i < ROUNDS; i++) {
		local_lock_irqsave(&pcp.lock, flags);
		this_cpu_ptr(&pcp)->items++;
		this_cpu_ptr(&pcp)->adds++;
		local_unlock_irqrestore(&pcp.lock, flags);
		if (i % 2) {
			local_lock(&pcp.lock);
			this_cpu_ptr(&pcp)->items--;
			local_unlock(&pcp.lock);
		}
	}
	CHECK_EQ(this_cpu_read(pcp.items), ROUNDS / 2);
	return arg;
}

static void test_local_lock_list(void)
{
	long adds = 0;
	int cpu;

	pthread_barrier_init(&all_counted, NULL, NTHREADS);
	ktest_run_threads(NTHREADS, fill_list);
	pthread_barrier_destroy(&all_counted);
	for_each_possible_cpu(cpu)
		adds += READ_ONCE(per_cpu(pcp, cpu).adds);
	CHECK_EQ(adds, (long)NTHREADS * ROUNDS);
}

/* --- misuse, in children ------------------------------------------------------------- */

static void child_recursion(void)
{
	local_lock(&llock);
	local_lock(&llock);
	local_unlock(&llock);
	local_unlock(&llock);
}

static void child_unlock_unheld(void)
{
	local_unlock(&llock);
	preempt_disable();		/* the unlock's preempt_enable() */
}

static DEFINE_SPINLOCK(outer);
static int ordered;

static void *local_then_spin(void *arg)
{
	local_lock(&llock);
	spin_lock(&outer);
	spin_unlock(&outer);
	local_unlock(&llock);
	__atomic_store_n(&ordered, 1, __ATOMIC_RELEASE);
	return arg;
}

/* Another CPU's copy, the inverse order: one class, so a cycle. */
static void child_inversion(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, local_then_spin, NULL) == 0);
	ktest_join_or_fail(t);
	spin_lock(&outer);
	local_lock(&llock);
	local_unlock(&llock);
	spin_unlock(&outer);
}

static void child_clean(void)
{
	pthread_t t[4];
	unsigned long flags;

	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, local_then_spin, NULL) == 0);
	for (int i = 0; i < 4; i++)
		ktest_join_or_fail(t[i]);
	local_lock(&llock);
	local_lock_irqsave(&pcp.lock, flags);	/* two classes, nested */
	local_unlock_irqrestore(&pcp.lock, flags);
	local_unlock(&llock);
	test_local_lock_states();
	printf("clean done\n");
}

static void child_migrate_enable(void)
{
	migrate_enable();
	printf("after\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "recursion", child_recursion },
	{ "unlock_unheld", child_unlock_unheld },
	{ "inversion", child_inversion },
	{ "clean", child_clean },
	{ "migrate_enable", child_migrate_enable },
	{ NULL, NULL },
};

static void run_child(struct ktest_child *c, const char *name, const char *env)
{
	const char *envp[] = { env, NULL };

	ktest_spawn(c, "/proc/self/exe", name, envp, 20000);
	CHECK(!c->timed_out);
}

static void test_local_lock_reports(void)
{
	static struct ktest_child c;

	run_child(&c, "recursion", "KSYNC_LOCKDEP=1");
	CHECK_OUT(&c, "WARNING: possible recursive locking detected");
	CHECK_OUT(&c, "llock");
	run_child(&c, "recursion", "KSYNC_DEBUG=1");
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(l->owner)");
	run_child(&c, "unlock_unheld", "KSYNC_DEBUG=1");
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(l->owner != current)");
	CHECK_OUT(&c, "local_unlock(llock): this CPU's local lock is not held");
	run_child(&c, "inversion", "KSYNC_LOCKDEP=1");
	CHECK_OUT(&c, "WARNING: possible circular locking dependency detected");
	CHECK_OUT(&c, "llock");
	CHECK_OUT(&c, "outer");
	run_child(&c, "clean", "KSYNC_LOCKDEP=1");
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "clean done");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "DEBUG_LOCKS_WARN_ON");
	run_child(&c, "migrate_enable", "KSYNC_DEBUG=1");
	CHECK_OUT(&c, "migrate_enable() without migrate_disable()");
	CHECK_OUT(&c, "after");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_accessors);
	RUN(test_exact_sums);
	RUN(test_irq_safe);
	RUN(test_reused_cpu);
	RUN(test_cpu_pinning);
	RUN(test_local_lock_states);
	RUN(test_local_lock_list);
	RUN(test_local_lock_reports);
	return 0;
}
